/**
 * The CLI against OpenSSL, both ways, on 127.0.0.1 with ephemeral ports:
 * `tls13 client` ↔ `openssl s_server`, and `openssl s_client` ↔ `tls13
 * server`, including resumption and 0-RTT. Skipped, with the reason in the
 * suite name, when openssl is not installed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OPENSSL, eventually, killAll, makePki, runCli, runProcess, startCliServer, startServer, tempDir, type Pki } from './helpers.js';

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

const GET = 'GET / HTTP/1.0\r\n\r\n';

describe.skipIf(!OPENSSL.ok)(`CLI interop with ${OPENSSL.version}`, { timeout: 60_000 }, () => {
  const sServer = (...extra: string[]) =>
    startServer('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', pki.serverCrt, '-key', pki.serverKey, '-tls1_3', ...extra], {
      // s_server sends what it reads on stdin; keep it open so EOF does not end the session.
      stdinOpen: true,
    });

  it('tls13 client → openssl s_server -www', async () => {
    const server = await sServer('-www', '-naccept', '1');
    const r = await runCli(['client', `localhost:${server.port}`, '--ca', pki.caCrt], { stdin: GET });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.0 200 ok/);
    expect(r.stdout).toContain('Protocol  : TLSv1.3');
    expect(r.stderr).toContain('handshake: TLSv1.3');
    expect(r.stderr).toContain('certificate: verified for localhost');
  });

  it('tls13 client → openssl s_server: each group and suite', async () => {
    // x25519MLKEM768 needs OpenSSL 3.5; these three are in every 3.x.
    for (const [group, suite] of [
      ['x25519', 'TLS_AES_256_GCM_SHA384'],
      ['secp256r1', 'TLS_CHACHA20_POLY1305_SHA256'],
      ['secp384r1', 'TLS_AES_128_GCM_SHA256'],
    ] as const) {
      const server = await sServer('-www', '-naccept', '1');
      const r = await runCli(['client', `localhost:${server.port}`, '--ca', pki.caCrt, '--groups', group, '--ciphers', suite], { stdin: GET });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`handshake: TLSv1.3, ${suite}, group ${group}`);
      expect(r.stdout).toContain(`Cipher    : ${suite}`);
    }
  });

  it('tls13 client → openssl s_server -early_data: resumption with 0-RTT', async () => {
    const server = await sServer('-early_data', '-naccept', '2');
    const sess = join(dir.path, 'ossl-server.sess');
    const first = await runCli(['client', `localhost:${server.port}`, '--ca', pki.caCrt, '--sess-out', sess], { stdin: 'first line\n' });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/session ticket saved to .* \(0-RTT allowed: \d+ bytes\)/);
    const early = join(dir.path, 'early-to-openssl.txt');
    writeFileSync(early, 'sent as early data\n');
    const second = await runCli(['client', `localhost:${server.port}`, '--ca', pki.caCrt, '--sess-in', sess, '--early-data', early]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('early data: ACCEPTED by the server');
    expect(second.stderr).toContain('resumed (PSK), 0-RTT accepted');
    await eventually(() => server.stdout().includes('sent as early data'), 's_server to print the early data');
    expect(server.stdout()).toContain('first line');
    expect(server.stdout()).toContain('Early data received:');
    expect(server.stdout()).toContain('Reused session-id');
  });

  it('tls13 client with a client certificate → openssl s_server -Verify', async () => {
    const server = await sServer('-www', '-naccept', '1', '-Verify', '1', '-CAfile', pki.caCrt, '-verify_return_error');
    const r = await runCli(['client', `localhost:${server.port}`, '--ca', pki.caCrt, '--cert', pki.clientCrt, '--key', pki.clientKey], { stdin: GET });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('HTTP/1.0 200 ok');
    // s_server -www lists the client certificate it verified.
    expect(r.stdout).toMatch(/Client certificate[\s\S]*CN\s*=\s*alice/);
  });

  it('openssl s_client → tls13 server --www, then resumption with 0-RTT', async () => {
    const server = await startCliServer(['--cert', pki.serverCrt, '--key', pki.serverKey, '--www', '--early-data', '16384', '--naccept', '2']);
    const sess = join(dir.path, 'ossl-client.sess');
    const common = ['s_client', '-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-CAfile', pki.caCrt, '-verify_return_error', '-ign_eof'];
    const first = await runProcess('openssl', [...common, '-sess_out', sess], { stdin: GET });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Verify return code: 0 (ok)');
    expect(first.stdout).toContain('Resumed: no');
    expect(first.stdout).toContain('Protocol: TLSv1.3');
    expect(readFileSync(sess, 'latin1')).toContain('BEGIN SSL SESSION PARAMETERS');

    const early = join(dir.path, 'early-from-openssl.txt');
    writeFileSync(early, 'GET /early HTTP/1.0\r\n\r\n');
    const second = await runProcess('openssl', [...common, '-sess_in', sess, '-early_data', early]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/Reused, TLSv1\.3/);
    expect(second.stdout).toContain('Early data was accepted');
    expect(second.stdout).toContain('Resumed: yes');
    expect(second.stdout).toContain('Request arrived as early data: yes');
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toContain('[#2] request: GET /early HTTP/1.0 (arrived as 0-RTT early data)');
  });

  it('openssl s_client with a client certificate → tls13 server --ca', async () => {
    const server = await startCliServer(['--cert', pki.serverCrt, '--key', pki.serverKey, '--ca', pki.caCrt, '--www', '--naccept', '1']);
    const r = await runProcess(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-CAfile', pki.caCrt, '-cert', pki.clientCrt, '-key', pki.clientKey, '-ign_eof'],
      { stdin: GET },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Client certificate: CN=alice');
    expect(await server.exited).toBe(0);
  });
});
