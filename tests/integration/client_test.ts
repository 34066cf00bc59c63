/**
 * CLIENT subcommands over TCP: replies and errors byte for byte against a
 * real redis-server 7.0, CLIENT LIST's field set, KILL, REPLY and PAUSE.
 * @module
 */

import assert from "node:assert/strict";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import { waitFor } from "../helpers/replication.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import { startRedeno, startRedis } from "../helpers/servers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A reply's exact bytes, with HELLO's client id masked. */
async function raw(client: RespClient, ...argv: string[]): Promise<string> {
  return bytesToBinary(await client.callRaw(...argv))
    .replace(/(\$2\r\nid\r\n):\d+/, "$1:<id>");
}

/** `key=value` fields of one CLIENT LIST line. */
function fields(line: string): Map<string, string> {
  return new Map(
    line.trim().split(" ").map((f) => {
      const eq = f.indexOf("=");
      return [f.slice(0, eq), f.slice(eq + 1)];
    }),
  );
}

Deno.test("CLIENT replies and errors match Redis byte for byte", async () => {
  const script = [
    ["CLIENT"],
    ["CLIENT", "HELP"],
    ["CLIENT", "NOSUCH"],
    ["CLIENT", "SETINFO", "LIB-NAME", "x"],
    ["CLIENT", "NO-TOUCH", "ON"],
    ["CLIENT", "GETNAME"],
    ["CLIENT", "SETNAME", "a b"],
    ["CLIENT", "SETNAME", "a\nb"],
    ["CLIENT", "SETNAME", "caf\xe9"],
    ["CLIENT", "SETNAME", "good-name"],
    ["CLIENT", "GETNAME"],
    ["CLIENT", "SETNAME"],
    ["CLIENT", "GETNAME", "x"],
    ["CLIENT", "ID", "x"],
    ["CLIENT", "INFO", "x"],
    ["CLIENT", "LIST", "TYPE", "foo"],
    ["CLIENT", "LIST", "TYPE", "pubsub"],
    ["CLIENT", "LIST", "TYPE", "master"],
    ["CLIENT", "LIST", "TYPE", "replica"],
    ["CLIENT", "LIST", "TYPE", "slave"],
    ["CLIENT", "LIST", "TYPE"],
    ["CLIENT", "LIST", "ID"],
    ["CLIENT", "LIST", "ID", "abc"],
    ["CLIENT", "LIST", "ID", "0", "99999"],
    ["CLIENT", "LIST", "foo"],
    ["CLIENT", "KILL"],
    ["CLIENT", "KILL", "1.2.3.4:5"],
    ["CLIENT", "KILL", "ID"],
    ["CLIENT", "KILL", "ID", "abc"],
    ["CLIENT", "KILL", "ID", "0"],
    ["CLIENT", "KILL", "ID", "99999"],
    ["CLIENT", "KILL", "TYPE", "foo"],
    ["CLIENT", "KILL", "ID", "1", "TYPE", "foo"],
    ["CLIENT", "KILL", "foo", "bar"],
    ["CLIENT", "KILL", "SKIPME", "maybe"],
    ["CLIENT", "KILL", "TYPE", "normal", "SKIPME"],
    ["CLIENT", "KILL", "MAXAGE", "1"],
    ["CLIENT", "KILL", "ADDR", "1.2.3.4:5"],
    ["CLIENT", "KILL", "LADDR", "1.2.3.4:5"],
    ["CLIENT", "KILL", "USER", "nobody"],
    ["CLIENT", "KILL", "USER", "default", "TYPE", "pubsub"],
    ["CLIENT", "NO-EVICT", "on"],
    ["CLIENT", "NO-EVICT", "OFF"],
    ["CLIENT", "NO-EVICT", "maybe"],
    ["CLIENT", "NO-EVICT"],
    ["CLIENT", "REPLY", "maybe"],
    ["CLIENT", "REPLY"],
    ["CLIENT", "REPLY", "ON"],
    ["CLIENT", "PAUSE"],
    ["CLIENT", "PAUSE", "abc"],
    ["CLIENT", "PAUSE", "1.5"],
    ["CLIENT", "PAUSE", "-1"],
    ["CLIENT", "PAUSE", "10", "foo"],
    ["CLIENT", "PAUSE", "abc", "write", "x"],
    ["CLIENT", "Pause", "10", "write", "x"],
    ["CLIENT", "PAUSE", "9223372036854775807"],
    ["CLIENT", "UNPAUSE", "x"],
    ["CLIENT", "UNPAUSE"],
    ["CLIENT", "GETREDIR"],
    ["CLIENT", "TRACKINGINFO"],
    ["HELLO", "3"],
    ["CLIENT", "TRACKINGINFO"],
    ["CLIENT", "GETNAME"],
    ["CLIENT", "SETNAME", ""],
    ["CLIENT", "GETNAME"],
    ["CLIENT", "LIST", "TYPE", "pubsub"],
  ];
  const [redeno, redis] = await Promise.all([startRedeno(), startRedis()]);
  const [a, b] = await Promise.all([redeno.connect(), redis.connect()]);
  try {
    for (const argv of script) {
      assert.equal(
        await raw(a, ...argv),
        await raw(b, ...argv),
        argv.join(" "),
      );
    }
  } finally {
    a.close();
    b.close();
    await Promise.all([redeno.stop(), redis.stop()]);
  }
});

