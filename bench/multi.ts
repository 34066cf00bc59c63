/**
 * MULTI/EXEC of 10 commands, redeno against redis-server 7.0.
 *
 * redis-benchmark sends one command per request, so this drives the
 * transactions itself: `--clients` connections each send MULTI, ten INCRs on
 * ten keys and EXEC, `--pipeline` transactions at a time, and wait for the
 * replies before sending more. Replies are not parsed, only counted by their
 * line ends (every reply here is one line, and EXEC's array is 1 + 10), which
 * keeps the driver cheap next to the servers it measures. Each round runs
 * both servers, alternating which goes first; the median transactions/s of
 * each is reported with the ratio redeno/redis.
 *
 * ```sh
 * deno run -A bench/multi.ts [--transactions 50000] [--clients 50] [--pipeline 1] [--rounds 3] [--target deno|bun|binary] [--markdown]
 * ```
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
import { formatTable, median } from "./compare.ts";

/** Commands inside each transaction. */
const WIDTH = 10;
/** Reply lines per transaction: +OK, ten +QUEUED, EXEC's header and its ten integers. */
const LINES_PER_TRANSACTION = 1 + WIDTH + 1 + WIDTH;

/** The bytes of one MULTI, ten INCRs and EXEC. */
function transactionBytes(): Uint8Array {
  const frames = [
    encodeCommand(["MULTI"]),
    ...Array.from(
      { length: WIDTH },
      (_, k) => encodeCommand(["INCR", `bench:counter:${k}`]),
    ),
    encodeCommand(["EXEC"]),
  ];
  const bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const frame of frames) {
    bytes.set(frame, at);
    at += frame.length;
  }
  return bytes;
}

/** Sends `count` transactions, `pipeline` at a time, on one connection. */
async function drive(
  port: number,
  count: number,
  pipeline: number,
): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const one = transactionBytes();
  const batch = new Uint8Array(one.length * pipeline);
  for (let i = 0; i < pipeline; i++) batch.set(one, i * one.length);
  const buf = new Uint8Array(64 * 1024);
  try {
    for (let sent = 0; sent < count; sent += pipeline) {
      const n = Math.min(pipeline, count - sent);
      const bytes = batch.subarray(0, n * one.length);
      for (let off = 0; off < bytes.length;) {
        off += await conn.write(bytes.subarray(off));
      }
      let lines = n * LINES_PER_TRANSACTION;
      while (lines > 0) {
        const read = await conn.read(buf);
        if (read === null) throw new Error("server closed the connection");
        for (let i = 0; i < read; i++) if (buf[i] === 10) lines--;
      }
    }
  } finally {
    conn.close();
  }
}

/** Transactions per second for one run against `server`. */
async function measure(
  server: RunningServer,
  transactions: number,
  clients: number,
  pipeline: number,
): Promise<number> {
  const each = Math.ceil(transactions / clients);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, () => drive(server.port, each, pipeline)),
  );
  return (each * clients) / ((performance.now() - started) / 1000);
}

const { values } = parseArgs({
  options: {
    transactions: { type: "string", default: "50000" },
    clients: { type: "string", default: "50" },
    pipeline: { type: "string", default: "1" },
    rounds: { type: "string", default: "3" },
    target: { type: "string", default: "deno" },
    markdown: { type: "boolean", default: false },
  },
});
const transactions = Number(values.transactions);
const clients = Number(values.clients);
const pipeline = Number(values.pipeline);
const rounds = Number(values.rounds);

const redeno = await startRedeno([], values.target as Target);
const redis = await startRedis();
try {
  const results = { redeno: [] as number[], redis: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0
      ? [["redeno", redeno], ["redis", redis]] as const
      : [["redis", redis], ["redeno", redeno]] as const;
    for (const [name, server] of order) {
      results[name].push(
        await measure(server, transactions, clients, pipeline),
      );
    }
  }
  const redenoRate = median(results.redeno);
  const redisRate = median(results.redis);
  // The req/s columns count transactions, each of 12 commands.
  console.log(formatTable([{
    test: `MULTI + ${WIDTH} INCR + EXEC (-c ${clients})`,
    pipeline,
    redeno: redenoRate,
    redis: redisRate,
  }], values.markdown));
} finally {
  await redeno.stop();
  await redis.stop();
}
