/**
 * The DER form of an ECDSA signature that TLS carries (RFC 8446 §4.2.3 via
 * RFC 5480 / X9.62):
 *
 *   Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
 *
 * Parsing is strict DER (X.690 §10): definite, minimal lengths; minimal,
 * non-negative integers; nothing after the sequence. Accepting BER variants
 * would make signatures malleable (many encodings of one signature), which
 * breaks anything that compares or caches them.
 */

export interface EcdsaSignatureValue {
  readonly r: bigint;
  readonly s: bigint;
}

const TAG_SEQUENCE = 0x30;
const TAG_INTEGER = 0x02;

/** DER INTEGER content octets for a non-negative value (minimal, with a 0x00 pad if the top bit is set). */
function integerContent(value: bigint): Uint8Array {
  if (value < 0n) throw new Error('ECDSA signature values are non-negative');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = '0' + hex;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = '00' + hex;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A DER length: short form below 128, else the minimal long form. */
function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  if (length <= 0xff) return Uint8Array.of(0x81, length);
  if (length <= 0xffff) return Uint8Array.of(0x82, length >> 8, length & 0xff);
  throw new Error('DER length too large for an ECDSA signature');
}

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const length = encodeLength(content.length);
  const out = new Uint8Array(1 + length.length + content.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(content, 1 + length.length);
  return out;
}

export function encodeEcdsaSignature(signature: EcdsaSignatureValue): Uint8Array {
  const r = tlv(TAG_INTEGER, integerContent(signature.r));
  const s = tlv(TAG_INTEGER, integerContent(signature.s));
  const body = new Uint8Array(r.length + s.length);
  body.set(r);
  body.set(s, r.length);
  return tlv(TAG_SEQUENCE, body);
}

/** Reads one TLV at `offset`; undefined unless the encoding is strict DER. */
function readTlv(
  bytes: Uint8Array,
  offset: number,
  tag: number,
): { content: Uint8Array; next: number } | undefined {
  if (offset + 2 > bytes.length || bytes[offset] !== tag) return undefined;
  const first = bytes[offset + 1]!;
  let length: number;
  let header: number;
  if (first < 0x80) {
    length = first;
    header = 2;
  } else if (first === 0x81) {
    // One length octet is enough for any curve we support; it must be ≥ 128,
    // or the short form should have been used.
    if (offset + 3 > bytes.length) return undefined;
    length = bytes[offset + 2]!;
    if (length < 0x80) return undefined;
    header = 3;
  } else {
    return undefined; // indefinite (0x80), or more length octets than any signature needs
  }
  const start = offset + header;
  if (start + length > bytes.length) return undefined;
  return { content: bytes.subarray(start, start + length), next: start + length };
}

/** A DER INTEGER that must be non-negative and minimally encoded. */
function readUnsignedInteger(content: Uint8Array): bigint | undefined {
  if (content.length === 0) return undefined;
  if (content[0]! & 0x80) return undefined; // negative
  if (content.length > 1 && content[0] === 0x00 && !(content[1]! & 0x80)) return undefined; // not minimal
  let hex = '';
  for (const b of content) hex += (b < 16 ? '0' : '') + b.toString(16);
  return BigInt('0x' + hex);
}

/**
 * Parses a DER Ecdsa-Sig-Value. Returns undefined for anything that is not
 * exactly one strict-DER SEQUENCE of two INTEGERs, or whose integers are
 * longer than `maxIntegerOctets` (the curve order's size + 1 for the sign pad).
 * The caller still checks 1 ≤ r, s < n.
 */
export function decodeEcdsaSignature(bytes: Uint8Array, maxIntegerOctets = 67): EcdsaSignatureValue | undefined {
  const sequence = readTlv(bytes, 0, TAG_SEQUENCE);
  if (sequence === undefined || sequence.next !== bytes.length) return undefined;
  const body = sequence.content;
  const r = readTlv(body, 0, TAG_INTEGER);
  if (r === undefined) return undefined;
  const s = readTlv(body, r.next, TAG_INTEGER);
  if (s === undefined || s.next !== body.length) return undefined;
  if (r.content.length > maxIntegerOctets || s.content.length > maxIntegerOctets) return undefined;
  const rValue = readUnsignedInteger(r.content);
  const sValue = readUnsignedInteger(s.content);
  if (rValue === undefined || sValue === undefined) return undefined;
  return { r: rValue, s: sValue };
}
