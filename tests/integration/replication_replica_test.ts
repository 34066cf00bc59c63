/**
 * redeno as a replica of the real redis-server 7.0: full sync (disk-based
 * and diskless, with writes arriving while it runs), the command stream
 * applied with the offset the primary counts, REPLICAOF and SLAVEOF at run
 * time, expired keys kept for the primary's DEL, a partial resync after the
 * link is cut, masterauth, and the replica-side INFO and errors compared
 * with a redis-server replica in the same state.
 * @module
 */

import assert from "node:assert/strict";
import { RespError } from "../../src/protocol/decoder.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import { freePort } from "../helpers/ports.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";
import {
  caughtUp,
  digest,
  fill,
  info,
  waitFor,
  writeStream,
} from "../helpers/replication.ts";

const DEBUG = ["--enable-debug-command", "yes"];

async function withServers(
  primaryArgs: string[],
  replicaArgs: (primaryPort: number) => string[],
  body: (
    primary: RespClient,
    replica: RespClient,
    servers: { primary: RunningServer; replica: RunningServer },
  ) => Promise<void>,
): Promise<void> {
  const primary = await startRedis([...DEBUG, ...primaryArgs]);
  let replica: RunningServer | undefined;
  const clients: RespClient[] = [];
  try {
    replica = await startRedeno([...DEBUG, ...replicaArgs(primary.port)]);
    const p = await primary.connect();
    const r = await replica.connect();
    clients.push(p, r);
    await body(p, r, { primary, replica });
  } catch (error) {
    if (replica) console.error(replica.output());
    throw error;
  } finally {
    for (const c of clients) c.close();
    await replica?.stop();
    await primary.stop();
  }
}

Deno.test("a redeno replica of redis-server: diskless full sync with writes during it, then the stream, equal digests", async () => {
  await withServers(
    ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "1"],
    (port) => ["--replicaof", "127.0.0.1", String(port)],
    async (p, r) => {
      await fill(p, "");
      await p.call("DEBUG", "POPULATE", "20000", "pop", "50");
      // The primary waits a second before the transfer: these arrive after it.
      for (let i = 0; i < 200; i++) await p.call("SET", `during${i}`, i);
      await writeStream(p);
      await caughtUp(p, r);
      assert.equal(await digest(r), await digest(p));
      // WAIT on the primary asks the replica for its offset with GETACK.
      assert.equal(await p.call("WAIT", 1, 5000), 1);
      // CLIENT PAUSE WRITE on the replica holds the stream back, in order.
      assert.equal(await r.call("CLIENT", "PAUSE", 300, "WRITE"), "OK");
      await p.call("SET", "paused", "1");
      await p.call("INCR", "paused");
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await r.call("GET", "paused"), null);
      await caughtUp(p, r);
      assert.equal(await r.call("GET", "paused"), "2");
      const replication = await info(r, "replication");
      assert.equal(replication.get("role"), "slave");
      assert.equal(replication.get("master_link_status"), "up");
      assert.equal(
        replication.get("master_replid"),
        (await info(p, "replication")).get("master_replid"),
      );
      assert.equal(await r.call("GET", "during199"), "199");
      assert.equal(await r.call("SELECT", 4), "OK");
      assert.equal(await r.call("GET", "in4"), "four");
      const list = String(await r.call("CLIENT", "LIST"));
      assert.match(list, /flags=M .*user=\(superuser\)/);
    },
  );
});

