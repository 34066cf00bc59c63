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

const DECIMAL_FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const HEX_FLOAT = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i;

/**
 * Parses a double as Redis's string2d does with strtod: decimal or hex
 * (`0x1p3`) notation, `inf`/`infinity` in any case, an optional sign. Returns
 * null for anything else: spaces, trailing bytes, NaN, and values that
 * overflow to infinity or underflow to zero (strtod's ERANGE).
 */
export function parseDouble(s: string): number | null {
  const lower = s.toLowerCase();
  const sign = lower[0] === "-" || lower[0] === "+" ? lower[0] : "";
  const word = lower.slice(sign.length);
  if (word === "inf" || word === "infinity") {
    return sign === "-" ? -Infinity : Infinity;
  }
  let value: number;
  let mantissa: string;
  if (DECIMAL_FLOAT.test(s)) {
    value = Number(s);
    mantissa = word.split("e")[0];
  } else {
    const hex = HEX_FLOAT.exec(s);
    if (!hex || (hex[2] + (hex[3] ?? "")).length === 0) return null;
    value = parseHexFloat(hex[1], hex[2], hex[3] ?? "", hex[4] ?? "0");
    mantissa = hex[2] + (hex[3] ?? "");
  }
  if (!Number.isFinite(value)) return null;
  if (value === 0 && /[1-9a-f]/i.test(mantissa)) return null;
  return value;
}

/** Value of a hex float from its sign, digits around the point and binary exponent. */
function parseHexFloat(
  sign: string,
  whole: string,
  fraction: string,
  exponent: string,
): number {
  const digits = BigInt("0x" + (whole + fraction || "0"));
  let value = Number(digits);
  // Scale in steps so an intermediate power of two never overflows.
  let shift = Number(exponent) - 4 * fraction.length;
  while (shift !== 0 && value !== 0 && Number.isFinite(value)) {
    const step = Math.max(-1000, Math.min(1000, shift));
    value *= 2 ** step;
    shift -= step;
  }
  return sign === "-" ? -value : value;
}

/** Formats a double as C's `%.17g` (Redis's addReplyDouble and d2string). */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return "nan";
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  const [digits, exp] = significantDigits(Math.abs(d));
  const sign = d < 0 ? "-" : "";
  if (exp < -4 || exp >= 17) {
    const mantissa = trimZeros(digits[0] + "." + digits.slice(1));
    const abs = Math.abs(exp);
    return sign + mantissa + "e" + (exp < 0 ? "-" : "+") +
      (abs < 10 ? "0" : "") + abs;
  }
  if (exp >= 0) {
    return sign +
      trimZeros(digits.slice(0, exp + 1) + "." + digits.slice(exp + 1));
  }
  return sign + trimZeros("0." + "0".repeat(-exp - 1) + digits);
}

/**
 * The 17 significant digits of a positive finite `a` and the decimal exponent
 * of the first. toExponential rounds a tie away from zero where printf rounds
 * it to even; a tie needs an exact 18-digit expansion, which only values with
 * between 2 and 25 fractional bits have, so only those take the exact path.
 */
function significantDigits(a: number): [string, number] {
  if (Number.isInteger(a) || !Number.isInteger(a * 2 ** 25)) {
    const s = a.toExponential(16);
    return [s[0] + s.slice(2, 18), Number(s.slice(19))];
  }
  // a * 10^25 is an integer: its digits are a's exact decimal expansion.
  const exact = (BigInt(a * 2 ** 25) * 5n ** 25n).toString();
  let exp = exact.length - 26;
  if (exact.length <= 17) return [exact.padEnd(17, "0"), exp];
  let kept = BigInt(exact.slice(0, 17));
  const rest = exact.slice(17);
  const half = "5".padEnd(rest.length, "0");
  if (rest > half || (rest === half && kept % 2n === 1n)) kept++;
  let digits = kept.toString();
  if (digits.length > 17) {
    digits = digits.slice(0, 17);
    exp++;
  }
  return [digits, exp];
}

/** Drops trailing zeros after a decimal point, and the point itself if bare. */
function trimZeros(s: string): string {
  if (!s.includes(".")) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}
