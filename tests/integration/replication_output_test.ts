/**
 * What a primary sends its replicas, beyond the dataset and the stream:
 * the RDB paced by a slow replica's socket (diskless and `$len`), the
 * replica class of client-output-buffer-limit, pre-sync newline keepalives,
 * a disk sync joining a running one, `redis-cli --rdb` (REPLCONF rdb-only),
 * and a replica's CLIENT LIST line. Where the behaviour is visible on the
 * wire or in the log, redis-server 7.0 runs the same script.
 * @module
 */

import { assertRdbChecks } from "../helpers/check_rdb.ts";
import assert from "node:assert/strict";
import { RespError } from "../../src/protocol/decoder.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import { RawReader } from "../helpers/raw_reader.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";
import {
  caughtUp,
  digest,
  fill,
  info,
  waitFor,
} from "../helpers/replication.ts";

const DEBUG = ["--enable-debug-command", "yes"];

/** A hand-driven replica connection to `server`. */
async function rawReplica(server: RunningServer): Promise<RawReader> {
  return new RawReader(
    await Deno.connect({ hostname: "127.0.0.1", port: server.port }),
  );
}

/** The CLIENT LIST line of the replica (flags=S) as a field map, or undefined. */
async function replicaLine(
  c: RespClient,
): Promise<Map<string, string> | undefined> {
  const text = String(await c.call("CLIENT", "LIST"));
  const line = text.split("\n").find((l) => l.includes(" flags=S "));
  if (!line) return undefined;
  return new Map(
    line.trim().split(" ").map((f) => {
      const eq = f.indexOf("=");
      return [f.slice(0, eq), f.slice(eq + 1)];
    }),
  );
}

/** Reads a full sync's header: +FULLRESYNC and `$len` or `$EOF:mark`. */
async function readHeader(
  raw: RawReader,
): Promise<{ replid: string; offset: number; length: number; mark: string }> {
  await raw.until((t) => /\$(EOF:[0-9a-f]{40}|\d+)\r\n/.test(t));
  const match =
    /^\n*\+FULLRESYNC ([0-9a-f]{40}) (\d+)\r\n\n*\$(?:EOF:([0-9a-f]{40})|(\d+))\r\n/
      .exec(raw.text);
  assert.ok(match, JSON.stringify(raw.text.slice(0, 200)));
  raw.take(match[0].length);
  return {
    replid: match[1],
    offset: Number(match[2]),
    mark: match[3] ?? "",
    length: match[4] === undefined ? -1 : Number(match[4]),
  };
}

/** Reads the payload announced by `header`. */
async function readPayload(
  raw: RawReader,
  header: { length: number; mark: string },
): Promise<string> {
  if (header.mark) {
    await raw.until((t) => t.includes(header.mark));
    const rdb = raw.take(raw.text.indexOf(header.mark));
    raw.take(header.mark.length);
    return rdb;
  }
  await raw.until((t) => t.length >= header.length);
  return raw.take(header.length);
}

/** Sends PSYNC ? -1, after `REPLCONF capa eof` (and its +OK) when `capaEof`. */
async function requestSync(raw: RawReader, capaEof: boolean): Promise<void> {
  if (capaEof) {
    // PSYNC refuses pending output: the reply must be read first.
    await raw.send("REPLCONF capa eof\r\n");
    await raw.until((t) => t.startsWith("+OK\r\n"));
    raw.take(5);
  }
  await raw.send("PSYNC ? -1\r\n");
}

/**
 * A primary (redeno unless `start` says) started with `args` and holding
 * about 14 MB of RDB (far beyond what the kernel's buffers take), and a raw
 * replica of it that has read its sync's header and nothing more.
 */
