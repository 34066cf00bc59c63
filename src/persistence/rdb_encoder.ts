/**
 * Serializes values in Redis's RDB encoding (rdb.c's rdbSave* side): lengths,
 * strings (integer-encoded when short and numeric, LZF-compressed when long
 * and compression is on), binary doubles, and each type in the encoding Redis
 * 7.0 writes for it: quicklist of listpacks for lists, intset or plain set,
 * listpack or skiplist for sorted sets, listpack or hashtable for hashes.
 * Streams are written by rdb_stream.ts.
 * @module
 */

import { HashValue } from "../store/hash.ts";
import type { RedisValue } from "../store/keyspace.ts";
import { ListValue } from "../store/list.ts";
import { RedisSet } from "../store/set.ts";
import { stringOf } from "../store/string.ts";
import { StreamValue } from "../store/stream.ts";
import { SortedSet } from "../store/zset.ts";
import { formatDouble } from "../util/numbers.ts";
import { lzfCompress } from "./lzf.ts";
import { QuicklistContainer, RdbError, RdbType } from "./rdb_format.ts";
import { encodeStream } from "./rdb_stream.ts";

/** Strict decimal integers as Redis's string2ll accepts them. */
const STRICT_INT = /^(0|-?[1-9][0-9]{0,19})$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Largest listpack node of a list (list-max-listpack-size -2). */
const LIST_NODE_BYTES = 8192;
/** What Redis's quicklist adds to an element's length to estimate its listpack cost. */
const LIST_ENTRY_OVERHEAD = 8;

/** The integer a string holds when Redis would store it as one, else null. */
function asInt64(s: string): number | bigint | null {
  if (s.length > 20 || !STRICT_INT.test(s)) return null;
  if (s.length <= 15) return Number(s); // exact, and no BigInt to make
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

/** A growable byte buffer with RDB primitives. */
export class RdbEncoder {
  bytes: Uint8Array;
  length = 0;
  private view: DataView;

  /**
   * `compress`: LZF for strings over 20 bytes (rdbcompression); `capacity`:
   * the initial buffer (it doubles as needed).
   */
  constructor(public compress = true, capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  /** The bytes written so far (a view, valid until the next write). */
  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** Forgets the bytes written (after they were flushed elsewhere). */
  reset(): void {
    this.length = 0;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  byte(b: number): void {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }

  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  /** A binary string's bytes, without a length. */
  binary(s: string): void {
    this.reserve(s.length);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < s.length; i++) bytes[at++] = s.charCodeAt(i);
    this.length = at;
  }

  /** An unsigned 64-bit little-endian integer (expiry times). */
  uint64LE(n: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(n), true);
    this.length += 8;
  }

  /** A binary double, little-endian (RDB_TYPE_ZSET_2 scores). */
  doubleLE(d: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, d, true);
    this.length += 8;
  }

  /** An RDB length: 6, 14, 32 or 64 bits. */
  lengthOf(n: number): void {
    this.reserve(9);
    const b = this.bytes;
    if (n < 64) {
      b[this.length++] = n;
    } else if (n < 16384) {
      b[this.length++] = 0x40 | (n >> 8);
      b[this.length++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      b[this.length++] = 0x80;
      this.view.setUint32(this.length, n, false);
      this.length += 4;
    } else {
      b[this.length++] = 0x81;
      this.view.setBigUint64(this.length, BigInt(n), false);
      this.length += 8;
    }
  }

  /** An RDB length given as two 32-bit words (a 64-bit stream ID half). */
  lengthOfWords(hi: number, lo: number): void {
    if (hi === 0) {
      this.lengthOf(lo);
      return;
    }
    this.reserve(9);
    this.bytes[this.length++] = 0x81;
    this.view.setUint32(this.length, hi, false);
    this.view.setUint32(this.length + 4, lo, false);
    this.length += 8;
  }

  /** An unsigned 32-bit big-endian integer (a word of a raw stream ID). */
  uint32BE(n: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, n, false);
    this.length += 4;
  }

  /** A signed 64-bit little-endian integer (rdbSaveMillisecondTime). */
  int64LE(n: number): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, BigInt(n), true);
    this.length += 8;
  }

  /**
   * A string as rdbSaveRawString writes it: an integer encoding for short
   * numeric strings that fit 32 bits, LZF when compression pays off, else
   * length and bytes.
   */
  string(s: string): void {
    if (s.length <= 11 && s.length > 0) {
      const n = asInt64(s);
      if (n !== null && n >= -2147483648n && n <= 2147483647n) {
        this.integer(Number(n));
        return;
      }
    }
    if (this.compress && s.length > 20) {
      const packed = lzfCompress(binaryBytes(s), s.length - 4);
      if (packed !== null) {
        this.lzf(packed, s.length);
        return;
      }
    }
    this.lengthOf(s.length);
    this.binary(s);
  }

  /** A byte string (an encoded listpack or intset), compressed when that pays off. */
  blob(data: Uint8Array): void {
    if (this.compress && data.length > 20) {
      const packed = lzfCompress(data, data.length - 4);
      if (packed !== null) {
        this.lzf(packed, data.length);
        return;
      }
    }
    this.lengthOf(data.length);
    this.raw(data);
  }

  private lzf(packed: Uint8Array, originalLength: number): void {
    this.byte(0xc3);
    this.lengthOf(packed.length);
    this.lengthOf(originalLength);
    this.raw(packed);
  }

  private integer(n: number): void {
    this.reserve(5);
    if (n >= -128 && n <= 127) {
      this.bytes[this.length++] = 0xc0;
      this.view.setInt8(this.length++, n);
    } else if (n >= -32768 && n <= 32767) {
      this.bytes[this.length++] = 0xc1;
      this.view.setInt16(this.length, n, true);
      this.length += 2;
    } else {
      this.bytes[this.length++] = 0xc2;
      this.view.setInt32(this.length, n, true);
      this.length += 4;
    }
  }
}

