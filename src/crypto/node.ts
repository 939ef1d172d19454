/**
 * A CryptoProvider on Node's built-in `node:crypto` (OpenSSL): the same
 * interface as the pure-JS noble provider, with native primitives that are
 * one to two orders of magnitude faster. Node only; everything else in the
 * library runs anywhere, which is why the main entry does not export it.
 * Select it per config:
 *
 *   import { nodeCrypto } from './crypto/node.js';
 *   new ClientConnection({ crypto: nodeCrypto, ... });
 *
 * It accepts and rejects exactly what noble.ts does, so swapping providers
 * changes speed, not behaviour:
 *
 * - (EC)DH private keys are drawn from the injected random source (as in
 *   ecdh.ts), so a replay that injects a trace's key gets the trace's share.
 *   Peer shares are checked the same way: exact length, uncompressed points
 *   on the curve, no all-zero x25519/x448 secret (RFC 8446 §4.2.8.2, §7.4.2);
 *   anything else is an InvalidShareError (→ illegal_parameter).
 * - ECDSA signatures are strict DER (the same parser as noble's, ecdsaDer.ts),
 *   r and s in [1, n); high-S is accepted, as OpenSSL and noble.ts do.
 * - Ed25519 rejects non-canonical encodings of the public key and S ≥ L
 *   (RFC 8032 §5.1.7), like noble's non-ZIP-215 mode.
 * - RSA keys go through the same policy as rsa.ts (modulus bounds, public
 *   exponent, PSS salt = hash length per RFC 8446 §4.2.3).
 *
 * What differs: OpenSSL draws its own randomness for ECDSA nonces and the
 * RSA-PSS salt, so signatures do not come from `random` (they cannot be
 * replayed byte for byte; verification is unaffected). X25519MLKEM768 is the
 * noble implementation (mlkemHybrid.ts): Node 20 has no ML-KEM.
 *
 * Imported keys are cached: private keys per key object (a server signs
 * with the same CertifiedKey every time), public keys by their bytes in a
 * bounded cache (a client meets the same intermediate on every connection).
 *
 * Per-call overhead matters as much as the primitives here (a handshake
 * makes ~55 HMACs, ~10 AEAD calls, 9 random draws), so: random bytes come
 * from a pool refilled 4 KiB at a time, digests and MACs come back as binary
 * strings instead of native Buffers, one-shot digests skip the Hash object,
 * HKDF-Expand of at most HashLen bytes is a single HMAC update, and sealInto
 * writes straight into the record. Measured and kept as they were:
 * keys go through JWK, not DER (OpenSSL 3's DER decoders cost 10× more per
 * import), and HMAC is createHmac (see mac()).
 */
import {
  type KeyObject,
  constants,
  createCipheriv,
  createDecipheriv,
  createECDH,
  ECDH,
  createHash,
  createHmac,
  hash as oneShotHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomFillSync,
  sign as nodeSign,
  verify as nodeVerify,
  type Hash as NodeHashState,
} from 'node:crypto';
import { NamedGroup, SignatureScheme } from '../registry.js';
import { bigIntToBytes, bitLength, bytesToBigInt } from './bigint.js';
import { decodeEcdsaSignature } from './ecdsaDer.js';
import { assembleProvider, rsaMinModulusBits } from './assemble.js';
import { type DhGroup, dhKeyExchange, drawRandom, isAllZero, randomScalar } from './ecdh.js';
import { x25519MlKem768KeyExchange } from './mlkemHybrid.js';
import {
  type Aead,
  type AeadKey,
  type AeadName,
  type CryptoProvider,
  type Hash,
  type HashContext,
  type HashName,
  InvalidShareError,
  type KeyExchange,
  type PrivateKey,
  type PublicKey,
  type RandomSource,
  type SignatureAlgorithm,
} from './provider.js';
import { createPooledRandom } from './randomPool.js';
import {
  RSA_ABSOLUTE_MIN_MODULUS_BITS,
  type RsaPolicy,
  isAcceptablePublicKey,
  pssFitsModulus,
} from './rsa.js';

// ---------------------------------------------------------------------------
// Bytes out of Node

/**
 * A plain Uint8Array with the bytes of a Buffer. Node's Buffers may be views
 * into a shared pool, and `Buffer#slice` does not copy; the core expects
 * ordinary arrays that own their memory (it calls `.slice()` to copy and
 * reads `.buffer` from offset 0), so we never hand a Buffer out.
 */
