/**
 * The extensions that are one list of code points (or one code point):
 * supported_groups (RFC 8446 §4.2.7), signature_algorithms and
 * signature_algorithms_cert (§4.2.3), supported_versions (§4.2.1) and
 * psk_key_exchange_modes (§4.2.9).
 *
 * Values are kept as numbers, unknown and GREASE ones included (RFC 8701
 * §3: a receiver treats GREASE values like any unknown value), so that
 * re-encoding reproduces the peer's bytes.
 */
import type { ByteReader, ByteWriter } from '../../util/bytes.js';
import { checkUint, readU16List, readU8List, vectorSpec, writeU16List, writeU8List } from '../codec.js';
import type {
  PskKeyExchangeModesExtension,
  SignatureAlgorithmsCertExtension,
  SignatureAlgorithmsExtension,
  SupportedGroupsExtension,
  SupportedVersionsClientHello,
  SupportedVersionsServerHello,
} from './types.js';

/** NamedGroup named_group_list<2..2^16-1>; */
const NAMED_GROUP_LIST = vectorSpec('supported_groups named_group_list', 2, 2, 0xffff);
/** SignatureScheme supported_signature_algorithms<2..2^16-2>; */
const SIGNATURE_ALGORITHMS = vectorSpec('signature_algorithms supported_signature_algorithms', 2, 2, 0xfffe);
const SIGNATURE_ALGORITHMS_CERT = vectorSpec(
  'signature_algorithms_cert supported_signature_algorithms',
  2,
  2,
  0xfffe,
);
/** ProtocolVersion versions<2..254>; */
const VERSIONS = vectorSpec('supported_versions versions', 1, 2, 254);
/** PskKeyExchangeMode ke_modes<1..255>; */
const KE_MODES = vectorSpec('psk_key_exchange_modes ke_modes', 1, 1, 255);

export function decodeSupportedGroups(r: ByteReader): SupportedGroupsExtension {
  return { type: 'supported_groups', groups: readU16List(r, NAMED_GROUP_LIST) };
}

export function encodeSupportedGroups(w: ByteWriter, ext: SupportedGroupsExtension): void {
  writeU16List(w, NAMED_GROUP_LIST, ext.groups);
}

export function decodeSignatureAlgorithms(r: ByteReader): SignatureAlgorithmsExtension {
  return { type: 'signature_algorithms', schemes: readU16List(r, SIGNATURE_ALGORITHMS) };
}

export function encodeSignatureAlgorithms(w: ByteWriter, ext: SignatureAlgorithmsExtension): void {
  writeU16List(w, SIGNATURE_ALGORITHMS, ext.schemes);
}

export function decodeSignatureAlgorithmsCert(r: ByteReader): SignatureAlgorithmsCertExtension {
  return { type: 'signature_algorithms_cert', schemes: readU16List(r, SIGNATURE_ALGORITHMS_CERT) };
}

export function encodeSignatureAlgorithmsCert(w: ByteWriter, ext: SignatureAlgorithmsCertExtension): void {
  writeU16List(w, SIGNATURE_ALGORITHMS_CERT, ext.schemes);
}

export function decodeSupportedVersionsClientHello(r: ByteReader): SupportedVersionsClientHello {
  return { type: 'supported_versions', versions: readU16List(r, VERSIONS) };
}

/** ServerHello and HelloRetryRequest: `ProtocolVersion selected_version;` */
export function decodeSupportedVersionsServerHello(r: ByteReader): SupportedVersionsServerHello {
  return { type: 'supported_versions', selectedVersion: r.u16('supported_versions selected_version') };
}

export function encodeSupportedVersions(
  w: ByteWriter,
  ext: SupportedVersionsClientHello | SupportedVersionsServerHello,
): void {
  if ('versions' in ext) {
    writeU16List(w, VERSIONS, ext.versions);
  } else {
    checkUint(ext.selectedVersion, 16, 'supported_versions selected_version');
    w.u16(ext.selectedVersion);
  }
}

export function decodePskKeyExchangeModes(r: ByteReader): PskKeyExchangeModesExtension {
  return { type: 'psk_key_exchange_modes', modes: readU8List(r, KE_MODES) };
}

export function encodePskKeyExchangeModes(w: ByteWriter, ext: PskKeyExchangeModesExtension): void {
  writeU8List(w, KE_MODES, ext.modes);
}
