/**
 * Issuing certificates: key generation, SubjectPublicKeyInfo and PKCS#8
 * encoding, and X.509 v3 certificates (RFC 5280 §4.1) signed through the
 * CryptoProvider. Enough to run a private CA for development and tests (the
 * CLI's `tls13 cert`), not a replacement for a production CA.
 *
 * What a certificate carries, and why:
 * - subjectAltName holds the identity (DNS names and IP addresses). Clients
 *   stopped reading the Common Name long ago (RFC 6125 §6.4.4), so the CN is
 *   only a label for people; a certificate without a subject name marks its
 *   SAN critical (RFC 5280 §4.2.1.6).
 * - basicConstraints (critical) says CA or not; keyUsage (critical) limits a
 *   CA to signing certificates and a leaf to signing handshakes; extKeyUsage
 *   says server, client, or both (RFC 5280 §4.2.1.9, §4.2.1.3, §4.2.1.12).
 * - subjectKeyIdentifier / authorityKeyIdentifier let verifiers find the
 *   issuer quickly (RFC 5280 §4.2.1.1, §4.2.1.2). They are the leftmost 160
 *   bits of the SHA-256 of the subjectPublicKey (RFC 7093 §2 method 1): SHA-1,
 *   RFC 5280's example, is not something the provider offers.
 *
 * Public keys are derived from private keys with @noble/curves directly: the
 * CryptoProvider signs and verifies but has no "public key of" operation, and
 * adding one for this file alone would widen an interface every backend must
 * implement.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import type { CryptoProvider, PrivateKey, PublicKey, RandomSource } from '../crypto/provider.js';
import { SignatureScheme } from '../registry.js';
import { bytesEqual, utf8 } from '../util/bytes.js';
import { parseCertificate, type Certificate } from './certificate.js';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  integer,
  namedBits,
  nullValue,
  octetString,
  oid,
  printableString,
  sequence,
  setOf,
  time,
  utf8String,
} from './der-writer.js';
import { encodePem } from './pem.js';
import { parseIpAddress } from './ip.js';
import { OID } from './oids.js';

// ------------------------------------------------------------------ keys

/** The key types `generatePrivateKey` makes: both sign fast and are accepted by every TLS 1.3 stack. */
export type KeyAlgorithm = 'P-256' | 'Ed25519';

/** P-256's group order n (SEC 2 §2.4.2). */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/**
 * A fresh private key. For P-256 the scalar is drawn by rejection sampling
 * (FIPS 186-5 A.2.2 style: 32 random bytes, retried when 0 or ≥ n, which
 * happens with probability about 2^-32), so it is uniform in [1, n-1]. For
 * Ed25519 the private key is simply a 32-byte random seed (RFC 8032 §5.1.5).
 */
export function generatePrivateKey(algorithm: KeyAlgorithm, random: RandomSource): PrivateKey {
  if (algorithm === 'Ed25519') return { kind: 'ed25519', seed: checkedRandom(random, 32) };
  for (let attempt = 0; attempt < 64; attempt++) {
    const d = checkedRandom(random, 32);
    let value = 0n;
    for (const b of d) value = (value << 8n) | BigInt(b);
    if (value !== 0n && value < P256_ORDER) return { kind: 'ec', curve: 'P-256', d };
  }
  throw new Error('generatePrivateKey: the random source keeps producing out-of-range scalars; is it broken?');
}

function checkedRandom(random: RandomSource, length: number): Uint8Array {
  const bytes = random(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new Error(`random source returned ${bytes.length} bytes, ${length} were asked for`);
  }
  return bytes;
}

/** The public half of a private key (for EC keys the uncompressed point of RFC 5480 §2.2). */
export function publicKeyFromPrivateKey(key: PrivateKey): PublicKey {
  switch (key.kind) {
    case 'ec': {
      const curve = key.curve === 'P-256' ? p256 : p384;
      return { kind: 'ec', curve: key.curve, point: curve.getPublicKey(key.d, false) };
    }
    case 'ed25519':
      return { kind: 'ed25519', key: ed25519.getPublicKey(key.seed) };
    case 'rsa':
      return { kind: 'rsa', n: key.n, e: key.e };
  }
}

