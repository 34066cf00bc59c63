/**
 * CONFIG GET/SET against the real redis-server 7.0: exact reply bytes for
 * single-parameter replies and errors, and the same set of pairs for
 * patterns (Redis orders pattern matches by its hash table, so order is not
 * compared there).
 *
 * Parameters whose values legitimately differ are left out of the
 * comparisons: dir, port, bind, pidfile, logfile, daemonize, save (the
 * harness starts Redis with save ""), appendonly (idem) and activedefrag
 * (this Redis build refuses to enable it; redeno accepts it, inert).
 * @module
 */

import assert from "node:assert/strict";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import { RespMap, type RespValue } from "../../src/protocol/decoder.ts";
import { startRedeno, startRedis } from "../helpers/servers.ts";
import type { RespClient } from "../helpers/resp_client.ts";

const DIFFERENT = new Set([
  "dir",
  "port",
  "bind",
  "pidfile",
  "logfile",
  "daemonize",
  "save",
  "appendonly",
  "activedefrag",
]);

/** Calls whose exact reply bytes must match. */
const EXACT: string[][] = [
  ["CONFIG", "GET", "maxmemory"],
  ["CONFIG", "GET", "MAXMEMORY"],
  ["CONFIG", "GET", "slave-read-only"],
  ["CONFIG", "GET", "hash-max-ziplist-entries"],
  ["CONFIG", "GET", "Port-nope"],
  ["CONFIG", "GET", "timeout", "TIMEOUT"],
  ["CONFIG", "GET", "key-load-delay"],
  ["CONFIG", "GET", "key-load-*"],
  ["CONFIG", "GET", "client-output-buffer-limit"],
  ["CONFIG", "GET"],
  ["CONFIG", "SET", "maxmemory", "10mb"],
  ["CONFIG", "GET", "maxmemory"],
  ["CONFIG", "SET", "maxmemory", "0"],
  ["CONFIG", "SET", "maxmemory", "-1"],
  ["CONFIG", "SET", "maxmemory", "1x"],
  ["CONFIG", "SET", "timeout", "05"],
  ["CONFIG", "SET", "timeout", "-1"],
  ["CONFIG", "SET", "maxclients", "0"],
  ["CONFIG", "SET", "proto-max-bulk-len", "100"],
  ["CONFIG", "SET", "loglevel", "loud"],
  ["CONFIG", "SET", "LOGLEVEL", "Warning"],
  ["CONFIG", "GET", "loglevel"],
  ["CONFIG", "SET", "loglevel", "notice"],
  ["CONFIG", "SET", "foo", "bar"],
  ["CONFIG", "SET", "port", "1", "PORT", "2"],
  ["CONFIG", "SET", "databases", "3"],
  ["CONFIG", "SET", "databases", "3", "foo", "1"],
  ["CONFIG", "SET", "foo", "1", "databases", "3"],
  ["CONFIG", "SET", "dir", "/tmp"],
  ["CONFIG", "SET", "dbfilename", "x.rdb"],
  ["CONFIG", "SET", "slaveof", "127.0.0.1 1"],
  ["CONFIG", "SET", "Slave-Priority", "abc"],
  ["CONFIG", "SET", "slave-priority", "5", "replica-priority", "6"],
  ["CONFIG", "GET", "slave-priority"],
  ["CONFIG", "SET", "replica-priority", "100"],
  ["CONFIG", "SET", "port"],
  ["CONFIG", "SET", "timeout", "1", "x"],
  ["CONFIG", "SET", "timeout", "7", "tcp-keepalive", "abc"],
  ["CONFIG", "GET", "timeout"],
  ["CONFIG", "SET", "save", "1 2 3"],
  ["CONFIG", "SET", "notify-keyspace-events", "Kg$lshzxetmdnE"],
  ["CONFIG", "GET", "notify-keyspace-events"],
  ["CONFIG", "SET", "notify-keyspace-events", "Q"],
  ["CONFIG", "SET", "notify-keyspace-events", ""],
  [
    "CONFIG",
    "SET",
    "client-output-buffer-limit",
    "replica 1mb 2gb 5 pubsub 1k 2 3",
  ],
  ["CONFIG", "GET", "client-output-buffer-limit"],
  ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"],
  ["CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"],
  ["CONFIG", "SET", "client-output-buffer-limit", "normal 1x 2 3"],
  [
    "CONFIG",
    "SET",
    "client-output-buffer-limit",
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
  ],
  ["CONFIG", "SET", "maxmemory-clients", "5%"],
  ["CONFIG", "GET", "maxmemory-clients"],
  ["CONFIG", "SET", "maxmemory-clients", "200%"],
  ["CONFIG", "SET", "maxmemory-clients", "0"],
  ["CONFIG", "SET", "oom-score-adj-values", "1 2"],
  ["CONFIG", "SET", "oom-score-adj-values", "1 2 3000"],
  ["CONFIG", "SET", "latency-tracking-info-percentiles", "1.5 99.99 0"],
  ["CONFIG", "GET", "latency-tracking-info-percentiles"],
  ["CONFIG", "SET", "latency-tracking-info-percentiles", "101"],
  ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9"],
  ["CONFIG", "SET", "shutdown-on-sigint", "now save"],
  ["CONFIG", "GET", "shutdown-on-sigint"],
  ["CONFIG", "SET", "shutdown-on-sigint", "save nosave"],
  ["CONFIG", "SET", "shutdown-on-sigint", "default"],
  ["CONFIG", "SET", "hz", "1000"],
  ["CONFIG", "GET", "hz"],
  ["CONFIG", "SET", "hz", "10"],
  ["CONFIG", "SET", "oom-score-adj", "relative"],
  ["CONFIG", "GET", "oom-score-adj"],
  ["CONFIG", "SET", "oom-score-adj", "no"],
  ["CONFIG", "SET", "unixsocketperm", "700"],
  ["CONFIG", "HELP"],
  ["CONFIG", "NOPE"],
  ["CONFIG", "RESETSTAT"],
];

