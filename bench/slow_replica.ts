/**
 * Memory of a primary during a full sync to a replica that reads slowly,
 * redeno against redis-server 7.0: the primary holds `-n` keys (DEBUG
 * POPULATE, default 1,000,000); a hand-driven replica sends PSYNC ? -1
 * (with `capa eof` for the diskless form) and reads the payload at `--rate`
 * bytes per second (default 8 MiB/s). The primary's RSS (VmRSS of its
 * process; for redis-server also its fork child's) is sampled every 50 ms.
 *
 *   deno run -A bench/slow_replica.ts [-n 1000000] [--rate 8388608] [--size 0]
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
    rate: { type: "string" },
    size: { type: "string" },
  },
});
const keys = Number(values.n ?? 1_000_000);
const rate = Number(values.rate ?? 8 << 20);
/** Value size for DEBUG POPULATE (0: its default); values are then stored uncompressed. */
const size = Number(values.size ?? 0);
const MiB = 1 << 20;

/** VmRSS of `pid` in bytes, 0 once it is gone. */
function rss(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The child processes of `pid` (redis-server's fork). */
function children(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`)
      .trim().split(/\s+/).filter((s) => s !== "").map(Number);
  } catch {
    return [];
  }
}

interface Result {
  before: number;
  peak: number;
  childPeak: number;
  payload: number;
  seconds: number;
}

/** Reads the sync's header, then the payload at `rate`, sampling memory. */
async function slowSync(
  server: RunningServer,
  diskless: boolean,
): Promise<Result> {
  const pid = server.process.pid;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const encoder = new TextEncoder();
  const before = rss(pid);
  let peak = before;
  let childPeak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss(pid));
    for (const child of children(pid)) {
      childPeak = Math.max(childPeak, rss(child));
    }
  }, 50);
  const started = performance.now();
  try {
    const buf = new Uint8Array(64 * 1024);
    if (diskless) {
      // PSYNC must wait for the reply: it refuses pending output.
      await conn.write(encoder.encode("REPLCONF capa eof\r\n"));
      let ok = 0;
      while (ok < 5) ok += (await conn.read(buf.subarray(0, 5 - ok))) ?? 5;
    }
    await conn.write(encoder.encode("PSYNC ? -1\r\n"));
    let text = "";
    let payload = 0;
    let mark = "";
    let length = -1;
    // The header, a line at a time (newlines before it are keepalives).
    while (length < 0 && !mark) {
      const n = await conn.read(buf.subarray(0, 1));
      if (n === null) throw new Error("closed");
      text += String.fromCharCode(buf[0]);
      const header = /\$(?:EOF:([0-9a-f]{40})|(\d+))\r\n$/.exec(text);
      if (header) {
        mark = header[1] ?? "";
        length = header[2] ? Number(header[2]) : -1;
      }
    }
    let tail = "";
    const slice = Math.max(1, Math.floor(rate / 20));
    for (;;) {
      const tick = performance.now();
      let got = 0;
      while (got < slice) {
        const n = await conn.read(
          buf.subarray(0, Math.min(buf.length, slice - got)),
        );
        if (n === null) throw new Error("closed");
        got += n;
        payload += n;
        if (mark) {
          tail = (tail +
            String.fromCharCode(...buf.subarray(Math.max(0, n - 40), n)))
            .slice(-40);
          if (tail === mark) break;
        } else if (payload >= length) break;
      }
      if (mark ? tail === mark : payload >= length) break;
      const wait = 50 - (performance.now() - tick);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return {
      before,
      peak,
      childPeak,
      payload,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    clearInterval(sampler);
    conn.close();
  }
}

async function populate(c: RespClient): Promise<void> {
  if (size > 0) await c.call("DEBUG", "POPULATE", keys, "key", size);
  else await c.call("DEBUG", "POPULATE", keys);
}

const rows: string[] = [];
for (const diskless of [false, true]) {
  for (
    const [name, start] of [["redis-server", startRedis], [
      "redeno",
      startRedeno,
    ]] as const
  ) {
    const dir = Deno.makeTempDirSync();
    const server = await start([
      "--enable-debug-command",
      "yes",
      "--dir",
      dir,
      "--repl-diskless-sync",
      diskless ? "yes" : "no",
      "--repl-diskless-sync-delay",
      "0",
      // Populated values are zero-padded: uncompressed, --size sets the RDB's.
      "--rdbcompression",
      size > 0 ? "no" : "yes",
    ]);
    const c = await server.connect();
    try {
      await populate(c);
      const r = await slowSync(server, diskless);
      rows.push(
        `| ${diskless ? "diskless" : "disk ($len)"} | ${name} | ${
          (r.payload / MiB).toFixed(1)
        } | ${r.seconds.toFixed(1)} | ${(r.before / MiB).toFixed(0)} | ${
          (r.peak / MiB).toFixed(0)
        } | ${((r.peak - r.before) / MiB).toFixed(0)} | ${
          r.childPeak ? (r.childPeak / MiB).toFixed(0) : "-"
        } |`,
      );
    } finally {
      c.close();
      await server.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  }
}

console.log(
  `deno run -A bench/slow_replica.ts -n ${keys} --rate ${rate}${
    size > 0 ? ` --size ${size}` : ""
  } on ${new Date().toISOString().slice(0, 10)}\n`,
);
console.log(
  "| form | primary | RDB (MiB) | sync (s) | RSS before (MiB) | RSS peak (MiB) | growth (MiB) | fork child peak (MiB) |",
);
console.log(
  "| ---- | ------- | --------: | -------: | ---------------: | -------------: | -----------: | --------------------: |",
);
for (const row of rows) console.log(row);
