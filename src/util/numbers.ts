/**
 * Number parsing and formatting with Redis's exact rules.
 * @module
 */

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Matches what Redis's string2ll accepts: no `+`, no leading zeros, no `-0`, no spaces. */
const STRICT_INT = /^(0|-?[1-9][0-9]{0,18})$/;

/**
 * Parses a strict 64-bit integer as Redis's string2ll does. Returns null when
 * invalid or out of range. Values past 2^53 lose precision as JS numbers; use
 * {@linkcode parseInt64} where they matter.
 */
export function parseInteger(s: string): number | null {
  if (s.length > 20 || !STRICT_INT.test(s)) return null;
  if (s.length >= 19) {
    const big = BigInt(s);
    if (big > INT64_MAX || big < INT64_MIN) return null;
  }
  return Number(s);
}

/** Parses a strict 64-bit integer exactly, as a bigint; null when invalid. */
export function parseInt64(s: string): bigint | null {
  if (s.length > 20 || !STRICT_INT.test(s)) return null;
  const big = BigInt(s);
  return big > INT64_MAX || big < INT64_MIN ? null : big;
}

/**
 * Parses a double as Redis's string2d/strtod accepts it (`inf`, `-inf`,
 * exponents, hex floats are not accepted); returns null for invalid input,
 * spaces or NaN.
 */
export function parseDouble(s: string): number | null {
  if (s.length === 0 || s.length > 5000) return null;
  const lower = s.toLowerCase();
  if (
    lower === "inf" || lower === "+inf" || lower === "infinity" ||
    lower === "+infinity"
  ) {
    return Infinity;
  }
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return null;
  const d = Number(s);
  return Number.isNaN(d) ? null : d;
}

/** Formats a double as C's `%.17g` (Redis's addReplyDouble and d2string). */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return "nan";
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  const exp = d.toExponential(16);
  const e = exp.indexOf("e");
  const x = Number(exp.slice(e + 1));
  if (x < -4 || x >= 17) {
    const mantissa = trimZeros(exp.slice(0, e));
    const abs = Math.abs(x);
    return mantissa + "e" + (x < 0 ? "-" : "+") + (abs < 10 ? "0" : "") + abs;
  }
  return trimZeros(d.toFixed(16 - x));
}

/** Drops trailing zeros after a decimal point, and the point itself if bare. */
function trimZeros(s: string): string {
  if (!s.includes(".")) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

/**
 * Parses a memory size as redis.conf does (`1gb`, `100mb`, `512k`, plain bytes);
 * k/m/g are powers of 1000, kb/mb/gb powers of 1024. Returns null when invalid.
 */
export function parseMemory(s: string): number | null {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(s);
  if (!m) return null;
  const units: Record<string, number> = {
    b: 1,
    k: 1000,
    kb: 1024,
    m: 1000 ** 2,
    mb: 1024 ** 2,
    g: 1000 ** 3,
    gb: 1024 ** 3,
  };
  return Number(m[1]) * (m[2] ? units[m[2].toLowerCase()] : 1);
}
