import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { freePort } from "../helpers/ports.ts";
import { RespError } from "../../src/protocol/decoder.ts";
import {
  redenoCommand,
  type RunningServer,
  spawnServer,
  startRedeno,
} from "../helpers/servers.ts";

/** Starts redeno with a config file as its first argument, as redis-server takes it. */
function startWithFile(
  file: string,
  args: string[] = [],
): Promise<RunningServer> {
  const port = freePort();
  return spawnServer(
    [
      ...redenoCommand(),
      file,
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      ...args,
    ],
    port,
    // Its own working directory: a save at shutdown must not land in the checkout.
    { cwd: Deno.makeTempDirSync() },
  );
}

function tempConf(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "redeno-it-"));
  const file = join(dir, "redis.conf");
  writeFileSync(file, text);
  return file;
}

/** Runs redeno to completion (it must fail at start) and returns its status and output. */
async function runFailing(args: string[]) {
  const cmd = redenoCommand();
  const child = new Deno.Command(cmd[0], {
    args: [...cmd.slice(1), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

Deno.test("config file plus overrides, read back with CONFIG GET", async () => {
  const file = tempConf(
    "# test config\nmaxclients 77\ntimeout 5\nsave 100 1\nsave 200 2\nhash-max-ziplist-entries 9\n",
  );
  const server = await startWithFile(file, [
    "--timeout",
    "6",
    "--loglevel",
    "warning",
  ]);
  const client = await server.connect();
  try {
    assert.deepEqual(await client.call("CONFIG", "GET", "maxclients"), [
      "maxclients",
      "77",
    ]);
    assert.deepEqual(await client.call("CONFIG", "GET", "timeout"), [
      "timeout",
      "6",
    ]);
    assert.deepEqual(await client.call("CONFIG", "GET", "save"), [
      "save",
      "100 1 200 2",
    ]);
    assert.deepEqual(
      await client.call("CONFIG", "GET", "hash-max-listpack-entries"),
      [
        "hash-max-listpack-entries",
        "9",
      ],
    );
    assert.deepEqual(
      await client.call("CONFIG", "GET", "loglevel", "LOGLEVEL"),
      ["loglevel", "warning"],
    );
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("a bad directive fails at start with Redis's report and exit code 1", async () => {
  const file = tempConf("port 1\n# comment\nfoo bar\n");
  const bad = await runFailing([file]);
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr,
    "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n" +
      "Reading the configuration file, at line 3\n>>> 'foo bar'\n" +
      "Bad directive or wrong number of arguments\n",
  );
  const arg = await runFailing([
    "--port",
    String(freePort()),
    "--maxmemory",
    "lots",
  ]);
  assert.equal(arg.code, 1);
  assert.match(
    arg.stderr,
    /at line 3\n>>> 'maxmemory "lots"'\nargument must be a memory value\n$/,
  );
});

Deno.test("CONFIG SET takes effect: proto-max-bulk-len and client-query-buffer-limit", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    assert.equal(
      await client.call("CONFIG", "SET", "proto-max-bulk-len", "2mb"),
      "OK",
    );
    assert.deepEqual(await client.call("CONFIG", "GET", "proto-max-bulk-len"), [
      "proto-max-bulk-len",
      "2097152",
    ]);
    await client.send(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${3 * 1024 * 1024}\r\n`);
    assert.deepEqual(
      await client.read(),
      new RespError("ERR Protocol error: invalid bulk length"),
    );
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("CONFIG SET errors, atomicity and RESETSTAT", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    const err = async (...argv: string[]) =>
      ((await client.call(...argv)) as RespError).message;
    assert.equal(
      await err("CONFIG", "SET", "timeout", "10", "maxmemory", "x"),
      "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
    );
    assert.deepEqual(await client.call("CONFIG", "GET", "timeout"), [
      "timeout",
      "0",
    ]);
    assert.equal(
      await err("CONFIG", "SET", "nope", "1"),
      "ERR Unknown option or number of arguments for CONFIG SET - 'nope'",
    );
    assert.equal(
      await err("CONFIG", "SET", "databases", "1"),
      "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
    );
    assert.equal(await client.call("CONFIG", "SET", "maxclients", "1"), "OK");
    const second = await server.connect();
    assert.deepEqual(
      await second.read(),
      new RespError("ERR max number of clients reached"),
    );
    second.close();
    assert.equal(await client.call("CONFIG", "SET", "maxclients", "100"), "OK");
    assert.equal(await client.call("CONFIG", "RESETSTAT"), "OK");
    assert.equal(
      await err("CONFIG", "REWRITE"),
      "ERR The server is running without a config file",
    );
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("CONFIG REWRITE round trip", async () => {
  const file = tempConf("# header\ntimeout 0\nmaxmemory 1mb\n");
  const server = await startWithFile(file);
  const client = await server.connect();
  try {
    assert.equal(
      await client.call("CONFIG", "SET", "timeout", "42", "maxmemory", "2gb"),
      "OK",
    );
    assert.equal(await client.call("CONFIG", "REWRITE"), "OK");
  } finally {
    client.close();
    await server.stop();
  }
  const text = readFileSync(file, "utf8");
  assert.match(text, /^# header\ntimeout 42\nmaxmemory 2gb\n/);
  assert.match(text, /\n# Generated by CONFIG REWRITE\n/);
  assert.match(
    text,
    /\nport \d+\n/,
    "the port given on the command line is written",
  );
  // The server starts again from the rewritten file alone.
  const again = await startWithFile(file);
  const c2 = await again.connect();
  try {
    assert.deepEqual(await c2.call("CONFIG", "GET", "timeout", "maxmemory"), [
      "timeout",
      "42",
      "maxmemory",
      "2147483648",
    ]);
  } finally {
    c2.close();
    await again.stop();
  }
});

Deno.test("CONFIG SET port listens on the new port and closes the old one", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  const newPort = freePort();
  try {
    assert.equal(
      await client.call("CONFIG", "SET", "port", String(newPort)),
      "OK",
    );
    let moved: Deno.Conn | undefined;
    for (let i = 0; i < 50 && !moved; i++) {
      try {
        moved = await Deno.connect({ hostname: "127.0.0.1", port: newPort });
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.ok(moved, "the new port accepts connections");
    moved.close();
    // Bun closes a stopped listener's socket on a later turn of its loop, so
    // the old port may accept for a moment after the new one does.
    let oldRefused = false;
    for (let i = 0; i < 40 && !oldRefused; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port: server.port }))
          .close();
        await new Promise((r) => setTimeout(r, 25));
      } catch {
        oldRefused = true;
      }
    }
    assert.ok(oldRefused, "the old port stops accepting connections");
    assert.equal(
      await client.call("PING"),
      "PONG",
      "existing clients stay connected",
    );
  } finally {
    client.close();
    await server.stop();
  }
});
