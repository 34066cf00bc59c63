/**
 * Bit-level helpers over byte arrays, as Redis's bitmap commands see a
 * string: bit 0 is the most significant bit of the first byte. Pure
 * functions, no keyspace: popcount, bit search, BITOP, range resolution and
 * BITFIELD's integer fields with their overflow rules (exact 64-bit
 * arithmetic in bigint).
 *
 * Bit offsets are plain numbers and may exceed 2^32 (a 512 MB string has
 * 2^32 bits), so they are split with division, never with `>>`.
 * @module
 */

import { parseInteger } from "../util/numbers.ts";

/** Set bits per byte value. */
const BITS_IN_BYTE = new Uint8Array(256);
for (let i = 1; i < 256; i++) BITS_IN_BYTE[i] = (i & 1) + BITS_IN_BYTE[i >> 1];

/** Set bits in a 32-bit word (SWAR). */
function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Number of set bits in `bytes`; whole aligned words at a time. */
export function popcount(bytes: Uint8Array): number {
  let count = 0;
  let i = 0;
  const n = bytes.length;
  while (i < n && (bytes.byteOffset + i) % 4 !== 0) {
    count += BITS_IN_BYTE[bytes[i++]];
  }
  const words = Math.floor((n - i) / 4);
  if (words > 0) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    for (let w = 0; w < words; w++) count += popcount32(view[w]);
    i += words * 4;
  }
  while (i < n) count += BITS_IN_BYTE[bytes[i++]];
  return count;
}

/**
 * Number of set bits from bit `first` to bit `last` (inclusive) of `bytes`;
 * bits past the end count as zero.
 */
export function countBits(
  bytes: Uint8Array,
  first: number,
  last: number,
): number {
  if (first > last) return 0;
  const firstByte = Math.floor(first / 8);
  const lastByte = Math.min(Math.floor(last / 8), bytes.length - 1);
  if (firstByte > lastByte) return 0;
  let count = popcount(bytes.subarray(firstByte, lastByte + 1));
  // Take back the bits of the edge bytes that lie outside the range.
  count -= BITS_IN_BYTE[bytes[firstByte] & ~(0xff >> (first % 8)) & 0xff];
  if (lastByte === Math.floor(last / 8)) {
    count -= BITS_IN_BYTE[bytes[lastByte] & (0xff >> (last % 8 + 1))];
  }
  return count;
}

/**
 * Position of the first bit equal to `bit` from bit `first` to bit `last`
 * (inclusive), or -1 when there is none. `last` must lie inside `bytes`.
 */
export function findBit(
  bytes: Uint8Array,
  bit: 0 | 1,
  first: number,
  last: number,
): number {
  // A byte with no wanted bit: all zeros when seeking a 1, all ones for a 0.
  const skip = bit === 1 ? 0 : 0xff;
  let pos = first;
  while (pos <= last) {
    const byteIndex = Math.floor(pos / 8);
    const byte = bytes[byteIndex];
    if (pos % 8 === 0 && last - pos >= 7 && byte === skip) {
      pos += 8;
      continue;
    }
    if (((byte >> (7 - pos % 8)) & 1) === bit) return pos;
    pos++;
  }
  return -1;
}

/** Sets the bit at `offset` (inside `bytes`) and returns its previous value. */
export function setBit(bytes: Uint8Array, offset: number, on: 0 | 1): 0 | 1 {
  const byteIndex = Math.floor(offset / 8);
  const mask = 1 << (7 - offset % 8);
  const old = bytes[byteIndex] & mask ? 1 : 0;
  bytes[byteIndex] = on ? bytes[byteIndex] | mask : bytes[byteIndex] & ~mask;
  return old;
}

/** BITOP's operations. */
export type BitOperation = "and" | "or" | "xor" | "not";

/**
 * BITOP: combines `sources` byte by byte, the shorter ones padded with zero
 * bytes; the result is as long as the longest source. NOT takes one source.
 */
export function bitop(op: BitOperation, sources: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const s of sources) length = Math.max(length, s.length);
  const out = new Uint8Array(length);
  out.set(sources[0]);
  if (op === "not") {
    for (let i = 0; i < length; i++) out[i] = ~out[i];
    return out;
  }
  for (let k = 1; k < sources.length; k++) {
    const s = sources[k];
    const n = s.length;
    if (op === "and") {
      for (let i = 0; i < n; i++) out[i] &= s[i];
      out.fill(0, n);
    } else if (op === "or") {
      for (let i = 0; i < n; i++) out[i] |= s[i];
    } else {
      for (let i = 0; i < n; i++) out[i] ^= s[i];
    }
  }
  return out;
}

/**
 * Resolves a BITCOUNT/BITPOS range over `total` units (bytes or bits):
 * negative indexes count from the end, then both ends are clamped into the
 * value. `start > end` means an empty range. Computed in bigint because the
 * arguments are any 64-bit integers.
 */
