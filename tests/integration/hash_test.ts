/**
 * Hash behaviour that differential scripts cannot pin down because Redis
 * answers randomly (HRANDFIELD) or in steps of its own (HSCAN): the
 * properties every answer must have, in both encodings.
 * @module
 */

import assert from "node:assert/strict";
import type { RespClient } from "../helpers/resp_client.ts";
import { startRedeno } from "../helpers/servers.ts";

/** Fields f0..f(n-1) with values v0..; past 512 the hash is a hashtable. */
async function makeHash(client: RespClient, key: string, n: number) {
  const args: string[] = [];
  for (let i = 0; i < n; i++) args.push(`f${i}`, `v${i}`);
  assert.equal(await client.call("HSET", key, ...args), n);
}

/** HRANDFIELD's properties for one hash of `size` fields. */
async function checkRandfield(client: RespClient, key: string, size: number) {
  // A positive count: distinct fields, min(count, size) of them.
  for (const count of [1, 2, Math.floor(size / 2), size - 1, size, size + 5]) {
    const fields = await client.call("HRANDFIELD", key, count) as string[];
    assert.equal(fields.length, Math.min(count, size), `count ${count}`);
    assert.equal(new Set(fields).size, fields.length, "distinct");
    for (const field of fields) assert.match(field, /^f\d+$/);
  }
  // WITHVALUES pairs each field with its own value (flat in RESP2).
  const flat = await client.call(
    "HRANDFIELD",
    key,
    3,
    "WITHVALUES",
  ) as string[];
  assert.equal(flat.length, 6);
  for (let i = 0; i < flat.length; i += 2) {
    assert.equal(flat[i + 1], "v" + flat[i].slice(1));
  }
  // A negative count: exactly |count| picks, repetition allowed, and with
  // enough picks from a small hash repetition must show up.
  const picks = await client.call("HRANDFIELD", key, -(size * 3)) as string[];
  assert.equal(picks.length, size * 3);
  assert.ok(new Set(picks).size < picks.length, "negative counts repeat");
  for (const field of picks) assert.match(field, /^f\d+$/);
  const pairs = await client.call(
    "HRANDFIELD",
    key,
    -5,
    "WITHVALUES",
  ) as string[];
  assert.equal(pairs.length, 10);
  for (let i = 0; i < pairs.length; i += 2) {
    assert.equal(pairs[i + 1], "v" + pairs[i].slice(1));
  }
  // Many single picks reach every field of a small hash.
  const seen = new Set<string>();
  for (let i = 0; i < 40 && seen.size < size; i++) {
    for (const f of await client.call("HRANDFIELD", key, -1000) as string[]) {
      seen.add(f);
    }
  }
  assert.equal(seen.size, size, "every field can come up");
}

Deno.test("HRANDFIELD: counts, distinctness and repetition in both encodings", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    await makeHash(client, "small", 10);
    assert.equal(await client.call("OBJECT", "ENCODING", "small"), "listpack");
    await checkRandfield(client, "small", 10);

    await makeHash(client, "big", 600);
    assert.equal(await client.call("OBJECT", "ENCODING", "big"), "hashtable");
    await checkRandfield(client, "big", 600);

    // A listpack gives distinct picks in its own order, as Redis does.
    const ordered = await client.call("HRANDFIELD", "small", 6) as string[];
    const indexes = ordered.map((f) => Number(f.slice(1)));
    assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b));

    // RESP3 nests each field with its value.
    await client.call("HELLO", "3");
    const nested = await client.call(
      "HRANDFIELD",
      "big",
      -4,
      "WITHVALUES",
    ) as string[][];
    assert.equal(nested.length, 4);
    for (const [field, value] of nested) {
      assert.equal(value, "v" + field.slice(1));
    }
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("HRANDFIELD with a huge negative count stops at the output buffer limit", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  const other = await server.connect();
  try {
    await client.call("HSET", "h", "a", "1");
    assert.equal(
      await client.call(
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 1mb 0 0",
      ),
      "OK",
    );
    await client.write("HRANDFIELD", "h", "-9223372036854775807");
    assert.ok(await client.closedWithin(5000), "the client was closed");
    assert.equal(await other.call("HLEN", "h"), 1, "the server serves on");
  } finally {
    client.close();
    other.close();
    await server.stop();
  }
});

Deno.test("HSCAN returns every field of a hashtable exactly once despite writes", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    await makeHash(client, "h", 2000);
    const seen = new Map<string, string>();
    let cursor = "0";
    let calls = 0;
    do {
      const [next, flat] = await client.call(
        "HSCAN",
        "h",
        cursor,
        "COUNT",
        50,
      ) as [string, string[]];
      for (let i = 0; i < flat.length; i += 2) {
        assert.ok(!seen.has(flat[i]), `${flat[i]} returned twice`);
        seen.set(flat[i], flat[i + 1]);
      }
      cursor = next;
      calls++;
      // Growth and shrinkage mid-iteration must not lose or repeat fields
      // that stay present throughout.
      if (calls === 5) {
        const more: string[] = [];
        for (let i = 2000; i < 6000; i++) more.push(`f${i}`, `v${i}`);
        await client.call("HSET", "h", ...more);
      }
      if (calls === 20) {
        const gone: string[] = [];
        for (let i = 2000; i < 6000; i++) gone.push(`f${i}`);
        await client.call("HDEL", "h", ...gone);
      }
    } while (cursor !== "0");
    assert.ok(calls > 10, "a big hash scans in several calls");
    for (let i = 0; i < 2000; i++) assert.equal(seen.get(`f${i}`), `v${i}`);

    const matched = await client.call(
      "HSCAN",
      "h",
      0,
      "MATCH",
      "f1*",
      "COUNT",
      100000,
    ) as [string, string[]];
    assert.equal(matched[0], "0");
    const fields = matched[1].filter((_, i) => i % 2 === 0);
    // f1, f10..f19, f100..f199, f1000..f1999
    assert.equal(fields.length, 1111);
    assert.ok(fields.every((f) => f.startsWith("f1")));
  } finally {
    client.close();
    await server.stop();
  }
});
