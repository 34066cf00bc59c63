/**
 * Incremental RESP decoders.
 *
 * {@linkcode RequestDecoder} turns client bytes (RESP2 multibulk or inline
 * commands) into argv arrays of binary strings, with Redis's limits and error
 * texts. {@linkcode ReplyDecoder} turns RESP2/RESP3 replies into values (for
 * the replica link, tools and tests). Both are `Transformer`s, and
 * {@linkcode RespDecoderStream} offers them as a `TransformStream`; the server's
 * hot loop instead calls {@linkcode RespDecoder.push} and `next()` directly on a
 * reused read buffer, which avoids a promise hop per chunk (DESIGN.md).
 * @module
 */

import { bytesToBinary } from "./binary.ts";

const CR = 13;
const LF = 10;

/** Longest inline command or `*`/`$` header line Redis accepts without a newline. */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
/** Largest multibulk count Redis accepts (`INT_MAX`). */
const MAX_MULTIBULK_COUNT = 2147483647;
/** An emptied decoder keeps its buffer up to this size for the next partial frame. */
const MAX_IDLE_BUFFER = 1024 * 1024;
/** Before AUTH, Redis refuses multibulk counts and bulk lengths above these. */
const UNAUTH_MAX_MULTIBULK_COUNT = 10;
const UNAUTH_MAX_BULK_LEN = 16384;

/** A protocol violation: the reply is `-ERR <message>` and the connection closes. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** The query buffer grew past `client-query-buffer-limit`: close without a reply. */
export class QueryBufferLimitError extends Error {
  /** `head` holds the buffer's first bytes (at most 64), for the log line. */
  constructor(readonly size: number, readonly head: string) {
    super(`query buffer of ${size} bytes exceeds the limit`);
    this.name = "QueryBufferLimitError";
  }
}

/**
 * Parses a strict Redis integer (`string2ll`) from `bytes[start, end)`:
 * no sign but a leading `-`, no leading zeros, no spaces. Returns NaN when invalid.
 */
