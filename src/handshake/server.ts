/**
 * The server handshake (RFC 8446 §2, Appendix A.2):
 *
 *   START --ClientHello--> RECVD_CH --HelloRetryRequest--> START
 *   RECVD_CH --select parameters--> NEGOTIATED
 *   NEGOTIATED --send ServerHello ... Finished--> WAIT_FLIGHT2 (or WAIT_EOED with 0-RTT)
 *   WAIT_FLIGHT2 --no client auth--> WAIT_FINISHED
 *   WAIT_FLIGHT2 --client auth--> WAIT_CERT --Certificate--> WAIT_CV --CertificateVerify--> WAIT_FINISHED
 *   WAIT_CERT --empty Certificate--> WAIT_FINISHED
 *   WAIT_FINISHED --Finished--> CONNECTED
 *
 * RECVD_CH, NEGOTIATED and WAIT_FLIGHT2 are passed through within one step:
 * no message can arrive while the server is in them. They still appear in
 * the trace, so a reader sees every state the RFC names.
 */
import type { ClientHelloInfo, CertifiedKey } from '../config.js';
import { InvalidShareError, type PublicKey } from '../crypto/provider.js';
import { cipherSuiteInfo, type CipherSuiteInfo } from '../crypto/suites.js';
import { TLSError } from '../errors.js';
import { NamedGroup, ProtocolVersion, codeName } from '../registry.js';
import { bytesEqual, fromUtf8 } from '../util/bytes.js';
import { type Step, wait } from '../util/steps.js';
import {
  type Certificate as CertificateMessage,
  type CertificateRequestExtension,
  type CertificateVerify,
  type ClientHello,
  type EncryptedExtensionsExtension,
  type Finished,
  type HandshakeMessage,
  type HelloRetryRequestExtension,
  findExtension,
  helloRetryRequest,
} from '../wire/index.js';
import { matchHostname } from '../x509/index.js';
import { Handshake, type HandshakeHost, stay } from './common.js';
import type { TransitionTable } from './machine.js';
import { selectAlpn, selectCipherSuite, selectGroup, selectSignatureScheme } from './negotiate.js';
import { serverSettings, type ServerSettings } from './settings.js';

export type ServerState =
  | 'START'
  | 'RECVD_CH'
  | 'NEGOTIATED'
  | 'WAIT_EOED'
  | 'WAIT_FLIGHT2'
  | 'WAIT_CERT'
  | 'WAIT_CV'
  | 'WAIT_FINISHED'
  | 'CONNECTED';

export const SERVER_TRANSITIONS: TransitionTable<ServerState> = {
  START: [
    {
      on: 'client_hello',
      step: 'processClientHello',
      to: ['START', 'WAIT_EOED', 'WAIT_CERT', 'WAIT_FINISHED'],
      via: ['RECVD_CH', 'NEGOTIATED', 'WAIT_FLIGHT2'],
      rfc: '§4.1.2, §4.1.4',
    },
  ],
  RECVD_CH: [],
  NEGOTIATED: [],
  WAIT_EOED: [{ on: 'end_of_early_data', step: 'processEndOfEarlyData', to: ['WAIT_CERT', 'WAIT_FINISHED'], via: ['WAIT_FLIGHT2'], rfc: '§4.5' }],
  WAIT_FLIGHT2: [],
  WAIT_CERT: [{ on: 'certificate', step: 'processClientCertificate', to: ['WAIT_CV', 'WAIT_FINISHED'], rfc: '§4.4.2' }],
  WAIT_CV: [{ on: 'certificate_verify', step: 'processClientCertificateVerify', to: ['WAIT_FINISHED'], rfc: '§4.4.3' }],
  WAIT_FINISHED: [{ on: 'finished', step: 'processClientFinished', to: ['CONNECTED'], rfc: '§4.4.4' }],
  CONNECTED: [{ on: 'key_update', step: 'processKeyUpdate', to: ['CONNECTED'], rfc: '§4.6.3' }],
};

