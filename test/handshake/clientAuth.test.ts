/**
 * Client authentication (RFC 8446 §4.3.2, §4.4.2): every `clientAuth` mode
 * against a client with a trusted certificate, with none, and with one from
 * a CA the server does not know; then the getClientCertificate hook.
 */
import { describe, expect, it } from 'vitest';
import type { CertificateRequestInfo, ClientAuthMode, ClientConfig, ServerConfig } from '../../src/config.js';
import { loadCertifiedKey } from '../../src/handshake/settings.js';
import type { TraceEntry } from '../../src/handshake/events.js';
import { NamedGroup, SignatureScheme, type AlertName } from '../../src/registry.js';
import { parseCertificates } from '../../src/x509/index.js';
import {
  ROOT,
  certified,
  delayed,
  exchangeData,
  expectConnected,
  expectFailed,
  handshake,
  newPair,
  drive,
  now,
  payload,
  pkiText,
  type Pair,
} from './pair.js';

const SERVER_CERT = certified('leaf-p256');
const CLIENT_CERT = certified('leaf-client');
/** Issued directly by the P-384 root, which the server does not trust. */
const FOREIGN_CLIENT_CERT = certified('leaf-p384root', []);

function der(name: string): Uint8Array {
  return parseCertificates(pkiText(`${name}.pem`))[0]!.raw;
}

type ClientKind = 'trusted cert' | 'no cert' | 'cert from unknown CA';

function clientConfig(kind: ClientKind): ClientConfig {
  const base: ClientConfig = { ca: ROOT, now, groups: [NamedGroup.x25519], sessionCache: false };
  if (kind === 'trusted cert') return { ...base, certificates: [CLIENT_CERT] };
  if (kind === 'cert from unknown CA') return { ...base, certificates: [FOREIGN_CLIENT_CERT] };
  return base;
}

function serverConfig(mode: ClientAuthMode, extra: Partial<ServerConfig> = {}): ServerConfig {
  return { certificates: [SERVER_CERT], clientAuth: mode, clientCa: ROOT, now, ...extra };
}

/** What the server should end up with. */
type Outcome =
  | { ok: true; peer: 'none' | 'trusted' | 'foreign'; verified: boolean }
  | { ok: false; alert: AlertName; message: RegExp };

const OK_NONE: Outcome = { ok: true, peer: 'none', verified: false };
const CERT_REQUIRED: Outcome = { ok: false, alert: 'certificate_required', message: /sent no certificate.*`clientAuth` requires one/ };
const UNKNOWN_CA: Outcome = { ok: false, alert: 'unknown_ca', message: /unknown authority.*add the issuing CA/ };

const TABLE: Record<ClientAuthMode, Record<ClientKind, Outcome>> = {
  none: {
    'trusted cert': OK_NONE,
    'no cert': OK_NONE,
    'cert from unknown CA': OK_NONE,
  },
  request: {
    'trusted cert': { ok: true, peer: 'trusted', verified: false },
    'no cert': OK_NONE,
    'cert from unknown CA': { ok: true, peer: 'foreign', verified: false },
  },
  require: {
    'trusted cert': { ok: true, peer: 'trusted', verified: false },
    'no cert': CERT_REQUIRED,
    'cert from unknown CA': { ok: true, peer: 'foreign', verified: false },
  },
  'verify-if-given': {
    'trusted cert': { ok: true, peer: 'trusted', verified: true },
    'no cert': OK_NONE,
    'cert from unknown CA': UNKNOWN_CA,
  },
  'require-and-verify': {
    'trusted cert': { ok: true, peer: 'trusted', verified: true },
    'no cert': CERT_REQUIRED,
    'cert from unknown CA': UNKNOWN_CA,
  },
};

function sentTypes(trace: readonly TraceEntry[]): string[] {
  return trace.flatMap((e) => (e.kind === 'message' && e.direction === 'sent' ? [e.message.type] : []));
}

async function run(mode: ClientAuthMode, kind: ClientKind): Promise<{ p: Pair; serverTrace: TraceEntry[]; clientTrace: TraceEntry[] }> {
  const serverTrace: TraceEntry[] = [];
  const clientTrace: TraceEntry[] = [];
  const p = newPair(
    { ...clientConfig(kind), trace: (e) => clientTrace.push(e) },
    serverConfig(mode, { trace: (e) => serverTrace.push(e) }),
    'localhost',
  );
  // Data queued on both sides: it must reach the peer only if the handshake succeeds.
  p.client.conn.write(payload(64, 1));
  p.server.conn.write(payload(64, 2));
  await drive(p);
  return { p, serverTrace, clientTrace };
}

