/**
 * RDB persistence end to end, with redis-server 7.0 as the other side: files
 * move both ways with equal DEBUG DIGEST (and pass redis-check-rdb), BGSAVE
 * saves the data as it was when it began while clients keep writing, a
 * restart keeps the data, and DUMP payloads RESTORE across both servers.
 * @module
 */

import { assertRdbChecks } from "../helpers/check_rdb.ts";
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import type { RespClient } from "../helpers/resp_client.ts";
import { startRedeno, startRedis } from "../helpers/servers.ts";

const DEBUG = ["--enable-debug-command", "yes"];

/** The text of an error reply. */
function errorText(reply: unknown): string {
  return typeof reply === "object" && reply !== null && "message" in reply
    ? String(reply.message)
    : String(reply);
}

/** The stream keys {@linkcode fillStreams} makes. */
const STREAMS = ["stream", "emptystream", "drained", "bigids"];

/**
 * Streams with explicit IDs: several nodes (split by entry count and by
 * bytes), tombstones from XDEL and XTRIM, groups with consumers, pending
 * entries, acknowledgements and ENTRIESREAD, an empty stream with a group,
 * a stream emptied by XDEL, IDs past 2^53 and entries added past 2^32.
 */
async function fillStreams(c: RespClient): Promise<void> {
  for (let i = 0; i < 260; i++) {
    const fields = i % 7 === 3
      ? ["other", `o${i}`]
      : ["field", `value${i}`, "n", String(i * 1000)];
    if (i === 150) fields.push("big", "b".repeat(5000));
    await c.write("XADD", "stream", `${1000 + i}-${i % 3}`, ...fields);
  }
  for (let i = 0; i < 260; i++) await c.read();
  await c.call("XDEL", "stream", "1003-0", "1100-1", "1101-2", "1259-1");
  await c.call("XTRIM", "stream", "MAXLEN", "240");
  await c.call("XGROUP", "CREATE", "stream", "grp", "0");
  await c.call(
    "XGROUP",
    "CREATE",
    "stream",
    "late",
    "1200-0",
    "ENTRIESREAD",
    7,
  );
  await c.call("XGROUP", "CREATE", "stream", "unknown", "1150-0");
  await c.call(
    "XREADGROUP",
    "GROUP",
    "grp",
    "alice",
    "COUNT",
    5,
    "STREAMS",
    "stream",
    ">",
  );
  await c.call(
    "XREADGROUP",
    "GROUP",
    "grp",
    "bob",
    "COUNT",
    3,
    "STREAMS",
    "stream",
    ">",
  );
  await c.call("XACK", "stream", "grp", "1021-0");
  await c.call("XCLAIM", "stream", "grp", "bob", 0, "1022-1", "RETRYCOUNT", 4);
  await c.call("XGROUP", "CREATECONSUMER", "stream", "grp", "carol");
  await c.call("XGROUP", "CREATE", "emptystream", "g", "$", "MKSTREAM");
  await c.call("XADD", "drained", "5-1", "a", "1");
  await c.call("XDEL", "drained", "5-1");
  await c.call(
    "XADD",
    "bigids",
    "18446744073709551614-18446744073709551610",
    "k",
    "v",
  );
  await c.call("XADD", "bigids", "18446744073709551614-*", "k", "-12");
  // Values of every listpack integer width and strings that only look numeric.
  await c.call(
    "XADD",
    "bigids",
    "18446744073709551614-*",
    ...["a", "127", "b", "128", "c", "-4096", "d", "4095", "e", "-32768"],
    ...["f", "8388607", "g", "-8388609", "h", "2147483648", "i", "-0"],
    ...["j", "9223372036854775807", "k", "-9223372036854775808"],
    ...["l", "9223372036854775808", "m", "007", "n", "1e3", "o", ""],
  );
  await c.call(
    "XSETID",
    "bigids",
    "18446744073709551614-18446744073709551612",
    "ENTRIESADDED",
    "12884901893",
    "MAXDELETEDID",
    "3-3",
  );
}

