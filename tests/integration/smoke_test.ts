import assert from "node:assert/strict";
import { startRedeno } from "../helpers/servers.ts";

Deno.test("answers PING, SET and GET over TCP", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    assert.deepEqual(await client.call("PING"), "PONG");
    assert.deepEqual(await client.call("SET", "k", "v"), "OK");
    assert.deepEqual(await client.call("GET", "k"), "v");
  } finally {
    client.close();
    await server.stop();
  }
});
