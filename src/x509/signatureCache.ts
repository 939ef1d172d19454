/**
 * A bounded memo of certificate signatures that verified, so a client that
 * meets the same chain on every full handshake does not redo the leaf's and
 * the intermediate's signature verifications (two ECDSA verifies with noble,
 * most of a handshake's verification cost).
 *
 * What is cached is the one expensive, pure step of path building: "the
 * signature in certificate `child` verifies under the key of certificate
 * `issuer`, with this crypto provider". Everything else verifyChain does
 * (validity against `now`, host name, EKU, basicConstraints, path length,
 * name constraints, which roots are trusted) still runs on every call, so a
 * different trust store, a different set of intermediates, another time or
 * another usage gives exactly the answer it gave without the cache.
 *
 * The key is SHA-256 over both certificates' full DER (the child's carries
 * the tbsCertificate, the algorithm and the signature; the issuer's carries
 * its key), length-prefixed so the split point is unambiguous; one map per
 * provider object (a WeakMap, so a provider can be collected), because a
 * different provider is a different implementation of verify.
 *
 * Only successes are stored: a failure costs the peer nothing to produce, so
 * caching failures would let a hostile peer fill the memo and evict the good
 * entries; and a failure ends the handshake anyway. Entries are evicted least
 * recently used first.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import type { Certificate } from './certificate.js';

/** Entries kept per provider. */
export const SIGNATURE_CACHE_LIMIT = 256;

const byProvider = new WeakMap<CryptoProvider, Map<string, true>>();

/** The memo key for "`child` is signed by `issuer`'s key" (computed once per check). */
export function signatureCacheKey(provider: CryptoProvider, child: Certificate, issuer: Certificate): string {
  const input = new Uint8Array(4 + child.raw.length + issuer.raw.length);
  const n = child.raw.length;
  input[0] = n >>> 24;
  input[1] = (n >>> 16) & 0xff;
  input[2] = (n >>> 8) & 0xff;
  input[3] = n & 0xff;
  input.set(child.raw, 4);
  input.set(issuer.raw, 4 + n);
  const digest = provider.hash('SHA-256').digest(input);
  let key = '';
  for (const b of digest) key += String.fromCharCode(b);
  return key;
}

/** Whether this provider already verified the signature `key` names; refreshes the entry. */
export function signatureKnownGood(provider: CryptoProvider, key: string): boolean {
  const memo = byProvider.get(provider);
  if (memo === undefined) return false;
  if (!memo.has(key)) return false;
  // Map keeps insertion order: re-inserting marks the entry most recently used.
  memo.delete(key);
  memo.set(key, true);
  return true;
}

/** Records that the signature `key` names verified with this provider. */
export function rememberGoodSignature(provider: CryptoProvider, key: string): void {
  let memo = byProvider.get(provider);
  if (memo === undefined) {
    memo = new Map();
    byProvider.set(provider, memo);
  }
  memo.delete(key);
  memo.set(key, true);
  while (memo.size > SIGNATURE_CACHE_LIMIT) {
    const oldest = memo.keys().next().value;
    if (oldest === undefined) break;
    memo.delete(oldest);
  }
}

/** Forgets every remembered signature for `provider` (tests, or after changing a provider's behaviour). */
export function clearSignatureCache(provider: CryptoProvider): void {
  byProvider.delete(provider);
}

/** How many signatures are remembered for `provider` (tests). */
export function signatureCacheSize(provider: CryptoProvider): number {
  return byProvider.get(provider)?.size ?? 0;
}
