import assert from "node:assert/strict";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import { type Protover, ReplyWriter } from "../../src/protocol/writer.ts";

/** Runs `write` on a fresh writer in `protover` and returns the bytes as a binary string. */
function encode(protover: Protover, write: (w: ReplyWriter) => void): string {
  const w = new ReplyWriter(8);
  w.protover = protover;
  write(w);
  return bytesToBinary(w.take());
}

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i))
  .join("");

/** [what, writes, RESP2 bytes, RESP3 bytes] */
const CASES: [string, (w: ReplyWriter) => void, string, string][] = [
  [
    "deferred lengths",
    (w) => {
      w.simple("before");
      const map = w.deferLength();
      w.bulk("k");
      const array = w.deferLength();
      for (let i = 0; i < 12; i++) w.integer(i);
      w.setDeferredArray(array, 12);
      w.setDeferredMap(map, 1);
    },
    "+before\r\n*2\r\n$1\r\nk\r\n*12\r\n" +
    Array.from({ length: 12 }, (_, i) => `:${i}\r\n`).join(""),
    "+before\r\n%1\r\n$1\r\nk\r\n*12\r\n" +
    Array.from({ length: 12 }, (_, i) => `:${i}\r\n`).join(""),
  ],
  ["simple", (w) => w.simple("PONG"), "+PONG\r\n", "+PONG\r\n"],
  ["ok", (w) => w.ok(), "+OK\r\n", "+OK\r\n"],
  [
    "error",
    (w) => w.error("ERR syntax error"),
    "-ERR syntax error\r\n",
    "-ERR syntax error\r\n",
  ],
  [
    "error with newlines",
    (w) => w.error("ERR a\r\nb\nc"),
    "-ERR a  b c\r\n",
    "-ERR a  b c\r\n",
  ],
  ["integer", (w) => w.integer(42), ":42\r\n", ":42\r\n"],
  ["negative integer", (w) => w.integer(-7), ":-7\r\n", ":-7\r\n"],
  [
    "bigint integer",
    (w) => w.integer(-9223372036854775808n),
    ":-9223372036854775808\r\n",
    ":-9223372036854775808\r\n",
  ],
  ["bulk", (w) => w.bulk("foo"), "$3\r\nfoo\r\n", "$3\r\nfoo\r\n"],
  ["empty bulk", (w) => w.bulk(""), "$0\r\n\r\n", "$0\r\n\r\n"],
  ["null bulk", (w) => w.bulk(null), "$-1\r\n", "_\r\n"],
  [
    "binary bulk",
    (w) => w.bulk(ALL_BYTES),
    `$256\r\n${ALL_BYTES}\r\n`,
    `$256\r\n${ALL_BYTES}\r\n`,
  ],
  [
    "bulkBytes",
    (w) => w.bulkBytes(new Uint8Array([0, 13, 10, 255])),
    "$4\r\n\x00\r\n\xff\r\n",
    "$4\r\n\x00\r\n\xff\r\n",
  ],
  [
    "text as UTF-8",
    (w) => w.text("é€"),
    "$5\r\n\xc3\xa9\xe2\x82\xac\r\n",
    "$5\r\n\xc3\xa9\xe2\x82\xac\r\n",
  ],
  ["null", (w) => w.null(), "$-1\r\n", "_\r\n"],
  ["nullArray", (w) => w.nullArray(), "*-1\r\n", "_\r\n"],
  ["array", (w) => w.array(2), "*2\r\n", "*2\r\n"],
  ["emptyArray", (w) => w.emptyArray(), "*0\r\n", "*0\r\n"],
  ["map", (w) => w.map(2), "*4\r\n", "%2\r\n"],
  ["set", (w) => w.set(3), "*3\r\n", "~3\r\n"],
  ["push", (w) => w.push(3), "*3\r\n", ">3\r\n"],
  ["attribute", (w) => w.attribute(1), "|1\r\n", "|1\r\n"],
  [
    "double",
    (w) => w.double(0.1),
    "$19\r\n0.10000000000000001\r\n",
    ",0.10000000000000001\r\n",
  ],
  ["integral double", (w) => w.double(3), "$1\r\n3\r\n", ",3\r\n"],
  ["inf", (w) => w.double(Infinity), "$3\r\ninf\r\n", ",inf\r\n"],
  ["-inf", (w) => w.double(-Infinity), "$4\r\n-inf\r\n", ",-inf\r\n"],
  ["-0", (w) => w.double(-0), "$2\r\n-0\r\n", ",-0\r\n"],
  ["true", (w) => w.boolean(true), ":1\r\n", "#t\r\n"],
  ["false", (w) => w.boolean(false), ":0\r\n", "#f\r\n"],
  [
    "bigNumber",
    (w) => w.bigNumber("1234567890123456789012"),
    "$22\r\n1234567890123456789012\r\n",
    "(1234567890123456789012\r\n",
  ],
  [
    "verbatim",
    (w) => w.verbatim("hello\r\n"),
    "$7\r\nhello\r\n\r\n",
    "=11\r\ntxt:hello\r\n\r\n",
  ],
  [
    "verbatim markdown",
    (w) => w.verbatim("# x", "mkd"),
    "$3\r\n# x\r\n",
    "=7\r\nmkd:# x\r\n",
  ],
  [
    "bulkArray",
    (w) => w.bulkArray(["a", null, ""]),
    "*3\r\n$1\r\na\r\n$-1\r\n$0\r\n\r\n",
    "*3\r\n$1\r\na\r\n_\r\n$0\r\n\r\n",
  ],
  [
    "raw",
    (w) => w.raw(new Uint8Array([43, 79, 75, 13, 10])),
    "+OK\r\n",
    "+OK\r\n",
  ],
  [
    "nested map of sets",
    (w) => {
      w.map(1);
      w.bulk("k");
      w.set(2);
      w.integer(1);
      w.double(1.5);
    },
    "*2\r\n$1\r\nk\r\n*2\r\n:1\r\n$3\r\n1.5\r\n",
    "%1\r\n$1\r\nk\r\n~2\r\n:1\r\n,1.5\r\n",
  ],
];

