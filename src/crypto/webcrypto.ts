/**
 * A CryptoProvider on WebCrypto (`crypto.subtle`), for browsers, Deno,
 * Workers and Node ≥ 20: the handshake's public-key operations run on the
 * platform's native code.
 *
 * What runs where, and why:
 *
 * - Key exchange (x25519, secp256r1, secp384r1) and signatures (ECDSA
 *   P-256/P-384, Ed25519, RSA-PSS, RSA PKCS#1 v1.5) go through `subtle`.
 *   Every `subtle` call returns a Promise, so these methods are ASYNC; the
 *   handshake waits for them in its state (util/steps.ts), which is why the
 *   CryptoProvider interface lets them return Promises.
 * - Hashes, HMAC, HKDF and AEADs must be synchronous in our interface (the
 *   transcript hash and the record layer run on every message and every
 *   record), and WebCrypto has them only as Promises (`digest`, `sign`,
 *   `encrypt`, `deriveBits`). They are delegated to `fallback` (default: the
 *   pure-JS noble provider), so the record layer keeps running on noble.
 * - X25519MLKEM768 and x448 are the fallback's: WebCrypto has no ML-KEM, and
 *   X448 is rare.
 * - WebCrypto X25519 / Ed25519 are newer than the rest and not everywhere.
 *   Their support is probed lazily, once per provider, on first use (an
 *   import of a fixed public key); where the probe fails that algorithm is
 *   served by the fallback instead. P-256/P-384 and RSA are assumed present
 *   (they have been in every WebCrypto since the start). Without any
 *   `subtle` at all, everything is the fallback's.
 *
 * Behaviour matches noble.ts where the wire can see it:
 * - (EC)DH private keys are drawn from the injected random source; peer
 *   shares must have the exact length, NIST points must be uncompressed
 *   (RFC 8446 §4.2.8.2) and on the curve, and an all-zero x25519 secret is
 *   refused (§7.4.2); every failure is an InvalidShareError (→ illegal_parameter).
 * - ECDSA signatures are strict DER on the wire (ecdsaDer.ts) and IEEE P1363
 *   r‖s inside WebCrypto; r, s ∈ [1, n); high-S is accepted, as noble.ts does.
 * - Ed25519 public keys and R must be canonical and S < L (RFC 8032 §5.1.7).
 * - RSA keys go through rsa.ts's policy; PSS salt = hash length (§4.2.3).
 *
 * What differs: WebCrypto draws its own randomness for ECDSA nonces and the
 * PSS salt, so signatures are not reproducible from `random`.
 *
 * Imported keys are cached per key object (WeakMap), so a server signing with
 * one CertifiedKey imports it once.
 */
import { NamedGroup, SignatureScheme } from '../registry.js';
import { bigIntToBytes, bitLength, bytesToBigInt } from './bigint.js';
import { decodeEcdsaSignature, encodeEcdsaSignature } from './ecdsaDer.js';
import { drawRandom, isAllZero, randomScalar } from './ecdh.js';
import { nobleCrypto } from './noble.js';
import {
  type CryptoProvider,
  type Hash,
  InvalidShareError,
  type KeyExchange,
  type KeyExchangeEncapsulation,
  type KeyExchangePair,
  type PrivateKey,
  type PublicKey,
  type RandomSource,
  type SignatureAlgorithm,
} from './provider.js';
import { RSA_ABSOLUTE_MIN_MODULUS_BITS, RSA_DEFAULT_MIN_MODULUS_BITS, type RsaPolicy, isAcceptablePublicKey, pssFitsModulus } from './rsa.js';

export interface WebCryptoProviderOptions {
  /** The SubtleCrypto to use (default: `globalThis.crypto.subtle`). */
  subtle?: SubtleCrypto;
  /** Random source for key shares and handshake randoms (default: the fallback's). */
  random?: RandomSource;
  /**
   * Provider for everything that must be synchronous (hashes, HMAC, HKDF,
   * AEADs), for X25519MLKEM768 / x448, and for X25519 / Ed25519 where the
   * platform lacks them. Default: nobleCrypto.
   */
  fallback?: CryptoProvider;
  /** Smallest RSA modulus accepted, in bits: default 2048, never below 1024 (as noble.ts). */
  rsaMinModulusBits?: number;
}

