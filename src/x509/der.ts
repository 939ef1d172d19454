/**
 * A strict reader for the Distinguished Encoding Rules (ITU-T X.690 §10, §11),
 * the subset of ASN.1 BER that X.509 signs over.
 *
 * Strict, because a certificate's signature covers its exact bytes: two
 * parsers that accept different encodings of "the same" value can be made to
 * disagree about what was signed. So we accept exactly one encoding per value:
 * definite lengths in the fewest octets, minimal integers, no constructed
 * strings, BOOLEAN as 0x00/0xFF, BIT STRING padding bits zero, times in the
 * single form RFC 5280 §4.1.2.5 allows, and no trailing bytes anywhere.
 *
 * Every failure is an `X509DecodeError` whose message names the field.
 */
import { X509DecodeError } from './errors.js';

/** Identifier octets (class | constructed | number) of the universal types we read. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  NumericString: 0x12,
  PrintableString: 0x13,
  TeletexString: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  VisibleString: 0x1a,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag `[n]`, primitive (IMPLICIT on a primitive type). */
export function contextTag(n: number): number {
  return 0x80 | n;
}

/** Context-specific tag `[n]`, constructed (EXPLICIT, or IMPLICIT on a SEQUENCE). */
export function contextConstructed(n: number): number {
  return 0xa0 | n;
}

/** How deeply `DerReader.enter` may nest before we give up (X.509 needs about 10). */
export const MAX_DEPTH = 32;

export interface DerElement {
  /** The identifier octet. */
  readonly tag: number;
  /** The contents octets (a view into the input). */
  readonly contents: Uint8Array;
  /** Identifier, length and contents: the exact encoding (e.g. what a signature covers). */
  readonly raw: Uint8Array;
}

export interface BitString {
  readonly bytes: Uint8Array;
  /** Number of padding bits in the last byte (0..7). */
  readonly unusedBits: number;
}

function fail(message: string): never {
  throw new X509DecodeError(message);
}

