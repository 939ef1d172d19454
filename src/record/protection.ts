/**
 * Record payload protection (RFC 8446 §5.2–§5.5): one direction's AEAD,
 * its sequence number, the per-record nonce, the inner content type and
 * padding.
 *
 *   struct {
 *       opaque content[TLSPlaintext.length];
 *       ContentType type;
 *       uint8 zeros[length_of_padding];
 *   } TLSInnerPlaintext;
 *
 * `maxInnerPlaintextLength` is the RFC 8449 record_size_limit as TLS 1.3
 * counts it: the whole TLSInnerPlaintext, so content + 1 (type) + padding
 * (RFC 8446 §5.4, RFC 8449 §4). It defaults to 2^14 + 1.
 */
import { TLSError } from '../errors.js';
import { ContentType } from '../registry.js';
import type { Aead, AeadKey, AeadName, CryptoProvider, RandomSource } from '../crypto/provider.js';
import {
  LEGACY_RECORD_VERSION,
  MAX_CIPHERTEXT_LENGTH,
  MAX_INNER_PLAINTEXT_LENGTH,
  MAX_SEQUENCE_NUMBER,
  MIN_RECORD_SIZE_LIMIT,
  RECORD_HEADER_LENGTH,
} from './constants.js';
import { contentTypeName, writeRecordHeader } from './framing.js';

/** A traffic key and IV, as derived in RFC 8446 §7.3. */
export interface TrafficKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/**
 * How many zero bytes to append after the inner content type (§5.4), given
 * the content length and type. The result is clamped so the record stays
 * within the size limit; a policy cannot make a record overflow.
 */
export type PaddingPolicy = (contentLength: number, contentType: number) => number;

/** No padding: the default. */
export const noPadding: PaddingPolicy = () => 0;

/**
 * Pads every TLSInnerPlaintext (content + type byte) up to a multiple of
 * `blockSize`, so an observer learns lengths only to that granularity.
 */
export function padToBlockSize(blockSize: number): PaddingPolicy {
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new RangeError(`padding block size must be a positive integer, got ${blockSize}`);
  }
  return (contentLength) => {
    const inner = contentLength + 1;
    return (blockSize - (inner % blockSize)) % blockSize;
  };
}

/** Uniformly random padding in [0, maxPadding], from `random` (e.g. the provider's). */
export function randomPadding(maxPadding: number, random: RandomSource): PaddingPolicy {
  if (!Number.isInteger(maxPadding) || maxPadding < 0 || maxPadding > MAX_INNER_PLAINTEXT_LENGTH) {
    throw new RangeError(`maximum padding must be an integer in [0, 2^14+1], got ${maxPadding}`);
  }
  return () => {
    if (maxPadding === 0) return 0;
    const r = random(4);
    const v = ((r[0]! << 24) >>> 0) + (r[1]! << 16) + (r[2]! << 8) + r[3]!;
    // Modulo bias is at most (maxPadding+1)/2^32: irrelevant for padding.
    return v % (maxPadding + 1);
  };
}

/**
 * §5.5: keys SHOULD be updated before the AEAD's safe limit. For AES-GCM the
 * RFC gives 2^24.5 full-size records; we ask for a KeyUpdate at 2^24, a
 * margin that costs one tiny message per 16 million records. For
 * ChaCha20-Poly1305 the RFC notes the sequence number wraps first, so the
 * only limit is staying well clear of the 64-bit wrap (§5.3).
 */
export function defaultKeyUsageLimit(aead: AeadName): bigint {
  return aead === 'CHACHA20-POLY1305' ? 2n ** 62n : 2n ** 24n;
}

/**
 * Validates an RFC 8449 record_size_limit for use as a TLS 1.3 inner-plaintext
 * limit: below 64 is illegal_parameter (§4); above 2^14 + 1 is allowed to be
 * advertised but TLS 1.3 never exceeds 2^14 + 1, so it is clamped.
 */
export function effectiveRecordSizeLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < MIN_RECORD_SIZE_LIMIT || limit > 0xffff) {
    throw new TLSError(
      'illegal_parameter',
      `record_size_limit ${limit} is outside [64, 65535] (RFC 8449 §4)`,
    );
  }
  return Math.min(limit, MAX_INNER_PLAINTEXT_LENGTH);
}

/**
 * The per-record nonce of §5.3: the 64-bit sequence number in network byte
 * order, left-padded with zeros to the IV length, XORed with the static IV.
 */
