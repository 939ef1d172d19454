/**
 * pre_shared_key (RFC 8446 §4.2.11).
 *
 *   struct { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; } PskIdentity;
 *   opaque PskBinderEntry<32..255>;
 *   struct { PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>; } OfferedPsks;
 *   ClientHello: OfferedPsks;  ServerHello: uint16 selected_identity;
 *
 * The binders come last in the extension, and the extension comes last in
 * the ClientHello, so the binders list is the tail of the message: see
 * binders.ts for truncating and patching it.
 */
import { type ByteReader, type ByteWriter, DecodeError } from '../../util/bytes.js';
import { checkUint, readNested, readVector, vectorSpec, writeNested, writeVector } from '../codec.js';
import type { PreSharedKeyClientHello, PreSharedKeyServerHello, PskIdentity } from './types.js';

export const PSK_IDENTITIES = vectorSpec('pre_shared_key identities', 2, 7, 0xffff);
export const PSK_IDENTITY = vectorSpec('pre_shared_key identity', 2, 1, 0xffff);
export const PSK_BINDERS = vectorSpec('pre_shared_key binders', 2, 33, 0xffff);
export const PSK_BINDER = vectorSpec('pre_shared_key binder', 1, 32, 255);

function readIdentities(r: ByteReader): PskIdentity[] {
  const list = readNested(r, PSK_IDENTITIES);
  const out: PskIdentity[] = [];
  while (!list.atEnd) {
    const identity = readVector(list, PSK_IDENTITY);
    const obfuscatedTicketAge = list.u32('pre_shared_key obfuscated_ticket_age');
    out.push({ identity, obfuscatedTicketAge });
  }
  return out;
}

/** Reads the binders list (with its length prefix). */
export function readBinders(r: ByteReader): Uint8Array[] {
  const list = readNested(r, PSK_BINDERS);
  const out: Uint8Array[] = [];
  while (!list.atEnd) out.push(readVector(list, PSK_BINDER));
  return out;
}

export function decodePreSharedKeyClientHello(r: ByteReader): PreSharedKeyClientHello {
  const identities = readIdentities(r);
  const binders = readBinders(r);
  // §4.2.11: binders are "one for each value in the identities list"; a
  // mismatch leaves some identity unauthenticated.
  if (binders.length !== identities.length) {
    throw new DecodeError(
      `pre_shared_key: ${identities.length} identities but ${binders.length} binders`,
      'illegal_parameter',
    );
  }
  return { type: 'pre_shared_key', identities, binders };
}

export function decodePreSharedKeyServerHello(r: ByteReader): PreSharedKeyServerHello {
  return { type: 'pre_shared_key', selectedIdentity: r.u16('pre_shared_key selected_identity') };
}

/** Writes the binders list (with its length prefix). */
export function writeBinders(w: ByteWriter, binders: readonly Uint8Array[]): void {
  writeNested(w, PSK_BINDERS, (list) => {
    for (const b of binders) writeVector(list, PSK_BINDER, b);
  });
}

export function encodePreSharedKey(w: ByteWriter, ext: PreSharedKeyClientHello | PreSharedKeyServerHello): void {
  if ('identities' in ext) {
    if (ext.binders.length !== ext.identities.length) {
      throw new RangeError(
        `cannot encode pre_shared_key: ${ext.identities.length} identities but ${ext.binders.length} binders`,
      );
    }
    writeNested(w, PSK_IDENTITIES, (list) => {
      for (const id of ext.identities) {
        writeVector(list, PSK_IDENTITY, id.identity);
        checkUint(id.obfuscatedTicketAge, 32, 'pre_shared_key obfuscated_ticket_age');
        list.u32(id.obfuscatedTicketAge);
      }
    });
    writeBinders(w, ext.binders);
  } else {
    checkUint(ext.selectedIdentity, 16, 'pre_shared_key selected_identity');
    w.u16(ext.selectedIdentity);
  }
}