// ---------------------------------------------------------------------------
// Bytes

/** A copy backed by a plain ArrayBuffer, as WebCrypto's BufferSource wants. */
function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));

function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A JWK integer: big-endian, minimal (RFC 7518 §6.3.1). */
function bigIntB64u(value: bigint): string {
  const bytes = bigIntToBytes(value, Math.max(1, Math.ceil(bitLength(value) / 8)));
  if (bytes === undefined) throw new Error('RSA key component out of range');
  return base64url(bytes);
}


// PKCS#8 prefixes for raw private keys: the DER up to the key octets is
// constant for a given algorithm. id-X25519 / id-Ed25519 per RFC 8410; EC keys
// as ECPrivateKey (RFC 5915) without the optional public key, which WebCrypto
// implementations recompute from d.
const X25519_PKCS8 = hex('302e020100300506032b656e04220420');
const ED25519_PKCS8 = hex('302e020100300506032b657004220420');
const P256_PKCS8 = hex('3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420');
const P384_PKCS8 = hex('304e020100301006072a8648ce3d020106052b81040022043730350201010430');

// ---------------------------------------------------------------------------
// Feature detection

type Probe = () => Promise<boolean>;

/** Runs `test` once, on first call, and remembers whether it succeeded. */
function lazyProbe(test: () => Promise<unknown>): Probe {
  let result: Promise<boolean> | undefined;
  return () => (result ??= test().then(
    () => true,
    () => false,
  ));
}

// ---------------------------------------------------------------------------
// Key exchange

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P384_ORDER =
  0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n;

interface AsyncDh {
  readonly group: number;
  readonly name: string;
  readonly privateKeyLength: number;
  readonly shareLength: number;
  newPrivateKey(random: RandomSource): Uint8Array;
  publicShare(privateKey: Uint8Array): Promise<Uint8Array>;
  /** Rejects with InvalidShareError for a bad peer share. */
  sharedSecret(privateKey: Uint8Array, peerShare: Uint8Array): Promise<Uint8Array>;
}

/** X25519 (RFC 7748): the private key is the 32 random bytes; clamping happens inside. */
function webX25519(subtle: SubtleCrypto): AsyncDh {
  const algorithm = { name: 'X25519' };
  const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
  const privateKeyFor = (privateKey: Uint8Array): Promise<CryptoKey> => {
    let key = keys.get(privateKey);
    if (!key) {
      // Extractable so that the public share can be read back as the JWK `x`.
      key = subtle.importKey('pkcs8', concatBytes(X25519_PKCS8, privateKey), algorithm, true, ['deriveBits']);
      keys.set(privateKey, key);
    }
    return key;
  };
  return {
    group: NamedGroup.x25519,
    name: 'x25519',
    privateKeyLength: 32,
    shareLength: 32,
    newPrivateKey: (random) => drawRandom(random, 32).slice(),
    async publicShare(privateKey) {
      const jwk = await subtle.exportKey('jwk', await privateKeyFor(privateKey));
      if (typeof jwk.x !== 'string') throw new Error('x25519: could not export the public key');
      const share = fromBase64url(jwk.x);
      if (share.length !== 32) throw new Error(`x25519: exported public key has ${share.length} bytes`);
      return share;
    },
    async sharedSecret(privateKey, peerShare) {
      if (peerShare.length !== 32) throw new InvalidShareError(`x25519 key share must be 32 bytes, got ${peerShare.length}`);
      const ours = await privateKeyFor(privateKey);
      let secret: Uint8Array;
      try {
        const theirs = await subtle.importKey('raw', buf(peerShare), algorithm, false, []);
        secret = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: theirs }, ours, 256));
      } catch (cause) {
        // Implementations refuse low-order points (all-zero output) here.
        throw new InvalidShareError('x25519 key share is a low-order point', { cause });
      }
      // RFC 8446 §7.4.2: abort on an all-zero shared secret, whatever the platform did.
      if (isAllZero(secret)) throw new InvalidShareError('x25519 shared secret is all zeros');
      return secret;
    },
  };
}

