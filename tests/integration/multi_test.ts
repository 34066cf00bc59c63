import assert from "node:assert/strict";
import type { RespClient } from "../helpers/resp_client.ts";
import { startRedeno, startRedis } from "../helpers/servers.ts";

/** Connects `count` clients to `server`. */
async function connectMany(
  server: { connect(): Promise<RespClient> },
  count: number,
): Promise<RespClient[]> {
  const clients: RespClient[] = [];
  for (let i = 0; i < count; i++) clients.push(await server.connect());
  return clients;
}

Deno.test("WATCH races between many clients end with the exact count", async () => {
  const server = await startRedeno();
  const clients = await connectMany(server, 40);
  const incrementsEach = 25;
  let retries = 0;
  try {
    // A read-modify-write with GET and SET loses updates unless WATCH makes
    // every interleaved writer's EXEC fail and retry.
    const worker = async (client: RespClient) => {
      for (let done = 0; done < incrementsEach;) {
        assert.equal(await client.call("WATCH", "counter"), "OK");
        const value = Number(await client.call("GET", "counter") ?? 0);
        // Yield so the other clients' commands interleave with this one's.
        await new Promise((r) => setTimeout(r, 0));
        assert.equal(await client.call("MULTI"), "OK");
        assert.equal(await client.call("SET", "counter", value + 1), "QUEUED");
        const reply = await client.call("EXEC");
        if (reply === null) {
          retries++;
        } else {
          assert.deepEqual(reply, ["OK"]);
          done++;
        }
      }
    };
    await Promise.all(clients.map(worker));
    const probe = clients[0];
    assert.equal(
      await probe.call("GET", "counter"),
      String(clients.length * incrementsEach),
    );
    // The race really happened: some transactions were aborted and retried.
    assert.ok(retries > 0, "no EXEC was ever aborted by a concurrent write");
  } finally {
    for (const client of clients) client.close();
    await server.stop();
  }
});

Deno.test("EXEC is atomic for every other client", async () => {
  const server = await startRedeno();
  const [writer, reader] = await connectMany(server, 2);
  try {
    const rounds = 200;
    const width = 10;
    let pipeline = "";
    for (let round = 0; round < rounds; round++) {
      pipeline += "*1\r\n$5\r\nMULTI\r\n";
      for (let k = 0; k < width; k++) {
        pipeline += `*2\r\n$4\r\nINCR\r\n$2\r\nk${k}\r\n`;
      }
      pipeline += "*1\r\n$4\r\nEXEC\r\n";
    }
    const keys = Array.from({ length: width }, (_, k) => `k${k}`);
    const sent = writer.send(pipeline);
    // While the transactions run, every MGET must see all ten counters equal:
    // never a transaction half applied.
    let last = 0;
    while (last < rounds) {
      const values = (await reader.call("MGET", ...keys)) as (string | null)[];
      const counts = values.map((v) => Number(v ?? 0));
      assert.ok(
        counts.every((c) => c === counts[0]),
        `a transaction was seen half applied: ${counts}`,
      );
      assert.ok(counts[0] >= last, "counters went backwards");
      last = counts[0];
    }
    await sent;
    for (let round = 0; round < rounds; round++) {
      assert.equal(await writer.read(), "OK");
      for (let k = 0; k < width; k++) {
        assert.equal(await writer.read(), "QUEUED");
      }
      assert.deepEqual(
        await writer.read(),
        Array.from({ length: width }, () => round + 1),
      );
    }
  } finally {
    writer.close();
    reader.close();
    await server.stop();
  }
});

Deno.test("a client blocked on a list is served with the state EXEC left", async () => {
  const server = await startRedeno();
  const [blocked, writer] = await connectMany(server, 2);
  try {
    await blocked.write("BLPOP", "queue", 0);
    // BLPOP has registered once CLIENT LIST shows it blocked.
    while (
      !String(await writer.call("CLIENT", "LIST")).includes("cmd=blpop")
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(await writer.call("MULTI"), "OK");
    assert.equal(await writer.call("RPUSH", "queue", "a", "b"), "QUEUED");
    assert.equal(await writer.call("LPOP", "queue"), "QUEUED");
    assert.deepEqual(await writer.call("EXEC"), [2, "a"]);
    // Had it been served after RPUSH inside the transaction it would have had "a".
    assert.deepEqual(await blocked.read(), ["queue", "b"]);
    assert.equal(await writer.call("EXISTS", "queue"), 0);
  } finally {
    blocked.close();
    writer.close();
    await server.stop();
  }
});

Deno.test("BGSAVE and BGREWRITEAOF inside EXEC are scheduled and then run, as in redis-server", async () => {
  const seen: unknown[] = [];
  for (const start of [startRedeno, startRedis]) {
    const dir = Deno.makeTempDirSync();
    const server = await start(["--dir", dir, "--save", ""]);
    try {
      const c = await server.connect();
      await c.call("SET", "k", "v");
      await c.call("MULTI");
      await c.call("BGSAVE");
      await c.call("BGSAVE", "SCHEDULE");
      await c.call("BGREWRITEAOF");
      seen.push(await c.call("EXEC"));
      // The cron starts both; the dump then holds the key.
      let persistence = "";
      for (let i = 0; i < 100; i++) {
        persistence = String(await c.call("INFO", "persistence"));
        if (
          /rdb_changes_since_last_save:0/.test(persistence) &&
          /rdb_bgsave_in_progress:0/.test(persistence) &&
          /aof_rewrite_in_progress:0/.test(persistence) &&
          /aof_rewrite_scheduled:0/.test(persistence)
        ) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.match(persistence, /rdb_last_bgsave_status:ok/);
      assert.match(persistence, /aof_last_bgrewrite_status:ok/);
      assert.ok(Deno.statSync(`${dir}/dump.rdb`).size > 0);
      c.close();
    } finally {
      await server.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  }
  assert.deepEqual(seen[0], [
    "Background saving scheduled",
    "Background saving scheduled",
    "Background append only file rewriting scheduled",
  ]);
  assert.deepEqual(seen[0], seen[1]);
});
