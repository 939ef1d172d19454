import { constants, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { p256, p384 } from '@noble/curves/nist.js';
import { createNobleCrypto, nobleCrypto } from '../../src/crypto/noble.js';
import type { PrivateKey, PublicKey, SignatureAlgorithm } from '../../src/crypto/provider.js';
import { decodeEcdsaSignature, encodeEcdsaSignature } from '../../src/crypto/ecdsaDer.js';
import { SignatureScheme as S } from '../../src/registry.js';
import { concat, fromHex, utf8 } from '../../src/util/bytes.js';
import { ecKeyPair, ed25519KeyPair, rsaKeyPair, seededRandom, type NodeKeyPair } from './helpers.js';

function alg(scheme: number, provider = nobleCrypto): SignatureAlgorithm {
  const a = provider.signature(scheme);
  if (a === undefined) throw new Error(`scheme ${scheme} missing`);
  return a;
}

const message = utf8('TLS 1.3, server CertificateVerify\0 some transcript hash bytes');
const random = nobleCrypto.random;

describe('scheme list', () => {
  it('offers ECDSA, Ed25519, RSA-PSS then PKCS#1 v1.5; no SHA-1, no P-521', () => {
    expect(nobleCrypto.signatureSchemes).toEqual([
      S.ecdsa_secp256r1_sha256,
      S.ecdsa_secp384r1_sha384,
      S.ed25519,
      S.rsa_pss_rsae_sha256,
      S.rsa_pss_rsae_sha384,
      S.rsa_pss_rsae_sha512,
      S.rsa_pkcs1_sha256,
      S.rsa_pkcs1_sha384,
      S.rsa_pkcs1_sha512,
    ]);
    for (const s of [S.rsa_pkcs1_sha1, S.ecdsa_sha1, S.ecdsa_secp521r1_sha512, S.ed448, S.rsa_pss_pss_sha256]) {
      expect(nobleCrypto.signature(s)).toBeUndefined();
    }
    for (const s of nobleCrypto.signatureSchemes) {
      expect(alg(s).scheme).toBe(s);
      expect(alg(s).handshake).toBe(!alg(s).name.startsWith('rsa_pkcs1'));
    }
  });
});

describe('ECDSA', () => {
  const cases = [
    { scheme: S.ecdsa_secp256r1_sha256, curve: 'P-256', hash: 'sha256', n: p256.Point.Fn.ORDER },
    { scheme: S.ecdsa_secp384r1_sha384, curve: 'P-384', hash: 'sha384', n: p384.Point.Fn.ORDER },
  ] as const;

  for (const c of cases) {
    describe(c.curve, () => {
      let kp: NodeKeyPair;
      beforeAll(() => {
        kp = ecKeyPair(c.curve);
      });

      it('our signature verifies with node:crypto, and node’s with ours', async () => {
        const a = alg(c.scheme);
        const sig = await a.sign(kp.privateKey, message, random);
        expect(nodeVerify(c.hash, message, { key: kp.nodePublic, dsaEncoding: 'der' }, sig)).toBe(true);
        expect(await a.verify(kp.publicKey, message, sig)).toBe(true);
        for (let i = 0; i < 5; i++) {
          const theirs = new Uint8Array(nodeSign(c.hash, message, { key: kp.nodePrivate, dsaEncoding: 'der' }));
          expect(await a.verify(kp.publicKey, message, theirs)).toBe(true);
        }
      });

      it('accepts a high-S signature (s′ = n − s) — noble’s default would not', async () => {
        const a = alg(c.scheme);
        const sig = (await a.sign(kp.privateKey, message, random)) as Uint8Array;
        const { r, s } = decodeEcdsaSignature(sig)!;
        expect(s <= c.n / 2n).toBe(true); // we sign low-S
        const highS = encodeEcdsaSignature({ r, s: c.n - s });
        expect(await a.verify(kp.publicKey, message, highS)).toBe(true);
        expect(nodeVerify(c.hash, message, { key: kp.nodePublic, dsaEncoding: 'der' }, highS)).toBe(true);
      });

      it('rejects wrong messages, keys, curves, tampered and out-of-range signatures', async () => {
        const a = alg(c.scheme);
        const sig = (await a.sign(kp.privateKey, message, random)) as Uint8Array;
        const { r, s } = decodeEcdsaSignature(sig)!;
        expect(await a.verify(kp.publicKey, utf8('another message'), sig)).toBe(false);
        expect(await a.verify(ecKeyPair(c.curve).publicKey, message, sig)).toBe(false);
        const other = c.curve === 'P-256' ? 'P-384' : 'P-256';
        expect(await a.verify({ ...kp.publicKey, curve: other } as PublicKey, message, sig)).toBe(false);
        expect(await a.verify(ed25519KeyPair().publicKey, message, sig)).toBe(false);
        for (const bad of [
          encodeEcdsaSignature({ r, s: 0n }),
          encodeEcdsaSignature({ r: 0n, s }),
          encodeEcdsaSignature({ r, s: s + c.n }),
          encodeEcdsaSignature({ r: r + c.n, s }),
          encodeEcdsaSignature({ r, s: c.n }),
          concat(sig, Uint8Array.of(0)),
          sig.subarray(0, sig.length - 1),
          new Uint8Array(0),
        ]) {
          expect(await a.verify(kp.publicKey, message, bad)).toBe(false);
        }
        const flipped = sig.slice();
        flipped[flipped.length - 3]! ^= 0x10;
        expect(await a.verify(kp.publicKey, message, flipped)).toBe(false);
        // A garbage public point must give false, not an exception
        const garbage: PublicKey = { kind: 'ec', curve: c.curve, point: new Uint8Array(65) };
        expect(await a.verify(garbage, message, sig)).toBe(false);
      });

      it('signing is deterministic given the random source (hedged RFC 6979)', async () => {
        const a = alg(c.scheme);
        const s1 = await a.sign(kp.privateKey, message, seededRandom(5));
        const s2 = await a.sign(kp.privateKey, message, seededRandom(5));
        const s3 = await a.sign(kp.privateKey, message, seededRandom(6));
        expect(s1).toEqual(s2);
        expect(s1).not.toEqual(s3);
      });

      it('supports() matches only keys on this curve', () => {
        const a = alg(c.scheme);
        expect(a.supports(kp.publicKey)).toBe(true);
        expect(a.supports(kp.privateKey)).toBe(true);
        expect(a.supports(ecKeyPair(c.curve === 'P-256' ? 'P-384' : 'P-256').publicKey)).toBe(false);
        expect(a.supports(ed25519KeyPair().publicKey)).toBe(false);
      });
    });
  }

  it('refuses to sign with a key of the wrong curve', () => {
    const kp = ecKeyPair('P-384');
    expect(() => alg(S.ecdsa_secp256r1_sha256).sign(kp.privateKey, message, random)).toThrow(/P-256/);
  });
});

describe('strict DER for ECDSA signatures', () => {
  const valid = encodeEcdsaSignature({ r: 0x80n, s: 0x7fn });
  it('encodes minimal integers with a sign pad where needed', () => {
    expect(valid).toEqual(fromHex('3007020200800201' + '7f'));
    expect(decodeEcdsaSignature(valid)).toEqual({ r: 0x80n, s: 0x7fn });
  });

  it.each([
    ['negative r', '30060201800201' + '01'],
    ['non-minimal r (leading zero)', '3007020200010201' + '01'],
    ['empty integer', '300502000201' + '01'],
    ['long-form sequence length < 128', '3081070202008002017f'],
    ['indefinite length', '30800202008002017f0000'],
    ['trailing byte after sequence', '3007020200800201' + '7f00'],
    ['trailing byte inside sequence', '3008020200800201' + '7f00'],
    ['wrong outer tag', '3107020200800201' + '7f'],
    ['wrong integer tag', '3007030200800201' + '7f'],
    ['truncated', '30070202008002'],
    ['only one integer', '300402020080'],
    ['long-form integer length', '300802810200800201' + '7f'],
  ])('rejects %s', (_, hex) => {
    expect(decodeEcdsaSignature(fromHex(hex))).toBeUndefined();
  });

  it('encode/decode round-trips any positive integers (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 400n }), fc.bigInt({ min: 1n, max: 2n ** 400n }), (r, s) => {
        expect(decodeEcdsaSignature(encodeEcdsaSignature({ r, s }), 60)).toEqual({ r, s });
      }),
    );
  });

  it('decode never throws on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        const v = decodeEcdsaSignature(bytes);
        if (v !== undefined) expect(encodeEcdsaSignature(v)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });
});

