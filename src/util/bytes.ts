/**
 * Byte helpers shared by every layer: hex, concatenation, constant-time
 * comparison, and the length-prefixed vectors of RFC 8446 §3.4.
 *
 * This module knows nothing of TLS; a malformed vector is reported as a
 * `DecodeError`, which the upper layers turn into the alert that fits.
 */

/** Raised when input bytes do not parse. `alert` is the TLS alert it maps to. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    message: string,
    readonly alert: 'decode_error' | 'illegal_parameter' = 'decode_error',
  ) {
    super(message);
  }
}

const HEX = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

/** Parses hex, ignoring ASCII white space (as in RFC test-vector listings). */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new TypeError(`not a hex string: ${clean.slice(0, 32)}…`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Compares two byte strings in time that depends only on their lengths.
 * Used for Finished verify_data and PSK binders (RFC 8446 §4.4.4, §4.2.11.2),
 * where an early exit would leak how many leading bytes an attacker guessed.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Plain (not constant-time) equality, for public data such as codecs and tests. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8 strictly; invalid sequences are a DecodeError. */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new DecodeError('invalid UTF-8');
  }
}

/**
 * Reads the big-endian integers and length-prefixed vectors of RFC 8446 §3.
 * Every read is bounds-checked; running past the end is a DecodeError.
 */
export class ByteReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  get atEnd(): boolean {
    return this.pos === this.buf.length;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new DecodeError(`truncated ${what}: need ${n} bytes, have ${this.remaining}`);
    }
  }

  u8(what = 'uint8'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what = 'uint16'): number {
    this.need(2, what);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u24(what = 'uint24'): number {
    this.need(3, what);
    const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  u32(what = 'uint32'): number {
    this.need(4, what);
    const v =
      this.buf[this.pos]! * 0x1000000 +
      ((this.buf[this.pos + 1]! << 16) | (this.buf[this.pos + 2]! << 8) | this.buf[this.pos + 3]!);
    this.pos += 4;
    return v;
  }

  /** The next `n` bytes, as a view (no copy). */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Everything left, as a view. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /**
   * A vector whose length prefix is `prefixBytes` wide (1, 2 or 3), with the
   * length checked against the RFC's <min..max> bounds.
   */
  vector(prefixBytes: 1 | 2 | 3, what: string, min = 0, max = 2 ** (8 * prefixBytes) - 1): Uint8Array {
    const len = prefixBytes === 1 ? this.u8(what) : prefixBytes === 2 ? this.u16(what) : this.u24(what);
    if (len < min || len > max) {
      throw new DecodeError(`${what}: length ${len} outside <${min}..${max}>`);
    }
    return this.bytes(len, what);
  }

  vec8(what: string, min = 0, max = 255): Uint8Array {
    return this.vector(1, what, min, max);
  }

  vec16(what: string, min = 0, max = 65535): Uint8Array {
    return this.vector(2, what, min, max);
  }

  vec24(what: string, min = 0, max = 2 ** 24 - 1): Uint8Array {
    return this.vector(3, what, min, max);
  }

  /** A reader over a length-prefixed vector's body. */
  sub(prefixBytes: 1 | 2 | 3, what: string, min?: number, max?: number): ByteReader {
    return new ByteReader(this.vector(prefixBytes, what, min, max));
  }

  /** Structures must be consumed whole: trailing bytes are a decode_error. */
  end(what: string): void {
    if (!this.atEnd) throw new DecodeError(`${what}: ${this.remaining} trailing bytes`);
  }
}

/**
 * Writers start in space cut from a shared slab rather than an ArrayBuffer
 * of their own: a writer lives for one encode and finish() copies its bytes
 * out, and a backing store per writer (with its collection) cost more than
 * the encoding. The slab is carved forward only, so no two writers ever
 * share bytes; a writer that outgrows its space moves to an array of its own.
 */
const WRITER_SLAB_BYTES = 64 * 1024;
const WRITER_SLAB_MAX = 4 * 1024;
let writerSlab = new Uint8Array(0);
let writerSlabUsed = 0;

function writerSpace(capacity: number): Uint8Array {
  if (capacity > WRITER_SLAB_MAX) return new Uint8Array(capacity);
  if (writerSlabUsed + capacity > writerSlab.length) {
    writerSlab = new Uint8Array(WRITER_SLAB_BYTES);
    writerSlabUsed = 0;
  }
  const space = writerSlab.subarray(writerSlabUsed, writerSlabUsed + capacity);
  writerSlabUsed += capacity;
  return space;
}

/** Builds big-endian integers and length-prefixed vectors (RFC 8446 §3). */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = writerSpace(initialCapacity);
  }

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    // At least 64: doubling from an empty (capacity 0) writer would never grow.
    let cap = Math.max(64, this.buf.length * 2);
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    checkRange(v, 0xff);
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    checkRange(v, 0xffff);
    this.reserve(2);
    this.buf[this.len++] = v >>> 8;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    checkRange(v, 0xffffff);
    this.reserve(3);
    this.buf[this.len++] = v >>> 16;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    checkRange(v, 0xffffffff);
    this.reserve(4);
    this.buf[this.len++] = v >>> 24;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Writes `body` with a length prefix of `prefixBytes` (1, 2 or 3). */
  vector(prefixBytes: 1 | 2 | 3, body: Uint8Array): this {
    if (prefixBytes === 1) this.u8(body.length);
    else if (prefixBytes === 2) this.u16(body.length);
    else this.u24(body.length);
    return this.bytes(body);
  }

  vec8(body: Uint8Array): this {
    return this.vector(1, body);
  }

  vec16(body: Uint8Array): this {
    return this.vector(2, body);
  }

  vec24(body: Uint8Array): this {
    return this.vector(3, body);
  }

  /** Writes a vector whose body is produced by `fill`, patching the length afterwards. */
  nested(prefixBytes: 1 | 2 | 3, fill: (w: ByteWriter) => void): this {
    this.reserve(prefixBytes);
    const at = this.len;
    this.len += prefixBytes;
    fill(this);
    const bodyLen = this.len - at - prefixBytes;
    checkRange(bodyLen, 2 ** (8 * prefixBytes) - 1);
    for (let i = prefixBytes - 1, v = bodyLen; i >= 0; i--, v >>>= 8) this.buf[at + i] = v & 0xff;
    return this;
  }

  /** The bytes written so far (a copy, so the writer may be reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function checkRange(v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`value ${v} does not fit (max ${max})`);
  }
}
