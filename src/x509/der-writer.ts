/**
 * A small writer for the Distinguished Encoding Rules (ITU-T X.690 §8, §10,
 * §11): the inverse of der.ts, used to issue certificates (issue.ts) and to
 * encode private keys.
 *
 * Each function returns one complete element (identifier, length, contents),
 * so a structure is written the way its ASN.1 reads:
 *
 *   sequence(integer(2n), oid('1.2.840.10045.4.3.2'), bitString(signature))
 *
 * DER leaves one encoding per value, and this writer produces exactly that
 * one: lengths in the fewest octets (§10.1), minimal two's-complement
 * integers (§8.3.2), BOOLEAN TRUE as 0xFF (§11.1), the members of a SET OF
 * sorted by their encodings (§11.6), times in the forms RFC 5280 §4.1.2.5
 * prescribes. Whatever it writes, der.ts (the strict reader) accepts.
 */
import { concat, utf8 } from '../util/bytes.js';
import { Tag, contextConstructed, contextTag, encodeOid } from './der.js';

/** Length octets (X.690 §8.1.3, §10.1): short form below 128, else the fewest long-form octets. */
export function encodeLength(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`DER: invalid length ${length}`);
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Uint8Array.from([0x80 | octets.length, ...octets]);
}

/** One element: identifier octet, length, contents. Only single-octet tags (number < 31) occur in X.509. */
export function tlv(tag: number, contents: Uint8Array): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new RangeError(`DER: tag 0x${tag.toString(16)} needs the multi-octet form, which X.509 never uses`);
  }
  return concat(Uint8Array.of(tag), encodeLength(contents.length), contents);
}

/** SEQUENCE (§8.9): the elements in the order given. */
export function sequence(...elements: Uint8Array[]): Uint8Array {
  return tlv(Tag.SEQUENCE, concat(...elements));
}

/** SET OF (§11.6): DER requires the members in ascending order of their encodings. */
export function setOf(...elements: Uint8Array[]): Uint8Array {
  return tlv(Tag.SET, concat(...[...elements].sort(compareBytes)));
}

/** Compares encodings as §11.6 orders them: octet by octet, a shorter prefix first. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** INTEGER (§8.3): minimal two's complement, so a positive value whose top bit is set gains a 0x00. */
export function integer(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  const octets: number[] = [];
  if (v >= 0n) {
    do {
      octets.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    if (octets[0]! & 0x80) octets.unshift(0);
  } else {
    // Negative values never occur in what we issue, but INTEGER allows them.
    do {
      octets.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v < -1n || (octets[0]! & 0x80) === 0);
  }
  return tlv(Tag.INTEGER, Uint8Array.from(octets));
}

/** An INTEGER from unsigned big-endian bytes (leading zeros dropped, a sign octet added if needed). */
export function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.length === 0 ? Uint8Array.of(0) : bytes.subarray(i);
  return tlv(Tag.INTEGER, trimmed[0]! & 0x80 ? concat(Uint8Array.of(0), trimmed) : trimmed);
}

/** BOOLEAN (§11.1): TRUE is 0xFF in DER. Remember DEFAULT FALSE fields are omitted, not written false. */
export function boolean(value: boolean): Uint8Array {
  return tlv(Tag.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

export function nullValue(): Uint8Array {
  return tlv(Tag.NULL, new Uint8Array(0));
}

/** OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Uint8Array {
  return tlv(Tag.OID, encodeOid(dotted));
}

export function octetString(bytes: Uint8Array): Uint8Array {
  return tlv(Tag.OCTET_STRING, bytes);
}

/** BIT STRING of whole bytes (§8.6): the initial octet counts unused bits, zero here. */
export function bitString(bytes: Uint8Array): Uint8Array {
  return tlv(Tag.BIT_STRING, concat(Uint8Array.of(0), bytes));
}

/**
 * A named-bit BIT STRING such as KeyUsage (§11.2.2): bit 0 is the most
 * significant bit of the first octet, and trailing zero bits are removed, so
 * the value is as short as it can be.
 */
export function namedBits(bits: readonly number[]): Uint8Array {
  const highest = bits.length === 0 ? -1 : Math.max(...bits);
  if (highest < 0) return tlv(Tag.BIT_STRING, Uint8Array.of(0));
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0) throw new RangeError(`DER: invalid named bit ${bit}`);
    bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  }
  const unused = 7 - (highest & 7);
  return tlv(Tag.BIT_STRING, concat(Uint8Array.of(unused), bytes));
}

export function utf8String(text: string): Uint8Array {
  return tlv(Tag.UTF8String, utf8(text));
}

/** PrintableString (X.680 §41.4): letters, digits, space and ' ( ) + , - . / : = ? only. */
export function printableString(text: string): Uint8Array {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)) throw new RangeError(`DER: "${text}" is not a PrintableString`);
  return tlv(Tag.PrintableString, ascii(text));
}

/** IA5String: 7-bit ASCII (dNSName in subjectAltName is one, RFC 5280 §4.2.1.6). */
export function ia5String(text: string): Uint8Array {
  return tlv(Tag.IA5String, ascii(text));
}

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`DER: "${text}" is not ASCII`);
    out[i] = c;
  }
  return out;
}

/**
 * A certificate validity time (RFC 5280 §4.1.2.5): UTCTime YYMMDDHHMMSSZ for
 * years 1950..2049, GeneralizedTime YYYYMMDDHHMMSSZ from 2050; seconds are
 * always present and fractions never (§4.1.2.5.1, §4.1.2.5.2).
 */
export function time(date: Date): Uint8Array {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError('DER: invalid Date');
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`DER: year ${year} cannot be a certificate time`);
  const two = (n: number): string => String(n).padStart(2, '0');
  const rest =
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds()) +
    'Z';
  if (year < 2050) return tlv(Tag.UTCTime, ascii(two(year % 100) + rest));
  return tlv(Tag.GeneralizedTime, ascii(String(year) + rest));
}

/** `[n] EXPLICIT`: a constructed context tag wrapping a whole element. */
export function explicit(n: number, element: Uint8Array): Uint8Array {
  return tlv(contextConstructed(n), element);
}

/** `[n] IMPLICIT` on a primitive type: the contents keep, the tag is replaced. */
export function implicitPrimitive(n: number, contents: Uint8Array): Uint8Array {
  return tlv(contextTag(n), contents);
}

/** `[n] IMPLICIT` on a constructed type (SEQUENCE): the members, under a constructed context tag. */
export function implicitConstructed(n: number, ...elements: Uint8Array[]): Uint8Array {
  return tlv(contextConstructed(n), concat(...elements));
}
