/**
 * The command form of the AOF: each command as a RESP multibulk
 * (catAppendOnlyGenericCommand), the reader that replays a file as
 * loadSingleAppendOnlyFile reads it (annotations, truncation points), and
 * the writer of a base file as commands (rewriteAppendOnlyFileRio) for
 * `aof-use-rdb-preamble no`.
 * @module
 */

import { binaryToBytes } from "../protocol/binary.ts";
import type { HashValue } from "../store/hash.ts";
import type { RedisValue } from "../store/keyspace.ts";
import type { ListValue } from "../store/list.ts";
import type { RedisSet } from "../store/set.ts";
import type { StreamValue } from "../store/stream.ts";
import { formatId, MAX_ID, MIN_ID } from "../store/stream_id.ts";
import type { SortedSet } from "../store/zset.ts";
import { formatDouble } from "../util/numbers.ts";
import type { SnapshotWriter } from "./snapshot.ts";

/** `argv` as a RESP multibulk, in a binary string. */
export function encodeCommand(argv: readonly string[]): string {
  let out = `*${argv.length}\r\n`;
  for (const arg of argv) out += `$${arg.length}\r\n${arg}\r\n`;
  return out;
}

/** Longest line the reader takes at once (AOF_ANNOTATION_LINE_MAX_LEN). */
const LINE_MAX = 1023;

/** How reading a file of commands ended. */
export type ReadEnd =
  | { kind: "ok" }
  /** The file ends inside a command. */
  | { kind: "eof" }
  /** Not the AOF's format. */
  | { kind: "format" };

/**
 * Reads commands from `bytes` starting at `start`, calling `run` for each
 * with the offset just past it, as loadSingleAppendOnlyFile reads them:
 * `#` lines are annotations, a command is `*<argc>` then `$<len>` lines
 * each followed by the bytes and two more. `run` may throw to stop.
 */
export function readCommands(
  bytes: Uint8Array,
  start: number,
  run: (argv: string[], end: number) => void,
): ReadEnd {
  let pos = start;
  /** One line as fgets gives it (with its newline), or null at the end. */
  const line = (): string | null => {
    if (pos >= bytes.length) return null;
    let end = pos;
    const limit = Math.min(bytes.length, pos + LINE_MAX);
    while (end < limit && bytes[end] !== 0x0a) end++;
    if (end < limit) end++; // the newline
    const text = latin1(bytes, pos, end);
    pos = end;
    return text;
  };
  for (;;) {
    const header = line();
    if (header === null) return { kind: "ok" };
    if (header[0] === "#") continue;
    if (header[0] !== "*") return { kind: "format" };
    if (header.length === 1) return { kind: "eof" };
    const argc = atoi(header.slice(1));
    if (argc < 1) return { kind: "format" };
    const argv: string[] = [];
    for (let j = 0; j < argc; j++) {
      const lengthLine = line();
      if (lengthLine === null) return { kind: "eof" };
      if (lengthLine[0] !== "$") return { kind: "format" };
      const length = atoi(lengthLine.slice(1));
      if (pos + length > bytes.length) return { kind: "eof" };
      argv.push(latin1(bytes, pos, pos + length));
      pos += length;
      if (pos + 2 > bytes.length) return { kind: "eof" };
      pos += 2; // the CRLF, unchecked as in Redis
    }
    run(argv, pos);
  }
}

/** Bytes as a binary string. */
function latin1(bytes: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(to, i + 8192)));
  }
  return s;
}

/** C's atoi. */
function atoi(text: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(text);
  return match === null ? 0 : parseInt(match[1], 10);
}

/** Elements per variadic command in a rewrite (AOF_REWRITE_ITEMS_PER_CMD). */
const ITEMS_PER_COMMAND = 64;

/**
 * Writes a base file as commands, key by key, as rewriteAppendOnlyFileRio
 * does: SELECT per database, SET / RPUSH / SADD / ZADD / HMSET in batches of
 * 64 elements, streams as XADD, XSETID, XGROUP CREATE, XCLAIM and XGROUP
 * CREATECONSUMER, and PEXPIREAT for keys with a TTL. Bytes go to `sink`
 * on {@linkcode flush}.
 */
