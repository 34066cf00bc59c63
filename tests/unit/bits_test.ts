import assert from "node:assert/strict";
import {
  bitfieldResult,
  type BitfieldType,
  bitop,
  countBits,
  findBit,
  getBitfield,
  parseBitfieldType,
  popcount,
  resolveRange,
  setBit,
  setBitfield,
} from "../../src/store/bits.ts";

/** A deterministic pseudo-random byte source (xorshift32). */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The bits of `bytes` as a "0101..." string: the naive model. */
function bitString(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(2).padStart(8, "0")).join("");
}

const u = (bits: number): BitfieldType => ({ signed: false, bits });
const i = (bits: number): BitfieldType => ({ signed: true, bits });

Deno.test("popcount counts every set bit, at any alignment", () => {
  const data = randomBytes(301, 7);
  const bits = bitString(data);
  for (const [from, to] of [[0, 301], [1, 300], [3, 40], [5, 6], [7, 7]]) {
    const expected = bits.slice(from * 8, to * 8).split("1").length - 1;
    assert.equal(popcount(data.subarray(from, to)), expected);
  }
  assert.equal(popcount(new Uint8Array([0xff, 0x00, 0xaa, 0x55, 0x80])), 17);
});

Deno.test("countBits matches a bit-by-bit count on any range", () => {
  const data = randomBytes(37, 99);
  const bits = bitString(data);
  for (let first = 0; first < bits.length; first += 3) {
    for (let last = first - 2; last < bits.length + 20; last += 5) {
      const expected = last < first
        ? 0
        : bits.slice(first, last + 1).split("1").length - 1;
      assert.equal(countBits(data, first, last), expected, `${first}-${last}`);
    }
  }
});

Deno.test("findBit finds the first wanted bit in a range, or -1", () => {
  const data = new Uint8Array([0x00, 0x00, 0xff, 0xff, 0x10, 0xef]);
  const bits = bitString(data);
  for (let first = 0; first < bits.length; first++) {
    for (let last = first; last < bits.length; last += 3) {
      for (const bit of [0, 1] as const) {
        const at = bits.slice(first, last + 1).indexOf(String(bit));
        assert.equal(
          findBit(data, bit, first, last),
          at === -1 ? -1 : first + at,
          `${bit} in ${first}-${last}`,
        );
      }
    }
  }
});

Deno.test("setBit addresses bit 0 as the first byte's MSB", () => {
  const data = new Uint8Array(2);
  assert.equal(setBit(data, 0, 1), 0);
  assert.equal(setBit(data, 15, 1), 0);
  assert.equal(setBit(data, 15, 1), 1);
  assert.deepEqual([...data], [0x80, 0x01]);
  assert.equal(setBit(data, 0, 0), 1);
  assert.equal(data[0], 0);
});

Deno.test("bitop pads shorter sources with zero bytes", () => {
  const a = new Uint8Array([0xff, 0x0f, 0xaa]);
  const b = new Uint8Array([0x0f]);
  assert.deepEqual([...bitop("and", [a, b])], [0x0f, 0, 0]);
  assert.deepEqual([...bitop("or", [a, b])], [0xff, 0x0f, 0xaa]);
  assert.deepEqual([...bitop("xor", [a, b, b])], [0xff, 0x0f, 0xaa]);
  assert.deepEqual([...bitop("not", [a])], [0x00, 0xf0, 0x55]);
  assert.deepEqual([...bitop("and", [b, a])], [0x0f, 0, 0]);
  assert.equal(bitop("or", [new Uint8Array(0), new Uint8Array(0)]).length, 0);
});

Deno.test("resolveRange converts negative indexes and clamps", () => {
  assert.deepEqual(resolveRange(0n, -1n, 6), { start: 0, end: 5 });
  assert.deepEqual(resolveRange(-2n, -1n, 6), { start: 4, end: 5 });
  assert.deepEqual(resolveRange(-100n, 100n, 6), { start: 0, end: 5 });
  assert.deepEqual(resolveRange(3n, 1n, 6), { start: 3, end: 1 });
  assert.deepEqual(resolveRange(0n, -1n, 0), { start: 0, end: -1 });
  const huge = resolveRange(-(2n ** 63n), 2n ** 63n - 1n, 48);
  assert.deepEqual(huge, { start: 0, end: 47 });
});

