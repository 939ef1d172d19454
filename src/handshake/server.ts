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
import { cipherSuiteInfo } from '../crypto/suites.js';
import { TLSError } from '../errors.js';
import { NamedGroup, ProtocolVersion, PskKeyExchangeMode, codeName } from '../registry.js';
import { bytesEqual, constantTimeEqual, fromUtf8 } from '../util/bytes.js';
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
  type ServerHelloExtension,
  truncateClientHelloForBinders,
  findExtension,
  helloRetryRequest,
} from '../wire/index.js';
import { matchHostname } from '../x509/index.js';
import { Handshake, type HandshakeHost, stay } from './common.js';
import type { TransitionTable } from './machine.js';
import { selectAlpn, selectCipherSuite, selectGroup, selectSignatureScheme } from './negotiate.js';
import { serverSettings, type ServerSettings } from './settings.js';
import { isFresh } from './antiReplay.js';
import { type SessionState, TICKET_NONCE_LENGTH, openTicket, sealTicket } from './tickets.js';

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
      edges: [
        ['START', 'RECVD_CH', 'client_hello'],
        ['RECVD_CH', 'START', 'send hello_retry_request'],
        ['RECVD_CH', 'NEGOTIATED', 'select parameters'],
        ['NEGOTIATED', 'WAIT_EOED', 'send server_hello … finished (0-RTT accepted)'],
        ['NEGOTIATED', 'WAIT_FLIGHT2', 'send server_hello … finished'],
        ['WAIT_FLIGHT2', 'WAIT_CERT', 'client auth'],
        ['WAIT_FLIGHT2', 'WAIT_FINISHED', 'no client auth'],
      ],
      rfc: '§4.1.2, §4.1.4',
    },
  ],
  RECVD_CH: [],
  NEGOTIATED: [],
  WAIT_EOED: [
    {
      on: 'end_of_early_data',
      step: 'processEndOfEarlyData',
      to: ['WAIT_FINISHED'],
      via: ['WAIT_FLIGHT2'],
      // 0-RTT means a PSK handshake, which has no client authentication (§4.3.2).
      edges: [['WAIT_EOED', 'WAIT_FLIGHT2', 'end_of_early_data']],
      rfc: '§4.5',
    },
  ],
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

