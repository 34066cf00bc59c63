import assert from "node:assert/strict";
import { HashValue } from "../../src/store/hash.ts";

const LIMITS = { maxEntries: 512, maxValue: 64 };

function hashOf(
  pairs: [string, string][],
  limits = LIMITS,
): HashValue {
  const hash = new HashValue();
  for (const [field, value] of pairs) hash.set(field, value, limits);
  return hash;
}

Deno.test("a listpack hash keeps insertion order, updates in place, re-adds last", () => {
  const hash = hashOf([["a", "1"], ["b", "2"], ["c", "3"]]);
  assert.equal(hash.set("a", "10", LIMITS), false);
  assert.equal(hash.delete("b"), true);
  assert.equal(hash.delete("b"), false);
  assert.equal(hash.set("b", "20", LIMITS), true);
  assert.deepEqual([...hash.entries()], [["a", "10"], ["c", "3"], ["b", "20"]]);
  assert.deepEqual([...hash.fields()], ["a", "c", "b"]);
  assert.equal(hash.size, 3);
  assert.equal(hash.get("c"), "3");
  assert.equal(hash.get("x"), undefined);
  assert.equal(hash.has("a"), true);
  assert.equal(hash.encoding, "listpack");
});

Deno.test("too many fields convert to a hashtable for good, updates included", () => {
  const limits = { maxEntries: 2, maxValue: 64 };
  const hash = hashOf([["a", "1"], ["b", "2"]], limits);
  assert.equal(hash.encoding, "listpack");
  hash.set("c", "3", limits);
  assert.equal(hash.encoding, "hashtable");
  hash.delete("c");
  hash.delete("b");
  assert.equal(hash.encoding, "hashtable");
  assert.deepEqual([...hash.entries()], [["a", "1"]]);

  const updated = hashOf([["a", "1"], ["b", "2"]], limits);
  updated.set("a", "9", { maxEntries: 1, maxValue: 64 });
  assert.equal(updated.encoding, "hashtable");
  assert.equal(updated.get("a"), "9");
});

Deno.test("a long field or value converts; the limit itself does not", () => {
  const limits = { maxEntries: 512, maxValue: 4 };
  assert.equal(hashOf([["abcd", "wxyz"]], limits).encoding, "listpack");
  assert.equal(hashOf([["abcde", "1"]], limits).encoding, "hashtable");
  assert.equal(hashOf([["a", "12345"]], limits).encoding, "hashtable");
});

Deno.test("clone copies contents, encoding and order independently", () => {
  const small = hashOf([["x", "1"], ["y", "2"]]);
  const copy = small.clone();
  copy.set("z", "3", LIMITS);
  small.delete("x");
  assert.deepEqual([...small.entries()], [["y", "2"]]);
  assert.deepEqual([...copy.entries()], [["x", "1"], ["y", "2"], ["z", "3"]]);
  assert.equal(copy.encoding, "listpack");

  const limits = { maxEntries: 1, maxValue: 64 };
  const big = hashOf([["a", "1"], ["b", "2"]], limits);
  const bigCopy = big.clone();
  assert.equal(bigCopy.encoding, "hashtable");
  bigCopy.delete("a");
  assert.equal(big.get("a"), "1");
  assert.equal(bigCopy.size, 1);
});

Deno.test("random picks come from the hash in both encodings", () => {
  for (const maxEntries of [512, 1]) {
    const limits = { maxEntries, maxValue: 64 };
    const pairs: [string, string][] = [];
    for (let i = 0; i < 50; i++) pairs.push([`f${i}`, `v${i}`]);
    const hash = hashOf(pairs, limits);
    const pick = hash.sampler();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const [field, value] = pick();
      assert.equal(hash.get(field), value);
      seen.add(field);
    }
    assert.equal(seen.size, 50, `every field drawn (${hash.encoding})`);
  }
});

Deno.test("distinct random picks are distinct; a listpack keeps its order", () => {
  const pairs: [string, string][] = [];
  for (let i = 0; i < 30; i++) pairs.push([`f${i}`, `v${i}`]);
  const small = hashOf(pairs);
  for (const count of [1, 5, 29]) {
    const picks = small.distinctRandomEntries(count);
    assert.equal(picks.length, count);
    const order = picks.map(([field]) => Number(field.slice(1)));
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
    for (const [field, value] of picks) assert.equal(small.get(field), value);
  }
  const big = hashOf(pairs, { maxEntries: 1, maxValue: 64 });
  for (const count of [1, 5, 15, 29]) {
    const picks = big.distinctRandomEntries(count);
    assert.equal(new Set(picks.map(([field]) => field)).size, count);
    for (const [field, value] of picks) assert.equal(big.get(field), value);
  }
});

Deno.test("scan: a listpack in one step, a hashtable fields exactly once", () => {
  const small = hashOf([["a", "1"], ["b", "2"]]);
  assert.deepEqual(small.scan(12345, 1), { cursor: 0, keys: ["a", "b"] });

  const limits = { maxEntries: 1, maxValue: 64 };
  const pairs: [string, string][] = [];
  for (let i = 0; i < 1000; i++) pairs.push([`f${i}`, "v"]);
  const big = hashOf(pairs, limits);
  const seen: string[] = [];
  let cursor = 0;
  let steps = 0;
  do {
    const step = big.scan(cursor, 10);
    seen.push(...step.keys);
    cursor = step.cursor;
    steps++;
    // Changes mid-iteration must not make present fields go missing or repeat.
    if (steps === 20) {
      for (let i = 1000; i < 3000; i++) big.set(`f${i}`, "v", limits);
    }
  } while (cursor !== 0);
  assert.ok(steps > 10, "a big hashtable scans in several steps");
  const unique = new Set(seen);
  assert.equal(unique.size, seen.length, "no field twice");
  for (let i = 0; i < 1000; i++) assert.ok(unique.has(`f${i}`));
});
