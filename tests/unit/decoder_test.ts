import assert from "node:assert/strict";
import { binaryToBytes } from "../../src/protocol/binary.ts";
import {
  type Framed,
  parseStrictInt,
  PROTO_INLINE_MAX_SIZE,
  ProtocolError,
  QueryBufferLimitError,
  ReplyDecoder,
  RequestDecoder,
  RespDecoder,
  RespDecoderStream,
  RespDouble,
  RespError,
  RespMap,
  RespPush,
  RespSet,
  RespValue,
  RespVerbatim,
  splitArgs,
} from "../../src/protocol/decoder.ts";

/**
 * Feeds `chunks` through one reused input buffer, as the server's read loop
 * does: push, drain next(), retain, then scribble over the buffer so anything
 * the decoder borrowed without copying shows up as corrupt output.
 */
function feed<T>(decoder: RespDecoder<T>, chunks: Uint8Array[]): T[] {
  const size = Math.max(1, ...chunks.map((c) => c.length));
  const input = new Uint8Array(size);
  const out: T[] = [];
  for (const chunk of chunks) {
    input.set(chunk);
    decoder.push(input.subarray(0, chunk.length));
    for (let item = decoder.next(); item !== undefined; item = decoder.next()) {
      out.push(item);
    }
    decoder.retain();
    input.fill(0xee);
  }
  return out;
}

/** The whole frame, byte by byte, and every split into two chunks. */
function splits(frame: Uint8Array): Uint8Array[][] {
  const ways: Uint8Array[][] = [[frame]];
  ways.push(Array.from(frame, (_, i) => frame.subarray(i, i + 1)));
  for (let i = 1; i < frame.length; i++) {
    ways.push([frame.subarray(0, i), frame.subarray(i)]);
  }
  return ways;
}

function decodeRequests(
  text: string,
  decoder = new RequestDecoder(),
): string[][] {
  return feed(decoder, [binaryToBytes(text)]);
}

function requestError(text: string, decoder = new RequestDecoder()): string {
  try {
    decodeRequests(text, decoder);
  } catch (error) {
    assert.ok(error instanceof ProtocolError, String(error));
    return error.message;
  }
  assert.fail(`no protocol error for ${JSON.stringify(text)}`);
}

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i))
  .join("");

/** Well-formed requests and the argv arrays they decode to. */
const REQUESTS: [string, string[][]][] = [
  ["*1\r\n$4\r\nPING\r\n", [["PING"]]],
  ["*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", [["SET", "k", ""]]],
  [
    `*2\r\n$4\r\nECHO\r\n$256\r\n${ALL_BYTES}\r\n`,
    [["ECHO", ALL_BYTES]],
  ],
  ["*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\r\n\r\n", [["ECHO", "\r\n\r\n"]]],
  ["*0\r\n", [[]]],
  ["*-1\r\n", [[]]],
  ["*-42\r\n", [[]]],
  ["PING\r\n", [["PING"]]],
  ["PING\n", [["PING"]]],
  ["\r\n", [[]]],
  ["\n", [[]]],
  ["SET \"a b\" 'c d'\r\n", [["SET", "a b", "c d"]]],
  [
    "PING\r\n*1\r\n$4\r\nPING\r\n\r\nECHO x\n*0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n",
    [["PING"], ["PING"], [], ["ECHO", "x"], [], ["a", "b"]],
  ],
];

Deno.test("RequestDecoder decodes every frame split at every byte boundary", () => {
  for (const [text, expected] of REQUESTS) {
    for (const chunks of splits(binaryToBytes(text))) {
      assert.deepEqual(
        feed(new RequestDecoder(), chunks),
        expected,
        `${JSON.stringify(text)} in ${chunks.length} chunks`,
      );
    }
  }
});

