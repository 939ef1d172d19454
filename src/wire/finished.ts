/**
 * Finished (RFC 8446 §4.4.4).
 *
 *   struct { opaque verify_data[Hash.length]; } Finished;
 *
 * The length is not on the wire: it is the negotiated hash's output size,
 * so the decoder needs to be told it (or accepts the sizes of SHA-256 and
 * SHA-384, the hashes of the RFC 8446 cipher suites).
 */
import { type ByteReader, type ByteWriter, DecodeError } from '../util/bytes.js';

export interface Finished {
  readonly type: 'finished';
  readonly verifyData: Uint8Array;
}

/** Output sizes of the cipher suites' hashes (SHA-256, SHA-384). */
export const HASH_LENGTHS: readonly number[] = [32, 48];

/** Reads a field that is exactly one hash long (Finished, message_hash). */
export function readHashSized(r: ByteReader, what: string, hashLength: number | undefined): Uint8Array {
  const n = r.remaining;
  const ok = hashLength === undefined ? HASH_LENGTHS.includes(n) : n === hashLength;
  if (!ok) {
    const expected = hashLength === undefined ? HASH_LENGTHS.join(' or ') : String(hashLength);
    throw new DecodeError(`${what}: ${n} bytes, expected ${expected}`);
  }
  return r.bytes(n, what);
}

export function decodeFinishedBody(r: ByteReader, hashLength?: number): Finished {
  return { type: 'finished', verifyData: readHashSized(r, 'finished verify_data', hashLength) };
}

export function encodeFinishedBody(w: ByteWriter, m: Finished): void {
  w.bytes(m.verifyData);
}
