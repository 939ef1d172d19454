/**
 * Handshake messages as an ordered tree of labelled fields, the way RFC 8446
 * writes its structs: field names from the presentation language, code
 * points turned into their registry names, and each message and extension
 * tagged with the section that defines it. The tree is plain data (strings
 * only), so it can be printed (render.ts), put in JSON, or drawn on a page.
 *
 * Nothing here judges the values: a ClientHello with legacy_version 0x0301
 * is described as it is, with a note that §4.1.2 wants 0x0303. Deciding is
 * the handshake's job; explaining is ours.
 */
import {
  AlertDescription,
  AlertLevel,
  CipherSuite,
  ContentType,
  ExtensionType,
  HandshakeType,
  KeyUpdateRequest,
  NamedGroup,
  ProtocolVersion,
  PskKeyExchangeMode,
  SignatureScheme,
  codeName,
  isGrease,
} from '../registry.js';
import { bytesEqual, toHex } from '../util/bytes.js';
import {
  type Certificate,
  type CertificateEntry,
  type CertificateRequest,
  type CertificateVerify,
  type ClientHello,
  type EncryptedExtensions,
  type Extension,
  type ExtensionContext,
  type HandshakeMessage,
  type KeyShareEntry,
  type NewSessionTicket,
  type ServerHello,
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  extensionCode,
} from '../wire/index.js';
import { type Certificate as X509Certificate, type GeneralName, DerReader, parseCertificate } from '../x509/index.js';
import { readName } from '../x509/index.js';
import { GREASE_SECTION, RECORD_SECTIONS, TLS12_ONLY_EXTENSIONS, extensionSection, messageName, messageSection } from './rfc.js';

/** One node of a description: a field, a list item, an extension or a whole message. */
export interface FieldNode {
  /** The field's name as the RFC spells it (`legacy_session_id`), or an item's text. */
  readonly label: string;
  /** The value, readable: `TLS_AES_128_GCM_SHA256 (0x1301)`, hex with a length, ... */
  readonly value?: string;
  /** Where the field, extension or message is defined ("RFC 8446 §4.2.8"). */
  readonly rfc?: string;
  /** A remark for the reader: what the value means, or what the RFC expects instead. */
  readonly note?: string;
  /**
   * What the node is: a whole `message`, an `extension`, a `certificate`,
   * an `item` of a list (printed as "- label"), or a plain `field`.
   */
  readonly kind: 'message' | 'extension' | 'certificate' | 'field' | 'item';
  readonly children?: readonly FieldNode[];
}

