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
import { cipherSuiteInfo } from '../crypto/suites.js';
import { TLSError } from '../errors.js';
import { ExtensionType, NamedGroup, PskKeyExchangeMode, ProtocolVersion, codeName } from '../registry.js';
import { bytesEqual, fromUtf8 } from '../util/bytes.js';
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
  extensionCode,
  findExtension,
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

export interface ClientOptions {
  /** The server's DNS name or IP literal: sent as SNI (names only) and checked against its certificate. */
  readonly serverName?: string;
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

  constructor(host: HandshakeHost, settings: ClientSettings, private readonly options: ClientOptions = {}) {
    super(host, settings, 'client');
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
    this.hello = this.send(hello, { legacyRecordVersion: ProtocolVersion.TLS1_0 });
    this.transition('START', 'WAIT_SH', 'client_hello (sent)');
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
    exts.push({ type: 'psk_key_exchange_modes', modes: [PskKeyExchangeMode.psk_dhe_ke] });
    if (s.alpn.length > 0) exts.push({ type: 'application_layer_protocol_negotiation', protocols: s.alpn });
    if (s.recordSizeLimit !== undefined) exts.push({ type: 'record_size_limit', limit: s.recordSizeLimit });
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
    this.useSuite(cipherSuiteInfo(message.cipherSuite)!);
    this.transcript.replaceWithMessageHash();
    this.transcript.add(raw);

    if (keyShare) {
      this.keyShares.clear();
      yield* this.generateShare(keyShare.selectedGroup);
    }
    // In compatibility mode the CCS goes right before the second ClientHello (§D.4).
    if (this.settings.middleboxCompat) this.sendChangeCipherSpec();
    this.hello = this.send(this.retriedHello(this.hello!, cookie?.cookie));
  }

  /** ClientHello2: the same hello with the new key_share and the cookie (§4.1.2). */
  private retriedHello(first: ClientHello, cookie: Uint8Array | undefined): ClientHello {
    const extensions: ClientHelloExtension[] = [];
    for (const ext of first.extensions) {
      if (ext.type === 'key_share') extensions.push({ type: 'key_share', clientShares: this.shareEntries() });
      else if (ext.type === 'early_data' || ext.type === 'cookie') continue;
      else extensions.push(ext);
    }
    if (cookie) extensions.push({ type: 'cookie', cookie });
    return { ...first, extensions };
  }

  /** ServerHello: key exchange, then the handshake traffic keys (§4.1.3, §7.1). */
  private *processRealServerHello(message: RegularServerHello, raw: Uint8Array): Step<void> {
    const share = findExtension(message.extensions, 'key_share');
    if (findExtension(message.extensions, 'pre_shared_key')) {
      throw new TLSError('illegal_parameter', 'the server accepted a pre-shared key we did not offer');
    }
    if (!share) throw new TLSError('missing_extension', 'the ServerHello has no key_share and we offered no PSK (§4.2.8)');
    const group = share.serverShare.group;
    const pair = this.keyShares.get(group);
    if (!pair) {
      throw new TLSError('illegal_parameter', `the server answered with group ${codeName(NamedGroup, group)}, for which we sent no share`);
    }
    const kex = this.settings.provider.keyExchange(group)!;
    let sharedSecret: Uint8Array;
    try {
      sharedSecret = yield* wait(kex.decapsulate(pair.privateKey, share.serverShare.keyExchange));
    } catch (err) {
      if (err instanceof InvalidShareError) throw new TLSError('illegal_parameter', `invalid server key share: ${err.message}`, 'local', { cause: err });
      throw err;
    }
    this.noteGroup(group);
    if (!this.suite) this.useSuite(cipherSuiteInfo(message.cipherSuite)!);
    this.transcript.add(raw);
    this.keyShares.clear();

    const ks = this.ks;
    const early = ks.earlySecret();
    const hs = ks.handshakeSecret(early, sharedSecret);
    const helloHash = this.transcript.digest();
    this.handshakeSecret = hs;
    this.clientHandshakeSecret = ks.clientHandshakeTrafficSecret(hs, helloHash);
    this.serverHandshakeSecret = ks.serverHandshakeTrafficSecret(hs, helloHash);
    this.installKeys('read', 'handshake', this.serverHandshakeSecret, 'SERVER_HANDSHAKE_TRAFFIC_SECRET');
    this.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.clientHandshakeSecret);
    // From here the server may send the compatibility CCS (§D.4) until its Finished.
    this.host.record.allowCompatCcs(true);
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
      throw new TLSError('illegal_parameter', 'the server accepted early data we did not send');
    }
    this.transcript.add(raw);
    return 'WAIT_CERT_CR';
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
    const name = this.options.serverName;
    this.serverKey = yield* this.verifyPeerChain(message, {
      usage: 'server',
      ...(name === undefined ? {} : { serverName: name }),
      roots: this.settings.roots,
      verify: !this.settings.config.insecureSkipVerify,
    });
    if (name === undefined && !this.settings.config.insecureSkipVerify) {
      throw new TLSError('internal_error', 'cannot verify the server without a server name: pass `serverName` (or set insecureSkipVerify)');
    }
    this.transcript.add(raw);
    return 'WAIT_CV';
  }

  /** WAIT_CV: proof that the server holds its certificate's key (§4.4.3). */
  private *processServerCertificateVerify(message: CertificateVerify, raw: Uint8Array): Step<ClientState> {
    yield* this.checkCertificateVerify(message, this.serverKey!, 'server');
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

    // Our second flight goes under the client handshake keys; in
    // compatibility mode a CCS precedes it unless one went before ClientHello2.
    if (this.settings.middleboxCompat && !this.retried) this.sendChangeCipherSpec();
    this.installKeys('write', 'handshake', this.clientHandshakeSecret!);
    if (this.certificateRequest) yield* this.answerCertificateRequest(this.certificateRequest);
    this.send(this.finishedFor(this.clientHandshakeSecret!));
    this.host.record.flush();
    this.resumptionSecret = ks.resumptionMasterSecret(master, this.transcript.digest());
    this.installKeys('write', 'application', clientApp, 'CLIENT_TRAFFIC_SECRET_0');

    this.handshakeSecret = this.clientHandshakeSecret = this.serverHandshakeSecret = undefined;
    this.info.handshakeComplete = true;
    this.info.handshakeConfirmed = true;
    this.host.emit({ type: 'handshake', state: this.connectionState() });
    return 'CONNECTED';
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

  /** CONNECTED: a ticket for later resumption (§4.6.1). */
  private *processNewSessionTicket(message: NewSessionTicket): Step<ClientState> {
    const early = findExtension(message.extensions, 'early_data');
    this.host.emit({
      type: 'ticket',
      lifetime: message.ticketLifetime,
      maxEarlyData: early?.maxEarlyDataSize ?? 0,
      ticket: message.ticket,
    });
    return 'CONNECTED';
  }

  /** The resumption master secret, for the session cache (§7.1). */
  get resumptionMasterSecret(): Uint8Array | undefined {
    return this.resumptionSecret;
  }
}