export function resolveRange(
  start: bigint,
  end: bigint,
  total: number,
): { start: number; end: number } {
  const t = BigInt(total);
  if (start < 0n) start += t;
  if (end < 0n) end += t;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= t) end = t - 1n;
  return { start: Number(start), end: Number(end) };
}

/** A BITFIELD integer type such as i16 or u8. */
export interface BitfieldType {
  signed: boolean;
  /** 1-64 for signed, 1-63 for unsigned. */
  bits: number;
}

/**
 * Parses a BITFIELD type (`i1`..`i64`, `u1`..`u63`); null when invalid. As
 * in Redis, the width ends at the first NUL byte.
 */
export function parseBitfieldType(arg: string): BitfieldType | null {
  const sign = arg[0];
  if (sign !== "i" && sign !== "u") return null;
  const nul = arg.indexOf("\0");
  const bits = parseInteger(arg.slice(1, nul === -1 ? undefined : nul));
  const signed = sign === "i";
  if (bits === null || bits < 1 || bits > (signed ? 64 : 63)) return null;
  return { signed, bits };
}

/**
 * Reads the integer field of `type` at bit `offset`; bytes past the end
 * read as zero.
 */
export function getBitfield(
  bytes: Uint8Array,
  offset: number,
  type: BitfieldType,
): bigint {
  const first = Math.floor(offset / 8);
  const span = Math.ceil((offset % 8 + type.bits) / 8);
  let word = 0n;
  for (let i = first; i < first + span; i++) {
    word = (word << 8n) | BigInt(i < bytes.length ? bytes[i] : 0);
  }
  const raw = BigInt.asUintN(
    type.bits,
    word >> BigInt(span * 8 - offset % 8 - type.bits),
  );
  return type.signed ? BigInt.asIntN(type.bits, raw) : raw;
}

/**
 * Writes `value` (its low `type.bits` bits, two's complement) as the field
 * at bit `offset`; the field must lie inside `bytes`.
 */
export function setBitfield(
  bytes: Uint8Array,
  offset: number,
  type: BitfieldType,
  value: bigint,
): void {
  const first = Math.floor(offset / 8);
  const span = Math.ceil((offset % 8 + type.bits) / 8);
  let word = 0n;
  for (let i = first; i < first + span; i++) {
    word = (word << 8n) | BigInt(bytes[i]);
  }
  const shift = BigInt(span * 8 - offset % 8 - type.bits);
  const mask = ((1n << BigInt(type.bits)) - 1n) << shift;
  word = (word & ~mask) | ((BigInt.asUintN(type.bits, value) << shift) & mask);
  for (let i = first + span - 1; i >= first; i--) {
    bytes[i] = Number(word & 0xffn);
    word >>= 8n;
  }
}

/** BITFIELD's OVERFLOW behaviours. */
export type OverflowMode = "wrap" | "sat" | "fail";

/** The smallest and largest values a field of `type` holds. */
function bitfieldLimits(type: BitfieldType): [bigint, bigint] {
  const bits = BigInt(type.bits);
  if (!type.signed) return [0n, (1n << bits) - 1n];
  const max = (1n << (bits - 1n)) - 1n;
  return [-max - 1n, max];
}

/**
 * Whether `value + incr` overflows (1), underflows (-1) or fits (0) a field
 * of `type`, decided as Redis's C does it, 64-bit wraparound included: a
 * signed SET of a value far below the type's range (below max - 2^63 + 1)
 * counts as an overflow, so SAT stores the maximum, as Redis 7.0 does.
 */
function overflowDirection(
  value: bigint,
  incr: bigint,
  type: BitfieldType,
): -1 | 0 | 1 {
  const [min, max] = bitfieldLimits(type);
  if (!type.signed) {
    if (value > max || incr > max - value) return 1;
    return incr < -value ? -1 : 0;
  }
  const maxIncr = BigInt.asIntN(64, max - value);
  const minIncr = BigInt.asIntN(64, min - value);
  const narrow = type.bits !== 64;
  if (
    value > max || (narrow && incr > maxIncr) ||
    (value >= 0n && incr > 0n && incr > maxIncr)
  ) return 1;
  if (
    value < min || (narrow && incr < minIncr) ||
    (value < 0n && incr < 0n && incr < minIncr)
  ) return -1;
  return 0;
}

/**
 * The value a field of `type` holds after a SET (`value` is the argument,
 * as its 64-bit pattern for unsigned types, `incr` 0) or an INCRBY (`value`
 * is the old field): the sum when it fits, else wrapped (two's complement),
 * saturated at the limit, or null when FAIL refuses the operation.
 */
export function bitfieldResult(
  value: bigint,
  incr: bigint,
  type: BitfieldType,
  mode: OverflowMode,
): bigint | null {
  const direction = overflowDirection(value, incr, type);
  if (direction === 0) return value + incr;
  if (mode === "fail") return null;
  if (mode === "sat") return bitfieldLimits(type)[direction > 0 ? 1 : 0];
  return type.signed
    ? BigInt.asIntN(type.bits, value + incr)
    : BigInt.asUintN(type.bits, value + incr);
}
