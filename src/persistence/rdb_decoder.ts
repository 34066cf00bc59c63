/**
 * Reads values in Redis's RDB encoding (rdb.c's rdbLoad* side): every
 * encoding Redis 7.0 writes and the older ones it still loads (linked lists,
 * ziplists, quicklists of ziplists, zipmaps, string-encoded scores). Values
 * are rebuilt through the store classes with the encoding limits in force,
 * so a loaded value reports the OBJECT ENCODING Redis would give it. Streams
 * are read by rdb_stream.ts; module values are refused with an
 * {@linkcode RdbError}.
 * @module
 */

import { bytesToBinary } from "../protocol/binary.ts";
import { type HashLimits, HashValue } from "../store/hash.ts";
import type { RedisValue } from "../store/keyspace.ts";
import { ListValue } from "../store/list.ts";
import { RedisSet } from "../store/set.ts";
import { type ListpackLimits, SortedSet } from "../store/zset.ts";
import { lzfDecompress } from "./lzf.ts";
import { decodeStream } from "./rdb_stream.ts";
import { QuicklistContainer, RdbError, RdbType } from "./rdb_format.ts";

/** The encoding thresholds a loaded value is rebuilt with. */
export interface EncodingLimits {
  hash: HashLimits;
  zset: ListpackLimits;
  setMaxIntsetEntries: number;
}

