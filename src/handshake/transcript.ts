/**
 * The running transcript hash (RFC 8446 §4.4.1).
 *
 * A client does not know which hash the handshake uses until the server picks
 * a cipher suite, so messages are kept raw until `useHash` fixes it; from then
 * on they are hashed incrementally and only a running context is kept.
 */
import type { Hash, HashContext } from '../crypto/provider.js';
import { HandshakeType } from '../registry.js';

export class Transcript {
  private pending: Uint8Array[] = [];
  private ctx: HashContext | undefined;
  private hashAlg: Hash | undefined;
  private released = false;

  get hash(): Hash | undefined {
    return this.hashAlg;
  }

  /** Appends one whole handshake message (header included). */
  add(message: Uint8Array): void {
    if (this.released) return;
    if (this.ctx) this.ctx.update(message);
    else this.pending.push(message);
  }

  /** Fixes the hash (once the cipher suite is known) and hashes what was kept. */
  useHash(hash: Hash): void {
    if (this.hashAlg) {
      if (this.hashAlg.name !== hash.name) throw new Error('transcript hash already fixed to another algorithm');
      return;
    }
    this.hashAlg = hash;
    this.ctx = hash.create();
    for (const m of this.pending) this.ctx.update(m);
    this.pending = [];
  }

  /** Transcript-Hash of everything added so far. */
  digest(): Uint8Array {
    if (!this.ctx) throw new Error(this.unavailable());
    // HashContext.digest() leaves the context running (provider.ts), so no clone here.
    return this.ctx.digest();
  }

  /**
   * Transcript-Hash of what was added plus `extra`, without adding it; used
   * for the PSK binder over a truncated ClientHello (§4.2.11.2).
   */
  digestWith(extra: Uint8Array): Uint8Array {
    if (!this.ctx) throw new Error(this.unavailable());
    return this.ctx.clone().update(extra).digest();
  }

  /**
   * After a HelloRetryRequest the first ClientHello is replaced by the
   * synthetic message_hash message: 254, 00 00 Hash.length, Hash(ClientHello1)
   * (§4.4.1), so that a stateless server can rebuild the transcript from a
   * cookie.
   */
  replaceWithMessageHash(): void {
    const hash = this.hashAlg;
    if (!hash || this.released) throw new Error(this.unavailable());
    const first = this.digest();
    this.ctx = hash.create().update(messageHash(first));
  }

  /**
   * Drops the running hash once nothing can need it: after the handshake no
   * message is part of the transcript any more, unless post-handshake client
   * authentication (§4.6.2), which we never offer nor request, is used. What
   * is added afterwards (e.g. a server's NewSessionTickets, §4.6.1) is
   * ignored; asking for a digest is an error.
   */
  release(): void {
    this.released = true;
    this.ctx = undefined;
    this.pending = [];
  }

  private unavailable(): string {
    return this.released ? 'transcript hash used after the handshake released it' : 'transcript hash used before the cipher suite was chosen';
  }
}

/** The synthetic handshake message that stands for ClientHello1 after an HRR. */
export function messageHash(clientHello1Hash: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + clientHello1Hash.length);
  out[0] = HandshakeType.message_hash;
  out[3] = clientHello1Hash.length;
  out.set(clientHello1Hash, 4);
  return out;
}