export function perRecordNonce(iv: Uint8Array, sequence: bigint): Uint8Array {
  if (sequence <= 0n) return iv.slice();
  // The sequence number as two 32-bit Numbers: at most three BigInt
  // operations per record instead of a BigInt shift and mask per byte.
  const small = sequence <= 0xffffffffn;
  const low = small ? Number(sequence) : Number(BigInt.asUintN(32, sequence));
  const high = small ? 0 : Number(BigInt.asUintN(32, sequence >> 32n));
  return nonceOf(iv, low, high);
}

/** The IV XORed with the 64-bit sequence number high ‖ low, left-padded to the IV's length (§5.3). */
function nonceOf(iv: Uint8Array, low: number, high: number): Uint8Array {
  const nonce = iv.slice();
  xorUint32(nonce, nonce.length - 4, low);
  if (high !== 0) xorUint32(nonce, nonce.length - 8, high);
  return nonce;
}

/** XORs a big-endian uint32 into `out` at `at` (bytes before index 0 are dropped). */
function xorUint32(out: Uint8Array, at: number, word: number): void {
  for (let i = 3; i >= 0; i--, word >>>= 8) {
    if (at + i >= 0) out[at + i]! ^= word & 0xff;
  }
}

/**
 * One direction's sequence number (§5.3) and the nonces derived from it.
 * Below 2^32 (every connection in practice: we ask for a KeyUpdate after
 * 2^24 AES-GCM records) it is kept as a Number, so the per-record path does
 * no BigInt arithmetic; beyond that, and for values a test sets, it is an
 * exact BigInt, up to and past 2^64 - 1 (the exhausted state).
 */
class SequenceNumber {
  /** The value while `big` is undefined. */
  private small = 0;
  private big: bigint | undefined;

  constructor(private readonly iv: Uint8Array) {}

  get value(): bigint {
    return this.big ?? BigInt(this.small);
  }

  set value(v: bigint) {
    if (v >= 0n && v <= 0xffffffffn) {
      this.small = Number(v);
      this.big = undefined;
    } else {
      this.big = v;
    }
  }

  /** §5.3: the sequence number MUST NOT wrap; past 2^64 - 1 nothing more may be protected. */
  get exhausted(): boolean {
    return this.big !== undefined && this.big > MAX_SEQUENCE_NUMBER;
  }

  /** value >= limit, without a BigInt in the common case. */
  atLeast(limit: bigint, limitNumber: number): boolean {
    return this.big === undefined ? this.small >= limitNumber : this.big >= limit;
  }

  /** The per-record nonce for the current value (same bytes as perRecordNonce). */
  nonce(): Uint8Array {
    return this.big !== undefined ? perRecordNonce(this.iv, this.big) : nonceOf(this.iv, this.small, 0);
  }

  advance(): void {
    if (this.big !== undefined) this.big++;
    else if (this.small < 0xffffffff) this.small++;
    else this.big = 0x100000000n;
  }
}

/** A bigint limit as a Number for comparisons with SequenceNumber's small values (exact below 2^53). */
function limitAsNumber(limit: bigint): number {
  return limit > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : limit < 0n ? 0 : Number(limit);
}

/** Imports the key once per traffic key, after checking lengths against the AEAD. */
function importTrafficKeys(provider: CryptoProvider, aeadName: AeadName, keys: TrafficKeys): { aead: Aead; key: AeadKey } {
  const aead = provider.aead(aeadName);
  if (keys.key.length !== aead.keyLength) {
    throw new TLSError('internal_error', `${aeadName} needs a ${aead.keyLength}-byte key, got ${keys.key.length}`);
  }
  // §5.3: iv_length is max(8, N_MIN); all TLS 1.3 AEADs use 12.
  if (keys.iv.length !== aead.nonceLength || keys.iv.length < 8) {
    throw new TLSError('internal_error', `${aeadName} needs a ${aead.nonceLength}-byte IV, got ${keys.iv.length}`);
  }
  return { aead, key: aead.importKey(keys.key) };
}

function checkInnerLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 2 || limit > MAX_INNER_PLAINTEXT_LENGTH) {
    throw new RangeError(`inner plaintext limit must be an integer in [2, 2^14+1], got ${limit}`);
  }
  return limit;
}

export interface RecordSealerOptions {
  /** Padding for records sealed without an explicit padding length. */
  readonly padding?: PaddingPolicy;
  /** The peer's record_size_limit (whole TLSInnerPlaintext), default 2^14 + 1. */
  readonly maxInnerPlaintextLength?: number;
  /** Records after which `keyUpdateDue` turns true; default per `defaultKeyUsageLimit`. */
  readonly keyUsageLimit?: bigint;
}

