/**
 * Full handshakes between our client and our server for every cipher suite
 * × key exchange group × server certificate type, checking what each side
 * says it negotiated and that application data flows both ways.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../src/registry.js';
import { parseCertificates } from '../../src/x509/index.js';
import {
  ROOT,
  asyncCrypto,
  certified,
  drive,
  exchangeData,
  expectConnected,
  handshake,
  newPair,
  now,
  payload,
  pkiText,
  records,
  type Pair,
} from './pair.js';

const SUITES = [
  ['TLS_AES_128_GCM_SHA256', CipherSuite.TLS_AES_128_GCM_SHA256],
  ['TLS_AES_256_GCM_SHA384', CipherSuite.TLS_AES_256_GCM_SHA384],
  ['TLS_CHACHA20_POLY1305_SHA256', CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
] as const;

const GROUPS = [
  ['X25519MLKEM768', NamedGroup.X25519MLKEM768],
  ['x25519', NamedGroup.x25519],
  ['secp256r1', NamedGroup.secp256r1],
  ['secp384r1', NamedGroup.secp384r1],
] as const;

/** Each server certificate, the name it is valid for, and the scheme a default client gets. */
const CERTS = [
  { leaf: 'leaf-p256', host: 'p256.test', scheme: 'ecdsa_secp256r1_sha256' },
  { leaf: 'leaf-p384', host: 'p384.test', scheme: 'ecdsa_secp384r1_sha384' },
  { leaf: 'leaf-ed25519', host: 'ed25519.test', scheme: 'ed25519' },
  { leaf: 'leaf-rsa', host: 'rsa.test', scheme: 'rsa_pss_rsae_sha256' },
] as const;

const serverConfigs = new Map<string, ServerConfig>();
/** One config object per certificate, so its PEM is parsed once (settings are cached per config). */
function serverConfig(leaf: string): ServerConfig {
  let c = serverConfigs.get(leaf);
  if (!c) {
    c = { certificates: [certified(leaf)], alpnProtocols: ['http/1.1', 'h2'], now };
    serverConfigs.set(leaf, c);
  }
  return c;
}

function leafDer(leaf: string): Uint8Array {
  return parseCertificates(pkiText(`${leaf}.pem`))[0]!.raw;
}

function expectAgreement(p: Pair, expected: { suite: string; group: string; scheme: string; alpn: string | undefined; host: string }): void {
  const c = p.client.conn.state;
  const s = p.server.conn.state;
  for (const st of [c, s]) {
    expect(st.version).toBe('TLSv1.3');
    expect(st.cipherSuite?.name).toBe(expected.suite);
    expect(st.group?.name).toBe(expected.group);
    expect(st.signatureScheme?.name).toBe(expected.scheme);
    expect(st.alpnProtocol).toBe(expected.alpn);
    expect(st.handshakeComplete).toBe(true);
    expect(st.handshakeConfirmed).toBe(true);
    expect(st.resumed).toBe(false);
    expect(st.earlyDataAccepted).toBe(false);
  }
  expect(c.side).toBe('client');
  expect(s.side).toBe('server');
  expect(s.serverName).toBe(expected.host);
  // The client saw and verified the server's chain; the server asked for nothing.
  expect(c.peerCertificates).toHaveLength(2);
  expect(c.verifiedChains.length).toBeGreaterThan(0);
  expect(c.verifiedChains[0]!.map((x) => x.subject.text)).toHaveLength(3);
  expect(s.peerCertificates).toEqual([]);
  // The 'handshake' event carries the same state as the getter.
  const event = p.client.ofType('handshake')[0]!;
  expect(event.state.cipherSuite).toEqual(c.cipherSuite);
}

let combinations = 0;
afterAll(() => {
  // Printed so that a reader of the test log sees the size of the matrix.
  console.log(`handshake matrix: ${combinations} combinations (suites ${SUITES.length} × groups ${GROUPS.length} × certificates ${CERTS.length})`);
});

describe('every suite × group × server certificate', () => {
  for (const [suiteName, suite] of SUITES) {
    for (const [groupName, group] of GROUPS) {
      for (const cert of CERTS) {
        it(`${suiteName} / ${groupName} / ${cert.leaf}`, async () => {
          const client: ClientConfig = {
            ca: ROOT,
            now,
            cipherSuites: [suite],
            groups: [group],
            alpnProtocols: ['h2', 'http/1.1'],
          };
          const p = await handshake(client, serverConfig(cert.leaf), cert.host);
          expectConnected(p);
          expectAgreement(p, { suite: suiteName, group: groupName, scheme: cert.scheme, alpn: 'http/1.1', host: cert.host });
          expect(p.client.conn.state.peerCertificates[0]).toEqual(leafDer(cert.leaf));
          // A single key share for the only group: no HelloRetryRequest, so two flights and a Finished.
          expect(p.wire.toServer.length).toBeGreaterThanOrEqual(2);
          await exchangeData(p, payload(1000, 1), payload(17_000, 2));
          // Both sides derive the same exporter values (RFC 8446 §7.5).
          const ctx = new Uint8Array([1, 2, 3]);
          expect(p.client.conn.exportKeyingMaterial('EXPERIMENTAL matrix', ctx, 32)).toEqual(
            p.server.conn.exportKeyingMaterial('EXPERIMENTAL matrix', ctx, 32),
          );
          combinations++;
        });
      }
    }
  }
});

