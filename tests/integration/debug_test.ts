/**
 * DEBUG over TCP: PROTOCOL's exact bytes in RESP2 and RESP3, OBJECT's line,
 * DIGEST and DIGEST-VALUE against values redis-server 7.0.15 printed,
 * SET-ACTIVE-EXPIRE, POPULATE, HELP, CHANGE-REPL-ID (with redis-server) and the
 * unknown-subcommand error.
 * @module
 */

import assert from "node:assert/strict";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import { freePort } from "../helpers/ports.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";

const ZEROS = "0".repeat(40);

async function withServer(
  fn: (client: RespClient) => Promise<void>,
): Promise<void> {
  const server: RunningServer = await startRedeno([
    "--enable-debug-command",
    "yes",
    "--rdbcompression",
    "no",
  ]);
  let client: RespClient | undefined;
  try {
    client = await server.connect();
    await fn(client);
  } finally {
    client?.close();
    await server.stop();
  }
}

async function raw(client: RespClient, ...argv: string[]): Promise<string> {
  return bytesToBinary(await client.callRaw(...argv));
}

/** DEBUG PROTOCOL replies as redis-server 7.0.15 sends them: [type, RESP2, RESP3]. */
const PROTOCOL_BYTES: [string, string, string][] = [
  ["string", "$11\r\nHello World\r\n", "$11\r\nHello World\r\n"],
  ["integer", ":12345\r\n", ":12345\r\n"],
  ["double", "$5\r\n3.141\r\n", ",3.141\r\n"],
  [
    "bignum",
    "$37\r\n1234567999999999999999999999999999999\r\n",
    "(1234567999999999999999999999999999999\r\n",
  ],
  ["null", "$-1\r\n", "_\r\n"],
  ["array", "*3\r\n:0\r\n:1\r\n:2\r\n", "*3\r\n:0\r\n:1\r\n:2\r\n"],
  ["set", "*3\r\n:0\r\n:1\r\n:2\r\n", "~3\r\n:0\r\n:1\r\n:2\r\n"],
  [
    "map",
    "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
    "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
  ],
  [
    "attrib",
    "$39\r\nSome real reply following the attribute\r\n",
    "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n" +
    "$39\r\nSome real reply following the attribute\r\n",
  ],
  [
    "verbatim",
    "$25\r\nThis is a verbatim\nstring\r\n",
    "=29\r\ntxt:This is a verbatim\nstring\r\n",
  ],
  ["true", ":1\r\n", "#t\r\n"],
  ["false", ":0\r\n", "#f\r\n"],
  ["STRING", "$11\r\nHello World\r\n", "$11\r\nHello World\r\n"],
];

