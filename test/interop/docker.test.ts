/**
 * The `--docker` path without a Docker engine: the command lines it builds,
 * how options become peers, and (when openssl is installed) real cases run
 * through a stand-in `docker` CLI that checks the flags and then runs the
 * local openssl exactly as the container would.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES } from '../../interop/cases.js';
import { parseArgs, resolvePeers } from '../../interop/cli.js';
import {
  capabilitiesFromVersion,
  commandLine,
  dockerImage,
  dockerPeer,
  localPeer,
  PeerProcess,
  type LocalPeer,
  type Peer,
} from '../../interop/peer.js';
import { makePki, type Pki } from '../../interop/pki.js';
import { runCase } from '../../interop/runner.js';

const fakeLocal = (binary: string): LocalPeer => ({
  kind: 'local',
  label: `fake ${binary}`,
  binary,
  capabilities: { version: '3.0.0', mlkem: false },
});

describe('peer capabilities', () => {
  it('reads the version line of openssl 3.x', () => {
    expect(capabilitiesFromVersion('OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)\n')).toEqual({ version: '3.0.19', mlkem: false });
    expect(capabilitiesFromVersion('OpenSSL 3.5.4 30 Sep 2025')).toEqual({ version: '3.5.4', mlkem: true });
    expect(capabilitiesFromVersion('OpenSSL 3.4.1 11 Feb 2025').mlkem).toBe(false);
    expect(capabilitiesFromVersion('OpenSSL 4.0.0 1 Jan 2027').mlkem).toBe(true);
  });

  it('refuses what is not OpenSSL 3 or later', () => {
    expect(() => capabilitiesFromVersion('OpenSSL 1.1.1w  11 Sep 2023')).toThrow(/too old/);
    expect(() => capabilitiesFromVersion('LibreSSL 3.8.2')).toThrow(/not an OpenSSL version/);
  });

  it('says why a missing binary cannot be used', () => {
    expect(() => localPeer('/nonexistent/openssl')).toThrow(/cannot run "\/nonexistent\/openssl version"/);
  });
});

describe('command lines', () => {
  const args = ['s_server', '-accept', '127.0.0.1:0', '-cert', '/tmp/pki/p256.pem'];

  it('runs a local binary directly, arguments untouched', () => {
    expect(commandLine(fakeLocal('/opt/openssl/bin/openssl'), args, { mounts: ['/tmp/pki'], name: 'x', cwd: '/tmp/pki/cases/1' })).toEqual({
      file: '/opt/openssl/bin/openssl',
      args,
    });
  });

  it('wraps the same arguments in docker run for a Docker peer', () => {
    const peer = dockerPeer(dockerImage('3.5'), '3.5');
    expect(commandLine(peer, args, { mounts: ['/tmp/pki'], name: 'tls13-interop-1-2', cwd: '/tmp/pki/cases/1' })).toEqual({
      file: 'docker',
      args: [
        'run', '--rm', '-i', '--init', '--network', 'host', '--name', 'tls13-interop-1-2',
        '-v', '/tmp/pki:/tmp/pki', '-w', '/tmp/pki/cases/1',
        'tls13-interop/openssl:3.5', 'openssl', ...args,
      ],
    });
  });

  it('mounts every directory at the same path and omits -w without a working directory', () => {
    const peer = dockerPeer('example/openssl:3.0.15', '3.0.15', '/usr/bin/podman');
    const { file, args: argv } = commandLine(peer, ['version'], { mounts: ['/a', '/b c'], name: 'n' });
    expect(file).toBe('/usr/bin/podman');
    expect(argv).toEqual(['run', '--rm', '-i', '--init', '--network', 'host', '--name', 'n', '-v', '/a:/a', '-v', '/b c:/b c', 'example/openssl:3.0.15', 'openssl', 'version']);
  });
});

describe('options', () => {
  it('parses every option, in both --flag value and --flag=value forms', () => {
    const o = parseArgs(['--peer', 'openssl', '--peer=/opt/o/bin/openssl', '--filter', 'alpn', '--concurrency=2', '--timeout-scale', '1.5', '--verbose', '--json', 'out.json']);
    expect(o).toMatchObject({
      peers: ['openssl', '/opt/o/bin/openssl'],
      filters: ['alpn'],
      concurrency: 2,
      timeoutScale: 1.5,
      verbose: true,
      json: 'out.json',
      docker: false,
    });
  });

  it('rejects unknown options and bad values', () => {
    expect(() => parseArgs(['--nope'])).toThrow(/unknown option --nope/);
    expect(() => parseArgs(['--peer'])).toThrow(/--peer needs a value/);
    expect(() => parseArgs(['--concurrency', '0'])).toThrow(/positive integer/);
  });

  it('defaults to the local openssl', () => {
    const seen: string[] = [];
    const peers = resolvePeers(parseArgs([]), (b) => (seen.push(b), fakeLocal(b)));
    expect(seen).toEqual(['openssl']);
    expect(peers.map((p) => p.kind)).toEqual(['local']);
  });

  it('--docker defaults to the 3.0 and 3.5 images of the compose file', () => {
    const peers = resolvePeers(parseArgs(['--docker']), () => {
      throw new Error('no local probe in docker mode');
    });
    expect(peers.map((p) => (p.kind === 'docker' ? p.image : p.kind === 'local' ? p.binary : p.dir))).toEqual(['tls13-interop/openssl:3.0', 'tls13-interop/openssl:3.5']);
    expect(peers.map((p) => p.capabilities.mlkem)).toEqual([false, true]);
    const compose = readFileSync(new URL('../../interop/docker-compose.yml', import.meta.url), 'utf8');
    for (const p of peers) expect(compose).toContain(`image: ${(p as { image: string }).image}`);
  });

  it('--docker --peer takes versions or tagged image names', () => {
    const peers = resolvePeers(parseArgs(['--docker', '--docker-bin', 'podman', '--peer', '3.5', '--peer', 'registry.example/ossl:3.4.1']));
    expect(peers).toMatchObject([
      { kind: 'docker', image: 'tls13-interop/openssl:3.5', docker: 'podman', capabilities: { version: '3.5.0', mlkem: true } },
      { kind: 'docker', image: 'registry.example/ossl:3.4.1', docker: 'podman', capabilities: { version: '3.4.1', mlkem: false } },
    ]);
    expect(() => resolvePeers(parseArgs(['--docker', '--peer', 'latest']))).toThrow(/give a version/);
  });
});

// ------------------------------------------- the docker path, end to end

let local: LocalPeer | undefined;
try {
  local = localPeer(process.env.TLS13_INTEROP_OPENSSL ?? 'openssl');
} catch {
  local = undefined;
}

/**
 * A stand-in for the docker CLI: checks `run --rm -i --init --network host
 * --name N (-v a:a)* (-w d)? IMAGE openssl …`, logs the line, then runs the
 * local openssl in the working directory, as the container would.
 */
