/**
 * AOF persistence end to end, with redis-server 7.0 as the other side:
 * redeno's appendonlydir passes redis-check-aof and loads into redis-server
 * with an equal DEBUG DIGEST (base as RDB and as commands), redis-server's
 * loads into redeno, truncated tails are handled as aof-load-truncated says
 * (compared with redis-server), CONFIG SET appendonly yes at runtime,
 * BGREWRITEAOF under writes, acknowledged writes surviving SIGKILL with
 * appendfsync always and everysec, and AOF write errors answered with MISCONF.
 * @module
 */

import assert from "node:assert/strict";
import { freePort } from "../helpers/ports.ts";
import {
  appendFileSync,
  cpSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { caughtUp, digest, info, waitFor } from "../helpers/replication.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";

const DEBUG = ["--enable-debug-command", "yes"];
const AOF = ["--appendonly", "yes", "--save", ""];

/** The text of an error reply. */
function errorText(reply: unknown): string {
  return typeof reply === "object" && reply !== null && "message" in reply
    ? String(reply.message)
    : String(reply);
}

/** Deterministic writes of every type, some with TTLs, in two databases. */
async function fill(c: RespClient, prefix = ""): Promise<void> {
  await c.call("SET", `${prefix}s`, "hello");
  await c.call("SET", `${prefix}n`, "12345");
  await c.call("APPEND", `${prefix}s`, " world");
  await c.call("SET", `${prefix}ttl`, "v", "PXAT", Date.now() + 100000000);
  await c.call(
    "RPUSH",
    `${prefix}list`,
    ...Array.from({ length: 150 }, (_, i) => `e${i}`),
  );
  await c.call("SADD", `${prefix}iset`, "1", "2", "99999999999");
  await c.call(
    "SADD",
    `${prefix}set`,
    ...Array.from({ length: 70 }, (_, i) => `m${i}`),
  );
  await c.call(
    "ZADD",
    `${prefix}z`,
    "1.5",
    "a",
    "-inf",
    "b",
    "3",
    "c",
    "0.1",
    "d",
  );
  await c.call("HSET", `${prefix}h`, "f1", "v1", "f2", "2");
  await c.call(
    "HSET",
    `${prefix}bigh`,
    ...Array.from({ length: 140 }, (_, i) => `x${i}`),
  );
  await c.call("PEXPIREAT", `${prefix}h`, Date.now() + 50000000);
  for (let i = 1; i <= 5; i++) {
    await c.call("XADD", `${prefix}stream`, `${i}-1`, "field", `v${i}`);
  }
  await c.call("XDEL", `${prefix}stream`, "5-1");
  await c.call("XGROUP", "CREATE", `${prefix}stream`, "grp", "0");
  await c.call(
    "XGROUP",
    "CREATE",
    `${prefix}stream`,
    "late",
    "3-1",
    "ENTRIESREAD",
    2,
  );
  await c.call("XGROUP", "CREATECONSUMER", `${prefix}stream`, "grp", "idle");
  await c.call(
    "XCLAIM",
    `${prefix}stream`,
    "grp",
    "alice",
    0,
    "2-1",
    "TIME",
    1000,
    "RETRYCOUNT",
    3,
    "FORCE",
    "JUSTID",
  );
  await c.call("XGROUP", "CREATE", `${prefix}empty`, "g", "$", "MKSTREAM");
  await c.call("SELECT", 3);
  await c.call("SET", `${prefix}other`, "db3");
  await c.call("INCRBY", `${prefix}counter`, 7);
  await c.call("SELECT", 0);
}

/** What redis-check-aof says of a manifest. */
async function checkAof(manifest: string): Promise<void> {
  const out = await new Deno.Command("redis-check-aof", { args: [manifest] })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, text);
  assert.match(text, /All AOF files and manifest are valid/);
}

/** The pending summary and groups of the test stream, to compare beyond the digest. */
async function streamState(c: RespClient): Promise<unknown[]> {
  if (await c.call("EXISTS", "stream") === 0) return [];
  return [
    await c.call("XPENDING", "stream", "grp"),
    await c.call("XINFO", "GROUPS", "stream"),
    withoutIdle(await c.call("XPENDING", "stream", "grp", "-", "+", 10)),
  ];
}

