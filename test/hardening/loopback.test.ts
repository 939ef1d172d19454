/**
 * Slow and hostile peers against the Node server on loopback (issue 8,
 * part 4): a byte-at-a-time client, peers that never finish the handshake,
 * a KeyUpdate flood, a warning-alert flood, ClientHellos with thousands of
 * extensions, a forged ticket and a replayed 0-RTT flight — while an honest
 * client keeps connecting, and its handshake latency is measured against a
 * quiet baseline.
 *
 * Everything listens on 127.0.0.1 with an ephemeral port; every loop is
 * bounded; every socket and the server are closed in afterAll. The attackers
 * run in this process, so their own work (sealing records) competes for the
 * same event loop as the server: the latency figures are an upper bound.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientConnection, type ConnectionEvent } from '../../src/connection.js';
import type { TraceEntry } from '../../src/handshake/events.js';
import type { ReplayCache } from '../../src/handshake/antiReplay.js';
import { importSession, type ClientSession } from '../../src/handshake/sessions.js';
import { AlertDescription, AlertLevel, ContentType, NamedGroup } from '../../src/registry.js';
import { connect, createServer, type Server, type TLSSocket } from '../../src/transport/node.js';
import { decodeHandshake, encodeHandshake, type ClientHello } from '../../src/wire/index.js';
import { forgerFor } from './helpers.js';
import { ROOT_PEM, SERVER_CERT, SERVER_NAME, TICKET_KEY } from './scenarios.js';
import { concat, plaintextRecord, splitRecords } from './streams.js';

const NOW = (): Date => new Date('2026-06-01T00:00:00Z');
const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1];
const HANDSHAKE_TIMEOUT = 800;

let server: Server;
let port = 0;
const raws = new Set<net.Socket>();
const tls = new Set<TLSSocket>();
const clientErrors: { code: string | undefined; message: string }[] = [];
let earlyReadKeys = 0;
const replayDecisions: boolean[] = [];

const seen = new Map<string, number>();
const countingReplayCache: ReplayCache = {
  firstUse(id, expiresAt, now) {
    const key = Buffer.from(id).toString('hex');
    const first = !seen.has(key) || seen.get(key)! <= now;
    if (first) seen.set(key, expiresAt);
    replayDecisions.push(first);
    return first;
  },
};

beforeAll(async () => {
  server = createServer(
    {
      certificates: [SERVER_CERT],
      groups: GROUPS,
      now: NOW,
      ticketKeys: [TICKET_KEY],
      maxEarlyData: 1024,
      antiReplay: countingReplayCache,
      handshakeTimeout: HANDSHAKE_TIMEOUT,
      trace: (e: TraceEntry) => {
        if (e.kind === 'keys' && e.level === 'early' && e.direction === 'read') earlyReadKeys++;
      },
    },
    (socket) => {
      tls.add(socket);
      socket.on('error', () => {});
      socket.on('data', (d: Buffer) => {
        if (!socket.destroyed && socket.writable) socket.write(d);
      });
    },
  );
  server.on('connection', (raw: net.Socket) => raws.add(raw));
  server.on('tlsClientError', (err: Error & { code?: string }) => clientErrors.push({ code: err.code, message: err.message }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const s of tls) s.destroy();
  for (const s of raws) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function dial(): net.Socket {
  const s = net.connect({ host: '127.0.0.1', port });
  s.setNoDelay(true);
  s.on('error', () => {});
  raws.add(s);
  return s;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One honest connection: handshake, then an echo round trip. Resolves with the milliseconds it took. */
function honestClient(options: { session?: ClientSession | Buffer } = {}): Promise<{ ms: number; resumed: boolean }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: SERVER_NAME,
      ca: ROOT_PEM,
      now: NOW,
      groups: GROUPS,
      keyShareGroups: [NamedGroup.x25519],
      sessionCache: false,
      ...(options.session ? { session: options.session } : {}),
    });
    tls.add(socket);
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      socket.write('ping');
      socket.once('data', () => {
        const ms = performance.now() - t0;
        const resumed = socket.isSessionReused();
        socket.destroy();
        resolve({ ms, resumed });
      });
    });
  });
}

async function latencies(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await honestClient()).ms);
  return out;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A sans-I/O client over a raw socket, so a test can write whatever it likes once the handshake is done. */
