/**
 * Emulation of the x87 80-bit `long double` that Redis's INCRBYFLOAT (and
 * HINCRBYFLOAT) compute in: a 64-bit mantissa and a 15-bit exponent, parsed
 * as glibc's strtold does (correctly rounded, to nearest even), added with
 * one correct rounding, and printed as `%.17Lf` with trailing zeros removed
 * (Redis's ld2string in its human-friendly mode). Values are exact
 * `mantissa * 2^exponent` with bigint mantissas, so every step is exact
 * before its single rounding, as on the hardware.
 * @module
 */

/** A long double: finite, an infinity or NaN. */
export type LongDouble =
  | {
    readonly kind: "finite";
    readonly negative: boolean;
    /** Below 2^64; zero for (signed) zero. */
    readonly mantissa: bigint;
    readonly exponent: number;
  }
  | { readonly kind: "infinity"; readonly negative: boolean }
  | { readonly kind: "nan" };

/** Bits in the x87 extended mantissa (explicit integer bit included). */
const MANTISSA_BITS = 64;
/** Exponent of the mantissa's lowest bit for the smallest subnormal (2^-16445). */
const MIN_EXPONENT = -16445;
/** Exponent of the mantissa's lowest bit for the largest finite value. */
const MAX_EXPONENT = 16383 - (MANTISSA_BITS - 1);
/** Redis's MAX_LONG_DOUBLE_CHARS: longer texts are never numbers. */
const MAX_TEXT_LENGTH = 5 * 1024;
/** Guard bits kept beyond the mantissa when a quotient is inexact. */
const GUARD_BITS = 3;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX =
  /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const SPECIAL = /^([+-]?)(inf|infinity|nan(\([0-9a-zA-Z_]*\))?)$/i;

/** Zero with the given sign. */
function zero(negative: boolean): LongDouble {
  return { kind: "finite", negative, mantissa: 0n, exponent: 0 };
}

/** Number of significant bits of a non-negative bigint. */
function bitLength(n: bigint): number {
  if (n === 0n) return 0;
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(Number.parseInt(hex[0], 16));
}

/**
 * Rounds `n * 2^exponent` to the nearest long double, ties to even, with
 * gradual underflow and overflow to infinity. `sticky` says the true value is
 * a little more than that (an inexact quotient); callers keep guard bits so
 * that excess always falls in the rounded-off part.
 */
