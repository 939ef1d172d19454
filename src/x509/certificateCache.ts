/**
 * A bounded memo of parsed peer certificates, so that connections to the same
 * server (or from the same client) share one parsed chain instead of each
 * parsing, and then holding for its lifetime, a private copy. A parsed leaf
 * and intermediate were most of what an idle client connection kept alive
 * (about 11 KiB of its 22), and the parse is repeated work on every full
 * handshake.
 *
 * Sharing is safe because a parsed certificate is a pure function of its DER
 * (parseCertificate reads nothing else), frozen, and made from a private copy
 * of the DER; certificates are public, so nothing one connection learns
 * secretly reaches another. A hit is confirmed byte for byte against the
 * cached certificate's DER, so the hash below only picks a slot: a collision
 * (accidental or crafted) is a miss, never the wrong certificate.
 *
 * The peer chooses the bytes, so the memo is bounded both in entries and in
 * the size of what it keeps; what does not fit is parsed as before. Only
 * certificates that parse are stored (a failure ends the handshake anyway,
 * and costs the peer nothing to repeat). Entries are evicted least recently
 * used first.
 */
import { bytesEqual } from '../util/bytes.js';
import { type Certificate, parseCertificate } from './certificate.js';

/** Certificates kept (a few dozen servers' chains). */
export const CERTIFICATE_CACHE_LIMIT = 64;
/** Larger certificates are parsed each time and not kept (ordinary ones are 0.5–3 KiB). */
export const CERTIFICATE_CACHE_MAX_DER = 8 * 1024;

const memo = new Map<number, Certificate>();

/** FNV-1a over the DER, mixed with its length: picks the slot, nothing more. */
function slot(der: Uint8Array): number {
  let h = 0x811c9dc5 ^ der.length;
  for (let i = 0; i < der.length; i++) h = Math.imul(h ^ der[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * parseCertificate(der), shared with earlier calls for the same bytes.
 * Throws X509DecodeError exactly as parseCertificate does. The result (and
 * its `raw`) may be shared with other connections: treat it as read-only.
 */
export function parseCertificateShared(der: Uint8Array): Certificate {
  if (der.length > CERTIFICATE_CACHE_MAX_DER) return parseCertificate(der);
  const key = slot(der);
  const cached = memo.get(key);
  if (cached !== undefined && bytesEqual(cached.raw, der)) {
    // Map keeps insertion order: re-inserting marks the entry most recently used.
    memo.delete(key);
    memo.set(key, cached);
    return cached;
  }
  const parsed = parseCertificate(der);
  memo.delete(key);
  memo.set(key, parsed);
  while (memo.size > CERTIFICATE_CACHE_LIMIT) {
    const oldest = memo.keys().next().value;
    if (oldest === undefined) break;
    memo.delete(oldest);
  }
  return parsed;
}

/** Forgets every shared certificate (tests). */
export function clearCertificateCache(): void {
  memo.clear();
}

/** How many certificates are kept now (tests). */
export function certificateCacheSize(): number {
  return memo.size;
}