/** A cursor over RDB bytes. */
export class RdbDecoder {
  pos = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) {
      throw new RdbError("Unexpected EOF reading RDB file");
    }
  }

  byte(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  uint32LE(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  uint64LE(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return Number(v);
  }

  doubleLE(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /**
   * An RDB length; `special` is set when the first byte marks an encoded
   * string (integer or LZF), and the value is then the encoding number.
   */
  lengthOrEncoding(): { value: number; special: boolean } {
    const first = this.byte();
    switch (first >> 6) {
      case 0:
        return { value: first & 0x3f, special: false };
      case 1:
        return { value: ((first & 0x3f) << 8) | this.byte(), special: false };
      case 3:
        return { value: first & 0x3f, special: true };
    }
    if (first === 0x80) {
      this.need(4);
      const v = this.view.getUint32(this.pos, false);
      this.pos += 4;
      return { value: v, special: false };
    }
    if (first === 0x81) {
      this.need(8);
      const v = this.view.getBigUint64(this.pos, false);
      this.pos += 8;
      return { value: Number(v), special: false };
    }
    throw new RdbError(`Unknown length encoding ${first} in rdbLoadLen()`);
  }

  /** A plain length. */
  length(): number {
    const { value, special } = this.lengthOrEncoding();
    if (special) {
      throw new RdbError("Unexpected encoded string where a length belongs");
    }
    return value;
  }

  /** A plain length as two 32-bit words, exact over the whole 64 bits. */
  lengthWords(): [number, number] {
    if (this.pos < this.bytes.length && this.bytes[this.pos] === 0x81) {
      this.pos++;
      this.need(8);
      const hi = this.view.getUint32(this.pos, false);
      const lo = this.view.getUint32(this.pos + 4, false);
      this.pos += 8;
      return [hi, lo];
    }
    return [0, this.length()];
  }

  /** A signed 64-bit little-endian integer (rdbLoadMillisecondTime). */
  int64LE(): number {
    this.need(8);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return Number(v);
  }

  /** A string's bytes, whatever its encoding. */
  stringBytes(): Uint8Array {
    const { value, special } = this.lengthOrEncoding();
    if (!special) return this.take(value).slice();
    if (value === 3) {
      const compressed = this.length();
      const length = this.length();
      try {
        return lzfDecompress(this.take(compressed), length);
      } catch {
        throw new RdbError("Invalid LZF compressed string");
      }
    }
    const text = String(this.encodedInteger(value));
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }

  /** A string as a binary string. */
  string(): string {
    const { value, special } = this.lengthOrEncoding();
    if (!special) {
      this.need(value);
      const s = bytesToBinary(this.bytes, this.pos, this.pos + value);
      this.pos += value;
      return s;
    }
    if (value === 3) {
      const bytes = this.stringBytesAfterLzfMarker();
      return bytesToBinary(bytes, 0, bytes.length);
    }
    return String(this.encodedInteger(value));
  }

  private stringBytesAfterLzfMarker(): Uint8Array {
    const compressed = this.length();
    const length = this.length();
    try {
      return lzfDecompress(this.take(compressed), length);
    } catch {
      throw new RdbError("Invalid LZF compressed string");
    }
  }

  private encodedInteger(encoding: number): number {
    this.need(4);
    let v: number;
    if (encoding === 0) {
      v = this.view.getInt8(this.pos);
      this.pos += 1;
    } else if (encoding === 1) {
      v = this.view.getInt16(this.pos, true);
      this.pos += 2;
    } else if (encoding === 2) {
      v = this.view.getInt32(this.pos, true);
      this.pos += 4;
    } else {
      throw new RdbError(`Unknown RDB string encoding type ${encoding}`);
    }
    return v;
  }

  /** A score of the old RDB_TYPE_ZSET: a length byte and its text. */
  stringDouble(): number {
    const length = this.byte();
    if (length === 253) return NaN;
    if (length === 254) return Infinity;
    if (length === 255) return -Infinity;
    const text = bytesToBinary(this.take(length), 0, length);
    const d = Number(text);
    if (Number.isNaN(d)) throw new RdbError("Invalid double value");
    return d;
  }
}

/** Elements of a listpack blob, as binary strings. */
export function listpackEntries(lp: Uint8Array): string[] {
  if (lp.length < 7) throw new RdbError("Listpack integrity check failed.");
  const view = new DataView(lp.buffer, lp.byteOffset, lp.byteLength);
  if (view.getUint32(0, true) !== lp.length || lp[lp.length - 1] !== 0xff) {
    throw new RdbError("Listpack integrity check failed.");
  }
  const out: string[] = [];
  let p = 6;
  while (p < lp.length - 1) {
    const b = lp[p];
    const start = p;
    if (b < 0x80) {
      out.push(String(b));
      p += 1;
    } else if ((b & 0xc0) === 0x80) {
      const len = b & 0x3f;
      out.push(bytesToBinary(lp, p + 1, p + 1 + len));
      p += 1 + len;
    } else if ((b & 0xe0) === 0xc0) {
      let v = ((b & 0x1f) << 8) | lp[p + 1];
      if (v >= 1 << 12) v -= 1 << 13;
      out.push(String(v));
      p += 2;
    } else if ((b & 0xf0) === 0xe0) {
      const len = ((b & 0x0f) << 8) | lp[p + 1];
      out.push(bytesToBinary(lp, p + 2, p + 2 + len));
      p += 2 + len;
    } else if (b === 0xf0) {
      const len = view.getUint32(p + 1, true);
      out.push(bytesToBinary(lp, p + 5, p + 5 + len));
      p += 5 + len;
    } else if (b >= 0xf1 && b <= 0xf4) {
      const width = b === 0xf1 ? 2 : b === 0xf2 ? 3 : b === 0xf3 ? 4 : 8;
      out.push(String(littleEndianSigned(lp, p + 1, width)));
      p += 1 + width;
    } else {
      throw new RdbError("Listpack integrity check failed.");
    }
    const l = p - start;
    p += l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
    if (p > lp.length - 1) {
      throw new RdbError("Listpack integrity check failed.");
    }
  }
  return out;
}

function littleEndianSigned(b: Uint8Array, at: number, width: number): bigint {
  let v = 0n;
  for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]);
  return BigInt.asIntN(width * 8, v);
}