export function parseStrictInt(
  bytes: Uint8Array,
  start: number,
  end: number,
): number {
  const len = end - start;
  if (len <= 0 || len > 20) return NaN;
  let i = start;
  let negative = false;
  if (bytes[i] === 45 /* - */) {
    negative = true;
    i++;
    if (i === end) return NaN;
  }
  if (bytes[i] === 48 /* 0 */) return len === 1 ? 0 : NaN;
  let value = 0;
  for (; i < end; i++) {
    const d = bytes[i] - 48;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  // Past 2^53 the sum above is inexact: redo it exactly, with int64 overflow.
  if (value > Number.MAX_SAFE_INTEGER) return parseBigInt64(bytes, start, end);
  return negative ? -value : value;
}

function parseBigInt64(bytes: Uint8Array, start: number, end: number): number {
  const n = BigInt(String.fromCharCode(...bytes.subarray(start, end)));
  const fits = n >= -9223372036854775808n && n <= 9223372036854775807n;
  return fits ? Number(n) : NaN;
}

/**
 * Buffer management shared by both decoders. A pushed chunk is borrowed (the
 * caller may reuse it after `retain()`), and only unconsumed bytes are copied.
 */
export abstract class RespDecoder<T> implements Transformer<Uint8Array, T> {
  protected buf: Uint8Array = new Uint8Array(0);
  protected pos = 0;
  protected end = 0;
  private owned: Uint8Array = new Uint8Array(0);
  private borrowed = false;
  private pushed = 0;

  /** Adds bytes to decode. Call `retain()` before the caller reuses `chunk`. */
  push(chunk: Uint8Array): void {
    this.pushed += chunk.length;
    if (this.pos === this.end) {
      this.buf = chunk;
      this.pos = 0;
      this.end = chunk.length;
      this.borrowed = true;
      return;
    }
    this.ensureOwned(chunk.length);
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** Copies unconsumed bytes out of a borrowed chunk so it may be reused. */
  retain(): void {
    if (this.pos === this.end) {
      // Nothing left: let go of the chunk, and of a buffer grown for a big argument.
      if (this.owned.length > MAX_IDLE_BUFFER) this.owned = new Uint8Array(0);
      this.buf = this.owned;
      this.pos = this.end = 0;
      this.borrowed = false;
      return;
    }
    if (this.borrowed) this.ensureOwned(0);
  }

  /**
   * Bytes pushed and consumed so far: right after `next()` returns an item,
   * the stream offset just past it.
   */
  get consumed(): number {
    return this.pushed - this.pending;
  }

  /** Bytes received and not yet consumed (Redis's `qbuf`). */
  get pending(): number {
    return this.end - this.pos;
  }

  /** Bytes held in memory for this decoder (Redis's `qbuf` plus free space). */
  get capacity(): number {
    return this.owned.length;
  }

  /**
   * Makes `buf` an owned buffer with room for `extra` more bytes after `end`;
   * `exact` sizes a new buffer to fit (a frame of known length), not double.
   */
  protected ensureOwned(extra: number, exact = false): void {
    const live = this.end - this.pos;
    const need = live + extra;
    if (!this.borrowed && this.buf === this.owned) {
      if (this.end + extra <= this.owned.length) return;
      if (need <= this.owned.length && this.pos > 0) {
        this.owned.copyWithin(0, this.pos, this.end);
        this.pos = 0;
        this.end = live;
        return;
      }
    }
    let target = this.owned;
    if (need > target.length) {
      target = new Uint8Array(exact ? need : Math.max(need * 2, 16 * 1024));
    }
    target.set(this.buf.subarray(this.pos, this.end), 0);
    this.owned = target;
    this.buf = target;
    this.pos = 0;
    this.end = live;
    this.borrowed = false;
  }

  /** Reserves room so a frame of `total` bytes from `pos` fits without regrowing. */
  protected reserve(total: number): void {
    const live = this.end - this.pos;
    if (total > live) this.ensureOwned(total - live, true);
  }

  /** Index of the next CR at or after `from`, or -1. */
  protected findCR(from: number): number {
    const i = this.buf.indexOf(CR, from);
    return i === -1 || i >= this.end ? -1 : i;
  }

  /** Returns the next decoded item, or undefined when more bytes are needed. */
  abstract next(): T | undefined;

  /** Transformer entry point for {@linkcode RespDecoderStream}. */
  transform(
    chunk: Uint8Array,
    controller: TransformStreamDefaultController<T>,
  ): void {
    this.push(chunk);
    for (let item = this.next(); item !== undefined; item = this.next()) {
      controller.enqueue(item);
    }
    this.retain();
  }
}

/** Size limits a {@linkcode RequestDecoder} enforces (Redis config names). */
export interface RequestLimits {
  /** `proto-max-bulk-len`: largest bulk argument. */
  protoMaxBulkLen: number;
  /** `client-query-buffer-limit`: largest unparsed input held for a client. */
  queryBufferLimit: number;
}

/** Redis 7.0 defaults for {@linkcode RequestLimits}. */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  protoMaxBulkLen: 512 * 1024 * 1024,
  queryBufferLimit: 1024 * 1024 * 1024,
};

/**
 * Decodes client requests into argv arrays, as Redis's processMultibulkBuffer
 * and processInlineBuffer do. State survives between pushes so a huge request
 * split over many reads is parsed in linear time.
 */
export class RequestDecoder extends RespDecoder<string[]> {
  /** Remaining arguments of the multibulk being parsed; 0 when between frames. */
  private remaining = 0;
  /** Length of the bulk argument whose header was read, or -1. */
  private bulkLen = -1;
  private argv: string[] = [];
  /**
   * True while the connection has yet to authenticate: Redis then refuses
   * multibulk counts above 10 and bulk lengths above 16384 bytes.
   */
  authRequired = false;

  constructor(public limits: RequestLimits = DEFAULT_REQUEST_LIMITS) {
    super();
  }

  /**
   * Returns the next complete command, an empty array for a frame that holds
   * no command (`*0`, a blank inline line), or undefined when more bytes are
   * needed. Throws {@linkcode ProtocolError} or {@linkcode QueryBufferLimitError}.
   */
  next(): string[] | undefined {
    if (this.pos === this.end) return undefined;
    const result = this.remaining === 0 && this.buf[this.pos] !== 42 /* * */
      ? this.nextInline()
      : this.nextMultibulk();
    if (result === undefined) this.checkLimit();
    return result;
  }

  private checkLimit(): void {
    const held = this.end - this.pos;
    if (held > this.limits.queryBufferLimit) {
      throw new QueryBufferLimitError(
        held,
        bytesToBinary(this.buf, this.pos, Math.min(this.pos + 64, this.end)),
      );
    }
  }

  /**
   * Index of `byte` ending the line at `pos`, or -1. Redis looks for it with
   * strchr, which stops at a NUL byte: a NUL before it hides it.
   */
  private lineEnd(byte: number): number {
    const buf = this.buf;
    // Header lines are a few bytes: a JS scan beats the call into indexOf.
    const short = Math.min(this.end, this.pos + 32);
    for (let i = this.pos; i < short; i++) {
      const c = buf[i];
      if (c === byte) return i;
      if (c === 0) return -1;
    }
    if (short === this.end) return -1;
    const at = buf.indexOf(byte, short);
    if (at === -1 || at >= this.end) return -1;
    for (let i = short; i < at; i++) if (buf[i] === 0) return -1;
    return at;
  }

  private nextInline(): string[] | undefined {
    const buf = this.buf;
    const nl = this.lineEnd(LF);
    if (nl === -1) {
      if (this.end - this.pos > PROTO_INLINE_MAX_SIZE) {
        throw new ProtocolError("Protocol error: too big inline request");
      }
      return undefined;
    }
    let lineEnd = nl;
    if (lineEnd > this.pos && buf[lineEnd - 1] === CR) lineEnd--;
    const line = bytesToBinary(buf, this.pos, lineEnd);
    this.pos = nl + 1;
    const argv = splitArgs(line);
    if (argv === null) {
      throw new ProtocolError("Protocol error: unbalanced quotes in request");
    }
    return argv;
  }

  private nextMultibulk(): string[] | undefined {
    const buf = this.buf;
    if (this.remaining === 0) {
      const cr = this.lineEnd(CR);
      if (cr === -1) {
        if (this.end - this.pos > PROTO_INLINE_MAX_SIZE) {
          throw new ProtocolError("Protocol error: too big mbulk count string");
        }
        return undefined;
      }
      if (cr + 1 >= this.end) return undefined; // the LF has not arrived yet
      const count = parseStrictInt(buf, this.pos + 1, cr);
      if (Number.isNaN(count) || count > MAX_MULTIBULK_COUNT) {
        throw new ProtocolError("Protocol error: invalid multibulk length");
      }
      if (count > UNAUTH_MAX_MULTIBULK_COUNT && this.authRequired) {
        throw new ProtocolError(
          "Protocol error: unauthenticated multibulk length",
        );
      }
      this.pos = cr + 2;
      if (count <= 0) return [];
      this.remaining = count;
      this.argv = [];
    }
    while (this.remaining > 0) {
      if (this.bulkLen === -1) {
        if (this.pos >= this.end) return undefined;
        const cr = this.lineEnd(CR);
        if (cr === -1) {
          if (this.end - this.pos > PROTO_INLINE_MAX_SIZE) {
            throw new ProtocolError(
              "Protocol error: too big bulk count string",
            );
          }
          return undefined;
        }
        if (cr + 1 >= this.end) return undefined;
        if (buf[this.pos] !== 36 /* $ */) {
          throw new ProtocolError(
            `Protocol error: expected '$', got '${
              String.fromCharCode(buf[this.pos])
            }'`,
          );
        }
        const len = parseStrictInt(buf, this.pos + 1, cr);
        if (
          Number.isNaN(len) || len < 0 || len > this.limits.protoMaxBulkLen
        ) {
          throw new ProtocolError("Protocol error: invalid bulk length");
        }
        if (len > UNAUTH_MAX_BULK_LEN && this.authRequired) {
          throw new ProtocolError(
            "Protocol error: unauthenticated bulk length",
          );
        }
        this.pos = cr + 2;
        this.bulkLen = len;
      }
      if (this.end - this.pos < this.bulkLen + 2) {
        // Make room once for the whole argument so it is not copied repeatedly.
        this.reserve(this.bulkLen + 2);
        return undefined;
      }
      this.argv.push(
        bytesToBinary(this.buf, this.pos, this.pos + this.bulkLen),
      );
      this.pos += this.bulkLen + 2; // Redis skips the CRLF without checking it
      this.bulkLen = -1;
      this.remaining--;
    }
    const argv = this.argv;
    this.argv = [];
    return argv;
  }
}

/** `\xHH` digit value, or -1. */
function hexValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** C's isspace: separates arguments and must follow a closing quote. */
function isSpace(c: string): boolean {
  return c === " " || c === "\n" || c === "\r" || c === "\t" ||
    c === "\v" || c === "\f";
}

/** Ends an unquoted argument: unlike isspace, `\v` and `\f` do not. */
function endsBareArg(c: string): boolean {
  return c === " " || c === "\n" || c === "\r" || c === "\t";
}

/**
 * Splits a line into arguments the way Redis's sdssplitargs does (inline
 * commands, redis.conf lines): double quotes with `\n \r \t \b \a \\ \" \xHH`
 * escapes, single quotes with `\'`, and a closing quote that must be followed
 * by a space. Returns null on unbalanced quotes.
 */
export function splitArgs(line: string): string[] | null {
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return args;
    let inDouble = false;
    let inSingle = false;
    let current = "";
    let done = false;
    while (!done) {
      const c = line[i];
      if (inDouble) {
        if (i >= n) return null;
        if (
          c === "\\" && line[i + 1] === "x" && i + 3 < n &&
          hexValue(line[i + 2]) >= 0 && hexValue(line[i + 3]) >= 0
        ) {
          current += String.fromCharCode(
            hexValue(line[i + 2]) * 16 + hexValue(line[i + 3]),
          );
          i += 3;
        } else if (c === "\\" && i + 1 < n) {
          i++;
          const e = line[i];
          current += e === "n"
            ? "\n"
            : e === "r"
            ? "\r"
            : e === "t"
            ? "\t"
            : e === "b"
            ? "\b"
            : e === "a"
            ? "\x07"
            : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          current += c;
        }
      } else if (inSingle) {
        if (i >= n) return null;
        if (c === "\\" && line[i + 1] === "'") {
          i++;
          current += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          current += c;
        }
      } else if (i >= n || endsBareArg(c)) {
        done = true;
      } else if (c === '"') {
        inDouble = true;
      } else if (c === "'") {
        inSingle = true;
      } else {
        current += c;
      }
      if (i < n) i++;
    }
    args.push(current);
  }
}