/** One direction's write protection (§5.2–§5.4). */
export class RecordSealer {
  padding: PaddingPolicy;
  readonly aead: Aead;
  private readonly key: AeadKey;
  private readonly seq: SequenceNumber;
  private innerLimit: number;
  private usageLimit: bigint;
  private usageLimitNumber: number;

  constructor(provider: CryptoProvider, aead: AeadName, keys: TrafficKeys, options: RecordSealerOptions = {}) {
    const imported = importTrafficKeys(provider, aead, keys);
    this.aead = imported.aead;
    this.key = imported.key;
    this.seq = new SequenceNumber(keys.iv.slice());
    this.padding = options.padding ?? noPadding;
    this.innerLimit = checkInnerLimit(options.maxInnerPlaintextLength ?? MAX_INNER_PLAINTEXT_LENGTH);
    this.usageLimit = options.keyUsageLimit ?? defaultKeyUsageLimit(aead);
    this.usageLimitNumber = limitAsNumber(this.usageLimit);
  }

  /** The sequence number of the next record; starts at 0 with each key (§5.3). */
  get sequence(): bigint {
    return this.seq.value;
  }

  set sequence(value: bigint) {
    this.seq.value = value;
  }

  /** Records after which `keyUpdateDue` turns true. */
  get keyUsageLimit(): bigint {
    return this.usageLimit;
  }

  set keyUsageLimit(limit: bigint) {
    this.usageLimit = limit;
    this.usageLimitNumber = limitAsNumber(limit);
  }

  /** Records sealed under this key so far. */
  get recordsSealed(): bigint {
    return this.seq.value;
  }

  /** §5.5: true once the connection should send a KeyUpdate (§4.6.3). */
  get keyUpdateDue(): boolean {
    return this.seq.atLeast(this.usageLimit, this.usageLimitNumber);
  }

  get maxInnerPlaintextLength(): number {
    return this.innerLimit;
  }

  set maxInnerPlaintextLength(limit: number) {
    this.innerLimit = checkInnerLimit(limit);
  }

  /** The most content one record can carry: the limit less the inner type byte. */
  get maxContentLength(): number {
    return this.innerLimit - 1;
  }

  /**
   * A complete TLSCiphertext record (5-byte header + encrypted
   * TLSInnerPlaintext). `paddingLength`, when given, overrides the policy and
   * must fit; the policy's value is clamped to fit.
   */
  seal(contentType: number, content: Uint8Array, paddingLength?: number): Uint8Array {
    this.checkSequence();
    checkSealableType(contentType, content);
    if (content.length + 1 > this.innerLimit) {
      throw new TLSError(
        'internal_error',
        `record content of ${content.length} bytes exceeds the ${this.maxContentLength}-byte limit: fragment it first`,
      );
    }
    const padding = this.choosePadding(contentType, content.length, paddingLength);
    const innerLength = content.length + 1 + padding;
    const tagLength = this.aead.tagLength;
    // One allocation per record, the record itself: header, then the
    // TLSInnerPlaintext (content ‖ type ‖ zeros, §5.2) assembled where the
    // ciphertext will go. The record's bytes are fresh zeros (allocateRecord),
    // so the padding is already there; the sealed output (ciphertext ‖ tag)
    // then overwrites every byte of the plaintext.
    const record = allocateRecord(RECORD_HEADER_LENGTH + innerLength + tagLength);
    writeRecordHeader(record, ContentType.application_data, LEGACY_RECORD_VERSION, innerLength + tagLength);
    const at = innerPlaintextOffset(tagLength);
    record.set(content, at);
    record[at + content.length] = contentType;
    const header = record.subarray(0, RECORD_HEADER_LENGTH);
    const inner = record.subarray(at, at + innerLength);
    const nonce = this.seq.nonce();
    if (this.key.sealInto) {
      this.key.sealInto(nonce, inner, header, record.subarray(RECORD_HEADER_LENGTH));
    } else {
      const sealed = this.key.seal(nonce, inner, header);
      if (sealed.length !== innerLength + tagLength) {
        throw new TLSError('internal_error', `${this.aead.name} produced ${sealed.length} bytes for ${innerLength}`);
      }
      record.set(sealed, RECORD_HEADER_LENGTH);
    }
    this.seq.advance();
    return record;
  }