export interface DescribeOptions {
  /** Opaque values longer than this many bytes are shown truncated, with their length (default 32). */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 32;

// ------------------------------------------------------------------ values

/** Bytes as hex, truncated past `max` bytes, always with the length: `0a1b… (1216 bytes)`. */
export function hexPreview(bytes: Uint8Array, max: number = DEFAULT_MAX_BYTES): string {
  if (bytes.length === 0) return '(empty)';
  const unit = bytes.length === 1 ? 'byte' : 'bytes';
  if (bytes.length <= max) return `${toHex(bytes)} (${bytes.length} ${unit})`;
  return `${toHex(bytes.subarray(0, max))}… (${bytes.length} ${unit})`;
}

function hex16(code: number): string {
  return `0x${code.toString(16).padStart(4, '0')}`;
}

function hex8(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`;
}

/** A registry name with its code point: `x25519 (0x001d)`, `GREASE (0x0a0a)`, `unknown (0x1234)`. */
function namedCode(registry: Readonly<Record<string, number>>, code: number): { text: string; grease: boolean } {
  if (isGrease(code)) return { text: `GREASE (${hex16(code)})`, grease: true };
  const name = codeName(registry, code);
  // codeName falls back to the hex form for a code point it does not know.
  return { text: name.startsWith('0x') ? `unknown (${hex16(code)})` : `${name} (${hex16(code)})`, grease: false };
}

/** A protocol version, as people say it: `TLS 1.3 (0x0304)`. */
export function versionName(version: number): string {
  if (isGrease(version)) return `GREASE (${hex16(version)})`;
  const name = codeName(ProtocolVersion, version);
  if (!name.startsWith('0x')) return `${name.replace('TLS1_', 'TLS 1.')} (${hex16(version)})`;
  if (version === 0x0300) return `SSL 3.0 (${hex16(version)})`;
  // Pre-standard TLS 1.3 drafts used 0x7f00 + draft number.
  if (version >> 8 === 0x7f) return `TLS 1.3 draft ${version & 0xff} (${hex16(version)})`;
  return `unknown (${hex16(version)})`;
}

/** RFC 8701 §2 GREASE values for PskKeyExchangeModes: 0x0b, 0x2a, ..., 0xe4 (step 0x1f). */
function isGreasePskMode(mode: number): boolean {
  return mode >= 0x0b && mode <= 0xe4 && (mode - 0x0b) % 0x1f === 0;
}

function field(label: string, value: string, extra: Partial<Omit<FieldNode, 'label' | 'value' | 'kind'>> = {}): FieldNode {
  return { label, value, kind: 'field', ...extra };
}

function bytesField(label: string, bytes: Uint8Array, max: number, extra: Partial<Omit<FieldNode, 'label' | 'value' | 'kind'>> = {}): FieldNode {
  return field(label, hexPreview(bytes, max), extra);
}

function item(label: string, extra: Partial<Omit<FieldNode, 'label' | 'kind'>> = {}): FieldNode {
  return { label, kind: 'item', ...extra };
}

/** `1 byte`, `2 bytes`: a number with its noun. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A list of u16 code points from one registry, GREASE values marked. */
function codeList(label: string, registry: Readonly<Record<string, number>>, codes: readonly number[], noun: string, rfc?: string): FieldNode {
  return {
    label,
    value: count(codes.length, noun),
    kind: 'field',
    ...(rfc ? { rfc } : {}),
    children: codes.map((code) => {
      const { text, grease } = namedCode(registry, code);
      return item(text, grease ? { note: 'reserved, to be ignored', rfc: GREASE_SECTION } : {});
    }),
  };
}

/** Protocol names are opaque bytes (RFC 7301 §3.1); most are ASCII, GREASE ones are not. */
function alpnName(name: Uint8Array): { text: string; grease: boolean } {
  if (name.length === 2 && isGrease((name[0]! << 8) | name[1]!)) return { text: `GREASE (0x${toHex(name)})`, grease: true };
  const printable = name.length > 0 && name.every((b) => b >= 0x20 && b < 0x7f);
  return { text: printable ? JSON.stringify(String.fromCharCode(...name)) : `0x${toHex(name)}`, grease: false };
}

/** A DER DistinguishedName as "CN=..., O=..." when it parses, else hex. */
function distinguishedName(der: Uint8Array, max: number): string {
  try {
    const reader = new DerReader(der);
    const name = readName(reader, 'distinguished name');
    if (reader.atEnd) return name.text || '(empty name)';
  } catch {
    // Not a Name: shown as bytes below.
  }
  return hexPreview(der, max);
}

// -------------------------------------------------------------- extensions

/** A PskKeyExchangeMode (§4.2.9), with what it costs. */
function pskModeItem(mode: number): FieldNode {
  if (isGreasePskMode(mode)) return item(`GREASE (${hex8(mode)})`, { rfc: GREASE_SECTION });
  if (mode === PskKeyExchangeMode.psk_dhe_ke) return item('psk_dhe_ke (1)', { note: 'PSK with (EC)DHE: forward secret' });
  if (mode === PskKeyExchangeMode.psk_ke) return item('psk_ke (0)', { note: 'PSK only: no forward secrecy' });
  return item(`unknown (${mode})`);
}

/** How a key share's bytes are laid out for its group (§4.2.8.2; draft-ietf-tls-ecdhe-mlkem for the hybrid). */
function shareNote(group: number, length: number, from: 'client' | 'server'): string | undefined {
  switch (group) {
    case NamedGroup.x25519:
    case NamedGroup.x448:
      return 'the public key as raw little-endian bytes (RFC 8446 §4.2.8.2)';
    case NamedGroup.secp256r1:
    case NamedGroup.secp384r1:
    case NamedGroup.secp521r1:
      return 'an uncompressed point: 0x04 || X || Y (RFC 8446 §4.2.8.2)';
    case NamedGroup.X25519MLKEM768:
      return from === 'client'
        ? `ML-KEM-768 encapsulation key (1184) || X25519 share (32)${length === 1216 ? '' : ', but the length is not 1216'}`
        : `ML-KEM-768 ciphertext (1088) || X25519 share (32)${length === 1120 ? '' : ', but the length is not 1120'}`;
    default:
      return undefined;
  }
}

function keyShareEntry(entry: KeyShareEntry, from: 'client' | 'server', max: number): FieldNode {
  const { text, grease } = namedCode(NamedGroup, entry.group);
  const note = grease ? 'GREASE share, to be ignored' : shareNote(entry.group, entry.keyExchange.length, from);
  return {
    label: 'KeyShareEntry',
    value: text,
    kind: 'field',
    ...(grease ? { rfc: GREASE_SECTION } : {}),
    children: [bytesField('key_exchange', entry.keyExchange, max, note ? { note } : {})],
  };
}

/** The fields of one extension, by shape (which already depends on the carrying message). */
function extensionFields(ext: Extension, context: ExtensionContext | undefined, max: number): { fields: FieldNode[]; note?: string } {
  switch (ext.type) {
    case 'server_name':
      if ('hostName' in ext) return { fields: [field('name_type', 'host_name (0)'), field('host_name', JSON.stringify(ext.hostName))] };
      return { fields: [], note: 'empty: the server used the name the client sent' };
    case 'supported_groups':
      return {
        fields: [codeList('named_group_list', NamedGroup, ext.groups, 'group')],
        ...(context === 'encrypted_extensions' ? { note: "the server's preference, for next time (§4.2.7)" } : {}),
      };
    case 'signature_algorithms':
      return { fields: [codeList('supported_signature_algorithms', SignatureScheme, ext.schemes, 'scheme')], note: 'for CertificateVerify' };
    case 'signature_algorithms_cert':
      return { fields: [codeList('supported_signature_algorithms', SignatureScheme, ext.schemes, 'scheme')], note: 'for signatures in certificates' };
    case 'supported_versions':
      if ('versions' in ext) {
        return {
          fields: [
            {
              label: 'versions',
              value: count(ext.versions.length, 'version'),
              kind: 'field',
              children: ext.versions.map((v) => item(versionName(v), isGrease(v) ? { rfc: GREASE_SECTION } : {})),
            },
          ],
        };
      }
      return { fields: [field('selected_version', versionName(ext.selectedVersion))] };
    case 'key_share':
      if ('clientShares' in ext) {
        return {
          fields: [
            {
              label: 'client_shares',
              value: count(ext.clientShares.length, 'share'),
              kind: 'field',
              children: ext.clientShares.map((e) => keyShareEntry(e, 'client', max)),
            },
          ],
          ...(ext.clientShares.length === 0 ? { note: 'empty: the client asks the server to choose a group (HelloRetryRequest)' } : {}),
        };
      }
      if ('serverShare' in ext) return { fields: [{ ...keyShareEntry(ext.serverShare, 'server', max), label: 'server_share' }] };
      return {
        fields: [field('selected_group', namedCode(NamedGroup, ext.selectedGroup).text)],
        note: 'send a new ClientHello with a share for this group (§4.1.4)',
      };
    case 'psk_key_exchange_modes':
      return {
        fields: [
          {
            label: 'ke_modes',
            value: count(ext.modes.length, 'mode'),
            kind: 'field',
            children: ext.modes.map(pskModeItem),
          },
        ],
      };
    case 'pre_shared_key':
      if ('identities' in ext) {
        return {
          fields: [
            {
              label: 'identities',
              value: count(ext.identities.length, 'identity', 'identities'),
              kind: 'field',
              children: ext.identities.map((id, i) => ({
                label: `PskIdentity [${i}]`,
                kind: 'field' as const,
                children: [
                  bytesField('identity', id.identity, max, { note: 'the ticket from NewSessionTicket' }),
                  field('obfuscated_ticket_age', String(id.obfuscatedTicketAge), {
                    note: 'ticket age in ms + ticket_age_add, mod 2^32',
                    rfc: 'RFC 8446 §4.2.11.1',
                  }),
                ],
              })),
            },
            {
              label: 'binders',
              value: count(ext.binders.length, 'binder'),
              kind: 'field',
              rfc: 'RFC 8446 §4.2.11.2',
              children: ext.binders.map((b) => item(hexPreview(b, max))),
            },
          ],
          note: 'must be the last extension of the ClientHello',
        };
      }
      return { fields: [field('selected_identity', String(ext.selectedIdentity), { note: 'index into the client\'s identities' })] };
    case 'early_data':
      if ('maxEarlyDataSize' in ext) {
        return { fields: [field('max_early_data_size', `${ext.maxEarlyDataSize} bytes`)], note: 'this ticket allows 0-RTT data' };
      }
      return {
        fields: [],
        note:
          context === 'encrypted_extensions'
            ? 'the server accepted the 0-RTT data'
            : context === 'client_hello'
              ? 'the client is sending 0-RTT data (replayable)'
              : 'empty',
      };
    case 'cookie':
      return { fields: [bytesField('cookie', ext.cookie, max)], note: 'echoed from HelloRetryRequest to the second ClientHello' };
    case 'application_layer_protocol_negotiation':
      return {
        fields: [
          {
            label: 'protocol_name_list',
            value: count(ext.protocols.length, 'protocol'),
            kind: 'field',
            children: ext.protocols.map((p) => {
              const { text, grease } = alpnName(p);
              return item(text, grease ? { rfc: GREASE_SECTION } : {});
            }),
          },
        ],
        ...(context === 'encrypted_extensions' ? { note: 'the protocol the server selected' } : {}),
      };
    case 'record_size_limit':
      return { fields: [field('record_size_limit', `${ext.limit} bytes`, { note: 'largest protected record (TLSInnerPlaintext) the sender accepts' })] };
    case 'status_request':
      if ('responderIds' in ext) {
        return {
          fields: [
            field('status_type', 'ocsp (1)'),
            {
              label: 'responder_id_list',
              value: count(ext.responderIds.length, 'responder'),
              kind: 'field',
              children: ext.responderIds.map((r) => item(hexPreview(r, max))),
            },
            bytesField('request_extensions', ext.requestExtensions, max),
          ],
        };
      }
      if ('ocspResponse' in ext) return { fields: [field('status_type', 'ocsp (1)'), bytesField('response', ext.ocspResponse, max, { note: 'a stapled OCSP response (DER)' })] };
      return { fields: [], note: 'empty: send me your OCSP response' };
    case 'certificate_authorities':
      return {
        fields: [
          {
            label: 'authorities',
            value: count(ext.authorities.length, 'name'),
            kind: 'field',
            children: ext.authorities.map((a) => item(distinguishedName(a, max))),
          },
        ],
      };
    case 'post_handshake_auth':
      return { fields: [], note: 'empty: the client will answer a CertificateRequest after the handshake' };
    case 'padding':
      return { fields: [field('padding', count(ext.length, 'zero byte'))] };
    case 'unknown':
      return unknownFields(ext.code, ext.data, max);
  }
}

function unknownFields(code: number, data: Uint8Array, max: number): { fields: FieldNode[]; note?: string } {
  const fields = [bytesField('extension_data', data, max)];
  if (isGrease(code)) return { fields, note: 'reserved value: the peer must ignore it' };
  if (TLS12_ONLY_EXTENSIONS.has(code)) return { fields, note: 'TLS 1.2 only: ignored in TLS 1.3' };
  if (code === ExtensionType.status_request) return { fields, note: 'status_type other than ocsp: kept raw' };
  if (extensionSection(code)) return { fields, note: 'not used by this implementation: kept raw' };
  return { fields, note: 'unknown extension: ignored' };
}

/** The display name of an extension code point: its registry name, "GREASE" or "unknown". */
function extensionName(code: number): string {
  if (isGrease(code)) return 'GREASE';
  const name = codeName(ExtensionType, code);
  return name.startsWith('0x') ? 'unknown' : name;
}

/**
 * One extension, labelled `name (code)` with its RFC section. `context` (the
 * carrying message) sharpens a few notes, e.g. early_data in
 * EncryptedExtensions means the server accepted 0-RTT.
 */
export function describeExtension(ext: Extension, context?: ExtensionContext, options: DescribeOptions = {}): FieldNode {
  const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const code = extensionCode(ext);
  const { fields, note } = extensionFields(ext, context, max);
  const rfc = extensionSection(code);
  return {
    label: `${extensionName(code)} (${isGrease(code) ? hex16(code) : code})`,
    kind: 'extension',
    ...(rfc ? { rfc } : {}),
    ...(note ? { note } : {}),
    ...(fields.length > 0 ? { children: fields } : {}),
  };
}

function extensionsField(exts: readonly Extension[], context: ExtensionContext, max: number): FieldNode {
  return {
    label: 'extensions',
    value: count(exts.length, 'extension'),
    kind: 'field',
    rfc: 'RFC 8446 §4.2',
    children: exts.map((e) => describeExtension(e, context, { maxBytes: max })),
  };
}

// ---------------------------------------------------------------- messages

function legacyVersionField(label: string, version: number, section: string): FieldNode {
  return field(
    label,
    versionName(version),
    version === ProtocolVersion.TLS1_2 ? { note: 'frozen at TLS 1.2; the real version is in supported_versions' } : { note: `TLS 1.3 requires 0x0303 here (${section})` },
  );
}

function cipherSuiteItem(code: number): FieldNode {
  const { text, grease } = namedCode(CipherSuite, code);
  return item(text, grease ? { rfc: GREASE_SECTION } : {});
}

function describeClientHello(m: ClientHello, max: number): FieldNode[] {
  return [
    legacyVersionField('legacy_version', m.legacyVersion, '§4.1.2'),
    bytesField('random', m.random, max),
    bytesField(
      'legacy_session_id',
      m.legacySessionId,
      max,
      m.legacySessionId.length > 0 ? { note: 'non-empty: middlebox compatibility mode', rfc: 'RFC 8446 Appendix D.4' } : {},
    ),
    {
      label: 'cipher_suites',
      value: count(m.cipherSuites.length, 'suite'),
      kind: 'field',
      children: m.cipherSuites.map(cipherSuiteItem),
    },
    {
      label: 'legacy_compression_methods',
      value: m.legacyCompressionMethods.map((c) => (c === 0 ? 'null (0)' : String(c))).join(', '),
      kind: 'field',
      ...(m.legacyCompressionMethods.length === 1 && m.legacyCompressionMethods[0] === 0 ? {} : { note: 'TLS 1.3 requires exactly [null (0)]' }),
    },
    extensionsField(m.extensions, 'client_hello', max),
  ];
}

function serverRandomNote(m: ServerHello): Partial<FieldNode> {
  if (m.helloRetryRequest) return { note: 'SHA-256("HelloRetryRequest"): this ServerHello is a HelloRetryRequest', rfc: 'RFC 8446 §4.1.3' };
  const tail = m.random.subarray(m.random.length - 8);
  if (bytesEqual(tail, DOWNGRADE_TLS12)) return { note: 'ends with DOWNGRD\\x01: the server negotiated TLS 1.2', rfc: 'RFC 8446 §4.1.3' };
  if (bytesEqual(tail, DOWNGRADE_TLS11)) return { note: 'ends with DOWNGRD\\x00: the server negotiated TLS 1.1 or below', rfc: 'RFC 8446 §4.1.3' };
  return {};
}

function describeServerHello(m: ServerHello, max: number): FieldNode[] {
  return [
    legacyVersionField('legacy_version', m.legacyVersion, '§4.1.3'),
    bytesField('random', m.random, max, serverRandomNote(m)),
    bytesField('legacy_session_id_echo', m.legacySessionIdEcho, max, { note: "the client's legacy_session_id, echoed" }),
    field('cipher_suite', namedCode(CipherSuite, m.cipherSuite).text),
    field('legacy_compression_method', 'null (0)'),
    extensionsField(m.extensions, m.helloRetryRequest ? 'hello_retry_request' : 'server_hello', max),
  ];
}

function describeEncryptedExtensions(m: EncryptedExtensions, max: number): FieldNode[] {
  return [extensionsField(m.extensions, 'encrypted_extensions', max)];
}

/** What a DER certificate says, when it parses; else why not. */
export function describeCertificateData(der: Uint8Array, options: DescribeOptions = {}): FieldNode[] {
  const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const data = bytesField('cert_data', der, max);
  try {
    return [data, ...certificateFields(parseCertificate(der))];
  } catch (err) {
    return [{ ...data, note: `not a certificate we can parse: ${err instanceof Error ? err.message : String(err)}` }];
  }
}

function generalName(n: GeneralName): string {
  switch (n.type) {
    case 'dns':
      return `DNS:${n.value}`;
    case 'ip':
      return `IP:${n.text}`;
    case 'email':
      return `email:${n.value}`;
    case 'uri':
      return `URI:${n.value}`;
    case 'directory':
      return `DirName:${n.name.text}`;
    case 'other':
      return `other [${n.tag}]`;
  }
}

/** The parts of a certificate a reader checks first: who, by whom, until when, for which names. */
function certificateFields(cert: X509Certificate): FieldNode[] {
  const san = cert.subjectAltName?.names.map(generalName);
  return [
    field('subject', cert.subject.text || '(empty)'),
    field('issuer', cert.issuer.text || '(empty)', cert.selfIssued ? { note: 'self-issued' } : {}),
    field('serial', cert.serialHex),
    field('validity', `${cert.notBefore.toISOString()} .. ${cert.notAfter.toISOString()}`),
    ...(san ? [field('subject_alt_name', san.join(', '))] : []),
    field('public_key', cert.subjectPublicKeyInfo.description),
    field('signature_algorithm', cert.signatureAlgorithm.name),
    ...(cert.basicConstraints?.ca ? [field('basic_constraints', 'CA')] : []),
  ];
}

function describeCertificateEntry(entry: CertificateEntry, index: number, max: number): FieldNode {
  return {
    label: `CertificateEntry [${index}]`,
    kind: 'certificate',
    ...(index === 0 ? { note: 'end-entity certificate' } : {}),
    children: [
      ...describeCertificateData(entry.certData, { maxBytes: max }),
      ...(entry.extensions.length > 0 ? [extensionsField(entry.extensions, 'certificate', max)] : []),
    ],
  };
}

function contextField(context: Uint8Array, max: number): FieldNode {
  return bytesField(
    'certificate_request_context',
    context,
    max,
    context.length === 0 ? { note: 'empty during the handshake' } : { note: 'post-handshake authentication' },
  );
}

function describeCertificate(m: Certificate, max: number): FieldNode[] {
  return [
    contextField(m.certificateRequestContext, max),
    {
      label: 'certificate_list',
      value: count(m.certificateList.length, 'certificate'),
      kind: 'field',
      ...(m.certificateList.length === 0 ? { note: 'empty: no certificate to offer' } : {}),
      children: m.certificateList.map((e, i) => describeCertificateEntry(e, i, max)),
    },
  ];
}

function describeCertificateRequest(m: CertificateRequest, max: number): FieldNode[] {
  return [contextField(m.certificateRequestContext, max), extensionsField(m.extensions, 'certificate_request', max)];
}

function describeCertificateVerify(m: CertificateVerify, max: number): FieldNode[] {
  const { text, grease } = namedCode(SignatureScheme, m.algorithm);
  return [
    field('algorithm', text, grease ? { rfc: GREASE_SECTION } : {}),
    bytesField('signature', m.signature, max, { note: 'over 64 spaces, a context string, 0x00 and the transcript hash' }),
  ];
}

function lifetime(seconds: number): string {
  if (seconds >= 86_400 && seconds % 86_400 === 0) return `${seconds} s (${count(seconds / 86_400, 'day')})`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds} s (${seconds / 3600} h)`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds} s (${seconds / 60} min)`;
  return `${seconds} s`;
}

function describeNewSessionTicket(m: NewSessionTicket, max: number): FieldNode[] {
  return [
    field('ticket_lifetime', lifetime(m.ticketLifetime), m.ticketLifetime > 604_800 ? { note: 'over the 7-day maximum' } : {}),
    field('ticket_age_add', String(m.ticketAgeAdd), { note: 'hides the ticket age from observers' }),
    bytesField('ticket_nonce', m.ticketNonce, max, { note: 'makes each ticket\'s PSK unique' }),
    bytesField('ticket', m.ticket, max),
    extensionsField(m.extensions, 'new_session_ticket', max),
  ];
}

/** The fields of a message, in wire order. */
function messageFields(m: HandshakeMessage, max: number): { fields: FieldNode[]; note?: string } {
  switch (m.type) {
    case 'client_hello':
      return { fields: describeClientHello(m, max) };
    case 'server_hello':
      return { fields: describeServerHello(m, max) };
    case 'encrypted_extensions':
      return { fields: describeEncryptedExtensions(m, max), note: 'the first message under handshake keys' };
    case 'certificate':
      return { fields: describeCertificate(m, max) };
    case 'certificate_request':
      return { fields: describeCertificateRequest(m, max) };
    case 'certificate_verify':
      return { fields: describeCertificateVerify(m, max) };
    case 'finished':
      return { fields: [bytesField('verify_data', m.verifyData, max, { note: 'HMAC of the transcript hash under the finished_key' })] };
    case 'new_session_ticket':
      return { fields: describeNewSessionTicket(m, max) };
    case 'end_of_early_data':
      return { fields: [], note: 'empty: the client has sent all its 0-RTT data' };
    case 'key_update':
      return {
        fields: [field('request_update', `${codeName(KeyUpdateRequest, m.requestUpdate)} (${m.requestUpdate})`)],
        note: 'the sender switches to its next traffic secret',
      };
    case 'message_hash':
      return { fields: [bytesField('hash', m.hash, max)], note: 'stands for ClientHello1 in the transcript after a HelloRetryRequest' };
  }
}

/**
 * A handshake message as a tree: the root is the message (its RFC name and
 * section), the children its fields in wire order.
 */
export function describeMessage(message: HandshakeMessage, options: DescribeOptions = {}): FieldNode {
  const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const { fields, note } = messageFields(message, max);
  return {
    label: messageName(message),
    kind: 'message',
    rfc: messageSection(message),
    ...(note ? { note } : {}),
    children: fields,
  };
}

// ----------------------------------------------------------------- records

/** A record as framed on the wire (RFC 8446 §5): outer type, legacy version and body. */
export interface RecordView {
  readonly contentType: number;
  readonly version: number;
  readonly fragment: Uint8Array;
}

/**
 * The handshake messages that start in a plaintext handshake fragment.
 * Records carry a byte stream, so a message may continue in the next record
 * (§5.1); we only read the 4-byte headers here, the message itself is
 * decoded where the handshake traced it.
 */
function handshakeHeaders(fragment: Uint8Array): FieldNode[] {
  const items: FieldNode[] = [];
  let at = 0;
  while (at + 4 <= fragment.length) {
    const type = fragment[at]!;
    const length = (fragment[at + 1]! << 16) | (fragment[at + 2]! << 8) | fragment[at + 3]!;
    const name = codeName(HandshakeType, type);
    const whole = at + 4 + length <= fragment.length;
    items.push(item(`${name.startsWith('0x') ? 'unknown' : name} (${type}), ${count(length, 'byte')}`, whole ? {} : { note: 'continues in the next record' }));
    at += 4 + length;
  }
  if (at < fragment.length) items.push(item(`${count(fragment.length - at, 'byte')} of a handshake header`, { note: 'continues in the next record' }));
  return items;
}

function plaintextBody(record: RecordView, max: number): FieldNode[] {
  const { contentType: type, fragment } = record;
  if (type === ContentType.handshake) {
    return [{ label: 'fragment', value: count(fragment.length, 'byte'), kind: 'field', children: handshakeHeaders(fragment) }];
  }
  if (type === ContentType.alert && fragment.length === 2) {
    const level = codeName(AlertLevel, fragment[0]!);
    const description = codeName(AlertDescription, fragment[1]!);
    return [
      field('level', `${level.startsWith('0x') ? 'unknown' : level} (${fragment[0]})`),
      field('description', `${description.startsWith('0x') ? 'unknown' : description} (${fragment[1]})`, { rfc: RECORD_SECTIONS.alert }),
    ];
  }
  if (type === ContentType.change_cipher_spec) {
    return [bytesField('fragment', fragment, max, { note: 'a single 0x01 byte, ignored by TLS 1.3 peers', rfc: RECORD_SECTIONS.changeCipherSpec })];
  }
  return [bytesField('fragment', fragment, max)];
}

/**
 * A record as it crossed the transport. Any application_data record is a
 * TLSCiphertext in TLS 1.3 (§5.2): its real content type, content and
 * padding are inside the encryption, so only the length shows.
 */
export function describeRecord(record: RecordView, options: DescribeOptions = {}): FieldNode {
  const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const protectedRecord = record.contentType === ContentType.application_data;
  const typeName = codeName(ContentType, record.contentType);
  const versionNote =
    record.version === ProtocolVersion.TLS1_2
      ? {}
      : record.version === ProtocolVersion.TLS1_0
        ? { note: 'allowed in the first ClientHello, for old middleboxes (§5.1)' }
        : { note: 'TLS 1.3 records say 0x0303 here (§5.1)' };
  return {
    label: protectedRecord ? 'TLSCiphertext' : 'TLSPlaintext',
    kind: 'message',
    rfc: protectedRecord ? RECORD_SECTIONS.ciphertext : RECORD_SECTIONS.plaintext,
    children: [
      field(protectedRecord ? 'opaque_type' : 'type', `${typeName.startsWith('0x') ? 'unknown' : typeName} (${record.contentType})`),
      field('legacy_record_version', versionName(record.version), versionNote),
      field('length', count(record.fragment.length, 'byte')),
      ...(protectedRecord
        ? [
            bytesField('encrypted_record', record.fragment, max, {
              note: 'AEAD-sealed TLSInnerPlaintext: content, true content type, zero padding',
            }),
          ]
        : plaintextBody(record, max)),
    ],
  };
}
