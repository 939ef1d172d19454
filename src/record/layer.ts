/**
 * The record layer as the sans-I/O connection drives it (RFC 8446 §5):
 * bytes in → handshake messages, alerts and application data out; messages
 * in → protected records out. It knows keys, sequence numbers and record
 * rules, and nothing of handshake states: the connection tells it when keys
 * change and when the compatibility ChangeCipherSpec is allowed.
 *
 * Reading is lazy: nextMessage() decrypts a record only when no complete
 * handshake message is waiting, so after the connection processes a message
 * that precedes a key change (ServerHello, Finished, KeyUpdate, …) it can
 * install the new keys before the next record is touched.
 *
 * Limits (all configurable, see RecordLayerOptions):
 * - input buffering: one maximum-size record beyond what has been consumed
 *   (the connection drains nextMessage() until undefined before receive());
 * - handshake messages: 64 KiB, Certificate 256 KiB (reassembly.ts);
 * - 32 consecutive records that carry nothing (empty application data,
 *   padding-only records, compatibility CCS): legal one at a time (§5.1,
 *   §5.4), but an endless run of them is a CPU-burning loop, so the 33rd in a
 *   row is unexpected_message;
 * - 4 compatibility CCS records per connection: Appendix D.4 peers send one.
 */
import { TLSError, asTLSError } from '../errors.js';
import { AlertDescription, ContentType, type AlertName } from '../registry.js';
import { concat } from '../util/bytes.js';
import type { AeadName, CryptoProvider } from '../crypto/provider.js';
import { parseAlertBody, encodeAlertBody } from './alert.js';
import {
  HANDSHAKE_HEADER_LENGTH,
  INITIAL_CLIENT_HELLO_RECORD_VERSION,
  LEGACY_RECORD_VERSION,
  MAX_INNER_PLAINTEXT_LENGTH,
  MAX_PLAINTEXT_LENGTH,
} from './constants.js';
import { contentTypeName, encodePlaintextRecord, RecordDeframer, type RawRecord } from './framing.js';
import {
  defaultKeyUsageLimit,
  effectiveRecordSizeLimit,
  noPadding,
  RecordOpener,
  RecordSealer,
  type PaddingPolicy,
  type TrafficKeys,
} from './protection.js';
import { HandshakeReassembler, type HandshakeSizeLimit } from './reassembly.js';

/** What nextMessage() yields. */
export type RecordItem =
  | {
      readonly kind: 'handshake';
      /** One whole handshake message, 4-byte header included. */
      readonly message: Uint8Array;
      /** Whether it arrived in protected records. */
      readonly encrypted: boolean;
    }
  | {
      readonly kind: 'alert';
      readonly level: number;
      /** The AlertDescription code point; unknown values are passed up unchanged (§6). */
      readonly description: number;
      readonly encrypted: boolean;
    }
  | {
      readonly kind: 'application_data';
      /** Never empty: empty records are dropped (and counted). Always arrived protected. */
      readonly data: Uint8Array;
    }
  | {
      /**
       * A compatibility ChangeCipherSpec (§5, App. D.4) was received and
       * dropped. Informational only (for logs and the inspector): the
       * connection must do nothing with it.
       */
      readonly kind: 'change_cipher_spec';
    };

export interface RecordLayerOptions {
  /** Padding for protected records (§5.4); default none. */
  readonly padding?: PaddingPolicy;
  /** Maximum handshake message body, in bytes; default 64 KiB, Certificate 256 KiB. */
  readonly maxHandshakeMessageLength?: HandshakeSizeLimit;
  /** receive() refuses input while this many bytes are unconsumed; default 5 + 2^14 + 256. */
  readonly maxBufferedBytes?: number;
  /** Consecutive records carrying nothing before unexpected_message; default 32. */
  readonly maxConsecutiveEmptyRecords?: number;
  /** Compatibility CCS records accepted per connection; default 4. */
  readonly maxCompatChangeCipherSpecs?: number;
  /** Records per write key before `keyUpdateDue` (§5.5); default per AEAD, see defaultKeyUsageLimit. */
  readonly keyUsageLimit?: bigint | ((aead: AeadName) => bigint);
}