describe('clientAuth mode × client certificate', () => {
  let combinations = 0;
  for (const mode of Object.keys(TABLE) as ClientAuthMode[]) {
    for (const kind of Object.keys(TABLE[mode]) as ClientKind[]) {
      const outcome = TABLE[mode][kind];
      const expected = outcome.ok ? `success (${outcome.peer}${outcome.verified ? ', verified' : ''})` : outcome.alert;
      it(`${mode} / ${kind} → ${expected}`, async () => {
        combinations++;
        const { p, serverTrace, clientTrace } = await run(mode, kind);
        // A CertificateRequest goes out exactly when the mode is not 'none'.
        expect(sentTypes(serverTrace).includes('certificate_request')).toBe(mode !== 'none');
        const clientSent = sentTypes(clientTrace);
        if (mode === 'none') {
          expect(clientSent).not.toContain('certificate');
        } else if (kind === 'no cert') {
          // §4.4.2: an empty Certificate, and no CertificateVerify.
          expect(clientSent).toContain('certificate');
          expect(clientSent).not.toContain('certificate_verify');
        } else {
          expect(clientSent).toEqual(expect.arrayContaining(['certificate', 'certificate_verify', 'finished']));
        }

        if (!outcome.ok) {
          const err = expectFailed(p.server, outcome.alert, p.client);
          expect(err.message).toMatch(outcome.message);
          // The client finished its flight before the server judged it (TLS 1.3), then got the alert.
          expect(p.client.dataEvents).toEqual([]);
          return;
        }
        expectConnected(p);
        expect(p.server.data).toEqual(payload(64, 1));
        expect(p.client.data).toEqual(payload(64, 2));
        const st = p.server.conn.state;
        const peer = { none: [], trusted: [der('leaf-client'), der('int-ec')], foreign: [der('leaf-p384root')] }[outcome.peer];
        expect(st.peerCertificates).toEqual(peer);
        if (outcome.verified) {
          expect(st.verifiedChains).toHaveLength(1);
          expect(st.verifiedChains[0]!.map((c) => c.subject.text)).toEqual([
            expect.stringContaining('client.test'),
            expect.stringContaining('Test Intermediate CA'),
            expect.stringContaining('Test Root CA'),
          ]);
        } else {
          expect(st.verifiedChains).toEqual([]);
        }
        // The event the application sees says the same.
        expect(p.server.ofType('handshake')[0]!.state.peerCertificates).toEqual(peer);
        await exchangeData(p, payload(500, 3), payload(500, 4));
      });
    }
  }
  it('covered all 15 combinations', () => {
    expect(combinations).toBe(15);
  });
});

describe('client certificate verification on the server', () => {
  it('an expired client certificate under require-and-verify → certificate_expired', async () => {
    const p = await handshake(
      { ca: ROOT, now, certificates: [certified('leaf-expired')], groups: [NamedGroup.x25519] },
      serverConfig('require-and-verify'),
      'localhost',
    );
    const err = expectFailed(p.server, 'certificate_expired', p.client);
    expect(err.message).toMatch(/has expired.*renew it or check the clock/);
  });

  it('a client certificate without clientAuth EKU under verify-if-given → unsupported_certificate', async () => {
    // leaf-rsa is serverAuth only.
    const p = await handshake(
      { ca: ROOT, now, certificates: [certified('leaf-rsa')], groups: [NamedGroup.x25519] },
      serverConfig('verify-if-given'),
      'localhost',
    );
    const err = expectFailed(p.server, 'unsupported_certificate', p.client);
    expect(err.message).toMatch(/not valid for .*client.*reissue it with clientAuth/);
  });

  it('the same certificate is accepted under request (not verified)', async () => {
    const p = await handshake(
      { ca: ROOT, now, certificates: [certified('leaf-rsa')], groups: [NamedGroup.x25519] },
      serverConfig('request'),
      'localhost',
    );
    expectConnected(p);
    expect(p.server.conn.state.peerCertificates[0]).toEqual(der('leaf-rsa'));
  });

  it('a client whose only key the server cannot accept sends an empty Certificate → certificate_required under require', async () => {
    const p = await handshake(
      { ca: ROOT, now, certificates: [certified('leaf-ed25519')], groups: [NamedGroup.x25519] },
      serverConfig('require', { signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256] }),
      'localhost',
    );
    expectFailed(p.server, 'certificate_required', p.client);
  });

  it('among several certificates the client picks one whose key the server accepts', async () => {
    const p = await handshake(
      { ca: ROOT, now, certificates: [certified('leaf-ed25519'), CLIENT_CERT], groups: [NamedGroup.x25519] },
      serverConfig('require-and-verify', { signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256] }),
      'localhost',
    );
    expectConnected(p);
    expect(p.server.conn.state.peerCertificates[0]).toEqual(der('leaf-client'));
  });

  it('an RSA client certificate signs with RSA-PSS', async () => {
    const p = await handshake(
      { ca: ROOT, now, certificates: [certified('leaf-rsa')], groups: [NamedGroup.x25519] },
      serverConfig('require'),
      'localhost',
    );
    expectConnected(p);
  });

  it('a client CertificateVerify that does not verify → decrypt_error', async () => {
    const p = await handshake(
      {
        ca: ROOT,
        now,
        certificates: [certified('leaf-ed25519')],
        groups: [NamedGroup.x25519],
        shapeMessage: (m) =>
          m.type === 'certificate_verify' ? { ...m, signature: m.signature.map((b, i) => (i === 5 ? b ^ 0x40 : b)) } : m,
      },
      serverConfig('require'),
      'localhost',
    );
    const err = expectFailed(p.server, 'decrypt_error', p.client);
    expect(err.message).toMatch(/CertificateVerify signature \(ed25519\) did not verify/);
  });

  it('a client Certificate with a non-empty request context → illegal_parameter', async () => {
    const p = await handshake(
      {
        ca: ROOT,
        now,
        certificates: [CLIENT_CERT],
        groups: [NamedGroup.x25519],
        shapeMessage: (m) => (m.type === 'certificate' ? { ...m, certificateRequestContext: new Uint8Array([1]) } : m),
      },
      serverConfig('require'),
      'localhost',
    );
    expectFailed(p.server, 'illegal_parameter', p.client);
  });
});