async function withStalledReplica(
  args: string[],
  capaEof: boolean,
  body: (
    p: RespClient,
    raw: RawReader,
    header: { length: number; mark: string },
    primary: RunningServer,
  ) => Promise<void>,
  start: (args: string[]) => Promise<RunningServer> = startRedeno,
): Promise<void> {
  const primary = await start([
    ...DEBUG,
    "--repl-diskless-sync-delay",
    "0",
    "--rdbcompression",
    "no",
    ...args,
  ]);
  const p = await primary.connect();
  const raw = await rawReplica(primary);
  try {
    await p.call("DEBUG", "POPULATE", "120000", "key", "100");
    await requestSync(raw, capaEof);
    await body(p, raw, await readHeader(raw), primary);
  } catch (error) {
    console.error(primary.output());
    throw error;
  } finally {
    p.close();
    raw.conn.close();
    await primary.stop();
  }
}

for (const diskless of ["yes", "no"]) {
  Deno.test(`repl-diskless-sync ${diskless}: a replica that does not read holds the primary's output for it to about a megabyte, and others are served`, async () => {
    await withStalledReplica(
      ["--repl-diskless-sync", diskless],
      diskless === "yes",
      async (p, raw, header) => {
        let largest = 0;
        for (let i = 0; i < 15; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          assert.equal(await p.call("PING"), "PONG");
          const line = await replicaLine(p);
          largest = Math.max(largest, Number(line?.get("omem") ?? 0));
        }
        assert.ok(largest < 4 << 20, `omem reached ${largest}`);
        assert.ok(largest > 0, "the transfer was not waiting on the replica");
        const rdb = await readPayload(raw, header);
        assert.ok(rdb.length > 12e6, `RDB of ${rdb.length} bytes`);
        assert.ok(rdb.startsWith("REDIS0010"));
      },
    );
  });
}

const PRIMARIES = { redeno: startRedeno, "redis-server": startRedis };

/** The first replica's state in INFO replication (slave0's `state=`). */
async function replicaState(p: RespClient): Promise<string> {
  const line = (await info(p, "replication")).get("slave0") ?? "";
  return /state=(\w+)/.exec(line)?.[1] ?? "";
}

for (const [name, start] of Object.entries(PRIMARIES)) {
  Deno.test(`${name}: INFO shows a replica wait_bgsave while a diskless RDB is paced by it, send_bulk while a saved one is`, async () => {
    await withStalledReplica(
      ["--repl-diskless-sync", "yes"],
      true,
      async (p) => {
        assert.equal(await replicaState(p), "wait_bgsave");
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(await replicaState(p), "wait_bgsave");
        // The transfer is an RDB save in progress (Redis's child).
        const fields = await info(p, "persistence");
        assert.equal(fields.get("rdb_bgsave_in_progress"), "1");
        assert.notEqual(fields.get("rdb_current_bgsave_time_sec"), "-1");
        for (const command of [["BGSAVE"], ["BGSAVE", "SCHEDULE"], ["SAVE"]]) {
          const reply = await p.call(...command);
          assert.ok(reply instanceof RespError, String(reply));
          assert.equal(
            reply.message,
            "ERR Background save already in progress",
          );
        }
      },
      start,
    );
    await withStalledReplica(
      ["--repl-diskless-sync", "no"],
      false,
      async (p) => {
        await waitFor(
          "the save to end",
          async () =>
            (await info(p, "persistence")).get("rdb_bgsave_in_progress") ===
              "0",
        );
        assert.equal(await replicaState(p), "send_bulk");
      },
      start,
    );
  });

  Deno.test(`${name}: a disk-form full sync saves dbfilename (redis-check-rdb passes), resets the changes count and moves LASTSAVE`, async () => {
    const dir = Deno.makeTempDirSync();
    const primary = await start([
      ...DEBUG,
      "--repl-diskless-sync",
      "no",
      "--dir",
      dir,
    ]);
    const p = await primary.connect();
    let replica: RunningServer | undefined;
    try {
      await fill(p, "");
      await p.call("DEBUG", "POPULATE", "5000", "pop", "20");
      const before = await p.call("LASTSAVE") as number;
      const changes = await info(p, "persistence");
      assert.notEqual(changes.get("rdb_changes_since_last_save"), "0");
      // LASTSAVE counts seconds: the save must fall in a later one.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      replica = await startRedis([
        ...DEBUG,
        "--replicaof",
        "127.0.0.1",
        String(primary.port),
      ]);
      const r = await replica.connect();
      try {
        await caughtUp(p, r);
        assert.equal(await digest(r), await digest(p));
      } finally {
        r.close();
      }
      const fields = await info(p, "persistence");
      assert.equal(fields.get("rdb_changes_since_last_save"), "0");
      assert.equal(fields.get("rdb_last_bgsave_status"), "ok");
      assert.equal(fields.get("rdb_bgsave_in_progress"), "0");
      assert.ok(await p.call("LASTSAVE") as number > before);
      assert.match(
        primary.output(),
        /Starting BGSAVE for SYNC with target: disk[^]*Background saving terminated with success/,
      );
      await assertRdbChecks(`${dir}/dump.rdb`);
    } catch (error) {
      console.error(primary.output());
      if (replica) console.error(replica.output());
      throw error;
    } finally {
      p.close();
      await replica?.stop();
      await primary.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  });

  Deno.test(`${name}: a disk-form full sync whose save fails drops the replica and sets rdb_last_bgsave_status:err`, async () => {
    const dir = Deno.makeTempDirSync();
    const primary = await start([
      "--repl-diskless-sync",
      "no",
      "--dir",
      dir,
      // No save points, so no MISCONF: the server serves on.
      "--save",
      "",
    ]);
    const p = await primary.connect();
    const raw = await rawReplica(primary);
    try {
      await p.call("SET", "k", "v");
      // The server's working directory is gone: the temp file cannot be made.
      Deno.removeSync(dir, { recursive: true });
      await requestSync(raw, false);
      await assert.rejects(raw.until(() => false), /closed/);
      assert.match(raw.text, /^\n*\+FULLRESYNC [0-9a-f]{40} \d+\r\n\n*$/);
      await waitFor(
        "the failed sync's log line",
        () =>
          Promise.resolve(
            /Background saving error[^]*SYNC failed\. BGSAVE child returned an error/
              .test(primary.output()),
          ),
      );
      const fields = await info(p, "persistence");
      assert.equal(fields.get("rdb_last_bgsave_status"), "err");
      assert.equal(await p.call("PING"), "PONG");
    } catch (error) {
      console.error(primary.output());
      throw error;
    } finally {
      p.close();
      raw.conn.close();
      await primary.stop();
    }
  });
}

