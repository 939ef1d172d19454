/**
 * Record framing (RFC 8446 §5.1): cutting the byte stream into TLSPlaintext /
 * TLSCiphertext records and writing record headers. No cryptography here.
 *
 *   struct {
 *       ContentType type;
 *       ProtocolVersion legacy_record_version;
 *       uint16 length;
 *       opaque fragment[TLSPlaintext.length];
 *   } TLSPlaintext;
 *
 * Decisions, with the RFC text they follow:
 *
 * - legacy_record_version is NOT validated on receipt. §5.1 says the field
 *   "is deprecated and MUST be ignored for all purposes". It is kept in
 *   `RawRecord.version` for inspection only. For protected records it is
 *   still authenticated, because the whole header is the AEAD's additional
 *   data (§5.2): a modified version there fails with bad_record_mac.
 * - An unknown content type is unexpected_message (§5: "If a TLS
 *   implementation receives an unexpected record type, it MUST terminate the
 *   connection with an unexpected_message alert").
 * - Length limits depend on the outer type, which TLS 1.3 ties to
 *   protection: handshake, alert and change_cipher_spec records are always
 *   unprotected on the wire (protected ones travel as opaque_type
 *   application_data, §5.2), so they are held to 2^14 (§5.1); an
 *   application_data record is a TLSCiphertext, held to 2^14 + 256 (§5.2).
 *   Both are record_overflow, detected from the header alone so an oversized
 *   record is never buffered.
 * - Zero-length handshake, alert or change_cipher_spec fragments are
 *   unexpected_message: §5.1 forbids zero-length handshake fragments and
 *   requires an alert record to hold exactly one alert; §5.4 makes receipt
 *   of an empty handshake or alert record unexpected_message; a CCS record
 *   must be exactly the byte 0x01 (§5).
 */
import { TLSError } from '../errors.js';
import { ContentType, codeName } from '../registry.js';
import {
  LEGACY_RECORD_VERSION,
  MAX_CIPHERTEXT_LENGTH,
  MAX_PLAINTEXT_LENGTH,
  RECORD_HEADER_LENGTH,
} from './constants.js';
import { ByteQueue } from './queue.js';

/** One record as it came off the wire. */
export interface RawRecord {
  /** The outer ContentType. */
  readonly type: number;
  /** legacy_record_version, informational only (see module comment). */
  readonly version: number;
  /** The record body (TLSPlaintext.fragment or TLSCiphertext.encrypted_record). */
  readonly fragment: Uint8Array;
  /** Header and fragment together: the AEAD needs the header as additional data. */
  readonly raw: Uint8Array;
}

/** The four content types of §5; `invalid(0)` is not one a record may carry. */
export function isKnownContentType(type: number): boolean {
  return (
    type === ContentType.change_cipher_spec ||
    type === ContentType.alert ||
    type === ContentType.handshake ||
    type === ContentType.application_data
  );
}

export function contentTypeName(type: number): string {
  return codeName(ContentType, type);
}

/** The 5-byte record header; also the AEAD additional data of §5.2. */
export function encodeRecordHeader(type: number, version: number, length: number): Uint8Array {
  const header = new Uint8Array(RECORD_HEADER_LENGTH);
  writeRecordHeader(header, type, version, length);
  return header;
}

/** Writes the 5-byte record header at the start of `out` (a record being assembled). */
export function writeRecordHeader(out: Uint8Array, type: number, version: number, length: number): void {
  out[0] = type;
  out[1] = version >>> 8;
  out[2] = version & 0xff;
  out[3] = length >>> 8;
  out[4] = length & 0xff;
}

/**
 * Writes one unprotected TLSPlaintext record (§5.1). The caller fragments:
 * more than 2^14 bytes is a programming error, reported as internal_error.
 */
export function encodePlaintextRecord(
  type: number,
  fragment: Uint8Array,
  legacyVersion: number = LEGACY_RECORD_VERSION,
): Uint8Array {
  if (!isKnownContentType(type)) {
    throw new TLSError('internal_error', `cannot send a record of unknown content type ${type}`);
  }
  if (fragment.length > MAX_PLAINTEXT_LENGTH) {
    throw new TLSError(
      'internal_error',
      `plaintext record fragment of ${fragment.length} bytes exceeds 2^14 (RFC 8446 §5.1): fragment it first`,
    );
  }
  if (!Number.isInteger(legacyVersion) || legacyVersion < 0 || legacyVersion > 0xffff) {
    throw new TLSError('internal_error', `legacy_record_version ${legacyVersion} is not a uint16`);
  }
  const out = new Uint8Array(RECORD_HEADER_LENGTH + fragment.length);
  writeRecordHeader(out, type, legacyVersion, fragment.length);
  out.set(fragment, RECORD_HEADER_LENGTH);
  return out;
}

