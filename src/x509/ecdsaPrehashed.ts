/**
 * ECDSA verification over a digest computed elsewhere, for the certificate
 * combinations of curve and hash that no TLS 1.3 SignatureScheme names
 * (P-384 with SHA-256, P-256 with SHA-384 or SHA-512; see signature.ts).
 *
 * This is the one place the X.509 layer calls a primitive directly rather
 * than through the CryptoProvider, whose `SignatureAlgorithm.verify` always
 * hashes with the scheme's own hash. Only public data is involved.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import type { PublicKey } from '../crypto/provider.js';
import { DerReader, Tag } from './der.js';

const CURVES = {
  'P-256': { curve: p256, size: 32 },
  'P-384': { curve: p384, size: 48 },
} as const;

/**
 * Verifies a DER Ecdsa-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }, RFC 5480
 * §2.2 via RFC 5758) over `digest`. A digest longer than the group order is
 * truncated to its leftmost bits (FIPS 186-5 §6.4.2), which the curve
 * implementation does. High-S signatures are valid ECDSA (OpenSSL makes
 * them), so they are accepted. False on any malformed input.
 */
export function verifyEcdsaPrehashed(
  key: Extract<PublicKey, { kind: 'ec' }>,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  const { curve, size } = CURVES[key.curve];
  try {
    const outer = new DerReader(signature);
    const seq = outer.enter(Tag.SEQUENCE, 'Ecdsa-Sig-Value');
    outer.end('Ecdsa-Sig-Value');
    const r = seq.integer('r');
    const s = seq.integer('s');
    seq.end('Ecdsa-Sig-Value');
    const n = curve.Point.Fn.ORDER;
    if (r < 1n || r >= n || s < 1n || s >= n) return false;
    const compact = new Uint8Array(2 * size);
    compact.set(fixed(r, size), 0);
    compact.set(fixed(s, size), size);
    return curve.verify(compact, digest, key.point, { prehash: false, lowS: false, format: 'compact' });
  } catch {
    return false;
  }
}

function fixed(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}
