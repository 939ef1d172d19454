/**
 * The native provider (src/crypto/node.ts) against the noble provider: both
 * must compute the same values and accept and reject the same inputs, and a
 * handshake must work with either on either side.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { p256, p384 } from '@noble/curves/nist.js';
import { createNodeCrypto, nodeCrypto, nodeRandom } from '../../src/crypto/node.js';
import { createNobleCrypto, nobleCrypto } from '../../src/crypto/noble.js';
import {
  InvalidShareError,
  type AeadName,
  type CryptoProvider,
  type HashName,
  type PrivateKey,
  type PublicKey,
} from '../../src/crypto/provider.js';
import { decodeEcdsaSignature, encodeEcdsaSignature } from '../../src/crypto/ecdsaDer.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { CipherSuite, NamedGroup, PskKeyExchangeMode, SignatureScheme as S } from '../../src/registry.js';
import type { HandshakeMessage } from '../../src/wire/index.js';
import { concat, fromHex, toHex, utf8 } from '../../src/util/bytes.js';
import { ecKeyPair, ed25519KeyPair, rsaKeyPair, scriptedRandom, seededRandom } from './helpers.js';

const PROVIDERS: readonly [string, CryptoProvider, CryptoProvider][] = [
  ['node → noble', nodeCrypto, nobleCrypto],
  ['noble → node', nobleCrypto, nodeCrypto],
];

function plain(u: Uint8Array): Uint8Array {
  return Uint8Array.from(u);
}

describe('shape', () => {
  it('offers the same groups and schemes as noble, in the same order', () => {
    expect(nodeCrypto.name).toBe('node');
    expect(nodeCrypto.groups).toEqual(nobleCrypto.groups);
    expect(nodeCrypto.signatureSchemes).toEqual(nobleCrypto.signatureSchemes);
    for (const s of nobleCrypto.signatureSchemes) {
      expect(nodeCrypto.signature(s)?.handshake).toBe(nobleCrypto.signature(s)?.handshake);
      expect(nodeCrypto.signature(s)?.name).toBe(nobleCrypto.signature(s)?.name);
    }
    expect(nodeCrypto.keyExchange(NamedGroup.secp521r1)).toBeUndefined();
    expect(nodeCrypto.signature(S.rsa_pkcs1_sha1)).toBeUndefined();
  });

  it('hands out plain Uint8Arrays that own their memory, never pooled Buffers', () => {
    const outputs = [
      nodeRandom(4),
      nodeCrypto.hash('SHA-256').digest(utf8('x')),
      nodeCrypto.hmac(nodeCrypto.hash('SHA-256'), utf8('k'), utf8('x')),
      nodeCrypto.aead('AES-128-GCM').importKey(new Uint8Array(16)).seal(new Uint8Array(12), utf8('hi'), new Uint8Array(0)),
    ];
    for (const out of outputs) {
      expect(Buffer.isBuffer(out)).toBe(false);
      expect(out.byteOffset).toBe(0);
      expect(out.buffer.byteLength).toBe(out.length);
    }
  });

  it('random: the requested length, fresh each call, injectable', () => {
    const a = nodeRandom(32);
    const b = nodeRandom(32);
    expect(a).toHaveLength(32);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(nodeRandom(0)).toHaveLength(0);
    expect(() => nodeRandom(-1)).toThrow();
    const injected = createNodeCrypto({ random: seededRandom(7) });
    expect(injected.random(8)).toEqual(seededRandom(7)(8));
  });

  it('refuses an RSA floor below 1024 bits, as noble does', () => {
    expect(() => createNodeCrypto({ rsaMinModulusBits: 512 })).toThrow(/1024/);
  });
});

describe('hashes, HMAC, HKDF', () => {
  const names: HashName[] = ['SHA-256', 'SHA-384', 'SHA-512'];

  it('digests equal noble for every hash and many lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(...names), (data, name) => {
        expect(nodeCrypto.hash(name).digest(data)).toEqual(nobleCrypto.hash(name).digest(data));
        expect(nodeCrypto.hash(name).outputLength).toBe(nobleCrypto.hash(name).outputLength);
      }),
      { numRuns: 100 },
    );
  });

  it('incremental contexts: digest does not end the stream, clone forks it', () => {
    for (const name of names) {
      const n = nodeCrypto.hash(name).create().update(utf8('abc'));
      const mid = n.digest();
      expect(mid).toEqual(nobleCrypto.hash(name).digest(utf8('abc')));
      const fork = n.clone().update(utf8('def'));
      n.update(utf8('xyz'));
      expect(fork.digest()).toEqual(nobleCrypto.hash(name).digest(utf8('abcdef')));
      expect(n.digest()).toEqual(nobleCrypto.hash(name).digest(utf8('abcxyz')));
    }
  });

  it('HMAC and HKDF-Extract equal noble, empty keys and salts included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...names), (key, data, name) => {
        const hn = nodeCrypto.hash(name);
        const hb = nobleCrypto.hash(name);
        expect(nodeCrypto.hmac(hn, key, data)).toEqual(nobleCrypto.hmac(hb, key, data));
        expect(nodeCrypto.hkdfExtract(hn, key, data)).toEqual(nobleCrypto.hkdfExtract(hb, key, data));
      }),
      { numRuns: 100 },
    );
  });

  it('HKDF-Expand equals noble at every output length boundary', () => {
    for (const name of names) {
      const hn = nodeCrypto.hash(name);
      const hb = nobleCrypto.hash(name);
      const prk = nobleCrypto.random(hn.outputLength);
      const info = utf8('tls13 derived');
      for (const len of [0, 1, 12, hn.outputLength - 1, hn.outputLength, hn.outputLength + 1, 3 * hn.outputLength, 255 * hn.outputLength]) {
        expect(nodeCrypto.hkdfExpand(hn, prk, info, len)).toEqual(nobleCrypto.hkdfExpand(hb, prk, info, len));
      }
      expect(() => nodeCrypto.hkdfExpand(hn, prk, info, 255 * hn.outputLength + 1)).toThrow(/length/);
      expect(() => nodeCrypto.hkdfExpand(hn, prk.subarray(1), info, 16)).toThrow(/PRK/);
    }
  });

  it('RFC 5869 test case 1 (SHA-256)', () => {
    const h = nodeCrypto.hash('SHA-256');
    const prk = nodeCrypto.hkdfExtract(h, fromHex('000102030405060708090a0b0c'), fromHex('0b'.repeat(22)));
    expect(toHex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    const okm = nodeCrypto.hkdfExpand(h, prk, fromHex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(toHex(okm)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });
});

describe('AEADs', () => {
  const aeads: AeadName[] = ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'];

  for (const name of aeads) {
    it(`${name}: identical ciphertexts, and each opens the other's`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 20 }), (plaintext, aad) => {
          const keyBytes = nobleCrypto.random(nodeCrypto.aead(name).keyLength);
          const nonce = nobleCrypto.random(12);
          const n = nodeCrypto.aead(name).importKey(keyBytes);
          const b = nobleCrypto.aead(name).importKey(keyBytes);
          const sealed = n.seal(nonce, plaintext, aad);
          expect(sealed).toEqual(b.seal(nonce, plaintext, aad));
          expect(b.open(nonce, sealed, aad)).toEqual(plaintext);
          expect(n.open(nonce, sealed, aad)).toEqual(plaintext);
        }),
        { numRuns: 60 },
      );
    });

    it(`${name}: any flipped bit, wrong AAD or short input opens to null on both`, () => {
      const keyBytes = nobleCrypto.random(nodeCrypto.aead(name).keyLength);
      const nonce = nobleCrypto.random(12);
      const aad = utf8('header');
      const sealed = nobleCrypto.aead(name).importKey(keyBytes).seal(nonce, utf8('attack at dawn'), aad);
      for (const [label, p] of PROVIDERS) {
        const key = p.aead(name).importKey(keyBytes);
        for (let bit = 0; bit < sealed.length * 8; bit += 7) {
          const bad = sealed.slice();
          bad[bit >> 3]! ^= 1 << (bit & 7);
          expect(key.open(nonce, bad, aad), `${label} bit ${bit}`).toBeNull();
        }
        expect(key.open(nonce, sealed, utf8('headeR'))).toBeNull();
        expect(key.open(nonce, sealed.subarray(0, 15), aad)).toBeNull();
        expect(key.open(nonce.subarray(1), sealed, aad)).toBeNull();
      }
      expect(() => nodeCrypto.aead(name).importKey(keyBytes.subarray(1))).toThrow(/key/);
      expect(() => nodeCrypto.aead(name).importKey(keyBytes).seal(nonce.subarray(1), utf8('x'), aad)).toThrow(/nonce/);
    });
  }

  it('the key is copied on import: wiping the caller’s buffer changes nothing', () => {
    const keyBytes = nobleCrypto.random(16);
    const nonce = nobleCrypto.random(12);
    const expected = nobleCrypto.aead('AES-128-GCM').importKey(keyBytes).seal(nonce, utf8('x'), new Uint8Array(0));
    const key = nodeCrypto.aead('AES-128-GCM').importKey(keyBytes);
    keyBytes.fill(0);
    expect(key.seal(nonce, utf8('x'), new Uint8Array(0))).toEqual(expected);
  });
});

describe('key exchange across providers', () => {
  const groups = [
    { group: NamedGroup.x25519, shareLength: 32 },
    { group: NamedGroup.secp256r1, shareLength: 65 },
    { group: NamedGroup.secp384r1, shareLength: 97 },
    { group: NamedGroup.x448, shareLength: 56 },
    { group: NamedGroup.X25519MLKEM768, shareLength: 1216 },
  ];

  for (const { group, shareLength } of groups) {
    for (const [label, client, server] of PROVIDERS) {
      it(`group 0x${group.toString(16)}: ${label} agree on the secret`, async () => {
        const c = client.keyExchange(group)!;
        const s = server.keyExchange(group)!;
        const pair = await c.generate(nobleCrypto.random);
        expect(pair.share).toHaveLength(shareLength);
        const enc = await s.encapsulate(pair.share, nobleCrypto.random);
        expect(toHex(await c.decapsulate(pair.privateKey, enc.share))).toBe(toHex(enc.secret));
      });
    }

    it(`group 0x${group.toString(16)}: the same random gives the same share on both`, async () => {
      const a = await nodeCrypto.keyExchange(group)!.generate(seededRandom(group));
      const b = await nobleCrypto.keyExchange(group)!.generate(seededRandom(group));
      expect(toHex(a.share)).toBe(toHex(b.share));
      expect(toHex(a.privateKey)).toBe(toHex(b.privateKey));
    });
  }

  it('RFC 7748 §6.1 x25519 vector through the native provider', async () => {
    const k = nodeCrypto.keyExchange(NamedGroup.x25519)!;
    const alice = await k.generate(scriptedRandom(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')));
    expect(toHex(alice.share)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    const bob = await k.encapsulate(alice.share, scriptedRandom(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')));
    expect(toHex(bob.secret)).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });

  it('x25519 low-order points and wrong lengths are InvalidShareError on both', async () => {
    const lowOrder = [
      new Uint8Array(32),
      Uint8Array.of(1, ...new Uint8Array(31)),
      fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
      fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
    ];
    for (const [, p] of PROVIDERS) {
      const k = p.keyExchange(NamedGroup.x25519)!;
      const priv = (await k.generate(seededRandom(1))).privateKey;
      for (const share of [...lowOrder, new Uint8Array(31).fill(9), new Uint8Array(33).fill(9)]) {
        expect(() => k.decapsulate(priv, share)).toThrow(InvalidShareError);
        expect(() => k.encapsulate(share, seededRandom(2))).toThrow(InvalidShareError);
      }
    }
  });

  it('P-256/P-384: points off the curve, compressed points and bad lengths are InvalidShareError on both', async () => {
    for (const group of [NamedGroup.secp256r1, NamedGroup.secp384r1]) {
      const curve = group === NamedGroup.secp256r1 ? p256 : p384;
      const good = curve.getPublicKey(curve.utils.randomSecretKey(), false);
      const offCurve = good.slice();
      offCurve[offCurve.length - 1]! ^= 1;
      const compressed = curve.getPublicKey(curve.utils.randomSecretKey(), true);
      const zeroPoint = new Uint8Array(good.length);
      zeroPoint[0] = 4;
      for (const [, p] of PROVIDERS) {
        const k = p.keyExchange(group)!;
        const priv = (await k.generate(nobleCrypto.random)).privateKey;
        for (const share of [offCurve, compressed, zeroPoint, good.subarray(1), concat(good, Uint8Array.of(0))]) {
          expect(() => k.decapsulate(priv, share)).toThrow(InvalidShareError);
          expect(() => k.encapsulate(share, nobleCrypto.random)).toThrow(InvalidShareError);
        }
        expect(() => k.decapsulate(priv, good)).not.toThrow();
      }
    }
  });

  it('P-256 private keys: a scalar of 0 or ≥ n is redrawn, as in noble', async () => {
    const n = p256.Point.Fn.ORDER;
    const tooBig = fromHex(n.toString(16));
    const valid = fromHex('11'.repeat(32));
    const a = await nodeCrypto.keyExchange(NamedGroup.secp256r1)!.generate(scriptedRandom(new Uint8Array(32), tooBig, valid));
    expect(toHex(a.privateKey)).toBe(toHex(valid));
    expect(toHex(a.share)).toBe(toHex(p256.getPublicKey(valid, false)));
  });

  it('ML-KEM hybrid: a malformed client share is InvalidShareError', () => {
    const k = nodeCrypto.keyExchange(NamedGroup.X25519MLKEM768)!;
    expect(() => k.encapsulate(new Uint8Array(1215), nobleCrypto.random)).toThrow(InvalidShareError);
  });
});

describe('signatures across providers', () => {
  const message = utf8('TLS 1.3, server CertificateVerify\0 a transcript hash');
  const cases: { label: string; scheme: number; keys: () => { publicKey: PublicKey; privateKey: PrivateKey } }[] = [
    { label: 'ECDSA P-256', scheme: S.ecdsa_secp256r1_sha256, keys: () => ecKeyPair('P-256') },
    { label: 'ECDSA P-384', scheme: S.ecdsa_secp384r1_sha384, keys: () => ecKeyPair('P-384') },
    { label: 'Ed25519', scheme: S.ed25519, keys: () => ed25519KeyPair() },
    { label: 'RSA-PSS-SHA256', scheme: S.rsa_pss_rsae_sha256, keys: rsa2048 },
    { label: 'RSA-PSS-SHA384', scheme: S.rsa_pss_rsae_sha384, keys: rsa2048 },
    { label: 'RSA-PSS-SHA512', scheme: S.rsa_pss_rsae_sha512, keys: rsa2048 },
    { label: 'RSA-PKCS1-SHA256', scheme: S.rsa_pkcs1_sha256, keys: rsa2048 },
    { label: 'RSA-PKCS1-SHA384', scheme: S.rsa_pkcs1_sha384, keys: rsa2048 },
    { label: 'RSA-PKCS1-SHA512', scheme: S.rsa_pkcs1_sha512, keys: rsa2048 },
  ];
  let rsaCache: ReturnType<typeof rsaKeyPair> | undefined;
  function rsa2048() {
    rsaCache ??= rsaKeyPair(2048);
    return rsaCache;
  }

  for (const c of cases) {
    for (const [label, signer, verifier] of PROVIDERS) {
      it(`${c.label}: ${label} — signed by one, verified by the other; a changed message or signature fails on both`, async () => {
        const keys = c.keys();
        const signature = await signer.signature(c.scheme)!.sign(keys.privateKey, message, nobleCrypto.random);
        expect(await verifier.signature(c.scheme)!.verify(keys.publicKey, message, signature)).toBe(true);
        expect(await signer.signature(c.scheme)!.verify(keys.publicKey, message, signature)).toBe(true);
        const badMessage = concat(message, Uint8Array.of(0));
        const badSignature = signature.slice();
        badSignature[signature.length >> 1]! ^= 0x40;
        for (const p of [signer, verifier]) {
          expect(await p.signature(c.scheme)!.verify(keys.publicKey, badMessage, signature)).toBe(false);
          expect(await p.signature(c.scheme)!.verify(keys.publicKey, message, badSignature)).toBe(false);
          expect(await p.signature(c.scheme)!.verify(keys.publicKey, message, new Uint8Array(0))).toBe(false);
        }
      });
    }
  }

  it('imported public keys are reused by their bytes: equal keys in new objects verify, a refused key stays refused', async () => {
    const kp = ecKeyPair('P-256');
    const v = nodeCrypto.signature(S.ecdsa_secp256r1_sha256)!;
    const sig = await v.sign(kp.privateKey, message, nodeRandom);
    const point = (kp.publicKey as { point: Uint8Array }).point;
    for (let i = 0; i < 3; i++) {
      expect(await v.verify({ kind: 'ec', curve: 'P-256', point: point.slice() }, message, sig)).toBe(true);
    }
    // The same bytes as a P-384 key are another cache entry, and wrong for it.
    expect(await nodeCrypto.signature(S.ecdsa_secp384r1_sha384)!.verify({ kind: 'ec', curve: 'P-384', point: point.slice() }, message, sig)).toBe(false);
    const off = point.slice();
    off[64]! ^= 1;
    for (let i = 0; i < 2; i++) expect(await v.verify({ kind: 'ec', curve: 'P-256', point: off.slice() }, message, sig)).toBe(false);
    expect(await v.verify({ kind: 'ec', curve: 'P-256', point: point.slice() }, message, sig)).toBe(true);
  });

  it('a key of the wrong kind is unsupported and never verifies', async () => {
    const ec = ecKeyPair('P-256');
    const ed = ed25519KeyPair();
    const sig = await nodeCrypto.signature(S.ecdsa_secp256r1_sha256)!.sign(ec.privateKey, message, nodeRandom);
    expect(nodeCrypto.signature(S.ed25519)!.supports(ec.publicKey)).toBe(false);
    expect(nodeCrypto.signature(S.ecdsa_secp384r1_sha384)!.supports(ec.publicKey)).toBe(false);
    expect(await nodeCrypto.signature(S.ed25519)!.verify(ec.publicKey, message, sig)).toBe(false);
    expect(await nodeCrypto.signature(S.ecdsa_secp384r1_sha384)!.verify(ec.publicKey, message, sig)).toBe(false);
    expect(await nodeCrypto.signature(S.rsa_pss_rsae_sha256)!.verify(ed.publicKey, message, sig)).toBe(false);
    expect(() => nodeCrypto.signature(S.ed25519)!.sign(ec.privateKey, message, nodeRandom)).toThrow();
  });

  it('ECDSA: high-S is accepted and non-DER encodings are refused, by both providers alike', async () => {
    const kp = ecKeyPair('P-256');
    const n = p256.Point.Fn.ORDER;
    const sig = await nobleCrypto.signature(S.ecdsa_secp256r1_sha256)!.sign(kp.privateKey, message, nobleCrypto.random);
    const { r, s } = decodeEcdsaSignature(sig)!;
    const highS = encodeEcdsaSignature({ r, s: n - s });
    const outOfRange = encodeEcdsaSignature({ r, s: s + n });
    // BER long-form length for the outer SEQUENCE: valid BER, not DER.
    const ber = concat(Uint8Array.of(0x30, 0x81, sig[1]!), sig.subarray(2));
    const trailing = concat(sig, Uint8Array.of(0));
    for (const [, p] of PROVIDERS) {
      const v = p.signature(S.ecdsa_secp256r1_sha256)!;
      expect(await v.verify(kp.publicKey, message, highS)).toBe(true);
      expect(await v.verify(kp.publicKey, message, outOfRange)).toBe(false);
      expect(await v.verify(kp.publicKey, message, ber)).toBe(false);
      expect(await v.verify(kp.publicKey, message, trailing)).toBe(false);
    }
  });

  it('ECDSA: a public point off the curve never verifies; a compressed one does on both (RFC 5480 allows it)', async () => {
    const kp = ecKeyPair('P-256');
    const sig = await nodeCrypto.signature(S.ecdsa_secp256r1_sha256)!.sign(kp.privateKey, message, nodeRandom);
    const point = (kp.publicKey as { point: Uint8Array }).point;
    const off = point.slice();
    off[64]! ^= 1;
    const compressed = p256.Point.fromBytes(point).toBytes(true);
    const offCompressed = compressed.slice();
    offCompressed[0] = 0x05;
    for (const [point, valid] of [[off, false], [offCompressed, false], [compressed, true]] as const) {
      const key: PublicKey = { kind: 'ec', curve: 'P-256', point };
      expect(await nodeCrypto.signature(S.ecdsa_secp256r1_sha256)!.verify(key, message, sig)).toBe(valid);
      expect(await nobleCrypto.signature(S.ecdsa_secp256r1_sha256)!.verify(key, message, sig)).toBe(valid);
    }
  });

  it('Ed25519: S ≥ L and non-canonical public keys are refused by both (RFC 8032 §5.1.7)', async () => {
    const kp = ed25519KeyPair();
    const sig = await nodeCrypto.signature(S.ed25519)!.sign(kp.privateKey, message, nodeRandom);
    // S + L has the same value mod L: valid for a lax verifier, malleable.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const sLE = sig.slice(32);
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sLE[i]!);
    let s2 = s + L;
    const malleable = sig.slice();
    for (let i = 0; i < 32; i++, s2 >>= 8n) malleable[32 + i] = Number(s2 & 0xffn);
    // y = p + 1 (non-canonical encoding of y = 1) and "-0" (y = 1 with the sign bit).
    const yPlusP = fromHex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
    const negativeZero = fromHex('0100000000000000000000000000000000000000000000000000000000000080');
    for (const [, p] of PROVIDERS) {
      const v = p.signature(S.ed25519)!;
      expect(await v.verify(kp.publicKey, message, sig)).toBe(true);
      expect(await v.verify(kp.publicKey, message, malleable)).toBe(false);
      for (const key of [yPlusP, negativeZero]) {
        expect(await v.verify({ kind: 'ed25519', key }, message, sig)).toBe(false);
      }
    }
  });

  it('RSA: moduli below the policy floor are refused for signing and verification, as in noble', async () => {
    const small = rsaKeyPair(1024);
    const lenient = createNodeCrypto({ rsaMinModulusBits: 1024 });
    const sig = await lenient.signature(S.rsa_pss_rsae_sha256)!.sign(small.privateKey, message, nodeRandom);
    expect(await createNobleCrypto({ rsaMinModulusBits: 1024 }).signature(S.rsa_pss_rsae_sha256)!.verify(small.publicKey, message, sig)).toBe(true);
    expect(await nodeCrypto.signature(S.rsa_pss_rsae_sha256)!.verify(small.publicKey, message, sig)).toBe(false);
    expect(nodeCrypto.signature(S.rsa_pss_rsae_sha256)!.supports(small.publicKey)).toBe(false);
    expect(() => nodeCrypto.signature(S.rsa_pss_rsae_sha256)!.sign(small.privateKey, message, nodeRandom)).toThrow(/refused/);
    // RSA-1024 cannot do PSS with SHA-512 and a 64-byte salt (RFC 8017 §9.1.1).
    expect(lenient.signature(S.rsa_pss_rsae_sha512)!.supports(small.publicKey)).toBe(false);
  });

  it('RSA-PSS: a signature with another salt length does not verify (RFC 8446 §4.2.3 fixes it)', async () => {
    const { sign, constants } = await import('node:crypto');
    const kp = rsa2048();
    const jwk = {
      kty: 'RSA',
      ...Object.fromEntries(
        (['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qinv'] as const).map((k) => {
          const v = (kp.privateKey as Record<string, unknown>)[k] as bigint;
          let h = v.toString(16);
          if (h.length % 2) h = '0' + h;
          return [k === 'qinv' ? 'qi' : k, Buffer.from(h, 'hex').toString('base64url')];
        }),
      ),
    };
    const { createPrivateKey } = await import('node:crypto');
    const key = createPrivateKey({ key: jwk, format: 'jwk' });
    const salt20 = plain(sign('sha256', message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }));
    for (const [, p] of PROVIDERS) {
      expect(await p.signature(S.rsa_pss_rsae_sha256)!.verify(kp.publicKey, message, salt20)).toBe(false);
    }
  });
});

// --------------------------------------------------------------- handshakes

const PKI = fileURLToPath(new URL('../fixtures/pki/', import.meta.url));
const pem = (name: string): string => readFileSync(PKI + name, 'utf8');
const ROOT = pem('root-ec.pem');
const now = (): Date => new Date('2026-06-01T00:00:00Z');

function certified(leaf: string) {
  return { cert: pem(`${leaf}.pem`) + pem('int-ec.pem'), key: pem(`${leaf}.key`) };
}

interface Driven {
  client: ClientConnection;
  server: ServerConnection;
  clientEvents: ConnectionEvent[];
  serverEvents: ConnectionEvent[];
}

async function drive(client: ClientConnection, server: ServerConnection, sink?: Driven): Promise<Driven> {
  const out: Driven = sink ?? { client, server, clientEvents: [], serverEvents: [] };
  for (let round = 0; round < 32; round++) {
    await client.settled();
    const a = client.takeOutgoing();
    if (a.length) server.receive(a);
    await server.settled();
    const b = server.takeOutgoing();
    if (b.length) client.receive(b);
    await client.settled();
    out.clientEvents.push(...client.events());
    out.serverEvents.push(...server.events());
    if (a.length === 0 && b.length === 0) return out;
  }
  throw new Error('still talking after 32 rounds');
}

function offerOnlyPskKe(m: HandshakeMessage): HandshakeMessage {
  if (m.type !== 'client_hello') return m;
  return { ...m, extensions: m.extensions.map((e) => (e.type === 'psk_key_exchange_modes' ? { ...e, modes: [PskKeyExchangeMode.psk_ke] } : e)) };
}

function dataOf(events: readonly ConnectionEvent[]): string {
  return new TextDecoder().decode(concat(...events.flatMap((e) => (e.type === 'data' ? [e.bytes] : []))));
}

describe('handshakes with the native provider on one side', () => {
  const leaves = [
    { leaf: 'leaf-p256', host: 'p256.test', scheme: 'ecdsa_secp256r1_sha256' },
    { leaf: 'leaf-ed25519', host: 'ed25519.test', scheme: 'ed25519' },
    { leaf: 'leaf-rsa', host: 'rsa.test', scheme: 'rsa_pss_rsae_sha256' },
  ];
  const groups = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.X25519MLKEM768];
  const sides: [string, CryptoProvider, CryptoProvider][] = [
    ['node client, noble server', nodeCrypto, nobleCrypto],
    ['noble client, node server', nobleCrypto, nodeCrypto],
    ['node both', nodeCrypto, nodeCrypto],
  ];

  for (const [label, clientCrypto, serverCrypto] of sides) {
    for (const { leaf, host, scheme } of leaves) {
      it(`${label}: ${leaf}, chain verified through the provider, data both ways`, async () => {
        const server = new ServerConnection({ crypto: serverCrypto, certificates: [certified(leaf)], now, groups: [NamedGroup.x25519] });
        const client = new ClientConnection({ crypto: clientCrypto, ca: ROOT, now, groups: [NamedGroup.x25519] }, { serverName: host });
        const d = await drive(client, server);
        expect(client.error).toBeUndefined();
        expect(server.error).toBeUndefined();
        expect(client.state.signatureScheme?.name).toBe(scheme);
        expect(client.state.verifiedChains[0]).toHaveLength(3);
        client.write(utf8('ping'));
        server.write(utf8('pong'));
        await drive(client, server, d);
        expect(dataOf(d.serverEvents)).toBe('ping');
        expect(dataOf(d.clientEvents)).toBe('pong');
      });
    }

    for (const group of groups) {
      for (const suite of [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256]) {
        it(`${label}: group 0x${group.toString(16)}, suite 0x${suite.toString(16)}`, async () => {
          const server = new ServerConnection({ crypto: serverCrypto, certificates: [certified('leaf-p256')], now, cipherSuites: [suite] });
          const client = new ClientConnection({ crypto: clientCrypto, ca: ROOT, now, groups: [group] }, { serverName: 'localhost' });
          const d = await drive(client, server);
          expect(client.error).toBeUndefined();
          expect(server.error).toBeUndefined();
          expect(client.state.group?.code).toBe(group);
          expect(client.state.cipherSuite?.code).toBe(suite);
          const big = new Uint8Array(40_000).map((_, i) => i & 0xff);
          client.write(big);
          await drive(client, server, d);
          expect(concat(...d.serverEvents.flatMap((e) => (e.type === 'data' ? [e.bytes] : [])))).toEqual(big);
        });
      }
    }

    it(`${label}: resumption (psk_dhe_ke and psk_ke) and 0-RTT`, async () => {
      const serverConfig: ServerConfig = {
        crypto: serverCrypto,
        certificates: [certified('leaf-p256')],
        now,
        maxEarlyData: 1024,
        allowPskOnlyResumption: true,
      };
      for (const pskOnly of [false, true]) {
        const clientConfig: ClientConfig = {
          crypto: clientCrypto,
          ca: ROOT,
          now,
          groups: [NamedGroup.x25519],
          enableEarlyData: true,
          allowPskOnlyResumption: pskOnly,
          // Our client offers psk_dhe_ke first, which the server prefers; offering psk_ke alone forces it.
          ...(pskOnly ? { shapeMessage: offerOnlyPskKe } : {}),
        };
        const first = new ClientConnection(clientConfig, { serverName: 'localhost' });
        const firstServer = new ServerConnection(serverConfig);
        const d1 = await drive(first, firstServer);
        expect(d1.clientEvents.some((e) => e.type === 'ticket')).toBe(true);

        const second = new ClientConnection(clientConfig, { serverName: 'localhost' });
        second.write(utf8('early'));
        const secondServer = new ServerConnection(serverConfig);
        const d2 = await drive(second, secondServer);
        expect(second.error).toBeUndefined();
        expect(secondServer.error).toBeUndefined();
        expect(second.state.resumed).toBe(true);
        expect(second.state.earlyDataAccepted).toBe(true);
        // psk_dhe_ke keeps a group; psk_ke has none when the server allows it.
        expect(second.state.group === undefined).toBe(pskOnly);
        const early = d2.serverEvents.filter((e) => e.type === 'data');
        expect(early).toHaveLength(1);
        expect(early[0]).toMatchObject({ early: true });
        expect(dataOf(early)).toBe('early');
      }
    });
  }

  it('a CertificateVerify made with a key that does not match the certificate is decrypt_error on the native side', async () => {
    const { loadCertifiedKey } = await import('../../src/handshake/settings.js');
    const real = loadCertifiedKey(certified('leaf-p256'));
    const stranger = loadCertifiedKey(certified('leaf-client'));
    // Same chain, another P-256 key: the signature is well formed but wrong.
    const mismatched = { chain: real.chain, privateKey: stranger.privateKey, leaf: real.leaf! };
    const server = new ServerConnection({ crypto: nobleCrypto, certificates: [mismatched], now });
    const client = new ClientConnection({ crypto: nodeCrypto, ca: ROOT, now }, { serverName: 'localhost' });
    await drive(client, server);
    expect(client.error?.alert).toBe('decrypt_error');
    expect(client.state.handshakeComplete).toBe(false);
  });
});
