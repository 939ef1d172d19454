/**
 * Properties: malformed input only ever raises DecodeError (never a
 * TypeError/RangeError), and any input that does decode re-encodes to
 * exactly the same bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, DecodeError, toHex } from '../../src/util/bytes.js';
import { vectorSpec } from '../../src/wire/codec.js';
import {
  type ExtensionContext,
  decodeAlert,
  decodeHandshake,
  encodeHandshake,
  readExtensions,
  truncateClientHelloForBinders,
  replaceClientHelloBinders,
} from '../../src/wire/index.js';
import { anyMessage, clientHello, ext } from './arbitraries.js';

const TYPES = [1, 2, 4, 5, 8, 11, 13, 15, 20, 24, 254];

/** Runs decode; a DecodeError is fine, anything else fails. A success must re-encode identically. */
function decodesCleanly(bytes: Uint8Array): void {
  let decoded;
  try {
    decoded = decodeHandshake(bytes);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    expect(['decode_error', 'illegal_parameter']).toContain(err.alert);
    expect(err.message.length).toBeGreaterThan(0);
    return;
  }
  expect(toHex(encodeHandshake(decoded))).toBe(toHex(bytes));
}

function withHeader(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out.set([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]);
  out.set(body, 4);
  return out;
}

/** Replaces the uint24 length so that the body, not the header, is what is malformed. */
function fixHeader(bytes: Uint8Array): Uint8Array {
  return bytes.length < 4 ? bytes : withHeader(bytes[0]!, bytes.subarray(4));
}

type Mutation = (b: Uint8Array) => Uint8Array;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }).map(({ at, bit }) => (b: Uint8Array) => {
    const out = b.slice();
    if (out.length > 0) out[at % out.length]! ^= 1 << bit;
    return out;
  }),
  fc.nat().map((n) => (b: Uint8Array) => b.slice(0, n % (b.length + 1))),
  fc.nat().map((n) => (b: Uint8Array) => fixHeader(b.slice(0, n % (b.length + 1)))),
  fc.record({ at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }).map(({ at, v }) => (b: Uint8Array) => {
    const i = 4 + (at % Math.max(1, b.length - 3));
    return fixHeader(Uint8Array.of(...b.subarray(0, i), v, ...b.subarray(i)));
  }),
  fc.nat().map((at) => (b: Uint8Array) => {
    const i = 4 + (at % Math.max(1, b.length - 4));
    return fixHeader(Uint8Array.of(...b.subarray(0, i), ...b.subarray(i + 1)));
  }),
  fc.record({ at: fc.nat(), v: fc.constantFrom(0, 1, 0xff, 0xffff, 0x7fff) }).map(({ at, v }) => (b: Uint8Array) => {
    const out = b.slice();
    if (out.length >= 6) {
      const i = 4 + (at % (out.length - 5));
      out[i] = v >> 8;
      out[i + 1] = v & 0xff;
    }
    return out;
  }),
);

describe('decoding never throws anything but DecodeError', () => {
  it('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), decodesCleanly), { numRuns: 2000 });
  });

  it('arbitrary bodies behind a well-formed header of every type', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), fc.uint8Array({ maxLength: 300 }), (type, body) =>
        decodesCleanly(withHeader(type, body)),
      ),
      { numRuns: 2000 },
    );
  });

  it('bit flips, truncations, insertions, deletions of valid messages (1-3 mutations)', () => {
    fc.assert(
      fc.property(anyMessage, fc.array(mutation, { minLength: 1, maxLength: 3 }), (m, mutations) => {
        let bytes = encodeHandshake(m);
        for (const mutate of mutations) bytes = mutate(bytes);
        decodesCleanly(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('extension blocks of arbitrary bytes, in every context', () => {
    const contexts: ExtensionContext[] = [
      'client_hello',
      'server_hello',
      'hello_retry_request',
      'encrypted_extensions',
      'certificate',
      'certificate_request',
      'new_session_ticket',
    ];
    const spec = vectorSpec('block', 2, 0, 0xffff);
    fc.assert(
      fc.property(fc.constantFrom(...contexts), fc.uint8Array({ maxLength: 200 }), (context, bytes) => {
        try {
          readExtensions(new ByteReader(bytes), spec, context);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('alerts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4 }), (bytes) => {
        try {
          const a = decodeAlert(bytes);
          expect(bytes.length).toBe(2);
          expect([a.level, a.description]).toEqual([bytes[0], bytes[1]]);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
        }
      }),
    );
  });

  it('binder helpers on mutated ClientHellos with a pre_shared_key', () => {
    const withPsk = fc
      .tuple(clientHello, ext.preSharedKeyClientHello)
      .map(([ch, psk]) => ({ ...ch, extensions: [...ch.extensions.filter((e) => e.type !== 'pre_shared_key'), psk] }));
    fc.assert(
      fc.property(withPsk, fc.array(mutation, { maxLength: 2 }), (ch, mutations) => {
        let bytes = encodeHandshake(ch);
        for (const mutate of mutations) bytes = mutate(bytes);
        try {
          const prefix = truncateClientHelloForBinders(bytes);
          // The prefix always ends right before the binders list.
          expect(toHex(bytes).startsWith(toHex(prefix))).toBe(true);
          if (mutations.length === 0) {
            const psk = ch.extensions.at(-1);
            if (psk?.type !== 'pre_shared_key' || !('binders' in psk)) throw new Error('no psk');
            const tail = psk.binders.reduce((n, b) => n + 1 + b.length, 2);
            expect(prefix.length).toBe(bytes.length - tail);
            expect(toHex(replaceClientHelloBinders(bytes, psk.binders))).toBe(toHex(bytes));
          }
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
          expect(mutations.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});