/** Whether two public keys are the same key. */
export function samePublicKey(a: PublicKey, b: PublicKey): boolean {
  if (a.kind === 'ec' && b.kind === 'ec') return a.curve === b.curve && bytesEqual(a.point, b.point);
  if (a.kind === 'ed25519' && b.kind === 'ed25519') return bytesEqual(a.key, b.key);
  if (a.kind === 'rsa' && b.kind === 'rsa') return a.n === b.n && a.e === b.e;
  return false;
}

const CURVE_OIDS = { 'P-256': OID.prime256v1, 'P-384': OID.secp384r1 } as const;

/** The AlgorithmIdentifier of a key in SPKI and PKCS#8 (RFC 5480 §2.1.1, RFC 8410 §3, RFC 8017 App. C). */
function keyAlgorithmIdentifier(key: PublicKey | PrivateKey): Uint8Array {
  switch (key.kind) {
    case 'ec':
      return sequence(oid(OID.ecPublicKey), oid(CURVE_OIDS[key.curve]));
    case 'ed25519':
      // RFC 8410 §3: "the parameters MUST be absent".
      return sequence(oid(OID.ed25519));
    case 'rsa':
      // RFC 8017 App. C: rsaEncryption's parameters are NULL.
      return sequence(oid(OID.rsaEncryption), nullValue());
  }
}

/** SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) as DER. */
export function encodeSubjectPublicKeyInfo(key: PublicKey): Uint8Array {
  return sequence(keyAlgorithmIdentifier(key), bitString(subjectPublicKeyBits(key)));
}

/** The contents of SubjectPublicKeyInfo's BIT STRING (what key identifiers hash). */
function subjectPublicKeyBits(key: PublicKey): Uint8Array {
  switch (key.kind) {
    case 'ec':
      return key.point;
    case 'ed25519':
      return key.key;
    case 'rsa':
      return sequence(integer(key.n), integer(key.e));
  }
}

/**
 * A private key as PKCS#8 PrivateKeyInfo DER (RFC 5958 §2, version 0). EC keys
 * wrap an ECPrivateKey (RFC 5915 §3) that repeats the public point, as
 * OpenSSL writes it; Ed25519 keys wrap the seed as CurvePrivateKey (RFC 8410 §7).
 */
export function encodePrivateKeyPkcs8(key: PrivateKey): Uint8Array {
  return sequence(integer(0), keyAlgorithmIdentifier(key), octetString(privateKeyContents(key)));
}

function privateKeyContents(key: PrivateKey): Uint8Array {
  switch (key.kind) {
    case 'ec': {
      const pub = publicKeyFromPrivateKey(key);
      if (pub.kind !== 'ec') throw new Error('unreachable: EC key without EC public key');
      return sequence(integer(1), octetString(key.d), explicit(1, bitString(pub.point)));
    }
    case 'ed25519':
      return octetString(key.seed);
    case 'rsa':
      // RSAPrivateKey (RFC 8017 A.1.2), version 0: two primes.
      return sequence(
        integer(0),
        integer(key.n),
        integer(key.e),
        integer(key.d),
        integer(key.p),
        integer(key.q),
        integer(key.dp),
        integer(key.dq),
        integer(key.qinv),
      );
  }
}

/** A private key as a "PRIVATE KEY" PEM block (RFC 7468 §10), the form every TLS stack reads. */
export function encodePrivateKeyPem(key: PrivateKey): string {
  return encodePem('PRIVATE KEY', encodePrivateKeyPkcs8(key));
}

/** A certificate as a "CERTIFICATE" PEM block (RFC 7468 §5). */
export function encodeCertificatePem(der: Uint8Array): string {
  return encodePem('CERTIFICATE', der);
}

/**
 * Key identifier per RFC 7093 §2 method 1: the leftmost 160 bits of the
 * SHA-256 hash of the subjectPublicKey BIT STRING value.
 */
export function keyIdentifier(key: PublicKey, provider: CryptoProvider): Uint8Array {
  return provider.hash('SHA-256').digest(subjectPublicKeyBits(key)).slice(0, 20);
}

// ------------------------------------------------------------------ names