/** secp256r1 / secp384r1 ECDH; the private key is the big-endian scalar. */
function webNist(subtle: SubtleCrypto, group: number, name: string, curve: 'P-256' | 'P-384'): AsyncDh {
  const size = curve === 'P-256' ? 32 : 48;
  const order = curve === 'P-256' ? P256_ORDER : P384_ORDER;
  const prefix = curve === 'P-256' ? P256_PKCS8 : P384_PKCS8;
  const shareLength = 1 + 2 * size;
  const algorithm = { name: 'ECDH', namedCurve: curve };
  const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
  const privateKeyFor = (privateKey: Uint8Array): Promise<CryptoKey> => {
    let key = keys.get(privateKey);
    if (!key) {
      key = subtle.importKey('pkcs8', concatBytes(prefix, privateKey), algorithm, true, ['deriveBits']);
      keys.set(privateKey, key);
    }
    return key;
  };
  return {
    group,
    name,
    privateKeyLength: size,
    shareLength,
    newPrivateKey: (random) => randomScalar(random, size, order, name),
    async publicShare(privateKey) {
      const jwk = await subtle.exportKey('jwk', await privateKeyFor(privateKey));
      if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new Error(`${name}: could not export the public key`);
      const x = fromBase64url(jwk.x);
      const y = fromBase64url(jwk.y);
      if (x.length !== size || y.length !== size) throw new Error(`${name}: exported public key has the wrong size`);
      // UncompressedPointRepresentation (RFC 8446 §4.2.8.2): 0x04 ‖ X ‖ Y.
      return concatBytes(Uint8Array.of(4), x, y);
    },
    async sharedSecret(privateKey, peerShare) {
      // §4.2.8.2: uncompressed points only (a platform might also take compressed ones).
      if (peerShare.length !== shareLength || peerShare[0] !== 0x04) {
        throw new InvalidShareError(`${name} key share must be a ${shareLength}-byte uncompressed point`);
      }
      const ours = await privateKeyFor(privateKey);
      try {
        // WebCrypto's raw import decodes the point and checks it is on the curve;
        // the x-coordinate alone is the shared secret (§7.4.1), which deriveBits returns.
        const theirs = await subtle.importKey('raw', buf(peerShare), algorithm, false, []);
        return new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: theirs }, ours, size * 8));
      } catch (cause) {
        throw new InvalidShareError(`${name} key share is not a valid curve point`, { cause });
      }
    },
  };
}

/** KEM-shaped wrapper (server side = ephemeral DH), as ecdh.ts does for noble. */
function kemShaped(dh: AsyncDh): KeyExchange {
  return {
    group: dh.group,
    name: dh.name,
    async generate(random: RandomSource): Promise<KeyExchangePair> {
      const privateKey = dh.newPrivateKey(random);
      return { privateKey, share: await dh.publicShare(privateKey) };
    },
    async decapsulate(privateKey: Uint8Array, serverShare: Uint8Array): Promise<Uint8Array> {
      if (privateKey.length !== dh.privateKeyLength) throw new Error(`${dh.name}: private key must be ${dh.privateKeyLength} bytes`);
      return dh.sharedSecret(privateKey, serverShare);
    },
    async encapsulate(clientShare: Uint8Array, random: RandomSource): Promise<KeyExchangeEncapsulation> {
      // Check the peer's share before spending randomness on our key.
      if (clientShare.length !== dh.shareLength) {
        throw new InvalidShareError(`${dh.name} key share must be ${dh.shareLength} bytes, got ${clientShare.length}`);
      }
      const privateKey = dh.newPrivateKey(random);
      const secret = await dh.sharedSecret(privateKey, clientShare);
      return { share: await dh.publicShare(privateKey), secret };
    },
  };
}

