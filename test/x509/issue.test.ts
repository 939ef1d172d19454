/**
 * Certificate writing (src/x509/der-writer.ts, src/x509/issue.ts): what we
 * write must parse back with our strict parser, verify with our chain
 * verifier, and be accepted by OpenSSL (`openssl verify`, `openssl x509`,
 * `openssl pkey`).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createNobleCrypto, nobleCrypto, parsePrivateKey, type CryptoProvider, type PrivateKey } from '../../src/index.js';
import { DerReader, Tag, decodeInteger, decodeTime, parseDer } from '../../src/x509/der.js';
import {
  encodeLength,
  integer,
  namedBits,
  printableString,
  setOf,
  time,
  tlv,
  unsignedInteger,
  utf8String,
} from '../../src/x509/der-writer.js';
import {
  OID,
  createCertificate,
  encodeCertificatePem,
  encodePrivateKeyPem,
  encodeSubjectPublicKeyInfo,
  generatePrivateKey,
  keyIdentifier,
  parseCertificate,
  publicKeyFromPrivateKey,
  verifyChain,
  X509VerificationError,
  type CertificateTemplate,
} from '../../src/x509/index.js';
import { OPENSSL, tempDir } from '../cli/helpers.js';

const provider = nobleCrypto;

/** verifyChain returns a Promise only when a step is asynchronous; tests want one either way. */
const verify = (options: Parameters<typeof verifyChain>[0]) => Promise.resolve().then(() => verifyChain(options));
const NOW = new Date('2030-03-01T12:00:00Z');
const HOUR = 3_600_000;
const validity = { notBefore: new Date(NOW.getTime() - HOUR), notAfter: new Date(NOW.getTime() + 90 * 24 * HOUR) };

async function makeCa(alg: 'P-256' | 'Ed25519' = 'P-256', name = 'Test CA'): Promise<{ key: PrivateKey; der: Uint8Array }> {
  const key = generatePrivateKey(alg, provider.random);
  const der = await createCertificate({
    subject: { country: 'NL', organization: 'tls13 tests', commonName: name },
    issuerKey: key,
    publicKey: publicKeyFromPrivateKey(key),
    ...validity,
    usage: 'ca',
    provider,
  });
  return { key, der };
}

async function makeLeaf(
  ca: { key: PrivateKey; der: Uint8Array },
  extra: Partial<CertificateTemplate> = {},
  alg: 'P-256' | 'Ed25519' = 'P-256',
): Promise<{ key: PrivateKey; der: Uint8Array }> {
  const key = generatePrivateKey(alg, provider.random);
  const der = await createCertificate({
    subject: 'localhost',
    issuer: ca.der,
    issuerKey: ca.key,
    publicKey: publicKeyFromPrivateKey(key),
    ...validity,
    dnsNames: ['localhost', '*.example.test'],
    ipAddresses: ['127.0.0.1', '::1'],
    usage: 'server',
    provider,
    ...extra,
  });
  return { key, der };
}

// ---------------------------------------------------------------- DER writer

