/**
 * HMAC (RFC 2104) and HKDF (RFC 5869) for the noble provider, shaped for
 * what the TLS 1.3 key schedule does: ~20 HKDF-Expand calls per side per
 * handshake, nearly all of them one block long (output ≤ HashLen), and often
 * several in a row from the same secret (§7.3: key and iv, plus finished_key
 * for handshake secrets; §7.1: c hs traffic, s hs traffic and "derived" from
 * the Handshake Secret).
 *
 * Three costs are removed, none by changing the arithmetic (noble's SHA-2
 * compresses every block):
 *
 * - An HMAC key's two padded blocks (K ⊕ ipad, K ⊕ opad) are absorbed once
 *   into two hash states ("midstates"); each MAC then copies them and hashes
 *   only the message, i.e. 2 compressions for a short message instead of 4.
 *   `HmacKey` holds such a key.
 * - No hash object is created per MAC or digest (creating one costs about
 *   as much as a compression): copies go into scratch states kept per hash
 *   (`StatePool`) and wiped after every use.
 * - HKDF-Expand of at most HashLen octets is the single block
 *   T(1) = HMAC(PRK, info | 0x01) (§2.3), with no loop.
 *
 * Reuse of a PRK's HmacKey across calls (`expandKeyFor`) is deliberately
 * short-lived: a few entries, matched by array identity AND by content
 * (so a caller that changes its array in place gets a fresh key, never a
 * stale one), and wiped at the end of the current synchronous run (a
 * microtask). The midstates are key-equivalent secrets, so they must not
 * outlive the step that derived them nor sit in memory per idle connection;
 * the repeats worth catching all happen inside one step anyway. Entries are
 * only ever found by the very array a caller passes, so no connection can
 * reach another's state.
 */
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { constantTimeEqual } from '../util/bytes.js';

export type NobleHash = typeof sha256 | typeof sha384 | typeof sha512;

/**
 * The part of a noble SHA-2 state we use. `_cloneInto` is in noble's public
 * `Hash` interface: it copies a state into an existing instance of the same
 * class (or a new one), which is what lets a midstate be reused.
 */
interface HashState {
  update(data: Uint8Array): HashState;
  digest(): Uint8Array;
  destroy(): void;
  _cloneInto(to?: HashState): HashState;
  clone(): HashState;
}

/**
 * Hash states kept per hash function, so that a MAC creates no hash objects:
 * a pristine state at the initial value to copy from, scratch states that each MAC or
 * digest overwrites and wipes, a bounded list of wiped states for HmacKeys to
 * reuse, and one buffer for the padded key block. Nothing here holds key
 * material between calls: scratch and recycled states are destroyed (zeroed)
 * and the pad buffer is zeroed before they are left alone.
 */
export class StatePool {
  private readonly initial: HashState;
  readonly scratchInner: HashState;
  readonly scratchOuter: HashState;
  readonly scratchDigest: HashState;
  private readonly free: HashState[] = [];
  /**
   * Reused rather than allocated per key: V8 keeps typed arrays of ≤ 64 bytes
   * inside the JS heap and must move one out (allocate and copy) the first
   * time its `.buffer` is taken, which noble's update() does for a full block.
   */
  readonly pad: Uint8Array;

  constructor(readonly hash: NobleHash) {
    this.initial = hash.create();
    this.scratchInner = hash.create();
    this.scratchOuter = hash.create();
    this.scratchDigest = hash.create();
    this.pad = new Uint8Array(hash.blockLen);
  }

  /** `into` (or a recycled or new state) reset to the initial value, then fed one padded key block. */
  absorbKeyBlock(block: Uint8Array, into?: HashState): HashState {
    const state = into ?? this.free.pop();
    return (state === undefined ? this.initial.clone() : this.initial._cloneInto(state)).update(block);
  }

  /** Hash(data) without creating a hash object. */
  digest(data: Uint8Array): Uint8Array {
    return this.initial._cloneInto(this.scratchDigest).update(data).digest();
  }

  /** The digest of what `state` has absorbed so far; `state` itself is left as it was. */
  digestOfCopy(state: HashState): Uint8Array {
    return state._cloneInto(this.scratchDigest).digest();
  }

  /** Takes back a state its owner no longer needs, wiped. */
  recycle(state: HashState): void {
    state.destroy();
    if (this.free.length < MAX_FREE_STATES) this.free.push(state);
  }
}

/** Room for the midstates of the reuse cache below, plus the zero-salt keys. */
const MAX_FREE_STATES = 16;

const pools = new Map<NobleHash, StatePool>();

export function poolFor(hash: NobleHash): StatePool {
  let p = pools.get(hash);
  if (p === undefined) {
    p = new StatePool(hash);
    pools.set(hash, p);
  }
  return p;
}

const IPAD = 0x36;
const OPAD = 0x5c;

/**
 * K padded to one block and XORed with ipad (RFC 2104 §2 steps (1)–(2)), in
 * the pool's pad buffer; `flipToOuter` turns it into K ⊕ opad in place
 * (step (5)). The caller zeroes the buffer when done.
 */
function innerPadBlock(pool: StatePool, key: Uint8Array): Uint8Array {
  const pad = pool.pad;
  const blockLen = pad.length;
  // RFC 2104 §2: a key longer than B octets is first hashed; then K is padded with zeros to B octets.
  if (key.length > blockLen) {
    const h = pool.digest(key);
    pad.set(h);
    pad.fill(0, h.length);
    h.fill(0);
  } else {
    pad.set(key);
    pad.fill(0, key.length);
  }
  for (let i = 0; i < blockLen; i++) pad[i]! ^= IPAD;
  return pad;
}