function own(buf: Uint8Array): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && !(buf.buffer instanceof SharedArrayBuffer)) {
    return new Uint8Array(buf.buffer, 0, buf.byteLength);
  }
  return new Uint8Array(buf);
}

/**
 * The first `length` bytes of a 'binary' (latin1) string: one char per
 * byte, 0..255. Digests and MACs are taken from Node as such strings rather than
 * Buffers: each Buffer made in native code costs an off-heap ArrayBuffer
 * (about 0.5 µs, and GC work), while a short string and a small array on the
 * JS heap do not; for 32-byte outputs that is a third of a one-shot digest.
 */
function fromBinaryString(s: string, length = s.length): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// ---------------------------------------------------------------------------
// Random

/**
 * The operating system's CSPRNG through OpenSSL, pooled; a fresh array per
 * call. (randomFillSync caps one call at 2^31-1 bytes; TLS never asks for that much.)
 */
export const nodeRandom: RandomSource = createPooledRandom({ fill: (into) => randomFillSync(into) });

// ---------------------------------------------------------------------------
// Hashes

const NODE_HASH: Readonly<Record<HashName, string>> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const HASH_LENGTH: Readonly<Record<HashName, number>> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** `digest()` finalises a copy, so the transcript keeps absorbing after taking a hash. */
class NodeHashContext implements HashContext {
  constructor(private readonly state: NodeHashState) {}
  update(data: Uint8Array): HashContext {
    this.state.update(data);
    return this;
  }
  digest(): Uint8Array {
    return fromBinaryString(this.state.copy().digest('binary'));
  }
  clone(): HashContext {
    return new NodeHashContext(this.state.copy());
  }
}

function makeHash(name: HashName): Hash {
  const algorithm = NODE_HASH[name];
  return {
    name,
    outputLength: HASH_LENGTH[name],
    // The one-shot digest skips the Hash object (and its per-call digest lookup).
    digest: (data) => fromBinaryString(oneShotHash(algorithm, data, 'binary')),
    create: () => new NodeHashContext(createHash(algorithm)),
  };
}

const HASHES: Readonly<Record<HashName, Hash>> = {
  'SHA-256': makeHash('SHA-256'),
  'SHA-384': makeHash('SHA-384'),
  'SHA-512': makeHash('SHA-512'),
};

function nodeHashName(hash: Hash): string {
  const name = NODE_HASH[hash.name];
  if (name === undefined) throw new Error(`unsupported hash ${String(hash.name)}`);
  return name;
}

/**
 * HMAC (RFC 2104), truncated to `length` bytes (the whole MAC by default).
 * Measured against the alternatives for TLS's one-block inputs, createHmac
 * stays the cheapest per call: two one-shot crypto.hash calls over
 * K⊕ipad|m and K⊕opad|h, a KeyObject key, noble's HMAC, and a JS SHA-256
 * with the pad states kept per key all cost as much or more end to end.
 */
function mac(hash: Hash, key: Uint8Array, data: Uint8Array, length?: number): Uint8Array {
  return fromBinaryString(createHmac(nodeHashName(hash), key).update(data).digest('binary'), length);
}


// ---------------------------------------------------------------------------
// HKDF (RFC 5869). Node's hkdfSync always runs Extract then Expand, and TLS
// 1.3 uses the two halves separately (§7.1), so Expand is written out here.

function hkdfExtract(hash: Hash, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  // An empty salt is HashLen zeros (§2.2); HMAC pads both to the block size alike.
  return mac(hash, salt, ikm);
}

