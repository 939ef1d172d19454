/**
 * Helpers for the CLI tests: run `tls13 …` as a real process
 * (`node --import tsx cli/main.ts`, so the pid we hold is the process
 * itself), start long-running servers (ours and openssl's) and wait for
 * their "ACCEPT host:port" line, and kill every process by pid afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nobleCrypto } from '../../src/index.js';
import * as x from '../../src/x509/index.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(REPO, 'cli', 'main.ts');

/** Whether openssl is on PATH, and a reason to show when it is not. */
export const OPENSSL = ((): { ok: boolean; version: string } => {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return { ok: r.status === 0, version: r.status === 0 ? r.stdout.trim() : 'openssl not found on PATH' };
})();

const live = new Set<ChildProcess>();

/** Kills (by pid) every process the tests started that is still running. */
export function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  live.clear();
}

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed; default: stdin closed at once. */
  readonly stdin?: string;
  /** Kept open (not closed) until the process exits: the caller writes. */
  readonly keepStdinOpen?: boolean;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly onStart?: (child: ChildProcess) => void;
}

/** Runs a command to completion, collecting its output; kills it by pid after `timeoutMs`. */
export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(command, args, { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (options.stdin !== undefined) child.stdin!.write(options.stdin);
    if (!options.keepStdinOpen) child.stdin!.end();
    options.onStart?.(child);
  });
}

/** `tls13 …args` to completion. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<Result> {
  return runProcess(process.execPath, ['--import', 'tsx', MAIN, ...args], options);
}

export interface Server {
  readonly child: ChildProcess;
  readonly port: number;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts a long-running server process and waits for its "ACCEPT host:port"
 * line (ours prints it on stdout, `openssl s_server` too).
 */
export function startServer(command: string, args: readonly string[], options: { stdinOpen?: boolean } = {}): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(command, args, { cwd: REPO, env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] }));
    // openssl s_server exits at EOF on stdin in some modes; keep it open unless asked.
    if (!options.stdinOpen) child.stdin!.end();
    let out = '';
    let err = '';
    let started = false;
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const timer = setTimeout(() => {
      if (!started) {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        reject(new Error(`${command} did not print ACCEPT within 15 s\nstdout: ${out}\nstderr: ${err}`));
      }
    }, 15_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /ACCEPT (?:\[[^\]]*\]|[^\s:]+):(\d+)/.exec(out);
      if (m && !started) {
        started = true;
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), stdout: () => out, stderr: () => err, exited });
      }
    });
    child.on('exit', (code) => {
      if (!started) {
        clearTimeout(timer);
        reject(new Error(`${command} exited with ${code} before ACCEPT\nstdout: ${out}\nstderr: ${err}`));
      }
    });
  });
}

export function startCliServer(args: readonly string[]): Promise<Server> {
  return startServer(process.execPath, ['--import', 'tsx', MAIN, 'server', '--host', '127.0.0.1', '--port', '0', ...args]);
}

/** Polls until `predicate` holds (server logs are written asynchronously). */
export async function eventually(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'tls13-cli-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface Pki {
  readonly dir: string;
  readonly caCrt: string;
  readonly serverCrt: string;
  readonly serverKey: string;
  readonly clientCrt: string;
  readonly clientKey: string;
  /** A second, unrelated CA (for "unknown authority" tests). */
  readonly otherCaCrt: string;
}

/**
 * A CA, a server certificate (localhost, 127.0.0.1) and a client certificate
 * ("alice"), written as PEM files, made in process with src/x509/issue.ts.
 * (cert.test.ts makes the same with the `tls13 cert` command.)
 */
export async function makePki(dir: string): Promise<Pki> {
  const provider = nobleCrypto;
  const now = Date.now();
  const validity = { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 86_400_000) };
  const ca = async (name: string) => {
    const key = x.generatePrivateKey('P-256', provider.random);
    const der = await x.createCertificate({ subject: name, issuerKey: key, publicKey: x.publicKeyFromPrivateKey(key), ...validity, usage: 'ca', provider });
    return { key, der };
  };
  const root = await ca('CLI test CA');
  const other = await ca('Other CA');
  const leaf = async (subject: string, usage: 'server' | 'client', names: { dnsNames?: string[]; ipAddresses?: string[] }) => {
    const key = x.generatePrivateKey('P-256', provider.random);
    const der = await x.createCertificate({
      subject,
      issuer: root.der,
      issuerKey: root.key,
      publicKey: x.publicKeyFromPrivateKey(key),
      ...validity,
      ...names,
      usage,
      provider,
    });
    return { key, der };
  };
  const server = await leaf('localhost', 'server', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const client = await leaf('alice', 'client', {});
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  return {
    dir,
    caCrt: write('ca.crt', x.encodeCertificatePem(root.der)),
    otherCaCrt: write('other-ca.crt', x.encodeCertificatePem(other.der)),
    serverCrt: write('server.crt', x.encodeCertificatePem(server.der)),
    serverKey: write('server.key', x.encodePrivateKeyPem(server.key)),
    clientCrt: write('alice.crt', x.encodeCertificatePem(client.der)),
    clientKey: write('alice.key', x.encodePrivateKeyPem(client.key)),
  };
}
