/**
 * `tls13 client` ↔ `tls13 server` as real processes (127.0.0.1, ephemeral
 * ports), continued from pair.test.ts (split so the two files run in
 * parallel): client certificates, KeyUpdate, --trace and --keylog, and the
 * errors and usage mistakes a user meets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, killAll, makePki, runCli, startCliServer, tempDir, type Pki } from './helpers.js';

const dir = tempDir();
let pki: Pki;

beforeAll(async () => {
  pki = await makePki(dir.path);
});
afterEach(() => killAll());
afterAll(() => {
  killAll();
  dir.remove();
});

const serverArgs = (): string[] => ['--cert', pki.serverCrt, '--key', pki.serverKey];
const GET = 'GET / HTTP/1.0\r\n\r\n';

describe('tls13 client ↔ tls13 server: options and errors', { timeout: 60_000 }, () => {
  it('client certificates: required and verified with --ca', async () => {
    const server = await startCliServer([...serverArgs(), '--ca', pki.caCrt, '--www', '--naccept', '2']);
    const without = await runCli(['client', `127.0.0.1:${server.port}`, '--ca', pki.caCrt], { stdin: GET });
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/tls13: error: remote error: the peer sent certificate_required/);
    const withCert = await runCli(
      ['client', `127.0.0.1:${server.port}`, '--ca', pki.caCrt, '--cert', pki.clientCrt, '--key', pki.clientKey],
      { stdin: GET },
    );
    expect(withCert.code).toBe(0);
    expect(withCert.stdout).toContain('Client certificate: CN=alice, issued by CN=CLI test CA');
    await server.exited;
    expect(server.stderr()).toContain('[#1] error: the client sent no certificate');
    expect(server.stderr()).toContain('[#2] client certificate: CN=alice');
  });

  it('--key-update: a stdin line "K" sends a KeyUpdate instead of data', async () => {
    const server = await startCliServer([...serverArgs(), '--naccept', '1']);
    const r = await runCli(['client', `127.0.0.1:${server.port}`, '--ca', pki.caCrt, '--key-update'], { stdin: 'before\nK\nafter\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('before\nafter\n');
    expect(r.stderr).toContain('KeyUpdate sent (update_requested)');
    expect(r.stderr).toContain('keys updated (write)');
    await server.exited;
    expect(server.stderr()).toContain('[#1] keys updated (read)');
    expect(server.stderr()).toContain('[#1] keys updated (write)');
  });

  it('--key-update: SIGUSR1 sends a KeyUpdate', async () => {
    const server = await startCliServer([...serverArgs(), '--naccept', '1']);
    let stderr = '';
    const r = await runCli(['client', `127.0.0.1:${server.port}`, '--ca', pki.caCrt, '--key-update'], {
      keepStdinOpen: true,
      onStart: (child) => {
        child.stderr!.on('data', (d: Buffer | string) => {
          const before = stderr;
          stderr += String(d);
          if (!before.includes('handshake:') && stderr.includes('handshake:') && child.pid !== undefined) process.kill(child.pid, 'SIGUSR1');
          if (!before.includes('keys updated (read)') && stderr.includes('keys updated (read)')) child.stdin!.end('done\n');
        });
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('KeyUpdate sent (update_requested)');
    expect(r.stdout).toBe('done\n');
    await server.exited;
    expect(server.stderr()).toContain('[#1] keys updated (read)');
  });

  it('--trace decodes the handshake on stderr; --keylog writes NSS key log lines', async () => {
    const keylog = join(dir.path, 'keys.log');
    const server = await startCliServer([...serverArgs(), '--naccept', '1', '--trace']);
    const r = await runCli(['client', `127.0.0.1:${server.port}`, '--ca', pki.caCrt, '--trace', '--keylog', keylog], { stdin: 'x' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('x');
    expect(r.stderr).toMatch(/client: #\d+ → ClientHello .*\[RFC 8446 §4\.1\.2\]/);
    expect(r.stderr).toContain('client: ');
    expect(r.stderr).toMatch(/← ServerHello/);
    expect(r.stderr).toMatch(/\[state\] WAIT_FINISHED → CONNECTED/);
    const lines = readFileSync(keylog, 'utf8').trim().split('\n');
    const labels = lines.map((l) => l.split(' ')[0]);
    expect(labels).toEqual(
      expect.arrayContaining(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']),
    );
    for (const l of lines) expect(l).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}$/);
    await server.exited;
    expect(server.stderr()).toMatch(/\[#1\] server: #\d+ ← ClientHello/);
  });

  it('fails with the reason when the server is not trusted, has another name, or is not there', async () => {
    const server = await startCliServer([...serverArgs()]);
    const untrusted = await runCli(['client', `127.0.0.1:${server.port}`, '--ca', pki.otherCaCrt]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^tls13: error: .*(unknown authority|not signed by|could not be verified|trusted)/m);

    const wrongName = await runCli(['client', `127.0.0.1:${server.port}`, '--ca', pki.caCrt, '--servername', 'other.test']);
    expect(wrongName.code).toBe(1);
    expect(wrongName.stderr).toMatch(/tls13: error: .*not other\.test/);

    const insecure = await runCli(['client', `127.0.0.1:${server.port}`, '--insecure', '--servername', 'other.test'], { stdin: 'ok' });
    expect(insecure.stderr).toMatch(/^WARNING: --insecure: the server certificate is NOT verified/);
    expect(insecure.stdout).toBe('ok');
    expect(insecure.code).toBe(0);

    await eventually(() => server.stderr().includes('[#3] closed'), 'three connections');
    if (server.child.pid !== undefined) process.kill(server.child.pid, 'SIGTERM');
    expect(await server.exited).toBe(0);

    const refused = await runCli(['client', `127.0.0.1:${server.port}`, '--ca', pki.caCrt]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/tls13: error: connect ECONNREFUSED 127\.0\.0\.1:\d+/);
  });

  it('rejects bad usage with exit status 2 and the usage text', async () => {
    const [unknown, early, noCert, verifyNoCa, badGroup, command, help, missingFile] = await Promise.all([
      runCli(['client', '127.0.0.1:1', '--bogus']),
      runCli(['client', '127.0.0.1:1', '--early-data', 'f']),
      runCli(['server', '--port', '0']),
      runCli(['server', ...serverArgs(), '--client-auth', 'require-and-verify']),
      runCli(['client', '127.0.0.1:1', '--groups', 'ffdhe2048']),
      runCli(['frobnicate']),
      runCli(['server', '--help']),
      runCli(['client', '127.0.0.1:1', '--ca', join(dir.path, 'nope.pem')]),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^tls13: unknown option --bogus\n\nusage: tls13 client HOST:PORT \[options\]/);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('--early-data needs --sess-in');
    expect(noCert.code).toBe(2);
    expect(noCert.stderr).toContain('--cert is required');
    expect(verifyNoCa.code).toBe(2);
    expect(verifyNoCa.stderr).toContain('needs --ca');
    expect(badGroup.code).toBe(2);
    expect(badGroup.stderr).toContain('unknown or unsupported group "ffdhe2048"');
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "frobnicate"');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: tls13 server [options]');
    expect(missingFile.code).toBe(1);
    expect(missingFile.stderr).toMatch(/tls13: error: cannot read CA file .*nope\.pem: ENOENT/);
  });
});
