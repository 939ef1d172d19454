/**
 * X.509 v3 certificates (RFC 5280 §4.1), parsed into a read-only structure.
 *
 *   Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 *   TBSCertificate ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, serialNumber,
 *        signature, issuer, validity, subject, subjectPublicKeyInfo,
 *        issuerUniqueID [1] IMPLICIT, subjectUniqueID [2] IMPLICIT, extensions [3] EXPLICIT }
 *
 * Parsing checks structure only; whether the certificate is trusted, current
 * or fit for a purpose is verify.ts's business. Extensions we do not know are
 * kept; an unknown *critical* one is listed in `unhandledCriticalExtensions`
 * and makes verification fail (RFC 5280 §4.2).
 */
import type { PublicKey } from '../crypto/provider.js';
import { bytesEqual, toHex } from '../util/bytes.js';
import {
  readAlgorithmIdentifier,
  signatureAlgorithmFrom,
  type CertificateSignatureAlgorithm,
} from './algorithms.js';
import { DerReader, Tag, contextConstructed, contextTag, parseDer } from './der.js';
import { X509DecodeError } from './errors.js';
import {
  parseAuthorityKeyIdentifier,
  parseBasicConstraints,
  parseExtKeyUsage,
  parseKeyUsage,
  parseNameConstraints,
  parseSubjectAltName,
  parseSubjectKeyIdentifier,
  type BasicConstraints,
  type Extension,
  type KeyUsage,
  type NameConstraints,
  type SubjectAltName,
} from './extensions.js';
import { readSubjectPublicKeyInfo, type SubjectPublicKeyInfo } from './keys.js';
import { readName, type Name } from './name.js';
import { OID } from './oids.js';
import { parsePem, pemText } from './pem.js';

export interface Certificate {
  /** The whole certificate's DER. */
  readonly raw: Uint8Array;
  /** The tbsCertificate's DER: what the issuer signed. */
  readonly tbs: Uint8Array;
  readonly version: 1 | 2 | 3;
  readonly serialNumber: bigint;
  /** Serial number as lower-case hex (as openssl prints it, without colons). */
  readonly serialHex: string;
  readonly signatureAlgorithm: CertificateSignatureAlgorithm;
  /** The signatureValue's bytes (for ECDSA, a DER Ecdsa-Sig-Value). */
  readonly signature: Uint8Array;
  readonly issuer: Name;
  readonly subject: Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Validity bounds as epoch milliseconds (inclusive, RFC 5280 §4.1.2.5). */
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly subjectPublicKeyInfo: SubjectPublicKeyInfo;
  /** The subject's key, or null when its algorithm is unsupported. */
  readonly publicKey: PublicKey | null;
  /** Every extension, in certificate order. */
  readonly extensions: readonly Extension[];
  readonly subjectAltName: SubjectAltName | undefined;
  readonly basicConstraints: BasicConstraints | undefined;
  readonly keyUsage: KeyUsage | undefined;
  /** Extended key usage purposes (OIDs), if the extension is present. */
  readonly extKeyUsage: readonly string[] | undefined;
  readonly nameConstraints: NameConstraints | undefined;
  readonly subjectKeyIdentifier: Uint8Array | undefined;
  readonly authorityKeyIdentifier: Uint8Array | undefined;
  /** OIDs of critical extensions this library does not process. */
  readonly unhandledCriticalExtensions: readonly string[];
  /** Whether issuer and subject are the same name (RFC 5280 §6.1 "self-issued"). */
  readonly selfIssued: boolean;
}

/** Extensions whose semantics we enforce, so they may be critical. */
const HANDLED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.nameConstraints,
  OID.authorityKeyIdentifier,
  OID.extKeyUsage,
]);

function fail(message: string): never {
  throw new X509DecodeError(message);
}

/** Parses one DER certificate. Throws X509DecodeError on any malformation. */
export function parseCertificate(der: Uint8Array): Certificate {
  // Every byte field below is a view into this private copy, so a caller
  // reusing its buffer cannot change a parsed (and perhaps verified) certificate.
  const top = parseDer(der.slice(), 'certificate');
  if (top.tag !== Tag.SEQUENCE) fail('certificate: expected a SEQUENCE');
  const cert = new DerReader(top.contents, 1);
  const tbsEl = cert.expect(Tag.SEQUENCE, 'tbsCertificate');
  const outerAlg = readAlgorithmIdentifier(cert, 'signatureAlgorithm');
  const sigBits = cert.bitString('signatureValue');
  cert.end('certificate');
  if (sigBits.unusedBits !== 0) fail('signatureValue: not a whole number of bytes');

  const tbs = cert.child(tbsEl);
  const version = readVersion(tbs);
  const serialNumber = tbs.integer('serialNumber');
  const innerAlg = readAlgorithmIdentifier(tbs, 'tbsCertificate signature');
  // RFC 5280 §4.1.1.2: the two algorithm fields MUST be identical, or an
  // attacker could relabel which algorithm the signature is checked with.
  if (!bytesEqual(innerAlg.raw, outerAlg.raw)) {
    fail('certificate: signatureAlgorithm differs from tbsCertificate.signature');
  }
  const issuer = readName(tbs, 'issuer');
  const validity = tbs.enter(Tag.SEQUENCE, 'validity');
  const notBeforeMs = validity.time('notBefore');
  const notAfterMs = validity.time('notAfter');
  validity.end('validity');
  const subject = readName(tbs, 'subject');
  const spki = readSubjectPublicKeyInfo(tbs, 'subjectPublicKeyInfo');
  // §4.1.2.8: unique identifiers only in v2 and v3.
  if (tbs.optional(contextTag(1), 'issuerUniqueID') && version === 1) fail('issuerUniqueID in a v1 certificate');
  if (tbs.optional(contextTag(2), 'subjectUniqueID') && version === 1) fail('subjectUniqueID in a v1 certificate');
  let extensions: Extension[] = [];
  const extWrapper = tbs.optionalEnter(contextConstructed(3), 'extensions');
  if (extWrapper) {
    if (version !== 3) fail('extensions in a certificate that is not v3');
    extensions = readExtensions(extWrapper);
    extWrapper.end('extensions');
  }
  tbs.end('tbsCertificate');

  const parsed = interpretExtensions(extensions);
  return Object.freeze({
    raw: top.raw,
    tbs: tbsEl.raw,
    version,
    serialNumber,
    serialHex: serialToHex(serialNumber),
    signatureAlgorithm: signatureAlgorithmFrom(outerAlg, 'signatureAlgorithm'),
    signature: sigBits.bytes,
    issuer,
    subject,
    notBefore: new Date(notBeforeMs),
    notAfter: new Date(notAfterMs),
    notBeforeMs,
    notAfterMs,
    subjectPublicKeyInfo: spki,
    publicKey: spki.key,
    extensions,
    ...parsed,
    selfIssued: bytesEqual(issuer.raw, subject.raw),
  });
}

