import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concat, toHex } from '../../src/util/bytes.js';
import { encodeRecordHeader } from '../../src/record/framing.js';
import {
  defaultKeyUsageLimit,
  effectiveRecordSizeLimit,
  padToBlockSize,
  perRecordNonce,
  randomPadding,
  RecordOpener,
  RecordSealer,
  type TrafficKeys,
} from '../../src/record/protection.js';
import { AEADS, expectAlert, sealRawInner, testKeys } from './helpers.js';
import { providers } from './providers.js';
import { block, section } from './rfc8448.js';

const rfc3 = section('3.  Simple 1-RTT Handshake');

/** RFC 8448 §3 traffic keys, by the line that introduces them. */
function keysAfter(line: string): TrafficKeys {
  return { key: block(rfc3, line, 'key expanded'), iv: block(rfc3, line, 'iv expanded') };
}
const serverHandshakeKeys = keysAfter('{server}  derive write traffic keys for handshake data');
const clientHandshakeKeys = keysAfter('{server}  derive read traffic keys for handshake data');
const serverAppKeys = keysAfter('{server}  derive write traffic keys for application data');
const clientAppKeys = keysAfter('{client}  derive write traffic keys for application data');

function recordAfter(line: string): { payload: Uint8Array; record: Uint8Array } {
  return { payload: block(rfc3, line, 'payload'), record: block(rfc3, line, 'complete record') };
}

describe('perRecordNonce (RFC 8446 §5.3)', () => {
  const iv = new Uint8Array([0x5d, 0x31, 0x3e, 0xb2, 0x67, 0x12, 0x76, 0xee, 0x13, 0x00, 0x0b, 0x30]);
  it('is the IV itself for sequence 0 and XORs the big-endian sequence into the last 8 bytes', () => {
    expect(toHex(perRecordNonce(iv, 0n))).toBe('5d313eb2671276ee13000b30');
    expect(toHex(perRecordNonce(iv, 1n))).toBe('5d313eb2671276ee13000b31');
    expect(toHex(perRecordNonce(iv, 0x0102030405060708n))).toBe('5d313eb2661075ea16060c38');
    expect(toHex(perRecordNonce(iv, 2n ** 64n - 1n))).toBe('5d313eb298ed8911ecfff4cf');
  });
  it('does not modify the IV', () => {
    perRecordNonce(iv, 12345n);
    expect(toHex(iv)).toBe('5d313eb2671276ee13000b30');
  });
});

describe('effectiveRecordSizeLimit (RFC 8449 §4)', () => {
  it('accepts 64..2^14+1, clamps larger advertised values, refuses smaller ones', () => {
    expect(effectiveRecordSizeLimit(64)).toBe(64);
    expect(effectiveRecordSizeLimit(2 ** 14 + 1)).toBe(2 ** 14 + 1);
    expect(effectiveRecordSizeLimit(65535)).toBe(2 ** 14 + 1);
    expectAlert(() => effectiveRecordSizeLimit(63), 'illegal_parameter');
    expectAlert(() => effectiveRecordSizeLimit(0), 'illegal_parameter');
    expectAlert(() => effectiveRecordSizeLimit(65536), 'illegal_parameter');
  });
});

describe('padding policies', () => {
  it('padToBlockSize pads content + type to a multiple of the block', () => {
    const p = padToBlockSize(32);
    expect([0, 30, 31, 32, 63].map((n) => p(n, 23))).toEqual([31, 1, 0, 31, 0]);
  });
  it('randomPadding stays within [0, max] and uses the injected randomness', () => {
    const p = randomPadding(10, (n) => new Uint8Array(n).fill(0xff));
    expect(p(5, 23)).toBe(0xffffffff % 11);
    const q = randomPadding(100, (n) => crypto.getRandomValues(new Uint8Array(n)));
    const seen = Array.from({ length: 500 }, () => q(1, 23));
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(100);
    expect(new Set(seen).size).toBeGreaterThan(50);
    expect(randomPadding(0, () => { throw new Error('unused'); })(1, 23)).toBe(0);
  });
});

