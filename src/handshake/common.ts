/**
 * What the client and server handshakes share: the transcript and key
 * schedule, sending and receiving messages, installing traffic keys,
 * Finished, CertificateVerify, certificate checks, KeyUpdate, and the
 * connection state they build up.
 */
import type { CertifiedKey, ConnectionState } from '../config.js';
import type { Hash, PublicKey } from '../crypto/provider.js';
import { KeySchedule } from '../crypto/keySchedule.js';
import type { CipherSuiteInfo } from '../crypto/suites.js';
import { TLSError, asTLSError, fromDecodeError } from '../errors.js';
import type { RecordLayer } from '../record/index.js';
import { HandshakeType, KeyUpdateRequest, NamedGroup, SignatureScheme, codeName } from '../registry.js';
import { DecodeError, constantTimeEqual, toHex } from '../util/bytes.js';
import { type Step, wait } from '../util/steps.js';
import {
  type Certificate as CertificateMessage,
  type CertificateVerify,
  type Finished,
  type HandshakeMessage,
  type KeyUpdate,
  decodeHandshake,
  encodeHandshake,
} from '../wire/index.js';
import { type Certificate, X509VerificationError, parseCertificateShared, verifyChain } from '../x509/index.js';
import type { ConnectionEvent, TraceEntry, TrafficLevel } from './events.js';
import { transitionFor, type TransitionTable } from './machine.js';
import type { CommonSettings } from './settings.js';
import { certificateVerifyContent } from './signing.js';
import { Transcript } from './transcript.js';

/** What a handshake needs from the connection that drives it. */
export interface HandshakeHost {
  readonly record: RecordLayer;
  /** True once we sent close_notify or a fatal alert: nothing more may go out (§6). */
  readonly sendingClosed: boolean;
  emit(event: ConnectionEvent): void;
}

/** NSS key log labels (the SSLKEYLOGFILE format Wireshark reads). */
export type KeyLogLabel =
  | 'CLIENT_EARLY_TRAFFIC_SECRET'
  | 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'
  | 'SERVER_HANDSHAKE_TRAFFIC_SECRET'
  | 'CLIENT_TRAFFIC_SECRET_0'
  | 'SERVER_TRAFFIC_SECRET_0'
  | 'EXPORTER_SECRET'
  | 'EARLY_EXPORTER_SECRET';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** KeyUpdates accepted in a row without application data between them. */
export const MAX_KEY_UPDATES_WITHOUT_DATA = 32;

/** The client random once the handshake no longer needs it. */
const RELEASED = new Uint8Array(0);

/** Handshake types TLS 1.3 defines; which of them a state accepts is the table's business. */
const TLS13_HANDSHAKE_TYPES: ReadonlySet<number> = new Set(Object.values(HandshakeType));

export abstract class Handshake<S extends string> {
  abstract readonly side: 'client' | 'server';
  abstract state: S;
  protected abstract readonly table: TransitionTable<S>;

  readonly transcript = new Transcript();
  protected schedule: KeySchedule | undefined;
  protected suite: CipherSuiteInfo | undefined;
  /** Client random, the key log's identifier for this connection. */
  protected clientRandom: Uint8Array = new Uint8Array(32);

  /** Traffic secrets for the application phase, kept for KeyUpdate and exporters. */
  protected readSecret: Uint8Array | undefined;
  protected writeSecret: Uint8Array | undefined;
  protected exporterSecret: Uint8Array | undefined;
  /** KeyUpdates received since the last application data (flood guard). */
  private keyUpdatesWithoutData = 0;

  /** The connection saw application data: KeyUpdates since are not a flood. */
  noteApplicationData(): void {
    this.keyUpdatesWithoutData = 0;
  }

  /** Counts the states a step passes through on its own (see `receive`). */
  protected moves = 0;
  /** Set when we asked the peer to update its keys and it has not yet done so. */
  private keyUpdateRequested = false;

