/**
 * Big-integer helpers for the public-key code (RSA here, scalar checks for
 * ECDH/ECDSA): the octet-string conversions of RFC 8017 §4 and modular
 * arithmetic on native BigInt.
 *
 * BigInt arithmetic is NOT constant time: the engine's multiplication and
 * division take time that depends on the operands. Callers that handle
 * secrets (RSA signing) must add their own countermeasures; see rsa.ts.
 */

/** OS2IP (RFC 8017 §4.2): big-endian octets to a non-negative integer. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let hex = '';
  for (const b of bytes) hex += (b < 16 ? '0' : '') + b.toString(16);
  return hex === '' ? 0n : BigInt('0x' + hex);
}

/**
 * I2OSP (RFC 8017 §4.1): a non-negative integer to exactly `length`
 * big-endian octets. Returns `undefined` when the integer does not fit
 * ("integer too large"), so verifiers can treat that as an invalid signature.
 */
export function bigIntToBytes(value: bigint, length: number): Uint8Array | undefined {
  if (value < 0n || !Number.isSafeInteger(length) || length < 0) return undefined;
  const hex = value.toString(16);
  if (value !== 0n && hex.length > 2 * length) return undefined;
  const padded = hex.padStart(2 * length, '0');
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(padded.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Like bigIntToBytes, for callers that have already checked the range. */
export function bigIntToBytesExact(value: bigint, length: number): Uint8Array {
  const out = bigIntToBytes(value, length);
  if (out === undefined) throw new Error(`integer does not fit in ${length} octets`);
  return out;
}

/** Number of significant bits (0 for 0). */
export function bitLength(value: bigint): number {
  if (value < 0n) throw new Error('bitLength of a negative integer');
  return value === 0n ? 0 : value.toString(2).length;
}

/** The least non-negative residue of `a` modulo `m`. */
export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/**
 * base^exponent mod modulus with a fixed 4-bit window: for every hex digit of
 * the exponent, four squarings then one multiplication by a table entry
 * (by 1 when the digit is 0). The sequence of operations therefore depends
 * only on the exponent's length, not on its bits; the cost of each BigInt
 * operation still varies with the operand values (see the module comment).
 */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (modulus <= 0n) throw new Error('modPow: modulus must be positive');
  if (exponent < 0n) throw new Error('modPow: negative exponent');
  if (modulus === 1n) return 0n;
  const b = mod(base, modulus);
  const table: bigint[] = [1n, b];
  for (let i = 2; i < 16; i++) table.push((table[i - 1]! * b) % modulus);
  let result = 1n;
  for (const digit of exponent.toString(16)) {
    result = (result * result) % modulus;
    result = (result * result) % modulus;
    result = (result * result) % modulus;
    result = (result * result) % modulus;
    result = (result * table[parseInt(digit, 16)]!) % modulus;
  }
  return result;
}

export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** a^-1 mod m by the extended Euclidean algorithm; undefined if not invertible. */
export function modInverse(a: bigint, m: bigint): bigint | undefined {
  if (m <= 0n) return undefined;
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) return undefined;
  return mod(oldS, m);
}