function rawClient(options: { keyLog?: string[]; byteDelayMs?: number; session?: ClientSession; early?: Uint8Array } = {}): {
  conn: ClientConnection;
  socket: net.Socket;
  events: ConnectionEvent[];
  firstFlight: Uint8Array;
  handshake: Promise<void>;
} {
  const keyLog = options.keyLog;
  const conn = new ClientConnection(
    {
      ca: ROOT_PEM,
      now: NOW,
      groups: GROUPS,
      keyShareGroups: [NamedGroup.x25519],
      sessionCache: false,
      ...(options.early ? { enableEarlyData: true } : {}),
      ...(keyLog ? { keyLog: (l: string) => keyLog.push(l) } : {}),
    },
    { serverName: SERVER_NAME, ...(options.session ? { session: options.session } : {}) },
  );
  if (options.early) conn.write(options.early);
  const socket = dial();
  const events: ConnectionEvent[] = [];
  const firstFlight = conn.takeOutgoing();
  const send = async (bytes: Uint8Array): Promise<void> => {
    if (!options.byteDelayMs) {
      socket.write(bytes);
      return;
    }
    for (const b of bytes) {
      if (socket.destroyed) return;
      socket.write(Uint8Array.of(b));
      await sleep(options.byteDelayMs);
    }
  };
  const handshake = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => void send(firstFlight));
    socket.on('data', (chunk: Buffer) => {
      conn.receive(chunk);
      const fresh = conn.events();
      events.push(...fresh);
      void send(conn.takeOutgoing());
      if (fresh.some((e) => e.type === 'handshake')) resolve();
      const err = fresh.find((e) => e.type === 'error');
      if (err && err.type === 'error') reject(err.error);
    });
    socket.once('close', () => reject(new Error('closed before the handshake completed')));
  });
  handshake.catch(() => {});
  return { conn, socket, events, firstFlight, handshake };
}

function bigClientHello(extensions: number): Uint8Array {
  const conn = new ClientConnection({ ca: ROOT_PEM, now: NOW, groups: GROUPS, keyShareGroups: [NamedGroup.x25519], sessionCache: false }, { serverName: SERVER_NAME });
  const records = splitRecords(conn.takeOutgoing()).filter((r) => r.type === ContentType.handshake);
  const hello = decodeHandshake(concat(records.map((r) => r.raw.subarray(5)))) as ClientHello;
  const junk = Array.from({ length: extensions }, (_, i) => ({ type: 'unknown' as const, code: 0x4000 + i, data: new Uint8Array(0) }));
  const bytes = encodeHandshake({ ...hello, extensions: [...junk, ...hello.extensions] });
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 2 ** 14) out.push(plaintextRecord(ContentType.handshake, bytes.subarray(at, at + 2 ** 14)));
  return concat(out);
}