/** The PSK we accepted and what the client said about it. */
interface AcceptedPsk {
  readonly index: number;
  readonly session: SessionState;
  readonly mode: number;
  readonly identity: Uint8Array;
  readonly obfuscatedAge: number;
  earlyDataLimit?: number;
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
  private earlySecret: Uint8Array | undefined;
  /** The Early Secret checkBinder derived, and from which PSK, for sendServerHello to reuse. */
  private binderEarly: { readonly psk: Uint8Array; readonly early: Uint8Array } | undefined;
  /** Transcript-Hash(ClientHello), for the client's early traffic secret. */
  private helloHash: Uint8Array | undefined;
  private psk: AcceptedPsk | undefined;
  private earlyDataRemaining = 0;
  private offeredPskModes: readonly number[] = [];
  private ticketsSent = 0;

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
      case 'end_of_early_data':
        return this.processEndOfEarlyData(raw);
      case 'key_update':
        this.onKeyUpdate(message);
        return stay(this.state);
      default:
        throw new TLSError('unexpected_message', `unexpected ${message.type}`);
    }
  }

  private passThrough(to: ServerState, on: string): void {
    this.moves++;
    const from = this.state;
    this.state = to;
    this.trace({ kind: 'transition', from, to, on, rfc: 'Appendix A.2' });
  }

  // ------------------------------------------------------------ ClientHello

  /** START: a ClientHello, the first or the one answering our HelloRetryRequest. */
  private *processClientHello(hello: ClientHello, raw: Uint8Array): Step<ServerState> {
    this.passThrough('RECVD_CH', 'client_hello');
    // Once a ClientHello has arrived, the client may send the compatibility
    // CCS, e.g. before its second ClientHello (§5, §D.4).
    this.host.record.allowCompatCcs(true);
    const offer = this.readOffer(hello, raw);
    if (this.firstHello) this.checkSecondHello(this.firstHello, hello);
    else yield* this.applyConfigForClient(offer.info);

    const s = this.settings;
    const suite = cipherSuiteInfo(selectCipherSuite(s.cipherSuites, hello.cipherSuites, s.preferServer))!;
    if (this.firstHello) {
      if (this.suite?.code !== suite.code) {
        throw new TLSError('illegal_parameter', 'the second ClientHello changed the cipher suite choice (§4.1.4)');
      }
    } else {
      this.clientRandom = hello.random;
      this.useSuite(suite);
    }
    const alpn = selectAlpn(s.alpn.map(fromUtf8Lenient), offer.info.alpnProtocols, s.preferServer);
    const psk = yield* this.choosePsk(offer, raw);
    const needShare = !psk || psk.mode === PskKeyExchangeMode.psk_dhe_ke;
    if (needShare && offer.info.supportedGroups.length === 0) {
      throw new TLSError('missing_extension', 'the ClientHello has no supported_groups and offers no PSK we can use without one (§9.2)');
    }
    const group = needShare ? selectGroup(s.groups, offer.info.supportedGroups, offer.info.keyShareGroups, s.preferServer) : undefined;
    const wantCookie = s.config.requireCookie === true && !this.firstHello;
    if (group?.kind === 'retry' || wantCookie) {
      if (this.firstHello) {
        throw new TLSError('illegal_parameter', 'the second ClientHello still has no key share for the group we asked for (§4.1.4)');
      }
      this.sendHelloRetryRequest(hello, raw, group?.kind === 'retry' ? group.group : undefined);
      this.passThrough('START', 'hello_retry_request (sent)');
      return 'START';
    }

    // A PSK handshake authenticates with the PSK: no certificate (§4.3.2, §4.4.2).
    const certified = psk ? undefined : yield* this.chooseCertificate(offer.info);
    const scheme = certified && this.signatureSchemeFor(certified, offer.info);
    this.info.serverName = offer.info.serverName;
    this.info.alpnProtocol = alpn;
    const early = psk ? yield* this.decideEarlyData(offer, psk, alpn) : false;
    this.passThrough('NEGOTIATED', 'parameters selected');

    this.transcript.add(raw);
    yield* this.sendServerHello(hello, psk, group && { group: group.group, share: offer.shares.get(group.group)! });
    if (early) this.acceptEarlyData();
    else if (offer.info.offersEarlyData) this.host.record.skipUndecryptable(Math.max(s.maxEarlyData, EARLY_DATA_SKIP_LIMIT));
    this.sendEncryptedExtensions(hello, alpn, early);
    if (certified && scheme !== undefined) {
      if (s.clientAuth !== 'none') this.sendCertificateRequest();
      this.send(this.certificateMessage(certified, new Uint8Array(0)));
      this.send(yield* this.certificateVerify(certified, scheme));
    }
    this.sendServerFinished();

    if (early) return 'WAIT_EOED';
    this.passThrough('WAIT_FLIGHT2', 'finished (sent)');
    return this.certificateRequested ? 'WAIT_CERT' : 'WAIT_FINISHED';
  }

  private signatureSchemeFor(certified: CertifiedKey, info: ClientHelloInfo): number {
    const s = this.settings;
    const scheme = selectSignatureScheme(s.signatureSchemes, info.signatureSchemes, (sc) => s.provider.signature(sc)?.supports(certified.privateKey) ?? false);
    if (scheme === undefined) {
      throw new TLSError('handshake_failure', 'no signature scheme in common that our certificate can make: add a certificate of a type the client accepts');
    }
    return scheme;
  }

  // ------------------------------------------------------------ resumption

  /**
   * Picks the first offered PSK we can use (§4.2.11): a ticket we can open,
   * unexpired, issued under a suite with the same hash, for the same server
   * name, in a key exchange mode both sides allow. Its binder must then
   * verify (decrypt_error otherwise); anything else falls back to a full
   * handshake.
   */
  private *choosePsk(offer: Offer, raw: Uint8Array): Step<AcceptedPsk | undefined> {
    const ext = findExtension(offer.hello.extensions, 'pre_shared_key');
    if (!ext) return undefined;
    if (offer.info.pskModes.length === 0) {
      throw new TLSError('missing_extension', 'the ClientHello offers a PSK without psk_key_exchange_modes (§4.2.9)');
    }
    const s = this.settings;
    const mode = offer.info.pskModes.includes(PskKeyExchangeMode.psk_dhe_ke)
      ? PskKeyExchangeMode.psk_dhe_ke
      : s.config.allowPskOnlyResumption && offer.info.pskModes.includes(PskKeyExchangeMode.psk_ke)
        ? PskKeyExchangeMode.psk_ke
        : undefined;
    if (mode === undefined || s.ticketCount === 0 && !s.config.unwrapSession) return undefined;
    const now = s.now().getTime();
    // Trying every identity would let a client make us open many tickets; a few is plenty.
    const limit = Math.min(ext.identities.length, 4);
    for (let index = 0; index < limit; index++) {
      const identity = ext.identities[index]!;
      const session = yield* this.unwrapSession(identity.identity);
      if (!session || !this.resumable(session, offer, now)) continue;
      this.checkBinder(session.psk, ext.binders[index]!, raw);
      return { index, session, mode, identity: identity.identity, obfuscatedAge: identity.obfuscatedTicketAge };
    }
    return undefined;
  }

  private *unwrapSession(identity: Uint8Array): Step<SessionState | undefined> {
    const hook = this.settings.config.unwrapSession;
    if (hook) return yield* this.callHook(() => hook(identity), 'unwrapSession', 'internal_error');
    return openTicket(this.settings.provider, this.settings.ticketKeys, identity);
  }

  private resumable(session: SessionState, offer: Offer, now: number): boolean {
    const original = cipherSuiteInfo(session.cipherSuite);
    const mode = this.settings.clientAuth;
    return (
      original !== undefined &&
      original.hash === this.cipher.hash &&
      now >= session.createdAt &&
      now - session.createdAt < Math.min(session.lifetime, this.settings.ticketLifetime) * 1000 &&
      session.serverName === offer.info.serverName &&
      // A session without a client certificate cannot satisfy a policy that requires one.
      !((mode === 'require' || mode === 'require-and-verify') && session.peerCertificates.length === 0)
    );
  }

  /**
   * The binder proves the client knows the PSK and binds it to this
   * ClientHello (and, after a HelloRetryRequest, to the whole transcript so
   * far): HMAC over Transcript-Hash(..., Truncate(ClientHello)) (§4.2.11.2).
   */
  private checkBinder(psk: Uint8Array, binder: Uint8Array, raw: Uint8Array): void {
    const ks = this.ks;
    const early = ks.earlySecret(psk);
    this.binderEarly = { psk, early };
    const binderKey = ks.binderKey(early, 'res');
    const expected = ks.binder(binderKey, this.transcript.digestWith(truncateClientHelloForBinders(raw)));
    if (!constantTimeEqual(expected, binder)) {
      throw new TLSError('decrypt_error', 'the PSK binder did not verify: the client does not hold the ticket\'s key, or the ClientHello was altered');
    }
  }

  /**
   * Whether to accept 0-RTT (§4.2.10): only with the first PSK, the ticket's
   * own suite and ALPN, no HelloRetryRequest, within our limit, fresh
   * (§8.3), never seen before (§8.1), and if the policy hook agrees.
   */
  private *decideEarlyData(offer: Offer, psk: AcceptedPsk, alpn: string | undefined): Step<boolean> {
    const s = this.settings;
    const session = psk.session;
    if (!offer.info.offersEarlyData || this.firstHello || psk.index !== 0) return false;
    if (s.maxEarlyData === 0 || session.maxEarlyData === 0) return false;
    // The client may send as much as its ticket allows; if our limit has
    // since been lowered, accepting would fail the connection mid-flight, so
    // reject and let the data come again at 1-RTT.
    if (session.maxEarlyData > s.maxEarlyData) return false;
    if (session.cipherSuite !== this.cipher.code || session.alpn !== alpn) return false;
    const now = s.now().getTime();
    const clientAge = (psk.obfuscatedAge - session.ageAdd) >>> 0;
    if (!isFresh(clientAge, now - session.createdAt, s.freshnessWindow)) return false;
    const expiresAt = session.createdAt + session.lifetime * 1000;
    const first = yield* wait(s.antiReplay.firstUse(psk.identity, expiresAt, now));
    if (!first) return false;
    const hook = s.config.acceptEarlyData;
    if (hook && !(yield* this.callHook(() => hook(offer.info), 'acceptEarlyData', 'internal_error'))) return false;
    psk.earlyDataLimit = session.maxEarlyData;
    return true;
  }

  /** 0-RTT accepted: read the client's early data under client_early_traffic_secret (§7.1). */
  private acceptEarlyData(): void {
    const early = this.earlySecret!;
    const secret = this.ks.clientEarlyTrafficSecret(early, this.helloHash!);
    this.installKeys('read', 'early', secret, 'CLIENT_EARLY_TRAFFIC_SECRET');
    this.earlyDataRemaining = this.psk!.earlyDataLimit ?? 0;
    this.info.earlyDataAccepted = true;
  }

  /** Bytes of 0-RTT data still allowed; early data past the limit is unexpected_message (§4.2.10). */
  chargeEarlyData(length: number): void {
    if (this.state !== 'WAIT_EOED') throw new TLSError('unexpected_message', 'application data before the handshake completed');
    if (length > this.earlyDataRemaining) {
      throw new TLSError('unexpected_message', 'the client sent more 0-RTT data than max_early_data_size allows (§4.2.10)');
    }
    this.earlyDataRemaining -= length;
  }

  get readingEarlyData(): boolean {
    return this.state === 'WAIT_EOED';
  }

  /** WAIT_EOED: the end of 0-RTT data; from here the client's handshake keys apply (§4.5). */
  private *processEndOfEarlyData(raw: Uint8Array): Step<ServerState> {
    this.transcript.add(raw);
    this.installKeys('read', 'handshake', this.clientHandshakeSecret!);
    this.passThrough('WAIT_FLIGHT2', 'end_of_early_data');
    return 'WAIT_FINISHED';
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
    const offersPsk = findExtension(hello.extensions, 'pre_shared_key') !== undefined;
    // §9.2: without a PSK a client must offer certificates' and (EC)DHE's
    // extensions; supported_groups and key_share always go together.
    if (!sigAlgs && !offersPsk) throw new TLSError('missing_extension', 'the ClientHello has no signature_algorithms (§9.2)');
    if (!groups !== !keyShare) {
      throw new TLSError('missing_extension', 'the ClientHello must carry both supported_groups and key_share, or neither (§9.2)');
    }
    if (!groups && !offersPsk) throw new TLSError('missing_extension', 'the ClientHello has no supported_groups and no pre_shared_key (§9.2)');
    const shares = new Map<number, Uint8Array>();
    for (const share of keyShare?.clientShares ?? []) {
      if (!groups!.groups.includes(share.group)) {
        throw new TLSError('illegal_parameter', `the client sent a key share for ${codeName(NamedGroup, share.group)}, which is not in its supported_groups (§4.2.8)`);
      }
      shares.set(share.group, share.keyExchange);
    }
    const alpn = findExtension(hello.extensions, 'application_layer_protocol_negotiation');
    const info: ClientHelloInfo = {
      serverName: findExtension(hello.extensions, 'server_name')?.hostName,
      cipherSuites: hello.cipherSuites,
      supportedGroups: groups?.groups ?? [],
      keyShareGroups: [...shares.keys()],
      signatureSchemes: sigAlgs?.schemes ?? [],
      signatureSchemesCert: findExtension(hello.extensions, 'signature_algorithms_cert')?.schemes ?? sigAlgs?.schemes ?? [],
      alpnProtocols: (alpn?.protocols ?? []).map(fromUtf8Lenient),
      supportedVersions: versions.versions,
      pskModes: findExtension(hello.extensions, 'psk_key_exchange_modes')?.modes ?? [],
      offersEarlyData: findExtension(hello.extensions, 'early_data') !== undefined,
      raw,
    };
    this.offeredPskModes = info.pskModes;
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
  private sendHelloRetryRequest(hello: ClientHello, raw: Uint8Array, group: number | undefined): void {
    this.firstHello = hello;
    this.transcript.add(raw);
    this.transcript.replaceWithMessageHash();
    const extensions: HelloRetryRequestExtension[] = [];
    if (group !== undefined) extensions.push({ type: 'key_share', selectedGroup: group });
    if (this.settings.config.requireCookie) {
      this.cookie = this.settings.random(32);
      extensions.push({ type: 'cookie', cookie: this.cookie });
    }
    extensions.push({ type: 'supported_versions', selectedVersion: ProtocolVersion.TLS1_3 });
    this.send(helloRetryRequest({ legacySessionIdEcho: hello.legacySessionId, cipherSuite: this.cipher.code, extensions }));
    // Compatibility mode: the CCS follows our first handshake message (§D.4).
    if (this.settings.middleboxCompat && hello.legacySessionId.length > 0) this.sendChangeCipherSpec();
    this.host.record.flush();
    // Early data sent with ClientHello1 arrives unprotected-looking and is dropped (§4.2.10).
    if (findExtension(hello.extensions, 'early_data')) {
      this.host.record.skipUndecryptable(Math.max(this.settings.maxEarlyData, EARLY_DATA_SKIP_LIMIT));
    }
  }

  /**
   * ServerHello (§4.1.3): our key share and/or the PSK we accepted; then
   * the handshake traffic keys (§7.1).
   */
  private *sendServerHello(hello: ClientHello, psk: AcceptedPsk | undefined, share: { group: number; share: Uint8Array } | undefined): Step<void> {
    const s = this.settings;
    const extensions: ServerHelloExtension[] = [];
    if (psk) extensions.push({ type: 'pre_shared_key', selectedIdentity: psk.index });
    // psk_ke: no key exchange, the (EC)DHE input is a string of zeros (§7.1).
    let sharedSecret: Uint8Array = new Uint8Array(this.ks.hash.outputLength);
    if (share) {
      const kex = s.provider.keyExchange(share.group)!;
      let encapsulation;
      try {
        encapsulation = yield* wait(kex.encapsulate(share.share, s.random));
      } catch (err) {
        if (err instanceof InvalidShareError) throw new TLSError('illegal_parameter', `invalid client key share: ${err.message}`, 'local', { cause: err });
        throw err;
      }
      sharedSecret = encapsulation.secret;
      extensions.push({ type: 'key_share', serverShare: { group: share.group, keyExchange: encapsulation.share } });
      this.noteGroup(share.group);
    }
    extensions.push({ type: 'supported_versions', selectedVersion: ProtocolVersion.TLS1_3 });
    this.psk = psk;
    const ks = this.ks;
    // The binder check already extracted the Early Secret of this PSK (§7.1).
    this.earlySecret =
      psk && this.binderEarly?.psk === psk.session.psk ? this.binderEarly.early : ks.earlySecret(psk?.session.psk);
    this.helloHash = this.transcript.digest();
    if (psk) {
      this.info.resumed = true;
      this.info.peerCertificates = psk.session.peerCertificates;
    }
    this.send({
      type: 'server_hello',
      helloRetryRequest: false,
      legacyVersion: ProtocolVersion.TLS1_2,
      random: s.random(32),
      legacySessionIdEcho: hello.legacySessionId,
      cipherSuite: this.cipher.code,
      extensions,
    });
    if (s.middleboxCompat && hello.legacySessionId.length > 0 && !this.firstHello) this.sendChangeCipherSpec();

    const hs = ks.handshakeSecret(this.earlySecret, sharedSecret);
    const helloHash = this.transcript.digest();
    this.clientHandshakeSecret = ks.clientHandshakeTrafficSecret(hs, helloHash);
    const serverSecret = ks.serverHandshakeTrafficSecret(hs, helloHash);
    this.masterSecret = ks.masterSecret(hs);
    this.installKeys('write', 'handshake', serverSecret, 'SERVER_HANDSHAKE_TRAFFIC_SECRET');
    this.installKeys('read', 'handshake', this.clientHandshakeSecret, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    this.serverFinishedKey = serverSecret;
    const record = this.host.record;
    // The client may answer the ServerHello with a plaintext alert (§5).
    record.allowPlaintextAlerts(true);
  }

  /** EncryptedExtensions (§4.3.1): only answers to what the client offered. */
  private sendEncryptedExtensions(hello: ClientHello, alpn: string | undefined, earlyData: boolean): void {
    const extensions: EncryptedExtensionsExtension[] = [];
    if (earlyData) extensions.push({ type: 'early_data' });
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
    // Our CertificateRequest asks for no entry extensions, so any is unsolicited (§4.4.2, §4.2).
    if (message.certificateList.some((entry) => entry.extensions.length > 0)) {
      throw new TLSError('unsupported_extension', "the client's Certificate carries extensions our CertificateRequest did not ask for (§4.4.2)");
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
    this.clientHandshakeSecret = this.clientApplicationSecret = this.masterSecret = this.earlySecret = undefined;
    this.releaseServerHandshakeState();
    this.info.handshakeComplete = true;
    this.info.handshakeConfirmed = true;
    this.host.emit({ type: 'handshake', state: this.connectionState() });
    if (this.clientAcceptsTickets) yield* this.sendTickets(this.settings.ticketCount);
    return 'CONNECTED';
  }

  /**
   * CONNECTED from here on: the first ClientHello and cookie (HelloRetryRequest
   * checks), the client's key (CertificateVerify), the accepted PSK and the
   * binder's Early Secret (secrets, §7.1), the ClientHello hash (0-RTT keys)
   * and the transcript are no longer needed; tickets and KeyUpdate need only
   * the resumption and traffic secrets.
   */
  private releaseServerHandshakeState(): void {
    this.firstHello = undefined;
    this.cookie = undefined;
    this.clientKey = undefined;
    this.binderEarly = undefined;
    this.helloHash = undefined;
    this.psk = undefined;
    this.releaseHandshakeState();
  }

  /** Whether the client can use tickets: it must accept a PSK mode we allow (§4.2.9). */
  private get clientAcceptsTickets(): boolean {
    const modes = this.offeredPskModes;
    return modes.includes(PskKeyExchangeMode.psk_dhe_ke) || (this.settings.config.allowPskOnlyResumption === true && modes.includes(PskKeyExchangeMode.psk_ke));
  }

  /**
   * NewSessionTicket (§4.6.1): each with its own nonce, hence its own PSK,
   * and its own ticket_age_add; the session is sealed into the ticket
   * (or handed to wrapSession).
   */
  *sendTickets(count: number): Step<void> {
    const s = this.settings;
    const resumption = this.resumptionSecret;
    if (!resumption || count === 0) return;
    for (let i = 0; i < count; i++) {
      // Nonces must be unique per connection (§4.6.1): each yields a different PSK.
      if (this.ticketsSent > 0xffff) throw new TLSError('internal_error', 'more than 65 536 tickets on one connection');
      const nonce = new Uint8Array([this.ticketsSent >> 8, this.ticketsSent & 0xff]);
      this.ticketsSent++;
      const now = s.now().getTime();
      const ageAdd = new DataView(s.random(4).buffer).getUint32(0);
      const session: SessionState = {
        cipherSuite: this.cipher.code,
        psk: this.ks.resumptionPsk(resumption, nonce),
        createdAt: now,
        lifetime: s.ticketLifetime,
        ageAdd,
        maxEarlyData: s.maxEarlyData,
        alpn: this.info.alpnProtocol,
        serverName: this.info.serverName,
        peerCertificates: this.info.peerCertificates,
      };
      const wrap = s.config.wrapSession;
      const ticket = wrap
        ? yield* this.callHook(() => wrap(session), 'wrapSession', 'internal_error')
        : sealTicket(s.provider, s.ticketKeys.current(now), s.random(TICKET_NONCE_LENGTH), session);
      this.send({
        type: 'new_session_ticket',
        ticketLifetime: s.ticketLifetime,
        ticketAgeAdd: ageAdd,
        ticketNonce: nonce,
        ticket,
        extensions: s.maxEarlyData > 0 ? [{ type: 'early_data', maxEarlyDataSize: s.maxEarlyData }] : [],
      });
    }
    this.host.record.flush();
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

