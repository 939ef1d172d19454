/**
 * Stateless session tickets (RFC 8446 §4.6.1): the server seals what it
 * needs to resume a session into the ticket itself, under a ticket key only
 * it knows, so it keeps no per-session state.
 *
 * Ticket keys rotate: new tickets are sealed under the current key, and
 * tickets sealed under the previous key are still accepted, so rotation never
 * invalidates a ticket younger than one rotation period.
 */
import type { CryptoProvider, RandomSource } from '../crypto/provider.js';
import { ByteReader, ByteWriter, DecodeError, bytesEqual, fromUtf8, utf8 } from '../util/bytes.js';

/** Label of the HMAC that names a configured ticket key (see keyName). */
const KEY_NAME_LABEL = utf8('tls13 ticket key name');

/** RFC 8446 §4.6.1: servers MUST NOT use a lifetime over seven days. */
export const MAX_TICKET_LIFETIME_SECONDS = 604_800;

/** What a server needs to resume a session (Go's SessionState). */
export interface SessionState {
  /** The cipher suite of the original connection; a resumption must use one with the same hash. */
  readonly cipherSuite: number;
  /** The PSK: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce). */
  readonly psk: Uint8Array;
  /** When the ticket was issued, ms since the epoch (server clock). */
  readonly createdAt: number;
  /** Seconds the ticket is valid for. */
  readonly lifetime: number;
  /** Obfuscation added to the client's ticket age (§4.2.11.1). */
  readonly ageAdd: number;
  /** 0-RTT allowance carried in the ticket; 0 when the ticket allows none. */
  readonly maxEarlyData: number;
  /** ALPN protocol and SNI of the original connection; 0-RTT requires the same ones (§4.2.10). */
  readonly alpn: string | undefined;
  readonly serverName: string | undefined;
  /** The client's certificate chain (DER) if it authenticated, so resumption keeps the identity. */
  readonly peerCertificates: readonly Uint8Array[];
}

const STATE_VERSION = 1;

/** Encodes a SessionState for `wrapSession` hooks that store it elsewhere. */
export function encodeSessionState(state: SessionState): Uint8Array {
  const w = new ByteWriter(256);
  w.u8(STATE_VERSION).u16(state.cipherSuite).vec8(state.psk);
  w.u32(Math.floor(state.createdAt / 2 ** 32)).u32(state.createdAt >>> 0);
  w.u32(state.lifetime).u32(state.ageAdd).u32(state.maxEarlyData);
  w.vec8(utf8(state.alpn ?? '')).vec8(utf8(state.serverName ?? ''));
  w.nested(3, (list) => {
    for (const cert of state.peerCertificates) list.vec24(cert);
  });
  return w.finish();
}

export function decodeSessionState(bytes: Uint8Array): SessionState {
  const r = new ByteReader(bytes);
  if (r.u8('session version') !== STATE_VERSION) throw new DecodeError('session state: unknown version');
  const cipherSuite = r.u16();
  const psk = r.vec8('psk', 32, 64).slice();
  const createdAt = r.u32() * 2 ** 32 + r.u32();
  const lifetime = r.u32();
  const ageAdd = r.u32();
  const maxEarlyData = r.u32();
  const alpn = fromUtf8(r.vec8('alpn'));
  const serverName = fromUtf8(r.vec8('server name'));
  const certs = r.sub(3, 'peer certificates');
  const peerCertificates: Uint8Array[] = [];
  while (!certs.atEnd) peerCertificates.push(certs.vec24('certificate', 1).slice());
  r.end('session state');
  return {
    cipherSuite,
    psk,
    createdAt,
    lifetime,
    ageAdd,
    maxEarlyData,
    alpn: alpn || undefined,
    serverName: serverName || undefined,
    peerCertificates,
  };
}

/** One ticket-sealing key: a public name (so we know which key opens a ticket) and an AES-256 key. */
export interface TicketKey {
  readonly name: Uint8Array;
  readonly key: Uint8Array;
  readonly createdAt: number;
}

const KEY_NAME_LENGTH = 8;
const NONCE_LENGTH = 12;

/**
 * The server's ticket keys. Shared by every connection of a server config;
 * a fleet that wants tickets to work across machines sets `ticketKeys`
 * itself (or uses wrapSession/unwrapSession).
 */
export class TicketKeyring {
  private keys: TicketKey[] = [];
  private readonly random: RandomSource;

  constructor(
    provider: CryptoProvider,
    /** How long a key seals new tickets before the next one takes over (ms). */
    private readonly rotationMs: number,
    initial?: readonly Uint8Array[],
    random: RandomSource = provider.random,
  ) {
    this.random = random;
    for (const key of initial ?? []) {
      if (key.length !== 32) throw new RangeError('ticket keys must be 32 bytes');
      this.keys.push({ name: keyName(provider, key), key, createdAt: 0 });
    }
  }

  /** The key that seals new tickets, rotating when it is too old. */
  current(now: number): TicketKey {
    const newest = this.keys[0];
    if (newest && (newest.createdAt === 0 || now - newest.createdAt < this.rotationMs)) return newest;
    const fresh = { name: this.random(KEY_NAME_LENGTH), key: this.random(32), createdAt: now };
    // Keep the previous key so tickets it sealed stay valid for one more period.
    this.keys = newest ? [fresh, newest] : [fresh];
    return fresh;
  }

  find(name: Uint8Array): TicketKey | undefined {
    return this.keys.find((k) => bytesEqual(k.name, name));
  }
}

/**
 * The public name of a configured ticket key. Every ticket carries its key's
 * name in the clear, so the name must say nothing about the key: a one-way
 * function of it (HMAC under the key), the same on every server given the
 * same key, as a fleet sharing `ticketKeys` needs. Generated keys get a
 * random name instead.
 */
function keyName(provider: CryptoProvider, key: Uint8Array): Uint8Array {
  return provider.hmac(provider.hash('SHA-256'), key, KEY_NAME_LABEL).slice(0, KEY_NAME_LENGTH);
}

/** ticket = key name ‖ nonce ‖ AES-256-GCM(state), with the key name as AAD. */
export function sealTicket(provider: CryptoProvider, key: TicketKey, nonce: Uint8Array, state: SessionState): Uint8Array {
  const aead = provider.aead('AES-256-GCM').importKey(key.key);
  const sealed = aead.seal(nonce, encodeSessionState(state), key.name);
  const out = new Uint8Array(KEY_NAME_LENGTH + NONCE_LENGTH + sealed.length);
  out.set(key.name);
  out.set(nonce, KEY_NAME_LENGTH);
  out.set(sealed, KEY_NAME_LENGTH + NONCE_LENGTH);
  return out;
}

export const TICKET_NONCE_LENGTH = NONCE_LENGTH;

/** Opens a ticket we sealed; undefined for anything else (forged, expired key, corrupted). */
export function openTicket(provider: CryptoProvider, keyring: TicketKeyring, ticket: Uint8Array): SessionState | undefined {
  if (ticket.length < KEY_NAME_LENGTH + NONCE_LENGTH + 16) return undefined;
  const key = keyring.find(ticket.subarray(0, KEY_NAME_LENGTH));
  if (!key) return undefined;
  const aead = provider.aead('AES-256-GCM').importKey(key.key);
  const plain = aead.open(
    ticket.subarray(KEY_NAME_LENGTH, KEY_NAME_LENGTH + NONCE_LENGTH),
    ticket.subarray(KEY_NAME_LENGTH + NONCE_LENGTH),
    key.name,
  );
  if (!plain) return undefined;
  try {
    return decodeSessionState(plain);
  } catch {
    return undefined;
  }
}
