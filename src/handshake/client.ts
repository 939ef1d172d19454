/**
 * The client handshake (RFC 8446 §2, Appendix A.1):
 *
 *   START --send ClientHello--> WAIT_SH
 *   WAIT_SH --HelloRetryRequest / send ClientHello--> WAIT_SH
 *   WAIT_SH --ServerHello--> WAIT_EE --EncryptedExtensions--> WAIT_CERT_CR
 *   WAIT_CERT_CR --CertificateRequest--> WAIT_CERT --Certificate--> WAIT_CV
 *   WAIT_CERT_CR --Certificate--> WAIT_CV --CertificateVerify--> WAIT_FINISHED
 *   WAIT_FINISHED --Finished / send [Certificate, CertificateVerify,] Finished--> CONNECTED
 *
 * Each step below is one arrow, named for what the RFC says happens there.
 */
import type { CertifiedKey, CertificateRequestInfo } from '../config.js';
import type { KeyExchangePair, PublicKey } from '../crypto/provider.js';
import { InvalidShareError } from '../crypto/provider.js';
import { type CipherSuiteInfo, cipherSuiteInfo } from '../crypto/suites.js';
import { TLSError } from '../errors.js';
import { ExtensionType, NamedGroup, PskKeyExchangeMode, ProtocolVersion, codeName } from '../registry.js';
import { bytesEqual, concat, fromUtf8 } from '../util/bytes.js';
import { KeySchedule } from '../crypto/keySchedule.js';
import { type ClientSession, obfuscatedTicketAge, sessionUsable } from './sessions.js';
import { MAX_TICKET_LIFETIME_SECONDS } from './tickets.js';
import { type Step, wait } from '../util/steps.js';
import {
  type Certificate as CertificateMessage,
  type CertificateRequest,
  type CertificateVerify,
  type ClientHello,
  type ClientHelloExtension,
  type EncryptedExtensions,
  type Finished,
  type HandshakeMessage,
  type HelloRetryRequest,
  type NewSessionTicket,
  type RegularServerHello,
  type ServerHello,
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  encodeHandshake,
  extensionCode,
  findExtension,
  placeholderBinders,
  replaceClientHelloBinders,
  truncateClientHelloForBinders,
} from '../wire/index.js';
import { Handshake, type HandshakeHost, stay } from './common.js';
import type { TransitionTable } from './machine.js';
import type { ClientSettings } from './settings.js';
import { selectSignatureScheme } from './negotiate.js';
import { parseReferenceIdentity } from '../x509/index.js';

export type ClientState =
  | 'START'
  | 'WAIT_SH'
  | 'WAIT_EE'
  | 'WAIT_CERT_CR'
  | 'WAIT_CERT'
  | 'WAIT_CV'
  | 'WAIT_FINISHED'
  | 'CONNECTED';

export const CLIENT_TRANSITIONS: TransitionTable<ClientState> = {
  START: [],
  WAIT_SH: [{ on: 'server_hello', step: 'processServerHello', to: ['WAIT_EE', 'WAIT_SH'], rfc: '§4.1.3, §4.1.4' }],
  WAIT_EE: [{ on: 'encrypted_extensions', step: 'processEncryptedExtensions', to: ['WAIT_CERT_CR', 'WAIT_FINISHED'], rfc: '§4.3.1' }],
  WAIT_CERT_CR: [
    { on: 'certificate_request', step: 'processCertificateRequest', to: ['WAIT_CERT'], rfc: '§4.3.2' },
    { on: 'certificate', step: 'processServerCertificate', to: ['WAIT_CV'], rfc: '§4.4.2' },
  ],
  WAIT_CERT: [{ on: 'certificate', step: 'processServerCertificate', to: ['WAIT_CV'], rfc: '§4.4.2' }],
  WAIT_CV: [{ on: 'certificate_verify', step: 'processServerCertificateVerify', to: ['WAIT_FINISHED'], rfc: '§4.4.3' }],
  WAIT_FINISHED: [{ on: 'finished', step: 'processServerFinished', to: ['CONNECTED'], rfc: '§4.4.4' }],
  CONNECTED: [
    { on: 'new_session_ticket', step: 'processNewSessionTicket', to: ['CONNECTED'], rfc: '§4.6.1' },
    { on: 'key_update', step: 'processKeyUpdate', to: ['CONNECTED'], rfc: '§4.6.3' },
  ],
};

/** Extensions a server may send in EncryptedExtensions only if we asked for them (§4.2). */
const ANSWERS_IN_EE: ReadonlySet<number> = new Set([
  ExtensionType.server_name,
  ExtensionType.application_layer_protocol_negotiation,
  ExtensionType.record_size_limit,
  ExtensionType.early_data,
  ExtensionType.max_fragment_length,
  ExtensionType.use_srtp,
  ExtensionType.heartbeat,
  ExtensionType.client_certificate_type,
  ExtensionType.server_certificate_type,
]);

