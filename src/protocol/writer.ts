/**
 * The reply writer: encodes RESP2/RESP3 replies straight into a client's
 * output buffer, as Redis's addReply* functions do. RESP3-only types degrade in
 * RESP2 exactly as Redis degrades them.
 * @module
 */

import { formatDouble } from "../util/numbers.ts";

const utf8 = new TextEncoder();
const CRLF_LEN = 2;
/** Longest `<type><uint32>\r\n` header. */
const MAX_HEADER_LEN = 1 + 10 + CRLF_LEN;

/** Writes the decimal digits of uint32 `n` at `p`; returns the index after them. */
function writeDigits(buf: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    buf[p] = 48 + n;
    return p + 1;
  }
  let digits = 1;
  for (let t = n; t >= 10; t = (t / 10) >>> 0) digits++;
  const end = p + digits;
  for (let i = end - 1; i >= p; i--) {
    buf[i] = 48 + n % 10;
    n = (n / 10) >>> 0;
  }
  return end;
}

/** Protocol version of a connection (`HELLO 2|3`). */
export type Protover = 2 | 3;

/**
 * Growable output buffer with two alternating backing arrays: `take()` hands
 * out the filled bytes and switches to the other array, so the caller may
 * write them to the socket while new replies accumulate. The caller must not
 * call `take()` again until the previous bytes were written.
 */
export class ReplyWriter {
  /** RESP version replies are encoded in. */
  protover: Protover = 2;
  /** When true, replies are dropped (CLIENT REPLY OFF/SKIP, the primary link). */
  muted = false;
  /** Called for every error reply, for INFO errorstats. */
  onError?: (message: string) => void;

  private buf: Uint8Array;
  private spare: Uint8Array;
  private len = 0;

  constructor(initialSize = 16 * 1024) {
    this.buf = new Uint8Array(initialSize);
    this.spare = new Uint8Array(initialSize);
  }

  /** Bytes waiting to be taken. */
  get length(): number {
    return this.len;
  }