describe.each(providers.map((p) => [p.name, p] as const))('record protection with %s', (_name, provider) => {
  describe('RFC 8448 §3 vectors, byte for byte', () => {
    it('server handshake record (EE, Certificate, CertificateVerify, Finished), seq 0', () => {
      const { payload, record } = recordAfter('{server}  construct a Finished handshake message');
      expect(payload.length).toBe(657);
      const sealer = new RecordSealer(provider, 'AES-128-GCM', serverHandshakeKeys);
      expect(toHex(sealer.seal(22, payload))).toBe(toHex(record));
      expect(sealer.sequence).toBe(1n);
      const opener = new RecordOpener(provider, 'AES-128-GCM', serverHandshakeKeys);
      const opened = opener.open(record);
      expect(opened.type).toBe(22);
      expect(toHex(opened.content)).toBe(toHex(payload));
      expect(opener.sequence).toBe(1n);
    });

    it('client Finished record, seq 0', () => {
      const { payload, record } = recordAfter('{client}  construct a Finished handshake message');
      const sealer = new RecordSealer(provider, 'AES-128-GCM', clientHandshakeKeys);
      expect(toHex(sealer.seal(22, payload))).toBe(toHex(record));
      const opened = new RecordOpener(provider, 'AES-128-GCM', clientHandshakeKeys).open(record);
      expect([opened.type, toHex(opened.content)]).toEqual([22, toHex(payload)]);
    });

    it('server application traffic: NewSessionTicket (0), data (1), close_notify (2)', () => {
      const nst = recordAfter('{server}  construct a NewSessionTicket handshake message');
      const data = recordAfter('{server}  send application_data record:');
      const alert = recordAfter('{server}  send alert record:');
      const sealer = new RecordSealer(provider, 'AES-128-GCM', serverAppKeys);
      const opener = new RecordOpener(provider, 'AES-128-GCM', serverAppKeys);
      for (const [type, r] of [[22, nst], [23, data], [21, alert]] as const) {
        expect(toHex(sealer.seal(type, r.payload))).toBe(toHex(r.record));
        const opened = opener.open(r.record);
        expect([opened.type, toHex(opened.content)]).toEqual([type, toHex(r.payload)]);
      }
      expect([sealer.sequence, opener.sequence]).toEqual([3n, 3n]);
    });

    it('client application traffic: data (0), close_notify (1)', () => {
      const data = recordAfter('{client}  send application_data record:');
      const alert = recordAfter('{client}  send alert record:');
      const sealer = new RecordSealer(provider, 'AES-128-GCM', clientAppKeys);
      expect(toHex(sealer.seal(23, data.payload))).toBe(toHex(data.record));
      expect(toHex(sealer.seal(21, alert.payload))).toBe(toHex(alert.record));
      const opener = new RecordOpener(provider, 'AES-128-GCM', clientAppKeys);
      expect(toHex(opener.open(data.record).content)).toBe(toHex(data.payload));
      expect(toHex(opener.open(alert.record).content)).toBe('0100');
    });

    it('a record is not accepted out of sequence or under the other direction\'s key', () => {
      const data = recordAfter('{client}  send application_data record:');
      const opener = new RecordOpener(provider, 'AES-128-GCM', clientAppKeys);
      opener.sequence = 1n;
      expectAlert(() => opener.open(data.record), 'bad_record_mac');
      expectAlert(() => new RecordOpener(provider, 'AES-128-GCM', serverAppKeys).open(data.record), 'bad_record_mac');
    });
  });

  describe.each(AEADS)('%s', (aead) => {
    const keys = testKeys(aead, 1);

    it('property: seal/open round trip for any content, type, padding and sequence number', () => {
      const arb = fc
        .record({
          type: fc.constantFrom(21, 22, 23),
          content: fc.uint8Array({ minLength: 0, maxLength: 2 ** 14 }),
          padFraction: fc.double({ min: 0, max: 1, noNaN: true }),
          seq: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        })
        .filter(({ type, content }) => type === 23 || content.length > 0);
      fc.assert(
        fc.property(arb, ({ type, content, padFraction, seq }) => {
          const room = 2 ** 14 - content.length;
          const padding = Math.floor(padFraction * room);
          const sealer = new RecordSealer(provider, aead, keys);
          const opener = new RecordOpener(provider, aead, keys);
          sealer.sequence = seq;
          opener.sequence = seq;
          const record = sealer.seal(type, content, padding);
          expect(record.length).toBe(5 + content.length + 1 + padding + 16);
          expect(toHex(record.subarray(0, 5))).toBe(toHex(encodeRecordHeader(23, 0x0303, record.length - 5)));
          const opened = opener.open(record);
          expect(opened.type).toBe(type);
          expect(toHex(opened.content)).toBe(toHex(content));
          expect(opener.sequence).toBe(seq + 1n);
        }),
        { numRuns: 60 },
      );
    });

    it('property: flipping any byte of a sealed record fails with the alert for that position', () => {
      const sealer = new RecordSealer(provider, aead, keys);
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 1, maxLength: 300 }),
          // Header positions are few; draw them often.
          fc.oneof(fc.integer({ min: 0, max: 4 }), fc.nat()),
          fc.integer({ min: 1, max: 255 }),
          (content, rawPos, mask) => {
            sealer.sequence = 7n;
            const record = sealer.seal(22, content);
            const pos = rawPos % record.length;
            const bad = record.slice();
            bad[pos]! ^= mask;
            const opener = new RecordOpener(provider, aead, keys);
            opener.sequence = 7n;
            let expected: 'unexpected_message' | 'bad_record_mac' | 'record_overflow' | 'decode_error';
            if (pos === 0) expected = 'unexpected_message'; // outer type no longer application_data
            else if (pos <= 2) expected = 'bad_record_mac'; // version: ignored, but authenticated as AAD
            else if (pos <= 4) {
              const length = (bad[3]! << 8) | bad[4]!;
              expected = length > 2 ** 14 + 256 ? 'record_overflow' : 'decode_error'; // header/body mismatch
            } else expected = 'bad_record_mac';
            expectAlert(() => opener.open(bad), expected);
            // A failed record does not consume a sequence number.
            expect(opener.sequence).toBe(7n);
            expect(toHex(opener.open(record).content)).toBe(toHex(content));
          },
        ),
        { numRuns: 300 },
      );
    });

    it('strips padding; all-zero inner plaintext is unexpected_message', () => {
      const sealer = new RecordSealer(provider, aead, keys, { padding: padToBlockSize(64) });
      const opener = new RecordOpener(provider, aead, keys);
      const record = sealer.seal(23, new Uint8Array([1, 2, 3]));
      expect(record.length).toBe(5 + 64 + 16);
      expect(toHex(opener.open(record).content)).toBe('010203');
      for (const zeros of [0, 1, 100]) {
        const raw = sealRawInner(provider, aead, keys, new Uint8Array(zeros));
        expectAlert(() => new RecordOpener(provider, aead, keys).open(raw), 'unexpected_message');
      }
    });

    it('rejects protected change_cipher_spec, unknown inner types and empty handshake/alert content', () => {
      for (const inner of [[1, 20], [20], [5, 24, 0, 0], [22], [21, 0, 0], [0, 0, 0, 0]]) {
        const raw = sealRawInner(provider, aead, keys, new Uint8Array(inner));
        expectAlert(() => new RecordOpener(provider, aead, keys).open(raw), 'unexpected_message');
      }
      // An empty application_data record is legal (§5.4).
      const empty = new RecordOpener(provider, aead, keys).open(sealRawInner(provider, aead, keys, new Uint8Array([23, 0])));
      expect([empty.type, empty.content.length]).toEqual([23, 0]);
    });

    it('inner plaintext over 2^14+1, or over a record_size_limit, is record_overflow', () => {
      const over = new Uint8Array(2 ** 14 + 2);
      over[2 ** 14 + 1] = 23; // content 2^14+1 bytes, then the type
      const raw = sealRawInner(provider, aead, keys, over);
      expectAlert(() => new RecordOpener(provider, aead, keys).open(raw), 'record_overflow');

      const sealer = new RecordSealer(provider, aead, keys, { maxInnerPlaintextLength: 200 });
      const limited = new RecordOpener(provider, aead, keys, { maxInnerPlaintextLength: 100 });
      expect(limited.open(sealer.seal(23, new Uint8Array(99))).content.length).toBe(99);
      expectAlert(() => limited.open(sealer.seal(23, new Uint8Array(100))), 'record_overflow');
      expectAlert(() => limited.open(sealer.seal(23, new Uint8Array(10), 90)), 'record_overflow');
    });

    it('a ciphertext over 2^14+256 is record_overflow, shorter than the tag bad_record_mac', () => {
      const opener = new RecordOpener(provider, aead, keys);
      const big = concat(encodeRecordHeader(23, 0x0303, 2 ** 14 + 257), new Uint8Array(2 ** 14 + 257));
      expectAlert(() => opener.open(big), 'record_overflow');
      for (const n of [0, 1, 15, 16]) {
        expectAlert(() => opener.open(concat(encodeRecordHeader(23, 0x0303, n), new Uint8Array(n))), 'bad_record_mac');
      }
      expectAlert(() => opener.open(new Uint8Array([23, 3, 3])), 'decode_error');
    });

    it('the sealer respects a record_size_limit and refuses what does not fit', () => {
      const sealer = new RecordSealer(provider, aead, keys, { maxInnerPlaintextLength: 64 });
      expect(sealer.maxContentLength).toBe(63);
      expect(sealer.seal(23, new Uint8Array(63)).length).toBe(5 + 64 + 16);
      expectAlert(() => sealer.seal(23, new Uint8Array(64)), 'internal_error');
      expectAlert(() => sealer.seal(23, new Uint8Array(10), 54), 'internal_error');
      expect(sealer.seal(23, new Uint8Array(10), 53).length).toBe(5 + 64 + 16);
      // A policy asking for too much is clamped to the limit, not an error.
      sealer.padding = () => 1_000_000;
      expect(sealer.seal(23, new Uint8Array(10)).length).toBe(5 + 64 + 16);
      sealer.padding = () => -5;
      expect(sealer.seal(23, new Uint8Array(10)).length).toBe(5 + 11 + 16);
      sealer.maxInnerPlaintextLength = 2 ** 14 + 1;
      expect(sealer.seal(23, new Uint8Array(2 ** 14), 0).length).toBe(5 + 2 ** 14 + 1 + 16);
      expectAlert(() => sealer.seal(23, new Uint8Array(2 ** 14), 1), 'internal_error');
    });

    it('the sealer refuses change_cipher_spec and empty handshake/alert records', () => {
      const sealer = new RecordSealer(provider, aead, keys);
      expectAlert(() => sealer.seal(20, new Uint8Array([1])), 'internal_error');
      expectAlert(() => sealer.seal(24, new Uint8Array([1])), 'internal_error');
      expectAlert(() => sealer.seal(22, new Uint8Array(0)), 'internal_error');
      expectAlert(() => sealer.seal(21, new Uint8Array(0)), 'internal_error');
      expect(sealer.sequence).toBe(0n);
    });

    it('sequence numbers never wrap (§5.3)', () => {
      const sealer = new RecordSealer(provider, aead, keys);
      const opener = new RecordOpener(provider, aead, keys);
      sealer.sequence = 2n ** 64n - 1n;
      opener.sequence = 2n ** 64n - 1n;
      const last = sealer.seal(23, new Uint8Array([9]));
      expect(toHex(opener.open(last).content)).toBe('09');
      expectAlert(() => sealer.seal(23, new Uint8Array([9])), 'internal_error');
      expectAlert(() => opener.open(last), 'unexpected_message');
    });

    it('reports when a KeyUpdate is due (§5.5)', () => {
      expect(defaultKeyUsageLimit(aead)).toBe(aead === 'CHACHA20-POLY1305' ? 2n ** 62n : 2n ** 24n);
      const sealer = new RecordSealer(provider, aead, keys, { keyUsageLimit: 3n });
      for (let i = 0; i < 3; i++) {
        expect(sealer.keyUpdateDue).toBe(false);
        sealer.seal(23, new Uint8Array([i]));
      }
      expect(sealer.recordsSealed).toBe(3n);
      expect(sealer.keyUpdateDue).toBe(true);
    });

    it('checks key and IV lengths', () => {
      expectAlert(() => new RecordSealer(provider, aead, { key: keys.key.subarray(1), iv: keys.iv }), 'internal_error');
      expectAlert(() => new RecordOpener(provider, aead, { key: keys.key, iv: new Uint8Array(8) }), 'internal_error');
    });
  });
});