/** A RESP3 value as a {@linkcode ReplyDecoder} produces it. */
export type RespValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | RespError
  | RespValue[]
  | RespMap
  | RespSet
  | RespPush
  | RespVerbatim
  | RespDouble;

/** An error reply (`-` or `!`). */
export class RespError {
  constructor(readonly message: string) {}
}
/** A RESP3 map (`%`), pairs in wire order. */
export class RespMap {
  constructor(readonly entries: [RespValue, RespValue][]) {}
}
/** A RESP3 set (`~`). */
export class RespSet {
  constructor(readonly items: RespValue[]) {}
}
/** A RESP3 push (`>`). */
export class RespPush {
  constructor(readonly items: RespValue[]) {}
}
/** A RESP3 verbatim string (`=`): format and text. */
export class RespVerbatim {
  constructor(readonly format: string, readonly text: string) {}
}
/** A RESP3 double (`,`), kept apart from integers. */
export class RespDouble {
  constructor(readonly value: number) {}
}

const INCOMPLETE = Symbol("incomplete");
/** An aggregate header was read; its elements follow. */
const OPENED = Symbol("opened");

/** An aggregate whose elements are still arriving. */
interface OpenAggregate {
  /** The type byte: `*`, `%`, `~`, `>` or `|` (attribute). */
  type: number;
  remaining: number;
  items: RespValue[];
}

