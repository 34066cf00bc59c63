import assert from "node:assert/strict";
import { startRedeno, startRedis } from "../helpers/servers.ts";

/** Frames an unauthenticated client sends, and whether they fit Redis's tighter limits. */
const FRAMES = [
  "*11\r\n" + "$4\r\nPING\r\n".repeat(11),
  "*2\r\n$4\r\nECHO\r\n$16385\r\n" + "x".repeat(16385) + "\r\n",
  "*2\r\n$4\r\nECHO\r\n$16384\r\n" + "x".repeat(16384) + "\r\n",
];

Deno.test("requirepass: unauthenticated clients get Redis's tighter protocol limits", async () => {
  const redis = await startRedis(["--requirepass", "secret"]);
  const redeno = await startRedeno(["--requirepass", "secret"]);
  try {
    for (const frame of FRAMES) {
      const replies: string[] = [];
      for (const server of [redis, redeno]) {
        const client = await server.connect();
        await client.send(frame);
        const reply = new TextDecoder().decode(
          (await client.readWithBytes()).bytes,
        );
        const closed = await client.closedWithin(300);
        replies.push(`${reply} closed=${closed}`);
        client.close();
      }
      assert.equal(replies[1], replies[0], JSON.stringify(frame.slice(0, 40)));
    }
    // After AUTH the normal limits apply again.
    const client = await redeno.connect();
    assert.equal(await client.call("AUTH", "secret"), "OK");
    assert.equal(
      await client.call("ECHO", "x".repeat(20000)),
      "x".repeat(20000),
    );
    client.close();
  } finally {
    await redis.stop();
    await redeno.stop();
  }
});
