/**
 * `tls13 client` ↔ `tls13 server`, as real processes on 127.0.0.1 with
 * ephemeral ports: echo, --www, ALPN, group and suite choice, resumption and
 * 0-RTT through session files. (options.test.ts has the rest.)
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
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

describe('tls13 client ↔ tls13 server', { timeout: 60_000 }, () => {
  it('echoes what the client sends, then both exit 0', async () => {
    const server = await startCliServer([...serverArgs(), '--naccept', '1']);
    const client = await runCli(['client', `127.0.0.1:${server.port}`, '--ca', pki.caCrt], { stdin: 'hello\nworld\n' });
    expect(client.stderr).toContain('handshake: TLSv1.3');
    expect(client.stderr).toContain('certificate: verified for 127.0.0.1');
    expect(client.stdout).toBe('hello\nworld\n');
    expect(client.code).toBe(0);
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toContain('[#1] client sent close_notify');
  });

  it('--www describes the connection: suite, group, ALPN, no resumption', async () => {
    const server = await startCliServer([...serverArgs(), '--www', '--alpn', 'h2,http/1.1', '--naccept', '1']);
    const client = await runCli(
      ['client', `localhost:${server.port}`, '--ca', pki.caCrt, '--alpn', 'http/1.1', '--groups', 'secp256r1', '--ciphers', 'TLS_CHACHA20_POLY1305_SHA256'],
      { stdin: GET },
    );
    expect(client.code).toBe(0);
    expect(client.stdout).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
    expect(client.stdout).toContain('Request: GET / HTTP/1.0');
    expect(client.stdout).toContain('Protocol: TLSv1.3');
    expect(client.stdout).toContain('Cipher: TLS_CHACHA20_POLY1305_SHA256');
    expect(client.stdout).toContain('Group: secp256r1');
    expect(client.stdout).toContain('ALPN: http/1.1');
    expect(client.stdout).toContain('SNI: localhost');
    expect(client.stdout).toContain('Resumed: no');
    expect(client.stdout).toContain('Request arrived as early data: no');
    // Content-Length counts the body exactly.
    const split = client.stdout.indexOf('\r\n\r\n');
    const head = client.stdout.slice(0, split);
    const body = client.stdout.slice(split + 4);
    expect(Number(/Content-Length: (\d+)/.exec(head)![1])).toBe(Buffer.byteLength(body));
    expect(await server.exited).toBe(0);
  });

  it('--sess-out / --sess-in / --early-data: resumption with 0-RTT, and the page says the request was early', async () => {
    const server = await startCliServer([...serverArgs(), '--www', '--early-data', '4096', '--naccept', '3']);
    const sess = join(dir.path, 'session.pem');
    const first = await runCli(['client', `localhost:${server.port}`, '--ca', pki.caCrt, '--sess-out', sess], { stdin: GET });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Resumed: no');
    expect(first.stderr).toContain(`session ticket saved to ${sess} (0-RTT allowed: 4096 bytes)`);
    expect(readFileSync(sess, 'utf8')).toMatch(/^-----BEGIN TLS13 SESSION-----\n/);
    expect(statSync(sess).mode & 0o777).toBe(0o600);

    const early = join(dir.path, 'early.txt');
    writeFileSync(early, 'GET /early HTTP/1.0\r\n\r\n');
    const second = await runCli(['client', `localhost:${server.port}`, '--ca', pki.caCrt, '--sess-in', sess, '--early-data', early]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('early data: sending 23 of 23 bytes as 0-RTT');
    expect(second.stderr).toContain('early data: ACCEPTED by the server');
    expect(second.stderr).toContain('resumed (PSK), 0-RTT accepted');
    expect(second.stdout).toContain('Request: GET /early HTTP/1.0');
    expect(second.stdout).toContain('Resumed: yes');
    expect(second.stdout).toContain('Early data accepted: yes');
    expect(second.stdout).toContain('Request arrived as early data: yes (23 bytes of 0-RTT data');
    await eventually(() => server.stderr().includes('[#2] closed'), 'the second connection to close');
    expect(server.stderr()).toContain('[#2] received 23 bytes of 0-RTT (early) data');
    expect(server.stderr()).toContain('[#2] request: GET /early HTTP/1.0 (arrived as 0-RTT early data)');

    // The same session file again: the ticket was single-use for 0-RTT, so the
    // server refuses the early data (anti-replay); the client resends it as 1-RTT.
    const third = await runCli(['client', `localhost:${server.port}`, '--ca', pki.caCrt, '--sess-in', sess, '--early-data', early]);
    expect(third.code).toBe(0);
    expect(third.stderr).toContain('early data: REJECTED by the server; 23 bytes resent after the handshake');
    expect(third.stdout).toContain('Request arrived as early data: no');
    expect(third.stdout).toContain('Request: GET /early HTTP/1.0');
    expect(await server.exited).toBe(0);
  });

  it('--early-data without a session that allows it sends the data after the handshake', async () => {
    const server = await startCliServer([...serverArgs(), '--www', '--naccept', '2']); // 0-RTT off
    const sess = join(dir.path, 'session-no0rtt.pem');
    expect((await runCli(['client', `localhost:${server.port}`, '--ca', pki.caCrt, '--sess-out', sess], { stdin: GET })).code).toBe(0);
    const early = join(dir.path, 'early2.txt');
    writeFileSync(early, GET);
    const r = await runCli(['client', `localhost:${server.port}`, '--ca', pki.caCrt, '--sess-in', sess, '--early-data', early]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the session does not allow 0-RTT');
    expect(r.stdout).toContain('Resumed: yes');
    expect(r.stdout).toContain('Request arrived as early data: no');
  });
});
