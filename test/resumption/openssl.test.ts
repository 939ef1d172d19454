/**
 * Resumption and 0-RTT against OpenSSL, over real sockets on 127.0.0.1:
 *
 * - our ClientConnection against `openssl s_server -tls1_3 -early_data`:
 *   a full handshake, then a resumed one whose early data s_server prints;
 * - `openssl s_client -sess_out` then `-sess_in -early_data FILE` against
 *   our ServerConnection: it must see FILE's bytes as early data, resumed.
 *
 * Every process is spawned here and ended by its pid in teardown.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import { concat, toHex, utf8 } from '../../src/util/bytes.js';
import { Clock, clientConfig, serverConfig } from './pair.js';

const PKI = new URL('../fixtures/pki/', import.meta.url).pathname;

function opensslVersion(): string | undefined {
  try {
    const r = spawnSync('openssl', ['version'], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

const VERSION = opensslVersion();
// TLS 1.3 and -early_data arrived in OpenSSL 1.1.1.
const usable = VERSION !== undefined && /^OpenSSL (1\.1\.1|[3-9]\.)/.test(VERSION);
const reason = usable ? `(${VERSION})` : `SKIPPED: no OpenSSL >= 1.1.1 on PATH (found: ${VERSION ?? 'none'}); install openssl to run these interop tests`;

// ------------------------------------------------------------- processes

const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  for (const f of cleanups.splice(0)) f();
});

interface Spawned {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function run(args: string[]): Spawned {
  const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  // stdin stays open and empty: s_server and s_client then neither send nor quit on EOF.
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls until a TCP connection to 127.0.0.1:port succeeds. */
async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------- sans-I/O over node:net

/** Runs a connection over a socket: bytes in, bytes out, events collected. */
class OverSocket<C extends ClientConnection | ServerConnection> {
  readonly events: ConnectionEvent[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly conn: C,
    readonly socket: net.Socket,
  ) {
    socket.on('data', (d: Buffer) => {
      this.conn.receive(new Uint8Array(d));
      this.flush();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.flush());
  }

  /** Sends what the connection has queued and collects its events (serialised). */
  flush(): Promise<void> {
    this.chain = this.chain.then(async () => {
      await this.conn.settled();
      const out = this.conn.takeOutgoing();
      if (out.length > 0 && !this.socket.destroyed) this.socket.write(out);
      this.events.push(...this.conn.events());
    });
    return this.chain;
  }

  write(data: Uint8Array): Promise<void> {
    this.conn.write(data);
    return this.flush();
  }

  async end(): Promise<void> {
    this.conn.close();
    await this.flush();
    this.socket.end();
  }

  ofType<T extends ConnectionEvent['type']>(type: T): Extract<ConnectionEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);
  }

  data(early: boolean): Uint8Array {
    return concat(...this.ofType('data').filter((e) => e.early === early).map((e) => e.bytes));
  }
}

