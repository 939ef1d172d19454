/**
 * fast-check arbitraries producing VALID values of every message and
 * extension shape, per context, so that decode(encode(m)) must equal m.
 */
import fc from 'fast-check';
import { ExtensionType } from '../../src/registry.js';
import {
  type Certificate,
  type CertificateEntry,
  type CertificateEntryExtension,
  type CertificateRequest,
  type CertificateRequestExtension,
  type CertificateVerify,
  type ClientHello,
  type ClientHelloExtension,
  type EncryptedExtensions,
  type EncryptedExtensionsExtension,
  type EndOfEarlyData,
  type Extension,
  type ExtensionContext,
  type Finished,
  type HandshakeMessage,
  type HelloRetryRequest,
  type HelloRetryRequestExtension,
  type KeyShareEntry,
  type KeyUpdate,
  type MessageHash,
  type NewSessionTicket,
  type NewSessionTicketExtension,
  type RegularServerHello,
  type ServerHelloExtension,
  type UnknownExtension,
  extensionCode,
  helloRetryRequest,
} from '../../src/wire/index.js';

// --- scalars -----------------------------------------------------------------

export const GREASE_VALUES = [
  0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba, 0xcaca, 0xdada,
  0xeaea, 0xfafa,
];

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** A uint16 code point, with GREASE values often enough to matter. */
export const codePoint = fc.oneof(u16, fc.constantFrom(...GREASE_VALUES));

export const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });

const printable = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
export const hostName = fc
  .string({ unit: printable, minLength: 1, maxLength: 40 })
  .filter((s) => !s.endsWith('.'));

// --- extensions ---------------------------------------------------------------

const registryCodes = new Set<number>(Object.values(ExtensionType));
/** TLS 1.2-only extensions: not in RFC 8446's table, kept raw in any message. */
const TLS12_ONLY = [
  ExtensionType.ec_point_formats,
  ExtensionType.encrypt_then_mac,
  ExtensionType.extended_master_secret,
  ExtensionType.session_ticket,
  ExtensionType.renegotiation_info,
];

/** Extensions kept raw in every context: unregistered, GREASE or TLS 1.2-only codes. */
export const unknownExtension: fc.Arbitrary<UnknownExtension> = fc.record({
  type: fc.constant('unknown' as const),
  code: fc.oneof(
    u16.filter((c) => !registryCodes.has(c)),
    fc.constantFrom(...GREASE_VALUES),
    fc.constantFrom(...TLS12_ONLY),
  ),
  data: bytes(0, 40),
});

/** A status_request whose status_type is not ocsp(1): kept raw (CH and CertificateEntry). */
const rawStatusRequest: fc.Arbitrary<UnknownExtension> = fc.record({
  type: fc.constant('unknown' as const),
  code: fc.constant(ExtensionType.status_request as number),
  data: fc.tuple(u8.filter((t) => t !== 1), bytes(0, 20)).map(([t, rest]) => Uint8Array.of(t, ...rest)),
});

const codeList = (max: number) => fc.array(codePoint, { minLength: 1, maxLength: max });
const keyShareEntry: fc.Arbitrary<KeyShareEntry> = fc.record({ group: codePoint, keyExchange: bytes(1, 100) });
const alpnName = bytes(1, 20);