const scratch = new Uint8Array(1 << 16);

/** The bytes of a binary string (a shared scratch view for short ones). */
function binaryBytes(s: string): Uint8Array {
  const out = s.length <= scratch.length
    ? scratch.subarray(0, s.length)
    : new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Builds a listpack (Redis's listpack.c layout) entry by entry. */
export class ListpackBuilder {
  // Most listpacks are small; a node of a few KiB grows to it in a few steps.
  private readonly enc = new RdbEncoder(false, 256);
  private count = 0;

  constructor() {
    this.enc.raw(new Uint8Array(6)); // total bytes and count, set in finish()
  }

  /** Bytes the listpack would take now. */
  get size(): number {
    return this.enc.length + 1;
  }

  /** Appends one element, as an integer when it is one (lpStringToInt64). */
  add(s: string): void {
    const enc = this.enc;
    const start = enc.length;
    const n = asInt64(s);
    if (n !== null) {
      writeListpackInt(enc, n);
    } else if (s.length < 64) {
      enc.byte(0x80 | s.length);
      enc.binary(s);
    } else if (s.length < 4096) {
      enc.byte(0xe0 | (s.length >> 8));
      enc.byte(s.length & 0xff);
      enc.binary(s);
    } else {
      enc.byte(0xf0);
      for (let i = 0; i < 4; i++) enc.byte((s.length >>> (8 * i)) & 0xff);
      enc.binary(s);
    }
    writeBacklen(enc, enc.length - start);
    this.count++;
  }

  /** Appends an integer element (lpAppendInteger). */
  addInteger(n: number | bigint): void {
    const enc = this.enc;
    const start = enc.length;
    writeListpackInt(enc, n);
    writeBacklen(enc, enc.length - start);
    this.count++;
  }

  /** The finished listpack. */
  finish(): Uint8Array {
    const enc = this.enc;
    enc.byte(0xff);
    const bytes = enc.result();
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    view.setUint32(0, bytes.length, true);
    view.setUint16(4, Math.min(this.count, 65535), true);
    return bytes;
  }
}

function writeListpackInt(enc: RdbEncoder, n: number | bigint): void {
  if (n >= 0 && n <= 127) {
    enc.byte(Number(n));
  } else if (n >= -4096 && n <= 4095) {
    const u = Number(n) & 0x1fff;
    enc.byte(0xc0 | (u >> 8));
    enc.byte(u & 0xff);
  } else if (n >= -2147483648 && n <= 2147483647) {
    // Up to 32 bits: plain number arithmetic, no BigInt.
    const v = Number(n);
    const [width, code] = v >= -32768 && v <= 32767
      ? [2, 0xf1]
      : v >= -8388608 && v <= 8388607
      ? [3, 0xf2]
      : [4, 0xf3];
    enc.byte(code);
    for (let i = 0; i < width; i++) enc.byte((v >> (8 * i)) & 0xff);
  } else {
    enc.byte(0xf4);
    const u = BigInt.asUintN(64, BigInt(n));
    for (let i = 0; i < 8; i++) {
      enc.byte(Number((u >> BigInt(8 * i)) & 0xffn));
    }
  }
}

/** The back-length after an entry of `l` bytes (lpEncodeBacklen). */
function writeBacklen(enc: RdbEncoder, l: number): void {
  if (l <= 127) {
    enc.byte(l);
  } else if (l < 16383) {
    enc.byte(l >> 7);
    enc.byte((l & 127) | 128);
  } else if (l < 2097151) {
    enc.byte(l >> 14);
    enc.byte(((l >> 7) & 127) | 128);
    enc.byte((l & 127) | 128);
  } else if (l < 268435455) {
    enc.byte(l >> 21);
    enc.byte(((l >> 14) & 127) | 128);
    enc.byte(((l >> 7) & 127) | 128);
    enc.byte((l & 127) | 128);
  } else {
    enc.byte(Math.floor(l / 2 ** 28));
    enc.byte(((l >> 21) & 127) | 128);
    enc.byte(((l >> 14) & 127) | 128);
    enc.byte(((l >> 7) & 127) | 128);
    enc.byte((l & 127) | 128);
  }
}

/** An intset blob (intset.c): the narrowest width holding every member. */
function intsetBytes(members: string[]): Uint8Array {
  const values = members.map((m) => BigInt(m));
  let width = 2;
  for (const v of values) {
    if (v < -2147483648n || v > 2147483647n) width = 8;
    else if ((v < -32768n || v > 32767n) && width < 4) width = 4;
  }
  const out = new Uint8Array(8 + width * values.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, width, true);
  view.setUint32(4, values.length, true);
  values.forEach((v, i) => {
    const at = 8 + i * width;
    if (width === 2) view.setInt16(at, Number(v), true);
    else if (width === 4) view.setInt32(at, Number(v), true);
    else view.setBigInt64(at, v, true);
  });
  return out;
}

/** The type byte Redis 7.0 writes in front of `value`. */
export function rdbTypeOf(value: RedisValue): number {
  if (typeof value === "string" || value.type === "string") {
    return RdbType.string;
  }
  if (value instanceof ListValue) return RdbType.listQuicklist2;
  if (value instanceof RedisSet) {
    return value.encoding === "intset" ? RdbType.setIntset : RdbType.set;
  }
  if (value instanceof SortedSet) {
    return value.encoding === "listpack" ? RdbType.zsetListpack : RdbType.zset2;
  }
  if (value instanceof HashValue) {
    return value.encoding === "listpack" ? RdbType.hashListpack : RdbType.hash;
  }
  if (value instanceof StreamValue) return RdbType.streamListpacks2;
  throw new RdbError(`cannot save a ${value.type} value yet`);
}

/** Writes `value` in the encoding {@linkcode rdbTypeOf} names, without the type byte. */
export function encodeValue(enc: RdbEncoder, value: RedisValue): void {
  if (typeof value === "string" || value.type === "string") {
    enc.string(stringOf(value));
  } else if (value instanceof ListValue) encodeList(enc, value);
  else if (value instanceof RedisSet) encodeSet(enc, value);
  else if (value instanceof SortedSet) encodeZset(enc, value);
  else if (value instanceof HashValue) encodeHash(enc, value);
  else if (value instanceof StreamValue) encodeStream(enc, value);
  else throw new RdbError(`cannot save a ${value.type} value yet`);
}

/**
 * The listpacks of the quicklist nodes a list is saved as: the nodes Redis
 * builds when the elements are pushed at the tail, where a node takes an
 * element while its size plus the element's length and 8 stays within
 * 8 KiB (quicklist's _quicklistNodeAllowInsert).
 */
export function listNodes(list: ListValue): Uint8Array[] {
  const nodes: Uint8Array[] = [];
  let node = new ListpackBuilder();
  let inNode = 0;
  for (const element of list.values()) {
    if (
      inNode > 0 &&
      node.size + element.length + LIST_ENTRY_OVERHEAD > LIST_NODE_BYTES
    ) {
      nodes.push(node.finish());
      node = new ListpackBuilder();
      inNode = 0;
    }
    node.add(element);
    inNode++;
  }
  if (inNode > 0) nodes.push(node.finish());
  return nodes;
}

function encodeList(enc: RdbEncoder, list: ListValue): void {
  const nodes = listNodes(list);
  enc.lengthOf(nodes.length);
  for (const bytes of nodes) {
    enc.lengthOf(QuicklistContainer.packed);
    enc.blob(bytes);
  }
}

function encodeSet(enc: RdbEncoder, set: RedisSet): void {
  if (set.encoding === "intset") {
    enc.blob(intsetBytes([...set.members()]));
    return;
  }
  enc.lengthOf(set.size);
  for (const member of set.members()) enc.string(member);
}

function encodeZset(enc: RdbEncoder, zset: SortedSet): void {
  if (zset.encoding === "listpack") {
    const lp = new ListpackBuilder();
    for (const node of zset) {
      lp.add(node.member);
      lp.add(formatDouble(node.score));
    }
    enc.blob(lp.finish());
    return;
  }
  // Tail first, as Redis writes it, so loading inserts at the head.
  enc.lengthOf(zset.size);
  for (let node = zset.last; node !== null; node = node.backward) {
    enc.string(node.member);
    enc.doubleLE(node.score);
  }
}

function encodeHash(enc: RdbEncoder, hash: HashValue): void {
  if (hash.encoding === "listpack") {
    const lp = new ListpackBuilder();
    for (const [field, value] of hash.entries()) {
      lp.add(field);
      lp.add(value);
    }
    enc.blob(lp.finish());
    return;
  }
  enc.lengthOf(hash.size);
  for (const [field, value] of hash.entries()) {
    enc.string(field);
    enc.string(value);
  }
}
