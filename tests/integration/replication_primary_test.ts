/**
 * redeno as a primary: a real redis-server replica and a redeno replica
 * sync from it (dataset of every type, writes while and after syncing,
 * equal DEBUG DIGEST), a partial resync after the link is cut, the raw
 * PSYNC stream, REPLCONF and ROLE replies, and INFO replication.
 * @module
 */

import assert from "node:assert/strict";
import { RespError } from "../../src/protocol/decoder.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import { RawReader } from "../helpers/raw_reader.ts";
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

/** Asserts that `reply` is an error whose text matches `pattern`. */
function assertError(reply: unknown, pattern: RegExp): void {
  assert.ok(reply instanceof RespError, `not an error: ${reply}`);
  assert.match(reply.message, pattern);
}

/** Starts a redeno primary and a replica (`redis` or `redeno`) of it. */
async function withReplica(
  kind: "redis" | "redeno",
  body: (primary: RespClient, replica: RespClient) => Promise<void>,
  primaryArgs: string[] = ["--repl-diskless-sync-delay", "0"],
): Promise<void> {
  const primary = await startRedeno([...DEBUG, ...primaryArgs]);
  let replica: RunningServer | undefined;
  const clients: RespClient[] = [];
  try {
    const p = await primary.connect();
    clients.push(p);
    await fill(p, "");
    await p.call("DEBUG", "POPULATE", "20000", "pop", "50");
    const args = [...DEBUG, "--replicaof", "127.0.0.1", String(primary.port)];
    replica = kind === "redis"
      ? await startRedis(args)
      : await startRedeno(args);
    const r = await replica.connect();
    clients.push(r);
    await body(p, r);
  } catch (error) {
    console.error(primary.output());
    if (replica) console.error(replica.output());
    throw error;
  } finally {
    for (const c of clients) c.close();
    await replica?.stop();
    await primary.stop();
  }
}

/** The replica's state in the primary's INFO replication, "" before it comes. */
async function replicaState(p: RespClient): Promise<string> {
  const line = (await info(p, "replication")).get("slave0") ?? "";
  return /state=(\w+)/.exec(line)?.[1] ?? "";
}

/**
 * Waits until the primary is making or sending the replica's RDB (Redis's
 * wait_bgsave, then send_bulk for a saved one); false if the sync ended first.
 */
