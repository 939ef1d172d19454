/**
 * The TLS 1.3 signature schemes (RFC 8446 §4.2.3) as `SignatureAlgorithm`s:
 * ECDSA on P-256 / P-384 (noble), Ed25519 (noble, RFC 8032), RSASSA-PSS with
 * rsaEncryption keys and RSASSA-PKCS1-v1_5 (rsa.ts).
 *
 * Every `verify` returns false — never throws — for a key of the wrong kind,
 * a malformed key or a malformed signature: all of these are attacker input.
 * SHA-1 schemes are deliberately not offered.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { SignatureScheme } from '../registry.js';
import { bigIntToBytesExact, bitLength, bytesToBigInt } from './bigint.js';
import { decodeEcdsaSignature, encodeEcdsaSignature } from './ecdsaDer.js';
import { drawRandom } from './ecdh.js';
import type { Hash, PrivateKey, PublicKey, RandomSource, SignatureAlgorithm } from './provider.js';
import {
  isAcceptablePublicKey,
  pssFitsModulus,
  rsaPkcs1Sign,
  rsaPkcs1Verify,
  rsaPssSign,
  rsaPssVerify,
  type RsaPolicy,
} from './rsa.js';

// ---------------------------------------------------------------------------
// ECDSA (RFC 8446 §4.2.3: "ecdsa_secp256r1_sha256 ... ECDSA ... DER-encoded")

type Weierstrass = typeof p256;

function ecdsa(
  scheme: number,
  name: string,
  curve: Weierstrass,
  curveName: 'P-256' | 'P-384',
  hash: Hash,
): SignatureAlgorithm {
  const n = curve.Point.Fn.ORDER;
  const scalarLength = curve.lengths.secretKey ?? 32;
  return {
    scheme,
    name,
    handshake: true,
    supports: (key) => key.kind === 'ec' && key.curve === curveName,
    sign(key: PrivateKey, message: Uint8Array, random: RandomSource): Uint8Array {
      if (key.kind !== 'ec' || key.curve !== curveName) throw new Error(`${name} needs a ${curveName} private key`);
      if (key.d.length !== scalarLength) throw new Error(`${name}: private scalar must be ${scalarLength} bytes`);
      // Hedged signing: RFC 6979 deterministic nonce with fresh random bytes
      // mixed in (RFC 6979 §3.6), so a weak RNG cannot leak the key and a
      // fault cannot be repeated on identical inputs. Low-S is produced (any
      // valid S is accepted by verifiers, and low-S is the canonical one).
      const compact = curve.sign(hash.digest(message), key.d, {
        prehash: false,
        lowS: true,
        format: 'compact',
        extraEntropy: drawRandom(random, scalarLength),
      });
      return encodeEcdsaSignature({
        r: bytesToBigInt(compact.subarray(0, scalarLength)),
        s: bytesToBigInt(compact.subarray(scalarLength)),
      });
    },
    verify(key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
      if (key.kind !== 'ec' || key.curve !== curveName) return false;
      const value = decodeEcdsaSignature(signature, scalarLength + 1);
      if (value === undefined) return false;
      if (value.r < 1n || value.r >= n || value.s < 1n || value.s >= n) return false;
      const compact = new Uint8Array(2 * scalarLength);
      compact.set(bigIntToBytesExact(value.r, scalarLength));
      compact.set(bigIntToBytesExact(value.s, scalarLength), scalarLength);
      try {
        // lowS: false — TLS and X.509 never required low-S, and real signers
        // (OpenSSL among them) produce high-S half the time (noble defaults to
        // rejecting them, which would fail those handshakes).
        return curve.verify(compact, hash.digest(message), key.point, {
          prehash: false,
          lowS: false,
          format: 'compact',
        });
      } catch {
        return false; // malformed public point
      }
    },
  };
}

// ---------------------------------------------------------------------------
// Ed25519 (RFC 8032 §5.1; RFC 8446 §4.2.3 "ed25519")

const ED25519_KEY_LENGTH = 32;
const ED25519_SIGNATURE_LENGTH = 64;

const ed25519Signature: SignatureAlgorithm = {
  scheme: SignatureScheme.ed25519,
  name: 'ed25519',
  handshake: true,
  supports: (key) => key.kind === 'ed25519',
  sign(key: PrivateKey, message: Uint8Array): Uint8Array {
    if (key.kind !== 'ed25519') throw new Error('ed25519 needs an Ed25519 private key');
    if (key.seed.length !== ED25519_KEY_LENGTH) throw new Error('Ed25519 private key must be a 32-byte seed');
    // EdDSA derives its nonce from the key and message (RFC 8032 §5.1.6): no randomness needed.
    return ed25519.sign(message, key.seed);
  },
  verify(key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
    if (key.kind !== 'ed25519') return false;
    if (key.key.length !== ED25519_KEY_LENGTH || signature.length !== ED25519_SIGNATURE_LENGTH) return false;
    try {
      // zip215: false — the RFC 8032 §5.1.7 rules: non-canonical encodings of
      // R or A, and S ≥ L, are rejected (so signatures are not malleable).
      return ed25519.verify(signature, message, key.key, { zip215: false });
    } catch {
      return false;
    }
  },
};

// ---------------------------------------------------------------------------
// RSA (rsa.ts)

function rsaFits(key: PublicKey | PrivateKey, policy: RsaPolicy, hash: Hash, pss: boolean): boolean {
  if (key.kind !== 'rsa') return false;
  if (!isAcceptablePublicKey(key, policy)) return false;
  return !pss || pssFitsModulus(bitLength(key.n), hash);
}

function rsaPss(scheme: number, name: string, hash: Hash, policy: RsaPolicy): SignatureAlgorithm {
  return {
    scheme,
    name,
    handshake: true,
    supports: (key) => rsaFits(key, policy, hash, true),
    sign(key: PrivateKey, message: Uint8Array, random: RandomSource): Uint8Array {
      if (key.kind !== 'rsa') throw new Error(`${name} needs an RSA private key`);
      return rsaPssSign(key, hash, message, random, policy);
    },
    verify(key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
      if (key.kind !== 'rsa') return false;
      return rsaPssVerify(key, hash, message, signature, policy);
    },
  };
}

function rsaPkcs1(scheme: number, name: string, hash: Hash, policy: RsaPolicy): SignatureAlgorithm {
  return {
    scheme,
    name,
    // RFC 8446 §4.2.3: PKCS#1 v1.5 "refer solely to signatures which appear in
    // certificates ... and are not defined for use in signed TLS handshake messages".
    handshake: false,
    supports: (key) => rsaFits(key, policy, hash, false),
    sign(key: PrivateKey, message: Uint8Array, random: RandomSource): Uint8Array {
      if (key.kind !== 'rsa') throw new Error(`${name} needs an RSA private key`);
      return rsaPkcs1Sign(key, hash, message, random, policy);
    },
    verify(key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
      if (key.kind !== 'rsa') return false;
      return rsaPkcs1Verify(key, hash, message, signature, policy);
    },
  };
}

export interface SignatureHashes {
  readonly sha256: Hash;
  readonly sha384: Hash;
  readonly sha512: Hash;
}

/** All schemes, in the provider's preference order. */
export function createSignatureAlgorithms(hashes: SignatureHashes, rsaPolicy: RsaPolicy): SignatureAlgorithm[] {
  const { sha256, sha384, sha512 } = hashes;
  const S = SignatureScheme;
  return [
    ecdsa(S.ecdsa_secp256r1_sha256, 'ecdsa_secp256r1_sha256', p256, 'P-256', sha256),
    ecdsa(S.ecdsa_secp384r1_sha384, 'ecdsa_secp384r1_sha384', p384, 'P-384', sha384),
    ed25519Signature,
    rsaPss(S.rsa_pss_rsae_sha256, 'rsa_pss_rsae_sha256', sha256, rsaPolicy),
    rsaPss(S.rsa_pss_rsae_sha384, 'rsa_pss_rsae_sha384', sha384, rsaPolicy),
    rsaPss(S.rsa_pss_rsae_sha512, 'rsa_pss_rsae_sha512', sha512, rsaPolicy),
    rsaPkcs1(S.rsa_pkcs1_sha256, 'rsa_pkcs1_sha256', sha256, rsaPolicy),
    rsaPkcs1(S.rsa_pkcs1_sha384, 'rsa_pkcs1_sha384', sha384, rsaPolicy),
    rsaPkcs1(S.rsa_pkcs1_sha512, 'rsa_pkcs1_sha512', sha512, rsaPolicy),
  ];
}