/** The attributes of a distinguished name we write, most significant first when encoded. */
export interface NameSpec {
  readonly country?: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly commonName?: string;
}

const ATTRIBUTE_OIDS = {
  country: '2.5.4.6',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  commonName: '2.5.4.3',
} as const;

/**
 * A Name as DER: one attribute per RDN in the order C, O, OU, CN (RFC 4519's
 * customary order). Country is a PrintableString of two letters (RFC 5280
 * App. A, X520countryName); the rest are UTF8String, as RFC 5280 §4.1.2.4
 * asks of new certificates.
 */
export function encodeName(name: NameSpec | string): Uint8Array {
  const spec: NameSpec = typeof name === 'string' ? { commonName: name } : name;
  const rdns: Uint8Array[] = [];
  if (spec.country !== undefined) {
    if (!/^[A-Z]{2}$/.test(spec.country)) throw new Error(`country must be two capital letters (ISO 3166), got "${spec.country}"`);
    rdns.push(setOf(sequence(oid(ATTRIBUTE_OIDS.country), printableString(spec.country))));
  }
  for (const field of ['organization', 'organizationalUnit', 'commonName'] as const) {
    const value = spec[field];
    if (value === undefined) continue;
    // RFC 5280 App. A upper bounds: ub-organization-name 64, ub-common-name 64.
    if (value.length === 0 || value.length > 64) throw new Error(`${field} must be 1..64 characters, got ${value.length}`);
    rdns.push(setOf(sequence(oid(ATTRIBUTE_OIDS[field]), utf8String(value))));
  }
  return sequence(...rdns);
}

// ------------------------------------------------------------ certificates

export type IssueUsage = 'server' | 'client' | 'both' | 'ca';

export interface CertificateTemplate {
  /** The subject's distinguished name; a string is a Common Name. May be empty ({}) for a leaf with SANs. */
  readonly subject: NameSpec | string;
  /** The issuing CA's certificate (parsed or DER); omit for a self-signed certificate. */
  readonly issuer?: Certificate | Uint8Array;
  /**
   * The key that signs: the issuing CA's private key, or for a self-signed
   * certificate the subject's own private key. P-256 and P-384 sign with
   * ECDSA (ecdsa-with-SHA256/384), Ed25519 with Ed25519, RSA with PKCS#1 v1.5
   * and SHA-256 (sha256WithRSAEncryption).
   */
  readonly issuerKey: PrivateKey;
  /** The subject's public key, which the certificate binds to the subject. */
  readonly publicKey: PublicKey;
  /** Positive, at most 20 octets (RFC 5280 §4.1.2.2); default 128 random bits. */
  readonly serial?: bigint;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Make a CA certificate even when `usage` is not 'ca' (e.g. an intermediate limited to serverAuth). */
  readonly isCA?: boolean;
  /** For a CA: how many intermediate CAs may follow it (basicConstraints pathLenConstraint). */
  readonly pathLen?: number;
  readonly dnsNames?: readonly string[];
  /** IPv4 or IPv6 literals. */
  readonly ipAddresses?: readonly string[];
  /** What the key may do: 'server' / 'client' / 'both' set extKeyUsage; 'ca' makes a CA without one. */
  readonly usage: IssueUsage;
  /** Signs, hashes (key identifiers) and supplies randomness (serial, ECDSA nonces). */
  readonly provider: CryptoProvider;
}

/** The signature algorithm used for each kind of issuer key. */
function signatureAlgorithmFor(key: PrivateKey): { scheme: number; identifier: Uint8Array } {
  switch (key.kind) {
    case 'ec':
      // RFC 5758 §3.2: the parameters field MUST be absent for ecdsa-with-SHA*.
      return key.curve === 'P-256'
        ? { scheme: SignatureScheme.ecdsa_secp256r1_sha256, identifier: sequence(oid(OID.ecdsaWithSHA256)) }
        : { scheme: SignatureScheme.ecdsa_secp384r1_sha384, identifier: sequence(oid(OID.ecdsaWithSHA384)) };
    case 'ed25519':
      // RFC 8410 §3: the same OID as the key, parameters absent.
      return { scheme: SignatureScheme.ed25519, identifier: sequence(oid(OID.ed25519)) };
    case 'rsa':
      // RFC 8017 App. C / RFC 4055 §5: sha256WithRSAEncryption with NULL parameters.
      return { scheme: SignatureScheme.rsa_pkcs1_sha256, identifier: sequence(oid(OID.sha256WithRSAEncryption), nullValue()) };
  }
}

