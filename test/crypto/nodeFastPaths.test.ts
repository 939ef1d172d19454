/**
 * The native provider's fast paths (src/crypto/node.ts) against the slow
 * ones they replace: the pooled random source, sealInto, the one-block
 * HKDF-Expand and the one-shot digest.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandomPool, nodeCrypto, nodeRandom } from '../../src/crypto/node.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import type { AeadName, HashName } from '../../src/crypto/provider.js';
import { toHex, utf8 } from '../../src/util/bytes.js';

/** A fill that writes a running counter, so every byte of the stream is recognisable. */
function countingFill(): { fill: (into: Uint8Array) => void; fills: number; pools: Uint8Array[]; next: number } {
  const state = {
    fills: 0,
    pools: [] as Uint8Array[],
    next: 0,
    fill(into: Uint8Array): void {
      state.fills++;
      state.pools.push(into);
      for (let i = 0; i < into.length; i++) into[i] = state.next++ & 0xff;
    },
  };
  return state;
}

describe('pooled random source', () => {
  it('hands out consecutive, never-overlapping slices of the filled stream, and refills when short', () => {
    const source = countingFill();
    const random = createRandomPool(source.fill, 256);
    const lengths = [32, 32, 4, 12, 100, 70, 7, 0, 32, 200, 56];
    let expectedStart = 0;
    for (const length of lengths) {
      // A request that does not fit in what is left starts a fresh pool: the rest is skipped, not reused.
      const used = expectedStart % 256;
      if (length > 256 - used && used !== 0) expectedStart += 256 - used;
      const out = random(length);
      expect(out).toHaveLength(length);
      expect(Array.from(out)).toEqual(Array.from({ length }, (_, i) => (expectedStart + i) & 0xff));
      expectedStart += length;
    }
    expect(source.fills).toBe(Math.ceil(expectedStart / 256));
  });

  it('zeroes what it handed out, so the pool keeps no copy of a caller’s key', () => {
    const source = countingFill();
    const random = createRandomPool(source.fill, 256);
    const a = random(32);
    const b = random(12);
    const pool = source.pools[0]!;
    expect(pool.subarray(0, 44).every((x) => x === 0)).toBe(true);
    expect(pool[44]).toBe(44);
    // The caller's copies are untouched by the wipe and by later draws.
    random(200);
    expect(a[31]).toBe(31);
    expect(b[0]).toBe(32);
  });

  it('requests above the pool threshold are filled directly, without touching the pool', () => {
    const source = countingFill();
    const random = createRandomPool(source.fill, 256);
    random(8);
    const big = random(1000);
    expect(big).toHaveLength(1000);
    expect(source.pools[1]).toBe(big);
    // The pool carries on where it was.
    expect(random(1)[0]).toBe(8);
  });

  it('returns plain arrays that own their memory, and refuses bad lengths and tiny pools', () => {
    for (const length of [0, 1, 32, 256, 257, 5000]) {
      const out = nodeRandom(length);
      expect(out).toHaveLength(length);
      expect(Buffer.isBuffer(out)).toBe(false);
      expect(out.byteOffset).toBe(0);
      expect(out.buffer.byteLength).toBe(length);
    }
    expect(() => nodeRandom(1.5)).toThrow(/length/);
    expect(() => nodeRandom(Number.NaN)).toThrow(/length/);
    expect(() => createRandomPool(() => undefined, 16)).toThrow(/pool/);
  });

  it('a failing fill propagates and the next call fills again', () => {
    let fail = true;
    const random = createRandomPool((into) => {
      if (fail) throw new Error('no entropy');
      into.fill(7);
    }, 256);
    expect(() => random(32)).toThrow(/entropy/);
    fail = false;
    expect(Array.from(random(2))).toEqual([7, 7]);
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