describe('getClientCertificate', () => {
  const clientKey = loadCertifiedKey(CLIENT_CERT);

  function checkRequest(info: CertificateRequestInfo): void {
    // The server's schemes, and the name of the CA it trusts (§4.2.4).
    expect(info.signatureSchemes).toContain(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(info.signatureSchemes).toContain(SignatureScheme.rsa_pss_rsae_sha256);
    expect(info.signatureSchemesCert.length).toBeGreaterThan(0);
    expect(info.certificateAuthorities).toEqual([parseCertificates(ROOT)[0]!.subject.raw]);
    expect(info.context).toEqual(new Uint8Array(0));
  }

  it('a synchronous hook supplies the certificate', async () => {
    const calls: CertificateRequestInfo[] = [];
    const p = await handshake(
      {
        ca: ROOT,
        now,
        groups: [NamedGroup.x25519],
        getClientCertificate: (info) => {
          calls.push(info);
          return clientKey;
        },
      },
      serverConfig('require-and-verify'),
      'localhost',
    );
    expectConnected(p);
    expect(calls).toHaveLength(1);
    checkRequest(calls[0]!);
    expect(p.server.conn.state.peerCertificates[0]).toEqual(der('leaf-client'));
  });

  it('an asynchronous hook (a Promise settled later) supplies the certificate', async () => {
    const calls: CertificateRequestInfo[] = [];
    const p = await handshake(
      {
        ca: ROOT,
        now,
        groups: [NamedGroup.x25519],
        getClientCertificate: (info) => {
          calls.push(info);
          return delayed(5, () => clientKey);
        },
      },
      serverConfig('require-and-verify'),
      'localhost',
    );
    expectConnected(p);
    checkRequest(calls[0]!);
    expect(p.server.conn.state.verifiedChains).toHaveLength(1);
  });

  it('the hook takes precedence over `certificates`', async () => {
    const p = await handshake(
      { ca: ROOT, now, groups: [NamedGroup.x25519], certificates: [certified('leaf-rsa')], getClientCertificate: () => clientKey },
      serverConfig('require'),
      'localhost',
    );
    expectConnected(p);
    expect(p.server.conn.state.peerCertificates[0]).toEqual(der('leaf-client'));
  });

  it('a hook returning undefined sends an empty Certificate (fine under request)', async () => {
    const p = await handshake(
      { ca: ROOT, now, groups: [NamedGroup.x25519], getClientCertificate: () => delayed(1, () => undefined) },
      serverConfig('request'),
      'localhost',
    );
    expectConnected(p);
    expect(p.server.conn.state.peerCertificates).toEqual([]);
  });

  it('a hook returning undefined under require → certificate_required', async () => {
    const p = await handshake(
      { ca: ROOT, now, groups: [NamedGroup.x25519], getClientCertificate: () => undefined },
      serverConfig('require'),
      'localhost',
    );
    expectFailed(p.server, 'certificate_required', p.client);
  });

  it('a hook that throws aborts the client with internal_error and its message', async () => {
    const p = await handshake(
      {
        ca: ROOT,
        now,
        groups: [NamedGroup.x25519],
        getClientCertificate: () => {
          throw new Error('smart card not present');
        },
      },
      serverConfig('request'),
      'localhost',
    );
    const err = expectFailed(p.client, 'internal_error', p.server);
    expect(err.message).toBe('getClientCertificate rejected the connection: smart card not present');
  });

  it('a hook whose Promise rejects aborts the client with internal_error and its message', async () => {
    const p = await handshake(
      {
        ca: ROOT,
        now,
        groups: [NamedGroup.x25519],
        getClientCertificate: () => delayed(3, () => Promise.reject(new Error('PIN entry cancelled'))),
      },
      serverConfig('request'),
      'localhost',
    );
    const err = expectFailed(p.client, 'internal_error', p.server);
    expect(err.message).toBe('getClientCertificate rejected the connection: PIN entry cancelled');
  });

  it('is not called when the server does not ask', async () => {
    let called = false;
    const p = await handshake(
      {
        ca: ROOT,
        now,
        groups: [NamedGroup.x25519],
        getClientCertificate: () => {
          called = true;
          return clientKey;
        },
      },
      serverConfig('none'),
      'localhost',
    );
    expectConnected(p);
    expect(called).toBe(false);
  });
});
