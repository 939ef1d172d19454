import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concat, toHex } from '../../src/util/bytes.js';
import {
  DEFAULT_MAX_BUFFERED_BYTES,
  encodePlaintextRecord,
  encodeRecordHeader,
  RecordDeframer,
  type RawRecord,
} from '../../src/record/framing.js';
import { expectAlert, splitAt } from './helpers.js';
import { block, section } from './rfc8448.js';

const rfc3 = section('3.  Simple 1-RTT Handshake');
const chPayload = block(rfc3, '{client}  send handshake record:', 'payload');
const chRecord = block(rfc3, '{client}  send handshake record:', 'complete record');
const shPayload = block(rfc3, '{server}  send handshake record:', 'payload');
const shRecord = block(rfc3, '{server}  send handshake record:', 'complete record');

function drain(d: RecordDeframer): RawRecord[] {
  const out: RawRecord[] = [];
  for (let r = d.next(); r; r = d.next()) out.push(r);
  return out;
}

describe('encodePlaintextRecord', () => {
  it('reproduces the RFC 8448 §3 ClientHello record (legacy_record_version 0x0301)', () => {
    expect(toHex(encodePlaintextRecord(22, chPayload, 0x0301))).toBe(toHex(chRecord));
  });

  it('reproduces the RFC 8448 §3 ServerHello record (default 0x0303)', () => {
    expect(toHex(encodePlaintextRecord(22, shPayload))).toBe(toHex(shRecord));
  });

  it('refuses fragments over 2^14 and unknown types (caller bugs)', () => {
    expect(encodePlaintextRecord(23, new Uint8Array(2 ** 14)).length).toBe(2 ** 14 + 5);
    expectAlert(() => encodePlaintextRecord(22, new Uint8Array(2 ** 14 + 1)), 'internal_error');
    expectAlert(() => encodePlaintextRecord(24, new Uint8Array(1)), 'internal_error');
    expectAlert(() => encodePlaintextRecord(0, new Uint8Array(1)), 'internal_error');
  });
});

describe('RecordDeframer', () => {
  it('yields the RFC 8448 records fed one byte at a time', () => {
    const d = new RecordDeframer();
    const stream = concat(chRecord, shRecord);
    const got: RawRecord[] = [];
    for (let i = 0; i < stream.length; i++) {
      d.push(stream.subarray(i, i + 1));
      got.push(...drain(d));
      // Nothing is yielded before a record's last byte.
      expect(got.length).toBe((i >= chRecord.length - 1 ? 1 : 0) + (i === stream.length - 1 ? 1 : 0));
    }
    expect(got.map((r) => [r.type, r.version, toHex(r.fragment), toHex(r.raw)])).toEqual([
      [22, 0x0301, toHex(chPayload), toHex(chRecord)],
      [22, 0x0303, toHex(shPayload), toHex(shRecord)],
    ]);
    expect(d.buffered).toBe(0);
  });

  it('yields several coalesced records from one push, keeping a trailing partial one', () => {
    const d = new RecordDeframer();
    const a = encodePlaintextRecord(21, new Uint8Array([2, 40]));
    const b = encodePlaintextRecord(20, new Uint8Array([1]));
    const c = encodePlaintextRecord(23, new Uint8Array(100).fill(7));
    d.push(concat(a, b, c.subarray(0, 50)));
    expect(drain(d).map((r) => toHex(r.raw))).toEqual([toHex(a), toHex(b)]);
    expect(d.buffered).toBe(50);
    d.push(c.subarray(50));
    expect(drain(d).map((r) => toHex(r.raw))).toEqual([toHex(c)]);
  });

  it('property: any split of a record stream yields the same records', () => {
    const record = fc
      .record({
        type: fc.constantFrom(20, 21, 22, 23),
        version: fc.constantFrom(0x0301, 0x0303),
        body: fc.uint8Array({ minLength: 1, maxLength: 600 }),
      })
      .map(({ type, version, body }) => encodePlaintextRecord(type, body, version));
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (recs, cuts) => {
        const d = new RecordDeframer();
        const got: string[] = [];
        for (const piece of splitAt(concat(...recs), cuts)) {
          d.push(piece);
          got.push(...drain(d).map((r) => toHex(r.raw)));
        }
        expect(got).toEqual(recs.map(toHex));
        expect(d.buffered).toBe(0);
      }),
    );
  });

  it('accepts a 2^14-byte plaintext record and a 2^14+256-byte ciphertext record', () => {
    const d = new RecordDeframer();
    d.push(concat(encodeRecordHeader(22, 0x0303, 2 ** 14), new Uint8Array(2 ** 14).fill(1)));
    expect(d.next()?.fragment.length).toBe(2 ** 14);
    d.push(concat(encodeRecordHeader(23, 0x0303, 2 ** 14 + 256), new Uint8Array(2 ** 14 + 256)));
    expect(d.next()?.fragment.length).toBe(2 ** 14 + 256);
  });

  it.each([
    [22, 2 ** 14 + 1],
    [21, 2 ** 14 + 1],
    [20, 0xffff],
    [23, 2 ** 14 + 257],
    [23, 0xffff],
  ])('type %i with length %i is record_overflow from the header alone', (type, length) => {
    const d = new RecordDeframer();
    d.push(encodeRecordHeader(type, 0x0303, length));
    expectAlert(() => d.next(), 'record_overflow');
  });

  it.each([0, 1, 19, 24, 0x47, 0xff])('unknown content type %i is unexpected_message on its first byte', (type) => {
    const d = new RecordDeframer();
    d.push(new Uint8Array([type]));
    expectAlert(() => d.next(), 'unexpected_message');
  });

  it('a plaintext HTTP request is rejected as not TLS', () => {
    const d = new RecordDeframer();
    d.push(new TextEncoder().encode('GET / HTTP/1.1\r\n'));
    const err = expectAlert(() => d.next(), 'unexpected_message');
    expect(err.message).toContain('not speaking TLS');
  });

  it.each([20, 21, 22])('an empty record of type %i is unexpected_message (RFC 8446 §5.1, §5.4)', (type) => {
    const d = new RecordDeframer();
    d.push(encodeRecordHeader(type, 0x0303, 0));
    expectAlert(() => d.next(), 'unexpected_message');
  });

  it('an empty application_data record is framed (protection decides its fate)', () => {
    const d = new RecordDeframer();
    d.push(encodeRecordHeader(23, 0x0303, 0));
    expect(d.next()?.fragment.length).toBe(0);
  });

  it.each([0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0000, 0xffff])(
    'legacy_record_version %i is ignored (RFC 8446 §5.1) and reported',
    (version) => {
      const d = new RecordDeframer();
      d.push(encodePlaintextRecord(22, new Uint8Array([1, 0, 0, 0]), version));
      expect(d.next()?.version).toBe(version);
    },
  );

  it('refuses input while a full record is left unconsumed', () => {
    const d = new RecordDeframer();
    const rec = encodePlaintextRecord(23, new Uint8Array(2 ** 14));
    // A draining caller is never refused.
    for (let i = 0; i < 10; i++) {
      d.push(rec);
      expect(d.next()).toBeDefined();
    }
    // One that does not drain is refused once a record's worth is buffered.
    d.push(rec);
    d.push(rec.subarray(0, DEFAULT_MAX_BUFFERED_BYTES - rec.length));
    expect(d.buffered).toBe(DEFAULT_MAX_BUFFERED_BYTES);
    expectAlert(() => d.push(new Uint8Array([23])), 'internal_error');
    expect(d.next()).toBeDefined();
    d.push(new Uint8Array([23]));
  });
});
