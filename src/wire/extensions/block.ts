/**
 * Extension blocks (RFC 8446 §4.2): `Extension extensions<..>` where
 *
 *   struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension;
 *
 * Decoding takes the context (which message carries the block), because
 * the same extension has different shapes in different messages, and
 * because §4.2 requires rejecting a recognised extension in a message that
 * does not allow it.
 */
import { ByteReader, type ByteWriter, DecodeError } from '../../util/bytes.js';
import { ExtensionType, codeName } from '../../registry.js';
import { checkUint, readNested, type VectorSpec, vectorSpec, writeNested } from '../codec.js';
import { decodeAlpnClientHello, decodeAlpnEncryptedExtensions, encodeAlpn } from './alpn.js';
import {
  decodeKeyShareClientHello,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
  encodeKeyShare,
} from './keyShare.js';
import {
  decodePskKeyExchangeModes,
  decodeSignatureAlgorithms,
  decodeSignatureAlgorithmsCert,
  decodeSupportedGroups,
  decodeSupportedVersionsClientHello,
  decodeSupportedVersionsServerHello,
  encodePskKeyExchangeModes,
  encodeSignatureAlgorithms,
  encodeSignatureAlgorithmsCert,
  encodeSupportedGroups,
  encodeSupportedVersions,
} from './lists.js';
import {
  decodeCertificateAuthorities,
  decodeCookie,
  decodeEarlyDataIndication,
  decodeEarlyDataNewSessionTicket,
  decodePadding,
  decodePostHandshakeAuth,
  decodeRecordSizeLimit,
  encodeCertificateAuthorities,
  encodeCookie,
  encodeEarlyData,
  encodePadding,
  encodeRecordSizeLimit,
} from './misc.js';
import { decodePreSharedKeyClientHello, decodePreSharedKeyServerHello, encodePreSharedKey } from './preSharedKey.js';
import { decodeServerNameClientHello, encodeServerName } from './serverName.js';
import {
  decodeStatusRequestCertificateEntry,
  decodeStatusRequestClientHello,
  decodeStatusRequestEmpty,
  encodeStatusRequest,
} from './statusRequest.js';
import type { Extension, ExtensionContext, ExtensionsByContext } from './types.js';

const EXTENSION_DATA = vectorSpec('extension_data', 2, 0, 0xffff);

/** Decodes one extension's data; `r` reads `data`, which is also passed for raw fallbacks. */
type ExtensionDecoder = (r: ByteReader, data: Uint8Array) => Extension;

/**
 * Where each extension we decode may appear, and how it is shaped there
 * (RFC 8446 §4.2 table; RFC 8449 §4 for record_size_limit, which lives in
 * CH and EE). A context missing from an entry means "not allowed there".
 */
const DECODERS: ReadonlyMap<number, Partial<Record<ExtensionContext, ExtensionDecoder>>> = new Map<
  number,
  Partial<Record<ExtensionContext, ExtensionDecoder>>
>([
  [
    ExtensionType.server_name,
    { client_hello: decodeServerNameClientHello, encrypted_extensions: () => ({ type: 'server_name' }) },
  ],
  [
    ExtensionType.status_request,
    {
      client_hello: decodeStatusRequestClientHello,
      certificate_request: decodeStatusRequestEmpty,
      certificate: decodeStatusRequestCertificateEntry,
    },
  ],
  [
    ExtensionType.supported_groups,
    { client_hello: decodeSupportedGroups, encrypted_extensions: decodeSupportedGroups },
  ],
  [
    ExtensionType.signature_algorithms,
    { client_hello: decodeSignatureAlgorithms, certificate_request: decodeSignatureAlgorithms },
  ],
  [
    ExtensionType.application_layer_protocol_negotiation,
    { client_hello: decodeAlpnClientHello, encrypted_extensions: decodeAlpnEncryptedExtensions },
  ],
  [ExtensionType.padding, { client_hello: decodePadding }],
  [
    ExtensionType.record_size_limit,
    { client_hello: decodeRecordSizeLimit, encrypted_extensions: decodeRecordSizeLimit },
  ],
  [
    ExtensionType.pre_shared_key,
    { client_hello: decodePreSharedKeyClientHello, server_hello: decodePreSharedKeyServerHello },
  ],
  [
    ExtensionType.early_data,
    {
      client_hello: decodeEarlyDataIndication,
      encrypted_extensions: decodeEarlyDataIndication,
      new_session_ticket: decodeEarlyDataNewSessionTicket,
    },
  ],
  [
    ExtensionType.supported_versions,
    {
      client_hello: decodeSupportedVersionsClientHello,
      server_hello: decodeSupportedVersionsServerHello,
      hello_retry_request: decodeSupportedVersionsServerHello,
    },
  ],
  [ExtensionType.cookie, { client_hello: decodeCookie, hello_retry_request: decodeCookie }],
  [ExtensionType.psk_key_exchange_modes, { client_hello: decodePskKeyExchangeModes }],
  [
    ExtensionType.certificate_authorities,
    { client_hello: decodeCertificateAuthorities, certificate_request: decodeCertificateAuthorities },
  ],
  [ExtensionType.post_handshake_auth, { client_hello: decodePostHandshakeAuth }],
  [
    ExtensionType.signature_algorithms_cert,
    { client_hello: decodeSignatureAlgorithmsCert, certificate_request: decodeSignatureAlgorithmsCert },
  ],
  [
    ExtensionType.key_share,
    {
      client_hello: decodeKeyShareClientHello,
      server_hello: decodeKeyShareServerHello,
      hello_retry_request: decodeKeyShareHelloRetryRequest,
    },
  ],
]);