/** What ClientHello offered, checked and gathered once. */
interface Offer {
  readonly hello: ClientHello;
  readonly info: ClientHelloInfo;
  readonly shares: ReadonlyMap<number, Uint8Array>;
}

/** Client's early data we drop after rejecting 0-RTT (§4.2.10); OpenSSL's default limit. */
const EARLY_DATA_SKIP_LIMIT = 16_384;

export class ServerHandshake extends Handshake<ServerState> {
  readonly side = 'server' as const;
  state: ServerState = 'START';
  protected readonly table = SERVER_TRANSITIONS;
  protected declare settings: ServerSettings;

  private firstHello: ClientHello | undefined;
  private cookie: Uint8Array | undefined;
  private clientHandshakeSecret: Uint8Array | undefined;
  private serverFinishedKey: Uint8Array | undefined;
  private clientApplicationSecret: Uint8Array | undefined;
  private masterSecret: Uint8Array | undefined;
  private certificateRequested = false;
  private clientKey: PublicKey | undefined;
  private resumptionSecret: Uint8Array | undefined;

  constructor(host: HandshakeHost, settings: ServerSettings) {
    super(host, settings, 'server');
  }

  protected step(message: HandshakeMessage, raw: Uint8Array): Step<ServerState> {
    switch (message.type) {
      case 'client_hello':
        return this.processClientHello(message, raw);
      case 'certificate':
        return this.processClientCertificate(message, raw);
      case 'certificate_verify':
        return this.processClientCertificateVerify(message, raw);
      case 'finished':
        return this.processClientFinished(message, raw);
      case 'key_update':
        this.onKeyUpdate(message);
        return stay(this.state);
      default:
        throw new TLSError('unexpected_message', `unexpected ${message.type}`);
    }
  }

  private passThrough(to: ServerState, on: string): void {
    const from = this.state;
    this.state = to;
    this.trace({ kind: 'transition', from, to, on, rfc: 'Appendix A.2' });
  }

  // ------------------------------------------------------------ ClientHello

  /** START: a ClientHello, the first or the one answering our HelloRetryRequest. */
  private *processClientHello(hello: ClientHello, raw: Uint8Array): Step<ServerState> {
    this.passThrough('RECVD_CH', 'client_hello');
    const offer = this.readOffer(hello, raw);
    if (this.firstHello) this.checkSecondHello(this.firstHello, hello);
    else yield* this.applyConfigForClient(offer.info);

    const s = this.settings;
    const suite = cipherSuiteInfo(selectCipherSuite(s.cipherSuites, hello.cipherSuites, s.preferServer))!;
    const group = selectGroup(s.groups, offer.info.supportedGroups, offer.info.keyShareGroups, s.preferServer);
    const wantCookie = s.config.requireCookie === true && !this.firstHello;
    if (group.kind === 'retry' || wantCookie) {
      if (this.firstHello) {
        throw new TLSError('illegal_parameter', 'the second ClientHello still has no key share for the group we asked for (§4.1.4)');
      }
      this.sendHelloRetryRequest(hello, raw, suite, group.kind === 'retry' ? group.group : undefined);
      this.passThrough('START', 'hello_retry_request (sent)');
      return 'START';
    }
    if (this.firstHello && this.suite?.code !== suite.code) {
      throw new TLSError('illegal_parameter', 'the second ClientHello changed the cipher suite choice (§4.1.4)');
    }

    const alpn = selectAlpn(s.alpn.map(fromUtf8Lenient), offer.info.alpnProtocols, s.preferServer);
    const certified = yield* this.chooseCertificate(offer.info);
    const scheme = selectSignatureScheme(s.signatureSchemes, offer.info.signatureSchemes, (sc) =>
      s.provider.signature(sc)?.supports(certified.privateKey) ?? false,
    );
    if (scheme === undefined) {
      throw new TLSError('handshake_failure', 'no signature scheme in common that our certificate can make: add a certificate of a type the client accepts');
    }
    this.info.serverName = offer.info.serverName;
    this.info.alpnProtocol = alpn;
    this.passThrough('NEGOTIATED', 'parameters selected');

    if (!this.firstHello) {
      this.clientRandom = hello.random;
      this.useSuite(suite);
    }
    this.transcript.add(raw);
    yield* this.sendServerHello(hello, offer.shares.get(group.group)!, group.group);
    this.sendEncryptedExtensions(hello, alpn);
    if (s.clientAuth !== 'none') this.sendCertificateRequest();
    this.send(this.certificateMessage(certified, new Uint8Array(0)));
    this.send(yield* this.certificateVerify(certified, scheme));
    this.sendServerFinished();

    this.passThrough('WAIT_FLIGHT2', 'finished (sent)');
    return this.certificateRequested ? 'WAIT_CERT' : 'WAIT_FINISHED';
  }