/** Elements of a ziplist blob (the pre-7.0 compact encoding). */
export function ziplistEntries(zl: Uint8Array): string[] {
  if (zl.length < 11 || zl[zl.length - 1] !== 0xff) {
    throw new RdbError("Ziplist integrity check failed.");
  }
  const out: string[] = [];
  let p = 10;
  while (zl[p] !== 0xff) {
    p += zl[p] < 254 ? 1 : 5; // previous entry length
    const b = zl[p];
    const kind = b >> 6;
    if (kind === 0) {
      const len = b & 0x3f;
      out.push(bytesToBinary(zl, p + 1, p + 1 + len));
      p += 1 + len;
    } else if (kind === 1) {
      const len = ((b & 0x3f) << 8) | zl[p + 1];
      out.push(bytesToBinary(zl, p + 2, p + 2 + len));
      p += 2 + len;
    } else if (b === 0x80) {
      const len = ((zl[p + 1] << 24) | (zl[p + 2] << 16) | (zl[p + 3] << 8) |
        zl[p + 4]) >>> 0;
      out.push(bytesToBinary(zl, p + 5, p + 5 + len));
      p += 5 + len;
    } else if (b === 0xc0) {
      out.push(String(littleEndianSigned(zl, p + 1, 2)));
      p += 3;
    } else if (b === 0xd0) {
      out.push(String(littleEndianSigned(zl, p + 1, 4)));
      p += 5;
    } else if (b === 0xe0) {
      out.push(String(littleEndianSigned(zl, p + 1, 8)));
      p += 9;
    } else if (b === 0xf0) {
      out.push(String(littleEndianSigned(zl, p + 1, 3)));
      p += 4;
    } else if (b === 0xfe) {
      out.push(String(littleEndianSigned(zl, p + 1, 1)));
      p += 2;
    } else if (b >= 0xf1 && b <= 0xfd) {
      out.push(String((b & 0x0f) - 1));
      p += 1;
    } else {
      throw new RdbError("Ziplist integrity check failed.");
    }
    if (p >= zl.length) throw new RdbError("Ziplist integrity check failed.");
  }
  return out;
}

/** Members of an intset blob, ascending. */
export function intsetMembers(is: Uint8Array): string[] {
  const view = new DataView(is.buffer, is.byteOffset, is.byteLength);
  if (is.length < 8) throw new RdbError("Intset integrity check failed.");
  const width = view.getUint32(0, true);
  const count = view.getUint32(4, true);
  if (![2, 4, 8].includes(width) || 8 + width * count !== is.length) {
    throw new RdbError("Intset integrity check failed.");
  }
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    out.push(String(
      width === 2
        ? view.getInt16(at, true)
        : width === 4
        ? view.getInt32(at, true)
        : view.getBigInt64(at, true),
    ));
  }
  return out;
}

/** Field/value pairs of a zipmap blob (the pre-2.6 hash encoding), flattened. */
export function zipmapEntries(zm: Uint8Array): string[] {
  const view = new DataView(zm.buffer, zm.byteOffset, zm.byteLength);
  const out: string[] = [];
  let p = 1;
  const lengthAt = (): number => {
    const b = zm[p];
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b === 254) {
      const v = view.getUint32(p + 1, true);
      p += 5;
      return v;
    }
    throw new RdbError("Zipmap integrity check failed.");
  };
  while (p < zm.length && zm[p] !== 0xff) {
    const keyLength = lengthAt();
    out.push(bytesToBinary(zm, p, p + keyLength));
    p += keyLength;
    const valueLength = lengthAt();
    const free = zm[p++];
    out.push(bytesToBinary(zm, p, p + valueLength));
    p += valueLength + free;
  }
  if (p >= zm.length) throw new RdbError("Zipmap integrity check failed.");
  return out;
}

function hashFromPairs(flat: string[], limits: EncodingLimits): HashValue {
  if (flat.length % 2 !== 0) {
    throw new RdbError("Hash with an odd listpack length");
  }
  const hash = new HashValue();
  for (let i = 0; i < flat.length; i += 2) {
    hash.set(flat[i], flat[i + 1], limits.hash);
  }
  return hash;
}

/** A listpack score as strtod reads it: inf and -inf included. */
function parseScore(text: string): number {
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  return Number(text);
}

function zsetFromPairs(flat: string[], limits: EncodingLimits): SortedSet {
  if (flat.length % 2 !== 0) {
    throw new RdbError("Zset with an odd listpack length");
  }
  const zset = new SortedSet();
  for (let i = 0; i < flat.length; i += 2) {
    const score = parseScore(flat[i + 1]);
    if (Number.isNaN(score)) throw new RdbError("Zset score is not a number");
    zset.set(flat[i], score, limits.zset);
  }
  return zset;
}