  /** §5.3: a sequence number must never wrap; the connection rekeys long before. */
  private checkSequence(): void {
    if (this.seq.exhausted) {
      throw new TLSError(
        'internal_error',
        'write sequence number exhausted (2^64 records under one key): a KeyUpdate was required (RFC 8446 §5.3)',
      );
    }
  }

  private choosePadding(contentType: number, contentLength: number, explicit: number | undefined): number {
    const room = this.innerLimit - 1 - contentLength;
    if (explicit !== undefined) {
      if (!Number.isInteger(explicit) || explicit < 0 || explicit > room) {
        throw new TLSError(
          'internal_error',
          `padding of ${explicit} bytes does not fit: at most ${room} for ${contentLength} bytes of content (RFC 8446 §5.4)`,
        );
      }
      return explicit;
    }
    const wanted = this.padding(contentLength, contentType);
    if (!Number.isInteger(wanted) || wanted <= 0) return 0;
    return Math.min(wanted, room);
  }
}

/**
 * Only handshake, alert and application data are ever protected: a
 * change_cipher_spec record is always sent in the clear (§5, App. D.4), and
 * §5.4 forbids empty handshake and alert records.
 */
function checkSealableType(contentType: number, content: Uint8Array): void {
  if (
    contentType !== ContentType.handshake &&
    contentType !== ContentType.alert &&
    contentType !== ContentType.application_data
  ) {
    throw new TLSError('internal_error', `cannot protect a record of type ${contentTypeName(contentType)}`);
  }
  if (content.length === 0 && contentType !== ContentType.application_data) {
    throw new TLSError('internal_error', `cannot send an empty ${contentTypeName(contentType)} record (RFC 8446 §5.4)`);
  }
}

/**
 * Small records are cut from a shared slab instead of each getting an
 * ArrayBuffer of its own: a backing store per record (and its collection)
 * cost more than sealing a 1 KiB record with native AES-GCM. The slab is
 * only ever carved forward, never reused, so every record starts as zeros
 * (the padding of §5.4 relies on it) and no two records share bytes. What a
 * record holds is ciphertext, so a view kept alive by its user keeps
 * nothing secret alive with the slab. Records start on 8-byte boundaries so
 * the inner plaintext offset below stays 4-byte aligned.
 */
const SLAB_BYTES = 32 * 1024;
const SLAB_MAX_RECORD = 2 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