/** Reads consecutive DER elements from a byte string. */
export class DerReader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    /** Nesting level, for the MAX_DEPTH bound. */
    readonly depth = 0,
  ) {
    if (depth > MAX_DEPTH) fail(`DER nested deeper than ${MAX_DEPTH} levels`);
  }

  get atEnd(): boolean {
    return this.pos === this.buf.length;
  }

  /** The next identifier octet, or undefined at the end. */
  peekTag(): number | undefined {
    return this.pos < this.buf.length ? this.buf[this.pos] : undefined;
  }

  /** Reads one element of any tag (X.690 §8.1). */
  read(what: string): DerElement {
    const start = this.pos;
    if (start >= this.buf.length) fail(`${what}: truncated (expected an element, found the end)`);
    const tag = this.buf[this.pos++]!;
    // X.690 §8.1.2.4: tag numbers >= 31 use a multi-octet form; X.509 never needs one.
    if ((tag & 0x1f) === 0x1f) fail(`${what}: high-tag-number form is not used in X.509`);
    const length = this.readLength(what);
    if (length > this.buf.length - this.pos) {
      fail(`${what}: truncated (length ${length}, only ${this.buf.length - this.pos} bytes left)`);
    }
    const contents = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return { tag, contents, raw: this.buf.subarray(start, this.pos) };
  }

  /** X.690 §8.1.3 with the DER rules of §10.1: definite, and in the fewest octets. */
  private readLength(what: string): number {
    if (this.pos >= this.buf.length) fail(`${what}: truncated length`);
    const first = this.buf[this.pos++]!;
    if (first < 0x80) return first;
    if (first === 0x80) fail(`${what}: indefinite length is not allowed in DER`);
    const count = first & 0x7f;
    // Four octets allow 4 GiB, far beyond any certificate; more would overflow a JS number.
    if (count > 4) fail(`${what}: length of ${count} octets is too large`);
    if (count > this.buf.length - this.pos) fail(`${what}: truncated length`);
    let length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + this.buf[this.pos++]!;
    if (length < 0x80) fail(`${what}: non-minimal length encoding (long form for ${length})`);
    if (this.buf[this.pos - count] === 0) fail(`${what}: non-minimal length encoding (leading zero octet)`);
    return length;
  }

  /** Reads one element and checks its identifier octet. */
  expect(tag: number, what: string): DerElement {
    const actual = this.peekTag();
    if (actual === undefined) fail(`${what}: missing (found the end)`);
    if (actual !== tag) fail(`${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(actual)}`);
    return this.read(what);
  }

  /** Reads the next element only if its identifier octet is `tag` (OPTIONAL / DEFAULT fields). */
  optional(tag: number, what: string): DerElement | undefined {
    return this.peekTag() === tag ? this.read(what) : undefined;
  }

  /** A reader over the contents of the next constructed element, which must have `tag`. */
  enter(tag: number, what: string): DerReader {
    return new DerReader(this.expect(tag, what).contents, this.depth + 1);
  }

  optionalEnter(tag: number, what: string): DerReader | undefined {
    const el = this.optional(tag, what);
    return el === undefined ? undefined : new DerReader(el.contents, this.depth + 1);
  }

  /** A reader over an element's contents at the next depth (for elements read with read()). */
  child(el: DerElement): DerReader {
    return new DerReader(el.contents, this.depth + 1);
  }

  /** Structures are consumed whole: trailing bytes are an error. */
  end(what: string): void {
    if (!this.atEnd) fail(`${what}: ${this.buf.length - this.pos} unexpected trailing bytes`);
  }

  integer(what: string): bigint {
    return decodeInteger(this.expect(Tag.INTEGER, what).contents, what);
  }

  /** A non-negative INTEGER that must fit in a safe JS number (versions, lengths). */
  smallInteger(what: string, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.integer(what);
    if (v < 0n || v > BigInt(max)) fail(`${what}: ${v} is outside 0..${max}`);
    return Number(v);
  }

  boolean(what: string): boolean {
    return decodeBoolean(this.expect(Tag.BOOLEAN, what).contents, what);
  }

  null(what: string): void {
    if (this.expect(Tag.NULL, what).contents.length !== 0) fail(`${what}: NULL with contents`);
  }

  oid(what: string): string {
    return decodeOid(this.expect(Tag.OID, what).contents, what);
  }

  bitString(what: string): BitString {
    return decodeBitString(this.expect(Tag.BIT_STRING, what).contents, what);
  }

  octetString(what: string): Uint8Array {
    return this.expect(Tag.OCTET_STRING, what).contents;
  }

  /** A UTCTime or GeneralizedTime (RFC 5280 §4.1.2.5), as epoch milliseconds. */
  time(what: string): number {
    const el = this.read(what);
    return decodeTime(el.tag, el.contents, what);
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Parses bytes that must hold exactly one DER element. */
export function parseDer(bytes: Uint8Array, what: string): DerElement {
  const r = new DerReader(bytes);
  const el = r.read(what);
  r.end(what);
  return el;
}

/** X.690 §11.1: FALSE is 0x00 and TRUE is 0xFF in DER, one octet. */
export function decodeBoolean(contents: Uint8Array, what: string): boolean {
  if (contents.length !== 1) fail(`${what}: BOOLEAN must be one octet`);
  if (contents[0] === 0x00) return false;
  if (contents[0] === 0xff) return true;
  return fail(`${what}: BOOLEAN must be 0x00 or 0xFF in DER`);
}

/**
 * X.690 §8.3: two's complement, big-endian, in the fewest octets (the first
 * nine bits are never all zeros or all ones).
 */
export function decodeInteger(contents: Uint8Array, what: string): bigint {
  if (contents.length === 0) fail(`${what}: empty INTEGER`);
  if (contents.length > 1) {
    const a = contents[0]!;
    const b = contents[1]!;
    if ((a === 0x00 && b < 0x80) || (a === 0xff && b >= 0x80)) {
      fail(`${what}: non-minimal INTEGER encoding`);
    }
  }
  let v = 0n;
  for (const byte of contents) v = (v << 8n) | BigInt(byte);
  if (contents[0]! >= 0x80) v -= 1n << BigInt(8 * contents.length);
  return v;
}

/** X.690 §8.19: OBJECT IDENTIFIER to dotted-decimal text. */
export function decodeOid(contents: Uint8Array, what: string): string {
  if (contents.length === 0) fail(`${what}: empty OBJECT IDENTIFIER`);
  const arcs: bigint[] = [];
  let value = 0n;
  let started = false;
  for (let i = 0; i < contents.length; i++) {
    const byte = contents[i]!;
    // §8.19.2: each subidentifier in the fewest octets, so never a leading 0x80.
    if (!started && byte === 0x80) fail(`${what}: non-minimal OBJECT IDENTIFIER subidentifier`);
    started = true;
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
      started = false;
    }
  }
  if (started) fail(`${what}: truncated OBJECT IDENTIFIER`);
  // §8.19.4: the first subidentifier packs the first two arcs as 40*X + Y.
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** Encodes dotted-decimal text as OBJECT IDENTIFIER contents (for building test data and lookups). */
export function encodeOid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map((p) => {
    if (!/^(0|[1-9][0-9]*)$/.test(p)) throw new X509DecodeError(`not an OID: ${dotted}`);
    return BigInt(p);
  });
  if (parts.length < 2 || parts[0]! > 2n || (parts[0]! < 2n && parts[1]! >= 40n)) {
    throw new X509DecodeError(`not an OID: ${dotted}`);
  }
  const subs = [parts[0]! * 40n + parts[1]!, ...parts.slice(2)];
  const out: number[] = [];
  for (const s of subs) {
    const groups: number[] = [];
    let v = s;
    do {
      groups.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < groups.length; i++) out.push(groups[i]! | (i < groups.length - 1 ? 0x80 : 0));
  }
  return Uint8Array.from(out);
}