/** Uses `primary` where `supported()` says so, else the fallback's implementation of the same group. */
function withFallback(primary: KeyExchange, fallback: KeyExchange | undefined, supported: Probe): KeyExchange {
  if (!fallback) return primary;
  return {
    group: primary.group,
    name: primary.name,
    generate: async (random) => ((await supported()) ? primary : fallback).generate(random),
    decapsulate: async (privateKey, share) => ((await supported()) ? primary : fallback).decapsulate(privateKey, share),
    encapsulate: async (share, random) => ((await supported()) ? primary : fallback).encapsulate(share, random),
  };
}

// ---------------------------------------------------------------------------
// Signatures (RFC 8446 §4.2.3)

/** r ‖ s, each left-padded to the curve size (IEEE P1363, what WebCrypto ECDSA uses). */
function rawEcdsa(r: bigint, s: bigint, size: number): Uint8Array<ArrayBuffer> | undefined {
  const rb = bigIntToBytes(r, size);
  const sb = bigIntToBytes(s, size);
  return rb && sb ? concatBytes(rb, sb) : undefined;
}

function ecdsa(
  subtle: SubtleCrypto,
  scheme: number,
  name: string,
  curve: 'P-256' | 'P-384',
  hash: 'SHA-256' | 'SHA-384',
): SignatureAlgorithm {
  const size = curve === 'P-256' ? 32 : 48;
  const order = curve === 'P-256' ? P256_ORDER : P384_ORDER;
  const prefix = curve === 'P-256' ? P256_PKCS8 : P384_PKCS8;
  const importAlgorithm = { name: 'ECDSA', namedCurve: curve };
  const params = { name: 'ECDSA', hash };
  const privateKeys = new WeakMap<PrivateKey, Promise<CryptoKey>>();
  return {
    scheme,
    name,
    handshake: true,
    supports: (key) => key.kind === 'ec' && key.curve === curve,
    async sign(key: PrivateKey, message: Uint8Array): Promise<Uint8Array> {
      if (key.kind !== 'ec' || key.curve !== curve) throw new Error(`${name} needs a ${curve} private key`);
      if (key.d.length !== size) throw new Error(`${name}: private scalar must be ${size} bytes`);
      let imported = privateKeys.get(key);
      if (!imported) {
        imported = subtle.importKey('pkcs8', concatBytes(prefix, key.d), importAlgorithm, false, ['sign']);
        privateKeys.set(key, imported);
      }
      const raw = new Uint8Array(await subtle.sign(params, await imported, buf(message)));
      if (raw.length !== 2 * size) throw new Error(`${name}: platform returned a ${raw.length}-byte signature`);
      // TLS carries the DER Ecdsa-Sig-Value (RFC 8446 §4.2.3 via X9.62).
      return encodeEcdsaSignature({ r: bytesToBigInt(raw.subarray(0, size)), s: bytesToBigInt(raw.subarray(size)) });
    },
    async verify(key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
      if (key.kind !== 'ec' || key.curve !== curve) return false;
      // Strict DER and the range rules of noble.ts; high-S stays valid.
      const value = decodeEcdsaSignature(signature, size + 1);
      if (value === undefined || value.r < 1n || value.r >= order || value.s < 1n || value.s >= order) return false;
      const raw = rawEcdsa(value.r, value.s, size);
      if (raw === undefined || key.point.length !== 1 + 2 * size || key.point[0] !== 0x04) return false;
      try {
        const publicKey = await subtle.importKey('raw', buf(key.point), importAlgorithm, false, ['verify']);
        return await subtle.verify(params, publicKey, raw, buf(message));
      } catch {
        return false;
      }
    },
  };
}

