/**
 * The synthetic message_hash message (RFC 8446 §4.4.1).
 *
 * After a HelloRetryRequest, the transcript replaces ClientHello1 with
 *
 *   message_hash (254) || 00 00 Hash.length || Hash(ClientHello1)
 *
 * i.e. a handshake message whose body is the hash. It never travels on
 * the wire; encodeHandshake({ type: 'message_hash', hash }) produces the
 * bytes to feed the transcript.
 */
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { readHashSized } from './finished.js';

export interface MessageHash {
  readonly type: 'message_hash';
  /** Hash(ClientHello1), with the negotiated cipher suite's hash. */
  readonly hash: Uint8Array;
}

export function decodeMessageHashBody(r: ByteReader, hashLength?: number): MessageHash {
  return { type: 'message_hash', hash: readHashSized(r, 'message_hash', hashLength) };
}

export function encodeMessageHashBody(w: ByteWriter, m: MessageHash): void {
  w.bytes(m.hash);
}
