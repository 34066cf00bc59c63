/**
 * Helpers of the replication tests: INFO fields, waiting for a replica to
 * catch up, DEBUG DIGEST, and a dataset and a write stream of every type.
 * @module
 */

import type { RespClient } from "./resp_client.ts";

/** INFO `section` as a field map. */
export async function info(
  c: RespClient,
  section: string,
): Promise<Map<string, string>> {
  const text = String(await c.call("INFO", section));
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

export async function waitFor(
  what: string,
  condition: () => Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting: ${what}`);
}

/** Waits until the replica has applied everything the primary has sent. */
export async function caughtUp(primary: RespClient, replica: RespClient) {
  await waitFor("the replica to catch up", async () => {
    const p = await info(primary, "replication");
    const r = await info(replica, "replication");
    return r.get("master_link_status") === "up" &&
      r.get("slave_repl_offset") === p.get("master_repl_offset");
  });
}

export async function digest(c: RespClient): Promise<string> {
  return String(await c.call("DEBUG", "DIGEST"));
}

/** Every type, some with TTLs, in two databases. */
export async function fill(c: RespClient, prefix: string): Promise<void> {
  await c.call("SET", `${prefix}s`, "hello");
  await c.call("SET", `${prefix}n`, "12345");
  await c.call("SET", `${prefix}ttl`, "v", "EX", 100000);
  await c.call("RPUSH", `${prefix}list`, "a", "1", "b".repeat(300));
  await c.call("SADD", `${prefix}iset`, "1", "2", "3");
  await c.call("SADD", `${prefix}set`, "x", "y");
  await c.call("ZADD", `${prefix}z`, "1.5", "a", "-inf", "b");
  await c.call("HSET", `${prefix}h`, "f", "v", "g", "12");
  await c.call("PFADD", `${prefix}hll`, "a", "b", "c");
  await c.call("XADD", `${prefix}x`, "5-1", "f", "v");
  await c.call("XGROUP", "CREATE", `${prefix}x`, "g", "0");
  await c.call("XREADGROUP", "GROUP", "g", "c1", "STREAMS", `${prefix}x`, ">");
  await c.call("SELECT", 3);
  await c.call("SET", `${prefix}in3`, "three");
  await c.call("SELECT", 0);
}

/** Writes of every family through the stream, including MULTI and other databases. */
export async function writeStream(c: RespClient): Promise<void> {
  await c.call("INCR", "counter");
  await c.call("APPEND", "s", " world");
  await c.call("LPUSH", "list", "front");
  await c.call("RPOP", "list");
  await c.call("HINCRBY", "h", "g", "5");
  await c.call("SREM", "set", "x");
  await c.call("ZINCRBY", "z", "2", "a");
  await c.call("XADD", "stream", "1-1", "f", "v");
  await c.call("XADD", "stream", "*", "g", "w");
  await c.call("XGROUP", "CREATE", "stream", "grp", "0");
  await c.call(
    "XREADGROUP",
    "GROUP",
    "grp",
    "alice",
    "COUNT",
    "1",
    "STREAMS",
    "stream",
    ">",
  );
  await c.call("SET", "big", "x".repeat(1 << 20));
  await c.call("EXPIRE", "n", "1000");
  await c.call("MULTI");
  await c.call("SET", "m1", "1");
  await c.call("INCRBYFLOAT", "m2", "1.5");
  await c.call("SELECT", 4);
  await c.call("SET", "in4", "four");
  await c.call("EXEC");
  await c.call("SELECT", 0);
  await c.call("DEL", "iset");
  await c.call("SPOP", "set");
}
