/**
 * 0-RTT anti-replay (RFC 8446 §8).
 *
 * Early data is not protected against replay by the protocol: an attacker
 * who records a ClientHello with early data can send it again. Two defences
 * together bound what a replay can achieve:
 *
 * - single-use tickets (§8.1): the first use of a ticket for 0-RTT is
 *   recorded, and any later use has its early data rejected (the handshake
 *   still completes at 1-RTT);
 * - freshness (§8.3): the client's view of the ticket's age must agree with
 *   ours within a window, so a ClientHello recorded long ago is stale.
 *
 * The store is bounded and forgets entries once their tickets have expired
 * (an expired ticket is refused anyway). When full, it refuses 0-RTT rather
 * than forget an entry early: failing closed costs one round trip, failing
 * open allows a replay. A fleet of servers plugs in a shared store.
 */
import type { MaybePromise } from '../util/steps.js';
import { toHex } from '../util/bytes.js';

/**
 * Where first uses of tickets for 0-RTT are recorded. Servers that share
 * ticket keys must share this too, or a flight replayed to another server
 * would be accepted there. With Redis, `firstUse` is one atomic command:
 * `SET tls13:0rtt:<hex id> 1 NX PXAT <expiresAt>` answers OK exactly once
 * per id, and the key expires by itself with the ticket; treat a Redis
 * error as `false` (refuse 0-RTT, the handshake goes on at 1-RTT).
 */
export interface ReplayCache {
  /**
   * Records the first use of `id` (until `expiresAt`, ms) and answers true;
   * answers false if `id` was already used or cannot be recorded.
   */
  firstUse(id: Uint8Array, expiresAt: number, now: number): MaybePromise<boolean>;
}

export class MemoryReplayCache implements ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  firstUse(id: Uint8Array, expiresAt: number, now: number): boolean {
    const key = toHex(id);
    const previous = this.seen.get(key);
    if (previous !== undefined && previous > now) return false;
    if (previous === undefined && this.seen.size >= this.maxEntries) {
      this.purge(now);
      if (this.seen.size >= this.maxEntries) return false;
    }
    this.seen.set(key, expiresAt);
    return true;
  }

  private purge(now: number): void {
    for (const [key, expires] of this.seen) if (expires <= now) this.seen.delete(key);
  }

  get size(): number {
    return this.seen.size;
  }
}

/** Default freshness window of §8.3: how far the client's and our ticket ages may differ. */
export const DEFAULT_FRESHNESS_WINDOW_MS = 10_000;

/**
 * §8.3: the client's ticket age (de-obfuscated) against the time since we
 * issued the ticket. Clock drift and one round trip fit in the window.
 */
export function isFresh(clientAgeMs: number, serverAgeMs: number, windowMs: number): boolean {
  return Math.abs(clientAgeMs - serverAgeMs) <= windowMs;
}
