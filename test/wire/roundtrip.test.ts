/**
 * Properties: every valid value of every message and extension survives
 * encode → decode unchanged, and encode → decode → encode is the identity
 * on bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, toHex } from '../../src/util/bytes.js';
import {
  type Extension,
  type ExtensionContext,
  decodeHandshake,
  decodeHandshakeBody,
  encodeHandshake,
  encodeHandshakeBody,
  readExtensions,
  vectorSpec,
  writeExtensions,
} from '../../src/wire/index.js';
import { HandshakeType } from '../../src/registry.js';
import { extensionsByContext, messages } from './arbitraries.js';

describe('handshake messages round-trip', () => {
  for (const [name, arb] of Object.entries(messages)) {
    it(`${name}: decode(encode(m)) equals m, and re-encoding gives the same bytes`, () => {
      fc.assert(
        fc.property(arb, (m) => {
          const wire = encodeHandshake(m);
          const back = decodeHandshake(wire);
          expect(back).toEqual(m);
          expect(toHex(encodeHandshake(back))).toBe(toHex(wire));
        }),
      );
    });
  }

  it('header = msg_type + uint24 body length, and the body codec agrees', () => {
    fc.assert(
      fc.property(fc.oneof(...Object.values(messages)), (m) => {
        const wire = encodeHandshake(m);
        const body = encodeHandshakeBody(m);
        expect(wire[0]).toBe(HandshakeType[m.type]);
        expect((wire[1]! << 16) | (wire[2]! << 8) | wire[3]!).toBe(body.length);
        expect(toHex(wire.subarray(4))).toBe(toHex(body));
        expect(decodeHandshakeBody(wire[0]!, body)).toEqual(m);
      }),
    );
  });
});

describe('each extension round-trips in each context where it is valid', () => {
  const block = vectorSpec('test block', 2, 0, 0xffff);
  for (const [context, arbs] of Object.entries(extensionsByContext) as [
    ExtensionContext,
    Record<string, fc.Arbitrary<Extension>>,
  ][]) {
    for (const [name, arb] of Object.entries(arbs)) {
      it(`${name} in ${context}`, () => {
        fc.assert(
          fc.property(arb, (e) => {
            const w = new ByteWriter();
            writeExtensions(w, block, [e]);
            const wire = w.finish();
            const r = new ByteReader(wire);
            const back = readExtensions(r, block, context);
            expect(r.atEnd).toBe(true);
            expect(back).toEqual([e]);
            const again = new ByteWriter();
            writeExtensions(again, block, back);
            expect(toHex(again.finish())).toBe(toHex(wire));
          }),
          { numRuns: 50 },
        );
      });
    }
  }
});

describe('ByteWriter space', () => {
  it('writers open at once never share bytes, and finish() hands out arrays of their own', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { minLength: 1, maxLength: 40 }), fc.nat({ max: 600 }), (bodies, capacity) => {
        // Open them all first, then write each, then finish in reverse: any
        // overlap between their starting spaces would scramble the outputs.
        const writers = bodies.map(() => new ByteWriter(capacity));
        bodies.forEach((b, i) => writers[i]!.u16(i).vec16(b));
        const outputs = writers.map((w) => w).reverse().map((w) => w.finish()).reverse();
        bodies.forEach((b, i) => {
          const r = new ByteReader(outputs[i]!);
          expect(r.u16()).toBe(i);
          expect(toHex(r.vec16('body'))).toBe(toHex(b));
          r.end('output');
          expect(outputs[i]!.byteOffset).toBe(0);
          expect(outputs[i]!.buffer.byteLength).toBe(outputs[i]!.length);
        });
      }),
      { numRuns: 100 },
    );
  });
});
