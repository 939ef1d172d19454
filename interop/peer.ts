/**
 * The other side of the interop matrix: an `openssl` binary, started either
 * directly (a local binary) or inside a container (`docker run`). The two
 * differ only in the command line built by `commandLine()`; everything else
 * (output capture, waiting, ending by pid) is shared.
 *
 * Every process is ended by its own pid, never by name. A process that
 * ignores SIGTERM gets SIGKILL after a short grace period.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';

/** How a peer is started. */
export type Peer = LocalPeer | DockerPeer | GnutlsPeer;

/**
 * GnuTLS's command-line tools (`gnutls-serv`, `gnutls-cli`, Debian's
 * gnutls-bin). The first argument a case passes names the tool; the cases
 * for this peer live in interop/gnutls.ts.
 */
export interface GnutlsPeer {
  readonly kind: 'gnutls';
  readonly label: string;
  /** Directory holding the tools, or '' to look them up in PATH. */
  readonly dir: string;
  readonly capabilities: PeerCapabilities;
}

/** The GnuTLS tools in PATH (or in `dir`), probed with `gnutls-cli --version`. */
export function gnutlsPeer(dir = ''): GnutlsPeer {
  const cli = dir ? `${dir}/gnutls-cli` : 'gnutls-cli';
  let line: string;
  try {
    line = execFileSync(cli, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`cannot run "${cli} --version": ${(err as Error).message.split('\n')[0]}`);
  }
  const m = /gnutls-cli\s+(\d+\.\d+\.\d+)/.exec(line);
  if (!m) throw new Error(`not a gnutls-cli version line: ${JSON.stringify(line.slice(0, 80))}`);
  // GnuTLS 3.7/3.8 have no X25519MLKEM768 in TLS.
  return { kind: 'gnutls', label: `GnuTLS ${m[1]}`, dir, capabilities: { version: m[1]!, mlkem: false } };
}

export interface LocalPeer {
  readonly kind: 'local';
  /** Shown in the table's column heads, e.g. "OpenSSL 3.0.19". */
  readonly label: string;
  /** The openssl binary: a name looked up in PATH, or a path. */
  readonly binary: string;
  readonly capabilities: PeerCapabilities;
}

export interface DockerPeer {
  readonly kind: 'docker';
  readonly label: string;
  /** The image holding openssl (see interop/Dockerfile). */
  readonly image: string;
  /** The docker CLI binary (default "docker"). */
  readonly docker: string;
  readonly capabilities: PeerCapabilities;
}

/** What the peer's OpenSSL can do, decided from its version. */
export interface PeerCapabilities {
  /** "3.0.19" etc. */
  readonly version: string;
  /** X25519MLKEM768 in TLS (OpenSSL 3.5 and later). */
  readonly mlkem: boolean;
}

/** The capabilities implied by an `openssl version` line. */
export function capabilitiesFromVersion(versionLine: string): PeerCapabilities {
  const m = /OpenSSL\s+(\d+)\.(\d+)\.(\d+)/.exec(versionLine);
  if (!m) throw new Error(`not an OpenSSL version line: ${JSON.stringify(versionLine.slice(0, 80))}`);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < 3) throw new Error(`OpenSSL ${m[1]}.${m[2]}.${m[3]} is too old: the interop suite needs 3.0 or later`);
  return { version: `${m[1]}.${m[2]}.${m[3]}`, mlkem: major > 3 || minor >= 5 };
}

/**
 * A local openssl peer, probed with `openssl version`. Throws with a
 * readable reason when the binary is missing or too old.
 */
