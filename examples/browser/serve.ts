/**
 * `npm run example:browser`: bundles the page, starts `openssl s_server
 * -www` with a certificate from a CA made on the spot, and serves the page
 * and a WebSocket relay to that server on 127.0.0.1.
 *
 *   npm run example:browser              # http://127.0.0.1:8080/
 *   npm run example:browser -- --port 0  # any free port
 *   npm run example:browser -- --target 127.0.0.1:4433 --server-name localhost --ca ca.pem
 *                                        # relay to your own server instead
 *
 * The browser test starts the same thing through `startExample()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nobleCrypto } from '../../src/index.js';
import {
  createCertificate,
  encodeCertificatePem,
  encodePrivateKeyPem,
  generatePrivateKey,
  publicKeyFromPrivateKey,
} from '../../src/x509/index.js';
import { bundlePage } from './bundle.js';
import { attachRelay, type Relay, type RelayTarget } from './relay.js';

const HERE = fileURLToPath(new URL('./', import.meta.url));

export interface ExampleOptions {
  /** HTTP port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
  /** Relay to this server instead of starting openssl s_server. */
  readonly target?: RelayTarget & { readonly serverName: string; readonly caPem: string };
  /** Start openssl s_server when no target is given (default true; the relay part is off without it). */
  readonly openssl?: boolean;
  readonly log?: (line: string) => void;
}

export interface RunningExample {
  /** The page, e.g. http://127.0.0.1:39123/ */
  readonly url: string;
  readonly relay: Relay;
  /** The s_server process we started, if any (ended by pid in close()). */
  readonly opensslPid: number | undefined;
  /** Where the relay forwards to, or undefined when the relay part is off. */
  readonly target: RelayTarget | undefined;
  close(): Promise<void>;
}

/** Whether `openssl` can be run. */
export function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

/** A CA and a leaf for localhost / 127.0.0.1, made now with the library's own issuer. */
async function makePki(): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const provider = nobleCrypto;
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(Date.now() + 7 * 86_400_000);
  const caKey = generatePrivateKey('P-256', provider.random);
  const ca = await createCertificate({
    subject: { organization: 'tls13 example', commonName: 'Browser example CA' },
    issuerKey: caKey,
    publicKey: publicKeyFromPrivateKey(caKey),
    notBefore,
    notAfter,
    usage: 'ca',
    provider,
  });
  const key = generatePrivateKey('P-256', provider.random);
  const leaf = await createCertificate({
    subject: { commonName: 'localhost' },
    issuer: ca,
    issuerKey: caKey,
    publicKey: publicKeyFromPrivateKey(key),
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    notBefore,
    notAfter,
    usage: 'server',
    provider,
  });
  return { caPem: encodeCertificatePem(ca), certPem: encodeCertificatePem(leaf), keyPem: encodePrivateKeyPem(key) };
}

/** Starts `openssl s_server -www` on an ephemeral port and waits for its ACCEPT line. */
function startSServer(dir: string, certPem: string, keyPem: string): Promise<{ child: ChildProcess; port: number }> {
  writeFileSync(join(dir, 'server.crt'), certPem);
  writeFileSync(join(dir, 'server.key'), keyPem, { mode: 0o600 });
  const child = spawn(
    'openssl',
    ['s_server', '-accept', '127.0.0.1:0', '-cert', join(dir, 'server.crt'), '-key', join(dir, 'server.key'), '-tls1_3', '-www'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      kill(child);
      reject(new Error(`openssl s_server printed no ACCEPT line within 10 s:\n${out}`));
    }, 10_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const m = /ACCEPT (?:\[[^\]]*\]|[^\s:]+):(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        // Keep draining its output so it never blocks on a full pipe.
        child.stdout?.off('data', onData).resume();
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`openssl s_server exited with ${code} before listening:\n${out}`));
    });
  });
}

function kill(child: ChildProcess | undefined): void {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Bundles the page and starts everything; `close()` stops it all (s_server by pid). */
export async function startExample(options: ExampleOptions = {}): Promise<RunningExample> {
  const log = options.log ?? (() => undefined);
  const page = await bundlePage();
  const html = readFileSync(join(HERE, 'index.html'), 'utf8');

  let dir: string | undefined;
  let sserver: ChildProcess | undefined;
  let target: RelayTarget | undefined;
  let relayInfo: { serverName: string; ca: string } | undefined;
  if (options.target) {
    target = { host: options.target.host, port: options.target.port };
    relayInfo = { serverName: options.target.serverName, ca: options.target.caPem };
  } else if (options.openssl !== false && hasOpenssl()) {
    const pki = await makePki();
    dir = mkdtempSync(join(tmpdir(), 'tls13-browser-'));
    const started = await startSServer(dir, pki.certPem, pki.keyPem);
    sserver = started.child;
    target = { host: '127.0.0.1', port: started.port };
    relayInfo = { serverName: 'localhost', ca: pki.caPem };
    log(`openssl s_server -www (pid ${sserver.pid}) on 127.0.0.1:${started.port}`);
  }

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://page.invalid').pathname;
    // The page is static; nothing here should be cached between runs.
    const headers = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(html);
    } else if (path === '/app.js') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript; charset=utf-8' }).end(page.code);
    } else if (path === '/config.json' && target && relayInfo) {
      const body = { relay: 'relay', serverName: relayInfo.serverName, ca: relayInfo.ca, target: `tcp://${target.host}:${target.port}` };
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    } else {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
    }
  });
  const relay = attachRelay(server, { target: target ?? { host: '127.0.0.1', port: 9 }, log });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    relay,
    opensslPid: sserver?.pid,
    target,
    async close() {
      relay.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      kill(sserver);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function main(argv: readonly string[]): void {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const port = Number(arg('--port') ?? process.env.PORT ?? 8080);
  const targetText = arg('--target');
  let target: ExampleOptions['target'];
  if (targetText) {
    const m = /^(.+):(\d+)$/.exec(targetText);
    const ca = arg('--ca');
    if (!m || !ca) {
      console.error('--target host:port needs --ca <PEM file of the CA that issued its certificate> (and --server-name)');
      process.exitCode = 2;
      return;
    }
    target = { host: m[1]!, port: Number(m[2]), serverName: arg('--server-name') ?? m[1]!, caPem: readFileSync(ca, 'utf8') };
  }
  startExample({ port, ...(target ? { target } : {}), log: (l) => console.log(l) }).then(
    (running) => {
      console.log(`page: ${running.url}`);
      if (!running.target) console.log('(openssl not found: only the in-page handshake works)');
      const stop = (): void => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