Deno.test("a replica that stops reading a diskless RDB is dropped after repl-timeout, and the snapshot is free again", async () => {
  await withStalledReplica(
    ["--repl-timeout", "1"],
    true,
    async (p, _raw, _header, primary) => {
      await waitFor(
        "the stalled replica to be dropped",
        async () =>
          (await info(p, "replication")).get("connected_slaves") === "0",
        8000,
      );
      assert.match(
        primary.output(),
        /Disconnecting timedout replica \(full sync\): 127\.0\.0\.1:<unknown-replica-port>/,
      );
      assert.equal(await p.call("BGSAVE"), "Background saving started");
    },
  );
});

/**
 * Runs `script` against a redeno and a redis-server primary started with
 * `args`, each with a raw replica connection.
 */
async function onBoth(
  args: string[],
  script: (
    server: RunningServer,
    p: RespClient,
    raw: RawReader,
  ) => Promise<void>,
): Promise<void> {
  const servers = await Promise.all([startRedeno(args), startRedis(args)]);
  const clients: RespClient[] = [];
  const raws: RawReader[] = [];
  try {
    await Promise.all(servers.map(async (server) => {
      const p = await server.connect();
      clients.push(p);
      const raw = await rawReplica(server);
      raws.push(raw);
      await script(server, p, raw);
    }));
  } catch (error) {
    for (const server of servers) console.error(server.output());
    throw error;
  } finally {
    for (const c of clients) c.close();
    for (const raw of raws) raw.conn.close();
    for (const server of servers) await server.stop();
  }
}

/** A diskless sync read to its end mark, then no ACK: the stream is held. */
async function syncWithoutAck(raw: RawReader): Promise<void> {
  await requestSync(raw, true);
  await readPayload(raw, await readHeader(raw));
}