/** XPENDING's extended reply without the idle times, which move with the clock. */
function withoutIdle(reply: unknown): unknown {
  if (!Array.isArray(reply)) return reply;
  return reply.map(([id, consumer, , count]) => [id, consumer, count]);
}

/** Waits until INFO persistence says no rewrite runs. */
async function rewriteDone(c: RespClient): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const info = String(await c.call("INFO", "persistence"));
    if (
      info.includes("aof_rewrite_in_progress:0") &&
      info.includes("aof_rewrite_scheduled:0")
    ) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("rewrite did not finish");
}

/** Digest and stream state of a server started on `dir` with the AOF on. */
async function loadedState(
  start: (args: string[]) => Promise<RunningServer>,
  dir: string,
): Promise<{ digest: unknown; streams: unknown[]; output: string }> {
  const server = await start(["--dir", dir, ...AOF, ...DEBUG]);
  try {
    const c = await server.connect();
    // redis-server listens while it loads, and DEBUG (flagged `loading`)
    // would digest a half-loaded dataset.
    await waitFor(
      "the load to finish",
      async () => (await info(c, "persistence")).get("loading") === "0",
    );
    const digest = await c.call("DEBUG", "DIGEST");
    const streams = await streamState(c);
    c.close();
    return { digest, streams, output: server.output() };
  } finally {
    await server.stop();
  }
}

for (const preamble of ["yes", "no"]) {
  Deno.test(`redeno's appendonlydir (aof-use-rdb-preamble ${preamble}) passes redis-check-aof and loads into redis-server with the same digest`, async () => {
    const dir = Deno.makeTempDirSync();
    const redeno = await startRedeno([
      "--dir",
      dir,
      ...AOF,
      ...DEBUG,
      "--aof-use-rdb-preamble",
      preamble,
    ]);
    let digest: unknown;
    let streams: unknown[];
    try {
      const c = await redeno.connect();
      await fill(c);
      assert.equal(
        await c.call("BGREWRITEAOF"),
        "Background append only file rewriting started",
      );
      await rewriteDone(c);
      await fill(c, "after:"); // lands in the new incr file
      digest = await c.call("DEBUG", "DIGEST");
      streams = await streamState(c);
      c.close();
    } finally {
      await redeno.stop();
    }
    const files = readdirSync(`${dir}/appendonlydir`).sort();
    assert.deepEqual(files, [
      `appendonly.aof.2.base.${preamble === "yes" ? "rdb" : "aof"}`,
      "appendonly.aof.2.incr.aof",
      "appendonly.aof.manifest",
    ]);
    assert.equal(
      readFileSync(`${dir}/appendonlydir/appendonly.aof.manifest`, "utf8"),
      `file appendonly.aof.2.base.${
        preamble === "yes" ? "rdb" : "aof"
      } seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n`,
    );
    await checkAof(`${dir}/appendonlydir/appendonly.aof.manifest`);
    const copy = Deno.makeTempDirSync();
    cpSync(`${dir}/appendonlydir`, `${copy}/appendonlydir`, {
      recursive: true,
    });
    const redis = await loadedState(startRedis, copy);
    assert.equal(redis.digest, digest);
    assert.deepEqual(redis.streams, streams);
    const again = await loadedState(startRedeno, dir);
    assert.equal(again.digest, digest);
    assert.deepEqual(again.streams, streams);
  });

  Deno.test(`redis-server's appendonlydir (aof-use-rdb-preamble ${preamble}) loads into redeno with the same digest`, async () => {
    const dir = Deno.makeTempDirSync();
    const redis = await startRedis([
      "--dir",
      dir,
      ...AOF,
      ...DEBUG,
      "--aof-use-rdb-preamble",
      preamble,
    ]);
    let digest: unknown;
    let streams: unknown[];
    try {
      const c = await redis.connect();
      await fill(c);
      await c.call("BGREWRITEAOF");
      await rewriteDone(c);
      await fill(c, "after:");
      digest = await c.call("DEBUG", "DIGEST");
      streams = await streamState(c);
      c.close();
    } finally {
      await redis.stop();
    }
    const loaded = await loadedState(startRedeno, dir);
    assert.equal(loaded.digest, digest);
    assert.deepEqual(loaded.streams, streams);
    assert.match(
      loaded.output,
      /DB loaded from base file appendonly\.aof\.2\.base/,
    );
    assert.match(
      loaded.output,
      /DB loaded from incr file appendonly\.aof\.2\.incr\.aof/,
    );
  });
}

