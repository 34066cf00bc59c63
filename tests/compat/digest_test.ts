/**
 * The proof that DEBUG DIGEST and DEBUG DIGEST-VALUE are computed as Redis
 * computes them: the same string data is loaded into redis-server 7.0 and
 * redeno, every load command must get the same reply, and then the digests
 * must be identical. DEBUG OBJECT's fields (all but the address and the LRU
 * clock) are compared the same way.
 *
 * Commands redeno does not have yet (APPEND, SETRANGE, SELECT ... as other
 * work lands) are left out of the load, and the test says which; the data
 * still covers plain, integer-looking, binary, in-place edited (SETBIT),
 * long and TTL-carrying values.
 * @module
 */

import assert from "node:assert/strict";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";

const SERVER_ARGS = ["--enable-debug-command", "yes"];
/** 2100-01-01 in Unix seconds: far enough that no key expires during the test. */
const FAR_FUTURE_S = 4102444800;

/** A small deterministic generator, so both servers get the same "random" data. */
function generator(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(next: () => number, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) {
    s += String.fromCharCode(Math.floor(next() * 256));
  }
  return s;
}

const INTEGER_LOOKING = [
  "0",
  "1",
  "-1",
  "5",
  "9999",
  "10000",
  "127",
  "128",
  "-128",
  "-129",
  "32767",
  "32768",
  "-32769",
  "2147483647",
  "2147483648",
  "-2147483648",
  "-2147483649",
  "12345678901",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775808",
  "007",
  "-0",
  "+1",
  " 1",
  "1.5",
  "1e3",
];

/** The string dataset, as commands; each is sent to both servers. */
function loadCommands(): string[][] {
  const next = generator(20240601);
  const commands: string[][] = [];
  for (let i = 0; i < 1500; i++) {
    const value = randomBytes(next, Math.floor(next() * 90));
    commands.push(["SET", `key:${i}`, value]);
  }
  for (let i = 0; i < 100; i++) {
    commands.push(["SET", randomBytes(next, 1 + (i % 20)), `bin-key-${i}`]);
  }
  INTEGER_LOOKING.forEach((n, i) => commands.push(["SET", `int:${i}`, n]));
  for (let i = 0; i < 20; i++) {
    commands.push(["SET", `long:${i}`, randomBytes(next, 40 + i * 50)]);
    commands.push(["SET", `rep:${i}`, "ab".repeat(10 + i * 30)]);
  }
  for (let i = 0; i < 50; i++) {
    commands.push(["SET", `ttl:${i}`, `v${i}`, "PXAT", `${FAR_FUTURE_S}000`]);
    commands.push(["SET", `ttl-ex:${i}`, `${i}`, "EXAT", `${FAR_FUTURE_S}`]);
    commands.push(["SET", `ttl-rel:${i}`, `${i * 1000}`, "EX", "100000"]);
    commands.push(["SET", `expireat:${i}`, `w${i}`]);
    commands.push(["EXPIREAT", `expireat:${i}`, `${FAR_FUTURE_S}`]);
    commands.push(["EXPIRE", `key:${i}`, "100000"]);
  }
  // In place: SETBIT, SETRANGE and APPEND make raw (mutable) strings.
  for (let i = 0; i < 30; i++) {
    commands.push(["SETBIT", `bits:${i}`, `${i * 13}`, "1"]);
    commands.push(["SETBIT", `key:${i}`, `${i * 7}`, `${i % 2}`]);
    commands.push(["APPEND", `app:${i}`, "hello"]);
    commands.push(["APPEND", `app:${i}`, randomBytes(next, i)]);
    commands.push(["APPEND", `int:${i % INTEGER_LOOKING.length}`, "0"]);
    commands.push(["SETRANGE", `range:${i}`, `${i * 3}`, "xyz"]);
    commands.push(["SETRANGE", `key:${100 + i}`, "2", randomBytes(next, 5)]);
  }
  // Sorted sets in both encodings (over 128 members is a skiplist).
  for (let i = 0; i < 8; i++) {
    const zadd = ["ZADD", `zset:${i}`];
    for (let j = 0; j < 20 + i * 30; j++) {
      zadd.push(
        `${(j * 0.37 - 5) * 10 ** (i - 4)}`,
        randomBytes(next, 1 + j % 9),
      );
    }
    commands.push(zadd, ["ZADD", `zset:${i}`, "-inf", "low", "1e20", "high"]);
  }
  commands.push(["SET", "persisted", "p", "EX", "1000"]);
  commands.push(["PERSIST", "persisted"]);
  commands.push(["DEL", "key:0", "key:1"]);
  commands.push(["SET", "key:2", "overwritten"]);
  // Another database, when SELECT exists; then back to 0.
  commands.push(["SELECT", "9"]);
  commands.push(["SET", "key:0", "in db 9"]);
  commands.push(["SET", "other", "1", "PXAT", `${FAR_FUTURE_S}000`]);
  commands.push(["SELECT", "0"]);
  return commands;
}

