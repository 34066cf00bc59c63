/**
 * Streams with several clients: consumer groups shared by consumers
 * (reading, acking, claiming, pending counts) and blocked readers woken by
 * writers. Each scenario runs against redeno and redis-server 7.0 and the
 * reply bytes every client got must be identical.
 */

import assert from "node:assert/strict";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";

interface Scenario {
  connect(): Promise<RespClient>;
  /** Resolves once `n` clients are blocked (INFO blocked_clients). */
  blocked(n: number): Promise<void>;
  /** Records a reply's exact bytes under a label. */
  log(label: string, bytes: Uint8Array): void;
}

/** Reads the next reply of `client` as bytes, failing after 3 s. */
async function next(client: RespClient): Promise<Uint8Array> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no reply within 3 s")), 3000);
  });
  try {
    return (await Promise.race([client.readWithBytes(), timeout])).bytes;
  } finally {
    clearTimeout(timer);
  }
}

async function run(
  server: RunningServer,
  body: (s: Scenario) => Promise<void>,
): Promise<string[]> {
  const clients: RespClient[] = [];
  const lines: string[] = [];
  const admin = await server.connect();
  clients.push(admin);
  await admin.call("FLUSHALL");
  const scenario: Scenario = {
    async connect() {
      const c = await server.connect();
      clients.push(c);
      return c;
    },
    async blocked(n) {
      for (let i = 0; i < 300; i++) {
        const info = String(await admin.call("INFO", "clients"));
        if (info.includes(`blocked_clients:${n}\r\n`)) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`never saw ${n} blocked clients`);
    },
    log(label, bytes) {
      lines.push(`${label}: ${JSON.stringify(bytesToBinary(bytes))}`);
    },
  };
  try {
    await body(scenario);
  } finally {
    for (const c of clients) c.close();
  }
  return lines;
}