export class AofCommandWriter implements SnapshotWriter {
  private parts: string[] = [];
  private length = 0;

  constructor(private readonly sink: (chunk: Uint8Array) => void) {}

  /** Bytes waiting for the next flush. */
  get buffered(): number {
    return this.length;
  }

  private command(argv: readonly string[]): void {
    const text = encodeCommand(argv);
    this.parts.push(text);
    this.length += text.length;
  }

  /** `#TS:<unix seconds>` (aof-timestamp-enabled). */
  timestamp(seconds: number): void {
    const text = `#TS:${seconds}\r\n`;
    this.parts.push(text);
    this.length += text.length;
  }

  /** SELECT the database; the sizes are the RDB form's business. */
  selectDb(id: number): void {
    this.command(["SELECT", String(id)]);
  }

  /** The commands that rebuild one key. */
  entry(key: string, value: RedisValue, expireAt: number): void {
    if (typeof value === "string") {
      this.command(["SET", key, value]);
    } else if (value.type === "string") {
      this.command(["SET", key, value.toBinary()]);
    } else if (value.type === "list") {
      this.batches("RPUSH", key, (value as ListValue).values(), 1);
    } else if (value.type === "set") {
      this.batches("SADD", key, (value as RedisSet).members(), 1);
    } else if (value.type === "zset") {
      this.batches("ZADD", key, zsetPairs(value as SortedSet), 2);
    } else if (value.type === "hash") {
      this.batches("HMSET", key, hashPairs(value as HashValue), 2);
    } else {
      this.stream(key, value as StreamValue);
    }
    if (expireAt !== -1) this.command(["PEXPIREAT", key, String(expireAt)]);
  }

  /** `name key` and at most 64 elements (of `width` arguments) a command. */
  private batches(
    name: string,
    key: string,
    items: Iterable<string>,
    width: number,
  ): void {
    let argv = [name, key];
    for (const item of items) {
      argv.push(item);
      if (argv.length === 2 + ITEMS_PER_COMMAND * width) {
        this.command(argv);
        argv = [name, key];
      }
    }
    if (argv.length > 2) this.command(argv);
  }

  private stream(key: string, stream: StreamValue): void {
    if (stream.length > 0) {
      stream.scan(MIN_ID, MAX_ID, false, (id, fields) => {
        this.command(["XADD", key, formatId(id), ...fields]);
        return true;
      });
    } else {
      // An empty stream: the XADD MAXLEN 0 trick creates it.
      this.command(["XADD", key, "MAXLEN", "0", "0-1", "x", "y"]);
    }
    this.command([
      "XSETID",
      key,
      formatId(stream.lastId),
      "ENTRIESADDED",
      String(stream.entriesAdded),
      "MAXDELETEDID",
      formatId(stream.maxDeletedId),
    ]);
    for (const group of stream.sortedGroups()) {
      this.command([
        "XGROUP",
        "CREATE",
        key,
        group.name,
        formatId(group.lastId),
        "ENTRIESREAD",
        String(group.entriesRead),
      ]);
      for (const consumer of group.sortedConsumers()) {
        if (consumer.pending.size === 0) {
          this.command([
            "XGROUP",
            "CREATECONSUMER",
            key,
            group.name,
            consumer.name,
          ]);
          continue;
        }
        for (const [id, entry] of consumer.pending.entries()) {
          this.command([
            "XCLAIM",
            key,
            group.name,
            consumer.name,
            "0",
            formatId(id),
            "TIME",
            String(entry.deliveryTime),
            "RETRYCOUNT",
            String(entry.deliveryCount),
            "JUSTID",
            "FORCE",
          ]);
        }
      }
    }
  }

  /** Hands the buffered bytes to the sink. */
  flush(): void {
    if (this.length === 0) return;
    this.sink(binaryToBytes(this.parts.join("")));
    this.parts = [];
    this.length = 0;
  }

  /** The last flush. */
  end(): void {
    this.flush();
  }
}

function* zsetPairs(zset: SortedSet): IterableIterator<string> {
  for (const node of zset) {
    yield formatDouble(node.score);
    yield node.member;
  }
}

function* hashPairs(hash: HashValue): IterableIterator<string> {
  for (const [field, value] of hash.entries()) {
    yield field;
    yield value;
  }
}
