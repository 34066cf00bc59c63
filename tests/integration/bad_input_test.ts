/**
 * Bad input over TCP: every case is sent to redis-server 7.0 and to redeno,
 * and the reply bytes and whether the connection closed must be the same.
 */
import assert from "node:assert/strict";
import { binaryToBytes, bytesToBinary } from "../../src/protocol/binary.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";

/** What a connection saw: the reply bytes (a binary string) and whether it closed. */
interface Outcome {
  reply: string;
  closed: boolean;
}

interface Expectation {
  /** Read at least this many bytes before judging the connection quiet. */
  bytes: number;
  /** Wait for the server to close (up to the deadline) rather than for quiet. */
  close: boolean;
}

const QUIET_MS = 300;
const DEADLINE_MS = 8000;

/**
 * Sends `input` on a fresh connection and reads until the server closes, or
 * until `expect.bytes` arrived and nothing more comes for a moment.
 */
async function exchange(
  port: number,
  input: string,
  expect: Expectation = { bytes: 0, close: false },
): Promise<Outcome> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const data = binaryToBytes(input);
  try {
    for (let off = 0; off < data.length;) {
      off += await conn.write(data.subarray(off));
    }
  } catch {
    // The server may close before taking everything; the reply still counts.
  }
  const buf = new Uint8Array(64 * 1024);
  let reply = "";
  let closed = false;
  const deadline = Date.now() + DEADLINE_MS;
  let read: Promise<number | null> | undefined;
  while (Date.now() < deadline) {
    const waitMs = reply.length >= expect.bytes && !expect.close
      ? QUIET_MS
      : deadline - Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = new Promise<"quiet">((resolve) => {
      timer = setTimeout(() => resolve("quiet"), waitMs);
    });
    read ??= conn.read(buf);
    let n: number | null | "quiet";
    try {
      n = await Promise.race([read, quiet]);
    } catch {
      closed = true; // reset by the server
      read = undefined;
      break;
    } finally {
      clearTimeout(timer);
    }
    if (n === "quiet") break;
    read = undefined;
    if (n === null) {
      closed = true;
      break;
    }
    reply += bytesToBinary(buf, 0, n);
  }
  conn.close();
  await read?.catch(() => {});
  return { reply, closed };
}

/** A small seeded generator so the random bytes are the same on every run. */
function randomBytes(seed: number, length: number): string {
  let s = seed >>> 0;
  let out = "";
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    out += String.fromCharCode((s ^ (s >>> 13)) & 0xff);
  }
  return out;
}

/** A random inline `X` command built from quoting constructs, now and then a broken one. */
function randomInline(seed: number): string {
  const noise = randomBytes(seed, 256);
  let k = 0;
  const pick = <T>(items: readonly T[]): T =>
    items[noise.charCodeAt(k++) % items.length];
  const bare = ["a", "b1", "\\", "x\\y", "a\vb", "\xe9", "c\f", 'q"r s"'];
  const inDouble = [
    "a",
    " ",
    "\\x41",
    "\\x4g",
    "\\xff",
    "\\n",
    '\\"',
    "\\\\",
    "\\q",
    "'",
    "\\x00",
  ];
  const inSingle = ["a", " ", "\\'", "\\\\", '"', "\\n"];
  const broken = ['"a"b', "'a", '"ab', "'a'b", '"a\\'];
  const separators = [" ", "  ", "\t", "\v", "\f", " \v "];
  let line = "X";
  for (let n = 2 + (noise.charCodeAt(k++) % 5); n > 0; n--) {
    line += pick(separators);
    const kind = noise.charCodeAt(k++) % 16;
    const parts = (items: string[]) =>
      Array.from({ length: noise.charCodeAt(k++) % 4 }, () => pick(items))
        .join("");
    if (kind < 5) line += pick(bare) + parts(bare);
    else if (kind < 10) line += '"' + parts(inDouble) + '"';
    else if (kind < 15) line += "'" + parts(inSingle) + "'";
    else line += pick(broken);
  }
  return line;
}

