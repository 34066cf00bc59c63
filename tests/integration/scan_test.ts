import assert from "node:assert/strict";
import { startRedeno } from "../helpers/servers.ts";

/**
 * SCAN's guarantee: every key present from the start to the end of a full
 * iteration is returned, while another client keeps adding and deleting
 * keys (so the table grows and shrinks underneath the cursor).
 */
Deno.test("SCAN returns every key present throughout, under concurrent inserts and deletes", async () => {
  const server = await startRedeno();
  const scanner = await server.connect();
  const churner = await server.connect();
  try {
    const stable: string[] = [];
    for (let i = 0; i < 500; i++) stable.push(`stable:${i}`);
    for (let i = 0; i < stable.length; i += 500) {
      await scanner.call(
        "MSET",
        ...stable.slice(i, i + 500).flatMap((k) => [k, "v"]),
      );
    }
    for (let round = 0; round < 3; round++) {
      const seen = new Set<string>();
      let cursor = "0";
      let calls = 0;
      let churn = 0;
      do {
        const [next, keys] = await scanner.call(
          "SCAN",
          cursor,
          "COUNT",
          50,
        ) as [string, string[]];
        for (const key of keys) seen.add(key);
        cursor = next;
        calls++;
        // Between calls: add 4,000 keys, then delete them at the next call,
        // so the table grows to several times its size and shrinks back
        // again and again during one iteration.
        const batch: string[] = [];
        for (let i = 0; i < 4000; i++) {
          batch.push(`churn:${round}:${churn + i}`);
        }
        if (calls % 2 === 1) {
          await churner.call("MSET", ...batch.flatMap((k) => [k, "v"]));
        } else {
          assert.equal(await churner.call("DEL", ...batch), 4000);
          churn += 4000;
        }
      } while (cursor !== "0" && calls < 10_000);
      assert.equal(cursor, "0", "the iteration ends");
      const missing = stable.filter((k) => !seen.has(k));
      assert.deepEqual(
        missing,
        [],
        `round ${round}: ${missing.length} stable keys never returned`,
      );
      assert.ok(calls > 4, `${calls} SCAN calls`);
      await churner.call("FLUSHDB");
      await scanner.call("MSET", ...stable.flatMap((k) => [k, "v"]));
    }
  } finally {
    scanner.close();
    churner.close();
    await server.stop();
  }
});
