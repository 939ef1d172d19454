/**
 * AlgorithmIdentifier (RFC 5280 §4.1.1.2) and the certificate signature
 * algorithms we verify, mapped onto TLS SignatureScheme code points.
 *
 * In a certificate, ECDSA names only the hash (ecdsa-with-SHA256); the curve
 * comes from the issuer's key. So a P-384 CA may sign with SHA-256, which no
 * single TLS scheme describes. We therefore keep {hash, kind} here, and the
 * verifier (signature.ts) combines them with the issuer's key.
 */
import type { HashName } from '../crypto/provider.js';
import { SignatureScheme } from '../registry.js';
import { DerReader, Tag, contextConstructed, type DerElement } from './der.js';
import { X509DecodeError } from './errors.js';
import { OID } from './oids.js';

export interface AlgorithmIdentifier {
  readonly oid: string;
  /** The parameters element, if present. */
  readonly parameters: DerElement | undefined;
  /** The whole AlgorithmIdentifier's DER. */
  readonly raw: Uint8Array;
}

export function readAlgorithmIdentifier(reader: DerReader, what: string): AlgorithmIdentifier {
  const el = reader.expect(Tag.SEQUENCE, what);
  const seq = reader.child(el);
  const oid = seq.oid(`${what} algorithm`);
  const parameters = seq.atEnd ? undefined : seq.read(`${what} parameters`);
  seq.end(what);
  return { oid, parameters, raw: el.raw };
}

export type CertificateSignatureAlgorithm =
  | { readonly kind: 'ecdsa'; readonly hash: HashName; readonly scheme: number; readonly name: string }
  | { readonly kind: 'rsa-pkcs1'; readonly hash: HashName; readonly scheme: number; readonly name: string }
  | {
      readonly kind: 'rsa-pss';
      readonly hash: HashName;
      readonly saltLength: number;
      readonly scheme: number;
      readonly name: string;
    }
  | { readonly kind: 'ed25519'; readonly scheme: number; readonly name: string }
  /** Parsed but not verifiable here (SHA-1, DSA, exotic PSS parameters, ...). */
  | { readonly kind: 'unsupported'; readonly oid: string; readonly name: string };

const HASH_LENGTH: Readonly<Record<HashName, number>> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

const ECDSA: Readonly<Record<string, [HashName, number, string]>> = {
  [OID.ecdsaWithSHA256]: ['SHA-256', SignatureScheme.ecdsa_secp256r1_sha256, 'ecdsa-with-SHA256'],
  [OID.ecdsaWithSHA384]: ['SHA-384', SignatureScheme.ecdsa_secp384r1_sha384, 'ecdsa-with-SHA384'],
  [OID.ecdsaWithSHA512]: ['SHA-512', SignatureScheme.ecdsa_secp521r1_sha512, 'ecdsa-with-SHA512'],
};

const RSA_PKCS1: Readonly<Record<string, [HashName, number, string]>> = {
  [OID.sha256WithRSAEncryption]: ['SHA-256', SignatureScheme.rsa_pkcs1_sha256, 'sha256WithRSAEncryption'],
  [OID.sha384WithRSAEncryption]: ['SHA-384', SignatureScheme.rsa_pkcs1_sha384, 'sha384WithRSAEncryption'],
  [OID.sha512WithRSAEncryption]: ['SHA-512', SignatureScheme.rsa_pkcs1_sha512, 'sha512WithRSAEncryption'],
};

const PSS_SCHEME: Readonly<Record<HashName, number>> = {
  'SHA-256': SignatureScheme.rsa_pss_rsae_sha256,
  'SHA-384': SignatureScheme.rsa_pss_rsae_sha384,
  'SHA-512': SignatureScheme.rsa_pss_rsae_sha512,
};

const HASH_OIDS: Readonly<Record<string, HashName>> = {
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
};

const KNOWN_UNSUPPORTED: Readonly<Record<string, string>> = {
  [OID.sha1WithRSAEncryption]: 'sha1WithRSAEncryption',
  [OID.ecdsaWithSHA1]: 'ecdsa-with-SHA1',
  [OID.ed448]: 'Ed448',
};