/** One key of every type, some with TTLs, in two databases. */
async function fill(c: RespClient): Promise<void> {
  await c.call("SET", "s", "hello");
  await c.call("SET", "n", "-123456789");
  await c.call("SET", "long", "abc".repeat(500));
  await c.call("SET", "ttl", "v", "PX", 100000000);
  await c.call("RPUSH", "list", "a", "1", "b".repeat(300), "-5");
  await c.call("SADD", "iset", "1", "2", "99999999999");
  await c.call("SADD", "set", "x", "y", "z");
  await c.call("ZADD", "z", "1.5", "a", "-inf", "b", "3", "c");
  await c.call("HSET", "h", "f", "v", "g", "12");
  const big: string[] = [];
  for (let i = 0; i < 600; i++) big.push(`f${i}`, `v${i}`);
  await c.call("HSET", "bigh", ...big);
  const zbig: string[] = [];
  for (let i = 0; i < 300; i++) zbig.push(String(i * 0.25), `m${i}`);
  await c.call("ZADD", "bigz", ...zbig);
  const sbig: string[] = [];
  for (let i = 0; i < 600; i++) sbig.push(`m${i}`);
  await c.call("SADD", "bigs", ...sbig);
  await fillStreams(c);
  await c.call("SELECT", 5);
  await c.call("SET", "in5", "five");
  await c.call("SELECT", 0);
}

/** Asserts XINFO STREAM FULL (entries, groups, PELs, consumers) is the same on both. */
/** XINFO STREAM FULL (entries, groups, PELs, consumers) of every stream key. */
async function streamInfos(c: RespClient): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const key of STREAMS) {
    out.push(await c.call("XINFO", "STREAM", key, "FULL"));
  }
  return out;
}

Deno.test("redeno's SAVE passes redis-check-rdb and loads into redis-server with the same digest", async () => {
  const dir = Deno.makeTempDirSync();
  const redeno = await startRedeno(["--dir", dir, ...DEBUG]);
  let digest: unknown;
  let streams: unknown[];
  try {
    const c = await redeno.connect();
    await fill(c);
    digest = await c.call("DEBUG", "DIGEST");
    streams = await streamInfos(c);
    assert.equal(await c.call("SAVE"), "OK");
    assert.equal(
      await c.call("LASTSAVE"),
      Math.floor(Date.now() / 1000),
    );
    c.close();
  } finally {
    await redeno.stop();
  }
  await assertRdbChecks(`${dir}/dump.rdb`);
  const redisDir = Deno.makeTempDirSync();
  copyFileSync(`${dir}/dump.rdb`, `${redisDir}/dump.rdb`);
  const redis = await startRedis(["--dir", redisDir, ...DEBUG]);
  try {
    const c = await redis.connect();
    assert.equal(await c.call("DEBUG", "DIGEST"), digest);
    assert.deepEqual(await streamInfos(c), streams);
    c.close();
  } finally {
    await redis.stop();
  }
});

Deno.test("redis-server's dump loads into redeno at start with the same digest", async () => {
  const dir = Deno.makeTempDirSync();
  const redis = await startRedis(["--dir", dir, ...DEBUG]);
  let digest: unknown;
  let streams: unknown[];
  try {
    const c = await redis.connect();
    await fill(c);
    digest = await c.call("DEBUG", "DIGEST");
    streams = await streamInfos(c);
    await c.call("SAVE");
    c.close();
  } finally {
    await redis.stop();
  }
  const redeno = await startRedeno(["--dir", dir, "--save", "", ...DEBUG]);
  try {
    const c = await redeno.connect();
    assert.equal(await c.call("DEBUG", "DIGEST"), digest);
    assert.deepEqual(await streamInfos(c), streams);
    assert.equal(await c.call("OBJECT", "ENCODING", "bigh"), "hashtable");
    assert.equal(await c.call("OBJECT", "ENCODING", "h"), "listpack");
    assert.equal(await c.call("OBJECT", "ENCODING", "iset"), "intset");
    assert.ok(Number(await c.call("PTTL", "ttl")) > 0);
    c.close();
  } finally {
    await redeno.stop();
  }
  assert.match(
    redeno.output(),
    /Done loading RDB, keys loaded: 17, keys expired: 0\./,
  );
});

