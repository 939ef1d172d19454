/**
 * Configuration and hooks, named after Go's tls.Config (see shared DESIGN.md):
 * every knob a user of crypto/tls or rustls would look for, with safe
 * defaults. Hooks may return Promises; the connection waits in its state.
 */
import type { CryptoProvider, MaybePromise, PrivateKey, RandomSource } from './crypto/provider.js';
import type { Certificate } from './x509/index.js';
import type { TraceEntry } from './handshake/events.js';
import type { HandshakeMessage } from './wire/index.js';
import type { SessionCache } from './handshake/sessions.js';
import type { SessionState } from './handshake/tickets.js';
import type { ReplayCache } from './handshake/antiReplay.js';

/** A certificate chain (leaf first) and the private key of its leaf. */
export interface CertifiedKey {
  /** DER certificates, leaf first, then intermediates (not the root). */
  readonly chain: readonly Uint8Array[];
  readonly privateKey: PrivateKey;
  /** The parsed leaf, filled in when the key is loaded (for selection by SNI). */
  readonly leaf?: Certificate;
}

/** What a user may hand us for a certificate: PEM text, DER, or a loaded key. */
export type CertificateInput =
  | CertifiedKey
  | {
      /** PEM text (one or more CERTIFICATE blocks, leaf first) or DER certificates. */
      readonly cert: string | Uint8Array | readonly Uint8Array[];
      /** PEM text (PKCS#8, SEC1 or PKCS#1) or DER PKCS#8. */
      readonly key: string | Uint8Array;
    };

/** Trust anchors: PEM text (any number of certificates) or DER certificates. */
export type CertificateSource = string | Uint8Array | readonly (string | Uint8Array)[];

export type ClientAuthMode = 'none' | 'request' | 'require' | 'verify-if-given' | 'require-and-verify';

/** What the server knows about a client from its ClientHello (Go's ClientHelloInfo). */
export interface ClientHelloInfo {
  readonly serverName: string | undefined;
  readonly cipherSuites: readonly number[];
  readonly supportedGroups: readonly number[];
  /** Groups for which the client sent a key share. */
  readonly keyShareGroups: readonly number[];
  readonly signatureSchemes: readonly number[];
  readonly signatureSchemesCert: readonly number[];
  readonly alpnProtocols: readonly string[];
  readonly supportedVersions: readonly number[];
  readonly pskModes: readonly number[];
  readonly offersEarlyData: boolean;
  /** The ClientHello exactly as received (handshake header included). */
  readonly raw: Uint8Array;
}

/** What the client knows about a CertificateRequest (Go's CertificateRequestInfo). */
export interface CertificateRequestInfo {
  readonly signatureSchemes: readonly number[];
  readonly signatureSchemesCert: readonly number[];
  /** DER-encoded distinguished names of acceptable CAs (may be empty). */
  readonly certificateAuthorities: readonly Uint8Array[];
  /** Non-empty only for post-handshake authentication. */
  readonly context: Uint8Array;
}

/** The negotiated parameters, readable once the handshake has got far enough. */
export interface ConnectionState {
  readonly side: 'client' | 'server';
  readonly version: 'TLSv1.3' | undefined;
  readonly cipherSuite: { readonly code: number; readonly name: string } | undefined;
  readonly group: { readonly code: number; readonly name: string } | undefined;
  /** The scheme of the server's CertificateVerify (undefined when resumed). */
  readonly signatureScheme: { readonly code: number; readonly name: string } | undefined;
  readonly alpnProtocol: string | undefined;
  readonly serverName: string | undefined;
  /** DER certificates the peer sent, leaf first. */
  readonly peerCertificates: readonly Uint8Array[];
  /** Chains built to a trust anchor, each leaf first; empty when not verified. */
  readonly verifiedChains: readonly (readonly Certificate[])[];
  readonly resumed: boolean;
  readonly earlyDataAccepted: boolean;
  readonly handshakeComplete: boolean;
  /** True once the client's Finished has been verified (server) or sent (client). */
  readonly handshakeConfirmed: boolean;
}

