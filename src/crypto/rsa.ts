/**
 * RSA signatures for TLS 1.3 on native BigInt (noble has no RSA):
 * RSASSA-PSS sign/verify (RFC 8017 §8.1, EMSA-PSS §9.1) for the
 * rsa_pss_rsae_* schemes, and RSASSA-PKCS1-v1_5 (RFC 8017 §8.2, EMSA-PKCS1-v1_5
 * §9.2), which TLS 1.3 allows only in certificates (RFC 8446 §4.2.3).
 *
 * ## Side channels — read before signing with this module
 *
 * BigInt arithmetic is not constant time: how long a multiplication or a
 * reduction takes depends on the values involved, and the engine gives no
 * guarantee at all. A private-key operation therefore leaks timing. What this
 * module does about it:
 *
 * - **Base blinding** (Kocher 1996): instead of m^d we
 *   compute (m·r^e)^d · r^-1 for a fresh random r. The value being
 *   exponentiated is then uniformly random and unrelated to the message, so an
 *   attacker who chooses or observes messages cannot correlate timings with
 *   them (this defeats the classic chosen-message timing attacks).
 * - **Exponent blinding**: each CRT half uses d_p + k·(p−1) with a fresh
 *   64-bit k (same result, by Fermat), so the exponent bit pattern differs
 *   from one signature to the next and leakage does not accumulate across
 *   signatures as easily.
 * - **Fault check**: the CRT result is verified with the public key before it
 *   is returned. A computation fault in one CRT half would otherwise yield a
 *   signature that reveals a factor of n (the Bellcore attack).
 *
 * None of this makes the code constant time. A local attacker with a
 * fine-grained side channel (cache, branch predictor, power) may still learn
 * key bits. For high-value keys use a hardware-backed or native provider.
 * Verification uses only public data and needs no such care.
 *
 * Key sizes: moduli below `minModulusBits` (2048 by default, NIST SP 800-131A)
 * are refused for both signing and verification; the floor can be lowered to
 * 1024 for replaying old traces such as RFC 8448, never further. Moduli above
 * 16384 bits and public exponents above 2^32 are refused so that a hostile
 * certificate cannot make verification arbitrarily slow.
 */
import type { Hash, HashName, RandomSource } from './provider.js';
import {
  bigIntToBytes,
  bigIntToBytesExact,
  bitLength,
  bytesToBigInt,
  gcd,
  mod,
  modInverse,
  modPow,
} from './bigint.js';

export interface RsaPublicKey {
  readonly n: bigint;
  readonly e: bigint;
}

export interface RsaPrivateKey extends RsaPublicKey {
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qinv: bigint;
}

export interface RsaPolicy {
  /** Smallest modulus accepted for signing and verification, in bits. */
  readonly minModulusBits: number;
}

export const RSA_DEFAULT_MIN_MODULUS_BITS = 2048;
/** The floor below which no policy may go (RFC 8448's traces use 1024). */
export const RSA_ABSOLUTE_MIN_MODULUS_BITS = 1024;
export const RSA_MAX_MODULUS_BITS = 16384;
const MAX_PUBLIC_EXPONENT = 2n ** 32n - 1n;

const DEFAULT_POLICY: RsaPolicy = { minModulusBits: RSA_DEFAULT_MIN_MODULUS_BITS };

// ---------------------------------------------------------------------------
// Key checks

/** Whether a public key is one we are willing to use at all. */
export function isAcceptablePublicKey(key: RsaPublicKey, policy: RsaPolicy = DEFAULT_POLICY): boolean {
  if (typeof key.n !== 'bigint' || typeof key.e !== 'bigint' || key.n <= 0n) return false;
  const bits = bitLength(key.n);
  const minBits = Math.max(policy.minModulusBits, RSA_ABSOLUTE_MIN_MODULUS_BITS);
  return (
    bits >= minBits &&
    bits <= RSA_MAX_MODULUS_BITS &&
    (key.n & 1n) === 1n &&
    key.e >= 3n &&
    (key.e & 1n) === 1n &&
    key.e <= MAX_PUBLIC_EXPONENT &&
    key.e < key.n
  );
}

