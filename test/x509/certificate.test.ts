/**
 * Structural checks of parseCertificate on certificates rebuilt from a
 * fixture with one field changed (the signature no longer matters here).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex } from '../../src/util/bytes.js';
import { DerReader, Tag, encodeOid } from '../../src/x509/der.js';
import { X509DecodeError, parseCertificate } from '../../src/x509/index.js';
import { OID } from '../../src/x509/oids.js';
import { cert, tlv } from './helpers.js';

/** The top-level elements of a certificate and of its tbsCertificate, as raw DER. */
function split(raw: Uint8Array): { tbs: Uint8Array[]; alg: Uint8Array; sig: Uint8Array } {
  const outer = new DerReader(raw).enter(Tag.SEQUENCE, 'cert');
  const tbsEl = outer.read('tbs');
  const alg = outer.read('alg').raw;
  const sig = outer.read('sig').raw;
  const r = new DerReader(tbsEl.contents);
  const tbs: Uint8Array[] = [];
  while (!r.atEnd) tbs.push(r.read('field').raw);
  return { tbs, alg, sig };
}

const base = split(cert('leaf-p256').raw);
// tbs: [0] version, serial, signature, issuer, validity, subject, spki, [3] extensions
const [, SERIAL, SIGALG, ISSUER, VALIDITY, SUBJECT, SPKI, EXTENSIONS] = base.tbs as [
  Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array,
];

function build(tbs: Uint8Array[], alg = base.alg, sig = base.sig): Uint8Array {
  return tlv(0x30, tlv(0x30, ...tbs), alg, sig);
}

function withTbs(index: number, value: Uint8Array | null): Uint8Array {
  const tbs = [...base.tbs];
  if (value === null) tbs.splice(index, 1);
  else tbs[index] = value;
  return build(tbs);
}

function extension(oid: string, value: Uint8Array, critical = false): Uint8Array {
  return tlv(0x30, tlv(0x06, encodeOid(oid)), ...(critical ? [tlv(0x01, [0xff])] : []), tlv(0x04, value));
}

function withExtensions(...exts: Uint8Array[]): Uint8Array {
  return withTbs(7, tlv(0xa3, tlv(0x30, ...exts)));
}

function parseError(der: Uint8Array): string {
  try {
    parseCertificate(der);
  } catch (e) {
    expect(e).toBeInstanceOf(X509DecodeError);
    return (e as Error).message;
  }
  throw new Error('expected parseCertificate to throw');
}

