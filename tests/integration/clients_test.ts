/**
 * Real client libraries against redeno: ioredis and node-redis (`redis`),
 * with the options and handshakes they use by default where redeno has the
 * commands for them.
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { createClient, RESP_TYPES } from "redis";
import { type RunningServer, startRedeno } from "../helpers/servers.ts";

/** Every byte value 0-255, twice, so CR, LF, NUL and high bytes all appear. */
const EVERY_BYTE = Buffer.from(
  Array.from({ length: 512 }, (_, i) => i % 256),
);

const TEN_MB = 10 * 1024 * 1024;

/**
 * An ioredis client that fails fast instead of retrying. Its ready check
 * (INFO, waiting for `loading:0`) stays on, as by default.
 */
function ioredis(server: RunningServer, db = 0): Redis {
  return new Redis({
    host: "127.0.0.1",
    port: server.port,
    db,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5000,
  });
}

/**
 * A connected node-redis client that does not reconnect. On connect it sends
 * CLIENT SETINFO (errors ignored), and HELLO 3 when `RESP` is 3.
 */
async function nodeRedis(server: RunningServer, database = 0, RESP: 2 | 3 = 2) {
  const client = createClient({
    RESP,
    socket: {
      host: "127.0.0.1",
      port: server.port,
      reconnectStrategy: false,
      connectTimeout: 5000,
    },
    database,
  });
  client.on("error", () => {/* surfaced by the failing command */});
  try {
    await client.connect();
  } catch (error) {
    client.destroy();
    throw error;
  }
  return client;
}

type NodeRedis = Awaited<ReturnType<typeof nodeRedis>>;