Deno.test("RequestDecoder decodes a long pipeline in one chunk", () => {
  const frame = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
  const text = frame.repeat(5000) + "PING\r\n".repeat(5000);
  const out = decodeRequests(text);
  assert.equal(out.length, 10000);
  assert.deepEqual(out[0], ["SET", "key", "value"]);
  assert.deepEqual(out[4999], ["SET", "key", "value"]);
  assert.deepEqual(out[5000], ["PING"]);
  assert.deepEqual(out[9999], ["PING"]);
});

Deno.test("RequestDecoder holds nothing once a chunk is consumed", () => {
  const decoder = new RequestDecoder();
  assert.deepEqual(decodeRequests("*1\r\n$4\r\nPING\r\n", decoder), [["PING"]]);
  assert.equal(decoder.pending, 0);
  assert.deepEqual(decodeRequests("*1\r\n$4\r\nPI", decoder), []);
  assert.equal(decoder.pending, 2); // the headers are consumed
  assert.deepEqual(decodeRequests("NG\r\n", decoder), [["PING"]]);
  assert.equal(decoder.pending, 0);
});

Deno.test("RequestDecoder skips the two bytes after a bulk unchecked, as Redis does", () => {
  // redis-server 7.0 answers two PONGs to these bytes.
  assert.deepEqual(decodeRequests("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n"), [
    ["PING"],
    ["PING"],
  ]);
  assert.deepEqual(decodeRequests("*1\rx$4\r\nPING\r\n"), [["PING"]]);
});

// Tails of `RPUSH l <tail>` sent inline to redis-server 7.0.15, and the list
// LRANGE returned afterwards (null: Redis replied "unbalanced quotes").
const INLINE_CASES: [string, string[] | null][] = [
  ['"\\x41"', ["A"]],
  ['"\\x4"', ["x4"]],
  ['"\\x4g"', ["x4g"]],
  ['"\\xff\\x00\\x7F"', ["\xff\x00\x7f"]],
  ["'it\\'s'", ["it's"]],
  ["'a\\b'", ["a\\b"]],
  ["'a\\\\'", null],
  ['"\\q\\n\\r\\t\\b\\a\\\\\\""', ['q\n\r\t\b\x07\\"']],
  ['foo"bar"', ["foobar"]],
  ["foo'bar'", ["foobar"]],
  ['a"b c"d', null],
  ['""', [""]],
  ["''", [""]],
  ['"" x', ["", "x"]],
  ["a\vb", ["a\vb"]],
  ["\va\f", ["a\f"]],
  ['"a"\vb', ["a", "b"]],
  ["'a'\f", ["a"]],
  ["a\tb", ["a", "b"]],
  ["  a   b  ", ["a", "b"]],
  ['"a\\"b"', ['a"b']],
  ['"\xe9\xff"', ["\xe9\xff"]],
  ["\xe9\xff", ["\xe9\xff"]],
  ['"a\\\\"', ["a\\"]],
  ["x\\y", ["x\\y"]],
  ['"\\x"', ["x"]],
  ['"a b"', ["a b"]],
  ['"a\rb"', ["a\rb"]],
  ['"abc', null],
  ["'abc", null],
  ['"a"b', null],
];

Deno.test("inline commands split like redis-server 7.0's sdssplitargs", () => {
  for (const [tail, expected] of INLINE_CASES) {
    const line = "RPUSH l " + tail;
    if (expected === null) {
      assert.equal(
        requestError(line + "\r\n"),
        "Protocol error: unbalanced quotes in request",
        JSON.stringify(tail),
      );
      assert.equal(splitArgs(line), null);
    } else {
      for (const end of ["\r\n", "\n"]) {
        assert.deepEqual(
          decodeRequests(line + end),
          [["RPUSH", "l", ...expected]],
          JSON.stringify(tail),
        );
      }
    }
  }
});

