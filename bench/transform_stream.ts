/**
 * Keeps the DESIGN.md choice measured: the same RequestDecoder fed directly
 * from a reused read buffer (the server's hot loop) versus fed through
 * `conn.readable.pipeThrough(new RespDecoderStream({ mode: "request" }))`.
 *
 * Both are tiny in-process PING servers (Deno.listen on free ports on
 * 127.0.0.1) that write one reply batch per read. redis-benchmark runs
 * PING_MBULK against each in turn, several alternating rounds, and the median
 * req/s of each is printed with the ratio stream/direct.
 *
 * ```sh
 * deno run -A bench/transform_stream.ts [-n 100000] [--rounds 3] [--markdown]
 * ```
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { RequestDecoder, RespDecoderStream } from "../src/protocol/decoder.ts";
import { READ_BUFFER_SIZE } from "../src/net/types.ts";
import { median, runBenchmark } from "./compare.ts";

const PONG = new TextEncoder().encode("+PONG\r\n");
const UNKNOWN = new TextEncoder().encode("-ERR only PING here\r\n");

/** Appends the reply to `argv` to `out`; this bench's servers only know PING. */
function reply(argv: string[], out: Uint8Array[]): void {
  out.push(argv[0]?.toUpperCase() === "PING" ? PONG : UNKNOWN);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The server's hot loop: read into one buffer, push, drain `next()`, write once. */
async function serveDirect(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const decoder = new RequestDecoder();
  const buf = new Uint8Array(READ_BUFFER_SIZE);
  const out: Uint8Array[] = [];
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      decoder.push(buf.subarray(0, n));
      for (let argv = decoder.next(); argv; argv = decoder.next()) {
        reply(argv, out);
      }
      decoder.retain();
      if (out.length > 0) {
        await conn.write(concat(out));
        out.length = 0;
      }
    }
  } catch {
    // reset by peer
  }
  conn.close();
}

/**
 * The stream path. The decoder enqueues every command of a chunk at once, so
 * replies are written when the reader would wait: a read that has not settled
 * after one microtask means the queue is empty and this batch is complete.
 */
async function serveStream(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const commands = conn.readable.pipeThrough(
    new RespDecoderStream<string[]>({ mode: "request" }),
  );
  const reader = commands.getReader();
  const out: Uint8Array[] = [];
  try {
    while (true) {
      const next = reader.read();
      let settled = false;
      next.then(() => (settled = true), () => (settled = true));
      await null;
      if (!settled && out.length > 0) {
        await conn.write(concat(out));
        out.length = 0;
      }
      const { value, done } = await next;
      if (done) break;
      reply(value, out);
    }
  } catch {
    // reset by peer
  }
  try {
    conn.close();
  } catch {
    // the stream closed it
  }
}

/** Listens on a free port and serves every connection with `serve`. */
function listen(serve: (conn: Deno.TcpConn) => Promise<void>): Deno.Listener {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    try {
      for await (const conn of listener) serve(conn as Deno.TcpConn);
    } catch {
      // listener closed
    }
  })();
  return listener;
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      requests: { type: "string", short: "n", default: "100000" },
      rounds: { type: "string", short: "r", default: "3" },
      clients: { type: "string", short: "c", default: "50" },
      markdown: { type: "boolean", default: false },
    },
  });
  const requests = Number(values.requests);
  const rounds = Number(values.rounds);
  const clients = Number(values.clients);
  const servers = {
    direct: listen(serveDirect),
    stream: listen(serveStream),
  };
  const portOf = (l: Deno.Listener) => (l.addr as Deno.NetAddr).port;
  const rows: string[][] = [];
  try {
    for (const pipeline of [1, 16]) {
      const n = requests * (pipeline > 1 ? 10 : 1);
      const samples = { direct: [] as number[], stream: [] as number[] };
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0
          ? ["direct", "stream"] as const
          : ["stream", "direct"] as const;
        for (const name of order) {
          const result = await runBenchmark(
            portOf(servers[name]),
            "PING_MBULK",
            pipeline,
            n,
            clients,
          );
          const rps = result.get("PING_MBULK")!;
          samples[name].push(rps);
          console.error(`  PING_MBULK -P ${pipeline} ${name}: ${rps}`);
        }
      }
      const direct = median(samples.direct);
      const stream = median(samples.stream);
      rows.push([
        `PING_MBULK -P ${pipeline}`,
        Math.round(direct).toLocaleString("en-US"),
        Math.round(stream).toLocaleString("en-US"),
        (stream / direct).toFixed(2),
      ]);
    }
  } finally {
    servers.direct.close();
    servers.stream.close();
  }
  const header = ["test", "direct req/s", "stream req/s", "stream/direct"];
  if (values.markdown) {
    console.log(`| ${header.join(" | ")} |`);
    console.log(`| --- | ---: | ---: | ---: |`);
    for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  } else {
    const widths = header.map((h, i) =>
      Math.max(h.length, ...rows.map((r) => r[i].length))
    );
    for (const row of [header, ...rows]) {
      console.log(
        row.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))
          .join("  "),
      );
    }
  }
  return 0;
}

if (import.meta.main) {
  try {
    process.exit(await main(Deno.args));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