/** NewSessionTickets kept per connection; later ones are ignored. */
export const MAX_TICKETS_PER_CONNECTION = 16;

export interface ClientOptions {
  /** The server's DNS name or IP literal: sent as SNI (names only) and checked against its certificate. */
  readonly serverName?: string;
  /** A session to resume (e.g. from `importSession`), instead of one from the cache. */
  readonly session?: ClientSession;
}

export class ClientHandshake extends Handshake<ClientState> {
  readonly side = 'client' as const;
  state: ClientState = 'START';
  protected readonly table = CLIENT_TRANSITIONS;
  protected declare settings: ClientSettings;

  private hello: ClientHello | undefined;
  private readonly keyShares = new Map<number, KeyExchangePair>();
  private retried = false;
  private handshakeSecret: Uint8Array | undefined;
  private clientHandshakeSecret: Uint8Array | undefined;
  private serverHandshakeSecret: Uint8Array | undefined;
  private certificateRequest: CertificateRequest | undefined;
  private serverKey: PublicKey | undefined;
  private resumptionSecret: Uint8Array | undefined;
  /** The session whose ticket we offer, and the suite it was issued under. */
  private session: ClientSession | undefined;
  private sessionSuite: CipherSuiteInfo | undefined;
  /** See pskSchedule(). */
  private pskKeys: { readonly ks: KeySchedule; readonly early: Uint8Array } | undefined;
  private pskAccepted = false;
  /** 0-RTT: offered in ClientHello1, bytes still allowed, and what was sent (reported if rejected). */
  private earlyOffered = false;
  /** Whether the compatibility CCS already went out after ClientHello1 (for 0-RTT). */
  private earlyCcsSent = false;
  private earlyRemaining = 0;
  private readonly earlySent: Uint8Array[] = [];
  private ticketsReceived = 0;

  constructor(host: HandshakeHost, settings: ClientSettings, private readonly options: ClientOptions = {}) {
    super(host, settings, 'client');
    // Without a name there is nothing to check the certificate against, and
    // any certificate from a trusted CA would do: refuse up front, as Go does.
    if (options.serverName === undefined && !settings.config.insecureSkipVerify) {
      throw new TLSError('internal_error', 'a client needs `serverName` to verify the server (or set insecureSkipVerify, which is dangerous)');
    }
    this.info.serverName = options.serverName;
  }

  // ------------------------------------------------------------------ start

  /** START → WAIT_SH: send the first ClientHello (§4.1.2). */
  *start(): Step<void> {
    const random = this.settings.random(32);
    this.clientRandom = random;
    for (const group of this.settings.keyShareGroups) yield* this.generateShare(group);
    // Middlebox compatibility mode (§D.4): a non-empty legacy_session_id makes
    // the handshake look like TLS 1.2 resumption to middleboxes.
    const sessionId = this.settings.middleboxCompat ? this.settings.random(32) : new Uint8Array(0);
    this.session = this.sessionToOffer();
    this.earlyOffered = this.session !== undefined && this.wantsEarlyData(this.session);
    const hello: ClientHello = {
      type: 'client_hello',
      legacyVersion: ProtocolVersion.TLS1_2,
      random,
      legacySessionId: sessionId,
      cipherSuites: this.settings.cipherSuites,
      legacyCompressionMethods: [0],
      extensions: this.helloExtensions(),
    };
    // The first ClientHello's record says TLS 1.0 for the sake of old servers (§5.1).
    this.hello = this.sendClientHello(hello, { legacyRecordVersion: ProtocolVersion.TLS1_0 });
    if (this.earlyOffered) this.startEarlyData();
    // From our first ClientHello until the server's Finished, the server may
    // send the compatibility CCS, e.g. right after a HelloRetryRequest (§5, §D.4).
    this.host.record.allowCompatCcs(true);
    this.transition('START', 'WAIT_SH', 'client_hello (sent)');
  }

  // ------------------------------------------------------------ resumption

  /** A cached (or given) session we may offer: unexpired and of a suite we still allow (§4.6.1). */
  private sessionToOffer(): ClientSession | undefined {
    const name = this.options.serverName;
    const cache = this.settings.sessionCache;
    const session = this.options.session ?? (name !== undefined && cache ? cache.get(name) : undefined);
    if (!session) return undefined;
    const suite = cipherSuiteInfo(session.cipherSuite);
    const now = this.settings.now().getTime();
    if (!suite || !this.settings.cipherSuites.includes(session.cipherSuite) || !sessionUsable(session, now)) {
      if (name !== undefined) cache?.delete(name, session);
      return undefined;
    }
    // Single-use tickets unless told otherwise: reuse would let an observer link connections.
    if (!this.settings.config.reuseTickets && name !== undefined) cache?.delete(name, session);
    this.sessionSuite = suite;
    return session;
  }