describe('negotiation details', () => {
  it('the server picks its own preference order for suites, groups and ALPN', async () => {
    const client: ClientConfig = {
      ca: ROOT,
      now,
      cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384],
      groups: [NamedGroup.x25519, NamedGroup.secp384r1],
      keyShareGroups: [NamedGroup.x25519, NamedGroup.secp384r1],
      alpnProtocols: ['h2', 'http/1.1'],
    };
    const server: ServerConfig = {
      certificates: [certified('leaf-p256')],
      cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
      groups: [NamedGroup.secp384r1, NamedGroup.x25519],
      alpnProtocols: ['http/1.1', 'h2'],
      now,
    };
    const p = await handshake(client, server, 'localhost');
    expectConnected(p);
    expect(p.client.conn.state.cipherSuite?.name).toBe('TLS_AES_256_GCM_SHA384');
    expect(p.client.conn.state.group?.name).toBe('secp384r1');
    expect(p.client.conn.state.alpnProtocol).toBe('http/1.1');
  });

  it('with preferServerCipherSuites false the client order wins', async () => {
    const client: ClientConfig = {
      ca: ROOT,
      now,
      cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384],
      alpnProtocols: ['h2', 'http/1.1'],
    };
    const server: ServerConfig = {
      certificates: [certified('leaf-p256')],
      cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
      alpnProtocols: ['http/1.1', 'h2'],
      preferServerCipherSuites: false,
      now,
    };
    const p = await handshake(client, server, 'localhost');
    expectConnected(p);
    expect(p.server.conn.state.cipherSuite?.name).toBe('TLS_CHACHA20_POLY1305_SHA256');
    expect(p.server.conn.state.alpnProtocol).toBe('h2');
  });

  it('the default client offers the hybrid and x25519 shares and gets the hybrid', async () => {
    const p = await handshake({ ca: ROOT, now }, { certificates: [certified('leaf-p256')], now }, 'localhost');
    expectConnected(p);
    expect(p.client.conn.state.group?.name).toBe('X25519MLKEM768');
    expect(p.client.conn.state.cipherSuite?.name).toBe('TLS_AES_128_GCM_SHA256');
    expect(p.client.conn.state.alpnProtocol).toBeUndefined();
  });

  it('a server without ML-KEM uses the x25519 share the default client sends alongside', async () => {
    const p = await handshake(
      { ca: ROOT, now },
      { certificates: [certified('leaf-p256')], groups: [NamedGroup.x25519, NamedGroup.secp256r1], now },
      'localhost',
    );
    expectConnected(p);
    expect(p.server.conn.state.group?.name).toBe('x25519');
  });

  for (const [scheme, name] of [
    [SignatureScheme.rsa_pss_rsae_sha256, 'rsa_pss_rsae_sha256'],
    [SignatureScheme.rsa_pss_rsae_sha384, 'rsa_pss_rsae_sha384'],
    [SignatureScheme.rsa_pss_rsae_sha512, 'rsa_pss_rsae_sha512'],
  ] as const) {
    it(`an RSA-2048 server signs with ${name} when that is all the client accepts`, async () => {
      const p = await handshake(
        { ca: ROOT, now, signatureSchemes: [scheme], groups: [NamedGroup.x25519] },
        serverConfig('leaf-rsa'),
        'rsa.test',
      );
      expectConnected(p);
      expect(p.client.conn.state.signatureScheme?.name).toBe(name);
      expect(p.server.conn.state.signatureScheme?.name).toBe(name);
    });
  }

  it('no signature scheme the certificate can make: handshake_failure', async () => {
    // The client accepts only Ed25519 signatures; the server has only a P-256 key.
    const p = await handshake(
      { ca: ROOT, now, signatureSchemes: [SignatureScheme.ed25519], groups: [NamedGroup.x25519] },
      { certificates: [certified('leaf-p256')], now },
      'localhost',
    );
    expect(p.server.error?.alert).toBe('handshake_failure');
    expect(p.server.error?.message).toMatch(/no signature scheme in common/);
    expect(`${p.client.error?.side} ${p.client.error?.alert}`).toBe('remote handshake_failure');
  });

  it('no cipher suite in common: handshake_failure with an actionable message', async () => {
    const p = await handshake(
      { ca: ROOT, now, cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256] },
      { certificates: [certified('leaf-p256')], cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256], now },
      'localhost',
    );
    expect(p.server.error?.alert).toBe('handshake_failure');
    expect(p.server.error?.message).toMatch(/no cipher suite in common.*cipherSuites/);
    expect(p.client.error?.message).toMatch(/remote error: the peer sent handshake_failure/);
  });

  it('no group in common: handshake_failure', async () => {
    const p = await handshake(
      { ca: ROOT, now, groups: [NamedGroup.x25519] },
      { certificates: [certified('leaf-p256')], groups: [NamedGroup.secp384r1], now },
      'localhost',
    );
    expect(p.server.error?.alert).toBe('handshake_failure');
    expect(p.server.error?.message).toMatch(/no key exchange group in common/);
  });

  it('no ALPN protocol in common: no_application_protocol (RFC 7301 §3.2)', async () => {
    const p = await handshake(
      { ca: ROOT, now, alpnProtocols: ['h2'] },
      { certificates: [certified('leaf-p256')], alpnProtocols: ['http/1.1'], now },
      'localhost',
    );
    expect(p.server.error?.alert).toBe('no_application_protocol');
    expect(p.client.error?.alert).toBe('no_application_protocol');
    expect(p.client.error?.side).toBe('remote');
  });

  it('a client that offers ALPN to a server without it gets no protocol', async () => {
    const p = await handshake({ ca: ROOT, now, alpnProtocols: ['h2'] }, { certificates: [certified('leaf-p256')], now }, 'localhost');
    expectConnected(p);
    expect(p.client.conn.state.alpnProtocol).toBeUndefined();
  });
});

