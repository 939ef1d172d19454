/**
 * key_share (RFC 8446 §4.2.8).
 *
 *   struct { NamedGroup group; opaque key_exchange<1..2^16-1>; } KeyShareEntry;
 *   ClientHello:       KeyShareEntry client_shares<0..2^16-1>;
 *   HelloRetryRequest: NamedGroup selected_group;
 *   ServerHello:       KeyShareEntry server_share;
 */
import { type ByteReader, type ByteWriter, DecodeError } from '../../util/bytes.js';
import { checkUint, readNested, readVector, vectorSpec, writeNested, writeVector } from '../codec.js';
import type {
  KeyShareClientHello,
  KeyShareEntry,
  KeyShareHelloRetryRequest,
  KeyShareServerHello,
} from './types.js';

const CLIENT_SHARES = vectorSpec('key_share client_shares', 2, 0, 0xffff);
const KEY_EXCHANGE = vectorSpec('key_share key_exchange', 2, 1, 0xffff);

function readEntry(r: ByteReader): KeyShareEntry {
  const group = r.u16('key_share group');
  const keyExchange = readVector(r, KEY_EXCHANGE);
  return { group, keyExchange };
}

function writeEntry(w: ByteWriter, entry: KeyShareEntry): void {
  checkUint(entry.group, 16, 'key_share group');
  w.u16(entry.group);
  writeVector(w, KEY_EXCHANGE, entry.keyExchange);
}

export function decodeKeyShareClientHello(r: ByteReader): KeyShareClientHello {
  const list = readNested(r, CLIENT_SHARES);
  const clientShares: KeyShareEntry[] = [];
  const seen = new Set<number>();
  while (!list.atEnd) {
    const entry = readEntry(list);
    // §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the
    // same group ... Servers MAY check ... illegal_parameter". Checking here
    // means the server never has to decide which of two shares to use.
    if (seen.has(entry.group)) {
      throw new DecodeError(`key_share: two shares for group 0x${entry.group.toString(16)}`, 'illegal_parameter');
    }
    seen.add(entry.group);
    clientShares.push(entry);
  }
  return { type: 'key_share', clientShares };
}

export function decodeKeyShareServerHello(r: ByteReader): KeyShareServerHello {
  return { type: 'key_share', serverShare: readEntry(r) };
}

export function decodeKeyShareHelloRetryRequest(r: ByteReader): KeyShareHelloRetryRequest {
  return { type: 'key_share', selectedGroup: r.u16('key_share selected_group') };
}

export function encodeKeyShare(
  w: ByteWriter,
  ext: KeyShareClientHello | KeyShareServerHello | KeyShareHelloRetryRequest,
): void {
  if ('clientShares' in ext) {
    writeNested(w, CLIENT_SHARES, (list) => {
      for (const entry of ext.clientShares) writeEntry(list, entry);
    });
  } else if ('serverShare' in ext) {
    writeEntry(w, ext.serverShare);
  } else {
    checkUint(ext.selectedGroup, 16, 'key_share selected_group');
    w.u16(ext.selectedGroup);
  }
}
