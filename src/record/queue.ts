/**
 * A growable FIFO of bytes, used by the deframer and the handshake
 * reassembler: input arrives in arbitrary chunks and leaves in
 * protocol-sized pieces. Internal to src/record/.
 */

/** Buffers larger than this are released once drained, so a burst does not pin memory. */
const RELEASE_THRESHOLD = 64 * 1024;

export class ByteQueue {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.reserve(bytes.length);
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
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