  /**
   * The checks every ClientHello must pass (§4.1.2, §4.2, §9.2), and what we
   * learn from it. Offering TLS 1.3 without what TLS 1.3 needs is
   * missing_extension; a share for a group not in supported_groups is
   * illegal_parameter.
   */
  private readOffer(hello: ClientHello, raw: Uint8Array): Offer {
    const versions = findExtension(hello.extensions, 'supported_versions');
    if (!versions || !versions.versions.includes(ProtocolVersion.TLS1_3)) {
      throw new TLSError('protocol_version', 'the client does not offer TLS 1.3; this library speaks TLS 1.3 only');
    }
    if (hello.legacyCompressionMethods.length !== 1 || hello.legacyCompressionMethods[0] !== 0) {
      throw new TLSError('illegal_parameter', 'a TLS 1.3 ClientHello must offer only the null compression method (§4.1.2)');
    }
    const groups = findExtension(hello.extensions, 'supported_groups');
    const keyShare = findExtension(hello.extensions, 'key_share');
    const sigAlgs = findExtension(hello.extensions, 'signature_algorithms');
    if (!sigAlgs) throw new TLSError('missing_extension', 'the ClientHello has no signature_algorithms (§9.2)');
    if (!groups || !keyShare) {
      throw new TLSError('missing_extension', 'the ClientHello must carry both supported_groups and key_share (§9.2)');
    }
    const shares = new Map<number, Uint8Array>();
    for (const share of keyShare.clientShares) {
      if (!groups.groups.includes(share.group)) {
        throw new TLSError('illegal_parameter', `the client sent a key share for ${codeName(NamedGroup, share.group)}, which is not in its supported_groups (§4.2.8)`);
      }
      shares.set(share.group, share.keyExchange);
    }
    const alpn = findExtension(hello.extensions, 'application_layer_protocol_negotiation');
    const info: ClientHelloInfo = {
      serverName: findExtension(hello.extensions, 'server_name')?.hostName,
      cipherSuites: hello.cipherSuites,
      supportedGroups: groups.groups,
      keyShareGroups: [...shares.keys()],
      signatureSchemes: sigAlgs.schemes,
      signatureSchemesCert: findExtension(hello.extensions, 'signature_algorithms_cert')?.schemes ?? sigAlgs.schemes,
      alpnProtocols: (alpn?.protocols ?? []).map(fromUtf8Lenient),
      supportedVersions: versions.versions,
      pskModes: findExtension(hello.extensions, 'psk_key_exchange_modes')?.modes ?? [],
      offersEarlyData: findExtension(hello.extensions, 'early_data') !== undefined,
      raw,
    };
    return { hello, info, shares };
  }

