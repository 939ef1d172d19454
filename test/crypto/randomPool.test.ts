import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { systemRandom } from '../../src/crypto/noble.js';
import { createPooledRandom } from '../../src/crypto/randomPool.js';
import { toHex } from '../../src/util/bytes.js';
import { seededRandom } from './helpers.js';

/**
 * A fill function that records every buffer it filled (the pool itself for
 * refills, a fresh array for bypassing requests) and a copy of what it wrote.
 */
function recordingFill(seed: number) {
  const source = seededRandom(seed);
  const fills: { target: Uint8Array; bytes: Uint8Array }[] = [];
  const fill = (buf: Uint8Array) => {
    const bytes = source(buf.length);
    buf.set(bytes);
    fills.push({ target: buf, bytes });
  };
  return { fill, fills };
}

describe('pooled random source (randomPool.ts)', () => {
  it('hands out exactly the CSPRNG bytes, in order, each pool byte at most once (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 100 }), { maxLength: 80 }), fc.integer({ min: 1, max: 2 ** 31 }), (lengths, seed) => {
        const { fill, fills } = recordingFill(seed);
        const random = createPooledRandom({ fill, poolSize: 128, maxPooled: 64 });
        // Where the next pooled bytes must come from: fill number and offset.
        let fillIndex = -1;
        let offset = 0;
        const used = new Set<string>();
        for (const length of lengths) {
          const fillsBefore = fills.length;
          const out = random(length);
          expect(out).toHaveLength(length);
          if (length > 64) {
            // Bypass: one fill of exactly this request, returned as is.
            expect(fills.length).toBe(fillsBefore + 1);
            const f = fills[fills.length - 1]!;
            expect(f.target).toBe(out);
            expect(toHex(out)).toBe(toHex(f.bytes));
            continue;
          }
          if (fills.length > fillsBefore) {
            // A refill: only allowed when what was left could not serve the request.
            expect(fills.length).toBe(fillsBefore + 1);
            expect(fillIndex === -1 || 128 - offset < length).toBe(true);
            fillIndex = fills.length - 1;
            offset = 0;
          }
          const f = fills[fillIndex]!;
          expect(toHex(out)).toBe(toHex(f.bytes.subarray(offset, offset + length)));
          for (let i = offset; i < offset + length; i++) {
            const id = `${fillIndex}:${i}`;
            expect(used.has(id)).toBe(false);
            used.add(id);
            // Handed-out bytes do not stay in the pool.
            expect(f.target[i]).toBe(0);
          }
          offset += length;
        }
      }),
      { numRuns: 200 },
    );
  });

  it('returns independent copies: changing one output changes nothing later', () => {
    const { fill, fills } = recordingFill(42);
    const random = createPooledRandom({ fill, poolSize: 64, maxPooled: 32 });
    const a = random(16);
    a.fill(0xff);
    const b = random(16);
    expect(toHex(b)).toBe(toHex(fills[0]!.bytes.subarray(16, 32)));
  });

  it('a zero-length request consumes nothing; invalid lengths throw', () => {
    const { fill, fills } = recordingFill(7);
    const random = createPooledRandom({ fill, poolSize: 64, maxPooled: 32 });
    expect(random(0)).toHaveLength(0);
    const first = random(8);
    expect(toHex(first)).toBe(toHex(fills[0]!.bytes.subarray(0, 8)));
    expect(random(0)).toHaveLength(0);
    expect(toHex(random(8))).toBe(toHex(fills[0]!.bytes.subarray(8, 16)));
    for (const bad of [-1, 1.5, Number.NaN, Infinity]) expect(() => random(bad)).toThrow(/invalid random length/);
  });

  it('a failing fill propagates and hands out nothing; the next call refills', () => {
    let fail = true;
    let fills = 0;
    const random = createPooledRandom({
      fill: (buf) => {
        fills++;
        if (fail) throw new Error('no entropy');
        buf.fill(0x11);
      },
      poolSize: 32,
      maxPooled: 16,
    });
    expect(() => random(8)).toThrow(/no entropy/);
    fail = false;
    expect(toHex(random(8))).toBe('11'.repeat(8));
    expect(fills).toBe(2);
  });

  it('refuses nonsensical pool settings', () => {
    expect(() => createPooledRandom({ poolSize: 0 })).toThrow(/pool size/);
    expect(() => createPooledRandom({ poolSize: 64, maxPooled: 65 })).toThrow(/limit/);
    expect(() => createPooledRandom({ poolSize: 64, maxPooled: -1 })).toThrow(/limit/);
  });

  it('systemRandom serves small, pooled-limit, and larger-than-one-Web-Crypto-call requests', () => {
    for (const length of [0, 1, 4, 32, 256, 257, 5000, 70000]) {
      const out = systemRandom(length);
      expect(out).toBeInstanceOf(Uint8Array);
      expect(out).toHaveLength(length);
    }
    // 70000 bytes were filled in two Web Crypto calls: the tail is not left zero.
    expect(systemRandom(70000).subarray(65536).some((b) => b !== 0)).toBe(true);
    // Distinct calls give distinct bytes (a 2^-256 chance of a false failure).
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) seen.add(toHex(systemRandom(32)));
    expect(seen.size).toBe(500);
  });
});
