/**
 * RDB files as older Redis versions wrote them (2.4's zipmaps and
 * second-resolution expiry, 2.6's hash ziplists, 3.2's quicklists of
 * ziplists, 4.0's binary scores, 7.0 rc's function opcode), built byte by
 * byte with tests/helpers/rdb_builder.ts, pass redis-check-rdb and load into
 * redis-server 7.0 and redeno alike: the same DEBUG DIGEST, and per key the
 * same TYPE, OBJECT ENCODING, contents and expiry. Corrupt old encodings
 * stop both at start. Function libraries in a redis-server dump are skipped
 * with a log line naming them.
 * @module
 */

import { assertRdbChecks } from "../helpers/check_rdb.ts";
import assert from "node:assert/strict";
import {
  dumpPayloadOf,
  intset,
  moduleId,
  pairs,
  rdbBinaryScore,
  RdbFileBuilder,
  rdbIntString,
  rdbLength,
  rdbLzfString,
  rdbString,
  rdbTextScore,
  ziplist,
  type ZiplistEntry,
  zipmap,
} from "../helpers/rdb_builder.ts";
import { Opcode, RdbType } from "../../src/persistence/rdb_format.ts";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";

const DEBUG = ["--enable-debug-command", "yes"];

/** Writes `file` as dump.rdb in a new directory, which it returns. */
function dirWith(file: Uint8Array): string {
  const dir = Deno.makeTempDirSync();
  Deno.writeFileSync(`${dir}/dump.rdb`, file);
  return dir;
}

/** redis-check-rdb's verdict on `file`, which must be OK (the builder is right). */
async function assertCheckRdbAccepts(file: Uint8Array): Promise<void> {
  await assertRdbChecks(`${dirWith(file)}/dump.rdb`);
}

/** The contents of `key` in a form both servers must give alike. */
async function contents(
  c: RespClient,
  key: string,
  type: string,
  encoding: string,
): Promise<unknown> {
  switch (type) {
    case "string":
      return await c.call("GET", key);
    case "list":
      return await c.call("LRANGE", key, 0, -1);
    case "zset":
      return await c.call("ZRANGE", key, 0, -1, "WITHSCORES");
    case "set": {
      const members = await c.call("SMEMBERS", key) as string[];
      // A hashtable's order is the server's own; an intset's is ascending.
      return encoding === "hashtable" ? members.sort() : members;
    }
    case "hash": {
      const flat = await c.call("HGETALL", key) as string[];
      if (encoding !== "hashtable") return flat;
      const fields: string[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        fields.push(`${flat[i]}=${flat[i + 1]}`);
      }
      return fields.sort();
    }
  }
  throw new Error(`unexpected type ${type} of ${key}`);
}

/** Everything loading produced in databases `dbs`, key by key, and the digest. */
async function dataset(c: RespClient, dbs: number[]): Promise<unknown> {
  const keys: Record<string, unknown> = {};
  for (const db of dbs) {
    await c.call("SELECT", db);
    const names = (await c.call("KEYS", "*") as string[]).sort();
    for (const key of names) {
      const type = String(await c.call("TYPE", key));
      const encoding = String(await c.call("OBJECT", "ENCODING", key));
      keys[`${db}:${key}`] = {
        type,
        encoding,
        expireAt: await c.call("PEXPIRETIME", key),
        contents: await contents(c, key, type, encoding),
      };
    }
  }
  await c.call("SELECT", 0);
  return { digest: await c.call("DEBUG", "DIGEST"), keys };
}

/** The counts in the "Done loading RDB" line of a server's log. */
function loadLine(server: RunningServer): string {
  return /Done loading RDB, keys loaded: \d+, keys expired: \d+/.exec(
    server.output(),
  )?.[0] ?? `no load line in:\n${server.output()}`;
}

