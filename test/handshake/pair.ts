/**
 * A small in-memory driver for the handshake tests: two sans-I/O connections
 * and the bytes between them. Independent of src/transport on purpose, so
 * these tests exercise nothing but the connections themselves.
 *
 *   const p = await handshake({ ca: ROOT }, { certificates: [leaf('p256')] }, 'localhost');
 *   expect(p.client.completed).toBe(true);
 *
 * Every receive() the driver makes is checked: an exception escaping a
 * connection is a bug (the design promises alerts, never throws), so the
 * driver records it in `escaped` and the tests assert that list is empty.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { CertificateInput, ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { KeySchedule } from '../../src/crypto/keySchedule.js';
import { cipherSuiteInfo } from '../../src/crypto/suites.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { TLSError } from '../../src/errors.js';
import { RecordDeframer, RecordOpener, encodePlaintextRecord, type RawRecord } from '../../src/record/index.js';
import { decodeHandshake, encodeHandshake, type ClientHello, type HandshakeMessage } from '../../src/wire/index.js';
import { ContentType, alertName, type AlertName } from '../../src/registry.js';
import { concat, fromHex } from '../../src/util/bytes.js';
import type { ClientOptions } from '../../src/handshake/client.js';

export type AnyConnection = ClientConnection | ServerConnection;

// ------------------------------------------------------------------ fixtures

export const PKI_DIR = fileURLToPath(new URL('../fixtures/pki/', import.meta.url));

export function pkiText(file: string): string {
  return readFileSync(PKI_DIR + file, 'utf8');
}

/** The main trust anchor (ECDSA P-256 root) as PEM text. */
export const ROOT = pkiText('root-ec.pem');
/** The intermediate every main-hierarchy leaf hangs below. */
export const INTERMEDIATE = pkiText('int-ec.pem');
/** An unrelated root with the real root's name but another key. */
export const IMPOSTOR_ROOT = pkiText('root-impostor.pem');

/** A moment when every "valid" fixture (2025-01-01 .. 2125-01-01) is current. */
export const NOW = new Date('2026-06-01T00:00:00Z');
export const now = (): Date => NOW;

/**
 * A certificate input from the fixture directory: `<leaf>.pem` then each
 * intermediate's PEM (default: the main intermediate), and `<leaf>.key`.
 */
export function certified(leaf: string, intermediates: readonly string[] = ['int-ec']): CertificateInput {
  const chain = [leaf, ...intermediates].map((n) => pkiText(`${n}.pem`)).join('');
  return { cert: chain, key: pkiText(`${leaf}.key`) };
}

// --------------------------------------------------------------- endpoints

/** A connection plus everything it raised and what its receive() threw. */
export class Endpoint<C extends AnyConnection = AnyConnection> {
  readonly events: ConnectionEvent[] = [];
  /** Exceptions that escaped receive(): must stay empty. */
  readonly escaped: unknown[] = [];

  constructor(
    readonly conn: C,
    readonly name: 'client' | 'server',
  ) {}

  /** Moves the connection's new events into `events`. */
  poll(): ConnectionEvent[] {
    const fresh = this.conn.events();
    this.events.push(...fresh);
    return fresh;
  }

  /** Feeds bytes, recording (not propagating) anything that escapes. */
  receive(bytes: Uint8Array): void {
    try {
      this.conn.receive(bytes);
    } catch (err) {
      this.escaped.push(err);
    }
  }

  get data(): Uint8Array {
    return concat(...this.events.flatMap((e) => (e.type === 'data' ? [e.bytes] : [])));
  }

  get dataEvents(): ConnectionEvent[] {
    return this.events.filter((e) => e.type === 'data');
  }

  get completed(): boolean {
    return this.events.some((e) => e.type === 'handshake');
  }

  get error(): TLSError | undefined {
    return this.conn.error;
  }

  /** Events of one type. */
  ofType<T extends ConnectionEvent['type']>(type: T): Extract<ConnectionEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);
  }
}

export type ClientEndpoint = Endpoint<ClientConnection>;
export type ServerEndpoint = Endpoint<ServerConnection>;

/** Which side sent a transfer, and the bytes (a tamper hook may replace them). */
export type Tamper = (from: 'client' | 'server', bytes: Uint8Array, round: number) => Uint8Array;