Deno.test("disk-based sync, REPLICAOF and SLAVEOF at run time, replies as redis-server's", async () => {
  await withServers(
    ["--repl-diskless-sync", "no"],
    () => [],
    async (p, r, { replica }) => {
      await fill(p, "");
      assert.equal(await r.call("SET", "mine", "1"), "OK");
      const port = (await info(p, "server")).get("tcp_port")!;
      const bad = await r.call("REPLICAOF", "127.0.0.1", "notaport");
      assert.ok(bad instanceof RespError);
      assert.equal(bad.message, "ERR Invalid master port");
      assert.equal(await r.call("REPLICAOF", "127.0.0.1", port), "OK");
      assert.equal(
        await r.call("REPLICAOF", "127.0.0.1", port),
        "OK Already connected to specified master",
      );
      assert.deepEqual(await r.call("CONFIG", "GET", "replicaof"), [
        "replicaof",
        `127.0.0.1 ${port}`,
      ]);
      await caughtUp(p, r);
      assert.equal(await r.call("EXISTS", "mine"), 0, "old data flushed");
      assert.equal(await digest(r), await digest(p));
      const refused = await r.call("SET", "x", "1");
      assert.ok(refused instanceof RespError);
      assert.equal(
        refused.message,
        "READONLY You can't write against a read only replica.",
      );
      await writeStream(p);
      await caughtUp(p, r);
      assert.equal(await digest(r), await digest(p));
      const before = await info(r, "replication");
      assert.equal(await r.call("SLAVEOF", "NO", "ONE"), "OK");
      const after = await info(r, "replication");
      assert.equal(after.get("role"), "master");
      assert.equal(after.get("master_replid2"), before.get("master_replid"));
      assert.equal(
        after.get("second_repl_offset"),
        String(Number(before.get("master_repl_offset")) + 1),
      );
      assert.notEqual(after.get("master_replid"), before.get("master_replid"));
      assert.equal(await r.call("SET", "x", "1"), "OK");
      assert.deepEqual(await r.call("CONFIG", "GET", "replicaof"), [
        "replicaof",
        "",
      ]);
      const log = replica.output();
      assert.match(
        log,
        /MASTER <-> REPLICA sync: receiving \d+ bytes from master to disk/,
      );
      assert.match(log, /MASTER MODE enabled \(user request from 'id=/);
    },
  );
});

Deno.test("expired keys stay on the replica until the primary's DEL, hidden from its clients, as on a redis-server replica", async () => {
  const primary = await startRedis(DEBUG);
  const p = await primary.connect();
  const replicaArgs = [
    ...DEBUG,
    "--replicaof",
    "127.0.0.1",
    String(primary.port),
  ];
  const redeno = await startRedeno(replicaArgs);
  const redis = await startRedis(replicaArgs);
  const r = await redeno.connect();
  const oracle = await redis.connect();
  try {
    await p.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    await p.call("SET", "live", "1");
    await p.call("SET", "short", "v", "PX", "300");
    await caughtUp(p, r);
    await caughtUp(p, oracle);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const c of [r, oracle]) {
      assert.equal(await c.call("GET", "short"), null);
      assert.equal(await c.call("EXISTS", "short"), 0);
      assert.equal(await c.call("DBSIZE"), 2, "kept for the primary's DEL");
      assert.equal(await c.call("TTL", "short"), -2);
    }
    // The primary's own lookup expires it and sends DEL.
    assert.equal(await p.call("GET", "short"), null);
    await caughtUp(p, r);
    await caughtUp(p, oracle);
    assert.equal(await r.call("DBSIZE"), 1);
    assert.equal(await oracle.call("DBSIZE"), 1);
    assert.equal(await digest(r), await digest(p));
  } finally {
    for (const c of [p, r, oracle]) c.close();
    await redeno.stop();
    await redis.stop();
    await primary.stop();
  }
});

Deno.test("after the link is cut the replica continues with a partial resync", async () => {
  await withServers(
    ["--repl-diskless-sync-delay", "0"],
    (port) => ["--replicaof", "127.0.0.1", String(port)],
    async (p, r, { replica }) => {
      await fill(p, "");
      await caughtUp(p, r);
      assert.equal(await p.call("CLIENT", "KILL", "TYPE", "replica"), 1);
      for (let i = 0; i < 100; i++) await p.call("RPUSH", "after-cut", i);
      await caughtUp(p, r);
      const stats = await info(p, "stats");
      assert.equal(stats.get("sync_partial_ok"), "1");
      assert.equal(stats.get("sync_full"), "1");
      assert.equal(await digest(r), await digest(p));
      assert.match(
        replica.output(),
        /MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization/,
      );
    },
  );
});

Deno.test("masterauth and masteruser authenticate to a primary that needs them", async () => {
  await withServers(
    ["--requirepass", "s3cret", "--repl-diskless-sync-delay", "0"],
    (port) => [
      "--replicaof",
      "127.0.0.1",
      String(port),
      "--masteruser",
      "default",
      "--masterauth",
      "s3cret",
    ],
    async (p, r) => {
      assert.equal(await p.call("AUTH", "s3cret"), "OK");
      await fill(p, "");
      await caughtUp(p, r);
      assert.equal(await digest(r), await digest(p));
    },
  );
});

Deno.test("a replica whose primary is down answers INFO, READONLY and MASTERDOWN as a redis-server replica does", async () => {
  const deadPort = String(freePort());
  const args = [
    ...DEBUG,
    "--replicaof",
    "127.0.0.1",
    deadPort,
    "--replica-serve-stale-data",
    "no",
  ];
  const redeno = await startRedeno(args);
  const redis = await startRedis(args);
  const r = await redeno.connect();
  const oracle = await redis.connect();
  try {
    const commands = [
      ["GET", "k"],
      ["SET", "k", "v"],
      ["PING"],
      ["INFO", "keyspace"],
      ["CONFIG", "GET", "replica-read-only"],
      ["MULTI"],
      ["SET", "k", "v"],
      ["EXEC"],
      ["MULTI"],
      ["GET", "k"],
      ["EXEC"],
      ["REPLICAOF", "127.0.0.1", "70000"],
      ["REPLICAOF", "127.0.0.1", deadPort],
    ];
    for (const argv of commands) {
      assert.deepEqual(
        await r.call(...argv),
        await oracle.call(...argv),
        argv.join(" "),
      );
    }
    const mine = await info(r, "replication");
    const theirs = await info(oracle, "replication");
    const ids = new Set(["master_replid"]);
    assert.deepEqual([...mine.keys()], [...theirs.keys()]);
    for (const [name, value] of theirs) {
      if (!ids.has(name)) assert.equal(mine.get(name), value, name);
    }
    assert.deepEqual(
      await r.call("CONFIG", "SET", "replicaof", "no one"),
      await oracle.call("CONFIG", "SET", "replicaof", "no one"),
    );
  } finally {
    r.close();
    oracle.close();
    await redeno.stop();
    await redis.stop();
  }
});

Deno.test("REPLICAOF ends blocked pops with Redis's UNBLOCKED error and closes those clients, as redis-server does", async () => {
  const deadPort = String(freePort());
  for (const start of [startRedeno, startRedis]) {
    const server = await start(DEBUG);
    const blocked = await server.connect();
    const admin = await server.connect();
    try {
      await blocked.write("BLPOP", "queue", "0");
      await waitFor(
        "the pop to block",
        async () =>
          (await info(admin, "clients")).get("blocked_clients") === "1",
      );
      assert.equal(await admin.call("REPLICAOF", "127.0.0.1", deadPort), "OK");
      const reply = await blocked.read();
      assert.ok(reply instanceof RespError);
      assert.equal(
        reply.message,
        "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
      );
      await assert.rejects(() => blocked.call("PING"));
      assert.equal(await admin.call("REPLICAOF", "NO", "ONE"), "OK");
    } finally {
      blocked.close();
      admin.close();
      await server.stop();
    }
  }
});
