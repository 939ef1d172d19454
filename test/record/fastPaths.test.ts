/**
 * The record layer's bulk-data fast paths agree byte for byte with the
 * straightforward constructions they replace:
 * - sealing into the record itself, with and without the provider's optional
 *   AeadKey.sealInto, gives header ‖ AEAD-Seal(nonce, content ‖ type ‖ zeros, header);
 * - the Number-backed sequence number gives the §5.3 nonces of the BigInt
 *   formula at every value, across 2^32, and up to exhaustion at 2^64;
 * - records read as views of the deframer's buffer (nextTransient) are the
 *   records next() returns, and what the layer hands up never shares that
 *   buffer, even with a provider that decrypts in place.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AeadKey, AeadName, CryptoProvider } from '../../src/crypto/provider.js';
import { concat, toHex } from '../../src/util/bytes.js';
import { encodeRecordHeader, RecordDeframer } from '../../src/record/framing.js';
import { RecordLayer, type RecordItem } from '../../src/record/layer.js';
import { perRecordNonce, RecordOpener, RecordSealer, type TrafficKeys } from '../../src/record/protection.js';
import { AEADS, expectAlert, splitAt, testKeys } from './helpers.js';
import { providers } from './providers.js';
import { block, section } from './rfc8448.js';

/** §5.3 as written: the sequence number, byte by byte, XORed into the IV's last 8 bytes. */
function referenceNonce(iv: Uint8Array, sequence: bigint): Uint8Array {
  const nonce = iv.slice();
  for (let i = 0; i < 8; i++) nonce[nonce.length - 1 - i]! ^= Number((sequence >> BigInt(8 * i)) & 0xffn);
  return nonce;
}

/** header ‖ seal(content ‖ type ‖ zeros), built the plain way from the provider's seal(). */
function referenceRecord(
  provider: CryptoProvider,
  aead: AeadName,
  keys: TrafficKeys,
  sequence: bigint,
  type: number,
  content: Uint8Array,
  padding: number,
): Uint8Array {
  const inner = new Uint8Array(content.length + 1 + padding);
  inner.set(content);
  inner[content.length] = type;
  const a = provider.aead(aead);
  const header = encodeRecordHeader(23, 0x0303, inner.length + a.tagLength);
  return concat(header, a.importKey(keys.key).seal(referenceNonce(keys.iv, sequence), inner, header));
}

/**
 * `provider` with sealInto added, implemented on its own seal(): it reads the
 * whole plaintext first, as the contract asks when plaintext lies inside
 * output. Counts the calls, so a test can see the path was taken.
 */
function withSealInto(provider: CryptoProvider): { provider: CryptoProvider; calls: () => number } {
  let calls = 0;
  const wrapped: CryptoProvider = {
    ...provider,
    aead(name) {
      const aead = provider.aead(name);
      return {
        ...aead,
        importKey(key): AeadKey {
          const inner = aead.importKey(key);
          return {
            seal: (nonce, plaintext, aad) => inner.seal(nonce, plaintext, aad),
            open: (nonce, ciphertext, aad) => inner.open(nonce, ciphertext, aad),
            sealInto(nonce, plaintext, aad, output) {
              calls++;
              expect(output.length).toBe(plaintext.length + aead.tagLength);
              output.set(inner.seal(nonce, plaintext, aad));
            },
          };
        },
      };
    },
  };
  return { provider: wrapped, calls: () => calls };
}

/**
 * `provider` whose open() decrypts in place: the plaintext is written over
 * the ciphertext it was given and returned as a view of it.
 */
function decryptingInPlace(provider: CryptoProvider): CryptoProvider {
  return {
    ...provider,
    aead(name) {
      const aead = provider.aead(name);
      return {
        ...aead,
        importKey(key): AeadKey {
          const inner = aead.importKey(key);
          return {
            seal: (nonce, plaintext, aad) => inner.seal(nonce, plaintext, aad),
            open(nonce, ciphertext, aad) {
              const plaintext = inner.open(nonce, ciphertext, aad);
              if (plaintext === null) return null;
              ciphertext.set(plaintext);
              return ciphertext.subarray(0, plaintext.length);
            },
          };
        },
      };
    },
  };
}

/** Sequence numbers where a Number/BigInt representation could go wrong. */
const EDGE_SEQUENCES = [
  0n, 1n, 255n, 256n, 2n ** 24n, 2n ** 31n, 2n ** 32n - 2n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n,
  2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n,
];