export interface DriveOptions {
  readonly tamper?: Tamper;
  /** Round trips before giving up (default 64). */
  readonly maxRounds?: number;
  /** Deliver each transfer in pieces of at most this many bytes. */
  readonly chunk?: number;
}

/** What moved over the "wire" in each direction, transfer by transfer. */
export interface Wire {
  readonly toServer: Uint8Array[];
  readonly toClient: Uint8Array[];
}

export interface Pair {
  readonly client: ClientEndpoint;
  readonly server: ServerEndpoint;
  readonly wire: Wire;
}

export function newPair(clientConfig: ClientConfig, serverConfig: ServerConfig, options: ClientOptions | string = {}): Pair {
  const opts = typeof options === 'string' ? { serverName: options } : options;
  return {
    client: new Endpoint(new ClientConnection(clientConfig, opts), 'client'),
    server: new Endpoint(new ServerConnection(serverConfig), 'server'),
    wire: { toServer: [], toClient: [] },
  };
}

async function deliver(from: Endpoint, to: Endpoint, options: DriveOptions, round: number, log: Uint8Array[]): Promise<number> {
  await from.conn.settled();
  let bytes = from.conn.takeOutgoing();
  if (bytes.length === 0) return 0;
  if (options.tamper) bytes = options.tamper(from.name, bytes, round);
  log.push(bytes);
  const step = options.chunk ?? (bytes.length || 1);
  for (let at = 0; at < bytes.length; at += step) {
    to.receive(bytes.subarray(at, at + step));
    await to.conn.settled();
  }
  return Math.max(bytes.length, 1);
}

/** Shuttles bytes both ways until neither side has anything to send. */
export async function drive(pair: Pair, options: DriveOptions = {}): Promise<number> {
  const max = options.maxRounds ?? 64;
  for (let round = 0; round < max; round++) {
    const a = await deliver(pair.client, pair.server, options, round, pair.wire.toServer);
    const b = await deliver(pair.server, pair.client, options, round, pair.wire.toClient);
    pair.client.poll();
    pair.server.poll();
    if (a === 0 && b === 0) return round;
  }
  throw new Error(`drive: still talking after ${max} round trips`);
}

/** Creates a pair and runs the handshake (successful or not). */
export async function handshake(
  clientConfig: ClientConfig,
  serverConfig: ServerConfig,
  options: ClientOptions | string = 'localhost',
  driveOptions: DriveOptions = {},
): Promise<Pair> {
  const pair = newPair(clientConfig, serverConfig, options);
  await drive(pair, driveOptions);
  return pair;
}

/** Writes on both sides, drives, and checks each side got exactly the other's bytes. */
export async function exchangeData(pair: Pair, toServer: Uint8Array, toClient: Uint8Array): Promise<void> {
  const before = { s: pair.server.data.length, c: pair.client.data.length };
  pair.client.conn.write(toServer);
  pair.server.conn.write(toClient);
  await drive(pair);
  expectBytes(pair.server.data.subarray(before.s), toServer, 'data received by the server');
  expectBytes(pair.client.data.subarray(before.c), toClient, 'data received by the client');
}

// ----------------------------------------------------------------- asserts

/** Asserts both sides completed the handshake without error. */
export function expectConnected(pair: Pair): void {
  for (const side of [pair.client, pair.server]) {
    expect(side.escaped, `${side.name}: exception escaped receive()`).toEqual([]);
    expect(side.error, `${side.name} failed: ${side.error?.alert} ${side.error?.message}`).toBeUndefined();
    expect(side.completed, `${side.name} did not complete the handshake`).toBe(true);
  }
}

/**
 * Asserts `side` failed with `alert` raised locally, is closed, delivered no
 * application data and let no exception escape; and, when the other side is
 * a real connection, that it received the same alert from the wire.
 */
export function expectFailed(side: Endpoint, alert: AlertName, peer?: Endpoint): TLSError {
  expect(side.escaped, `${side.name}: exception escaped receive()`).toEqual([]);
  const err = side.error;
  expect(err, `${side.name} should have failed with ${alert}`).toBeInstanceOf(TLSError);
  expect(`${err!.alert}: ${err!.message}`).toMatch(new RegExp(`^${alert}:`));
  expect(err!.side).toBe('local');
  expect(side.conn.closed).toBe(true);
  expect(side.completed).toBe(false);
  expect(side.dataEvents).toEqual([]);
  expect(side.ofType('error').map((e) => e.error)).toEqual([err]);
  expect(side.ofType('close')).toHaveLength(1);
  if (peer) expectRemoteAlert(peer, alert);
  return err!;
}

