/**
 * A quick loopback check against a real OpenSSL, both ways: our client to
 * `openssl s_server`, and `openssl s_client` to our server, over node:net
 * sockets on 127.0.0.1 feeding the sans-I/O connections directly. Each
 * OpenSSL process is ended by its pid after the test. Skipped (visibly)
 * when no `openssl` binary is on the PATH. The full interop suite lives in
 * interop/; this is the smoke test that the handshake speaks real TLS 1.3.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import type { TraceEntry } from '../../src/handshake/events.js';
import { NamedGroup } from '../../src/registry.js';
import { concat, fromUtf8, utf8 } from '../../src/util/bytes.js';
import { parseCertificates } from '../../src/x509/index.js';
import { PKI_DIR, ROOT, certified, now, pkiText } from './pair.js';

const OPENSSL = (() => {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
})();
const TITLE = OPENSSL ? `interop with ${OPENSSL}` : 'interop with openssl (SKIPPED: no `openssl` binary on the PATH)';

// ------------------------------------------------------------- processes

const children: ChildProcess[] = [];
const sockets: net.Socket[] = [];
const servers: net.Server[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const srv of servers.splice(0)) await new Promise<void>((r) => srv.close(() => r()));
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid, 'SIGTERM');
    await exited;
  }
});

interface Spawned {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
}

function openssl(args: string[]): Spawned {
  const child = spawn('openssl', args, { cwd: PKI_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  return { child, stdout: () => out, stderr: () => err };
}

/** An ephemeral port: bind port 0, read what the OS gave, let it go. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Polls a TCP connect until the process listens (or gives up). */
async function waitForListener(port: number, proc: Spawned, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`openssl exited early: ${proc.stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${ms} ms: ${proc.stderr()}`);
}