/** version [0] EXPLICIT Version DEFAULT v1; v1(0), v2(1), v3(2). */
function readVersion(tbs: DerReader): 1 | 2 | 3 {
  const wrapper = tbs.optionalEnter(contextConstructed(0), 'version');
  if (!wrapper) return 1;
  const v = wrapper.smallInteger('version', 255);
  wrapper.end('version');
  if (v > 2) fail(`unknown certificate version ${v + 1}`);
  return (v + 1) as 1 | 2 | 3;
}

/**
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 * Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 */
function readExtensions(wrapper: DerReader): Extension[] {
  const seq = wrapper.enter(Tag.SEQUENCE, 'extensions');
  const out: Extension[] = [];
  const seen = new Set<string>();
  while (!seq.atEnd) {
    const ext = seq.enter(Tag.SEQUENCE, 'extension');
    const oid = ext.oid('extnID');
    const critical = ext.peekTag() === Tag.BOOLEAN ? ext.boolean(`extension ${oid} critical`) : false;
    const value = ext.octetString(`extension ${oid} extnValue`);
    ext.end(`extension ${oid}`);
    // §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (seen.has(oid)) fail(`extension ${oid} appears twice`);
    seen.add(oid);
    out.push({ oid, critical, value });
  }
  if (out.length === 0) fail('extensions: present but empty');
  return out;
}

type ParsedExtensions = Pick<
  Certificate,
  | 'subjectAltName'
  | 'basicConstraints'
  | 'keyUsage'
  | 'extKeyUsage'
  | 'nameConstraints'
  | 'subjectKeyIdentifier'
  | 'authorityKeyIdentifier'
  | 'unhandledCriticalExtensions'
>;

function interpretExtensions(extensions: readonly Extension[]): ParsedExtensions {
  const find = (oid: string): Uint8Array | undefined => extensions.find((e) => e.oid === oid)?.value;
  const san = find(OID.subjectAltName);
  const bc = find(OID.basicConstraints);
  const ku = find(OID.keyUsage);
  const eku = find(OID.extKeyUsage);
  const nc = find(OID.nameConstraints);
  const ski = find(OID.subjectKeyIdentifier);
  const aki = find(OID.authorityKeyIdentifier);
  return {
    subjectAltName: san && parseSubjectAltName(san),
    basicConstraints: bc && parseBasicConstraints(bc),
    keyUsage: ku && parseKeyUsage(ku),
    extKeyUsage: eku && parseExtKeyUsage(eku),
    nameConstraints: nc && parseNameConstraints(nc),
    subjectKeyIdentifier: ski && parseSubjectKeyIdentifier(ski),
    authorityKeyIdentifier: aki && parseAuthorityKeyIdentifier(aki).keyIdentifier,
    unhandledCriticalExtensions: extensions.filter((e) => e.critical && !HANDLED_EXTENSIONS.has(e.oid)).map((e) => e.oid),
  };
}

function serialToHex(serial: bigint): string {
  if (serial >= 0n) {
    const h = serial.toString(16);
    return h.length % 2 ? `0${h}` : h;
  }
  return `-${serialToHex(-serial)}`;
}

/**
 * Every certificate in `input`: PEM text (as a string or as bytes) with one
 * or more CERTIFICATE blocks (other blocks are ignored), or the DER of a
 * single certificate.
 */
export function parseCertificates(input: string | Uint8Array): Certificate[] {
  const text = typeof input === 'string' ? input : pemText(input);
  if (text === undefined) return [parseCertificate(input as Uint8Array)];
  const certs = parsePem(text)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => parseCertificate(b.bytes));
  if (certs.length === 0) fail('no CERTIFICATE block found in PEM input');
  return certs;
}

/** Hex with colons, as openssl prints key identifiers ("AC:97:83:..."), for messages. */
export function colonHex(bytes: Uint8Array): string {
  return (toHex(bytes).match(/../g) ?? []).join(':').toUpperCase();
}
