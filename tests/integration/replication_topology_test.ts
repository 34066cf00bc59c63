/**
 * Replication topologies mixing redeno and the real redis-server 7.0:
 * a replica promoted with REPLICAOF NO ONE keeps its old primary's ID as
 * master_replid2, so the other replica of that primary continues with it
 * partially; and chains (redis-server -> redeno -> redis-server and the
 * reverse) where the middle server passes its primary's stream on, with
 * partial resyncs after either link is cut.
 * @module
 */

import assert from "node:assert/strict";
import type { RespClient } from "../helpers/resp_client.ts";
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
  writeStream,
} from "../helpers/replication.ts";

type Kind = "redis" | "redeno";

/** Full syncs start at once instead of waiting for more replicas. */
const NO_SYNC_DELAY = ["--repl-diskless-sync-delay", "0"];
/**
 * A primary that sends no PING during the test: one reaching a replica and
 * not its sibling before a switch would put that replica past the promoted
 * one's second_repl_offset.
 */
const QUIET_PRIMARY = [
  ...NO_SYNC_DELAY,
  "--repl-ping-replica-period",
  "3600",
];

/** The servers of one test and a client of each; `stop` ends them all. */
class Topology {
  private readonly servers: { name: string; server: RunningServer }[] = [];
  private readonly clients: RespClient[] = [];

  /** Starts `kind` with `args` (debug commands on) and connects to it. */
  async start(
    name: string,
    kind: Kind,
    args: string[],
  ): Promise<{ server: RunningServer; client: RespClient }> {
    const all = ["--enable-debug-command", "yes", ...args];
    const server = kind === "redis"
      ? await startRedis(all)
      : await startRedeno(all);
    this.servers.push({ name: `${name} (${kind})`, server });
    const client = await server.connect();
    this.clients.push(client);
    return { server, client };
  }

  /** Prints every server's log, for a failed test. */
  dumpLogs(): void {
    for (const { name, server } of this.servers) {
      console.error(`---- ${name} ----\n${server.output()}`);
    }
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.close();
    for (const { server } of this.servers) await server.stop();
  }
}

/** Runs `body` on a new topology, printing the logs if it fails. */
async function withTopology(body: (t: Topology) => Promise<void>) {
  const topology = new Topology();
  try {
    await body(topology);
  } catch (error) {
    topology.dumpLogs();
    throw error;
  } finally {
    await topology.stop();
  }
}

function replicaOf(server: RunningServer): string[] {
  return ["--replicaof", "127.0.0.1", String(server.port)];
}

/** The ID of the replica's connection on its primary (one replica attached). */
async function replicaClientId(primary: RespClient): Promise<string> {
  const list = String(await primary.call("CLIENT", "LIST", "TYPE", "replica"));
  const ids = [...list.matchAll(/^id=(\d+) /gm)].map((m) => m[1]);
  assert.equal(ids.length, 1, list);
  return ids[0];
}

const PROMOTIONS: { p: Kind; r1: Kind; r2: Kind }[] = [
  { p: "redeno", r1: "redeno", r2: "redeno" },
  { p: "redis", r1: "redeno", r2: "redis" },
  { p: "redeno", r1: "redis", r2: "redeno" },
];

for (const { p: pKind, r1: r1Kind, r2: r2Kind } of PROMOTIONS) {
  for (const primaryFate of ["killed", "left running"] as const) {
    Deno.test(`primary ${pKind} ${primaryFate}, replica ${r1Kind} promoted: the other replica (${r2Kind}) continues with it partially`, async () => {
      await withTopology(async (t) => {
        const P = await t.start("P", pKind, QUIET_PRIMARY);
        const p = P.client;
        await fill(p, "");
        const R1 = await t.start("R1", r1Kind, replicaOf(P.server));
        const R2 = await t.start("R2", r2Kind, replicaOf(P.server));
        const [r1, r2] = [R1.client, R2.client];
        await writeStream(p);
        await caughtUp(p, r1);
        await caughtUp(p, r2);
        const before = await info(r1, "replication");
        const oldReplid = before.get("master_replid")!;
        const oldOffset = Number(before.get("master_repl_offset"));
        assert.equal(
          oldReplid,
          (await info(p, "replication")).get("master_replid"),
        );
        if (primaryFate === "killed") {
          P.server.process.kill("SIGKILL");
          await P.server.stop();
        }

        assert.equal(await r1.call("REPLICAOF", "NO", "ONE"), "OK");
        const promoted = await info(r1, "replication");
        assert.equal(promoted.get("role"), "master");
        assert.equal(promoted.get("master_replid2"), oldReplid);
        assert.equal(promoted.get("second_repl_offset"), String(oldOffset + 1));
        assert.notEqual(promoted.get("master_replid"), oldReplid);

        const r2LogBefore = R2.server.output().length;
        assert.equal(
          await r2.call("REPLICAOF", "127.0.0.1", R1.server.port),
          "OK",
        );
        await caughtUp(r1, r2);
        const stats = await info(r1, "stats");
        assert.equal(stats.get("sync_partial_ok"), "1");
        assert.equal(stats.get("sync_full"), "0");
        const r2Log = R2.server.output().slice(r2LogBefore);
        assert.match(r2Log, /Successful partial resynchronization with master/);
        assert.doesNotMatch(r2Log, /Loading DB in memory/);
        const followed = await info(r2, "replication");
        assert.equal(
          followed.get("master_replid"),
          promoted.get("master_replid"),
        );
        assert.equal(followed.get("master_replid2"), oldReplid);

        // The promoted primary's own writes reach the other replica.
        await fill(r1, "after:");
        await r1.call("INCR", "counter");
        await caughtUp(r1, r2);
        assert.equal(await r2.call("GET", "after:s"), "hello");
        assert.equal(await digest(r2), await digest(r1));
      });
    });
  }
}

