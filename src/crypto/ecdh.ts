/**
 * (EC)DH key exchange for TLS 1.3 (RFC 8446 §4.2.8.2, §7.4.2) on noble,
 * shaped as the KEM-like `KeyExchange` of provider.ts.
 *
 * Private keys come straight from the injected random source, so a test can
 * replay a trace (RFC 8448) by making `random` return the trace's key:
 *
 * - x25519 / x448 (RFC 7748): the private key IS the 32 / 56 random bytes
 *   (clamping happens inside the scalar multiplication).
 * - secp256r1 / secp384r1: the private key is the big-endian scalar read from
 *   32 / 48 random bytes; a value of 0 or ≥ n is rejected and fresh bytes are
 *   drawn (rejection sampling, FIPS 186's "testing candidates" method).
 *   The chance of even one retry is below 2^-32, and injecting a valid scalar
 *   reproduces it exactly.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { x448 } from '@noble/curves/ed448.js';
import { NamedGroup } from '../registry.js';
import { bytesToBigInt } from './bigint.js';
import {
  InvalidShareError,
  type KeyExchange,
  type KeyExchangeEncapsulation,
  type KeyExchangePair,
  type RandomSource,
} from './provider.js';

/** Draws exactly `length` bytes, refusing a source that returns another length. */
export function drawRandom(random: RandomSource, length: number): Uint8Array {
  const bytes = random(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new Error(`random source returned ${bytes.length} bytes, wanted ${length}`);
  }
  return bytes;
}

/** Constant-time check for the all-zero shared secret of RFC 8446 §7.4.2. */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/**
 * A private scalar in [1, n) from the random source, by rejection sampling
 * (FIPS 186's "testing candidates"): an injected valid scalar is used as is.
 */
export function randomScalar(random: RandomSource, length: number, order: bigint, name: string): Uint8Array {
  for (let attempt = 0; attempt < 64; attempt++) {
    const candidate = drawRandom(random, length).slice();
    const d = bytesToBigInt(candidate);
    if (d >= 1n && d < order) return candidate;
  }
  throw new Error(`${name}: random source keeps producing invalid scalars`);
}

/** The raw Diffie-Hellman operations one group needs. */
export interface DhGroup {
  readonly group: number;
  readonly name: string;
  readonly privateKeyLength: number;
  readonly shareLength: number;
  newPrivateKey(random: RandomSource): Uint8Array;
  publicShare(privateKey: Uint8Array): Uint8Array;
  /** The shared secret; throws InvalidShareError for a bad peer share. */
  sharedSecret(privateKey: Uint8Array, peerShare: Uint8Array): Uint8Array;
}

/** Wraps DH operations as the KEM-shaped KeyExchange (server side = ephemeral DH). */
export function dhKeyExchange(dh: DhGroup): KeyExchange {
  return {
    group: dh.group,
    name: dh.name,
    generate(random: RandomSource): KeyExchangePair {
      const privateKey = dh.newPrivateKey(random);
      return { privateKey, share: dh.publicShare(privateKey) };
    },
    decapsulate(privateKey: Uint8Array, serverShare: Uint8Array): Uint8Array {
      if (privateKey.length !== dh.privateKeyLength) throw new Error(`${dh.name}: private key must be ${dh.privateKeyLength} bytes`);
      return dh.sharedSecret(privateKey, serverShare);
    },
    encapsulate(clientShare: Uint8Array, random: RandomSource): KeyExchangeEncapsulation {
      // Check the peer's share before spending randomness on our key.
      if (clientShare.length !== dh.shareLength) {
        throw new InvalidShareError(`${dh.name} key share must be ${dh.shareLength} bytes, got ${clientShare.length}`);
      }
      const privateKey = dh.newPrivateKey(random);
      const secret = dh.sharedSecret(privateKey, clientShare);
      return { share: dh.publicShare(privateKey), secret };
    },
  };
}

// ---------------------------------------------------------------------------
// X25519 / X448 (RFC 7748, RFC 8446 §7.4.2)

type Montgomery = typeof x25519;

function montgomeryGroup(group: number, name: string, curve: Montgomery, length: number): DhGroup {
  return {
    group,
    name,
    privateKeyLength: length,
    shareLength: length,
    newPrivateKey: (random) => drawRandom(random, length).slice(),
    publicShare: (privateKey) => curve.getPublicKey(privateKey),
    sharedSecret(privateKey, peerShare) {
      if (peerShare.length !== length) {
        throw new InvalidShareError(`${name} key share must be ${length} bytes, got ${peerShare.length}`);
      }
      let secret: Uint8Array;
      try {
        // noble refuses low-order points up front (they would give an all-zero secret).
        secret = curve.getSharedSecret(privateKey, peerShare);
      } catch (cause) {
        throw new InvalidShareError(`${name} key share is a low-order point`, { cause });
      }
      // RFC 8446 §7.4.2: "MUST check whether the computed Diffie-Hellman
      // shared secret is the all-zero value and abort if so".
      if (isAllZero(secret)) throw new InvalidShareError(`${name} shared secret is all zeros`);
      return secret;
    },
  };
}

// ---------------------------------------------------------------------------
// secp256r1 / secp384r1 (RFC 8446 §4.2.8.2: uncompressed points only)

type Weierstrass = typeof p256;

function nistGroup(group: number, name: string, curve: Weierstrass): DhGroup {
  const n = curve.Point.Fn.ORDER;
  const scalarLength = curve.lengths.secretKey ?? 32;
  const shareLength = 1 + 2 * scalarLength;
  return {
    group,
    name,
    privateKeyLength: scalarLength,
    shareLength,
    newPrivateKey: (random) => randomScalar(random, scalarLength, n, name),
    publicShare: (privateKey) => curve.getPublicKey(privateKey, false),
    sharedSecret(privateKey, peerShare) {
      // UncompressedPointRepresentation: legacy_form = 4, then X and Y.
      if (peerShare.length !== shareLength || peerShare[0] !== 0x04) {
        throw new InvalidShareError(`${name} key share must be a ${shareLength}-byte uncompressed point`);
      }
      let compressed: Uint8Array;
      try {
        // noble decodes the point and checks it lies on the curve and is not
        // the identity before multiplying (the checks of RFC 8446 §4.2.8.2).
        compressed = curve.getSharedSecret(privateKey, peerShare, true);
      } catch (cause) {
        throw new InvalidShareError(`${name} key share is not a valid curve point`, { cause });
      }
      // The shared secret is the x-coordinate alone (RFC 8446 §7.4.1).
      return compressed.slice(1);
    },
  };
}

export const x25519Dh: DhGroup = montgomeryGroup(NamedGroup.x25519, 'x25519', x25519, 32);
export const x448Dh: DhGroup = montgomeryGroup(NamedGroup.x448, 'x448', x448, 56);
export const secp256r1Dh: DhGroup = nistGroup(NamedGroup.secp256r1, 'secp256r1', p256);
export const secp384r1Dh: DhGroup = nistGroup(NamedGroup.secp384r1, 'secp384r1', p384);

export const x25519KeyExchange: KeyExchange = dhKeyExchange(x25519Dh);
export const x448KeyExchange: KeyExchange = dhKeyExchange(x448Dh);
export const secp256r1KeyExchange: KeyExchange = dhKeyExchange(secp256r1Dh);
export const secp384r1KeyExchange: KeyExchange = dhKeyExchange(secp384r1Dh);