const ED25519_P = 2n ** 255n - 19n;
const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** RFC 8032 §5.1.3: y < p, and no "negative zero" x (sign bit set with y = ±1). */
function isCanonicalEd25519Point(encoded: Uint8Array): boolean {
  const little = new Uint8Array(encoded).reverse();
  const sign = little[0]! >> 7;
  little[0] = little[0]! & 0x7f;
  const y = bytesToBigInt(little);
  if (y >= ED25519_P) return false;
  return !(sign === 1 && (y === 1n || y === ED25519_P - 1n));
}

function ed25519(subtle: SubtleCrypto): SignatureAlgorithm {
  const algorithm = { name: 'Ed25519' };
  const privateKeys = new WeakMap<PrivateKey, Promise<CryptoKey>>();
  return {
    scheme: SignatureScheme.ed25519,
    name: 'ed25519',
    handshake: true,
    supports: (key) => key.kind === 'ed25519',
    async sign(key: PrivateKey, message: Uint8Array): Promise<Uint8Array> {
      if (key.kind !== 'ed25519') throw new Error('ed25519 needs an Ed25519 private key');
      if (key.seed.length !== 32) throw new Error('Ed25519 private key must be a 32-byte seed');
      let imported = privateKeys.get(key);
      if (!imported) {
        imported = subtle.importKey('pkcs8', concatBytes(ED25519_PKCS8, key.seed), algorithm, false, ['sign']);
        privateKeys.set(key, imported);
      }
      return new Uint8Array(await subtle.sign(algorithm, await imported, buf(message)));
    },
    async verify(key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
      if (key.kind !== 'ed25519' || key.key.length !== 32 || signature.length !== 64) return false;
      // Decoding rules some platforms relax; checked here so every provider agrees.
      if (!isCanonicalEd25519Point(key.key) || !isCanonicalEd25519Point(signature.subarray(0, 32))) return false;
      // S < L (§5.1.7), so signatures are not malleable.
      if (bytesToBigInt(signature.slice(32).reverse()) >= ED25519_L) return false;
      try {
        const publicKey = await subtle.importKey('raw', buf(key.key), algorithm, false, ['verify']);
        return await subtle.verify(algorithm, publicKey, buf(signature), buf(message));
      } catch {
        return false;
      }
    },
  };
}

type RsaHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

function rsa(
  subtle: SubtleCrypto,
  scheme: number,
  name: string,
  hash: Hash,
  pss: boolean,
  policy: RsaPolicy,
  fallback: SignatureAlgorithm | undefined,
): SignatureAlgorithm {
  const hashName = hash.name as RsaHash;
  const algorithmName = pss ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5';
  const importAlgorithm = { name: algorithmName, hash: hashName };
  // RFC 8446 §4.2.3: PSS with MGF1 over the same hash and a salt as long as the hash.
  const params = pss ? { name: 'RSA-PSS', saltLength: hash.outputLength } : { name: 'RSASSA-PKCS1-v1_5' };
  const fits = (key: PublicKey | PrivateKey): boolean =>
    key.kind === 'rsa' && isAcceptablePublicKey(key, policy) && (!pss || pssFitsModulus(bitLength(key.n), hash));
  const privateKeys = new WeakMap<PrivateKey, Promise<CryptoKey>>();
  return {
    scheme,
    name,
    // PKCS#1 v1.5 is for certificates only in TLS 1.3 (§4.2.3).
    handshake: pss,
    supports: fits,
    async sign(key: PrivateKey, message: Uint8Array, random: RandomSource): Promise<Uint8Array> {
      // PKCS#1 v1.5 signing never happens in a TLS 1.3 handshake; leave it to the fallback.
      if (!pss) {
        if (!fallback) throw new Error(`${name}: signing is not provided`);
        return fallback.sign(key, message, random);
      }
      if (key.kind !== 'rsa') throw new Error(`${name} needs an RSA private key`);
      if (!fits(key)) throw new Error(`${name}: RSA signing key refused by policy or too small for PSS with ${hash.name}`);
      if (key.p * key.q !== key.n) throw new Error('RSA private key is inconsistent: p·q ≠ n');
      let imported = privateKeys.get(key);
      if (!imported) {
        const jwk: JsonWebKey = {
          kty: 'RSA',
          n: bigIntB64u(key.n),
          e: bigIntB64u(key.e),
          d: bigIntB64u(key.d),
          p: bigIntB64u(key.p),
          q: bigIntB64u(key.q),
          dp: bigIntB64u(key.dp),
          dq: bigIntB64u(key.dq),
          qi: bigIntB64u(key.qinv),
        };
        imported = subtle.importKey('jwk', jwk, importAlgorithm, false, ['sign']);
        privateKeys.set(key, imported);
      }
      return new Uint8Array(await subtle.sign(params, await imported, buf(message)));
    },
    async verify(key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
      if (key.kind !== 'rsa' || !fits(key)) return false;
      if (signature.length !== Math.ceil(bitLength(key.n) / 8)) return false;
      try {
        const publicKey = await subtle.importKey(
          'jwk',
          { kty: 'RSA', n: bigIntB64u(key.n), e: bigIntB64u(key.e) },
          importAlgorithm,
          false,
          ['verify'],
        );
        return await subtle.verify(params, publicKey, buf(signature), buf(message));
      } catch {
        return false;
      }
    },
  };
}