Deno.test("parseBitfieldType accepts i1..i64 and u1..u63 only", () => {
  assert.deepEqual(parseBitfieldType("i64"), i(64));
  assert.deepEqual(parseBitfieldType("u63"), u(63));
  assert.deepEqual(parseBitfieldType("u1"), u(1));
  assert.deepEqual(parseBitfieldType("i8\0junk"), i(8));
  for (const bad of ["u64", "i65", "i0", "u0", "I8", "x8", "", "i", "i08"]) {
    assert.equal(parseBitfieldType(bad), null, bad);
  }
});

Deno.test("getBitfield reads signed and unsigned fields; past the end is zero", () => {
  const data = new Uint8Array([0x01, 0x70]); // 00000001 01110000
  assert.equal(getBitfield(data, 7, u(5)), 23n);
  assert.equal(getBitfield(data, 7, i(5)), -9n);
  assert.equal(getBitfield(data, 0, u(16)), 0x0170n);
  assert.equal(getBitfield(data, 8, u(16)), 0x7000n);
  assert.equal(getBitfield(data, 100, i(64)), 0n);
  const ones = new Uint8Array(9).fill(0xff);
  assert.equal(getBitfield(ones, 3, i(64)), -1n);
  assert.equal(getBitfield(ones, 5, u(63)), 2n ** 63n - 1n);
});

Deno.test("setBitfield writes exactly the field's bits", () => {
  const data = randomBytes(12, 5);
  const before = bitString(data);
  setBitfield(data, 13, i(64), -2n);
  const after = bitString(data);
  assert.equal(after.slice(0, 13), before.slice(0, 13));
  assert.equal(after.slice(13, 77), "1".repeat(63) + "0");
  assert.equal(after.slice(77), before.slice(77));
  assert.equal(getBitfield(data, 13, i(64)), -2n);
  setBitfield(data, 3, u(4), 0x1fn); // only the low 4 bits are stored
  assert.equal(getBitfield(data, 3, u(4)), 15n);
});

Deno.test("bitfieldResult wraps, saturates or fails like Redis", () => {
  const max64 = 2n ** 63n - 1n;
  const min64 = -(2n ** 63n);
  // In range.
  assert.equal(bitfieldResult(250n, 5n, u(8), "fail"), 255n);
  // Unsigned.
  assert.equal(bitfieldResult(250n, 10n, u(8), "wrap"), 4n);
  assert.equal(bitfieldResult(250n, 10n, u(8), "sat"), 255n);
  assert.equal(bitfieldResult(250n, 10n, u(8), "fail"), null);
  assert.equal(bitfieldResult(5n, -6n, u(8), "wrap"), 255n);
  assert.equal(bitfieldResult(5n, -6n, u(8), "sat"), 0n);
  assert.equal(bitfieldResult(max64, 1n, u(63), "wrap"), 0n);
  // An unsigned SET of -1 is 2^64 - 1: an overflow, so SAT gives the max.
  assert.equal(bitfieldResult(2n ** 64n - 1n, 0n, u(8), "sat"), 255n);
  assert.equal(bitfieldResult(2n ** 64n - 1n, 0n, u(8), "wrap"), 255n);
  // Signed.
  assert.equal(bitfieldResult(120n, 10n, i(8), "wrap"), -126n);
  assert.equal(bitfieldResult(120n, 10n, i(8), "sat"), 127n);
  assert.equal(bitfieldResult(-120n, -10n, i(8), "sat"), -128n);
  assert.equal(bitfieldResult(-120n, -10n, i(8), "fail"), null);
  assert.equal(bitfieldResult(200n, 0n, i(8), "wrap"), -56n);
  assert.equal(bitfieldResult(-200n, 0n, i(8), "sat"), -128n);
  assert.equal(bitfieldResult(max64, 1n, i(64), "wrap"), min64);
  assert.equal(bitfieldResult(max64, 1n, i(64), "sat"), max64);
  assert.equal(bitfieldResult(min64, -1n, i(64), "sat"), min64);
  assert.equal(bitfieldResult(min64, -1n, i(64), "fail"), null);
  assert.equal(bitfieldResult(0n, min64, i(64), "fail"), min64);
  // Redis's 64-bit wraparound: a SET far below a narrow type's range
  // counts as an overflow, so SAT stores the maximum.
  assert.equal(bitfieldResult(min64, 0n, i(8), "sat"), 127n);
  assert.equal(bitfieldResult(min64 + 127n, 0n, i(8), "sat"), 127n);
  assert.equal(bitfieldResult(min64 + 128n, 0n, i(8), "sat"), -128n);
  assert.equal(bitfieldResult(min64, 0n, i(8), "wrap"), 0n);
});