/** Names of the commands redeno has (COMMAND INFO answers null for the others). */
async function knownCommands(
  client: RespClient,
  names: string[],
): Promise<Set<string>> {
  const reply = await client.call("COMMAND", "INFO", ...names);
  assert.ok(Array.isArray(reply));
  return new Set(names.filter((_, i) => reply[i] !== null));
}

/** Sends every command in one write, then reads every reply's bytes. */
async function pipeline(
  client: RespClient,
  commands: string[][],
): Promise<string[]> {
  for (const argv of commands) await client.write(...argv);
  const replies: string[] = [];
  for (let i = 0; i < commands.length; i++) {
    replies.push(bytesToBinary((await client.readWithBytes()).bytes));
  }
  return replies;
}

async function withServers(
  fn: (redis: RespClient, redeno: RespClient) => Promise<void>,
): Promise<void> {
  const servers: RunningServer[] = [];
  const clients: RespClient[] = [];
  try {
    const started = await Promise.allSettled([
      startRedis(SERVER_ARGS),
      startRedeno(SERVER_ARGS),
    ]);
    for (const s of started) {
      if (s.status === "fulfilled") servers.push(s.value);
    }
    for (const s of started) if (s.status === "rejected") throw s.reason;
    for (const server of servers) clients.push(await server.connect());
    await fn(clients[0], clients[1]);
  } finally {
    for (const client of clients) client.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** The same command on both servers; the replies must be byte-identical. */
async function same(
  redis: RespClient,
  redeno: RespClient,
  ...argv: string[]
): Promise<string> {
  const [expected, actual] = await Promise.all([
    redis.callRaw(...argv),
    redeno.callRaw(...argv),
  ]);
  assert.equal(
    bytesToBinary(actual),
    bytesToBinary(expected),
    argv.join(" ").slice(0, 200),
  );
  return bytesToBinary(actual);
}

Deno.test("DEBUG DIGEST and DIGEST-VALUE match redis-server for the same string data", async () => {
  await withServers(async (redis, redeno) => {
    assert.equal(
      await same(redis, redeno, "DEBUG", "DIGEST"),
      `+${"0".repeat(40)}\r\n`,
    );

    const all = loadCommands();
    const names = [...new Set(all.map((argv) => argv[0]))];
    const known = await knownCommands(redeno, names);
    const missing = names.filter((n) => !known.has(n));
    if (missing.length > 0) {
      console.log(`digest load leaves out (not in redeno yet): ${missing}`);
    }
    const commands = all.filter((argv) => known.has(argv[0]));
    const [expected, actual] = await Promise.all([
      pipeline(redis, commands),
      pipeline(redeno, commands),
    ]);
    for (let i = 0; i < commands.length; i++) {
      assert.equal(
        actual[i],
        expected[i],
        `load: ${commands[i].join(" ").slice(0, 100)}`,
      );
    }

    // A key that has expired but that nothing touched still counts.
    await same(redis, redeno, "DEBUG", "SET-ACTIVE-EXPIRE", "0");
    await same(redis, redeno, "SET", "gone", "soon", "PX", "1");
    await new Promise((r) => setTimeout(r, 20));

    const digest = await same(redis, redeno, "DEBUG", "DIGEST");
    assert.notEqual(digest, `+${"0".repeat(40)}\r\n`);
    const keys = commands.filter((argv) => argv[0] === "SET").map((argv) =>
      argv[1]
    );
    await same(
      redis,
      redeno,
      "DEBUG",
      "DIGEST-VALUE",
      ...keys,
      "gone",
      "nokey",
    );

    // Deleting one key changes the digest on both sides alike.
    await same(redis, redeno, "DEL", "key:5");
    const after = await same(redis, redeno, "DEBUG", "DIGEST");
    assert.notEqual(after, digest);
    await same(redis, redeno, "DEBUG", "SET-ACTIVE-EXPIRE", "1");
  });
});

/** DEBUG OBJECT without the parts that legitimately differ (address, LRU clock). */
function objectFields(reply: string): string {
  return reply.replace(/^\+Value at:0x[0-9a-f]+ /, "+Value at:? ")
    .replace(/ lru:\d+ lru_seconds_idle:\d+/, " lru:?");
}

Deno.test("DEBUG OBJECT reports Redis's refcount, encoding and serialized length", async () => {
  await withServers(async (redis, redeno) => {
    const values = [
      ...INTEGER_LOOKING,
      "",
      "bar",
      "a".repeat(20),
      "a".repeat(21),
      "a".repeat(44),
      "a".repeat(45),
      "b".repeat(63),
      "b".repeat(64),
      "c".repeat(16383),
      "c".repeat(16384),
      "\x00\xff\r\n",
      // LZF-compressed: redeno's compressor makes liblzf's choices.
      "abcabcabcabcabcabcabcabcabc",
      Array.from({ length: 400 }, (_, i) => `word${i * 7 % 13}`).join(" "),
    ];
    for (const [i, value] of values.entries()) {
      await same(redis, redeno, "SET", `k${i}`, value);
      const [expected, actual] = await Promise.all([
        redis.callRaw("DEBUG", "OBJECT", `k${i}`),
        redeno.callRaw("DEBUG", "OBJECT", `k${i}`),
      ]);
      assert.equal(
        objectFields(bytesToBinary(actual)),
        objectFields(bytesToBinary(expected)),
        JSON.stringify(value.slice(0, 30)),
      );
    }
    await same(redis, redeno, "SETBIT", "bits", "7", "1");
    // Collections: serializedlength is their RDB form; lists add quicklist
    // details, with nodes split where Redis's tail pushes split them.
    await same(redis, redeno, "RPUSH", "small-list", "a", "b", "1", "-7");
    for (let i = 0; i < 20_000; i += 1000) {
      const ints = Array.from({ length: 1000 }, (_, j) => String(i + j));
      await same(redis, redeno, "RPUSH", "int-list", ...ints);
      const words = ints.map((n) => `element:${n}`);
      await same(redis, redeno, "RPUSH", "word-list", ...words);
    }
    await same(redis, redeno, "HSET", "small-hash", "f", "v", "n", "12");
    await same(redis, redeno, "SADD", "int-set", "1", "2", "300000");
    await same(redis, redeno, "ZADD", "small-zset", "1.5", "a", "2", "b");
    for (let i = 0; i < 300; i++) {
      await same(redis, redeno, "HSET", "big-hash", `field:${i}`, `${i}`);
      await same(redis, redeno, "ZADD", "big-zset", String(i / 3), `m:${i}`);
      await same(redis, redeno, "SADD", "big-set", `member:${i}`);
    }
    for (
      const argv of [
        ["DEBUG", "OBJECT", "bits"],
        ["DEBUG", "OBJECT", "no"],
        ...[
          "small-list",
          "int-list",
          "word-list",
          "small-hash",
          "int-set",
          "small-zset",
          "big-hash",
          "big-zset",
          "big-set",
        ].map((key) => ["DEBUG", "OBJECT", key]),
      ]
    ) {
      const [expected, actual] = await Promise.all([
        redis.callRaw(...argv),
        redeno.callRaw(...argv),
      ]);
      assert.equal(
        objectFields(bytesToBinary(actual)),
        objectFields(bytesToBinary(expected)),
      );
    }
  });
});

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function pseudoRandom(seed: number): () => number {
  let state = seed || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** A string with repeats at many distances and lengths, as LZF finds them. */
function compressibleString(random: () => number, length: number): string {
  let s = "";
  while (s.length < length) {
    const back = Math.floor(random() * Math.min(s.length, 9000));
    if (s.length > 3 && random() < 0.5) {
      const from = s.length - 1 - back;
      s += s.slice(from, from + 3 + Math.floor(random() * 300));
    } else {
      // Half the time from four letters, so short repeats are common.
      const alphabet = random() < 0.5 ? 4 : 256;
      const base = alphabet === 4 ? 97 : 0;
      s += String.fromCharCode(base + Math.floor(random() * alphabet));
    }
  }
  return s.slice(0, length);
}

Deno.test("DUMP payloads of compressed strings are Redis's bytes", async () => {
  await withServers(async (redis, redeno) => {
    const random = pseudoRandom(20261206);
    const lengths = [21, 22, 23, 24, 25, 30, 40, 64, 100, 1000, 5000, 20000];
    for (const [i, length] of lengths.entries()) {
      for (let round = 0; round < 5; round++) {
        const value = compressibleString(random, length);
        const key = `lzf:${i}:${round}`;
        await same(redis, redeno, "SET", key, value);
        await same(redis, redeno, "DUMP", key);
      }
    }
  });
});