describe('Ed25519', () => {
  let kp: NodeKeyPair;
  beforeAll(() => {
    kp = ed25519KeyPair();
  });

  it('RFC 8032 §7.1 TEST 2 (one-byte message)', async () => {
    const seed = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
    const pub = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
    const expected = fromHex(
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    );
    const a = alg(S.ed25519);
    expect(await a.sign({ kind: 'ed25519', seed }, Uint8Array.of(0x72), random)).toEqual(expected);
    expect(await a.verify({ kind: 'ed25519', key: pub }, Uint8Array.of(0x72), expected)).toBe(true);
  });

  it('interoperates with node:crypto both ways', async () => {
    const a = alg(S.ed25519);
    const ours = (await a.sign(kp.privateKey, message, random)) as Uint8Array;
    expect(nodeVerify(null, message, kp.nodePublic, ours)).toBe(true);
    const theirs = new Uint8Array(nodeSign(null, message, kp.nodePrivate));
    expect(ours).toEqual(theirs); // Ed25519 is deterministic
    expect(await a.verify(kp.publicKey, message, theirs)).toBe(true);
  });

  it('rejects tampering, bad lengths, non-canonical S and wrong key kinds', async () => {
    const a = alg(S.ed25519);
    const sig = (await a.sign(kp.privateKey, message, random)) as Uint8Array;
    expect(await a.verify(kp.publicKey, utf8('x'), sig)).toBe(false);
    expect(await a.verify(kp.publicKey, message, sig.subarray(0, 63))).toBe(false);
    const pub = (kp.publicKey as Extract<PublicKey, { kind: 'ed25519' }>).key;
    expect(await a.verify({ kind: 'ed25519', key: pub.subarray(1) }, message, sig)).toBe(false);
    // S + L (the group order) is the same scalar mod L, but RFC 8032 demands S < L.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let sLE = 0n;
    for (let i = 63; i >= 32; i--) sLE = (sLE << 8n) | BigInt(sig[i]!);
    const malleated = sig.slice();
    let t = sLE + L;
    for (let i = 32; i < 64; i++) {
      malleated[i] = Number(t & 0xffn);
      t >>= 8n;
    }
    expect(await a.verify(kp.publicKey, message, malleated)).toBe(false);
    expect(await a.verify(ecKeyPair('P-256').publicKey, message, sig)).toBe(false);
    expect(a.supports(kp.publicKey)).toBe(true);
    expect(a.supports(ecKeyPair('P-256').publicKey)).toBe(false);
  });
});

