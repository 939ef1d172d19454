/**
 * The extensions we understand, as plain values (RFC 8446 §4.2 and the
 * RFCs it points to).
 *
 * Several extensions change shape with the message that carries them: a
 * ClientHello's key_share lists the client's shares, a ServerHello's holds
 * the one share the server chose, a HelloRetryRequest's only names a
 * group. Each shape is its own interface; they share the `type` tag (the
 * registry name) and differ in their fields, so code can narrow with
 * `'clientShares' in ext` — or, better, through the message's own
 * extension union (`ClientHelloExtension`, ...), which only admits the
 * shapes valid there.
 *
 * Code points are numbers (GREASE values and code points we do not know
 * survive a round trip); opaque values are Uint8Array.
 */

/** Which message an extension block belongs to; it decides the shapes (RFC 8446 §4.2 table). */
export type ExtensionContext =
  | 'client_hello'
  | 'server_hello'
  | 'hello_retry_request'
  | 'encrypted_extensions'
  | 'certificate'
  | 'certificate_request'
  | 'new_session_ticket';

// --- server_name (RFC 6066 §3) ---------------------------------------------

/** ClientHello: the DNS host name the client wants (ASCII, no trailing dot). */
export interface ServerNameClientHello {
  readonly type: 'server_name';
  readonly hostName: string;
}

/** EncryptedExtensions: empty, the server's sign that it used the name. */
export interface ServerNameAcknowledgement {
  readonly type: 'server_name';
}

// --- code point lists --------------------------------------------------------

/** RFC 8446 §4.2.7: NamedGroupList (ClientHello preference, EE server preference). */
export interface SupportedGroupsExtension {
  readonly type: 'supported_groups';
  readonly groups: readonly number[];
}

/** RFC 8446 §4.2.3: SignatureSchemeList for CertificateVerify signatures. */
export interface SignatureAlgorithmsExtension {
  readonly type: 'signature_algorithms';
  readonly schemes: readonly number[];
}

/** RFC 8446 §4.2.3: SignatureSchemeList for signatures inside certificates. */
export interface SignatureAlgorithmsCertExtension {
  readonly type: 'signature_algorithms_cert';
  readonly schemes: readonly number[];
}

/** RFC 8446 §4.2.1, ClientHello: the versions offered, most preferred first. */
export interface SupportedVersionsClientHello {
  readonly type: 'supported_versions';
  readonly versions: readonly number[];
}

/** RFC 8446 §4.2.1, ServerHello and HelloRetryRequest: the version chosen. */
export interface SupportedVersionsServerHello {
  readonly type: 'supported_versions';
  readonly selectedVersion: number;
}

/** RFC 8446 §4.2.9: the PSK key exchange modes the client accepts. */
export interface PskKeyExchangeModesExtension {
  readonly type: 'psk_key_exchange_modes';
  readonly modes: readonly number[];
}

// --- key_share (RFC 8446 §4.2.8) ---------------------------------------------

export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

export interface KeyShareClientHello {
  readonly type: 'key_share';
  readonly clientShares: readonly KeyShareEntry[];
}

export interface KeyShareServerHello {
  readonly type: 'key_share';
  readonly serverShare: KeyShareEntry;
}

export interface KeyShareHelloRetryRequest {
  readonly type: 'key_share';
  readonly selectedGroup: number;
}

// --- pre_shared_key (RFC 8446 §4.2.11) ---------------------------------------

export interface PskIdentity {
  readonly identity: Uint8Array;
  readonly obfuscatedTicketAge: number;
}

/** ClientHello: the offered identities and one binder per identity, in the same order. */
export interface PreSharedKeyClientHello {
  readonly type: 'pre_shared_key';
  readonly identities: readonly PskIdentity[];
  readonly binders: readonly Uint8Array[];
}

/** ServerHello: the (0-based) index of the identity the server accepted. */
export interface PreSharedKeyServerHello {
  readonly type: 'pre_shared_key';
  readonly selectedIdentity: number;
}

// --- early_data (RFC 8446 §4.2.10) -------------------------------------------

/** ClientHello (the client sends 0-RTT data) and EncryptedExtensions (the server accepts it). */
export interface EarlyDataIndication {
  readonly type: 'early_data';
}

/** NewSessionTicket: how many bytes of 0-RTT data the ticket allows. */
export interface EarlyDataNewSessionTicket {
  readonly type: 'early_data';
  readonly maxEarlyDataSize: number;
}

// --- others -----------------------------------------------------------------

/** RFC 8446 §4.2.2: opaque server state echoed from HelloRetryRequest to ClientHello. */
export interface CookieExtension {
  readonly type: 'cookie';
  readonly cookie: Uint8Array;
}

