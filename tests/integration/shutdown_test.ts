/**
 * SHUTDOWN, SIGTERM/SIGINT and DEBUG over TCP: argument errors as Redis 7.0
 * gives them, exit code 0 with Redis's log lines, and `enable-debug-command`.
 * @module
 */

import assert from "node:assert/strict";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import { assertSameReplies } from "../helpers/resp_client.ts";
import { startRedeno, startRedis } from "../helpers/servers.ts";

/** Waits for the process to exit by itself (or kills it after `ms`). */
async function exitWithin(
  process: Deno.ChildProcess,
  ms: number,
): Promise<Deno.CommandStatus> {
  const timer = setTimeout(() => process.kill("SIGKILL"), ms);
  try {
    return await process.status;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("SHUTDOWN argument errors match Redis", async () => {
  const [redeno, redis] = await Promise.all([startRedeno(), startRedis()]);
  const [a, b] = await Promise.all([redeno.connect(), redis.connect()]);
  try {
    await assertSameReplies(a, b, [
      ["SHUTDOWN", "foo"],
      ["SHUTDOWN", "NOSAVE", "SAVE"],
      ["SHUTDOWN", "ABORT"],
      ["SHUTDOWN", "abort", "ABORT"],
      ["SHUTDOWN", "SAVE", "ABORT"],
      ["SHUTDOWN", "NOW", "ABORT"],
      ["SHUTDOWN", "FORCE", "ABORT"],
      ["SHUTDOWN", "NOW", "foo"],
      ["DEBUG", "SLEEP", "0"],
      ["DEBUG"],
    ]);
  } finally {
    a.close();
    b.close();
    await Promise.all([redeno.stop(), redis.stop()]);
  }
});

Deno.test("SHUTDOWN closes every client and exits 0 with Redis's log lines", async () => {
  const server = await startRedeno();
  const [admin, bystander] = await Promise.all([
    server.connect(),
    server.connect(),
  ]);
  try {
    await admin.write("SHUTDOWN", "NOSAVE", "NOW", "FORCE");
    assert.ok(await admin.closedWithin(3000));
    assert.ok(await bystander.closedWithin(3000));
    const status = await exitWithin(server.process, 5000);
    assert.equal(status.code, 0);
    await server.stop();
    const log = server.output();
    assert.match(
      log,
      /:M \d\d \w{3} \d{4} [\d:.]+ # User requested shutdown\.\.\.\n/,
    );
    assert.match(log, / # Redis is now ready to exit, bye bye\.\.\.\n/);
  } finally {
    admin.close();
    bystander.close();
    await server.stop();
  }
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`${signal} shuts down with exit code 0`, async () => {
    const server = await startRedeno();
    const client = await server.connect();
    try {
      assert.equal(await client.call("PING"), "PONG");
      server.process.kill(signal);
      const status = await exitWithin(server.process, 5000);
      assert.equal(status.code, 0);
      await server.stop();
      const log = server.output();
      assert.match(
        log,
        new RegExp(`Received ${signal} scheduling shutdown\\.\\.\\.`),
      );
      assert.match(
        log,
        /User requested shutdown\.\.\.[^]*Redis is now ready to exit, bye bye\.\.\./,
      );
    } finally {
      client.close();
      await server.stop();
    }
  });
}

Deno.test("DEBUG SLEEP blocks the whole server when enabled", async () => {
  const server = await startRedeno(["--enable-debug-command", "yes"]);
  const [sleeper, other] = await Promise.all([
    server.connect(),
    server.connect(),
  ]);
  try {
    assert.equal(await sleeper.call("DEBUG", "SLEEP", "0"), "OK");
    assert.equal(await sleeper.call("DEBUG", "SLEEP", "abc"), "OK");
    assert.equal(
      bytesToBinary(await sleeper.callRaw("DEBUG", "NOSUCH")),
      "-ERR unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP.\r\n",
    );
    const started = Date.now();
    await sleeper.write("DEBUG", "SLEEP", "0.3");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await other.call("PING"), "PONG");
    assert.ok(Date.now() - started >= 280, "PING answered during DEBUG SLEEP");
    assert.equal(await sleeper.read(), "OK");
  } finally {
    sleeper.close();
    other.close();
    await server.stop();
  }
});

Deno.test("enable-debug-command local allows loopback clients", async () => {
  const server = await startRedeno(["--enable-debug-command", "local"]);
  const client = await server.connect();
  try {
    assert.equal(await client.call("DEBUG", "SLEEP", "0"), "OK");
  } finally {
    client.close();
    await server.stop();
  }
});
