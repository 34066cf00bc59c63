/**
 * Blocking pops with several clients: each scenario runs against redeno and
 * redis-server 7.0 and the reply bytes every client got must be identical.
 */

import assert from "node:assert/strict";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";

/** What a scenario may do: open clients, wait for blocked ones, log replies. */
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

/** Runs `body` against one server; returns its log. */
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

let redeno: RunningServer | undefined;
let redis: RunningServer | undefined;

/** Runs the scenario on both servers and compares the logs. */
function differential(name: string, body: (s: Scenario) => Promise<void>) {
  Deno.test(name, async () => {
    redeno ??= await startRedeno();
    redis ??= await startRedis();
    const expected = await run(redis, body);
    const actual = await run(redeno, body);
    assert.ok(expected.length > 0);
    assert.deepEqual(actual, expected);
  });
}

differential("waiters on one key are served in arrival order", async (s) => {
  const [a, b, c, pusher] = await Promise.all([
    s.connect(),
    s.connect(),
    s.connect(),
    s.connect(),
  ]);
  await a.write("BLPOP", "q", 0);
  await s.blocked(1);
  await b.write("BRPOP", "q", 0);
  await s.blocked(2);
  await c.write("BLPOP", "q", 0);
  await s.blocked(3);
  s.log("push", await pusher.callRaw("RPUSH", "q", "x", "y"));
  s.log("a", await next(a));
  s.log("b", await next(b));
  await s.blocked(1);
  s.log("push2", await pusher.callRaw("LPUSH", "q", "z"));
  s.log("c", await next(c));
  s.log("left", await pusher.callRaw("EXISTS", "q"));
});

differential("BLPOP on several keys takes the first non-empty", async (s) => {
  const [a, w] = await Promise.all([s.connect(), s.connect()]);
  s.log("push", await w.callRaw("RPUSH", "k2", "b1", "b2"));
  s.log("push", await w.callRaw("RPUSH", "k3", "c1"));
  s.log("now", await a.callRaw("BLPOP", "k1", "k2", "k3", 0));
  s.log(
    "mpop",
    await a.callRaw("BLMPOP", 0, 3, "k1", "k2", "k3", "RIGHT", "COUNT", 5),
  );
  s.log("mpop2", await a.callRaw("BLMPOP", 0, 2, "k1", "k3", "LEFT"));
  await a.write("BRPOP", "k1", "k2", 0);
  await s.blocked(1);
  s.log("push", await w.callRaw("RPUSH", "k2", "late1", "late2"));
  s.log("served", await next(a));
  s.log("rest", await w.callRaw("LRANGE", "k2", 0, -1));
});

differential("timeouts reply null in RESP2 and RESP3", async (s) => {
  const a = await s.connect();
  for (const proto of [2, 3]) {
    await a.callRaw("HELLO", proto);
    s.log(`blpop${proto}`, await a.callRaw("BLPOP", "none", 0.05));
    s.log(`brpop${proto}`, await a.callRaw("BRPOP", "none", "0.01"));
    s.log(
      `blmove${proto}`,
      await a.callRaw("BLMOVE", "none", "d", "LEFT", "RIGHT", 0.02),
    );
    s.log(
      `brpoplpush${proto}`,
      await a.callRaw("BRPOPLPUSH", "none", "d", 0.02),
    );
    s.log(`blmpop${proto}`, await a.callRaw("BLMPOP", 0.02, 1, "none", "LEFT"));
    s.log(`bzpopmin${proto}`, await a.callRaw("BZPOPMIN", "none", 0.02));
    s.log(`bzpopmax${proto}`, await a.callRaw("BZPOPMAX", "none", 0.02));
    s.log(`bzmpop${proto}`, await a.callRaw("BZMPOP", 0.02, 1, "none", "MIN"));
  }
});

differential("a fractional timeout waits about that long", async (s) => {
  const a = await s.connect();
  const started = performance.now();
  s.log("blpop", await a.callRaw("BLPOP", "none", 0.1));
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 95 && elapsed < 1000, `waited ${elapsed} ms`);
});

differential("timeout 0 waits until a push", async (s) => {
  const [a, w] = await Promise.all([s.connect(), s.connect()]);
  await a.write("BRPOPLPUSH", "src", "dst", 0);
  await s.blocked(1);
  await new Promise((r) => setTimeout(r, 150));
  s.log("push", await w.callRaw("RPUSH", "src", "v"));
  s.log("served", await next(a));
  s.log("dst", await w.callRaw("LRANGE", "dst", 0, -1));
  s.log("src", await w.callRaw("EXISTS", "src"));
});

differential("a chain of BLMOVE waiters is served by one push", async (s) => {
  const [a, b, w] = await Promise.all([s.connect(), s.connect(), s.connect()]);
  await a.write("BLMOVE", "list1", "list2", "LEFT", "RIGHT", 0);
  await s.blocked(1);
  await b.write("BLMOVE", "list2", "list3", "LEFT", "RIGHT", 0);
  await s.blocked(2);
  s.log("push", await w.callRaw("LPUSH", "list1", "e"));
  s.log("a", await next(a));
  s.log("b", await next(b));
  s.log("list3", await w.callRaw("LRANGE", "list3", 0, -1));
  s.log("others", await w.callRaw("EXISTS", "list1", "list2"));
});

