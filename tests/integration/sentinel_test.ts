/**
 * Failover of redeno under the real redis-sentinel 7.0: a redeno primary with
 * two redeno replicas, Sentinel (quorum 1) monitoring them. Writes are
 * acknowledged only when WAIT 1 says a replica has them; the primary is killed
 * with SIGKILL, Sentinel promotes a replica and points the other at it, and
 * every acknowledged write is on the new primary and the remaining replica.
 * @module
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { freePort } from "../helpers/ports.ts";
import { caughtUp, digest, info, waitFor } from "../helpers/replication.ts";
import { RespClient } from "../helpers/resp_client.ts";
import {
  type RunningServer,
  spawnServer,
  startRedeno,
} from "../helpers/servers.ts";

/** Starts redis-sentinel on a free port monitoring `primaryPort`. */
function startSentinel(primaryPort: number): Promise<RunningServer> {
  const port = freePort();
  const dir = Deno.makeTempDirSync();
  const file = `${dir}/sentinel.conf`;
  writeFileSync(
    file,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${primaryPort} 1`,
      "sentinel down-after-milliseconds mymaster 1000",
      "sentinel failover-timeout mymaster 10000",
      "sentinel parallel-syncs mymaster 1",
      "",
    ].join("\n"),
  );
  return spawnServer(["redis-sentinel", file], port);
}

Deno.test("redis-sentinel fails a killed redeno primary over to a redeno replica and no write acknowledged with WAIT 1 is lost", async () => {
  const DEBUG = ["--enable-debug-command", "yes"];
  const primary = await startRedeno(["--save", "", ...DEBUG]);
  const replicaArgs = [
    ...DEBUG,
    "--save",
    "",
    "--replicaof",
    "127.0.0.1",
    String(primary.port),
  ];
  const replicas = [
    await startRedeno([...replicaArgs, "--replica-priority", "100"]),
    await startRedeno([...replicaArgs, "--replica-priority", "100"]),
  ];
  let sentinel: RunningServer | undefined;
  const clients: RespClient[] = [];
  try {
    const p = await primary.connect();
    clients.push(p);
    for (const replica of replicas) {
      const r = await replica.connect();
      clients.push(r);
      await waitFor(
        "the replica to sync",
        async () =>
          (await info(r, "replication")).get("master_link_status") === "up",
      );
    }
    sentinel = await startSentinel(primary.port);
    const s = await sentinel.connect();
    clients.push(s);
    await waitFor("Sentinel to find both replicas", async () => {
      const found = await s.call("SENTINEL", "REPLICAS", "mymaster");
      return Array.isArray(found) && found.length === 2;
    });

    const acknowledged: string[] = [];
    for (let i = 0; i < 200; i++) {
      await p.call("SET", `k:${i}`, i);
      if (Number(await p.call("WAIT", 1, 1000)) >= 1) {
        acknowledged.push(`k:${i}`);
      }
    }
    assert.ok(acknowledged.length > 0);
    primary.process.kill("SIGKILL");
    await primary.stop();

    let promotedPort = 0;
    await waitFor("Sentinel to promote a replica", async () => {
      const addr = await s.call(
        "SENTINEL",
        "GET-MASTER-ADDR-BY-NAME",
        "mymaster",
      ) as string[];
      promotedPort = Number(addr[1]);
      return promotedPort !== primary.port;
    }, 30_000);
    const promoted = replicas.find((r) => r.port === promotedPort)!;
    const other = replicas.find((r) => r.port !== promotedPort)!;
    assert.ok(promoted && other);
    // Sentinel ends with CLIENT KILL TYPE normal on the servers it
    // reconfigures, so every question after the failover has its own link.
    const ask = async (server: RunningServer, section: string) => {
      const c = await server.connect();
      try {
        return await info(c, section);
      } catch {
        return new Map<string, string>();
      } finally {
        c.close();
      }
    };
    await waitFor(
      "the promoted replica to be a primary",
      async () => (await ask(promoted, "replication")).get("role") === "master",
      30_000,
    );
    await waitFor("the other replica to follow the new primary", async () => {
      const fields = await ask(other, "replication");
      return fields.get("master_port") === String(promotedPort) &&
        fields.get("master_link_status") === "up";
    }, 30_000);
    const np = await promoted.connect();
    const no = await other.connect();
    clients.push(np, no);
    for (const key of acknowledged) {
      assert.equal(await np.call("EXISTS", key), 1, `${key} was lost`);
    }
    await np.call("SET", "after-failover", "1");
    await caughtUp(np, no);
    assert.equal(await digest(no), await digest(np));
  } finally {
    for (const c of clients) c.close();
    await sentinel?.stop();
    for (const replica of replicas) await replica.stop();
    await primary.stop();
  }
});
