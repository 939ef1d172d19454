/**
 * The default CryptoProvider, built on the audited pure-JS @noble libraries
 * (hashes, ciphers, curves, post-quantum) plus the BigInt RSA of rsa.ts.
 * It runs unchanged wherever JavaScript runs: it needs nothing from the host
 * except `crypto.getRandomValues` for the default random source.
 *
 * What lives where:
 *   hashes, AEADs ................... this file
 *   HMAC, HKDF ...................... nobleHmac.ts (prepared HMAC keys, no per-call hash objects)
 *   random source ................... randomPool.ts (Web Crypto through a small pool)
 *   (EC)DH groups ................... ecdh.ts, mlkemHybrid.ts
 *   signature schemes ............... signatures.ts (ECDSA DER in ecdsaDer.ts, RSA in rsa.ts)
 */
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { assembleProvider, rsaMinModulusBits } from './assemble.js';
import type {
  Aead,
  AeadKey,
  AeadName,
  CryptoProvider,
  Hash,
  HashContext,
  HashName,
  KeyExchange,
  RandomSource,
} from './provider.js';
import { isAllZero, secp256r1KeyExchange, secp384r1KeyExchange, x25519KeyExchange, x448KeyExchange } from './ecdh.js';
import { x25519MlKem768KeyExchange } from './mlkemHybrid.js';
import { createSignatureAlgorithms } from './signatures.js';
import { createPooledRandom } from './randomPool.js';
import { expandKeyFor, hkdfExpandWith, hmacOnce, HmacKey, poolFor, type NobleHash, type StatePool } from './nobleHmac.js';

// ---------------------------------------------------------------------------
// Random

/**
 * The platform CSPRNG (Web Crypto `getRandomValues`); short requests are
 * served from a pool that never hands out the same bytes twice (see
 * randomPool.ts for why that is safe).
 */
export const systemRandom: RandomSource = createPooledRandom();

// ---------------------------------------------------------------------------
// Hashes

type NobleHashState = ReturnType<NobleHash['create']>;

/**
 * An incremental hash. `digest()` does not end the context: it finalises a
 * copy (in a reused scratch state, see nobleHmac.ts), so the transcript can
 * keep absorbing messages after taking a hash.
 */
class NobleHashContext implements HashContext {
  constructor(
    private readonly state: NobleHashState,
    private readonly pool: StatePool,
  ) {}
  update(data: Uint8Array): HashContext {
    this.state.update(data);
    return this;
  }
  digest(): Uint8Array {
    return this.pool.digestOfCopy(this.state);
  }
  clone(): HashContext {
    return new NobleHashContext(this.state.clone(), this.pool);
  }
}

function makeHash(name: HashName, impl: NobleHash): Hash {
  const pool = poolFor(impl);
  return {
    name,
    outputLength: impl.outputLen,
    digest: (data) => pool.digest(data),
    create: () => new NobleHashContext(impl.create(), pool),
  };
}

const NOBLE_HASHES: Readonly<Record<HashName, NobleHash>> = {
  'SHA-256': sha256,
  'SHA-384': sha384,
  'SHA-512': sha512,
};

const HASHES: Readonly<Record<HashName, Hash>> = {
  'SHA-256': makeHash('SHA-256', sha256),
  'SHA-384': makeHash('SHA-384', sha384),
  'SHA-512': makeHash('SHA-512', sha512),
};

function nobleHashFor(hash: Hash): NobleHash {
  const impl = NOBLE_HASHES[hash.name];
  if (impl === undefined) throw new Error(`unsupported hash ${String(hash.name)}`);
  return impl;
}

// ---------------------------------------------------------------------------
// HKDF (RFC 5869)

/**
 * HMAC keys for an all-zero salt, made once: HKDF-Extract with HashLen zero
 * octets as salt is how the Early Secret is computed (RFC 8446 §7.1). Any
 * all-zero key of at most one block pads to the same HMAC block (RFC 2104 §2),
 * so the empty salt of RFC 5869 §2.2 is the same key.
 */
const ZERO_SALT_KEYS = new Map<NobleHash, HmacKey>();

function zeroSaltKey(impl: NobleHash, salt: Uint8Array): HmacKey | undefined {
  // The salt may be secret (a derived secret): isAllZero reads every byte, no early exit.
  if (salt.length > impl.blockLen || !isAllZero(salt)) return undefined;
  let key = ZERO_SALT_KEYS.get(impl);
  if (key === undefined) {
    key = new HmacKey(impl, new Uint8Array(impl.outputLen));
    ZERO_SALT_KEYS.set(impl, key);
  }
  return key;
}

