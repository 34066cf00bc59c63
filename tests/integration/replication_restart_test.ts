/**
 * Replication across restarts, as Redis 7.0: a file saved at SHUTDOWN keeps
 * repl-stream-db, repl-id and repl-offset, a restarted replica continues its
 * primary's stream with a partial resync, and a restarted primary offers its
 * old ID as the secondary one so its replicas continue too. Each case runs
 * with redeno and redis-server on either side and on both.
 * @module
 */

import assert from "node:assert/strict";
import { freePort } from "../helpers/ports.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import {
  redenoCommand,
  type RunningServer,
  spawnServer,
} from "../helpers/servers.ts";
import { caughtUp, digest, info, waitFor } from "../helpers/replication.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

type Kind = "redeno" | "redis";

/** A server on a fixed port and directory, so it can be stopped and started again. */
interface Node {
  kind: Kind;
  port: number;
  dir: string;
  args: string[];
  running?: RunningServer;
  client?: RespClient;
}

function node(kind: Kind, args: string[] = []): Node {
  return { kind, port: freePort(), dir: Deno.makeTempDirSync(), args };
}

async function start(n: Node): Promise<RespClient> {
  const base = [
    "--port",
    String(n.port),
    "--bind",
    "127.0.0.1",
    "--dir",
    n.dir,
    "--save",
    "3600 1",
    "--appendonly",
    "no",
    "--enable-debug-command",
    "yes",
    ...n.args,
  ];
  const cmd = n.kind === "redis"
    ? ["redis-server", ...base]
    : [...redenoCommand(), ...base];
  n.running = await spawnServer(cmd, n.port, { cwd: ROOT });
  n.client = await n.running.connect();
  return n.client;
}

/** SHUTDOWN (which saves: save points are set) and waits for the exit. */
async function shutdown(n: Node, ...flags: string[]): Promise<void> {
  n.client!.call("SHUTDOWN", ...flags).catch(() => {});
  await n.running!.process.status;
  await n.running!.stop();
  n.client!.close();
  n.client = undefined;
}

async function stopAll(...nodes: Node[]): Promise<void> {
  for (const n of nodes) {
    n.client?.close();
    await n.running?.stop();
  }
}

