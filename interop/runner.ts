/**
 * Runs interop cases: one case is one cell of the matrix (a feature, a
 * direction, a peer). Each case gets a context that tracks everything it
 * starts (openssl processes, sockets, listeners) and ends all of it when the
 * case finishes, fails or times out; the step it was in when it failed and
 * the peer's output are kept for the report.
 */
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { ClientConfig, ServerConfig } from '../src/config.js';
import type { ClientConnection } from '../src/connection.js';
import type { ClientOptions } from '../src/handshake/client.js';
import { connectClient, Listener, type Driven, type AnyConnection } from './driver.js';
import { PeerProcess, type Peer } from './peer.js';
import type { Pki } from './pki.js';

/** `client`: our client against the peer's s_server; `server`: the peer's s_client against our server. */
export type Direction = 'client' | 'server';

export interface InteropCase {
  /** Unique, stable: `<row id>/<direction>`. */
  readonly id: string;
  /** Group of rows in the table ("parameters", "features", "failures"). */
  readonly section: string;
  /** The row label (the same for both directions). */
  readonly row: string;
  readonly direction: Direction;
  readonly timeoutMs: number;
  /** Why the case does not apply to this peer (e.g. no ML-KEM in OpenSSL 3.0), or undefined. */
  readonly notApplicable?: (peer: Peer) => string | undefined;
  run(ctx: CaseContext): Promise<void>;
}

export type CaseStatus = 'pass' | 'fail' | 'n/a';

export interface CaseResult {
  readonly case: InteropCase;
  readonly peer: Peer;
  readonly status: CaseStatus;
  /** The step that failed (or "n/a" reason). */
  readonly step: string | undefined;
  readonly error: string | undefined;
  /** Commands run and their output. */
  readonly peerOutput: string;
  readonly notes: readonly string[];
  readonly durationMs: number;
}

export class CaseFailure extends Error {}

/** Throws a CaseFailure unless `cond`. */
export function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new CaseFailure(message);
}

/** Throws unless `actual === expected`, naming `what`. */
export function equal<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new CaseFailure(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

let caseCounter = 0;

/** What a case may use; everything started through it is ended with the case. */
export class CaseContext {
  currentStep = 'setup';
  readonly notes: string[] = [];
  readonly processes: PeerProcess[] = [];
  readonly connections: Driven<AnyConnection>[] = [];
  readonly listeners: Listener[] = [];
  /** A directory of its own for session files and payloads (inside the PKI dir, which is mounted for Docker peers). */
  readonly workdir: string;
  private finished = false;

  constructor(
    readonly peer: Peer,
    readonly pki: Pki,
    readonly caseId: string,
  ) {
    this.workdir = join(pki.dir, 'cases', `${++caseCounter}-${caseId.replace(/[^A-Za-z0-9]+/g, '-')}`);
    mkdirSync(this.workdir, { recursive: true });
  }

  /** Runs one named step; a failure inside it is reported with this name. */
  async step<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    this.checkLive();
    this.currentStep = name;
    return await fn();
  }

  /** Starts `openssl <args>` for this case's peer. */
  spawn(args: readonly string[], opts: { cwd?: string; keepStdoutRaw?: boolean } = {}): PeerProcess {
    this.checkLive();
    const name = `tls13-interop-${process.pid}-${++caseCounter}`;
    const p = new PeerProcess(this.peer, args, {
      mounts: [this.pki.dir],
      name,
      cwd: opts.cwd ?? this.workdir,
      ...(opts.keepStdoutRaw ? { keepStdoutRaw: true } : {}),
    });
    this.processes.push(p);
    return p;
  }

  /** Connects our client to 127.0.0.1:port (retrying while nothing listens yet). */
  async connect(port: number, config: ClientConfig, options: ClientOptions = { serverName: 'localhost' }): Promise<Driven<ClientConnection>> {
    this.checkLive();
    let lastError: unknown;
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const d = await connectClient(port, config, options);
        this.connections.push(d);
        return d;
      } catch (err) {
        lastError = err;
        if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') break;
        await new Promise((r) => setTimeout(r, 50));
        this.checkLive();
      }
    }
    throw new CaseFailure(`cannot connect to 127.0.0.1:${port}: ${(lastError as Error).message}`);
  }

  /** Starts our server on an ephemeral port. */
  async listen(config: ServerConfig): Promise<Listener> {
    this.checkLive();
    const l = new Listener(config, (d) => this.connections.push(d));
    this.listeners.push(l);
    await l.listen();
    return l;
  }

  /** A port nobody listens on right now (for peers that cannot report theirs, e.g. `s_server -quiet`). */
  freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
  }

  /** True once the case has ended (polling loops stop on it). */
  get ended(): boolean {
    return this.finished;
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** Ends every process (by pid), socket and listener this case started. */
  async cleanup(): Promise<void> {
    this.finished = true;
    for (const d of this.connections) d.destroy();
    for (const l of this.listeners) l.close();
    await Promise.all(this.processes.map((p) => p.kill()));
  }

  /** The transcript of every peer process, for the report. */
  peerOutput(): string {
    return this.processes.map((p) => `$ ${p.command}\n${p.output.trimEnd()}`).join('\n\n');
  }

  private checkLive(): void {
    if (this.finished) throw new CaseFailure('the case already ended (timed out)');
  }
}

/** Runs one case against one peer, with its timeout; never throws. */
export async function runCase(c: InteropCase, peer: Peer, pki: Pki, opts: { timeoutScale?: number } = {}): Promise<CaseResult> {
  const started = performance.now();
  const reason = c.notApplicable?.(peer);
  if (reason !== undefined) {
    return { case: c, peer, status: 'n/a', step: reason, error: undefined, peerOutput: '', notes: [], durationMs: 0 };
  }
  const ctx = new CaseContext(peer, pki, c.id);
  const timeoutMs = Math.round(c.timeoutMs * (opts.timeoutScale ?? 1));
  let timer: NodeJS.Timeout | undefined;
  let status: CaseStatus = 'pass';
  let error: string | undefined;
  let step: string | undefined;
  try {
    const running = c.run(ctx);
    // After a timeout the case's own promise may still reject (its sockets are destroyed): not unhandled.
    running.catch(() => {});
    await Promise.race([
      running,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CaseFailure(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    status = 'fail';
    step = ctx.currentStep;
    error = err instanceof CaseFailure ? err.message : err instanceof Error ? `${err.message}` : String(err);
  } finally {
    clearTimeout(timer);
    await ctx.cleanup();
  }
  return {
    case: c,
    peer,
    status,
    step,
    error,
    peerOutput: ctx.peerOutput(),
    notes: ctx.notes,
    durationMs: performance.now() - started,
  };
}

/** A counting semaphore: at most `limit` cases run at once. */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

/** Runs every case against every peer, `concurrency` at a time, in matrix order. */
export async function runMatrix(
  cases: readonly InteropCase[],
  peers: readonly Peer[],
  pki: Pki,
  opts: { concurrency?: number; timeoutScale?: number; onResult?: (r: CaseResult) => void } = {},
): Promise<CaseResult[]> {
  const limiter = new Limiter(opts.concurrency ?? 3);
  const jobs = peers.flatMap((peer) => cases.map((c) => ({ c, peer })));
  return Promise.all(
    jobs.map(({ c, peer }) =>
      limiter.run(async () => {
        const r = await runCase(c, peer, pki, opts.timeoutScale !== undefined ? { timeoutScale: opts.timeoutScale } : {});
        opts.onResult?.(r);
        return r;
      }),
    ),
  );
}
