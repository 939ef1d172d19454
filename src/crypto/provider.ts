/**
 * The CryptoProvider interface: everything the protocol needs from
 * cryptography, and nothing about TLS messages or state.
 *
 * Hashes, HMAC, HKDF and AEADs are synchronous: they sit on the record
 * layer's hot path and every provider we target (noble, node:crypto) has
 * them synchronously. Key exchange and signatures may return Promises so
 * that an asynchronous backend (WebCrypto, an HSM, a remote signer) fits;
 * the handshake waits in its state until they settle.
 */

import type { MaybePromise } from '../util/steps.js';
export type { MaybePromise };

/** A source of cryptographically secure random bytes (injectable for tests). */
export type RandomSource = (length: number) => Uint8Array;

export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** An incremental hash; `clone` lets the transcript take a digest mid-stream. */
export interface HashContext {
  update(data: Uint8Array): HashContext;
  /**
   * The hash of everything absorbed so far. It does NOT end the context:
   * `update` may follow and later digests cover the longer input. The
   * transcript (RFC 8446 §4.4.1) relies on this to take Transcript-Hash at
   * several points of one running hash without cloning first.
   */
  digest(): Uint8Array;
  clone(): HashContext;
}

export interface Hash {
  readonly name: HashName;
  /** Output length in bytes (32 or 48 for the TLS 1.3 suites). */
  readonly outputLength: number;
  digest(data: Uint8Array): Uint8Array;
  create(): HashContext;
}

export type AeadName = 'AES-128-GCM' | 'AES-256-GCM' | 'CHACHA20-POLY1305';

/** An AEAD with a fixed key, made once per traffic key (RFC 8446 §5.2). */
export interface AeadKey {
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /**
   * Optional: seal() writing ciphertext ‖ tag into `output` (exactly
   * plaintext.length + tagLength bytes) instead of a fresh array, so the
   * record layer can seal straight into the record it sends. `plaintext` may
   * lie inside `output` (the record layer assembles it there): the bytes
   * written must be those seal() returns whatever the overlap, e.g. by
   * reading all of the plaintext before writing. Without it, the record
   * layer calls seal() and copies.
   */
  sealInto?(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, output: Uint8Array): void;
  /**
   * The plaintext, or `null` when authentication fails. Never throws on bad
   * input. Must not write into `ciphertext`: the record layer may pass a view
   * of the caller's input buffer.
   */
  open(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

export interface Aead {
  readonly name: AeadName;
  readonly keyLength: number;
  readonly nonceLength: number;
  readonly tagLength: number;
  importKey(key: Uint8Array): AeadKey;
}

/** Public keys as X.509 SubjectPublicKeyInfo describes them. */
export type PublicKey =
  | { readonly kind: 'ec'; readonly curve: 'P-256' | 'P-384'; readonly point: Uint8Array }
  | { readonly kind: 'ed25519'; readonly key: Uint8Array }
  | { readonly kind: 'rsa'; readonly n: bigint; readonly e: bigint };

/** Private keys as PKCS#8 / SEC1 / PKCS#1 describe them. */
export type PrivateKey =
  | { readonly kind: 'ec'; readonly curve: 'P-256' | 'P-384'; readonly d: Uint8Array }
  | { readonly kind: 'ed25519'; readonly seed: Uint8Array }
  | {
      readonly kind: 'rsa';
      readonly n: bigint;
      readonly e: bigint;
      readonly d: bigint;
      readonly p: bigint;
      readonly q: bigint;
      readonly dp: bigint;
      readonly dq: bigint;
      readonly qinv: bigint;
    };

/**
 * A signature scheme (RFC 8446 §4.2.3). `message` is the full content to be
 * signed (the scheme hashes it itself), e.g. the CertificateVerify content of
 * §4.4.3 or a certificate's tbsCertificate.
 */
export interface SignatureAlgorithm {
  /** The SignatureScheme code point. */
  readonly scheme: number;
  readonly name: string;
  /** Whether TLS 1.3 allows it in CertificateVerify (PKCS#1 v1.5 is certificates-only). */
  readonly handshake: boolean;
  /** Does this key type fit this scheme (e.g. P-256 key for ecdsa_secp256r1_sha256)? */
  supports(key: PublicKey | PrivateKey): boolean;
  sign(key: PrivateKey, message: Uint8Array, random: RandomSource): MaybePromise<Uint8Array>;
  /** False on any invalid signature or key; never throws on attacker input. */
  verify(key: PublicKey, message: Uint8Array, signature: Uint8Array): MaybePromise<boolean>;
}

/**
 * A key exchange shaped as a KEM so that (EC)DH and ML-KEM hybrids fit one
 * interface. For ECDH, "encapsulate" is: make an ephemeral key pair and run DH
 * against the client's share.
 */
export interface KeyExchange {
  /** The NamedGroup code point. */
  readonly group: number;
  readonly name: string;
  /** Client: a key pair whose public part is the key_share we send. */
  generate(random: RandomSource): MaybePromise<KeyExchangePair>;
  /** Client: the shared secret from our private key and the server's share. */
  decapsulate(privateKey: Uint8Array, serverShare: Uint8Array): MaybePromise<Uint8Array>;
  /** Server: from the client's share, our share to send and the shared secret. */
  encapsulate(clientShare: Uint8Array, random: RandomSource): MaybePromise<KeyExchangeEncapsulation>;
}

export interface KeyExchangePair {
  readonly share: Uint8Array;
  readonly privateKey: Uint8Array;
}

export interface KeyExchangeEncapsulation {
  readonly share: Uint8Array;
  readonly secret: Uint8Array;
}

/**
 * Thrown by key exchange when the peer's share is malformed or yields a
 * degenerate secret (e.g. an x25519 all-zero output); the handshake maps it
 * to `illegal_parameter` (RFC 8446 §4.2.8).
 */
export class InvalidShareError extends Error {
  override readonly name = 'InvalidShareError';
}

export interface CryptoProvider {
  readonly name: string;
  hash(name: HashName): Hash;
  hmac(hash: Hash, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-Extract (RFC 5869 §2.2). */
  hkdfExtract(hash: Hash, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand (RFC 5869 §2.3). */
  hkdfExpand(hash: Hash, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  aead(name: AeadName): Aead;
  /** The key exchange for a NamedGroup code point, or undefined if unsupported. */
  keyExchange(group: number): KeyExchange | undefined;
  /** The signature algorithm for a SignatureScheme code point, or undefined. */
  signature(scheme: number): SignatureAlgorithm | undefined;
  /** Groups and schemes this provider implements, in its preference order. */
  readonly groups: readonly number[];
  readonly signatureSchemes: readonly number[];
  random: RandomSource;
}