/**
 * Decodes RESP2 and RESP3 replies. Simple and bulk strings become binary
 * strings, integers numbers (bigint past 2^53), `_`/`$-1`/`*-1` null.
 * Attributes (`|`) are skipped. Aggregates are built as their elements
 * arrive, so a huge reply split over many chunks is parsed once.
 */
export class ReplyDecoder extends RespDecoder<RespValue> {
  private open: OpenAggregate[] = [];

  next(): RespValue | undefined {
    while (true) {
      const element = this.element();
      if (element === INCOMPLETE) return undefined;
      if (element === OPENED) continue;
      let value: RespValue = element;
      while (true) {
        const top = this.open[this.open.length - 1];
        if (top === undefined) return value;
        top.items.push(value);
        if (--top.remaining > 0) break;
        this.open.pop();
        // An attribute annotates the value after it: drop it and read on.
        if (top.type === 124) break;
        value = finishAggregate(top.type, top.items);
      }
    }
  }

  /**
   * Reads a `$<len>\r\n<bytes>` payload that has no trailing CRLF, as a
   * primary sends an RDB snapshot. Returns undefined until all bytes are here.
   */
  nextRawBulk(): Uint8Array | undefined {
    const cr = this.findCR(this.pos);
    if (cr === -1 || cr + 1 >= this.end) return undefined;
    const len = parseStrictInt(this.buf, this.pos + 1, cr);
    if (this.buf[this.pos] !== 36 || Number.isNaN(len) || len < 0) {
      throw new ProtocolError("Protocol error: expected a bulk payload");
    }
    if (this.end - (cr + 2) < len) {
      this.reserve(cr + 2 - this.pos + len);
      return undefined;
    }
    const data = this.buf.slice(cr + 2, cr + 2 + len);
    this.pos = cr + 2 + len;
    return data;
  }