/** Maps a certificate's signatureAlgorithm onto what we can verify. */
export function signatureAlgorithmFrom(alg: AlgorithmIdentifier, what: string): CertificateSignatureAlgorithm {
  const ecdsa = ECDSA[alg.oid];
  if (ecdsa) {
    // RFC 5758 §3.2: the parameters field MUST be absent.
    if (alg.parameters) throwParams(what, ecdsa[2], 'must be absent');
    return { kind: 'ecdsa', hash: ecdsa[0], scheme: ecdsa[1], name: ecdsa[2] };
  }
  const pkcs1 = RSA_PKCS1[alg.oid];
  if (pkcs1) {
    // RFC 4055 §5 says NULL; absent parameters are tolerated as many verifiers do.
    expectNullOrAbsent(alg, what, pkcs1[2]);
    return { kind: 'rsa-pkcs1', hash: pkcs1[0], scheme: pkcs1[1], name: pkcs1[2] };
  }
  if (alg.oid === OID.ed25519) {
    // RFC 8410 §3: parameters MUST be absent.
    if (alg.parameters) throwParams(what, 'Ed25519', 'must be absent');
    return { kind: 'ed25519', scheme: SignatureScheme.ed25519, name: 'Ed25519' };
  }
  if (alg.oid === OID.rsassaPss) return pssAlgorithm(alg, what);
  return { kind: 'unsupported', oid: alg.oid, name: KNOWN_UNSUPPORTED[alg.oid] ?? alg.oid };
}

function throwParams(what: string, name: string, rule: string): never {
  throw new X509DecodeError(`${what}: ${name} parameters ${rule}`);
}

function expectNullOrAbsent(alg: AlgorithmIdentifier, what: string, name: string): void {
  const p = alg.parameters;
  if (p && (p.tag !== Tag.NULL || p.contents.length !== 0)) throwParams(what, name, 'must be NULL');
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1). TLS 1.3 and the Web PKI use one shape
 * only: hash SHA-256/384/512, MGF1 with the same hash, salt as long as the
 * hash, trailer 1 (RFC 8446 §4.2.3). Anything else parses but is unsupported.
 */
function pssAlgorithm(alg: AlgorithmIdentifier, what: string): CertificateSignatureAlgorithm {
  const p = alg.parameters;
  if (!p || p.tag !== Tag.SEQUENCE) throwParams(what, 'RSASSA-PSS', 'must be a SEQUENCE');
  const seq = new DerReader(p.contents, 1);
  let hashOid: string = OID.sha1;
  let mgfOid: string = OID.mgf1;
  let mgfHashOid: string = OID.sha1;
  let saltLength = 20;
  let trailer = 1;
  const hashR = seq.optionalEnter(contextConstructed(0), `${what} PSS hashAlgorithm`);
  if (hashR) {
    const h = readAlgorithmIdentifier(hashR, `${what} PSS hashAlgorithm`);
    hashR.end(`${what} PSS hashAlgorithm`);
    expectNullOrAbsent(h, what, 'PSS hash');
    hashOid = h.oid;
  }
  const mgfR = seq.optionalEnter(contextConstructed(1), `${what} PSS maskGenAlgorithm`);
  if (mgfR) {
    const m = readAlgorithmIdentifier(mgfR, `${what} PSS maskGenAlgorithm`);
    mgfR.end(`${what} PSS maskGenAlgorithm`);
    mgfOid = m.oid;
    if (m.oid === OID.mgf1) {
      if (!m.parameters || m.parameters.tag !== Tag.SEQUENCE) throwParams(what, 'MGF1', 'must name a hash');
      const mgfParams = new DerReader(m.parameters.raw, 2);
      const inner = readAlgorithmIdentifier(mgfParams, `${what} MGF1 hash`);
      mgfParams.end(`${what} MGF1 hash`);
      expectNullOrAbsent(inner, what, 'MGF1 hash');
      mgfHashOid = inner.oid;
    }
  }
  const saltR = seq.optionalEnter(contextConstructed(2), `${what} PSS saltLength`);
  if (saltR) {
    saltLength = saltR.smallInteger(`${what} PSS saltLength`, 0xffff);
    saltR.end(`${what} PSS saltLength`);
  }
  const trailerR = seq.optionalEnter(contextConstructed(3), `${what} PSS trailerField`);
  if (trailerR) {
    trailer = trailerR.smallInteger(`${what} PSS trailerField`, 0xffff);
    trailerR.end(`${what} PSS trailerField`);
  }
  seq.end(`${what} RSASSA-PSS-params`);

  const hash = HASH_OIDS[hashOid];
  const mgfHash = HASH_OIDS[mgfHashOid];
  const name = `RSASSA-PSS (${hash ?? hashOid}, MGF1 ${mgfHash ?? mgfHashOid}, salt ${saltLength})`;
  if (!hash || mgfOid !== OID.mgf1 || mgfHash !== hash || saltLength !== HASH_LENGTH[hash] || trailer !== 1) {
    return { kind: 'unsupported', oid: alg.oid, name };
  }
  return { kind: 'rsa-pss', hash, saltLength, scheme: PSS_SCHEME[hash], name };
}