/** Uses `primary` where `supported()` says so, else the fallback's scheme. */
function signatureWithFallback(primary: SignatureAlgorithm, fallback: SignatureAlgorithm | undefined, supported: Probe): SignatureAlgorithm {
  if (!fallback) return primary;
  return {
    scheme: primary.scheme,
    name: primary.name,
    handshake: primary.handshake,
    supports: (key) => primary.supports(key),
    sign: async (key, message, random) => ((await supported()) ? primary : fallback).sign(key, message, random),
    verify: async (key, message, signature) => ((await supported()) ? primary : fallback).verify(key, message, signature),
  };
}

// ---------------------------------------------------------------------------
// The provider

/** The Ed25519 base point's encoding: a valid public key for the probe. */
const ED25519_PROBE_KEY = hex('5866666666666666666666666666666666666666666666666666666666666666');
/** u = 9, the X25519 base point. */
const X25519_PROBE_KEY = hex('0900000000000000000000000000000000000000000000000000000000000000');

function defaultSubtle(): SubtleCrypto | undefined {
  const c = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto;
  return c?.subtle;
}

/**
 * A provider whose key exchange and signatures run on WebCrypto
 * (asynchronously) and whose hashes, HMAC, HKDF and AEADs are `fallback`'s
 * (synchronously). See the file comment for the split and the fallbacks.
 */