/** The messages rdbLoadRio logs while it reads a file (aux fields, empty keys, the end). */
const LOADING_MESSAGE =
  /^(Loading RDB produced|RDB age|RDB memory usage|RDB '|Unrecognized RDB AUX|RDB is base AOF|RDB has an AOF tail|rdbLoadObject skipping|RDB file was saved with checksum|Wrong RDB checksum|Done loading RDB)/;

/**
 * The loading lines of a server's log in order, each as its level mark and
 * message (Redis's `pid:role date time mark message` without the rest).
 */
function loadingLines(output: string): string[] {
  const lines: string[] = [];
  for (const line of output.split("\n")) {
    const match = /^\d+:[A-Z] \d\d \w{3} \d{4} [\d:.]+ (.) (.*)$/.exec(line);
    if (match && LOADING_MESSAGE.test(match[2])) {
      lines.push(`${match[1]} ${match[2]}`);
    }
  }
  return lines;
}

/**
 * Aux fields of every kind rdbLoadRio logs: a creation time in the future
 * (logged as age 0, so both servers log the same), a %-field, one it does
 * not know (a debug line) and the AOF ones.
 */
function withLoggedAux(file: RdbFileBuilder): RdbFileBuilder {
  const future = Math.floor(Date.now() / 1000) + 3600;
  return file
    .aux("redis-ver", "6.2.6")
    .aux("redis-bits", "64")
    .aux("ctime", String(future))
    .aux("used-mem", "1234567")
    .aux("aof-preamble", "1")
    .aux("aof-base", "0")
    .aux("%note", "made by hand")
    .aux("unknown-field", "x");
}

/** The lines both servers log for {@linkcode withLoggedAux}'s fields (at debug level). */
const LOGGED_AUX_LINES = [
  "* Loading RDB produced by version 6.2.6",
  "* RDB age 0 seconds",
  "* RDB memory usage when created 1.18 Mb",
  "* RDB has an AOF tail",
  "* RDB '%note': made by hand",
  ". Unrecognized RDB AUX field: 'unknown-field'",
];

/** What {@linkcode assertBothLoad} checks besides the data. */
interface LoadChecks {
  /** Run redis-check-rdb first (default true). */
  checkRdb?: boolean;
  /** Assertions on both servers' logs. */
  logs?: (redis: string, redeno: string) => void;
  /** Assertions run on each server before the comparison. */
  probe?: (c: RespClient) => Promise<void>;
  /** Extra arguments for both servers. */
  args?: string[];
}

/**
 * Loads `file` at start into redis-server and redeno and asserts both hold
 * the same data in `dbs`; returns it (for checks of particular keys).
 */
async function assertBothLoad(
  file: Uint8Array,
  dbs: number[],
  checks: LoadChecks = {},
): Promise<Record<string, Record<string, unknown>>> {
  if (checks.checkRdb !== false) await assertCheckRdbAccepts(file);
  const args = ["--dir", dirWith(file), ...DEBUG, ...checks.args ?? []];
  const redis = await startRedis(args);
  const redeno = await startRedeno(["--save", "", ...args]);
  try {
    // Before the comparison reads (and so touches) every key.
    for (const server of [redis, redeno]) {
      await checks.probe?.(await server.connect());
    }
    const expected = await dataset(await redis.connect(), dbs);
    const actual = await dataset(await redeno.connect(), dbs);
    assert.deepEqual(actual, expected);
    assert.equal(loadLine(redeno), loadLine(redis));
    checks.logs?.(redis.output(), redeno.output());
    return (expected as { keys: Record<string, Record<string, unknown>> })
      .keys;
  } catch (error) {
    console.error(redeno.output());
    throw error;
  } finally {
    await redis.stop();
    await redeno.stop();
  }
}

/** Ziplist entries of every encoding: immediate, int8/16/24/32/64, 6/14/32-bit strings, 1- and 5-byte prevlens. */
const EVERY_ZIPLIST_ENCODING: ZiplistEntry[] = [
  ...["0", "12", "13", "-1", "127", "-128", "128", "-32768", "32767"],
  ...["32768", "8388607", "-8388608", "8388608", "2147483647"],
  ...["-2147483648", "2147483648", "9223372036854775807"],
  ...["-9223372036854775808", "9223372036854775808", "007", "-0", "+5"],
  ...["1e3", " 1", "", "s".repeat(63), "m".repeat(64)],
  // An entry after one of 254+ bytes has a 5-byte prevlen.
  ...["b".repeat(300), "after-big", "1"],
  // Redis's cascade updates leave 5-byte prevlens before small entries too.
  { value: "wide", widePrevlen: true },
  { value: "-7", widePrevlen: true },
  "L".repeat(16384),
  "tail",
];

Deno.test("a Redis 2.4 file (RDB 2): zipmaps, ziplists, intsets, plain types, expiry in seconds, no checksum", async () => {
  const now = Math.floor(Date.now() / 1000);
  const manyPairs: [string, string][] = [];
  for (let i = 0; i < 600; i++) manyPairs.push([`f${i}`, `v${i}`]);
  const file = new RdbFileBuilder(2)
    .selectDb(0)
    .string("str:raw", rdbString("hello"))
    .string("str:int8", rdbIntString(-100))
    .string("str:int16", rdbIntString(30000))
    .string("str:int32", rdbIntString(-2000000000))
    .string("str:lzf", rdbLzfString("abc".repeat(100)))
    .expireSeconds(now + 3600)
    .string("ttl:seconds", rdbString("soon"))
    .expireSeconds(now - 10)
    .string("gone:seconds", rdbString("expired"))
    .key(
      RdbType.hashZipmap,
      "zipmap:small",
      rdbString(zipmap([
        ["name", "redis"],
        ["version", "2.4.18", 3],
        ["empty", ""],
        ["n", "12"],
      ])),
    )
    .key(
      RdbType.hashZipmap,
      "zipmap:long",
      rdbString(zipmap([["f", "x".repeat(300)], ["g".repeat(254), "v"]])),
    )
    .key(RdbType.hashZipmap, "zipmap:many", rdbLzfString(zipmap(manyPairs)))
    .key(
      RdbType.listZiplist,
      "ziplist:list",
      rdbString(ziplist(EVERY_ZIPLIST_ENCODING)),
    )
    .key(RdbType.setIntset, "intset:16", rdbString(intset(2, [-5, 1, 2, 300])))
    .key(
      RdbType.setIntset,
      "intset:32",
      rdbString(intset(4, [-70000, 1, 70000])),
    )
    .key(
      RdbType.setIntset,
      "intset:64",
      rdbString(intset(8, [-(2n ** 40n), 0n, 2n ** 62n])),
    )
    .key(
      RdbType.zsetZiplist,
      "ziplist:zset",
      rdbString(ziplist(pairs([
        ["neg", "-inf"],
        ["c", "-2.5"],
        ["a", "1"],
        ["b", "1.5"],
        ["big", "10000000000"],
        ["pos", "inf"],
      ]))),
    )
    .key(
      RdbType.list,
      "plain:list",
      rdbLength(3),
      rdbString("one"),
      rdbIntString(42),
      rdbLzfString("z".repeat(50)),
    )
    .key(
      RdbType.set,
      "plain:set",
      rdbLength(3),
      rdbString("x"),
      rdbString("y"),
      rdbString("z"),
    )
    .key(
      RdbType.set,
      "plain:intset",
      rdbLength(3),
      rdbString("3"),
      rdbIntString(1),
      rdbString("-2"),
    )
    .key(
      RdbType.set,
      "plain:not-int",
      rdbLength(2),
      rdbString("1"),
      rdbString("007"),
    )
    .key(
      RdbType.zset,
      "plain:zset",
      rdbLength(5),
      rdbString("m1"),
      rdbTextScore(Infinity),
      rdbString("m2"),
      rdbTextScore(-Infinity),
      rdbString("m3"),
      rdbTextScore("3.25"),
      rdbString("m4"),
      rdbTextScore("0.10000000000000001"),
      rdbString("m5"),
      rdbTextScore("-17"),
    )
    .key(
      RdbType.hash,
      "plain:hash",
      rdbLength(2),
      rdbString("k1"),
      rdbString("v1"),
      rdbIntString(7),
      rdbLzfString("w".repeat(40)),
    )
    .selectDb(3)
    .string("db3:key", rdbString("three"))
    .build();
  const keys = await assertBothLoad(file, [0, 3]);
  assert.equal(keys["0:zipmap:small"].encoding, "listpack");
  assert.equal(keys["0:zipmap:long"].encoding, "hashtable");
  assert.equal(keys["0:zipmap:many"].encoding, "hashtable");
  assert.equal(keys["0:ziplist:list"].encoding, "quicklist");
  assert.equal(keys["0:intset:64"].encoding, "intset");
  assert.equal(keys["0:plain:not-int"].encoding, "hashtable");
  assert.equal(keys["0:gone:seconds"], undefined);
  assert.equal(keys["0:ttl:seconds"].expireAt, (now + 3600) * 1000);
});

/** `n` pairs `[prefix+i, value(i)]`. */
function manyPairs(
  n: number,
  prefix: string,
  value: (i: number) => string,
): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) out.push([`${prefix}${i}`, value(i)]);
  return out;
}

