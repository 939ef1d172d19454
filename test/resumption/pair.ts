/**
 * A small in-memory driver for the resumption tests: two sans-I/O
 * connections, an injectable clock, and the bytes that moved between them.
 *
 *   const clock = new Clock();
 *   const server = serverConfig(clock, { maxEarlyData: 1024 });
 *   const client = clientConfig(clock, { enableEarlyData: true });
 *   await connect(client, server);                       // full handshake, tickets cached
 *   const second = await connect(client, server, { early: utf8('GET /') });
 *
 * Every receive() is wrapped: an exception escaping a connection is a bug
 * (the design promises alerts, never throws), so it is recorded in `thrown`
 * and `expectClean` asserts that list is empty.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { CertificateInput, ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import type { TLSError } from '../../src/errors.js';
import type { ClientOptions } from '../../src/handshake/client.js';
import type { ClientSession } from '../../src/handshake/sessions.js';
import { ContentType, NamedGroup } from '../../src/registry.js';
import { concat } from '../../src/util/bytes.js';
import { type ClientHello, type HandshakeMessage, decodeHandshake } from '../../src/wire/index.js';

// ------------------------------------------------------------------ fixtures

const PKI = fileURLToPath(new URL('../fixtures/pki/', import.meta.url));
export const pem = (name: string): string => readFileSync(`${PKI}${name}`, 'utf8');

export const ROOT = pem('root-ec.pem');
/** leaf-p256 (SAN localhost, p256.test) with its intermediate. */
export const SERVER_CERT: CertificateInput = { cert: pem('leaf-p256.pem') + pem('int-ec.pem'), key: pem('leaf-p256.key') };
/** leaf-client (clientAuth EKU) with its intermediate. */
export const CLIENT_CERT: CertificateInput = { cert: pem('leaf-client.pem') + pem('int-ec.pem'), key: pem('leaf-client.key') };

/** A clock tests move by hand; every fixture certificate is valid at its start. */
export class Clock {
  t = Date.parse('2026-06-01T00:00:00Z');
  readonly now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Two classical groups keep handshakes fast; tests that want a HelloRetryRequest narrow the server's list. */
const FAST_GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1];

export function serverConfig(clock: Clock, extra: Partial<ServerConfig> = {}): ServerConfig {
  return { certificates: [SERVER_CERT], groups: FAST_GROUPS, now: clock.now, ...extra };
}

export function clientConfig(clock: Clock, extra: Partial<ClientConfig> = {}): ClientConfig {
  return { ca: ROOT, groups: FAST_GROUPS, keyShareGroups: [NamedGroup.x25519], now: clock.now, ...extra };
}

// ----------------------------------------------------------------- endpoints

export class Peer<C extends ClientConnection | ServerConnection> {
  readonly events: ConnectionEvent[] = [];
  readonly thrown: unknown[] = [];
  constructor(readonly conn: C) {}

  poll(): void {
    this.events.push(...this.conn.events());
  }

  receive(bytes: Uint8Array): void {
    try {
      this.conn.receive(bytes);
    } catch (err) {
      this.thrown.push(err);
    }
  }

  ofType<T extends ConnectionEvent['type']>(type: T): Extract<ConnectionEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);
  }

  /** Application bytes delivered with the given `early` flag, concatenated. */
  data(early: boolean): Uint8Array {
    return concat(...this.ofType('data').filter((e) => e.early === early).map((e) => e.bytes));
  }

  get completed(): boolean {
    return this.events.some((e) => e.type === 'handshake');
  }

  get error(): TLSError | undefined {
    return this.conn.error;
  }
}

export interface Link {
  readonly client: Peer<ClientConnection>;
  readonly server: Peer<ServerConnection>;
  /** Each transfer client → server, as it went on the wire (after tampering). */
  readonly toServer: Uint8Array[];
  readonly toClient: Uint8Array[];
}

export type Tamper = (from: 'client' | 'server', bytes: Uint8Array, round: number) => Uint8Array;

export interface ConnectOptions extends ClientOptions {
  /** Written before the handshake: 0-RTT when the ticket allows it. */
  readonly early?: Uint8Array;
  readonly tamper?: Tamper;
}

/** A client and a server connection, not yet driven (the ClientHello is already queued). */
export function link(client: ClientConfig, server: ServerConfig, options: ClientOptions = { serverName: 'localhost' }): Link {
  return {
    client: new Peer(new ClientConnection(client, options)),
    server: new Peer(new ServerConnection(server)),
    toServer: [],
    toClient: [],
  };
}

