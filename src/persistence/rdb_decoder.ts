/**
 * Reads values in Redis's RDB encoding (rdb.c's rdbLoad* side): every
 * encoding Redis 7.0 writes and the older ones it still loads (linked lists,
 * ziplists, quicklists of ziplists, zipmaps, string-encoded scores). Values
 * are rebuilt through the store classes with the encoding limits in force,
 * so a loaded value reports the OBJECT ENCODING Redis would give it. Streams
 * are read by rdb_stream.ts; module values are refused with an
 * {@linkcode RdbError} naming the module type, as Redis without the module
 * refuses them.
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
    if (encoding > 2) {
      throw new RdbError(`Unknown RDB string encoding type ${encoding}`);
    }
    const width = 1 << encoding;
    this.need(width);
    const at = this.pos;
    this.pos += width;
    return width === 1
      ? this.view.getInt8(at)
      : width === 2
      ? this.view.getInt16(at, true)
      : this.view.getInt32(at, true);
  }

  /**
   * A score of the old RDB_TYPE_ZSET: a length byte (253 NaN, 254 +inf,
   * 255 -inf) or the length of its text, read with sscanf's %lg.
   */
  stringDouble(): number {
    const length = this.byte();
    if (length === 253) return NaN;
    if (length === 254) return Infinity;
    if (length === 255) return -Infinity;
    const d = parseLeadingDouble(bytesToBinary(this.take(length), 0, length));
    if (d === null) throw new RdbError("Invalid double value");
    return d;
  }
}

/** The characters of module type names, 6 bits each (ModuleTypeNameCharSet). */
const MODULE_NAME_CHARS =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * The 9-character module type name in a 64-bit module ID given as two
 * 32-bit words (moduleTypeNameByID): the top 54 bits, above the 10-bit
 * encoding version.
 */