Deno.test("ReplyWriter encodes every reply type byte-exact in RESP2 and RESP3", () => {
  for (const [what, write, resp2, resp3] of CASES) {
    assert.equal(encode(2, write), resp2, `${what} in RESP2`);
    assert.equal(encode(3, write), resp3, `${what} in RESP3`);
  }
});

Deno.test("ReplyWriter writes long binary strings byte for byte", () => {
  const ascii = "a".repeat(100_000);
  assert.equal(encode(2, (w) => w.bulk(ascii)), `$100000\r\n${ascii}\r\n`);
  // High bytes early, late, and throughout a long value (the encodeInto fallback).
  for (
    const value of [
      "\xff" + "b".repeat(999),
      "b".repeat(999) + "\x80",
      ALL_BYTES.repeat(300),
      "\xe9".repeat(70),
    ]
  ) {
    const out = encode(2, (w) => w.bulk(value));
    assert.equal(out, `$${value.length}\r\n${value}\r\n`);
  }
  const status = "x".repeat(100) + "\xff";
  assert.equal(encode(2, (w) => w.simple(status)), `+${status}\r\n`);
});

Deno.test("take() hands out the bytes and switches buffers", () => {
  const w = new ReplyWriter(4);
  w.bulk("first");
  assert.equal(w.length, 11);
  const first = w.take();
  assert.equal(w.length, 0);
  w.bulk("second");
  const second = w.take();
  // The first view stays intact while the second batch is written elsewhere.
  assert.equal(bytesToBinary(first), "$5\r\nfirst\r\n");
  assert.equal(bytesToBinary(second), "$6\r\nsecond\r\n");
  assert.equal(bytesToBinary(w.take()), "");
  w.ok();
  assert.equal(bytesToBinary(w.take()), "+OK\r\n");
});

Deno.test("take() keeps working after a huge reply", () => {
  const w = new ReplyWriter();
  w.bulk("x".repeat(4 * 1024 * 1024));
  assert.equal(w.take().length, 4 * 1024 * 1024 + 12);
  w.ok();
  assert.equal(bytesToBinary(w.take()), "+OK\r\n");
  w.ok();
  assert.equal(bytesToBinary(w.take()), "+OK\r\n");
});

Deno.test("a muted writer drops replies but still counts errors", () => {
  const errors: string[] = [];
  const w = new ReplyWriter();
  w.onError = (message) => errors.push(message);
  w.muted = true;
  for (const [, write] of CASES) write(w);
  w.protover = 3;
  for (const [, write] of CASES) write(w);
  assert.equal(w.length, 0);
  assert.deepEqual(errors.length, 4);
  assert.equal(errors[0], "ERR syntax error");
  w.muted = false;
  w.ok();
  assert.equal(bytesToBinary(w.take()), "+OK\r\n");
});
