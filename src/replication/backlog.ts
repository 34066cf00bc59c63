/**
 * The replication backlog: the last `repl-backlog-size` bytes of the
 * replication stream, kept so that a replica that lost its link can continue
 * with PSYNC from its offset instead of copying the whole dataset again
 * (Redis's repl_backlog).
 * @module
 */

/** A ring buffer of the stream's most recent bytes and the offsets they cover. */
export class Backlog {
  private buffer: Uint8Array;
  /** Index where the next byte goes. */
  private head = 0;
  /** Bytes of history held (repl_backlog_histlen). */
  histlen = 0;
  /** Stream offset of the last byte held: master_repl_offset when it was written. */
  endOffset: number;

  /** A backlog of `size` bytes for a stream standing at `offset`. */
  constructor(size: number, offset: number) {
    this.buffer = new Uint8Array(size);
    this.endOffset = offset;
  }

  /** repl-backlog-size. */
  get size(): number {
    return this.buffer.length;
  }

  /** Stream offset of the first byte held (repl_backlog_first_byte_offset). */
  get firstByteOffset(): number {
    return this.endOffset - this.histlen + 1;
  }

  /** Appends stream bytes, dropping the oldest beyond the size. */
  append(bytes: Uint8Array): void {
    this.endOffset += bytes.length;
    const size = this.buffer.length;
    let data = bytes;
    if (data.length > size) data = data.subarray(data.length - size);
    const first = Math.min(data.length, size - this.head);
    this.buffer.set(data.subarray(0, first), this.head);
    this.buffer.set(data.subarray(first), 0);
    this.head = (this.head + data.length) % size;
    this.histlen = Math.min(size, this.histlen + data.length);
  }

  /**
   * The bytes from stream offset `from` (the first byte a replica lacks)
   * to the end, or undefined when the backlog does not reach back that far
   * or `from` lies past its end.
   */
  from(from: number): Uint8Array | undefined {
    if (from < this.firstByteOffset || from > this.endOffset + 1) {
      return undefined;
    }
    const length = this.endOffset + 1 - from;
    const out = new Uint8Array(length);
    const size = this.buffer.length;
    const start = (this.head - length + size) % size;
    const first = Math.min(length, size - start);
    out.set(this.buffer.subarray(start, start + first));
    out.set(this.buffer.subarray(0, length - first), first);
    return out;
  }

  /** CONFIG SET repl-backlog-size: keeps the most recent history that fits. */
  resize(size: number): void {
    if (size === this.buffer.length) return;
    const kept = this.from(this.firstByteOffset)!;
    const end = this.endOffset;
    this.buffer = new Uint8Array(size);
    this.head = 0;
    this.histlen = 0;
    this.endOffset = end - kept.length;
    this.append(kept);
  }
}
