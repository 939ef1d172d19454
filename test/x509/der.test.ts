import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DerReader,
  MAX_DEPTH,
  Tag,
  decodeBitString,
  decodeInteger,
  decodeOid,
  decodeString,
  decodeTime,
  encodeOid,
  parseDer,
} from '../../src/x509/der.js';
import { X509DecodeError } from '../../src/x509/errors.js';
import { DecodeError, fromHex } from '../../src/util/bytes.js';
import { ascii, tlv } from './helpers.js';

function decodeErr(fn: () => unknown): X509DecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(X509DecodeError);
    expect(e).toBeInstanceOf(DecodeError);
    expect((e as X509DecodeError).alert).toBe('decode_error');
    return e as X509DecodeError;
  }
  throw new Error('expected an X509DecodeError');
}

describe('DER lengths and framing (X.690 §8.1.3, §10.1)', () => {
  it('reads short and long form lengths', () => {
    expect(parseDer(fromHex('0403010203'), 'x').contents).toEqual(fromHex('010203'));
    const long = new Uint8Array(0x80).fill(7);
    const el = parseDer(Uint8Array.from([0x04, 0x81, 0x80, ...long]), 'x');
    expect(el.contents.length).toBe(0x80);
    expect(el.raw.length).toBe(0x83);
    const big = new Uint8Array(0x1234);
    expect(parseDer(Uint8Array.from([0x04, 0x82, 0x12, 0x34, ...big]), 'x').contents.length).toBe(0x1234);
  });

  it('rejects the indefinite length', () => {
    expect(decodeErr(() => parseDer(fromHex('3080020101 0000'), 'thing')).message).toMatch(/thing: indefinite length/);
  });

  it('rejects a long form for a length below 128', () => {
    expect(decodeErr(() => parseDer(fromHex('04 81 03 010203'), 'x')).message).toMatch(/non-minimal length/);
  });

  it('rejects a long form with a leading zero octet', () => {
    const body = new Uint8Array(0x90);
    expect(decodeErr(() => parseDer(Uint8Array.from([0x04, 0x82, 0x00, 0x90, ...body]), 'x')).message).toMatch(
      /non-minimal length/,
    );
  });

  it('rejects lengths of more than four octets', () => {
    expect(decodeErr(() => parseDer(fromHex('04 85 0000000001 00'), 'x')).message).toMatch(/too large/);
  });

  it('rejects truncated elements, lengths and empty input', () => {
    expect(decodeErr(() => parseDer(fromHex('0405 0102'), 'x')).message).toMatch(/truncated \(length 5, only 2/);
    expect(decodeErr(() => parseDer(fromHex('04'), 'x')).message).toMatch(/truncated length/);
    expect(decodeErr(() => parseDer(fromHex('04 82 01'), 'x')).message).toMatch(/truncated length/);
    expect(decodeErr(() => parseDer(new Uint8Array(0), 'x')).message).toMatch(/truncated/);
  });

  it('rejects trailing bytes after the element', () => {
    expect(decodeErr(() => parseDer(fromHex('0500 00'), 'cert')).message).toBe('cert: 1 unexpected trailing bytes');
  });

  it('rejects high-tag-number identifiers', () => {
    expect(decodeErr(() => parseDer(fromHex('1f2100'), 'x')).message).toMatch(/high-tag-number/);
  });

  it('expect() names the field and both tags', () => {
    const r = new DerReader(fromHex('0500'));
    expect(decodeErr(() => r.expect(Tag.INTEGER, 'serialNumber')).message).toBe(
      'serialNumber: expected tag 0x02, found 0x05',
    );
    const empty = new DerReader(new Uint8Array(0));
    expect(decodeErr(() => empty.expect(Tag.INTEGER, 'version')).message).toMatch(/version: missing/);
  });

  it('bounds nesting depth', () => {
    let el = tlv(0x05);
    for (let i = 0; i < MAX_DEPTH + 5; i++) el = tlv(0x30, el);
    let r = new DerReader(el);
    const dive = (): void => {
      for (;;) r = r.enter(Tag.SEQUENCE, 'nested');
    };
    expect(decodeErr(dive).message).toMatch(/deeper than 32 levels/);
  });

  it('property: any contents round-trip through a minimal TLV', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), (body) => {
        const el = parseDer(tlv(Tag.OCTET_STRING, body), 'x');
        expect(el.contents).toEqual(body);
      }),
      { numRuns: 40 },
    );
  });
});