/**
 * RFC 7301: protocol names are opaque bytes (RFC 8701 GREASE names are not
 * even valid UTF-8), so they stay Uint8Array. In EncryptedExtensions the
 * list holds exactly one name, the one the server selected.
 */
export interface AlpnExtension {
  readonly type: 'application_layer_protocol_negotiation';
  readonly protocols: readonly Uint8Array[];
}

/** RFC 8449: the largest TLSInnerPlaintext the sender is willing to receive. */
export interface RecordSizeLimitExtension {
  readonly type: 'record_size_limit';
  readonly limit: number;
}

/** RFC 6066 §8 in a ClientHello: an OCSP status request (status_type ocsp). */
export interface StatusRequestClientHello {
  readonly type: 'status_request';
  /** DER ResponderIDs, opaque here. */
  readonly responderIds: readonly Uint8Array[];
  /** DER-encoded OCSP request extensions, opaque here. */
  readonly requestExtensions: Uint8Array;
}

/** RFC 8446 §4.4.2.1 in a CertificateRequest: empty, "send me your OCSP response". */
export interface StatusRequestEmpty {
  readonly type: 'status_request';
}

/** RFC 8446 §4.4.2.1 in a CertificateEntry: a stapled (DER) OCSP response. */
export interface StatusRequestCertificateEntry {
  readonly type: 'status_request';
  readonly ocspResponse: Uint8Array;
}

/** RFC 8446 §4.2.4: DER DistinguishedNames of acceptable CAs, opaque here. */
export interface CertificateAuthoritiesExtension {
  readonly type: 'certificate_authorities';
  readonly authorities: readonly Uint8Array[];
}

/** RFC 8446 §4.2.6: the client is willing to do post-handshake authentication. */
export interface PostHandshakeAuthExtension {
  readonly type: 'post_handshake_auth';
}

/** RFC 7685: `length` zero bytes, used to move a ClientHello out of awkward sizes. */
export interface PaddingExtension {
  readonly type: 'padding';
  readonly length: number;
}

/**
 * Anything we do not decode: unknown or GREASE code points, TLS 1.2-only
 * extensions, status types other than OCSP. Kept byte for byte.
 */
export interface UnknownExtension {
  readonly type: 'unknown';
  readonly code: number;
  readonly data: Uint8Array;
}

// --- per-message unions (RFC 8446 §4.2 table) ---------------------------------

export type ClientHelloExtension =
  | ServerNameClientHello
  | SupportedGroupsExtension
  | SignatureAlgorithmsExtension
  | SignatureAlgorithmsCertExtension
  | SupportedVersionsClientHello
  | KeyShareClientHello
  | PskKeyExchangeModesExtension
  | PreSharedKeyClientHello
  | EarlyDataIndication
  | CookieExtension
  | AlpnExtension
  | RecordSizeLimitExtension
  | StatusRequestClientHello
  | CertificateAuthoritiesExtension
  | PostHandshakeAuthExtension
  | PaddingExtension
  | UnknownExtension;

export type ServerHelloExtension =
  | SupportedVersionsServerHello
  | KeyShareServerHello
  | PreSharedKeyServerHello
  | UnknownExtension;

export type HelloRetryRequestExtension =
  | SupportedVersionsServerHello
  | KeyShareHelloRetryRequest
  | CookieExtension
  | UnknownExtension;

export type EncryptedExtensionsExtension =
  | ServerNameAcknowledgement
  | SupportedGroupsExtension
  | AlpnExtension
  | RecordSizeLimitExtension
  | EarlyDataIndication
  | UnknownExtension;

export type CertificateEntryExtension = StatusRequestCertificateEntry | UnknownExtension;

export type CertificateRequestExtension =
  | StatusRequestEmpty
  | SignatureAlgorithmsExtension
  | SignatureAlgorithmsCertExtension
  | CertificateAuthoritiesExtension
  | UnknownExtension;

export type NewSessionTicketExtension = EarlyDataNewSessionTicket | UnknownExtension;

/** The extension shapes allowed in each context. */
export interface ExtensionsByContext {
  client_hello: ClientHelloExtension;
  server_hello: ServerHelloExtension;
  hello_retry_request: HelloRetryRequestExtension;
  encrypted_extensions: EncryptedExtensionsExtension;
  certificate: CertificateEntryExtension;
  certificate_request: CertificateRequestExtension;
  new_session_ticket: NewSessionTicketExtension;
}

/** Every extension shape, in any context. */
export type Extension = ExtensionsByContext[ExtensionContext];

/** The `type` tags of the extensions we decode (everything but 'unknown'). */
export type KnownExtensionType = Exclude<Extension['type'], 'unknown'>;