function round(
  negative: boolean,
  n: bigint,
  exponent: number,
  sticky = false,
): LongDouble {
  let shift = Math.max(
    bitLength(n) - MANTISSA_BITS,
    MIN_EXPONENT - exponent,
  );
  if (shift > 0) {
    const kept = n >> BigInt(shift);
    const rest = n - (kept << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    const up = rest > half ||
      (rest === half && (sticky || (kept & 1n) === 1n));
    n = up ? kept + 1n : kept;
    if (n >> BigInt(MANTISSA_BITS) !== 0n) {
      n >>= 1n;
      shift++;
    }
    exponent += shift;
  }
  if (n !== 0n && exponent + bitLength(n) - MANTISSA_BITS > MAX_EXPONENT) {
    return { kind: "infinity", negative };
  }
  return { kind: "finite", negative, mantissa: n, exponent };
}

/** True for a finite long double equal to zero (either sign). */
function isZero(x: LongDouble): boolean {
  return x.kind === "finite" && x.mantissa === 0n;
}

/** Long double value of a decimal mantissa `digits` times 10^`exp10`. */
function fromDecimal(negative: boolean, digits: bigint, exp10: number) {
  if (exp10 >= 0) return round(negative, digits * 10n ** BigInt(exp10), 0);
  const divisor = 10n ** BigInt(-exp10);
  // Scale so the quotient carries the mantissa plus guard bits.
  const scale = Math.max(
    0,
    MANTISSA_BITS + GUARD_BITS + bitLength(divisor) - bitLength(digits),
  );
  const scaled = digits << BigInt(scale);
  const quotient = scaled / divisor;
  return round(negative, quotient, -scale, quotient * divisor !== scaled);
}

/**
 * Parses a number as Redis's string2ld does with strtold: decimal or hex
 * notation, `inf`/`infinity`, an optional sign. Returns null for what Redis
 * rejects: empty or over-long text, spaces or any other stray byte (NUL
 * included), NaN, and values that overflow or underflow to zero (strtold's
 * ERANGE); subnormal results are accepted.
 */
export function parseLongDouble(text: string): LongDouble | null {
  if (text.length === 0 || text.length >= MAX_TEXT_LENGTH) return null;
  const special = SPECIAL.exec(text);
  if (special) {
    if (special[2][0] === "n" || special[2][0] === "N") return null;
    return { kind: "infinity", negative: special[1] === "-" };
  }
  const hex = HEX.exec(text);
  if (hex) return parseHex(hex);
  const dec = DECIMAL.exec(text);
  return dec ? parseDecimal(dec) : null;
}

/** A hex float's value from HEX's groups; null when out of range. */
function parseHex(groups: RegExpExecArray): LongDouble | null {
  const [, sign, whole, fraction = "", exponent = "0"] = groups;
  if (whole.length + fraction.length === 0) return null;
  const digits = BigInt("0x" + whole + fraction);
  if (digits === 0n) return zero(sign === "-");
  const exp2 = Number(exponent) - 4 * fraction.length;
  // The value lies in [2^(bits-1), 2^bits): past these bounds it surely
  // overflows or rounds to zero.
  const bits = exp2 + bitLength(digits);
  if (bits > MAX_EXPONENT + MANTISSA_BITS + 1 || bits < MIN_EXPONENT - 1) {
    return null;
  }
  return inRange(round(sign === "-", digits, exp2));
}

/** A decimal number's value from DECIMAL's groups; null when out of range. */
function parseDecimal(groups: RegExpExecArray): LongDouble | null {
  const [, sign, whole, fraction = "", exponent = "0"] = groups;
  if (whole.length + fraction.length === 0) return null;
  const digits = BigInt(whole + fraction);
  if (digits === 0n) return zero(sign === "-");
  const exp10 = Number(exponent) - fraction.length;
  // The value lies in [10^(places-1), 10^places); the long double range is
  // about 3.6e-4951 to 1.19e4932.
  const places = exp10 + digits.toString().length;
  if (places > 4934 || places < -4952) return null;
  return inRange(fromDecimal(sign === "-", digits, exp10));
}

/** strtold's ERANGE cases Redis rejects: overflow, and underflow to zero. */
function inRange(value: LongDouble): LongDouble | null {
  return value.kind === "infinity" || isZero(value) ? null : value;
}

/** The sum `a + b`, rounded once as the x87 unit rounds it. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === "nan" || b.kind === "nan") return { kind: "nan" };
  if (a.kind === "infinity") {
    return b.kind === "infinity" && b.negative !== a.negative
      ? { kind: "nan" }
      : a;
  }
  if (b.kind === "infinity") return b;
  const exponent = Math.min(a.exponent, b.exponent);
  const ma = a.mantissa << BigInt(a.exponent - exponent);
  const mb = b.mantissa << BigInt(b.exponent - exponent);
  const sum = (a.negative ? -ma : ma) + (b.negative ? -mb : mb);
  if (sum === 0n) {
    // An exact zero sum is +0 unless both operands are negative.
    return zero(a.negative && b.negative);
  }
  return round(sum < 0n, sum < 0n ? -sum : sum, exponent);
}

/** True unless `x` is an infinity or NaN. */
export function isFiniteLongDouble(x: LongDouble): boolean {
  return x.kind === "finite";
}

/**
 * Formats a finite long double as `%.17Lf` (exact decimal expansion rounded
 * to 17 places, ties to even), then drops trailing zeros and a bare point,
 * and turns "-0" into "0", as Redis's human-friendly ld2string does.
 */
export function formatLongDouble(x: LongDouble): string {
  if (x.kind === "nan") return "nan";
  if (x.kind === "infinity") return x.negative ? "-inf" : "inf";
  let scaled = x.mantissa * 10n ** 17n;
  if (x.exponent >= 0) {
    scaled <<= BigInt(x.exponent);
  } else {
    const shift = BigInt(-x.exponent);
    const kept = scaled >> shift;
    const rest = scaled - (kept << shift);
    const half = 1n << (shift - 1n);
    scaled = rest > half || (rest === half && (kept & 1n) === 1n)
      ? kept + 1n
      : kept;
  }
  const digits = scaled.toString().padStart(18, "0");
  let text = digits.slice(0, -17) + "." + digits.slice(-17);
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text.charCodeAt(end - 1) === 46) end--;
  text = text.slice(0, end);
  if (x.negative && text !== "0") return "-" + text;
  return text;
}