/** Asserts the peer got `alert` over the wire and failed with it (side 'remote'). */
export function expectRemoteAlert(peer: Endpoint, alert: AlertName): void {
  expect(peer.escaped, `${peer.name}: exception escaped receive()`).toEqual([]);
  const err = peer.error;
  expect(err, `${peer.name} should have received ${alert}`).toBeInstanceOf(TLSError);
  expect(`${err!.side} ${err!.alert}`).toBe(`remote ${alert}`);
  expect(peer.conn.closed).toBe(true);
}

// --------------------------------------------------------- wire inspection

/** Cuts bytes into records. */
export function records(bytes: Uint8Array): RawRecord[] {
  const d = new RecordDeframer({ maxBufferedBytes: Infinity });
  d.push(bytes);
  const out: RawRecord[] = [];
  for (let r = d.next(); r; r = d.next()) out.push(r);
  return out;
}

/** Alerts sent in the clear in these bytes. */
export function plaintextAlerts(bytes: Uint8Array): AlertName[] {
  return records(bytes)
    .filter((r) => r.type === ContentType.alert)
    .map((r) => alertName(r.fragment[1]!) ?? (`alert ${r.fragment[1]}` as AlertName));
}

/** A key log collector (NSS format) that can derive record keys from it. */
export class KeyLog {
  readonly lines: string[] = [];
  readonly log = (line: string): void => {
    this.lines.push(line);
  };

  secret(label: string): Uint8Array | undefined {
    const line = this.lines.find((l) => l.startsWith(label + ' '));
    return line ? fromHex(line.split(' ')[2]!) : undefined;
  }

  /** A record opener for the records protected under `label`'s secret. */
  opener(label: string, suite: number, provider: CryptoProvider = nobleCrypto): RecordOpener {
    const secret = this.secret(label);
    if (!secret) throw new Error(`no ${label} in the key log`);
    const info = cipherSuiteInfo(suite)!;
    const ks = new KeySchedule(provider, provider.hash(info.hash));
    return new RecordOpener(provider, info.aead, ks.trafficKeys(secret, info.keyLength, info.ivLength));
  }
}

/** Bytes 0..n-1, a recognisable payload. */
export function payload(n: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff);
}

// ------------------------------------------------------- async crypto, PRNG

function later<T>(ms: number, f: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    setTimeout(() => {
      Promise.resolve()
        .then(f)
        .then(resolve, reject);
    }, ms);
  });
}

/** A hook answer that arrives after `ms` milliseconds (a remote store, a slow policy). */
export function delayed<T>(ms: number, value: () => T | Promise<T>): Promise<T> {
  return later(ms, value);
}

/**
 * The noble provider with every key exchange and signature operation made
 * asynchronous (as WebCrypto is): the connection must wait in its state.
 */
export function asyncCrypto(base: CryptoProvider = nobleCrypto, ms = 0): CryptoProvider {
  return {
    ...base,
    name: `${base.name} (async)`,
    keyExchange(group) {
      const kx = base.keyExchange(group);
      if (!kx) return undefined;
      return Object.assign(Object.create(kx) as typeof kx, {
        generate: (random: (n: number) => Uint8Array) => later(ms, () => kx.generate(random)),
        decapsulate: (priv: Uint8Array, share: Uint8Array) => later(ms, () => kx.decapsulate(priv, share)),
        encapsulate: (share: Uint8Array, random: (n: number) => Uint8Array) => later(ms, () => kx.encapsulate(share, random)),
      });
    },
    signature(scheme) {
      const sig = base.signature(scheme);
      if (!sig) return undefined;
      return Object.assign(Object.create(sig) as typeof sig, {
        sign: (...args: Parameters<typeof sig.sign>) => later(ms, () => sig.sign(...args)),
        verify: (...args: Parameters<typeof sig.verify>) => later(ms, () => sig.verify(...args)),
      });
    },
  };
}

