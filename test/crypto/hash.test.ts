import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nobleCrypto } from '../../src/crypto/noble.js';
import type { HashName } from '../../src/crypto/provider.js';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.js';

const HASHES: readonly HashName[] = ['SHA-256', 'SHA-384', 'SHA-512'];
const nodeName = (h: HashName) => h.replace('-', '').toLowerCase();

describe('hashes', () => {
  // FIPS 180-2 Appendix examples: the one-block message "abc".
  it.each([
    ['SHA-256', 32, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['SHA-384', 48, 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7'],
    [
      'SHA-512',
      64,
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    ],
  ] as const)('%s("abc")', (name, length, hex) => {
    const hash = nobleCrypto.hash(name);
    expect(hash.name).toBe(name);
    expect(hash.outputLength).toBe(length);
    expect(toHex(hash.digest(utf8('abc')))).toBe(hex);
    expect(toHex(hash.create().update(utf8('a')).update(utf8('bc')).digest())).toBe(hex);
  });

  it('clone() forks the running state; digest() leaves the context usable', () => {
    const hash = nobleCrypto.hash('SHA-256');
    const ctx = hash.create().update(utf8('hello '));
    const fork = ctx.clone();
    const mid = ctx.digest();
    expect(toHex(mid)).toBe(toHex(hash.digest(utf8('hello '))));
    ctx.update(utf8('world'));
    fork.update(utf8('there'));
    expect(toHex(ctx.digest())).toBe(toHex(hash.digest(utf8('hello world'))));
    expect(toHex(fork.digest())).toBe(toHex(hash.digest(utf8('hello there'))));
    // digest() twice in a row gives the same value
    expect(toHex(ctx.digest())).toBe(toHex(hash.digest(utf8('hello world'))));
  });

  it('matches node:crypto for arbitrary chunked input (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (name, chunks) => {
        const ctx = nobleCrypto.hash(name).create();
        const ref = createHash(nodeName(name));
        for (const c of chunks) {
          ctx.update(c);
          ref.update(c);
        }
        expect(toHex(ctx.digest())).toBe(ref.digest('hex'));
      }),
      { numRuns: 100 },
    );
  });
});

describe('HMAC', () => {
  // RFC 4231 §4.3, test case 2.
  it.each([
    ['SHA-256', '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    ['SHA-384', 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649'],
    [
      'SHA-512',
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    ],
  ] as const)('RFC 4231 test case 2 with %s', (name, hex) => {
    const mac = nobleCrypto.hmac(nobleCrypto.hash(name), utf8('Jefe'), utf8('what do ya want for nothing?'));
    expect(toHex(mac)).toBe(hex);
  });

  it('matches node:crypto for keys shorter and longer than the block (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (name, key, data) => {
        const ours = nobleCrypto.hmac(nobleCrypto.hash(name), key, data);
        expect(toHex(ours)).toBe(createHmac(nodeName(name), key).update(data).digest('hex'));
      }),
      { numRuns: 100 },
    );
  });
});

describe('HKDF (RFC 5869 Appendix A, SHA-256)', () => {
  const sha256 = nobleCrypto.hash('SHA-256');
  const seq = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

  const cases = [
    {
      name: 'A.1 basic',
      ikm: new Uint8Array(22).fill(0x0b),
      salt: seq(0x00, 0x0c),
      info: seq(0xf0, 0xf9),
      length: 42,
      prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
      okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    },
    {
      name: 'A.2 longer inputs and outputs',
      ikm: seq(0x00, 0x4f),
      salt: seq(0x60, 0xaf),
      info: seq(0xb0, 0xff),
      length: 82,
      prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
      okm:
        'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09' +
        'da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    },
    {
      name: 'A.3 zero-length salt and info',
      ikm: new Uint8Array(22).fill(0x0b),
      salt: new Uint8Array(0),
      info: new Uint8Array(0),
      length: 42,
      prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
      okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    },
  ];

  it.each(cases)('$name', ({ ikm, salt, info, length, prk, okm }) => {
    const extracted = nobleCrypto.hkdfExtract(sha256, salt, ikm);
    expect(toHex(extracted)).toBe(prk);
    expect(toHex(nobleCrypto.hkdfExpand(sha256, extracted, info, length))).toBe(okm);
  });

  it('an empty salt is the same as HashLen zero octets (§2.2)', () => {
    const ikm = fromHex('0b0b0b0b');
    expect(toHex(nobleCrypto.hkdfExtract(sha256, new Uint8Array(0), ikm))).toBe(
      toHex(nobleCrypto.hkdfExtract(sha256, new Uint8Array(32), ikm)),
    );
  });

  it('refuses output lengths outside 0..255·HashLen', () => {
    const prk = new Uint8Array(32).fill(1);
    expect(nobleCrypto.hkdfExpand(sha256, prk, new Uint8Array(0), 255 * 32)).toHaveLength(255 * 32);
    expect(nobleCrypto.hkdfExpand(sha256, prk, new Uint8Array(0), 0)).toHaveLength(0);
    expect(() => nobleCrypto.hkdfExpand(sha256, prk, new Uint8Array(0), 255 * 32 + 1)).toThrow(/length/);
    expect(() => nobleCrypto.hkdfExpand(sha256, prk, new Uint8Array(0), -1)).toThrow(/length/);
    expect(() => nobleCrypto.hkdfExpand(sha256, prk, new Uint8Array(0), 1.5)).toThrow(/length/);
    const sha384 = nobleCrypto.hash('SHA-384');
    expect(nobleCrypto.hkdfExpand(sha384, new Uint8Array(48), new Uint8Array(0), 255 * 48)).toHaveLength(255 * 48);
    expect(() => nobleCrypto.hkdfExpand(sha384, new Uint8Array(48), new Uint8Array(0), 255 * 48 + 1)).toThrow(/length/);
  });

  it('refuses a PRK shorter than HashLen (§2.3)', () => {
    expect(() => nobleCrypto.hkdfExpand(sha256, new Uint8Array(31), new Uint8Array(0), 32)).toThrow(/PRK/);
    expect(nobleCrypto.hkdfExpand(sha256, new Uint8Array(33), new Uint8Array(0), 32)).toHaveLength(32);
  });

  it('HKDF-Expand returns the requested length, and shorter outputs are prefixes of longer ones (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HASHES),
        fc.uint8Array({ minLength: 64, maxLength: 100 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.nat({ max: 600 }),
        fc.nat({ max: 600 }),
        (name, prk, info, a, b) => {
          const hash = nobleCrypto.hash(name);
          const [short, long] = a <= b ? [a, b] : [b, a];
          const outShort = nobleCrypto.hkdfExpand(hash, prk, info, short);
          const outLong = nobleCrypto.hkdfExpand(hash, prk, info, long);
          expect(outShort).toHaveLength(short);
          expect(outLong).toHaveLength(long);
          expect(toHex(outLong.subarray(0, short))).toBe(toHex(outShort));
        },
      ),
      { numRuns: 100 },
    );
  });
});