Deno.test("a Redis 2.6-3.0 file (RDB 6): hash ziplists, expiry in ms, checksum, sizes that change the encoding", async () => {
  const now = Date.now();
  const counted: ZiplistEntry[] = new Array(70000).fill("1");
  const zsetPairs = manyPairs(200, "m", (i) => String(i / 4));
  const file = new RdbFileBuilder(6)
    .selectDb(0)
    .expireMs(now + 5_000_000)
    .key(
      RdbType.hashZiplist,
      "hz:small",
      rdbString(ziplist(pairs([["a", "1"], ["n", "-300"], ["s", "text"]]))),
    )
    .expireMs(now - 1000)
    .key(RdbType.hashZiplist, "hz:expired", rdbString(ziplist(["f", "v"])))
    // Redis checks only the number of entries of a ziplist it loads.
    .key(
      RdbType.hashZiplist,
      "hz:long-value",
      rdbString(ziplist(pairs([["a", "x".repeat(100)], ["b", "y"]]))),
    )
    .key(
      RdbType.hashZiplist,
      "hz:many",
      rdbLzfString(ziplist(pairs(manyPairs(600, "f", String)))),
    )
    .key(
      RdbType.zsetZiplist,
      "zz:long-member",
      rdbString(ziplist(pairs([["k".repeat(100), "1"], ["short", "2"]]))),
    )
    .key(RdbType.zsetZiplist, "zz:many", rdbString(ziplist(pairs(zsetPairs))))
    // 65535 and more entries: the ziplist header's count saturates.
    .key(RdbType.listZiplist, "zl:counted", rdbString(ziplist(counted)))
    .key(
      RdbType.setIntset,
      "is:many",
      rdbString(intset(2, Array.from({ length: 600 }, (_, i) => i))),
    )
    .key(
      RdbType.zset,
      "plain:zset-many",
      rdbLength(200),
      ...zsetPairs.flatMap(([m, s]) => [rdbString(m), rdbTextScore(s)]),
    )
    .key(
      RdbType.zset,
      "plain:zset-long",
      rdbLength(2),
      rdbString("q".repeat(65)),
      rdbTextScore("1"),
      rdbString("r"),
      rdbTextScore("2"),
    )
    // Scores as sscanf's %lg and strtod read them: leading space, trailing
    // garbage, inf spelled out, overflow to inf, hexadecimal; in a ziplist,
    // text that is no number is 0.
    .key(
      RdbType.zset,
      "plain:zset-text",
      rdbLength(8),
      ...[" 1", "1.5abc", "inf", "-Infinity", "1e400", "0x10", "0x1.8p1"]
        .concat("-0XAp-1")
        .flatMap((t, i) => [
          rdbString(`t${i}`),
          rdbTextScore(t),
        ]),
    )
    .key(
      RdbType.zsetZiplist,
      "zz:text",
      rdbString(ziplist(pairs([
        ["c", "abc"],
        ["d", "0x1p-2"],
        ["e", "1e"],
        ["a", " 2"],
        ["b", "3x"],
        ["f", "0x10"],
      ]))),
    )
    .key(
      RdbType.hash,
      "plain:hash-long",
      rdbLength(2),
      rdbString("a"),
      rdbString("b"),
      rdbString("c"),
      rdbString("d".repeat(65)),
    )
    .build();
  const keys = await assertBothLoad(file, [0]);
  assert.equal(keys["0:hz:long-value"].encoding, "listpack");
  assert.equal(keys["0:hz:many"].encoding, "hashtable");
  assert.equal(keys["0:zz:long-member"].encoding, "listpack");
  assert.equal(keys["0:zz:many"].encoding, "skiplist");
  assert.equal(keys["0:plain:zset-long"].encoding, "skiplist");
  assert.equal(keys["0:hz:expired"], undefined);
});

