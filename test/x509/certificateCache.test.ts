import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { nobleCrypto } from '../../src/crypto/noble.js';
import {
  CERTIFICATE_CACHE_LIMIT,
  CERTIFICATE_CACHE_MAX_DER,
  certificateCacheSize,
  clearCertificateCache,
  parseCertificateShared,
} from '../../src/x509/certificateCache.js';
import {
  X509DecodeError,
  createCertificate,
  generatePrivateKey,
  parseCertificate,
  publicKeyFromPrivateKey,
  type Certificate,
} from '../../src/x509/index.js';
import { NOW, cert } from './helpers.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const issuerKey = generatePrivateKey('Ed25519', random);

/** A fresh self-signed Ed25519 certificate (distinct serial, so distinct DER). */
async function freshCertificate(dnsNames: readonly string[] = ['a.test']): Promise<Uint8Array> {
  return createCertificate({
    subject: 'cache test',
    issuerKey,
    publicKey: publicKeyFromPrivateKey(issuerKey),
    notBefore: new Date(NOW.getTime() - 86_400_000),
    notAfter: new Date(NOW.getTime() + 86_400_000),
    dnsNames,
    usage: 'server',
    provider: nobleCrypto,
  });
}

/** The fields a caller reads, compared as plain values. */
function summary(c: Certificate): unknown {
  return {
    raw: Array.from(c.raw),
    serialHex: c.serialHex,
    subject: c.subject.text,
    issuer: c.issuer.text,
    notAfterMs: c.notAfterMs,
    san: c.subjectAltName,
    eku: c.extKeyUsage,
    key: c.publicKey?.kind,
  };
}

describe('parseCertificateShared', () => {
  beforeEach(() => clearCertificateCache());

  it('gives the same parsed certificate for the same bytes, equal to a fresh parse', () => {
    const der = cert('leaf-p256').raw;
    const a = parseCertificateShared(der.slice());
    const b = parseCertificateShared(der.slice());
    expect(b).toBe(a);
    expect(summary(a)).toEqual(summary(parseCertificate(der)));
    expect(certificateCacheSize()).toBe(1);
  });

  it('keeps its own copy of the DER: the caller may reuse its buffer', () => {
    const der = cert('int-ec').raw.slice();
    const parsed = parseCertificateShared(der);
    const expected = summary(parseCertificate(der));
    der.fill(0);
    expect(summary(parsed)).toEqual(expected);
    expect(parsed.raw.buffer).not.toBe(der.buffer);
    // The same bytes again still find it.
    expect(parseCertificateShared(cert('int-ec').raw)).toBe(parsed);
  });

  it('confirms a hit byte for byte: a cached certificate whose DER no longer matches is not handed out', () => {
    const der = cert('leaf-p256').raw;
    const first = parseCertificateShared(der);
    // A caller that (wrongly) wrote into the shared DER: the slot still
    // points at it, but the bytes differ, so the next lookup parses afresh.
    const original = first.raw[first.raw.length - 1]!;
    first.raw[first.raw.length - 1] = original ^ 0xff;
    try {
      const second = parseCertificateShared(der);
      expect(second).not.toBe(first);
      expect(summary(second)).toEqual(summary(parseCertificate(der)));
      expect(parseCertificateShared(der)).toBe(second);
    } finally {
      first.raw[first.raw.length - 1] = original;
    }
  });

  it('throws what parseCertificate throws, and keeps nothing for bytes that do not parse', () => {
    const broken = cert('leaf-p256').raw.slice(0, 100);
    expect(() => parseCertificateShared(broken)).toThrow(X509DecodeError);
    expect(() => parseCertificateShared(broken)).toThrow(X509DecodeError);
    expect(certificateCacheSize()).toBe(0);
  });

  it(`keeps at most ${CERTIFICATE_CACHE_LIMIT} certificates, evicting the least recently used`, async () => {
    const ders: Uint8Array[] = [];
    for (let i = 0; i < CERTIFICATE_CACHE_LIMIT + 8; i++) ders.push(await freshCertificate());
    const first = parseCertificateShared(ders[0]!);
    const second = parseCertificateShared(ders[1]!);
    for (let i = 2; i < ders.length; i++) {
      parseCertificateShared(ders[i]!);
      // Keep the first one in use: it must survive the churn.
      expect(parseCertificateShared(ders[0]!)).toBe(first);
      expect(certificateCacheSize()).toBeLessThanOrEqual(CERTIFICATE_CACHE_LIMIT);
    }
    expect(certificateCacheSize()).toBe(CERTIFICATE_CACHE_LIMIT);
    expect(parseCertificateShared(ders[0]!)).toBe(first);
    // The second one was not used since: evicted, so parsed afresh (and equal).
    const again = parseCertificateShared(ders[1]!);
    expect(again).not.toBe(second);
    expect(summary(again)).toEqual(summary(second));
  });

  it(`does not keep certificates larger than ${CERTIFICATE_CACHE_MAX_DER} bytes`, async () => {
    const names = Array.from({ length: 400 }, (_, i) => `host-${i}.a-rather-long-domain-name.example`);
    const der = await freshCertificate(names);
    expect(der.length).toBeGreaterThan(CERTIFICATE_CACHE_MAX_DER);
    const a = parseCertificateShared(der);
    const b = parseCertificateShared(der);
    expect(b).not.toBe(a);
    expect(summary(b)).toEqual(summary(a));
    expect(certificateCacheSize()).toBe(0);
  });
});
