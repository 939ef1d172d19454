/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1), spelled out one RFC step per
 * method. It is stateless: every method maps secrets and transcript hashes
 * to a new secret, so the handshake decides when each one is computed.
 *
 *              0
 *              |
 *              v
 *    PSK ->  HKDF-Extract = Early Secret
 *              |
 *              +-----> Derive-Secret(., "ext binder" | "res binder", "") = binder_key
 *              +-----> Derive-Secret(., "c e traffic", ClientHello)
 *              +-----> Derive-Secret(., "e exp master", ClientHello)
 *              v
 *        Derive-Secret(., "derived", "")
 *              |
 *              v
 *    (EC)DHE -> HKDF-Extract = Handshake Secret
 *              |
 *              +-----> Derive-Secret(., "c hs traffic", ClientHello...ServerHello)
 *              +-----> Derive-Secret(., "s hs traffic", ClientHello...ServerHello)
 *              v
 *        Derive-Secret(., "derived", "")
 *              |
 *              v
 *    0 -> HKDF-Extract = Master Secret
 *              |
 *              +-----> Derive-Secret(., "c ap traffic", ClientHello...server Finished)
 *              +-----> Derive-Secret(., "s ap traffic", ClientHello...server Finished)
 *              +-----> Derive-Secret(., "exp master", ClientHello...server Finished)
 *              +-----> Derive-Secret(., "res master", ClientHello...client Finished)
 */
import type { CryptoProvider, Hash } from './provider.js';
import { utf8 } from '../util/bytes.js';

/** The "tls13 " prefix every HkdfLabel label carries (§7.1). */
const LABEL_PREFIX = utf8('tls13 ');
/** HkdfLabel bounds: opaque label<7..255>, opaque context<0..255>, uint16 length. */
const MAX_FULL_LABEL = 255;
const MIN_FULL_LABEL = 7;
const MAX_CONTEXT = 255;
const MAX_LENGTH = 0xffff;

/**
 * Encoded labels, cached: the §7.1 label set is small and fixed, and encoding
 * each one on every HKDF-Expand-Label showed in profiles. Exporter labels come
 * from the application (§7.5), so the cache is bounded and simply stops
 * growing when full (the values are immutable; callers never see them).
 */
const LABEL_CACHE_LIMIT = 64;
const labelCache = new Map<string, Uint8Array>();

function encodeLabel(label: string): Uint8Array {
  let bytes = labelCache.get(label);
  if (bytes === undefined) {
    bytes = utf8(label);
    if (labelCache.size < LABEL_CACHE_LIMIT) labelCache.set(label, bytes);
  }
  return bytes;
}

export class KeySchedule {
  private readonly zeros: Uint8Array;
  private emptyHashCache: Uint8Array | undefined;

  constructor(
    private readonly provider: CryptoProvider,
    readonly hash: Hash,
  ) {
    this.zeros = new Uint8Array(hash.outputLength);
  }

  // -- §7.1 building blocks ------------------------------------------------

