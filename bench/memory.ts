/**
 * Memory and load time for big datasets, redeno beside redis-server 7.0:
 * 1,000,000 string keys (DEBUG POPULATE), a 1,000,000-element list and a
 * 1,000,000-member sorted set (then 100,000 ZRANKs). Each dataset is loaded
 * into a fresh server of each kind; RSS is read from /proc before and after.
 *
 *   deno run -A bench/memory.ts [--target deno|bun|binary] [--markdown]
 * @module
 */

import { parseArgs } from "node:util";
import { encodeCommand } from "../tests/helpers/resp_client.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
  type Target,
} from "../tests/helpers/servers.ts";

const COUNT = 1_000_000;
const BATCH = 1000;

/** Resident memory of a process in bytes, from /proc. */
function rss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** Sends `commands` pipelined in chunks and waits for every reply. */
async function pipeline(
  server: RunningServer,
  commands: (string | number)[][],
): Promise<void> {
  const client = await server.connect();
  try {
    for (let i = 0; i < commands.length; i += BATCH) {
      const chunk = commands.slice(i, i + BATCH);
      const frames = chunk.map(encodeCommand);
      const size = frames.reduce((n, f) => n + f.length, 0);
      const bytes = new Uint8Array(size);
      let off = 0;
      for (const f of frames) {
        bytes.set(f, off);
        off += f.length;
      }
      await client.send(bytes);
      for (let j = 0; j < chunk.length; j++) await client.read();
    }
  } finally {
    client.close();
  }
}

/** A dataset: commands that load it, and an optional timed query phase. */
interface Dataset {
  name: string;
  load: (server: RunningServer) => Promise<void>;
  query?: { name: string; run: (server: RunningServer) => Promise<void> };
}

function batches(
  make: (from: number) => (string | number)[],
): (string | number)[][] {
  const out: (string | number)[][] = [];
  for (let i = 0; i < COUNT; i += BATCH) out.push(make(i));
  return out;
}

const DATASETS: Dataset[] = [
  {
    name: "1M string keys (DEBUG POPULATE)",
    load: (s) => pipeline(s, [["DEBUG", "POPULATE", COUNT]]),
  },
  {
    name: "1M-element list (RPUSH)",
    load: (s) =>
      pipeline(
        s,
        batches((from) => {
          const cmd: (string | number)[] = ["RPUSH", "biglist"];
          for (let i = from; i < from + BATCH; i++) cmd.push(`element:${i}`);
          return cmd;
        }),
      ),
  },
  {
    name: "1M-member sorted set (ZADD)",
    load: (s) =>
      pipeline(
        s,
        batches((from) => {
          const cmd: (string | number)[] = ["ZADD", "bigzset"];
          for (let i = from; i < from + BATCH; i++) {
            cmd.push((i * 7919) % COUNT, `member:${i}`);
          }
          return cmd;
        }),
      ),
    query: {
      name: "100k ZRANK",
      run: (s) =>
        pipeline(
          s,
          Array.from(
            { length: 100_000 },
            (_, i) => ["ZRANK", "bigzset", `member:${(i * 104729) % COUNT}`],
          ),
        ),
    },
  },
];

/** One measured dataset on one server. */
interface Measure {
  bytes: number;
  loadMs: number;
  queryMs?: number;
}

async function measure(
  server: RunningServer,
  dataset: Dataset,
): Promise<Measure> {
  const pid = server.process.pid;
  const before = rss(pid);
  let t = performance.now();
  await dataset.load(server);
  const loadMs = performance.now() - t;
  let queryMs: number | undefined;
  if (dataset.query) {
    t = performance.now();
    await dataset.query.run(server);
    queryMs = performance.now() - t;
  }
  await new Promise((r) => setTimeout(r, 1000)); // let allocators settle
  return { bytes: rss(pid) - before, loadMs, queryMs };
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1) + " MB";
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string", default: "deno" },
      markdown: { type: "boolean", default: false },
    },
  });
  const target = values.target as Target;
  const rows: string[][] = [];
  for (const dataset of DATASETS) {
    const results: Measure[] = [];
    for (const start of [startRedis, startRedeno]) {
      const server = start === startRedis
        ? await startRedis(["--enable-debug-command", "yes"])
        : await startRedeno(
          ["--enable-debug-command", "yes", "--save", ""],
          target,
        );
      try {
        results.push(await measure(server, dataset));
      } finally {
        await server.stop();
      }
    }
    const [redis, redeno] = results;
    rows.push([
      dataset.name,
      mb(redis.bytes),
      mb(redeno.bytes),
      (redeno.bytes / redis.bytes).toFixed(2),
      `${redis.loadMs.toFixed(0)} ms`,
      `${redeno.loadMs.toFixed(0)} ms`,
      (redis.loadMs / redeno.loadMs).toFixed(2),
    ]);
    if (dataset.query) {
      rows.push([
        `  then ${dataset.query.name}`,
        "",
        "",
        "",
        `${redis.queryMs!.toFixed(0)} ms`,
        `${redeno.queryMs!.toFixed(0)} ms`,
        (redis.queryMs! / redeno.queryMs!).toFixed(2),
      ]);
    }
  }
  const header = [
    "dataset",
    "redis RSS",
    "redeno RSS",
    "RSS ratio",
    "redis time",
    "redeno time",
    "speed ratio",
  ];
  if (values.markdown) {
    console.log(`| ${header.join(" | ")} |`);
    console.log(`| ${header.map(() => "---").join(" | ")} |`);
    for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  } else {
    for (const r of [header, ...rows]) {
      console.log(r.map((c) => c.padEnd(14)).join(" "));
    }
  }
}

if (import.meta.main) await main();
