/**
 * Stream entry IDs as Redis keeps them: two unsigned 64-bit numbers, the
 * milliseconds and the sequence. JavaScript numbers are exact only up to
 * 2^53, so each half is held as two 32-bit words; comparison and increment
 * stay in plain number arithmetic and only printing IDs above 2^53 ms goes
 * through BigInt.
 * @module
 */

const TWO_32 = 4294967296;
const U32_MAX = 0xffffffff;
const U64_MAX = 18446744073709551615n;

/** A stream entry ID: ms = msHi * 2^32 + msLo, seq = seqHi * 2^32 + seqLo. */
export interface StreamId {
  readonly msHi: number;
  readonly msLo: number;
  readonly seqHi: number;
  readonly seqLo: number;
}

/** Builds an ID from its four 32-bit words. */
export function streamId(
  msHi: number,
  msLo: number,
  seqHi: number,
  seqLo: number,
): StreamId {
  return { msHi, msLo, seqHi, seqLo };
}

/** 0-0. */
export const MIN_ID: StreamId = streamId(0, 0, 0, 0);
/** 18446744073709551615-18446744073709551615, what `+` means. */
export const MAX_ID: StreamId = streamId(U32_MAX, U32_MAX, U32_MAX, U32_MAX);

/** An ID from milliseconds below 2^53 and sequence 0 (an auto-generated ID). */
export function idFromMs(ms: number): StreamId {
  return streamId(Math.floor(ms / TWO_32), ms >>> 0, 0, 0);
}

/** Orders two IDs: negative, zero or positive. */
export function compareIds(a: StreamId, b: StreamId): number {
  return (a.msHi - b.msHi) || (a.msLo - b.msLo) || (a.seqHi - b.seqHi) ||
    (a.seqLo - b.seqLo);
}

/** True when the ID is 0-0. */
export function isZeroId(id: StreamId): boolean {
  return (id.msHi | id.msLo | id.seqHi | id.seqLo) === 0;
}

/** True when the ID is the largest one. */
export function isMaxId(id: StreamId): boolean {
  return id.msHi === U32_MAX && id.msLo === U32_MAX &&
    id.seqHi === U32_MAX && id.seqLo === U32_MAX;
}

/** The next ID (Redis's streamIncrID), or null after the largest. */
export function incrementId(id: StreamId): StreamId | null {
  let { msHi, msLo, seqHi, seqLo } = id;
  if (seqLo !== U32_MAX) return streamId(msHi, msLo, seqHi, seqLo + 1);
  seqLo = 0;
  if (seqHi !== U32_MAX) return streamId(msHi, msLo, seqHi + 1, seqLo);
  seqHi = 0;
  if (msLo !== U32_MAX) return streamId(msHi, msLo + 1, seqHi, seqLo);
  msLo = 0;
  if (msHi !== U32_MAX) return streamId(msHi + 1, msLo, seqHi, seqLo);
  return null;
}

/** The previous ID (Redis's streamDecrID), or null before 0-0. */
export function decrementId(id: StreamId): StreamId | null {
  let { msHi, msLo, seqHi, seqLo } = id;
  if (seqLo !== 0) return streamId(msHi, msLo, seqHi, seqLo - 1);
  seqLo = U32_MAX;
  if (seqHi !== 0) return streamId(msHi, msLo, seqHi - 1, seqLo);
  seqHi = U32_MAX;
  if (msLo !== 0) return streamId(msHi, msLo - 1, seqHi, seqLo);
  msLo = U32_MAX;
  if (msHi !== 0) return streamId(msHi - 1, msLo, seqHi, seqLo);
  return null;
}

/** True when both IDs have the same milliseconds. */
export function sameMs(a: StreamId, b: StreamId): boolean {
  return a.msHi === b.msHi && a.msLo === b.msLo;
}

/** True when the sequence is the largest (no next sequence in this ms). */
export function seqIsMax(id: StreamId): boolean {
  return id.seqHi === U32_MAX && id.seqLo === U32_MAX;
}

/** Formats one 64-bit half in decimal. */
function formatU64(hi: number, lo: number): string {
  if (hi < 0x200000) return String(hi * TWO_32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** The milliseconds in decimal. */
export function formatMs(id: StreamId): string {
  return formatU64(id.msHi, id.msLo);
}

/** The sequence in decimal. */
export function formatSeq(id: StreamId): string {
  return formatU64(id.seqHi, id.seqLo);
}

/** `<ms>-<seq>`, as replies show IDs. */
export function formatId(id: StreamId): string {
  if (id.msHi < 0x200000 && id.seqHi === 0) {
    return `${id.msHi * TWO_32 + id.msLo}-${id.seqLo}`;
  }
  return `${formatMs(id)}-${formatSeq(id)}`;
}

/**
 * A 16-character string whose code-unit order is the ID order (each
 * character one 16-bit piece, most significant first): a Map key that also
 * sorts like the ID, as Redis's 128-bit big-endian rax keys do.
 */
export function idKey(id: StreamId): string {
  return String.fromCharCode(
    id.msHi >>> 16,
    id.msHi & 0xffff,
    id.msLo >>> 16,
    id.msLo & 0xffff,
    id.seqHi >>> 16,
    id.seqHi & 0xffff,
    id.seqLo >>> 16,
    id.seqLo & 0xffff,
  );
}

/** The ID an {@linkcode idKey} was made from. */
export function idFromKey(key: string): StreamId {
  const c = (i: number) => key.charCodeAt(i);
  return streamId(
    c(0) * 65536 + c(1),
    c(2) * 65536 + c(3),
    c(4) * 65536 + c(5),
    c(6) * 65536 + c(7),
  );
}

/** The 16 bytes of Redis's big-endian rax key for `id`. */
export function idBytes(id: StreamId): number[] {
  const out: number[] = [];
  for (const word of [id.msHi, id.msLo, id.seqHi, id.seqLo]) {
    out.push(
      word >>> 24,
      (word >>> 16) & 0xff,
      (word >>> 8) & 0xff,
      word & 0xff,
    );
  }
  return out;
}

/** C's isspace, which strtoull skips before the number. */
function isCSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/**
 * Parses an unsigned 64-bit number as Redis's string2ull does: a strict
 * integer first (a negative one fails), else C's strtoull, which skips
 * leading blanks, takes a sign (negating modulo 2^64) and leading zeros,
 * and fails on overflow or trailing characters. Returns [hi, lo] or null.
 */
export function parseU64(text: string): [number, number] | null {
  let i = 0;
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++;
  let negative = false;
  if (text[i] === "+" || text[i] === "-") negative = text[i++] === "-";
  const digits = text.slice(i);
  if (digits.length === 0 || !/^[0-9]+$/.test(digits)) return null;
  if (negative && i === 1 && /^[1-9][0-9]*$/.test(digits)) {
    // A canonical negative integer: string2ll accepts it and Redis refuses it.
    if (BigInt(digits) <= 9223372036854775808n) return null;
  }
  let value: bigint;
  if (digits.length <= 15 && !negative) {
    const n = Number(digits);
    return [Math.floor(n / TWO_32), n >>> 0];
  }
  value = BigInt(digits);
  if (value > U64_MAX) return null;
  if (negative) value = (-value) & U64_MAX;
  return [Number(value >> 32n), Number(value & 0xffffffffn)];
}

/** Milliseconds of an ID as a number (exact below 2^53), for time arithmetic. */
export function msNumber(id: StreamId): number {
  return id.msHi * TWO_32 + id.msLo;
}