const DEBUG_ARGS = ["--enable-debug-command", "yes"];
/** XPENDING rows with their idle times (which differ by timing) blanked. */
function withoutIdle(bytes: Uint8Array): Uint8Array {
  const text = bytesToBinary(bytes).replace(
    /(\*4\r\n\$\d+\r\n[^\r]+\r\n\$\d+\r\n[^\r]*\r\n):\d+/g,
    "$1:idle",
  );
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

let redeno: RunningServer | undefined;
let redis: RunningServer | undefined;

function differential(name: string, body: (s: Scenario) => Promise<void>) {
  Deno.test(name, async () => {
    redeno ??= await startRedeno(DEBUG_ARGS);
    redis ??= await startRedis(DEBUG_ARGS);
    const expected = await run(redis, body);
    const actual = await run(redeno, body);
    assert.ok(expected.length > 0);
    assert.deepEqual(actual, expected);
  });
}

differential(
  "consumers share a group: read, ack, claim, pending counts",
  async (s) => {
    const [w, a, b, c] = await Promise.all([
      s.connect(),
      s.connect(),
      s.connect(),
      s.connect(),
    ]);
    s.log(
      "create",
      await w.callRaw("XGROUP", "CREATE", "jobs", "g", "$", "MKSTREAM"),
    );
    for (let i = 1; i <= 20; i++) {
      await w.callRaw("XADD", "jobs", `${i}-0`, "job", String(i));
    }
    const consumers: [string, RespClient][] = [["a", a], ["b", b], ["c", c]];
    for (let round = 0; round < 3; round++) {
      for (const [name, client] of consumers) {
        s.log(
          `read ${name}`,
          await client.callRaw(
            "XREADGROUP",
            "GROUP",
            "g",
            name,
            "COUNT",
            2,
            "STREAMS",
            "jobs",
            ">",
          ),
        );
      }
    }
    s.log(
      "ack",
      await a.callRaw("XACK", "jobs", "g", "1-0", "2-0", "7-0", "99-0"),
    );
    s.log("ack b", await b.callRaw("XACK", "jobs", "g", "3-0"));
    s.log("summary", await w.callRaw("XPENDING", "jobs", "g"));
    s.log(
      "history a",
      await a.callRaw("XREADGROUP", "GROUP", "g", "a", "STREAMS", "jobs", "0"),
    );
    s.log(
      "claim",
      await c.callRaw(
        "XCLAIM",
        "jobs",
        "g",
        "c",
        "0",
        "4-0",
        "8-0",
        "9-0",
        "JUSTID",
      ),
    );
    s.log("summary", await w.callRaw("XPENDING", "jobs", "g"));
    s.log(
      "mine",
      withoutIdle(await w.callRaw("XPENDING", "jobs", "g", "-", "+", 100, "c")),
    );
    await w.callRaw("XDEL", "jobs", "10-0", "11-0");
    s.log(
      "autoclaim",
      await a.callRaw(
        "XAUTOCLAIM",
        "jobs",
        "g",
        "a",
        "0",
        "0",
        "COUNT",
        4,
        "JUSTID",
      ),
    );
    s.log(
      "autoclaim more",
      await a.callRaw("XAUTOCLAIM", "jobs", "g", "a", "0", "0", "COUNT", 100),
    );
    s.log("summary", await w.callRaw("XPENDING", "jobs", "g"));
    s.log("groups", await w.callRaw("XINFO", "GROUPS", "jobs"));
    s.log("del b", await w.callRaw("XGROUP", "DELCONSUMER", "jobs", "g", "b"));
    s.log("summary", await w.callRaw("XPENDING", "jobs", "g"));
    s.log(
      "rest",
      await c.callRaw("XREADGROUP", "GROUP", "g", "c", "STREAMS", "jobs", ">"),
    );
    s.log("groups", await w.callRaw("XINFO", "GROUPS", "jobs"));
  },
);

differential(
  "blocked group readers are served one entry each, in arrival order",
  async (s) => {
    const w = await s.connect();
    const readers = await Promise.all([1, 2, 3, 4].map(() => s.connect()));
    await w.callRaw("XGROUP", "CREATE", "q", "g", "$", "MKSTREAM");
    for (let i = 0; i < readers.length; i++) {
      await readers[i].write(
        "XREADGROUP",
        "GROUP",
        "g",
        `r${i}`,
        "BLOCK",
        0,
        "STREAMS",
        "q",
        ">",
      );
      await s.blocked(i + 1);
    }
    for (let i = 1; i <= 3; i++) {
      s.log("add", await w.callRaw("XADD", "q", `${i}-1`, "n", String(i)));
      s.log(`r${i - 1}`, await next(readers[i - 1]));
    }
    await s.blocked(1);
    s.log("summary", await w.callRaw("XPENDING", "q", "g"));
    s.log("destroy", await w.callRaw("XGROUP", "DESTROY", "q", "g"));
    s.log("r3", await next(readers[3]));
  },
);

differential(
  "blocked XREAD readers all see the same new entries",
  async (s) => {
    const w = await s.connect();
    const readers = await Promise.all([1, 2, 3].map(() => s.connect()));
    await w.callRaw("XADD", "a", "1-1", "old", "1");
    await readers[0].write("XREAD", "BLOCK", 0, "STREAMS", "a", "b", "$", "$");
    await s.blocked(1);
    await readers[1].write(
      "XREAD",
      "BLOCK",
      0,
      "COUNT",
      1,
      "STREAMS",
      "b",
      "0",
    );
    await s.blocked(2);
    await readers[2].callRaw("HELLO", 3);
    await readers[2].write("XREAD", "BLOCK", 0, "STREAMS", "a", "$");
    await s.blocked(3);
    // One transaction-free pipeline: both entries land before anyone is served.
    await w.write("XADD", "b", "5-1", "x", "1");
    await w.write("XADD", "b", "5-2", "x", "2");
    s.log("add", await next(w));
    s.log("add", await next(w));
    s.log("r0", await next(readers[0]));
    s.log("r1", await next(readers[1]));
    s.log("add a", await w.callRaw("XADD", "a", "2-1", "new", "1"));
    s.log("r2", await next(readers[2]));
  },
);

differential(
  "XREADGROUP BLOCK adds to the PEL only what it delivers",
  async (s) => {
    const [w, r] = await Promise.all([s.connect(), s.connect()]);
    await w.callRaw("XGROUP", "CREATE", "p", "g", "$", "MKSTREAM");
    await r.write(
      "XREADGROUP",
      "GROUP",
      "g",
      "c",
      "COUNT",
      2,
      "BLOCK",
      0,
      "STREAMS",
      "p",
      ">",
    );
    await s.blocked(1);
    await w.write("XADD", "p", "1-1", "a", "1");
    for (let i = 2; i <= 5; i++) await w.write("XADD", "p", `${i}-1`, "a", "1");
    for (let i = 1; i <= 5; i++) s.log("add", await next(w));
    s.log("served", await next(r));
    s.log("summary", await w.callRaw("XPENDING", "p", "g"));
    s.log("groups", await w.callRaw("XINFO", "GROUPS", "p"));
  },
);

differential("pages through 5,000 entries with exclusive ranges", async (s) => {
  const w = await s.connect();
  for (let i = 1; i <= 5000; i++) {
    await w.write(
      "XADD",
      "big",
      `${1000 + (i >> 3)}-${i & 7}`,
      "i",
      String(i),
      "pad",
      "x".repeat(i % 50),
    );
  }
  for (let i = 1; i <= 5000; i++) await w.readWithBytes();
  s.log("len", await w.callRaw("XLEN", "big"));
  let cursor = "-";
  for (let page = 0; page < 5; page++) {
    const bytes = await w.callRaw("XRANGE", "big", cursor, "+", "COUNT", 1000);
    s.log("page", bytes);
    const text = bytesToBinary(bytes);
    const ids = [...text.matchAll(/\r\n\$\d+\r\n(\d+-\d+)\r\n\*4/g)];
    cursor = `(${ids[ids.length - 1][1]}`;
  }
  s.log("rev", await w.callRaw("XREVRANGE", "big", "+", "(1500", "COUNT", 3));
  s.log("trim", await w.callRaw("XTRIM", "big", "MAXLEN", "~", 1234));
  s.log("info", await w.callRaw("XINFO", "STREAM", "big"));
  s.log("digest", await w.callRaw("DEBUG", "DIGEST-VALUE", "big"));
});

Deno.test({
  name: "stop the servers",
  fn: async () => {
    await Promise.all([redeno?.stop(), redis?.stop()]);
  },
});