/**
 * EMSA-PSS needs emLen ≥ hLen + sLen + 2 (RFC 8017 §9.1.1 step 3); with the
 * salt as long as the hash (RFC 8446 §4.2.3) a 1024-bit key cannot do SHA-512.
 */
export function pssFitsModulus(modulusBits: number, hash: Hash): boolean {
  const emLen = Math.ceil((modulusBits - 1) / 8);
  return emLen >= 2 * hash.outputLength + 2;
}

function assertSigningKey(key: RsaPrivateKey, policy: RsaPolicy): void {
  if (!isAcceptablePublicKey(key, policy)) {
    throw new Error(
      `RSA signing key refused: need an odd modulus of ${Math.max(policy.minModulusBits, RSA_ABSOLUTE_MIN_MODULUS_BITS)}..${RSA_MAX_MODULUS_BITS} bits and an odd public exponent 3..2^32-1`,
    );
  }
  if (key.p * key.q !== key.n) throw new Error('RSA private key is inconsistent: p·q ≠ n');
}

// ---------------------------------------------------------------------------
// RSA primitives (RFC 8017 §5.2)

/** RSAVP1: s^e mod n, after checking 0 ≤ s < n (§5.2.2 step 1). */
function rsavp1(key: RsaPublicKey, s: bigint): bigint | undefined {
  if (s < 0n || s >= key.n) return undefined;
  return modPow(s, key.e, key.n);
}

/** A uniformly random integer in [low, high) from the injected random source. */
function randomBelow(high: bigint, low: bigint, random: RandomSource): bigint {
  const bits = bitLength(high);
  const bytes = Math.ceil(bits / 8);
  const excessBits = BigInt(bytes * 8 - bits);
  // Rejection sampling over the smallest power-of-two range holding `high`:
  // fewer than two draws on average. The bound guards a broken source.
  for (let attempt = 0; attempt < 128; attempt++) {
    const candidate = bytesToBigInt(randomBytes(random, bytes)) >> excessBits;
    if (candidate >= low && candidate < high) return candidate;
  }
  throw new Error('random source keeps returning out-of-range values');
}

function randomBytes(random: RandomSource, length: number): Uint8Array {
  const out = random(length);
  if (out.length !== length) throw new Error(`random source returned ${out.length} bytes, wanted ${length}`);
  return out;
}

/**
 * RSASP1 (§5.1.2) with the Chinese Remainder Theorem, base and exponent
 * blinding, and a fault check (see the module comment).
 */
function rsasp1(key: RsaPrivateKey, m: bigint, random: RandomSource): bigint {
  if (m < 0n || m >= key.n) throw new Error('RSASP1: message representative out of range');
  // Blinding factor r with gcd(r, n) = 1, so that r^-1 mod n exists.
  let r = 0n;
  let rInverse: bigint | undefined;
  do {
    r = randomBelow(key.n, 2n, random);
    rInverse = gcd(r, key.n) === 1n ? modInverse(r, key.n) : undefined;
  } while (rInverse === undefined);
  const blinded = (m * modPow(r, key.e, key.n)) % key.n;

  const k1 = bytesToBigInt(randomBytes(random, 8));
  const k2 = bytesToBigInt(randomBytes(random, 8));
  const m1 = modPow(blinded, key.dp + k1 * (key.p - 1n), key.p);
  const m2 = modPow(blinded, key.dq + k2 * (key.q - 1n), key.q);
  const h = mod(key.qinv * (m1 - m2), key.p);
  const blindedSignature = m2 + h * key.q;

  const s = (blindedSignature * rInverse) % key.n;
  if (modPow(s, key.e, key.n) !== m) {
    throw new Error('RSA signature failed its self-check (corrupt key or computation fault); not releasing it');
  }
  return s;
}

// ---------------------------------------------------------------------------
// EMSA-PSS (RFC 8017 §9.1)

