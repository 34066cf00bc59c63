/**
 * HELLO, AUTH, RESET, requirepass, maxclients and idle timeouts over TCP,
 * checked byte for byte against a real redis-server 7.0 where the replies are
 * deterministic.
 * @module
 */

import assert from "node:assert/strict";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import { startRedeno, startRedis } from "../helpers/servers.ts";

/** Runs `script` on one connection; returns each reply's bytes with client ids masked. */
async function replies(
  client: RespClient,
  script: string[][],
): Promise<string[]> {
  const out: string[] = [];
  for (const argv of script) {
    const raw = bytesToBinary(await client.callRaw(...argv));
    out.push(raw.replace(/(\$2\r\nid\r\n):\d+/, "$1:<id>"));
  }
  return out;
}

/** Runs `script` against redeno and Redis (same extra arguments) and compares. */
async function sameAsRedis(script: string[][], args: string[] = []) {
  const [redeno, redis] = await Promise.all([
    startRedeno(args),
    startRedis(args),
  ]);
  const [a, b] = await Promise.all([redeno.connect(), redis.connect()]);
  try {
    const ours = await replies(a, script);
    const theirs = await replies(b, script);
    for (let i = 0; i < script.length; i++) {
      assert.equal(ours[i], theirs[i], `reply to ${script[i].join(" ")}`);
    }
  } finally {
    a.close();
    b.close();
    await Promise.all([redeno.stop(), redis.stop()]);
  }
}

Deno.test("HELLO, AUTH and RESET reply as Redis without a password", async () => {
  await sameAsRedis([
    ["HELLO"],
    ["HELLO", "2"],
    ["HELLO", "1"],
    ["HELLO", "4"],
    ["HELLO", "-1"],
    ["HELLO", "abc"],
    ["HELLO", "99999999999999999999"],
    ["HELLO", "3", "foo"],
    ["HELLO", "3", "AUTH", "default"],
    ["HELLO", "3", "SETNAME"],
    ["HELLO", "3", "SETNAME", "a b"],
    ["HELLO", "3", "AUTH", "bob", "pw"],
    ["HELLO", "3", "auth", "default", "anything", "setname", "conn1"],
    ["CLIENT", "GETNAME"],
    ["HELLO"],
    ["CLIENT", "SETNAME", ""],
    ["CLIENT", "GETNAME"],
    ["AUTH", "x"],
    ["AUTH", "default", "x"],
    ["AUTH", "bob", "x"],
    ["AUTH", "a", "b", "c"],
    ["AUTH"],
    ["SELECT", "3"],
    ["CLIENT", "SETNAME", "before-reset"],
    ["RESET"],
    ["RESET", "x"],
    ["CLIENT", "GETNAME"],
    ["HELLO"],
    ["PING"],
  ]);
});

Deno.test("RESET returns to RESP2, db 0, no name, replies on", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    await client.call("HELLO", "3", "SETNAME", "x");
    await client.call("SELECT", "5");
    await client.call("SET", "k", "in-db5");
    await client.write("CLIENT", "REPLY", "OFF");
    await client.write("PING");
    assert.equal(bytesToBinary(await client.callRaw("RESET")), "+RESET\r\n");
    assert.equal(bytesToBinary(await client.callRaw("GET", "k")), "$-1\r\n");
    assert.equal(
      bytesToBinary(await client.callRaw("CLIENT", "GETNAME")),
      "$-1\r\n",
    );
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("requirepass: NOAUTH, AUTH, HELLO AUTH and RESET as Redis", async () => {
  await sameAsRedis([
    ["GET", "x"],
    ["NOSUCHCOMMAND"],
    ["GET"],
    ["PING"],
    ["HELLO", "3"],
    ["HELLO", "3", "SETNAME", "x"],
    ["HELLO", "3", "AUTH", "default", "wrong"],
    ["AUTH", "wrong"],
    ["AUTH", "bob", "secret"],
    ["AUTH", "default", "secret"],
    ["CLIENT", "GETNAME"],
    ["GET", "x"],
    ["RESET"],
    ["GET", "x"],
    ["AUTH", "secret"],
    ["GET", "x"],
    ["RESET"],
    ["HELLO", "3", "AUTH", "default", "secret"],
    ["GET", "x"],
    ["QUIT"],
  ], ["--requirepass", "secret"]);
});

Deno.test("maxclients: the extra connection gets Redis's error and is closed", async () => {
  const server = await startRedeno(["--maxclients", "1"]);
  // The launcher's readiness probe may still hold the only slot a moment.
  let first = await server.connect();
  for (let i = 0; i < 20 && (await first.call("PING")) !== "PONG"; i++) {
    first.close();
    await new Promise((r) => setTimeout(r, 50));
    first = await server.connect();
  }
  try {
    const second = await server.connect();
    try {
      const reply = await second.readWithBytes();
      assert.equal(
        bytesToBinary(reply.bytes),
        "-ERR max number of clients reached\r\n",
      );
      assert.ok(await second.closedWithin(2000));
    } finally {
      second.close();
    }
    assert.equal(await first.call("PING"), "PONG");
  } finally {
    first.close();
    await server.stop();
  }
});

Deno.test("timeout: idle clients are closed, busy ones are not", async () => {
  const server = await startRedeno(["--timeout", "1"]);
  const idle = await server.connect();
  const busy = await server.connect();
  try {
    assert.equal(await idle.call("PING"), "PONG");
    const started = Date.now();
    const closed = idle.closedWithin(4000);
    while (Date.now() - started < 1600) {
      assert.equal(await busy.call("PING"), "PONG");
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(await closed, "idle client still open");
    assert.ok(Date.now() - started >= 900, "closed before the timeout");
    assert.equal(await busy.call("PING"), "PONG");
  } finally {
    idle.close();
    busy.close();
    await server.stop();
  }
});