  /** 0-RTT needs the user's consent, a ticket that allows it and the same ALPN offer (§4.2.10). */
  private wantsEarlyData(session: ClientSession): boolean {
    if (!this.settings.config.enableEarlyData || session.maxEarlyData === 0) return false;
    const first = this.settings.alpn[0];
    return session.alpn === undefined ? first === undefined : first !== undefined && fromUtf8(first) === session.alpn;
  }

  /**
   * Encodes and sends a ClientHello. With a PSK, the binder is an HMAC over
   * the hello up to the binders (§4.2.11.2), so the hello is encoded with a
   * placeholder, hashed truncated, and the binder patched in.
   */
  private sendClientHello(original: ClientHello, options: { legacyRecordVersion?: number } = {}): ClientHello {
    const shape = this.settings.config.shapeMessage;
    let hello = (shape ? shape(original) : original) as ClientHello;
    let bytes = encodeHandshake(hello);
    const session = this.session;
    if (session && findExtension(hello.extensions, 'pre_shared_key')) {
      const { ks, early } = this.pskSchedule();
      const truncated = truncateClientHelloForBinders(bytes);
      const hash = this.transcript.hash ? this.transcript.digestWith(truncated) : ks.hash.digest(truncated);
      const binder = ks.binder(ks.binderKey(early, 'res'), hash);
      bytes = replaceClientHelloBinders(bytes, [binder]);
      hello = {
        ...hello,
        extensions: hello.extensions.map((e) => (e.type === 'pre_shared_key' ? { ...e, binders: [binder] } : e)),
      };
    }
    this.sendEncoded(hello, bytes, options);
    return hello;
  }

  /**
   * The key schedule of the offered session's hash (binders and 0-RTT come
   * before the server picks a suite) and its Early Secret, computed once:
   * the binder, 0-RTT and, if the PSK is accepted, the handshake secret all
   * start from the same HKDF-Extract(0, PSK) (§7.1).
   */
  private pskSchedule(): { readonly ks: KeySchedule; readonly early: Uint8Array } {
    if (!this.pskKeys) {
      const ks = new KeySchedule(this.settings.provider, this.settings.provider.hash(this.sessionSuite!.hash));
      this.pskKeys = { ks, early: ks.earlySecret(this.session!.psk) };
    }
    return this.pskKeys;
  }

  /**
   * 0-RTT (§2.3): right after ClientHello1, under client_early_traffic_secret
   * and the ticket's suite; in compatibility mode a CCS goes first (§D.4).
   */
  private startEarlyData(): void {
    const { ks, early } = this.pskSchedule();
    const helloHash = ks.hash.digest(encodeHandshake(this.hello!));
    if (this.settings.middleboxCompat) {
      this.sendChangeCipherSpec();
      this.earlyCcsSent = true;
    }
    this.installKeys('write', 'early', ks.clientEarlyTrafficSecret(early, helloHash), 'CLIENT_EARLY_TRAFFIC_SECRET', this.sessionSuite!);
    this.earlyRemaining = this.session!.maxEarlyData;
  }

  /** How many more bytes may go as 0-RTT now (0 once the server has answered). */
  get earlyDataWritable(): number {
    return this.state === 'WAIT_SH' && this.earlyOffered && !this.retried ? this.earlyRemaining : 0;
  }

  /** Sends 0-RTT data; the caller keeps to `earlyDataWritable`. */
  writeEarlyData(data: Uint8Array): void {
    if (data.length > this.earlyDataWritable) throw new TLSError('internal_error', 'more 0-RTT data than the ticket allows');
    this.host.record.writeApplicationData(data);
    this.earlySent.push(data.slice());
    this.earlyRemaining -= data.length;
  }

  /** The server did not take our 0-RTT data: say exactly which bytes were lost (§4.2.10). */
  private earlyDataRejected(): void {
    if (!this.earlyOffered) return;
    this.earlyOffered = false;
    const rejected = concat(...this.earlySent.splice(0, this.earlySent.length));
    const resent = this.settings.config.retryRejectedEarlyData === true;
    this.host.emit({ type: 'early_data', accepted: false, rejected, resent });
  }

  private *generateShare(group: number): Step<KeyExchangePair> {
    const kex = this.settings.provider.keyExchange(group);
    if (!kex) throw new TLSError('internal_error', `no key exchange for ${codeName(NamedGroup, group)}`);
    const pair = yield* wait(kex.generate(this.settings.random));
    this.keyShares.set(group, pair);
    return pair;
  }

