import assert from "node:assert/strict";
import { IdMap } from "../../src/store/id_map.ts";
import { stringElementSize } from "../../src/store/listpack_size.ts";
import {
  ConsumerGroup,
  INVALID_ENTRIES_READ,
  nextAutoId,
  StreamValue,
} from "../../src/store/stream.ts";
import {
  compareIds,
  decrementId,
  formatId,
  idFromKey,
  idKey,
  incrementId,
  MAX_ID,
  MIN_ID,
  parseU64,
  type StreamId,
  streamId,
} from "../../src/store/stream_id.ts";

const LIMITS = { maxEntries: 100, maxBytes: 4096 };

/** An ID from decimal ms and seq, exact at any size. */
function id(ms: bigint | number, seq: bigint | number = 0): StreamId {
  const m = BigInt(ms), s = BigInt(seq);
  return streamId(
    Number(m >> 32n),
    Number(m & 0xffffffffn),
    Number(s >> 32n),
    Number(s & 0xffffffffn),
  );
}

function ids(stream: StreamValue, reverse = false): string[] {
  const out: string[] = [];
  stream.scan(MIN_ID, MAX_ID, reverse, (entry) => {
    out.push(formatId(entry));
    return true;
  });
  return out;
}

Deno.test("IDs above 2^53 keep every digit", () => {
  const big = id(18446744073709551615n, 9007199254740993n);
  assert.equal(formatId(big), "18446744073709551615-9007199254740993");
  assert.equal(formatId(id(9007199254740993n, 1)), "9007199254740993-1");
  assert.equal(compareIds(id(9007199254740993n), id(9007199254740992n)), 1);
  assert.equal(incrementId(MAX_ID), null);
  assert.equal(decrementId(MIN_ID), null);
  assert.equal(formatId(incrementId(id(5, 0xffffffffffffffffn))!), "6-0");
  assert.equal(
    formatId(decrementId(id(6, 0))!),
    "5-18446744073709551615",
  );
  assert.deepEqual(idFromKey(idKey(big)), big);
  assert.ok(idKey(id(1, 2)) < idKey(id(1, 3)));
  assert.ok(idKey(id(1, 0xffffffffffn)) < idKey(id(2, 0)));
});

Deno.test("parseU64 follows string2ull and strtoull", () => {
  assert.deepEqual(parseU64("18446744073709551615"), [0xffffffff, 0xffffffff]);
  assert.equal(parseU64("18446744073709551616"), null);
  assert.equal(parseU64("-1"), null);
  assert.equal(parseU64(""), null);
  assert.equal(parseU64("1x"), null);
  assert.deepEqual(parseU64(" +007"), [0, 7]);
  assert.deepEqual(parseU64("-0"), [0, 0]);
  // strtoull negates a non-canonical negative modulo 2^64.
  assert.deepEqual(parseU64("-01"), [0xffffffff, 0xffffffff]);
});

Deno.test("entries come back in ID order across nodes, forwards and backwards", () => {
  const stream = new StreamValue();
  for (let i = 1; i <= 1000; i++) {
    stream.append(id(i, i % 3), ["f", String(i)], LIMITS);
  }
  assert.equal(stream.length, 1000);
  assert.equal(stream.nodes.length, 10);
  const forward = ids(stream);
  assert.equal(forward[0], "1-1");
  assert.equal(forward[999], "1000-1");
  assert.deepEqual(ids(stream, true), [...forward].reverse());
  const some: string[] = [];
  stream.scan(id(150), id(152, 5), false, (entryId, fields) => {
    some.push(`${formatId(entryId)}=${fields.join(",")}`);
    return true;
  });
  assert.deepEqual(some, ["150-0=f,150", "151-1=f,151", "152-2=f,152"]);
  assert.deepEqual(stream.get(id(500, 2)), ["f", "500"]);
  assert.equal(stream.get(id(500, 0)), undefined);
});

Deno.test("entries with other fields than the node's first keep their own names", () => {
  const stream = new StreamValue();
  stream.append(id(1), ["a", "1", "b", "2"], LIMITS);
  stream.append(id(2), ["b", "2", "a", "1"], LIMITS);
  stream.append(id(3), ["a", "x", "b", "y"], LIMITS);
  assert.deepEqual(stream.get(id(2)), ["b", "2", "a", "1"]);
  assert.deepEqual(stream.get(id(3)), ["a", "x", "b", "y"]);
});

Deno.test("deletion leaves tombstones until a node empties", () => {
  const stream = new StreamValue();
  for (let i = 1; i <= 150; i++) stream.append(id(i), ["f", "v"], LIMITS);
  assert.equal(stream.deleteEntries([id(1), id(2), id(999)]), 2);
  assert.equal(formatId(stream.firstId), "3-0");
  assert.equal(formatId(stream.maxDeletedId), "2-0");
  const firstNode: StreamId[] = [];
  for (let i = 3; i <= 100; i++) firstNode.push(id(i));
  assert.equal(stream.deleteEntries(firstNode), 98);
  assert.equal(stream.nodes.length, 1);
  assert.equal(stream.length, 50);
  assert.equal(formatId(stream.firstId), "101-0");
  assert.equal(formatId(stream.lastValidId()), "150-0");
});

