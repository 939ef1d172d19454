import { describe, expect, it } from 'vitest';
import { nobleCrypto } from '../../src/crypto/noble.js';
import type { CryptoProvider, SignatureAlgorithm } from '../../src/crypto/provider.js';
import { SignatureScheme } from '../../src/registry.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import {
  MAX_SIGNATURE_CHECKS,
  VERIFICATION_ALERTS,
  X509VerificationError,
  alertForReason,
  parseCertificate,
  verifyChain,
  type Certificate,
  type VerificationReason,
  type VerifyOptions,
} from '../../src/x509/index.js';
import { verifySignature } from '../../src/x509/signature.js';
import { run } from '../../src/util/steps.js';
import { NOW, cert } from './helpers.js';

type Options = Partial<VerifyOptions> & Pick<VerifyOptions, 'leaf'>;

function verify(options: Options): Promise<Certificate[][]> {
  // A synchronous provider makes verifyChain throw synchronously; the tests treat both alike.
  return new Promise((resolve) => resolve(verifyChain({ roots: [cert('root-ec')], now: NOW, provider: nobleCrypto, usage: 'server', ...options })));
}

/** verifySignature is a step (sync with a sync provider); run it to a value. */
const checkSig = (...args: Parameters<typeof verifySignature>) => run(verifySignature(...args));

async function failure(options: Options): Promise<X509VerificationError> {
  try {
    await verify(options);
  } catch (e) {
    expect(e).toBeInstanceOf(X509VerificationError);
    return e as X509VerificationError;
  }
  throw new Error('expected verification to fail');
}

const names = (chains: Certificate[][]): string[][] => chains.map((c) => c.map((x) => x.subject.text));

/** A copy of `c` with one byte of its DER changed (still parseable). */
function tampered(c: Certificate, at: number, xor = 1): Certificate {
  const raw = c.raw.slice();
  raw[at] = raw[at]! ^ xor;
  return parseCertificate(raw);
}