function countOf(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

// ------------------------------------------------------------------ tests

describe.skipIf(!usable)(`resumption and 0-RTT with OpenSSL ${reason}`, () => {
  it('our client resumes against openssl s_server -early_data, and its 0-RTT data is accepted', async () => {
    const server = run([
      's_server',
      '-tls1_3',
      '-early_data',
      '-accept',
      '127.0.0.1:0',
      '-cert',
      join(PKI, 'leaf-p256.pem'),
      '-key',
      join(PKI, 'leaf-p256.key'),
      '-cert_chain',
      join(PKI, 'int-ec.pem'),
    ]);
    await until('s_server to listen', () => /ACCEPT .*:\d+/.test(server.output()));
    const port = Number(/ACCEPT .*:(\d+)/.exec(server.output())![1]);
    await waitForPort(port);

    // Real time here: OpenSSL checks ticket ages against its own clock.
    const config = { ...clientConfig(new Clock()), now: () => new Date(), enableEarlyData: true };
    const open = async (early?: Uint8Array): Promise<OverSocket<ClientConnection>> => {
      const conn = new ClientConnection(config, { serverName: 'localhost' });
      if (early) conn.write(early);
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const side = new OverSocket(conn, socket);
      await side.flush();
      return side;
    };

    const first = await open();
    await until('the first handshake and its tickets', () => first.ofType('ticket').length >= 1);
    expect(first.conn.state.resumed).toBe(false);
    const session = first.ofType('ticket')[0]!.session;
    expect(session.maxEarlyData).toBeGreaterThan(0);
    await first.end();
    await until('s_server to finish the first connection', () => server.output().includes('DONE'));

    const marker = `0-RTT from tls13 ${toHex(crypto.getRandomValues(new Uint8Array(8)))}\n`;
    const second = await open(utf8(marker));
    await until('the resumed handshake', () => second.ofType('handshake').length === 1 || second.conn.error !== undefined);
    expect(second.conn.error).toBeUndefined();
    expect(second.ofType('early_data').map((e) => e.accepted)).toEqual([true]);
    expect(second.conn.state.resumed).toBe(true);
    expect(second.conn.state.earlyDataAccepted).toBe(true);
    // A confirmed byte after the handshake goes through too.
    await second.write(utf8('after the handshake\n'));
    await until('s_server to print the early data', () => server.output().includes(marker) && server.output().includes('after the handshake'));
    await second.end();
    await until('s_server to finish the second connection', () => countOf(server.output(), 'DONE') === 2);

    const out = server.output();
    expect(out).toContain('Early data received:');
    expect(countOf(out, marker)).toBe(1);
    expect(out).toContain('Reused session-id');
    expect(out).toContain('No early data received'); // the first connection had none
  });

  it('openssl s_client -sess_in -early_data resumes against our server, which sees the file as early data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls13-resumption-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const early = utf8(Array.from({ length: 120 }, (_, i) => `early line ${i} from s_client\n`).join(''));
    writeFileSync(join(dir, 'early.bin'), early);

    const config = { ...serverConfig(new Clock()), now: () => new Date(), maxEarlyData: 16_384 };
    const sides: OverSocket<ServerConnection>[] = [];
    const listener = net.createServer((socket) => {
      const side = new OverSocket(new ServerConnection(config), socket);
      sides.push(side);
      // Once the handshake is done (tickets go out with it), say goodbye so s_client exits.
      const check = setInterval(() => {
        if (side.ofType('handshake').length > 0 || side.conn.closed) {
          clearInterval(check);
          setTimeout(() => void side.write(utf8('bye\n')).then(() => side.end()), 100);
        }
      }, 10);
      cleanups.push(() => {
        clearInterval(check);
        socket.destroy();
      });
    });
    cleanups.push(() => listener.close());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;

    const sClient = (extra: string[]) =>
      run(['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_3', '-servername', 'localhost', '-CAfile', join(PKI, 'root-ec.pem'), ...extra]);

    const sess = join(dir, 'session.pem');
    const a = sClient(['-sess_out', sess]);
    expect(await a.exited).toBe(0);
    expect(a.output()).toContain('New, TLSv1.3');
    expect(a.output()).toContain('Verify return code: 0 (ok)');

    const b = sClient(['-sess_in', sess, '-early_data', join(dir, 'early.bin')]);
    expect(await b.exited).toBe(0);
    expect(b.output()).toContain('Reused, TLSv1.3');
    expect(b.output()).toContain('Early data was accepted');

    expect(sides).toHaveLength(2);
    const [full, resumed] = sides as [OverSocket<ServerConnection>, OverSocket<ServerConnection>];
    expect(full.conn.error).toBeUndefined();
    expect(full.conn.state.resumed).toBe(false);
    expect(resumed.conn.error).toBeUndefined();
    expect(resumed.conn.state.resumed).toBe(true);
    expect(resumed.conn.state.earlyDataAccepted).toBe(true);
    expect(resumed.data(true)).toEqual(early);
    expect(resumed.data(false)).toEqual(new Uint8Array(0));
    // The early data came before the handshake completed.
    const order = resumed.events.flatMap((e) => (e.type === 'data' ? ['data'] : e.type === 'handshake' ? ['handshake'] : []));
    expect(order[order.length - 1]).toBe('handshake');
  });
});