/** Moves bytes both ways, settling after each step, until neither side has anything to send. */
export async function run(l: Link, tamper?: Tamper): Promise<void> {
  for (let round = 0; round < 50; round++) {
    await l.client.conn.settled();
    let up = l.client.conn.takeOutgoing();
    if (up.length > 0) {
      if (tamper) up = tamper('client', up, round);
      l.toServer.push(up);
      l.server.receive(up);
    }
    await l.server.conn.settled();
    let down = l.server.conn.takeOutgoing();
    if (down.length > 0) {
      if (tamper) down = tamper('server', down, round);
      l.toClient.push(down);
      l.client.receive(down);
    }
    await l.client.conn.settled();
    l.client.poll();
    l.server.poll();
    if (up.length === 0 && down.length === 0) return;
  }
  throw new Error('run: the connections are still talking after 50 rounds');
}

/** Creates a link, writes `early` (if any) before the handshake, and runs it to quiet. */
export async function connect(client: ClientConfig, server: ServerConfig, options: ConnectOptions = {}): Promise<Link> {
  const { early, tamper, ...clientOptions } = options;
  const l = link(client, server, { serverName: 'localhost', ...clientOptions });
  if (early) l.client.conn.write(early);
  await run(l, tamper);
  return l;
}

/** Both sides completed without error, and nothing escaped receive(). */
export function expectClean(l: Link): void {
  for (const [name, p] of [['client', l.client], ['server', l.server]] as const) {
    expect(p.thrown, `${name}: exception escaped receive()`).toEqual([]);
    expect(p.error, `${name} failed: ${p.error?.alert} ${p.error?.message}`).toBeUndefined();
    expect(p.completed, `${name} did not complete`).toBe(true);
  }
}

/** Both sides agree whether the handshake resumed and whether 0-RTT was accepted. */
export function expectResumed(l: Link, resumed: boolean, earlyAccepted = false): void {
  expectClean(l);
  expect({ client: l.client.conn.state.resumed, server: l.server.conn.state.resumed }).toEqual({ client: resumed, server: resumed });
  expect({ client: l.client.conn.state.earlyDataAccepted, server: l.server.conn.state.earlyDataAccepted }).toEqual({
    client: earlyAccepted,
    server: earlyAccepted,
  });
}

/** The sessions the client was given ('ticket' events). */
export function tickets(l: Link): ClientSession[] {
  return l.client.ofType('ticket').map((e) => e.session);
}

/**
 * A full handshake; returns the newest ticket it brought (the one a
 * LruSessionCache hands out first). Fails the test if none arrived.
 */
export async function firstSession(client: ClientConfig, server: ServerConfig, options: ConnectOptions = {}): Promise<ClientSession> {
  const l = await connect(client, server, options);
  expectResumed(l, false);
  const t = tickets(l);
  expect(t.length).toBeGreaterThan(0);
  return t[t.length - 1]!;
}

/** Application data the server read, delivered as `early` chunks, and the order of data vs the 'handshake' event. */
export function serverTimeline(l: Link): string[] {
  return l.server.events.flatMap((e) =>
    e.type === 'data' ? [e.early ? 'early' : 'late'] : e.type === 'handshake' ? ['handshake'] : [],
  );
}

/** Bytes 0..n-1 in a recognisable pattern. */
export function bytes(n: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed * 13 + (i >> 8)) & 0xff);
}

/** Splits TLS records out of a byte stream (type, and the whole record). */
export function splitRecords(data: Uint8Array): { type: number; raw: Uint8Array }[] {
  const out: { type: number; raw: Uint8Array }[] = [];
  for (let at = 0; at + 5 <= data.length; ) {
    const len = (data[at + 3]! << 8) | data[at + 4]!;
    out.push({ type: data[at]!, raw: data.subarray(at, at + 5 + len) });
    at += 5 + len;
  }
  return out;
}

/** The plaintext handshake messages in `transfers` (ClientHellos, ServerHello/HelloRetryRequest), decoded. */
export function plaintextHandshakes(transfers: readonly Uint8Array[]): HandshakeMessage[] {
  const body = concat(
    ...transfers.flatMap((t) => splitRecords(t)).filter((r) => r.type === ContentType.handshake).map((r) => r.raw.subarray(5)),
  );
  const out: HandshakeMessage[] = [];
  for (let at = 0; at + 4 <= body.length; ) {
    const len = (body[at + 1]! << 16) | (body[at + 2]! << 8) | body[at + 3]!;
    out.push(decodeHandshake(body.subarray(at, at + 4 + len)));
    at += 4 + len;
  }
  return out;
}

export function clientHellos(l: Link): ClientHello[] {
  return plaintextHandshakes(l.toServer).filter((m): m is ClientHello => m.type === 'client_hello');
}

/** The number of HelloRetryRequests the server sent. */
export function retries(l: Link): number {
  return plaintextHandshakes(l.toClient).filter((m) => m.type === 'server_hello' && m.helloRetryRequest).length;
}