Deno.test("DEBUG PROTOCOL sends Redis's bytes for every type in RESP2 and RESP3", async () => {
  await withServer(async (client) => {
    for (const [type, resp2] of PROTOCOL_BYTES) {
      assert.equal(await raw(client, "DEBUG", "PROTOCOL", type), resp2, type);
    }
    assert.equal(
      await raw(client, "DEBUG", "PROTOCOL", "push"),
      "-ERR RESP2 is not supported by this command\r\n",
    );
    await client.call("HELLO", "3");
    for (const [type, , resp3] of PROTOCOL_BYTES) {
      // The test client's decoder skips attributes; the bytes read include them.
      await client.write("DEBUG", "PROTOCOL", type);
      const { bytes } = await client.readWithBytes();
      assert.equal(bytesToBinary(bytes), resp3, type);
    }
    // A push message, then the reply.
    await client.write("DEBUG", "PROTOCOL", "push");
    const push = bytesToBinary((await client.readWithBytes()).bytes);
    const reply = bytesToBinary((await client.readWithBytes()).bytes);
    assert.equal(push, ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n");
    assert.equal(reply, "$40\r\nSome real reply following the push reply\r\n");
    assert.equal(
      await raw(client, "DEBUG", "PROTOCOL", "nosuch"),
      "-ERR Wrong protocol type name. Please use one of the following: " +
        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n",
    );
  });
});

Deno.test("DEBUG OBJECT prints Redis's line with encoding and serialized length", async () => {
  await withServer(async (client) => {
    // [value, refcount, encoding, serializedlength] as redis-server 7.0.15 reports them.
    const cases: [string, number, string, number][] = [
      ["5", 2147483647, "int", 2],
      ["10000", 1, "int", 3],
      ["-5", 1, "int", 2],
      ["-2147483648", 1, "int", 5],
      ["2147483648", 1, "int", 11],
      ["12345678901", 1, "int", 12],
      ["-0", 1, "embstr", 3],
      ["", 1, "embstr", 1],
      ["bar", 1, "embstr", 4],
      ["a".repeat(20), 1, "embstr", 21],
      ["abcdefghij".repeat(4) + "abcde", 1, "raw", 46],
    ];
    for (const [value, refcount, encoding, length] of cases) {
      await client.call("SET", "k", value);
      const line = await client.call("DEBUG", "OBJECT", "k");
      assert.equal(typeof line, "string");
      assert.match(
        line as string,
        new RegExp(
          `^Value at:0x[0-9a-f]+ refcount:${refcount} encoding:${encoding} ` +
            `serializedlength:${length} lru:\\d+ lru_seconds_idle:\\d+$`,
        ),
        JSON.stringify(value),
      );
    }
    await client.call("SETBIT", "bits", "7", "1");
    assert.match(
      String(await client.call("DEBUG", "OBJECT", "bits")),
      / encoding:raw serializedlength:2 /,
    );
    assert.equal(
      await raw(client, "DEBUG", "OBJECT", "nokey"),
      "-ERR no such key\r\n",
    );
  });
});

Deno.test("DEBUG OBJECT's and OBJECT IDLETIME's idle time grows until the key is read", async () => {
  await withServer(async (client) => {
    const idle = async () =>
      Number(
        /lru_seconds_idle:(\d+)$/.exec(
          String(await client.call("DEBUG", "OBJECT", "k")),
        )?.[1],
      );
    await client.call("SET", "k", "v");
    assert.equal(await idle(), 0);
    await new Promise((r) => setTimeout(r, 2100));
    const before = await idle();
    assert.ok(before >= 1 && before <= 3, `idle ${before}`);
    // Neither DEBUG OBJECT nor OBJECT IDLETIME counts as an access; GET does.
    assert.equal(await client.call("OBJECT", "IDLETIME", "k"), before);
    assert.equal(await idle(), before);
    await client.call("GET", "k");
    assert.ok(await idle() <= 1);
  });
});

Deno.test("DEBUG DIGEST and DIGEST-VALUE give Redis's digests", async () => {
  await withServer(async (client) => {
    assert.equal(await client.call("DEBUG", "DIGEST"), ZEROS);
    await client.call("SET", "foo", "bar");
    // Both printed by redis-server 7.0.15 for this dataset.
    assert.equal(
      await client.call("DEBUG", "DIGEST"),
      "d2ab4820c1be0580ea28efbfe8bfa1dc05bb802a",
    );
    assert.deepEqual(
      await client.call("DEBUG", "DIGEST-VALUE", "foo", "nokey"),
      ["68467c70ae30376e7ce005bcc8827f5ba7fd67dc", ZEROS],
    );
    assert.equal(
      await raw(client, "DEBUG", "DIGEST-VALUE"),
      "*0\r\n",
    );
    assert.equal(
      await raw(client, "DEBUG", "DIGEST", "extra"),
      "-ERR unknown subcommand or wrong number of arguments for 'DIGEST'. Try DEBUG HELP.\r\n",
    );
  });
});

Deno.test("DEBUG SET-ACTIVE-EXPIRE switches the active expire cycle off and on", async () => {
  await withServer(async (client) => {
    assert.equal(await client.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), "OK");
    await client.call("SET", "gone", "v", "PX", "1");
    const digest = await client.call("DEBUG", "DIGEST-VALUE", "gone");
    // Longer than several active expire cycles would take.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await client.call("DBSIZE"), 1);
    // DEBUG looks at the stored keys, expired or not, as Redis does.
    assert.match(
      String(await client.call("DEBUG", "OBJECT", "gone")),
      /^Value/,
    );
    assert.deepEqual(
      await client.call("DEBUG", "DIGEST-VALUE", "gone"),
      digest,
    );
    // Turned back on, the cycle finds the key without anyone reading it.
    assert.equal(await client.call("DEBUG", "SET-ACTIVE-EXPIRE", "1"), "OK");
    const deadline = Date.now() + 3000;
    while (await client.call("DBSIZE") !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await client.call("DBSIZE"), 0);
  });
});

