import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { expand as nobleExpand } from '@noble/hashes/hkdf.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { cachedExpandKeys, expandKeyFor, hkdfExpandWith, hmacOnce, HmacKey, type NobleHash } from '../../src/crypto/nobleHmac.js';
import type { HashName } from '../../src/crypto/provider.js';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.js';

const IMPLS: readonly (readonly [HashName, NobleHash, string])[] = [
  ['SHA-256', sha256, 'sha256'],
  ['SHA-384', sha384, 'sha384'],
  ['SHA-512', sha512, 'sha512'],
];
const anyHash = fc.constantFrom(...IMPLS);
const nodeHmac = (name: string, key: Uint8Array, data: Uint8Array) => createHmac(name, key).update(data).digest('hex');
const nextMicrotask = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe('HMAC with prepared key blocks (nobleHmac.ts)', () => {
  // RFC 4231 §4.7, test case 6: a 131-byte key, longer than the SHA-256/384/512 blocks, is hashed first.
  const key131 = new Uint8Array(131).fill(0xaa);
  const data6 = utf8('Test Using Larger Than Block-Size Key - Hash Key First');
  it.each([
    [sha256, '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
    [sha384, '4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952'],
    [
      sha512,
      '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598',
    ],
  ] as const)('RFC 4231 test case 6 (key longer than the block), %#', (hash, hex) => {
    expect(toHex(hmacOnce(hash, key131, data6))).toBe(hex);
    const k = new HmacKey(hash, key131);
    expect(toHex(k.mac(data6))).toBe(hex);
    expect(toHex(k.mac(data6.subarray(0, 10), data6.subarray(10, 30), data6.subarray(30)))).toBe(hex);
    k.destroy();
  });

  it('RFC 4231 test case 2 through one HmacKey, several times', () => {
    const k = new HmacKey(sha256, utf8('Jefe'));
    for (let i = 0; i < 3; i++) {
      expect(toHex(k.mac(utf8('what do ya want for nothing?')))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    }
    k.destroy();
  });

  it('hmacOnce and HmacKey.mac (message in up to three parts) match node:crypto (property)', () => {
    fc.assert(
      fc.property(
        anyHash,
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 3 }),
        ([, hash, node], key, parts) => {
          const data = Uint8Array.from(parts.flatMap((p) => [...p]));
          const want = nodeHmac(node, key, data);
          expect(toHex(hmacOnce(hash, key, data))).toBe(want);
          const k = new HmacKey(hash, key);
          expect(toHex(k.mac(parts[0]!, parts[1], parts[2]))).toBe(want);
          expect(toHex(k.mac(data))).toBe(want);
          expect(k.isKey(key)).toBe(true);
          k.destroy();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('isKey compares content: an equal copy matches, any change does not', () => {
    const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const k = new HmacKey(sha256, key);
    expect(k.isKey(key.slice())).toBe(true);
    const changed = key.slice();
    changed[31] ^= 1;
    expect(k.isKey(changed)).toBe(false);
    expect(k.isKey(key.subarray(0, 31))).toBe(false);
    k.destroy();
  });

  it('destroying a key twice does not let two later keys share hash states', () => {
    const a = new HmacKey(sha256, new Uint8Array(32).fill(1));
    a.destroy();
    a.destroy();
    const k1 = new Uint8Array(32).fill(2);
    const k2 = new Uint8Array(32).fill(3);
    const b = new HmacKey(sha256, k1);
    const c = new HmacKey(sha256, k2);
    const msg = utf8('message');
    expect(toHex(b.mac(msg))).toBe(nodeHmac('sha256', k1, msg));
    expect(toHex(c.mac(msg))).toBe(nodeHmac('sha256', k2, msg));
    b.destroy();
    c.destroy();
  });
});

describe('HKDF-Expand fast path (nobleHmac.ts)', () => {
  it('one-block and multi-block outputs match noble’s generic expand (property)', () => {
    fc.assert(
      fc.property(
        anyHash,
        fc.uint8Array({ minLength: 32, maxLength: 160 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.oneof(fc.nat({ max: 64 }), fc.nat({ max: 1200 })),
        ([, hash], prk, info, length) => {
          fc.pre(prk.length >= hash.outputLen);
          const want = toHex(nobleExpand(hash, prk, info, length));
          const k = new HmacKey(hash, prk);
          expect(toHex(hkdfExpandWith(k, info, length))).toBe(want);
          k.destroy();
          expect(toHex(hkdfExpandWith(expandKeyFor(hash, prk), info, length))).toBe(want);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the provider agrees with node:crypto hkdfSync (extract + expand) for every hash (property)', () => {
    fc.assert(
      fc.property(
        anyHash,
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 1, max: 300 }),
        ([name, , node], ikm, salt, info, length) => {
          const hash = nobleCrypto.hash(name);
          const prk = nobleCrypto.hkdfExtract(hash, salt, ikm);
          const ours = nobleCrypto.hkdfExpand(hash, prk, info, length);
          expect(toHex(ours)).toBe(Buffer.from(hkdfSync(node, ikm, salt, info, length)).toString('hex'));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('HKDF-Extract with an all-zero salt (the Early Secret’s) matches HMAC for every zero-salt length', () => {
    const ikm = fromHex('0b0b0b0b0b0b');
    for (const [name, , node] of IMPLS) {
      const hash = nobleCrypto.hash(name);
      for (const len of [0, 1, 20, hash.outputLength, 128, 129, 200]) {
        const salt = new Uint8Array(len);
        expect(toHex(nobleCrypto.hkdfExtract(hash, salt, ikm))).toBe(nodeHmac(node, salt, ikm));
        if (len > 0) {
          salt[len - 1] = 1; // not all zeros: must not take the precomputed key
          expect(toHex(nobleCrypto.hkdfExtract(hash, salt, ikm))).toBe(nodeHmac(node, salt, ikm));
        }
      }
    }
  });
});

describe('short-lived reuse of a PRK’s HMAC key', () => {
  const sha = nobleCrypto.hash('SHA-256');
  const info = utf8('info');

  it('a PRK changed in place is never expanded with its old key', () => {
    const prk = new Uint8Array(32).fill(7);
    const before = nobleCrypto.hkdfExpand(sha, prk, info, 32);
    expect(toHex(before)).toBe(toHex(nobleExpand(sha256, prk, info, 32)));
    prk[0] = 8;
    const after = nobleCrypto.hkdfExpand(sha, prk, info, 32);
    expect(toHex(after)).toBe(toHex(nobleExpand(sha256, prk, info, 32)));
    expect(toHex(after)).not.toBe(toHex(before));
  });

  it('the same array under another hash gets that hash’s key', () => {
    const prk = new Uint8Array(48).fill(9);
    const a = nobleCrypto.hkdfExpand(sha, prk, info, 32);
    const b = nobleCrypto.hkdfExpand(nobleCrypto.hash('SHA-384'), prk, info, 32);
    expect(toHex(a)).toBe(toHex(nobleExpand(sha256, prk, info, 32)));
    expect(toHex(b)).toBe(toHex(nobleExpand(sha384, prk, info, 32)));
  });

  it('keeps at most a few keys, and none past the current synchronous run', async () => {
    await nextMicrotask();
    expect(cachedExpandKeys()).toBe(0);
    const prks = Array.from({ length: 10 }, (_, i) => new Uint8Array(32).fill(i + 1));
    for (const prk of prks) {
      expect(toHex(nobleCrypto.hkdfExpand(sha, prk, info, 16))).toBe(toHex(nobleExpand(sha256, prk, info, 16)));
      expect(cachedExpandKeys()).toBeGreaterThan(0);
      expect(cachedExpandKeys()).toBeLessThanOrEqual(4);
    }
    // Evicted and current entries alike still give the right answer.
    for (const prk of prks) {
      expect(toHex(nobleCrypto.hkdfExpand(sha, prk, info, 12))).toBe(toHex(nobleExpand(sha256, prk, info, 12)));
    }
    await nextMicrotask();
    expect(cachedExpandKeys()).toBe(0);
    // And it works again afterwards.
    expect(toHex(nobleCrypto.hkdfExpand(sha, prks[0]!, info, 32))).toBe(toHex(nobleExpand(sha256, prks[0]!, info, 32)));
  });

  it('interleaved expansions of many PRKs, some changed in place, all match the generic expand (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.uint8Array({ maxLength: 60 }), fc.integer({ min: 0, max: 70 })), { maxLength: 30 }),
        (prks, steps) => {
          for (const [which, mutate, stepInfo, length] of steps) {
            const prk = prks[which % prks.length]!;
            if (mutate) prk[which % 32] ^= 0x5a;
            expect(toHex(nobleCrypto.hkdfExpand(sha, prk, stepInfo, length))).toBe(toHex(nobleExpand(sha256, prk, stepInfo, length)));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