Deno.test("CLIENT LIST and INFO print Redis 7.0's fields with real values", async () => {
  const [redeno, redis] = await Promise.all([startRedeno(), startRedis()]);
  const [a, other, b] = await Promise.all([
    redeno.connect(),
    redeno.connect(),
    redis.connect(),
  ]);
  try {
    const theirs = fields(String(await b.call("CLIENT", "INFO")));
    await a.call("CLIENT", "SETNAME", "me");
    await a.call("SELECT", "2");
    await a.call("CLIENT", "NO-EVICT", "on");
    const id = await a.call("CLIENT", "ID");
    const otherId = await other.call("CLIENT", "ID");
    const info = String(await a.call("CLIENT", "INFO"));
    assert.ok(info.endsWith("\n"));
    const ours = fields(info);
    assert.deepEqual([...ours.keys()], [...theirs.keys()]);
    assert.equal(ours.get("id"), String(id));
    assert.equal(ours.get("name"), "me");
    assert.equal(ours.get("db"), "2");
    assert.equal(ours.get("flags"), "e");
    assert.equal(ours.get("cmd"), "client|info");
    assert.equal(ours.get("resp"), "2");
    assert.equal(ours.get("user"), "default");
    assert.equal(ours.get("laddr"), `127.0.0.1:${redeno.port}`);
    assert.match(ours.get("addr")!, /^127\.0\.0\.1:\d+$/);

    const list = String(await a.call("CLIENT", "LIST")).split("\n");
    assert.equal(list.pop(), "");
    assert.deepEqual(list.map((l) => fields(l).get("id")), [
      String(id),
      String(otherId),
    ]);
    assert.equal(fields(list[0]).get("cmd"), "client|list");
    assert.equal(fields(list[1]).get("cmd"), "client|id");
    const byId = String(
      await a.call(
        "CLIENT",
        "LIST",
        "ID",
        String(otherId),
        "99999",
        String(id),
      ),
    ).split("\n").filter((l) => l);
    assert.deepEqual(byId.map((l) => fields(l).get("id")), [
      String(otherId),
      String(id),
    ]);
    const normal = String(await a.call("CLIENT", "LIST", "TYPE", "normal"));
    assert.equal(normal.split("\n").length, 3);

    await a.call("HELLO", "3");
    const verbatim = bytesToBinary(await a.callRaw("CLIENT", "INFO"));
    assert.match(verbatim, /^=\d+\r\ntxt:id=/);
    assert.match(verbatim, / resp=3\n\r\n$/);
  } finally {
    a.close();
    other.close();
    b.close();
    await Promise.all([redeno.stop(), redis.stop()]);
  }
});