/** HKDF-Extract (§2.2): PRK = HMAC-Hash(salt, IKM). An empty salt acts as HashLen zeros. */
function hkdfExtract(hash: Hash, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  const impl = nobleHashFor(hash);
  const zero = zeroSaltKey(impl, salt);
  return zero !== undefined ? zero.mac(ikm) : hmacOnce(impl, salt, ikm);
}

/** HKDF-Expand (§2.3): at most 255·HashLen octets of output keying material from a PRK of ≥ HashLen octets. */
function hkdfExpand(hash: Hash, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const max = 255 * hash.outputLength;
  if (!Number.isSafeInteger(length) || length < 0 || length > max) {
    throw new Error(`HKDF-Expand: length must be 0..${max} for ${hash.name}, got ${length}`);
  }
  if (prk.length < hash.outputLength) {
    // RFC 5869 §2.3: "PRK: a pseudorandom key of at least HashLen octets".
    throw new Error(`HKDF-Expand: PRK must be at least ${hash.outputLength} bytes for ${hash.name}, got ${prk.length}`);
  }
  if (length === 0) return new Uint8Array(0);
  // The key schedule expands one secret several times in a row (§7.3 key, iv, finished):
  // expandKeyFor reuses its HMAC midstates within the current step.
  return hkdfExpandWith(expandKeyFor(nobleHashFor(hash), prk), info, length);
}

// ---------------------------------------------------------------------------
// AEADs (RFC 5116; AES-GCM per NIST SP 800-38D, ChaCha20-Poly1305 per RFC 8439)

const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

type NobleAeadConstructor = (key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array) => {
  encrypt(plaintext: Uint8Array): Uint8Array;
  decrypt(ciphertext: Uint8Array): Uint8Array;
};

function makeAead(name: AeadName, keyLength: number, construct: NobleAeadConstructor): Aead {
  return {
    name,
    keyLength,
    nonceLength: NONCE_LENGTH,
    tagLength: TAG_LENGTH,
    importKey(key: Uint8Array): AeadKey {
      if (key.length !== keyLength) throw new Error(`${name} key must be ${keyLength} bytes, got ${key.length}`);
      // Our own copy: the caller may wipe or reuse its buffer.
      const k = key.slice();
      return {
        seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
          if (nonce.length !== NONCE_LENGTH) throw new Error(`${name} nonce must be ${NONCE_LENGTH} bytes`);
          return construct(k, nonce, aad).encrypt(plaintext);
        },
        open(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null {
          if (nonce.length !== NONCE_LENGTH || ciphertext.length < TAG_LENGTH) return null;
          try {
            return construct(k, nonce, aad).decrypt(ciphertext);
          } catch {
            return null; // authentication failed (noble compares tags in constant time)
          }
        },
      };
    },
  };
}

const AEADS: Readonly<Record<AeadName, Aead>> = {
  'AES-128-GCM': makeAead('AES-128-GCM', 16, gcm),
  'AES-256-GCM': makeAead('AES-256-GCM', 32, gcm),
  'CHACHA20-POLY1305': makeAead('CHACHA20-POLY1305', 32, chacha20poly1305),
};

// ---------------------------------------------------------------------------
// The provider

export interface NobleCryptoOptions {
  /** Random source for key generation, salts, nonces and blinding (default: Web Crypto). */
  random?: RandomSource;
  /**
   * Smallest RSA modulus accepted for signing and verification, in bits.
   * Default 2048; may be lowered to 1024 (never further), e.g. to replay the
   * RFC 8448 traces whose server key is RSA-1024.
   */
  rsaMinModulusBits?: number;
}

/** Key exchange groups in preference order: post-quantum hybrid first. */
const KEY_EXCHANGES: readonly KeyExchange[] = [
  x25519MlKem768KeyExchange,
  x25519KeyExchange,
  secp256r1KeyExchange,
  secp384r1KeyExchange,
  x448KeyExchange,
];

export function createNobleCrypto(options: NobleCryptoOptions = {}): CryptoProvider {
  const signatures = createSignatureAlgorithms(
    { sha256: HASHES['SHA-256'], sha384: HASHES['SHA-384'], sha512: HASHES['SHA-512'] },
    { minModulusBits: rsaMinModulusBits(options.rsaMinModulusBits) },
  );
  return assembleProvider({
    name: 'noble',
    random: options.random ?? systemRandom,
    hashes: HASHES,
    aeads: AEADS,
    hmac: (hash, key, data) => hmacOnce(nobleHashFor(hash), key, data),
    hkdfExtract,
    hkdfExpand,
    keyExchanges: KEY_EXCHANGES,
    signatures,
  });
}

/** The default provider: system randomness, RSA moduli ≥ 2048 bits. */
export const nobleCrypto: CryptoProvider = createNobleCrypto();