/** Runs `body` against a fresh redeno, stopped afterwards whatever happens. */
async function withRedeno(
  body: (server: RunningServer) => Promise<void>,
): Promise<void> {
  const server = await startRedeno();
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

/** A 10 MB value with a recognisable pattern, so shifts or truncation show. */
function bigValue(): string {
  const chunk = "0123456789abcdef".repeat(64);
  return chunk.repeat(TEN_MB / chunk.length);
}

Deno.test("ioredis", (t) =>
  withRedeno(async (server) => {
    const client = ioredis(server);
    try {
      await t.step("PING and ECHO", async () => {
        assert.equal(await client.ping(), "PONG");
        assert.equal(await client.ping("hello"), "hello");
        assert.equal(await client.echo("x y"), "x y");
      });

      await t.step("SET and GET with options", async () => {
        assert.equal(await client.set("io:k", "v1"), "OK");
        assert.equal(await client.get("io:k"), "v1");
        assert.equal(await client.set("io:k", "v2", "NX"), null);
        assert.equal(await client.set("io:k", "v2", "XX", "GET"), "v1");
        assert.equal(await client.set("io:k", "v3", "EX", 100), "OK");
        const ttl = await client.ttl("io:k");
        assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
        assert.equal(await client.set("io:k", "v4", "KEEPTTL"), "OK");
        assert.ok((await client.ttl("io:k")) > 90);
        assert.equal(await client.get("io:missing"), null);
        assert.equal(await client.del("io:k", "io:missing"), 1);
        await assert.rejects(
          client.set("io:k", "v", "EX", 0),
          /ERR invalid expire time in 'set' command/,
        );
      });

      await t.step("binary values with every byte", async () => {
        const key = Buffer.from([0, 13, 10, 255, 36, 42]);
        assert.equal(await client.set(key, EVERY_BYTE), "OK");
        const back = await client.getBuffer(key);
        assert.ok(back && EVERY_BYTE.equals(back));
        assert.equal(await client.exists(key), 1);
      });

      await t.step("pipeline of 1000 commands", async () => {
        const pipeline = client.pipeline();
        for (let i = 0; i < 500; i++) {
          pipeline.set(`io:p:${i}`, `value-${i}`);
          pipeline.get(`io:p:${i}`);
        }
        const results = await pipeline.exec();
        assert.ok(results);
        assert.equal(results.length, 1000);
        for (let i = 0; i < 500; i++) {
          assert.deepEqual(results[2 * i], [null, "OK"]);
          assert.deepEqual(results[2 * i + 1], [null, `value-${i}`]);
        }
      });

      await t.step("10 MB value", async () => {
        const value = bigValue();
        assert.equal(await client.set("io:big", value), "OK");
        assert.equal(await client.get("io:big"), value);
        await client.del("io:big");
      });

      await t.step("SELECT through the db option and the command", async () => {
        const db3 = ioredis(server, 3);
        try {
          assert.equal(await db3.set("io:db", "three"), "OK");
          assert.equal(await db3.dbsize(), 1);
          assert.equal(await client.get("io:db"), null);
          assert.equal(await client.select(3), "OK");
          assert.equal(await client.get("io:db"), "three");
          assert.equal(await client.select(0), "OK");
          await assert.rejects(
            client.select(16),
            /ERR DB index is out of range/,
          );
        } finally {
          db3.disconnect();
        }
      });

      await t.step("error replies reach the caller", async () => {
        await assert.rejects(
          client.call("NOSUCHCOMMAND", "a"),
          /ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'a'/,
        );
        assert.equal(await client.ping(), "PONG");
      });
    } finally {
      client.disconnect();
    }
  }));

Deno.test("node-redis", (t) =>
  withRedeno(async (server) => {
    const client = await nodeRedis(server);
    try {
      await t.step("PING", async () => {
        assert.equal(await client.ping(), "PONG");
      });

      await t.step("SET and GET with options", async () => {
        assert.equal(await client.set("nr:k", "v1"), "OK");
        assert.equal(await client.get("nr:k"), "v1");
        assert.equal(
          await client.set("nr:k", "v2", { condition: "NX" }),
          null,
        );
        assert.equal(
          await client.set("nr:k", "v2", { condition: "XX", GET: true }),
          "v1",
        );
        assert.equal(
          await client.set("nr:k", "v3", {
            expiration: { type: "PX", value: 100_000 },
          }),
          "OK",
        );
        const ttl = await client.ttl("nr:k");
        assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
        assert.equal(await client.expire("nr:k", 50), 1);
        assert.ok((await client.ttl("nr:k")) <= 50);
        assert.equal(await client.del(["nr:k", "nr:missing"]), 1);
        assert.equal(await client.ttl("nr:k"), -2);
      });

      await t.step("binary values with every byte", async () => {
        const buffers = client.withTypeMapping({
          [RESP_TYPES.BLOB_STRING]: Buffer,
        });
        const key = Buffer.from([255, 0, 13, 10]);
        assert.equal(await client.set(key, EVERY_BYTE), "OK");
        const back = await buffers.get(key);
        assert.ok(Buffer.isBuffer(back) && EVERY_BYTE.equals(back));
      });

      await t.step("batching without MULTI", async () => {
        // Commands issued in one tick go out in one write, unawaited.
        const writes = Array.from(
          { length: 1000 },
          (_, i) => client.set(`nr:b:${i}`, `value-${i}`),
        );
        assert.deepEqual(await Promise.all(writes), Array(1000).fill("OK"));
        const reads = await Promise.all(
          Array.from({ length: 1000 }, (_, i) => client.get(`nr:b:${i}`)),
        );
        reads.forEach((value, i) => assert.equal(value, `value-${i}`));

        const pipeline = client.multi();
        for (let i = 0; i < 100; i++) pipeline.get(`nr:b:${i}`);
        pipeline.dbSize();
        const replies = await pipeline.execAsPipeline();
        assert.equal(replies.length, 101);
        assert.equal(replies[42], "value-42");
        assert.equal(replies[100], 1001); // 1000 batch keys + the binary key
      });

      await t.step("10 MB value", async () => {
        const value = bigValue();
        assert.equal(await client.set("nr:big", value), "OK");
        assert.equal(await client.get("nr:big"), value);
        await client.del("nr:big");
      });

      await t.step("RESP3 through HELLO 3", async () => {
        const resp3 = await nodeRedis(server, 0, 3);
        try {
          assert.equal(await resp3.set("nr:h", "x"), "OK");
          assert.equal(await resp3.get("nr:h"), "x");
          // CONFIG GET answers a map in RESP3, a flat array in RESP2.
          const command = ["CONFIG", "GET", "databases"];
          assert.deepEqual({ ...await resp3.sendCommand(command) }, {
            databases: "16",
          });
          assert.deepEqual(await client.sendCommand(command), [
            "databases",
            "16",
          ]);
        } finally {
          resp3.destroy();
        }
      });

      await t.step("SELECT through the database option", async () => {
        const db5 = await nodeRedis(server, 5);
        try {
          assert.equal(await db5.set("nr:db", "five"), "OK");
          assert.equal(await db5.dbSize(), 1);
          assert.equal(await client.exists("nr:db"), 0);
        } finally {
          db5.destroy();
        }
      });
    } finally {
      client.destroy();
    }
  }));

Deno.test("50 concurrent clients of both libraries", () =>
  withRedeno(async (server) => {
    const perClient = 200;
    const ioClients = Array.from({ length: 25 }, () => ioredis(server));
    const nodeClients: NodeRedis[] = [];
    try {
      for (let i = 0; i < 25; i++) nodeClients.push(await nodeRedis(server));
      const work = async (
        id: number,
        set: (k: string, v: string) => Promise<unknown>,
        get: (k: string) => Promise<string | null>,
      ) => {
        for (let i = 0; i < perClient; i++) {
          const key = `c:${id}:${i}`;
          await set(key, `${id}/${i}`);
          assert.equal(await get(key), `${id}/${i}`);
        }
      };
      await Promise.all([
        ...ioClients.map((c, id) =>
          work(id, (k, v) => c.set(k, v), (k) => c.get(k))
        ),
        ...nodeClients.map((c, id) =>
          work(25 + id, (k, v) => c.set(k, v), (k) => c.get(k))
        ),
      ]);
      // Every value is where its writer left it, read back by one client.
      const check = ioClients[0].pipeline();
      for (let id = 0; id < 50; id++) {
        for (let i = 0; i < perClient; i++) check.get(`c:${id}:${i}`);
      }
      const results = (await check.exec())!;
      assert.equal(results.length, 50 * perClient);
      results.forEach(([error, value], n) => {
        assert.equal(error, null);
        assert.equal(value, `${Math.floor(n / perClient)}/${n % perClient}`);
      });
      assert.equal(await ioClients[0].dbsize(), 50 * perClient);
    } finally {
      for (const c of ioClients) c.disconnect();
      for (const c of nodeClients) c.destroy();
    }
  }));