/** T(i) = HMAC(PRK, T(i-1) | info | i), output = T(1) | T(2) | … truncated (§2.3). */
function hkdfExpand(hash: Hash, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLength = hash.outputLength;
  const max = 255 * hashLength;
  if (!Number.isSafeInteger(length) || length < 0 || length > max) {
    throw new Error(`HKDF-Expand: length must be 0..${max} for ${hash.name}, got ${length}`);
  }
  if (prk.length < hashLength) {
    throw new Error(`HKDF-Expand: PRK must be at least ${hashLength} bytes for ${hash.name}, got ${prk.length}`);
  }
  if (length === 0) return new Uint8Array(0);
  // TLS asks for at most HashLen bytes (secrets, keys, IVs, finished keys):
  // one block, T(1) = HMAC(PRK, info | 0x01), with the message in one update.
  if (length <= hashLength) {
    const message = new Uint8Array(info.length + 1);
    message.set(info);
    message[info.length] = 1;
    return mac(hash, prk, message, length);
  }
  // Longer outputs (exporters): one buffer T(i-1) | info | i reused per block.
  const block = new Uint8Array(hashLength + info.length + 1);
  block.set(info, hashLength);
  const out = new Uint8Array(length);
  for (let i = 1, filled = 0; filled < length; i++) {
    block[block.length - 1] = i;
    // T(0) is empty: the first block's message starts at info.
    const t = mac(hash, prk, i === 1 ? block.subarray(hashLength) : block);
    const take = Math.min(hashLength, length - filled);
    out.set(take === hashLength ? t : t.subarray(0, take), filled);
    block.set(t);
    filled += take;
  }
  return out;
}

// ---------------------------------------------------------------------------
// AEADs (RFC 5116; AES-GCM per SP 800-38D, ChaCha20-Poly1305 per RFC 8439)

const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

type NodeCipherName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** What seal and open use of Node's cipher objects (the typings overload per cipher family). */
interface Sealer {
  setAAD(aad: Uint8Array, options: { plaintextLength: number }): unknown;
  update(data: Uint8Array): Buffer;
  final(): Buffer;
  getAuthTag(): Buffer;
}
interface Opener {
  setAAD(aad: Uint8Array, options: { plaintextLength: number }): unknown;
  setAuthTag(tag: Uint8Array): unknown;
  update(data: Uint8Array): Buffer;
  final(): Buffer;
}

function newSealer(cipher: NodeCipherName, key: Uint8Array, nonce: Uint8Array): Sealer {
  const options = { authTagLength: TAG_LENGTH };
  return cipher === 'chacha20-poly1305' ? createCipheriv(cipher, key, nonce, options) : createCipheriv(cipher, key, nonce, options);
}

function newOpener(cipher: NodeCipherName, key: Uint8Array, nonce: Uint8Array): Opener {
  const options = { authTagLength: TAG_LENGTH };
  return cipher === 'chacha20-poly1305' ? createDecipheriv(cipher, key, nonce, options) : createDecipheriv(cipher, key, nonce, options);
}

/** One traffic key: Node makes a cipher object per record, so the key is all that is kept. */
class NodeAeadKey implements AeadKey {
  private readonly key: Uint8Array;

  constructor(
    private readonly name: AeadName,
    private readonly cipher: NodeCipherName,
    key: Uint8Array,
  ) {
    // A copy: the caller may wipe or reuse its buffer.
    this.key = key.slice();
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + TAG_LENGTH);
    this.sealInto(nonce, plaintext, aad, out);
    return out;
  }

  /**
   * ciphertext ‖ tag (RFC 5116 §5: the tag is appended) into `output`.
   * update() consumes all of the plaintext before anything is written, so the
   * plaintext may lie inside `output`, as the interface allows.
   */
  sealInto(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, output: Uint8Array): void {
    if (nonce.length !== NONCE_LENGTH) throw new Error(`${this.name} nonce must be ${NONCE_LENGTH} bytes`);
    const length = plaintext.length;
    if (output.length !== length + TAG_LENGTH) {
      throw new Error(`${this.name} output must be ${length + TAG_LENGTH} bytes, got ${output.length}`);
    }
    const c = newSealer(this.cipher, this.key, nonce);
    c.setAAD(aad, { plaintextLength: length });
    const body = c.update(plaintext);
    output.set(body);
    // GCM and ChaCha20 are stream modes: final() has nothing left to write, but it computes the tag.
    const rest = c.final();
    if (rest.length > 0) output.set(rest, body.length);
    output.set(c.getAuthTag(), length);
  }

  open(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== NONCE_LENGTH || ciphertext.length < TAG_LENGTH) return null;
    const bodyLength = ciphertext.length - TAG_LENGTH;
    try {
      const d = newOpener(this.cipher, this.key, nonce);
      d.setAuthTag(ciphertext.subarray(bodyLength));
      d.setAAD(aad, { plaintextLength: bodyLength });
      const body = d.update(ciphertext.subarray(0, bodyLength));
      // final() checks the tag (in constant time); nothing is returned before it.
      const rest = d.final();
      if (rest.length === 0) return own(body);
      const out = new Uint8Array(body.length + rest.length);
      out.set(body);
      out.set(rest, body.length);
      return out;
    } catch {
      return null;
    }
  }
}