function flipToOuter(pad: Uint8Array): void {
  for (let i = 0; i < pad.length; i++) pad[i]! ^= IPAD ^ OPAD;
}

/** H(state | a | b | c) where `state` has absorbed a padded key block; wipes `state`. */
function finish(state: HashState, a: Uint8Array, b?: Uint8Array, c?: Uint8Array): Uint8Array {
  state.update(a);
  if (b !== undefined) state.update(b);
  if (c !== undefined) state.update(c);
  return state.digest(); // digest() also destroys (zeroes) the state
}

/** An HMAC key with its padded blocks already absorbed, for several MACs under one key. */
export class HmacKey {
  private readonly inner: HashState;
  private readonly outer: HashState;
  private readonly pool: StatePool;
  /** A copy of K, to recognise the same key again. */
  private readonly key: Uint8Array;
  private destroyed = false;

  constructor(
    readonly hash: NobleHash,
    key: Uint8Array,
  ) {
    this.pool = poolFor(hash);
    this.key = key.slice();
    const pad = innerPadBlock(this.pool, key);
    try {
      this.inner = this.pool.absorbKeyBlock(pad);
      flipToOuter(pad);
      this.outer = this.pool.absorbKeyBlock(pad);
    } finally {
      pad.fill(0);
    }
  }

  get outputLength(): number {
    return this.hash.outputLen;
  }

  /** Whether `key` is the key this object was made from (constant time in its content). */
  isKey(key: Uint8Array): boolean {
    return constantTimeEqual(this.key, key);
  }

  /** HMAC(K, a | b | c) = H(K ⊕ opad | H(K ⊕ ipad | a | b | c)). */
  mac(a: Uint8Array, b?: Uint8Array, c?: Uint8Array): Uint8Array {
    const innerDigest = finish(this.inner._cloneInto(this.pool.scratchInner), a, b, c);
    const tag = finish(this.outer._cloneInto(this.pool.scratchOuter), innerDigest);
    innerDigest.fill(0);
    return tag;
  }

  /** Wipes the midstates and the key copy; the object must not be used afterwards. */
  destroy(): void {
    // Only once: a state recycled twice would be handed to two keys.
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.recycle(this.inner);
    this.pool.recycle(this.outer);
    this.key.fill(0);
  }
}

/** HMAC(K, data) for a key used once: straight in the scratch states, nothing kept. */
export function hmacOnce(hash: NobleHash, key: Uint8Array, data: Uint8Array): Uint8Array {
  const pool = poolFor(hash);
  const pad = innerPadBlock(pool, key);
  let innerDigest: Uint8Array;
  try {
    innerDigest = finish(pool.absorbKeyBlock(pad, pool.scratchInner), data);
    flipToOuter(pad);
    pool.absorbKeyBlock(pad, pool.scratchOuter);
  } finally {
    pad.fill(0);
  }
  const tag = finish(pool.scratchOuter, innerDigest);
  innerDigest.fill(0);
  return tag;
}

const COUNTER_ONE = Uint8Array.of(1);
const EMPTY = new Uint8Array(0);

/**
 * HKDF-Expand (RFC 5869 §2.3) with a prepared PRK:
 *   T(0) = empty; T(i) = HMAC(PRK, T(i-1) | info | i); OKM = first L octets of T(1) | T(2) | ...
 * The caller has checked 0 ≤ L ≤ 255·HashLen and |PRK| ≥ HashLen.
 */
export function hkdfExpandWith(prk: HmacKey, info: Uint8Array, length: number): Uint8Array {
  const hashLen = prk.outputLength;
  if (length === 0) return new Uint8Array(0);
  if (length <= hashLen) {
    // One block: T(1) = HMAC(PRK, info | 0x01).
    const t = prk.mac(info, COUNTER_ONE);
    if (length === hashLen) return t;
    const okm = t.slice(0, length);
    t.fill(0);
    return okm;
  }
  const okm = new Uint8Array(length);
  let t: Uint8Array = EMPTY;
  for (let i = 1, off = 0; off < length; i++, off += hashLen) {
    const next = prk.mac(t, info, Uint8Array.of(i));
    t.fill(0);
    t = next;
    okm.set(length - off >= hashLen ? t : t.subarray(0, length - off), off);
  }
  t.fill(0);
  return okm;
}

// ---------------------------------------------------------------------------
// Short-lived reuse of a PRK's HmacKey within one synchronous run

/** Enough for the repeats of one key-schedule step (a secret and the traffic secrets derived from it). */
const MAX_ENTRIES = 4;

interface Entry {
  readonly prk: Uint8Array;
  readonly key: HmacKey;
}

const entries: Entry[] = [];
let wipeScheduled = false;

function wipeEntries(): void {
  wipeScheduled = false;
  for (const e of entries) e.key.destroy();
  entries.length = 0;
}

/**
 * The HmacKey for `prk`: the one made earlier in this synchronous run for the
 * same array with the same content, or a new one. All entries are wiped at
 * the next microtask checkpoint.
 */
export function expandKeyFor(hash: NobleHash, prk: Uint8Array): HmacKey {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.prk !== prk || e.key.hash !== hash) continue;
    if (e.key.isKey(prk)) return e.key;
    // Same array, new content: the old midstates are stale.
    e.key.destroy();
    entries.splice(i, 1);
    break;
  }
  const key = new HmacKey(hash, prk);
  if (entries.length === MAX_ENTRIES) entries.shift()!.key.destroy();
  entries.push({ prk, key });
  if (!wipeScheduled) {
    wipeScheduled = true;
    queueMicrotask(wipeEntries);
  }
  return key;
}

/** For tests: how many PRK keys are cached right now. */
export function cachedExpandKeys(): number {
  return entries.length;
}