  protected readonly info: Mutable<ConnectionState>;

  constructor(
    protected readonly host: HandshakeHost,
    protected settings: CommonSettings,
    side: 'client' | 'server',
  ) {
    this.info = {
      side,
      version: undefined,
      cipherSuite: undefined,
      group: undefined,
      signatureScheme: undefined,
      alpnProtocol: undefined,
      serverName: undefined,
      peerCertificates: [],
      verifiedChains: [],
      resumed: false,
      earlyDataAccepted: false,
      handshakeComplete: false,
      handshakeConfirmed: false,
    };
  }

  connectionState(): ConnectionState {
    return { ...this.info };
  }

  // ------------------------------------------------------------ dispatch

  /**
   * Handles one whole handshake message: decodes it, looks the transition up
   * in the table (anything not listed is unexpected_message) and runs its step.
   */
  *receive(raw: Uint8Array): Step<void> {
    const message = this.decode(raw);
    const transition = transitionFor(this.table, this.state, message.type);
    this.trace({ kind: 'message', direction: 'received', message, bytes: raw });
    const movesBefore = this.moves;
    const to = yield* this.step(message, raw);
    if (!transition.to.includes(to)) {
      throw new TLSError('internal_error', `step ${transition.step} led to ${to}, which the table does not allow`);
    }
    // A step may have passed through states of its own (traced as it went);
    // the last arrow starts where it left off, and is not repeated if the
    // step already arrived (the server's HelloRetryRequest back to START).
    const from = this.state;
    this.state = to;
    if (from !== to || this.moves === movesBefore) this.trace({ kind: 'transition', from, to, on: message.type, rfc: transition.rfc });
  }

  /** The step for `message` in the current state; the table has already allowed it. */
  protected abstract step(message: HandshakeMessage, raw: Uint8Array): Step<S>;

  private decode(raw: Uint8Array): HandshakeMessage {
    // A handshake type TLS 1.3 does not have (e.g. TLS 1.2's ServerKeyExchange)
    // is a message out of place, not a malformed one (§6.2).
    if (!TLS13_HANDSHAKE_TYPES.has(raw[0]!)) {
      throw new TLSError('unexpected_message', `received handshake message type ${raw[0]}, which TLS 1.3 does not use`);
    }
    try {
      const hashLength = this.suite ? this.schedule?.hash.outputLength : undefined;
      return decodeHandshake(raw, hashLength === undefined ? {} : { hashLength });
    } catch (err) {
      if (err instanceof DecodeError) throw fromDecodeError(err, 'malformed handshake message');
      throw err;
    }
  }

  // ------------------------------------------------------------- sending

  /**
   * Encodes and queues a message, adding it to the transcript. Returns the
   * message as sent, which differs from `original` only if `shapeMessage`
   * reshaped it (then the sent form is what later checks must compare with).
   */
  protected send<M extends HandshakeMessage>(original: M, options: { legacyRecordVersion?: number } = {}): M {
    const shape = this.settings.config.shapeMessage;
    const message = (shape ? shape(original) : original) as M;
    if (message.type !== original.type) throw new TLSError('internal_error', 'shapeMessage must not change the message type');
    this.sendEncoded(message, encodeHandshake(message), options);
    return message;
  }

  /** Queues an already encoded message (e.g. a ClientHello whose binders were patched in). */
  protected sendEncoded(message: HandshakeMessage, bytes: Uint8Array, options: { legacyRecordVersion?: number } = {}): void {
    this.transcript.add(bytes);
    this.host.record.writeHandshake(bytes, options);
    this.trace({ kind: 'message', direction: 'sent', message, bytes });
  }

  /** The dummy ChangeCipherSpec of middlebox compatibility mode (Appendix D.4). */
  protected sendChangeCipherSpec(): void {
    this.host.record.writeChangeCipherSpec();
    this.trace({ kind: 'change_cipher_spec', direction: 'sent' });
  }