  private helloExtensions(): ClientHelloExtension[] {
    const s = this.settings;
    const exts: ClientHelloExtension[] = [];
    const name = this.options.serverName;
    // SNI carries DNS names only, never IP literals (RFC 6066 §3).
    const id = name === undefined ? undefined : parseReferenceIdentity(name);
    if (id?.kind === 'dns') exts.push({ type: 'server_name', hostName: id.name });
    exts.push({ type: 'supported_versions', versions: [ProtocolVersion.TLS1_3] });
    exts.push({ type: 'supported_groups', groups: s.groups });
    exts.push({ type: 'signature_algorithms', schemes: s.advertisedSchemes });
    exts.push({ type: 'key_share', clientShares: this.shareEntries() });
    // Sent even without a PSK so that the server may issue tickets (§4.2.9).
    const modes: number[] = [PskKeyExchangeMode.psk_dhe_ke];
    if (s.config.allowPskOnlyResumption) modes.push(PskKeyExchangeMode.psk_ke);
    exts.push({ type: 'psk_key_exchange_modes', modes });
    if (s.alpn.length > 0) exts.push({ type: 'application_layer_protocol_negotiation', protocols: s.alpn });
    if (s.recordSizeLimit !== undefined) exts.push({ type: 'record_size_limit', limit: s.recordSizeLimit });
    if (this.earlyOffered) exts.push({ type: 'early_data' });
    const session = this.session;
    if (session) {
      // pre_shared_key must be the last extension (§4.2.11); its binder is patched in later.
      const now = this.settings.now().getTime();
      exts.push({
        type: 'pre_shared_key',
        identities: [{ identity: session.ticket, obfuscatedTicketAge: obfuscatedTicketAge(session, now) }],
        binders: placeholderBinders([this.sessionSuite!.hash === 'SHA-384' ? 48 : 32]),
      });
    }
    return exts;
  }

  private shareEntries(): { group: number; keyExchange: Uint8Array }[] {
    return [...this.keyShares].map(([group, pair]) => ({ group, keyExchange: pair.share }));
  }

  private transition(from: ClientState, to: ClientState, on: string): void {
    this.state = to;
    this.trace({ kind: 'transition', from, to, on, rfc: '§4.1.2' });
  }

  // ------------------------------------------------------------------ steps

  protected step(message: HandshakeMessage, raw: Uint8Array): Step<ClientState> {
    switch (message.type) {
      case 'server_hello':
        return this.processServerHello(message, raw);
      case 'encrypted_extensions':
        return this.processEncryptedExtensions(message, raw);
      case 'certificate_request':
        return this.processCertificateRequest(message, raw);
      case 'certificate':
        return this.processServerCertificate(message, raw);
      case 'certificate_verify':
        return this.processServerCertificateVerify(message, raw);
      case 'finished':
        return this.processServerFinished(message, raw);
      case 'new_session_ticket':
        return this.processNewSessionTicket(message);
      case 'key_update':
        this.onKeyUpdate(message);
        return stay(this.state);
      default:
        throw new TLSError('unexpected_message', `unexpected ${message.type}`);
    }
  }

  /** WAIT_SH: a ServerHello or a HelloRetryRequest (§4.1.3, §4.1.4). */
  private *processServerHello(message: ServerHello, raw: Uint8Array): Step<ClientState> {
    this.checkServerHelloCommon(message);
    if (message.helloRetryRequest) {
      yield* this.processHelloRetryRequest(message, raw);
      return 'WAIT_SH';
    }
    yield* this.processRealServerHello(message, raw);
    return 'WAIT_EE';
  }

  /** Checks shared by ServerHello and HelloRetryRequest (§4.1.3). */
  private checkServerHelloCommon(message: ServerHello): void {
    const hello = this.hello!;
    const version = findExtension(message.extensions, 'supported_versions');
    if (!version) {
      // Without supported_versions the server chose TLS 1.2 or older; if it
      // also put a downgrade sentinel in its random, someone stripped our
      // TLS 1.3 offer (§4.1.3).
      const tail = message.random.subarray(24);
      if (bytesEqual(tail, DOWNGRADE_TLS12) || bytesEqual(tail, DOWNGRADE_TLS11)) {
        throw new TLSError('illegal_parameter', 'downgrade attack detected: the server supports TLS 1.3 but answered with an older version');
      }
      throw new TLSError('protocol_version', 'the server does not support TLS 1.3 (it answered with an older version); this library speaks TLS 1.3 only');
    }
    if (version.selectedVersion !== ProtocolVersion.TLS1_3) {
      throw new TLSError('illegal_parameter', `the server selected version 0x${version.selectedVersion.toString(16)}, which we did not offer`);
    }
    if (message.legacyVersion !== ProtocolVersion.TLS1_2) {
      throw new TLSError('illegal_parameter', 'ServerHello.legacy_version must be 0x0303 (§4.1.3)');
    }
    if (!bytesEqual(message.legacySessionIdEcho, hello.legacySessionId)) {
      throw new TLSError('illegal_parameter', 'the server did not echo our legacy_session_id (§4.1.3)');
    }
    if (!hello.cipherSuites.includes(message.cipherSuite) || !cipherSuiteInfo(message.cipherSuite)) {
      throw new TLSError('illegal_parameter', `the server selected cipher suite 0x${message.cipherSuite.toString(16)}, which we did not offer`);
    }
    if (this.suite && this.suite.code !== message.cipherSuite) {
      throw new TLSError('illegal_parameter', 'the ServerHello cipher suite differs from the HelloRetryRequest one (§4.1.4)');
    }
    this.checkSolicited(message.extensions, hello.extensions);
  }