Deno.test("an inline line ends at LF; a CR before it is dropped, others are spaces", () => {
  assert.deepEqual(decodeRequests("ECHO a\r\r\n"), [["ECHO", "a"]]);
  assert.deepEqual(decodeRequests("ECHO a\rb\n"), [["ECHO", "a", "b"]]);
  assert.deepEqual(decodeRequests("\r\n\nPING\n"), [[], [], ["PING"]]);
});

Deno.test("a NUL byte hides the end of a line, as strchr does in Redis", () => {
  // redis-server 7.0 gives no reply to either and keeps waiting.
  assert.deepEqual(decodeRequests("ECHO a\x00b\r\nPING\r\n"), []);
  assert.deepEqual(decodeRequests("*1\x00\r\n$4\r\nPING\r\n"), []);
  assert.deepEqual(decodeRequests("*1\r\n$4\x00\r\nPING\r\n"), []);
  // Bulk data is binary: NUL is fine there.
  assert.deepEqual(decodeRequests("*1\r\n$4\r\nPI\x00G\r\n"), [["PI\x00G"]]);
  const decoder = new RequestDecoder();
  decodeRequests("ECHO a\x00b\r\n", decoder);
  assert.equal(
    requestError("x".repeat(PROTO_INLINE_MAX_SIZE), decoder),
    "Protocol error: too big inline request",
  );
});

Deno.test("invalid multibulk counts match Redis's string2ll and INT_MAX checks", () => {
  for (
    const count of [
      "3000000000",
      "2147483648",
      "-9223372036854775809",
      "99999999999999999999",
      "123456789012345678901",
      "+1",
      "01",
      "-0",
      " 1",
      "1 ",
      "",
      "-",
      "1x",
    ]
  ) {
    assert.equal(
      requestError(`*${count}\r\n`),
      "Protocol error: invalid multibulk length",
      count,
    );
  }
  assert.deepEqual(decodeRequests("*-9223372036854775808\r\nPING\r\n"), [
    [],
    ["PING"],
  ]);
  // INT_MAX itself is accepted; the arguments just have not arrived.
  assert.deepEqual(decodeRequests("*2147483647\r\n"), []);
});

Deno.test("invalid bulk lengths and headers", () => {
  for (const len of ["abc", "-5", "-1", "-0", "+4", "04", "", "4 "]) {
    assert.equal(
      requestError(`*1\r\n$${len}\r\nPING\r\n`),
      "Protocol error: invalid bulk length",
      len,
    );
  }
  assert.equal(
    requestError("*1\r\n+foo\r\n"),
    "Protocol error: expected '$', got '+'",
  );
  assert.equal(
    requestError("*1\r\n\xe9\r\n"),
    "Protocol error: expected '$', got '\xe9'",
  );
  assert.equal(
    requestError("*1\r\n\r\n"),
    "Protocol error: expected '$', got '\r'",
  );
  assert.equal(
    requestError("*2\r\n$4\r\nECHO\r\n:1\r\n"),
    "Protocol error: expected '$', got ':'",
  );
});

Deno.test("proto-max-bulk-len bounds a bulk length", () => {
  const limits = { protoMaxBulkLen: 100, queryBufferLimit: 1 << 30 };
  assert.equal(
    requestError("*1\r\n$101\r\n", new RequestDecoder(limits)),
    "Protocol error: invalid bulk length",
  );
  const ok = "*1\r\n$100\r\n" + "x".repeat(100) + "\r\n";
  assert.deepEqual(decodeRequests(ok, new RequestDecoder(limits)), [[
    "x".repeat(100),
  ]]);
  assert.equal(
    requestError("*1\r\n$536870913\r\n"),
    "Protocol error: invalid bulk length",
  );
});