export function moduleTypeName([high, low]: [number, number]): string {
  let id = ((BigInt(high) << 32n) | BigInt(low)) >> 10n;
  let name = "";
  for (let i = 0; i < 9; i++) {
    name = MODULE_NAME_CHARS[Number(id & 63n)] + name;
    id >>= 6n;
  }
  return name;
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

/** The payload size of a ziplist integer entry, or -1 for a bad encoding byte. */
function ziplistIntWidth(b: number): number {
  if (b >= 0xf1 && b <= 0xfd) return 0; // 4-bit immediate
  switch (b) {
    case 0xfe:
      return 1;
    case 0xc0:
      return 2;
    case 0xf0:
      return 3;
    case 0xd0:
      return 4;
    case 0xe0:
      return 8;
  }
  return -1;
}

/**
 * Elements of a ziplist blob (the pre-7.0 compact encoding), checked as
 * Redis 7.0's ziplistValidateIntegrity checks it on load: the header's byte
 * count, tail offset and entry count (unless saturated at 65535), each
 * entry's previous-length field, and every entry inside the blob. `what`
 * names the value in the error ("Hash ziplist", ...).
 */
export function ziplistEntries(zl: Uint8Array, what = "Ziplist"): string[] {
  const bad = () => new RdbError(`${what} integrity check failed.`);
  const view = new DataView(zl.buffer, zl.byteOffset, zl.byteLength);
  const last = zl.length - 1; // the 0xff terminator
  if (
    zl.length < 11 || view.getUint32(0, true) !== zl.length ||
    zl[last] !== 0xff || view.getUint32(4, true) > last
  ) {
    throw bad();
  }
  const out: string[] = [];
  let p = 10;
  let previousStart = -1;
  let previousSize = 0;
  while (zl[p] !== 0xff) {
    const start = p;
    let prevlen = zl[p];
    if (prevlen < 254) {
      p += 1;
    } else {
      if (p + 5 > last) throw bad();
      prevlen = view.getUint32(p + 1, true);
      p += 5;
    }
    if (prevlen !== previousSize || p >= last) throw bad();
    const b = zl[p];
    let header: number;
    let length: number;
    let text: string;
    if (b < 0xc0) {
      const kind = b >> 6;
      header = kind === 0 ? 1 : kind === 1 ? 2 : 5;
      if (p + header > last) throw bad();
      length = kind === 0
        ? b & 0x3f
        : kind === 1
        ? ((b & 0x3f) << 8) | zl[p + 1]
        : view.getUint32(p + 1, false);
      if (p + header + length > last) throw bad();
      text = bytesToBinary(zl, p + header, p + header + length);
    } else {
      header = 1;
      length = ziplistIntWidth(b);
      if (length < 0 || p + 1 + length > last) throw bad();
      text = length === 0
        ? String((b & 0x0f) - 1)
        : String(littleEndianSigned(zl, p + 1, length));
    }
    out.push(text);
    p += header + length;
    previousStart = start;
    previousSize = p - start;
  }
  const tail = view.getUint32(4, true);
  const count = view.getUint16(8, true);
  if (previousStart !== -1 && previousStart !== tail) throw bad();
  if (count !== 0xffff && count !== out.length) throw bad();
  return out;
}

/** Members of an intset blob, ascending (intsetValidateIntegrity's header checks). */
export function intsetMembers(is: Uint8Array): string[] {
  const view = new DataView(is.buffer, is.byteOffset, is.byteLength);
  if (is.length < 8) throw new RdbError("Intset integrity check failed.");
  const width = view.getUint32(0, true);
  const count = view.getUint32(4, true);
  if (
    ![2, 4, 8].includes(width) || 8 + width * count !== is.length ||
    count === 0
  ) {
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

/**
 * Field/value pairs of a zipmap blob (the pre-2.6 hash encoding),
 * flattened, checked as zipmapValidateIntegrity does: every length and
 * entry inside the blob, at least one pair, and the count byte right
 * unless it says 254 ("unknown").
 */
export function zipmapEntries(zm: Uint8Array): string[] {
  const bad = () => new RdbError("Zipmap integrity check failed.");
  if (zm.length < 2 || zm[zm.length - 1] !== 0xff) throw bad();
  const view = new DataView(zm.buffer, zm.byteOffset, zm.byteLength);
  const last = zm.length - 1;
  const out: string[] = [];
  let p = 1;
  const lengthAt = (): number => {
    const size = zm[p] < 254 ? 1 : 5;
    if (p + size > last) throw bad();
    const n = size === 1 ? zm[p] : view.getUint32(p + 1, true);
    p += size;
    return n;
  };
  while (zm[p] !== 0xff) {
    const fieldLength = lengthAt();
    if (p + fieldLength > last) throw bad();
    const field = bytesToBinary(zm, p, p + fieldLength);
    p += fieldLength;
    const valueLength = lengthAt();
    const free = zm[p++];
    if (p + valueLength + free > last) throw bad();
    out.push(field, bytesToBinary(zm, p, p + valueLength));
    p += valueLength + free;
  }
  const pairs = out.length / 2;
  if (pairs === 0 || (zm[0] !== 254 && zm[0] !== pairs)) throw bad();
  return out;
}

/**
 * A hash from flattened pairs. `limits` decide the encoding: a ziplist or
 * listpack is converted by its number of fields alone (Redis checks only
 * that, in O(1), when it loads one), zipmaps and plain hashes by value
 * sizes too. An odd count or a repeated field makes the value corrupt:
 * `corrupt` is the error then.
 */
function hashFromPairs(
  flat: string[],
  limits: HashLimits,
  corrupt: string,
): HashValue {
  if (flat.length % 2 !== 0) throw new RdbError(corrupt);
  const hash = new HashValue();
  for (let i = 0; i < flat.length; i += 2) {
    if (!hash.set(flat[i], flat[i + 1], limits)) throw new RdbError(corrupt);
  }
  return hash;
}

/** Limits that convert by the number of entries only, as Redis loads a ziplist or listpack. */
function byCount<T extends { maxEntries: number; maxValue: number }>(
  limits: T,
): T {
  return { ...limits, maxValue: Infinity };
}

/**
 * The double at the start of `text` as C's strtod (and sscanf's %lg) reads
 * it: leading white space, a sign, then decimal digits with a fraction and
 * an exponent, hexadecimal ones (`0x1.8p1`), or inf/infinity/nan; null when
 * there is none.
 */
function parseLeadingDouble(text: string): number | null {
  const match =
    /^[ \t\n\v\f\r]*([+-]?)(?:(inf(?:inity)?|nan)|0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP]([+-]?[0-9]+))?|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?))/i
      .exec(text);
  if (match === null) return null;
  const [, sign, word, hex, binaryExponent, decimal] = match;
  let value: number;
  if (word !== undefined) {
    value = word.toLowerCase() === "nan" ? NaN : Infinity;
  } else if (hex !== undefined) {
    const [whole, fraction = ""] = hex.split(".");
    value = parseInt(`${whole}${fraction}` || "0", 16) /
      16 ** fraction.length * 2 ** Number(binaryExponent ?? 0);
  } else {
    value = Number(decimal);
  }
  return sign === "-" ? -value : value;
}