export function localPeer(binary = 'openssl'): LocalPeer {
  let line: string;
  try {
    line = execFileSync(binary, ['version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`cannot run "${binary} version": ${(err as Error).message.split('\n')[0]}`);
  }
  const capabilities = capabilitiesFromVersion(line);
  const where = binary === 'openssl' ? '' : ` (${binary})`;
  return { kind: 'local', label: `OpenSSL ${capabilities.version}${where}`, binary, capabilities };
}

/**
 * A peer inside a Docker image. The version is given (from the image tag or
 * `--docker-version`) rather than probed, so building the command line needs
 * no Docker engine; `probeDockerPeer` asks the image when one is running.
 */
export function dockerPeer(image: string, version: string, docker = 'docker'): DockerPeer {
  const capabilities = capabilitiesFromVersion(`OpenSSL ${/^\d+\.\d+$/.test(version) ? `${version}.0` : version}`);
  return { kind: 'docker', label: `OpenSSL ${version} (docker ${image})`, image, docker, capabilities };
}

/** Runs `openssl version` inside the image to learn its real version. */
export function probeDockerPeer(image: string, docker = 'docker'): DockerPeer {
  const { file, args } = commandLine(dockerPeer(image, '3.0', docker), ['version'], { mounts: [], name: 'tls13-interop-probe' });
  let line: string;
  try {
    line = execFileSync(file, args, { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`cannot run openssl in image ${image}: ${(err as Error).message.split('\n')[0]}`);
  }
  const capabilities = capabilitiesFromVersion(line);
  return { kind: 'docker', label: `OpenSSL ${capabilities.version} (docker ${image})`, image, docker, capabilities };
}

export interface CommandOptions {
  /** Host directories the peer must read or write (certificates, session files). */
  readonly mounts: readonly string[];
  /** Working directory (s_server -WWW serves files from it). */
  readonly cwd?: string;
  /** A unique container name, so a stuck container can be removed by name. */
  readonly name: string;
}

/**
 * The command that runs `openssl <args>` for this peer.
 *
 * Docker: `--network host` so 127.0.0.1 is the host's loopback (the ports
 * both sides open are on it); `-i` keeps stdin attached, because s_server and
 * s_client take commands (k, K, q) and data there; `--init` makes a signal
 * sent to the `docker run` process (which proxies it) end openssl, which as
 * PID 1 would otherwise ignore SIGTERM; each mount is bound at the same path,
 * so file arguments are identical in both modes.
 */
export function commandLine(peer: Peer, args: readonly string[], opts: CommandOptions): { file: string; args: string[] } {
  if (peer.kind === 'local') return { file: peer.binary, args: [...args] };
  if (peer.kind === 'gnutls') {
    const [tool, ...rest] = args;
    if (tool !== 'gnutls-serv' && tool !== 'gnutls-cli') throw new Error(`a GnuTLS peer runs gnutls-serv or gnutls-cli, not ${String(tool)}`);
    return { file: peer.dir ? `${peer.dir}/${tool}` : tool, args: rest };
  }
  const docker = ['run', '--rm', '-i', '--init', '--network', 'host', '--name', opts.name];
  for (const dir of opts.mounts) docker.push('-v', `${dir}:${dir}`);
  if (opts.cwd !== undefined) docker.push('-w', opts.cwd);
  docker.push(peer.image, 'openssl', ...args);
  return { file: peer.docker, args: docker };
}

// ------------------------------------------------------------- processes

/** Most peer output kept for the report (the start and the end are kept). */
const KEEP_HEAD = 48 * 1024;
const KEEP_TAIL = 16 * 1024;

/** A running openssl process with its output captured. */
export class PeerProcess {
  /** Every process started and not yet exited, so an interrupted run can end them (by pid). */
  static readonly live = new Set<PeerProcess>();

  /** Sends SIGKILL to every live process, by pid (for Ctrl-C and exit). */
  static killAllNow(): void {
    for (const p of PeerProcess.live) if (p.pid > 0) signal(p.pid, 'SIGKILL');
  }

  readonly child: ChildProcess;
  readonly pid: number;
  readonly command: string;
  /** stdout and stderr as text, interleaved in arrival order (bounded). */
  private head = '';
  private tail = '';
  private dropped = 0;
  /** stdout only, as text (bounded like the transcript): what the waits match against. */
  private stdoutText = '';
  /** Byte count and SHA-256 of everything on stdout (for bulk transfers). */
  stdoutBytes = 0;
  private readonly stdoutHash: Hash = createHash('sha256');
  private stdoutRaw: Buffer[] | undefined;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly listeners = new Set<() => void>();
  private readonly containerName: string | undefined;
  private readonly dockerBinary: string | undefined;

  constructor(peer: Peer, args: readonly string[], opts: CommandOptions & { keepStdoutRaw?: boolean }) {
    const { file, args: argv } = commandLine(peer, args, opts);
    this.command = [file, ...argv].join(' ');
    if (peer.kind === 'docker') {
      this.containerName = opts.name;
      this.dockerBinary = peer.docker;
    }
    if (opts.keepStdoutRaw) this.stdoutRaw = [];
    this.child = spawn(file, argv, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    if (this.child.pid === undefined) {
      // spawn failures (ENOENT) surface as an 'error' event; give a pid-less process a clear message.
      this.pid = -1;
    } else {
      this.pid = this.child.pid;
    }
    PeerProcess.live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.record(`\n[spawn error: ${err.message}]\n`);
        this.exitInfo ??= { code: null, signal: null };
        PeerProcess.live.delete(this);
        this.notify();
        resolve(this.exitInfo);
      });
      this.child.once('close', (code, signal) => {
        this.exitInfo = { code, signal };
        PeerProcess.live.delete(this);
        this.notify();
        resolve(this.exitInfo);
      });
    });
    this.child.stdout!.on('data', (b: Buffer) => {
      this.stdoutBytes += b.length;
      this.stdoutHash.update(b);
      this.stdoutRaw?.push(b);
      if (this.stdoutText.length < KEEP_HEAD) this.stdoutText += b.toString('latin1');
      this.record(b.toString('latin1'));
      this.notify();
    });
    this.child.stderr!.on('data', (b: Buffer) => {
      this.record(b.toString('latin1'));
      this.notify();
    });
    // A peer that exits while we still write to its stdin must not crash the runner.
    this.child.stdin!.on('error', () => {});
  }

  /** The transcript kept for the report. */
  get output(): string {
    return this.dropped > 0 ? `${this.head}\n[… ${this.dropped} characters left out …]\n${this.tail}` : this.head + this.tail;
  }

  /** stdout+stderr text seen so far (bounded), for matching. */
  get text(): string {
    return this.head + this.tail;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  /** SHA-256 (hex) of all stdout bytes so far. */
  stdoutDigest(): string {
    return this.stdoutHash.copy().digest('hex');
  }

  /** Raw stdout, when the process was started with `keepStdoutRaw`. */
  stdoutBuffer(): Buffer {
    return Buffer.concat(this.stdoutRaw ?? []);
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  get exitCode(): number | null | undefined {
    return this.exitInfo?.code;
  }

  /** Writes to the peer's stdin (commands, lines of data). */
  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      const stdin = this.child.stdin!;
      if (stdin.destroyed || stdin.writableEnded) return resolve();
      if (stdin.write(data)) resolve();
      else stdin.once('drain', () => resolve());
    });
  }

  /** Closes the peer's stdin (s_client treats EOF as "close the connection"). */
  endStdin(): void {
    const stdin = this.child.stdin!;
    if (!stdin.destroyed && !stdin.writableEnded) stdin.end();
  }

  /** Calls `check` after every piece of output and on exit until it returns true. */
  onChange(check: () => boolean): () => void {
    const listener = (): void => {
      if (check()) this.listeners.delete(listener);
    };
    this.listeners.add(listener);
    listener();
    return () => this.listeners.delete(listener);
  }

  /**
   * Waits until the output (stdout and stderr) matches `pattern`. Rejects if
   * the process exits first. No timeout here: the case timeout bounds it.
   */
  waitFor(pattern: RegExp | string, what = String(pattern)): Promise<RegExpExecArray> {
    const re = typeof pattern === 'string' ? new RegExp(escapeRegExp(pattern)) : pattern;
    return new Promise((resolve, reject) => {
      this.onChange(() => {
        const m = re.exec(this.text);
        if (m) {
          resolve(m);
          return true;
        }
        if (this.exitInfo) {
          reject(new Error(`${this.command.split(' ')[0]} exited (code ${this.exitInfo.code ?? this.exitInfo.signal}) before printing ${what}`));
          return true;
        }
        return false;
      });
    });
  }

  /** Waits until stdout has `count` bytes (bulk transfers). */
  waitForStdoutBytes(count: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.onChange(() => {
        if (this.stdoutBytes >= count) {
          resolve();
          return true;
        }
        if (this.exitInfo) {
          reject(new Error(`openssl exited after writing ${this.stdoutBytes} of ${count} bytes to stdout`));
          return true;
        }
        return false;
      });
    });
  }

  /** Waits for the process to exit by itself. */
  async waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  /**
   * Ends the process by its pid: SIGTERM, then SIGKILL if it is still there
   * after `graceMs`. For a container, the `docker run` client forwards the
   * signal; if even SIGKILL leaves the container behind, it is removed by
   * its unique name.
   */
  async kill(graceMs = 1_000): Promise<void> {
    if (this.exitInfo || this.pid < 0) return;
    this.endStdin();
    signal(this.pid, 'SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), delay(graceMs).then(() => false)]);
    if (done) return;
    signal(this.pid, 'SIGKILL');
    await Promise.race([this.exited, delay(graceMs)]);
    if (this.containerName && this.dockerBinary) {
      try {
        execFileSync(this.dockerBinary, ['rm', '-f', this.containerName], { stdio: 'ignore', timeout: 10_000 });
      } catch {
        // The container is gone already (the usual case with --rm).
      }
    }
  }

  private record(s: string): void {
    if (this.head.length < KEEP_HEAD) {
      const room = KEEP_HEAD - this.head.length;
      this.head += s.slice(0, room);
      s = s.slice(room);
    }
    if (s.length === 0) return;
    this.tail += s;
    if (this.tail.length > KEEP_TAIL) {
      this.dropped += this.tail.length - KEEP_TAIL;
      this.tail = this.tail.slice(this.tail.length - KEEP_TAIL);
    }
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ------------------------------------------------------------ docker images

/** The repository of the images interop/docker-compose.yml builds. */
export const DOCKER_REPOSITORY = 'tls13-interop/openssl';

/** OpenSSL versions the compose file builds, and the default `--docker` peers. */
export const DOCKER_VERSIONS: readonly string[] = ['3.0', '3.5'];

/** The image for an OpenSSL version ("3.5" → "tls13-interop/openssl:3.5"). */
export function dockerImage(version: string): string {
  return `${DOCKER_REPOSITORY}:${version}`;
}
