import assert from "node:assert/strict";
import type { RespClient } from "../helpers/resp_client.ts";
import { startRedeno } from "../helpers/servers.ts";

/** Members of the test sets: an intset, and a hashtable. */
const INTS = Array.from({ length: 60 }, (_, i) => String(i * 7 - 100));
const WORDS = Array.from({ length: 60 }, (_, i) => `member:${i}`);

async function fill(client: RespClient, key: string, members: string[]) {
  await client.call("DEL", key);
  assert.equal(await client.call("SADD", key, ...members), members.length);
}

Deno.test("SRANDMEMBER: distinct members for positive counts, repeats for negative ones", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    for (const members of [INTS, WORDS]) {
      await fill(client, "s", members);
      const all = new Set(members);
      // Small counts (random picks), counts near the size (subtraction),
      // and counts past it (the whole set).
      for (const count of [1, 2, 5, 19, 21, 45, 59, 60, 61, 500]) {
        const reply = await client.call("SRANDMEMBER", "s", count) as string[];
        assert.equal(reply.length, Math.min(count, members.length));
        assert.equal(new Set(reply).size, reply.length, `distinct (${count})`);
        for (const member of reply) assert.ok(all.has(member), member);
      }
      for (const count of [1, 3, 60, 300]) {
        const reply = await client.call("SRANDMEMBER", "s", -count) as string[];
        assert.equal(reply.length, count);
        for (const member of reply) assert.ok(all.has(member), member);
        if (count > members.length) {
          assert.ok(new Set(reply).size < reply.length, "repeats");
        }
      }
      // Every member turns up sooner or later.
      const seen = new Set<string>();
      for (let i = 0; i < 50 && seen.size < members.length; i++) {
        for (
          const m of await client.call("SRANDMEMBER", "s", -100) as string[]
        ) {
          seen.add(m);
        }
      }
      assert.equal(seen.size, members.length);
      assert.equal(await client.call("SCARD", "s"), members.length);
    }
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("SPOP: popped members are distinct, gone from the set, and nothing else is", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    for (const members of [INTS, WORDS]) {
      // Counts small against the remainder pop one by one; large ones
      // rebuild the remainder; counts past the size take the whole set.
      for (const count of [1, 3, 10, 49, 50, 55, 59, 60, 100]) {
        await fill(client, "s", members);
        const popped = await client.call("SPOP", "s", count) as string[];
        assert.equal(popped.length, Math.min(count, members.length));
        assert.equal(
          new Set(popped).size,
          popped.length,
          `distinct (${count})`,
        );
        const rest = await client.call("SMEMBERS", "s") as string[];
        assert.equal(rest.length, members.length - popped.length);
        assert.deepEqual(
          [...popped, ...rest].sort(),
          members.slice().sort(),
          `popped + remaining = original (${count})`,
        );
        assert.equal(
          await client.call("EXISTS", "s"),
          rest.length > 0 ? 1 : 0,
        );
      }
      // Single pops drain the set and then delete it.
      await fill(client, "s", members);
      const drained = new Set<string>();
      for (let i = 0; i < members.length; i++) {
        drained.add(await client.call("SPOP", "s") as string);
      }
      assert.equal(drained.size, members.length);
      assert.equal(await client.call("EXISTS", "s"), 0);
      assert.equal(await client.call("SPOP", "s"), null);
    }
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("SSCAN returns every member present throughout a full iteration", async () => {
  const server = await startRedeno();
  const scanner = await server.connect();
  const churner = await server.connect();
  try {
    const stable = Array.from({ length: 2000 }, (_, i) => `stable:${i}`);
    await fill(scanner, "s", stable);
    const seen = new Set<string>();
    let cursor = "0";
    let calls = 0;
    do {
      const [next, members] = await scanner.call(
        "SSCAN",
        "s",
        cursor,
        "COUNT",
        20,
      ) as [string, string[]];
      for (const member of members) seen.add(member);
      cursor = next;
      calls++;
      // Grow and shrink the set between calls so it resizes under the cursor.
      const batch = Array.from({ length: 3000 }, (_, i) => `churn:${i}`);
      if (calls % 2 === 1) await churner.call("SADD", "s", ...batch);
      else await churner.call("SREM", "s", ...batch);
    } while (cursor !== "0" && calls < 10_000);
    assert.equal(cursor, "0", "the iteration ends");
    assert.ok(calls > 10, `took ${calls} calls`);
    for (const member of stable) assert.ok(seen.has(member), member);
    const [, matched] = await scanner.call(
      "SSCAN",
      "s",
      "0",
      "COUNT",
      100_000,
      "MATCH",
      "stable:1?",
    ) as [string, string[]];
    assert.deepEqual(
      matched.sort(),
      Array.from({ length: 10 }, (_, i) => `stable:1${i}`),
    );
  } finally {
    scanner.close();
    churner.close();
    await server.stop();
  }
});