/** Waits for the log line of a client closed by its output buffer limit. */
function limitLogged(server: RunningServer, how: string): Promise<void> {
  const line = new RegExp(
    `Client id=\\d+ addr=\\S+ laddr=\\S+ .*${how} for overcoming of output buffer limits\\.`,
  );
  return waitFor(
    "the output buffer limit's log line",
    () => Promise.resolve(line.test(server.output())),
    5000,
  );
}

Deno.test("client-output-buffer-limit replica: the stream held for a replica over the hard limit closes it, as in redis-server", async () => {
  await onBoth([
    "--repl-diskless-sync-delay",
    "0",
    "--client-output-buffer-limit",
    "replica 1mb 0 0",
  ], async (server, p, raw) => {
    await syncWithoutAck(raw);
    for (let i = 0; i < 20; i++) {
      await p.call("SET", `k${i}`, "x".repeat(100_000));
    }
    await raw.until(() => false).catch(() => {});
    await waitFor(
      "the replica to be dropped",
      async () =>
        (await info(p, "replication")).get("connected_slaves") === "0",
    );
    await limitLogged(server, "scheduled to be closed ASAP");
  });
});

Deno.test("client-output-buffer-limit replica: over the soft limit for its seconds closes it; CLIENT LIST omem counts the held stream", async () => {
  await onBoth([
    "--repl-diskless-sync-delay",
    "0",
    "--client-output-buffer-limit",
    "replica 0 256kb 1",
  ], async (server, p, raw) => {
    await syncWithoutAck(raw);
    for (let i = 0; i < 4; i++) {
      await p.call("SET", `k${i}`, "x".repeat(100_000));
    }
    const line = await replicaLine(p);
    assert.ok(Number(line?.get("omem")) >= 400_000, line?.get("omem"));
    const since = Date.now();
    await raw.until(() => false).catch(() => {});
    assert.ok(Date.now() - since >= 500, "closed before the soft seconds");
    // The cron finds it: Redis logs that close as done, not scheduled.
    await limitLogged(server, "closed");
  });
});

Deno.test("a replica waiting for its diskless sync gets newlines until +FULLRESYNC, as from redis-server", async () => {
  await onBoth(
    ["--repl-diskless-sync-delay", "3"],
    async (_server, _p, raw) => {
      await raw.send("REPLCONF capa eof\r\n");
      await raw.until((t) => t.startsWith("+OK\r\n"));
      raw.take(5);
      await raw.send("PSYNC ? -1\r\n");
      await raw.until((t) => t.includes("+FULLRESYNC"));
      assert.match(raw.text, /^\n{2,}\+FULLRESYNC/);
    },
  );
});

Deno.test("a disk sync arriving while another replica's is saved joins it: same offset, same RDB, the same stream; a BGSAVE of its own is not shared", async () => {
  const primary = await startRedeno([...DEBUG, "--repl-diskless-sync", "no"]);
  const p = await primary.connect();
  const raws: RawReader[] = [];
  try {
    await p.call("DEBUG", "POPULATE", "300000", "key", "10");
    const first = await rawReplica(primary);
    raws.push(first);
    await first.send("PSYNC ? -1\r\n");
    await waitFor(
      "the first sync to start",
      () =>
        Promise.resolve(
          primary.output().includes(
            "Starting BGSAVE for SYNC with target: disk",
          ),
        ),
      5000,
    );
    await p.call("SET", "during", "1");
    const second = await rawReplica(primary);
    raws.push(second);
    await second.send("PSYNC ? -1\r\n");
    const headers = [await readHeader(first), await readHeader(second)];
    assert.match(primary.output(), /Waiting for end of BGSAVE for SYNC/);
    assert.equal(headers[1].replid, headers[0].replid);
    assert.equal(headers[1].offset, headers[0].offset);
    const payloads = [
      await readPayload(first, headers[0]),
      await readPayload(second, headers[1]),
    ];
    assert.equal(payloads[1], payloads[0]);
    const stream = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" +
      "*3\r\n$3\r\nSET\r\n$6\r\nduring\r\n$1\r\n1\r\n";
    for (const raw of [first, second]) {
      await raw.until((t) => t.includes("during"));
      // The cron's PINGs may come anywhere in it.
      const commands = raw.text.replaceAll("*1\r\n$4\r\nPING\r\n", "");
      assert.equal(commands.slice(0, stream.length), stream);
    }
    // A BGSAVE for its own sake registers no stream: the next sync waits.
    assert.equal(await p.call("BGSAVE"), "Background saving started");
    const third = await rawReplica(primary);
    raws.push(third);
    await third.send("PSYNC ? -1\r\n");
    const header = await readHeader(third);
    assert.match(
      primary.output(),
      /Can't attach the replica to the current BGSAVE\. Waiting for next BGSAVE for SYNC/,
    );
    assert.ok(header.offset >= headers[0].offset + stream.length);
    assert.equal((await info(p, "stats")).get("sync_full"), "3");
  } catch (error) {
    console.error(primary.output());
    throw error;
  } finally {
    p.close();
    for (const raw of raws) raw.conn.close();
    await primary.stop();
  }
});

