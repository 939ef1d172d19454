/**
 * `tls13 cert`: a CA and certificates made by the command, usable at once by
 * our verifier, by OpenSSL, and by the server and client commands.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nobleCrypto, parseCertificate, parseCertificates, parsePrivateKey } from '../../src/index.js';
import { OID, verifyChain } from '../../src/x509/index.js';
import { OPENSSL, killAll, runCli, startCliServer, tempDir } from './helpers.js';

const dir = tempDir();
const path = (name: string): string => join(dir.path, name);

beforeAll(async () => {
  const ca = await runCli(['cert', 'ca', '--out', path('ca')]);
  expect(ca.code, ca.stderr).toBe(0);
  const [server, alice, ed] = await Promise.all([
    runCli(['cert', 'issue', '--ca', path('ca'), '--dns', 'localhost,svc.test', '--ip', '127.0.0.1', '--out', path('server')]),
    runCli(['cert', 'issue', '--ca', path('ca'), '--client', '--out', path('certs/alice')]),
    runCli(['cert', 'issue', '--ca', path('ca'), '--both', '--ed25519', '--dns', 'both.test', '--out', path('both')]),
  ]);
  for (const r of [server, alice, ed]) expect(r.code, r.stderr).toBe(0);
}, 60_000);
afterEach(() => killAll());
afterAll(() => {
  killAll();
  dir.remove();
});

describe('tls13 cert', { timeout: 60_000 }, () => {
  it('writes PEM certificates and PKCS#8 keys, keys readable only by the owner', () => {
    for (const name of ['ca/ca', 'server', 'certs/alice', 'both']) {
      expect(readFileSync(path(`${name}.crt`), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
      expect(readFileSync(path(`${name}.key`), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(statSync(path(`${name}.key`)).mode & 0o777).toBe(0o600);
      parsePrivateKey(readFileSync(path(`${name}.key`), 'utf8'));
    }
    const ca = parseCertificates(readFileSync(path('ca/ca.crt'), 'utf8'))[0]!;
    expect(ca.subject.text).toBe('CN=tls13 development CA, O=tls13');
    expect(ca.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    const server = parseCertificates(readFileSync(path('server.crt'), 'utf8'))[0]!;
    expect(server.subject.text).toBe('CN=localhost');
    expect(server.subjectAltName?.dnsNames).toEqual(['localhost', 'svc.test']);
    expect(server.extKeyUsage).toEqual([OID.serverAuth]);
    const alice = parseCertificates(readFileSync(path('certs/alice.crt'), 'utf8'))[0]!;
    expect(alice.subject.text).toBe('CN=alice');
    expect(alice.extKeyUsage).toEqual([OID.clientAuth]);
    const both = parseCertificate(parseCertificates(readFileSync(path('both.crt'), 'utf8'))[0]!.raw);
    expect(both.extKeyUsage).toEqual([OID.serverAuth, OID.clientAuth]);
    expect(both.publicKey?.kind).toBe('ed25519');
  });

  it('the certificates verify with our verifier', async () => {
    const roots = parseCertificates(readFileSync(path('ca/ca.crt'), 'utf8'));
    const leaf = parseCertificates(readFileSync(path('server.crt'), 'utf8'))[0]!;
    const chains = await Promise.resolve().then(() =>
      verifyChain({ leaf, roots, now: new Date(), provider: nobleCrypto, usage: 'server', serverName: '127.0.0.1' }),
    );
    expect(chains).toHaveLength(1);
  });

  it.skipIf(!OPENSSL.ok)(`openssl verify accepts them (${OPENSSL.version})`, () => {
    for (const [name, purpose] of [
      ['server', 'sslserver'],
      ['certs/alice', 'sslclient'],
      ['both', 'sslserver'],
    ] as const) {
      const r = spawnSync('openssl', ['verify', '-CAfile', path('ca/ca.crt'), '-purpose', purpose, path(`${name}.crt`)], { encoding: 'utf8' });
      expect(r.stdout.trim(), r.stderr).toBe(`${path(`${name}.crt`)}: OK`);
    }
    const text = spawnSync('openssl', ['x509', '-in', path('server.crt'), '-noout', '-text'], { encoding: 'utf8' }).stdout;
    expect(text).toContain('DNS:localhost, DNS:svc.test, IP Address:127.0.0.1');
  });

  it('mutual TLS with the files, as the help describes', async () => {
    const server = await startCliServer(['--cert', path('server.crt'), '--key', path('server.key'), '--ca', path('ca/ca.crt'), '--www', '--naccept', '1']);
    const r = await runCli(
      ['client', `localhost:${server.port}`, '--ca', path('ca/ca.crt'), '--cert', path('certs/alice.crt'), '--key', path('certs/alice.key')],
      { stdin: 'GET / HTTP/1.0\r\n\r\n' },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Client certificate: CN=alice, issued by CN=tls13 development CA, O=tls13');
  });

  it('refuses to overwrite, and explains mistakes', async () => {
    const [again, noNames, help, bad, missingCa] = await Promise.all([
      runCli(['cert', 'ca', '--out', path('ca')]),
      runCli(['cert', 'issue', '--ca', path('ca'), '--out', path('nameless')]),
      runCli(['cert', '--help']),
      runCli(['cert', 'frob']),
      runCli(['cert', 'issue', '--ca', path('nowhere'), '--dns', 'x.test', '--out', path('x')]),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ca\.crt already exists \(use --force to overwrite\)/);
    expect(noNames.code).toBe(2);
    expect(noNames.stderr).toContain('a server certificate needs --dns or --ip');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('.crt  a certificate, PEM');
    expect(help.stdout).toContain('.key  a private key, PEM PKCS#8');
    expect(help.stdout).toContain('.pem  just the generic name');
    expect(help.stdout).toContain('Mutual TLS in three commands');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown cert command "frob"');
    expect(missingCa.code).toBe(1);
    expect(missingCa.stderr).toMatch(/cannot read CA certificate .*nowhere.*ca\.crt: ENOENT/);
  });
});