Deno.test("a Redis 3.2 file (RDB 7): quicklists of ziplists, LZF-compressed nodes, aux fields, RESIZEDB", async () => {
  const node = (from: number, n: number): string[] =>
    Array.from({ length: n }, (_, i) => `item-${from + i}`);
  const file = new RdbFileBuilder(7)
    .aux("redis-ver", "3.2.12")
    .aux("redis-bits", "64")
    .aux("ctime", String(Math.floor(Date.now() / 1000)))
    .aux("used-mem", "1048576")
    .selectDb(0)
    .resizeDb(3, 0)
    .key(
      RdbType.listQuicklist,
      "ql:nodes",
      rdbLength(5),
      rdbString(ziplist(node(0, 5))),
      // list-compress-depth compressed inner nodes with LZF.
      rdbLzfString(ziplist(node(5, 100))),
      rdbString(ziplist(EVERY_ZIPLIST_ENCODING)),
      // An empty node (a Redis bug once left them): skipped.
      rdbString(ziplist([])),
      rdbString(ziplist(["last"])),
    )
    .key(
      RdbType.listQuicklist,
      "ql:one",
      rdbLength(1),
      rdbString(ziplist(["only"])),
    )
    .key(
      RdbType.zset,
      "zset:text-scores",
      rdbLength(3),
      rdbString("a"),
      rdbTextScore("1.5"),
      rdbString("b"),
      rdbTextScore("-0.5"),
      rdbString("c"),
      rdbTextScore(Infinity),
    )
    .selectDb(7)
    .resizeDb(1, 0)
    .key(
      RdbType.listQuicklist,
      "ql:db7",
      rdbLength(1),
      rdbString(ziplist(["x"])),
    )
    .build();
  const keys = await assertBothLoad(file, [0, 7]);
  assert.equal((keys["0:ql:nodes"].contents as string[]).length, 106 + 34);
});