/** The repl-* aux fields redis-check-rdb reads in `dir`'s dump.rdb. */
async function replAux(dir: string): Promise<Map<string, string>> {
  const out = await new Deno.Command("redis-check-rdb", {
    args: [`${dir}/dump.rdb`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /RDB looks OK/, text);
  const fields = new Map<string, string>();
  for (const m of text.matchAll(/AUX FIELD (repl-[a-z-]+) = '([^']*)'/g)) {
    fields.set(m[1], m[2]);
  }
  return fields;
}

async function statsOf(c: RespClient): Promise<Map<string, string>> {
  return await info(c, "stats");
}

/** Writes in several databases, so the stream carries SELECTs. */
async function write(c: RespClient, tag: string): Promise<void> {
  await c.call("SET", `${tag}:a`, "1");
  await c.call("SELECT", 3);
  await c.call("RPUSH", `${tag}:list`, "x", "y");
  await c.call("SELECT", 0);
  await c.call("INCR", `${tag}:n`);
}

async function following(primary: Node, replicaKind: Kind): Promise<Node> {
  const replica = node(replicaKind, [
    "--replicaof",
    "127.0.0.1",
    String(primary.port),
  ]);
  await start(replica);
  return replica;
}

/**
 * The replica restarts: its file records the primary's ID and offset, and its
 * first PSYNC after the restart is accepted as a partial resync.
 */
async function replicaRestarts(primaryKind: Kind, replicaKind: Kind) {
  const primary = node(primaryKind);
  let replica: Node | undefined;
  try {
    const p = await start(primary);
    replica = await following(primary, replicaKind);
    await write(p, "before");
    await caughtUp(p, replica.client!);
    const ids = await info(p, "replication");
    await shutdown(replica);
    const aux = await replAux(replica.dir);
    assert.equal(aux.get("repl-id"), ids.get("master_replid"));
    assert.equal(aux.get("repl-offset"), ids.get("master_repl_offset"));
    assert.equal(aux.get("repl-stream-db"), "0");
    await write(p, "while-down");
    const r = await start(replica);
    await caughtUp(p, r);
    assert.equal(await digest(r), await digest(p));
    const stats = await statsOf(p);
    assert.equal(stats.get("sync_full"), "1");
    assert.equal(stats.get("sync_partial_ok"), "1");
    assert.match(
      replica.running!.output(),
      /using my own master parameters to synthesize a cached master/,
    );
  } catch (error) {
    if (replica?.running) console.error(replica.running.output());
    if (primary.running) console.error(primary.running.output());
    throw error;
  } finally {
    await stopAll(...(replica ? [replica] : []), primary);
  }
}

/**
 * The primary restarts: it keeps its old ID as replid2 up to the saved
 * offset, so its replica continues partially and learns the new ID.
 */
async function primaryRestarts(primaryKind: Kind, replicaKind: Kind) {
  const primary = node(primaryKind);
  let replica: Node | undefined;
  try {
    const p = await start(primary);
    replica = await following(primary, replicaKind);
    await write(p, "before");
    await caughtUp(p, replica.client!);
    const before = await info(p, "replication");
    await shutdown(primary);
    const aux = await replAux(primary.dir);
    assert.equal(aux.get("repl-id"), before.get("master_replid"));
    assert.equal(aux.get("repl-offset"), before.get("master_repl_offset"));
    const p2 = await start(primary);
    const after = await info(p2, "replication");
    assert.equal(after.get("master_replid2"), before.get("master_replid"));
    assert.notEqual(after.get("master_replid"), before.get("master_replid"));
    assert.equal(
      after.get("master_repl_offset"),
      before.get("master_repl_offset"),
    );
    assert.equal(
      after.get("second_repl_offset"),
      String(Number(before.get("master_repl_offset")) + 1),
    );
    assert.equal(after.get("repl_backlog_active"), "1");
    await waitFor("the replica to resync", async () => {
      const s = await statsOf(p2);
      return s.get("sync_partial_ok") === "1" ||
        s.get("sync_full") !== "0";
    });
    const stats = await statsOf(p2);
    assert.equal(stats.get("sync_full"), "0");
    assert.equal(stats.get("sync_partial_ok"), "1");
    await write(p2, "after");
    await caughtUp(p2, replica.client!);
    assert.equal(await digest(replica.client!), await digest(p2));
    assert.equal(
      (await info(replica.client!, "replication")).get("master_replid"),
      after.get("master_replid"),
    );
  } catch (error) {
    if (replica?.running) console.error(replica.running.output());
    if (primary.running) console.error(primary.running.output());
    throw error;
  } finally {
    await stopAll(...(replica ? [replica] : []), primary);
  }
}

Deno.test("a redeno replica of redis-server restarted from its file continues partially", async () => {
  await replicaRestarts("redis", "redeno");
});

Deno.test("a redeno replica of redeno restarted from its file continues partially", async () => {
  await replicaRestarts("redeno", "redeno");
});

Deno.test("a redis-server replica continues partially after its redeno primary restarts", async () => {
  await primaryRestarts("redeno", "redis");
});

Deno.test("a redeno replica continues partially after its redeno primary restarts", async () => {
  await primaryRestarts("redeno", "redeno");
});

Deno.test("repl-* aux fields: none without a backlog, as redis-server", async () => {
  for (const kind of ["redis", "redeno"] as Kind[]) {
    const n = node(kind);
    try {
      const c = await start(n);
      await c.call("SET", "k", "v");
      assert.equal(await c.call("SAVE"), "OK");
      assert.equal((await replAux(n.dir)).size, 0, kind);
    } finally {
      await stopAll(n);
    }
  }
});