  protected trace(entry: TraceEntry): void {
    this.settings.config.trace?.(entry);
  }

  // ----------------------------------------------------------- key schedule

  /** Fixes the suite: from here on the transcript and key schedule use its hash. */
  protected useSuite(suite: CipherSuiteInfo): void {
    const hash: Hash = this.settings.provider.hash(suite.hash);
    this.suite = suite;
    this.schedule = new KeySchedule(this.settings.provider, hash);
    this.transcript.useHash(hash);
    this.info.cipherSuite = { code: suite.code, name: suite.name };
    this.info.version = 'TLSv1.3';
  }

  protected get ks(): KeySchedule {
    if (!this.schedule) throw new TLSError('internal_error', 'key schedule used before the cipher suite was chosen');
    return this.schedule;
  }

  protected get cipher(): CipherSuiteInfo {
    if (!this.suite) throw new TLSError('internal_error', 'cipher suite used before it was chosen');
    return this.suite;
  }

  /**
   * Derives traffic keys from `secret` and installs them in the record layer.
   * `suite` is the handshake's, except for a client's 0-RTT keys, which use
   * the suite of the ticket before the server has chosen one (§4.2.10).
   */
  protected installKeys(
    direction: 'read' | 'write',
    level: TrafficLevel,
    secret: Uint8Array,
    label?: KeyLogLabel,
    suite: CipherSuiteInfo = this.cipher,
  ): void {
    const ks = suite === this.suite ? this.ks : new KeySchedule(this.settings.provider, this.settings.provider.hash(suite.hash));
    const keys = ks.trafficKeys(secret, suite.keyLength, suite.ivLength);
    if (direction === 'read') this.host.record.setReadKeys(suite.aead, keys);
    else this.host.record.setWriteKeys(suite.aead, keys);
    if (level === 'application') {
      if (direction === 'read') this.readSecret = secret;
      else this.writeSecret = secret;
    }
    if (label) this.keyLog(label, secret);
    this.trace({ kind: 'keys', direction, level, ...(this.settings.config.traceSecrets ? { secret } : {}) });
  }

  protected keyLog(label: KeyLogLabel, secret: Uint8Array): void {
    this.settings.config.keyLog?.(`${label} ${toHex(this.clientRandom)} ${toHex(secret)}`);
  }

  /** Finished.verify_data over the transcript so far (§4.4.4). */
  protected finishedFor(baseKey: Uint8Array): Finished {
    return { type: 'finished', verifyData: this.ks.verifyData(baseKey, this.transcript.digest()) };
  }

  /**
   * Checks the peer's Finished in constant time (§4.4.4): a mismatch means
   * the handshake was tampered with or the keys differ.
   */
  protected checkFinished(message: Finished, baseKey: Uint8Array, expectedHash: Uint8Array): void {
    const expected = this.ks.verifyData(baseKey, expectedHash);
    if (!constantTimeEqual(expected, message.verifyData)) {
      throw new TLSError('decrypt_error', "the peer's Finished did not verify: the handshake was altered in transit or the peer derived different keys");
    }
  }

  // ---------------------------------------------------------- certificates

  /** Our Certificate message (§4.4.2). */
  protected certificateMessage(key: CertifiedKey | undefined, context: Uint8Array): CertificateMessage {
    return {
      type: 'certificate',
      certificateRequestContext: context,
      certificateList: (key?.chain ?? []).map((certData) => ({ certData, extensions: [] })),
    };
  }

  /** Our CertificateVerify (§4.4.3), signed over the transcript so far. */
  protected *certificateVerify(key: CertifiedKey, scheme: number): Step<CertificateVerify> {
    const algorithm = this.settings.provider.signature(scheme);
    if (!algorithm) throw new TLSError('internal_error', `signature scheme ${codeName(SignatureScheme, scheme)} is not available`);
    const content = certificateVerifyContent(this.side, this.transcript.digest());
    const signature = yield* wait(algorithm.sign(key.privateKey, content, this.settings.random));
    if (this.side === 'server') this.info.signatureScheme = { code: scheme, name: algorithm.name };
    return { type: 'certificate_verify', algorithm: scheme, signature };
  }