Deno.test("PROTO_INLINE_MAX_SIZE bounds inline lines and header lines", () => {
  const cases: [string, string][] = [
    ["a", "Protocol error: too big inline request"],
    ["*1", "Protocol error: too big mbulk count string"],
  ];
  for (const [fill, message] of cases) {
    const decoder = new RequestDecoder();
    const text = fill.repeat(PROTO_INLINE_MAX_SIZE / fill.length);
    assert.deepEqual(decodeRequests(text, decoder), []);
    assert.equal(requestError("1", decoder), message);
  }
  const decoder = new RequestDecoder();
  assert.deepEqual(decodeRequests("*1\r\n$", decoder), []);
  assert.deepEqual(
    decodeRequests("1".repeat(PROTO_INLINE_MAX_SIZE - 1), decoder),
    [],
  );
  assert.equal(
    requestError("1", decoder),
    "Protocol error: too big bulk count string",
  );
  // A long line that does end in time is a command like any other.
  const long = "ECHO " + "x".repeat(PROTO_INLINE_MAX_SIZE - 10) + "\r\n";
  assert.equal(decodeRequests(long)[0][1].length, PROTO_INLINE_MAX_SIZE - 10);
});

Deno.test("client-query-buffer-limit closes a client holding too much input", () => {
  const limits = { protoMaxBulkLen: 1 << 20, queryBufferLimit: 1000 };
  const decoder = new RequestDecoder(limits);
  decodeRequests("*2\r\n$4\r\nECHO\r\n$5000\r\n" + "x".repeat(1000), decoder);
  assert.throws(
    () => decodeRequests("x", decoder),
    (e) => e instanceof QueryBufferLimitError && e.size === 1001,
  );
  assert.throws(
    () => decodeRequests("y".repeat(1001), new RequestDecoder(limits)),
    QueryBufferLimitError,
  );
});

Deno.test("before AUTH, counts over 10 and bulks over 16384 are refused", () => {
  const decoder = () => {
    const d = new RequestDecoder();
    d.authRequired = true;
    return d;
  };
  assert.equal(
    requestError("*11\r\n", decoder()),
    "Protocol error: unauthenticated multibulk length",
  );
  assert.equal(
    requestError("*10\r\n$16385\r\n", decoder()),
    "Protocol error: unauthenticated bulk length",
  );
  assert.deepEqual(decodeRequests("*10\r\n$16384\r\n", decoder()), []);
  assert.deepEqual(decodeRequests("*11\r\n"), []);
});

