import assert from "node:assert/strict";
import { RespPush, type RespValue } from "../../src/protocol/decoder.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import { startRedeno } from "../helpers/servers.ts";

/** The text of a bulk or (RESP3) verbatim string reply. */
function text(reply: RespValue): string {
  return typeof reply === "string" ? reply : (reply as { text: string }).text;
}

/** Waits until `check` holds, polling; fails after `ms`. */
async function eventually(
  check: () => Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("PUBLISH fans out to 1,000 subscribers, nothing lost, in publish order", async () => {
  const server = await startRedeno();
  const subscribers: RespClient[] = [];
  const publisher = await server.connect();
  const messages = 100;
  try {
    for (let i = 0; i < 1000; i++) {
      const sub = await server.connect();
      subscribers.push(sub);
      // Every tenth listens through a pattern as well: two frames per message.
      await sub.write("SUBSCRIBE", "fan");
      if (i % 10 === 0) await sub.write("PSUBSCRIBE", "f*");
    }
    for (const [i, sub] of subscribers.entries()) {
      assert.deepEqual(await sub.read(), ["subscribe", "fan", 1]);
      if (i % 10 === 0) {
        assert.deepEqual(await sub.read(), ["psubscribe", "f*", 2]);
      }
    }
    let pipeline = "";
    for (let m = 0; m < messages; m++) {
      pipeline += `*3\r\n$7\r\nPUBLISH\r\n$3\r\nfan\r\n$${
        String(m).length
      }\r\n${m}\r\n`;
    }
    await publisher.send(pipeline);
    for (let m = 0; m < messages; m++) {
      assert.equal(await publisher.read(), 1100);
    }
    for (const [i, sub] of subscribers.entries()) {
      for (let m = 0; m < messages; m++) {
        assert.deepEqual(await sub.read(), ["message", "fan", String(m)]);
        if (i % 10 === 0) {
          assert.deepEqual(await sub.read(), [
            "pmessage",
            "f*",
            "fan",
            String(m),
          ]);
        }
      }
    }
  } finally {
    publisher.close();
    for (const sub of subscribers) sub.close();
    await server.stop();
  }
});

Deno.test("a subscriber that does not read is closed by the pubsub output limit; the publisher goes on", async () => {
  const server = await startRedeno([
    "--client-output-buffer-limit",
    "pubsub 1mb 0 0",
  ]);
  const stalled = await server.connect();
  const reader = await server.connect();
  const publisher = await server.connect();
  try {
    await stalled.call("SUBSCRIBE", "big");
    assert.deepEqual(await reader.call("SUBSCRIBE", "big"), [
      "subscribe",
      "big",
      1,
    ]);
    const payload = "x".repeat(100_000);
    const rounds = 200;
    // 20 MB for a client that never reads: more than socket buffers hold.
    let receivers = 0;
    const reading = (async () => {
      for (let i = 0; i < rounds; i++) {
        const frame = await reader.read() as string[];
        assert.equal(frame[2].length, payload.length);
      }
    })();
    for (let i = 0; i < rounds; i++) {
      receivers += await publisher.call("PUBLISH", "big", payload) as number;
    }
    await reading;
    assert.ok(await stalled.closedWithin(10_000), "the stalled one is closed");
    assert.ok(receivers >= rounds, "the reader got every message");
    assert.match(
      server.output(),
      /closed ASAP for overcoming of output buffer limits/,
    );
    assert.deepEqual(await publisher.call("PUBSUB", "NUMSUB", "big"), [
      "big",
      1,
    ]);
  } finally {
    stalled.close();
    reader.close();
    publisher.close();
    await server.stop();
  }
});

Deno.test("the pubsub soft limit closes a subscriber that stays over it", async () => {
  const server = await startRedeno([
    "--client-output-buffer-limit",
    "pubsub 0 256kb 1",
  ]);
  const stalled = await server.connect();
  const publisher = await server.connect();
  try {
    await stalled.call("SUBSCRIBE", "soft");
    const payload = "y".repeat(100_000);
    // Enough to stay over the soft limit; no more is published afterwards,
    // so only the soft-limit timer (checked by the cron) can close it.
    for (let i = 0; i < 100; i++) {
      await publisher.call("PUBLISH", "soft", payload);
    }
    // Watched from the publisher: reading would drain the stalled buffer.
    await eventually(async () => {
      const reply = await publisher.call("PUBSUB", "NUMSUB", "soft");
      return (reply as unknown[])[1] === 0;
    }, "the soft limit closes the stalled subscriber");
    assert.equal(await publisher.call("PING"), "PONG");
  } finally {
    stalled.close();
    publisher.close();
    await server.stop();
  }
});

Deno.test("RESP3 subscribers get pushes interleaved with ordinary replies", async () => {
  const server = await startRedeno();
  const sub = await server.connect();
  const publisher = await server.connect();
  try {
    await sub.call("HELLO", "3");
    const confirm = await sub.call("SUBSCRIBE", "r3");
    assert.ok(confirm instanceof RespPush);
    assert.deepEqual(confirm.items, ["subscribe", "r3", 1]);
    assert.equal(await sub.call("SET", "k", "v"), "OK");
    assert.equal(await publisher.call("PUBLISH", "r3", "one"), 1);
    // The message was queued before GET's reply.
    await sub.write("GET", "k");
    const push = await sub.read();
    assert.ok(push instanceof RespPush);
    assert.deepEqual(push.items, ["message", "r3", "one"]);
    assert.equal(await sub.read(), "v");
    // Publishing to itself: the push comes before PUBLISH's own reply.
    await sub.write("PUBLISH", "r3", "self");
    const own = await sub.read();
    assert.ok(own instanceof RespPush);
    assert.deepEqual(own.items, ["message", "r3", "self"]);
    assert.equal(await sub.read(), 1);
  } finally {
    sub.close();
    publisher.close();
    await server.stop();
  }
});

Deno.test("CLIENT LIST, INFO and disconnects track subscriptions", async () => {
  const server = await startRedeno();
  const sub = await server.connect();
  const admin = await server.connect();
  try {
    await sub.call("HELLO", "3");
    await sub.call("SUBSCRIBE", "a");
    await sub.call("SUBSCRIBE", "b");
    await sub.call("PSUBSCRIBE", "p*");
    await sub.call("SSUBSCRIBE", "s");
    const info = text(await sub.call("CLIENT", "INFO"));
    assert.match(info, / flags=P /);
    assert.match(info, / sub=2 psub=1 ssub=1 /);
    const stats = await admin.call("INFO", "stats") as string;
    assert.match(stats, /pubsub_channels:2\r\n/);
    assert.match(stats, /pubsub_patterns:1\r\n/);
    assert.match(stats, /pubsubshard_channels:1\r\n/);
    await sub.call("UNSUBSCRIBE");
    await sub.read(); // one confirmation per channel
    await sub.call("PUNSUBSCRIBE");
    await sub.call("SUNSUBSCRIBE");
    assert.match(text(await sub.call("CLIENT", "INFO")), / flags=N /);
    await sub.call("SUBSCRIBE", "gone");
    sub.close();
    await eventually(
      async () => {
        const reply = await admin.call("PUBSUB", "NUMSUB", "gone");
        return (reply as unknown[])[1] === 0;
      },
      "a closed subscriber is forgotten",
    );
    assert.equal(await admin.call("PUBLISH", "gone", "x"), 0);
  } finally {
    sub.close();
    admin.close();
    await server.stop();
  }
});
