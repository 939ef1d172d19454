/**
 * The native provider's fast paths (src/crypto/node.ts) against the slow
 * ones they replace: the random source, sealInto, the one-block
 * HKDF-Expand and the one-shot digest.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCrypto, nodeRandom } from '../../src/crypto/node.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import type { AeadName, HashName } from '../../src/crypto/provider.js';
import { toHex, utf8 } from '../../src/util/bytes.js';

describe('the native random source (the shared pool over randomFillSync, randomPool.ts)', () => {
  it('returns plain arrays that own their memory, and refuses bad lengths', () => {
    for (const length of [0, 1, 32, 256, 257, 5000]) {
      const out = nodeRandom(length);
      expect(out).toHaveLength(length);
      expect(Buffer.isBuffer(out)).toBe(false);
      expect(out.byteOffset).toBe(0);
      expect(out.buffer.byteLength).toBe(length);
    }
    expect(() => nodeRandom(1.5)).toThrow(/length/);
    expect(() => nodeRandom(Number.NaN)).toThrow(/length/);
  });

  it('the OS pool never repeats a 16-byte draw across several refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(toHex(nodeRandom(16)));
    expect(seen.size).toBe(2000);
  });
});

describe('sealInto', () => {
  const aeads: AeadName[] = ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'];
  for (const name of aeads) {
    it(`${name}: the bytes of seal(), into a separate buffer or over the plaintext itself`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 13 }), fc.integer({ min: 0, max: 16 }), (plaintext, aad, shift) => {
          const aead = nodeCrypto.aead(name);
          const keyBytes = nobleCrypto.random(aead.keyLength);
          const key = aead.importKey(keyBytes);
          const nonce = nobleCrypto.random(12);
          const expected = key.seal(nonce, plaintext, aad);
          expect(expected).toEqual(nobleCrypto.aead(name).importKey(keyBytes).seal(nonce, plaintext, aad));

          const separate = new Uint8Array(plaintext.length + 16);
          key.sealInto!(nonce, plaintext, aad, separate);
          expect(separate).toEqual(expected);

          // The record layer's layout: the plaintext sits inside the output, `shift` bytes in.
          const record = new Uint8Array(plaintext.length + 16);
          const at = Math.min(shift, 16);
          record.set(plaintext, at);
          key.sealInto!(nonce, record.subarray(at, at + plaintext.length), aad, record);
          expect(record).toEqual(expected);
        }),
        { numRuns: 40 },
      );
    });
  }

  it('refuses an output of the wrong length and a wrong nonce', () => {
    const key = nodeCrypto.aead('AES-128-GCM').importKey(new Uint8Array(16));
    expect(() => key.sealInto!(new Uint8Array(12), utf8('abc'), new Uint8Array(0), new Uint8Array(18))).toThrow(/output/);
    expect(() => key.sealInto!(new Uint8Array(12), utf8('abc'), new Uint8Array(0), new Uint8Array(20))).toThrow(/output/);
    expect(() => key.sealInto!(new Uint8Array(11), utf8('abc'), new Uint8Array(0), new Uint8Array(19))).toThrow(/nonce/);
  });
});

describe('one-block HKDF-Expand and one-shot digests', () => {
  const names: HashName[] = ['SHA-256', 'SHA-384', 'SHA-512'];
  const nodeName = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const;

  it('HKDF-Expand equals noble and the RFC 5869 formula for any info and length up to two blocks', () => {
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 130 }), fc.integer({ min: 0, max: 16 }), (name, info, rawLength, extra) => {
        const hash = nodeCrypto.hash(name);
        const length = Math.min(rawLength, 2 * hash.outputLength);
        const prk = nobleCrypto.random(hash.outputLength + extra);
        const got = nodeCrypto.hkdfExpand(hash, prk, info, length);
        expect(got).toEqual(nobleCrypto.hkdfExpand(nobleCrypto.hash(name), prk, info, length));
        // T(1) = HMAC(PRK, info | 0x01), written out with createHmac.
        const t1 = createHmac(nodeName[name], prk).update(info).update(new Uint8Array([1])).digest();
        expect(toHex(got.subarray(0, Math.min(length, hash.outputLength)))).toBe(toHex(t1.subarray(0, Math.min(length, hash.outputLength))));
        expect(Buffer.isBuffer(got)).toBe(false);
        expect(got.byteOffset).toBe(0);
        expect(got.buffer.byteLength).toBe(length);
      }),
      { numRuns: 150 },
    );
  });

  it('the output is the caller’s own: changing it changes nothing for the next call', () => {
    const hash = nodeCrypto.hash('SHA-256');
    const prk = nobleCrypto.random(32);
    const first = nodeCrypto.hkdfExpand(hash, prk, utf8('x'), 32);
    const copy = first.slice();
    first.fill(0);
    expect(nodeCrypto.hkdfExpand(hash, prk, utf8('x'), 32)).toEqual(copy);
  });

  it('one-shot digests equal createHash', () => {
    for (const name of names) {
      for (const data of [new Uint8Array(0), utf8('abc'), nobleCrypto.random(1000)]) {
        expect(toHex(nodeCrypto.hash(name).digest(data))).toBe(createHash(nodeName[name]).update(data).digest('hex'));
      }
    }
  });
});