describe('primitive values', () => {
  it('INTEGER: two’s complement, minimal', () => {
    expect(decodeInteger(fromHex('00'), 'i')).toBe(0n);
    expect(decodeInteger(fromHex('7f'), 'i')).toBe(127n);
    expect(decodeInteger(fromHex('0080'), 'i')).toBe(128n);
    expect(decodeInteger(fromHex('ff'), 'i')).toBe(-1n);
    expect(decodeInteger(fromHex('ff7f'), 'i')).toBe(-129n);
    expect(decodeInteger(fromHex('1001'), 'i')).toBe(0x1001n);
    expect(decodeErr(() => decodeInteger(fromHex('007f'), 'serial')).message).toBe('serial: non-minimal INTEGER encoding');
    expect(decodeErr(() => decodeInteger(fromHex('ff80'), 'i')).message).toMatch(/non-minimal/);
    expect(decodeErr(() => decodeInteger(new Uint8Array(0), 'i')).message).toMatch(/empty INTEGER/);
  });

  it('smallInteger bounds', () => {
    expect(new DerReader(fromHex('020102')).smallInteger('v', 2)).toBe(2);
    expect(decodeErr(() => new DerReader(fromHex('020103')).smallInteger('version', 2)).message).toBe(
      'version: 3 is outside 0..2',
    );
    expect(decodeErr(() => new DerReader(fromHex('0201ff')).smallInteger('len')).message).toMatch(/-1 is outside/);
  });

  it('BOOLEAN: only 0x00 and 0xFF', () => {
    expect(new DerReader(fromHex('0101ff')).boolean('b')).toBe(true);
    expect(new DerReader(fromHex('010100')).boolean('b')).toBe(false);
    expect(decodeErr(() => new DerReader(fromHex('010101')).boolean('critical')).message).toMatch(/0x00 or 0xFF/);
    expect(decodeErr(() => new DerReader(fromHex('01020000')).boolean('b')).message).toMatch(/one octet/);
  });

  it('NULL must be empty', () => {
    expect(() => new DerReader(fromHex('0500')).null('n')).not.toThrow();
    expect(decodeErr(() => new DerReader(fromHex('050100')).null('n')).message).toMatch(/NULL with contents/);
  });

  it('OBJECT IDENTIFIER decoding', () => {
    expect(decodeOid(fromHex('2a864886f70d010101'), 'o')).toBe('1.2.840.113549.1.1.1');
    expect(decodeOid(fromHex('2a8648ce3d040302'), 'o')).toBe('1.2.840.10045.4.3.2');
    expect(decodeOid(fromHex('2b6570'), 'o')).toBe('1.3.101.112');
    expect(decodeOid(fromHex('551d13'), 'o')).toBe('2.5.29.19');
    expect(decodeOid(fromHex('0992268993f22c640119'), 'o')).toBe('0.9.2342.19200300.100.1.25');
    // 2.999: the first subidentifier exceeds 127.
    expect(decodeOid(fromHex('8837'), 'o')).toBe('2.999');
    expect(decodeErr(() => decodeOid(fromHex('2a80 01'), 'o')).message).toMatch(/non-minimal OBJECT IDENTIFIER/);
    expect(decodeErr(() => decodeOid(fromHex('2a86'), 'o')).message).toMatch(/truncated OBJECT IDENTIFIER/);
    expect(decodeErr(() => decodeOid(new Uint8Array(0), 'o')).message).toMatch(/empty/);
  });

  it('property: encodeOid and decodeOid are inverse', () => {
    const arc = fc.bigInt({ min: 0n, max: 2n ** 70n });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(arc, { maxLength: 8 }), (a, b, rest) => {
        const dotted = [a, b, ...rest].join('.');
        expect(decodeOid(encodeOid(dotted), 'o')).toBe(dotted);
      }),
    );
  });

  it('BIT STRING: unused bits are counted and must be zero', () => {
    expect(decodeBitString(fromHex('00abcd'), 'b')).toEqual({ bytes: fromHex('abcd'), unusedBits: 0 });
    expect(decodeBitString(fromHex('05a0'), 'keyUsage')).toEqual({ bytes: fromHex('a0'), unusedBits: 5 });
    expect(decodeBitString(fromHex('00'), 'b').bytes.length).toBe(0);
    expect(decodeErr(() => decodeBitString(fromHex('0587'), 'b')).message).toMatch(/padding bits must be zero/);
    expect(decodeErr(() => decodeBitString(fromHex('08ff'), 'b')).message).toMatch(/8 unused bits/);
    expect(decodeErr(() => decodeBitString(fromHex('01'), 'b')).message).toMatch(/empty BIT STRING with unused/);
    expect(decodeErr(() => decodeBitString(new Uint8Array(0), 'b')).message).toMatch(/empty BIT STRING/);
  });
});

