/**
 * The WebCrypto provider (src/crypto/webcrypto.ts) on Node 20's
 * globalThis.crypto.subtle: cross-checked against noble for every group and
 * signature scheme, and driving full handshakes on either side, where its
 * key exchange and signatures really are asynchronous.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { p256, p384 } from '@noble/curves/nist.js';
import { createWebCryptoProvider } from '../../src/crypto/webcrypto.js';
import { createNobleCrypto, nobleCrypto } from '../../src/crypto/noble.js';
import { InvalidShareError, type CryptoProvider, type PrivateKey, type PublicKey } from '../../src/crypto/provider.js';
import { decodeEcdsaSignature, encodeEcdsaSignature } from '../../src/crypto/ecdsaDer.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { NamedGroup, SignatureScheme as S } from '../../src/registry.js';
import { concat, utf8 } from '../../src/util/bytes.js';
import { ecKeyPair, ed25519KeyPair, rsaKeyPair, seededRandom } from './helpers.js';

const web = createWebCryptoProvider();

describe('provider shape', () => {
  it('offers every group and scheme noble does, with hashes/HMAC/HKDF/AEAD synchronous and identical to noble', () => {
    expect(new Set(web.groups)).toEqual(new Set(nobleCrypto.groups));
    expect(new Set(web.signatureSchemes)).toEqual(new Set(nobleCrypto.signatureSchemes));
    for (const s of nobleCrypto.signatureSchemes) expect(web.signature(s)?.handshake).toBe(nobleCrypto.signature(s)?.handshake);
    const h = web.hash('SHA-256');
    expect(h.digest(utf8('abc'))).toEqual(nobleCrypto.hash('SHA-256').digest(utf8('abc')));
    expect(web.hkdfExtract(h, new Uint8Array(0), utf8('x'))).toEqual(nobleCrypto.hkdfExtract(h, new Uint8Array(0), utf8('x')));
    const sealed = web.aead('AES-128-GCM').importKey(new Uint8Array(16)).seal(new Uint8Array(12), utf8('hi'), new Uint8Array(0));
    expect(sealed).toBeInstanceOf(Uint8Array);
    expect(sealed).toEqual(nobleCrypto.aead('AES-128-GCM').importKey(new Uint8Array(16)).seal(new Uint8Array(12), utf8('hi'), new Uint8Array(0)));
  });

  it('X25519MLKEM768 and x448 are the fallback’s; the WebCrypto groups return Promises', () => {
    expect(web.keyExchange(NamedGroup.X25519MLKEM768)).toBe(nobleCrypto.keyExchange(NamedGroup.X25519MLKEM768));
    expect(web.keyExchange(NamedGroup.x448)).toBe(nobleCrypto.keyExchange(NamedGroup.x448));
    const pending = web.keyExchange(NamedGroup.x25519)!.generate(seededRandom(1));
    expect(pending).toBeInstanceOf(Promise);
  });

  it('a subtle without X25519/Ed25519 falls back to the fallback for those, per algorithm', async () => {
    const real = globalThis.crypto.subtle;
    const used: string[] = [];
    const algName = (a: unknown): string => (typeof a === 'string' ? a : String((a as { name?: unknown }).name));
    // A SubtleCrypto that refuses X25519 and Ed25519 like an older platform.
    const limited = new Proxy(real, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const alg = algName(prop === 'importKey' ? args[2] : args[0]);
          used.push(alg);
          if (alg === 'X25519' || alg === 'Ed25519') return Promise.reject(new DOMException('no', 'NotSupportedError'));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const p = createWebCryptoProvider({ subtle: limited });
    const kx = p.keyExchange(NamedGroup.x25519)!;
    const pair = await kx.generate(seededRandom(5));
    const enc = await nobleCrypto.keyExchange(NamedGroup.x25519)!.encapsulate(pair.share, seededRandom(6));
    expect(await kx.decapsulate(pair.privateKey, enc.share)).toEqual(enc.secret);
    const { publicKey, privateKey } = ed25519KeyPair();
    const sig = await p.signature(S.ed25519)!.sign(privateKey, utf8('m'), nobleCrypto.random);
    expect(await nobleCrypto.signature(S.ed25519)!.verify(publicKey, utf8('m'), sig)).toBe(true);
    // P-256 still went to WebCrypto.
    const ec = await p.keyExchange(NamedGroup.secp256r1)!.generate(seededRandom(7));
    expect(ec.share).toHaveLength(65);
    expect(used).toContain('ECDH');
  });

  it('without any subtle on the platform, everything is the fallback (synchronous again)', () => {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
    const real = globalThis.crypto;
    Object.defineProperty(globalThis, 'crypto', { value: { getRandomValues: real.getRandomValues.bind(real) }, configurable: true });
    let p: CryptoProvider;
    try {
      p = createWebCryptoProvider();
    } finally {
      Object.defineProperty(globalThis, 'crypto', descriptor!);
    }
    expect(globalThis.crypto.subtle).toBeDefined();
    expect(p.name).toMatch(/unavailable/);
    expect(p.groups).toEqual(nobleCrypto.groups);
    expect(p.keyExchange(NamedGroup.x25519)).toBe(nobleCrypto.keyExchange(NamedGroup.x25519));
    expect(p.signature(S.ed25519)).toBe(nobleCrypto.signature(S.ed25519));
  });
});

// ------------------------------------------------------------ key exchange

const GROUPS = [
  { group: NamedGroup.x25519, shareLength: 32 },
  { group: NamedGroup.secp256r1, shareLength: 65 },
  { group: NamedGroup.secp384r1, shareLength: 97 },
];

describe('key exchange against noble', () => {
  for (const { group, shareLength } of GROUPS) {
    it(`group 0x${group.toString(16)}: agreement both ways, same share from the same random bytes`, async () => {
      const w = web.keyExchange(group)!;
      const n = nobleCrypto.keyExchange(group)!;
      for (let seed = 1; seed <= 4; seed++) {
        // Same private key → same public share.
        const wp = await w.generate(seededRandom(seed));
        const np = await n.generate(seededRandom(seed));
        expect(wp.share).toHaveLength(shareLength);
        expect(wp.share).toEqual(np.share);
        expect(wp.privateKey).toEqual(np.privateKey);
        // WebCrypto client, noble server.
        const e1 = await n.encapsulate(wp.share, seededRandom(seed + 100));
        expect(await w.decapsulate(wp.privateKey, e1.share)).toEqual(e1.secret);
        // noble client, WebCrypto server.
        const e2 = await w.encapsulate(np.share, seededRandom(seed + 200));
        expect(await n.decapsulate(np.privateKey, e2.share)).toEqual(e2.secret);
      }
    });
  }

  it('x25519: low-order points and wrong lengths are InvalidShareError', async () => {
    const k = web.keyExchange(NamedGroup.x25519)!;
    const { privateKey } = await k.generate(seededRandom(9));
    const zero = new Uint8Array(32);
    const one = new Uint8Array(32);
    one[0] = 1;
    for (const share of [zero, one, new Uint8Array(31), new Uint8Array(33)]) {
      await expect(k.decapsulate(privateKey, share)).rejects.toBeInstanceOf(InvalidShareError);
      await expect(k.encapsulate(share, seededRandom(2))).rejects.toBeInstanceOf(InvalidShareError);
    }
  });

  for (const [group, curve, size] of [
    [NamedGroup.secp256r1, p256, 32],
    [NamedGroup.secp384r1, p384, 48],
  ] as const) {
    it(`group 0x${group.toString(16)}: off-curve, compressed, infinity and wrong-length shares are InvalidShareError`, async () => {
      const k = web.keyExchange(group)!;
      const { privateKey } = await k.generate(seededRandom(3));
      const good = curve.getPublicKey(curve.utils.randomSecretKey(), false);
      const offCurve = good.slice();
      offCurve[offCurve.length - 1]! ^= 1;
      const compressed = concat(curve.getPublicKey(curve.utils.randomSecretKey(), true), new Uint8Array(size));
      const shares = [offCurve, compressed, new Uint8Array(1 + 2 * size), good.subarray(1), concat(good, Uint8Array.of(0))];
      for (const share of shares) {
        await expect(k.decapsulate(privateKey, share)).rejects.toBeInstanceOf(InvalidShareError);
        await expect(k.encapsulate(share, nobleCrypto.random)).rejects.toBeInstanceOf(InvalidShareError);
      }
      // The unmodified point is fine.
      await expect(k.decapsulate(privateKey, good)).resolves.toHaveLength(size);
    });
  }
});

// ------------------------------------------------------------ signatures

const N256 = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const N384 = 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n;

describe('signatures against noble', () => {
  const rsa = rsaKeyPair(2048);
  const cases: { scheme: number; pair: () => { publicKey: PublicKey; privateKey: PrivateKey } }[] = [
    { scheme: S.ecdsa_secp256r1_sha256, pair: () => ecKeyPair('P-256') },
    { scheme: S.ecdsa_secp384r1_sha384, pair: () => ecKeyPair('P-384') },
    { scheme: S.ed25519, pair: () => ed25519KeyPair() },
    { scheme: S.rsa_pss_rsae_sha256, pair: () => rsa },
    { scheme: S.rsa_pss_rsae_sha384, pair: () => rsa },
    { scheme: S.rsa_pss_rsae_sha512, pair: () => rsa },
    { scheme: S.rsa_pkcs1_sha256, pair: () => rsa },
    { scheme: S.rsa_pkcs1_sha384, pair: () => rsa },
    { scheme: S.rsa_pkcs1_sha512, pair: () => rsa },
  ];
  for (const { scheme, pair } of cases) {
    it(`scheme 0x${scheme.toString(16)}: WebCrypto signs, noble verifies, and the other way; tampering fails on both`, async () => {
      const { publicKey, privateKey } = pair();
      const w = web.signature(scheme)!;
      const n = nobleCrypto.signature(scheme)!;
      expect(w.supports(privateKey)).toBe(true);
      const message = utf8(`message for ${scheme}`);
      const ws = await w.sign(privateKey, message, nobleCrypto.random);
      const ns = await n.sign(privateKey, message, nobleCrypto.random);
      expect(await n.verify(publicKey, message, ws)).toBe(true);
      expect(await w.verify(publicKey, message, ns)).toBe(true);
      expect(await w.verify(publicKey, message, ws)).toBe(true);
      const other = utf8('another message');
      expect(await w.verify(publicKey, other, ns)).toBe(false);
      expect(await n.verify(publicKey, other, ws)).toBe(false);
      const flipped = ns.slice();
      flipped[flipped.length - 1]! ^= 1;
      expect(await w.verify(publicKey, message, flipped)).toBe(false);
      expect(await w.verify(publicKey, message, ns.subarray(1))).toBe(false);
      expect(await w.verify(publicKey, message, new Uint8Array(0))).toBe(false);
    });
  }

  for (const [scheme, curve, order] of [
    [S.ecdsa_secp256r1_sha256, 'P-256', N256],
    [S.ecdsa_secp384r1_sha384, 'P-384', N384],
  ] as const) {
    it(`scheme 0x${scheme.toString(16)}: high-S accepted like noble; out-of-range and non-DER refused`, async () => {
      const { publicKey, privateKey } = ecKeyPair(curve);
      const message = utf8('high s');
      const sig = (await nobleCrypto.signature(scheme)!.sign(privateKey, message, nobleCrypto.random)) as Uint8Array;
      const { r, s } = decodeEcdsaSignature(sig)!;
      const high = encodeEcdsaSignature({ r, s: order - s });
      const w = web.signature(scheme)!;
      expect(await nobleCrypto.signature(scheme)!.verify(publicKey, message, high)).toBe(true);
      expect(await w.verify(publicKey, message, high)).toBe(true);
      expect(await w.verify(publicKey, message, encodeEcdsaSignature({ r, s: s + order }))).toBe(false);
      expect(await w.verify(publicKey, message, encodeEcdsaSignature({ r: 0n, s }))).toBe(false);
      // BER long-form length for a short sequence: not DER.
      const ber = concat(Uint8Array.of(0x30, 0x81, sig[1]!), sig.subarray(2));
      expect(await w.verify(publicKey, message, ber)).toBe(false);
      // A key on another curve or of another kind is refused, not thrown.
      expect(await w.verify(ed25519KeyPair().publicKey, message, sig)).toBe(false);
    });
  }

  it('Ed25519: S ≥ L and a non-canonical public key are refused', async () => {
    const { publicKey, privateKey } = ed25519KeyPair();
    const w = web.signature(S.ed25519)!;
    const sig = await w.sign(privateKey, utf8('m'), nobleCrypto.random);
    const bigS = sig.slice();
    bigS.fill(0xff, 32, 63);
    bigS[63] = 0x1f;
    expect(await w.verify(publicKey, utf8('m'), bigS)).toBe(false);
    const nonCanonical = new Uint8Array(32).fill(0xff);
    nonCanonical[31] = 0x7f; // y = 2^255 - 1 ≥ p
    expect(await w.verify({ kind: 'ed25519', key: nonCanonical }, utf8('m'), sig)).toBe(false);
  });

  it('RSA: keys below the policy are refused, as with noble', async () => {
    const small = rsaKeyPair(1024);
    const w = web.signature(S.rsa_pss_rsae_sha256)!;
    expect(w.supports(small.publicKey)).toBe(false);
    await expect(Promise.resolve().then(() => w.sign(small.privateKey, utf8('m'), nobleCrypto.random))).rejects.toThrow(/refused/);
    const lenient = createWebCryptoProvider({ rsaMinModulusBits: 1024, fallback: createNobleCrypto({ rsaMinModulusBits: 1024 }) });
    const sig = await lenient.signature(S.rsa_pss_rsae_sha256)!.sign(small.privateKey, utf8('m'), nobleCrypto.random);
    expect(await w.verify(small.publicKey, utf8('m'), sig)).toBe(false);
    expect(await lenient.signature(S.rsa_pss_rsae_sha256)!.verify(small.publicKey, utf8('m'), sig)).toBe(true);
  });
});

// ------------------------------------------------------------ handshakes

const PKI = fileURLToPath(new URL('../fixtures/pki/', import.meta.url));
const pem = (name: string): string => readFileSync(PKI + name, 'utf8');
const ROOT = pem('root-ec.pem');
const now = (): Date => new Date('2026-06-01T00:00:00Z');

function certified(leaf: string) {
  return { cert: pem(`${leaf}.pem`) + pem('int-ec.pem'), key: pem(`${leaf}.key`) };
}

interface Driven {
  clientEvents: ConnectionEvent[];
  serverEvents: ConnectionEvent[];
}

async function drive(client: ClientConnection, server: ServerConnection, sink?: Driven): Promise<Driven> {
  const out: Driven = sink ?? { clientEvents: [], serverEvents: [] };
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

function dataOf(events: readonly ConnectionEvent[]): string {
  return new TextDecoder().decode(concat(...events.flatMap((e) => (e.type === 'data' ? [e.bytes] : []))));
}

describe('handshakes with the WebCrypto provider', () => {
  const leaves = [
    { leaf: 'leaf-p256', host: 'p256.test', scheme: 'ecdsa_secp256r1_sha256' },
    { leaf: 'leaf-ed25519', host: 'ed25519.test', scheme: 'ed25519' },
    { leaf: 'leaf-rsa', host: 'rsa.test', scheme: 'rsa_pss_rsae_sha256' },
  ];
  const groups = [NamedGroup.x25519, NamedGroup.secp256r1];
  const sides: [string, CryptoProvider, CryptoProvider][] = [
    ['webcrypto client, noble server', web, nobleCrypto],
    ['noble client, webcrypto server', nobleCrypto, web],
    ['webcrypto both', web, web],
    ['noble both (reference)', nobleCrypto, nobleCrypto],
  ];

  for (const [label, clientCrypto, serverCrypto] of sides) {
    for (const group of groups) {
      for (const { leaf, host, scheme } of leaves) {
        it(`${label}: group 0x${group.toString(16)}, ${leaf}`, async () => {
          const server = new ServerConnection({ crypto: serverCrypto, certificates: [certified(leaf)], now, groups: [group] });
          const client = new ClientConnection({ crypto: clientCrypto, ca: ROOT, now, groups: [group] }, { serverName: host });
          const d = await drive(client, server);
          expect(client.error).toBeUndefined();
          expect(server.error).toBeUndefined();
          expect(client.state.handshakeComplete).toBe(true);
          expect(client.state.group?.code).toBe(group);
          expect(client.state.signatureScheme?.name).toBe(scheme);
          expect(client.state.verifiedChains[0]).toHaveLength(3);
          client.write(utf8('ping'));
          server.write(utf8('pong'));
          await drive(client, server, d);
          expect(dataOf(d.serverEvents)).toBe('ping');
          expect(dataOf(d.clientEvents)).toBe('pong');
        });
      }
    }

    it(`${label}: resumption with psk_dhe_ke and 0-RTT`, async () => {
      const serverConfig: ServerConfig = { crypto: serverCrypto, certificates: [certified('leaf-p256')], now, maxEarlyData: 1024 };
      const clientConfig: ClientConfig = { crypto: clientCrypto, ca: ROOT, now, groups: [NamedGroup.x25519], enableEarlyData: true };
      const first = new ClientConnection(clientConfig, { serverName: 'localhost' });
      const d1 = await drive(first, new ServerConnection(serverConfig));
      expect(d1.clientEvents.some((e) => e.type === 'ticket')).toBe(true);
      const second = new ClientConnection(clientConfig, { serverName: 'localhost' });
      second.write(utf8('early'));
      const secondServer = new ServerConnection(serverConfig);
      const d2 = await drive(second, secondServer);
      expect(second.error).toBeUndefined();
      expect(secondServer.error).toBeUndefined();
      expect(second.state.resumed).toBe(true);
      expect(second.state.earlyDataAccepted).toBe(true);
      expect(dataOf(d2.serverEvents)).toBe('early');
    });
  }

  it('the handshake really waits: nothing comes out of either side before settled()', async () => {
    const client = new ClientConnection({ crypto: web, ca: ROOT, now, groups: [NamedGroup.x25519] }, { serverName: 'localhost' });
    // The ClientHello needs the key share, which WebCrypto only gives asynchronously.
    expect(client.takeOutgoing()).toHaveLength(0);
    await client.settled();
    const hello = client.takeOutgoing();
    expect(hello.length).toBeGreaterThan(0);

    const server = new ServerConnection({ crypto: web, certificates: [certified('leaf-p256')], now, groups: [NamedGroup.x25519] });
    server.receive(hello);
    // Encapsulation and CertificateVerify are pending.
    expect(server.takeOutgoing()).toHaveLength(0);
    await server.settled();
    const flight = server.takeOutgoing();
    expect(flight.length).toBeGreaterThan(0);

    client.receive(flight);
    // Decapsulation and the signature checks are pending: not complete, no Finished yet.
    expect(client.state.handshakeComplete).toBe(false);
    expect(client.takeOutgoing()).toHaveLength(0);
    await client.settled();
    expect(client.state.handshakeComplete).toBe(true);
    expect(client.takeOutgoing().length).toBeGreaterThan(0);
  });

  it('with noble the same exchange is synchronous (the reference behaviour)', () => {
    const client = new ClientConnection({ crypto: nobleCrypto, ca: ROOT, now, groups: [NamedGroup.x25519] }, { serverName: 'localhost' });
    expect(client.takeOutgoing().length).toBeGreaterThan(0);
  });

  it('a bad key share from the peer is illegal_parameter through the async path', async () => {
    const server = new ServerConnection({ crypto: web, certificates: [certified('leaf-p256')], now, groups: [NamedGroup.secp256r1] });
    const client = new ClientConnection(
      {
        crypto: nobleCrypto,
        ca: ROOT,
        now,
        groups: [NamedGroup.secp256r1],
        // Corrupt our own key share so that it is not on the curve.
        shapeMessage: (m) => {
          if (m.type !== 'client_hello') return m;
          return {
            ...m,
            extensions: m.extensions.map((e) => {
              if (e.type !== 'key_share' || !('clientShares' in e)) return e;
              const clientShares = e.clientShares.map((entry) => {
                const bad = entry.keyExchange.slice();
                bad[bad.length - 1]! ^= 1;
                return { ...entry, keyExchange: bad };
              });
              return { ...e, clientShares };
            }),
          };
        },
      },
      { serverName: 'localhost' },
    );
    await drive(client, server);
    expect(server.error?.alert).toBe('illegal_parameter');
    expect(client.state.handshakeComplete).toBe(false);
  });
});