differential("CLIENT UNBLOCK with TIMEOUT and ERROR", async (s) => {
  const [a, w] = await Promise.all([s.connect(), s.connect()]);
  const id = Number(await a.call("CLIENT", "ID"));
  await a.write("BLPOP", "q", 0);
  await s.blocked(1);
  s.log("unblock", await w.callRaw("CLIENT", "UNBLOCK", id));
  s.log("a", await next(a));
  await a.write("BZPOPMIN", "z", 0);
  await s.blocked(1);
  s.log("unblock", await w.callRaw("CLIENT", "UNBLOCK", id, "ERROR"));
  s.log("a", await next(a));
  s.log("again", await w.callRaw("CLIENT", "UNBLOCK", id));
  s.log("after", await a.callRaw("PING"));
});

differential("a disconnected waiter does not take an element", async (s) => {
  const [a, b, w] = await Promise.all([s.connect(), s.connect(), s.connect()]);
  await a.write("BLPOP", "q", 0);
  await s.blocked(1);
  await b.write("BLPOP", "q", 0);
  await s.blocked(2);
  a.close();
  await s.blocked(1);
  s.log("push", await w.callRaw("RPUSH", "q", "only"));
  s.log("b", await next(b));
  s.log("q", await w.callRaw("EXISTS", "q"));
});

differential("BZPOPMIN, BZPOPMAX and BZMPOP are served by ZADD", async (s) => {
  const [a, b, c, w] = await Promise.all([
    s.connect(),
    s.connect(),
    s.connect(),
    s.connect(),
  ]);
  await c.callRaw("HELLO", 3);
  await a.write("BZPOPMIN", "z1", "z", 0);
  await s.blocked(1);
  await b.write("BZMPOP", 0, 1, "z", "MAX", "COUNT", 2);
  await s.blocked(2);
  await c.write("BZPOPMAX", "z", 0);
  await s.blocked(3);
  s.log(
    "zadd",
    await w.callRaw(
      "ZADD",
      "z",
      1,
      "a",
      2,
      "b",
      3,
      "c",
      4,
      "d",
      5,
      "e",
      6,
      "f",
    ),
  );
  s.log("a", await next(a));
  s.log("b", await next(b));
  s.log("c", await next(c));
  s.log("now", await a.callRaw("BZPOPMIN", "z", 0));
  s.log("now3", await c.callRaw("BZMPOP", 0, 1, "z", "MIN"));
});

differential("a key of the wrong type keeps waiters blocked", async (s) => {
  const [a, b, w] = await Promise.all([s.connect(), s.connect(), s.connect()]);
  await a.write("BLPOP", "k", 0);
  await s.blocked(1);
  s.log("set", await w.callRaw("SET", "k", "str"));
  s.log("zadd-other", await w.callRaw("ZADD", "z", 1, "m"));
  await b.write("BZPOPMIN", "k2", 0);
  await s.blocked(2);
  s.log("list-on-zset-key", await w.callRaw("RPUSH", "k2", "x"));
  s.log("del", await w.callRaw("DEL", "k", "k2"));
  s.log("push", await w.callRaw("RPUSH", "k", "v"));
  s.log("a", await next(a));
  s.log("zadd", await w.callRaw("ZADD", "k2", 5, "m"));
  s.log("b", await next(b));
  await a.write("BLMOVE", "src", "dst", "LEFT", "LEFT", 0);
  await s.blocked(1);
  s.log("dst", await w.callRaw("SET", "dst", "string"));
  s.log("push", await w.callRaw("RPUSH", "src", "e"));
  s.log("a", await next(a));
  s.log("src", await w.callRaw("LRANGE", "src", 0, -1));
});

differential("RENAME and SWAPDB make keys ready", async (s) => {
  const [a, b, w] = await Promise.all([s.connect(), s.connect(), s.connect()]);
  await a.write("BLPOP", "target", 0);
  await s.blocked(1);
  s.log("push", await w.callRaw("RPUSH", "tmp", "r"));
  s.log("rename", await w.callRaw("RENAME", "tmp", "target"));
  s.log("a", await next(a));
  await b.write("BLPOP", "other", 0);
  await s.blocked(1);
  s.log("select", await w.callRaw("SELECT", 1));
  s.log("push", await w.callRaw("RPUSH", "other", "s"));
  s.log("swap", await w.callRaw("SWAPDB", 0, 1));
  s.log("b", await next(b));
  s.log("info", await w.callRaw("FLUSHALL"));
});

differential("keys created by STORE forms wake waiters", async (s) => {
  const [a, b, w] = await Promise.all([s.connect(), s.connect(), s.connect()]);
  await w.call("RPUSH", "src", "3", "1", "2");
  await w.call("GEOADD", "places", "13.361389", "38.115556", "Palermo");
  await a.write("BLPOP", "sorted", 0);
  await s.blocked(1);
  s.log("sort", await w.callRaw("SORT", "src", "STORE", "sorted"));
  s.log("a", await next(a));
  await b.write("BZPOPMIN", "near", 0);
  await s.blocked(1);
  s.log(
    "geo",
    await w.callRaw(
      "GEOSEARCHSTORE",
      "near",
      "places",
      "FROMLONLAT",
      "13",
      "38",
      "BYRADIUS",
      "200",
      "km",
    ),
  );
  s.log("b", await next(b));
});

Deno.test({
  name: "stop blocking test servers",
  async fn() {
    await redeno?.stop();
    await redis?.stop();
  },
});