/** A random serial: 16 bytes, top bit clear so the INTEGER is positive, never zero (RFC 5280 §4.1.2.2). */
function randomSerial(random: RandomSource): bigint {
  const bytes = checkedRandom(random, 16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** A dNSName in preferred name syntax (RFC 5280 §4.2.1.6, RFC 1034 §3.5), optionally with a leading "*." wildcard label. */
function checkDnsName(name: string): string {
  const lower = name.toLowerCase();
  const labels = lower.split('.');
  const wildcard = labels[0] === '*';
  const body = wildcard ? labels.slice(1) : labels;
  const ok =
    lower.length <= 253 &&
    body.length >= (wildcard ? 2 : 1) &&
    body.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l));
  if (!ok) throw new Error(`"${name}" is not a valid DNS name for a certificate (letters, digits, hyphens; "*." only as the first label)`);
  return lower;
}

function extension(oidText: string, critical: boolean, value: Uint8Array): Uint8Array {
  // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
  return critical ? sequence(oid(oidText), boolean(true), octetString(value)) : sequence(oid(oidText), octetString(value));
}

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KU = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/**
 * Builds and signs an X.509 v3 certificate; returns its DER. Throws an Error
 * whose message says what to change when the template does not make sense
 * (a server certificate without a name, an issuer key that does not match
 * the issuer certificate, an issuer that is not a CA, ...).
 */
export async function createCertificate(template: CertificateTemplate): Promise<Uint8Array> {
  const { provider, usage } = template;
  if (template.isCA === false && usage === 'ca') throw new Error('usage "ca" contradicts isCA: false');
  const isCA = usage === 'ca' || template.isCA === true;
  const notBefore = wholeSeconds(template.notBefore);
  const notAfter = wholeSeconds(template.notAfter);
  if (notAfter.getTime() <= notBefore.getTime()) throw new Error('notAfter must be later than notBefore');

  const dnsNames = (template.dnsNames ?? []).map(checkDnsName);
  const ipAddresses = (template.ipAddresses ?? []).map((text) => {
    const bytes = parseIpAddress(text.trim());
    if (!bytes) throw new Error(`"${text}" is not an IPv4 or IPv6 address`);
    return bytes;
  });
  if ((usage === 'server' || usage === 'both') && !isCA && dnsNames.length + ipAddresses.length === 0) {
    // Clients match the server name only against subjectAltName (RFC 6125 §6.4.4), never the CN.
    throw new Error('a server certificate needs at least one DNS name or IP address (subjectAltName)');
  }
  if (template.pathLen !== undefined && (!isCA || !Number.isInteger(template.pathLen) || template.pathLen < 0)) {
    throw new Error('pathLen is a non-negative integer, and only for CA certificates');
  }

  const serial = template.serial ?? randomSerial(provider.random);
  if (serial <= 0n || serial >= 1n << 159n) throw new Error('serial must be positive and fit in 20 octets (RFC 5280 §4.1.2.2)');

  const subjectName = encodeName(template.subject);
  const subjectId = keyIdentifier(template.publicKey, provider);
  const { issuerName, authorityId } = issuerOf(template, subjectName, subjectId);
  const algorithm = signatureAlgorithmFor(template.issuerKey);
  const signer = provider.signature(algorithm.scheme);
  if (!signer) throw new Error(`the crypto provider cannot sign with scheme 0x${algorithm.scheme.toString(16)}`);

  const extensions = [
    // basicConstraints is critical so that no verifier mistakes a leaf for a CA (RFC 5280 §4.2.1.9).
    extension(
      OID.basicConstraints,
      true,
      isCA ? sequence(boolean(true), ...(template.pathLen !== undefined ? [integer(template.pathLen)] : [])) : sequence(),
    ),
    extension(OID.keyUsage, true, namedBits(keyUsageBits(isCA, template.publicKey))),
    ...(usage === 'ca' ? [] : [extension(OID.extKeyUsage, false, sequence(...ekuOids(usage).map(oid)))]),
    extension(OID.subjectKeyIdentifier, false, octetString(subjectId)),
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... }
    extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, authorityId))),
  ];
  if (dnsNames.length + ipAddresses.length > 0) {
    const names = [
      ...dnsNames.map((d) => implicitPrimitive(2, ia5Contents(d))), // dNSName [2] IA5String
      ...ipAddresses.map((ip) => implicitPrimitive(7, ip)), // iPAddress [7] OCTET STRING
    ];
    // §4.2.1.6: with an empty subject the SAN is the only identity and MUST be critical.
    const emptySubject = subjectName.length === 2;
    extensions.push(extension(OID.subjectAltName, emptySubject, sequence(...names)));
  }

  const tbs = sequence(
    explicit(0, integer(2)), // version v3
    integer(serial),
    algorithm.identifier,
    issuerName,
    sequence(time(notBefore), time(notAfter)),
    subjectName,
    encodeSubjectPublicKeyInfo(template.publicKey),
    explicit(3, sequence(...extensions)),
  );
  const signature = await signer.sign(template.issuerKey, tbs, provider.random);
  return sequence(tbs, algorithm.identifier, bitString(signature));
}