/** A deterministic random source (xorshift32), for reproducible handshakes. */
export function seededRandom(seed: number): (length: number) => Uint8Array {
  let x = seed >>> 0 || 0x9e3779b9;
  return (length: number) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

// ------------------------------------------------- handshake stream rewriting

/**
 * Rewrites the handshake messages `side` writes to its record layer: `edit`
 * gets each whole message (header included) with its type and index, and
 * returns what to write instead (nothing to drop it, several to add some).
 * The side's own transcript is unaffected, so this models a peer that
 * misbehaves at the message-sequence level while keeping correct keys.
 */
export function rewriteHandshake(
  side: Endpoint,
  edit: (message: Uint8Array, type: number, index: number) => readonly Uint8Array[],
): void {
  const record = side.conn.record;
  const original = record.writeHandshake.bind(record);
  let index = 0;
  record.writeHandshake = (message: Uint8Array, options?: { legacyRecordVersion?: number }) => {
    for (const m of edit(message, message[0]!, index++)) original(m, options ?? {});
  };
}

/**
 * Calls `after` each time `side` installs new write keys (the n-th install
 * is numbered from 1: handshake keys, then application keys, then updates).
 */
export function onWriteKeys(side: Endpoint, after: (n: number) => void): void {
  const record = side.conn.record;
  const original = record.setWriteKeys.bind(record) as (...a: unknown[]) => void;
  let n = 0;
  (record as { setWriteKeys: (...a: unknown[]) => void }).setWriteKeys = (...args: unknown[]) => {
    original(...args);
    if (args[0] !== undefined) after(++n);
  };
}

/**
 * Makes the server send `bytes` of application data right after its
 * Finished, under its application keys (0.5-RTT data, RFC 8446 §2): a client
 * must deliver it only once the server's Finished has verified.
 */
export function sendHalfRttData(server: Endpoint, bytes: Uint8Array): void {
  onWriteKeys(server, (n) => {
    if (n === 2) server.conn.record.writeApplicationData(bytes);
  });
}

// ------------------------------------------------------ crafting plaintext

/** The handshake messages in the plaintext handshake records of `bytes`, decoded. */
export function plaintextMessages(bytes: Uint8Array): HandshakeMessage[] {
  const data = concat(...records(bytes).filter((r) => r.type === ContentType.handshake).map((r) => r.fragment));
  const out: HandshakeMessage[] = [];
  for (let at = 0; at + 4 <= data.length; ) {
    const len = (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!;
    out.push(decodeHandshake(data.subarray(at, at + 4 + len)));
    at += 4 + len;
  }
  return out;
}

/** One plaintext record of `type` (default handshake) holding `body`. */
export function plaintextRecord(body: Uint8Array | HandshakeMessage, type: number = ContentType.handshake): Uint8Array {
  const bytes = body instanceof Uint8Array ? body : encodeHandshake(body);
  return encodePlaintextRecord(type, bytes);
}

/** The compatibility ChangeCipherSpec record. */
export const CCS_RECORD = Uint8Array.of(20, 3, 3, 0, 1, 1);

/**
 * Byte-for-byte equality that stays fast for megabytes (a generic deep
 * equal walks typed arrays element by element) and reports the first
 * difference.
 */
export function expectBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  let first = -1;
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      first = i;
      break;
    }
  }
  expect({ what, length: actual.length, firstDifference: first }).toEqual({ what, length: expected.length, firstDifference: -1 });
}

// ------------------------------------------------------- scripted endpoints

/** A client that has sent its ClientHello, with nobody answering yet. */
export function startClient(config: ClientConfig, serverName = 'localhost'): { client: ClientEndpoint; hello: ClientHello; bytes: Uint8Array } {
  const client = new Endpoint(new ClientConnection(config, { serverName }), 'client');
  const bytes = client.conn.takeOutgoing();
  const hello = plaintextMessages(bytes).find((m): m is ClientHello => m.type === 'client_hello')!;
  return { client, hello, bytes };
}

/** Feeds bytes to one endpoint, waits for it, and collects its events. */
export async function feed(side: Endpoint, bytes: Uint8Array): Promise<void> {
  side.receive(bytes);
  await side.conn.settled();
  side.poll();
}