async function syncing(p: RespClient): Promise<boolean> {
  for (;;) {
    const state = await replicaState(p);
    if (state === "wait_bgsave" || state === "send_bulk") return true;
    if (state === "online") return false;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

for (const kind of ["redis", "redeno"] as const) {
  for (const diskless of ["yes", "no"]) {
    Deno.test(`a ${kind} replica of redeno, repl-diskless-sync ${diskless}: full sync with writes during it, equal digests`, async () => {
      await withReplica(kind, async (p, r) => {
        await syncing(p);
        for (let i = 0; i < 200; i++) await p.call("SET", `during${i}`, i);
        await p.call("SELECT", 3);
        await p.call("INCR", "during-counter");
        await p.call("SELECT", 0);
        await caughtUp(p, r);
        assert.equal(await digest(r), await digest(p));
        assert.equal(await replicaState(p), "online");
      }, ["--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "1"]);
    });
  }

  Deno.test(`a ${kind} replica of redeno: full sync, writes during and after it, equal digests, partial resync after a cut`, async () => {
    await withReplica(kind, async (p, r) => {
      for (let i = 0; i < 200; i++) await p.call("SET", `during${i}`, i);
      await writeStream(p);
      await caughtUp(p, r);
      assert.equal(await digest(r), await digest(p));
      const fields = await info(p, "replication");
      assert.equal(fields.get("role"), "master");
      assert.equal(fields.get("connected_slaves"), "1");
      assert.match(
        fields.get("slave0")!,
        /^ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/,
      );
      assert.equal(fields.get("repl_backlog_active"), "1");
      const role = await p.call("ROLE") as unknown[];
      assert.equal(role[0], "master");
      assert.equal(role[1], Number(fields.get("master_repl_offset")));

      // Cut the link: the replica continues from the backlog.
      assert.equal(await r.call("CLIENT", "KILL", "TYPE", "master"), 1);
      await p.call("SET", "after-cut", "yes");
      await p.call("SELECT", 5);
      await p.call("RPUSH", "l5", "a", "b");
      await p.call("SELECT", 0);
      await caughtUp(p, r);
      assert.equal(await digest(r), await digest(p));
      const stats = await info(p, "stats");
      assert.equal(stats.get("sync_full"), "1");
      assert.equal(stats.get("sync_partial_ok"), "1");
      assert.equal(await r.call("GET", "after-cut"), "yes");

      // WAIT counts replicas that acknowledged this client's last write.
      await p.call("SET", "acked", "1");
      assert.equal(await p.call("WAIT", 1, 5000), 1);
      const started = Date.now();
      assert.equal(await p.call("WAIT", 2, 300), 1);
      assert.ok(Date.now() - started >= 290);
      await p.call("MULTI");
      await p.call("SET", "in-multi", "1");
      await p.call("WAIT", 2, 0);
      // Inside EXEC it answers at once, never blocking (0 would wait forever).
      const [ok, count] = await p.call("EXEC") as [string, number];
      assert.equal(ok, "OK");
      assert.ok(count === 0 || count === 1);
      assertError(
        await r.call("WAIT", 0, 0),
        /^ERR WAIT cannot be used with replica instances\. /,
      );

      // min-replicas-to-write refuses writes without enough good replicas.
      await p.call("CONFIG", "SET", "min-replicas-to-write", "2");
      assertError(
        await p.call("SET", "refused", "1"),
        /^NOREPLICAS Not enough good replicas to write\.$/,
      );
      await p.call("CONFIG", "SET", "min-replicas-to-write", "1");
      assert.equal(await p.call("SET", "accepted", "1"), "OK");
      await caughtUp(p, r);
      assert.equal(await digest(r), await digest(p));
    });
  });
}

Deno.test("a client's PING is answered while a 200k-key full sync is sent", async () => {
  const primary = await startRedeno([
    ...DEBUG,
    "--repl-diskless-sync-delay",
    "0",
  ]);
  const p = await primary.connect();
  let replica: RunningServer | undefined;
  try {
    await p.call("DEBUG", "POPULATE", "200000", "big", "20");
    replica = await startRedis([
      "--replicaof",
      "127.0.0.1",
      String(primary.port),
    ]);
    assert.ok(await syncing(p), "the sync ended before it was seen");
    assert.equal(await p.call("PING"), "PONG");
    await p.call("SET", "written-during", "1");
    // Still sending (diskless: the snapshot runs, wait_bgsave in Redis):
    // the PING was answered before the sync finished.
    assert.equal(await replicaState(p), "wait_bgsave");
    const r = await replica.connect();
    try {
      await caughtUp(p, r);
      assert.equal(await r.call("DBSIZE"), 200001);
      assert.equal(await r.call("GET", "written-during"), "1");
    } finally {
      r.close();
    }
  } catch (error) {
    console.error(primary.output());
    if (replica) console.error(replica.output());
    throw error;
  } finally {
    p.close();
    await replica?.stop();
    await primary.stop();
  }
});

Deno.test("PSYNC ? -1 gives +FULLRESYNC, the RDB as $len, then the stream with SELECT", async () => {
  const primary = await startRedeno();
  const p = await primary.connect();
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: primary.port,
  });
  const raw = new RawReader(conn);
  try {
    await p.call("SET", "k", "v");
    await conn.write(new TextEncoder().encode("PSYNC ? -1\r\n"));
    await raw.until((t) => /\r\n\$\d+\r\n/.test(t));
    const match = /^\+FULLRESYNC ([0-9a-f]{40}) (\d+)\r\n\$(\d+)\r\n/.exec(
      raw.text,
    );
    assert.ok(match, raw.text);
    raw.take(match[0].length);
    const length = Number(match[3]);
    await raw.until((t) => t.length >= length);
    const rdb = raw.take(length);
    assert.ok(rdb.startsWith("REDIS0010"));
    assert.ok(rdb.includes("repl-id") && rdb.includes(match[1]));
    await p.call("SELECT", 2);
    await p.call("SET", "a", "1");
    const stream = "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n" +
      "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
    await raw.until((t) => t.length >= stream.length);
    assert.equal(raw.text, stream);
    const offset = Number(match[2]) + stream.length;
    const fields = await info(p, "replication");
    assert.equal(Number(fields.get("master_repl_offset")), offset);
    await conn.write(
      new TextEncoder().encode(`REPLCONF ACK ${offset}\r\n`),
    );
    await waitFor(
      "the ACK to count",
      async () =>
        (await info(p, "replication")).get("slave0")!.includes(
          `offset=${offset},`,
        ),
    );
  } finally {
    p.close();
    conn.close();
    await primary.stop();
  }
});

Deno.test("with capa eof and repl-diskless-sync yes the RDB comes as $EOF:<mark>, the RDB, the mark, then at the ACK the stream", async () => {
  const primary = await startRedeno(["--repl-diskless-sync-delay", "0"]);
  const p = await primary.connect();
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: primary.port,
  });
  const raw = new RawReader(conn);
  const send = (text: string) => conn.write(new TextEncoder().encode(text));
  try {
    await p.call("SET", "k", "v");
    await send("REPLCONF capa eof\r\n");
    await raw.until((t) => t.length >= 5);
    assert.equal(raw.take(5), "+OK\r\n");
    await send("PSYNC ? -1\r\n");
    await raw.until((t) => /\$EOF:[0-9a-f]{40}\r\n/.test(t));
    const match =
      /^\+FULLRESYNC ([0-9a-f]{40}) (\d+)\r\n\$EOF:([0-9a-f]{40})\r\n/
        .exec(raw.text);
    assert.ok(match, raw.text);
    raw.take(match[0].length);
    const mark = match[3];
    await raw.until((t) => t.includes(mark));
    const rdb = raw.take(raw.text.indexOf(mark));
    raw.take(mark.length);
    assert.ok(rdb.startsWith("REDIS0010"));
    assert.ok(rdb.includes("repl-id") && rdb.includes(match[1]));
    await p.call("SET", "a", "1");
    // The stream waits for the replica's first ACK after the load.
    await send(`REPLCONF ACK ${match[2]}\r\n`);
    const stream = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" +
      "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
    await raw.until((t) => t.length >= stream.length);
    assert.equal(raw.text, stream);
  } finally {
    p.close();
    conn.close();
    await primary.stop();
  }
});

Deno.test("REPLCONF and PSYNC errors match redis-server", async () => {
  const redis = await startRedis();
  const redeno = await startRedeno();
  const clients = [await redis.connect(), await redeno.connect()];
  try {
    const replies: string[][] = [[], []];
    for (const [i, c] of clients.entries()) {
      for (
        const argv of [
          ["REPLCONF", "listening-port"],
          ["REPLCONF", "listening-port", "x"],
          ["REPLCONF", "rdb-only", "5"],
          ["REPLCONF", "rdb-only", "x"],
          ["REPLCONF", "nope", "1"],
          ["REPLCONF", "ip-address", "10.0.0.1", "capa", "eof"],
          ["PSYNC", "?"],
          ["PSYNC", "?", "x"],
          ["ROLE"],
        ]
      ) {
        const reply = await c.call(...argv);
        replies[i].push(
          reply instanceof RespError ? reply.message : JSON.stringify(reply),
        );
      }
    }
    assert.deepEqual(replies[1], replies[0]);
  } finally {
    for (const c of clients) c.close();
    await redis.stop();
    await redeno.stop();
  }
});