/** A dir written by `start` with a few keys and no rewrite: base 1, incr 1. */
async function smallDir(
  start: (args: string[]) => Promise<RunningServer>,
): Promise<string> {
  const dir = Deno.makeTempDirSync();
  const server = await start(["--dir", dir, ...AOF]);
  try {
    const c = await server.connect();
    for (let i = 0; i < 10; i++) await c.call("SET", `k${i}`, `v${i}`);
    c.close();
  } finally {
    await server.stop();
  }
  return dir;
}

/** Exit code and output of a server started on `dir` that may refuse to start. */
async function tryStart(
  cmd: string[],
  dir: string,
  extra: string[],
): Promise<{ code: number; output: string; keys: number }> {
  const port = freePort();
  const child = new Deno.Command(cmd[0], {
    args: [
      ...cmd.slice(1),
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      ...AOF,
      ...extra,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const deadline = Date.now() + 15000;
  let keys = -1;
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => (exited = s));
  while (Date.now() < deadline && !exited) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      const redisCli = await new Deno.Command("redis-cli", {
        args: ["-p", String(port), "DBSIZE"],
      }).output();
      keys = Number(new TextDecoder().decode(redisCli.stdout).trim());
      child.kill("SIGTERM");
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  return { code: keys === -1 ? out.code : 0, output: text, keys };
}

const REDENO = (() => {
  const target = Deno.env.get("REDENO_TARGET") ?? "deno";
  const root = new URL("../../", import.meta.url).pathname;
  if (target === "bun") {
    return [`${root}node_modules/.bin/bun`, `${root}main.ts`];
  }
  if (target === "binary") return [`${root}dist/redeno`];
  return [Deno.execPath(), "run", "--allow-all", `${root}main.ts`];
})();

Deno.test("a truncated incr file is cut at the last whole command with aof-load-truncated yes and refused with no, as redis-server does", async () => {
  for (const writer of [startRedeno, startRedis]) {
    const dir = await smallDir(writer);
    const incr = `${dir}/appendonlydir/appendonly.aof.1.incr.aof`;
    const whole = statSync(incr).size;
    appendFileSync(incr, "*3\r\n$3\r\nSET\r\n$2\r\nkx\r\n$5\r\nval");
    const copies = [Deno.makeTempDirSync(), Deno.makeTempDirSync()];
    const refused = [Deno.makeTempDirSync(), Deno.makeTempDirSync()];
    for (const d of [...copies, ...refused]) {
      cpSync(`${dir}/appendonlydir`, `${d}/appendonlydir`, { recursive: true });
    }
    const ours = await tryStart(REDENO, copies[0], [
      "--aof-load-truncated",
      "yes",
    ]);
    const theirs = await tryStart(["redis-server"], copies[1], [
      "--aof-load-truncated",
      "yes",
    ]);
    assert.equal(ours.keys, 10, ours.output);
    assert.equal(theirs.keys, 10, theirs.output);
    for (const [d, out] of [[copies[0], ours], [copies[1], theirs]] as const) {
      assert.equal(
        statSync(`${d}/appendonlydir/appendonly.aof.1.incr.aof`).size,
        whole,
      );
      assert.match(
        out.output,
        new RegExp(
          `Truncating the AOF appendonly\\.aof\\.1\\.incr\\.aof at offset ${whole}`,
        ),
      );
    }
    const ourRefusal = await tryStart(REDENO, refused[0], [
      "--aof-load-truncated",
      "no",
    ]);
    const theirRefusal = await tryStart(["redis-server"], refused[1], [
      "--aof-load-truncated",
      "no",
    ]);
    assert.equal(ourRefusal.code, 1, ourRefusal.output);
    assert.equal(theirRefusal.code, 1, theirRefusal.output);
    for (const out of [ourRefusal, theirRefusal]) {
      assert.match(
        out.output,
        /Unexpected end of file reading the append only file appendonly\.aof\.1\.incr\.aof/,
      );
    }
  }
});

Deno.test("an old single-file appendonly.aof is moved into appendonlydir as the base and loaded", async () => {
  const dir = Deno.makeTempDirSync();
  writeFileSync(
    `${dir}/appendonly.aof`,
    "*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$5\r\nstyle\r\n",
  );
  const server = await startRedeno(["--dir", dir, ...AOF]);
  try {
    const c = await server.connect();
    assert.equal(await c.call("GET", "old"), "style");
    c.close();
    assert.match(
      server.output(),
      /Successfully migrated an old-style AOF file \(appendonly\.aof\) into the AOF directory \(appendonlydir\)/,
    );
  } finally {
    await server.stop();
  }
  assert.equal(
    readFileSync(`${dir}/appendonlydir/appendonly.aof.manifest`, "utf8"),
    "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
  );
});

Deno.test("CONFIG SET appendonly yes writes a base by a rewrite and the data survives a restart; an unusable dir gives Redis's error", async () => {
  const dir = Deno.makeTempDirSync();
  const server = await startRedeno(["--dir", dir, "--save", ""]);
  try {
    const c = await server.connect();
    await c.call("SET", "before", "1");
    assert.equal(await c.call("CONFIG", "SET", "appendonly", "yes"), "OK");
    await c.call("SET", "during", "2");
    await rewriteDone(c);
    await c.call("SET", "after", "3");
    assert.match(String(await c.call("INFO", "persistence")), /aof_enabled:1/);
    c.close();
  } finally {
    await server.stop();
  }
  const restarted = await startRedeno(["--dir", dir, ...AOF]);
  try {
    const c = await restarted.connect();
    assert.deepEqual(await c.call("MGET", "before", "during", "after"), [
      "1",
      "2",
      "3",
    ]);
    c.close();
  } finally {
    await restarted.stop();
  }
  // appenddirname taken by a file: the incr file cannot be opened.
  const replies: unknown[] = [];
  for (const start of [startRedeno, startRedis]) {
    const d = Deno.makeTempDirSync();
    writeFileSync(`${d}/appendonlydir`, "not a directory");
    const s = await start(["--dir", d, "--save", ""]);
    try {
      const c = await s.connect();
      replies.push(
        errorText(await c.call("CONFIG", "SET", "appendonly", "yes")),
      );
      replies.push(await c.call("CONFIG", "GET", "appendonly"));
      c.close();
    } finally {
      await s.stop();
    }
  }
  assert.equal(
    replies[0],
    "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs.",
  );
  assert.deepEqual(replies.slice(0, 2), replies.slice(2));
});

Deno.test("BGREWRITEAOF while clients write: nothing acknowledged is lost across a restart, and its replies are Redis's", async () => {
  const dir = Deno.makeTempDirSync();
  const server = await startRedeno(["--dir", dir, ...AOF, ...DEBUG]);
  let digest: unknown;
  try {
    const c = await server.connect();
    const w = await server.connect();
    await c.call("DEBUG", "POPULATE", 100000);
    assert.equal(
      await c.call("BGREWRITEAOF"),
      "Background append only file rewriting started",
    );
    assert.equal(
      errorText(await c.call("BGREWRITEAOF")),
      "ERR Background append only file rewriting already in progress",
    );
    assert.equal(
      errorText(await c.call("BGSAVE")),
      "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
    );
    assert.equal(
      await c.call("BGSAVE", "SCHEDULE"),
      "Background saving scheduled",
    );
    // Changes to keys the rewrite has and has not yet written.
    for (let i = 0; i < 2000; i++) {
      await w.write("INCR", `key:${(i * 7919) % 100000}`);
      await w.write("RPUSH", "fresh", i);
    }
    for (let i = 0; i < 4000; i++) await w.read();
    await w.call("DEL", "key:5");
    await rewriteDone(c);
    digest = await c.call("DEBUG", "DIGEST");
    c.close();
    w.close();
  } finally {
    await server.stop();
  }
  const loaded = await loadedState(startRedeno, dir);
  assert.equal(loaded.digest, digest);
  const copy = Deno.makeTempDirSync();
  cpSync(`${dir}/appendonlydir`, `${copy}/appendonlydir`, { recursive: true });
  assert.equal((await loadedState(startRedis, copy)).digest, digest);
});

for (const policy of ["always", "everysec"]) {
  Deno.test(`appendfsync ${policy}: acknowledged writes survive SIGKILL`, async () => {
    const dir = Deno.makeTempDirSync();
    const server = await startRedeno([
      "--dir",
      dir,
      ...AOF,
      "--appendfsync",
      policy,
    ]);
    const acked: [number, number][] = [];
    try {
      const c = await server.connect();
      const started = Date.now();
      let i = 0;
      // Pipelined bursts, every reply recorded with when it arrived.
      while (Date.now() - started < 1500) {
        for (let j = 0; j < 20; j++) await c.write("SET", `k${i + j}`, i + j);
        for (let j = 0; j < 20; j++) {
          await c.read();
          acked.push([i + j, Date.now()]);
        }
        i += 20;
      }
      // More in flight while the process dies.
      for (let j = 0; j < 50; j++) await c.write("SET", `k${i + j}`, i + j);
      server.process.kill("SIGKILL");
      c.close();
    } finally {
      await server.stop();
    }
    const killedAt = Date.now();
    const restarted = await startRedeno(["--dir", dir, ...AOF]);
    try {
      const c = await restarted.connect();
      const missing: number[] = [];
      for (const [n, at] of acked) {
        // everysec may lose about the last second before the crash.
        if (policy === "everysec" && killedAt - at < 2000) continue;
        if (await c.call("GET", `k${n}`) !== String(n)) missing.push(n);
      }
      assert.deepEqual(missing, []);
      assert.ok(acked.length > 100);
      c.close();
    } finally {
      await restarted.stop();
    }
  });
}

Deno.test("a failing AOF write with everysec gives Redis's MISCONF and aof_last_write_status:err", async () => {
  const replies: unknown[] = [];
  for (const writer of [startRedeno, startRedis]) {
    const dir = await smallDir(writer);
    const incr = `${dir}/appendonlydir/appendonly.aof.1.incr.aof`;
    unlinkSync(incr);
    symlinkSync("/dev/full", incr);
    const server = await writer(["--dir", dir, ...AOF]);
    try {
      const c = await server.connect();
      await c.call("SET", "a", "1"); // acknowledged, then the write fails
      await new Promise((r) => setTimeout(r, 100));
      replies.push(errorText(await c.call("SET", "b", "2")));
      replies.push(errorText(await c.call("PING")));
      replies.push(await c.call("GET", "a"));
      const info = String(await c.call("INFO", "persistence"));
      replies.push(/aof_last_write_status:(\w+)/.exec(info)?.[1]);
      c.close();
    } finally {
      await server.stop();
    }
  }
  assert.equal(
    replies[0],
    "MISCONF Errors writing to the AOF file: No space left on device",
  );
  assert.deepEqual(replies.slice(0, 4), replies.slice(4));
});

Deno.test("INFO persistence has Redis's aof_* fields in its order; DEBUG LOADAOF reloads the same data; BGREWRITEAOF during a BGSAVE is scheduled", async () => {
  const fields: string[][] = [];
  for (const start of [startRedeno, startRedis]) {
    const server = await start([...AOF, ...DEBUG]);
    try {
      const c = await server.connect();
      const info = String(await c.call("INFO", "persistence"));
      fields.push(
        info.split("\r\n").map((line) => line.split(":")[0])
          .filter((name) => name.startsWith("aof_")),
      );
      c.close();
    } finally {
      await server.stop();
    }
  }
  assert.deepEqual(fields[0], fields[1]);
  const dir = Deno.makeTempDirSync();
  const server = await startRedeno(["--dir", dir, ...AOF, ...DEBUG]);
  try {
    const c = await server.connect();
    await fill(c);
    const digest = await c.call("DEBUG", "DIGEST");
    assert.equal(await c.call("DEBUG", "LOADAOF"), "OK");
    assert.equal(await c.call("DEBUG", "DIGEST"), digest);
    await c.call("DEBUG", "POPULATE", 200000);
    assert.equal(await c.call("BGSAVE"), "Background saving started");
    assert.equal(
      await c.call("BGREWRITEAOF"),
      "Background append only file rewriting scheduled",
    );
    assert.match(
      String(await c.call("INFO", "persistence")),
      /aof_rewrite_scheduled:1/,
    );
    await rewriteDone(c);
    assert.match(
      String(await c.call("INFO", "persistence")),
      /aof_rewrites:1\r\n/,
    );
    // The loaded commands were not logged again.
    assert.equal(await c.call("DEBUG", "LOADAOF"), "OK");
    assert.equal(await c.call("DBSIZE"), 200000 + 11);
    c.close();
  } finally {
    await server.stop();
  }
});

Deno.test("a replica with appendonly yes rewrites its AOF after the full sync and logs the stream after it", async () => {
  const primary = await startRedis(DEBUG);
  const dir = Deno.makeTempDirSync();
  let expected: unknown;
  try {
    const p = await primary.connect();
    await fill(p);
    const replica = await startRedeno([
      "--dir",
      dir,
      ...AOF,
      ...DEBUG,
      "--replicaof",
      "127.0.0.1",
      String(primary.port),
    ]);
    try {
      const r = await replica.connect();
      await waitFor("the replica to sync", async () => {
        const fields = await info(r, "replication");
        return fields.get("master_link_status") === "up";
      });
      await p.call("RPUSH", "after-sync", "a", "b");
      await p.call("INCRBY", "n", 5);
      await caughtUp(p, r);
      await waitFor("the AOF rewrite after the sync", async () => {
        const fields = await info(r, "persistence");
        return fields.get("aof_rewrite_in_progress") === "0" &&
          fields.get("aof_rewrites") !== "0";
      });
      expected = await digest(p);
      assert.equal(await digest(r), expected);
      // Replayed on a read-only replica, the log's writes still apply.
      assert.equal(await r.call("DEBUG", "LOADAOF"), "OK");
      assert.equal(await digest(r), expected);
      r.close();
    } finally {
      await replica.stop();
    }
    p.close();
  } finally {
    await primary.stop();
  }
  const loaded = await loadedState(startRedeno, dir);
  assert.equal(loaded.digest, expected);
});

Deno.test("commands replayed from the AOF count in no command statistics and reach no replica, as in redis-server", async () => {
  const stats: string[][] = [];
  for (const start of [startRedeno, startRedis]) {
    const dir = Deno.makeTempDirSync();
    const first = await start(["--dir", dir, ...AOF]);
    try {
      const c = await first.connect();
      await c.call("SET", "a", "1");
      await c.call("MULTI");
      await c.call("INCR", "n");
      await c.call("INCR", "n");
      await c.call("EXEC");
      c.close();
    } finally {
      await first.stop();
    }
    const again = await start(["--dir", dir, ...AOF]);
    try {
      const c = await again.connect();
      assert.equal(await c.call("GET", "n"), "2");
      const text = String(await c.call("INFO", "commandstats"));
      // The test helper's own INFO (it checks the server's pid) is left out.
      stats.push(
        (text.match(/^cmdstat_\w+/gm) ?? []).filter((name) =>
          name !== "cmdstat_info"
        ),
      );
      c.close();
    } finally {
      await again.stop();
    }
  }
  assert.deepEqual(stats[0], ["cmdstat_get"]);
  assert.deepEqual(stats[0], stats[1]);

  const primary = await startRedeno([...AOF, ...DEBUG]);
  try {
    const replica = await startRedis([
      ...DEBUG,
      "--replicaof",
      "127.0.0.1",
      String(primary.port),
    ]);
    try {
      const p = await primary.connect();
      const r = await replica.connect();
      await fill(p);
      await p.call("INCR", "counter");
      await caughtUp(p, r);
      const offset = (await info(p, "replication")).get("master_repl_offset");
      assert.equal(await p.call("DEBUG", "LOADAOF"), "OK");
      assert.equal(
        (await info(p, "replication")).get("master_repl_offset"),
        offset,
      );
      await p.call("INCR", "counter");
      await caughtUp(p, r);
      assert.equal(await r.call("GET", "counter"), "2");
      assert.equal(await digest(r), await digest(p));
      p.close();
      r.close();
    } finally {
      await replica.stop();
    }
  } finally {
    await primary.stop();
  }
});
