/**
 * Saving checked against redis-server 7.0, doing the same on both:
 * `rdbchecksum no` and `rdbcompression no` files, a corrupted file refused at
 * start, DEBUG RELOAD and its options, save points starting a background
 * save, a full disk (temp file symlinked to /dev/full) under SAVE, BGSAVE,
 * DEBUG RELOAD and SHUTDOWN, and INFO persistence's fields while idle,
 * during a BGSAVE and after one.
 * @module
 */

import { runCheckRdb } from "../helpers/check_rdb.ts";
import assert from "node:assert/strict";
import {
  copyFileSync,
  existsSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { Crc64 } from "../../src/persistence/crc64.ts";
import { RespError } from "../../src/protocol/decoder.ts";
import { caughtUp, info, waitFor } from "../helpers/replication.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";

const DEBUG = ["--enable-debug-command", "yes"];
const KINDS = [["redis", startRedis], ["redeno", startRedeno]] as const;
/** A value LZF compresses well: stored raw only with `rdbcompression no`. */
const REPETITIVE = "ab".repeat(200);

/** Runs `body` with a fresh server of each kind, each in its own directory. */
async function onBoth<T>(
  args: string[],
  body: (server: RunningServer, c: RespClient, dir: string) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (const [, start] of KINDS) {
    const dir = Deno.makeTempDirSync();
    const server = await start(["--dir", dir, ...args]);
    const c = await server.connect();
    try {
      results.push(await body(server, c, dir));
    } finally {
      c.close();
      await server.stop();
    }
  }
  return results;
}

/** The server's pid, for the name of its SAVE temp file (temp-<pid>.rdb). */
async function pidOf(c: RespClient): Promise<number> {
  return Number((await info(c, "server")).get("process_id"));
}

/** Keys whose saved form depends on compression: short, numeric, long and repetitive. */
async function fill(c: RespClient): Promise<void> {
  await c.call("SET", "k", "hello");
  await c.call("SET", "n", "12345");
  await c.call("SET", "rep", REPETITIVE);
  await c.call("RPUSH", "list", REPETITIVE, "x");
  await c.call("HSET", "h", "f", REPETITIVE);
}

/** True when `file` holds `text` as plain bytes. */
function holds(file: Uint8Array, text: string): boolean {
  return new TextDecoder("latin1").decode(file).includes(text);
}

/** Starts a server of `kind` on a copy of `file`; the start may fail. */
async function startOn(
  kind: number,
  file: string,
  args: string[] = [],
): Promise<RunningServer | string> {
  const dir = Deno.makeTempDirSync();
  copyFileSync(file, `${dir}/dump.rdb`);
  try {
    return await KINDS[kind][1](["--dir", dir, ...DEBUG, ...args]);
  } catch (error) {
    return (error as Error).message; // the start's output
  }
}

Deno.test("rdbchecksum no and rdbcompression no: files redis-check-rdb accepts and both servers load, as redis-server writes them", async () => {
  const written = await onBoth(
    ["--rdbchecksum", "no", "--rdbcompression", "no", ...DEBUG],
    async (_server, c, dir) => {
      await fill(c);
      assert.equal(await c.call("SAVE"), "OK");
      const raw = readFileSync(`${dir}/dump.rdb`);
      copyFileSync(`${dir}/dump.rdb`, `${dir}/raw.rdb`);
      const digest = await c.call("DEBUG", "DIGEST");
      // rdbcompression acts on the next save; rdbchecksum is immutable.
      const replies = [
        await c.call("CONFIG", "SET", "rdbchecksum", "yes"),
        await c.call("CONFIG", "SET", "rdbcompression", "yes"),
        await c.call("SAVE"),
      ];
      const compressed = readFileSync(`${dir}/dump.rdb`);
      return { raw, compressed, digest, replies, path: `${dir}/raw.rdb` };
    },
  );
  const [redis, redeno] = written;
  assert.deepEqual(redeno.replies, redis.replies);
  assert.match(
    (redeno.replies[0] as RespError).message,
    /can't set immutable config/,
  );
  for (const { raw, compressed } of written) {
    assert.deepEqual([...raw.subarray(-8)], [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.ok(holds(raw, REPETITIVE), "stored raw without compression");
    assert.ok(!holds(compressed, REPETITIVE), "compressed once turned on");
    assert.ok(compressed.length < raw.length - REPETITIVE.length);
  }
  // The files have the same length (only aux values like ctime differ).
  assert.equal(redeno.raw.length, redis.raw.length);
  assert.equal(redeno.compressed.length, redis.compressed.length);
  assert.equal(redeno.digest, redis.digest);
  for (const { path } of written) {
    const { code, report } = await runCheckRdb(path);
    assert.equal(code, 0, report);
    assert.match(report, /RDB looks OK/);
  }
  // Each file loads into both servers (checksum on) with the notice and the digest.
  for (const { path } of written) {
    for (const kind of [0, 1]) {
      const server = await startOn(kind, path);
      assert.ok(typeof server !== "string", server as string);
      try {
        const c = await server.connect();
        assert.equal(await c.call("DEBUG", "DIGEST"), redis.digest);
        c.close();
      } finally {
        await server.stop();
      }
      assert.match(
        server.output(),
        /# RDB file was saved with checksum disabled: no check performed\.\n.*\* Done loading RDB, keys loaded: 5, keys expired: 0\./,
      );
    }
  }
});

Deno.test("a file corrupted after it was saved with a checksum is refused at start by both servers, and loaded by both with rdbchecksum no", async () => {
  const dir = Deno.makeTempDirSync();
  const [path] = await onBoth(DEBUG, async (_server, c, saved) => {
    await fill(c);
    await c.call("SAVE");
    return `${saved}/dump.rdb`;
  });
  const bytes = readFileSync(path);
  const at = new TextDecoder("latin1").decode(bytes).indexOf("hello");
  bytes[at + 4] = "p".charCodeAt(0); // "hellp": still a well-formed file
  Deno.writeFileSync(`${dir}/bad.rdb`, bytes);
  const { code, report } = await runCheckRdb(`${dir}/bad.rdb`);
  assert.equal(code, 1);
  assert.match(report, /RDB CRC error/);
  // Expected is the sum of the bytes read, got the one stored after them,
  // both in plain %llx.
  const crc = new Crc64();
  crc.update(bytes.subarray(0, -8));
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8)
    .getBigUint64(0, true);
  const wrongChecksum = `# Wrong RDB checksum expected: (${
    crc.value().toString(16)
  }) but got (${stored.toString(16)}). Aborting now.`;
  for (const kind of [0, 1]) {
    const refused = await startOn(kind, `${dir}/bad.rdb`);
    if (typeof refused !== "string") await refused.stop();
    assert.equal(typeof refused, "string", `${KINDS[kind][0]} started`);
    assert.ok(
      (refused as string).includes(`${wrongChecksum}\n`),
      `${KINDS[kind][0]}:\n${refused}\nwithout\n${wrongChecksum}`,
    );
    const server = await startOn(kind, `${dir}/bad.rdb`, [
      "--rdbchecksum",
      "no",
    ]);
    assert.ok(typeof server !== "string", server as string);
    try {
      const c = await server.connect();
      assert.equal(await c.call("GET", "k"), "hellp");
      c.close();
    } finally {
      await server.stop();
    }
    assert.doesNotMatch(server.output(), /checksum/);
  }
});

/** DEBUG RELOAD in each form, with what it did to data, expiry and the dirty counter. */
async function reloadScript(c: RespClient): Promise<unknown[]> {
  const replies: unknown[] = [];
  const state = async () => {
    const fields = await info(c, "persistence");
    replies.push(
      await c.call("MGET", "a", "b", "c", "d"),
      Number(await c.call("PTTL", "b")) > 0,
      await c.call("DBSIZE"),
      ...[
        "rdb_changes_since_last_save",
        "rdb_last_load_keys_loaded",
        "rdb_last_load_keys_expired",
      ].map((name) => fields.get(name)),
    );
  };
  const step = async (...argv: string[]) => {
    replies.push(await c.call(...argv));
    await state();
  };
  await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
  await c.call("SET", "a", "1");
  await c.call("SET", "b", "2", "PX", "100000");
  await c.call("SET", "soon", "x", "PX", "100");
  await c.call("SAVE");
  await new Promise((r) => setTimeout(r, 150));
  await c.call("DEL", "soon"); // expired in the file
  await step("DEBUG", "RELOAD", "NOSAVE");
  await c.call("SET", "c", "3");
  await step("DEBUG", "RELOAD");
  await c.call("SET", "b", "5");
  await c.call("SET", "d", "6");
  await step("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE");
  await c.call("SET", "b", "7");
  await step("DEBUG", "RELOAD", "MERGE");
  await step("DEBUG", "RELOAD", "NOSAVE");
  await c.call("DEL", "a", "b", "c", "d");
  await step("DEBUG", "RELOAD", "noflush", "nosave");
  await step("DEBUG", "RELOAD", "FOO");
  await step("DEBUG", "RELOAD", "MERGE", "NOSAVE", "bar");
  return replies;
}

Deno.test("DEBUG RELOAD and its NOSAVE, NOFLUSH and MERGE options act on data, expiry and the dirty counter as in redis-server", async () => {
  const [redis, redeno] = await onBoth(DEBUG, async (server, c) => {
    const replies = await reloadScript(c);
    assert.match(server.output(), /# DB reloaded by DEBUG RELOAD/);
    // NOFLUSH without MERGE meeting a key in memory: Redis logs it and
    // stops (a panic); redeno logs the same line, answers an error and
    // keeps the data as it was.
    await c.write("DEBUG", "RELOAD", "NOFLUSH", "NOSAVE");
    const reply = await c.read().catch(() => "closed");
    const alive = reply === "closed" ? [] : [
      await c.call("DBSIZE"),
      await c.call("GET", "b"),
    ];
    return { replies, reply, alive, log: server.output() };
  });
  assert.deepEqual(redeno.replies, redis.replies);
  for (const { log } of [redis, redeno]) {
    assert.match(log, /# RDB has duplicated key '[abcd]' in DB 0/);
  }
  assert.equal(redis.reply, "closed");
  assert.deepEqual(
    redeno.reply,
    new RespError("ERR Error trying to load the RDB dump, check server logs."),
  );
  assert.deepEqual(redeno.alive, [4, "7"]);
});

/** Points `path` at /dev/full, so writing it fails with ENOSPC as on a full disk. */
function fullDisk(path: string): void {
  rmSync(path, { force: true });
  symlinkSync("/dev/full", path);
}

/** Waits until no background save runs; returns INFO persistence. */
async function afterBgsave(c: RespClient): Promise<Map<string, string>> {
  for (;;) {
    const fields = await info(c, "persistence");
    if (fields.get("rdb_bgsave_in_progress") === "0") return fields;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const FAILED_FLUSH =
  /# Write error saving DB on disk\(fflush\): No space left on device/g;

Deno.test("a full disk under SAVE, DEBUG RELOAD and SHUTDOWN: the replies, log lines and INFO of redis-server, the old dump and the data kept", async () => {
  const [redis, redeno] = await onBoth(
    ["--save", "3600 1", ...DEBUG],
    async (server, c, dir) => {
      await c.call("SET", "k", "v");
      await c.call("SAVE");
      const dump = readFileSync(`${dir}/dump.rdb`);
      await c.call("SET", "k2", "v2");
      const digest = await c.call("DEBUG", "DIGEST");
      // Redis's SAVE writes temp-<pid>.rdb in dir.
      const temp = `${dir}/temp-${await pidOf(c)}.rdb`;
      const replies: unknown[] = [];
      for (const argv of [["SAVE"], ["DEBUG", "RELOAD"], ["SHUTDOWN"]]) {
        fullDisk(temp);
        replies.push(await c.call(...argv));
        const fields = await info(c, "persistence");
        replies.push(
          ...[
            "rdb_changes_since_last_save",
            "rdb_last_bgsave_status",
            "rdb_saves",
          ].map((name) => fields.get(name)),
          existsSync(temp),
        );
      }
      assert.deepEqual(readFileSync(`${dir}/dump.rdb`), dump);
      assert.equal(await c.call("DEBUG", "DIGEST"), digest);
      // A file bigger than the stdio buffer fails while it is written.
      await c.call("DEBUG", "POPULATE", "1000");
      fullDisk(temp);
      replies.push(await c.call("SAVE"), await c.call("PING"));
      assert.deepEqual(readFileSync(`${dir}/dump.rdb`), dump);
      assert.equal(await c.call("DBSIZE"), 1002);
      const log = server.output();
      assert.equal(log.match(FAILED_FLUSH)?.length, 3, log);
      assert.match(
        log,
        /# Write error saving DB on disk\(rdbSaveRio\): No space left on device/,
      );
      assert.match(
        log,
        /# Error trying to save the DB, can't exit\.\n.*# Errors trying to shut down the server\. Check the logs for more information\./,
      );
      return replies;
    },
  );
  assert.deepEqual(redeno, redis);
  // Only the SAVE command counts in rdb_saves.
  assert.deepEqual(redeno.slice(0, 5), [
    new RespError("ERR"),
    "1",
    "ok",
    "2",
    false,
  ]);
  assert.deepEqual(
    redeno[10],
    new RespError("ERR Errors trying to SHUTDOWN. Check logs."),
  );
});

Deno.test("a full disk under redeno's BGSAVE: Redis's log lines, status err and MISCONF for writes until a save succeeds", async () => {
  const dir = Deno.makeTempDirSync();
  const server = await startRedeno([
    "--dir",
    dir,
    "--save",
    "3600 1",
    ...DEBUG,
  ]);
  try {
    const c = await server.connect();
    await c.call("SET", "k", "v");
    await c.call("SAVE");
    const dump = readFileSync(`${dir}/dump.rdb`);
    const digest = await c.call("DEBUG", "DIGEST");
    // redeno's BGSAVE writes temp-bg-<pid>.rdb (Redis's child, temp-<child pid>.rdb).
    const temp = `${dir}/temp-bg-${await pidOf(c)}.rdb`;
    fullDisk(temp);
    assert.equal(await c.call("BGSAVE"), "Background saving started");
    const fields = await afterBgsave(c);
    assert.equal(fields.get("rdb_last_bgsave_status"), "err");
    assert.equal(fields.get("rdb_saves"), "2");
    assert.ok(!existsSync(temp));
    assert.deepEqual(readFileSync(`${dir}/dump.rdb`), dump);
    assert.match(
      String((await c.call("SET", "k", "w") as RespError).message),
      /^MISCONF Redis is configured to save RDB snapshots/,
    );
    assert.equal(await c.call("GET", "k"), "v");
    assert.equal(await c.call("DEBUG", "DIGEST"), digest);
    assert.match(
      server.output(),
      /\* Background saving started by pid \d+\n.*# Write error saving DB on disk\(fflush\): No space left on device\n.*# Background saving error\n/,
    );
    assert.equal(await c.call("BGSAVE"), "Background saving started");
    const after = await afterBgsave(c);
    assert.equal(after.get("rdb_last_bgsave_status"), "ok");
    assert.equal(await c.call("SET", "k", "w"), "OK");
    c.close();
  } finally {
    await server.stop();
  }
});

Deno.test("INFO persistence has redis-server's fields in its order while idle, during a BGSAVE and after it, with values that agree", async () => {
  const [redis, redeno] = await onBoth(DEBUG, async (_server, c) => {
    const idle = await info(c, "persistence");
    await c.call("DEBUG", "POPULATE", "1000");
    // Half a millisecond per key: the save runs about half a second.
    await c.call("CONFIG", "SET", "rdb-key-save-delay", "500");
    assert.equal(await c.call("BGSAVE"), "Background saving started");
    const during = await info(c, "persistence");
    await c.call("SET", "written", "meanwhile");
    const after = await afterBgsave(c);
    return { idle, during, after };
  });
  for (const state of ["idle", "during", "after"] as const) {
    assert.deepEqual(
      [...redeno[state].keys()],
      [...redis[state].keys()],
      state,
    );
  }
  const same = [
    "loading",
    "async_loading",
    "rdb_bgsave_in_progress",
    "rdb_last_bgsave_status",
    "current_save_keys_total",
    "rdb_saves",
    "rdb_last_load_keys_expired",
    "rdb_last_load_keys_loaded",
    "aof_enabled",
    "module_fork_in_progress",
  ];
  for (const state of ["idle", "during", "after"] as const) {
    for (const name of same) {
      assert.equal(
        redeno[state].get(name),
        redis[state].get(name),
        `${state} ${name}`,
      );
    }
  }
  assert.equal(redeno.during.get("rdb_bgsave_in_progress"), "1");
  assert.equal(redeno.during.get("current_save_keys_total"), "1000");
  const processed = Number(
    redeno.during.get("current_save_keys_processed"),
  );
  assert.ok(processed >= 0 && processed < 1000);
  assert.equal(
    redeno.during.get("current_fork_perc"),
    (processed / 10).toFixed(2),
  );
  for (const fields of [redeno.idle, redeno.after]) {
    assert.equal(fields.get("current_save_keys_total"), "0");
    assert.equal(fields.get("current_fork_perc"), "0.00");
  }
  // Whole seconds between the start and the end, as Redis counts them.
  assert.match(
    redeno.during.get("rdb_current_bgsave_time_sec") ?? "",
    /^[01]$/,
  );
  assert.match(redeno.after.get("rdb_last_bgsave_time_sec") ?? "", /^[01]$/);
  assert.equal(redeno.after.get("rdb_current_bgsave_time_sec"), "-1");
  // The write made during the save is the only change since it.
  for (const { after } of [redis, redeno]) {
    assert.equal(after.get("rdb_changes_since_last_save"), "1");
  }
});

/** LASTSAVE until it differs from `before` (at most `ms`). */
async function lastsaveAfter(
  c: RespClient,
  before: unknown,
  ms: number,
): Promise<unknown> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = await c.call("LASTSAVE");
    if (now !== before || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("a save point set with CONFIG SET starts a background save after one write, with redis-server's log lines", async () => {
  const servers = await Promise.all(
    KINDS.map(([, start]) => start(["--dir", Deno.makeTempDirSync()])),
  );
  try {
    const results = await Promise.all(servers.map(async (server) => {
      const c = await server.connect();
      const before = await c.call("LASTSAVE");
      assert.equal(await c.call("CONFIG", "SET", "save", "1 1"), "OK");
      const wrote = Math.floor(Date.now() / 1000); // the save starts later
      await c.call("SET", "k", "v");
      const after = Number(await lastsaveAfter(c, before, 4000));
      await afterBgsave(c);
      const fields = await info(c, "persistence");
      c.close();
      assert.ok(after >= wrote, `${server.output()}`);
      return [
        fields.get("rdb_changes_since_last_save"),
        fields.get("rdb_last_bgsave_status"),
        fields.get("rdb_saves"),
      ];
    }));
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[1], ["0", "ok", "1"]);
    for (const server of servers) {
      assert.match(
        server.output(),
        /\* 1 changes in 1 seconds\. Saving\.\.\.\n.*\* Background saving started by pid \d+\n[^]*\* DB saved on disk\n[^]*\* Background saving terminated with success/,
      );
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
});

Deno.test("after a failed background save a due save point waits CONFIG_BGSAVE_RETRY_DELAY, as in redis-server", async () => {
  const servers = await Promise.all(
    KINDS.map(([, start]) =>
      start([
        "--dir",
        Deno.makeTempDirSync(),
        "--enable-protected-configs",
        "yes",
      ])
    ),
  );
  try {
    await Promise.all(servers.map(async (server) => {
      const c = await server.connect();
      const gone = Deno.makeTempDirSync();
      await c.call("CONFIG", "SET", "dir", gone);
      Deno.removeSync(gone);
      assert.equal(await c.call("BGSAVE"), "Background saving started");
      const fields = await afterBgsave(c);
      assert.equal(fields.get("rdb_last_bgsave_status"), "err");
      // Due at once (zero changes, a second since the start) but for the failure.
      await c.call("CONFIG", "SET", "save", "1 0");
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await info(c, "persistence")).get("rdb_saves"), "1");
      await c.call("CONFIG", "SET", "save", ""); // no save at the stop either
      c.close();
      assert.doesNotMatch(server.output(), /Saving\.\.\./);
    }));
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
});

Deno.test("FLUSHALL counts the keys it removed, saves at once with save points and stops a running BGSAVE, as in redis-server", async () => {
  const changes = async (c: RespClient) =>
    (await info(c, "persistence")).get("rdb_changes_since_last_save");
  const [redis, redeno] = await onBoth(
    [...DEBUG, "--save", ""],
    async (server, c, dir) => {
      const seen: unknown[] = [];
      await c.call("FLUSHALL");
      seen.push(await changes(c));
      await c.call("SET", "a", "1");
      await c.call("SET", "b", "1");
      await c.call("FLUSHALL");
      seen.push(await changes(c));
      // Half a second of BGSAVE, stopped by FLUSHALL with save points set.
      await c.call("DEBUG", "POPULATE", "1000");
      await c.call("CONFIG", "SET", "rdb-key-save-delay", "500");
      await c.call("CONFIG", "SET", "save", "3600 1");
      seen.push(await c.call("BGSAVE"));
      seen.push(await c.call("FLUSHALL"));
      await c.call("CONFIG", "SET", "rdb-key-save-delay", "0");
      let fields = await info(c, "persistence");
      for (
        let i = 0;
        i < 50 && fields.get("rdb_bgsave_in_progress") !== "0";
        i++
      ) {
        await new Promise((r) => setTimeout(r, 20));
        fields = await info(c, "persistence");
      }
      for (
        const name of [
          "rdb_changes_since_last_save",
          "rdb_bgsave_in_progress",
          "rdb_last_bgsave_status",
        ]
      ) seen.push(fields.get(name));
      // The dump holds the empty dataset, not the one the BGSAVE was writing.
      await new Promise((r) => setTimeout(r, 200));
      seen.push(await c.call("DEBUG", "RELOAD", "NOSAVE"));
      seen.push(await c.call("DBSIZE"));
      assert.ok(existsSync(`${dir}/dump.rdb`));
      seen.push(
        server.output().includes("Background saving terminated by signal 10"),
      );
      return seen;
    },
  );
  assert.deepEqual(redis, [
    "0",
    "4",
    "Background saving started",
    "OK",
    "0",
    "0",
    "ok",
    "OK",
    0,
    true,
  ]);
  assert.deepEqual(redeno, redis);
});

/** Keys of the delayed snapshots below: at 500 µs a key, about half a second. */
const DELAYED_KEYS = 1000;
const KEY_DELAY_US = 500;
/** Below what DELAYED_KEYS keys at KEY_DELAY_US take, well above a snapshot without the delay. */
const DELAYED_MS = 400;

/**
 * Polls INFO `section` of `watched` until field `name` is `value`, asserts
 * that this came DELAYED_MS or more after `started` (Date.now()), then turns
 * the delay off on `c`.
 */
async function endsDelayed(
  watched: RespClient,
  section: string,
  [name, value]: [string, string],
  started: number,
  c: RespClient,
): Promise<void> {
  await waitFor(
    `${name}:${value}`,
    async () => (await info(watched, section)).get(name) === value,
  );
  const took = Date.now() - started;
  assert.ok(took >= DELAYED_MS, `${took} ms`);
  await c.call("CONFIG", "SET", "rdb-key-save-delay", "0");
}

for (const preamble of ["yes", "no"]) {
  Deno.test(`rdb-key-save-delay keeps a BGREWRITEAOF (aof-use-rdb-preamble ${preamble}) running while clients are served, as in redis-server`, async () => {
    const [redis, redeno] = await onBoth(
      [...DEBUG, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble],
      async (_server, c) => {
        await c.call("DEBUG", "POPULATE", String(DELAYED_KEYS));
        await c.call("CONFIG", "SET", "rdb-key-save-delay", KEY_DELAY_US);
        const started = Date.now();
        const seen: unknown[] = [await c.call("BGREWRITEAOF")];
        seen.push(
          (await info(c, "persistence")).get("aof_rewrite_in_progress"),
        );
        // Answered while the rewrite still runs.
        seen.push(await c.call("PING"));
        await c.call("SET", "written-during", "1");
        seen.push(
          (await info(c, "persistence")).get("aof_rewrite_in_progress"),
        );
        await endsDelayed(
          c,
          "persistence",
          ["aof_rewrite_in_progress", "0"],
          started,
          c,
        );
        const fields = await info(c, "persistence");
        seen.push(fields.get("aof_last_bgrewrite_status"));
        // The rewritten base and the incr file written meanwhile load back.
        seen.push(await c.call("DEBUG", "LOADAOF"));
        seen.push(
          await c.call("DBSIZE"),
          await c.call("GET", "written-during"),
        );
        return seen;
      },
    );
    assert.deepEqual(redis, [
      "Background append only file rewriting started",
      "1",
      "PONG",
      "1",
      "ok",
      "OK",
      DELAYED_KEYS + 1,
      "1",
    ]);
    assert.deepEqual(redeno, redis);
  });
}

for (const diskless of ["yes", "no"]) {
  Deno.test(`rdb-key-save-delay keeps a full sync (repl-diskless-sync ${diskless}) running while clients are served, as in redis-server`, async () => {
    const [redis, redeno] = await onBoth(
      [
        ...DEBUG,
        "--repl-diskless-sync",
        diskless,
        "--repl-diskless-sync-delay",
        "0",
      ],
      async (server, c) => {
        await c.call("DEBUG", "POPULATE", String(DELAYED_KEYS));
        await c.call("CONFIG", "SET", "rdb-key-save-delay", KEY_DELAY_US);
        const replica = await startRedis([
          "--replicaof",
          "127.0.0.1",
          String(server.port),
        ]);
        const r = await replica.connect();
        try {
          const state = async () =>
            /state=(\w+)/.exec(
              (await info(c, "replication")).get("slave0") ?? "",
            )?.[1];
          await waitFor(
            "the sync to start",
            async () => await state() === "wait_bgsave",
          );
          const started = Date.now();
          const seen: unknown[] = [
            (await info(c, "persistence")).get("rdb_bgsave_in_progress"),
            await c.call("PING"),
            await c.call("SET", "written-during", "1"),
            // Still making the RDB after the PING was answered.
            await state(),
          ];
          await endsDelayed(
            r,
            "replication",
            ["master_link_status", "up"],
            started,
            c,
          );
          await caughtUp(c, r);
          seen.push(
            await r.call("DBSIZE"),
            await r.call("GET", "written-during"),
          );
          return seen;
        } finally {
          r.close();
          await replica.stop();
        }
      },
    );
    assert.deepEqual(redis, [
      "1",
      "PONG",
      "OK",
      "wait_bgsave",
      DELAYED_KEYS + 1,
      "1",
    ]);
    assert.deepEqual(redeno, redis);
  });
}
