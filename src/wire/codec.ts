/**
 * Small building blocks shared by the message and extension codecs.
 *
 * RFC 8446 §3.4 writes every variable-length field as `T field<min..max>`.
 * We describe each such field once, as a `VectorSpec`, and use the same
 * description to read it (rejecting lengths outside the bounds) and to
 * write it (refusing to produce bytes a peer would reject).
 */
import { ByteReader, ByteWriter, DecodeError } from '../util/bytes.js';

/** One `<min..max>` vector of RFC 8446 Appendix B: its name, prefix width and bounds. */
export interface VectorSpec {
  readonly what: string;
  readonly prefix: 1 | 2 | 3;
  readonly min: number;
  readonly max: number;
}

export function vectorSpec(what: string, prefix: 1 | 2 | 3, min: number, max: number): VectorSpec {
  return { what, prefix, min, max };
}

/** The body of a vector, its length checked against the spec. */
export function readVector(r: ByteReader, spec: VectorSpec): Uint8Array {
  return r.vector(spec.prefix, spec.what, spec.min, spec.max);
}

/** A reader over a vector's body, for vectors of structures. */
export function readNested(r: ByteReader, spec: VectorSpec): ByteReader {
  return r.sub(spec.prefix, spec.what, spec.min, spec.max);
}

/**
 * Writes a vector whose body is produced by `fill`. A body outside the
 * spec's bounds is a bug in the caller (we would send something the peer
 * must reject), so it throws a RangeError naming the field.
 */
export function writeNested(w: ByteWriter, spec: VectorSpec, fill: (w: ByteWriter) => void): void {
  w.nested(spec.prefix, (inner) => {
    const start = inner.length;
    fill(inner);
    checkLength(spec, inner.length - start);
  });
}

export function writeVector(w: ByteWriter, spec: VectorSpec, body: Uint8Array): void {
  checkLength(spec, body.length);
  w.vector(spec.prefix, body);
}

function checkLength(spec: VectorSpec, length: number): void {
  if (length < spec.min || length > spec.max) {
    throw new RangeError(`cannot encode ${spec.what}: length ${length} outside <${spec.min}..${spec.max}>`);
  }
}

/** A vector of uint16 code points (cipher suites, groups, schemes, versions). */
export function readU16List(r: ByteReader, spec: VectorSpec): number[] {
  const body = readVector(r, spec);
  if (body.length % 2 !== 0) {
    throw new DecodeError(`${spec.what}: odd length ${body.length} for a list of uint16`);
  }
  const out: number[] = [];
  for (let i = 0; i < body.length; i += 2) out.push((body[i]! << 8) | body[i + 1]!);
  return out;
}

export function writeU16List(w: ByteWriter, spec: VectorSpec, list: readonly number[]): void {
  writeNested(w, spec, (inner) => {
    for (const v of list) inner.u16(v);
  });
}

/** A vector of uint8 code points (PSK modes, compression methods). */
export function readU8List(r: ByteReader, spec: VectorSpec): number[] {
  return Array.from(readVector(r, spec));
}

export function writeU8List(w: ByteWriter, spec: VectorSpec, list: readonly number[]): void {
  writeNested(w, spec, (inner) => {
    for (const v of list) inner.u8(v);
  });
}

/** A vector of opaque vectors (ALPN names, DistinguishedNames, responder ids). */
export function readOpaqueList(r: ByteReader, outer: VectorSpec, item: VectorSpec): Uint8Array[] {
  const list = readNested(r, outer);
  const out: Uint8Array[] = [];
  while (!list.atEnd) out.push(readVector(list, item));
  return out;
}

export function writeOpaqueList(
  w: ByteWriter,
  outer: VectorSpec,
  item: VectorSpec,
  list: readonly Uint8Array[],
): void {
  writeNested(w, outer, (inner) => {
    for (const v of list) writeVector(inner, item, v);
  });
}

/** Checks that a number is a whole value of the given width before encoding. */
export function checkUint(value: number, bits: 8 | 16 | 24 | 32, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`cannot encode ${what}: ${value} is not a uint${bits}`);
  }
}