const FAKE_DOCKER = `#!/usr/bin/env bash
set -u
echo "$*" >> "$FAKE_DOCKER_LOG"
[ "$1" = run ] || { echo "fake docker: not run: $1" >&2; exit 64; }
shift
for want in --rm -i --init; do
  [ "$1" = "$want" ] || { echo "fake docker: expected $want, got $1" >&2; exit 64; }
  shift
done
[ "$1" = --network ] && [ "$2" = host ] || { echo "fake docker: expected --network host" >&2; exit 64; }
shift 2
[ "$1" = --name ] || { echo "fake docker: expected --name" >&2; exit 64; }
shift 2
cwd=
while [ $# -gt 0 ]; do
  case "$1" in
    -v) src=\${2%%:*}; dst=\${2#*:}; [ "$src" = "$dst" ] || { echo "fake docker: mount $2 changes the path" >&2; exit 64; }; shift 2 ;;
    -w) cwd=$2; shift 2 ;;
    *) break ;;
  esac
done
shift # the image
[ "$1" = openssl ] || { echo "fake docker: expected openssl, got $1" >&2; exit 64; }
shift
[ -n "$cwd" ] && cd "$cwd"
exec "$FAKE_DOCKER_OPENSSL" "$@"
`;

describe.skipIf(local === undefined)('the --docker path through a stand-in docker CLI (no engine needed)', () => {
  let dir: string;
  let pki: Pki;
  let peer: Peer;
  const log = (): string[] => readFileSync(join(dir, 'docker.log'), 'utf8').trim().split('\n');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tls13-fake-docker-'));
    const docker = join(dir, 'docker');
    writeFileSync(docker, FAKE_DOCKER);
    chmodSync(docker, 0o755);
    writeFileSync(join(dir, 'docker.log'), '');
    process.env.FAKE_DOCKER_LOG = join(dir, 'docker.log');
    process.env.FAKE_DOCKER_OPENSSL = local!.binary;
    // The tag carries the local version, so capabilities match what really runs.
    peer = dockerPeer(dockerImage(local!.capabilities.version), local!.capabilities.version, docker);
    pki = await makePki(local!.binary);
  }, 120_000);

  afterAll(() => {
    pki?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the stand-in refuses a command line without the required flags', async () => {
    const p = new PeerProcess({ ...fakeLocal(join(dir, 'docker')) }, ['run', '--rm', 'img', 'openssl', 'version'], { mounts: [], name: 'x' });
    const { code } = await p.waitExit();
    expect(code).toBe(64);
    expect(p.output).toMatch(/expected -i/);
  });

  // One case of each kind that depends on how openssl is started: port
  // discovery from its output, stdin commands, files in the mounted
  // directory (session, early data), the working directory (-WWW), killing.
  const picks = ['params-aes-128-gcm-hrr-rsa', 'early-accepted', 'keyupdate-peer-requested', 'close-by-peer', 'unknown-ca'];
  for (const c of CASES.filter((x) => picks.some((p) => x.id.startsWith(`${p}/`)))) {
    it(`${c.row} [${c.direction}] runs through docker run`, async () => {
      const before = log().filter(Boolean).length;
      const r = await runCase(c, peer, pki, { timeoutScale: 2 });
      expect(r.status, `${r.step}: ${r.error}\n${r.peerOutput.slice(-2000)}`).toBe('pass');
      const lines = log().filter(Boolean).slice(before);
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(new RegExp(`^run --rm -i --init --network host --name tls13-interop-\\d+-\\d+ -v ${pki.dir}:${pki.dir} -w ${pki.dir}/cases/\\S+ tls13-interop/openssl:\\S+ openssl s_(server|client) `));
    }, 120_000);
  }
});