export const DEFAULT_MAX_CONSECUTIVE_EMPTY_RECORDS = 32;
export const DEFAULT_MAX_COMPAT_CHANGE_CIPHER_SPECS = 4;

/**
 * What a skipped early-data record is charged, beyond its content: the
 * 16-byte tag of every RFC 8446 §B.4 AEAD we implement, plus the inner type.
 */
const SKIPPED_RECORD_OVERHEAD = 17;

/** The one valid ChangeCipherSpec record body (§5). */
const CCS_BODY = new Uint8Array([0x01]);

export class RecordLayer {
  private readonly provider: CryptoProvider;
  private readonly deframer: RecordDeframer;
  private readonly reassembler: HandshakeReassembler;
  private readonly maxEmptyRecords: number;
  private readonly maxCompatCcs: number;
  private readonly keyUsageLimit: (aead: AeadName) => bigint;
  private padding: PaddingPolicy;

  private opener: RecordOpener | undefined;
  private sealer: RecordSealer | undefined;
  /** Once reading fails, every later read repeats the error: no data after a fatal error (§6.2). */
  private readFailure: TLSError | undefined;

  private ccsAllowed = false;
  private plaintextAlertsAllowed = false;
  private ccsReceived = 0;
  private emptyRun = 0;
  /** Early-data skipping (§4.2.10): bytes still allowed to be discarded, or undefined when off. */
  private skipBudget: number | undefined;

  /** RFC 8449 limits on the whole TLSInnerPlaintext, protected records only. */
  private sendLimit = MAX_INNER_PLAINTEXT_LENGTH;
  private receiveLimit = MAX_INNER_PLAINTEXT_LENGTH;

  private outgoing: Uint8Array[] = [];
  private outgoingLength = 0;
  private pendingHandshake: Uint8Array[] = [];
  private pendingHandshakeLength = 0;
  private pendingHandshakeVersion = LEGACY_RECORD_VERSION;