/**
 * Extensions of the RFC 8446 §4.2 table that we keep raw (we do not use
 * them) but still recognise, so their placement is checked too.
 */
const RAW_PLACEMENT: ReadonlyMap<number, readonly ExtensionContext[]> = new Map<number, readonly ExtensionContext[]>([
  [ExtensionType.max_fragment_length, ['client_hello', 'encrypted_extensions']],
  [ExtensionType.use_srtp, ['client_hello', 'encrypted_extensions']],
  [ExtensionType.heartbeat, ['client_hello', 'encrypted_extensions']],
  [ExtensionType.signed_certificate_timestamp, ['client_hello', 'certificate_request', 'certificate']],
  [ExtensionType.client_certificate_type, ['client_hello', 'encrypted_extensions']],
  [ExtensionType.server_certificate_type, ['client_hello', 'encrypted_extensions']],
  [ExtensionType.oid_filters, ['certificate_request']],
]);

export interface DecodeExtensionsOptions {
  /**
   * Keep every extension raw and skip the placement rules. Used for a
   * ServerHello without supported_versions, i.e. a TLS 1.2-or-older one
   * (RFC 8446 §4.1.3), whose extensions follow TLS 1.2 rules: the handshake
   * then answers with protocol_version rather than a confusing decode error.
   */
  readonly raw?: boolean;
}

function misplaced(code: number, context: ExtensionContext): DecodeError {
  // RFC 8446 §4.2: a recognised extension in a message that does not allow it.
  return new DecodeError(
    `extension ${codeName(ExtensionType, code)} is not allowed in ${context}`,
    'illegal_parameter',
  );
}

function decodeOne(code: number, data: Uint8Array, context: ExtensionContext): Extension {
  const byContext = DECODERS.get(code);
  if (byContext === undefined) {
    const allowed = RAW_PLACEMENT.get(code);
    if (allowed !== undefined && !allowed.includes(context)) throw misplaced(code, context);
    return { type: 'unknown', code, data };
  }
  const decode = byContext[context];
  if (decode === undefined) throw misplaced(code, context);
  const r = new ByteReader(data);
  const ext = decode(r, data);
  // Build the name only on the error path: this runs for every extension.
  if (!r.atEnd) r.end(`extension ${codeName(ExtensionType, code)}`);
  return ext;
}

/**
 * Reads an extension block (with its length prefix, bounded by `spec`).
 * Rejects duplicates (§4.2, illegal_parameter) and, in a ClientHello, a
 * pre_shared_key that is not last (§4.2.11, illegal_parameter).
 */
export function readExtensions<C extends ExtensionContext>(
  r: ByteReader,
  spec: VectorSpec,
  context: C,
  options: DecodeExtensionsOptions = {},
): ExtensionsByContext[C][] {
  return decodeExtensionBlock(readNested(r, spec), context, options);
}

/** Like readExtensions, for a block body whose length prefix was already read. */
/** Most extensions accepted in one block; browsers send under 30, GREASE included. */
export const MAX_EXTENSIONS = 256;

