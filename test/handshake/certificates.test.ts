/**
 * Certificate validation through the whole handshake: the client verifies
 * the server's chain and name and sends the alert that fits (RFC 8446
 * §6.2), with a sentence that says what to do. The x509 layer has its own
 * unit tests; these check that each verdict reaches the wire.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../src/config.js';
import { NamedGroup, type AlertName } from '../../src/registry.js';
import {
  INTERMEDIATE,
  IMPOSTOR_ROOT,
  ROOT,
  certified,
  expectConnected,
  expectFailed,
  handshake,
  now,
  pkiText,
  type Pair,
} from './pair.js';

function clientConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { ca: ROOT, now, groups: [NamedGroup.x25519], sessionCache: false, ...extra };
}

/** Handshake with the server presenting `leaf` (+ `chain`), the client expecting `host`. */
async function connect(leaf: string, host: string, options: { chain?: string[]; client?: Partial<ClientConfig> } = {}): Promise<Pair> {
  return handshake(clientConfig(options.client), { certificates: [certified(leaf, options.chain)], now }, host);
}

async function expectRejected(p: Pair, alert: AlertName, message: RegExp): Promise<void> {
  const err = expectFailed(p.client, alert, p.server);
  expect(err.message).toMatch(message);
  // The server never completed: it did not get a Finished.
  expect(p.server.completed).toBe(false);
}