function makeAead(name: AeadName, keyLength: number, cipher: NodeCipherName): Aead {
  return {
    name,
    keyLength,
    nonceLength: NONCE_LENGTH,
    tagLength: TAG_LENGTH,
    importKey(key: Uint8Array): AeadKey {
      if (key.length !== keyLength) throw new Error(`${name} key must be ${keyLength} bytes, got ${key.length}`);
      return new NodeAeadKey(name, cipher, key);
    },
  };
}

const AEADS: Readonly<Record<AeadName, Aead>> = {
  'AES-128-GCM': makeAead('AES-128-GCM', 16, 'aes-128-gcm'),
  'AES-256-GCM': makeAead('AES-256-GCM', 32, 'aes-256-gcm'),
  'CHACHA20-POLY1305': makeAead('CHACHA20-POLY1305', 32, 'chacha20-poly1305'),
};

// ---------------------------------------------------------------------------
// DER wrappers for raw keys. OpenSSL imports keys as PKCS#8 / SPKI, so raw
// bytes get a fixed prefix (the encoding up to the key octets is constant for
// a given algorithm and key size).

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));

function prefixed(prefix: Uint8Array, key: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + key.length);
  out.set(prefix);
  out.set(key, prefix.length);
  return out;
}

/** PKCS#8 prefixes for id-X25519 1.3.101.110, id-X448 1.3.101.111, id-Ed25519 1.3.101.112 (RFC 8410). */
const X25519_PKCS8 = hex('302e020100300506032b656e04220420');
const X448_PKCS8 = hex('3046020100300506032b656f043a0438');
const ED25519_PKCS8 = hex('302e020100300506032b657004220420');

// ---------------------------------------------------------------------------
// Key exchange


const b64u = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

/**
 * X25519 / X448 (RFC 7748) through KeyObjects; the private key is the raw
 * random bytes. Keys go in and out as JWK: OpenSSL 3 imports DER (PKCS#8,
 * SPKI) through its generic decoder chain, which costs 5–10× more than the
 * raw-key path JWK takes, and this runs on every handshake.
 */
function montgomery(group: number, name: string, length: number, crv: 'X25519' | 'X448', pkcs8: Uint8Array): DhGroup {
  // The key object for a private key we made, so decapsulate need not import it again.
  const imported = new WeakMap<Uint8Array, KeyObject>();
  // A JWK private key must carry `x`, but Node derives the public key from `d`
  // alone (EVP_PKEY_new_raw_private_key), so a well-formed placeholder suffices.
  const placeholderX = b64u(new Uint8Array(length));
  let jwkImport = true;
  const privateObject = (privateKey: Uint8Array): KeyObject => {
    let key = imported.get(privateKey);
    if (!key) {
      if (jwkImport) {
        try {
          key = createPrivateKey({ key: { kty: 'OKP', crv, d: b64u(privateKey), x: placeholderX }, format: 'jwk' });
        } catch {
          // A Node that checks `x` against `d`: take the slower DER path from now on.
          jwkImport = false;
        }
      }
      key ??= createPrivateKey({ key: prefixed(pkcs8, privateKey), format: 'der', type: 'pkcs8' });
      imported.set(privateKey, key);
    }
    return key;
  };
  return {
    group,
    name,
    privateKeyLength: length,
    shareLength: length,
    newPrivateKey: (random) => drawRandom(random, length).slice(),
    publicShare(privateKey) {
      // The private key's JWK carries x too (OpenSSL derived it on import): no public KeyObject needed.
      const x = privateObject(privateKey).export({ format: 'jwk' }).x;
      if (typeof x !== 'string') throw new Error(`${name}: could not export the public key`);
      const share = new Uint8Array(Buffer.from(x, 'base64url'));
      if (share.length !== length) throw new Error(`${name}: exported public key has ${share.length} bytes`);
      return share;
    },
    sharedSecret(privateKey, peerShare) {
      if (peerShare.length !== length) {
        throw new InvalidShareError(`${name} key share must be ${length} bytes, got ${peerShare.length}`);
      }
      let secret: Uint8Array;
      try {
        const publicKey = createPublicKey({ key: { kty: 'OKP', crv, x: b64u(peerShare) }, format: 'jwk' });
        // OpenSSL refuses a derivation whose result is all zeros (a low-order point).
        secret = own(diffieHellman({ privateKey: privateObject(privateKey), publicKey }));
      } catch (cause) {
        throw new InvalidShareError(`${name} key share is a low-order point`, { cause });
      }
      // RFC 8446 §7.4.2: abort on an all-zero shared secret (checked here too, whatever OpenSSL did).
      if (isAllZero(secret)) throw new InvalidShareError(`${name} shared secret is all zeros`);
      return secret;
    },
  };
}

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P384_ORDER =
  0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n;

