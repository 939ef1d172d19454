/**
 * The small extensions: early_data (RFC 8446 §4.2.10), cookie (§4.2.2),
 * certificate_authorities (§4.2.4), post_handshake_auth (§4.2.6),
 * record_size_limit (RFC 8449) and padding (RFC 7685).
 */
import { type ByteReader, type ByteWriter, DecodeError } from '../../util/bytes.js';
import { checkUint, readOpaqueList, readVector, vectorSpec, writeOpaqueList, writeVector } from '../codec.js';
import type {
  CertificateAuthoritiesExtension,
  CookieExtension,
  EarlyDataIndication,
  EarlyDataNewSessionTicket,
  PaddingExtension,
  PostHandshakeAuthExtension,
  RecordSizeLimitExtension,
} from './types.js';

/** ClientHello and EncryptedExtensions: `struct {} Empty;` */
export function decodeEarlyDataIndication(): EarlyDataIndication {
  return { type: 'early_data' };
}

/** NewSessionTicket: `uint32 max_early_data_size;` */
export function decodeEarlyDataNewSessionTicket(r: ByteReader): EarlyDataNewSessionTicket {
  return { type: 'early_data', maxEarlyDataSize: r.u32('early_data max_early_data_size') };
}

export function encodeEarlyData(w: ByteWriter, ext: EarlyDataIndication | EarlyDataNewSessionTicket): void {
  if ('maxEarlyDataSize' in ext) {
    checkUint(ext.maxEarlyDataSize, 32, 'early_data max_early_data_size');
    w.u32(ext.maxEarlyDataSize);
  }
}

/** `struct { opaque cookie<1..2^16-1>; } Cookie;` */
const COOKIE = vectorSpec('cookie', 2, 1, 0xffff);

export function decodeCookie(r: ByteReader): CookieExtension {
  return { type: 'cookie', cookie: readVector(r, COOKIE) };
}

export function encodeCookie(w: ByteWriter, ext: CookieExtension): void {
  writeVector(w, COOKIE, ext.cookie);
}

/** `opaque DistinguishedName<1..2^16-1>; DistinguishedName authorities<3..2^16-1>;` */
const AUTHORITIES = vectorSpec('certificate_authorities authorities', 2, 3, 0xffff);
const DISTINGUISHED_NAME = vectorSpec('certificate_authorities distinguished_name', 2, 1, 0xffff);

export function decodeCertificateAuthorities(r: ByteReader): CertificateAuthoritiesExtension {
  return { type: 'certificate_authorities', authorities: readOpaqueList(r, AUTHORITIES, DISTINGUISHED_NAME) };
}

export function encodeCertificateAuthorities(w: ByteWriter, ext: CertificateAuthoritiesExtension): void {
  writeOpaqueList(w, AUTHORITIES, DISTINGUISHED_NAME, ext.authorities);
}

/** ClientHello: `struct {} PostHandshakeAuth;` */
export function decodePostHandshakeAuth(): PostHandshakeAuthExtension {
  return { type: 'post_handshake_auth' };
}

/** RFC 8449 §4: the smallest limit an endpoint may announce. */
export const MIN_RECORD_SIZE_LIMIT = 64;

/** `uint16 RecordSizeLimit;` */
export function decodeRecordSizeLimit(r: ByteReader): RecordSizeLimitExtension {
  const limit = r.u16('record_size_limit');
  // RFC 8449 §4: "An endpoint MUST treat receipt of a smaller value as a
  // fatal error and generate an "illegal_parameter" alert."
  if (limit < MIN_RECORD_SIZE_LIMIT) {
    throw new DecodeError(`record_size_limit: ${limit} is below ${MIN_RECORD_SIZE_LIMIT}`, 'illegal_parameter');
  }
  return { type: 'record_size_limit', limit };
}

export function encodeRecordSizeLimit(w: ByteWriter, ext: RecordSizeLimitExtension): void {
  checkUint(ext.limit, 16, 'record_size_limit');
  if (ext.limit < MIN_RECORD_SIZE_LIMIT) {
    throw new RangeError(`cannot encode record_size_limit ${ext.limit}: below ${MIN_RECORD_SIZE_LIMIT}`);
  }
  w.u16(ext.limit);
}

/** RFC 7685 §3: "The client MUST fill the padding extension completely with zero bytes". */
export function decodePadding(r: ByteReader): PaddingExtension {
  const zeros = r.rest();
  for (let i = 0; i < zeros.length; i++) {
    if (zeros[i] !== 0) throw new DecodeError(`padding: non-zero byte at offset ${i}`);
  }
  return { type: 'padding', length: zeros.length };
}

export function encodePadding(w: ByteWriter, ext: PaddingExtension): void {
  checkUint(ext.length, 16, 'padding length');
  w.bytes(new Uint8Array(ext.length));
}
