/**
 * Builds RDB files by hand, in the encodings older Redis versions wrote
 * (rdb.c, ziplist.c, zipmap.c and intset.c of Redis 2.4 to 6.2), so tests
 * can check that those files load as Redis 7.0 loads them. Every helper lays
 * out bytes as the format says; nothing here goes through redeno's encoder.
 * @module
 */

import { binaryToBytes } from "../../src/protocol/binary.ts";
import { Crc64 } from "../../src/persistence/crc64.ts";
import { lzfCompress } from "../../src/persistence/lzf.ts";
import { Opcode, RdbType } from "../../src/persistence/rdb_format.ts";
import { concat } from "../../src/persistence/rdb_file.ts";

/** Joins byte runs (arrays of byte values allowed). */
function join(parts: (Uint8Array | number[])[]): Uint8Array {
  return concat(parts.map((p) => Uint8Array.from(p)));
}

/** Bytes from a binary string, or the bytes themselves. */
function bytesOf(s: string | Uint8Array): Uint8Array {
  return typeof s === "string" ? binaryToBytes(s) : s;
}

/** `value` as `width` little-endian bytes (two's complement). */
function littleEndian(value: bigint | number, width: number): Uint8Array {
  let v = BigInt.asUintN(width * 8, BigInt(value));
  const out = new Uint8Array(width);
  for (let i = 0; i < width; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** `value` as 4 big-endian bytes. */
function bigEndian32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

/** An RDB length (rdbSaveLen): 6-bit, 14-bit, 32-bit or 64-bit form (exact as a bigint). */
export function rdbLength(length: number | bigint): Uint8Array {
  if (length > 0xffffffff) {
    const out = new Uint8Array(9);
    out[0] = 0x81;
    new DataView(out.buffer).setBigUint64(1, BigInt(length), false);
    return out;
  }
  const n = Number(length);
  if (n < 1 << 6) return Uint8Array.of(n);
  if (n < 1 << 14) return Uint8Array.of(0x40 | (n >> 8), n & 0xff);
  return join([Uint8Array.of(0x80), bigEndian32(n)]);
}

/** The characters of module type names, 6 bits each (module.c). */
const MODULE_NAME_CHARS =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A module ID: the 9-character type name, 6 bits a character, over a 10-bit encoding version. */
export function moduleId(name: string, encodingVersion: number): bigint {
  let id = 0n;
  for (const ch of name) {
    id = (id << 6n) | BigInt(MODULE_NAME_CHARS.indexOf(ch));
  }
  return (id << 10n) | BigInt(encodingVersion);
}

/** A plain length-prefixed RDB string. */
export function rdbString(s: string | Uint8Array): Uint8Array {
  const bytes = bytesOf(s);
  return join([rdbLength(bytes.length), bytes]);
}

/** An integer-encoded RDB string (RDB_ENC_INT8/16/32, the smallest that fits). */
export function rdbIntString(v: number): Uint8Array {
  if (v >= -128 && v <= 127) return join([[0xc0], littleEndian(v, 1)]);
  if (v >= -32768 && v <= 32767) return join([[0xc1], littleEndian(v, 2)]);
  return join([[0xc2], littleEndian(v, 4)]);
}

/** An LZF-compressed RDB string (RDB_ENC_LZF); the input must compress. */
export function rdbLzfString(s: string | Uint8Array): Uint8Array {
  const bytes = bytesOf(s);
  const compressed = lzfCompress(bytes, bytes.length - 4);
  if (compressed === null) throw new Error("input does not compress");
  return join([
    [0xc3],
    rdbLength(compressed.length),
    rdbLength(bytes.length),
    compressed,
  ]);
}

/**
 * An old RDB_TYPE_ZSET score (rdbSaveDoubleValue): 253 for NaN, 254 for
 * +inf, 255 for -inf, else a length byte and the text (given as text to
 * test how it is parsed).
 */
export function rdbTextScore(score: number | string): Uint8Array {
  if (typeof score === "number") {
    if (Number.isNaN(score)) return Uint8Array.of(253);
    if (score === Infinity) return Uint8Array.of(254);
    if (score === -Infinity) return Uint8Array.of(255);
    score = String(score);
  }
  return join([[score.length], binaryToBytes(score)]);
}

/** A little-endian IEEE 754 double (RDB_TYPE_ZSET_2 scores). */
export function rdbBinaryScore(score: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, score, true);
  return out;
}

/** The integer `s` stands for when Redis would store it as one (string2ll). */
function strictInteger(s: string): bigint | null {
  if (s.length === 0 || s.length >= 32 || !/^(0|-?[1-9][0-9]*)$/.test(s)) {
    return null;
  }
  const v = BigInt(s);
  return BigInt.asIntN(64, v) === v ? v : null;
}

/** A ziplist entry: its value, and whether its prevlen takes 5 bytes even when 1 would do. */
export type ZiplistEntry = string | { value: string; widePrevlen: true };

/** The encoding bytes and payload of one ziplist entry, as zipTryEncoding picks them. */
function ziplistPayload(value: string): Uint8Array {
  const int = strictInteger(value);
  if (int !== null) {
    if (int >= 0n && int <= 12n) return Uint8Array.of(0xf1 + Number(int));
    if (int >= -128n && int <= 127n) {
      return join([[0xfe], littleEndian(int, 1)]);
    }
    if (int >= -32768n && int <= 32767n) {
      return join([[0xc0], littleEndian(int, 2)]);
    }
    if (int >= -8388608n && int <= 8388607n) {
      return join([[0xf0], littleEndian(int, 3)]);
    }
    if (int >= -2147483648n && int <= 2147483647n) {
      return join([[0xd0], littleEndian(int, 4)]);
    }
    return join([[0xe0], littleEndian(int, 8)]);
  }
  const bytes = binaryToBytes(value);
  const n = bytes.length;
  const header = n <= 0x3f
    ? Uint8Array.of(n)
    : n <= 0x3fff
    ? Uint8Array.of(0x40 | (n >> 8), n & 0xff)
    : join([[0x80], bigEndian32(n)]);
  return join([header, bytes]);
}

/** A ziplist blob (zlbytes, zltail, zllen, entries, 0xff). */
export function ziplist(entries: ZiplistEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let previous = 0;
  let offset = 10;
  let tail = 10;
  for (const entry of entries) {
    const value = typeof entry === "string" ? entry : entry.value;
    const wide = typeof entry !== "string" || previous >= 254;
    const prevlen = wide
      ? join([[0xfe], littleEndian(previous, 4)])
      : Uint8Array.of(previous);
    const raw = join([prevlen, ziplistPayload(value)]);
    parts.push(raw);
    tail = offset;
    offset += raw.length;
    previous = raw.length;
  }
  const total = offset + 1;
  return join([
    littleEndian(total, 4),
    littleEndian(tail, 4),
    littleEndian(Math.min(entries.length, 0xffff), 2),
    ...parts,
    [0xff],
  ]);
}

/** Flattens `[field, value]` pairs for a hash or zset ziplist. */
export function pairs(entries: [string, string][]): string[] {
  return entries.flat();
}

/** A zipmap length: one byte below 254, else 254 and 4 little-endian bytes. */
function zipmapLength(n: number): Uint8Array {
  return n < 254 ? Uint8Array.of(n) : join([[254], littleEndian(n, 4)]);
}

/**
 * A zipmap blob (Redis 2.4's small hash): a count byte (254 once it is
 * not known), then per pair the field, the value with its `free` trailing
 * bytes (left by an update that shortened it), and 0xff.
 */
export function zipmap(entries: [string, string, number?][]): Uint8Array {
  const parts: (Uint8Array | number[])[] = [
    Uint8Array.of(Math.min(entries.length, 254)),
  ];
  for (const [field, value, free = 0] of entries) {
    const f = binaryToBytes(field);
    const v = binaryToBytes(value);
    parts.push(zipmapLength(f.length), f, zipmapLength(v.length), [free], v);
    parts.push(new Uint8Array(free).fill(0x2e));
  }
  parts.push(Uint8Array.of(0xff));
  return join(parts);
}

/** An intset blob of `width`-byte members (sorted ascending by the caller). */
export function intset(
  width: 2 | 4 | 8,
  members: (number | bigint)[],
): Uint8Array {
  return join([
    littleEndian(width, 4),
    littleEndian(members.length, 4),
    ...members.map((m) => littleEndian(m, width)),
  ]);
}

/**
 * A DUMP payload (what RESTORE takes) for a value of RDB type `type`: the
 * type byte, the value, the RDB `version` (2 bytes little-endian) and the
 * CRC-64 of all that.
 */
export function dumpPayloadOf(
  type: number,
  value: Uint8Array[],
  version: number,
): Uint8Array {
  const body = join([[type], ...value, littleEndian(version, 2)]);
  const crc = new Crc64();
  crc.update(body);
  const tail = new Uint8Array(8);
  crc.writeLE(tail, 0);
  return join([body, tail]);
}

/**
 * An RDB file, written opcode by opcode: `REDIS` and the 4-digit version,
 * then whatever the test adds, then EOF and (from version 5, when checksums
 * came in) the CRC-64.
 */
export class RdbFileBuilder {
  private readonly parts: Uint8Array[] = [];

  constructor(readonly version: number) {
    this.parts.push(
      binaryToBytes(`REDIS${String(version).padStart(4, "0")}`),
    );
  }

  /** Appends bytes as they are. */
  raw(...bytes: (Uint8Array | number[])[]): this {
    for (const b of bytes) this.parts.push(Uint8Array.from(b));
    return this;
  }

  /** An AUX field (RDB 7+). */
  aux(name: string, value: string): this {
    return this.raw([Opcode.aux], rdbString(name), rdbString(value));
  }

  /** SELECTDB. */
  selectDb(id: number): this {
    return this.raw([Opcode.selectDb], rdbLength(id));
  }

  /** RESIZEDB (RDB 7+): the database's size and number of expiring keys. */
  resizeDb(size: number, expiring: number): this {
    return this.raw([Opcode.resizeDb], rdbLength(size), rdbLength(expiring));
  }

  /** EXPIRETIME: the next key's expiry in Unix seconds (4 bytes, before RDB 3). */
  expireSeconds(unixSeconds: number): this {
    return this.raw([Opcode.expireTime], littleEndian(unixSeconds, 4));
  }

  /** EXPIRETIME_MS: the next key's expiry in Unix ms (8 bytes). */
  expireMs(unixMs: number): this {
    return this.raw([Opcode.expireTimeMs], littleEndian(unixMs, 8));
  }

  /** IDLE: the next key's LRU idle seconds (RDB 9). */
  idle(seconds: number): this {
    return this.raw([Opcode.idle], rdbLength(seconds));
  }

  /** FREQ: the next key's LFU counter (RDB 9). */
  freq(counter: number): this {
    return this.raw([Opcode.freq], [counter]);
  }

  /** A key: the type byte, the key string, the encoded value. */
  key(type: number, key: string, ...value: Uint8Array[]): this {
    return this.raw([type], rdbString(key), ...value);
  }

  /** A string key with `value` as its encoded form (rdbString, rdbIntString, rdbLzfString). */
  string(key: string, value: Uint8Array): this {
    return this.key(RdbType.string, key, value);
  }

  /** RDB_OPCODE_FUNCTION2 (Redis 7.0 GA): the library's code. */
  function2(code: string): this {
    return this.raw([Opcode.function2], rdbString(code));
  }

  /**
   * RDB_OPCODE_FUNCTION (Redis 7.0 rc1/rc2): name, engine, an optional
   * description, then the code without its `#!` line.
   */
  functionPreGa(
    name: string,
    engine: string,
    description: string | undefined,
    code: string,
  ): this {
    this.raw([Opcode.functionPreGa], rdbString(name), rdbString(engine));
    if (description === undefined) this.raw(rdbLength(0));
    else this.raw(rdbLength(1), rdbString(description));
    return this.raw(rdbString(code));
  }

  /** The whole file: EOF, then the CRC-64 from version 5 on. */
  build(): Uint8Array {
    const body = join([...this.parts, [Opcode.eof]]);
    if (this.version < 5) return body;
    const crc = new Crc64();
    crc.update(body);
    const tail = new Uint8Array(8);
    crc.writeLE(tail, 0);
    return join([body, tail]);
  }
}
