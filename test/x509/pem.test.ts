import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import type { PrivateKey, PublicKey } from '../../src/crypto/provider.js';
import { SignatureScheme } from '../../src/registry.js';
import { fromHex, utf8 } from '../../src/util/bytes.js';
import { encodeOid } from '../../src/x509/der.js';
import { X509DecodeError, encodePem, parsePem, parsePrivateKey } from '../../src/x509/index.js';
import { OID } from '../../src/x509/oids.js';
import { cert, fixture, fixtureBytes, tlv } from './helpers.js';

function decodeError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(X509DecodeError);
    return (e as Error).message;
  }
  throw new Error('expected an X509DecodeError');
}

describe('PEM (RFC 7468)', () => {
  it('round-trips with 64-character lines', () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
    const text = encodePem('TEST DATA', bytes);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN TEST DATA-----');
    expect(lines[1]!.length).toBe(64);
    expect(lines.at(-1)).toBe('-----END TEST DATA-----');
    expect(parsePem(text)).toEqual([{ label: 'TEST DATA', bytes, headers: {} }]);
  });

  it('property: encodePem and parsePem are inverse for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(parsePem(encodePem('X', bytes))[0]!.bytes).toEqual(bytes);
      }),
    );
  });

  it('reads several blocks, CRLF line ends and explanatory text', () => {
    const text = `Subject: whatever\r\n${encodePem('A', utf8('one'))}between\r\n${encodePem('B', utf8('two!'))}`.replace(
      /\n/g,
      '\r\n',
    );
    expect(parsePem(text).map((b) => [b.label, new TextDecoder().decode(b.bytes)])).toEqual([
      ['A', 'one'],
      ['B', 'two!'],
    ]);
  });

  it('keeps RFC 1421 headers', () => {
    expect(parsePem(fixture('leaf-rsa.pkcs1-encrypted.key'))[0]!.headers['Proc-Type']).toBe('4,ENCRYPTED');
  });

  it('rejects malformed armour and base64', () => {
    expect(decodeError(() => parsePem('-----BEGIN A-----\nAAAA\n-----END B-----\n'))).toBe(
      'PEM: "BEGIN A" is closed by "END B"',
    );
    expect(decodeError(() => parsePem('-----BEGIN A-----\nAAAA\n'))).toBe('PEM: "BEGIN A" has no END line');
    expect(decodeError(() => parsePem('-----BEGIN A-----\nAAA\n-----END A-----'))).toMatch(/not a multiple of 4/);
    expect(decodeError(() => parsePem('-----BEGIN A-----\nAA*A\n-----END A-----'))).toMatch(/unexpected "\*"/);
    expect(decodeError(() => parsePem('-----BEGIN A-----\nA=AA\n-----END A-----'))).toMatch(/unexpected "="/);
    // "AB==" leaves non-zero bits under the padding ("AA==" is canonical).
    expect(decodeError(() => parsePem('-----BEGIN A-----\nAB==\n-----END A-----'))).toMatch(/padding bits/);
    expect(parsePem('-----BEGIN A-----\nAA==\n-----END A-----')[0]!.bytes).toEqual(Uint8Array.from([0]));
    expect(parsePem('no blocks here')).toEqual([]);
  });
});

/** Signs with the private key through the provider and verifies with the certificate's key. */
async function signsFor(key: PrivateKey, pub: PublicKey, scheme: number): Promise<boolean> {
  const alg = nobleCrypto.signature(scheme)!;
  const msg = utf8('proof of possession');
  const sig = await alg.sign(key, msg, nobleCrypto.random);
  return alg.verify(pub, msg, sig);
}

