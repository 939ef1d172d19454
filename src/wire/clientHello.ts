/**
 * ClientHello (RFC 8446 §4.1.2).
 *
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;
 *       Random random;
 *       opaque legacy_session_id<0..32>;
 *       CipherSuite cipher_suites<2..2^16-2>;
 *       opaque legacy_compression_methods<1..2^8-1>;
 *       Extension extensions<8..2^16-1>;
 *   } ClientHello;
 *
 * The legacy fields are exposed as received; whether they hold the values
 * TLS 1.3 requires (0x0303, compression [0]) is the handshake's decision,
 * since the alert depends on what else the hello says.
 */
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import {
  checkUint,
  readU16List,
  readU8List,
  readVector,
  vectorSpec,
  writeU16List,
  writeU8List,
  writeVector,
} from './codec.js';
import { readExtensions, writeExtensions } from './extensions/block.js';
import type { ClientHelloExtension } from './extensions/types.js';

export const RANDOM_LENGTH = 32;

export const LEGACY_SESSION_ID = vectorSpec('legacy_session_id', 1, 0, 32);
export const CIPHER_SUITES = vectorSpec('cipher_suites', 2, 2, 0xfffe);
export const COMPRESSION_METHODS = vectorSpec('legacy_compression_methods', 1, 1, 255);
export const CLIENT_HELLO_EXTENSIONS = vectorSpec('client_hello extensions', 2, 8, 0xffff);

export interface ClientHello {
  readonly type: 'client_hello';
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly legacyCompressionMethods: readonly number[];
  readonly extensions: readonly ClientHelloExtension[];
}

export function readRandom(r: ByteReader): Uint8Array {
  return r.bytes(RANDOM_LENGTH, 'random');
}

export function writeRandom(w: ByteWriter, random: Uint8Array): void {
  if (random.length !== RANDOM_LENGTH) {
    throw new RangeError(`cannot encode random: ${random.length} bytes, not ${RANDOM_LENGTH}`);
  }
  w.bytes(random);
}

export function decodeClientHelloBody(r: ByteReader): ClientHello {
  const legacyVersion = r.u16('client_hello legacy_version');
  const random = readRandom(r);
  const legacySessionId = readVector(r, LEGACY_SESSION_ID);
  const cipherSuites = readU16List(r, CIPHER_SUITES);
  const legacyCompressionMethods = readU8List(r, COMPRESSION_METHODS);
  const extensions = readExtensions(r, CLIENT_HELLO_EXTENSIONS, 'client_hello');
  r.end('client_hello');
  return {
    type: 'client_hello',
    legacyVersion,
    random,
    legacySessionId,
    cipherSuites,
    legacyCompressionMethods,
    extensions,
  };
}

export function encodeClientHelloBody(w: ByteWriter, m: ClientHello): void {
  checkUint(m.legacyVersion, 16, 'client_hello legacy_version');
  w.u16(m.legacyVersion);
  writeRandom(w, m.random);
  writeVector(w, LEGACY_SESSION_ID, m.legacySessionId);
  writeU16List(w, CIPHER_SUITES, m.cipherSuites);
  writeU8List(w, COMPRESSION_METHODS, m.legacyCompressionMethods);
  writeExtensions(w, CLIENT_HELLO_EXTENSIONS, m.extensions);
}