/** MGF1 (RFC 8017 §B.2.1) with the given hash. */
export function mgf1(hash: Hash, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const block = new Uint8Array(seed.length + 4);
  block.set(seed);
  let filled = 0;
  for (let counter = 0; filled < length; counter++) {
    new DataView(block.buffer).setUint32(seed.length, counter);
    const digest = hash.digest(block);
    const take = Math.min(digest.length, length - filled);
    out.set(digest.subarray(0, take), filled);
    filled += take;
  }
  return out;
}

/** M' = (0x)00 00 00 00 00 00 00 00 || mHash || salt, then H = Hash(M'). */
function pssHashOfMessagePrime(hash: Hash, mHash: Uint8Array, salt: Uint8Array): Uint8Array {
  const mPrime = new Uint8Array(8 + mHash.length + salt.length);
  mPrime.set(mHash, 8);
  mPrime.set(salt, 8 + mHash.length);
  return hash.digest(mPrime);
}

/** EMSA-PSS-ENCODE (§9.1.1) of an already hashed message. */
export function emsaPssEncode(hash: Hash, mHash: Uint8Array, emBits: number, salt: Uint8Array): Uint8Array {
  const hLen = hash.outputLength;
  const emLen = Math.ceil(emBits / 8);
  if (mHash.length !== hLen) throw new Error('EMSA-PSS: message hash has the wrong length');
  if (emLen < hLen + salt.length + 2) throw new Error('EMSA-PSS: encoding error (modulus too small for this hash)');
  const h = pssHashOfMessagePrime(hash, mHash, salt);
  // DB = PS || 0x01 || salt, PS being zeros.
  const db = new Uint8Array(emLen - hLen - 1);
  db[db.length - salt.length - 1] = 0x01;
  db.set(salt, db.length - salt.length);
  const dbMask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= dbMask[i]!;
  // Clear the leftmost 8·emLen − emBits bits so that EM < 2^emBits < n.
  db[0] &= 0xff >> (8 * emLen - emBits);
  const em = new Uint8Array(emLen);
  em.set(db);
  em.set(h, db.length);
  em[emLen - 1] = 0xbc;
  return em;
}

/** EMSA-PSS-VERIFY (§9.1.2) with a fixed salt length; true = "consistent". */
export function emsaPssVerify(hash: Hash, mHash: Uint8Array, em: Uint8Array, emBits: number, saltLength: number): boolean {
  const hLen = hash.outputLength;
  const emLen = Math.ceil(emBits / 8);
  if (mHash.length !== hLen || em.length !== emLen) return false;
  if (emLen < hLen + saltLength + 2) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((maskedDb[0]! & ~topMask) !== 0) return false;
  const dbMask = mgf1(hash, h, maskedDb.length);
  const db = new Uint8Array(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i]! ^ dbMask[i]!;
  db[0] &= topMask;
  const psLength = emLen - hLen - saltLength - 2;
  for (let i = 0; i < psLength; i++) if (db[i] !== 0) return false;
  if (db[psLength] !== 0x01) return false;
  const salt = db.subarray(db.length - saltLength);
  const hPrime = pssHashOfMessagePrime(hash, mHash, salt);
  let diff = 0;
  for (let i = 0; i < hLen; i++) diff |= hPrime[i]! ^ h[i]!;
  return diff === 0;
}

/**
 * RSASSA-PSS-SIGN (§8.1.1) with MGF1 over the same hash and a salt as long as
 * the hash (RFC 8446 §4.2.3). Random bytes are drawn in this order: the salt,
 * then the blinding values.
 */
export function rsaPssSign(
  key: RsaPrivateKey,
  hash: Hash,
  message: Uint8Array,
  random: RandomSource,
  policy: RsaPolicy = DEFAULT_POLICY,
): Uint8Array {
  assertSigningKey(key, policy);
  const modBits = bitLength(key.n);
  const k = Math.ceil(modBits / 8);
  if (!pssFitsModulus(modBits, hash)) throw new Error(`RSA-PSS with ${hash.name} needs a larger modulus`);
  const salt = randomBytes(random, hash.outputLength);
  const em = emsaPssEncode(hash, hash.digest(message), modBits - 1, salt);
  const s = rsasp1(key, bytesToBigInt(em), random);
  return bigIntToBytesExact(s, k);
}