/** secp256r1 / secp384r1 through Node's ECDH class, which takes raw scalars and points. */
function nist(group: number, name: string, curve: 'prime256v1' | 'secp384r1', scalarLength: number, order: bigint): DhGroup {
  const shareLength = 1 + 2 * scalarLength;
  // One ECDH object per private key: setPrivateKey computes the public point,
  // which encapsulate needs right after the shared secret.
  const objects = new WeakMap<Uint8Array, ECDH>();
  const ecdhFor = (privateKey: Uint8Array): ECDH => {
    let ecdh = objects.get(privateKey);
    if (!ecdh) {
      ecdh = createECDH(curve);
      ecdh.setPrivateKey(privateKey);
      objects.set(privateKey, ecdh);
    }
    return ecdh;
  };
  return {
    group,
    name,
    privateKeyLength: scalarLength,
    shareLength,
    newPrivateKey: (random) => randomScalar(random, scalarLength, order, name),
    publicShare: (privateKey) => own(ecdhFor(privateKey).getPublicKey(null, 'uncompressed')),
    sharedSecret(privateKey, peerShare) {
      // RFC 8446 §4.2.8.2: UncompressedPointRepresentation only (OpenSSL would also take compressed points).
      if (peerShare.length !== shareLength || peerShare[0] !== 0x04) {
        throw new InvalidShareError(`${name} key share must be a ${shareLength}-byte uncompressed point`);
      }
      try {
        // OpenSSL decodes the point and checks that it lies on the curve; the
        // x-coordinate alone is the shared secret (RFC 8446 §7.4.1).
        return own(ecdhFor(privateKey).computeSecret(peerShare));
      } catch (cause) {
        throw new InvalidShareError(`${name} key share is not a valid curve point`, { cause });
      }
    },
  };
}

export const nodeX25519: KeyExchange = dhKeyExchange(montgomery(NamedGroup.x25519, 'x25519', 32, 'X25519', X25519_PKCS8));
export const nodeX448: KeyExchange = dhKeyExchange(montgomery(NamedGroup.x448, 'x448', 56, 'X448', X448_PKCS8));
export const nodeSecp256r1: KeyExchange = dhKeyExchange(nist(NamedGroup.secp256r1, 'secp256r1', 'prime256v1', 32, P256_ORDER));
export const nodeSecp384r1: KeyExchange = dhKeyExchange(nist(NamedGroup.secp384r1, 'secp384r1', 'secp384r1', 48, P384_ORDER));

/** Same preference order as noble.ts: the post-quantum hybrid first. */
const KEY_EXCHANGES: readonly KeyExchange[] = [x25519MlKem768KeyExchange, nodeX25519, nodeSecp256r1, nodeSecp384r1, nodeX448];

// ---------------------------------------------------------------------------
// Key import for signatures (cached per key object)

function base64url(value: bigint): string {
  const bytes = bigIntToBytes(value, Math.max(1, Math.ceil(bitLength(value) / 8)))!;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
}

const privateCache = new WeakMap<PrivateKey, KeyObject>();

/**
 * Imported public keys by their bytes. A client meets the same intermediate
 * (and usually the same leaf) on every connection to a server, each time as
 * a freshly parsed object; importing a P-256 point costs about as much as
 * verifying with it, so the import is kept. Public data only; bounded, least
 * recently used out first (a Map iterates in insertion order).
 */
