import assert from "node:assert/strict";
import {
  mutableOf,
  MutableString,
  stringLength,
  stringOf,
} from "../../src/store/string.ts";

Deno.test("a MutableString appends and overwrites in place", () => {
  const s = new MutableString("ab");
  s.append("\x00\xff");
  assert.equal(s.toBinary(), "ab\x00\xff");
  s.write(1, "XY");
  assert.equal(s.toBinary(), "aXY\xff");
  assert.equal(s.length, 4);
  assert.deepEqual(Array.from(s.view()), [0x61, 0x58, 0x59, 0xff]);
});

Deno.test("writing past the end pads with zero bytes", () => {
  const s = new MutableString();
  s.write(3, "x");
  assert.equal(s.toBinary(), "\x00\x00\x00x");
  // Spare capacity from earlier growth is zeroed again when reused.
  const t = new MutableString("abcdef");
  t.append("g".repeat(20));
  t.length = 2;
  t.ensureLength(5);
  assert.equal(t.toBinary(), "ab\x00\x00\x00");
});

Deno.test("growth keeps the content across many appends", () => {
  const s = new MutableString();
  let expected = "";
  for (let i = 0; i < 1000; i++) {
    const piece = String.fromCharCode(i % 256).repeat(i % 7);
    s.append(piece);
    expected += piece;
  }
  assert.equal(s.toBinary(), expected);
  assert.equal(stringLength(s), expected.length);
});

Deno.test("mutableOf copies a plain string and reuses a mutable one", () => {
  const plain = "hello";
  const m = mutableOf(plain);
  assert.ok(m instanceof MutableString);
  assert.equal(stringOf(m), plain);
  assert.equal(mutableOf(m), m);
  assert.equal(stringOf(plain), plain);
  assert.equal(stringLength(plain), 5);
});