  /**
   * HKDF-Expand-Label(Secret, Label, Context, Length) =
   *   HKDF-Expand(Secret, HkdfLabel, Length), where
   *   struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; } HkdfLabel;
   * `label` is given WITHOUT the "tls13 " prefix.
   */
  expandLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
    const labelBytes = encodeLabel(label);
    const fullLabelLength = LABEL_PREFIX.length + labelBytes.length;
    if (fullLabelLength < MIN_FULL_LABEL || fullLabelLength > MAX_FULL_LABEL) {
      throw new Error(`HKDF-Expand-Label: label "${label}" must be 1..${MAX_FULL_LABEL - LABEL_PREFIX.length} bytes`);
    }
    if (context.length > MAX_CONTEXT) {
      throw new Error(`HKDF-Expand-Label: context must be at most ${MAX_CONTEXT} bytes, got ${context.length}`);
    }
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_LENGTH) {
      throw new Error(`HKDF-Expand-Label: length must be 0..${MAX_LENGTH}, got ${length}`);
    }
    const info = new Uint8Array(2 + 1 + fullLabelLength + 1 + context.length);
    let off = 0;
    info[off++] = length >> 8;
    info[off++] = length & 0xff;
    info[off++] = fullLabelLength;
    info.set(LABEL_PREFIX, off);
    off += LABEL_PREFIX.length;
    info.set(labelBytes, off);
    off += labelBytes.length;
    info[off++] = context.length;
    info.set(context, off);
    return this.provider.hkdfExpand(this.hash, secret, info, length);
  }

  /** Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length). */
  deriveSecret(secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
    this.checkHashLength(transcriptHash, 'transcript hash');
    return this.expandLabel(secret, label, transcriptHash, this.hash.outputLength);
  }

  /** Hash(""), the transcript hash of no messages (used by "derived" and the binder keys). */
  emptyHash(): Uint8Array {
    this.emptyHashCache ??= this.hash.digest(new Uint8Array(0));
    return this.emptyHashCache.slice();
  }

  // -- Early Secret ---------------------------------------------------------

  /** Early Secret = HKDF-Extract(salt = 0, IKM = PSK or HashLen zeros when there is no PSK). */
  earlySecret(psk?: Uint8Array): Uint8Array {
    return this.provider.hkdfExtract(this.hash, this.zeros, psk ?? this.zeros);
  }

  /** binder_key: "ext binder" for external PSKs, "res binder" for resumption (§4.2.11.2). */
  binderKey(earlySecret: Uint8Array, kind: 'ext' | 'res'): Uint8Array {
    return this.deriveSecret(earlySecret, kind === 'ext' ? 'ext binder' : 'res binder', this.emptyHash());
  }

  /** client_early_traffic_secret, for 0-RTT data. */
  clientEarlyTrafficSecret(earlySecret: Uint8Array, clientHelloHash: Uint8Array): Uint8Array {
    return this.deriveSecret(earlySecret, 'c e traffic', clientHelloHash);
  }

  earlyExporterMasterSecret(earlySecret: Uint8Array, clientHelloHash: Uint8Array): Uint8Array {
    return this.deriveSecret(earlySecret, 'e exp master', clientHelloHash);
  }

  // -- Handshake Secret -----------------------------------------------------

  /** Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE). */
  handshakeSecret(earlySecret: Uint8Array, sharedSecret: Uint8Array): Uint8Array {
    const salt = this.deriveSecret(earlySecret, 'derived', this.emptyHash());
    return this.provider.hkdfExtract(this.hash, salt, sharedSecret);
  }

  clientHandshakeTrafficSecret(hs: Uint8Array, helloHash: Uint8Array): Uint8Array {
    return this.deriveSecret(hs, 'c hs traffic', helloHash);
  }

  serverHandshakeTrafficSecret(hs: Uint8Array, helloHash: Uint8Array): Uint8Array {
    return this.deriveSecret(hs, 's hs traffic', helloHash);
  }

  // -- Master Secret --------------------------------------------------------

  /** Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), HashLen zeros). */
  masterSecret(handshakeSecret: Uint8Array): Uint8Array {
    const salt = this.deriveSecret(handshakeSecret, 'derived', this.emptyHash());
    return this.provider.hkdfExtract(this.hash, salt, this.zeros);
  }

  clientApplicationTrafficSecret(ms: Uint8Array, serverFinishedHash: Uint8Array): Uint8Array {
    return this.deriveSecret(ms, 'c ap traffic', serverFinishedHash);
  }

  serverApplicationTrafficSecret(ms: Uint8Array, serverFinishedHash: Uint8Array): Uint8Array {
    return this.deriveSecret(ms, 's ap traffic', serverFinishedHash);
  }

  exporterMasterSecret(ms: Uint8Array, serverFinishedHash: Uint8Array): Uint8Array {
    return this.deriveSecret(ms, 'exp master', serverFinishedHash);
  }

  resumptionMasterSecret(ms: Uint8Array, clientFinishedHash: Uint8Array): Uint8Array {
    return this.deriveSecret(ms, 'res master', clientFinishedHash);
  }

  // -- Traffic keys, Finished, tickets, key update, exporters ---------------

  /**
   * §7.3: [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length),
   *       [sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length).
   */
  trafficKeys(secret: Uint8Array, keyLength: number, ivLength = 12): { key: Uint8Array; iv: Uint8Array } {
    return {
      key: this.expandLabel(secret, 'key', new Uint8Array(0), keyLength),
      iv: this.expandLabel(secret, 'iv', new Uint8Array(0), ivLength),
    };
  }

  /** §4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length). */
  finishedKey(baseKey: Uint8Array): Uint8Array {
    return this.expandLabel(baseKey, 'finished', new Uint8Array(0), this.hash.outputLength);
  }

  /** §4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*, CertificateVerify*)). */
  verifyData(baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
    this.checkHashLength(transcriptHash, 'transcript hash');
    return this.provider.hmac(this.hash, this.finishedKey(baseKey), transcriptHash);
  }

  /**
   * §4.2.11.2: a PSK binder is computed like Finished verify_data, with the
   * binder key as base key over Transcript-Hash(Truncate(ClientHello1)).
   */
  binder(binderKey: Uint8Array, truncatedHelloHash: Uint8Array): Uint8Array {
    return this.verifyData(binderKey, truncatedHelloHash);
  }

  /** §4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
  resumptionPsk(resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
    return this.expandLabel(resumptionMasterSecret, 'resumption', ticketNonce, this.hash.outputLength);
  }

  /** §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length). */
  nextTrafficSecret(secret: Uint8Array): Uint8Array {
    return this.expandLabel(secret, 'traffic upd', new Uint8Array(0), this.hash.outputLength);
  }

  /**
   * §7.5: TLS-Exporter(label, context_value, key_length) =
   *   HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length).
   * `exporterSecret` is the (early_)exporter_master_secret.
   */
  exportKeyingMaterial(exporterSecret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
    const secret = this.deriveSecret(exporterSecret, label, this.emptyHash());
    return this.expandLabel(secret, 'exporter', this.hash.digest(context), length);
  }

  private checkHashLength(value: Uint8Array, what: string): void {
    if (value.length !== this.hash.outputLength) {
      throw new Error(`${what} must be ${this.hash.outputLength} bytes for ${this.hash.name}, got ${value.length}`);
    }
  }
}