const PUBLIC_CACHE_SIZE = 512;
const publicCache = new Map<string, KeyObject | null>();

function publicCacheKey(key: PublicKey): string {
  switch (key.kind) {
    case 'ec':
      return `ec:${key.curve}:${b64u(key.point)}`;
    case 'ed25519':
      return `ed25519:${b64u(key.key)}`;
    case 'rsa':
      return `rsa:${key.n.toString(16)}:${key.e.toString(16)}`;
  }
}

/** SEC1 ECPrivateKey (RFC 5915) without the optional public key: OpenSSL recomputes it. */
function ecPrivateDer(curve: 'P-256' | 'P-384', d: Uint8Array): Buffer {
  const oid = curve === 'P-256' ? hex('06082a8648ce3d030107') : hex('06052b81040022');
  const params = new Uint8Array([0xa0, oid.length, ...oid]);
  const body = new Uint8Array([0x02, 0x01, 0x01, 0x04, d.length, ...d, ...params]);
  return Buffer.from([0x30, body.length, ...body]);
}

function importPrivate(key: PrivateKey): KeyObject {
  let object = privateCache.get(key);
  if (object) return object;
  switch (key.kind) {
    case 'ec':
      object = createPrivateKey({ key: ecPrivateDer(key.curve, key.d), format: 'der', type: 'sec1' });
      break;
    case 'ed25519':
      object = createPrivateKey({ key: prefixed(ED25519_PKCS8, key.seed), format: 'der', type: 'pkcs8' });
      break;
    case 'rsa':
      object = createPrivateKey({
        key: {
          kty: 'RSA',
          n: base64url(key.n),
          e: base64url(key.e),
          d: base64url(key.d),
          p: base64url(key.p),
          q: base64url(key.q),
          dp: base64url(key.dp),
          dq: base64url(key.dq),
          qi: base64url(key.qinv),
        },
        format: 'jwk',
      });
      break;
  }
  privateCache.set(key, object);
  return object;
}

/**
 * A certificate's EC point in uncompressed form. X.509 allows compressed
 * points too (RFC 5480 §2.2), and noble takes both, so we decompress (which
 * also checks the point is on the curve); undefined for anything else.
 */
function uncompressedPoint(curve: 'P-256' | 'P-384', point: Uint8Array): Uint8Array | undefined {
  const size = curve === 'P-256' ? 32 : 48;
  if (point.length === 1 + 2 * size && point[0] === 0x04) return point;
  if (point.length !== 1 + size || (point[0] !== 0x02 && point[0] !== 0x03)) return undefined;
  try {
    return own(ECDH.convertKey(point, curve === 'P-256' ? 'prime256v1' : 'secp384r1', undefined, undefined, 'uncompressed') as Buffer);
  } catch {
    return undefined;
  }
}

/** The key object for a peer's public key, or null when OpenSSL refuses it (e.g. a point off the curve). */
function importPublic(key: PublicKey): KeyObject | null {
  const cacheKey = publicCacheKey(key);
  const cached = publicCache.get(cacheKey);
  if (cached !== undefined) {
    publicCache.delete(cacheKey);
    publicCache.set(cacheKey, cached);
    return cached;
  }
  let object: KeyObject | null;
  try {
    switch (key.kind) {
      case 'ec': {
        const point = uncompressedPoint(key.curve, key.point);
        if (!point) {
          object = null;
          break;
        }
        const size = key.curve === 'P-256' ? 32 : 48;
        // JWK, not SPKI DER: OpenSSL 3's DER decoder chain costs twice as much per import.
        object = createPublicKey({
          key: { kty: 'EC', crv: key.curve, x: b64u(point.subarray(1, 1 + size)), y: b64u(point.subarray(1 + size)) },
          format: 'jwk',
        });
        break;
      }
      case 'ed25519':
        object = key.key.length === 32 ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(key.key) }, format: 'jwk' }) : null;
        break;
      case 'rsa':
        object = createPublicKey({ key: { kty: 'RSA', n: base64url(key.n), e: base64url(key.e) }, format: 'jwk' });
        break;
    }
  } catch {
    object = null;
  }
  publicCache.set(cacheKey, object);
  if (publicCache.size > PUBLIC_CACHE_SIZE) publicCache.delete(publicCache.keys().next().value as string);
  return object;
}