const CASES: [string, string][] = [
  ["non-numeric bulk length", "*1\r\n$abc\r\n"],
  ["multibulk count over INT_MAX", "*3000000000\r\n"],
  ["count past int64", "*-9223372036854775809\r\n"],
  ["count with a plus sign", "*+1\r\n$4\r\nPING\r\n"],
  ["negative bulk length", "*1\r\n$-5\r\n"],
  ["bulk length over proto-max-bulk-len", "*1\r\n$536870913\r\n"],
  ["simple string inside a request", "*1\r\n+foo\r\n"],
  ["CR where a bulk header belongs", "*1\r\n\r\n"],
  ["high byte where a bulk header belongs", "*1\r\n\xe9\r\n"],
  ["inline line over 64 KiB", "a".repeat(70_000)],
  ["multibulk count header over 64 KiB", "*" + "1".repeat(70_000)],
  ["bulk count header over 64 KiB", "*1\r\n$" + "1".repeat(70_000)],
  ["unbalanced double quote", 'SET "k v\r\n'],
  ["unbalanced single quote", "ECHO 'it\r\n"],
  ["closing quote followed by a letter", 'ECHO "a"b\r\n'],
  ["escaped NUL in an argument", 'X "a\\x00b" c\r\n"\\x00" d\r\n'],
  ["escaped quotes and hex", "ECHO \"\\x41\\\"b\"\r\nECHO 'it\\'s'\r\n"],
  [
    "commands before a bad frame are answered",
    'PING\r\n*1\r\n$4\r\nPING\r\nECHO "hi there"\r\n*2\r\n$4\r\nECHO\r\n$x\r\nPING\r\n',
  ],
  ["empty frames", "*0\r\n*-1\r\n\r\n\n*-7\r\nPING\r\n"],
  ["unchecked bytes after a bulk", "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n"],
  ["truncated bulk", "*2\r\n$4\r\nECHO\r\n$5\r\nhel"],
  ["truncated header", "*2\r\n$4\r\nECHO\r\n$5"],
  ["NUL hides the end of an inline line", "ECHO a\x00b\r\nPING\r\n"],
  ["NUL hides the end of a header", "*1\x00\r\n$4\r\nPING\r\n"],
  [
    "over client-query-buffer-limit",
    "*2\r\n$4\r\nECHO\r\n$2000000\r\n" + "x".repeat(1_100_000),
  ],
  ["random bytes starting with *", "*" + randomBytes(99, 300)],
  ...Array.from(
    { length: 12 },
    (_, i): [string, string] => [
      `random bytes #${i}`,
      randomBytes(i + 1, 64 + 40 * i),
    ],
  ),
  ...Array.from(
    { length: 8 },
    (_, i): [string, string] => [
      `random bytes without NUL #${i}`,
      randomBytes(i + 100, 100 + 30 * i).replaceAll("\x00", "\x01"),
    ],
  ),
  ...Array.from(
    { length: 30 },
    (_, i): [string, string] => [
      `random quoting #${i}`,
      randomInline(i + 200) + "\r\n",
    ],
  ),
];

// Both servers get the same small query buffer limit so that case stays fast.
const ARGS = ["--client-query-buffer-limit", "1mb"];

Deno.test("bad input gets the same replies and closes as redis-server 7.0", async () => {
  let redis: RunningServer | undefined;
  let redeno: RunningServer | undefined;
  try {
    [redis, redeno] = await Promise.all([startRedis(ARGS), startRedeno(ARGS)]);
    const redisPort = redis.port;
    const redenoPort = redeno.port;
    const results = await Promise.all(CASES.map(async ([name, input]) => {
      const want = await exchange(redisPort, input);
      const got = await exchange(redenoPort, input, {
        bytes: want.reply.length,
        close: want.closed,
      });
      return { name, want, got };
    }));
    for (const { name, want, got } of results) {
      assert.deepEqual(got, want, name);
    }
    // The server is still serving after all of it.
    const client = await redeno.connect();
    try {
      assert.equal(await client.call("PING"), "PONG");
    } finally {
      client.close();
    }
  } finally {
    await Promise.all([redis?.stop(), redeno?.stop()]);
  }
});

Deno.test("garbage from one client leaves other clients and data alone", async () => {
  const server = await startRedeno(ARGS);
  const good = await server.connect();
  try {
    assert.equal(await good.call("SET", "k", "v"), "OK");
    assert.equal(await good.call("SET", "bin", "\x00\r\n\xff"), "OK");
    // A half-sent big argument, a bad frame and a truncated frame, all open at once.
    const pending = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await pending.write(
      binaryToBytes(
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$500000\r\n" + "z".repeat(300_000),
      ),
    );
    const bad = exchange(server.port, "*1\r\n$-5\r\n");
    const truncated = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await truncated.write(binaryToBytes("*2\r\n$3\r\nGET\r\n$1\r\n"));
    assert.deepEqual(await bad, {
      reply: "-ERR Protocol error: invalid bulk length\r\n",
      closed: true,
    });
    assert.equal(await good.call("GET", "k"), "v");
    assert.equal(await good.call("GET", "bin"), "\x00\r\n\xff");
    // Clients that vanish mid-frame change nothing either.
    pending.close();
    truncated.close();
    assert.equal(await good.call("GET", "k"), "v");
    assert.equal(await good.call("SET", "k2", "v2"), "OK");
    assert.equal(await good.call("DBSIZE"), 3);
    const other = await server.connect();
    try {
      assert.equal(await other.call("GET", "k2"), "v2");
    } finally {
      other.close();
    }
  } finally {
    good.close();
    await server.stop();
  }
});