describe('DER writer', () => {
  it('encodes lengths in the fewest octets (X.690 §10.1)', () => {
    expect([...encodeLength(0)]).toEqual([0]);
    expect([...encodeLength(127)]).toEqual([0x7f]);
    expect([...encodeLength(128)]).toEqual([0x81, 0x80]);
    expect([...encodeLength(255)]).toEqual([0x81, 0xff]);
    expect([...encodeLength(256)]).toEqual([0x82, 0x01, 0x00]);
    expect([...encodeLength(65_536)]).toEqual([0x83, 0x01, 0x00, 0x00]);
    expect(() => encodeLength(-1)).toThrow(RangeError);
  });

  it('encodes INTEGERs minimally, adding a 0x00 before a set top bit', () => {
    expect([...integer(0)]).toEqual([0x02, 0x01, 0x00]);
    expect([...integer(127)]).toEqual([0x02, 0x01, 0x7f]);
    expect([...integer(128)]).toEqual([0x02, 0x02, 0x00, 0x80]);
    expect([...integer(256)]).toEqual([0x02, 0x02, 0x01, 0x00]);
    expect([...integer(-1)]).toEqual([0x02, 0x01, 0xff]);
    expect([...integer(-128)]).toEqual([0x02, 0x01, 0x80]);
    expect([...integer(-129)]).toEqual([0x02, 0x02, 0xff, 0x7f]);
    expect([...unsignedInteger(Uint8Array.of(0, 0, 0x80))]).toEqual([0x02, 0x02, 0x00, 0x80]);
    expect([...unsignedInteger(Uint8Array.of(0, 0))]).toEqual([0x02, 0x01, 0x00]);
  });

  it('INTEGER round-trips through the strict reader for any value (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }), (v) => {
        const el = parseDer(integer(v), 'int');
        expect(el.tag).toBe(Tag.INTEGER);
        expect(decodeInteger(el.contents, 'int')).toBe(v);
      }),
    );
  });

  it('lengths round-trip through the strict reader (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70_000 }), (n) => {
        const el = parseDer(tlv(Tag.OCTET_STRING, new Uint8Array(n)), 'octets');
        expect(el.contents.length).toBe(n);
      }),
      { numRuns: 60 },
    );
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), readable back', () => {
    const utc = time(new Date('2049-12-31T23:59:59Z'));
    expect(utc[0]).toBe(Tag.UTCTime);
    expect(new TextDecoder().decode(utc.subarray(2))).toBe('491231235959Z');
    const gen = time(new Date('2050-01-01T00:00:00Z'));
    expect(gen[0]).toBe(Tag.GeneralizedTime);
    expect(new TextDecoder().decode(gen.subarray(2))).toBe('20500101000000Z');
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1950, 0, 1), max: Date.UTC(9999, 11, 31) }), (ms) => {
        const whole = ms - (ms % 1000);
        const el = parseDer(time(new Date(whole)), 'time');
        expect(decodeTime(el.tag, el.contents, 'time')).toBe(whole);
      }),
    );
    expect(() => time(new Date('1949-12-31T00:00:00Z'))).toThrow(RangeError);
  });

  it('named-bit BIT STRINGs drop trailing zero bits (X.690 §11.2.2)', () => {
    // digitalSignature (bit 0) alone: one byte 0x80, 7 unused bits.
    expect([...namedBits([0])]).toEqual([0x03, 0x02, 0x07, 0x80]);
    // keyCertSign (5) + cRLSign (6): 0x06, 1 unused bit.
    expect([...namedBits([5, 6])]).toEqual([0x03, 0x02, 0x01, 0x06]);
    // decipherOnly (8) spills into a second byte.
    expect([...namedBits([0, 8])]).toEqual([0x03, 0x03, 0x07, 0x80, 0x80]);
  });

  it('sorts SET OF members by their encodings (X.690 §11.6)', () => {
    const a = utf8String('b');
    const b = printableString('a');
    const c = utf8String('a');
    const set = setOf(a, b, c);
    const r = new DerReader(parseDer(set, 'set').contents);
    const order = [r.read('1').raw, r.read('2').raw, r.read('3').raw].map((x) => [...x]);
    expect(order).toEqual([[...c], [...a], [...b]]); // 0x0c 01 61 < 0x0c 01 62 < 0x13 01 61
  });

  it('refuses strings that do not fit their type', () => {
    expect(() => printableString('a@b')).toThrow(RangeError);
    expect(() => tlv(0x1f, new Uint8Array(0))).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------- keys

describe('keys', () => {
  it('PKCS#8 PEM of generated keys parses back to the same key', () => {
    for (const alg of ['P-256', 'Ed25519'] as const) {
      const key = generatePrivateKey(alg, provider.random);
      const pem = encodePrivateKeyPem(key);
      expect(pem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
      expect(parsePrivateKey(pem)).toEqual(key);
    }
  });

  it('P-256 scalars come from the random source, rejecting out-of-range values', () => {
    // First draw is all 0xff (≥ n), second is valid: the key must be the second.
    let call = 0;
    const random = (n: number): Uint8Array => new Uint8Array(n).fill(call++ === 0 ? 0xff : 0x11);
    const key = generatePrivateKey('P-256', random);
    expect(key).toEqual({ kind: 'ec', curve: 'P-256', d: new Uint8Array(32).fill(0x11) });
    expect(() => generatePrivateKey('P-256', () => new Uint8Array(32))).toThrow(/random source/);
  });

  it('public keys match the P-256 and Ed25519 test vectors', () => {
    // RFC 8032 §7.1 TEST 1.
    const seed = Uint8Array.from(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));
    const pub = publicKeyFromPrivateKey({ kind: 'ed25519', seed });
    expect(pub.kind === 'ed25519' && Buffer.from(pub.key).toString('hex')).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    );
    // d = 1: the public key is the generator G of P-256 (SEC 2 §2.4.2).
    const d = new Uint8Array(32);
    d[31] = 1;
    const g = publicKeyFromPrivateKey({ kind: 'ec', curve: 'P-256', d });
    expect(g.kind === 'ec' && Buffer.from(g.point).toString('hex')).toBe(
      '046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5',
    );
  });

  it('key identifiers are the leftmost 160 bits of SHA-256 of the key (RFC 7093 §2 method 1)', () => {
    const key = publicKeyFromPrivateKey(generatePrivateKey('P-256', provider.random));
    const id = keyIdentifier(key, provider);
    expect(id.length).toBe(20);
    const point = key.kind === 'ec' ? key.point : new Uint8Array(0);
    expect([...id]).toEqual([...provider.hash('SHA-256').digest(point).subarray(0, 20)]);
  });
});

// ---------------------------------------------------------------- certificates

describe('createCertificate', () => {
  it('issues a CA and a server leaf that parse back with the fields asked for', async () => {
    const ca = await makeCa();
    const leaf = await makeLeaf(ca);
    const caCert = parseCertificate(ca.der);
    const cert = parseCertificate(leaf.der);

    expect(caCert.version).toBe(3);
    expect(caCert.subject.text).toBe('CN=Test CA, O=tls13 tests, C=NL');
    expect(caCert.selfIssued).toBe(true);
    expect(caCert.basicConstraints).toEqual({ ca: true, pathLength: undefined });
    expect(caCert.keyUsage?.keyCertSign).toBe(true);
    expect(caCert.keyUsage?.cRLSign).toBe(true);
    expect(caCert.extKeyUsage).toBeUndefined();
    expect(caCert.extensions.find((e) => e.oid === OID.basicConstraints)?.critical).toBe(true);
    expect(caCert.authorityKeyIdentifier).toEqual(caCert.subjectKeyIdentifier);

    expect(cert.subject.text).toBe('CN=localhost');
    expect(cert.issuer.raw).toEqual(caCert.subject.raw);
    expect(cert.basicConstraints).toEqual({ ca: false, pathLength: undefined });
    expect(cert.keyUsage?.digitalSignature).toBe(true);
    expect(cert.keyUsage?.keyCertSign).toBe(false);
    expect(cert.extKeyUsage).toEqual([OID.serverAuth]);
    expect(cert.subjectAltName?.dnsNames).toEqual(['localhost', '*.example.test']);
    expect(cert.subjectAltName?.ipAddresses.map((b) => [...b])).toEqual([
      [127, 0, 0, 1],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ]);
    // SAN is not critical: the subject is not empty (RFC 5280 §4.2.1.6).
    expect(cert.extensions.find((e) => e.oid === OID.subjectAltName)?.critical).toBe(false);
    expect(cert.authorityKeyIdentifier).toEqual(caCert.subjectKeyIdentifier);
    expect(cert.signatureAlgorithm).toMatchObject({ kind: 'ecdsa', name: 'ecdsa-with-SHA256' });
    expect(cert.notBefore).toEqual(validity.notBefore);
    expect(cert.notAfter).toEqual(validity.notAfter);
    expect(cert.serialNumber > 0n).toBe(true);
    expect(cert.subjectPublicKeyInfo.raw).toEqual(encodeSubjectPublicKeyInfo(publicKeyFromPrivateKey(leaf.key)));
  });

  it('chains verify with verifyChain for server names, IPs and wildcards', async () => {
    const ca = await makeCa();
    const leaf = await makeLeaf(ca);
    const roots = [parseCertificate(ca.der)];
    for (const serverName of ['localhost', '127.0.0.1', '::1', 'a.example.test']) {
      const chains = await verify({ leaf: leaf.der, roots, now: NOW, provider, usage: 'server', serverName });
      expect(chains).toHaveLength(1);
      expect(chains[0]!.map((c) => c.subject.text)).toEqual(['CN=localhost', 'CN=Test CA, O=tls13 tests, C=NL']);
    }
    await expect(verify({ leaf: leaf.der, roots, now: NOW, provider, usage: 'server', serverName: 'other.test' })).rejects.toThrow(
      X509VerificationError,
    );
    // A server certificate is not a client certificate.
    await expect(verify({ leaf: leaf.der, roots, now: NOW, provider, usage: 'client' })).rejects.toThrow(/clientAuth/);
    // Another CA with the same name does not verify it (the signature decides).
    const impostor = await makeCa('P-256', 'Test CA');
    await expect(
      verify({ leaf: leaf.der, roots: [parseCertificate(impostor.der)], now: NOW, provider, usage: 'server', serverName: 'localhost' }),
    ).rejects.toThrow(X509VerificationError);
  });

  it('Ed25519 CAs and leaves, client and dual-use certificates', async () => {
    const ca = await makeCa('Ed25519');
    expect(parseCertificate(ca.der).signatureAlgorithm).toMatchObject({ kind: 'ed25519' });
    const client = await makeLeaf(ca, { subject: 'alice', dnsNames: [], ipAddresses: [], usage: 'client' }, 'Ed25519');
    const both = await makeLeaf(ca, { usage: 'both' });
    const roots = [parseCertificate(ca.der)];
    await expect(verify({ leaf: client.der, roots, now: NOW, provider, usage: 'client' })).resolves.toHaveLength(1);
    await expect(verify({ leaf: client.der, roots, now: NOW, provider, usage: 'server' })).rejects.toThrow(/serverAuth/);
    expect(parseCertificate(both.der).extKeyUsage).toEqual([OID.serverAuth, OID.clientAuth]);
    await expect(verify({ leaf: both.der, roots, now: NOW, provider, usage: 'client' })).resolves.toHaveLength(1);
    await expect(verify({ leaf: both.der, roots, now: NOW, provider, usage: 'server', serverName: 'localhost' })).resolves.toHaveLength(1);
  });

  it('an intermediate with pathLen 0 signs leaves but not further CAs', async () => {
    const root = await makeCa();
    const intKey = generatePrivateKey('P-256', provider.random);
    const intDer = await createCertificate({
      subject: 'Intermediate',
      issuer: root.der,
      issuerKey: root.key,
      publicKey: publicKeyFromPrivateKey(intKey),
      ...validity,
      usage: 'ca',
      pathLen: 0,
      provider,
    });
    expect(parseCertificate(intDer).basicConstraints).toEqual({ ca: true, pathLength: 0 });
    const intermediate = { key: intKey, der: intDer };
    const leaf = await makeLeaf(intermediate);
    const roots = [parseCertificate(root.der)];
    const chains = await verify({ leaf: leaf.der, intermediates: [intDer], roots, now: NOW, provider, usage: 'server', serverName: 'localhost' });
    expect(chains[0]).toHaveLength(3);
    const subKey = generatePrivateKey('P-256', provider.random);
    const subDer = await createCertificate({
      subject: 'Sub',
      issuer: intDer,
      issuerKey: intKey,
      publicKey: publicKeyFromPrivateKey(subKey),
      ...validity,
      usage: 'ca',
      provider,
    });
    const deep = await makeLeaf({ key: subKey, der: subDer });
    await expect(
      verify({ leaf: deep.der, intermediates: [intDer, subDer], roots, now: NOW, provider, usage: 'server', serverName: 'localhost' }),
    ).rejects.toThrow(X509VerificationError);
  });

  it('a leaf with an empty subject marks its SAN critical (RFC 5280 §4.2.1.6)', async () => {
    const ca = await makeCa();
    const leaf = await makeLeaf(ca, { subject: {} });
    const cert = parseCertificate(leaf.der);
    expect(cert.subject.rdns).toEqual([]);
    expect(cert.extensions.find((e) => e.oid === OID.subjectAltName)?.critical).toBe(true);
    await expect(
      verify({ leaf: leaf.der, roots: [parseCertificate(ca.der)], now: NOW, provider, usage: 'server', serverName: 'localhost' }),
    ).resolves.toHaveLength(1);
  });

  it('signs through the provider it is given (an asynchronous signer works)', async () => {
    const base = createNobleCrypto();
    let signed = 0;
    const asyncProvider: CryptoProvider = {
      ...base,
      signature(scheme) {
        const alg = base.signature(scheme);
        if (!alg) return undefined;
        return {
          ...alg,
          sign: async (key, message, random) => {
            signed++;
            await new Promise((r) => setTimeout(r, 1));
            return alg.sign(key, message, random);
          },
        };
      },
    };
    const key = generatePrivateKey('P-256', base.random);
    const der = await createCertificate({ subject: 'x', issuerKey: key, publicKey: publicKeyFromPrivateKey(key), ...validity, usage: 'ca', provider: asyncProvider });
    expect(signed).toBe(1);
    const cert = parseCertificate(der);
    const alg = base.signature(0x0403)!;
    expect(await alg.verify(publicKeyFromPrivateKey(key), cert.tbs, cert.signature)).toBe(true);
  });

  it('explains templates that cannot make a usable certificate', async () => {
    const ca = await makeCa();
    const other = await makeCa();
    const key = generatePrivateKey('P-256', provider.random);
    const publicKey = publicKeyFromPrivateKey(key);
    const base = { subject: 'x', issuer: ca.der, issuerKey: ca.key, publicKey, ...validity, provider };
    await expect(createCertificate({ ...base, usage: 'server' })).rejects.toThrow(/needs at least one DNS name or IP address/);
    await expect(createCertificate({ ...base, issuerKey: other.key, usage: 'client' })).rejects.toThrow(/not the private key of the issuer/);
    await expect(createCertificate({ ...base, issuerKey: key, issuer: undefined, publicKey: publicKeyFromPrivateKey(ca.key), usage: 'client' })).rejects.toThrow(
      /self-signed: issuerKey must be the private key/,
    );
    const leaf = await makeLeaf(ca);
    await expect(createCertificate({ ...base, issuer: leaf.der, issuerKey: leaf.key, usage: 'client' })).rejects.toThrow(/is not a CA/);
    await expect(createCertificate({ ...base, usage: 'server', dnsNames: ['bad_name.test'] })).rejects.toThrow(/not a valid DNS name/);
    await expect(createCertificate({ ...base, usage: 'server', ipAddresses: ['300.1.1.1'] })).rejects.toThrow(/not an IPv4 or IPv6/);
    await expect(createCertificate({ ...base, usage: 'client', notAfter: validity.notBefore })).rejects.toThrow(/notAfter/);
    await expect(createCertificate({ ...base, usage: 'client', pathLen: 1 })).rejects.toThrow(/pathLen/);
    await expect(createCertificate({ ...base, usage: 'client', serial: 0n })).rejects.toThrow(/serial/);
  });
});

// ---------------------------------------------------------------- OpenSSL

describe.skipIf(!OPENSSL.ok)(`OpenSSL accepts what we write (${OPENSSL.version})`, () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  const openssl = (...args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });

  it('openssl verify accepts P-256 and Ed25519 chains; x509 -text shows the SANs', async () => {
    for (const alg of ['P-256', 'Ed25519'] as const) {
      // Issued now (openssl checks validity against the real clock).
      const now = Date.now();
      const caKey = generatePrivateKey(alg, provider.random);
      const caDer = await createCertificate({
        subject: { organization: 'tls13', commonName: `CA ${alg}` },
        issuerKey: caKey,
        publicKey: publicKeyFromPrivateKey(caKey),
        notBefore: new Date(now - HOUR),
        notAfter: new Date(now + 24 * HOUR),
        usage: 'ca',
        provider,
      });
      const leafKey = generatePrivateKey(alg, provider.random);
      const leafDer = await createCertificate({
        subject: 'localhost',
        issuer: caDer,
        issuerKey: caKey,
        publicKey: publicKeyFromPrivateKey(leafKey),
        notBefore: new Date(now - HOUR),
        notAfter: new Date(now + 24 * HOUR),
        dnsNames: ['localhost', '*.example.test'],
        ipAddresses: ['127.0.0.1', '::1'],
        usage: 'both',
        provider,
      });
      const caPath = join(dir.path, `ca-${alg}.pem`);
      const leafPath = join(dir.path, `leaf-${alg}.pem`);
      const keyPath = join(dir.path, `leaf-${alg}.key`);
      writeFileSync(caPath, encodeCertificatePem(caDer));
      writeFileSync(leafPath, encodeCertificatePem(leafDer));
      writeFileSync(keyPath, encodePrivateKeyPem(leafKey));

      const verify = openssl('verify', '-CAfile', caPath, '-purpose', 'sslserver', leafPath);
      expect(verify.stdout.trim(), verify.stderr).toBe(`${leafPath}: OK`);
      const verifyClient = openssl('verify', '-CAfile', caPath, '-purpose', 'sslclient', leafPath);
      expect(verifyClient.stdout.trim(), verifyClient.stderr).toBe(`${leafPath}: OK`);

      const text = openssl('x509', '-in', leafPath, '-noout', '-text').stdout;
      expect(text).toContain('DNS:localhost, DNS:*.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
      expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature/);
      expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
      const caText = openssl('x509', '-in', caPath, '-noout', '-text').stdout;
      expect(caText).toMatch(/CA:TRUE/);
      expect(caText).toMatch(/Certificate Sign, CRL Sign/);

      // OpenSSL reads our PKCS#8 key and finds the same public key as in the certificate.
      const fromKey = openssl('pkey', '-in', keyPath, '-pubout').stdout;
      const fromCert = openssl('x509', '-in', leafPath, '-noout', '-pubkey').stdout;
      expect(fromKey).toBe(fromCert);
      expect(fromKey).toContain('BEGIN PUBLIC KEY');
    }
  });

  it('openssl rejects a leaf under the wrong CA (the check is real)', async () => {
    const now = Date.now();
    const mk = async (name: string) => {
      const key = generatePrivateKey('P-256', provider.random);
      const der = await createCertificate({
        subject: name,
        issuerKey: key,
        publicKey: publicKeyFromPrivateKey(key),
        notBefore: new Date(now - HOUR),
        notAfter: new Date(now + HOUR),
        usage: 'ca',
        provider,
      });
      return { key, der };
    };
    const a = await mk('A');
    const b = await mk('B');
    const leafKey = generatePrivateKey('P-256', provider.random);
    const leaf = await createCertificate({
      subject: 'x',
      issuer: a.der,
      issuerKey: a.key,
      publicKey: publicKeyFromPrivateKey(leafKey),
      notBefore: new Date(now - HOUR),
      notAfter: new Date(now + HOUR),
      dnsNames: ['x.test'],
      usage: 'server',
      provider,
    });
    writeFileSync(join(dir.path, 'b.pem'), encodeCertificatePem(b.der));
    writeFileSync(join(dir.path, 'x.pem'), encodeCertificatePem(leaf));
    const r = openssl('verify', '-CAfile', join(dir.path, 'b.pem'), join(dir.path, 'x.pem'));
    expect(r.status).not.toBe(0);
  });
});
