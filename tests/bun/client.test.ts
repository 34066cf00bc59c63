/**
 * Bun's built-in Redis client against redeno running on Bun. Run with
 * `bun test tests/bun/`; Deno's test runner skips this directory (deno.json).
 * Only node: modules and Bun globals are used, so `deno check` reads it too.
 * @module
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The parts of `bun test` used here (its globals; their types are Bun's). */
declare const describe: (name: string, body: () => void) => void;
declare const test: (
  name: string,
  body: () => Promise<void>,
  timeoutMs?: number,
) => void;
declare const beforeAll: (body: () => Promise<void>) => void;
declare const afterAll: (body: () => Promise<void>) => void;

/** The parts of Bun's RedisClient used here. */
interface RedisClient {
  ping(): Promise<string>;
  set(key: string | Uint8Array, value: string | Uint8Array): Promise<string>;
  get(key: string | Uint8Array): Promise<string | null>;
  getBuffer(key: string | Uint8Array): Promise<Uint8Array | null>;
  del(...keys: string[]): Promise<number>;
  exists(key: string): Promise<boolean>;
  expire(key: string, seconds: number): Promise<number>;
  ttl(key: string): Promise<number>;
  send(command: string, args: string[]): Promise<unknown>;
  close(): void;
}

interface BunGlobal {
  RedisClient: new (
    url: string,
    options?: { autoReconnect?: boolean; connectionTimeout?: number },
  ) => RedisClient;
}

const Bun = (globalThis as unknown as { Bun: BunGlobal }).Bun;
const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === "object" ? address!.port : 0)
      );
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Runs `bun main.ts` on a free port and waits until it accepts connections. */
async function startRedenoOnBun(): Promise<
  { port: number; child: ChildProcess }
> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    // Its own directory, so the dump saved at shutdown is not the next run's.
    [
      MAIN,
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      mkdtempSync(`${tmpdir()}/redeno-bun-`),
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const deadline = Date.now() + 20_000;
  while (!(await canConnect(port))) {
    const failure = child.exitCode !== null
      ? "redeno exited during start"
      : Date.now() > deadline
      ? `redeno not listening on ${port}`
      : "";
    if (failure) {
      child.kill("SIGKILL");
      throw new Error(failure);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, child };
}

/** SIGTERM, SIGKILL after 5 s; resolves with the exit code. */
function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill("SIGTERM");
  });
}

describe("Bun's RedisClient against redeno on Bun", () => {
  let server: { port: number; child: ChildProcess };
  let url = "";
  let client: RedisClient;
  const open = () =>
    new Bun.RedisClient(url, { autoReconnect: false, connectionTimeout: 5000 });

  beforeAll(async () => {
    server = await startRedenoOnBun();
    url = `redis://127.0.0.1:${server.port}`;
    client = open();
  });

  afterAll(async () => {
    client?.close();
    if (server) assert.equal(await stop(server.child), 0);
  });

  test("PING, SET, GET, DEL", async () => {
    assert.equal(await client.ping(), "PONG");
    assert.equal(await client.set("bun:k", "v"), "OK");
    assert.equal(await client.get("bun:k"), "v");
    assert.equal(await client.exists("bun:k"), true);
    assert.equal(await client.del("bun:k"), 1);
    assert.equal(await client.get("bun:k"), null);
    assert.equal(await client.del("bun:k"), 0);
  });

  test("EXPIRE and TTL", async () => {
    await client.set("bun:t", "v");
    assert.equal(await client.ttl("bun:t"), -1);
    assert.equal(await client.expire("bun:t", 100), 1);
    const ttl = await client.ttl("bun:t");
    assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
    assert.equal(await client.expire("bun:missing", 100), 0);
    assert.equal(await client.ttl("bun:missing"), -2);
  });

  test("SET options and errors through send", async () => {
    assert.equal(await client.send("SET", ["bun:o", "1", "NX"]), "OK");
    assert.equal(await client.send("SET", ["bun:o", "2", "NX"]), null);
    assert.equal(await client.send("SET", ["bun:o", "3", "XX", "GET"]), "1");
    await assert.rejects(
      client.send("SET", ["bun:o", "1", "EX", "0"]),
      /ERR invalid expire time in 'set' command/,
    );
    await assert.rejects(
      client.send("NOSUCHCOMMAND", []),
      /ERR unknown command 'NOSUCHCOMMAND'/,
    );
  });

  test("binary values with every byte", async () => {
    const value = new Uint8Array(512).map((_, i) => i % 256);
    assert.equal(await client.set("bun:bin", value), "OK");
    const back = await client.getBuffer("bun:bin");
    assert.ok(back);
    assert.deepEqual([...back], [...value]);
  });

  test("concurrent use: pipelined calls and many clients", async () => {
    // Calls made without awaiting are pipelined by the client.
    const writes = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => client.set(`bun:p:${i}`, `${i}`)),
    );
    assert.ok(writes.every((reply) => reply === "OK"));
    const clients = Array.from({ length: 20 }, open);
    try {
      await Promise.all(clients.map(async (c, id) => {
        for (let i = 0; i < 100; i++) {
          await c.set(`bun:c:${id}:${i}`, `${id}/${i}`);
          assert.equal(await c.get(`bun:c:${id}:${i}`), `${id}/${i}`);
        }
      }));
    } finally {
      for (const c of clients) c.close();
    }
    const reads = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => client.get(`bun:p:${i}`)),
    );
    reads.forEach((value, i) => assert.equal(value, `${i}`));
    assert.equal(await client.get("bun:c:19:99"), "19/99");
  });
});