Deno.test("a 50 MB argument in 16 KiB chunks decodes in linear time", () => {
  const size = 50 * 1024 * 1024;
  const decoder = new RequestDecoder();
  const chunk = new Uint8Array(16 * 1024).fill(120); // "x"
  const started = performance.now();
  assert.deepEqual(
    decodeRequests(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${size}\r\n`, decoder),
    [],
  );
  let out: string[] | undefined;
  for (let sent = 0; sent < size; sent += chunk.length) {
    decoder.push(chunk);
    out = decoder.next();
    decoder.retain();
    assert.equal(out, undefined);
  }
  // The buffer was sized once for the argument, not doubled.
  assert.ok(decoder.capacity < size * 1.1, `capacity ${decoder.capacity}`);
  decoder.push(binaryToBytes("\r\n"));
  out = decoder.next();
  decoder.retain();
  const elapsed = performance.now() - started;
  assert.ok(out);
  assert.equal(out.length, 3);
  assert.equal(out[2].length, size);
  assert.equal(out[2].charCodeAt(size - 1), 120);
  assert.ok(elapsed < 5000, `took ${elapsed} ms`);
  // Once consumed, the big buffer is let go.
  assert.ok(decoder.capacity <= 1024 * 1024, `capacity ${decoder.capacity}`);
});

Deno.test("parseStrictInt follows string2ll, int64 range included", () => {
  const parse = (s: string) => {
    const bytes = binaryToBytes(`x${s}y`);
    return parseStrictInt(bytes, 1, bytes.length - 1);
  };
  assert.equal(parse("0"), 0);
  assert.equal(parse("-1"), -1);
  assert.equal(parse("123"), 123);
  assert.equal(parse("-9223372036854775808"), -9223372036854775808);
  assert.equal(parse("9223372036854775807"), 9223372036854775807);
  for (
    const bad of [
      "",
      "-",
      "-0",
      "01",
      "+1",
      " 1",
      "1 ",
      "9223372036854775808",
      "-9223372036854775809",
      "18446744073709551616",
      "123456789012345678901",
    ]
  ) {
    assert.ok(Number.isNaN(parse(bad)), bad);
  }
});

// ---------------------------------------------------------------- replies

const REPLIES: [string, RespValue][] = [
  ["+OK\r\n", "OK"],
  ["-ERR bad thing\r\n", new RespError("ERR bad thing")],
  [":5\r\n", 5],
  [":-42\r\n", -42],
  [":-9223372036854775808\r\n", -9223372036854775808n],
  ["$3\r\nfoo\r\n", "foo"],
  ["$0\r\n\r\n", ""],
  ["$-1\r\n", null],
  [`$256\r\n${ALL_BYTES}\r\n`, ALL_BYTES],
  ["*-1\r\n", null],
  ["*0\r\n", []],
  ["*3\r\n:1\r\n$1\r\na\r\n$-1\r\n", [1, "a", null]],
  ["_\r\n", null],
  ["#t\r\n", true],
  ["#f\r\n", false],
  [",1.5\r\n", new RespDouble(1.5)],
  [",-0.10000000000000001\r\n", new RespDouble(-0.1)],
  [",inf\r\n", new RespDouble(Infinity)],
  [",-inf\r\n", new RespDouble(-Infinity)],
  [",1e+20\r\n", new RespDouble(1e20)],
  ["(123456789012345678901234567890\r\n", 123456789012345678901234567890n],
  ["!21\r\nSYNTAX invalid syntax\r\n", new RespError("SYNTAX invalid syntax")],
  ["=15\r\ntxt:Some string\r\n", new RespVerbatim("txt", "Some string")],
  ["%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", new RespMap([["a", 1], ["b", 2]])],
  ["~2\r\n+x\r\n+y\r\n", new RespSet(["x", "y"])],
  [
    ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
    new RespPush(["message", "ch", "hi"]),
  ],
  ["|1\r\n+ttl\r\n:3\r\n:5\r\n", 5],
  [
    "*3\r\n%1\r\n+k\r\n*2\r\n~1\r\n:1\r\n_\r\n$-1\r\n*1\r\n*0\r\n",
    [new RespMap([["k", [new RespSet([1]), null]]]), null, [[]]],
  ],
];

Deno.test("ReplyDecoder decodes every RESP2/RESP3 type split at every boundary", () => {
  for (const [text, expected] of REPLIES) {
    for (const chunks of splits(binaryToBytes(text))) {
      assert.deepEqual(
        feed(new ReplyDecoder(), chunks),
        [expected],
        `${JSON.stringify(text)} in ${chunks.length} chunks`,
      );
    }
  }
  const all = REPLIES.map(([text]) => text).join("");
  assert.deepEqual(
    feed(new ReplyDecoder(), [binaryToBytes(all)]),
    REPLIES.map(([, value]) => value),
  );
});

Deno.test("ReplyDecoder decodes NaN doubles and rejects unknown types", () => {
  const [nan] = feed(new ReplyDecoder(), [binaryToBytes(",nan\r\n")]);
  assert.ok(nan instanceof RespDouble && Number.isNaN(nan.value));
  assert.throws(
    () => feed(new ReplyDecoder(), [binaryToBytes("?x\r\n")]),
    ProtocolError,
  );
});

Deno.test("ReplyDecoder rejects bad lengths", () => {
  for (const text of ["$abc\r\n", "*-2\r\n", "%1.5\r\n", "$\r\n"]) {
    assert.throws(
      () => feed(new ReplyDecoder(), [binaryToBytes(text)]),
      ProtocolError,
      text,
    );
  }
});

Deno.test("ReplyDecoder builds a huge array split over many chunks once", () => {
  const count = 300_000;
  const bytes = binaryToBytes(
    `*${count}\r\n` + "$5\r\nvalue\r\n:12345\r\n".repeat(count / 2),
  );
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 4096) {
    chunks.push(bytes.subarray(i, i + 4096));
  }
  const started = performance.now();
  const [reply] = feed(new ReplyDecoder(), chunks);
  const elapsed = performance.now() - started;
  assert.ok(Array.isArray(reply));
  assert.equal(reply.length, count);
  assert.equal(reply[count - 2], "value");
  assert.equal(reply[count - 1], 12345);
  assert.ok(elapsed < 3000, `took ${elapsed} ms`);
});

Deno.test("nextRawBulk reads a payload without trailing CRLF, at every split", () => {
  const payload = "REDIS0009\xfa\r\n\x00\xff";
  const text = `+FULLRESYNC abc 0\r\n$${payload.length}\r\n${payload}+OK\r\n`;
  for (const chunks of splits(binaryToBytes(text))) {
    const decoder = new ReplyDecoder();
    const input = new Uint8Array(text.length);
    const events: unknown[] = [];
    let stage = 0;
    for (const chunk of chunks) {
      input.set(chunk);
      decoder.push(input.subarray(0, chunk.length));
      while (true) {
        const item = stage === 1 ? decoder.nextRawBulk() : decoder.next();
        if (item === undefined) break;
        events.push(item instanceof Uint8Array ? Array.from(item) : item);
        stage++;
      }
      decoder.retain();
      input.fill(0xee);
    }
    assert.deepEqual(events, [
      "FULLRESYNC abc 0",
      Array.from(binaryToBytes(payload)),
      "OK",
    ]);
  }
  const bad = new ReplyDecoder();
  bad.push(binaryToBytes("+OK\r\n"));
  assert.throws(() => bad.nextRawBulk(), ProtocolError);
});

// ---------------------------------------------------------------- streams

async function throughStream<T>(
  stream: RespDecoderStream<T>,
  chunks: string[],
): Promise<T[]> {
  const source = ReadableStream.from(chunks.map(binaryToBytes));
  return await Array.fromAsync(source.pipeThrough(stream));
}

Deno.test("RespDecoderStream decodes requests through a real ReadableStream", async () => {
  const out = await throughStream(
    new RespDecoderStream<string[]>({ mode: "request" }),
    ["*2\r\n$4\r\nEC", "HO\r\n$2\r\nhi\r\nPING\r", "\n", "*0\r\n"],
  );
  assert.deepEqual(out, [["ECHO", "hi"], ["PING"], []]);
});

Deno.test("RespDecoderStream in framed mode gives each command's end offset, across chunk boundaries", async () => {
  const out = await throughStream(
    new RespDecoderStream<Framed<string[]>>({ mode: "request", framed: true }),
    ["*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nG", "ET\r\n$1\r\nk\r\n", "*0\r\n"],
  );
  assert.deepEqual(out, [
    { value: ["PING"], end: 14 },
    { value: ["GET", "k"], end: 34 },
    { value: [], end: 38 },
  ]);
});

Deno.test("RespDecoderStream in request mode errors the stream on bad input", async () => {
  await assert.rejects(
    throughStream(new RespDecoderStream<string[]>({ mode: "request" }), [
      "*1\r\n$x\r\n",
    ]),
    ProtocolError,
  );
});

Deno.test("RespDecoderStream decodes replies through a real ReadableStream", async () => {
  const out = await throughStream(
    new RespDecoderStream<RespValue>({ mode: "reply" }),
    ["+OK\r\n%1\r", "\n$1\r\nk\r\n,1.5\r\n", "*2\r\n:1\r\n", "_\r\n"],
  );
  assert.deepEqual(out, [
    "OK",
    new RespMap([["k", new RespDouble(1.5)]]),
    [1, null],
  ]);
});
