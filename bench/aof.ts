/**
 * AOF side by side with redis-server 7.0: the worst and median PING round
 * trip while BGREWRITEAOF rewrites `-n` keys (default 1,000,000, from DEBUG
 * POPULATE), and SET throughput (redis-benchmark -c 50, `-r` random keys)
 * with `appendfsync everysec` and `always`. Short runs: ratios, not
 * absolute figures.
 *
 *   deno run -A bench/aof.ts [-n 1000000] [--requests 100000]
 * @module
 */

import { parseArgs } from "node:util";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../tests/helpers/servers.ts";
import type { RespClient } from "../tests/helpers/resp_client.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", short: "n" },
    requests: { type: "string" },
  },
});
const n = Number(values.n ?? 1_000_000);
const requests = Number(values.requests ?? 100_000);
const ARGS = [
  "--appendonly",
  "yes",
  "--save",
  "",
  "--enable-debug-command",
  "yes",
];

/** Worst and median PING round trip (ms) while a BGREWRITEAOF runs, and its duration (s). */
async function latencyDuringRewrite(
  c: RespClient,
): Promise<[number, number, number]> {
  const samples: number[] = [];
  const started = performance.now();
  await c.call("BGREWRITEAOF");
  for (let i = 0;; i++) {
    const t = performance.now();
    await c.call("PING");
    samples.push(performance.now() - t);
    if (i % 50 === 0) {
      const info = String(await c.call("INFO", "persistence"));
      if (info.includes("aof_rewrite_in_progress:0")) break;
    }
  }
  samples.sort((a, b) => a - b);
  return [
    samples[samples.length - 1],
    samples[samples.length >> 1],
    (performance.now() - started) / 1000,
  ];
}

/** SET requests per second from redis-benchmark. */
async function setThroughput(port: number): Promise<number> {
  const out = await new Deno.Command("redis-benchmark", {
    args: [
      "-p",
      String(port),
      "-c",
      "50",
      "-n",
      String(requests),
      "-r",
      "100000",
      "-t",
      "set",
      "--csv",
    ],
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
  return Number(line.split(",")[1].replaceAll('"', ""));
}

async function run(
  name: string,
  start: (args: string[]) => Promise<RunningServer>,
): Promise<string[]> {
  const rows: string[] = [];
  for (const policy of ["everysec", "always"]) {
    const server = await start([...ARGS, "--appendfsync", policy]);
    try {
      rows.push(
        `${name} SET appendfsync ${policy}: ${
          Math.round(await setThroughput(server.port))
        } req/s`,
      );
    } finally {
      await server.stop();
    }
  }
  const server = await start(ARGS);
  try {
    const c = await server.connect();
    await c.call("DEBUG", "POPULATE", n);
    // Let the loading's garbage go first (redeno collects when idle).
    await new Promise((r) => setTimeout(r, 1000));
    const [worst, median, seconds] = await latencyDuringRewrite(c);
    rows.push(
      `${name} BGREWRITEAOF of ${n} keys: ${seconds.toFixed(2)} s, PING worst ${
        worst.toFixed(1)
      } ms, median ${median.toFixed(2)} ms`,
    );
    c.close();
  } finally {
    await server.stop();
  }
  return rows;
}

for (
  const row of [
    ...await run("redis", startRedis),
    ...await run("redeno", startRedeno),
  ]
) {
  console.log(row);
}
