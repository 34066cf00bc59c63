/**
 * redis-benchmark against redeno and redis-server 7.0 side by side.
 *
 * Starts both servers on free ports on 127.0.0.1, then for every pipeline
 * depth and test runs redis-benchmark (`-c 50`, `--csv`) against each server
 * in turn, several rounds that alternate which server goes first, and reports
 * the median req/s of each and the ratio redeno/redis. Ratios, not absolute
 * figures, are the point: the machines are shared and noisy.
 *
 * ```sh
 * deno task bench                                   # redeno on deno
 * deno task bench --target binary --markdown        # dist/redeno (make binary)
 * deno task bench --tests ping_mbulk,incr -n 200000 --pipelines 1,16 --rounds 5
 * ```
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import {
  type RunningServer,
  startRedeno,
  startRedis,
  type Target,
} from "../tests/helpers/servers.ts";

/** Tests run by default; any name redis-benchmark's `-t` accepts works. */
export const DEFAULT_TESTS = [
  "PING_MBULK",
  "SET",
  "GET",
  "INCR",
  "MSET",
  "LPUSH",
  "RPUSH",
  "LPOP",
  "RPOP",
  "SADD",
  "HSET",
  "SPOP",
  "ZADD",
  "ZPOPMIN",
  "LRANGE",
];
/** Pipeline depths run by default. */
export const DEFAULT_PIPELINES = [1, 16];
/** Pipelined runs send this many times more requests, so each run lasts about as long. */
const PIPELINED_REQUEST_FACTOR = 10;

const USAGE = `Usage: deno task bench [options]

  --target deno|bun|binary  where redeno runs (default deno; binary = dist/redeno)
  -n, --requests N          requests per -P 1 run (default 100000; pipelined runs x${PIPELINED_REQUEST_FACTOR})
  -t, --tests LIST          comma-separated redis-benchmark tests (default ${
  DEFAULT_TESTS.join(",")
})
  -P, --pipelines LIST      comma-separated pipeline depths (default ${
  DEFAULT_PIPELINES.join(",")
})
  -c, --clients N           parallel connections (default 50)
  -r, --rounds N            runs per server and test; the median is kept (default 3)
  --keyspace N              draw keys at random from N (redis-benchmark -r), e.g. 1000000
  --markdown                print the result as a markdown table
  -h, --help                this text`;

/** Options of one comparison. */
export interface CompareOptions {
  target: Target;
  requests: number;
  tests: string[];
  pipelines: number[];
  clients: number;
  /** Random keys drawn from this many (redis-benchmark -r); 0 = one key. */
  keyspace: number;
  rounds: number;
}

/** One line of the result. */
export interface ResultRow {
  test: string;
  pipeline: number;
  redis: number;
  redeno: number;
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Parses `redis-benchmark --csv` output into test name -> req/s. */
export function parseBenchmarkCsv(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const cells = line.trim().replace(/^"|"$/g, "").split('","');
    if (cells.length < 2 || cells[0] === "test") continue;
    const rps = Number(cells[1]);
    if (Number.isFinite(rps)) out.set(cells[0], rps);
  }
  return out;
}

/** The benchmark process running now, so an interrupt can stop it too. */
let runningBenchmark: Deno.ChildProcess | undefined;