  /** Header length or count: an integer, -1 for null. */
  private length(head: string): number {
    const n = Number(head);
    if (head === "" || !Number.isInteger(n) || n < -1) {
      throw new ProtocolError(`Protocol error: invalid length '${head}'`);
    }
    return n;
  }

  /**
   * The payload of a bulk-like element whose header ended at `pos`. When it
   * is incomplete, rewinds to the element's `start` and makes room for it.
   */
  private payload(
    start: number,
    len: number,
  ): string | typeof INCOMPLETE {
    if (this.end - this.pos < len + 2) {
      const total = this.pos - start + len + 2;
      this.pos = start;
      this.reserve(total);
      return INCOMPLETE;
    }
    const s = bytesToBinary(this.buf, this.pos, this.pos + len);
    this.pos += len + 2;
    return s;
  }

  /** One scalar, or an aggregate header pushed onto `open`; nothing is consumed when incomplete. */
  private element(): RespValue | typeof INCOMPLETE | typeof OPENED {
    if (this.pos >= this.end) return INCOMPLETE;
    const start = this.pos;
    const type = this.buf[start];
    const cr = this.findCR(start + 1);
    if (cr === -1 || cr + 1 >= this.end) return INCOMPLETE;
    const head = bytesToBinary(this.buf, start + 1, cr);
    this.pos = cr + 2;
    switch (type) {
      case 43: // +
        return head;
      case 45: // -
        return new RespError(head);
      case 58: { // :
        const n = Number(head);
        return Number.isSafeInteger(n) ? n : BigInt(head);
      }
      case 95: // _
        return null;
      case 35: // #
        return head === "t";
      case 44: // ,
        return new RespDouble(parseRespDouble(head));
      case 40: // (
        return BigInt(head);
      case 36: { // $
        const len = this.length(head);
        return len === -1 ? null : this.payload(start, len);
      }
      case 33: { // !
        const s = this.payload(start, this.length(head));
        return s === INCOMPLETE ? s : new RespError(s);
      }
      case 61: { // =
        const s = this.payload(start, this.length(head));
        return s === INCOMPLETE
          ? s
          : new RespVerbatim(s.slice(0, 3), s.slice(4));
      }
      case 42: // *
      case 37: // %
      case 126: // ~
      case 62: // >
      case 124: { // |
        const count = this.length(head);
        if (count === -1) return null;
        const elements = type === 37 || type === 124 ? count * 2 : count;
        if (elements === 0) {
          return type === 124 ? OPENED : finishAggregate(type, []);
        }
        this.open.push({ type, remaining: elements, items: [] });
        return OPENED;
      }
      default:
        throw new ProtocolError(
          `Protocol error: unexpected reply type '${
            String.fromCharCode(type)
          }'`,
        );
    }
  }
}