  /** An extension the server sends must answer one we sent (§4.2: unsupported_extension). */
  private checkSolicited(received: readonly { type: string }[], sent: readonly ClientHelloExtension[]): void {
    const offered = new Set(sent.map((e) => extensionCode(e)));
    for (const ext of received as Parameters<typeof extensionCode>[0][]) {
      const code = extensionCode(ext);
      if (!offered.has(code) && code !== ExtensionType.cookie) {
        throw new TLSError('unsupported_extension', `the server sent extension ${codeName(ExtensionType, code)}, which we did not offer`);
      }
    }
  }

  /**
   * HelloRetryRequest (§4.1.4): at most one; it must change something; the
   * group it asks for must be one we support and did not already send. The
   * transcript restarts from message_hash(ClientHello1).
   */
  private *processHelloRetryRequest(message: HelloRetryRequest, raw: Uint8Array): Step<void> {
    if (this.retried) throw new TLSError('unexpected_message', 'a second HelloRetryRequest (§4.1.4 allows one)');
    this.retried = true;
    const keyShare = findExtension(message.extensions, 'key_share');
    const cookie = findExtension(message.extensions, 'cookie');
    if (!keyShare && !cookie) {
      throw new TLSError('illegal_parameter', 'a HelloRetryRequest that would not change the ClientHello (§4.1.4)');
    }
    if (keyShare) {
      const group = keyShare.selectedGroup;
      if (!this.settings.groups.includes(group)) {
        throw new TLSError('illegal_parameter', `the server asked for group ${codeName(NamedGroup, group)}, which we did not offer`);
      }
      if (this.keyShares.has(group)) {
        throw new TLSError('illegal_parameter', `the server asked for group ${codeName(NamedGroup, group)}, for which we already sent a share`);
      }
    }
    const suite = cipherSuiteInfo(message.cipherSuite)!;
    this.useSuite(suite);
    this.transcript.replaceWithMessageHash();
    this.transcript.add(raw);

    if (keyShare) {
      this.keyShares.clear();
      yield* this.generateShare(keyShare.selectedGroup);
    }
    // A HelloRetryRequest rejects 0-RTT (§4.2.10); the ticket stays on offer
    // only if its hash matches the suite the server chose (§4.2.11).
    const hadEarlyData = this.earlyOffered;
    this.earlyDataRejected();
    if (hadEarlyData) this.host.record.setWriteKeys(undefined);
    if (this.sessionSuite && this.sessionSuite.hash !== suite.hash) this.session = undefined;
    // In compatibility mode the CCS goes right before the second ClientHello,
    // unless it already followed the first one for early data (§D.4).
    if (this.settings.middleboxCompat && !this.earlyCcsSent) this.sendChangeCipherSpec();
    this.hello = this.sendClientHello(this.retriedHello(this.hello!, cookie?.cookie));
  }

  /** ClientHello2: the same hello with the new key_share and the cookie (§4.1.2). */
  private retriedHello(first: ClientHello, cookie: Uint8Array | undefined): ClientHello {
    const extensions: ClientHelloExtension[] = [];
    for (const ext of first.extensions) {
      if (ext.type === 'key_share') extensions.push({ type: 'key_share', clientShares: this.shareEntries() });
      else if (ext.type === 'early_data' || ext.type === 'cookie' || ext.type === 'pre_shared_key') continue;
      else extensions.push(ext);
    }
    if (cookie) extensions.push({ type: 'cookie', cookie });
    const psk = findExtension(first.extensions, 'pre_shared_key');
    if (psk && this.session) extensions.push({ ...psk, binders: placeholderBinders([this.ks.hash.outputLength]) });
    return { ...first, extensions };
  }

