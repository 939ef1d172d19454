/**
 * The client's side of resumption (RFC 8446 §4.6.1, §4.2.11): what a ticket
 * lets us resume, a bounded cache of them keyed by server name, and export
 * and import as bytes (for the CLI's --sess-out / --sess-in).
 */
import { ByteReader, ByteWriter, DecodeError, fromUtf8, utf8 } from '../util/bytes.js';

/** A ticket and what we need to use it (Go's ClientSessionState). */
export interface ClientSession {
  readonly serverName: string;
  /** The opaque ticket, sent back as the PSK identity. */
  readonly ticket: Uint8Array;
  readonly psk: Uint8Array;
  /** The suite the ticket was issued under; resumption needs one with the same hash. */
  readonly cipherSuite: number;
  /** When we received the ticket, ms since the epoch (our clock). */
  readonly receivedAt: number;
  readonly lifetime: number;
  readonly ageAdd: number;
  /** How much 0-RTT data the server will take with this ticket (0: none). */
  readonly maxEarlyData: number;
  readonly alpn: string | undefined;
  /** The server's chain from the full handshake, shown again on resumption. */
  readonly peerCertificates: readonly Uint8Array[];
}

/** Where a client keeps its sessions (Go's ClientSessionCache). */
export interface SessionCache {
  get(serverName: string): ClientSession | undefined;
  put(serverName: string, session: ClientSession): void;
  delete(serverName: string, session: ClientSession): void;
}

/**
 * A least-recently-used cache holding up to `perName` tickets for each of
 * up to `capacity` server names. Servers usually send two tickets, so one
 * connection can be resumed twice with single-use tickets.
 */
export class LruSessionCache implements SessionCache {
  private readonly entries = new Map<string, ClientSession[]>();

  constructor(
    private readonly capacity = 64,
    private readonly perName = 4,
  ) {}

  get(serverName: string): ClientSession | undefined {
    const list = this.entries.get(serverName);
    if (!list || list.length === 0) return undefined;
    // Touch: move the name to the most recently used end.
    this.entries.delete(serverName);
    this.entries.set(serverName, list);
    return list[list.length - 1];
  }

  put(serverName: string, session: ClientSession): void {
    const list = this.entries.get(serverName) ?? [];
    list.push(session);
    if (list.length > this.perName) list.shift();
    this.entries.delete(serverName);
    this.entries.set(serverName, list);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(serverName: string, session: ClientSession): void {
    const list = this.entries.get(serverName);
    if (!list) return;
    const rest = list.filter((s) => s !== session);
    if (rest.length === 0) this.entries.delete(serverName);
    else this.entries.set(serverName, rest);
  }

  get size(): number {
    let n = 0;
    for (const list of this.entries.values()) n += list.length;
    return n;
  }
}

/** Whether a session can still be offered at `now` (§4.6.1: never past its lifetime). */
export function sessionUsable(session: ClientSession, now: number): boolean {
  return now >= session.receivedAt && now - session.receivedAt < session.lifetime * 1000;
}

/** The obfuscated_ticket_age of §4.2.11.1: our view of the ticket's age in ms, plus age_add, mod 2^32. */
export function obfuscatedTicketAge(session: ClientSession, now: number): number {
  return (Math.max(0, now - session.receivedAt) + session.ageAdd) >>> 0;
}

const MAGIC = utf8('tls13-session');
const FORMAT = 1;

/** Serialises a session (it contains the PSK: store it as you would a key). */
export function exportSession(session: ClientSession): Uint8Array {
  const w = new ByteWriter(512);
  w.bytes(MAGIC).u8(FORMAT).vec8(utf8(session.serverName)).vec16(session.ticket).vec8(session.psk);
  w.u16(session.cipherSuite).u32(Math.floor(session.receivedAt / 2 ** 32)).u32(session.receivedAt >>> 0);
  w.u32(session.lifetime).u32(session.ageAdd).u32(session.maxEarlyData).vec8(utf8(session.alpn ?? ''));
  w.nested(3, (list) => {
    for (const cert of session.peerCertificates) list.vec24(cert);
  });
  return w.finish();
}

export function importSession(bytes: Uint8Array): ClientSession {
  const r = new ByteReader(bytes);
  const magic = r.bytes(MAGIC.length, 'magic');
  if (fromUtf8(magic) !== 'tls13-session' || r.u8('format') !== FORMAT) {
    throw new DecodeError('not a tls13 session file (wrong magic or format version)');
  }
  const serverName = fromUtf8(r.vec8('server name'));
  const ticket = r.vec16('ticket', 1).slice();
  const psk = r.vec8('psk', 32, 64).slice();
  const cipherSuite = r.u16();
  const receivedAt = r.u32() * 2 ** 32 + r.u32();
  const lifetime = r.u32();
  const ageAdd = r.u32();
  const maxEarlyData = r.u32();
  const alpn = fromUtf8(r.vec8('alpn'));
  const certs = r.sub(3, 'peer certificates');
  const peerCertificates: Uint8Array[] = [];
  while (!certs.atEnd) peerCertificates.push(certs.vec24('certificate', 1).slice());
  r.end('session');
  return { serverName, ticket, psk, cipherSuite, receivedAt, lifetime, ageAdd, maxEarlyData, alpn: alpn || undefined, peerCertificates };
}