describe('RSA', () => {
  let rsa2048: NodeKeyPair;
  beforeAll(() => {
    rsa2048 = rsaKeyPair(2048);
  });

  const pss = [
    { scheme: S.rsa_pss_rsae_sha256, hash: 'sha256', saltLength: 32 },
    { scheme: S.rsa_pss_rsae_sha384, hash: 'sha384', saltLength: 48 },
    { scheme: S.rsa_pss_rsae_sha512, hash: 'sha512', saltLength: 64 },
  ] as const;

  it.each(pss)('RSA-PSS $hash interoperates with node:crypto (salt = hash length)', async ({ scheme, hash, saltLength }) => {
    const a = alg(scheme);
    const ours = (await a.sign(rsa2048.privateKey, message, random)) as Uint8Array;
    expect(ours).toHaveLength(256);
    const opts = { key: rsa2048.nodePublic, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
    expect(nodeVerify(hash, message, opts, ours)).toBe(true);
    const theirs = new Uint8Array(nodeSign(hash, message, { key: rsa2048.nodePrivate, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }));
    expect(await a.verify(rsa2048.publicKey, message, theirs)).toBe(true);
    // A different salt length is not acceptable in TLS 1.3 (RFC 8446 §4.2.3)
    const shortSalt = new Uint8Array(nodeSign(hash, message, { key: rsa2048.nodePrivate, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }));
    expect(await a.verify(rsa2048.publicKey, message, shortSalt)).toBe(false);
    expect(await a.verify(rsa2048.publicKey, utf8('other'), theirs)).toBe(false);
  });

  it('RSA-PSS: the salt comes from the injected random source', async () => {
    const a = alg(S.rsa_pss_rsae_sha256);
    const s1 = await a.sign(rsa2048.privateKey, message, seededRandom(1));
    const s2 = await a.sign(rsa2048.privateKey, message, seededRandom(1));
    const s3 = await a.sign(rsa2048.privateKey, message, seededRandom(2));
    expect(s1).toEqual(s2); // blinding values differ in effect only, not in the result
    expect(s1).not.toEqual(s3);
  });

  it.each([
    [S.rsa_pkcs1_sha256, 'sha256'],
    [S.rsa_pkcs1_sha384, 'sha384'],
    [S.rsa_pkcs1_sha512, 'sha512'],
  ] as const)('RSA PKCS#1 v1.5 (%s) verifies node:crypto signatures and is certificate-only', async (scheme, hash) => {
    const a = alg(scheme);
    expect(a.handshake).toBe(false);
    const theirs = new Uint8Array(nodeSign(hash, message, rsa2048.nodePrivate));
    expect(await a.verify(rsa2048.publicKey, message, theirs)).toBe(true);
    expect(await a.verify(rsa2048.publicKey, utf8('other'), theirs)).toBe(false);
    const ours = (await a.sign(rsa2048.privateKey, message, random)) as Uint8Array;
    expect(ours).toEqual(theirs); // PKCS#1 v1.5 is deterministic
    // A PSS signature is not a PKCS#1 signature and vice versa
    const pssSig = (await alg(S.rsa_pss_rsae_sha256).sign(rsa2048.privateKey, message, random)) as Uint8Array;
    expect(await a.verify(rsa2048.publicKey, message, pssSig)).toBe(false);
    expect(await alg(S.rsa_pss_rsae_sha256).verify(rsa2048.publicKey, message, theirs)).toBe(false);
  });

  it('rejects malformed RSA signatures without throwing', async () => {
    const a = alg(S.rsa_pss_rsae_sha256);
    const sig = (await a.sign(rsa2048.privateKey, message, random)) as Uint8Array;
    const n = rsa2048.publicKey.kind === 'rsa' ? rsa2048.publicKey.n : 0n;
    const nBytes = fromHex(n.toString(16).padStart(512, '0'));
    for (const bad of [
      sig.subarray(1), // too short
      concat(Uint8Array.of(0), sig), // too long, same value
      new Uint8Array(256), // s = 0
      nBytes, // s = n
      new Uint8Array(256).fill(0xff), // s > n
    ]) {
      expect(await a.verify(rsa2048.publicKey, message, bad)).toBe(false);
      expect(await alg(S.rsa_pkcs1_sha256).verify(rsa2048.publicKey, message, bad)).toBe(false);
    }
    expect(await a.verify(ed25519KeyPair().publicKey, message, sig)).toBe(false);
  });

  it('degenerate RSA public keys give false, never an exception', async () => {
    const n = (rsa2048.publicKey as Extract<PublicKey, { kind: 'rsa' }>).n;
    const sig = new Uint8Array(256).fill(1);
    for (const key of [
      { kind: 'rsa', n: 0n, e: 65537n },
      { kind: 'rsa', n: -n, e: 65537n },
      { kind: 'rsa', n: n + 1n, e: 65537n }, // even modulus
      { kind: 'rsa', n, e: 1n },
      { kind: 'rsa', n, e: 65536n },
      { kind: 'rsa', n, e: 2n ** 40n + 1n },
      { kind: 'rsa', n: 2n ** 20000n + 1n, e: 65537n }, // absurdly large modulus
    ] as const) {
      for (const s of [S.rsa_pss_rsae_sha256, S.rsa_pkcs1_sha256]) {
        expect(await alg(s).verify(key, message, sig)).toBe(false);
        expect(alg(s).supports(key)).toBe(false);
      }
    }
  });

  it('RSA keys below 2048 bits are refused by default, for signing and verification', async () => {
    const small = rsaKeyPair(1024);
    const a = alg(S.rsa_pss_rsae_sha256);
    expect(a.supports(small.publicKey)).toBe(false);
    expect(() => a.sign(small.privateKey, message, random)).toThrow(/refused/);
    const theirs = new Uint8Array(
      nodeSign('sha256', message, { key: small.nodePrivate, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
    );
    expect(await a.verify(small.publicKey, message, theirs)).toBe(false);
    const lenient = createNobleCrypto({ rsaMinModulusBits: 1024 });
    expect(await alg(S.rsa_pss_rsae_sha256, lenient).verify(small.publicKey, message, theirs)).toBe(true);
    // PSS-SHA512 with a 64-byte salt does not fit a 1024-bit modulus at all
    expect(alg(S.rsa_pss_rsae_sha512, lenient).supports(small.publicKey)).toBe(false);
    expect(alg(S.rsa_pss_rsae_sha384, lenient).supports(small.publicKey)).toBe(true);
    expect(() => createNobleCrypto({ rsaMinModulusBits: 512 })).toThrow(/1024/);
  });

  it('moduli whose bit length is 1 mod 8 (EM one octet shorter than n) interoperate', async () => {
    const odd = rsaKeyPair(1025);
    const lenient = createNobleCrypto({ rsaMinModulusBits: 1024 });
    const a = alg(S.rsa_pss_rsae_sha256, lenient);
    for (let i = 0; i < 3; i++) {
      const ours = (await a.sign(odd.privateKey, message, random)) as Uint8Array;
      expect(ours).toHaveLength(129);
      expect(nodeVerify('sha256', message, { key: odd.nodePublic, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, ours)).toBe(true);
      const theirs = new Uint8Array(
        nodeSign('sha256', message, { key: odd.nodePrivate, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
      );
      expect(await a.verify(odd.publicKey, message, theirs)).toBe(true);
    }
  });

  it('supports() is true only for RSA keys the scheme can use', () => {
    for (const s of [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha512, S.rsa_pkcs1_sha256]) {
      expect(alg(s).supports(rsa2048.publicKey)).toBe(true);
      expect(alg(s).supports(rsa2048.privateKey)).toBe(true);
      expect(alg(s).supports(ecKeyPair('P-256').publicKey)).toBe(false);
    }
    const weirdE: PublicKey = { kind: 'rsa', n: (rsa2048.publicKey as { n: bigint }).n, e: 2n };
    expect(alg(S.rsa_pss_rsae_sha256).supports(weirdE)).toBe(false);
  });

  it('refuses to sign with an inconsistent private key', () => {
    const key = rsa2048.privateKey as Extract<PrivateKey, { kind: 'rsa' }>;
    const wrongQ = { ...key, q: key.q + 2n };
    expect(() => alg(S.rsa_pss_rsae_sha256).sign(wrongQ, message, random)).toThrow(/inconsistent/);
  });
});
