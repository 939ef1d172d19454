/**
 * A growable FIFO of bytes, used by the deframer and the handshake
 * reassembler: input arrives in arbitrary chunks and leaves in
 * protocol-sized pieces. Internal to src/record/.
 */

/** Buffers larger than this are released once drained, so a burst does not pin memory. */
const RELEASE_THRESHOLD = 64 * 1024;

export class ByteQueue {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  private end = 0;
  /** Our own buffer while `buf` is a caller's array (see pushBorrowed). */
  private own: Uint8Array | undefined;

  get length(): number {
    return this.end - this.start;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.detach();
    this.reserve(bytes.length);
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /**
   * Like push(), but when the queue is empty it keeps a view of `bytes`
   * instead of copying them: records that arrive whole are then read
   * straight from the caller's array. The caller must call detach() before
   * it lets anyone else use or change `bytes` (Connection.receive() does,
   * before it returns); push() detaches by itself.
   */
  pushBorrowed(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.length > 0) {
      this.push(bytes);
      return;
    }
    this.own ??= this.buf;
    this.buf = bytes;
    this.start = 0;
    this.end = bytes.length;
  }

  /** Copies what is left of a borrowed array into the queue's own buffer. */
  detach(): void {
    const own = this.own;
    if (own === undefined) return;
    const live = this.buf.subarray(this.start, this.end);
    this.own = undefined;
    this.buf = own;
    this.start = 0;
    this.end = 0;
    if (live.length > 0) {
      this.reserve(live.length);
      this.buf.set(live);
      this.end = live.length;
    }
  }

  /** The byte at `index` (0 = oldest). The caller checks `index < length`. */
  at(index: number): number {
    return this.buf[this.start + index]!;
  }

  /** A big-endian integer of `width` bytes at `index`. The caller checks bounds. */
  uint(index: number, width: number): number {
    let v = 0;
    for (let i = 0; i < width; i++) v = v * 256 + this.at(index + i);
    return v;
  }

  /** Removes and returns (as a copy) the oldest `n` bytes; the caller checks `n <= length`. */
  take(n: number): Uint8Array {
    const out = this.buf.slice(this.start, this.start + n);
    this.start += n;
    if (this.start === this.end) this.reset();
    return out;
  }

  /**
   * Removes the oldest `n` bytes and returns them as a view of the queue's
   * own buffer, without copying. The view is valid only until the next call
   * that adds to the queue (push() may write over it); a caller that needs
   * the bytes longer uses take(). The caller checks `n <= length`.
   */
  takeView(n: number): Uint8Array {
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    // reset() may drop a large buffer; the view keeps it alive as long as needed.
    if (this.start === this.end) this.reset();
    return out;
  }

  private reset(): void {
    if (this.own !== undefined) {
      // Done with the borrowed array: back to our own buffer.
      this.buf = this.own;
      this.own = undefined;
    }
    this.start = 0;
    this.end = 0;
    if (this.buf.length > RELEASE_THRESHOLD) this.buf = new Uint8Array(0);
  }

  private reserve(n: number): void {
    if (this.end + n <= this.buf.length) return;
    const live = this.length;
    if (live + n <= this.buf.length) {
      // Enough room if the consumed prefix is reclaimed.
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const next = new Uint8Array(Math.max(256, this.buf.length * 2, live + n));
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
    }
    this.start = 0;
    this.end = live;
  }
}