/** X.690 §8.6 and §11.2: an initial octet counts padding bits, which are zero in DER. */
export function decodeBitString(contents: Uint8Array, what: string): BitString {
  if (contents.length === 0) fail(`${what}: empty BIT STRING`);
  const unusedBits = contents[0]!;
  if (unusedBits > 7) fail(`${what}: BIT STRING with ${unusedBits} unused bits`);
  if (contents.length === 1 && unusedBits !== 0) fail(`${what}: empty BIT STRING with unused bits`);
  const bytes = contents.subarray(1);
  if (unusedBits > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    fail(`${what}: BIT STRING padding bits must be zero in DER`);
  }
  return { bytes, unusedBits };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * RFC 5280 §4.1.2.5: UTCTime is YYMMDDHHMMSSZ (YY >= 50 is 19YY, else 20YY);
 * GeneralizedTime is YYYYMMDDHHMMSSZ, without fractional seconds. Both are in
 * UTC ("Z") and always include seconds. Returns epoch milliseconds.
 */
export function decodeTime(tag: number, contents: Uint8Array, what: string): number {
  let text = '';
  for (const b of contents) text += String.fromCharCode(b);
  let year: number;
  let rest: string;
  if (tag === Tag.UTCTime) {
    if (!/^[0-9]{12}Z$/.test(text)) fail(`${what}: UTCTime must be YYMMDDHHMMSSZ, got "${printable(text)}"`);
    const yy = Number(text.slice(0, 2));
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = text.slice(2);
  } else if (tag === Tag.GeneralizedTime) {
    if (!/^[0-9]{14}Z$/.test(text)) {
      fail(`${what}: GeneralizedTime must be YYYYMMDDHHMMSSZ, got "${printable(text)}"`);
    }
    year = Number(text.slice(0, 4));
    rest = text.slice(4);
  } else {
    return fail(`${what}: expected UTCTime or GeneralizedTime, found tag 0x${hex2(tag)}`);
  }
  const month = Number(rest.slice(0, 2));
  const day = Number(rest.slice(2, 4));
  const hour = Number(rest.slice(4, 6));
  const minute = Number(rest.slice(6, 8));
  const second = Number(rest.slice(8, 10));
  if (month < 1 || month > 12) fail(`${what}: month ${month} out of range`);
  const maxDay = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day < 1 || day > maxDay) fail(`${what}: day ${day} out of range`);
  if (hour > 23 || minute > 59 || second > 59) fail(`${what}: time of day out of range`);
  const d = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
}

/** PrintableString's alphabet (X.680 §41.4), plus '*' and '&' which deployed CAs misuse. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?*&]*$/;

/** Decodes the string types found in names and extensions to a JS string. */
export function decodeString(tag: number, contents: Uint8Array, what: string): string {
  switch (tag) {
    case Tag.UTF8String:
      return decodeUtf8(contents, what);
    case Tag.PrintableString: {
      const s = latin1(contents);
      if (!PRINTABLE.test(s)) fail(`${what}: invalid character in PrintableString`);
      return s;
    }
    case Tag.IA5String:
      return ia5(contents, what);
    case Tag.NumericString: {
      const s = latin1(contents);
      if (!/^[0-9 ]*$/.test(s)) fail(`${what}: invalid character in NumericString`);
      return s;
    }
    case Tag.VisibleString: {
      const s = latin1(contents);
      if (!/^[\x20-\x7e]*$/.test(s)) fail(`${what}: invalid character in VisibleString`);
      return s;
    }
    // T.61 is in practice used for Latin-1 text.
    case Tag.TeletexString:
      return latin1(contents);
    case Tag.BMPString:
      return ucs(contents, 2, what);
    case Tag.UniversalString:
      return ucs(contents, 4, what);
    default:
      return fail(`${what}: tag 0x${hex2(tag)} is not a string type`);
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(contents: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(contents);
  } catch {
    return fail(`${what}: invalid UTF-8 in UTF8String`);
  }
}

function latin1(contents: Uint8Array): string {
  let s = '';
  for (const b of contents) s += String.fromCharCode(b);
  return s;
}

/** IA5 is 7-bit ASCII. */
export function ia5(contents: Uint8Array, what: string): string {
  for (const b of contents) if (b > 0x7f) fail(`${what}: non-ASCII byte in IA5String`);
  return latin1(contents);
}

/** BMPString (UCS-2) and UniversalString (UCS-4), big-endian. */
function ucs(contents: Uint8Array, width: 2 | 4, what: string): string {
  if (contents.length % width !== 0) fail(`${what}: length not a multiple of ${width}`);
  let s = '';
  for (let i = 0; i < contents.length; i += width) {
    let cp = 0;
    for (let j = 0; j < width; j++) cp = cp * 256 + contents[i + j]!;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail(`${what}: invalid code point`);
    s += String.fromCodePoint(cp);
  }
  return s;
}
