import { createECDH } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { createNobleCrypto, nobleCrypto } from '../../src/crypto/noble.js';
import { InvalidShareError, type KeyExchange } from '../../src/crypto/provider.js';
import { NamedGroup } from '../../src/registry.js';
import { bigIntToBytesExact } from '../../src/crypto/bigint.js';
import { concat, fromHex, toHex } from '../../src/util/bytes.js';
import { scriptedRandom, seededRandom } from './helpers.js';

function kx(group: number): KeyExchange {
  const k = nobleCrypto.keyExchange(group);
  if (k === undefined) throw new Error(`group ${group} missing`);
  return k;
}

const GROUPS = [
  { group: NamedGroup.X25519MLKEM768, name: 'X25519MLKEM768', client: 1216, server: 1120, secret: 64 },
  { group: NamedGroup.x25519, name: 'x25519', client: 32, server: 32, secret: 32 },
  { group: NamedGroup.secp256r1, name: 'secp256r1', client: 65, server: 65, secret: 32 },
  { group: NamedGroup.secp384r1, name: 'secp384r1', client: 97, server: 97, secret: 48 },
  { group: NamedGroup.x448, name: 'x448', client: 56, server: 56, secret: 56 },
];

describe('provider group list', () => {
  it('prefers the PQ hybrid, then x25519, P-256, P-384, x448', () => {
    expect(nobleCrypto.groups).toEqual([0x11ec, 0x001d, 0x0017, 0x0018, 0x001e]);
    for (const g of nobleCrypto.groups) expect(nobleCrypto.keyExchange(g)?.group).toBe(g);
    expect(nobleCrypto.keyExchange(NamedGroup.ffdhe2048)).toBeUndefined();
    expect(nobleCrypto.keyExchange(NamedGroup.secp521r1)).toBeUndefined();
  });
});