  /**
   * Verifies the peer's chain: parse, build a path to our roots, check the
   * host name (client side) and the extended key usage, then the user's
   * `verifyPeerCertificate` hook. With `insecureSkipVerify` only the parse
   * and the hook run. Returns the leaf's public key for CertificateVerify.
   */
  protected *verifyPeerChain(
    message: CertificateMessage,
    options: { usage: 'server' | 'client'; serverName?: string; roots: readonly Certificate[]; verify: boolean },
  ): Step<PublicKey> {
    let parsed: Certificate[];
    try {
      // Shared with other connections that met the same certificates: an idle
      // connection then holds no private parse of its peer's chain, and a
      // client does not re-parse the chain it sees on every handshake.
      parsed = message.certificateList.map((e) => parseCertificateShared(e.certData));
    } catch (err) {
      throw new TLSError('bad_certificate', `the peer sent a certificate that does not parse: ${(err as Error).message}`, 'local', { cause: err });
    }
    const leaf = parsed[0]!;
    // The parsed certificates' own copies of the DER: keeping views into the
    // Certificate message would keep that whole message alive.
    const rawCerts = parsed.map((c) => c.raw);
    this.info.peerCertificates = rawCerts;
    if (!leaf.publicKey) {
      throw new TLSError('unsupported_certificate', "the peer's certificate has a public key type we do not support (use ECDSA P-256/P-384, Ed25519 or RSA)");
    }
    let chains: Certificate[][] = [];
    if (options.verify) {
      if (options.roots.length === 0) {
        throw new TLSError('unknown_ca', 'no trust anchors configured: set `ca` to the CA certificates you trust');
      }
      try {
        chains = yield* wait(
          verifyChain({
            leaf,
            intermediates: [...parsed.slice(1), ...this.settings.intermediates],
            roots: options.roots,
            now: this.settings.now(),
            provider: this.settings.provider,
            usage: options.usage,
            ...(options.serverName === undefined ? {} : { serverName: options.serverName }),
          }),
        );
      } catch (err) {
        if (err instanceof X509VerificationError) throw new TLSError(err.alert, err.message, 'local', { cause: err });
        throw err;
      }
      this.info.verifiedChains = chains;
    }
    const hook = this.settings.config.verifyPeerCertificate;
    if (hook) yield* this.callHook(() => hook(rawCerts, chains), 'verifyPeerCertificate', 'bad_certificate');
    return leaf.publicKey;
  }

  /**
   * Checks the peer's CertificateVerify: the scheme must be one we offered
   * and fit the certificate's key (illegal_parameter otherwise, §4.4.3), and
   * the signature must verify (decrypt_error).
   */
  protected *checkCertificateVerify(message: CertificateVerify, key: PublicKey, signer: 'client' | 'server'): Step<void> {
    const scheme = message.algorithm;
    const algorithm = this.settings.provider.signature(scheme);
    if (!algorithm || !algorithm.handshake || !this.settings.signatureSchemes.includes(scheme)) {
      throw new TLSError('illegal_parameter', `the peer signed with ${codeName(SignatureScheme, scheme)}, which we did not offer`);
    }
    if (!algorithm.supports(key)) {
      throw new TLSError('illegal_parameter', `the peer signed with ${codeName(SignatureScheme, scheme)}, which does not fit its certificate's ${key.kind} key`);
    }
    const content = certificateVerifyContent(signer, this.transcript.digest());
    const ok = yield* wait(algorithm.verify(key, content, message.signature));
    if (!ok) throw new TLSError('decrypt_error', `the peer's CertificateVerify signature (${algorithm.name}) did not verify`);
    if (signer === 'server') this.info.signatureScheme = { code: scheme, name: algorithm.name };
  }

