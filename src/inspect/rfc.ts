/**
 * Where each message and extension is defined, so that every line of the
 * annotated trace can point the reader at the text that explains it.
 *
 * References are written out in full ("RFC 8446 §4.2.8") because a trace
 * mixes several RFCs: ALPN, SNI, record_size_limit and GREASE each live in
 * their own document.
 */
import { ExtensionType, HandshakeType, isGrease } from '../registry.js';
import type { HandshakeMessage } from '../wire/index.js';

/** RFC 8446 section of each handshake message. */
const MESSAGE_SECTIONS: Readonly<Record<keyof typeof HandshakeType, string>> = {
  client_hello: 'RFC 8446 §4.1.2',
  server_hello: 'RFC 8446 §4.1.3',
  new_session_ticket: 'RFC 8446 §4.6.1',
  end_of_early_data: 'RFC 8446 §4.5',
  encrypted_extensions: 'RFC 8446 §4.3.1',
  certificate: 'RFC 8446 §4.4.2',
  certificate_request: 'RFC 8446 §4.3.2',
  certificate_verify: 'RFC 8446 §4.4.3',
  finished: 'RFC 8446 §4.4.4',
  key_update: 'RFC 8446 §4.6.3',
  message_hash: 'RFC 8446 §4.4.1',
};

/** The names the RFC's prose uses for the messages (its struct names). */
const MESSAGE_NAMES: Readonly<Record<keyof typeof HandshakeType, string>> = {
  client_hello: 'ClientHello',
  server_hello: 'ServerHello',
  new_session_ticket: 'NewSessionTicket',
  end_of_early_data: 'EndOfEarlyData',
  encrypted_extensions: 'EncryptedExtensions',
  certificate: 'Certificate',
  certificate_request: 'CertificateRequest',
  certificate_verify: 'CertificateVerify',
  finished: 'Finished',
  key_update: 'KeyUpdate',
  message_hash: 'message_hash',
};

/** A HelloRetryRequest is a ServerHello on the wire, but its own message in the RFC (§4.1.4). */
function isHelloRetryRequest(message: HandshakeMessage): boolean {
  return message.type === 'server_hello' && message.helloRetryRequest;
}

/** "ClientHello", "HelloRetryRequest", ... */
export function messageName(message: HandshakeMessage): string {
  return isHelloRetryRequest(message) ? 'HelloRetryRequest' : MESSAGE_NAMES[message.type];
}

/** "RFC 8446 §4.1.2", ... */
export function messageSection(message: HandshakeMessage): string {
  return isHelloRetryRequest(message) ? 'RFC 8446 §4.1.4' : MESSAGE_SECTIONS[message.type];
}

/**
 * Extensions by code point: RFC 8446 §4.2 for the ones TLS 1.3 defines, the
 * defining RFC for the others (including the TLS 1.2-only ones a client may
 * still offer, which a TLS 1.3 server ignores).
 */
const EXTENSION_SECTIONS: ReadonlyMap<number, string> = new Map<number, string>([
  [ExtensionType.server_name, 'RFC 6066 §3'],
  [ExtensionType.max_fragment_length, 'RFC 6066 §4'],
  [ExtensionType.status_request, 'RFC 6066 §8, RFC 8446 §4.4.2.1'],
  [ExtensionType.supported_groups, 'RFC 8446 §4.2.7'],
  [ExtensionType.ec_point_formats, 'RFC 8422 §5.1.2'],
  [ExtensionType.signature_algorithms, 'RFC 8446 §4.2.3'],
  [ExtensionType.use_srtp, 'RFC 5764 §4.1.1'],
  [ExtensionType.heartbeat, 'RFC 6520 §2'],
  [ExtensionType.application_layer_protocol_negotiation, 'RFC 7301 §3.1'],
  [ExtensionType.signed_certificate_timestamp, 'RFC 6962 §3.3.1'],
  [ExtensionType.client_certificate_type, 'RFC 7250 §4.1'],
  [ExtensionType.server_certificate_type, 'RFC 7250 §4.1'],
  [ExtensionType.padding, 'RFC 7685 §3'],
  [ExtensionType.encrypt_then_mac, 'RFC 7366 §2'],
  [ExtensionType.extended_master_secret, 'RFC 7627 §5.1'],
  [ExtensionType.record_size_limit, 'RFC 8449 §4'],
  [ExtensionType.session_ticket, 'RFC 5077 §3.2'],
  [ExtensionType.pre_shared_key, 'RFC 8446 §4.2.11'],
  [ExtensionType.early_data, 'RFC 8446 §4.2.10'],
  [ExtensionType.supported_versions, 'RFC 8446 §4.2.1'],
  [ExtensionType.cookie, 'RFC 8446 §4.2.2'],
  [ExtensionType.psk_key_exchange_modes, 'RFC 8446 §4.2.9'],
  [ExtensionType.certificate_authorities, 'RFC 8446 §4.2.4'],
  [ExtensionType.oid_filters, 'RFC 8446 §4.2.5'],
  [ExtensionType.post_handshake_auth, 'RFC 8446 §4.2.6'],
  [ExtensionType.signature_algorithms_cert, 'RFC 8446 §4.2.3'],
  [ExtensionType.key_share, 'RFC 8446 §4.2.8'],
  [ExtensionType.renegotiation_info, 'RFC 5746 §3.2'],
]);

/** Extensions that only mean something in TLS 1.2 and below; a TLS 1.3 peer ignores them. */
export const TLS12_ONLY_EXTENSIONS: ReadonlySet<number> = new Set<number>([
  ExtensionType.ec_point_formats,
  ExtensionType.encrypt_then_mac,
  ExtensionType.extended_master_secret,
  ExtensionType.session_ticket,
  ExtensionType.renegotiation_info,
]);

export const GREASE_SECTION = 'RFC 8701 §2';

/** The reference for an extension code point, or undefined for one we do not know. */
export function extensionSection(code: number): string | undefined {
  if (isGrease(code)) return GREASE_SECTION;
  return EXTENSION_SECTIONS.get(code);
}

/** Where the record layer is defined. */
export const RECORD_SECTIONS = {
  plaintext: 'RFC 8446 §5.1',
  ciphertext: 'RFC 8446 §5.2',
  alert: 'RFC 8446 §6',
  changeCipherSpec: 'RFC 8446 §5, Appendix D.4',
} as const;

/** Where the key schedule and traffic keys are defined. */
export const KEY_SECTIONS = {
  schedule: 'RFC 8446 §7.1, §7.3',
  update: 'RFC 8446 §7.2, §4.6.3',
} as const;
