/**
 * Random sources drawn through a small pool: the noble provider's default
 * (the platform CSPRNG, Web Crypto `getRandomValues`) and the native
 * provider's (OpenSSL's, node:crypto `randomFillSync`) share this code.
 *
 * Why a pool: a handshake asks for a handful of short strings (32-byte
 * randoms and private keys, a 12-byte ticket nonce, 4-byte obfuscated_ticket_age
 * adds and sequence masks), and each call into the CSPRNG costs far more in
 * fixed overhead (argument checks, a call into the engine's CSPRNG) than in
 * producing 32 bytes. Filling a few KiB at once and slicing it makes those
 * requests nearly free.
 *
 * Why it is safe here:
 * - Every byte is handed out at most once: the read position only moves
 *   forward, the handed-out bytes are zeroed in the pool as they leave it, and
 *   a refill overwrites the whole pool with fresh CSPRNG output. Bytes left
 *   over at a refill are discarded, never shifted and reused.
 * - The output is exactly CSPRNG output; nothing is mixed, stretched or derived.
 * - The classic hazard of user-space pools, a fork() duplicating the pool
 *   into two processes that then hand out the same bytes, does not exist in
 *   JavaScript: a worker thread or a new realm loads its own copy of this
 *   module and so has its own pool.
 * - The pool is module-private and only ever holds bytes not yet handed out,
 *   so what it keeps in memory are values no one has used; a memory-safe
 *   runtime does not let other code read it.
 * Large requests (e.g. RSA blinding, test data) bypass the pool.
 */
import type { RandomSource } from './provider.js';

/** Web Crypto refuses more than 65536 bytes per call (W3C WebCrypto §10.1.1). */
const MAX_FILL = 65536;

/** Fills `buf` from the platform CSPRNG, in calls of at most 65536 bytes. */
export function fillFromSystem(buf: Uint8Array): void {
  for (let off = 0; off < buf.length; off += MAX_FILL) {
    globalThis.crypto.getRandomValues(buf.subarray(off, Math.min(buf.length, off + MAX_FILL)));
  }
}

export interface PooledRandomOptions {
  /** Fills its argument with cryptographically secure random bytes (default: Web Crypto). */
  readonly fill?: (buf: Uint8Array) => void;
  /** Pool size in bytes (default 4096). */
  readonly poolSize?: number;
  /** Requests longer than this go straight to `fill` (default 256). */
  readonly maxPooled?: number;
}

/**
 * A RandomSource that serves short requests from a pool refilled by `fill`,
 * never handing out the same pool bytes twice.
 */
export function createPooledRandom(options: PooledRandomOptions = {}): RandomSource {
  const fill = options.fill ?? fillFromSystem;
  const poolSize = options.poolSize ?? 4096;
  const maxPooled = options.maxPooled ?? 256;
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw new Error(`invalid random pool size ${poolSize}`);
  if (!Number.isSafeInteger(maxPooled) || maxPooled < 0 || maxPooled > poolSize) {
    throw new Error(`invalid pooled request limit ${maxPooled} for a pool of ${poolSize}`);
  }
  // Allocated on first use; `pos === poolSize` means "empty, refill before use".
  let pool: Uint8Array | undefined;
  let pos = poolSize;
  return (length: number): Uint8Array => {
    if (!Number.isSafeInteger(length) || length < 0) throw new Error(`invalid random length ${length}`);
    if (length > maxPooled) {
      const out = new Uint8Array(length);
      fill(out);
      return out;
    }
    if (pool === undefined || poolSize - pos < length) {
      pool ??= new Uint8Array(poolSize);
      fill(pool);
      pos = 0;
    }
    const end = pos + length;
    const out = pool.slice(pos, end);
    pool.fill(0, pos, end);
    pos = end;
    return out;
  };
}