export const ext = {
  serverName: fc.record({ type: fc.constant('server_name' as const), hostName }),
  serverNameAck: fc.constant({ type: 'server_name' as const }),
  supportedGroups: fc.record({ type: fc.constant('supported_groups' as const), groups: codeList(20) }),
  signatureAlgorithms: fc.record({ type: fc.constant('signature_algorithms' as const), schemes: codeList(20) }),
  signatureAlgorithmsCert: fc.record({
    type: fc.constant('signature_algorithms_cert' as const),
    schemes: codeList(20),
  }),
  supportedVersionsClientHello: fc.record({
    type: fc.constant('supported_versions' as const),
    versions: codeList(10),
  }),
  supportedVersionsServerHello: fc.record({
    type: fc.constant('supported_versions' as const),
    selectedVersion: codePoint,
  }),
  keyShareClientHello: fc.record({
    type: fc.constant('key_share' as const),
    clientShares: fc.uniqueArray(keyShareEntry, { maxLength: 4, selector: (e) => e.group }),
  }),
  keyShareServerHello: fc.record({ type: fc.constant('key_share' as const), serverShare: keyShareEntry }),
  keyShareHelloRetryRequest: fc.record({ type: fc.constant('key_share' as const), selectedGroup: codePoint }),
  pskKeyExchangeModes: fc.record({
    type: fc.constant('psk_key_exchange_modes' as const),
    modes: fc.array(u8, { minLength: 1, maxLength: 5 }),
  }),
  preSharedKeyClientHello: fc.integer({ min: 1, max: 3 }).chain((n) =>
    fc.record({
      type: fc.constant('pre_shared_key' as const),
      identities: fc.array(fc.record({ identity: bytes(1, 60), obfuscatedTicketAge: u32 }), {
        minLength: n,
        maxLength: n,
      }),
      binders: fc.array(bytes(32, 64), { minLength: n, maxLength: n }),
    }),
  ),
  preSharedKeyServerHello: fc.record({ type: fc.constant('pre_shared_key' as const), selectedIdentity: u16 }),
  earlyData: fc.constant({ type: 'early_data' as const }),
  earlyDataNewSessionTicket: fc.record({ type: fc.constant('early_data' as const), maxEarlyDataSize: u32 }),
  cookie: fc.record({ type: fc.constant('cookie' as const), cookie: bytes(1, 100) }),
  alpnClientHello: fc.record({
    type: fc.constant('application_layer_protocol_negotiation' as const),
    protocols: fc.array(alpnName, { minLength: 1, maxLength: 4 }),
  }),
  alpnEncryptedExtensions: fc.record({
    type: fc.constant('application_layer_protocol_negotiation' as const),
    protocols: fc.tuple(alpnName),
  }),
  recordSizeLimit: fc.record({
    type: fc.constant('record_size_limit' as const),
    limit: fc.integer({ min: 64, max: 0xffff }),
  }),
  statusRequestClientHello: fc.record({
    type: fc.constant('status_request' as const),
    responderIds: fc.array(bytes(1, 20), { maxLength: 3 }),
    requestExtensions: bytes(0, 20),
  }),
  statusRequestEmpty: fc.constant({ type: 'status_request' as const }),
  statusRequestCertificateEntry: fc.record({
    type: fc.constant('status_request' as const),
    ocspResponse: bytes(1, 100),
  }),
  certificateAuthorities: fc.record({
    type: fc.constant('certificate_authorities' as const),
    authorities: fc.array(bytes(1, 30), { minLength: 1, maxLength: 3 }),
  }),
  postHandshakeAuth: fc.constant({ type: 'post_handshake_auth' as const }),
  padding: fc.record({ type: fc.constant('padding' as const), length: fc.integer({ min: 0, max: 300 }) }),
  unknown: unknownExtension,
  rawStatusRequest,
};

/** Every extension shape, by name, in each context where it is valid. */
export const extensionsByContext: {
  readonly [C in ExtensionContext]: Readonly<Record<string, fc.Arbitrary<Extension>>>;
} = {
  client_hello: {
    server_name: ext.serverName,
    supported_groups: ext.supportedGroups,
    signature_algorithms: ext.signatureAlgorithms,
    signature_algorithms_cert: ext.signatureAlgorithmsCert,
    supported_versions: ext.supportedVersionsClientHello,
    key_share: ext.keyShareClientHello,
    psk_key_exchange_modes: ext.pskKeyExchangeModes,
    pre_shared_key: ext.preSharedKeyClientHello,
    early_data: ext.earlyData,
    cookie: ext.cookie,
    alpn: ext.alpnClientHello,
    record_size_limit: ext.recordSizeLimit,
    status_request: ext.statusRequestClientHello,
    certificate_authorities: ext.certificateAuthorities,
    post_handshake_auth: ext.postHandshakeAuth,
    padding: ext.padding,
    unknown: ext.unknown,
    'status_request (non-OCSP, raw)': ext.rawStatusRequest,
  },
  server_hello: {
    supported_versions: ext.supportedVersionsServerHello,
    key_share: ext.keyShareServerHello,
    pre_shared_key: ext.preSharedKeyServerHello,
    unknown: ext.unknown,
  },
  hello_retry_request: {
    supported_versions: ext.supportedVersionsServerHello,
    key_share: ext.keyShareHelloRetryRequest,
    cookie: ext.cookie,
    unknown: ext.unknown,
  },
  encrypted_extensions: {
    server_name: ext.serverNameAck,
    supported_groups: ext.supportedGroups,
    alpn: ext.alpnEncryptedExtensions,
    record_size_limit: ext.recordSizeLimit,
    early_data: ext.earlyData,
    unknown: ext.unknown,
  },
  certificate: {
    status_request: ext.statusRequestCertificateEntry,
    unknown: ext.unknown,
    'status_request (non-OCSP, raw)': ext.rawStatusRequest,
  },
  certificate_request: {
    status_request: ext.statusRequestEmpty,
    signature_algorithms: ext.signatureAlgorithms,
    signature_algorithms_cert: ext.signatureAlgorithmsCert,
    certificate_authorities: ext.certificateAuthorities,
    unknown: ext.unknown,
  },
  new_session_ticket: { early_data: ext.earlyDataNewSessionTicket, unknown: ext.unknown },
};

/** A valid extension list for a context: unique types, pre_shared_key last. */
function extensionList<E extends Extension>(
  context: ExtensionContext,
  minLength: number,
  maxLength: number,
): fc.Arbitrary<E[]> {
  return fc
    .uniqueArray(fc.oneof(...Object.values(extensionsByContext[context])), { minLength, maxLength, selector: extensionCode })
    .map((list) => {
      const psk = list.findIndex((e) => e.type === 'pre_shared_key');
      if (psk >= 0) list.push(...list.splice(psk, 1));
      return list as E[];
    });
}

