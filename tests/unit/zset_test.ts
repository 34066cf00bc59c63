import assert from "node:assert/strict";
import {
  type LexBound,
  type ListpackLimits,
  type ScoreRange,
  SortedSet,
} from "../../src/store/zset.ts";

const LIMITS: ListpackLimits = { maxEntries: 128, maxValue: 64 };

/** The model: [score, member] pairs sorted as Redis sorts them. */
function modelOf(map: Map<string, number>): [number, string][] {
  return [...map].map(([m, s]): [number, string] => [s, m]).sort((a, b) =>
    a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)
  );
}

function assertMatches(zset: SortedSet, map: Map<string, number>): void {
  const model = modelOf(map);
  assert.equal(zset.size, model.length);
  assert.deepEqual([...zset].map((n) => [n.score, n.member]), model);
  // Walking backwards gives the same order reversed.
  const back: [number, string][] = [];
  for (let n = zset.last; n !== null; n = n.backward) {
    back.push([n.score, n.member]);
  }
  assert.deepEqual(back.reverse(), model);
  model.forEach(([score, member], i) => {
    assert.equal(zset.rank(member), i);
    assert.equal(zset.rank(member, true), model.length - 1 - i);
    assert.equal(zset.byRank(i)!.member, member);
    assert.equal(zset.score(member), score);
  });
  assert.equal(zset.byRank(model.length), null);
}

/** A deterministic pseudo-random sequence. */
function rng(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
}

Deno.test("random inserts, updates and deletes keep order, ranks and spans", () => {
  const random = rng(7);
  const zset = new SortedSet();
  const map = new Map<string, number>();
  for (let step = 0; step < 3000; step++) {
    const member = "m" + Math.floor(random() * 300);
    const score = Math.floor(random() * 50);
    if (random() < 0.3) {
      assert.equal(zset.delete(member), map.delete(member));
    } else {
      assert.equal(zset.set(member, score, LIMITS), !map.has(member));
      map.set(member, score);
    }
    if (step % 250 === 0) assertMatches(zset, map);
  }
  assertMatches(zset, map);
});

Deno.test("score ranges: first, last, count and delete", () => {
  const zset = new SortedSet();
  for (let i = 0; i < 100; i++) zset.set("m" + i, i % 10, LIMITS);
  const range: ScoreRange = {
    min: 2,
    max: 5,
    minExclusive: true,
    maxExclusive: false,
  };
  assert.equal(zset.firstInScoreRange(range)!.score, 3);
  assert.equal(zset.lastInScoreRange(range)!.score, 5);
  assert.equal(zset.countInScoreRange(range), 30);
  const empty = { min: 5, max: 5, minExclusive: true, maxExclusive: false };
  assert.equal(zset.firstInScoreRange(empty), null);
  assert.equal(zset.countInScoreRange(empty), 0);
  assert.equal(zset.deleteScoreRange(range), 30);
  assert.equal(zset.size, 70);
  assert.equal(zset.has("m3"), false);
  assert.equal(zset.rank("m16"), 30); // the first member scored 6
});

Deno.test("lex ranges: bounds, infinities and delete", () => {
  const zset = new SortedSet();
  for (const m of ["a", "b", "c", "d", "e"]) zset.set(m, 0, LIMITS);
  const incl = (value: string): LexBound => ({
    inf: 0,
    value,
    exclusive: false,
  });
  const excl = (value: string): LexBound => ({
    inf: 0,
    value,
    exclusive: true,
  });
  const minus: LexBound = { inf: -1, value: "", exclusive: false };
  const plus: LexBound = { inf: 1, value: "", exclusive: false };
  assert.equal(zset.countInLexRange({ min: minus, max: plus }), 5);
  assert.equal(zset.countInLexRange({ min: excl("b"), max: incl("d") }), 2);
  assert.equal(zset.countInLexRange({ min: plus, max: minus }), 0);
  assert.equal(zset.countInLexRange({ min: excl("a"), max: excl("a") }), 0);
  assert.equal(
    zset.firstInLexRange({ min: excl("b"), max: plus })!.member,
    "c",
  );
  assert.equal(
    zset.lastInLexRange({ min: minus, max: excl("d") })!.member,
    "c",
  );
  assert.equal(zset.deleteLexRange({ min: incl("b"), max: excl("e") }), 3);
  assert.deepEqual([...zset].map((n) => n.member), ["a", "e"]);
});

Deno.test("rank ranges delete exactly the ranks asked for", () => {
  const zset = new SortedSet();
  const map = new Map<string, number>();
  for (let i = 0; i < 200; i++) {
    zset.set("m" + i, i, LIMITS);
    map.set("m" + i, i);
  }
  assert.equal(zset.deleteRankRange(10, 19), 10);
  for (let i = 10; i < 20; i++) map.delete("m" + i);
  assertMatches(zset, map);
  assert.equal(zset.deleteRankRange(0, 0), 1);
  map.delete("m0");
  assertMatches(zset, map);
});

Deno.test("encoding turns into skiplist past either threshold, never back", () => {
  const limits = { maxEntries: 3, maxValue: 4 };
  const zset = new SortedSet();
  zset.set("a", 1, limits);
  zset.set("b", 1, limits);
  zset.set("c", 1, limits);
  assert.equal(zset.encoding, "listpack");
  zset.set("c", 5, limits); // an update does not convert
  assert.equal(zset.encoding, "listpack");
  zset.set("d", 1, limits);
  assert.equal(zset.encoding, "skiplist");
  zset.delete("d");
  zset.delete("c");
  assert.equal(zset.encoding, "skiplist");
  const long = new SortedSet();
  long.set("abcde", 1, limits);
  assert.equal(long.encoding, "skiplist");
});

Deno.test("a listpack stores -0 as 0, a skiplist keeps the sign", () => {
  const small = new SortedSet();
  small.set("m", -0, LIMITS);
  assert.ok(Object.is(small.score("m"), 0));
  const big = new SortedSet();
  big.set("m", -0, { maxEntries: 0, maxValue: 64 });
  assert.ok(Object.is(big.score("m"), -0));
  big.set("m", 0, LIMITS); // 0 == -0: no change, as in Redis
  assert.ok(Object.is(big.score("m"), -0));
});

Deno.test("clone is deep and keeps the encoding", () => {
  const zset = new SortedSet();
  zset.set("a", 1, { maxEntries: 0, maxValue: 64 });
  const copy = zset.clone();
  copy.set("a", 2, LIMITS);
  copy.set("b", 3, LIMITS);
  assert.equal(zset.score("a"), 1);
  assert.equal(zset.size, 1);
  assert.equal(copy.encoding, "skiplist");
  assert.equal(copy.rank("b"), 1);
});

Deno.test("scan visits every member once and random picks are members", () => {
  const zset = new SortedSet();
  for (let i = 0; i < 1000; i++) zset.set("m" + i, i, LIMITS);
  const seen = new Set<string>();
  let cursor = 0;
  do {
    const step = zset.scan(cursor, 10);
    for (const key of step.keys) {
      assert.ok(!seen.has(key));
      seen.add(key);
    }
    cursor = step.cursor;
  } while (cursor !== 0);
  assert.equal(seen.size, 1000);
  for (let i = 0; i < 100; i++) assert.ok(zset.has(zset.randomNode().member));
});
