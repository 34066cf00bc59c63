/**
 * Streams, redeno against redis-server 7.0: XADD throughput, memory for a
 * 1,000,000-entry stream, XRANGE seeks at random IDs into it, and
 * XREADGROUP reading it through a consumer group, 10 entries per call.
 *
 * redis-benchmark runs each command (`-c 50 --csv`, -P 1 and -P 16) against
 * both servers, alternating which goes first each round; the median req/s
 * of each is kept. The 1M-entry stream is loaded with IDs `1-1` ...
 * `1000000-1`, so XRANGE's `__rand_int__` start (redis-benchmark -r) seeks
 * anywhere in it. Memory is the RSS growth of a fresh server while loading.
 *
 * ```sh
 * deno run -A bench/stream.ts [--rounds 3] [--target deno|bun|binary] [--markdown]
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import {
  encodeCommand,
  type RespClient,
} from "../tests/helpers/resp_client.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
  type Target,
} from "../tests/helpers/servers.ts";
import {
  formatTable,
  median,
  parseBenchmarkCsv,
  type ResultRow,
} from "./compare.ts";

const ENTRIES = 1_000_000;
const LOAD_BATCH = 1000;
const STREAM = "bench:stream";

/** Resident memory of a process in bytes, from /proc. */
function rss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

/** Runs redis-benchmark with a custom command; returns its req/s. */
async function benchmark(
  port: number,
  command: string[],
  pipeline: number,
  requests: number,
  keyspace = 0,
): Promise<number> {
  const { code, stdout, stderr } = await new Deno.Command("redis-benchmark", {
    args: [
      ...(keyspace > 0 ? ["-r", String(keyspace)] : []),
      ...["-h", "127.0.0.1", "-p", String(port), "-c", "50"],
      ...["-n", String(requests), "-P", String(pipeline), "--csv"],
      ...command,
    ],
    stdin: "null",
  }).output();
  const results = parseBenchmarkCsv(new TextDecoder().decode(stdout));
  if (code !== 0 || results.size === 0) {
    throw new Error(
      `redis-benchmark failed: ${new TextDecoder().decode(stderr)}`,
    );
  }
  return [...results.values()][0];
}

/** Loads the 1M-entry stream through one pipelined connection. */
async function load(client: RespClient): Promise<void> {
  for (let from = 1; from <= ENTRIES; from += LOAD_BATCH) {
    const frames: Uint8Array[] = [];
    for (let i = from; i < from + LOAD_BATCH; i++) {
      frames.push(
        encodeCommand([
          "XADD",
          STREAM,
          `${i}-1`,
          "sensor",
          "42",
          "reading",
          `value:${i}`,
        ]),
      );
    }
    const bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of frames) {
      bytes.set(f, at);
      at += f.length;
    }
    await client.send(bytes);
    for (let i = 0; i < LOAD_BATCH; i++) await client.read();
  }
}

interface Prepared {
  server: RunningServer;
  client: RespClient;
  memory: number;
  loadMs: number;
}

async function prepare(server: RunningServer): Promise<Prepared> {
  const client = await server.connect();
  const before = rss(server.process.pid);
  const t = performance.now();
  await load(client);
  const loadMs = performance.now() - t;
  await new Promise((r) => setTimeout(r, 1000)); // let allocators settle
  return { server, client, memory: rss(server.process.pid) - before, loadMs };
}

/** One measured case: its command, request count, and what runs before each round. */
interface Case {
  name: string;
  command: string[];
  requests: (pipeline: number) => number;
  keyspace?: number;
  before?: (client: RespClient) => Promise<void>;
}

const CASES: Case[] = [
  {
    name: "XADD * (2 fields)",
    command: ["XADD", "bench:add", "*", "sensor", "42", "reading", "value"],
    requests: (p) => (p === 1 ? 100_000 : 1_000_000),
    before: async (c) => void await c.call("DEL", "bench:add"),
  },
  {
    name: "XRANGE rand COUNT 10",
    command: ["XRANGE", STREAM, "__rand_int__", "+", "COUNT", "10"],
    requests: (p) => (p === 1 ? 100_000 : 1_000_000),
    keyspace: ENTRIES,
  },
  {
    name: "XREADGROUP COUNT 10 >",
    command: [
      "XREADGROUP",
      "GROUP",
      "g",
      "c",
      "COUNT",
      "10",
      "STREAMS",
      STREAM,
      ">",
    ],
    // 100,000 reads of 10 deliver the whole stream once.
    requests: () => 100_000,
    before: async (c) => {
      await c.call("XGROUP", "DESTROY", STREAM, "g");
      await c.call("XGROUP", "CREATE", STREAM, "g", "0");
    },
  },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string", default: "deno" },
      rounds: { type: "string", default: "3" },
      markdown: { type: "boolean", default: false },
    },
  });
  const rounds = Number(values.rounds);
  const redis = await prepare(await startRedis(["--save", ""]));
  const redeno = await prepare(
    await startRedeno(["--save", ""], values.target as Target),
  );
  const rows: ResultRow[] = [];
  try {
    for (const c of CASES) {
      for (const pipeline of [1, 16]) {
        const rates: [number[], number[]] = [[], []];
        for (let round = 0; round < rounds; round++) {
          const order = round % 2 === 0 ? [0, 1] : [1, 0];
          for (const which of order) {
            const side = which === 0 ? redis : redeno;
            await c.before?.(side.client);
            rates[which].push(
              await benchmark(
                side.server.port,
                c.command,
                pipeline,
                c.requests(pipeline),
                c.keyspace,
              ),
            );
          }
        }
        rows.push({
          test: c.name,
          pipeline,
          redis: median(rates[0]),
          redeno: median(rates[1]),
        });
      }
    }
  } finally {
    for (const side of [redis, redeno]) {
      side.client.close();
      await side.server.stop();
    }
  }
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  const date = new Date().toISOString().slice(0, 10);
  console.log(
    `\`deno run -A bench/stream.ts --rounds ${rounds}${
      values.markdown ? " --markdown" : ""
    }\` on ${date}, redeno on ${values.target}, -c 50, median of ${rounds} alternating rounds\n`,
  );
  console.log(formatTable(rows, values.markdown));
  console.log(
    `\nMemory for ${
      ENTRIES.toLocaleString("en-US")
    } entries (RSS growth while loading): ` +
      `redis ${mb(redis.memory)} MB, redeno ${mb(redeno.memory)} MB ` +
      `(${(redeno.memory / redis.memory).toFixed(2)}x); ` +
      `bytes per entry: redis ${(redis.memory / ENTRIES).toFixed(1)}, ` +
      `redeno ${(redeno.memory / ENTRIES).toFixed(1)}. ` +
      `Pipelined load: redis ${redis.loadMs.toFixed(0)} ms, redeno ${
        redeno.loadMs.toFixed(0)
      } ms.`,
  );
}

if (import.meta.main) await main();