/** Builds the value of a complete aggregate from its elements. */
function finishAggregate(type: number, items: RespValue[]): RespValue {
  switch (type) {
    case 37: { // %
      const entries: [RespValue, RespValue][] = [];
      for (let i = 0; i < items.length; i += 2) {
        entries.push([items[i], items[i + 1]]);
      }
      return new RespMap(entries);
    }
    case 126: // ~
      return new RespSet(items);
    case 62: // >
      return new RespPush(items);
    default:
      return items;
  }
}

function parseRespDouble(s: string): number {
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  if (s === "nan") return NaN;
  return Number(s);
}

/** Options for {@linkcode RespDecoderStream}. */
export interface RespDecoderStreamOptions {
  /** "request" decodes commands (argv arrays); "reply" decodes RESP3 values. */
  mode: "request" | "reply";
  /** Limits for request mode. */
  limits?: RequestLimits;
  /**
   * Emit each item as a {@linkcode Framed} with the stream offset past its
   * last byte (a replica counts its primary's stream so).
   */
  framed?: boolean;
}

/** A decoded item and the number of stream bytes up to its end. */
export interface Framed<T> {
  value: T;
  end: number;
}

/**
 * A `TransformStream` from bytes to decoded RESP: argv arrays in request mode,
 * reply values in reply mode.
 *
 * @example
 * ```ts
 * const replies = conn.readable.pipeThrough(new RespDecoderStream({ mode: "reply" }));
 * ```
 */
export class RespDecoderStream<T = RespValue | string[]>
  extends TransformStream<Uint8Array, T> {
  /** The decoder behind the stream, for callers that switch to raw reads. */
  readonly decoder: RespDecoder<T>;
  constructor(options: RespDecoderStreamOptions) {
    const decoder =
      (options.mode === "request"
        ? new RequestDecoder(options.limits)
        : new ReplyDecoder()) as unknown as RespDecoder<T>;
    super(options.framed ? framedTransformer(decoder) : decoder);
    this.decoder = decoder;
  }
}

/** A transformer emitting `decoder`'s items with their end offsets. */
function framedTransformer<T>(
  decoder: RespDecoder<unknown>,
): Transformer<Uint8Array, T> {
  return {
    transform(chunk, controller) {
      decoder.push(chunk);
      for (
        let item = decoder.next();
        item !== undefined;
        item = decoder.next()
      ) {
        controller.enqueue({ value: item, end: decoder.consumed } as T);
      }
      decoder.retain();
    },
  };
}
