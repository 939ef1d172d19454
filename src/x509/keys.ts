/**
 * Keys as X.509 and PKCS carry them:
 * - SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) → PublicKey: EC P-256/P-384
 *   uncompressed points (RFC 5480), Ed25519 (RFC 8410), RSA (RFC 8017 A.1.1);
 * - private keys: PKCS#8 (RFC 5958), SEC1 ECPrivateKey (RFC 5915) and PKCS#1
 *   RSAPrivateKey (RFC 8017 A.1.2) → PrivateKey.
 */
import type { PrivateKey, PublicKey } from '../crypto/provider.js';
import { readAlgorithmIdentifier, type AlgorithmIdentifier } from './algorithms.js';
import { DerReader, Tag, contextConstructed, decodeOid, parseDer } from './der.js';
import { X509DecodeError } from './errors.js';
import { OID } from './oids.js';

type Curve = 'P-256' | 'P-384';

/** Field size in bytes, and the group order n (SEC 2 §2.4.2, §2.5.1). */
const CURVES: Readonly<Record<Curve, { size: number; order: bigint }>> = {
  'P-256': {
    size: 32,
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  'P-384': {
    size: 48,
    order:
      0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
};

const CURVE_OIDS: Readonly<Record<string, Curve>> = {
  [OID.prime256v1]: 'P-256',
  [OID.secp384r1]: 'P-384',
};

const UNSUPPORTED_KEY_NAMES: Readonly<Record<string, string>> = {
  [OID.ed448]: 'Ed448',
  [OID.x25519]: 'X25519',
  [OID.secp521r1]: 'ECDSA P-521',
  '1.2.840.10040.4.1': 'DSA',
};

export interface SubjectPublicKeyInfo {
  /** The SubjectPublicKeyInfo's DER (what pinning schemes hash). */
  readonly raw: Uint8Array;
  /** The algorithm OID, dotted. */
  readonly algorithm: string;
  /** The key, or null when its type is not one we support. */
  readonly key: PublicKey | null;
  /** For people: "ECDSA P-256", "RSA 2048 bits", "Ed25519", "unsupported (Ed448)". */
  readonly description: string;
}

function fail(message: string): never {
  throw new X509DecodeError(message);
}

export function readSubjectPublicKeyInfo(reader: DerReader, what: string): SubjectPublicKeyInfo {
  const el = reader.expect(Tag.SEQUENCE, what);
  const seq = reader.child(el);
  const alg = readAlgorithmIdentifier(seq, `${what} algorithm`);
  const bits = seq.bitString(`${what} subjectPublicKey`);
  seq.end(what);
  if (bits.unusedBits !== 0) fail(`${what}: subjectPublicKey is not a whole number of bytes`);
  const key = publicKeyFrom(alg, bits.bytes, what);
  return { raw: el.raw, algorithm: alg.oid, key, description: describeKey(alg, key) };
}

function publicKeyFrom(alg: AlgorithmIdentifier, bytes: Uint8Array, what: string): PublicKey | null {
  switch (alg.oid) {
    case OID.ecPublicKey: {
      const curve = namedCurve(alg, what);
      if (!curve) return null;
      const size = CURVES[curve].size;
      // RFC 5480 §2.2: we take the uncompressed form (0x04 || X || Y), as TLS 1.3 does.
      if (bytes.length === 1 + size && (bytes[0] === 0x02 || bytes[0] === 0x03)) return null;
      if (bytes.length !== 1 + 2 * size || bytes[0] !== 0x04) {
        fail(`${what}: ${curve} point must be 0x04 followed by ${2 * size} bytes`);
      }
      return { kind: 'ec', curve, point: bytes };
    }
    case OID.ed25519:
      // RFC 8410 §3: parameters absent; the key is the 32-byte encoded point.
      if (alg.parameters) fail(`${what}: Ed25519 parameters must be absent`);
      if (bytes.length !== 32) fail(`${what}: Ed25519 public key must be 32 bytes, got ${bytes.length}`);
      return { kind: 'ed25519', key: bytes };
    case OID.rsaEncryption:
    case OID.rsassaPss:
      return rsaPublicKey(bytes, what);
    default:
      return null;
  }
}

/** RFC 5480 §2.1.1: the parameters are a namedCurve OID (implicit and specified curves are out). */
function namedCurve(alg: AlgorithmIdentifier, what: string): Curve | undefined {
  const p = alg.parameters;
  if (!p || p.tag !== Tag.OID) fail(`${what}: EC key parameters must be a named curve OID`);
  return CURVE_OIDS[decodeOid(p.contents, `${what} namedCurve`)];
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1). */
function rsaPublicKey(bytes: Uint8Array, what: string): PublicKey {
  const outer = new DerReader(bytes, 1);
  const seq = outer.enter(Tag.SEQUENCE, `${what} RSAPublicKey`);
  outer.end(`${what} RSAPublicKey`);
  const n = seq.integer(`${what} RSA modulus`);
  const e = seq.integer(`${what} RSA exponent`);
  seq.end(`${what} RSAPublicKey`);
  if (n <= 0n || (n & 1n) === 0n) fail(`${what}: RSA modulus must be positive and odd`);
  if (e < 3n || (e & 1n) === 0n) fail(`${what}: RSA exponent must be odd and at least 3`);
  return { kind: 'rsa', n, e };
}

function describeKey(alg: AlgorithmIdentifier, key: PublicKey | null): string {
  if (!key) {
    let name = UNSUPPORTED_KEY_NAMES[alg.oid] ?? alg.oid;
    if (alg.oid === OID.ecPublicKey && alg.parameters?.tag === Tag.OID) {
      const curveOid = decodeOid(alg.parameters.contents, 'namedCurve');
      const known = CURVE_OIDS[curveOid];
      name = UNSUPPORTED_KEY_NAMES[curveOid] ?? (known ? `compressed ${known} point` : `EC curve ${curveOid}`);
    }
    return `unsupported (${name})`;
  }
  switch (key.kind) {
    case 'ec':
      return `ECDSA ${key.curve}`;
    case 'ed25519':
      return 'Ed25519';
    case 'rsa':
      return `RSA ${key.n.toString(2).length} bits`;
  }
}

// ---------------------------------------------------------------- private keys

const ENCRYPTED_HINT = 'encrypted private keys are not supported: decrypt with openssl pkey';

/**
 * Parses a DER private key in any of the three encodings, telling them apart
 * by shape: PKCS#8 is SEQUENCE { INTEGER 0|1, SEQUENCE (algorithm), ... },
 * SEC1 is SEQUENCE { INTEGER 1, OCTET STRING, ... }, PKCS#1 is nine INTEGERs,
 * and EncryptedPrivateKeyInfo starts with a SEQUENCE.
 */
export function parsePrivateKeyDer(der: Uint8Array): PrivateKey {
  const top = parseDer(der, 'private key');
  if (top.tag !== Tag.SEQUENCE) fail('private key: expected a DER SEQUENCE');
  const seq = new DerReader(top.contents, 1);
  const first = seq.peekTag();
  if (first === Tag.SEQUENCE) fail(ENCRYPTED_HINT);
  if (first !== Tag.INTEGER) fail('private key: not PKCS#8, SEC1 or PKCS#1');
  seq.read('private key version');
  const second = seq.peekTag();
  if (second === Tag.SEQUENCE) return parsePkcs8(der);
  if (second === Tag.OCTET_STRING) return parseSec1(der);
  if (second === Tag.INTEGER) return parsePkcs1(der);
  return fail('private key: not PKCS#8, SEC1 or PKCS#1');
}

/**
 * PrivateKeyInfo / OneAsymmetricKey (RFC 5958 §2): version, algorithm,
 * privateKey OCTET STRING, [0] attributes, [1] publicKey.
 */
export function parsePkcs8(der: Uint8Array): PrivateKey {
  const outer = new DerReader(der);
  const seq = outer.enter(Tag.SEQUENCE, 'PKCS#8 PrivateKeyInfo');
  outer.end('PKCS#8 PrivateKeyInfo');
  const version = seq.smallInteger('PKCS#8 version', 1);
  const alg = readAlgorithmIdentifier(seq, 'PKCS#8 privateKeyAlgorithm');
  const inner = seq.octetString('PKCS#8 privateKey');
  seq.optional(contextConstructed(0), 'PKCS#8 attributes');
  if (version === 1) seq.optional(0x81, 'PKCS#8 publicKey');
  seq.end('PKCS#8 PrivateKeyInfo');

  switch (alg.oid) {
    case OID.ecPublicKey: {
      const curve = namedCurve(alg, 'PKCS#8 EC');
      if (!curve) fail('PKCS#8: unsupported EC curve (P-256 and P-384 are supported)');
      return ecPrivateKey(inner, curve);
    }
    case OID.ed25519: {
      // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING, the 32-byte seed.
      if (alg.parameters) fail('PKCS#8: Ed25519 parameters must be absent');
      const r = new DerReader(inner, 1);
      const seed = r.octetString('Ed25519 CurvePrivateKey');
      r.end('Ed25519 CurvePrivateKey');
      if (seed.length !== 32) fail(`Ed25519 private key must be 32 bytes, got ${seed.length}`);
      return { kind: 'ed25519', seed: seed.slice() };
    }
    case OID.rsaEncryption:
    case OID.rsassaPss:
      return parsePkcs1(inner);
    default:
      return fail(`PKCS#8: unsupported key algorithm ${UNSUPPORTED_KEY_NAMES[alg.oid] ?? alg.oid}`);
  }
}

/** "EC PRIVATE KEY" (RFC 5915 §3): the curve must be named in [0] parameters. */
export function parseSec1(der: Uint8Array): PrivateKey {
  return ecPrivateKey(der, undefined);
}

/**
 * ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING,
 * parameters [0] ECParameters OPTIONAL, publicKey [1] BIT STRING OPTIONAL }.
 * Inside PKCS#8 the curve comes from the algorithm; [0], if present, must agree.
 */
function ecPrivateKey(der: Uint8Array, curveFromAlgorithm: Curve | undefined): PrivateKey {
  const outer = new DerReader(der, 1);
  const seq = outer.enter(Tag.SEQUENCE, 'ECPrivateKey');
  outer.end('ECPrivateKey');
  const version = seq.smallInteger('ECPrivateKey version', 255);
  if (version !== 1) fail(`ECPrivateKey: version must be 1, got ${version}`);
  const dBytes = seq.octetString('ECPrivateKey privateKey');
  let curve = curveFromAlgorithm;
  const params = seq.optionalEnter(contextConstructed(0), 'ECPrivateKey parameters');
  if (params) {
    const oid = params.oid('ECPrivateKey namedCurve');
    params.end('ECPrivateKey parameters');
    const named = CURVE_OIDS[oid];
    if (!named) fail(`ECPrivateKey: unsupported curve ${UNSUPPORTED_KEY_NAMES[oid] ?? oid}`);
    if (curve && curve !== named) fail(`ECPrivateKey: curve ${named} contradicts the algorithm's ${curve}`);
    curve = named;
  }
  seq.optional(contextConstructed(1), 'ECPrivateKey publicKey');
  seq.end('ECPrivateKey');
  if (!curve) fail('ECPrivateKey: the curve is not named (no [0] parameters)');

  const { size, order } = CURVES[curve];
  // SEC1 §2.3.7 fixes the length at the field size; tolerate a shorter string by left-padding.
  if (dBytes.length === 0 || dBytes.length > size) fail(`${curve} private key must be ${size} bytes`);
  const d = new Uint8Array(size);
  d.set(dBytes, size - dBytes.length);
  let value = 0n;
  for (const b of d) value = (value << 8n) | BigInt(b);
  if (value === 0n || value >= order) fail(`${curve} private key is out of range`);
  return { kind: 'ec', curve, d };
}

/**
 * RSAPrivateKey (RFC 8017 A.1.2): version 0 (two primes; multi-prime keys
 * are not supported), n, e, d, p, q, dP, dQ, qInv.
 */
export function parsePkcs1(der: Uint8Array): PrivateKey {
  const outer = new DerReader(der, 1);
  const seq = outer.enter(Tag.SEQUENCE, 'RSAPrivateKey');
  outer.end('RSAPrivateKey');
  const version = seq.smallInteger('RSAPrivateKey version', 255);
  if (version !== 0) fail('RSAPrivateKey: multi-prime RSA keys are not supported');
  const field = (name: string): bigint => {
    const v = seq.integer(`RSAPrivateKey ${name}`);
    if (v <= 0n) fail(`RSAPrivateKey: ${name} must be positive`);
    return v;
  };
  const n = field('modulus');
  const e = field('publicExponent');
  const d = field('privateExponent');
  const p = field('prime1');
  const q = field('prime2');
  const dp = field('exponent1');
  const dq = field('exponent2');
  const qinv = field('coefficient');
  seq.end('RSAPrivateKey');
  // A cheap consistency check that catches a corrupted or mismatched key file.
  if (p * q !== n) fail('RSAPrivateKey: modulus is not prime1 * prime2');
  return { kind: 'rsa', n, e, d, p, q, dp, dq, qinv };
}

