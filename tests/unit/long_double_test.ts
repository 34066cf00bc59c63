import assert from "node:assert/strict";
import {
  addLongDouble,
  formatLongDouble,
  isFiniteLongDouble,
  type LongDouble,
  parseLongDouble,
} from "../../src/util/long_double.ts";

function parse(text: string): LongDouble {
  const value = parseLongDouble(text);
  assert.ok(value, `${text} should parse`);
  return value;
}

/** INCRBYFLOAT's computation: parse both, add, format. */
function incrByFloat(current: string, increment: string): string {
  return formatLongDouble(addLongDouble(parse(current), parse(increment)));
}

Deno.test("sums match redis-server 7.0's INCRBYFLOAT digit for digit", () => {
  // Each expected text was read from redis-server 7.0 on x86-64.
  const cases: [string, string, string][] = [
    ["0.2", "0.1", "0.3"],
    ["10.5", "0.1", "10.6"],
    ["3.0e3", "2.0e5", "203000"],
    ["1.1", "2.2", "3.3"],
    ["0.1", "0.7", "0.8"],
    ["0", "0.1", "0.1"],
    ["0", "5e-18", "0"],
    ["0", "1.5e-17", "0.00000000000000002"],
    ["1e17", "0.5", "100000000000000000.5"],
    ["18446744073709551615", "1", "18446744073709551616"],
    ["9223372036854775807", "9223372036854775807", "18446744073709551614"],
    ["0", "123456789.123456789123456789", "123456789.12345678912242875"],
    ["0", "1e30", "1000000000000000000024696061952"],
    ["0", "1e-4940", "0"],
    ["3.6e-4951", "0", "0"],
    ["0", "0x1.8p1", "3"],
    ["-0", "-0", "0"],
    ["1", "-1.00000000000000000001", "0"],
    ["5", "-7.25", "-2.25"],
  ];
  for (const [current, increment, expected] of cases) {
    assert.equal(
      incrByFloat(current, increment),
      expected,
      `${current} + ${increment}`,
    );
  }
});

Deno.test("%.17Lf rounds an exact tie to even", () => {
  // 2^-18 = 0.000003814697265625 has 18 decimals; the 18th is a 5.
  assert.equal(incrByFloat("0", "0.000003814697265625"), "0.00000381469726562");
  assert.equal(incrByFloat("0", "0.000011444091796875"), "0.00001144409179688");
});

Deno.test("huge values print every integer digit", () => {
  // The exact value of the long double nearest 1e400, as Redis prints it.
  const expected =
    "1000000000000000000028188068394758651458645343362905203862591069353968553400862986203936399484832416" +
    "0522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778" +
    "9438243915933380474706750262466844013592375136038303437354855052449559649790218250382800910684149474" +
    "02456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880";
  assert.equal(incrByFloat("0", "1e400"), expected);
  // The largest finite long double is about 1.19e4932.
  assert.equal(incrByFloat("1.18973149535723176502e4932", "0").length, 4933);
});

Deno.test("parsing accepts what strtold accepts and Redis keeps", () => {
  for (
    const text of [
      "1",
      "+5",
      "-.5",
      "5.",
      "1E2",
      "1e+2",
      "0x10",
      "0X.8P-1",
      "inf",
      "-Infinity",
      "INF",
      "3.6e-4951", // subnormal: ERANGE, but not zero, so kept
      "0e99999999999999999999",
      "0".repeat(5118) + "1",
    ]
  ) {
    assert.ok(parseLongDouble(text), text);
  }
});

Deno.test("parsing rejects what Redis's string2ld rejects", () => {
  for (
    const text of [
      "",
      " 1",
      "1 ",
      "\t1",
      "1\0",
      "nan",
      "-nan",
      "nan(123)",
      "infx",
      "1e",
      "1e+",
      ".",
      "-",
      "0x",
      "0x.",
      "1,5",
      "1..2",
      "--1",
      "1e5000", // overflow
      "1e-5000", // underflow to zero
      "1e-4951", // rounds to zero below half the smallest subnormal
      "0x1p20000",
      "0x1p-20000",
      "0".repeat(5119) + "1", // MAX_LONG_DOUBLE_CHARS
    ]
  ) {
    assert.equal(parseLongDouble(text), null, JSON.stringify(text));
  }
});

Deno.test("sums past the range are infinite, opposite infinities NaN", () => {
  assert.equal(
    isFiniteLongDouble(addLongDouble(parse("1e4932"), parse("1e4932"))),
    false,
  );
  assert.equal(
    addLongDouble(parse("inf"), parse("-inf")).kind,
    "nan",
  );
  assert.equal(addLongDouble(parse("inf"), parse("1")).kind, "infinity");
  assert.equal(isFiniteLongDouble(parse("1e4932")), true);
});
