/**
 * Replication side by side with redis-server 7.0, for every pairing of
 * primary and replica (redis-server or redeno on each side):
 *
 * - full sync: a primary holding `-n` keys (DEBUG POPULATE, default
 *   1,000,000); time from starting the replica until its link is up and it
 *   has applied everything (disk-based sync, so both sides do the same work);
 * - lag: redis-benchmark SET load on the primary (`-r` keys, pipelined);
 *   the largest gap between the primary's master_repl_offset and the
 *   replica's slave_repl_offset seen while it runs (sampled every 20 ms), and
 *   how long the replica takes to catch up once the load stops.
 *
 *   deno run -A bench/replication.ts [-n 1000000] [--requests 500000]
 *     [--primaries redis-server,redeno]
 * @module
 */

import { parseArgs } from "node:util";
import type { RespClient } from "../tests/helpers/resp_client.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../tests/helpers/servers.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", short: "n" },
    requests: { type: "string" },
  },
});
const keys = Number(values.n ?? 1_000_000);
const requests = Number(values.requests ?? 500_000);
const primaries = Deno.args.includes("--primaries")
  ? Deno.args[Deno.args.indexOf("--primaries") + 1].split(",")
  : ["redis-server", "redeno"];

type Start = (args: string[]) => Promise<RunningServer>;
const kinds: [string, Start][] = [
  ["redis-server", startRedis],
  ["redeno", (args) => startRedeno(args)],
];

async function field(c: RespClient, name: string): Promise<string> {
  const text = String(await c.call("INFO", "replication"));
  const line = text.split("\r\n").find((l) => l.startsWith(`${name}:`));
  return line?.slice(name.length + 1) ?? "";
}

async function lagBytes(p: RespClient, r: RespClient): Promise<number> {
  const [primary, replica] = await Promise.all([
    field(p, "master_repl_offset"),
    field(r, "slave_repl_offset"),
  ]);
  return Number(primary) - Number(replica);
}

async function caughtUp(p: RespClient, r: RespClient): Promise<void> {
  while (
    await field(r, "master_link_status") !== "up" ||
    await lagBytes(p, r) !== 0
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const rows: string[] = [];
for (const [primaryName, startPrimary] of kinds) {
  if (!primaries.includes(primaryName)) continue;
  for (const [replicaName, startReplica] of kinds) {
    const primary = await startPrimary([
      "--repl-diskless-sync",
      "no",
      "--enable-debug-command",
      "yes",
    ]);
    const p = await primary.connect();
    await p.call("DEBUG", "POPULATE", keys);
    let t = performance.now();
    const replica = await startReplica([
      "--replicaof",
      "127.0.0.1",
      String(primary.port),
    ]);
    const r = await replica.connect();
    await caughtUp(p, r);
    const sync = (performance.now() - t) / 1000;

    const load = new Deno.Command("redis-benchmark", {
      args: [
        "-p",
        String(primary.port),
        "-t",
        "set",
        "-n",
        String(requests),
        "-r",
        "100000",
        "-c",
        "50",
        "-P",
        "16",
        "-q",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    let running = true;
    load.status.then(() => (running = false));
    let worst = 0;
    while (running) {
      worst = Math.max(worst, await lagBytes(p, r));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    t = performance.now();
    await caughtUp(p, r);
    const drain = performance.now() - t;
    rows.push(
      `| ${primaryName} | ${replicaName} | ${sync.toFixed(2)} | ${
        (worst / 1024).toFixed(0)
      } | ${drain.toFixed(0)} |`,
    );
    p.close();
    r.close();
    await replica.stop();
    await primary.stop();
  }
}

console.log(
  `Full sync of ${keys} keys (disk-based), then redis-benchmark SET -n ${requests} -c 50 -P 16 on the primary\n`,
);
console.log(
  "| primary | replica | full sync (s) | worst lag (KiB) | catch-up after load (ms) |",
);
console.log("|---|---|---:|---:|---:|");
for (const row of rows) console.log(row);