function wholeSeconds(date: Date): Date {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new Error('invalid Date in certificate validity');
  return new Date(ms - (((ms % 1000) + 1000) % 1000));
}

/** IA5String contents; checkDnsName has already limited the name to ASCII letters, digits, '-', '.', '*'. */
function ia5Contents(text: string): Uint8Array {
  return utf8(text);
}

/** The issuer's name and key identifier: the CA's, or our own for a self-signed certificate. */
function issuerOf(
  template: CertificateTemplate,
  subjectName: Uint8Array,
  subjectId: Uint8Array,
): { issuerName: Uint8Array; authorityId: Uint8Array } {
  const signingPublic = publicKeyFromPrivateKey(template.issuerKey);
  if (template.issuer === undefined) {
    if (!samePublicKey(signingPublic, template.publicKey)) {
      throw new Error('self-signed: issuerKey must be the private key of publicKey (or pass the issuing CA as `issuer`)');
    }
    return { issuerName: subjectName, authorityId: subjectId };
  }
  const issuer = template.issuer instanceof Uint8Array ? parseCertificate(template.issuer) : template.issuer;
  if (!issuer.publicKey || !samePublicKey(signingPublic, issuer.publicKey)) {
    throw new Error(`issuerKey is not the private key of the issuer certificate (${issuer.subject.text || 'no subject'})`);
  }
  if (!issuer.basicConstraints?.ca) {
    throw new Error(`the issuer certificate (${issuer.subject.text || 'no subject'}) is not a CA: verifiers would reject what it signs`);
  }
  return {
    issuerName: issuer.subject.raw,
    authorityId: issuer.subjectKeyIdentifier ?? keyIdentifier(issuer.publicKey, template.provider),
  };
}

/**
 * keyUsage: a CA signs certificates (and CRLs, and, as OpenSSL's CAs do,
 * may sign OCSP responses with digitalSignature); a leaf signs
 * CertificateVerify (digitalSignature), plus keyEncipherment for RSA keys,
 * which TLS 1.2 peers expect.
 */
function keyUsageBits(isCA: boolean, key: PublicKey): number[] {
  if (isCA) return [KU.digitalSignature, KU.keyCertSign, KU.cRLSign];
  return key.kind === 'rsa' ? [KU.digitalSignature, KU.keyEncipherment] : [KU.digitalSignature];
}

function ekuOids(usage: Exclude<IssueUsage, 'ca'>): string[] {
  switch (usage) {
    case 'server':
      return [OID.serverAuth];
    case 'client':
      return [OID.clientAuth];
    case 'both':
      return [OID.serverAuth, OID.clientAuth];
  }
}

/** Concatenated PEM certificates, leaf first: the form servers load as a chain. */
export function encodeCertificateChainPem(chain: readonly Uint8Array[]): string {
  return chain.map(encodeCertificatePem).join('');
}