// ---------------------------------------------------------------------------
// Signature schemes (RFC 8446 §4.2.3)

function ecdsa(scheme: number, name: string, curve: 'P-256' | 'P-384', hash: 'sha256' | 'sha384', order: bigint): SignatureAlgorithm {
  const scalarLength = curve === 'P-256' ? 32 : 48;
  return {
    scheme,
    name,
    handshake: true,
    supports: (key) => key.kind === 'ec' && key.curve === curve,
    sign(key: PrivateKey, message: Uint8Array): Uint8Array {
      if (key.kind !== 'ec' || key.curve !== curve) throw new Error(`${name} needs a ${curve} private key`);
      if (key.d.length !== scalarLength) throw new Error(`${name}: private scalar must be ${scalarLength} bytes`);
      return own(nodeSign(hash, message, { key: importPrivate(key), dsaEncoding: 'der' }));
    },
    verify(key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
      if (key.kind !== 'ec' || key.curve !== curve) return false;
      // The same strict-DER and range rules as noble.ts, so both providers accept the same set.
      const value = decodeEcdsaSignature(signature, scalarLength + 1);
      if (value === undefined || value.r < 1n || value.r >= order || value.s < 1n || value.s >= order) return false;
      const object = importPublic(key);
      if (!object) return false;
      try {
        return nodeVerify(hash, message, { key: object, dsaEncoding: 'der' }, signature);
      } catch {
        return false;
      }
    },
  };
}

const ED25519_P = 2n ** 255n - 19n;

/**
 * RFC 8032 §5.1.3 decoding rules that OpenSSL does not all enforce for the
 * public key: y < p, and no "negative zero" x (sign bit set when x = 0,
 * i.e. y = ±1).
 */
function isCanonicalEd25519Point(encoded: Uint8Array): boolean {
  const little = new Uint8Array(encoded).reverse();
  const sign = little[0]! >> 7;
  little[0] = little[0]! & 0x7f;
  const y = bytesToBigInt(little);
  if (y >= ED25519_P) return false;
  return !(sign === 1 && (y === 1n || y === ED25519_P - 1n));
}

const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

const ed25519Signature: SignatureAlgorithm = {
  scheme: SignatureScheme.ed25519,
  name: 'ed25519',
  handshake: true,
  supports: (key) => key.kind === 'ed25519',
  sign(key: PrivateKey, message: Uint8Array): Uint8Array {
    if (key.kind !== 'ed25519') throw new Error('ed25519 needs an Ed25519 private key');
    if (key.seed.length !== 32) throw new Error('Ed25519 private key must be a 32-byte seed');
    return own(nodeSign(null, message, importPrivate(key)));
  },
  verify(key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
    if (key.kind !== 'ed25519' || key.key.length !== 32 || signature.length !== 64) return false;
    if (!isCanonicalEd25519Point(key.key) || !isCanonicalEd25519Point(signature.subarray(0, 32))) return false;
    // S < L (§5.1.7), so signatures are not malleable.
    if (bytesToBigInt(signature.slice(32).reverse()) >= ED25519_L) return false;
    const object = importPublic(key);
    if (!object) return false;
    try {
      return nodeVerify(null, message, object, signature);
    } catch {
      return false;
    }
  },
};

type RsaHash = 'sha256' | 'sha384' | 'sha512';
const RSA_HASH_LENGTH: Readonly<Record<RsaHash, number>> = { sha256: 32, sha384: 48, sha512: 64 };
const RSA_HASH_NAME: Readonly<Record<RsaHash, HashName>> = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };

function rsaFits(key: PublicKey | PrivateKey, policy: RsaPolicy, hash: RsaHash, pss: boolean): boolean {
  if (key.kind !== 'rsa' || !isAcceptablePublicKey(key, policy)) return false;
  return !pss || pssFitsModulus(bitLength(key.n), HASHES[RSA_HASH_NAME[hash]]);
}

/** Private keys already checked against one provider's policy (p·q = n and the modulus bounds). */
type CheckedKeys = WeakSet<PrivateKey>;

