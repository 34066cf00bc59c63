import assert from "node:assert/strict";
import { startRedeno } from "../helpers/servers.ts";

Deno.test("client-output-buffer-limit closes a normal client over its hard limit", async () => {
  const server = await startRedeno([
    "--client-output-buffer-limit",
    "normal 1mb 0 0",
  ]);
  const writer = await server.connect();
  const reader = await server.connect();
  const other = await server.connect();
  try {
    assert.equal(await writer.call("SET", "big", "x".repeat(100_000)), "OK");
    // 200 GETs of 100 kB ask for 20 MB of output from a client that never reads.
    let pipeline = "";
    for (let i = 0; i < 200; i++) {
      pipeline += "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
    }
    await reader.send(pipeline);
    assert.ok(await reader.closedWithin(5000), "the reader is disconnected");
    assert.match(
      server.output(),
      /closed ASAP for overcoming of output buffer limits/,
    );
    assert.equal(await other.call("PING"), "PONG", "others are served");
  } finally {
    writer.close();
    reader.close();
    other.close();
    await server.stop();
  }
});

Deno.test("with no normal limit a client reading slowly gets every reply", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    await client.call("SET", "big", "y".repeat(100_000));
    let pipeline = "";
    for (let i = 0; i < 100; i++) {
      pipeline += "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
    }
    await client.send(pipeline);
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 100; i++) {
      assert.equal((await client.read() as string).length, 100_000);
    }
  } finally {
    client.close();
    await server.stop();
  }
});
