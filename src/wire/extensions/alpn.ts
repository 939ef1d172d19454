/**
 * application_layer_protocol_negotiation (RFC 7301 §3.1).
 *
 *   opaque ProtocolName<1..2^8-1>;
 *   struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList;
 */
import { type ByteReader, type ByteWriter, DecodeError } from '../../util/bytes.js';
import { readOpaqueList, vectorSpec, writeOpaqueList } from '../codec.js';
import type { AlpnExtension } from './types.js';

const PROTOCOL_NAME_LIST = vectorSpec('alpn protocol_name_list', 2, 2, 0xffff);
const PROTOCOL_NAME = vectorSpec('alpn protocol_name', 1, 1, 255);

export function decodeAlpnClientHello(r: ByteReader): AlpnExtension {
  return {
    type: 'application_layer_protocol_negotiation',
    protocols: readOpaqueList(r, PROTOCOL_NAME_LIST, PROTOCOL_NAME),
  };
}

/** RFC 7301 §3.1: the server's list "MUST contain exactly one ProtocolName". */
export function decodeAlpnEncryptedExtensions(r: ByteReader): AlpnExtension {
  const ext = decodeAlpnClientHello(r);
  if (ext.protocols.length !== 1) {
    throw new DecodeError(
      `alpn: the server selected ${ext.protocols.length} protocols, not exactly one`,
      'illegal_parameter',
    );
  }
  return ext;
}

export function encodeAlpn(w: ByteWriter, ext: AlpnExtension): void {
  writeOpaqueList(w, PROTOCOL_NAME_LIST, PROTOCOL_NAME, ext.protocols);
}