describe('x25519', () => {
  it('RFC 7748 §6.1 Diffie-Hellman vector', async () => {
    const alicePriv = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bobPriv = fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const alice = await kx(NamedGroup.x25519).generate(scriptedRandom(alicePriv));
    expect(toHex(alice.share)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    const bob = await kx(NamedGroup.x25519).encapsulate(alice.share, scriptedRandom(bobPriv));
    expect(toHex(bob.share)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(toHex(bob.secret)).toBe(shared);
    expect(toHex(await kx(NamedGroup.x25519).decapsulate(alice.privateKey, bob.share))).toBe(shared);
  });

  it('RFC 8448 §3 keys injected through the random source give the trace shares and IKM', async () => {
    const client = await kx(NamedGroup.x25519).generate(
      scriptedRandom(fromHex('49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005')),
    );
    expect(toHex(client.share)).toBe('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c');
    const server = await kx(NamedGroup.x25519).encapsulate(
      client.share,
      scriptedRandom(fromHex('b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e')),
    );
    expect(toHex(server.share)).toBe('c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f');
    const ikm = '8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d';
    expect(toHex(server.secret)).toBe(ikm);
    expect(toHex(await kx(NamedGroup.x25519).decapsulate(client.privateKey, server.share))).toBe(ikm);
  });

  it('rejects low-order shares (all-zero secret) and wrong lengths with InvalidShareError', async () => {
    const k = kx(NamedGroup.x25519);
    const priv = (await k.generate(seededRandom(1))).privateKey;
    const lowOrder = [
      new Uint8Array(32), // u = 0
      Uint8Array.of(1, ...new Uint8Array(31)), // u = 1
      fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // p - 1
      fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'), // order 8
    ];
    for (const share of lowOrder) {
      expect(() => k.decapsulate(priv, share)).toThrow(InvalidShareError);
      expect(() => k.encapsulate(share, seededRandom(2))).toThrow(InvalidShareError);
    }
    for (const len of [0, 31, 33, 65]) {
      expect(() => k.decapsulate(priv, new Uint8Array(len).fill(9))).toThrow(InvalidShareError);
      expect(() => k.encapsulate(new Uint8Array(len).fill(9), seededRandom(2))).toThrow(InvalidShareError);
    }
  });
});

describe('round trips for every group', () => {
  it.each(GROUPS)('$name: client and server agree; shares and secret have the wire sizes', async (g) => {
    const k = kx(g.group);
    expect(k.name).toBe(g.name);
    for (let i = 0; i < 3; i++) {
      const client = await k.generate(nobleCrypto.random);
      expect(client.share).toHaveLength(g.client);
      const server = await k.encapsulate(client.share, nobleCrypto.random);
      expect(server.share).toHaveLength(g.server);
      expect(server.secret).toHaveLength(g.secret);
      const secret = await k.decapsulate(client.privateKey, server.share);
      expect(toHex(secret)).toBe(toHex(server.secret));
    }
  });

  it.each(GROUPS)('$name: deterministic given the random source', async (g) => {
    const k = kx(g.group);
    const a = await k.generate(seededRandom(42));
    const b = await k.generate(seededRandom(42));
    expect(toHex(a.share)).toBe(toHex(b.share));
    const s1 = await k.encapsulate(a.share, seededRandom(7));
    const s2 = await k.encapsulate(a.share, seededRandom(7));
    expect(toHex(s1.share)).toBe(toHex(s2.share));
    expect(toHex(s1.secret)).toBe(toHex(s2.secret));
  });

  it.each(GROUPS)('$name: shares of the wrong length are InvalidShareError', async (g) => {
    const k = kx(g.group);
    const client = await k.generate(seededRandom(3));
    const server = await k.encapsulate(client.share, seededRandom(4));
    for (const delta of [-1, 1]) {
      expect(() => k.encapsulate(new Uint8Array(g.client + delta).fill(4), seededRandom(5))).toThrow(InvalidShareError);
      const wrong = delta < 0 ? server.share.subarray(0, g.server - 1) : concat(server.share, Uint8Array.of(0));
      expect(() => k.decapsulate(client.privateKey, wrong)).toThrow(InvalidShareError);
    }
    expect(() => k.decapsulate(client.privateKey, new Uint8Array(0))).toThrow(InvalidShareError);
  });
});

describe('NIST curves', () => {
  const curves = [
    { group: NamedGroup.secp256r1, node: 'prime256v1', len: 32 },
    { group: NamedGroup.secp384r1, node: 'secp384r1', len: 48 },
  ] as const;

  it.each(curves)('$node: agrees with node:crypto ECDH both ways', async ({ group, node }) => {
    const k = kx(group);
    const ours = await k.generate(nobleCrypto.random);
    const theirs = createECDH(node);
    const theirShare = new Uint8Array(theirs.generateKeys());
    const fromNode = new Uint8Array(theirs.computeSecret(ours.share));
    expect(toHex(await k.decapsulate(ours.privateKey, theirShare))).toBe(toHex(fromNode));
    const server = await k.encapsulate(theirShare, nobleCrypto.random);
    expect(toHex(server.secret)).toBe(toHex(new Uint8Array(theirs.computeSecret(server.share))));
  });

  it.each(curves)('$node: refuses compressed, off-curve and zero points', async ({ group, len }) => {
    const k = kx(group);
    const priv = (await k.generate(seededRandom(11))).privateKey;
    const good = (await k.generate(seededRandom(12))).share;
    const compressedPrefix = good.slice();
    compressedPrefix[0] = 0x02;
    const offCurve = good.slice();
    offCurve[offCurve.length - 1]! ^= 1;
    const zero = new Uint8Array(1 + 2 * len);
    zero[0] = 4;
    const compressed = good.subarray(0, 1 + len);
    for (const bad of [compressedPrefix, offCurve, zero, compressed]) {
      expect(() => k.decapsulate(priv, bad)).toThrow(InvalidShareError);
      expect(() => k.encapsulate(bad, seededRandom(13))).toThrow(InvalidShareError);
    }
    // x-coordinate ≥ p (not a field element)
    const bigX = good.slice();
    bigX.fill(0xff, 1, 1 + len);
    expect(() => k.decapsulate(priv, bigX)).toThrow(InvalidShareError);
  });

  it('P-256 scalar derivation: zero and ≥ n are rejected and fresh bytes drawn', async () => {
    const n = p256.Point.Fn.ORDER;
    const valid = bigIntToBytesExact(n - 1n, 32);
    const random = scriptedRandom(new Uint8Array(32), bigIntToBytesExact(n, 32), new Uint8Array(32).fill(0xff), valid);
    const pair = await kx(NamedGroup.secp256r1).generate(random);
    expect(random.calls).toEqual([32, 32, 32, 32]);
    expect(toHex(pair.privateKey)).toBe(toHex(valid));
    expect(toHex(pair.share)).toBe(toHex(p256.getPublicKey(valid, false)));
  });

  it('a random source that only yields invalid scalars is an error, not a weak key', () => {
    const zeros = (len: number) => new Uint8Array(len);
    expect(() => kx(NamedGroup.secp384r1).generate(zeros)).toThrow(/invalid scalars/);
  });
});

describe('X25519MLKEM768', () => {
  const k = kx(NamedGroup.X25519MLKEM768);

  it('layout follows draft-ietf-tls-ecdhe-mlkem: ML-KEM part first, then X25519', async () => {
    const seed = seededRandom(99)(64);
    const ecdhPriv = seededRandom(98)(32);
    const client = await k.generate(scriptedRandom(seed, ecdhPriv));
    const kem = ml_kem768.keygen(seed);
    expect(toHex(client.share)).toBe(toHex(concat(kem.publicKey, x25519.getPublicKey(ecdhPriv))));

    const m = seededRandom(97)(32);
    const serverPriv = seededRandom(96)(32);
    const server = await k.encapsulate(client.share, scriptedRandom(m, serverPriv));
    const enc = ml_kem768.encapsulate(kem.publicKey, m);
    const x = x25519.getSharedSecret(serverPriv, x25519.getPublicKey(ecdhPriv));
    expect(toHex(server.share)).toBe(toHex(concat(enc.cipherText, x25519.getPublicKey(serverPriv))));
    expect(toHex(server.secret)).toBe(toHex(concat(enc.sharedSecret, x)));
    expect(toHex(await k.decapsulate(client.privateKey, server.share))).toBe(toHex(server.secret));
  });

  it('an altered ciphertext gives a different secret (implicit rejection), not an exception', async () => {
    const client = await k.generate(seededRandom(1));
    const server = await k.encapsulate(client.share, seededRandom(2));
    const tampered = server.share.slice();
    tampered[5]! ^= 1;
    const secret = await k.decapsulate(client.privateKey, tampered);
    expect(secret).toHaveLength(64);
    expect(toHex(secret.subarray(0, 32))).not.toBe(toHex(server.secret.subarray(0, 32)));
    expect(toHex(secret.subarray(32))).toBe(toHex(server.secret.subarray(32)));
  });

  it('rejects an encapsulation key that fails the FIPS 203 modulus check', async () => {
    const client = await k.generate(seededRandom(5));
    const bad = client.share.slice();
    bad[0] = 0xff;
    bad[1] = 0xff; // first coefficient 0xfff > q
    expect(() => k.encapsulate(bad, seededRandom(6))).toThrow(InvalidShareError);
  });

  it('rejects a low-order X25519 half in either direction', async () => {
    const client = await k.generate(seededRandom(7));
    const badClient = concat(client.share.subarray(0, 1184), new Uint8Array(32));
    expect(() => k.encapsulate(badClient, seededRandom(8))).toThrow(InvalidShareError);
    const server = await k.encapsulate(client.share, seededRandom(9));
    const badServer = concat(server.share.subarray(0, 1088), new Uint8Array(32));
    expect(() => k.decapsulate(client.privateKey, badServer)).toThrow(InvalidShareError);
  });

  it('random draws are 64 (ML-KEM seed) + 32 (X25519) to generate, 32 + 32 to encapsulate', async () => {
    const r1 = scriptedRandom(new Uint8Array(64).fill(1), new Uint8Array(32).fill(2));
    const client = await k.generate(r1);
    expect(r1.calls).toEqual([64, 32]);
    const r2 = scriptedRandom(new Uint8Array(32).fill(3), new Uint8Array(32).fill(4));
    await k.encapsulate(client.share, r2);
    expect(r2.calls).toEqual([32, 32]);
  });
});

describe('random sources', () => {
  it('a source returning the wrong number of bytes is refused', () => {
    const provider = createNobleCrypto({ random: () => new Uint8Array(5) });
    expect(() => provider.keyExchange(NamedGroup.x25519)!.generate(provider.random)).toThrow(/random source/);
  });

  it('x25519: any 32 random bytes make a key pair that agrees with noble (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
        const k = kx(NamedGroup.x25519);
        const pa = k.generate(scriptedRandom(a)) as { share: Uint8Array; privateKey: Uint8Array };
        const sb = k.encapsulate(pa.share, scriptedRandom(b)) as { share: Uint8Array; secret: Uint8Array };
        expect(toHex(sb.secret)).toBe(toHex(x25519.getSharedSecret(a, x25519.getPublicKey(b))));
      }),
      { numRuns: 30 },
    );
  });
});