function assertRsaSigningKey(key: PrivateKey, policy: RsaPolicy, checkedRsaKeys: CheckedKeys, name: string): void {
  if (key.kind !== 'rsa') throw new Error(`${name} needs an RSA private key`);
  if (checkedRsaKeys.has(key)) return;
  if (!isAcceptablePublicKey(key, policy)) {
    throw new Error(`RSA signing key refused: need an odd modulus of ${Math.max(policy.minModulusBits, RSA_ABSOLUTE_MIN_MODULUS_BITS)} bits or more and an odd public exponent 3..2^32-1`);
  }
  if (key.p * key.q !== key.n) throw new Error('RSA private key is inconsistent: p·q ≠ n');
  checkedRsaKeys.add(key);
}

function rsa(scheme: number, name: string, hash: RsaHash, pss: boolean, policy: RsaPolicy, checked: CheckedKeys): SignatureAlgorithm {
  const saltLength = RSA_HASH_LENGTH[hash];
  // RFC 8446 §4.2.3: PSS with MGF1 over the same hash and a salt as long as the hash.
  const padding = pss
    ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }
    : { padding: constants.RSA_PKCS1_PADDING };
  return {
    scheme,
    name,
    // PKCS#1 v1.5 is for certificates only in TLS 1.3 (§4.2.3).
    handshake: pss,
    supports: (key) => rsaFits(key, policy, hash, pss),
    sign(key: PrivateKey, message: Uint8Array): Uint8Array {
      assertRsaSigningKey(key, policy, checked, name);
      if (pss && !rsaFits(key, policy, hash, true)) throw new Error(`RSA-PSS with ${hash} needs a larger modulus`);
      return own(nodeSign(hash, message, { key: importPrivate(key), ...padding }));
    },
    verify(key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
      if (!rsaFits(key, policy, hash, pss) || key.kind !== 'rsa') return false;
      if (signature.length !== Math.ceil(bitLength(key.n) / 8)) return false;
      const object = importPublic(key);
      if (!object) return false;
      try {
        return nodeVerify(hash, message, { key: object, ...padding }, signature);
      } catch {
        return false;
      }
    },
  };
}

function createSignatureAlgorithms(policy: RsaPolicy): SignatureAlgorithm[] {
  const S = SignatureScheme;
  const checked: CheckedKeys = new WeakSet();
  return [
    ecdsa(S.ecdsa_secp256r1_sha256, 'ecdsa_secp256r1_sha256', 'P-256', 'sha256', P256_ORDER),
    ecdsa(S.ecdsa_secp384r1_sha384, 'ecdsa_secp384r1_sha384', 'P-384', 'sha384', P384_ORDER),
    ed25519Signature,
    rsa(S.rsa_pss_rsae_sha256, 'rsa_pss_rsae_sha256', 'sha256', true, policy, checked),
    rsa(S.rsa_pss_rsae_sha384, 'rsa_pss_rsae_sha384', 'sha384', true, policy, checked),
    rsa(S.rsa_pss_rsae_sha512, 'rsa_pss_rsae_sha512', 'sha512', true, policy, checked),
    rsa(S.rsa_pkcs1_sha256, 'rsa_pkcs1_sha256', 'sha256', false, policy, checked),
    rsa(S.rsa_pkcs1_sha384, 'rsa_pkcs1_sha384', 'sha384', false, policy, checked),
    rsa(S.rsa_pkcs1_sha512, 'rsa_pkcs1_sha512', 'sha512', false, policy, checked),
  ];
}

// ---------------------------------------------------------------------------
// The provider

export interface NodeCryptoOptions {
  /** Random source for key shares, ticket keys and the handshake randoms (default: the OS CSPRNG). */
  random?: RandomSource;
  /** Smallest RSA modulus accepted, in bits: default 2048, never below 1024 (as noble.ts). */
  rsaMinModulusBits?: number;
}

export function createNodeCrypto(options: NodeCryptoOptions = {}): CryptoProvider {
  return assembleProvider({
    name: 'node',
    random: options.random ?? nodeRandom,
    hashes: HASHES,
    aeads: AEADS,
    hmac: mac,
    hkdfExtract,
    hkdfExpand,
    keyExchanges: KEY_EXCHANGES,
    signatures: createSignatureAlgorithms({ minModulusBits: rsaMinModulusBits(options.rsaMinModulusBits) }),
  });
}

/** The native provider: OS randomness, RSA moduli ≥ 2048 bits. */
export const nodeCrypto: CryptoProvider = createNodeCrypto();