Deno.test("a Redis 5-6.2 file (RDB 9): binary scores, IDLE and FREQ opcodes, quicklists and ziplists", async () => {
  const file = new RdbFileBuilder(9)
    .aux("redis-ver", "6.2.14")
    .aux("redis-bits", "64")
    .aux("aof-preamble", "0")
    .aux("%note", "fields named %... are logged")
    .selectDb(0)
    .resizeDb(4, 1)
    .key(
      RdbType.zset2,
      "zset2:small",
      rdbLength(4),
      rdbString("a"),
      rdbBinaryScore(0.1),
      rdbString("b"),
      rdbBinaryScore(-Infinity),
      rdbString("c"),
      rdbBinaryScore(1e300),
      rdbString("d"),
      rdbBinaryScore(-2),
    )
    .key(
      RdbType.zset2,
      "zset2:many",
      rdbLength(130),
      ...manyPairs(130, "m", String).flatMap(([m], i) => [
        rdbString(m),
        rdbBinaryScore(i * 1.25),
      ]),
    )
    .idle(1000)
    .key(
      RdbType.listQuicklist,
      "ql:idle",
      rdbLength(2),
      rdbString(ziplist(["a", "1"])),
      rdbString(ziplist(["b", "2"])),
    )
    .freq(50)
    .expireMs(Date.now() + 100_000_000)
    .key(
      RdbType.hashZiplist,
      "hz:freq",
      rdbString(ziplist(pairs([["f", "1"], ["g", "2"]]))),
    )
    .key(
      RdbType.zsetZiplist,
      "zz:ints",
      rdbString(ziplist(pairs([["x", "-5"], ["y", "0"], ["z", "3"]]))),
    )
    .build();
  const keys = await assertBothLoad(file, [0], {
    logs: (redis, redeno) => {
      const line = "RDB '%note': fields named %... are logged";
      assert.ok(redis.includes(line), redis);
      assert.ok(redeno.includes(line), redeno);
    },
  });
  assert.equal(keys["0:zset2:many"].encoding, "skiplist");
  assert.equal(keys["0:zset2:small"].encoding, "listpack");
});

/** Lua code registering function `name` (names are unique across libraries). */
function libraryCode(name: string): string {
  return `redis.register_function('${name}', function() return 1 end)`;
}

Deno.test("function libraries in a redis-server dump are skipped with a log line naming them; the keys load", async () => {
  const dir = Deno.makeTempDirSync();
  const redis = await startRedis(["--dir", dir, ...DEBUG]);
  let expected: unknown;
  try {
    const c = await redis.connect();
    assert.equal(
      await c.call("FUNCTION", "LOAD", `#!lua name=mylib\n${libraryCode("f")}`),
      "mylib",
    );
    assert.equal(
      await c.call(
        "FUNCTION",
        "LOAD",
        `#!lua  name=other  \n${libraryCode("g")}`,
      ),
      "other",
    );
    await c.call("SET", "k", "v");
    await c.call("RPUSH", "l", "a", "b");
    await c.call("HSET", "h", "f", "1");
    expected = await dataset(c, [0]);
    assert.equal(await c.call("SAVE"), "OK");
    c.close();
  } finally {
    await redis.stop();
  }
  const redeno = await startRedeno(["--dir", dir, "--save", "", ...DEBUG]);
  try {
    assert.deepEqual(await dataset(await redeno.connect(), [0]), expected);
  } finally {
    await redeno.stop();
  }
  for (const name of ["mylib", "other"]) {
    assert.match(
      redeno.output(),
      new RegExp(
        `Skipping function library '${name}' in the RDB file: redeno has no scripting yet`,
      ),
    );
  }
  assert.match(redeno.output(), /keys loaded: 3, keys expired: 0\./);
});

