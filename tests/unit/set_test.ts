import assert from "node:assert/strict";
import { intsetValue, RedisSet } from "../../src/store/set.ts";

const MAX = 512;

function setOf(members: string[], max = MAX): RedisSet {
  const set = RedisSet.forMember(members[0]);
  for (const member of members) set.add(member, max);
  return set;
}

Deno.test("intsetValue accepts exactly what Redis's string2ll accepts", () => {
  assert.equal(intsetValue("0"), 0);
  assert.equal(intsetValue("-1"), -1);
  assert.equal(intsetValue("123456789012345"), 123456789012345);
  assert.equal(intsetValue("9007199254740991"), 9007199254740991);
  assert.equal(intsetValue("9007199254740993"), 9007199254740993n);
  assert.equal(intsetValue("9223372036854775807"), 9223372036854775807n);
  assert.equal(intsetValue("-9223372036854775808"), -9223372036854775808n);
  for (
    const bad of [
      "",
      "-0",
      "+1",
      "01",
      " 1",
      "1 ",
      "1.0",
      "1e3",
      "9223372036854775808",
      "-9223372036854775809",
      "0x10",
      "-",
    ]
  ) {
    assert.equal(intsetValue(bad), null, bad);
  }
});

Deno.test("an intset keeps its members sorted as signed 64-bit integers", () => {
  const set = setOf([
    "5",
    "-1",
    "9223372036854775807",
    "9007199254740993",
    "9007199254740992",
    "-9223372036854775808",
    "0",
    "5",
  ]);
  assert.equal(set.encoding, "intset");
  assert.equal(set.size, 7);
  assert.deepEqual([...set.members()], [
    "-9223372036854775808",
    "-1",
    "0",
    "5",
    "9007199254740992",
    "9007199254740993",
    "9223372036854775807",
  ]);
  assert.equal(set.has("9007199254740993"), true);
  assert.equal(set.has("9007199254740994"), false);
  assert.equal(set.has("05"), false);
  assert.equal(set.add("5", MAX), false);
  assert.equal(set.delete("-1"), true);
  assert.equal(set.delete("-1"), false);
  assert.equal(set.delete("x"), false);
  assert.equal(set.size, 6);
});

Deno.test("a set becomes a hashtable for good on a string member or past the limit", () => {
  const mixed = setOf(["1", "2"]);
  assert.equal(mixed.add("a", MAX), true);
  assert.equal(mixed.encoding, "hashtable");
  assert.equal(mixed.delete("a"), true);
  assert.equal(mixed.encoding, "hashtable");
  assert.deepEqual([...mixed.members()].sort(), ["1", "2"]);

  const big = setOf(["1", "2", "3"], 3);
  assert.equal(big.encoding, "intset");
  big.add("4", 3);
  assert.equal(big.encoding, "hashtable");
  assert.equal(big.has("4") && big.has("1"), true);
  big.delete("4");
  assert.equal(big.encoding, "hashtable");

  assert.equal(RedisSet.forMember("x").encoding, "hashtable");
  assert.equal(RedisSet.forMember("7").encoding, "intset");
  const none = RedisSet.forMember("7");
  none.add("7", 0);
  assert.equal(none.encoding, "hashtable");
});

Deno.test("randomMember picks every member, and only members, about equally often", () => {
  for (const members of [["1", "2", "3", "4"], ["a", "b", "c", "d"]]) {
    const set = setOf(members);
    // Deletes shrink the table's load, leaving gaps a naive walk would favour.
    for (let i = 0; i < 200; i++) set.add(`extra${i}`, MAX);
    for (let i = 0; i < 200; i++) set.delete(`extra${i}`);
    const counts = new Map<string, number>();
    const draws = 40_000;
    for (let i = 0; i < draws; i++) {
      const member = set.randomMember();
      counts.set(member, (counts.get(member) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), members);
    for (const count of counts.values()) {
      assert.ok(Math.abs(count - draws / 4) < draws / 20, `${counts.size}`);
    }
  }
});

Deno.test("scan of a hashtable set returns each member present throughout exactly once", () => {
  const set = setOf(["a"]);
  for (let i = 0; i < 1000; i++) set.add(`m${i}`, MAX);
  const seen = new Map<string, number>();
  let cursor = 0;
  let round = 0;
  do {
    const step = set.scan(cursor, 10);
    for (const member of step.keys) {
      seen.set(member, (seen.get(member) ?? 0) + 1);
    }
    cursor = step.cursor;
    // Churn between steps so the table resizes under the cursor.
    for (let i = 0; i < 300; i++) set.add(`churn${round}:${i}`, MAX);
    if (round > 0) {
      for (let i = 0; i < 300; i++) set.delete(`churn${round - 1}:${i}`);
    }
    round++;
  } while (cursor !== 0);
  for (let i = 0; i < 1000; i++) assert.equal(seen.get(`m${i}`), 1, `m${i}`);
  assert.equal(seen.get("a"), 1);
});

Deno.test("an intset scans whole with cursor 0", () => {
  const set = setOf(["3", "1", "2"]);
  assert.deepEqual(set.scan(12345, 1), { cursor: 0, keys: ["1", "2", "3"] });
});

Deno.test("clone copies deeply and keeps the encoding", () => {
  const ints = setOf(["1", "2"]);
  const intsCopy = ints.clone();
  intsCopy.add("3", MAX);
  assert.equal(ints.size, 2);
  assert.equal(intsCopy.encoding, "intset");

  const table = setOf(["1", "2", "3"], 2);
  table.delete("3");
  const tableCopy = table.clone();
  assert.equal(tableCopy.encoding, "hashtable");
  tableCopy.delete("1");
  assert.equal(table.has("1"), true);
  assert.deepEqual([...tableCopy.members()], ["2"]);
});