Deno.test("CLIENT KILL by id, address, type and SKIPME", async () => {
  const server = await startRedeno();
  const [me, victim, second, third] = await Promise.all([
    server.connect(),
    server.connect(),
    server.connect(),
    server.connect(),
  ]);
  try {
    const victimId = String(await victim.call("CLIENT", "ID"));
    assert.equal(await raw(me, "CLIENT", "KILL", "ID", victimId), ":1\r\n");
    assert.ok(await victim.closedWithin(2000));

    const addr = fields(String(await second.call("CLIENT", "INFO"))).get(
      "addr",
    )!;
    assert.equal(await raw(me, "CLIENT", "KILL", addr), "+OK\r\n");
    assert.ok(await second.closedWithin(2000));
    assert.equal(
      await raw(me, "CLIENT", "KILL", addr),
      "-ERR No such client\r\n",
    );

    // SKIPME yes (the default) spares the caller; the other normal client goes.
    assert.equal(await raw(me, "CLIENT", "KILL", "TYPE", "normal"), ":1\r\n");
    assert.ok(await third.closedWithin(2000));
    assert.equal(await me.call("PING"), "PONG");

    // SKIPME no: the caller gets its reply, then the connection closes.
    assert.equal(
      await raw(me, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"),
      ":1\r\n",
    );
    assert.ok(await me.closedWithin(2000));
  } finally {
    for (const c of [me, victim, second, third]) c.close();
    await server.stop();
  }
});

Deno.test("CLIENT REPLY OFF, SKIP and ON", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    await client.write("CLIENT", "REPLY", "OFF");
    await client.write("SET", "a", "1");
    await client.write("NOSUCHCOMMAND");
    await client.write("CLIENT", "REPLY", "SKIP");
    assert.equal(await raw(client, "CLIENT", "REPLY", "ON"), "+OK\r\n");
    await client.write("CLIENT", "REPLY", "SKIP");
    await client.write("GET", "a");
    assert.equal(await raw(client, "GET", "a"), "$1\r\n1\r\n");
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("CLIENT PAUSE holds commands back in order; WRITE holds only writes", async () => {
  const server = await startRedeno();
  const [admin, writer] = await Promise.all([
    server.connect(),
    server.connect(),
  ]);
  try {
    // WRITE: reads go through, writes wait for UNPAUSE and then run in order.
    assert.equal(await admin.call("CLIENT", "PAUSE", "10000", "WRITE"), "OK");
    assert.equal(await writer.call("GET", "k"), null);
    await writer.write("SET", "k", "1");
    await writer.write("SET", "k", "2");
    await writer.write("GET", "k");
    await sleep(150);
    assert.equal(await admin.call("GET", "k"), null, "write ran during pause");
    const list = String(await admin.call("CLIENT", "LIST", "TYPE", "normal"));
    assert.match(list, /flags=b .*cmd=set/);
    assert.equal(await admin.call("CLIENT", "UNPAUSE"), "OK");
    assert.equal(await writer.read(), "OK");
    assert.equal(await writer.read(), "OK");
    assert.equal(await writer.read(), "2");

    // ALL: even PING waits, until the timeout ends the pause.
    const started = Date.now();
    assert.equal(await admin.call("CLIENT", "PAUSE", "300"), "OK");
    assert.equal(await writer.call("PING"), "PONG");
    assert.ok(Date.now() - started >= 250, "PING was not held back");
    assert.equal(await writer.call("GET", "k"), "2");
  } finally {
    admin.close();
    writer.close();
    await server.stop();
  }
});

Deno.test("a primary lists its replica as TYPE replica (flags S) and CLIENT KILL TYPE replica|slave drops it, as redis-server", async () => {
  for (const startPrimary of [startRedeno, startRedis]) {
    const primary = await startPrimary();
    const replica = await startRedis([
      "--replicaof",
      "127.0.0.1",
      String(primary.port),
    ]);
    const c = await primary.connect();
    try {
      await waitFor(
        "the replica to connect",
        async () =>
          String(await c.call("CLIENT", "LIST", "TYPE", "replica")) !== "",
      );
      const line = String(await c.call("CLIENT", "LIST", "TYPE", "slave"));
      assert.equal(fields(line).get("flags"), "S");
      const normal = String(await c.call("CLIENT", "LIST", "TYPE", "normal"));
      assert.equal(normal.trim().split("\n").length, 1);
      assert.equal(await c.call("CLIENT", "KILL", "TYPE", "replica"), 1);
      // The replica dials again; SLAVE names the same type.
      await waitFor(
        "the replica to reconnect",
        async () =>
          String(await c.call("CLIENT", "LIST", "TYPE", "replica")) !== "",
      );
      assert.equal(await c.call("CLIENT", "KILL", "TYPE", "slave"), 1);
    } finally {
      c.close();
      await replica.stop();
      await primary.stop();
    }
  }
});