async function until(cond: () => boolean, what: () => string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ------------------------------------------------ a connection on a socket

/** Drives a sans-I/O connection over a socket: bytes in → receive(), takeOutgoing() → bytes out. */
class Wired {
  readonly events: ConnectionEvent[] = [];
  readonly escaped: unknown[] = [];

  constructor(
    readonly conn: ClientConnection | ServerConnection,
    readonly socket: net.Socket,
    onEvents: (w: Wired, fresh: ConnectionEvent[]) => void = () => {},
  ) {
    sockets.push(socket);
    socket.on('data', (d: Buffer) => {
      try {
        conn.receive(new Uint8Array(d));
      } catch (err) {
        this.escaped.push(err);
      }
      void conn.settled().then(() => {
        this.flush();
        const fresh = conn.events();
        this.events.push(...fresh);
        onEvents(this, fresh);
        this.flush();
      });
    });
    socket.on('error', () => {});
  }

  flush(): void {
    const out = this.conn.takeOutgoing();
    if (out.length > 0 && !this.socket.destroyed) this.socket.write(out);
  }

  write(data: Uint8Array): void {
    this.conn.write(data);
    this.flush();
  }

  get data(): string {
    return fromUtf8(concat(...this.events.flatMap((e) => (e.type === 'data' ? [e.bytes] : []))));
  }

  get completed(): boolean {
    return this.events.some((e) => e.type === 'handshake');
  }

  describe(): string {
    return `events ${this.events.map((e) => e.type).join(',')}; error ${this.conn.error?.message ?? 'none'}`;
  }
}

function der(name: string): Uint8Array {
  return parseCertificates(pkiText(`${name}.pem`))[0]!.raw;
}

// =================================================================== tests

describe.skipIf(!OPENSSL)(TITLE, () => {
  describe('our client → openssl s_server', () => {
    /** Starts `s_server -rev` (echoes each line reversed) with the given certificate. */
    async function sServer(leaf: string, extra: string[] = []): Promise<{ port: number; proc: Spawned }> {
      const port = await freePort();
      const proc = openssl([
        's_server', '-accept', `127.0.0.1:${port}`, '-tls1_3', '-rev',
        '-cert', `${leaf}.pem`, '-key', `${leaf}.key`, '-cert_chain', 'int-ec.pem', ...extra,
      ]);
      await waitForListener(port, proc);
      return { port, proc };
    }

    async function connectClient(port: number, config: ClientConfig, serverName: string): Promise<Wired> {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise<void>((r, j) => socket.once('connect', () => r()).once('error', j));
      const w = new Wired(new ClientConnection(config, { serverName }), socket);
      w.flush();
      return w;
    }

    for (const [leaf, host, scheme] of [
      ['leaf-p256', 'p256.test', 'ecdsa_secp256r1_sha256'],
      ['leaf-rsa', 'rsa.test', 'rsa_pss_rsae_sha256'],
      ['leaf-ed25519', 'ed25519.test', 'ed25519'],
    ] as const) {
      it(`handshake and data both ways (${leaf}, default client: hybrid + x25519 shares)`, async () => {
        const { port, proc } = await sServer(leaf);
        const w = await connectClient(port, { ca: ROOT, now, sessionCache: false }, host);
        await until(() => w.completed || w.conn.error !== undefined, () => `${w.describe()} / ${proc.stdout()}`);
        expect(w.conn.error).toBeUndefined();
        const st = w.conn.state;
        expect(st.version).toBe('TLSv1.3');
        // OpenSSL 3.0 has no ML-KEM: it takes the x25519 share sent alongside.
        expect(st.group?.name).toBe('x25519');
        expect(st.signatureScheme?.name).toBe(scheme);
        expect(st.peerCertificates[0]).toEqual(der(leaf));
        expect(st.verifiedChains).toHaveLength(1);
        w.write(utf8('hello openssl\n'));
        await until(() => w.data.includes('\n'), () => w.describe());
        expect(w.data).toBe('lssnepo olleh\n');
        expect(w.escaped).toEqual([]);
      });
    }

    it('HelloRetryRequest with middlebox compatibility (s_server insists on P-384)', async () => {
      const { port, proc } = await sServer('leaf-p256', ['-groups', 'P-384']);
      const trace: TraceEntry[] = [];
      const w = await connectClient(port, { ca: ROOT, now, sessionCache: false, trace: (e) => trace.push(e) }, 'localhost');
      await until(() => w.completed || w.conn.error !== undefined, () => `${w.describe()} / ${proc.stdout()}`);
      expect(w.conn.error).toBeUndefined();
      expect(w.conn.state.group?.name).toBe('secp384r1');
      expect(trace.filter((e) => e.kind === 'message' && e.direction === 'sent' && e.message.type === 'client_hello')).toHaveLength(2);
      w.write(utf8('retry\n'));
      await until(() => w.data.includes('\n'), () => w.describe());
      expect(w.data).toBe('yrter\n');
    });

    it('KeyUpdate with update_requested is answered by OpenSSL, and data still flows', async () => {
      const { port } = await sServer('leaf-p256');
      const w = await connectClient(port, { ca: ROOT, now, sessionCache: false, groups: [NamedGroup.secp256r1] }, 'localhost');
      await until(() => w.completed, () => w.describe());
      w.conn.updateKeys(true);
      w.write(utf8('abc\n'));
      await until(() => w.data.includes('\n'), () => w.describe());
      expect(w.data).toBe('cba\n');
      const updates = w.events.filter((e) => e.type === 'key_update').map((e) => (e as { direction: string }).direction);
      expect(updates).toEqual(['write', 'read']);
      w.write(utf8('after\n'));
      await until(() => w.data.endsWith('retfa\n'), () => w.describe());
    });

    it('an OpenSSL server whose certificate is for another name → bad_certificate, alert sent to OpenSSL', async () => {
      const { port, proc } = await sServer('leaf-p256');
      const w = await connectClient(port, { ca: ROOT, now, sessionCache: false }, 'wrong.example');
      await until(() => w.conn.error !== undefined, () => w.describe());
      expect(w.conn.error?.alert).toBe('bad_certificate');
      expect(w.completed).toBe(false);
      await until(() => /alert bad certificate|bad certificate/i.test(proc.stdout() + proc.stderr()), () => proc.stdout() + proc.stderr(), 3000);
    });
  });

  describe('openssl s_client → our server', () => {
    /** Our server on an ephemeral port; each connection answers "PONG <line>" to what it reads. */
    async function ourServer(config: ServerConfig): Promise<{ port: number; wired: Wired[] }> {
      const wired: Wired[] = [];
      const srv = net.createServer((socket) => {
        const w = new Wired(new ServerConnection(config), socket, (self, fresh) => {
          for (const e of fresh) if (e.type === 'data') self.conn.write(concat(utf8('PONG '), e.bytes));
        });
        wired.push(w);
      });
      servers.push(srv);
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      return { port: (srv.address() as net.AddressInfo).port, wired };
    }

    function sClient(port: number, extra: string[] = []): Spawned {
      const proc = openssl([
        's_client', '-connect', `127.0.0.1:${port}`, '-tls1_3', '-CAfile', 'root-ec.pem',
        '-servername', 'localhost', '-verify_hostname', 'localhost', '-verify_return_error', '-quiet', ...extra,
      ]);
      proc.child.stdin!.write('ping\n');
      return proc;
    }

    it('handshake, certificate verified by OpenSSL, data both ways', async () => {
      const { port, wired } = await ourServer({ certificates: [certified('leaf-p256')], now });
      const proc = sClient(port);
      await until(() => proc.stdout().includes('PONG ping'), () => `${proc.stdout()} / ${proc.stderr()} / ${wired[0]?.describe()}`);
      const w = wired[0]!;
      expect(w.conn.error).toBeUndefined();
      expect(w.data).toBe('ping\n');
      expect(w.conn.state.version).toBe('TLSv1.3');
      expect(w.conn.state.serverName).toBe('localhost');
      expect(proc.stderr()).toMatch(/verify return:1/);
      expect(w.escaped).toEqual([]);
    });

    it('OpenSSL with only ChaCha20-Poly1305 and an RSA certificate on our side', async () => {
      const { port, wired } = await ourServer({ certificates: [certified('leaf-rsa')], now });
      const proc = openssl([
        's_client', '-connect', `127.0.0.1:${port}`, '-tls1_3', '-CAfile', 'root-ec.pem', '-servername', 'rsa.test',
        '-verify_hostname', 'rsa.test', '-verify_return_error', '-quiet', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256',
      ]);
      proc.child.stdin!.write('ping\n');
      await until(() => proc.stdout().includes('PONG ping'), () => `${proc.stdout()} / ${proc.stderr()} / ${wired[0]?.describe()}`);
      expect(wired[0]!.conn.state.cipherSuite?.name).toBe('TLS_CHACHA20_POLY1305_SHA256');
      expect(wired[0]!.conn.state.signatureScheme?.name).toMatch(/^rsa_pss_rsae_/);
    });

    it('HelloRetryRequest: OpenSSL shares P-256 first, our server wants x25519', async () => {
      const trace: TraceEntry[] = [];
      const { port, wired } = await ourServer({ certificates: [certified('leaf-p256')], now, groups: [NamedGroup.x25519], trace: (e) => trace.push(e) });
      const proc = sClient(port, ['-groups', 'P-256:X25519']);
      await until(() => proc.stdout().includes('PONG ping'), () => `${proc.stdout()} / ${proc.stderr()} / ${wired[0]?.describe()}`);
      expect(wired[0]!.conn.state.group?.name).toBe('x25519');
      const hellos = trace.filter((e) => e.kind === 'message' && e.direction === 'sent' && e.message.type === 'server_hello');
      expect(hellos).toHaveLength(2);
    });

    it('client authentication: OpenSSL presents a certificate our server verifies', async () => {
      const { port, wired } = await ourServer({ certificates: [certified('leaf-p256')], now, clientAuth: 'require-and-verify', clientCa: ROOT });
      const proc = sClient(port, ['-cert', 'leaf-client.pem', '-key', 'leaf-client.key', '-cert_chain', 'int-ec.pem']);
      await until(() => proc.stdout().includes('PONG ping'), () => `${proc.stdout()} / ${proc.stderr()} / ${wired[0]?.describe()}`);
      const st = wired[0]!.conn.state;
      expect(st.peerCertificates[0]).toEqual(der('leaf-client'));
      expect(st.verifiedChains).toHaveLength(1);
    });

    it('client authentication required but OpenSSL has no certificate → certificate_required reaches OpenSSL', async () => {
      const { port, wired } = await ourServer({ certificates: [certified('leaf-p256')], now, clientAuth: 'require', clientCa: ROOT });
      const proc = sClient(port);
      await until(() => wired[0]?.conn.error !== undefined, () => `${proc.stderr()} / ${wired[0]?.describe()}`);
      expect(wired[0]!.conn.error?.alert).toBe('certificate_required');
      expect(wired[0]!.data).toBe('');
      await until(() => /certificate required/i.test(proc.stderr()), () => proc.stderr(), 3000);
    });

    it('OpenSSL refuses our certificate for a name it does not cover → we receive its alert', async () => {
      const { port, wired } = await ourServer({ certificates: [certified('leaf-p256')], now });
      const proc = openssl([
        's_client', '-connect', `127.0.0.1:${port}`, '-tls1_3', '-CAfile', 'root-ec.pem', '-servername', 'other.example',
        '-verify_hostname', 'other.example', '-verify_return_error', '-quiet',
      ]);
      proc.child.stdin!.write('ping\n');
      await until(() => wired[0]?.conn.error !== undefined, () => `${proc.stderr()} / ${wired[0]?.describe()}`);
      const err = wired[0]!.conn.error!;
      expect(err.side).toBe('remote');
      expect(err.alert).toBe('bad_certificate');
      expect(wired[0]!.data).toBe('');
    });
  });
});