describe('parseCertificate structure', () => {
  it('the rebuilt fixture parses identically', () => {
    const c = parseCertificate(build(base.tbs));
    expect(c.raw).toEqual(cert('leaf-p256').raw);
  });

  it('rejects trailing bytes after the certificate', () => {
    expect(parseError(Uint8Array.from([...cert('leaf-p256').raw, 0]))).toBe('certificate: 1 unexpected trailing bytes');
  });

  it('rejects truncation anywhere', () => {
    const raw = cert('leaf-p256').raw;
    for (const cut of [1, 2, 10, 100, raw.length - 1]) expect(parseError(raw.subarray(0, cut))).toMatch(/truncated/);
  });

  it('rejects a signatureAlgorithm that differs from tbsCertificate.signature', () => {
    const sha384 = tlv(0x30, tlv(0x06, encodeOid(OID.ecdsaWithSHA384)));
    expect(parseError(build(base.tbs, sha384))).toBe(
      'certificate: signatureAlgorithm differs from tbsCertificate.signature',
    );
  });

  it('versions: v1 without [0], v4 is unknown, v1 may not carry extensions', () => {
    const v1 = parseCertificate(build([SERIAL, SIGALG, ISSUER, VALIDITY, SUBJECT, SPKI]));
    expect(v1.version).toBe(1);
    expect(v1.extensions).toEqual([]);
    expect(v1.subjectAltName).toBeUndefined();
    expect(parseError(withTbs(0, tlv(0xa0, tlv(0x02, [3]))))).toBe('unknown certificate version 4');
    expect(parseError(build([SERIAL, SIGALG, ISSUER, VALIDITY, SUBJECT, SPKI, EXTENSIONS]))).toBe(
      'extensions in a certificate that is not v3',
    );
    expect(parseError(withTbs(0, tlv(0xa0, tlv(0x02, [2]), tlv(0x05))))).toBe('version: 2 unexpected trailing bytes');
  });

  it('reports the field that is wrong', () => {
    expect(parseError(withTbs(1, tlv(0x02, [0x00, 0x10])))).toBe('serialNumber: non-minimal INTEGER encoding');
    expect(parseError(withTbs(3, tlv(0x31)))).toBe('issuer: expected tag 0x30, found 0x31');
    expect(parseError(withTbs(4, tlv(0x30, tlv(0x17, fromHex('3235303130313030303030305a')))))).toBe(
      'notAfter: truncated (expected an element, found the end)',
    );
    expect(parseError(withTbs(5, tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, encodeOid('2.5.4.3')), tlv(0x13, [0x40]))))))).toBe(
      'subject CN: invalid character in PrintableString',
    );
  });

  it('an RDN must not be empty', () => {
    expect(parseError(withTbs(5, tlv(0x30, tlv(0x31))))).toMatch(/subject attribute: missing/);
  });

  it('rejects an empty extensions list and duplicate extensions', () => {
    expect(parseError(withExtensions())).toBe('extensions: present but empty');
    const ski = extension(OID.subjectKeyIdentifier, tlv(0x04, [1, 2, 3]));
    expect(parseError(withExtensions(ski, ski))).toBe('extension 2.5.29.14 appears twice');
  });

  it('rejects a non-DER critical flag', () => {
    const ext = tlv(0x30, tlv(0x06, encodeOid(OID.keyUsage)), tlv(0x01, [0x01]), tlv(0x04, tlv(0x03, [7, 0x80])));
    expect(parseError(withExtensions(ext))).toMatch(/critical: BOOLEAN must be 0x00 or 0xFF/);
  });

  it('parses a v1-style name form: unknown attribute types and non-string values', () => {
    const subject = tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, encodeOid('1.2.3.4')), tlv(0x04, [0xab]))),
      tlv(0x31, tlv(0x30, tlv(0x06, encodeOid('2.5.4.3')), tlv(0x0c, new TextEncoder().encode('a,b+c')))));
    const c = parseCertificate(withTbs(5, subject));
    expect(c.subject.text).toBe('CN=a\\,b\\+c, 1.2.3.4=#0401ab');
    expect(c.subject.rdns[0]![0]!.value).toBeUndefined();
  });

  it('multi-valued RDNs join with +', () => {
    const atv = (oid: string, v: string): Uint8Array => tlv(0x30, tlv(0x06, encodeOid(oid)), tlv(0x0c, new TextEncoder().encode(v)));
    const subject = tlv(0x30, tlv(0x31, atv('2.5.4.3', 'x'), atv('2.5.4.11', 'y')));
    expect(parseCertificate(withTbs(5, subject)).subject.text).toBe('CN=x+OU=y');
  });

  describe('extensions', () => {
    const san = (...names: Uint8Array[]): Uint8Array => extension(OID.subjectAltName, tlv(0x30, ...names));

    it('subjectAltName keeps every name form', () => {
      const dir = tlv(0xa4, tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, encodeOid('2.5.4.3')), tlv(0x0c, [0x7a])))));
      const c = parseCertificate(
        withExtensions(
          san(
            tlv(0x82, new TextEncoder().encode('a.test')),
            tlv(0x81, new TextEncoder().encode('me@a.test')),
            tlv(0x86, new TextEncoder().encode('https://a.test/')),
            tlv(0x87, fromHex('20010db8000000000000000000000001')),
            dir,
            tlv(0x88, encodeOid('1.2.3')),
            tlv(0xa0, tlv(0x06, encodeOid('1.2.3')), tlv(0xa0, tlv(0x0c, [0x61]))),
          ),
        ),
      );
      const names = c.subjectAltName!.names;
      expect(names.map((n) => n.type)).toEqual(['dns', 'email', 'uri', 'ip', 'directory', 'other', 'other']);
      expect(names[3]).toMatchObject({ type: 'ip', text: '2001:db8::1' });
      expect(names[4]).toMatchObject({ type: 'directory', name: { text: 'CN=z' } });
      expect(c.subjectAltName!.dnsNames).toEqual(['a.test']);
    });

    it('subjectAltName errors', () => {
      expect(parseError(withExtensions(san()))).toBe('subjectAltName: must contain at least one name');
      expect(parseError(withExtensions(san(tlv(0x87, [1, 2, 3, 4, 5]))))).toBe(
        'subjectAltName: iPAddress must be 4 or 16 bytes, got 5',
      );
      expect(parseError(withExtensions(san(tlv(0x82, [0x61, 0xc3, 0xa9]))))).toBe(
        'subjectAltName dNSName: non-ASCII byte in IA5String',
      );
      expect(parseError(withExtensions(san(tlv(0x89, [0]))))).toBe('subjectAltName: unknown GeneralName tag 0x89');
      expect(parseError(withExtensions(extension(OID.subjectAltName, Uint8Array.from([...tlv(0x30, tlv(0x82, [0x61])), 0]))))).toBe(
        'subjectAltName: 1 unexpected trailing bytes',
      );
    });

    it('basicConstraints', () => {
      const bc = (...parts: Uint8Array[]): Uint8Array => extension(OID.basicConstraints, tlv(0x30, ...parts), true);
      expect(parseCertificate(withExtensions(bc())).basicConstraints).toEqual({ ca: false, pathLength: undefined });
      expect(parseCertificate(withExtensions(bc(tlv(0x01, [0xff]), tlv(0x02, [3])))).basicConstraints).toEqual({
        ca: true,
        pathLength: 3,
      });
      // An explicit DEFAULT FALSE is tolerated.
      expect(parseCertificate(withExtensions(bc(tlv(0x01, [0])))).basicConstraints?.ca).toBe(false);
      expect(parseError(withExtensions(bc(tlv(0x02, [1]))))).toBe('basicConstraints: pathLenConstraint without cA');
      expect(parseError(withExtensions(bc(tlv(0x01, [0xff]), tlv(0x02, [0xff]))))).toMatch(/pathLenConstraint: -1 is outside/);
    });

    it('keyUsage bits, including decipherOnly in the second byte', () => {
      const ku = (bits: number[]): Uint8Array => extension(OID.keyUsage, tlv(0x03, bits), true);
      expect(parseCertificate(withExtensions(ku([7, 0x80, 0x80]))).keyUsage).toMatchObject({
        digitalSignature: true,
        decipherOnly: true,
        keyCertSign: false,
      });
      expect(parseCertificate(withExtensions(ku([1, 0x06]))).keyUsage).toMatchObject({
        keyCertSign: true,
        cRLSign: true,
        digitalSignature: false,
      });
      expect(parseError(withExtensions(ku([0])))).toBe('keyUsage: no bit is set');
    });

    it('extKeyUsage must list a purpose', () => {
      expect(parseError(withExtensions(extension(OID.extKeyUsage, tlv(0x30))))).toBe(
        'extKeyUsage: must list at least one purpose',
      );
    });

    it('nameConstraints errors', () => {
      const nc = (inner: Uint8Array): Uint8Array => extension(OID.nameConstraints, inner, true);
      expect(parseError(withExtensions(nc(tlv(0x30))))).toBe('nameConstraints: empty');
      expect(parseError(withExtensions(nc(tlv(0x30, tlv(0xa0)))))).toBe('permittedSubtrees: must contain at least one subtree');
      expect(parseError(withExtensions(nc(tlv(0x30, tlv(0xa0, tlv(0x30, tlv(0x87, [10, 0, 0, 0, 255, 0, 255, 0])))))))).toBe(
        'permittedSubtrees: iPAddress constraint mask is not a CIDR prefix',
      );
      expect(parseError(withExtensions(nc(tlv(0x30, tlv(0xa1, tlv(0x30, tlv(0x87, [10, 0, 0, 0])))))))).toBe(
        'excludedSubtrees: iPAddress constraint must be 8 or 32 bytes, got 4',
      );
      expect(parseError(withExtensions(nc(tlv(0x30, tlv(0xa0, tlv(0x30, tlv(0x82, [0x61]), tlv(0x80, [1])))))))).toBe(
        'permittedSubtrees: minimum and maximum must be absent',
      );
    });

    it('authorityKeyIdentifier with issuer and serial parses the key id only', () => {
      const aki = extension(
        OID.authorityKeyIdentifier,
        tlv(0x30, tlv(0x80, [9, 9]), tlv(0xa1, tlv(0xa4, tlv(0x30))), tlv(0x82, [1])),
      );
      expect(parseCertificate(withExtensions(aki)).authorityKeyIdentifier).toEqual(Uint8Array.from([9, 9]));
    });
  });

  describe('keys and algorithms', () => {
    const algId = (oid: string, params?: Uint8Array): Uint8Array =>
      tlv(0x30, tlv(0x06, encodeOid(oid)), ...(params ? [params] : []));
    const spki = (alg: Uint8Array, key: Uint8Array): Uint8Array => tlv(0x30, alg, tlv(0x03, [0], key));

    it('unsupported key types parse with a null key and a description', () => {
      const c = parseCertificate(withTbs(6, spki(algId(OID.ed448), new Uint8Array(57))));
      expect(c.publicKey).toBeNull();
      expect(c.subjectPublicKeyInfo.description).toBe('unsupported (Ed448)');
      const p521 = parseCertificate(withTbs(6, spki(algId(OID.ecPublicKey, tlv(0x06, encodeOid(OID.secp521r1))), new Uint8Array(133))));
      expect(p521.subjectPublicKeyInfo.description).toBe('unsupported (ECDSA P-521)');
      const compressed = new Uint8Array(33).fill(1);
      compressed[0] = 2;
      const comp = parseCertificate(withTbs(6, spki(algId(OID.ecPublicKey, tlv(0x06, encodeOid(OID.prime256v1))), compressed)));
      expect(comp.subjectPublicKeyInfo.description).toBe('unsupported (compressed P-256 point)');
    });

    it('malformed keys are errors', () => {
      const ec = algId(OID.ecPublicKey, tlv(0x06, encodeOid(OID.prime256v1)));
      expect(parseError(withTbs(6, spki(ec, new Uint8Array(64))))).toBe(
        'subjectPublicKeyInfo: P-256 point must be 0x04 followed by 64 bytes',
      );
      expect(parseError(withTbs(6, spki(algId(OID.ecPublicKey), new Uint8Array(65))))).toMatch(/named curve OID/);
      expect(parseError(withTbs(6, spki(algId(OID.ed25519), new Uint8Array(31))))).toMatch(/Ed25519 public key must be 32 bytes/);
      expect(parseError(withTbs(6, spki(algId(OID.ed25519, tlv(0x05)), new Uint8Array(32))))).toMatch(/parameters must be absent/);
      const rsa = (n: number[], e: number[]): Uint8Array =>
        spki(algId(OID.rsaEncryption, tlv(0x05)), tlv(0x30, tlv(0x02, n), tlv(0x02, e)));
      expect(parseError(withTbs(6, rsa([0x10], [3])))).toMatch(/modulus must be positive and odd/);
      expect(parseError(withTbs(6, rsa([0x11], [2])))).toMatch(/exponent must be odd/);
      expect(parseCertificate(withTbs(6, rsa([0x11], [3]))).publicKey).toEqual({ kind: 'rsa', n: 17n, e: 3n });
      const odd = tlv(0x30, ec, tlv(0x03, [1], new Uint8Array(65)));
      expect(parseError(withTbs(6, odd))).toMatch(/not a whole number of bytes/);
    });

    it('signature algorithms: unsupported ones parse; bad parameters do not', () => {
      const withAlg = (alg: Uint8Array): Uint8Array => {
        const tbs = [...base.tbs];
        tbs[2] = alg;
        return build(tbs, alg);
      };
      expect(parseCertificate(withAlg(algId(OID.sha1WithRSAEncryption, tlv(0x05)))).signatureAlgorithm).toEqual({
        kind: 'unsupported',
        oid: OID.sha1WithRSAEncryption,
        name: 'sha1WithRSAEncryption',
      });
      // RSA PKCS#1 v1.5: NULL parameters, or absent.
      expect(parseCertificate(withAlg(algId(OID.sha256WithRSAEncryption))).signatureAlgorithm.kind).toBe('rsa-pkcs1');
      expect(parseError(withAlg(algId(OID.sha256WithRSAEncryption, tlv(0x02, [0]))))).toMatch(/must be NULL/);
      expect(parseError(withAlg(algId(OID.ecdsaWithSHA256, tlv(0x05))))).toMatch(/must be absent/);
      expect(parseCertificate(withAlg(algId(OID.ed25519))).signatureAlgorithm.kind).toBe('ed25519');

      const hashAlg = (oid: string): Uint8Array => algId(oid, tlv(0x05));
      const pss = (hash: string, mgfHash: string, salt: number): Uint8Array =>
        algId(
          OID.rsassaPss,
          tlv(
            0x30,
            tlv(0xa0, hashAlg(hash)),
            tlv(0xa1, algId(OID.mgf1, hashAlg(mgfHash))),
            tlv(0xa2, tlv(0x02, [salt])),
          ),
        );
      expect(parseCertificate(withAlg(pss(OID.sha512, OID.sha512, 64))).signatureAlgorithm).toMatchObject({
        kind: 'rsa-pss',
        hash: 'SHA-512',
        saltLength: 64,
      });
      expect(parseCertificate(withAlg(pss(OID.sha256, OID.sha256, 20))).signatureAlgorithm).toEqual({
        kind: 'unsupported',
        oid: OID.rsassaPss,
        name: 'RSASSA-PSS (SHA-256, MGF1 SHA-256, salt 20)',
      });
      expect(parseCertificate(withAlg(pss(OID.sha256, OID.sha384, 32))).signatureAlgorithm.kind).toBe('unsupported');
      // All defaults: SHA-1, MGF1-SHA-1, salt 20.
      expect(parseCertificate(withAlg(algId(OID.rsassaPss, tlv(0x30)))).signatureAlgorithm.kind).toBe('unsupported');
      expect(parseError(withAlg(algId(OID.rsassaPss)))).toMatch(/RSASSA-PSS parameters must be a SEQUENCE/);
    });
  });
});