/** The largest fragment §5.1/§5.2 allow for a record of this outer type. */
export function maxFragmentLength(outerType: number): number {
  return outerType === ContentType.application_data ? MAX_CIPHERTEXT_LENGTH : MAX_PLAINTEXT_LENGTH;
}

export interface RecordDeframerOptions {
  /**
   * push() refuses new input while this many bytes are already buffered.
   * A caller that drains with next() until it returns undefined never holds
   * more than one incomplete record (< 5 + 2^14 + 256 bytes), which is the
   * default; the bound only stops a caller that keeps pushing without
   * consuming, so memory stays proportional to one record.
   */
  readonly maxBufferedBytes?: number;
}

/** Default `maxBufferedBytes`: one maximum-size TLSCiphertext with its header. */
export const DEFAULT_MAX_BUFFERED_BYTES = RECORD_HEADER_LENGTH + MAX_CIPHERTEXT_LENGTH;

/**
 * Accepts the byte stream in arbitrary pieces (a byte at a time, or many
 * records at once) and yields whole records, validating each header as soon
 * as its bytes are present.
 */
export class RecordDeframer {
  private readonly queue = new ByteQueue();
  private readonly maxBufferedBytes: number;

  constructor(options: RecordDeframerOptions = {}) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  /** Bytes received but not yet returned as records. */
  get buffered(): number {
    return this.queue.length;
  }

  /**
   * Adds input. With `borrow`, bytes that start a fresh record boundary are
   * read in place rather than copied (ByteQueue.pushBorrowed); the caller
   * then calls detach() before `bytes` may change.
   */
  push(bytes: Uint8Array, borrow = false): void {
    if (bytes.length === 0) return;
    if (this.queue.length >= this.maxBufferedBytes) {
      throw new TLSError(
        'internal_error',
        `record input is not being consumed: ${this.queue.length} bytes already buffered; ` +
          'read the pending records before feeding more input',
      );
    }
    if (borrow) this.queue.pushBorrowed(bytes);
    else this.queue.push(bytes);
  }

  /** Stops viewing borrowed input: what is left of it is copied. */
  detach(): void {
    this.queue.detach();
  }

  /** The next complete record, or undefined when more input is needed. The record's bytes are its own. */
  next(): RawRecord | undefined {
    return this.nextRecord(false);
  }

  /**
   * Like next(), but the record's bytes are a view of the deframer's buffer,
   * valid only until the next push(): no copy, no allocation. For a caller
   * that is done with the record at once, as the record layer is (it
   * decrypts into a fresh array, or copies handshake fragments into the
   * reassembler, before it touches the deframer again).
   */
  nextTransient(): RawRecord | undefined {
    return this.nextRecord(true);
  }

  private nextRecord(transient: boolean): RawRecord | undefined {
    const q = this.queue;
    if (q.length === 0) return undefined;
    const type = q.at(0);
    checkContentType(type);
    if (q.length < RECORD_HEADER_LENGTH) return undefined;
    const version = q.uint(1, 2);
    const length = q.uint(3, 2);
    checkFragmentLength(type, length);
    if (q.length < RECORD_HEADER_LENGTH + length) return undefined;
    const raw = transient ? q.takeView(RECORD_HEADER_LENGTH + length) : q.take(RECORD_HEADER_LENGTH + length);
    return { type, version, fragment: raw.subarray(RECORD_HEADER_LENGTH), raw };
  }
}

/** §5: an unknown record type is unexpected_message. */
function checkContentType(type: number): void {
  if (!isKnownContentType(type)) {
    throw new TLSError(
      'unexpected_message',
      `received a record of unknown content type ${type} (0x${type.toString(16).padStart(2, '0')}): ` +
        'the peer is not speaking TLS, or the stream is corrupt',
    );
  }
}

/** §5.1/§5.2 size limits (record_overflow) and the no-empty-fragment rules (unexpected_message). */
function checkFragmentLength(type: number, length: number): void {
  const max = maxFragmentLength(type);
  if (length > max) {
    throw new TLSError(
      'record_overflow',
      `received a ${contentTypeName(type)} record of ${length} bytes; the limit is ${max} (RFC 8446 §5.1, §5.2)`,
    );
  }
  if (length === 0 && type !== ContentType.application_data) {
    throw new TLSError(
      'unexpected_message',
      `received an empty ${contentTypeName(type)} record (RFC 8446 §5.1, §5.4 forbid them)`,
    );
  }
}
