import assert from "node:assert/strict";
import { startRedeno } from "../helpers/servers.ts";

Deno.test("SORT BY with LIMIT pages through the same order as the full sort", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    const elements = Array.from({ length: 300 }, (_, i) => `e${i}`);
    await client.call("RPUSH", "l", ...elements);
    // Distinct weights in a scrambled order: no ties, one right answer.
    const pairs = elements.flatMap((
      e,
      i,
    ) => [`w_${e}`, String((i * 37) % 301)]);
    await client.call("MSET", ...pairs);
    for (const mode of [[], ["ALPHA"], ["DESC"], ["ALPHA", "DESC"]]) {
      const full = await client.call(
        "SORT",
        "l",
        "BY",
        "w_*",
        ...mode,
      ) as string[];
      assert.equal(full.length, elements.length);
      for (const [offset, count] of [[0, 1], [5, 40], [150, 100], [290, 50]]) {
        const page = await client.call(
          "SORT",
          "l",
          "BY",
          "w_*",
          ...mode,
          "LIMIT",
          offset,
          count,
        );
        assert.deepEqual(
          page,
          full.slice(offset, offset + count),
          `${mode} ${offset}`,
        );
      }
    }
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("SORT BY nosort on a hashtable set returns every member once", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    const members = Array.from({ length: 100 }, (_, i) => `m${i}`);
    await client.call("SADD", "s", ...members);
    const reply = await client.call("SORT", "s", "BY", "nosort") as string[];
    assert.deepEqual([...reply].sort(), [...members].sort());
    assert.equal(
      await client.call("SORT", "s", "BY", "nosort", "STORE", "d"),
      100,
    );
    const stored = await client.call("LRANGE", "d", 0, -1) as string[];
    assert.deepEqual(stored, [...members].sort());
  } finally {
    client.close();
    await server.stop();
  }
});
