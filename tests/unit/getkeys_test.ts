import assert from "node:assert/strict";
import {
  commandKeys,
  hasKeyArguments,
  keysFromSpecs,
  legacyKeyRange,
} from "../../src/commands/getkeys.ts";
import type { CommandSpec, KeySpec } from "../../src/commands/table.ts";

/** A command with just what key extraction reads (specs as Redis 7.0 has them). */
function command(
  arity: number,
  keySpecs: KeySpec[],
  extra: Partial<CommandSpec> = {},
): CommandSpec {
  return {
    name: "test",
    arity,
    flags: [],
    acl: [],
    keySpecs,
    summary: "",
    since: "7.0.0",
    group: "generic",
    ...extra,
  };
}

const range = (lastkey: number, keystep = 1, limit = 0) => ({
  lastkey,
  keystep,
  limit,
});

const GET = command(2, [{
  flags: ["RO", "access"],
  beginSearch: { index: 1 },
  findKeys: range(0),
}]);
const MSET = command(-3, [{
  flags: ["OW", "update"],
  beginSearch: { index: 1 },
  findKeys: range(-1, 2),
}]);
const BLPOP = command(-3, [{
  flags: ["RW", "access", "delete"],
  beginSearch: { index: 1 },
  findKeys: range(-2),
}]);
const ZUNIONSTORE = command(-4, [
  { flags: ["OW", "update"], beginSearch: { index: 1 }, findKeys: range(0) },
  {
    flags: ["RO", "access"],
    beginSearch: { index: 2 },
    findKeys: { keynumidx: 0, firstkey: 1, keystep: 1 },
  },
]);
const XREAD = command(-4, [{
  flags: ["RO", "access"],
  beginSearch: { keyword: "STREAMS", startfrom: 1 },
  findKeys: range(-1, 1, 2),
}]);
const MIGRATE = command(-6, [
  {
    flags: ["RW", "access", "delete"],
    beginSearch: { index: 3 },
    findKeys: range(0),
  },
  {
    flags: ["RW", "access", "delete", "incomplete"],
    beginSearch: { keyword: "KEYS", startfrom: -2 },
    findKeys: range(-1),
  },
], {
  getKeys: (argv) =>
    argv[3] === ""
      ? argv.slice(7).map((_, i) => ({
        pos: 7 + i,
        flags: ["RW", "access", "delete"],
      }))
      : [],
});
const SORT = command(-2, [
  { flags: ["RO", "access"], beginSearch: { index: 1 }, findKeys: range(0) },
  {
    flags: ["OW", "update"],
    notes: "STORE",
    beginSearch: "unknown",
    findKeys: "unknown",
  },
]);
const SET = command(-3, [{
  flags: ["RW", "access", "update", "variable_flags"],
  beginSearch: { index: 1 },
  findKeys: range(0),
}], {
  getKeys: (argv) => [{
    pos: 1,
    flags: argv.includes("GET") ? ["RW", "access", "update"] : ["OW", "update"],
  }],
});

const positions = (keys: { pos: number }[] | null) =>
  keys?.map((k) => k.pos) ?? null;

Deno.test("index + range specs give fixed, stepped and from-the-end keys", () => {
  assert.deepEqual(commandKeys(GET, ["get", "k"]), [{
    pos: 1,
    flags: ["RO", "access"],
  }]);
  assert.deepEqual(
    positions(commandKeys(MSET, ["mset", "a", "1", "b", "2"])),
    [1, 3],
  );
  assert.deepEqual(
    positions(commandKeys(BLPOP, ["blpop", "a", "b", "0"])),
    [1, 2],
  );
});

Deno.test("keynum specs read the key count and reject bad ones", () => {
  const argv = ["zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"];
  assert.deepEqual(positions(keysFromSpecs(ZUNIONSTORE, argv)), [1, 3, 4]);
  for (const count of ["3", "x", "-1", "0", "01"]) {
    assert.equal(
      keysFromSpecs(ZUNIONSTORE, ["zunionstore", "d", count, "a", "b"]),
      null,
      count,
    );
  }
  // Redis casts the count to a C int.
  assert.deepEqual(
    positions(keysFromSpecs(ZUNIONSTORE, ["z", "d", "4294967297", "a"])),
    [1, 3],
  );
});