/** Settings both sides share. */
export interface CommonConfig {
  /** The cryptography backend; defaults to the pure-JS noble provider. */
  crypto?: CryptoProvider;
  /** Cipher suites in preference order (TLS_* code points). */
  cipherSuites?: readonly number[];
  /** Key exchange groups in preference order (NamedGroup code points). */
  groups?: readonly number[];
  /** Signature schemes we accept from the peer and may use, in preference order. */
  signatureSchemes?: readonly number[];
  /** ALPN protocol names in preference order. */
  alpnProtocols?: readonly string[];
  /** Our certificates (a server's, or a client's for client authentication). */
  certificates?: readonly CertificateInput[];
  /** Trust anchors used to verify the peer; on Node the adapter defaults them to the system roots. */
  ca?: CertificateSource;
  /** Extra intermediates to help build chains the peer sent incompletely. */
  intermediates?: CertificateSource;
  /**
   * Skip certificate chain and host name verification. Dangerous: anyone can
   * impersonate the peer. Named loudly so nobody sets it by accident.
   */
  insecureSkipVerify?: boolean;
  /** Called with the peer's DER certificates and the chains we verified (Go's VerifyPeerCertificate). Throw to abort. */
  verifyPeerCertificate?(
    rawCerts: readonly Uint8Array[],
    verifiedChains: readonly (readonly Certificate[])[],
  ): MaybePromise<void>;
  /** Called after certificate verification with the connection state (Go's VerifyConnection). Throw to abort. */
  verifyConnection?(state: ConnectionState): MaybePromise<void>;
  /** NSS key log lines (Wireshark's SSLKEYLOGFILE format). Secrets are never logged otherwise. */
  keyLog?(line: string): void;
  /** Random source; inject for deterministic tests and RFC 8448 replays. */
  random?: RandomSource;
  /** Clock for certificate validity and ticket ages. */
  now?: () => Date;
  /** Send the dummy ChangeCipherSpec and legacy_session_id of RFC 8446 §D.4 (default true). */
  middleboxCompat?: boolean;
  /** record_size_limit we advertise (RFC 8449), 64..16385; default: not sent. */
  recordSizeLimit?: number;
  /** Padding for protected records: bytes of zero padding to add for a given content length. */
  padding?: (contentLength: number, contentType: number) => number;
  /** Largest handshake message we accept (default 64 KiB, and 256 KiB for Certificate; one number here applies to all). */
  maxHandshakeMessageSize?: number;
  /** Observer of every message, state transition and key change (the teaching view). */
  trace?(entry: TraceEntry): void;
  /** Put traffic secrets in the trace too. Off by default: secrets decrypt the session. */
  traceSecrets?: boolean;
  /**
   * Advanced: reshape each handshake message we send, just before it is
   * encoded (extension order, extra or GREASE extensions). The transcript
   * covers what is returned. Meant for replaying published traces (RFC 8448)
   * and for testing peers; a careless change breaks the handshake.
   */
  shapeMessage?(message: HandshakeMessage): HandshakeMessage;
}

export interface ClientConfig extends CommonConfig {
  /** Where tickets are kept for resumption; default an LRU cache per config. `false` disables resumption. */
  sessionCache?: SessionCache | false;
  /** Use a ticket more than once. Off by default: reuse lets a network observer link connections (RFC 8446 §C.4). */
  reuseTickets?: boolean;
  /** Send data written before the handshake completes as 0-RTT when the ticket allows it (default false). */
  enableEarlyData?: boolean;
  /** When the server rejects 0-RTT, send the rejected bytes again once the handshake completes (default false). */
  retryRejectedEarlyData?: boolean;
  /** Also offer psk_ke (resumption without a fresh key exchange, hence no forward secrecy for it). */
  allowPskOnlyResumption?: boolean;
  /** Groups for which the first ClientHello carries a key share (default: the first two of `groups` when the first is the hybrid, else the first). */
  keyShareGroups?: readonly number[];
  /** Chooses a client certificate when the server asks for one (Go's GetClientCertificate). */
  getClientCertificate?(request: CertificateRequestInfo): MaybePromise<CertifiedKey | undefined>;
}

export interface ServerConfig extends CommonConfig {
  /** Client certificate policy (Go's ClientAuth); default 'none'. */
  clientAuth?: ClientAuthMode;
  /** CAs for client certificates; defaults to `ca`. Their names go in certificate_authorities. */
  clientCa?: CertificateSource;
  /** Prefer the server's order for suites/groups/ALPN (default true). */
  preferServerCipherSuites?: boolean;
  /** Returns a different config for this client, or undefined to keep this one (Go's GetConfigForClient). */
  getConfigForClient?(hello: ClientHelloInfo): MaybePromise<ServerConfig | undefined>;
  /** Picks a certificate for this client; default: by SNI and signature scheme among `certificates` (Go's GetCertificate). */
  getCertificate?(hello: ClientHelloInfo): MaybePromise<CertifiedKey | undefined>;
  /** Ask a client for a HelloRetryRequest cookie round trip (stateless-style address validation). */
  requireCookie?: boolean;
  /** NewSessionTickets sent after each full or resumed handshake (default 2; 0 disables resumption). */
  ticketCount?: number;
  /** Ticket lifetime in seconds (default and maximum 604 800, seven days: RFC 8446 §4.6.1). */
  ticketLifetime?: number;
  /** 32-byte ticket keys, newest first, to share tickets across servers; default: random keys, rotated. */
  ticketKeys?: readonly Uint8Array[];
  /** How long one ticket key seals new tickets before the next takes over, ms (default 24 h). */
  ticketKeyRotation?: number;
  /** Turns a session into the ticket sent to the client (Go's WrapSession); default: sealed with the ticket keys. */
  wrapSession?(session: SessionState): MaybePromise<Uint8Array>;
  /** Recovers a session from a ticket (Go's UnwrapSession); undefined means "not ours": full handshake. */
  unwrapSession?(ticket: Uint8Array): MaybePromise<SessionState | undefined>;
  /** Most 0-RTT data accepted per connection; 0 (the default) turns 0-RTT off. */
  maxEarlyData?: number;
  /** Policy for 0-RTT, asked after every other check passed; default accept. */
  acceptEarlyData?(hello: ClientHelloInfo): MaybePromise<boolean>;
  /** Store of tickets already used for 0-RTT (RFC 8446 §8.1); default in memory, bounded. */
  antiReplay?: ReplayCache;
  /** How far the client's ticket age may differ from ours for 0-RTT, ms (RFC 8446 §8.3; default 10 000). */
  freshnessWindow?: number;
  /** Allow psk_ke resumption (no fresh key exchange) when the client offers it. */
  allowPskOnlyResumption?: boolean;
}
