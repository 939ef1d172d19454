/**
 * Handshake message reassembly (RFC 8446 §5.1): handshake messages may be
 * split across records and several may share one record. This module turns
 * the handshake records' fragments back into whole messages
 * (msg_type ‖ uint24 length ‖ body).
 *
 * Size bound. The wire format allows 2^24 − 1 bytes, far more than any real
 * message, so a peer could make us buffer 16 MiB per connection. We refuse
 * bodies longer than a configurable maximum, decided from the 4-byte header
 * before the body is buffered. The default is 64 KiB for every message and
 * 256 KiB for Certificate, which is the one message that legitimately grows
 * large (long chains, many SANs, embedded SCTs/OCSP). The alert is
 * illegal_parameter: the length field is well-formed (so not decode_error)
 * but carries a value we will not accept (RFC 8446 §6: "a field … was
 * incorrect"). Implementations differ here; the alert only informs the peer.
 */
import { TLSError } from '../errors.js';
import { codeName, HandshakeType } from '../registry.js';
import { HANDSHAKE_HEADER_LENGTH } from './constants.js';
import { ByteQueue } from './queue.js';

/** Default maximum handshake message body, in bytes. */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE_LENGTH = 64 * 1024;
/** Default maximum Certificate message body, in bytes. */
export const DEFAULT_MAX_CERTIFICATE_MESSAGE_LENGTH = 256 * 1024;

/** A maximum body length for every message, or one per HandshakeType. */
export type HandshakeSizeLimit = number | ((msgType: number) => number);

export function defaultHandshakeSizeLimit(msgType: number): number {
  return msgType === HandshakeType.certificate
    ? DEFAULT_MAX_CERTIFICATE_MESSAGE_LENGTH
    : DEFAULT_MAX_HANDSHAKE_MESSAGE_LENGTH;
}

export interface HandshakeReassemblerOptions {
  readonly maxMessageLength?: HandshakeSizeLimit;
}

export class HandshakeReassembler {
  private readonly queue = new ByteQueue();
  private readonly limit: (msgType: number) => number;
  /** Offset in the queue up to which message headers have been checked. */
  private checkedUpTo = 0;

  constructor(options: HandshakeReassemblerOptions = {}) {
    const max = options.maxMessageLength ?? defaultHandshakeSizeLimit;
    this.limit = typeof max === 'number' ? () => max : max;
  }

  /**
   * Bytes held that are not yet returned by next(). Non-zero at a key change
   * means a message spans the change, which §5.1 forbids.
   */
  get buffered(): number {
    return this.queue.length;
  }

  /** Appends one handshake record's fragment and checks every header now visible. */
  push(fragment: Uint8Array): void {
    this.queue.push(fragment);
    this.checkHeaders();
  }

  /** The next whole message (header included), or undefined if incomplete. */
  next(): Uint8Array | undefined {
    const q = this.queue;
    if (q.length < HANDSHAKE_HEADER_LENGTH) return undefined;
    const total = HANDSHAKE_HEADER_LENGTH + q.uint(1, 3);
    if (q.length < total) return undefined;
    this.checkedUpTo -= total;
    return q.take(total);
  }

  /**
   * Walks message headers from the last checked one, so an oversized length
   * is refused as soon as its header arrives, never after buffering the body.
   */
  private checkHeaders(): void {
    const q = this.queue;
    while (this.checkedUpTo + HANDSHAKE_HEADER_LENGTH <= q.length) {
      const msgType = q.at(this.checkedUpTo);
      const length = q.uint(this.checkedUpTo + 1, 3);
      const max = this.limit(msgType);
      if (length > max) {
        throw new TLSError(
          'illegal_parameter',
          `received a ${codeName(HandshakeType, msgType)} handshake message of ${length} bytes; ` +
            `the limit is ${max} (raise maxHandshakeMessageLength if this peer is legitimate)`,
        );
      }
      this.checkedUpTo += HANDSHAKE_HEADER_LENGTH + length;
    }
  }
}
