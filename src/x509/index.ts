/**
 * X.509 for TLS (layer 6): DER, certificates, PEM and private keys, chain
 * building and verification, host name matching.
 */
export { parseCertificate, parseCertificates, colonHex, type Certificate } from './certificate.js';
export { parseCertificateShared, clearCertificateCache, CERTIFICATE_CACHE_LIMIT } from './certificateCache.js';
export { parsePem, encodePem, parsePrivateKey, type PemBlock } from './pem.js';
export { parsePkcs1, parsePkcs8, parseSec1, parsePrivateKeyDer, type SubjectPublicKeyInfo } from './keys.js';
export { verifyChain, MAX_SIGNATURE_CHECKS, type VerifyOptions, type CertificateUsage } from './verify.js';
export {
  matchHostname,
  matchDnsName,
  verifyHostname,
  parseReferenceIdentity,
  type ReferenceIdentity,
} from './hostname.js';
export { parseIpAddress, formatIpAddress } from './ip.js';
export {
  X509DecodeError,
  X509VerificationError,
  VERIFICATION_ALERTS,
  alertForReason,
  type VerificationReason,
} from './errors.js';
export type { CertificateSignatureAlgorithm, AlgorithmIdentifier } from './algorithms.js';
export type {
  Extension,
  GeneralName,
  SubjectAltName,
  BasicConstraints,
  KeyUsage,
  NameConstraints,
  NameConstraintBase,
} from './extensions.js';
export { readName, type Name, type AttributeTypeAndValue, type RelativeDistinguishedName } from './name.js';
export { OID } from './oids.js';
export { DerReader, Tag, parseDer, type DerElement, type BitString } from './der.js';
export {
  createCertificate,
  generatePrivateKey,
  publicKeyFromPrivateKey,
  samePublicKey,
  encodeSubjectPublicKeyInfo,
  encodePrivateKeyPkcs8,
  encodePrivateKeyPem,
  encodeCertificatePem,
  encodeCertificateChainPem,
  encodeName,
  keyIdentifier,
  type CertificateTemplate,
  type IssueUsage,
  type KeyAlgorithm,
  type NameSpec,
} from './issue.js';