Deno.test("the 7.0 release candidates' function opcode (name, engine, description, code) is read and skipped", async () => {
  const file = new RdbFileBuilder(10)
    .aux("redis-ver", "7.0.0")
    .functionPreGa("rclib", "LUA", "from rc2", libraryCode("f"))
    .functionPreGa("nodesc", "LUA", undefined, libraryCode("g"))
    .selectDb(0)
    .string("after", rdbString("functions"))
    .build();
  await assertCheckRdbAccepts(file);
  const redis = await startRedis(["--dir", dirWith(file)]);
  try {
    const c = await redis.connect();
    const libraries = await c.call("FUNCTION", "LIST") as unknown[][];
    assert.deepEqual(libraries.map((l) => l[1]).sort(), ["nodesc", "rclib"]);
    assert.equal(await c.call("GET", "after"), "functions");
  } finally {
    await redis.stop();
  }
  const redeno = await startRedeno(["--dir", dirWith(file), "--save", ""]);
  try {
    const c = await redeno.connect();
    assert.equal(await c.call("GET", "after"), "functions");
  } finally {
    await redeno.stop();
  }
  assert.match(redeno.output(), /Skipping function library 'rclib'/);
  assert.match(redeno.output(), /Skipping function library 'nodesc'/);
});

/** The log of a server that must fail to start (the error spawnServer gives). */
async function failedStart(
  start: () => Promise<RunningServer>,
): Promise<string> {
  try {
    const server = await start();
    await server.stop();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the server started");
}

/** A file with a good key, then `bad` of RDB type `type` holding `value`. */
function fileWithBadKey(type: number, ...value: Uint8Array[]): Uint8Array {
  return new RdbFileBuilder(9)
    .selectDb(0)
    .string("before", rdbString("ok"))
    .key(type, "bad", ...value)
    .build();
}

Deno.test("corrupt old encodings stop both servers at start with the same reason", async () => {
  const hashZiplist = ziplist(pairs([["f", "1"], ["g", "2"]]));
  const badCount = hashZiplist.slice();
  badCount[8] = 3; // zllen: 3 entries, 4 there
  const badBytes = hashZiplist.slice();
  badBytes[0] += 1; // zlbytes one past the blob
  const badPrevlen = ziplist(["a", "b"]);
  badPrevlen[13] = 7; // the second entry's prevlen
  const map = zipmap([["field", "value"], ["other", "x".repeat(300)]]);
  const lzfNode = rdbLzfString(ziplist(["c".repeat(50)]));
  lzfNode[2] -= 1; // the uncompressed length LZF no longer gives
  const cases: [string, Uint8Array, string][] = [
    [
      "hash ziplist count",
      fileWithBadKey(RdbType.hashZiplist, rdbString(badCount)),
      "Hash ziplist integrity check failed.",
    ],
    [
      "ziplist byte count",
      fileWithBadKey(RdbType.listZiplist, rdbString(badBytes)),
      "List ziplist integrity check failed.",
    ],
    [
      "ziplist prevlen",
      fileWithBadKey(RdbType.zsetZiplist, rdbString(badPrevlen)),
      "Zset ziplist integrity check failed.",
    ],
    [
      "truncated zipmap",
      fileWithBadKey(
        RdbType.hashZipmap,
        rdbString(Uint8Array.of(...map.subarray(0, 200), 0xff)),
      ),
      "Zipmap integrity check failed.",
    ],
    [
      "zipmap count",
      fileWithBadKey(
        RdbType.hashZipmap,
        rdbString(Uint8Array.of(5, ...map.subarray(1))),
      ),
      "Zipmap integrity check failed.",
    ],
    [
      "repeated hash field",
      fileWithBadKey(
        RdbType.hashZiplist,
        rdbString(ziplist(["f", "1", "f", "2"])),
      ),
      "Hash ziplist integrity check failed.",
    ],
    [
      "empty intset",
      fileWithBadKey(RdbType.setIntset, rdbString(intset(2, []))),
      "Intset integrity check failed.",
    ],
    [
      "NaN text score",
      fileWithBadKey(
        RdbType.zset,
        rdbLength(1),
        rdbString("a"),
        rdbTextScore(NaN),
      ),
      "Zset with NAN score detected",
    ],
    [
      "bad LZF quicklist node",
      fileWithBadKey(RdbType.listQuicklist, rdbLength(1), lzfNode),
      "Invalid LZF compressed string",
    ],
    // Module data with no such module: both name the module type.
    [
      "module value",
      fileWithBadKey(
        RdbType.module2,
        rdbLength(moduleId("mytype-AB", 3)),
        rdbLength(2),
        rdbLength(5),
        rdbLength(0),
      ),
      "The RDB file contains module data I can't load: no matching module type 'mytype-AB'",
    ],
    [
      "module aux data",
      new RdbFileBuilder(9)
        .raw(
          [Opcode.moduleAux],
          rdbLength(moduleId("auxmod-xy", 1)),
          rdbLength(2),
        )
        .raw(rdbLength(1), rdbLength(0))
        .build(),
      "The RDB file contains AUX module data I can't load: no matching module 'auxmod-xy'",
    ],
  ];
  for (const [what, file, reason] of cases) {
    for (const start of [startRedis, startRedeno]) {
      const log = await failedStart(() =>
        start(["--dir", dirWith(file), "--save", ""])
      );
      assert.ok(log.includes(reason), `${what}:\n${log}`);
    }
  }
});

Deno.test("values that are empty once read are skipped with Redis's log lines (the first ten named, the count in a warning), the rest loads", async () => {
  const empty: [string, number, Uint8Array[]][] = [
    ["hash-ziplist", RdbType.hashZiplist, [rdbString(ziplist([]))]],
    ["zset-ziplist", RdbType.zsetZiplist, [rdbString(ziplist([]))]],
    ["list-ziplist", RdbType.listZiplist, [rdbString(ziplist([]))]],
    [
      "quicklist",
      RdbType.listQuicklist,
      [rdbLength(2), rdbString(ziplist([])), rdbString(ziplist([]))],
    ],
    ["list", RdbType.list, [rdbLength(0)]],
    ["set", RdbType.set, [rdbLength(0)]],
    ["zset", RdbType.zset, [rdbLength(0)]],
    ["hash", RdbType.hash, [rdbLength(0)]],
    ...[1, 2, 3, 4].map((
      n,
    ): [string, number, Uint8Array[]] => [`set${n}`, RdbType.set, [
      rdbLength(0),
    ]]),
  ];
  const file = withLoggedAux(new RdbFileBuilder(9)).selectDb(0);
  for (const [key, type, value] of empty) file.key(type, key, ...value);
  file.string("kept", rdbString("value"));
  const keys = await assertBothLoad(file.build(), [0], {
    // redis-check-rdb calls an empty value a read error; the server skips it.
    checkRdb: false,
    args: ["--loglevel", "debug"],
    logs: (redis, redeno) => {
      const expected = loadingLines(redis);
      assert.deepEqual(expected, [
        ...LOGGED_AUX_LINES,
        ...empty.slice(0, 10).map(([key]) =>
          `# rdbLoadObject skipping empty key: ${key}`
        ),
        "# Done loading RDB, keys loaded: 1, keys expired: 0, empty keys skipped: 12.",
      ]);
      assert.deepEqual(loadingLines(redeno), expected);
    },
  });
  assert.deepEqual(Object.keys(keys), ["0:kept"]);
});

Deno.test("aux fields are logged as they are read, so a file that fails later shows them before its error, as in redis-server", async () => {
  const good = () =>
    withLoggedAux(new RdbFileBuilder(9)).selectDb(0).string(
      "k",
      rdbString("hello"),
    );
  const badChecksum = good().build();
  badChecksum[badChecksum.length - 1] ^= 0x5a;
  const cases: [string, Uint8Array, string][] = [
    [
      "a corrupt value",
      good().key(RdbType.hashZiplist, "h", rdbString(Uint8Array.of(1, 2, 3)))
        .build(),
      "Hash ziplist integrity check failed.",
    ],
    ["a wrong checksum", badChecksum, "Wrong RDB checksum"],
    [
      "a truncated file",
      good().build().subarray(0, -12),
      "Unexpected EOF reading RDB file",
    ],
  ];
  for (const [what, file, reason] of cases) {
    const logs = [];
    for (const start of [startRedis, startRedeno]) {
      const log = await failedStart(() =>
        start(["--dir", dirWith(file), "--save", "", "--loglevel", "debug"])
      );
      assert.ok(log.includes(reason), `${what}:\n${log}`);
      logs.push(loadingLines(log));
    }
    const [redis, redeno] = logs;
    assert.deepEqual(
      redis.slice(0, LOGGED_AUX_LINES.length),
      LOGGED_AUX_LINES,
      what,
    );
    assert.deepEqual(redeno, redis, what);
  }
  // The same aux fields on a good file: their lines, then the end.
  await assertBothLoad(good().build(), [0], {
    args: ["--loglevel", "debug"],
    logs: (redis, redeno) => {
      assert.deepEqual(loadingLines(redis), [
        ...LOGGED_AUX_LINES,
        "* Done loading RDB, keys loaded: 1, keys expired: 0.",
      ]);
      assert.deepEqual(loadingLines(redeno), loadingLines(redis));
    },
  });
});

Deno.test("IDLE and FREQ opcodes set OBJECT IDLETIME or FREQ as the eviction policy reads them", async () => {
  const file = new RdbFileBuilder(9)
    .selectDb(0)
    .idle(1000)
    .string("idle", rdbString("a"))
    .freq(50)
    .string("freq", rdbString("b"))
    .build();
  await assertBothLoad(file, [0], {
    probe: async (c) => {
      const idle = Number(await c.call("OBJECT", "IDLETIME", "idle"));
      assert.ok(idle >= 1000 && idle <= 1002, String(idle));
    },
  });
  await assertBothLoad(file, [0], {
    args: ["--maxmemory-policy", "allkeys-lfu"],
    probe: async (c) => {
      assert.equal(await c.call("OBJECT", "FREQ", "freq"), 50);
    },
  });
});

Deno.test("RESTORE takes DUMP payloads of old encodings as redis-server does", async () => {
  const values: [string, number, Uint8Array[]][] = [
    ["zipmap", RdbType.hashZipmap, [rdbString(zipmap([["a", "1"]]))]],
    [
      "ziplist-list",
      RdbType.listZiplist,
      [rdbString(ziplist(EVERY_ZIPLIST_ENCODING))],
    ],
    ["intset", RdbType.setIntset, [rdbString(intset(4, [-1, 100000]))]],
    [
      "zset-ziplist",
      RdbType.zsetZiplist,
      [rdbString(ziplist(pairs([["m", "1.5"], ["n", "2"]])))],
    ],
    [
      "hash-ziplist",
      RdbType.hashZiplist,
      [rdbString(ziplist(pairs([["f", "x".repeat(100)]])))],
    ],
    [
      "quicklist",
      RdbType.listQuicklist,
      [
        rdbLength(2),
        rdbString(ziplist(["a"])),
        rdbLzfString(ziplist(["b".repeat(40)])),
      ],
    ],
    [
      "text-zset",
      RdbType.zset,
      [rdbLength(1), rdbString("m"), rdbTextScore("2.5")],
    ],
    // Refused by both: "ERR Bad data format".
    ["empty-hash", RdbType.hashZiplist, [rdbString(ziplist([]))]],
    ["dup-zset", RdbType.zsetZiplist, [
      rdbString(ziplist(["m", "1", "m", "2"])),
    ]],
    ["bad-zipmap", RdbType.hashZipmap, [
      rdbString(Uint8Array.of(3, 1, 97, 0xff)),
    ]],
  ];
  const redis = await startRedis(DEBUG);
  const redeno = await startRedeno(["--save", "", ...DEBUG]);
  try {
    const results: unknown[] = [];
    for (const server of [redis, redeno]) {
      const c = await server.connect();
      const replies: Record<string, unknown> = {};
      for (const [key, type, value] of values) {
        const payload = bytesToBinary(dumpPayloadOf(type, value, 9));
        const reply = await c.call("RESTORE", key, 0, payload);
        replies[key] = typeof reply === "object" && reply !== null &&
            "message" in reply
          ? reply.message
          : reply;
      }
      results.push({ replies, data: await dataset(c, [0]) });
    }
    assert.deepEqual(results[1], results[0]);
    const { replies } = results[0] as { replies: Record<string, unknown> };
    for (const [key] of values) {
      const refused = /^(empty|dup|bad)-/.test(key);
      assert.equal(replies[key], refused ? "ERR Bad data format" : "OK", key);
    }
  } finally {
    await redis.stop();
    await redeno.stop();
  }
});