/** RSASSA-PSS-VERIFY (§8.1.2); false on any malformed key or signature. */
export function rsaPssVerify(
  key: RsaPublicKey,
  hash: Hash,
  message: Uint8Array,
  signature: Uint8Array,
  policy: RsaPolicy = DEFAULT_POLICY,
): boolean {
  if (!isAcceptablePublicKey(key, policy)) return false;
  const modBits = bitLength(key.n);
  const k = Math.ceil(modBits / 8);
  if (signature.length !== k) return false;
  const m = rsavp1(key, bytesToBigInt(signature));
  if (m === undefined) return false;
  const emBits = modBits - 1;
  const em = bigIntToBytes(m, Math.ceil(emBits / 8));
  if (em === undefined) return false;
  return emsaPssVerify(hash, hash.digest(message), em, emBits, hash.outputLength);
}

// ---------------------------------------------------------------------------
// EMSA-PKCS1-v1_5 (RFC 8017 §9.2)

/** DER of DigestInfo up to the digest octets (RFC 8017 §9.2, Note 1). */
const DIGEST_INFO_PREFIX: Readonly<Partial<Record<HashName, Uint8Array>>> = {
  'SHA-256': Uint8Array.of(0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20),
  'SHA-384': Uint8Array.of(0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30),
  'SHA-512': Uint8Array.of(0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40),
};

/** EMSA-PKCS1-v1_5-ENCODE (§9.2): 00 01 FF..FF 00 || DigestInfo. */
export function emsaPkcs1v15Encode(hash: Hash, mHash: Uint8Array, emLen: number): Uint8Array | undefined {
  const prefix = DIGEST_INFO_PREFIX[hash.name];
  if (prefix === undefined || mHash.length !== hash.outputLength) return undefined;
  const tLen = prefix.length + mHash.length;
  if (emLen < tLen + 11) return undefined; // "intended encoded message length too short"
  const em = new Uint8Array(emLen);
  em[1] = 0x01;
  em.fill(0xff, 2, emLen - tLen - 1);
  em.set(prefix, emLen - tLen);
  em.set(mHash, emLen - mHash.length);
  return em;
}

/**
 * RSASSA-PKCS1-V1_5-SIGN (§8.2.1). TLS 1.3 never signs handshakes with it;
 * it is here to make certificates (tests, a small CA).
 */
export function rsaPkcs1Sign(
  key: RsaPrivateKey,
  hash: Hash,
  message: Uint8Array,
  random: RandomSource,
  policy: RsaPolicy = DEFAULT_POLICY,
): Uint8Array {
  assertSigningKey(key, policy);
  const k = Math.ceil(bitLength(key.n) / 8);
  const em = emsaPkcs1v15Encode(hash, hash.digest(message), k);
  if (em === undefined) throw new Error(`RSASSA-PKCS1-v1_5 with ${hash.name} is not possible with this key`);
  return bigIntToBytesExact(rsasp1(key, bytesToBigInt(em), random), k);
}

/**
 * RSASSA-PKCS1-V1_5-VERIFY (§8.2.2). Following the RFC we re-encode the
 * expected EM and compare whole strings, rather than parsing the signature's
 * padding and DigestInfo, which is where lenient parsers have been forged
 * (Bleichenbacher 2006).
 */
export function rsaPkcs1Verify(
  key: RsaPublicKey,
  hash: Hash,
  message: Uint8Array,
  signature: Uint8Array,
  policy: RsaPolicy = DEFAULT_POLICY,
): boolean {
  if (!isAcceptablePublicKey(key, policy)) return false;
  const k = Math.ceil(bitLength(key.n) / 8);
  if (signature.length !== k) return false;
  const m = rsavp1(key, bytesToBigInt(signature));
  if (m === undefined) return false;
  const em = bigIntToBytes(m, k);
  const expected = emsaPkcs1v15Encode(hash, hash.digest(message), k);
  if (em === undefined || expected === undefined) return false;
  let diff = 0;
  for (let i = 0; i < k; i++) diff |= em[i]! ^ expected[i]!;
  return diff === 0;
}