const CHAINS: [Kind, Kind, Kind][] = [
  ["redis", "redeno", "redis"],
  ["redeno", "redis", "redeno"],
];

for (const [aKind, bKind, cKind] of CHAINS) {
  Deno.test(`chained replication ${aKind} -> ${bKind} -> ${cKind}: equal digests, partial resyncs after either link is cut`, async () => {
    await withTopology(async (t) => {
      const A = await t.start("A", aKind, NO_SYNC_DELAY);
      const a = A.client;
      await fill(a, "");
      await a.call("DEBUG", "POPULATE", "20000", "pop", "50");
      const B = await t.start("B", bKind, [
        ...NO_SYNC_DELAY,
        ...replicaOf(A.server),
      ]);
      const b = B.client;
      // These arrive while B syncs, or just after.
      for (let i = 0; i < 200; i++) await a.call("SET", `during${i}`, i);
      const C = await t.start("C", cKind, replicaOf(B.server));
      const c = C.client;
      await writeStream(a);
      await caughtUp(a, b);
      // The offsets are the same all along the chain.
      await caughtUp(a, c);
      assert.equal(
        (await info(c, "replication")).get("master_link_status"),
        "up",
      );
      assert.equal(await digest(c), await digest(a));

      // B -> C cut: C continues from B's backlog.
      assert.equal(await b.call("CLIENT", "KILL", "TYPE", "replica"), 1);
      for (let i = 0; i < 100; i++) await a.call("RPUSH", "after-cut", i);
      await caughtUp(a, c);
      let stats = await info(b, "stats");
      assert.equal(stats.get("sync_partial_ok"), "1");
      assert.equal(stats.get("sync_full"), "1");

      // A -> B cut: B continues from A's backlog and keeps C attached.
      const cOnB = await replicaClientId(b);
      const cLogBefore = C.server.output().length;
      assert.equal(await a.call("CLIENT", "KILL", "TYPE", "replica"), 1);
      await a.call("HSET", "after-second-cut", "f", "v");
      await a.call("SELECT", 7);
      await a.call("INCR", "in7");
      await a.call("SELECT", 0);
      await caughtUp(a, b);
      await caughtUp(a, c);
      stats = await info(a, "stats");
      assert.equal(stats.get("sync_partial_ok"), "1");
      assert.equal(stats.get("sync_full"), "1");
      assert.equal(await replicaClientId(b), cOnB, "C kept its link");
      assert.doesNotMatch(
        C.server.output().slice(cLogBefore),
        /Connection with master lost/,
      );
      assert.equal(await digest(c), await digest(a));
      assert.equal(await digest(b), await digest(a));
    });
  });
}

// R2 is the server under test; an all-redis-server run shows the same
// expectations hold for Redis 7.0 itself.
for (const r2Kind of ["redeno", "redis"] as const) {
  Deno.test(`a replica (${r2Kind}) with a sub-replica keeps it when moved under a sibling, and drops it to pass on a promoted primary's new ID`, async () => {
    await withTopology(async (t) => {
      const P = await t.start("P", "redis", QUIET_PRIMARY);
      const p = P.client;
      await fill(p, "");
      const R1 = await t.start("R1", "redis", replicaOf(P.server));
      const R2 = await t.start("R2", r2Kind, [
        ...NO_SYNC_DELAY,
        ...replicaOf(P.server),
      ]);
      const C = await t.start("C", "redis", replicaOf(R2.server));
      const [r1, r2, c] = [R1.client, R2.client, C.client];
      await writeStream(p);
      for (const replica of [r1, r2, c]) await caughtUp(p, replica);

      // Same history under R1: R2 continues with +CONTINUE and C stays.
      const cOnR2 = await replicaClientId(r2);
      assert.equal(
        await r2.call("REPLICAOF", "127.0.0.1", R1.server.port),
        "OK",
      );
      await caughtUp(r1, r2);
      assert.equal(await replicaClientId(r2), cOnR2, "C kept its link");
      let stats = await info(r2, "stats");
      assert.equal(stats.get("sync_full"), "1");
      assert.equal(stats.get("sync_partial_ok"), "0");

      // R1 promoted: R2 takes its new ID and C reconnects to learn it.
      const oldReplid = (await info(p, "replication")).get("master_replid");
      assert.equal(await r1.call("REPLICAOF", "NO", "ONE"), "OK");
      const newReplid = (await info(r1, "replication")).get("master_replid");
      await fill(r1, "after:");
      await caughtUp(r1, r2);
      await caughtUp(r1, c);
      const cIds = await info(c, "replication");
      assert.equal(cIds.get("master_replid"), newReplid);
      assert.equal(cIds.get("master_replid2"), oldReplid);
      assert.notEqual(await replicaClientId(r2), cOnR2, "C reconnected");
      stats = await info(r2, "stats");
      assert.equal(stats.get("sync_full"), "1");
      assert.equal(stats.get("sync_partial_ok"), "1");
      assert.equal(await digest(c), await digest(r1));
    });
  });
}