Deno.test("exact and approximate trimming", () => {
  const build = () => {
    const stream = new StreamValue();
    for (let i = 1; i <= 250; i++) stream.append(id(i), ["f", "v"], LIMITS);
    return stream;
  };
  const exact = build();
  const spec = {
    strategy: "maxlen" as const,
    maxlen: 120,
    minid: MIN_ID,
    approx: false,
    limit: 0,
  };
  assert.equal(exact.trim(spec), 130);
  assert.equal(formatId(exact.firstId), "131-0");
  const approx = build();
  assert.equal(approx.trim({ ...spec, approx: true, limit: 10000 }), 100);
  assert.equal(approx.length, 150);
  const limited = build();
  assert.equal(limited.trim({ ...spec, approx: true, limit: 99 }), 0);
  const minid = build();
  assert.equal(
    minid.trim({ ...spec, strategy: "minid", minid: id(42) }),
    41,
  );
  assert.equal(formatId(minid.firstId), "42-0");
});

Deno.test("nodes split at the entry limit and at the byte limit", () => {
  const stream = new StreamValue();
  const small = { maxEntries: 3, maxBytes: 4096 };
  for (let i = 1; i <= 7; i++) stream.append(id(i), ["f", "v"], small);
  assert.deepEqual(stream.nodes.map((n) => n.slots), [3, 3, 1]);
  const wide = new StreamValue();
  const value = "x".repeat(1500);
  for (let i = 1; i <= 5; i++) wide.append(id(i), ["f", value], LIMITS);
  // Two entries take ~3 KB, and the third would pass 4096 bytes.
  assert.deepEqual(wide.nodes.map((n) => n.slots), [2, 2, 1]);
  assert.equal(stringElementSize("127"), 2);
  assert.equal(stringElementSize("128"), 3);
  assert.equal(stringElementSize("0127"), 6);
});

Deno.test("rax node count of one and two nodes", () => {
  const stream = new StreamValue();
  assert.equal(stream.radixTreeNodes(), 1);
  stream.append(id(1, 1), ["a", "1"], LIMITS);
  assert.equal(stream.radixTreeNodes(), 2);
  for (let i = 2; i <= 101; i++) stream.append(id(i, 1), ["a", "1"], LIMITS);
  assert.equal(stream.nodes.length, 2);
  assert.equal(stream.radixTreeNodes(), 6);
});

Deno.test("lag and entries-read follow Redis's estimates", () => {
  const stream = new StreamValue();
  for (let i = 1; i <= 5; i++) stream.append(id(i), ["f", "v"], LIMITS);
  const group = new ConsumerGroup("g", MIN_ID, INVALID_ENTRIES_READ);
  assert.equal(stream.groupLag(group), 5);
  stream.advanceGroup(group, id(1));
  assert.equal(group.entriesRead, 1);
  assert.equal(stream.groupLag(group), 4);
  stream.deleteEntries([id(3)]);
  // A tombstone after the group's position makes the lag unknown.
  group.entriesRead = INVALID_ENTRIES_READ;
  assert.equal(stream.groupLag(group), null);
  stream.advanceGroup(group, id(5));
  assert.equal(group.entriesRead, 5);
  assert.equal(stream.groupLag(group), 0);
});

Deno.test("auto IDs move with the clock or the sequence", () => {
  assert.equal(formatId(nextAutoId(id(5, 3), 10)!), "10-0");
  assert.equal(formatId(nextAutoId(id(5, 3), 4)!), "5-4");
  assert.equal(nextAutoId(MAX_ID, 4), null);
});

Deno.test("an IdMap walks in ID order", () => {
  const map = new IdMap<number>();
  for (const n of [5, 1, 9, 3]) map.set(id(n), n);
  assert.equal(map.size, 4);
  assert.deepEqual([...map.entries()].map(([, v]) => v), [1, 3, 5, 9]);
  assert.equal(map.seek(id(4)), 2);
  assert.ok(map.delete(id(5)));
  assert.ok(!map.delete(id(5)));
  assert.equal(formatId(map.idAt(2)), "9-0");
});

Deno.test("clone copies entries, groups and PELs apart", () => {
  const stream = new StreamValue();
  stream.append(id(1), ["f", "v"], LIMITS);
  const group = new ConsumerGroup("g", MIN_ID, 0);
  stream.groups.set("g", group);
  const copy = stream.clone();
  stream.append(id(2), ["f", "w"], LIMITS);
  stream.groups.delete("g");
  assert.equal(copy.length, 1);
  assert.equal(copy.groups.size, 1);
  assert.deepEqual(ids(copy), ["1-0"]);
});