export function decodeExtensionBlock<C extends ExtensionContext>(
  block: ByteReader,
  context: C,
  options: DecodeExtensionsOptions = {},
): ExtensionsByContext[C][] {
  const seen = new Set<number>();
  const out: Extension[] = [];
  while (!block.atEnd) {
    const code = block.u16('extension_type');
    const data = block.vec16('extension_data');
    if (seen.has(code)) {
      throw new DecodeError(`duplicate extension ${codeName(ExtensionType, code)}`, 'illegal_parameter');
    }
    seen.add(code);
    // A real hello carries a few dozen; thousands only make us work (issue: hostile peers).
    if (seen.size > MAX_EXTENSIONS) {
      throw new DecodeError(`more than ${MAX_EXTENSIONS} extensions in one block`, 'illegal_parameter');
    }
    if (context === 'client_hello' && code === ExtensionType.pre_shared_key && !block.atEnd) {
      throw new DecodeError('pre_shared_key is not the last extension of the ClientHello', 'illegal_parameter');
    }
    out.push(options.raw ? { type: 'unknown', code, data } : decodeOne(code, data, context));
  }
  // The table above only produces shapes that ExtensionsByContext[C] admits.
  return out as ExtensionsByContext[C][];
}

/** The extension_type code point of an extension. */
export function extensionCode(ext: Extension): number {
  return ext.type === 'unknown' ? ext.code : ExtensionType[ext.type];
}

/**
 * The first extension of the given type (RFC 8446 §4.2 allows at most one),
 * narrowed to the shapes the list's context admits.
 */
export function findExtension<A extends readonly Extension[], T extends A[number]['type']>(
  exts: A,
  type: T,
): Extract<A[number], { type: T }> | undefined {
  for (const ext of exts) {
    if (ext.type === type) return ext as Extract<A[number], { type: T }>;
  }
  return undefined;
}

/** The extension with the given code point, decoded or raw. */
export function findExtensionByCode<A extends readonly Extension[]>(exts: A, code: number): A[number] | undefined {
  return exts.find((ext) => extensionCode(ext) === code);
}

function writeExtensionData(w: ByteWriter, ext: Extension): void {
  switch (ext.type) {
    case 'server_name':
      return encodeServerName(w, ext);
    case 'supported_groups':
      return encodeSupportedGroups(w, ext);
    case 'signature_algorithms':
      return encodeSignatureAlgorithms(w, ext);
    case 'signature_algorithms_cert':
      return encodeSignatureAlgorithmsCert(w, ext);
    case 'supported_versions':
      return encodeSupportedVersions(w, ext);
    case 'key_share':
      return encodeKeyShare(w, ext);
    case 'psk_key_exchange_modes':
      return encodePskKeyExchangeModes(w, ext);
    case 'pre_shared_key':
      return encodePreSharedKey(w, ext);
    case 'early_data':
      return encodeEarlyData(w, ext);
    case 'cookie':
      return encodeCookie(w, ext);
    case 'application_layer_protocol_negotiation':
      return encodeAlpn(w, ext);
    case 'record_size_limit':
      return encodeRecordSizeLimit(w, ext);
    case 'status_request':
      return encodeStatusRequest(w, ext);
    case 'certificate_authorities':
      return encodeCertificateAuthorities(w, ext);
    case 'post_handshake_auth':
      return;
    case 'padding':
      return encodePadding(w, ext);
    case 'unknown':
      w.bytes(ext.data);
      return;
  }
  // Exhaustiveness: a new shape without an encoder fails to compile here.
  const never: never = ext;
  return never;
}

/**
 * Writes an extension block (with its length prefix, bounded by `spec`),
 * in the given order. Refuses duplicates and a ClientHello pre_shared_key
 * that is not last: we must never send what we would reject.
 */
export function writeExtensions(w: ByteWriter, spec: VectorSpec, exts: readonly Extension[]): void {
  const seen = new Set<number>();
  exts.forEach((ext, i) => {
    const code = extensionCode(ext);
    checkUint(code, 16, 'extension_type');
    if (seen.has(code)) throw new RangeError(`cannot encode duplicate extension ${codeName(ExtensionType, code)}`);
    seen.add(code);
    if (ext.type === 'pre_shared_key' && 'identities' in ext && i !== exts.length - 1) {
      throw new RangeError('cannot encode a ClientHello whose pre_shared_key is not the last extension');
    }
  });
  writeNested(w, spec, (block) => {
    for (const ext of exts) {
      block.u16(extensionCode(ext));
      writeNested(block, EXTENSION_DATA, (data) => writeExtensionData(data, ext));
    }
  });
}