export function createWebCryptoProvider(options: WebCryptoProviderOptions = {}): CryptoProvider {
  const fallback = options.fallback ?? nobleCrypto;
  const subtle = options.subtle ?? defaultSubtle();
  if (subtle === undefined) return { ...bindProvider(fallback), name: `webcrypto(unavailable)+${fallback.name}`, random: options.random ?? fallback.random };

  const minModulusBits = options.rsaMinModulusBits ?? RSA_DEFAULT_MIN_MODULUS_BITS;
  if (!Number.isSafeInteger(minModulusBits) || minModulusBits < RSA_ABSOLUTE_MIN_MODULUS_BITS) {
    throw new Error(`rsaMinModulusBits must be an integer ≥ ${RSA_ABSOLUTE_MIN_MODULUS_BITS}`);
  }
  const policy: RsaPolicy = { minModulusBits };

  const hasX25519 = lazyProbe(() => subtle.importKey('raw', buf(X25519_PROBE_KEY), { name: 'X25519' }, false, []));
  const hasEd25519 = lazyProbe(() => subtle.importKey('raw', buf(ED25519_PROBE_KEY), { name: 'Ed25519' }, false, ['verify']));

  const ours: KeyExchange[] = [
    withFallback(kemShaped(webX25519(subtle)), fallback.keyExchange(NamedGroup.x25519), hasX25519),
    kemShaped(webNist(subtle, NamedGroup.secp256r1, 'secp256r1', 'P-256')),
    kemShaped(webNist(subtle, NamedGroup.secp384r1, 'secp384r1', 'P-384')),
  ];
  const groupsByCode = new Map<number, KeyExchange>();
  for (const group of fallback.groups) {
    const kx = fallback.keyExchange(group);
    if (kx) groupsByCode.set(group, kx);
  }
  for (const kx of ours) groupsByCode.set(kx.group, kx);
  // The fallback's preference order (e.g. the PQ hybrid first), then anything only we have.
  const groups = [...new Set([...fallback.groups.filter((g) => groupsByCode.has(g)), ...ours.map((kx) => kx.group)])];

  const S = SignatureScheme;
  const sha = (n: 'SHA-256' | 'SHA-384' | 'SHA-512'): Hash => fallback.hash(n);
  const fb = (scheme: number): SignatureAlgorithm | undefined => fallback.signature(scheme);
  const signatures: SignatureAlgorithm[] = [
    ecdsa(subtle, S.ecdsa_secp256r1_sha256, 'ecdsa_secp256r1_sha256', 'P-256', 'SHA-256'),
    ecdsa(subtle, S.ecdsa_secp384r1_sha384, 'ecdsa_secp384r1_sha384', 'P-384', 'SHA-384'),
    signatureWithFallback(ed25519(subtle), fb(S.ed25519), hasEd25519),
    rsa(subtle, S.rsa_pss_rsae_sha256, 'rsa_pss_rsae_sha256', sha('SHA-256'), true, policy, fb(S.rsa_pss_rsae_sha256)),
    rsa(subtle, S.rsa_pss_rsae_sha384, 'rsa_pss_rsae_sha384', sha('SHA-384'), true, policy, fb(S.rsa_pss_rsae_sha384)),
    rsa(subtle, S.rsa_pss_rsae_sha512, 'rsa_pss_rsae_sha512', sha('SHA-512'), true, policy, fb(S.rsa_pss_rsae_sha512)),
    rsa(subtle, S.rsa_pkcs1_sha256, 'rsa_pkcs1_sha256', sha('SHA-256'), false, policy, fb(S.rsa_pkcs1_sha256)),
    rsa(subtle, S.rsa_pkcs1_sha384, 'rsa_pkcs1_sha384', sha('SHA-384'), false, policy, fb(S.rsa_pkcs1_sha384)),
    rsa(subtle, S.rsa_pkcs1_sha512, 'rsa_pkcs1_sha512', sha('SHA-512'), false, policy, fb(S.rsa_pkcs1_sha512)),
  ];
  const schemesByCode = new Map<number, SignatureAlgorithm>();
  for (const scheme of fallback.signatureSchemes) {
    const sig = fallback.signature(scheme);
    if (sig) schemesByCode.set(scheme, sig);
  }
  for (const sig of signatures) schemesByCode.set(sig.scheme, sig);
  // The fallback's preference order, then anything only we have.
  const signatureSchemes = [...new Set([...fallback.signatureSchemes, ...signatures.map((s) => s.scheme)])];

  return {
    ...bindProvider(fallback),
    name: `webcrypto+${fallback.name}`,
    random: options.random ?? fallback.random,
    keyExchange: (group) => groupsByCode.get(group),
    signature: (scheme) => schemesByCode.get(scheme),
    groups,
    signatureSchemes,
  };
}

/** The fallback's synchronous primitives, bound so that `this` inside them stays the fallback. */
function bindProvider(p: CryptoProvider): CryptoProvider {
  return {
    name: p.name,
    random: p.random,
    hash: (name) => p.hash(name),
    hmac: (hash, key, data) => p.hmac(hash, key, data),
    hkdfExtract: (hash, salt, ikm) => p.hkdfExtract(hash, salt, ikm),
    hkdfExpand: (hash, prk, info, length) => p.hkdfExpand(hash, prk, info, length),
    aead: (name) => p.aead(name),
    keyExchange: (group) => p.keyExchange(group),
    signature: (scheme) => p.signature(scheme),
    groups: p.groups,
    signatureSchemes: p.signatureSchemes,
  };
}