describe('times (RFC 5280 §4.1.2.5)', () => {
  const utc = (s: string): number => decodeTime(Tag.UTCTime, ascii(s), 't');
  const gen = (s: string): number => decodeTime(Tag.GeneralizedTime, ascii(s), 't');

  it('UTCTime: YY >= 50 is 19YY, otherwise 20YY', () => {
    expect(utc('250101000000Z')).toBe(Date.parse('2025-01-01T00:00:00Z'));
    expect(utc('491231235959Z')).toBe(Date.parse('2049-12-31T23:59:59Z'));
    expect(utc('500101000000Z')).toBe(Date.parse('1950-01-01T00:00:00Z'));
    expect(utc('991231235959Z')).toBe(Date.parse('1999-12-31T23:59:59Z'));
  });

  it('GeneralizedTime, including years below 100', () => {
    expect(gen('21250101000000Z')).toBe(Date.parse('2125-01-01T00:00:00Z'));
    expect(gen('99991231235959Z')).toBe(Date.parse('9999-12-31T23:59:59Z'));
    expect(new Date(gen('00500101000000Z')).getUTCFullYear()).toBe(50);
  });

  it('checks the calendar', () => {
    expect(utc('240229120000Z')).toBe(Date.parse('2024-02-29T12:00:00Z'));
    expect(decodeErr(() => utc('250229120000Z')).message).toMatch(/day 29 out of range/);
    expect(gen('20000229000000Z')).toBe(Date.parse('2000-02-29T00:00:00Z'));
    expect(decodeErr(() => gen('21000229000000Z')).message).toMatch(/day 29/);
    expect(decodeErr(() => utc('251301000000Z')).message).toMatch(/month 13/);
    expect(decodeErr(() => utc('250100000000Z')).message).toMatch(/day 0/);
    expect(decodeErr(() => utc('250101240000Z')).message).toMatch(/time of day/);
    expect(decodeErr(() => utc('250101006000Z')).message).toMatch(/time of day/);
    expect(decodeErr(() => utc('250101000060Z')).message).toMatch(/time of day/);
  });

  it('accepts only the one RFC 5280 form', () => {
    for (const bad of ['2501010000Z', '250101000000', '250101000000+0100', '250101000000.5Z', '25010100000aZ']) {
      expect(decodeErr(() => utc(bad)).message).toMatch(/UTCTime must be YYMMDDHHMMSSZ/);
    }
    for (const bad of ['20250101000000.123Z', '202501010000Z', '20250101000000', '20250101000000-0500']) {
      expect(decodeErr(() => gen(bad)).message).toMatch(/GeneralizedTime must be YYYYMMDDHHMMSSZ/);
    }
    expect(decodeErr(() => decodeTime(Tag.OCTET_STRING, ascii('250101000000Z'), 'notBefore')).message).toMatch(
      /notBefore: expected UTCTime or GeneralizedTime/,
    );
  });
});

describe('string types', () => {
  it('decodes each string type', () => {
    expect(decodeString(Tag.UTF8String, fromHex('c3a9'), 's')).toBe('é');
    expect(decodeString(Tag.PrintableString, ascii("Test CA (1) + x/y:z=?'-."), 's')).toBe("Test CA (1) + x/y:z=?'-.");
    expect(decodeString(Tag.IA5String, ascii('a@b.c'), 's')).toBe('a@b.c');
    expect(decodeString(Tag.TeletexString, fromHex('e9'), 's')).toBe('é');
    expect(decodeString(Tag.BMPString, fromHex('00e9 4e2d'), 's')).toBe('é中');
    expect(decodeString(Tag.UniversalString, fromHex('0001f600'), 's')).toBe('😀');
    expect(decodeString(Tag.NumericString, ascii('12 34'), 's')).toBe('12 34');
    expect(decodeString(Tag.VisibleString, ascii('~ok~'), 's')).toBe('~ok~');
  });

  it('rejects characters outside each alphabet', () => {
    expect(decodeErr(() => decodeString(Tag.PrintableString, ascii('a@b'), 'CN')).message).toMatch(/PrintableString/);
    expect(decodeErr(() => decodeString(Tag.IA5String, fromHex('61e9'), 'dNSName')).message).toMatch(/non-ASCII/);
    expect(decodeErr(() => decodeString(Tag.UTF8String, fromHex('c328'), 'CN')).message).toMatch(/invalid UTF-8/);
    expect(decodeErr(() => decodeString(Tag.BMPString, fromHex('00e9 00'), 's')).message).toMatch(/multiple of 2/);
    expect(decodeErr(() => decodeString(Tag.BMPString, fromHex('d800'), 's')).message).toMatch(/invalid code point/);
    expect(decodeErr(() => decodeString(Tag.UniversalString, fromHex('00110000'), 's')).message).toMatch(/code point/);
    expect(decodeErr(() => decodeString(Tag.NumericString, ascii('1a'), 's')).message).toMatch(/NumericString/);
    expect(decodeErr(() => decodeString(Tag.VisibleString, fromHex('09'), 's')).message).toMatch(/VisibleString/);
    expect(decodeErr(() => decodeString(Tag.OCTET_STRING, ascii('x'), 's')).message).toMatch(/not a string type/);
  });
});

describe('property: the reader never fails with anything but X509DecodeError', () => {
  it('on random bytes, walking every element recursively', () => {
    const walk = (r: DerReader): void => {
      while (!r.atEnd) {
        const el = r.read('x');
        if (el.tag & 0x20) walk(r.child(el));
        else if (el.tag === Tag.INTEGER) decodeInteger(el.contents, 'x');
        else if (el.tag === Tag.OID) decodeOid(el.contents, 'x');
        else if (el.tag === Tag.BIT_STRING) decodeBitString(el.contents, 'x');
        else if (el.tag === Tag.UTCTime || el.tag === Tag.GeneralizedTime) decodeTime(el.tag, el.contents, 'x');
        else if (el.tag === Tag.UTF8String || el.tag === Tag.BMPString) decodeString(el.tag, el.contents, 'x');
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          walk(new DerReader(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(X509DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