Deno.test("BGSAVE writes the data as it was when it began while clients keep writing", async () => {
  const dir = Deno.makeTempDirSync();
  const redeno = await startRedeno(["--dir", dir, "--save", "", ...DEBUG]);
  try {
    const c = await redeno.connect();
    await c.call("DEBUG", "POPULATE", 50000);
    await fill(c);
    const before = await c.call("DEBUG", "DIGEST");
    const streamsBefore = await streamInfos(c);
    assert.equal(await c.call("BGSAVE"), "Background saving started");
    assert.match(
      errorText(await c.call("BGSAVE")),
      /^ERR Background save already in progress$/,
    );
    // Streams changed in place: entries, groups, PELs and consumers.
    await c.call("XADD", "stream", "2000-0", "f", "new");
    await c.call(
      "XREADGROUP",
      "GROUP",
      "grp",
      "dave",
      "STREAMS",
      "stream",
      ">",
    );
    await c.call("XACK", "stream", "grp", "1017-2");
    await c.call("XGROUP", "SETID", "stream", "late", "0");
    await c.call("XDEL", "stream", "1030-0");
    await c.call("XADD", "emptystream", "1-1", "a", "b");
    await c.call("XTRIM", "bigids", "MAXLEN", 0);
    // Change keys everywhere in the hash space, in place and not.
    for (let i = 0; i < 50000; i += 97) {
      await c.write("SET", `key:${i}`, "changed");
      await c.write("DEL", `key:${i + 1}`);
      await c.write("SET", `new:${i}`, "x");
    }
    for (let i = 0; i < 50000; i += 97) {
      for (let j = 0; j < 3; j++) await c.read();
    }
    await c.call("RPUSH", "list", "more");
    await c.call("HSET", "bigh", "f0", "changed");
    await c.call("ZREM", "bigz", "m1");
    await c.call("FLUSHDB");
    const after = await c.call("DEBUG", "DIGEST");
    assert.notEqual(after, before);
    for (;;) {
      const info = String(await c.call("INFO", "persistence"));
      if (info.includes("rdb_bgsave_in_progress:0")) {
        assert.match(info, /rdb_last_bgsave_status:ok/);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await c.call("DEBUG", "RELOAD", "NOSAVE"), "OK");
    assert.equal(await c.call("DEBUG", "DIGEST"), before);
    assert.deepEqual(await streamInfos(c), streamsBefore);
    c.close();
  } finally {
    await redeno.stop();
  }
  await assertRdbChecks(`${dir}/dump.rdb`);
});

Deno.test("a restart keeps the data: SIGTERM saves when save points are set", async () => {
  const dir = Deno.makeTempDirSync();
  let digest: unknown;
  const first = await startRedeno(["--dir", dir, ...DEBUG]);
  try {
    const c = await first.connect();
    await fill(c);
    digest = await c.call("DEBUG", "DIGEST");
    c.close();
  } finally {
    await first.stop();
  }
  assert.match(first.output(), /DB saved on disk/);
  const second = await startRedeno(["--dir", dir, ...DEBUG]);
  try {
    const c = await second.connect();
    assert.equal(await c.call("DEBUG", "DIGEST"), digest);
    const info = String(await c.call("INFO", "persistence"));
    assert.match(info, /rdb_last_load_keys_loaded:17/);
    assert.match(info, /rdb_changes_since_last_save:0/);
    c.close();
  } finally {
    await second.stop();
  }
});

Deno.test("DUMP payloads RESTORE across redeno and redis-server for every type", async () => {
  const redeno = await startRedeno(["--save", "", ...DEBUG]);
  const redis = await startRedis(DEBUG);
  try {
    const a = await redeno.connect();
    const b = await redis.connect();
    await fill(a);
    await fill(b);
    const keys = await b.call("KEYS", "*") as string[];
    assert.equal(keys.length, 16);
    // Built by the same commands, a stream has Redis's bytes: its nodes'
    // listpacks and all, where no clock is involved (seen and delivery
    // times), so "stream" is compared as a copy without its groups.
    for (const c of [a, b]) {
      await c.call("COPY", "stream", "nogroups");
      for (const g of ["grp", "late", "unknown"]) {
        await c.call("XGROUP", "DESTROY", "nogroups", g);
      }
    }
    // One node past 65535 listpack elements: the header's count saturates.
    for (const c of [a, b]) {
      await c.call("CONFIG", "SET", "stream-node-max-entries", 0);
      await c.call("CONFIG", "SET", "stream-node-max-bytes", 0);
      for (let i = 1; i <= 14000; i++) {
        await c.write("XADD", "huge", `${i}-0`, "f", i, "g", "x");
      }
      for (let i = 1; i <= 14000; i++) await c.read();
      await c.call("XDEL", "huge", "5-0");
      await c.call("CONFIG", "SET", "stream-node-max-entries", 100);
      await c.call("CONFIG", "SET", "stream-node-max-bytes", 4096);
    }
    const sameBytes = ["nogroups", "emptystream", "drained", "bigids", "huge"];
    for (const key of sameBytes) {
      assert.deepEqual(
        await a.callRaw("DUMP", key),
        await b.callRaw("DUMP", key),
        key,
      );
    }
    const huge = await b.call("DUMP", "huge") as string;
    assert.equal(await a.call("RESTORE", "huge:copy", 0, huge), "OK");
    assert.deepEqual(
      await a.callRaw("DUMP", "huge:copy"),
      await b.callRaw("DUMP", "huge"),
    );
    assert.equal(await a.call("XLEN", "huge:copy"), 13999);
    for (const [from, to] of [[a, b], [b, a]]) {
      for (const key of keys) {
        const payload = await from.callRaw("DUMP", key);
        const bulk = new TextDecoder("latin1").decode(payload);
        assert.ok(bulk.startsWith("$"));
        const dumped = await from.call("DUMP", key) as string;
        const ttl = Math.max(Number(await from.call("PTTL", key)), 0);
        assert.equal(
          await to.call("RESTORE", key, ttl, dumped, "REPLACE"),
          "OK",
        );
        assert.deepEqual(
          await to.call("DEBUG", "DIGEST-VALUE", key),
          await from.call("DEBUG", "DIGEST-VALUE", key),
          key,
        );
      }
      assert.deepEqual(await streamInfos(to), await streamInfos(from));
      // A restored stream dumps back to the very same bytes.
      for (const key of STREAMS) {
        assert.deepEqual(
          await to.callRaw("DUMP", key),
          await from.callRaw("DUMP", key),
          key,
        );
      }
    }
    const payload = await a.call("DUMP", "s") as string;
    for (const c of [a, b]) {
      assert.match(
        errorText(await c.call("RESTORE", "s", 0, payload)),
        /^BUSYKEY Target key name already exists\.$/,
      );
      assert.match(
        errorText(
          await c.call("RESTORE", "fresh", 0, payload.slice(0, -1) + "x"),
        ),
        /DUMP payload version or checksum are wrong/,
      );
      assert.match(
        errorText(await c.call("RESTORE", "fresh", -1, payload)),
        /Invalid TTL value, must be >= 0/,
      );
      assert.equal(await c.call("RESTORE", "gone", 1, payload, "ABSTTL"), "OK");
      assert.equal(await c.call("EXISTS", "gone"), 0);
      assert.equal(
        await c.call("RESTORE", "idle", 0, payload, "IDLETIME", 1000),
        "OK",
      );
      assert.ok(Number(await c.call("OBJECT", "IDLETIME", "idle")) >= 1000);
    }
    a.close();
    b.close();
  } finally {
    await redeno.stop();
    await redis.stop();
  }
});

/** Waits until no background save runs; returns INFO persistence. */
async function afterBgsave(c: RespClient): Promise<string> {
  for (;;) {
    const info = String(await c.call("INFO", "persistence"));
    if (info.includes("rdb_bgsave_in_progress:0")) return info;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A background save that fails (its directory removed) with save points
 * set, then one that succeeds; returns every reply.
 */
async function failingSaveScript(
  c: RespClient,
  other: RespClient,
  dir: string,
): Promise<unknown[]> {
  const replies: unknown[] = [];
  const step = async (...argv: (string | number)[]) => {
    replies.push(await c.call(...argv));
  };
  Deno.mkdirSync(`${dir}/gone`);
  await step("CONFIG", "SET", "dir", `${dir}/gone`);
  Deno.removeSync(`${dir}/gone`);
  await step("SET", "k", "before");
  // A transaction queued before the failure and executed after it.
  await other.call("MULTI");
  await other.call("INCR", "counter");
  await step("BGSAVE");
  const info = await afterBgsave(c);
  replies.push(info.match(/rdb_last_bgsave_status:\w+/)?.[0]);
  replies.push(info.match(/rdb_saves:\d+/)?.[0]);
  await step("SET", "k", "refused");
  await step("PING");
  await step("GET", "k");
  await step("XADD", "s", "1-1", "f", "v");
  await step("XRANGE", "s", "-", "+");
  replies.push(await other.call("EXEC"));
  await step("MULTI");
  await step("SET", "k", "queued");
  await step("EXEC");
  await step("MULTI");
  await step("GET", "k");
  await step("EXEC");
  await step("SAVE");
  replies.push(
    String(await c.call("INFO", "persistence")).match(
      /rdb_last_bgsave_status:\w+/,
    )?.[0],
  );
  await step("CONFIG", "SET", "stop-writes-on-bgsave-error", "no");
  await step("SET", "k", "allowed");
  await step("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes");
  await step("CONFIG", "SET", "save", "");
  await step("SET", "k", "no save points");
  await step("CONFIG", "SET", "save", "3600 1");
  await step("SET", "k", "refused again");
  Deno.mkdirSync(`${dir}/back`);
  await step("CONFIG", "SET", "dir", `${dir}/back`);
  await step("BGSAVE");
  replies.push((await afterBgsave(c)).match(/rdb_last_bgsave_status:\w+/)?.[0]);
  await step("SET", "k", "after");
  await step("PING");
  await step("INCR", "counter");
  return replies;
}

Deno.test("a failed background save turns writes and PING into MISCONF until a save succeeds, as in redis-server", async () => {
  const args = ["--save", "3600 1", "--enable-protected-configs", "yes"];
  const results: unknown[][] = [];
  for (const start of [startRedis, startRedeno]) {
    const dir = Deno.makeTempDirSync();
    const server = await start(["--dir", dir, ...args, ...DEBUG]);
    try {
      const c = await server.connect();
      const other = await server.connect();
      results.push(await failingSaveScript(c, other, dir));
      // Nothing acknowledged is lost: a reload from disk keeps it all.
      const digest = await c.call("DEBUG", "DIGEST");
      assert.equal(await c.call("DEBUG", "RELOAD"), "OK");
      assert.equal(await c.call("DEBUG", "DIGEST"), digest);
      assert.equal(await c.call("GET", "k"), "after");
      assert.equal(await c.call("GET", "counter"), "1");
      c.close();
      other.close();
    } finally {
      await server.stop();
    }
    if (start === startRedeno) {
      assert.match(
        server.output(),
        /Failed opening the temp RDB file temp-bg-\d+\.rdb \(in server root dir [^)]*\) for saving: No such file or directory/,
      );
      assert.match(server.output(), /Background saving error/);
    }
  }
  const [redis, redeno] = results;
  assert.deepEqual(redeno, redis);
  assert.ok(redeno.includes("rdb_last_bgsave_status:err"));
  assert.match(errorText(redeno[5]), /^MISCONF Redis is configured to save/);
  assert.match(errorText(redeno[10]), /^EXECABORT .*: MISCONF Redis/);
});