  /** Returns the pending bytes (a view valid until the next `take()`) and empties the buffer. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.len);
    const next = this.spare;
    this.spare = this.buf;
    this.buf = next;
    this.len = 0;
    // Do not keep a huge buffer alive after one big reply.
    if (this.buf.length > 1024 * 1024) this.buf = new Uint8Array(16 * 1024);
    return out;
  }

  private grow(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(need, this.buf.length * 2));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }

  /** Appends raw bytes (already RESP-encoded). */
  raw(bytes: Uint8Array): void {
    if (this.muted) return;
    this.grow(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** Appends a binary string's bytes without framing. */
  private ascii(s: string): void {
    const n = s.length;
    this.grow(n);
    const buf = this.buf;
    let p = this.len;
    if (n > 64) {
      // encodeInto is native; it matches byte for byte while all chars are ASCII.
      const r = utf8.encodeInto(s, buf.subarray(p, p + n));
      if (r.read === n && r.written === n) {
        this.len += n;
        return;
      }
    }
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.len = p;
  }

  private crlf(): void {
    this.grow(CRLF_LEN);
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  /** Appends `<type><s>\r\n` without building the framed string first. */
  private line(type: string, s: string): void {
    this.grow(s.length + 3);
    this.buf[this.len++] = type.charCodeAt(0);
    this.ascii(s);
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  /** Appends `<type><n>\r\n` for a count or length, digits written in place. */
  private header(type: string, n: number): void {
    if (n >>> 0 !== n) return this.line(type, String(n));
    this.grow(MAX_HEADER_LEN);
    const buf = this.buf;
    buf[this.len] = type.charCodeAt(0);
    let p = writeDigits(buf, this.len + 1, n);
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  /** `+OK`-style status reply. */
  simple(s: string): void {
    if (this.muted) return;
    this.line("+", s);
  }

  /** `+OK`. */
  ok(): void {
    this.simple("OK");
  }

  /**
   * Error reply. `message` carries its code (`ERR ...`, `WRONGTYPE ...`);
   * newlines are replaced by spaces as Redis does.
   */
  error(message: string): void {
    if (message.includes("\n") || message.includes("\r")) {
      message = message.replace(/[\r\n]/g, " ");
    }
    this.onError?.(message);
    if (this.muted) return;
    this.line("-", message);
  }

  /** Integer reply. */
  integer(n: number | bigint): void {
    if (this.muted) return;
    if (typeof n === "number" && n >= 0) this.header(":", n);
    else this.line(":", String(n));
  }

  /** Bulk string reply, or the null bulk for null. */
  bulk(s: string | null): void {
    if (this.muted) return;
    if (s === null) return this.null();
    this.header("$", s.length);
    this.ascii(s);
    this.crlf();
  }

  /** Bulk string reply from raw bytes. */
  bulkBytes(bytes: Uint8Array): void {
    if (this.muted) return;
    this.header("$", bytes.length);
    this.raw(bytes);
    this.crlf();
  }

  /** Bulk string holding ordinary text, encoded as UTF-8. */
  text(s: string): void {
    this.bulkBytes(utf8.encode(s));
  }

  /** Null (RESP2 `$-1`, RESP3 `_`). */
  null(): void {
    if (this.muted) return;
    this.ascii(this.protover === 3 ? "_\r\n" : "$-1\r\n");
  }

  /** Null array (RESP2 `*-1`, RESP3 `_`). */
  nullArray(): void {
    if (this.muted) return;
    this.ascii(this.protover === 3 ? "_\r\n" : "*-1\r\n");
  }

  /** Array header for `n` elements that follow. */
  array(n: number): void {
    if (this.muted) return;
    this.header("*", n);
  }

  /** Map header for `n` pairs (RESP2: an array of 2n). */
  map(n: number): void {
    if (this.muted) return;
    if (this.protover === 3) this.header("%", n);
    else this.header("*", n * 2);
  }

  /** Set header (RESP2: an array). */
  set(n: number): void {
    if (this.muted) return;
    this.header(this.protover === 3 ? "~" : "*", n);
  }

  /** Push header (RESP2: an array), for pub/sub messages and invalidations. */
  push(n: number): void {
    if (this.muted) return;
    this.header(this.protover === 3 ? ">" : "*", n);
  }

  /**
   * Marks where an aggregate begins whose length is known only after its
   * elements are written (Redis's addReplyDeferredLen); the mark goes to
   * {@linkcode setDeferredArray} or {@linkcode setDeferredMap} before the
   * buffer is taken.
   */
  deferLength(): number {
    return this.len;
  }

  /** Puts the header of an array of `n` elements at `mark`, before them. */
  setDeferredArray(mark: number, n: number): void {
    this.insertHeader(mark, "*", n);
  }

  /** Puts the header of a map of `n` pairs (RESP2: an array) at `mark`. */
  setDeferredMap(mark: number, n: number): void {
    if (this.protover === 3) this.insertHeader(mark, "%", n);
    else this.insertHeader(mark, "*", n * 2);
  }

  private insertHeader(mark: number, type: string, n: number): void {
    if (this.muted) return;
    const header = `${type}${n}\r\n`;
    this.grow(header.length);
    const buf = this.buf;
    buf.copyWithin(mark + header.length, mark, this.len);
    for (let i = 0; i < header.length; i++) {
      buf[mark + i] = header.charCodeAt(i);
    }
    this.len += header.length;
  }

  /** Attribute header for `n` pairs; RESP2 has none, so callers skip it there. */
  attribute(n: number): void {
    if (this.muted) return;
    this.header("|", n);
  }

  /** Double reply, formatted as Redis's `%.17g` (RESP2: a bulk string). */
  double(d: number): void {
    if (this.muted) return;
    const s = formatDouble(d);
    if (this.protover === 3) this.ascii("," + s + "\r\n");
    else this.bulk(s);
  }

  /** Boolean (RESP2: integer 1 or 0). */
  boolean(b: boolean): void {
    if (this.muted) return;
    if (this.protover === 3) this.ascii(b ? "#t\r\n" : "#f\r\n");
    else this.ascii(b ? ":1\r\n" : ":0\r\n");
  }

  /** Big number given as decimal digits (RESP2: a bulk string). */
  bigNumber(digits: string): void {
    if (this.muted) return;
    if (this.protover === 3) this.ascii("(" + digits + "\r\n");
    else this.bulk(digits);
  }

  /** Verbatim string with a 3-letter format such as "txt" (RESP2: a bulk string). */
  verbatim(s: string, format = "txt"): void {
    if (this.muted) return;
    if (this.protover !== 3) return this.bulk(s);
    this.header("=", s.length + 4);
    this.ascii(format + ":");
    this.ascii(s);
    this.crlf();
  }

  /** Array of bulk strings (null entries become null bulks). */
  bulkArray(items: readonly (string | null)[]): void {
    if (this.muted) return;
    this.array(items.length);
    for (const s of items) this.bulk(s);
  }

  /** Empty array. */
  emptyArray(): void {
    this.array(0);
  }
}