describe('slow and hostile peers on loopback', () => {
  let baseline: number[] = [];
  let session: ClientSession;

  it('baseline: an honest client on a quiet server', async () => {
    await latencies(2); // warm-up
    baseline = await latencies(5);
    console.log(`loopback: honest handshake + echo on a quiet server, median ${median(baseline).toFixed(0)} ms (${baseline.map((x) => x.toFixed(0)).join(', ')})`);
    expect(median(baseline)).toBeLessThan(2000);
  });

  it('a client that sends one byte at a time completes its handshake', async () => {
    const slow = rawClient({ byteDelayMs: 1 });
    const t0 = performance.now();
    await slow.handshake;
    console.log(`loopback: byte-at-a-time client completed in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(slow.conn.handshakeComplete).toBe(true);
    slow.socket.destroy();
  });

  it('peers that never finish the handshake are cut off by the handshake timeout', async () => {
    const before = clientErrors.length;
    const stalled = Array.from({ length: 10 }, () => {
      const s = dial();
      // Half a ClientHello record header, then silence.
      s.once('connect', () => s.write(Uint8Array.of(22, 3, 1)));
      return new Promise<number>((resolve) => {
        const t0 = performance.now();
        s.once('close', () => resolve(performance.now() - t0));
      });
    });
    const closedAfter = await Promise.all(stalled);
    const timeouts = clientErrors.slice(before).filter((e) => e.code === 'ERR_TLS_HANDSHAKE_TIMEOUT').length;
    console.log(`loopback: 10 stalled peers closed after ${Math.min(...closedAfter).toFixed(0)}..${Math.max(...closedAfter).toFixed(0)} ms (timeout ${HANDSHAKE_TIMEOUT} ms)`);
    expect(timeouts).toBe(10);
    for (const ms of closedAfter) {
      expect(ms).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT - 50);
      expect(ms).toBeLessThan(HANDSHAKE_TIMEOUT + 3000);
    }
  });

  it('a forged ticket falls back to a full handshake', async () => {
    // A genuine session first (for the 0-RTT test below).
    const got = await new Promise<Buffer>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, servername: SERVER_NAME, ca: ROOT_PEM, now: NOW, groups: GROUPS, sessionCache: false });
      tls.add(s);
      s.once('error', reject);
      s.once('session', (bytes: Buffer) => {
        resolve(bytes);
        s.destroy();
      });
    });
    session = importSession(got);
    const forged: ClientSession = { ...session, ticket: new Uint8Array(session.ticket.length).fill(0x5a) };
    const result = await honestClient({ session: forged });
    expect(result.resumed).toBe(false);
    const tampered: ClientSession = { ...session, psk: new Uint8Array(session.psk.length).fill(1) };
    // A real ticket with the wrong PSK: the binder fails, and that is fatal (§4.2.11: decrypt_error).
    await expect(honestClient({ session: tampered })).rejects.toThrow();
    const genuine = await honestClient({ session });
    expect(genuine.resumed).toBe(true);
  });

  it('a replayed 0-RTT flight: early data is accepted once only', async () => {
    const early = new TextEncoder().encode('POST /transfer?amount=100');
    const before = { keys: earlyReadKeys, decisions: replayDecisions.length };
    const genuine = rawClient({ session, early });
    await genuine.handshake;
    expect(genuine.conn.state.earlyDataAccepted).toBe(true);
    // The attacker recorded the first flight (ClientHello, CCS, early data) and replays it twice.
    for (let i = 0; i < 2; i++) {
      const replay = dial();
      await new Promise<void>((resolve) => replay.once('connect', () => resolve()));
      replay.write(genuine.firstFlight);
    }
    await sleep(300);
    const decisions = replayDecisions.slice(before.decisions);
    console.log(`loopback: 0-RTT first flight sent 3 times; anti-replay answers ${decisions.join(', ')}; early keys installed ${earlyReadKeys - before.keys} time(s)`);
    expect(decisions).toEqual([true, false, false]);
    expect(earlyReadKeys - before.keys).toBe(1);
    genuine.socket.destroy();
  });

  it('the server stays responsive to honest clients during KeyUpdate, alert and big-ClientHello floods', async () => {
    // KeyUpdate flood: a genuine client that then rekeys up to 2 000 times, each asking the server to answer;
    // the server cuts it off after MAX_KEY_UPDATES_WITHOUT_DATA.
    const keyUpdater = rawClient();
    const alerterLog: string[] = [];
    const alerter = rawClient({ keyLog: alerterLog });
    await Promise.all([keyUpdater.handshake, alerter.handshake]);
    let running = true;
    const floods: Promise<void>[] = [];
    let keyUpdates = 0;
    let alerts = 0;
    let bigHellos = 0;
    floods.push(
      (async () => {
        for (let i = 0; i < 40 && running && !keyUpdater.conn.error; i++) {
          for (let k = 0; k < 50; k++) keyUpdater.conn.updateKeys(true);
          keyUpdates += 50;
          keyUpdater.socket.write(keyUpdater.conn.takeOutgoing());
          await sleep(5);
        }
      })(),
    );
    floods.push(
      (async () => {
        const f = forgerFor(alerter.conn, alerterLog);
        for (let i = 0; i < 50 && running && !alerter.socket.destroyed; i++) {
          alerter.socket.write(concat(Array.from({ length: 100 }, () => f.alert(AlertLevel.warning, AlertDescription.user_canceled))));
          alerts += 100;
          await sleep(5);
        }
      })(),
    );
    const hello = bigClientHello(15_000);
    floods.push(
      (async () => {
        for (let i = 0; i < 10 && running; i++) {
          const s = dial();
          s.once('connect', () => s.write(hello));
          bigHellos++;
          await sleep(20);
        }
      })(),
    );
    const during = await latencies(5);
    running = false;
    await Promise.all(floods);
    console.log(
      `loopback: during floods (${keyUpdates} KeyUpdates, ${alerts} user_canceled alerts, ${bigHellos} ClientHellos of 15 000 extensions) ` +
        `honest handshake + echo median ${median(during).toFixed(0)} ms (${during.map((x) => x.toFixed(0)).join(', ')}); quiet baseline ${median(baseline).toFixed(0)} ms`,
    );
    expect(median(during)).toBeLessThan(Math.max(10 * median(baseline), 3000));
    // The flooders were cut off by the KeyUpdate and warning-alert limits.
    await sleep(200);
    expect(keyUpdater.conn.error?.alert).toBe('unexpected_message');
    expect(keyUpdater.conn.error?.side).toBe('remote');
  }, 60_000);
});