describe('validity period', () => {
  it('an expired server certificate → certificate_expired', async () => {
    await expectRejected(await connect('leaf-expired', 'expired.test'), 'certificate_expired', /has expired \(notAfter 2021-01-01.*renew it or check the clock/);
  });

  it('a not-yet-valid server certificate → certificate_expired (TLS has no "not yet valid" alert)', async () => {
    await expectRejected(await connect('leaf-notyet', 'notyet.test'), 'certificate_expired', /is not valid yet \(notBefore 2100-01-01.*check the clock/);
  });

  it('a valid certificate seen from before its notBefore (injected clock) → certificate_expired', async () => {
    const p = await connect('leaf-p256', 'localhost', { client: { now: () => new Date('2024-06-01T00:00:00Z') } });
    await expectRejected(p, 'certificate_expired', /not valid yet/);
  });

  it('a valid certificate seen after its notAfter (injected clock) → certificate_expired', async () => {
    const p = await connect('leaf-p256', 'localhost', { client: { now: () => new Date('2125-01-02T00:00:00Z') } });
    await expectRejected(p, 'certificate_expired', /has expired/);
  });

  it('an expired intermediate sent alongside the current one is stepped over', async () => {
    expectConnected(await connect('leaf-p256', 'localhost', { chain: ['int-ec-old', 'int-ec'] }));
  });
});

describe('host names', () => {
  it('wrong host → bad_certificate naming what the certificate is valid for', async () => {
    await expectRejected(await connect('leaf-p256', 'example.com'), 'bad_certificate', /certificate is valid for p256\.test, localhost, not example\.com/);
  });

  it('host names match case-insensitively', async () => {
    expectConnected(await connect('leaf-p256', 'LocalHost'));
  });

  it('a certificate without subjectAltName is not matched on its Common Name → bad_certificate', async () => {
    await expectRejected(await connect('leaf-nosan', 'nosan.test'), 'bad_certificate', /no DNS or IP subjectAltName.*Common Name "nosan\.test" is not used/);
  });

  describe('wildcards (*.wild.test, wild.test)', () => {
    for (const host of ['a.wild.test', 'WWW.Wild.Test', 'wild.test', 'xn--bcher-kva.wild.test']) {
      it(`matches ${host}`, async () => {
        expectConnected(await connect('leaf-wildcard', host));
      });
    }
    for (const host of ['a.b.wild.test', 'other.test', 'awild.test', 'wild.test.evil']) {
      it(`does not match ${host} → bad_certificate`, async () => {
        await expectRejected(await connect('leaf-wildcard', host), 'bad_certificate', new RegExp(`certificate is valid for \\*\\.wild\\.test, wild\\.test, not ${host.replace(/\./g, '\\.')}`));
      });
    }
  });

  describe('IP address SANs (127.0.0.1, ::1)', () => {
    for (const host of ['127.0.0.1', '::1', '0:0:0:0:0:0:0:1']) {
      it(`matches ${host}, and sends no SNI for an IP literal (RFC 6066 §3)`, async () => {
        const p = await connect('leaf-ip', host);
        expectConnected(p);
        expect(p.server.conn.state.serverName).toBeUndefined();
      });
    }
    for (const host of ['127.0.0.2', '::2', 'localhost']) {
      it(`does not match ${host} → bad_certificate`, async () => {
        await expectRejected(await connect('leaf-ip', host), 'bad_certificate', /certificate is valid for 127\.0\.0\.1, ::1, not/);
      });
    }
    it('a DNS-only certificate does not match an IP → bad_certificate', async () => {
      await expectRejected(await connect('leaf-p256', '127.0.0.1'), 'bad_certificate', /not 127\.0\.0\.1/);
    });
  });

  it('an invalid server name → bad_certificate telling how to pass one', async () => {
    await expectRejected(await connect('leaf-p256', 'bad..name'), 'bad_certificate', /is not a valid host name or IP address/);
  });
});

describe('chains and trust anchors', () => {
  it('unknown CA → unknown_ca with "add the issuing CA to `ca`"', async () => {
    const p = await connect('leaf-p384root', 'p384root.test', { chain: [] });
    await expectRejected(p, 'unknown_ca', /signed by unknown authority.*add the issuing CA to `ca`/);
  });

  it('a root with the same name but another key (impostor) → unknown_ca', async () => {
    await expectRejected(await connect('leaf-p256', 'localhost', { client: { ca: IMPOSTOR_ROOT } }), 'unknown_ca', /unknown authority/);
  });

  it('the same chain trusted with the right root in a list of several', async () => {
    expectConnected(await connect('leaf-p384root', 'p384root.test', { chain: [], client: { ca: [IMPOSTOR_ROOT, pkiText('root-p384.pem'), ROOT] } }));
  });

  it('a server that omits its intermediate → unknown_ca telling it to send intermediates', async () => {
    await expectRejected(await connect('leaf-p256', 'localhost', { chain: [] }), 'unknown_ca', /make sure the peer sends its intermediate certificates/);
  });

  it('... unless the client was given the intermediate in `intermediates`', async () => {
    expectConnected(await connect('leaf-p256', 'localhost', { chain: [], client: { intermediates: INTERMEDIATE } }));
  });

  it('a CA:false "intermediate" → unknown_ca (not a CA)', async () => {
    await expectRejected(await connect('leaf-under-notca', 'notca.test', { chain: ['int-notca'] }), 'unknown_ca', /is not a CA \(basicConstraints cA is false\)/);
  });

  it('an intermediate without keyCertSign → unknown_ca', async () => {
    await expectRejected(await connect('leaf-under-nokcs', 'nokcs.test', { chain: ['int-nokeycertsign'] }), 'unknown_ca', /keyUsage lacks keyCertSign/);
  });

  it('pathlen:0 exceeded by a sub-CA → unknown_ca (path length)', async () => {
    await expectRejected(
      await connect('leaf-under-sub', 'sub.test', { chain: ['int-sub', 'int-pathlen0'] }),
      'unknown_ca',
      /allows at most 0 intermediate CAs below it.*but this chain has 1/,
    );
  });

  it('pathlen:0 with the leaf directly below it is fine', async () => {
    expectConnected(await connect('leaf-under-pathlen0', 'pathlen0.test', { chain: ['int-pathlen0'] }));
  });

  it('a chain loop terminates → unknown_ca', async () => {
    await expectRejected(await connect('leaf-loop', 'loop.test', { chain: ['loop-a', 'loop-b'] }), 'unknown_ca', /unknown authority/);
  });

  it('a leaf with an unknown critical extension → unsupported_certificate', async () => {
    await expectRejected(await connect('leaf-critical', 'critical.test'), 'unsupported_certificate', /critical extension this library does not process/);
  });

  it('a certificate that does not parse → bad_certificate', async () => {
    const p = await handshake(
      clientConfig(),
      {
        certificates: [certified('leaf-p256')],
        now,
        shapeMessage: (m) =>
          m.type === 'certificate'
            ? { ...m, certificateList: [{ certData: Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00), extensions: [] }, ...m.certificateList.slice(1)] }
            : m,
      },
      'localhost',
    );
    await expectRejected(p, 'bad_certificate', /does not parse/);
  });
});

describe('name constraints', () => {
  it('a leaf inside the permitted subtree is accepted', async () => {
    expectConnected(await connect('leaf-nc-ok', 'www.allowed.test', { chain: ['int-nc'] }));
  });
  for (const [leaf, host] of [
    ['leaf-nc-outside', 'www.other.test'],
    ['leaf-nc-excluded', 'x.bad.allowed.test'],
    ['leaf-nc-ip', 'ip.allowed.test'],
  ] as const) {
    it(`${leaf} → bad_certificate (violates the constraints)`, async () => {
      await expectRejected(await connect(leaf, host, { chain: ['int-nc'] }), 'bad_certificate', /violates the name constraints/);
    });
  }
});

describe('extended key usage', () => {
  it('a clientAuth-only leaf used as a server certificate → unsupported_certificate', async () => {
    await expectRejected(await connect('leaf-client', 'client.test'), 'unsupported_certificate', /not valid for .*server.*reissue it with serverAuth/);
  });

  it('a server leaf under a clientAuth-only intermediate → unsupported_certificate', async () => {
    await expectRejected(await connect('leaf-under-clientonly', 'clientca.test', { chain: ['int-clientonly'] }), 'unsupported_certificate', /cannot vouch for/);
  });

  it('a leaf with no EKU at all may serve', async () => {
    expectConnected(await connect('leaf-noeku', 'noeku.test'));
  });
});

describe('signature algorithms in certificates', () => {
  it('an RSA-PSS root and a P-256 leaf it signed (PSS in the chain)', async () => {
    expectConnected(await connect('leaf-pss', 'pss.test', { chain: [], client: { ca: pkiText('root-rsa-pss.pem') } }));
  });

  it('a PKCS#1 v1.5 SHA-384 RSA chain (allowed in certificates, §4.2.3) with an RSA leaf', async () => {
    const p = await connect('leaf-rsa-sha384', 'rsa384.test', { chain: [], client: { ca: pkiText('root-rsa.pem') } });
    expectConnected(p);
    expect(p.client.conn.state.signatureScheme?.name).toMatch(/^rsa_pss_rsae_/);
  });

  it('a P-384 root signing with SHA-384', async () => {
    expectConnected(await connect('leaf-p384root', 'p384root.test', { chain: [], client: { ca: pkiText('root-p384.pem') } }));
  });
});