  /**
   * The second ClientHello must be the first one with only the changes
   * §4.1.2 lists (key_share, early_data, cookie, pre_shared_key, padding).
   */
  private checkSecondHello(first: ClientHello, second: ClientHello): void {
    const same =
      bytesEqual(first.random, second.random) &&
      bytesEqual(first.legacySessionId, second.legacySessionId) &&
      first.cipherSuites.length === second.cipherSuites.length &&
      first.cipherSuites.every((c, i) => second.cipherSuites[i] === c);
    if (!same) throw new TLSError('illegal_parameter', 'the second ClientHello differs from the first beyond what §4.1.2 allows');
    if (findExtension(second.extensions, 'early_data')) {
      throw new TLSError('illegal_parameter', 'the second ClientHello offers early data, which §4.1.2 forbids after a HelloRetryRequest');
    }
    const cookie = findExtension(second.extensions, 'cookie');
    if (this.cookie && (!cookie || !bytesEqual(cookie.cookie, this.cookie))) {
      throw new TLSError('illegal_parameter', 'the second ClientHello did not echo our cookie (§4.2.2)');
    }
  }

  /** Go's GetConfigForClient: the hook may hand back a whole new server config. */
  private *applyConfigForClient(info: ClientHelloInfo): Step<void> {
    const hook = this.settings.config.getConfigForClient;
    if (!hook) return;
    const next = yield* this.callHook(() => hook(info), 'getConfigForClient', 'internal_error');
    if (next) this.settings = serverSettings(next);
  }

  /**
   * Go's GetCertificate, or by default the first certificate whose name
   * matches the SNI and whose key can sign a scheme the client accepts.
   */
  private *chooseCertificate(info: ClientHelloInfo): Step<CertifiedKey> {
    const hook = this.settings.config.getCertificate;
    if (hook) {
      const chosen = yield* this.callHook(() => hook(info), 'getCertificate', 'internal_error');
      if (chosen) return chosen;
    }
    const s = this.settings;
    const usable = s.certificates.filter((c) =>
      info.signatureSchemes.some((sc) => s.signatureSchemes.includes(sc) && (s.provider.signature(sc)?.supports(c.privateKey) ?? false)),
    );
    const name = info.serverName;
    const byName = name === undefined ? undefined : usable.find((c) => c.leaf !== undefined && matchHostname(c.leaf, name));
    const chosen = byName ?? usable[0] ?? s.certificates[0];
    if (!chosen) throw new TLSError('handshake_failure', 'no certificate to offer: set `certificates` or return one from getCertificate');
    return chosen;
  }

  /**
   * HelloRetryRequest (§4.1.4): ask for a share of `group` (and/or echo a
   * cookie). The transcript continues from message_hash(ClientHello1).
   */
  private sendHelloRetryRequest(hello: ClientHello, raw: Uint8Array, suite: CipherSuiteInfo, group: number | undefined): void {
    this.firstHello = hello;
    this.clientRandom = hello.random;
    this.useSuite(suite);
    this.transcript.add(raw);
    this.transcript.replaceWithMessageHash();
    const extensions: HelloRetryRequestExtension[] = [];
    if (group !== undefined) extensions.push({ type: 'key_share', selectedGroup: group });
    if (this.settings.config.requireCookie) {
      this.cookie = this.settings.random(32);
      extensions.push({ type: 'cookie', cookie: this.cookie });
    }
    extensions.push({ type: 'supported_versions', selectedVersion: ProtocolVersion.TLS1_3 });
    this.send(helloRetryRequest({ legacySessionIdEcho: hello.legacySessionId, cipherSuite: suite.code, extensions }));
    // Compatibility mode: the CCS follows our first handshake message (§D.4).
    if (this.settings.middleboxCompat && hello.legacySessionId.length > 0) this.sendChangeCipherSpec();
    this.host.record.flush();
    // Early data sent with ClientHello1 arrives unprotected-looking and is dropped (§4.2.10).
    if (findExtension(hello.extensions, 'early_data')) this.host.record.skipUndecryptable(EARLY_DATA_SKIP_LIMIT);
  }