for (const diskless of ["yes", "no"]) {
  Deno.test(`redis-cli --rdb against redeno (repl-diskless-sync ${diskless}): the file passes redis-check-rdb and loads with the same digest`, async () => {
    const primary = await startRedeno([
      ...DEBUG,
      "--repl-diskless-sync",
      diskless,
      "--repl-diskless-sync-delay",
      "0",
    ]);
    const p = await primary.connect();
    const dir = Deno.makeTempDirSync();
    let loaded: RunningServer | undefined;
    try {
      await fill(p, "");
      await p.call("DEBUG", "POPULATE", "5000", "pop", "20");
      const cli = await new Deno.Command("redis-cli", {
        args: ["-p", String(primary.port), "--rdb", `${dir}/dump.rdb`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = new TextDecoder().decode(cli.stdout) +
        new TextDecoder().decode(cli.stderr);
      assert.ok(cli.success, said);
      assert.match(said, /Transfer finished with success/);
      await assertRdbChecks(`${dir}/dump.rdb`);
      await waitFor(
        "the rdb-only link to close",
        async () =>
          (await info(p, "replication")).get("connected_slaves") === "0",
      );
      assert.match(
        primary.output(),
        /RDB transfer completed, rdb only replica \(.*\) should be disconnected asap/,
      );
      loaded = await startRedis([
        ...DEBUG,
        "--dir",
        dir,
        "--dbfilename",
        "dump.rdb",
      ]);
      const r = await loaded.connect();
      try {
        assert.equal(await digest(r), await digest(p));
      } finally {
        r.close();
      }
    } catch (error) {
      console.error(primary.output());
      throw error;
    } finally {
      p.close();
      await loaded?.stop();
      await primary.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("CLIENT LIST on a primary shows its replica as redis-server does", async () => {
  const lines: Map<string, string>[] = [];
  for (const start of [startRedeno, startRedis]) {
    const primary = await start([...DEBUG, "--repl-diskless-sync-delay", "0"]);
    let replica: RunningServer | undefined;
    const clients: RespClient[] = [];
    try {
      const p = await primary.connect();
      clients.push(p);
      await p.call("SET", "k", "v");
      replica = await startRedis([
        "--replicaof",
        "127.0.0.1",
        String(primary.port),
      ]);
      const r = await replica.connect();
      clients.push(r);
      await caughtUp(p, r);
      // Its REPLCONF ACKs come every second.
      await waitFor(
        "an ACK",
        async () => (await replicaLine(p))?.get("cmd") === "replconf",
      );
      lines.push((await replicaLine(p))!);
    } finally {
      for (const c of clients) c.close();
      await replica?.stop();
      await primary.stop();
    }
  }
  const [redeno, redis] = lines;
  assert.deepEqual([...redeno.keys()], [...redis.keys()]);
  for (const field of ["flags", "db", "sub", "psub", "multi", "cmd", "user"]) {
    assert.equal(redeno.get(field), redis.get(field), field);
  }
  assert.ok(Number(redeno.get("idle")) <= 1);
});