Deno.test("keyword specs search case-insensitively; a limit splits the rest", () => {
  assert.deepEqual(
    positions(commandKeys(XREAD, [
      "xread",
      "count",
      "2",
      "streams",
      "a",
      "b",
      "0",
      "0",
    ])),
    [4, 5],
  );
  assert.deepEqual(
    positions(commandKeys(XREAD, ["xread", "Streams", "a", "b", "0"])),
    [2],
  );
  // Keyword absent: the spec contributes no keys.
  assert.deepEqual(commandKeys(XREAD, ["xread", "count", "1", "x", "y"]), []);
});

Deno.test("incomplete and unknown specs fall back to getKeys, or return partial", () => {
  const migrate = ["migrate", "h", "1", "", "0", "5", "KEYS", "a", "b"];
  assert.equal(keysFromSpecs(MIGRATE, migrate), null);
  assert.deepEqual(
    positions(keysFromSpecs(MIGRATE, migrate, { returnPartial: true })),
    [3, 7, 8],
  );
  assert.deepEqual(positions(commandKeys(MIGRATE, migrate)), [7, 8]);
  // SORT has no getKeys here: the unknown spec makes the answer empty...
  assert.deepEqual(commandKeys(SORT, ["sort", "k", "STORE", "d"]), []);
  // ...unless a partial answer is asked for.
  assert.deepEqual(
    positions(commandKeys(SORT, ["sort", "k"], { returnPartial: true })),
    [1],
  );
});

Deno.test("variable_flags specs defer to getKeys for the flags", () => {
  assert.deepEqual(commandKeys(SET, ["set", "k", "v"]), [{
    pos: 1,
    flags: ["OW", "update"],
  }]);
  assert.deepEqual(commandKeys(SET, ["set", "k", "v", "GET"]), [{
    pos: 1,
    flags: ["RW", "access", "update"],
  }]);
});

Deno.test("not_key specs are skipped unless asked for", () => {
  const spec = command(2, [{
    flags: ["not_key"],
    beginSearch: { index: 1 },
    findKeys: range(0),
  }]);
  assert.equal(hasKeyArguments(spec), false);
  assert.deepEqual(keysFromSpecs(spec, ["x", "a"]), []);
  assert.deepEqual(
    positions(keysFromSpecs(spec, ["x", "a"], { includeNotKeys: true })),
    [1],
  );
  assert.equal(hasKeyArguments(GET), true);
  assert.equal(hasKeyArguments(command(1, [])), false);
});

Deno.test("legacy first/last/step and movablekeys follow Redis's derivation", () => {
  const pick = (s: CommandSpec) => {
    const r = legacyKeyRange(s);
    return [r.first, r.last, r.step, r.movable];
  };
  assert.deepEqual(pick(command(1, [])), [0, 0, 0, false]);
  assert.deepEqual(pick(GET), [1, 1, 1, false]);
  assert.deepEqual(pick(MSET), [1, -1, 2, false]);
  assert.deepEqual(pick(BLPOP), [1, -2, 1, false]);
  assert.deepEqual(pick(ZUNIONSTORE), [1, 1, 1, true]);
  assert.deepEqual(pick(XREAD), [0, 0, 0, true]);
  assert.deepEqual(pick(MIGRATE), [3, 3, 1, true]);
  assert.deepEqual(pick(SORT), [1, 1, 1, true]);
  // RENAME: two consecutive single-key specs merge into 1..2.
  const rename = command(3, [
    { flags: ["RW"], beginSearch: { index: 1 }, findKeys: range(0) },
    { flags: ["OW"], beginSearch: { index: 2 }, findKeys: range(0) },
  ]);
  assert.deepEqual(pick(rename), [1, 2, 1, false]);
  // BITOP: destination then every remaining key.
  const bitop = command(-4, [
    { flags: ["OW"], beginSearch: { index: 2 }, findKeys: range(0) },
    { flags: ["RO"], beginSearch: { index: 3 }, findKeys: range(-1) },
  ]);
  assert.deepEqual(pick(bitop), [2, -1, 1, false]);
  // One incomplete range spec: taken as is, but movable.
  const incomplete = command(-2, [{
    flags: ["RO", "incomplete"],
    beginSearch: { index: 1 },
    findKeys: range(0),
  }]);
  assert.deepEqual(pick(incomplete), [1, 1, 1, true]);
});