function setFromMembers(members: string[], limits: EncodingLimits): RedisSet {
  const set = RedisSet.forMember(members[0] ?? "");
  for (const m of members) set.add(m, limits.setMaxIntsetEntries);
  return set;
}

/**
 * Reads one value of RDB type `type`. Returns null for a value that is
 * empty once read (Redis skips such keys with a log line).
 */
export function decodeValue(
  dec: RdbDecoder,
  type: number,
  limits: EncodingLimits,
): RedisValue | null {
  switch (type) {
    case RdbType.string:
      return dec.string();
    case RdbType.list: {
      const n = dec.length();
      const list = new ListValue(n);
      for (let i = 0; i < n; i++) list.pushTail(dec.string());
      return n === 0 ? null : list;
    }
    case RdbType.listZiplist: {
      const list = ListValue.from(ziplistEntries(dec.stringBytes()));
      return list.length === 0 ? null : list;
    }
    case RdbType.listQuicklist:
    case RdbType.listQuicklist2: {
      const nodes = dec.length();
      const list = new ListValue();
      for (let i = 0; i < nodes; i++) {
        const container = type === RdbType.listQuicklist2
          ? dec.length()
          : QuicklistContainer.packed;
        if (container === QuicklistContainer.plain) {
          list.pushTail(dec.string());
          continue;
        }
        if (container !== QuicklistContainer.packed) {
          throw new RdbError(`Quicklist integrity check failed.`);
        }
        const blob = dec.stringBytes();
        const elements = type === RdbType.listQuicklist2
          ? listpackEntries(blob)
          : ziplistEntries(blob);
        for (const element of elements) list.pushTail(element);
      }
      return list.length === 0 ? null : list;
    }
    case RdbType.set: {
      const n = dec.length();
      const members: string[] = new Array(n);
      for (let i = 0; i < n; i++) members[i] = dec.string();
      return n === 0 ? null : setFromMembers(members, limits);
    }
    case RdbType.setIntset: {
      const members = intsetMembers(dec.stringBytes());
      return members.length === 0 ? null : setFromMembers(members, limits);
    }
    case RdbType.zset:
    case RdbType.zset2: {
      const n = dec.length();
      const zset = new SortedSet();
      // Read every pair first: Redis decides the encoding from the whole set.
      const members: string[] = new Array(n);
      const scores: number[] = new Array(n);
      let longest = 0;
      for (let i = 0; i < n; i++) {
        members[i] = dec.string();
        scores[i] = type === RdbType.zset2
          ? dec.doubleLE()
          : dec.stringDouble();
        if (Number.isNaN(scores[i])) throw new RdbError("Zset score is NaN");
        longest = Math.max(longest, members[i].length);
      }
      if (n > limits.zset.maxEntries || longest > limits.zset.maxValue) {
        zset.encoding = "skiplist";
      }
      for (let i = 0; i < n; i++) zset.set(members[i], scores[i], limits.zset);
      return n === 0 ? null : zset;
    }
    case RdbType.zsetZiplist:
    case RdbType.zsetListpack: {
      const blob = dec.stringBytes();
      const flat = type === RdbType.zsetListpack
        ? listpackEntries(blob)
        : ziplistEntries(blob);
      return flat.length === 0 ? null : zsetFromPairs(flat, limits);
    }
    case RdbType.hash: {
      const n = dec.length();
      const flat: string[] = new Array(n * 2);
      for (let i = 0; i < n * 2; i++) flat[i] = dec.string();
      return n === 0 ? null : hashFromPairs(flat, limits);
    }
    case RdbType.hashZipmap:
    case RdbType.hashZiplist:
    case RdbType.hashListpack: {
      const blob = dec.stringBytes();
      const flat = type === RdbType.hashListpack
        ? listpackEntries(blob)
        : type === RdbType.hashZiplist
        ? ziplistEntries(blob)
        : zipmapEntries(blob);
      return flat.length === 0 ? null : hashFromPairs(flat, limits);
    }
    case RdbType.streamListpacks:
    case RdbType.streamListpacks2:
      return decodeStream(dec, type);
    case RdbType.module:
    case RdbType.module2:
      throw new RdbError("Module values in RDB files are not supported");
  }
  throw new RdbError(`Unknown RDB encoding type ${type}`);
}