  /** Runs a user hook; what it throws becomes a TLSError with `alert`. */
  protected *callHook<T>(f: () => T | Promise<T>, name: string, alert: TLSError['alert']): Step<T> {
    try {
      return yield* wait(f());
    } catch (err) {
      if (err instanceof TLSError) throw err;
      throw new TLSError(alert, `${name} rejected the connection: ${(err as Error)?.message ?? String(err)}`, 'local', { cause: err });
    }
  }

  /** The group's name for ConnectionState. */
  protected noteGroup(group: number): void {
    this.info.group = { code: group, name: codeName(NamedGroup, group) };
  }

  // ----------------------------------------------------------- after the handshake

  /**
   * KeyUpdate (§4.6.3): switch our read keys to the next generation; if the
   * peer asked, answer with our own update — unless we already sent one it
   * has not seen, which answers it just as well.
   */
  protected onKeyUpdate(message: KeyUpdate): void {
    if (!this.readSecret) throw new TLSError('unexpected_message', 'KeyUpdate before the handshake completed');
    // A peer that only updates keys, with no data between, is flooding us:
    // each update costs a key derivation and possibly an answer.
    if (++this.keyUpdatesWithoutData > MAX_KEY_UPDATES_WITHOUT_DATA) {
      throw new TLSError('unexpected_message', `more than ${MAX_KEY_UPDATES_WITHOUT_DATA} KeyUpdates without application data in between`);
    }
    this.readSecret = this.ks.nextTrafficSecret(this.readSecret);
    this.installKeys('read', 'application', this.readSecret);
    this.host.emit({ type: 'key_update', direction: 'read' });
    if (message.requestUpdate === KeyUpdateRequest.update_requested && !this.keyUpdateRequested && !this.host.sendingClosed) {
      this.sendKeyUpdate(false);
    }
    this.keyUpdateRequested = false;
  }

  /** Sends a KeyUpdate and moves our write keys to the next generation. */
  sendKeyUpdate(requestPeer: boolean): void {
    if (!this.writeSecret) throw new TLSError('internal_error', 'cannot update keys before the handshake completes');
    const message: KeyUpdate = {
      type: 'key_update',
      requestUpdate: requestPeer ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested,
    };
    const bytes = encodeHandshake(message);
    this.host.record.writeHandshake(bytes);
    this.host.record.flush();
    this.trace({ kind: 'message', direction: 'sent', message, bytes });
    this.writeSecret = this.ks.nextTrafficSecret(this.writeSecret);
    this.installKeys('write', 'application', this.writeSecret);
    if (requestPeer) this.keyUpdateRequested = true;
    this.host.emit({ type: 'key_update', direction: 'write' });
  }

  /**
   * Once the handshake is complete, forgets what only the handshake needed:
   * the transcript hash (no later message is part of it, as neither side
   * does post-handshake authentication, §4.6.2) and the client random (the
   * key log's identifier for the handshake's secrets). An idle connection
   * then keeps little more than its traffic keys (§7.1 on deleting secrets).
   */
  protected releaseHandshakeState(): void {
    this.transcript.release();
    this.clientRandom = RELEASED;
  }

  /** RFC 8446 §7.5 exporter; available once the handshake is complete. */
  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Uint8Array {
    if (!this.exporterSecret) throw new TLSError('internal_error', 'keying material can be exported only after the handshake');
    return this.ks.exportKeyingMaterial(this.exporterSecret, label, context, length);
  }
}

/** A step that stays where it is (e.g. KeyUpdate in CONNECTED). */
export function* stay<S>(state: S): Step<S> {
  return state;
}

/** Wraps an unknown failure from a step into a TLSError. */
export function stepError(err: unknown): TLSError {
  return asTLSError(err, 'handshake failed');
}