describe('perRecordNonce', () => {
  it('property: equals the byte-by-byte formula of §5.3 for every 64-bit sequence number', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (iv, seq) => {
        expect(toHex(perRecordNonce(iv, seq))).toBe(toHex(referenceNonce(iv, seq)));
      }),
      { numRuns: 500 },
    );
    const iv = testKeys('AES-128-GCM', 3).iv;
    for (const seq of EDGE_SEQUENCES) expect(toHex(perRecordNonce(iv, seq)), String(seq)).toBe(toHex(referenceNonce(iv, seq)));
  });
});

describe.each(providers.map((p) => [p.name, p] as const))('fast paths with %s', (_name, provider) => {
  const into = withSealInto(provider);
  const variants = [
    ['seal() and copy', provider],
    ['sealInto()', into.provider],
  ] as const;

  it('RFC 8448 §3 server handshake record through sealInto, byte for byte', () => {
    const rfc3 = section('3.  Simple 1-RTT Handshake');
    const line = '{server}  derive write traffic keys for handshake data';
    const keys = { key: block(rfc3, line, 'key expanded'), iv: block(rfc3, line, 'iv expanded') };
    const finished = '{server}  construct a Finished handshake message';
    const before = into.calls();
    const record = new RecordSealer(into.provider, 'AES-128-GCM', keys).seal(22, block(rfc3, finished, 'payload'));
    expect(toHex(record)).toBe(toHex(block(rfc3, finished, 'complete record')));
    expect(into.calls()).toBe(before + 1);
  });

  describe.each(AEADS)('%s', (aead) => {
    const keys = testKeys(aead, 5);

    it.each(variants)('property: %s gives header ‖ AEAD-Seal(content ‖ type ‖ zeros) for any content, type and padding', (_v, p) => {
      const arb = fc
        .record({
          type: fc.constantFrom(21, 22, 23),
          content: fc.uint8Array({ minLength: 0, maxLength: 2 ** 14 }),
          padFraction: fc.double({ min: 0, max: 1, noNaN: true }),
          seq: fc.constantFrom(...EDGE_SEQUENCES.filter((s) => s < 2n ** 64n - 1n)),
        })
        .filter(({ type, content }) => type === 23 || content.length > 0);
      fc.assert(
        fc.property(arb, ({ type, content, padFraction, seq }) => {
          const padding = Math.floor(padFraction * (2 ** 14 - content.length));
          const sealer = new RecordSealer(p, aead, keys);
          sealer.sequence = seq;
          const contentCopy = content.slice();
          const record = sealer.seal(type, content, padding);
          expect(toHex(record)).toBe(toHex(referenceRecord(provider, aead, keys, seq, type, content, padding)));
          // The caller's content is read, never written.
          expect(toHex(content)).toBe(toHex(contentCopy));
          // Large records own their buffer; small ones are cut from a slab on 8-byte boundaries.
          if (record.length > 2048) {
            expect(record.byteOffset).toBe(0);
            expect(record.buffer.byteLength).toBe(record.length);
          } else {
            expect(record.byteOffset % 8).toBe(0);
          }
        }),
        { numRuns: 40 },
      );
    });

    it.each(variants)('%s: small records from the shared slab never share bytes, and a later one leaves earlier ones intact', (_v, p) => {
      const sealer = new RecordSealer(p, aead, keys);
      const records: Uint8Array[] = [];
      const copies: string[] = [];
      for (let i = 0; i < 200; i++) {
        // Sizes that straddle slab ends; padding relies on the slab's fresh zeros.
        const record = sealer.seal(23, new Uint8Array(1 + ((i * 37) % 1500)).fill(i & 0xff), i % 7);
        records.push(record);
        copies.push(toHex(record));
      }
      const ranges = records.map((r) => ({ buffer: r.buffer, from: r.byteOffset, to: r.byteOffset + r.length }));
      for (let i = 1; i < ranges.length; i++) {
        const a = ranges[i - 1]!;
        const b = ranges[i]!;
        if (a.buffer === b.buffer) expect(b.from).toBeGreaterThanOrEqual(a.to);
      }
      records.forEach((r, i) => expect(toHex(r)).toBe(copies[i]));
      // Each one still opens (its padding was zeros).
      const opener = new RecordOpener(p, aead, keys);
      records.forEach((r, i) => expect(opener.open(r).content[0]).toBe(i & 0xff));
    });

    it.each(variants)('%s: records across 2^32 and up to 2^64 - 1 use the §5.3 nonces, then the key is exhausted', (_v, p) => {
      for (const start of [2n ** 32n - 2n, 2n ** 53n - 1n, 2n ** 64n - 3n]) {
        const sealer = new RecordSealer(p, aead, keys);
        const opener = new RecordOpener(p, aead, keys);
        sealer.sequence = start;
        opener.sequence = start;
        for (let i = 0n; i < 2n; i++) {
          const content = Uint8Array.of(Number(i), 0xaa);
          const record = sealer.seal(23, content);
          expect(toHex(record)).toBe(toHex(referenceRecord(provider, aead, keys, start + i, 23, content, 0)));
          expect(toHex(opener.open(record).content)).toBe(toHex(content));
        }
        expect(sealer.sequence).toBe(start + 2n);
        expect(opener.sequence).toBe(start + 2n);
      }
      const sealer = new RecordSealer(p, aead, keys);
      sealer.sequence = 2n ** 64n - 1n;
      sealer.seal(23, Uint8Array.of(1)); // the last one allowed
      expect(sealer.sequence).toBe(2n ** 64n);
      expectAlert(() => sealer.seal(23, Uint8Array.of(1)), 'internal_error');
    });
  });

  it('keyUpdateDue compares exactly on both sides of 2^32 and 2^53, and follows a changed limit', () => {
    const keys = testKeys('AES-128-GCM', 6);
    for (const limit of [3n, 2n ** 32n + 1n, 2n ** 53n + 1n, 2n ** 62n]) {
      const sealer = new RecordSealer(provider, 'AES-128-GCM', keys, { keyUsageLimit: limit });
      sealer.sequence = limit - 2n;
      expect(sealer.keyUpdateDue).toBe(false);
      sealer.seal(23, Uint8Array.of(1));
      expect(sealer.keyUpdateDue).toBe(false);
      sealer.seal(23, Uint8Array.of(1));
      expect(sealer.keyUpdateDue).toBe(true);
      expect(sealer.recordsSealed).toBe(limit);
      sealer.keyUsageLimit = limit + 1n;
      expect(sealer.keyUpdateDue).toBe(false);
      sealer.keyUsageLimit = 0n;
      expect(sealer.keyUpdateDue).toBe(true);
    }
  });

  describe('reading records as views of the deframer buffer', () => {
    it('property: nextTransient() yields the records next() does, for any chunking', () => {
      const record = fc.record({
        type: fc.constantFrom(21, 22, 23),
        body: fc.uint8Array({ minLength: 1, maxLength: 700 }),
      });
      fc.assert(
        fc.property(fc.array(record, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 10 }), (records, cuts) => {
          const stream = concat(...records.map((r) => concat(encodeRecordHeader(r.type, 0x0303, r.body.length), r.body)));
          const copying = new RecordDeframer({ maxBufferedBytes: Infinity });
          const viewing = new RecordDeframer({ maxBufferedBytes: Infinity });
          const seen: string[] = [];
          const expected: string[] = [];
          for (const piece of splitAt(stream, cuts)) {
            copying.push(piece);
            viewing.push(piece);
            for (let r = copying.next(); r; r = copying.next()) expected.push(`${r.type}:${r.version}:${toHex(r.raw)}:${toHex(r.fragment)}`);
            // A view is valid until the next push: read it before then.
            for (let r = viewing.nextTransient(); r; r = viewing.nextTransient()) seen.push(`${r.type}:${r.version}:${toHex(r.raw)}:${toHex(r.fragment)}`);
          }
          expect(seen).toEqual(expected);
          expect(seen.length).toBe(records.length);
        }),
        { numRuns: 200 },
      );
    });

    it.each([
      ['the provider as is', (p: CryptoProvider) => p],
      ['a provider that decrypts in place', decryptingInPlace],
    ] as const)('application data from %s stays intact while more records arrive', (_v, wrap) => {
      const keys = testKeys('CHACHA20-POLY1305', 7);
      const writer = new RecordLayer(provider);
      writer.setWriteKeys('CHACHA20-POLY1305', keys);
      const reader = new RecordLayer(wrap(provider));
      reader.setReadKeys('CHACHA20-POLY1305', keys);
      const sent: Uint8Array[] = [];
      const items: RecordItem[] = [];
      for (let i = 0; i < 40; i++) {
        const data = new Uint8Array(1 + ((i * 977) % 3000)).fill(i + 1);
        sent.push(data);
        writer.writeApplicationData(data);
        // Several records per receive() and records cut across receive() calls.
        if (i % 3 === 2) {
          const bytes = writer.takeOutgoing();
          for (const piece of splitAt(bytes, [bytes.length >> 1, 7])) {
            reader.receive(piece);
            for (let item = reader.nextMessage(); item; item = reader.nextMessage()) items.push(item);
          }
        }
      }
      reader.receive(writer.takeOutgoing());
      for (let item = reader.nextMessage(); item; item = reader.nextMessage()) items.push(item);
      // Only now, after every later record passed through the deframer, look at the data.
      const received = items.map((item) => (item.kind === 'application_data' ? item.data : new Uint8Array(0)));
      expect(toHex(concat(...received))).toBe(toHex(concat(...sent)));
    });
  });
});
