import assert from "node:assert/strict";
import { encodeCommand, type RespClient } from "../helpers/resp_client.ts";
import { startRedeno } from "../helpers/servers.ts";

const MEMBERS = 1_000_000;
/** Members per ZADD when filling the big set. */
const PER_COMMAND = 1_000;
/** ZADDs sent before their replies are read. */
const PIPELINE = 50;

/** Concatenates encoded commands into one buffer. */
function joined(parts: Uint8Array[]): Uint8Array {
  const buf = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    buf.set(part, offset);
    offset += part.length;
  }
  return buf;
}

/** ZADDs members m0..m(count-1) with score i * 7 mod count, pipelined. */
async function fill(client: RespClient, key: string, count: number) {
  for (let start = 0; start < count; start += PER_COMMAND * PIPELINE) {
    const parts: Uint8Array[] = [];
    const added: number[] = [];
    const end = Math.min(start + PER_COMMAND * PIPELINE, count);
    for (let first = start; first < end; first += PER_COMMAND) {
      const argv: (string | number)[] = ["ZADD", key];
      const last = Math.min(first + PER_COMMAND, end);
      for (let i = first; i < last; i++) argv.push((i * 7) % count, `m${i}`);
      parts.push(encodeCommand(argv));
      added.push(last - first);
    }
    await client.send(joined(parts));
    for (const n of added) assert.equal(await client.read(), n);
  }
}

Deno.test("a 1,000,000-member ZADD and ZRANK/ZRANGE on it finish quickly", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    const started = performance.now();
    await fill(client, "big", MEMBERS);
    const filled = performance.now();
    assert.equal(await client.call("ZCARD", "big"), MEMBERS);
    assert.equal(await client.call("OBJECT", "ENCODING", "big"), "skiplist");
    // Member i has score 7i mod N, distinct for every i: its rank is its score.
    const probes = 10_000;
    const parts: Uint8Array[] = [];
    const expected: number[] = [];
    for (let j = 0; j < probes; j++) {
      const i = (j * 104_729) % MEMBERS;
      parts.push(encodeCommand(["ZRANK", "big", `m${i}`]));
      expected.push((i * 7) % MEMBERS);
    }
    await client.send(joined(parts));
    for (const rank of expected) assert.equal(await client.read(), rank);
    const ranked = performance.now();
    assert.deepEqual(
      await client.call("ZRANGE", "big", 500_000, 500_001, "WITHSCORES"),
      ["m500000", "500000", "m357143", "500001"],
    );
    assert.equal(
      await client.call("ZCOUNT", "big", "(100", "200000"),
      199_900,
    );
    assert.equal(await client.call("ZREVRANK", "big", "m0"), MEMBERS - 1);
    // Generous bounds: they catch O(N) ranks, not a slow shared machine.
    assert.ok(filled - started < 60_000, `ZADD took ${filled - started} ms`);
    assert.ok(ranked - filled < 10_000, `ZRANK took ${ranked - filled} ms`);
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("ZRANDMEMBER: counts, distinctness, repetition and scores", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    for (const size of [5, 100, 1000]) {
      const key = `r${size}`;
      await fill(client, key, size);
      const scores = new Map<string, string>();
      for (let i = 0; i < size; i++) {
        scores.set(`m${i}`, String((i * 7) % size));
      }
      for (const count of [1, 3, Math.floor(size / 2), size, size + 10]) {
        const reply = await client.call("ZRANDMEMBER", key, count) as string[];
        assert.equal(reply.length, Math.min(count, size));
        assert.equal(new Set(reply).size, reply.length, "distinct");
        for (const member of reply) assert.ok(scores.has(member));
      }
      // A negative count repeats members: -count replies, all members.
      const many = await client.call("ZRANDMEMBER", key, -3 * size) as string[];
      assert.equal(many.length, 3 * size);
      for (const member of many) assert.ok(scores.has(member));
      if (size === 5) assert.ok(new Set(many).size < many.length, "repeats");
      const pairs = await client.call(
        "ZRANDMEMBER",
        key,
        -20,
        "WITHSCORES",
      ) as string[];
      assert.equal(pairs.length, 40);
      for (let i = 0; i < pairs.length; i += 2) {
        assert.equal(pairs[i + 1], scores.get(pairs[i]));
      }
    }
    // Every member of a small set turns up eventually.
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < 5; i++) {
      seen.add(await client.call("ZRANDMEMBER", "r5") as string);
    }
    assert.equal(seen.size, 5);
  } finally {
    client.close();
    await server.stop();
  }
});
