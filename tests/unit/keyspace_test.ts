import assert from "node:assert/strict";
import { KeyTable } from "../../src/store/keytable.ts";
import {
  cloneValue,
  Database,
  setAccessPolicy,
  updateAccessClock,
} from "../../src/store/keyspace.ts";
import { MutableString } from "../../src/store/string.ts";

/** A tiny deterministic PRNG so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
}

/** Every key of a full SCAN iteration, continuing until cursor 0. */
function scanAll(table: KeyTable<number>, count: number, between?: () => void) {
  const seen: string[] = [];
  let cursor = 0;
  do {
    const step = table.scan(cursor, count);
    seen.push(...step.keys);
    cursor = step.cursor;
    between?.();
  } while (cursor !== 0);
  return seen;
}

Deno.test("KeyTable agrees with a Map through random sets and deletes", () => {
  const rand = random(1);
  const table = new KeyTable<number>();
  const model = new Map<string, number>();
  for (let i = 0; i < 50_000; i++) {
    const key = `k${Math.floor(rand() * 3000)}`;
    if (rand() < 0.55) {
      table.set(key, i, 0);
      model.set(key, i);
    } else {
      assert.equal(table.delete(key), model.delete(key));
    }
  }
  assert.equal(table.size, model.size);
  for (const [key, value] of model) assert.equal(table.get(key), value);
  assert.deepEqual(new Map(table), model);
  for (const key of [...model.keys()]) table.delete(key);
  assert.equal(table.size, 0);
  assert.equal(table.capacity, 8, "shrinks back when emptied");
});

Deno.test("KeyTable keeps binary keys apart, the empty key included", () => {
  const table = new KeyTable<string>();
  for (const key of ["", "\x00", "\x00\x00", "\xff", "a\x00b"]) {
    table.set(key, `v${key.length}`, 0);
  }
  assert.equal(table.size, 5);
  assert.equal(table.get(""), "v0");
  assert.equal(table.get("\x00\x00"), "v2");
  assert.equal(table.get("a\x00"), undefined);
});

Deno.test("a full SCAN returns each key exactly once", () => {
  const table = new KeyTable<number>();
  for (let i = 0; i < 5000; i++) table.set(`key:${i}`, i, 0);
  for (const count of [1, 10, 1000]) {
    const seen = scanAll(table, count);
    assert.equal(seen.length, 5000);
    assert.equal(new Set(seen).size, 5000);
  }
  assert.deepEqual(table.scan(2 ** 32, 10), { cursor: 0, keys: [] });
});

Deno.test("SCAN returns every key present throughout while the table grows and shrinks", () => {
  const rand = random(7);
  const table = new KeyTable<number>();
  const stable = Array.from({ length: 300 }, (_, i) => `stable:${i}`);
  for (const key of stable) table.set(key, 0, 0);
  let churn = 0;
  const live: string[] = [];
  const seen = new Set(scanAll(table, 5, () => {
    // Swing between growing several-fold and shrinking back.
    if (rand() < 0.5) {
      for (let i = 0; i < 500; i++) {
        const key = `churn:${churn++}`;
        table.set(key, 0, 0);
        live.push(key);
      }
    } else {
      while (live.length > 0) table.delete(live.pop()!);
    }
  }));
  for (const key of stable) assert.ok(seen.has(key), `${key} was returned`);
});

Deno.test("randomKey finds keys and undefined when empty", () => {
  const table = new KeyTable<number>();
  assert.equal(table.randomKey(), undefined);
  table.set("only", 1, 0);
  assert.equal(table.randomKey(), "only");
  for (let i = 0; i < 100; i++) table.set(`k${i}`, i, 0);
  const picked = new Set<string>();
  for (let i = 0; i < 2000; i++) picked.add(table.randomKey()!);
  assert.ok(picked.size > 50, `${picked.size} distinct keys picked`);
});

Deno.test("expired keys go through onExpired on lookup and in randomKey", () => {
  const db = new Database(0);
  const expired: string[] = [];
  db.onExpired = (d, key) => {
    expired.push(key);
    return d.delete(key);
  };
  db.set("a", "1");
  db.setExpire("a", 1000);
  db.set("b", "2");
  db.setExpire("b", 1000);
  assert.equal(db.size, 2, "DBSIZE counts expired keys until touched");
  assert.equal(db.get("a", 1000), "1", "alive at its expiry instant");
  assert.equal(db.get("a", 1001), undefined);
  assert.equal(db.peek("b", 2000), undefined);
  assert.deepEqual(expired, ["a", "b"]);
  db.set("c", "3");
  db.setExpire("c", 1);
  assert.equal(db.randomKey(5000), undefined);
  assert.equal(db.size, 0);
});

Deno.test("set drops the TTL, overwrite and persist behave as Redis", () => {
  const db = new Database(0);
  db.set("k", "v");
  db.setExpire("k", 5000);
  db.overwrite("k", "w");
  assert.equal(db.getExpire("k"), 5000);
  assert.equal(db.persist("k"), true);
  assert.equal(db.persist("k"), false);
  db.setExpire("k", 5000);
  db.set("k", "x");
  assert.equal(db.getExpire("k"), -1);
});

Deno.test("swap exchanges contents and expiries, not identities", () => {
  const a = new Database(0);
  const b = new Database(1);
  a.set("x", "1");
  a.setExpire("x", 99);
  a.swap(b);
  assert.equal(a.size, 0);
  assert.equal(b.data.get("x"), "1");
  assert.equal(b.getExpire("x"), 99);
  assert.equal(a.id, 0);
});

Deno.test("cloneValue copies mutable strings deeply", () => {
  assert.equal(cloneValue("abc"), "abc");
  const original = new MutableString("abc");
  const copy = cloneValue(original) as MutableString;
  copy.append("d");
  assert.equal(original.toBinary(), "abc");
  assert.equal(copy.toBinary(), "abcd");
});

Deno.test("idle time follows the coarse clock; LFU counters start at 5 and decay", () => {
  const db = new Database(0);
  updateAccessClock(1_000_000_000);
  db.set("k", "v");
  updateAccessClock(1_000_000_000 + 7_000);
  assert.equal(db.idleSeconds("k"), 7);
  db.get("k", 0);
  assert.equal(db.idleSeconds("k"), 0);
  try {
    setAccessPolicy(true, 10, 1);
    db.set("f", "v");
    assert.equal(db.accessFrequency("f"), 5);
    for (let i = 0; i < 1000; i++) db.get("f", 0);
    const hot = db.accessFrequency("f");
    assert.ok(hot > 5 && hot < 255, `counter ${hot}`);
    updateAccessClock(1_000_000_000 + 7_000 + 3 * 60_000);
    assert.equal(db.accessFrequency("f"), hot - 3, "one step per minute");
  } finally {
    setAccessPolicy(false, 10, 1);
    updateAccessClock(Date.now());
  }
});