// --- messages -------------------------------------------------------------------

const random = bytes(32, 32);
const sessionId = bytes(0, 32);

export const clientHello: fc.Arbitrary<ClientHello> = fc.record({
  type: fc.constant('client_hello' as const),
  legacyVersion: u16,
  random,
  legacySessionId: sessionId,
  cipherSuites: codeList(20),
  legacyCompressionMethods: fc.array(u8, { minLength: 1, maxLength: 3 }),
  // Two extensions take at least 8 bytes, the block's minimum.
  extensions: extensionList<ClientHelloExtension>('client_hello', 2, 12),
});

/** Server hellos always carry supported_versions (else the block is kept raw, as TLS 1.2). */
function withSupportedVersions<E extends Extension>(context: 'server_hello' | 'hello_retry_request') {
  return fc
    .tuple(
      extensionList<E>(context, 0, 4).map((l) => l.filter((e) => e.type !== 'supported_versions')),
      ext.supportedVersionsServerHello,
      fc.nat(),
    )
    .map(([list, sv, at]) => {
      list.splice(at % (list.length + 1), 0, sv as E);
      return list;
    });
}

export const serverHello: fc.Arbitrary<RegularServerHello> = fc.record({
  type: fc.constant('server_hello' as const),
  helloRetryRequest: fc.constant(false as const),
  legacyVersion: u16,
  random,
  legacySessionIdEcho: sessionId,
  cipherSuite: codePoint,
  extensions: withSupportedVersions<ServerHelloExtension>('server_hello'),
});

export const hrr: fc.Arbitrary<HelloRetryRequest> = fc
  .record({
    legacySessionIdEcho: sessionId,
    cipherSuite: codePoint,
    extensions: withSupportedVersions<HelloRetryRequestExtension>('hello_retry_request'),
  })
  .map(helloRetryRequest);

export const encryptedExtensions: fc.Arbitrary<EncryptedExtensions> = fc.record({
  type: fc.constant('encrypted_extensions' as const),
  extensions: extensionList<EncryptedExtensionsExtension>('encrypted_extensions', 0, 6),
});

const certificateEntry: fc.Arbitrary<CertificateEntry> = fc.record({
  certData: bytes(1, 200),
  extensions: extensionList<CertificateEntryExtension>('certificate', 0, 3),
});

export const certificate: fc.Arbitrary<Certificate> = fc.record({
  type: fc.constant('certificate' as const),
  certificateRequestContext: bytes(0, 40),
  certificateList: fc.array(certificateEntry, { maxLength: 3 }),
});

export const certificateRequest: fc.Arbitrary<CertificateRequest> = fc.record({
  type: fc.constant('certificate_request' as const),
  certificateRequestContext: bytes(0, 40),
  extensions: extensionList<CertificateRequestExtension>('certificate_request', 1, 5),
});

export const certificateVerify: fc.Arbitrary<CertificateVerify> = fc.record({
  type: fc.constant('certificate_verify' as const),
  algorithm: codePoint,
  signature: bytes(0, 300),
});

const hashSized = fc.constantFrom(32, 48).chain((n) => bytes(n, n));

export const finished: fc.Arbitrary<Finished> = fc.record({
  type: fc.constant('finished' as const),
  verifyData: hashSized,
});

export const newSessionTicket: fc.Arbitrary<NewSessionTicket> = fc.record({
  type: fc.constant('new_session_ticket' as const),
  ticketLifetime: u32,
  ticketAgeAdd: u32,
  ticketNonce: bytes(0, 40),
  ticket: bytes(1, 200),
  extensions: extensionList<NewSessionTicketExtension>('new_session_ticket', 0, 3),
});

export const endOfEarlyData: fc.Arbitrary<EndOfEarlyData> = fc.constant({ type: 'end_of_early_data' as const });

export const keyUpdate: fc.Arbitrary<KeyUpdate> = fc.record({
  type: fc.constant('key_update' as const),
  requestUpdate: fc.constantFrom(0 as const, 1 as const),
});

export const messageHash: fc.Arbitrary<MessageHash> = fc.record({
  type: fc.constant('message_hash' as const),
  hash: hashSized,
});

export const messages: Record<string, fc.Arbitrary<HandshakeMessage>> = {
  client_hello: clientHello,
  server_hello: serverHello,
  hello_retry_request: hrr,
  encrypted_extensions: encryptedExtensions,
  certificate,
  certificate_request: certificateRequest,
  certificate_verify: certificateVerify,
  finished,
  new_session_ticket: newSessionTicket,
  end_of_early_data: endOfEarlyData,
  key_update: keyUpdate,
  message_hash: messageHash,
};

export const anyMessage: fc.Arbitrary<HandshakeMessage> = fc.oneof(...Object.values(messages));