/** Runs redis-benchmark once and returns req/s per reported test. */
export async function runBenchmark(
  port: number,
  test: string,
  pipeline: number,
  requests: number,
  clients: number,
  keyspace = 0,
): Promise<Map<string, number>> {
  const child = new Deno.Command("redis-benchmark", {
    args: [
      ...(keyspace > 0 ? ["-r", String(keyspace)] : []),
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-c",
      String(clients),
      "-n",
      String(requests),
      "-P",
      String(pipeline),
      "-t",
      test,
      "--csv",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  runningBenchmark = child;
  const { code, stdout, stderr } = await child.output();
  runningBenchmark = undefined;
  const text = new TextDecoder().decode(stdout);
  const results = parseBenchmarkCsv(text);
  if (code !== 0 || results.size === 0) {
    throw new Error(
      `redis-benchmark -t ${test} -P ${pipeline} on port ${port} failed (${code}):\n${text}${
        new TextDecoder().decode(stderr)
      }`,
    );
  }
  return results;
}

/**
 * Runs every test at every pipeline depth against both servers, alternating
 * which goes first each round so drift in machine load hits both alike.
 */
export async function compare(
  options: CompareOptions,
  redis: RunningServer,
  redeno: RunningServer,
  progress: (line: string) => void = () => {},
): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for (const pipeline of options.pipelines) {
    const requests = options.requests *
      (pipeline > 1 ? PIPELINED_REQUEST_FACTOR : 1);
    for (const test of options.tests) {
      // A -t name may expand to several tests (lrange -> LRANGE_100, ...).
      const samples = new Map<string, { redis: number[]; redeno: number[] }>();
      for (let round = 0; round < options.rounds; round++) {
        const order = round % 2 === 0
          ? [["redis", redis], ["redeno", redeno]] as const
          : [["redeno", redeno], ["redis", redis]] as const;
        for (const [name, server] of order) {
          const results = await runBenchmark(
            server.port,
            test,
            pipeline,
            requests,
            options.clients,
            options.keyspace,
          );
          for (const [reported, rps] of results) {
            if (!samples.has(reported)) {
              samples.set(reported, { redis: [], redeno: [] });
            }
            samples.get(reported)![name].push(rps);
            progress(`  ${reported} -P ${pipeline} ${name}: ${rps}`);
          }
        }
      }
      for (const [reported, s] of samples) {
        rows.push({
          test: reported,
          pipeline,
          redis: median(s.redis),
          redeno: median(s.redeno),
        });
      }
    }
  }
  return rows;
}

function formatRate(rps: number): string {
  return Math.round(rps).toLocaleString("en-US");
}

/** The result as aligned text columns or a markdown table. */
export function formatTable(rows: ResultRow[], markdown: boolean): string {
  const header = ["test", "-P", "redis req/s", "redeno req/s", "redeno/redis"];
  const body = rows.map((r) => [
    r.test,
    String(r.pipeline),
    formatRate(r.redis),
    formatRate(r.redeno),
    (r.redeno / r.redis).toFixed(2),
  ]);
  if (markdown) {
    return [
      `| ${header.join(" | ")} |`,
      `|${header.map((_, i) => (i < 2 ? " --- " : " ---: ")).join("|")}|`,
      ...body.map((cells) => `| ${cells.join(" | ")} |`),
    ].join("\n");
  }
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((cells) => cells[i].length))
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))
      .join("  ");
  return [line(header), ...body.map(line)].join("\n");
}

function listOf(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`${name} must be a positive integer, not ${text}`);
  }
  return n;
}

/** Parses the command line; returns null after printing help. */
export function parseOptions(
  args: string[],
): (CompareOptions & { markdown: boolean }) | null {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: "string", default: "deno" },
      requests: { type: "string", short: "n", default: "100000" },
      tests: { type: "string", short: "t", default: DEFAULT_TESTS.join(",") },
      pipelines: {
        type: "string",
        short: "P",
        default: DEFAULT_PIPELINES.join(","),
      },
      clients: { type: "string", short: "c", default: "50" },
      rounds: { type: "string", short: "r", default: "3" },
      keyspace: { type: "string", default: "0" },
      markdown: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return null;
  }
  const target = values.target;
  if (target !== "deno" && target !== "bun" && target !== "binary") {
    throw new Error(`--target must be deno, bun or binary, not ${target}`);
  }
  return {
    target,
    requests: positiveInt("--requests", values.requests),
    tests: listOf(values.tests).map((t) => t.toUpperCase()),
    pipelines: listOf(values.pipelines).map((p) =>
      positiveInt("--pipelines", p)
    ),
    clients: positiveInt("--clients", values.clients),
    rounds: positiveInt("--rounds", values.rounds),
    keyspace: values.keyspace === "0"
      ? 0
      : positiveInt("--keyspace", values.keyspace),
    markdown: values.markdown,
  };
}

async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  if (!options) return 0;
  if (options.target === "binary") {
    try {
      Deno.statSync(new URL("../dist/redeno", import.meta.url));
    } catch {
      throw new Error("dist/redeno is missing: run `make binary` first");
    }
  }
  const servers: RunningServer[] = [];
  const stopAll = () => Promise.all(servers.map((s) => s.stop()));
  const onInterrupt = async () => {
    try {
      runningBenchmark?.kill("SIGTERM");
    } catch {
      // already exited
    }
    await stopAll();
    process.exit(130);
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  Deno.addSignalListener("SIGTERM", onInterrupt);
  try {
    const redis = await startRedis();
    servers.push(redis);
    const redeno = await startRedeno([], options.target);
    servers.push(redeno);
    const started = new Date();
    const command = `deno task bench ${args.join(" ")}`.trim();
    console.error(
      `${command}\nredeno on ${options.target} (port ${redeno.port}), redis-server (port ${redis.port}), ` +
        `-c ${options.clients}, ${options.rounds} rounds, median req/s`,
    );
    const rows = await compare(
      options,
      redis,
      redeno,
      (line) => console.error(line),
    );
    if (options.markdown) {
      console.log(
        `\`${command}\` on ${started.toISOString().slice(0, 10)}, ` +
          `redeno on ${options.target}, -c ${options.clients}, ` +
          `median of ${options.rounds} alternating rounds\n`,
      );
    }
    console.log(formatTable(rows, options.markdown));
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    Deno.removeSignalListener("SIGTERM", onInterrupt);
    await stopAll();
  }
}

if (import.meta.main) {
  try {
    process.exit(await main(Deno.args));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
