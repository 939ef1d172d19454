import { describe, expect, it } from 'vitest';
import { nobleCrypto } from '../../src/crypto/noble.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { type Certificate, X509VerificationError, parseCertificate, verifyChain } from '../../src/x509/index.js';
import type { VerifyOptions } from '../../src/x509/verify.js';
import {
  SIGNATURE_CACHE_LIMIT,
  clearSignatureCache,
  rememberGoodSignature,
  signatureCacheKey,
  signatureCacheSize,
  signatureKnownGood,
} from '../../src/x509/signatureCache.js';
import { NOW, cert } from './helpers.js';

/** A fresh provider object (so its own memo) that counts signature verifications. */
function countingProvider(): { provider: CryptoProvider; calls: () => number } {
  let calls = 0;
  const provider: CryptoProvider = {
    ...nobleCrypto,
    signature(scheme: number) {
      const alg = nobleCrypto.signature(scheme);
      return alg && { ...alg, verify: (k, m, s) => (calls++, alg.verify(k, m, s)) };
    },
  };
  return { provider, calls: () => calls };
}

function verify(provider: CryptoProvider, options: Partial<VerifyOptions> = {}): Certificate[][] {
  const result = verifyChain({
    leaf: cert('leaf-p256'),
    intermediates: [cert('int-ec')],
    roots: [cert('root-ec')],
    now: NOW,
    provider,
    usage: 'server',
    serverName: 'p256.test',
    ...options,
  });
  if (result instanceof Promise) throw new Error('expected a synchronous result');
  return result;
}

function verifyError(provider: CryptoProvider, options: Partial<VerifyOptions>): X509VerificationError {
  try {
    verify(provider, options);
  } catch (err) {
    if (err instanceof X509VerificationError) return err;
    throw err;
  }
  throw new Error('expected verification to fail');
}

describe('certificate signature memo', () => {
  it('a second verification of the same chain does no signature verification', () => {
    const { provider, calls } = countingProvider();
    const first = verify(provider);
    expect(calls()).toBe(2); // leaf by intermediate, intermediate by root
    const second = verify(provider);
    expect(calls()).toBe(2);
    expect(second.map((c) => c.map((x) => x.subject.text))).toEqual(first.map((c) => c.map((x) => x.subject.text)));
    expect(signatureCacheSize(provider)).toBe(2);
  });

  it('another provider object does not share the memo', () => {
    const a = countingProvider();
    const b = countingProvider();
    verify(a.provider);
    verify(b.provider);
    expect(b.calls()).toBe(2);
  });

  it('the per-call checks still run on a hit: time, host name, usage, trust store', () => {
    const { provider } = countingProvider();
    verify(provider);
    expect(verifyError(provider, { now: new Date('2200-01-01T00:00:00Z') }).reason).toBe('expired');
    expect(verifyError(provider, { serverName: 'other.test' }).reason).toBe('hostname-mismatch');
    // A different trust store: the same chain does not reach these roots.
    expect(verifyError(provider, { roots: [cert('root-rsa')] }).reason).toBe('unknown-authority');
    // The memo holds signatures, not the root: an impostor root with the same
    // name but another key must not be accepted.
    expect(verifyError(provider, { roots: [cert('root-impostor')] }).reason).toBe('unknown-authority');
    // Without the intermediate there is no path, memo or not.
    expect(verifyError(provider, { intermediates: [] }).reason).toBe('unknown-authority');
  });

  it('a tampered certificate misses the memo and fails; failures are not remembered', () => {
    const { provider, calls } = countingProvider();
    verify(provider);
    const leaf = cert('leaf-p256');
    const raw = leaf.raw.slice();
    raw[raw.length - 2] = raw[raw.length - 2]! ^ 1; // inside the signature
    const bad = parseCertificate(raw);
    const before = calls();
    expect(verifyError(provider, { leaf: bad }).reason).toBe('bad-signature');
    expect(calls()).toBe(before + 1);
    expect(verifyError(provider, { leaf: bad }).reason).toBe('bad-signature');
    expect(calls()).toBe(before + 2);
    expect(signatureCacheSize(provider)).toBe(2);
  });

  it('keys bind the child and the issuer, split unambiguously', () => {
    const p = nobleCrypto;
    const leaf = cert('leaf-p256');
    const int = cert('int-ec');
    const root = cert('root-ec');
    expect(signatureCacheKey(p, leaf, int)).not.toBe(signatureCacheKey(p, int, leaf));
    expect(signatureCacheKey(p, leaf, int)).not.toBe(signatureCacheKey(p, leaf, root));
    expect(signatureCacheKey(p, leaf, int)).toBe(signatureCacheKey(p, parseCertificate(leaf.raw.slice()), int));
  });

  it('is bounded and evicts the least recently used entry', () => {
    const { provider } = countingProvider();
    const keys = Array.from({ length: SIGNATURE_CACHE_LIMIT + 1 }, (_, i) => `k${i}`);
    for (const k of keys.slice(0, SIGNATURE_CACHE_LIMIT)) rememberGoodSignature(provider, k);
    expect(signatureKnownGood(provider, 'k0')).toBe(true); // k0 is now the most recent; k1 the oldest
    rememberGoodSignature(provider, keys[SIGNATURE_CACHE_LIMIT]!);
    expect(signatureCacheSize(provider)).toBe(SIGNATURE_CACHE_LIMIT);
    expect(signatureKnownGood(provider, 'k1')).toBe(false);
    expect(signatureKnownGood(provider, 'k0')).toBe(true);
    expect(signatureKnownGood(provider, keys[SIGNATURE_CACHE_LIMIT]!)).toBe(true);
    clearSignatureCache(provider);
    expect(signatureCacheSize(provider)).toBe(0);
  });
});
