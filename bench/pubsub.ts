/**
 * PUBLISH to 100 subscribers, redeno against redis-server 7.0.
 *
 * redis-benchmark cannot subscribe, so this opens the subscribers itself:
 * sockets that SUBSCRIBE to one channel and count the bytes they receive
 * (every message frame has the same size, so bytes tell messages). Then
 * redis-benchmark runs `PUBLISH bench:ch <payload>` against the server, and
 * the run ends when every subscriber has received every message. It prints
 * the publisher's req/s (redis-benchmark) and the delivery rate (messages
 * published per second until the last subscriber had them all) for each
 * server, median of alternating rounds, and the ratios.
 *
 * ```sh
 * deno run -A bench/pubsub.ts                       # 100 subscribers, redeno on deno
 * deno run -A bench/pubsub.ts --subscribers 100 -n 100000 -P 1 --rounds 3
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import {
  type RunningServer,
  startRedeno,
  startRedis,
  type Target,
} from "../tests/helpers/servers.ts";

const { values: opts } = parseArgs({
  options: {
    subscribers: { type: "string", default: "100" },
    requests: { type: "string", short: "n", default: "100000" },
    pipeline: { type: "string", short: "P", default: "1" },
    clients: { type: "string", short: "c", default: "50" },
    rounds: { type: "string", short: "r", default: "3" },
    size: { type: "string", short: "d", default: "16" },
    target: { type: "string", default: "deno" },
  },
});

const SUBSCRIBERS = Number(opts.subscribers);
const REQUESTS = Number(opts.requests);
const CHANNEL = "bench:ch";
const PAYLOAD = "x".repeat(Number(opts.size));
/** `*3 $7 message $8 bench:ch $N payload` as RESP2 sends it. */
const FRAME_BYTES =
  `*3\r\n$7\r\nmessage\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n$${PAYLOAD.length}\r\n${PAYLOAD}\r\n`
    .length;
const CONFIRM_BYTES =
  `*3\r\n$9\r\nsubscribe\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n:1\r\n`.length;

/** A subscriber socket counting what it receives. */
class Subscriber {
  received = 0;
  private waiting: { bytes: number; resolve: () => void } | undefined;
  private constructor(private readonly conn: Deno.Conn) {
    this.pump();
  }

  static async open(port: number): Promise<Subscriber> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const command =
      `*2\r\n$9\r\nSUBSCRIBE\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n`;
    await conn.write(new TextEncoder().encode(command));
    const sub = new Subscriber(conn);
    await sub.until(CONFIRM_BYTES);
    return sub;
  }

  private async pump(): Promise<void> {
    const buf = new Uint8Array(256 * 1024);
    try {
      while (true) {
        const n = await this.conn.read(buf);
        if (n === null) return;
        this.received += n;
        if (this.waiting && this.received >= this.waiting.bytes) {
          this.waiting.resolve();
          this.waiting = undefined;
        }
      }
    } catch {
      // closed by close()
    }
  }

  /** Resolves once `bytes` in total have arrived. */
  until(bytes: number): Promise<void> {
    if (this.received >= bytes) return Promise.resolve();
    return new Promise((resolve) => (this.waiting = { bytes, resolve }));
  }

  close(): void {
    this.conn.close();
  }
}

interface Run {
  publishRps: number;
  deliveredPerSec: number;
}

/** One round against one server: fresh subscribers, one redis-benchmark run. */
async function runOnce(server: RunningServer): Promise<Run> {
  const subs: Subscriber[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    subs.push(await Subscriber.open(server.port));
  }
  const started = performance.now();
  const bench = await new Deno.Command("redis-benchmark", {
    args: [
      "-h",
      "127.0.0.1",
      "-p",
      String(server.port),
      "-c",
      opts.clients!,
      "-n",
      String(REQUESTS),
      "-P",
      opts.pipeline!,
      "--csv",
      "PUBLISH",
      CHANNEL,
      PAYLOAD,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const expected = CONFIRM_BYTES + REQUESTS * FRAME_BYTES;
  await Promise.all(subs.map((s) => s.until(expected)));
  const elapsed = (performance.now() - started) / 1000;
  for (const s of subs) s.close();
  const csv = new TextDecoder().decode(bench.stdout).trim().split("\n");
  const rps = Number(csv[csv.length - 1].split(",")[1].replaceAll('"', ""));
  return { publishRps: rps, deliveredPerSec: REQUESTS / elapsed };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const redis = await startRedis();
const redeno = await startRedeno([], opts.target as Target);
const results = { redis: [] as Run[], redeno: [] as Run[] };
try {
  for (let round = 0; round < Number(opts.rounds); round++) {
    // Alternate which server goes first, as bench/compare.ts does.
    const order = round % 2 === 0
      ? [["redis", redis], ["redeno", redeno]] as const
      : [["redeno", redeno], ["redis", redis]] as const;
    for (const [name, server] of order) {
      results[name].push(await runOnce(server));
    }
  }
} finally {
  await redis.stop();
  await redeno.stop();
}

const pick = (runs: Run[], key: keyof Run) => median(runs.map((r) => r[key]));
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const command =
  `deno run -A bench/pubsub.ts --subscribers ${SUBSCRIBERS} -n ${REQUESTS} -P ${opts.pipeline} -c ${opts.clients} -d ${PAYLOAD.length} -r ${opts.rounds} --target ${opts.target}`;
console.log(
  `\`${command}\` on ${
    new Date().toISOString().slice(0, 10)
  }, median of ${opts.rounds} alternating rounds\n`,
);
console.log("| measure | redis | redeno | redeno/redis |");
console.log("| ------- | ----: | -----: | -----------: |");
for (
  const [label, key] of [
    ["PUBLISH req/s (redis-benchmark)", "publishRps"],
    [`messages/s delivered to all ${SUBSCRIBERS}`, "deliveredPerSec"],
  ] as const
) {
  const a = pick(results.redis, key);
  const b = pick(results.redeno, key);
  console.log(`| ${label} | ${fmt(a)} | ${fmt(b)} | ${(b / a).toFixed(2)} |`);
}