function allocateRecord(length: number): Uint8Array {
  if (length > SLAB_MAX_RECORD) return new Uint8Array(length);
  if (slabUsed + length > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const record = slab.subarray(slabUsed, slabUsed + length);
  slabUsed += (length + 7) & ~7;
  return record;
}

/**
 * Where seal() assembles the TLSInnerPlaintext inside the record: at byte 8,
 * a 4-byte boundary (JavaScript AEADs read 32-bit words and copy unaligned
 * input first), when the tag leaves room for the 3 bytes past the header;
 * right after the header otherwise. Either way it lies within the bytes the
 * ciphertext ‖ tag will occupy.
 */
function innerPlaintextOffset(tagLength: number): number {
  return tagLength >= 3 ? RECORD_HEADER_LENGTH + 3 : RECORD_HEADER_LENGTH;
}

export interface RecordOpenerOptions {
  /** Our advertised record_size_limit (whole TLSInnerPlaintext), default 2^14 + 1. */
  readonly maxInnerPlaintextLength?: number;
}

/** One direction's read protection (§5.2–§5.4). */
export class RecordOpener {
  readonly aead: Aead;
  private readonly key: AeadKey;
  private readonly seq: SequenceNumber;
  private innerLimit: number;

  constructor(provider: CryptoProvider, aead: AeadName, keys: TrafficKeys, options: RecordOpenerOptions = {}) {
    const imported = importTrafficKeys(provider, aead, keys);
    this.aead = imported.aead;
    this.key = imported.key;
    this.seq = new SequenceNumber(keys.iv.slice());
    this.innerLimit = checkInnerLimit(options.maxInnerPlaintextLength ?? MAX_INNER_PLAINTEXT_LENGTH);
  }

  /** The sequence number of the next record expected (§5.3). */
  get sequence(): bigint {
    return this.seq.value;
  }

  set sequence(value: bigint) {
    this.seq.value = value;
  }

  get maxInnerPlaintextLength(): number {
    return this.innerLimit;
  }

  set maxInnerPlaintextLength(limit: number) {
    this.innerLimit = checkInnerLimit(limit);
  }

  /**
   * Takes a whole record (header + body); returns the inner content type
   * (handshake, alert or application_data) and the content with padding
   * removed; the content never shares memory with `record`. The sequence
   * number advances only when the record authenticates, so a caller may
   * discard a failed record and go on (the early-data skipping of §4.2.10).
   */
  open(record: Uint8Array): { type: number; content: Uint8Array } {
    const body = this.checkCiphertextHeader(record);
    const header = record.subarray(0, RECORD_HEADER_LENGTH);
    const inner = this.decrypt(header, body);
    this.seq.advance();
    if (inner.length > this.innerLimit) {
      throw new TLSError(
        'record_overflow',
        `received a record with ${inner.length} bytes of inner plaintext; the limit is ${this.innerLimit} (RFC 8446 §5.4, RFC 8449)`,
      );
    }
    return splitInnerPlaintext(inner);
  }

  /** §5.2: the outer header of every protected record; returns the encrypted body. */
  private checkCiphertextHeader(record: Uint8Array): Uint8Array {
    if (record.length < RECORD_HEADER_LENGTH) {
      throw new TLSError('decode_error', `a record is at least 5 bytes, got ${record.length}`);
    }
    const outerType = record[0]!;
    if (outerType !== ContentType.application_data) {
      throw new TLSError(
        'unexpected_message',
        `received an unprotected ${contentTypeName(outerType)} record where a protected one was required (RFC 8446 §5.2)`,
      );
    }
    const length = (record[3]! << 8) | record[4]!;
    if (length > MAX_CIPHERTEXT_LENGTH) {
      throw new TLSError(
        'record_overflow',
        `received a protected record of ${length} bytes; the limit is 2^14 + 256 (RFC 8446 §5.2)`,
      );
    }
    if (length !== record.length - RECORD_HEADER_LENGTH) {
      throw new TLSError(
        'decode_error',
        `record header says ${length} bytes but ${record.length - RECORD_HEADER_LENGTH} follow`,
      );
    }
    return record.subarray(RECORD_HEADER_LENGTH);
  }

  /** AEAD-Decrypt with the header as additional data (§5.2); any failure is bad_record_mac. */
  private decrypt(header: Uint8Array, body: Uint8Array): Uint8Array {
    if (this.seq.exhausted) {
      throw new TLSError(
        'unexpected_message',
        'read sequence number exhausted (2^64 records under one key): the peer did not update its keys (RFC 8446 §5.3)',
      );
    }
    // Shorter than the tag cannot authenticate; not worth calling the AEAD.
    const plaintext =
      body.length < this.aead.tagLength ? null : this.key.open(this.seq.nonce(), body, header);
    if (plaintext === null) {
      throw new TLSError(
        'bad_record_mac',
        'a record failed authentication: the keys differ or the data was modified in transit (RFC 8446 §5.2)',
      );
    }
    // The record may be a view of the deframer's reusable buffer or of the
    // caller's input (borrowed): what we hand up must not share either. Every provider we ship returns a fresh
    // array; one that decrypts in place gets its output copied.
    return plaintext.buffer === body.buffer ? plaintext.slice() : plaintext;
  }
}

/**
 * §5.4: scan from the end for the first non-zero byte — the content type;
 * everything before it is content. No non-zero byte is unexpected_message.
 * Then §5 and §5.4 rules on what a protected record may carry.
 */
function splitInnerPlaintext(inner: Uint8Array): { type: number; content: Uint8Array } {
  let i = inner.length - 1;
  while (i >= 0 && inner[i] === 0) i--;
  if (i < 0) {
    throw new TLSError('unexpected_message', 'a protected record held only padding, no content type (RFC 8446 §5.4)');
  }
  const type = inner[i]!;
  const content = inner.subarray(0, i);
  if (type === ContentType.change_cipher_spec) {
    throw new TLSError('unexpected_message', 'received a protected change_cipher_spec record (RFC 8446 §5)');
  }
  if (type !== ContentType.handshake && type !== ContentType.alert && type !== ContentType.application_data) {
    throw new TLSError('unexpected_message', `received a protected record of unknown content type ${type} (RFC 8446 §5)`);
  }
  if (content.length === 0 && type !== ContentType.application_data) {
    throw new TLSError('unexpected_message', `received an empty protected ${contentTypeName(type)} record (RFC 8446 §5.4)`);
  }
  return { type, content };
}