/**
 * A sorted set from flattened member/score pairs of a ziplist or listpack
 * (scores as text, read by strtod as zzlGetScore does), converted by size
 * alone; an odd count or a repeated member makes it corrupt (`corrupt`
 * is the error).
 */
function zsetFromPairs(
  flat: string[],
  limits: EncodingLimits,
  corrupt: string,
): SortedSet {
  if (flat.length % 2 !== 0) throw new RdbError(corrupt);
  const zset = new SortedSet();
  const zsetLimits = byCount(limits.zset);
  for (let i = 0; i < flat.length; i += 2) {
    const score = parseLeadingDouble(flat[i + 1]) ?? 0;
    if (Number.isNaN(score)) throw new RdbError("Zset score is not a number");
    if (!zset.set(flat[i], score, zsetLimits)) throw new RdbError(corrupt);
  }
  return zset;
}

/** A set of `members`; a repeated one makes the value corrupt, as in Redis. */
function setFromMembers(members: string[], limits: EncodingLimits): RedisSet {
  const set = RedisSet.forMember(members[0] ?? "");
  for (const m of members) {
    if (!set.add(m, limits.setMaxIntsetEntries)) {
      throw new RdbError("Duplicate set members detected");
    }
  }
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
      const list = ListValue.from(
        ziplistEntries(dec.stringBytes(), "List ziplist"),
      );
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
        if (blob.length === 0) {
          throw new RdbError("Quicklist integrity check failed.");
        }
        // Empty nodes are skipped, as Redis skips them.
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
        if (Number.isNaN(scores[i])) {
          throw new RdbError("Zset with NAN score detected");
        }
        longest = Math.max(longest, members[i].length);
      }
      if (n > limits.zset.maxEntries || longest > limits.zset.maxValue) {
        zset.encoding = "skiplist";
      }
      for (let i = 0; i < n; i++) {
        if (!zset.set(members[i], scores[i], limits.zset)) {
          throw new RdbError("Duplicate zset fields detected");
        }
      }
      return n === 0 ? null : zset;
    }
    case RdbType.zsetZiplist:
    case RdbType.zsetListpack: {
      const blob = dec.stringBytes();
      const what = type === RdbType.zsetListpack
        ? "Zset listpack"
        : "Zset ziplist";
      const flat = type === RdbType.zsetListpack
        ? listpackEntries(blob)
        : ziplistEntries(blob, what);
      if (flat.length === 0) return null;
      return zsetFromPairs(flat, limits, `${what} integrity check failed.`);
    }
    case RdbType.hash: {
      const n = dec.length();
      const flat: string[] = new Array(n * 2);
      for (let i = 0; i < n * 2; i++) flat[i] = dec.string();
      if (n === 0) return null;
      return hashFromPairs(flat, limits.hash, "Duplicate hash fields detected");
    }
    case RdbType.hashZipmap:
    case RdbType.hashZiplist:
    case RdbType.hashListpack: {
      const blob = dec.stringBytes();
      if (type === RdbType.hashZipmap) {
        // Zipmaps are converted by value sizes too (Redis scans them anyway).
        return hashFromPairs(
          zipmapEntries(blob),
          limits.hash,
          "Hash zipmap with dup elements",
        );
      }
      const what = type === RdbType.hashListpack
        ? "Hash listpack"
        : "Hash ziplist";
      const flat = type === RdbType.hashListpack
        ? listpackEntries(blob)
        : ziplistEntries(blob, what);
      if (flat.length === 0) return null;
      return hashFromPairs(
        flat,
        byCount(limits.hash),
        `${what} integrity check failed.`,
      );
    }
    case RdbType.streamListpacks:
    case RdbType.streamListpacks2:
      return decodeStream(dec, type);
    case RdbType.module:
    case RdbType.module2:
      throw new RdbError(
        `The RDB file contains module data I can't load: no matching module type '${
          moduleTypeName(dec.lengthWords())
        }'`,
      );
  }
  throw new RdbError(`Unknown RDB encoding type ${type}`);
}
