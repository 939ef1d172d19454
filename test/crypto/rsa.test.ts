import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nobleCrypto } from '../../src/crypto/noble.js';
import {
  bigIntToBytes,
  bitLength,
  bytesToBigInt,
  gcd,
  modInverse,
  modPow,
} from '../../src/crypto/bigint.js';
import {
  emsaPkcs1v15Encode,
  emsaPssEncode,
  emsaPssVerify,
  mgf1,
  rsaPssSign,
  rsaPssVerify,
  type RsaPrivateKey,
} from '../../src/crypto/rsa.js';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.js';
import { rsaKeyPair, seededRandom } from './helpers.js';

const sha256 = nobleCrypto.hash('SHA-256');

/** Plain right-to-left square-and-multiply, as an independent reference. */
function referenceModPow(b: bigint, e: bigint, m: bigint): bigint {
  let result = 1n % m;
  let base = ((b % m) + m) % m;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % m;
    base = (base * base) % m;
    e >>= 1n;
  }
  return result;
}

describe('bigint helpers', () => {
  it('OS2IP / I2OSP round trip and "integer too large"', () => {
    expect(bytesToBigInt(new Uint8Array(0))).toBe(0n);
    expect(bytesToBigInt(fromHex('0001ff'))).toBe(0x1ffn);
    expect(toHex(bigIntToBytes(0x1ffn, 4)!)).toBe('000001ff');
    expect(bigIntToBytes(0x1ffn, 1)).toBeUndefined();
    expect(bigIntToBytes(-1n, 4)).toBeUndefined();
    expect(toHex(bigIntToBytes(0n, 2)!)).toBe('0000');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(toHex(bigIntToBytes(bytesToBigInt(bytes), bytes.length)!)).toBe(toHex(bytes));
      }),
    );
  });

  it('bitLength', () => {
    expect(bitLength(0n)).toBe(0);
    expect(bitLength(1n)).toBe(1);
    expect(bitLength(255n)).toBe(8);
    expect(bitLength(256n)).toBe(9);
  });

  it('modPow agrees with a reference implementation (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 300n }),
        fc.bigInt({ min: 0n, max: 2n ** 200n }),
        fc.bigInt({ min: 1n, max: 2n ** 260n }),
        (b, e, m) => {
          expect(modPow(b, e, m)).toBe(referenceModPow(b, e, m));
        },
      ),
      { numRuns: 300 },
    );
    expect(modPow(5n, 0n, 7n)).toBe(1n);
    expect(modPow(5n, 3n, 1n)).toBe(0n);
    expect(modPow(-2n, 3n, 7n)).toBe(6n);
  });

  it('modInverse and gcd (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 128n }), fc.bigInt({ min: 2n, max: 2n ** 128n }), (a, m) => {
        const inv = modInverse(a, m);
        if (gcd(a, m) === 1n) expect((a * inv!) % m).toBe(1n % m);
        else expect(inv).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('MGF1 and EMSA-PSS', () => {
  it('MGF1 output is Hash(seed || counter) blocks, truncated', () => {
    const seed = utf8('seed');
    const out = mgf1(sha256, seed, 40);
    const block0 = sha256.digest(new Uint8Array([...seed, 0, 0, 0, 0]));
    const block1 = sha256.digest(new Uint8Array([...seed, 0, 0, 0, 1]));
    expect(toHex(out)).toBe(toHex(block0) + toHex(block1).slice(0, 16));
  });

  it('encode then verify succeeds for any emBits, fails for any flipped bit (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8 * 66 + 1, max: 8 * 100 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat(),
        (emBits, mHash, salt, where) => {
          const em = emsaPssEncode(sha256, mHash, emBits, salt);
          expect(em).toHaveLength(Math.ceil(emBits / 8));
          // EM < 2^emBits: the unused top bits are zero
          expect(bitLength(bytesToBigInt(em)) <= emBits).toBe(true);
          expect(emsaPssVerify(sha256, mHash, em, emBits, 32)).toBe(true);
          expect(emsaPssVerify(sha256, mHash, em, emBits, 20)).toBe(false);
          const bad = em.slice();
          const bit = where % emBits;
          const byteIndex = em.length - 1 - Math.floor(bit / 8);
          bad[byteIndex]! ^= 1 << (bit % 8);
          expect(emsaPssVerify(sha256, mHash, bad, emBits, 32)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('encoding refuses a modulus too small for hash + salt', () => {
    expect(() => emsaPssEncode(sha256, new Uint8Array(32), 8 * 65, new Uint8Array(32))).toThrow(/too small/);
  });
});

describe('EMSA-PKCS1-v1_5', () => {
  it('builds 00 01 FF.. 00 || DigestInfo(SHA-256) || hash', () => {
    const h = new Uint8Array(32).fill(0xab);
    const em = emsaPkcs1v15Encode(sha256, h, 64)!;
    expect(toHex(em)).toBe(
      '0001' + 'ff'.repeat(64 - 3 - 19 - 32) + '00' + '3031300d060960864801650304020105000420' + 'ab'.repeat(32),
    );
    expect(emsaPkcs1v15Encode(sha256, h, 19 + 32 + 10)).toBeUndefined(); // fewer than 8 octets of PS
  });
});

describe('RSA private-key operation', () => {
  const kp = rsaKeyPair(2048);
  const key = kp.privateKey as RsaPrivateKey;

  it('a fault in a CRT half is caught before the signature is released', () => {
    const faulty: RsaPrivateKey = { ...key, dp: key.dp + 1n };
    expect(() => rsaPssSign(faulty, sha256, utf8('m'), seededRandom(3))).toThrow(/self-check/);
    const faultyQinv: RsaPrivateKey = { ...key, qinv: key.qinv + 1n };
    expect(() => rsaPssSign(faultyQinv, sha256, utf8('m'), seededRandom(3))).toThrow(/self-check/);
  });

  it('sign/verify round trip for random messages (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.integer({ min: 1, max: 1000 }), (m, seed) => {
        const sig = rsaPssSign(key, sha256, m, seededRandom(seed));
        expect(rsaPssVerify(key, sha256, m, sig)).toBe(true);
      }),
      { numRuns: 10 },
    );
  });
});
