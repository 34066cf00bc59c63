/**
 * INFO, TIME, DBSIZE, FLUSHDB and FLUSHALL over TCP: INFO's sections and
 * field names in Redis 7.0's order (checked against a real redis-server),
 * and values that follow what the server did.
 * @module
 */

import assert from "node:assert/strict";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import { assertSameReplies, type RespClient } from "../helpers/resp_client.ts";
import { startRedeno, startRedis } from "../helpers/servers.ts";

/** Section titles of an INFO reply. */
function titles(text: string): string[] {
  return text.split("\r\n").filter((l) => l.startsWith("# "));
}

/** INFO text parsed into field -> value, in order. */
function infoFields(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    map.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return map;
}

async function info(client: RespClient, ...sections: string[]) {
  return String(await client.call("INFO", ...sections));
}

/** Sections whose fields are fixed (the others list commands, errors, databases). */
const FIXED_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "cluster",
];

/** Fields redeno adds to the server section. */
const REDENO_FIELDS = new Set(["redeno_version", "runtime"]);

Deno.test("INFO sections and field names follow Redis 7.0", async () => {
  const [redeno, redis] = await Promise.all([startRedeno(), startRedis()]);
  const [a, b] = await Promise.all([redeno.connect(), redis.connect()]);
  try {
    for (
      const args of [
        [],
        ["default"],
        ["server", "clients"],
        ["CLIENTS", "server"],
        ["nosuch"],
        ["modules"],
      ]
    ) {
      assert.deepEqual(
        titles(await info(a, ...args)),
        titles(await info(b, ...args)),
        `INFO ${args.join(" ")}`,
      );
    }
    // Latency percentiles are not kept, so `all` lacks only that section.
    for (const arg of ["all", "everything"]) {
      assert.deepEqual(
        titles(await info(a, arg)),
        titles(await info(b, arg)).filter((t) => t !== "# Latencystats"),
      );
    }
    for (const section of FIXED_SECTIONS) {
      const ours = [...infoFields(await info(a, section)).keys()]
        .filter((f) => !REDENO_FIELDS.has(f));
      const theirs = [...infoFields(await info(b, section)).keys()];
      assert.deepEqual(ours, theirs, `fields of INFO ${section}`);
    }
    assert.equal(
      bytesToBinary(await a.callRaw("INFO", "cluster")),
      bytesToBinary(await b.callRaw("INFO", "cluster")),
    );
    assert.equal(
      bytesToBinary(await a.callRaw("INFO", "nosuch")),
      bytesToBinary(await b.callRaw("INFO", "nosuch")),
    );
    assert.equal(
      bytesToBinary(await a.callRaw("INFO", "keyspace")),
      "$12\r\n# Keyspace\r\n\r\n",
    );
    await a.call("HELLO", "3");
    await b.call("HELLO", "3");
    assert.equal(
      bytesToBinary(await a.callRaw("INFO", "modules")),
      bytesToBinary(await b.callRaw("INFO", "modules")),
    );
  } finally {
    a.close();
    b.close();
    await Promise.all([redeno.stop(), redis.stop()]);
  }
});

Deno.test("INFO values follow the server's state", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  const other = await server.connect();
  try {
    await client.call("SET", "a", "1");
    await client.call("SET", "b", "2");
    await client.call("GET", "a");
    await client.call("GET", "nosuch");
    await client.call("GET");
    await client.call("SELECT", "x");
    await client.call("SELECT", "3");
    await client.call("SET", "c", "3");
    await client.call("SELECT", "0");
    // A burst for instantaneous_ops_per_sec, which the cron samples: after
    // its first sample, which only sets the baseline.
    await new Promise((r) => setTimeout(r, 250));
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < 50; j++) await client.write("PING");
      for (let j = 0; j < 50; j++) await client.read();
    }
    await new Promise((r) => setTimeout(r, 250));
    const f = infoFields(await info(client, "everything"));
    assert.equal(f.get("redis_version"), "7.0.15");
    assert.match(f.get("redeno_version")!, /^\d+\.\d+\.\d+/);
    assert.match(f.get("runtime")!, /^(deno|bun) /);
    assert.equal(f.get("tcp_port"), String(server.port));
    assert.match(f.get("run_id")!, /^[0-9a-f]{40}$/);
    assert.match(f.get("master_replid")!, /^[0-9a-f]{40}$/);
    assert.notEqual(f.get("master_replid"), f.get("run_id"));
    assert.equal(f.get("role"), "master");
    assert.equal(f.get("connected_slaves"), "0");
    assert.equal(f.get("connected_clients"), "2");
    assert.equal(f.get("maxclients"), "10000");
    assert.ok(Number(f.get("total_connections_received")) >= 2);
    assert.ok(Number(f.get("total_commands_processed")) >= 1007);
    assert.ok(Number(f.get("instantaneous_ops_per_sec")) > 0);
    assert.ok(Number(f.get("used_memory")) > 0);
    assert.ok(Number(f.get("used_memory_rss")) > 0);
    assert.match(f.get("used_cpu_user")!, /^\d+\.\d{6}$/);
    assert.ok(Number(f.get("uptime_in_seconds")) >= 0);
    assert.equal(f.get("keyspace_hits"), "1");
    assert.equal(f.get("keyspace_misses"), "1");
    assert.equal(f.get("rdb_changes_since_last_save"), "3");
    assert.equal(f.get("db0"), "keys=2,expires=0,avg_ttl=0");
    assert.equal(f.get("db3"), "keys=1,expires=0,avg_ttl=0");
    assert.equal(f.get("errorstat_ERR"), "count=2");
    assert.equal(f.get("total_error_replies"), "2");
    assert.match(
      f.get("cmdstat_get")!,
      /^calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0$/,
    );
    assert.match(
      f.get("cmdstat_select")!,
      /^calls=3,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=1$/,
    );
    await other.call("CLIENT", "PAUSE", "5000", "WRITE");
    await other.write("SET", "x", "1");
    await new Promise((r) => setTimeout(r, 100));
    const clients = infoFields(await info(client, "clients"));
    assert.equal(clients.get("blocked_clients"), "1");
    await client.call("CLIENT", "UNPAUSE");
    assert.equal(await other.read(), "OK");
  } finally {
    client.close();
    other.close();
    await server.stop();
  }
});

Deno.test("TIME, DBSIZE, FLUSHDB and FLUSHALL", async () => {
  const [redeno, redis] = await Promise.all([startRedeno(), startRedis()]);
  const [a, b] = await Promise.all([redeno.connect(), redis.connect()]);
  try {
    const [secs, micros] = (await a.call("TIME")) as string[];
    assert.ok(Math.abs(Number(secs) - Date.now() / 1000) < 5);
    assert.match(micros, /^\d{1,6}$/);
    const script = [
      ["TIME", "x"],
      ["SET", "a", "1"],
      ["SELECT", "1"],
      ["SET", "b", "1"],
      ["DBSIZE"],
      ["FLUSHDB", "SYNC"],
      ["DBSIZE"],
      ["FLUSHDB", "foo"],
      ["FLUSHALL", "ASYNC", "x"],
      ["SELECT", "0"],
      ["DBSIZE"],
      ["FLUSHALL"],
      ["DBSIZE"],
      ["DBSIZE", "x"],
    ];
    await assertSameReplies(a, b, script);
  } finally {
    a.close();
    b.close();
    await Promise.all([redeno.stop(), redis.stop()]);
  }
});