  constructor(provider: CryptoProvider, options: RecordLayerOptions = {}) {
    this.provider = provider;
    this.deframer = new RecordDeframer(
      options.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: options.maxBufferedBytes },
    );
    this.reassembler = new HandshakeReassembler(
      options.maxHandshakeMessageLength === undefined ? {} : { maxMessageLength: options.maxHandshakeMessageLength },
    );
    this.maxEmptyRecords = nonNegativeInteger(
      options.maxConsecutiveEmptyRecords ?? DEFAULT_MAX_CONSECUTIVE_EMPTY_RECORDS,
      'maxConsecutiveEmptyRecords',
    );
    this.maxCompatCcs = nonNegativeInteger(
      options.maxCompatChangeCipherSpecs ?? DEFAULT_MAX_COMPAT_CHANGE_CIPHER_SPECS,
      'maxCompatChangeCipherSpecs',
    );
    const limit = options.keyUsageLimit ?? defaultKeyUsageLimit;
    this.keyUsageLimit = typeof limit === 'bigint' ? () => limit : limit;
    this.padding = options.padding ?? noPadding;
  }

  // ---------------------------------------------------------------- state

  /** Whether incoming records are protected (read keys installed). */
  get readProtected(): boolean {
    return this.opener !== undefined;
  }

  /** Whether outgoing records are protected (write keys installed). */
  get writeProtected(): boolean {
    return this.sealer !== undefined;
  }

  /** Sequence number of the next record read under the current key, or undefined in plaintext. */
  get readSequence(): bigint | undefined {
    return this.opener?.sequence;
  }

  /** Sequence number of the next record written under the current key, or undefined in plaintext. */
  get writeSequence(): bigint | undefined {
    return this.sealer?.sequence;
  }

  /** §5.5: the write key has protected enough records that the connection should send a KeyUpdate. */
  get keyUpdateDue(): boolean {
    return this.sealer?.keyUpdateDue ?? false;
  }

  /** Bytes received but not yet cut into records. */
  get bufferedBytes(): number {
    return this.deframer.buffered;
  }

  /** Bytes of an incomplete handshake message held back; must be 0 at a read key change (§5.1). */
  get pendingHandshakeBytes(): number {
    return this.reassembler.buffered;
  }

  /** Bytes that takeOutgoing() would return (including not yet framed handshake messages, before record overhead). */
  get pendingOutgoingBytes(): number {
    return this.outgoingLength + this.pendingHandshakeLength;
  }

  /** True while records that fail to decrypt are being discarded (see skipUndecryptable). */
  get skippingUndecryptable(): boolean {
    return this.skipBudget !== undefined;
  }

  // ----------------------------------------------------------- key changes

  /**
   * Installs the peer's traffic keys (or, with undefined, returns to
   * plaintext) and restarts the read sequence at 0 (§5.3). Refused with
   * unexpected_message while part of a handshake message is buffered:
   * handshake messages MUST NOT span key changes (§5.1).
   */
  setReadKeys(aead: AeadName, keys: TrafficKeys): void;
  setReadKeys(aead: undefined): void;
  setReadKeys(aead: AeadName | undefined, keys?: TrafficKeys): void {
    if (this.readFailure) throw this.readFailure;
    if (this.reassembler.buffered > 0) {
      this.readFailure = new TLSError(
        'unexpected_message',
        `a handshake message spans a key change: ${this.reassembler.buffered} bytes were left in the ` +
          'record before the change (RFC 8446 §5.1)',
      );
      throw this.readFailure;
    }
    this.opener =
      aead === undefined
        ? undefined
        : new RecordOpener(this.provider, aead, requireKeys(keys), { maxInnerPlaintextLength: this.receiveLimit });
  }

  /**
   * Installs our traffic keys (or, with undefined, returns to plaintext) and
   * restarts the write sequence at 0 (§5.3). Handshake messages already
   * written go out first, under the old keys, so the key change falls on a
   * record boundary (§5.1).
   */
  setWriteKeys(aead: AeadName, keys: TrafficKeys): void;
  setWriteKeys(aead: undefined): void;
  setWriteKeys(aead: AeadName | undefined, keys?: TrafficKeys): void {
    this.flush();
    this.sealer =
      aead === undefined
        ? undefined
        : new RecordSealer(this.provider, aead, requireKeys(keys), {
            padding: this.padding,
            maxInnerPlaintextLength: this.sendLimit,
            keyUsageLimit: this.keyUsageLimit(aead),
          });
  }

  // ------------------------------------------------------- policy switches

  /**
   * §5: an unprotected CCS of the single byte 0x01 is dropped "at any time
   * after the first ClientHello message has been sent or received and before
   * the peer's Finished message has been received"; outside that window it is
   * unexpected_message. The connection opens and closes the window.
   */
  allowCompatCcs(allowed: boolean): void {
    this.ccsAllowed = allowed;
  }

  /**
   * Accept unprotected alerts although read keys are installed. For the
   * server right after ServerHello: a client that could not process it
   * answers with a plaintext alert. Turned off automatically by the first
   * record that decrypts. The item says `encrypted: false`.
   */
  allowPlaintextAlerts(allowed: boolean): void {
    this.plaintextAlertsAllowed = allowed;
  }

  /**
   * §4.2.10, a server that rejects 0-RTT: discard records that fail to
   * decrypt, up to `maxBytes` in total (max_early_data_size), until one
   * decrypts; more than that is bad_record_mac. Without read keys (after a
   * HelloRetryRequest) it discards application_data records instead, until
   * the next handshake record; more than `maxBytes` is then
   * unexpected_message. Each record is charged its length less 17 bytes
   * (tag + inner type), at least 1.
   */
  skipUndecryptable(maxBytes: number): void {
    this.skipBudget = nonNegativeInteger(maxBytes, 'maxBytes');
  }

  /** The peer's record_size_limit (RFC 8449): caps the protected records we send. */
  setSendRecordSizeLimit(limit: number): void {
    this.sendLimit = effectiveRecordSizeLimit(limit);
    if (this.sealer) this.sealer.maxInnerPlaintextLength = this.sendLimit;
  }

  /** Our advertised record_size_limit (RFC 8449): larger protected records received are record_overflow. */
  setReceiveRecordSizeLimit(limit: number): void {
    this.receiveLimit = effectiveRecordSizeLimit(limit);
    if (this.opener) this.opener.maxInnerPlaintextLength = this.receiveLimit;
  }

  /** Padding for protected records from now on (§5.4). */
  setPadding(policy: PaddingPolicy): void {
    this.padding = policy;
    if (this.sealer) this.sealer.padding = policy;
  }

  // -------------------------------------------------------------- reading

  /**
   * Feeds bytes from the transport. Call nextMessage() until undefined before
   * feeding more. With `borrow`, whole records are decrypted straight from
   * `bytes` without a copy into our buffer; the caller must then call
   * detachInput() before `bytes` may be reused or changed.
   */
  receive(bytes: Uint8Array, borrow = false): void {
    if (this.readFailure) throw this.readFailure;
    this.deframer.push(bytes, borrow);
  }

  /** Copies what is left of borrowed input (see receive) into our own buffer. */
  detachInput(): void {
    this.deframer.detach();
  }

  /**
   * The next handshake message, alert, application data or (informational)
   * compatibility CCS; undefined when more input is needed. Errors are
   * TLSErrors carrying the alert to send; after one, reading stays failed.
   */
  nextMessage(): RecordItem | undefined {
    if (this.readFailure) throw this.readFailure;
    try {
      return this.pull();
    } catch (err) {
      this.readFailure = asTLSError(err, 'record layer');
      throw this.readFailure;
    }
  }

  private pull(): RecordItem | undefined {
    for (;;) {
      const message = this.reassembler.next();
      if (message) return { kind: 'handshake', message, encrypted: this.opener !== undefined };
      // A view of the deframer's buffer: processRecord() decrypts it, or
      // copies it into the reassembler, before the deframer is fed again.
      const record = this.deframer.nextTransient();
      if (!record) return undefined;
      const item = this.processRecord(record);
      if (item) return item;
    }
  }

  private processRecord(record: RawRecord): RecordItem | undefined {
    if (record.type === ContentType.change_cipher_spec) return this.compatChangeCipherSpec(record);
    if (this.opener === undefined) return this.plaintextRecord(record);
    if (record.type !== ContentType.application_data) return this.unprotectedRecordUnderKeys(record);
    return this.protectedRecord(this.opener, record);
  }

  /** §5: the one record type that may arrive unprotected at any point of the handshake. */
  private compatChangeCipherSpec(record: RawRecord): RecordItem {
    this.checkNotInterleaved(ContentType.change_cipher_spec);
    if (!this.ccsAllowed) {
      throw new TLSError(
        'unexpected_message',
        'received change_cipher_spec outside the handshake (RFC 8446 §5: only between the first ClientHello and the peer Finished)',
      );
    }
    if (record.fragment.length !== 1 || record.fragment[0] !== CCS_BODY[0]) {
      throw new TLSError('unexpected_message', 'received a change_cipher_spec record other than the single byte 0x01 (RFC 8446 §5)');
    }
    if (++this.ccsReceived > this.maxCompatCcs) {
      throw new TLSError('unexpected_message', `received more than ${this.maxCompatCcs} change_cipher_spec records`);
    }
    this.noteEmptyRecord();
    return { kind: 'change_cipher_spec' };
  }

  /** Before read keys: handshake and alerts in the clear; application data is never unprotected (§5.1). */
  private plaintextRecord(record: RawRecord): RecordItem | undefined {
    switch (record.type) {
      case ContentType.handshake:
        // After a HelloRetryRequest, the second ClientHello ends early-data skipping.
        this.skipBudget = undefined;
        this.reassembler.push(record.fragment);
        this.noteContent();
        return undefined;
      case ContentType.alert:
        return this.alert(record.fragment, false);
      default:
        if (this.skipBudget !== undefined) {
          this.chargeSkipped(record, 'unexpected_message');
          return undefined;
        }
        throw new TLSError(
          'unexpected_message',
          'received application data before any keys were installed: application data is always protected (RFC 8446 §5.1)',
        );
    }
  }

  /** After read keys, only the compatibility CCS (and, if allowed, an alert) may come unprotected. */
  private unprotectedRecordUnderKeys(record: RawRecord): RecordItem {
    if (record.type === ContentType.alert && this.plaintextAlertsAllowed) return this.alert(record.fragment, false);
    throw new TLSError(
      'unexpected_message',
      `received an unprotected ${contentTypeName(record.type)} record after keys were installed (RFC 8446 §5.2)`,
    );
  }

  private protectedRecord(opener: RecordOpener, record: RawRecord): RecordItem | undefined {
    let inner: { type: number; content: Uint8Array };
    try {
      inner = opener.open(record.raw);
    } catch (err) {
      if (this.skipBudget !== undefined && err instanceof TLSError && err.alert === 'bad_record_mac') {
        this.chargeSkipped(record, 'bad_record_mac');
        return undefined;
      }
      throw err;
    }
    // A record decrypted: the peer is using these keys, so early-data skipping
    // (§4.2.10) and the plaintext-alert allowance are over.
    this.skipBudget = undefined;
    this.plaintextAlertsAllowed = false;
    switch (inner.type) {
      case ContentType.handshake:
        this.reassembler.push(inner.content);
        this.noteContent();
        return undefined;
      case ContentType.alert:
        return this.alert(inner.content, true);
      default:
        // application_data (the opener returns nothing else).
        this.checkNotInterleaved(ContentType.application_data);
        if (inner.content.length === 0) {
          this.noteEmptyRecord();
          return undefined;
        }
        this.noteContent();
        return { kind: 'application_data', data: inner.content };
    }
  }

  private alert(fragment: Uint8Array, encrypted: boolean): RecordItem {
    this.checkNotInterleaved(ContentType.alert);
    const { level, description } = parseAlertBody(fragment);
    this.noteContent();
    return { kind: 'alert', level, description, encrypted };
  }

  /** §5.1: once a handshake message is split over records, nothing else may come between. */
  private checkNotInterleaved(type: number): void {
    if (this.reassembler.buffered > 0) {
      throw new TLSError(
        'unexpected_message',
        `received a ${contentTypeName(type)} record in the middle of a fragmented handshake message (RFC 8446 §5.1)`,
      );
    }
  }

  private chargeSkipped(record: RawRecord, alert: 'bad_record_mac' | 'unexpected_message'): void {
    const cost = Math.max(1, record.fragment.length - SKIPPED_RECORD_OVERHEAD);
    const budget = this.skipBudget ?? 0;
    if (cost > budget) {
      throw new TLSError(
        alert,
        'the peer sent more rejected early data than max_early_data_size allows (RFC 8446 §4.2.10)',
      );
    }
    this.skipBudget = budget - cost;
  }

  private noteEmptyRecord(): void {
    if (++this.emptyRun > this.maxEmptyRecords) {
      throw new TLSError(
        'unexpected_message',
        `received more than ${this.maxEmptyRecords} consecutive records without content`,
      );
    }
  }

  private noteContent(): void {
    this.emptyRun = 0;
  }

  // -------------------------------------------------------------- writing

  /**
   * Queues one or more whole handshake messages. Consecutive messages share
   * records (§5.1 allows coalescing) until flush(), a key change, another
   * record type or takeOutgoing(). `legacyRecordVersion` 0x0301 is for the
   * initial ClientHello only (§5.1); it is ignored for protected records.
   */
  writeHandshake(message: Uint8Array, options: { legacyRecordVersion?: number } = {}): void {
    checkWholeHandshakeMessages(message);
    const version = options.legacyRecordVersion ?? LEGACY_RECORD_VERSION;
    if (version !== LEGACY_RECORD_VERSION && version !== INITIAL_CLIENT_HELLO_RECORD_VERSION) {
      throw new TLSError('internal_error', `legacy_record_version must be 0x0303 or 0x0301, got 0x${version.toString(16)}`);
    }
    if (this.pendingHandshakeLength > 0 && version !== this.pendingHandshakeVersion) this.flush();
    this.pendingHandshakeVersion = version;
    this.pendingHandshake.push(message.slice());
    this.pendingHandshakeLength += message.length;
  }

  /** One alert in one record (§5.1), protected if write keys are installed. */
  writeAlert(level: number, description: number | AlertName): void {
    const code = typeof description === 'number' ? description : AlertDescription[description];
    const body = encodeAlertBody(level, code);
    this.flush();
    this.emitRecord(ContentType.alert, body, LEGACY_RECORD_VERSION);
  }

  /**
   * Application data, fragmented to the record limit. Requires write keys:
   * application data is never sent unprotected (§5.1). Empty input sends
   * nothing.
   */
  writeApplicationData(data: Uint8Array): void {
    if (data.length === 0) return;
    const sealer = this.sealer;
    if (!sealer) {
      throw new TLSError('internal_error', 'cannot send application data before keys are installed (RFC 8446 §5.1)');
    }
    this.flush();
    const max = sealer.maxContentLength;
    if (data.length <= max) {
      this.pushOutgoing(sealer.seal(ContentType.application_data, data));
      return;
    }
    for (let off = 0; off < data.length; off += max) {
      this.pushOutgoing(sealer.seal(ContentType.application_data, data.subarray(off, off + max)));
    }
  }

  /** The compatibility CCS (App. D.4): always an unprotected record holding 0x01. */
  writeChangeCipherSpec(): void {
    this.flush();
    this.pushOutgoing(encodePlaintextRecord(ContentType.change_cipher_spec, CCS_BODY));
  }

  /** Frames the queued handshake messages into records now. */
  flush(): void {
    if (this.pendingHandshakeLength === 0) return;
    const data = concat(...this.pendingHandshake);
    const version = this.pendingHandshakeVersion;
    this.pendingHandshake = [];
    this.pendingHandshakeLength = 0;
    this.pendingHandshakeVersion = LEGACY_RECORD_VERSION;
    const max = this.sealer ? this.sealer.maxContentLength : MAX_PLAINTEXT_LENGTH;
    for (let off = 0; off < data.length; off += max) {
      this.emitRecord(ContentType.handshake, data.subarray(off, off + max), version);
    }
  }

  /** Everything to send now, as one byte string; clears the output. */
  takeOutgoing(): Uint8Array {
    this.flush();
    const out = this.outgoing.length === 1 ? this.outgoing[0]! : concat(...this.outgoing);
    this.outgoing = [];
    this.outgoingLength = 0;
    return out;
  }

  private emitRecord(type: number, content: Uint8Array, version: number): void {
    this.pushOutgoing(this.sealer ? this.sealer.seal(type, content) : encodePlaintextRecord(type, content, version));
  }

  private pushOutgoing(record: Uint8Array): void {
    this.outgoing.push(record);
    this.outgoingLength += record.length;
  }
}

function requireKeys(keys: TrafficKeys | undefined): TrafficKeys {
  if (!keys) throw new TLSError('internal_error', 'an AEAD was given without traffic keys');
  return keys;
}

function nonNegativeInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
  return value;
}

/**
 * The record layer frames what it is given; a truncated or concatenated-
 * with-garbage message here is a bug in the caller, caught before it reaches
 * the peer. Empty input is refused: §5.1 forbids zero-length handshake
 * fragments.
 */
function checkWholeHandshakeMessages(data: Uint8Array): void {
  if (data.length === 0) throw new TLSError('internal_error', 'cannot send an empty handshake fragment (RFC 8446 §5.1)');
  let off = 0;
  while (off < data.length) {
    if (data.length - off < HANDSHAKE_HEADER_LENGTH) break;
    off += HANDSHAKE_HEADER_LENGTH + ((data[off + 1]! << 16) | (data[off + 2]! << 8) | data[off + 3]!);
  }
  if (off !== data.length) {
    throw new TLSError('internal_error', 'writeHandshake() needs whole handshake messages (type, uint24 length, body)');
  }
}