describe('private keys', () => {
  it('PKCS#8 P-256 (and the same key in SEC1 and in DER) matches the certificate', async () => {
    const k = parsePrivateKey(fixture('leaf-p256.key'));
    expect(k.kind).toBe('ec');
    if (k.kind !== 'ec') return;
    expect(k.curve).toBe('P-256');
    expect(k.d.length).toBe(32);
    expect(p256.getPublicKey(k.d, false)).toEqual((cert('leaf-p256').publicKey as { point: Uint8Array }).point);
    expect(parsePrivateKey(fixture('leaf-p256.sec1.key'))).toEqual(k);
    const pk8 = fixtureBytes('leaf-p256.pk8.der');
    // PrivateKeyInfo: SEQUENCE { INTEGER 0, SEQUENCE { id-ecPublicKey ... } ... }
    expect(Array.from(pk8.subarray(3, 7))).toEqual([0x02, 0x01, 0x00, 0x30]);
    expect(parsePrivateKey(pk8)).toEqual(k);
    // SEC1 as DER is told apart from PKCS#8 by its shape.
    expect(parsePrivateKey(parsePem(fixture('leaf-p256.sec1.key'))[0]!.bytes)).toEqual(k);
    // PEM given as bytes is recognised too.
    expect(parsePrivateKey(utf8(fixture('leaf-p256.key')))).toEqual(k);
    expect(await signsFor(k, cert('leaf-p256').publicKey!, SignatureScheme.ecdsa_secp256r1_sha256)).toBe(true);
  });

  it('P-384: PKCS#8 and SEC1', () => {
    const k = parsePrivateKey(fixture('leaf-p384.key'));
    expect(k).toMatchObject({ kind: 'ec', curve: 'P-384' });
    if (k.kind !== 'ec') return;
    expect(k.d).toEqual(
      fromHex('51bc484b94e5b9fcef85f6b8dcd07ac20a18895cac96b56f73bc57b0c5e62c24e7f07b3008541de8e1abb4e73cba9f1f'),
    );
    expect(p384.getPublicKey(k.d, false)).toEqual((cert('leaf-p384').publicKey as { point: Uint8Array }).point);
    expect(parsePrivateKey(fixture('leaf-p384.sec1.key'))).toEqual(k);
  });

  it('Ed25519: the 32-byte seed', async () => {
    const k = parsePrivateKey(fixture('leaf-ed25519.key'));
    expect(k).toEqual({
      kind: 'ed25519',
      seed: fromHex('28718b5dfda46c614b0190438981d3cdbe02231db2739e7a894dbee10de9785d'),
    });
    if (k.kind !== 'ed25519') return;
    expect(ed25519.getPublicKey(k.seed)).toEqual((cert('leaf-ed25519').publicKey as { key: Uint8Array }).key);
    expect(await signsFor(k, cert('leaf-ed25519').publicKey!, SignatureScheme.ed25519)).toBe(true);
  });

  it('RSA: PKCS#8 and PKCS#1 give the same key, matching the certificate', async () => {
    const k = parsePrivateKey(fixture('leaf-rsa.key'));
    expect(k.kind).toBe('rsa');
    if (k.kind !== 'rsa') return;
    const pub = cert('leaf-rsa').publicKey;
    expect(pub).toEqual({ kind: 'rsa', n: k.n, e: k.e });
    expect(k.p.toString(16).startsWith('c2c6d0317df1b0d7fd825db853d0997b349fcce9a5b09abde4b009f0b7a929f64d82ea99454fae83546cdc67')).toBe(true);
    expect(k.p * k.q).toBe(k.n);
    expect(parsePrivateKey(fixture('leaf-rsa.pkcs1.key'))).toEqual(k);
    expect(await signsFor(k, pub!, SignatureScheme.rsa_pss_rsae_sha256)).toBe(true);
  });

  it('skips non-key blocks before the key', () => {
    const text = `${fixture('leaf-p256.pem')}${fixture('leaf-p256.sec1.key')}`;
    expect(parsePrivateKey(text).kind).toBe('ec');
  });

  it('encrypted keys get the actionable message', () => {
    const hint = 'encrypted private keys are not supported: decrypt with openssl pkey';
    expect(decodeError(() => parsePrivateKey(fixture('leaf-p256.encrypted.key')))).toBe(hint);
    expect(decodeError(() => parsePrivateKey(fixture('leaf-rsa.pkcs1-encrypted.key')))).toBe(hint);
    // The DER of an EncryptedPrivateKeyInfo, too.
    expect(decodeError(() => parsePrivateKey(parsePem(fixture('leaf-p256.encrypted.key'))[0]!.bytes))).toBe(hint);
  });

  it('explains what it found when there is no key', () => {
    expect(decodeError(() => parsePrivateKey(fixture('root-ec.pem')))).toBe('no private key found in PEM (found: CERTIFICATE)');
    expect(decodeError(() => parsePrivateKey(''))).toBe('no private key found in PEM (found: no PEM blocks)');
  });

  describe('malformed and unsupported keys', () => {
    const algId = (oid: string, params?: Uint8Array): Uint8Array =>
      tlv(0x30, tlv(0x06, encodeOid(oid)), ...(params ? [params] : []));
    const pkcs8 = (alg: Uint8Array, inner: Uint8Array): Uint8Array => tlv(0x30, tlv(0x02, [0]), alg, tlv(0x04, inner));
    const p256Alg = algId(OID.ecPublicKey, tlv(0x06, encodeOid(OID.prime256v1)));
    const sec1 = (d: Uint8Array, curve?: string): Uint8Array =>
      tlv(0x30, tlv(0x02, [1]), tlv(0x04, d), ...(curve ? [tlv(0xa0, tlv(0x06, encodeOid(curve)))] : []));

    it('EC scalar range and length', () => {
      expect(decodeError(() => parsePrivateKey(pkcs8(p256Alg, sec1(new Uint8Array(32)))))).toBe('P-256 private key is out of range');
      expect(decodeError(() => parsePrivateKey(pkcs8(p256Alg, sec1(new Uint8Array(32).fill(0xff)))))).toBe(
        'P-256 private key is out of range',
      );
      expect(decodeError(() => parsePrivateKey(pkcs8(p256Alg, sec1(new Uint8Array(33).fill(1)))))).toBe(
        'P-256 private key must be 32 bytes',
      );
      // A short scalar is left-padded.
      const k = parsePrivateKey(pkcs8(p256Alg, sec1(Uint8Array.from([1, 2]))));
      expect(k).toMatchObject({ kind: 'ec', curve: 'P-256' });
      expect((k as { d: Uint8Array }).d).toEqual(Uint8Array.from([...new Uint8Array(30), 1, 2]));
    });

    it('SEC1 needs a named curve, and it must agree with PKCS#8', () => {
      const d = new Uint8Array(32).fill(1);
      expect(decodeError(() => parsePrivateKey(sec1(d)))).toBe('ECPrivateKey: the curve is not named (no [0] parameters)');
      expect(parsePrivateKey(sec1(d, OID.secp384r1))).toMatchObject({ curve: 'P-384' });
      expect(decodeError(() => parsePrivateKey(pkcs8(p256Alg, sec1(d, OID.secp384r1))))).toBe(
        "ECPrivateKey: curve P-384 contradicts the algorithm's P-256",
      );
      expect(decodeError(() => parsePrivateKey(sec1(d, OID.secp521r1)))).toBe('ECPrivateKey: unsupported curve ECDSA P-521');
    });

    it('unsupported algorithms and bad Ed25519 seeds', () => {
      expect(decodeError(() => parsePrivateKey(pkcs8(algId(OID.x25519), tlv(0x04, new Uint8Array(32)))))).toBe(
        'PKCS#8: unsupported key algorithm X25519',
      );
      expect(decodeError(() => parsePrivateKey(pkcs8(algId(OID.ed25519), tlv(0x04, new Uint8Array(31)))))).toBe(
        'Ed25519 private key must be 32 bytes, got 31',
      );
    });

    it('PKCS#1 consistency and multi-prime keys', () => {
      const ints = (...v: number[]): Uint8Array => tlv(0x30, ...v.map((x) => tlv(0x02, [x])));
      expect(decodeError(() => parsePrivateKey(ints(0, 15, 3, 3, 3, 7, 1, 1, 1)))).toBe(
        'RSAPrivateKey: modulus is not prime1 * prime2',
      );
      expect(parsePrivateKey(ints(0, 15, 3, 3, 3, 5, 1, 1, 1))).toMatchObject({ kind: 'rsa', n: 15n, p: 3n, q: 5n });
      expect(decodeError(() => parsePrivateKey(ints(1, 15, 3, 3, 3, 5, 1, 1, 1)))).toBe(
        'RSAPrivateKey: multi-prime RSA keys are not supported',
      );
    });

    it('garbage DER', () => {
      expect(decodeError(() => parsePrivateKey(Uint8Array.from([0x30, 0x03, 0x04, 0x01, 0x00])))).toBe(
        'private key: not PKCS#8, SEC1 or PKCS#1',
      );
      expect(decodeError(() => parsePrivateKey(Uint8Array.from([0x02, 0x01, 0x00])))).toBe(
        'private key: expected a DER SEQUENCE',
      );
    });

    it('property: random and mutated key bytes fail only with X509DecodeError', () => {
      const der = fixtureBytes('leaf-p256.pk8.der');
      fc.assert(
        fc.property(fc.nat(der.length - 1), fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 40 }), (at, x, junk) => {
          const mutated = der.slice();
          mutated[at] = mutated[at]! ^ x;
          for (const input of [mutated, junk]) {
            try {
              parsePrivateKey(input);
            } catch (e) {
              expect(e).toBeInstanceOf(X509DecodeError);
            }
          }
        }),
        { numRuns: 1000 },
      );
    });
  });
});
