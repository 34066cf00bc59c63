import assert from "node:assert/strict";
import {
  formatDouble,
  parseDouble,
  parseInt64,
  parseInteger,
} from "../../src/util/numbers.ts";

// Expected strings produced with python3's `'%.17g' % value` (C's printf
// rounding, round-half-even on the exact binary value) when this test was
// written. Sources are strings so the literals cannot lose precision.
const DOUBLES: [number, string][] = [
  [0.1, "0.10000000000000001"],
  [0.2, "0.20000000000000001"],
  [0.3, "0.29999999999999999"],
  [0.1 + 0.2, "0.30000000000000004"],
  [1 / 3, "0.33333333333333331"],
  [2 / 3, "0.66666666666666663"],
  [1e20, "1e+20"],
  [1e21, "1e+21"],
  [1e16, "10000000000000000"],
  [1e17, "1e+17"],
  [1e15, "1000000000000000"],
  [1e-5, "1.0000000000000001e-05"],
  [1e-4, "0.0001"],
  [0.0001234, "0.00012339999999999999"],
  [Number("123456789012345678"), "1.2345678901234568e+17"],
  [Number("5e-324"), "4.9406564584124654e-324"],
  [Number("2.2250738585072014e-308"), "2.2250738585072014e-308"],
  [Number.MAX_VALUE, "1.7976931348623157e+308"],
  [1, "1"],
  [-1.5, "-1.5"],
  [3.14159, "3.1415899999999999"],
  [100, "100"],
  [Number("12345678901234567"), "12345678901234568"],
  [Number("9007199254740993"), "9007199254740992"],
  [0.5, "0.5"],
  [-123.456, "-123.456"],
  [1e100, "1e+100"],
  [-1e-100, "-1e-100"],
  [Number("99999999999999999"), "1e+17"],
  [123456.789, "123456.789"],
  [4.35, "4.3499999999999996"],
  [2.5e-5, "2.5000000000000001e-05"],
  // Exact ties at the 17th digit: printf rounds them to even.
  [2251799813685246.25, "2251799813685246.2"],
  [-2251799813685246.25, "-2251799813685246.2"],
  [2251799813685247.75, "2251799813685247.8"],
  [Number("0.000123456789012345675"), "0.00012345678901234567"],
  [1.5e300, "1.5000000000000001e+300"],
  [-2.5, "-2.5"],
  [1234567, "1234567"],
  [0, "0"],
  [-0, "-0"],
  [Infinity, "inf"],
  [-Infinity, "-inf"],
  [NaN, "nan"],
];

Deno.test("formatDouble matches C's %.17g", () => {
  for (const [value, expected] of DOUBLES) {
    assert.equal(formatDouble(value), expected, String(value));
  }
});

Deno.test("parseInteger and parseInt64 are as strict as string2ll", () => {
  const good: [string, bigint][] = [
    ["0", 0n],
    ["1", 1n],
    ["-1", -1n],
    ["1234567890", 1234567890n],
    ["9223372036854775807", 9223372036854775807n],
    ["-9223372036854775808", -9223372036854775808n],
  ];
  for (const [text, value] of good) {
    assert.equal(parseInt64(text), value, text);
    assert.equal(parseInteger(text), Number(value), text);
  }
  const bad = [
    "",
    "-",
    "+1",
    "01",
    "-0",
    "-01",
    " 1",
    "1 ",
    "1.0",
    "1e3",
    "0x10",
    "١",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "99999999999999999999",
    "123456789012345678901",
  ];
  for (const text of bad) {
    assert.equal(parseInt64(text), null, text);
    assert.equal(parseInteger(text), null, text);
  }
});

Deno.test("parseDouble accepts what string2d accepts (checked on redis-server 7.0 ZADD)", () => {
  const good: [string, number][] = [
    ["1", 1],
    ["-1.5", -1.5],
    ["+1.5", 1.5],
    [".5", 0.5],
    ["5.", 5],
    ["1e+2", 100],
    ["1E2", 100],
    ["00012", 12],
    ["1.0e-5", 1e-5],
    ["0x10", 16],
    ["0x1p3", 8],
    ["-0x1.8P1", -3],
    ["0x.8", 0.5],
    ["1e-310", 1e-310],
    ["0e-400", 0],
    ["inf", Infinity],
    ["+inf", Infinity],
    ["-inf", -Infinity],
    ["Infinity", Infinity],
    ["INF", Infinity],
    ["0".repeat(6000) + "1", 1],
  ];
  for (const [text, value] of good) {
    assert.equal(parseDouble(text), value, text);
  }
  assert.ok(Object.is(parseDouble("-0"), -0));
  const bad = [
    "",
    "nan",
    "-nan",
    " 1",
    "1 ",
    "1e",
    "1_0",
    "e5",
    ".",
    "0x",
    "0x1p",
    "infinit",
    "1e400",
    "-1e400",
    "1e-400",
    "1" + "0".repeat(400),
  ];
  for (const text of bad) assert.equal(parseDouble(text), null, text);
});