Deno.test("DEBUG POPULATE creates keys, keeps existing ones, pads to a size", async () => {
  await withServer(async (client) => {
    await client.call("SET", "key:1", "mine");
    assert.equal(await client.call("DEBUG", "POPULATE", "3"), "OK");
    assert.equal(await client.call("DBSIZE"), 3);
    assert.deepEqual(
      await client.call("MGET", "key:0", "key:1", "key:2"),
      ["value:0", "mine", "value:2"],
    );
    assert.equal(await client.call("DEBUG", "POPULATE", "2", "p", "3"), "OK");
    assert.equal(await client.call("GET", "p:1"), "val");
    assert.equal(await client.call("DEBUG", "POPULATE", "1", "z", "10"), "OK");
    assert.equal(await client.call("GET", "z:0"), "value:0\0\0\0");
    assert.equal(
      await raw(client, "DEBUG", "POPULATE", "-1"),
      "-ERR value is out of range, must be positive\r\n",
    );
  });
});

Deno.test("DEBUG HELP, STRINGMATCH-TEST and unknown subcommands", async () => {
  await withServer(async (client) => {
    const help = await client.call("DEBUG", "help");
    assert.ok(Array.isArray(help));
    assert.equal(
      help[0],
      "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    );
    assert.equal(help.at(-1), "    Prints this help.");
    assert.equal(
      await client.call("DEBUG", "STRINGMATCH-TEST"),
      "Apparently Redis did not crash: test passed",
    );
    for (
      const argv of [["NO-SUCH-SUBCOMMAND"], ["stringmatch-len"], ["object"], [
        "help",
        "x",
      ]]
    ) {
      assert.equal(
        await raw(client, "DEBUG", ...argv),
        `-ERR unknown subcommand or wrong number of arguments for '${
          argv[0]
        }'. Try DEBUG HELP.\r\n`,
      );
    }
  });
});

Deno.test("DEBUG CHANGE-REPL-ID gives a new replication ID and forgets the secondary one, as redis-server does", async () => {
  const replication = async (client: RespClient) => {
    const text = String(await client.call("INFO", "replication"));
    return new Map(
      text.split("\r\n").filter((line) => line.includes(":")).map((line) =>
        line.split(":", 2) as [string, string]
      ),
    );
  };
  for (const start of [startRedeno, startRedis]) {
    const server = await start(["--enable-debug-command", "yes"]);
    const client = await server.connect();
    try {
      // Following a primary that is not there and then none gives the
      // server a secondary ID to forget.
      await client.call("REPLICAOF", "127.0.0.1", freePort());
      await client.call("REPLICAOF", "NO", "ONE");
      const before = await replication(client);
      assert.notEqual(before.get("master_replid2"), ZEROS);
      assert.equal(await client.call("DEBUG", "CHANGE-REPL-ID"), "OK");
      assert.equal(
        await raw(client, "DEBUG", "CHANGE-REPL-ID", "x"),
        "-ERR unknown subcommand or wrong number of arguments for 'CHANGE-REPL-ID'. Try DEBUG HELP.\r\n",
      );
      const after = await replication(client);
      assert.notEqual(after.get("master_replid"), before.get("master_replid"));
      assert.match(after.get("master_replid")!, /^[0-9a-f]{40}$/);
      assert.equal(after.get("master_replid2"), ZEROS);
      assert.equal(after.get("second_repl_offset"), "-1");
      assert.ok(
        server.output().includes(
          "Changing replication IDs after receiving DEBUG change-repl-id",
        ),
      );
    } finally {
      client.close();
      await server.stop();
    }
  }
});