describe('property: malformed certificates fail only with X509DecodeError', () => {
  const samples = ['leaf-p256', 'leaf-rsa', 'root-rsa-pss', 'int-nc', 'leaf-ip'].map((n) => cert(n).raw);

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          parseCertificate(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(X509DecodeError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('fixtures with bytes flipped, deleted, inserted or truncated', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), xor: fc.constant(0) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), xor: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), xor: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 4 }), (raw, muts) => {
        let bytes = Array.from(raw);
        for (const m of muts) {
          const at = m.at % (bytes.length + 1);
          if (m.kind === 'flip' && at < bytes.length) bytes[at] = bytes[at]! ^ m.xor;
          else if (m.kind === 'delete') bytes.splice(at, 1);
          else if (m.kind === 'insert') bytes.splice(at, 0, m.xor);
          else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
        }
        try {
          const c = parseCertificate(Uint8Array.from(bytes));
          // Whatever parses is self-consistent.
          expect(c.raw.length).toBe(bytes.length);
        } catch (e) {
          expect(e).toBeInstanceOf(X509DecodeError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('parseCertificate ownership', () => {
  it('copies its input, so later changes to the buffer do not leak in', () => {
    const buf = cert('leaf-p256').raw.slice();
    const c = parseCertificate(buf);
    buf.fill(0);
    expect(c.raw).toEqual(cert('leaf-p256').raw);
    expect(c.subjectAltName?.dnsNames).toEqual(['p256.test', 'localhost']);
  });
});