describe('record size and padding', () => {
  it('record_size_limit (RFC 8449): the server sends records no larger than the client asked for', async () => {
    const p = await handshake({ ca: ROOT, now, groups: [NamedGroup.x25519], recordSizeLimit: 512 }, serverConfig('leaf-p256'), 'p256.test');
    expectConnected(p);
    const before = p.wire.toClient.length;
    await exchangeData(p, payload(3000, 1), payload(3000, 2));
    const sizes = p.wire.toClient.slice(before).flatMap((b) => records(b).map((r) => r.fragment.length));
    // Inner plaintext (content + type byte) ≤ 512, plus the 16-byte tag.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(512 + 16);
    expect(sizes.length).toBeGreaterThanOrEqual(6);
  });

  it('padding on both sides: records grow, data arrives intact (§5.4)', async () => {
    const padding = () => 100;
    const p = await handshake({ ca: ROOT, now, groups: [NamedGroup.x25519], padding }, { certificates: [certified('leaf-p256')], now, padding }, 'p256.test');
    expectConnected(p);
    const before = p.wire.toClient.length;
    await exchangeData(p, payload(10, 1), payload(10, 2));
    const sizes = p.wire.toClient.slice(before).flatMap((b) => records(b).map((r) => r.fragment.length));
    expect(sizes).toEqual([10 + 1 + 100 + 16]);
  });
});

describe('delivery and asynchronous crypto', () => {
  it('completes when every byte arrives in its own receive() call', async () => {
    const p = await handshake(
      { ca: ROOT, now, groups: [NamedGroup.x25519] },
      serverConfig('leaf-p256'),
      'p256.test',
      { chunk: 1 },
    );
    expectConnected(p);
    await exchangeData(p, payload(300, 3), payload(300, 4));
  });

  it('completes when both sides use an asynchronous crypto provider', async () => {
    const crypto = asyncCrypto(undefined, 1);
    const p = await handshake(
      { ca: ROOT, now, crypto, groups: [NamedGroup.secp256r1] },
      { certificates: [certified('leaf-ed25519')], crypto, now },
      'ed25519.test',
    );
    expectConnected(p);
    expect(p.client.conn.state.signatureScheme?.name).toBe('ed25519');
    await exchangeData(p, payload(5000, 5), payload(5000, 6));
  });

  it('large writes are split into records of at most 2^14 bytes of plaintext', async () => {
    const p = await handshake({ ca: ROOT, now, groups: [NamedGroup.x25519] }, serverConfig('leaf-p256'), 'p256.test');
    expectConnected(p);
    const before = p.wire.toClient.length;
    await exchangeData(p, new Uint8Array(0), payload(100_000, 7));
    const sent = p.wire.toClient.slice(before);
    const lengths = sent.flatMap((b) => records(b).map((r) => r.fragment.length));
    expect(Math.max(...lengths)).toBeLessThanOrEqual(16384 + 256);
    expect(lengths.length).toBeGreaterThanOrEqual(7);
  });

  it('data written before the handshake completes is sent once it does', async () => {
    const p = newPair({ ca: ROOT, now, groups: [NamedGroup.x25519] }, serverConfig('leaf-p256'), 'p256.test');
    p.client.conn.write(payload(10, 8));
    p.server.conn.write(payload(20, 9));
    await drive(p);
    expectConnected(p);
    expect(p.server.data).toEqual(payload(10, 8));
    expect(p.client.data).toEqual(payload(20, 9));
  });
});
