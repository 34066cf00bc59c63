/**
 * RDB persistence side by side with redis-server 7.0: SAVE time and file
 * size, load time (DEBUG RELOAD NOSAVE) and the worst PING round trip seen
 * while a BGSAVE runs, for a dataset of `-n` keys (default 1,000,000): 95%
 * strings from DEBUG POPULATE, the rest small hashes, lists, sets, sorted
 * sets and streams (four entries and a consumer group each) in equal shares.
 *
 *   deno run -A bench/persistence.ts [-n 1000000]
 * @module
 */

import { statSync } from "node:fs";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../tests/helpers/servers.ts";
import type { RespClient } from "../tests/helpers/resp_client.ts";

const n = Number(Deno.args[Deno.args.indexOf("-n") + 1] || 1_000_000);

async function populate(c: RespClient): Promise<void> {
  const collections = Math.floor(n * 0.01);
  await c.call("DEBUG", "POPULATE", n - 5 * collections);
  const batch = 1000;
  for (let i = 0; i < collections; i += batch) {
    const end = Math.min(i + batch, collections);
    for (let j = i; j < end; j++) {
      await c.write("HSET", `h:${j}`, "a", "1", "b", "two", "c", "3.5");
      await c.write("RPUSH", `l:${j}`, "x", "y", "z", String(j));
      await c.write("SADD", `s:${j}`, "1", "2", String(j));
      await c.write("ZADD", `z:${j}`, "1", "a", "2", "b", String(j), "c");
      for (let e = 1; e <= 4; e++) {
        await c.write("XADD", `x:${j}`, `${e}-1`, "f", "v", "n", String(j));
      }
      await c.write("XGROUP", "CREATE", `x:${j}`, "g", "0");
    }
    for (let j = i; j < end; j++) for (let k = 0; k < 9; k++) await c.read();
  }
}

/** Worst and median PING round trip (ms) while a BGSAVE runs. */
async function latencyDuringBgsave(c: RespClient): Promise<[number, number]> {
  const samples: number[] = [];
  await c.call("BGSAVE");
  for (let i = 0;; i++) {
    const t = performance.now();
    await c.call("PING");
    samples.push(performance.now() - t);
    if (i % 50 === 0) {
      const info = String(await c.call("INFO", "persistence"));
      if (info.includes("rdb_bgsave_in_progress:0")) break;
    }
  }
  samples.sort((a, b) => a - b);
  return [samples[samples.length - 1], samples[samples.length >> 1]];
}

async function measure(name: string, server: RunningServer, dir: string) {
  const c = await server.connect();
  await populate(c);
  let t = performance.now();
  await c.call("SAVE");
  const save = (performance.now() - t) / 1000;
  const size = statSync(`${dir}/dump.rdb`).size;
  t = performance.now();
  await c.call("DEBUG", "RELOAD", "NOSAVE");
  const load = (performance.now() - t) / 1000;
  const keys = await c.call("DBSIZE");
  const [worst, median] = await latencyDuringBgsave(c);
  c.close();
  await server.stop();
  return { name, keys, save, load, size, worst, median };
}

const rows = [];
for (
  const [name, start] of [["redis-server", startRedis], [
    "redeno",
    startRedeno,
  ]] as const
) {
  const dir = Deno.makeTempDirSync();
  const server = await start([
    "--dir",
    dir,
    "--save",
    "",
    "--enable-debug-command",
    "yes",
  ]);
  rows.push(await measure(name, server, dir));
}
console.log(
  `deno run -A bench/persistence.ts -n ${n} on ${
    new Date().toISOString().slice(0, 10)
  }\n`,
);
console.log(
  "| server | keys | SAVE s | file MB | load s | BGSAVE worst PING ms | median PING ms |",
);
console.log("| --- | --: | --: | --: | --: | --: | --: |");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.keys} | ${r.save.toFixed(2)} | ${
      (r.size / 1e6).toFixed(1)
    } | ${r.load.toFixed(2)} | ${r.worst.toFixed(1)} | ${
      r.median.toFixed(2)
    } |`,
  );
}