/** Patterns whose matches (minus DIFFERENT) must be the same pairs. */
const PATTERNS: string[][] = [
  ["*"],
  ["*max*"],
  ["slave*", "replica*"],
  ["hash-max-*", "zset-max-zip*"],
  ["[sp]ort", "p?rt"],
  ["*LIST*"],
  ["port", "p*"],
  ["maxmemory-p[^a]licy"],
  ["*\\-sync", "h\\z"],
];

function pairs(value: RespValue): Map<string, string> {
  const out = new Map<string, string>();
  if (value instanceof RespMap) {
    for (const [k, v] of value.entries) out.set(String(k), String(v));
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 2) {
      out.set(String(value[i]), String(value[i + 1]));
    }
  }
  // Names must match; values only where they can.
  for (const name of DIFFERENT) if (out.has(name)) out.set(name, "?");
  return out;
}

async function compare(redis: RespClient, redeno: RespClient, proto: 2 | 3) {
  await redis.call("HELLO", proto);
  await redeno.call("HELLO", proto);
  for (const argv of EXACT) {
    const want = bytesToBinary(await redis.callRaw(...argv));
    const got = bytesToBinary(await redeno.callRaw(...argv));
    assert.equal(got, want, `RESP${proto} ${argv.join(" ")}`);
  }
  for (const patterns of PATTERNS) {
    const argv = ["CONFIG", "GET", ...patterns];
    const want = pairs(await redis.call(...argv));
    const got = pairs(await redeno.call(...argv));
    assert.deepEqual(
      [...got].sort(),
      [...want].sort(),
      `RESP${proto} ${argv.join(" ")}`,
    );
    assert.ok(want.size > 0, `${argv.join(" ")} matches something`);
  }
}

Deno.test("CONFIG GET/SET replies match redis-server 7.0", async () => {
  const redis = await startRedis();
  const redeno = await startRedeno(["--save", "", "--appendonly", "no"]);
  const a = await redis.connect();
  const b = await redeno.connect();
  try {
    await compare(a, b, 2);
    await compare(a, b, 3);
  } finally {
    a.close();
    b.close();
    await redis.stop();
    await redeno.stop();
  }
});
