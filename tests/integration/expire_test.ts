import assert from "node:assert/strict";
import { encodeCommand, type RespClient } from "../helpers/resp_client.ts";
import { startRedeno, startRedis } from "../helpers/servers.ts";

const KEYS = 100_000;
const BATCH = 5_000;

/** A field of INFO's text, as a number. */
async function infoField(client: RespClient, field: string): Promise<number> {
  const text = String(await client.call("INFO", "memory"));
  const match = new RegExp(`^${field}:(\\d+)`, "m").exec(text);
  assert.ok(match, `INFO has ${field}`);
  return Number(match[1]);
}

/** Sends `SET key value PX ttl` for `count` keys in pipelined batches. */
async function populate(client: RespClient, count: number, ttlMs: number) {
  const value = "x".repeat(32);
  for (let start = 0; start < count; start += BATCH) {
    const parts: Uint8Array[] = [];
    let size = 0;
    for (let i = start; i < start + BATCH; i++) {
      const cmd = encodeCommand(["SET", `expiring:${i}`, value, "PX", ttlMs]);
      parts.push(cmd);
      size += cmd.length;
    }
    const buf = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      buf.set(part, offset);
      offset += part.length;
    }
    await client.send(buf);
    for (let i = 0; i < BATCH; i++) assert.equal(await client.read(), "OK");
  }
}

Deno.test("keys nobody touches expire actively, free their memory and stall no client", async () => {
  const server = await startRedeno();
  const writer = await server.connect();
  const pinger = await server.connect();
  try {
    await writer.call("SET", "warmup", "v");
    const rssBefore = await infoField(writer, "used_memory_rss");
    const usedBefore = await infoField(writer, "used_memory");

    await populate(writer, KEYS, 100);
    const populated = Date.now();

    // A client pinging throughout: the active cycle must never hold it up
    // for long. DBSIZE counts expired keys until they are removed.
    let worstPingMs = 0;
    let pings = 0;
    let size = -1;
    const deadline = populated + 5000;
    while (Date.now() < deadline) {
      const sent = performance.now();
      assert.equal(await pinger.call("PING"), "PONG");
      worstPingMs = Math.max(worstPingMs, performance.now() - sent);
      pings++;
      if (pings % 20 === 0) {
        size = Number(await writer.call("DBSIZE"));
        if (size === 1) break;
      }
    }
    const goneAfterMs = Date.now() - populated;
    assert.equal(
      size,
      1,
      `only the warmup key is left (after ${goneAfterMs} ms)`,
    );
    assert.ok(goneAfterMs < 5000);
    assert.ok(
      worstPingMs < 50,
      `worst PING latency ${worstPingMs.toFixed(1)} ms during active expiry`,
    );
    const info = String(await writer.call("INFO", "stats"));
    const expired = Number(/^expired_keys:(\d+)/m.exec(info)![1]);
    assert.equal(expired, KEYS);

    // Memory: once the server is idle it hands the freed memory back, so
    // the heap in use and the process's RSS return near where they were.
    let usedAfter = Infinity;
    let rssAfter = Infinity;
    for (let i = 0; i < 20 && usedAfter > usedBefore + 8e6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      usedAfter = await infoField(writer, "used_memory");
      rssAfter = await infoField(writer, "used_memory_rss");
    }
    assert.ok(
      usedAfter < usedBefore + 8e6,
      `heap ${usedBefore} -> ${usedAfter} bytes`,
    );
    assert.ok(
      rssAfter < rssBefore + 32e6,
      `rss ${rssBefore} -> ${rssAfter} bytes`,
    );
  } finally {
    writer.close();
    pinger.close();
    await server.stop();
  }
});

Deno.test("while clients are paused expired keys read as missing but stay until the pause ends, as in redis-server", async () => {
  const seen: unknown[][] = [];
  for (const start of [startRedeno, startRedis]) {
    const server = await start();
    try {
      const c = await server.connect();
      const expiredKeys = async () =>
        /^expired_keys:(\d+)/m.exec(String(await c.call("INFO", "stats")))![1];
      await c.call("SET", "short", "v", "PX", 100);
      await c.call("SET", "kept", "v");
      await c.call("CLIENT", "PAUSE", 60000, "WRITE");
      await new Promise((resolve) => setTimeout(resolve, 400));
      const during = [
        await c.call("GET", "short"),
        await c.call("EXISTS", "short"),
        await c.call("KEYS", "*"),
        await c.call("DBSIZE"),
        await expiredKeys(),
      ];
      await c.call("CLIENT", "UNPAUSE");
      // The active cycle removes it within a few cron periods.
      let size = await c.call("DBSIZE");
      for (let i = 0; i < 40 && size !== 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        size = await c.call("DBSIZE");
      }
      seen.push([...during, size, await expiredKeys()]);
      c.close();
    } finally {
      await server.stop();
    }
  }
  assert.deepEqual(seen[0], [null, 0, ["kept"], 2, "0", 1, "1"]);
  assert.deepEqual(seen[0], seen[1]);
});
