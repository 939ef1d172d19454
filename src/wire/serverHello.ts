/**
 * ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4).
 *
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;
 *       Random random;
 *       opaque legacy_session_id_echo<0..32>;
 *       CipherSuite cipher_suite;
 *       uint8 legacy_compression_method = 0;
 *       Extension extensions<6..2^16-1>;
 *   } ServerHello;
 *
 * A HelloRetryRequest is a ServerHello whose random is the fixed value
 * SHA-256("HelloRetryRequest"); its extensions have their own shapes
 * (key_share names a group, cookie may appear).
 */
import { ByteReader, type ByteWriter, DecodeError, bytesEqual, fromHex } from '../util/bytes.js';
import { ExtensionType, ProtocolVersion } from '../registry.js';
import { checkUint, readVector, vectorSpec, writeVector } from './codec.js';
import { LEGACY_SESSION_ID, readRandom, writeRandom } from './clientHello.js';
import { decodeExtensionBlock, writeExtensions } from './extensions/block.js';
import type {
  ExtensionsByContext,
  HelloRetryRequestExtension,
  ServerHelloExtension,
} from './extensions/types.js';

/** §4.1.3: SHA-256("HelloRetryRequest"), the random that marks a HelloRetryRequest. */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = fromHex(
  'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c',
);

/**
 * §4.1.3: a TLS 1.3 server negotiating TLS 1.2 (or below) ends its random
 * with these 8 bytes; a TLS 1.3 client seeing them must abort.
 */
export const DOWNGRADE_TLS12: Uint8Array = fromHex('444f574e47524401');
export const DOWNGRADE_TLS11: Uint8Array = fromHex('444f574e47524400');

const LEGACY_SESSION_ID_ECHO = { ...LEGACY_SESSION_ID, what: 'legacy_session_id_echo' };
/**
 * RFC 8446 says <6..2^16-1>, which holds for any TLS 1.3 ServerHello since
 * supported_versions alone takes 6 bytes. We use TLS 1.2's looser
 * <0..2^16-1> so that a TLS 1.2 ServerHello still decodes (and re-encodes).
 */
const SERVER_HELLO_EXTENSIONS = vectorSpec('server_hello extensions', 2, 0, 0xffff);

interface ServerHelloFields {
  readonly type: 'server_hello';
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionIdEcho: Uint8Array;
  readonly cipherSuite: number;
  // legacy_compression_method is always 0 (anything else is rejected), so it has no field.
}

/** A ServerHello proper (random is not the HelloRetryRequest value). */
export interface RegularServerHello extends ServerHelloFields {
  readonly helloRetryRequest: false;
  readonly extensions: readonly ServerHelloExtension[];
}

/** A HelloRetryRequest (§4.1.4): random is HELLO_RETRY_REQUEST_RANDOM. */
export interface HelloRetryRequest extends ServerHelloFields {
  readonly helloRetryRequest: true;
  readonly extensions: readonly HelloRetryRequestExtension[];
}

export type ServerHello = RegularServerHello | HelloRetryRequest;

/** Builds a HelloRetryRequest (§4.1.4): the fixed random, legacy_version 0x0303. */
export function helloRetryRequest(fields: {
  readonly legacySessionIdEcho: Uint8Array;
  readonly cipherSuite: number;
  readonly extensions: readonly HelloRetryRequestExtension[];
}): HelloRetryRequest {
  return {
    type: 'server_hello',
    helloRetryRequest: true,
    legacyVersion: ProtocolVersion.TLS1_2,
    random: HELLO_RETRY_REQUEST_RANDOM.slice(),
    legacySessionIdEcho: fields.legacySessionIdEcho,
    cipherSuite: fields.cipherSuite,
    extensions: fields.extensions,
  };
}

export function isHelloRetryRequestRandom(random: Uint8Array): boolean {
  return bytesEqual(random, HELLO_RETRY_REQUEST_RANDOM);
}

export function decodeServerHelloBody(r: ByteReader): ServerHello {
  const legacyVersion = r.u16('server_hello legacy_version');
  const random = readRandom(r);
  const legacySessionIdEcho = readVector(r, LEGACY_SESSION_ID_ECHO);
  const cipherSuite = r.u16('server_hello cipher_suite');
  const compression = r.u8('server_hello legacy_compression_method');
  // §4.1.3: legacy_compression_method "MUST have the value 0".
  if (compression !== 0) {
    throw new DecodeError(`server_hello legacy_compression_method is ${compression}, not 0`, 'illegal_parameter');
  }
  const fields = { type: 'server_hello' as const, legacyVersion, random, legacySessionIdEcho, cipherSuite };
  if (isHelloRetryRequestRandom(random)) {
    const extensions = readServerExtensions(r, 'hello_retry_request');
    r.end('hello_retry_request');
    return { ...fields, helloRetryRequest: true, extensions };
  }
  const extensions = readServerExtensions(r, 'server_hello');
  r.end('server_hello');
  return { ...fields, helloRetryRequest: false, extensions };
}

/**
 * A ServerHello without supported_versions negotiates TLS 1.2 or older
 * (§4.1.3, §4.2.1). Its extensions follow TLS 1.2 rules, so we keep them
 * raw and let the handshake reject the version with the right alert,
 * instead of failing here on, say, a TLS 1.2 ALPN reply.
 */
function readServerExtensions<C extends 'server_hello' | 'hello_retry_request'>(
  r: ByteReader,
  context: C,
): ExtensionsByContext[C][] {
  const block = readVector(r, SERVER_HELLO_EXTENSIONS);
  const raw = decodeExtensionBlock(new ByteReader(block), context, { raw: true });
  const tls13 = raw.some((ext) => ext.type === 'unknown' && ext.code === ExtensionType.supported_versions);
  return tls13 ? decodeExtensionBlock(new ByteReader(block), context) : raw;
}

export function encodeServerHelloBody(w: ByteWriter, m: ServerHello): void {
  if (m.helloRetryRequest !== isHelloRetryRequestRandom(m.random)) {
    throw new RangeError(
      'cannot encode server_hello: helloRetryRequest must be true exactly when random is HELLO_RETRY_REQUEST_RANDOM',
    );
  }
  checkUint(m.legacyVersion, 16, 'server_hello legacy_version');
  w.u16(m.legacyVersion);
  writeRandom(w, m.random);
  writeVector(w, LEGACY_SESSION_ID_ECHO, m.legacySessionIdEcho);
  checkUint(m.cipherSuite, 16, 'server_hello cipher_suite');
  w.u16(m.cipherSuite);
  w.u8(0);
  writeExtensions(w, SERVER_HELLO_EXTENSIONS, m.extensions);
}
