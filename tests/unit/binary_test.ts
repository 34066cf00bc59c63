import assert from "node:assert/strict";
import {
  binaryToBytes,
  binaryToText,
  bytesToBinary,
  quoteRepr,
  textToBinary,
} from "../../src/protocol/binary.ts";

function pattern(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff);
}

Deno.test("bytesToBinary keeps one char per byte at every size path", () => {
  for (const length of [0, 1, 16, 17, 255, 256, 8192, 8193, 20000, 100_000]) {
    const bytes = pattern(length);
    const s = bytesToBinary(bytes);
    assert.equal(s.length, length);
    for (let i = 0; i < length; i++) {
      if (s.charCodeAt(i) !== bytes[i]) assert.fail(`byte ${i} of ${length}`);
    }
    assert.deepEqual(binaryToBytes(s), bytes);
  }
});

Deno.test("bytesToBinary converts a sub-range", () => {
  const bytes = pattern(30000);
  for (const [start, end] of [[5, 10], [3, 3], [100, 9000], [1, 29999]]) {
    assert.deepEqual(
      binaryToBytes(bytesToBinary(bytes, start, end)),
      bytes.subarray(start, end),
    );
  }
});

Deno.test("all 256 byte values survive, none remapped as windows-1252 would", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const s = bytesToBinary(bytes);
  assert.equal(s.charCodeAt(0x80), 0x80);
  assert.equal(s.charCodeAt(0x9f), 0x9f);
  assert.deepEqual(binaryToBytes(s), bytes);
});

Deno.test("text converts to and from UTF-8 binary strings", () => {
  assert.equal(textToBinary("é€"), "\xc3\xa9\xe2\x82\xac");
  assert.equal(binaryToText("\xc3\xa9\xe2\x82\xac"), "é€");
  assert.equal(textToBinary("plain"), "plain");
});

Deno.test("quoteRepr escapes as Redis's sdscatrepr", () => {
  assert.equal(quoteRepr('a"b\\\n\x01'), '"a\\"b\\\\\\n\\x01"');
  assert.equal(quoteRepr("\x07\b\t\r\xff ok"), '"\\a\\b\\t\\r\\xff ok"');
});
