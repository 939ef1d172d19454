/**
 * NewSessionTicket (RFC 8446 §4.6.1).
 *
 *   struct {
 *       uint32 ticket_lifetime;
 *       uint32 ticket_age_add;
 *       opaque ticket_nonce<0..255>;
 *       opaque ticket<1..2^16-1>;
 *       Extension extensions<0..2^16-2>;
 *   } NewSessionTicket;
 *
 * ticket_lifetime above 604800 s (7 days) is not rejected here: §4.6.1
 * forbids servers to send it, and a client simply must not use the ticket
 * longer than 7 days, which is the ticket store's rule.
 */
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { checkUint, readVector, vectorSpec, writeVector } from './codec.js';
import { readExtensions, writeExtensions } from './extensions/block.js';
import type { NewSessionTicketExtension } from './extensions/types.js';

const TICKET_NONCE = vectorSpec('new_session_ticket ticket_nonce', 1, 0, 255);
const TICKET = vectorSpec('new_session_ticket ticket', 2, 1, 0xffff);
const EXTENSIONS = vectorSpec('new_session_ticket extensions', 2, 0, 0xfffe);

export interface NewSessionTicket {
  readonly type: 'new_session_ticket';
  /** Seconds the ticket may be used for. */
  readonly ticketLifetime: number;
  /** Added (mod 2^32) to the ticket age the client reports (§4.2.11.1). */
  readonly ticketAgeAdd: number;
  readonly ticketNonce: Uint8Array;
  readonly ticket: Uint8Array;
  readonly extensions: readonly NewSessionTicketExtension[];
}

export function decodeNewSessionTicketBody(r: ByteReader): NewSessionTicket {
  const ticketLifetime = r.u32('new_session_ticket ticket_lifetime');
  const ticketAgeAdd = r.u32('new_session_ticket ticket_age_add');
  const ticketNonce = readVector(r, TICKET_NONCE);
  const ticket = readVector(r, TICKET);
  const extensions = readExtensions(r, EXTENSIONS, 'new_session_ticket');
  r.end('new_session_ticket');
  return { type: 'new_session_ticket', ticketLifetime, ticketAgeAdd, ticketNonce, ticket, extensions };
}

export function encodeNewSessionTicketBody(w: ByteWriter, m: NewSessionTicket): void {
  checkUint(m.ticketLifetime, 32, 'new_session_ticket ticket_lifetime');
  checkUint(m.ticketAgeAdd, 32, 'new_session_ticket ticket_age_add');
  w.u32(m.ticketLifetime);
  w.u32(m.ticketAgeAdd);
  writeVector(w, TICKET_NONCE, m.ticketNonce);
  writeVector(w, TICKET, m.ticket);
  writeExtensions(w, EXTENSIONS, m.extensions);
}