  /** ServerHello: key exchange, then the handshake traffic keys (§4.1.3, §7.1). */
  private *processRealServerHello(message: RegularServerHello, raw: Uint8Array): Step<void> {
    if (!this.suite) this.useSuite(cipherSuiteInfo(message.cipherSuite)!);
    this.acceptPsk(message);
    const share = findExtension(message.extensions, 'key_share');
    let sharedSecret: Uint8Array;
    if (share) {
      sharedSecret = yield* this.keyExchange(share.serverShare.group, share.serverShare.keyExchange);
    } else if (this.pskAccepted && this.settings.config.allowPskOnlyResumption) {
      // psk_ke: no (EC)DHE; its input to the key schedule is zeros (§7.1).
      sharedSecret = new Uint8Array(this.ks.hash.outputLength);
    } else {
      throw new TLSError('missing_extension', 'the ServerHello has no key_share, and we did not allow psk_ke (§4.2.8)');
    }
    this.transcript.add(raw);
    this.keyShares.clear();

    const ks = this.ks;
    // An accepted PSK shares the offered session's hash (§4.2.11), so the
    // Early Secret computed for the binder is the one to continue from.
    const early =
      this.pskAccepted && this.pskKeys?.ks.hash.name === ks.hash.name
        ? this.pskKeys.early
        : ks.earlySecret(this.pskAccepted ? this.session!.psk : undefined);
    const hs = ks.handshakeSecret(early, sharedSecret);
    // Binders and 0-RTT keys are behind us: the Early Secret goes (§7.1).
    this.pskKeys = undefined;
    const helloHash = this.transcript.digest();
    this.handshakeSecret = hs;
    this.clientHandshakeSecret = ks.clientHandshakeTrafficSecret(hs, helloHash);
    this.serverHandshakeSecret = ks.serverHandshakeTrafficSecret(hs, helloHash);
    this.installKeys('read', 'handshake', this.serverHandshakeSecret, 'SERVER_HANDSHAKE_TRAFFIC_SECRET');
    this.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.clientHandshakeSecret);
  }

  /**
   * The server's pre_shared_key (§4.2.11): it may only pick the identity we
   * sent, under a suite with the ticket's hash.
   */
  private acceptPsk(message: RegularServerHello): void {
    const psk = findExtension(message.extensions, 'pre_shared_key');
    if (!psk) {
      if (this.session) this.trace({ kind: 'note', text: 'the server declined our ticket: full handshake' });
      return;
    }
    if (!this.session || !findExtension(this.hello!.extensions, 'pre_shared_key')) {
      throw new TLSError('illegal_parameter', 'the server accepted a pre-shared key we did not offer');
    }
    if (psk.selectedIdentity !== 0) {
      throw new TLSError('illegal_parameter', `the server selected PSK identity ${psk.selectedIdentity}; we offered one (§4.2.11)`);
    }
    if (this.sessionSuite!.hash !== this.cipher.hash) {
      throw new TLSError('illegal_parameter', "the server resumed with a suite whose hash differs from the ticket's (§4.2.11)");
    }
    this.pskAccepted = true;
    this.info.resumed = true;
    this.info.peerCertificates = this.session.peerCertificates;
  }

  /** (EC)DHE or hybrid KEM with the server's share for a group we sent a share for. */
  private *keyExchange(group: number, serverShare: Uint8Array): Step<Uint8Array> {
    const pair = this.keyShares.get(group);
    if (!pair) {
      throw new TLSError('illegal_parameter', `the server answered with group ${codeName(NamedGroup, group)}, for which we sent no share`);
    }
    const kex = this.settings.provider.keyExchange(group)!;
    try {
      const secret = yield* wait(kex.decapsulate(pair.privateKey, serverShare));
      this.noteGroup(group);
      return secret;
    } catch (err) {
      if (err instanceof InvalidShareError) throw new TLSError('illegal_parameter', `invalid server key share: ${err.message}`, 'local', { cause: err });
      throw err;
    }
  }

  /** WAIT_EE: EncryptedExtensions (§4.3.1). */
  private *processEncryptedExtensions(message: EncryptedExtensions, raw: Uint8Array): Step<ClientState> {
    const hello = this.hello!;
    for (const ext of message.extensions) {
      const code = extensionCode(ext);
      const offered = hello.extensions.some((e) => extensionCode(e) === code);
      if (ANSWERS_IN_EE.has(code) && !offered) {
        throw new TLSError('unsupported_extension', `the server sent ${codeName(ExtensionType, code)} in EncryptedExtensions, which we did not offer`);
      }
      if (ext.type === 'unknown' && !offered) {
        throw new TLSError('unsupported_extension', `the server sent unknown extension ${code} in EncryptedExtensions, which we did not offer`);
      }
    }
    const alpn = findExtension(message.extensions, 'application_layer_protocol_negotiation');
    if (alpn) {
      const chosen = alpn.protocols[0]!;
      if (alpn.protocols.length !== 1 || !this.settings.alpn.some((p) => bytesEqual(p, chosen))) {
        throw new TLSError('illegal_parameter', 'the server selected an ALPN protocol we did not offer (RFC 7301 §3.2)');
      }
      this.info.alpnProtocol = fromUtf8(chosen);
    }
    const limit = findExtension(message.extensions, 'record_size_limit');
    if (limit) this.host.record.setSendRecordSizeLimit(limit.limit);
    if (this.settings.recordSizeLimit !== undefined) this.host.record.setReceiveRecordSizeLimit(this.settings.recordSizeLimit);
    if (findExtension(message.extensions, 'early_data')) {
      if (!this.earlyOffered || !this.pskAccepted || this.sessionSuite!.code !== this.cipher.code) {
        throw new TLSError('illegal_parameter', 'the server accepted early data we did not send, or under another suite (§4.2.10)');
      }
      this.info.earlyDataAccepted = true;
      this.earlySent.length = 0;
      this.host.emit({ type: 'early_data', accepted: true, rejected: new Uint8Array(0), resent: false });
    } else {
      this.earlyDataRejected();
    }
    this.transcript.add(raw);
    // A PSK handshake has no server certificate (§2.2).
    return this.pskAccepted ? 'WAIT_FINISHED' : 'WAIT_CERT_CR';
  }

  /** WAIT_CERT_CR: the server wants a client certificate (§4.3.2). */
  private *processCertificateRequest(message: CertificateRequest, raw: Uint8Array): Step<ClientState> {
    if (message.certificateRequestContext.length !== 0) {
      throw new TLSError('illegal_parameter', 'a CertificateRequest in the handshake must have an empty context (§4.3.2)');
    }
    if (!findExtension(message.extensions, 'signature_algorithms')) {
      throw new TLSError('missing_extension', 'the CertificateRequest has no signature_algorithms (§4.3.2)');
    }
    this.certificateRequest = message;
    this.transcript.add(raw);
    return 'WAIT_CERT';
  }

  /** WAIT_CERT: the server's certificate chain (§4.4.2, §4.4.2.4). */
  private *processServerCertificate(message: CertificateMessage, raw: Uint8Array): Step<ClientState> {
    if (message.certificateRequestContext.length !== 0) {
      throw new TLSError('illegal_parameter', "the server's Certificate must have an empty request context (§4.4.2)");
    }
    if (message.certificateList.length === 0) {
      throw new TLSError('decode_error', 'the server sent an empty Certificate message (§4.4.2.4)');
    }
    // Entry extensions answer ClientHello extensions (OCSP, SCT); nothing unasked (§4.4.2, §4.2).
    const offered = new Set(this.hello!.extensions.map((e) => extensionCode(e)));
    for (const entry of message.certificateList) {
      for (const ext of entry.extensions) {
        const code = extensionCode(ext);
        if (!offered.has(code)) {
          throw new TLSError('unsupported_extension', `the server's Certificate carries ${codeName(ExtensionType, code)}, which we did not request (§4.4.2)`);
        }
      }
    }
    const name = this.options.serverName;
    this.serverKey = yield* this.verifyPeerChain(message, {
      usage: 'server',
      ...(name === undefined ? {} : { serverName: name }),
      roots: this.settings.roots,
      verify: !this.settings.config.insecureSkipVerify,
    });
    this.transcript.add(raw);
    return 'WAIT_CV';
  }

  /** WAIT_CV: proof that the server holds its certificate's key (§4.4.3). */
  private *processServerCertificateVerify(message: CertificateVerify, raw: Uint8Array): Step<ClientState> {
    yield* this.checkCertificateVerify(message, this.serverKey!, 'server');
    this.serverKey = undefined;
    this.transcript.add(raw);
    return 'WAIT_FINISHED';
  }

  /**
   * WAIT_FINISHED → CONNECTED: check the server's Finished, derive the
   * application secrets, answer a CertificateRequest, send our Finished (§4.4.4).
   */
  private *processServerFinished(message: Finished, raw: Uint8Array): Step<ClientState> {
    const ks = this.ks;
    this.checkFinished(message, this.serverHandshakeSecret!, this.transcript.digest());
    this.transcript.add(raw);
    this.host.record.allowCompatCcs(false);

    const master = ks.masterSecret(this.handshakeSecret!);
    const serverFinishedHash = this.transcript.digest();
    const clientApp = ks.clientApplicationTrafficSecret(master, serverFinishedHash);
    const serverApp = ks.serverApplicationTrafficSecret(master, serverFinishedHash);
    this.exporterSecret = ks.exporterMasterSecret(master, serverFinishedHash);
    this.installKeys('read', 'application', serverApp, 'SERVER_TRAFFIC_SECRET_0');
    this.keyLog('EXPORTER_SECRET', this.exporterSecret);

    const verifyConnection = this.settings.config.verifyConnection;
    if (verifyConnection) {
      yield* this.callHook(() => verifyConnection(this.connectionState()), 'verifyConnection', 'bad_certificate');
    }

    // 0-RTT data ends with EndOfEarlyData, still under the early keys (§4.5).
    if (this.info.earlyDataAccepted) this.send({ type: 'end_of_early_data' });
    // Our second flight goes under the client handshake keys; in
    // compatibility mode a CCS precedes it unless one went before (§D.4).
    if (this.settings.middleboxCompat && !this.retried && !this.earlyCcsSent) this.sendChangeCipherSpec();
    this.installKeys('write', 'handshake', this.clientHandshakeSecret!);
    if (this.certificateRequest) yield* this.answerCertificateRequest(this.certificateRequest);
    this.certificateRequest = undefined;
    this.send(this.finishedFor(this.clientHandshakeSecret!));
    this.host.record.flush();
    this.resumptionSecret = ks.resumptionMasterSecret(master, this.transcript.digest());
    this.installKeys('write', 'application', clientApp, 'CLIENT_TRAFFIC_SECRET_0');

    this.handshakeSecret = this.clientHandshakeSecret = this.serverHandshakeSecret = undefined;
    this.releaseClientHandshakeState();
    this.info.handshakeComplete = true;
    this.info.handshakeConfirmed = true;
    this.host.emit({ type: 'handshake', state: this.connectionState() });
    return 'CONNECTED';
  }

  /**
   * CONNECTED from here on: nothing still needs our ClientHello (kept for
   * the HelloRetryRequest and to check the server's answers against it), the
   * offered session (its PSK is a secret, §7.1) or the transcript. Tickets
   * and KeyUpdate need only the resumption and traffic secrets.
   */
  private releaseClientHandshakeState(): void {
    this.hello = undefined;
    this.session = undefined;
    this.releaseHandshakeState();
  }

  /** Client authentication (§4.4.2): our chain and CertificateVerify, or an empty Certificate. */
  private *answerCertificateRequest(request: CertificateRequest): Step<void> {
    const schemes = findExtension(request.extensions, 'signature_algorithms')!.schemes;
    const info: CertificateRequestInfo = {
      signatureSchemes: schemes,
      signatureSchemesCert: findExtension(request.extensions, 'signature_algorithms_cert')?.schemes ?? schemes,
      certificateAuthorities: findExtension(request.extensions, 'certificate_authorities')?.authorities ?? [],
      context: request.certificateRequestContext,
    };
    const key = yield* this.chooseClientCertificate(info);
    const scheme = key && this.schemeFor(key, schemes);
    this.send(this.certificateMessage(scheme === undefined ? undefined : key, request.certificateRequestContext));
    if (key && scheme !== undefined) this.send(yield* this.certificateVerify(key, scheme));
  }

  private *chooseClientCertificate(info: CertificateRequestInfo): Step<CertifiedKey | undefined> {
    const hook = this.settings.config.getClientCertificate;
    if (hook) return yield* this.callHook(() => hook(info), 'getClientCertificate', 'internal_error');
    return this.settings.certificates.find((c) => this.schemeFor(c, info.signatureSchemes) !== undefined);
  }

  private schemeFor(key: CertifiedKey, peerAccepts: readonly number[]): number | undefined {
    const provider = this.settings.provider;
    return selectSignatureScheme(this.settings.signatureSchemes, peerAccepts, (s) => provider.signature(s)?.supports(key.privateKey) ?? false);
  }

  /**
   * CONNECTED: a ticket for later resumption (§4.6.1). Its PSK comes from
   * the resumption master secret and the ticket's nonce; a lifetime of zero
   * means "do not use", and no ticket is kept past seven days.
   */
  private *processNewSessionTicket(message: NewSessionTicket): Step<ClientState> {
    const lifetime = Math.min(message.ticketLifetime, MAX_TICKET_LIFETIME_SECONDS);
    const name = this.options.serverName;
    // Servers send a couple of tickets; past a few dozen they only cost us work.
    if (++this.ticketsReceived > MAX_TICKETS_PER_CONNECTION) return 'CONNECTED';
    if (lifetime === 0 || !this.resumptionSecret) return 'CONNECTED';
    const session: ClientSession = {
      serverName: name ?? '',
      ticket: message.ticket,
      psk: this.ks.resumptionPsk(this.resumptionSecret, message.ticketNonce),
      cipherSuite: this.cipher.code,
      receivedAt: this.settings.now().getTime(),
      lifetime,
      ageAdd: message.ticketAgeAdd,
      maxEarlyData: findExtension(message.extensions, 'early_data')?.maxEarlyDataSize ?? 0,
      alpn: this.info.alpnProtocol,
      peerCertificates: this.info.peerCertificates,
    };
    if (name !== undefined) this.settings.sessionCache?.put(name, session);
    this.host.emit({ type: 'ticket', session });
    return 'CONNECTED';
  }

  /** The resumption master secret, for the session cache (§7.1). */
  get resumptionMasterSecret(): Uint8Array | undefined {
    return this.resumptionSecret;
  }
}