  /** ServerHello (§4.1.3) with our key share; then the handshake traffic keys (§7.1). */
  private *sendServerHello(hello: ClientHello, clientShare: Uint8Array, group: number): Step<void> {
    const kex = this.settings.provider.keyExchange(group)!;
    const random = this.settings.random(32);
    let encapsulation;
    try {
      encapsulation = yield* wait(kex.encapsulate(clientShare, this.settings.random));
    } catch (err) {
      if (err instanceof InvalidShareError) throw new TLSError('illegal_parameter', `invalid client key share: ${err.message}`, 'local', { cause: err });
      throw err;
    }
    this.noteGroup(group);
    this.send({
      type: 'server_hello',
      helloRetryRequest: false,
      legacyVersion: ProtocolVersion.TLS1_2,
      random,
      legacySessionIdEcho: hello.legacySessionId,
      cipherSuite: this.cipher.code,
      extensions: [
        { type: 'key_share', serverShare: { group, keyExchange: encapsulation.share } },
        { type: 'supported_versions', selectedVersion: ProtocolVersion.TLS1_3 },
      ],
    });
    if (this.settings.middleboxCompat && hello.legacySessionId.length > 0 && !this.firstHello) this.sendChangeCipherSpec();

    const ks = this.ks;
    const hs = ks.handshakeSecret(ks.earlySecret(), encapsulation.secret);
    const helloHash = this.transcript.digest();
    this.clientHandshakeSecret = ks.clientHandshakeTrafficSecret(hs, helloHash);
    const serverSecret = ks.serverHandshakeTrafficSecret(hs, helloHash);
    this.masterSecret = ks.masterSecret(hs);
    this.installKeys('write', 'handshake', serverSecret, 'SERVER_HANDSHAKE_TRAFFIC_SECRET');
    this.installKeys('read', 'handshake', this.clientHandshakeSecret, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    this.serverFinishedKey = serverSecret;
    const record = this.host.record;
    // The client may answer the ServerHello with a plaintext alert, and send
    // a compatibility CCS before its second flight (§5, §D.4).
    record.allowPlaintextAlerts(true);
    record.allowCompatCcs(true);
    // We never accept 0-RTT here, so early data is skipped (§4.2.10).
    if (findExtension(hello.extensions, 'early_data')) record.skipUndecryptable(EARLY_DATA_SKIP_LIMIT);
  }


  /** EncryptedExtensions (§4.3.1): only answers to what the client offered. */
  private sendEncryptedExtensions(hello: ClientHello, alpn: string | undefined): void {
    const extensions: EncryptedExtensionsExtension[] = [];
    const clientLimit = findExtension(hello.extensions, 'record_size_limit');
    if (clientLimit) {
      this.host.record.setSendRecordSizeLimit(clientLimit.limit);
      const ours = this.settings.recordSizeLimit ?? 16385;
      extensions.push({ type: 'record_size_limit', limit: ours });
      this.host.record.setReceiveRecordSizeLimit(ours);
    }
    // An empty server_name tells the client we used its SNI (RFC 6066 §3).
    if (findExtension(hello.extensions, 'server_name')) extensions.push({ type: 'server_name' });
    if (alpn !== undefined) {
      extensions.push({ type: 'application_layer_protocol_negotiation', protocols: [new TextEncoder().encode(alpn)] });
    }
    this.send({ type: 'encrypted_extensions', extensions });
  }

  /** CertificateRequest (§4.3.2): our schemes and, if we have some, the CAs we trust. */
  private sendCertificateRequest(): void {
    const extensions: CertificateRequestExtension[] = [{ type: 'signature_algorithms', schemes: this.settings.advertisedSchemes }];
    const names = this.settings.clientRoots.map((c) => c.subject.raw);
    if (names.length > 0) extensions.push({ type: 'certificate_authorities', authorities: names });
    this.send({ type: 'certificate_request', certificateRequestContext: new Uint8Array(0), extensions });
    this.certificateRequested = true;
  }

  /** Our Finished (§4.4.4); then the application secrets, from the transcript up to it. */
  private sendServerFinished(): void {
    this.send(this.finishedFor(this.serverFinishedKey!));
    this.host.record.flush();
    const ks = this.ks;
    const hash = this.transcript.digest();
    this.clientApplicationSecret = ks.clientApplicationTrafficSecret(this.masterSecret!, hash);
    const serverApp = ks.serverApplicationTrafficSecret(this.masterSecret!, hash);
    this.exporterSecret = ks.exporterMasterSecret(this.masterSecret!, hash);
    this.installKeys('write', 'application', serverApp, 'SERVER_TRAFFIC_SECRET_0');
    this.keyLog('CLIENT_TRAFFIC_SECRET_0', this.clientApplicationSecret);
    this.keyLog('EXPORTER_SECRET', this.exporterSecret);
    this.serverFinishedKey = undefined;
  }

  // ------------------------------------------------------------ client's flight

  /** WAIT_CERT: the client's chain, or an empty Certificate if it has none (§4.4.2.4). */
  private *processClientCertificate(message: CertificateMessage, raw: Uint8Array): Step<ServerState> {
    if (message.certificateRequestContext.length !== 0) {
      throw new TLSError('illegal_parameter', "the client's Certificate must echo our empty request context (§4.4.2)");
    }
    const mode = this.settings.clientAuth;
    if (message.certificateList.length === 0) {
      if (mode === 'require' || mode === 'require-and-verify') {
        throw new TLSError('certificate_required', 'the client sent no certificate, and `clientAuth` requires one');
      }
      this.transcript.add(raw);
      return 'WAIT_FINISHED';
    }
    this.clientKey = yield* this.verifyPeerChain(message, {
      usage: 'client',
      roots: this.settings.clientRoots,
      verify: (mode === 'verify-if-given' || mode === 'require-and-verify') && !this.settings.config.insecureSkipVerify,
    });
    this.transcript.add(raw);
    return 'WAIT_CV';
  }

  /** WAIT_CV: proof that the client holds its certificate's key (§4.4.3). */
  private *processClientCertificateVerify(message: CertificateVerify, raw: Uint8Array): Step<ServerState> {
    yield* this.checkCertificateVerify(message, this.clientKey!, 'client');
    this.transcript.add(raw);
    return 'WAIT_FINISHED';
  }

  /** WAIT_FINISHED → CONNECTED: the client's Finished confirms the handshake (§4.4.4). */
  private *processClientFinished(message: Finished, raw: Uint8Array): Step<ServerState> {
    this.checkFinished(message, this.clientHandshakeSecret!, this.transcript.digest());
    this.transcript.add(raw);
    const record = this.host.record;
    record.allowCompatCcs(false);
    this.installKeys('read', 'application', this.clientApplicationSecret!);
    this.resumptionSecret = this.ks.resumptionMasterSecret(this.masterSecret!, this.transcript.digest());

    const verifyConnection = this.settings.config.verifyConnection;
    if (verifyConnection) {
      yield* this.callHook(() => verifyConnection(this.connectionState()), 'verifyConnection', 'bad_certificate');
    }
    this.clientHandshakeSecret = this.clientApplicationSecret = this.masterSecret = undefined;
    this.info.handshakeComplete = true;
    this.info.handshakeConfirmed = true;
    this.host.emit({ type: 'handshake', state: this.connectionState() });
    return 'CONNECTED';
  }

  /** The resumption master secret, for issuing tickets (§4.6.1). */
  get resumptionMasterSecret(): Uint8Array | undefined {
    return this.resumptionSecret;
  }
}

/** ALPN names are bytes; compare them as text where they are valid UTF-8. */
function fromUtf8Lenient(bytes: Uint8Array): string {
  try {
    return fromUtf8(bytes);
  } catch {
    return Array.from(bytes, (b) => String.fromCharCode(b)).join('');
  }
}