describe('verifyChain: valid chains', () => {
  it.each([
    ['leaf-p256', 'p256.test'],
    ['leaf-p384', 'p384.test'],
    ['leaf-ed25519', 'ed25519.test'],
    ['leaf-rsa', 'rsa.test'],
    ['leaf-p256-sha384', 'sha384.test'],
    ['leaf-wildcard', 'any.wild.test'],
    ['leaf-ip', '127.0.0.1'],
    ['leaf-noeku', 'noeku.test'],
  ])('%s via the intermediate the peer sent (server name %s)', async (leaf, serverName) => {
    const chains = await verify({ leaf: cert(leaf), intermediates: [cert('int-ec')], serverName });
    expect(chains).toHaveLength(1);
    expect(chains[0]!.map((c) => c.raw)).toEqual([cert(leaf).raw, cert('int-ec').raw, cert('root-ec').raw]);
  });

  it.each([
    // P-384 root, ecdsa-with-SHA384: the TLS scheme ecdsa_secp384r1_sha384.
    ['leaf-p384root', 'root-p384'],
    // P-384 root, ecdsa-with-SHA256: no TLS scheme, the hash is not the curve's.
    ['leaf-p384root-sha256', 'root-p384'],
    ['leaf-pss', 'root-rsa-pss'],
    ['leaf-pss384', 'root-rsa-pss'],
    ['leaf-rsa-sha384', 'root-rsa'],
    ['leaf-rsa-sha512', 'root-rsa'],
  ])('%s directly under %s', async (leaf, root) => {
    const chains = await verify({ leaf: cert(leaf), roots: [cert(root)] });
    expect(chains.map((c) => c.map((x) => x.raw))).toEqual([[cert(leaf).raw, cert(root).raw]]);
  });

  it('takes DER as received and configured intermediates mixed with unrelated certificates', async () => {
    const configured = [cert('int-nc'), cert('int-pathlen0')];
    const chains = await verify({
      leaf: cert('leaf-p256').raw,
      intermediates: [cert('leaf-rsa').raw, ...configured, cert('int-ec').raw],
      roots: [cert('root-rsa'), cert('root-ec'), cert('root-p384')],
    });
    expect(names(chains)).toEqual([
      ['CN=p256.test, O=tls13 test', 'CN=Test Intermediate CA, O=tls13 test', 'CN=Test Root CA, O=tls13 test'],
    ]);
  });

  it('uses the configured root when the peer also sends it', async () => {
    const chains = await verify({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec'), cert('root-ec')] });
    expect(chains).toHaveLength(1);
    expect(chains[0]![2]).toBe(cert('root-ec'));
  });

  it('an intermediate configured as a trust anchor ends the chain there', async () => {
    const chains = await verify({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec')], roots: [cert('int-ec')] });
    expect(chains.map((c) => c.length)).toEqual([2]);
  });

  it('a leaf that is itself a root is trusted as it stands', async () => {
    expect(await verify({ leaf: cert('leaf-p256'), roots: [cert('leaf-p256')] })).toEqual([[cert('leaf-p256')]]);
  });

  it('steps past an expired issue of the intermediate to the current one', async () => {
    const chains = await verify({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec-old'), cert('int-ec')] });
    expect(chains.map((c) => c[1]!.serialHex)).toEqual(['1002']);
  });

  it('skips a same-named impostor root (its key identifier differs)', async () => {
    const chains = await verify({
      leaf: cert('leaf-p256'),
      intermediates: [cert('int-ec')],
      roots: [cert('root-impostor'), cert('root-ec')],
    });
    expect(chains[0]![2]!.serialHex).toBe('1001');
  });

  it('pathlen:0 allows a leaf directly below', async () => {
    await expect(verify({ leaf: cert('leaf-under-pathlen0'), intermediates: [cert('int-pathlen0')] })).resolves.toHaveLength(1);
  });

  it('names within the constraints pass', async () => {
    await expect(
      verify({ leaf: cert('leaf-nc-ok'), intermediates: [cert('int-nc')], serverName: '10.1.2.3' }),
    ).resolves.toHaveLength(1);
  });

  it('client certificates: clientAuth leaves for usage client', async () => {
    await expect(verify({ leaf: cert('leaf-client'), intermediates: [cert('int-ec')], usage: 'client' })).resolves.toHaveLength(1);
    await expect(verify({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec')], usage: 'client' })).resolves.toHaveLength(1);
  });

  it('validity bounds are inclusive', async () => {
    const leaf = cert('leaf-p256');
    await expect(verify({ leaf, intermediates: [cert('int-ec')], now: leaf.notBefore })).resolves.toHaveLength(1);
    await expect(verify({ leaf, intermediates: [cert('int-ec')], now: leaf.notAfter })).resolves.toHaveLength(1);
  });

  it('works with an asynchronous provider', async () => {
    const asyncProvider: CryptoProvider = {
      ...nobleCrypto,
      signature(scheme: number): SignatureAlgorithm | undefined {
        const alg = nobleCrypto.signature(scheme);
        if (!alg) return undefined;
        return { ...alg, verify: async (k, m, s) => Promise.resolve(alg.verify(k, m, s)) };
      },
    };
    const chains = await verify({ leaf: cert('leaf-rsa'), intermediates: [cert('int-ec')], provider: asyncProvider });
    expect(chains).toHaveLength(1);
  });
});

describe('verifyChain: each failure reason', () => {
  it('unknown-authority: the intermediate is missing', async () => {
    const e = await failure({ leaf: cert('leaf-p256') });
    expect(e.reason).toBe('unknown-authority');
    expect(e.alert).toBe('unknown_ca');
    expect(e.message).toBe(
      'certificate signed by unknown authority (issuer CN=Test Intermediate CA, O=tls13 test): add the issuing CA to `ca`, ' +
        'or make sure the peer sends its intermediate certificates',
    );
  });

  it('unknown-authority: the root is not configured', async () => {
    const e = await failure({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec')], roots: [cert('root-p384')] });
    expect(e.reason).toBe('unknown-authority');
    expect(e.message).toBe(
      'certificate signed by unknown authority (the chain reaches CN=Test Intermediate CA, O=tls13 test, ' +
        'issued by CN=Test Root CA, O=tls13 test): add the issuing CA to `ca`',
    );
  });

  it('unknown-authority: only a same-named impostor root is configured', async () => {
    const e = await failure({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec')], roots: [cert('root-impostor')] });
    expect(e.reason).toBe('unknown-authority');
  });

  it('unknown-authority: an untrusted self-signed certificate', async () => {
    const e = await failure({ leaf: cert('root-rsa'), roots: [cert('root-ec')] });
    expect(e.reason).toBe('unknown-authority');
    expect(e.message).toBe(
      'certificate CN=Test Root CA RSA, O=tls13 test is self-signed and not trusted: add it to `ca` if you mean to trust it',
    );
  });

  it('unknown-authority: a loop of CAs certifying each other terminates', async () => {
    let calls = 0;
    const counting: CryptoProvider = {
      ...nobleCrypto,
      signature(scheme: number) {
        const alg = nobleCrypto.signature(scheme)!;
        return { ...alg, verify: (k, m, s) => (calls++, alg.verify(k, m, s)) };
      },
    };
    const e = await failure({ leaf: cert('leaf-loop'), intermediates: [cert('loop-a'), cert('loop-b')], provider: counting });
    expect(e.reason).toBe('unknown-authority');
    expect(e.message).toMatch(/the chain reaches CN=Loop CA B, issued by CN=Loop CA A/);
    expect(calls).toBe(2);
  });

  it('the signature-check budget bounds the work a hostile list can cause', async () => {
    // 120 copies of the intermediate that differ only in their own signature:
    // each is a plausible issuer of the leaf, none chains to the root.
    const int = cert('int-ec');
    const copies = Array.from({ length: 120 }, (_, i) => tampered(int, int.raw.length - 1, i + 1));
    let calls = 0;
    const counting: CryptoProvider = {
      ...nobleCrypto,
      signature(scheme: number) {
        const alg = nobleCrypto.signature(scheme)!;
        return { ...alg, verify: (k, m, s) => (calls++, alg.verify(k, m, s)) };
      },
    };
    const e = await failure({ leaf: cert('leaf-p256'), intermediates: copies, provider: counting });
    expect(calls).toBe(MAX_SIGNATURE_CHECKS);
    // The first copies tried were rejected by the root for their bad signatures.
    expect(e.reason).toBe('bad-signature');

    // With a provider that accepts everything and no root to reach, only the budget stops the search.
    calls = 0;
    const yes: CryptoProvider = {
      ...nobleCrypto,
      signature(scheme: number) {
        const alg = nobleCrypto.signature(scheme)!;
        return { ...alg, verify: () => (calls++, true) };
      },
    };
    const gaveUp = await failure({ leaf: cert('leaf-p256'), intermediates: copies, roots: [], provider: yes });
    expect(calls).toBe(MAX_SIGNATURE_CHECKS);
    expect(gaveUp.reason).toBe('unknown-authority');
    expect(gaveUp.message).toBe(
      'gave up building a certificate chain after 100 signature checks: the peer sent too many candidate certificates',
    );
  });

  it('expired: the leaf', async () => {
    const e = await failure({ leaf: cert('leaf-expired'), intermediates: [cert('int-ec')], serverName: 'wrong.test' });
    expect(e.reason).toBe('expired');
    expect(e.alert).toBe('certificate_expired');
    expect(e.message).toBe(
      'certificate CN=expired.test has expired (notAfter 2021-01-01T00:00:00Z, now 2026-06-01T00:00:00Z): renew it or check the clock',
    );
  });

  it('expired: the only intermediate on offer', async () => {
    const e = await failure({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec-old')] });
    expect(e.reason).toBe('expired');
    expect(e.message).toBe(
      'intermediate CA CN=Test Intermediate CA, O=tls13 test has expired (notAfter 2021-01-01T00:00:00Z, ' +
        'now 2026-06-01T00:00:00Z): renew it or check the clock',
    );
  });

  it('expired: the trust anchor', async () => {
    // int-ec-old has int-ec's name and key, so it verifies leaf-p256's signature, but it has expired.
    const e = await failure({ leaf: cert('leaf-p256'), roots: [cert('int-ec-old')] });
    expect(e.reason).toBe('expired');
    expect(e.message).toMatch(/^root CA CN=Test Intermediate CA, O=tls13 test has expired \(notAfter 2021-01-01T00:00:00Z/);
  });

  it('expired: with the clock past everything, the leaf is reported', async () => {
    const e = await failure({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec')], now: new Date('2125-06-01T00:00:00Z') });
    expect(e.reason).toBe('expired');
    expect(e.message).toMatch(/^certificate CN=p256.test, O=tls13 test has expired/);
  });

  it('not-yet-valid: the leaf, and a clock set before every certificate', async () => {
    const e = await failure({ leaf: cert('leaf-notyet'), intermediates: [cert('int-ec')] });
    expect(e.reason).toBe('not-yet-valid');
    expect(e.alert).toBe('certificate_expired');
    expect(e.message).toBe(
      'certificate CN=notyet.test is not valid yet (notBefore 2100-01-01T00:00:00Z, now 2026-06-01T00:00:00Z): check the clock',
    );
    const early = await failure({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec')], now: new Date('2024-12-31T23:59:59Z') });
    expect(early.reason).toBe('not-yet-valid');
  });

  it('hostname-mismatch', async () => {
    const e = await failure({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec')], serverName: 'c.example' });
    expect(e.reason).toBe('hostname-mismatch');
    expect(e.alert).toBe('bad_certificate');
    expect(e.message).toBe('certificate is valid for p256.test, localhost, not c.example');
    const ip = await failure({ leaf: cert('leaf-ip'), intermediates: [cert('int-ec')], serverName: '127.0.0.2' });
    expect(ip.reason).toBe('hostname-mismatch');
    const wild = await failure({ leaf: cert('leaf-wildcard'), intermediates: [cert('int-ec')], serverName: 'a.b.wild.test' });
    expect(wild.reason).toBe('hostname-mismatch');
  });

  it('not-a-ca: basicConstraints cA false', async () => {
    const e = await failure({ leaf: cert('leaf-under-notca'), intermediates: [cert('int-notca')] });
    expect(e.reason).toBe('not-a-ca');
    expect(e.alert).toBe('unknown_ca');
    expect(e.message).toBe(
      'intermediate CA CN=Not A CA is not a CA (basicConstraints cA is false), so it cannot issue certificates: ' +
        'the peer must send its real intermediate CA',
    );
  });

  it('not-a-ca: a CA whose keyUsage lacks keyCertSign', async () => {
    const e = await failure({ leaf: cert('leaf-under-nokcs'), intermediates: [cert('int-nokeycertsign')] });
    expect(e.reason).toBe('not-a-ca');
    expect(e.message).toBe(
      'intermediate CA CN=No keyCertSign CA may not sign certificates (its keyUsage lacks keyCertSign): ' +
        'reissue the CA with keyCertSign or use another issuer',
    );
  });

  it('path-length', async () => {
    const e = await failure({ leaf: cert('leaf-under-sub'), intermediates: [cert('int-sub'), cert('int-pathlen0')] });
    expect(e.reason).toBe('path-length');
    expect(e.alert).toBe('unknown_ca');
    expect(e.message).toBe(
      'intermediate CA CN=Pathlen0 CA allows at most 0 intermediate CAs below it (pathLenConstraint), ' +
        'but this chain has 1: issue the certificate from a CA that is allowed to',
    );
  });

  it('bad-signature: a tampered signature', async () => {
    const leaf = cert('leaf-p256');
    const e = await failure({ leaf: tampered(leaf, leaf.raw.length - 1), intermediates: [cert('int-ec')] });
    expect(e.reason).toBe('bad-signature');
    expect(e.alert).toBe('decrypt_error');
    expect(e.message).toBe(
      'the signature on certificate CN=p256.test, O=tls13 test by CN=Test Intermediate CA, O=tls13 test does not verify ' +
        '(the ecdsa-with-SHA256 signature does not verify): the certificate was altered, or a different key with the same CA name issued it',
    );
  });

  it('bad-signature: a tampered tbsCertificate (the SAN says p256.tesu)', async () => {
    const leaf = cert('leaf-p256');
    const at = toHex(leaf.raw).lastIndexOf(toHex(new TextEncoder().encode('p256.test'))) / 2 + 8;
    const altered = tampered(leaf, at);
    expect(altered.subjectAltName?.dnsNames[0]).toBe('p256.tesu');
    const e = await failure({ leaf: altered, intermediates: [cert('int-ec')] });
    expect(e.reason).toBe('bad-signature');
  });

  it('bad-signature: tampered RSA-PSS, RSA PKCS#1, Ed25519-keyed and cross-hash ECDSA signatures', async () => {
    for (const [leaf, root] of [
      ['leaf-pss', 'root-rsa-pss'],
      ['leaf-rsa-sha512', 'root-rsa'],
      ['leaf-p384root-sha256', 'root-p384'],
      ['leaf-p256-sha384', 'int-ec'],
    ] as const) {
      const c = cert(leaf);
      const e = await failure({ leaf: tampered(c, c.raw.length - 2), roots: [cert(root)] });
      expect(e.reason).toBe('bad-signature');
    }
  });

  it('bad-signature: an algorithm we cannot verify (ecdsa-with-SHA224)', async () => {
    const leaf = cert('leaf-p256');
    // Rewrite both copies of ecdsa-with-SHA256 (…3d040302) as ecdsa-with-SHA224 (…3d040301).
    const hex = toHex(leaf.raw).replaceAll('2a8648ce3d040302', '2a8648ce3d040301');
    const c = parseCertificate(fromHex(hex));
    expect(c.signatureAlgorithm).toEqual({ kind: 'unsupported', oid: '1.2.840.10045.4.3.1', name: '1.2.840.10045.4.3.1' });
    const e = await failure({ leaf: c, intermediates: [cert('int-ec')] });
    expect(e.reason).toBe('bad-signature');
    expect(e.message).toBe(
      'certificate CN=p256.test, O=tls13 test cannot be checked: signature algorithm 1.2.840.10045.4.3.1 is not supported; ' +
        'reissue it with ECDSA (SHA-2), RSA-PSS, RSA PKCS#1 v1.5 (SHA-2) or Ed25519',
    );
  });

  it('bad-signature: a provider without the scheme', async () => {
    const noRsa: CryptoProvider = {
      ...nobleCrypto,
      name: 'no-rsa',
      signature: (s: number) => (s === SignatureScheme.rsa_pss_rsae_sha256 ? undefined : nobleCrypto.signature(s)),
    };
    const e = await failure({ leaf: cert('leaf-pss'), roots: [cert('root-rsa-pss')], provider: noRsa });
    expect(e.reason).toBe('bad-signature');
    expect(e.message).toMatch(/the crypto provider "no-rsa" does not implement RSASSA-PSS \(SHA-256, MGF1 SHA-256, salt 32\)/);
  });

  it('eku: a clientAuth-only leaf offered as a server', async () => {
    const e = await failure({ leaf: cert('leaf-client'), intermediates: [cert('int-ec')] });
    expect(e.reason).toBe('eku');
    expect(e.alert).toBe('unsupported_certificate');
    expect(e.message).toBe(
      'certificate CN=client.test is not valid for TLS server authentication (serverAuth): its extendedKeyUsage is clientAuth; reissue it with serverAuth',
    );
    const asClient = await failure({ leaf: cert('leaf-rsa'), intermediates: [cert('int-ec')], usage: 'client' });
    expect(asClient.reason).toBe('eku');
  });

  it('eku: an intermediate restricted to clientAuth', async () => {
    const e = await failure({ leaf: cert('leaf-under-clientonly'), intermediates: [cert('int-clientonly')] });
    expect(e.reason).toBe('eku');
    expect(e.message).toBe(
      'intermediate CA CN=Client-only CA limits the certificates it issues to clientAuth (extendedKeyUsage), ' +
        'so it cannot vouch for TLS server authentication (serverAuth)',
    );
    // The same chain is fine for a client certificate.
    await expect(
      verify({ leaf: cert('leaf-under-clientonly'), intermediates: [cert('int-clientonly')], usage: 'client' }),
    ).resolves.toHaveLength(1);
  });

  it.each([
    ['leaf-nc-outside', '"www.other.test" is outside the permitted subtrees (allowed.test)'],
    ['leaf-nc-excluded', '"x.bad.allowed.test" is in the excluded subtree bad.allowed.test'],
    ['leaf-nc-ip', '192.168.1.1 is outside the permitted subtrees (10.0.0.0/8)'],
  ])('name-constraints: %s', async (leaf, detail) => {
    const e = await failure({ leaf: cert(leaf), intermediates: [cert('int-nc')] });
    expect(e.reason).toBe('name-constraints');
    expect(e.alert).toBe('bad_certificate');
    expect(e.message).toBe(
      `certificate ${cert(leaf).subject.text} violates the name constraints of intermediate CA CN=Constrained CA: ${detail}`,
    );
  });

  it('unhandled-critical-extension', async () => {
    const e = await failure({ leaf: cert('leaf-critical'), intermediates: [cert('int-ec')] });
    expect(e.reason).toBe('unhandled-critical-extension');
    expect(e.alert).toBe('unsupported_certificate');
    expect(e.message).toBe(
      'certificate CN=critical.test has a critical extension this library does not process (1.3.6.1.4.1.55555.1), ' +
        'so it must be rejected (RFC 5280 §4.2): reissue it without it',
    );
  });

  it('malformed: undecodable DER from the peer', async () => {
    const e = await failure({ leaf: Uint8Array.from([0x30, 0x03, 0x02, 0x01]) });
    expect(e.reason).toBe('malformed');
    expect(e.alert).toBe('bad_certificate');
    expect(e.message).toBe(
      'the leaf certificate could not be parsed (certificate: truncated (length 3, only 2 bytes left)): it is not a valid DER X.509 certificate',
    );
    const bad = await failure({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec').raw.subarray(1)] });
    expect(bad.reason).toBe('malformed');
    expect(bad.message).toMatch(/^intermediate certificate 1 could not be parsed/);
  });

  it('rejects an invalid `now`', async () => {
    await expect(verify({ leaf: cert('leaf-p256'), now: new Date(NaN) })).rejects.toThrow(TypeError);
  });
});

describe('alerts', () => {
  it('maps every reason to the alert Go/rustls/OpenSSL would send', () => {
    const expected: Record<VerificationReason, string> = {
      'unknown-authority': 'unknown_ca',
      expired: 'certificate_expired',
      'not-yet-valid': 'certificate_expired',
      'hostname-mismatch': 'bad_certificate',
      'not-a-ca': 'unknown_ca',
      'path-length': 'unknown_ca',
      'bad-signature': 'decrypt_error',
      eku: 'unsupported_certificate',
      'name-constraints': 'bad_certificate',
      'unhandled-critical-extension': 'unsupported_certificate',
      malformed: 'bad_certificate',
    };
    expect(VERIFICATION_ALERTS).toEqual(expected);
    for (const [reason, alert] of Object.entries(expected)) {
      expect(alertForReason(reason as VerificationReason)).toBe(alert);
      expect(new X509VerificationError(reason as VerificationReason, 'x').alert).toBe(alert);
    }
  });
});

describe('verifySignature', () => {
  const tbs = cert('leaf-p256').tbs;
  const sig = cert('leaf-p256').signature;

  it('checks the issuer key kind against the algorithm', async () => {
    const result = await checkSig(nobleCrypto, cert('leaf-p256').signatureAlgorithm, cert('root-rsa').publicKey!, tbs, sig);
    expect(result).toEqual({
      ok: false,
      why: 'bad-signature',
      detail: 'the issuer has an RSA key, which cannot make a ecdsa-with-SHA256 signature',
    });
  });

  it('verifies with the issuer key and fails with another key of the same curve', async () => {
    const alg = cert('leaf-p256').signatureAlgorithm;
    expect(await checkSig(nobleCrypto, alg, cert('int-ec').publicKey!, tbs, sig)).toEqual({ ok: true });
    expect((await checkSig(nobleCrypto, alg, cert('int-nc').publicKey!, tbs, sig)).ok).toBe(false);
  });

  it('cross-hash ECDSA rejects malformed and out-of-range signatures without throwing', async () => {
    const c = cert('leaf-p384root-sha256');
    const key = cert('root-p384').publicKey!;
    expect((await checkSig(nobleCrypto, c.signatureAlgorithm, key, c.tbs, c.signature)).ok).toBe(true);
    for (const bad of [new Uint8Array(0), fromHex('3006020100020101'), fromHex('30060201010201'), Uint8Array.from([...c.signature, 0])]) {
      expect((await checkSig(nobleCrypto, c.signatureAlgorithm, key, c.tbs, bad)).ok).toBe(false);
    }
  });
});

describe('synchronous when the provider is', () => {
  it('returns chains directly, not a Promise, with the noble provider', () => {
    const result = verifyChain({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec')], roots: [cert('root-ec')], now: NOW, provider: nobleCrypto, usage: 'server' });
    expect(result).not.toBeInstanceOf(Promise);
    expect(Array.isArray(result) && result[0]!.length).toBe(3);
  });

  it('waits for an asynchronous provider', async () => {
    const asyncProvider: CryptoProvider = {
      ...nobleCrypto,
      signature: (scheme) => {
        const alg = nobleCrypto.signature(scheme);
        return alg && { ...alg, verify: async (k, m, s) => alg.verify(k, m, s) };
      },
    };
    const result = verifyChain({ leaf: cert('leaf-p256'), intermediates: [cert('int-ec')], roots: [cert('root-ec')], now: NOW, provider: asyncProvider, usage: 'server' });
    expect(result).toBeInstanceOf(Promise);
    expect((await result)[0]!.length).toBe(3);
  });
});
