import assert from "node:assert/strict";
import { ListValue } from "../../src/store/list.ts";

/** A small deterministic generator for the model-based test. */
function generator(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

function contents(list: ListValue): string[] {
  return [...list.values()];
}

Deno.test("pushes and pops at both ends keep deque order", () => {
  const list = new ListValue();
  list.pushTail("b");
  list.pushHead("a");
  list.pushTail("c");
  assert.deepEqual(contents(list), ["a", "b", "c"]);
  assert.equal(list.length, 3);
  assert.equal(list.popHead(), "a");
  assert.equal(list.popTail(), "c");
  assert.equal(list.popTail(), "b");
  assert.equal(list.popHead(), undefined);
  assert.equal(list.popTail(), undefined);
  assert.equal(list.length, 0);
});

Deno.test("elements survive growth and shrinking across the wrap point", () => {
  const list = new ListValue();
  // Head pushes wrap the ring at once; growth must keep the order.
  for (let i = 0; i < 1000; i++) list.pushHead(`h${i}`);
  for (let i = 0; i < 1000; i++) list.pushTail(`t${i}`);
  assert.equal(list.length, 2000);
  assert.equal(list.at(0), "h999");
  assert.equal(list.at(999), "h0");
  assert.equal(list.at(1000), "t0");
  assert.equal(list.at(1999), "t999");
  for (let i = 999; i >= 10; i--) assert.equal(list.popHead(), `h${i}`);
  for (let i = 999; i >= 10; i--) assert.equal(list.popTail(), `t${i}`);
  assert.deepEqual(contents(list), [
    ...Array.from({ length: 10 }, (_, i) => `h${9 - i}`),
    ...Array.from({ length: 10 }, (_, i) => `t${i}`),
  ]);
});

Deno.test("set replaces in place and binary elements are kept exactly", () => {
  const list = ListValue.from(["", "\x00\xff", "a\r\nb"]);
  list.set(1, "x");
  assert.deepEqual(contents(list), ["", "x", "a\r\nb"]);
});

Deno.test("insert shifts whichever side is shorter and keeps order", () => {
  for (const at of [0, 1, 2, 5, 9, 10]) {
    const list = ListValue.from("0123456789");
    list.popHead(); // moves the head off slot 0 so shifts cross the wrap
    list.pushHead("0");
    list.insert(at, "X");
    const expected = [..."0123456789"];
    expected.splice(at, 0, "X");
    assert.deepEqual(contents(list), expected, `insert at ${at}`);
  }
});

Deno.test("removeMatching honours the limit and the direction", () => {
  const base = ["a", "b", "a", "c", "a", "b", "a"];
  const cases: [number, boolean, string[]][] = [
    [0, false, ["b", "c", "b"]],
    [1, false, ["b", "a", "c", "a", "b", "a"]],
    [2, false, ["b", "c", "a", "b", "a"]],
    [1, true, ["a", "b", "a", "c", "a", "b"]],
    [2, true, ["a", "b", "a", "c", "b"]],
    [9, true, ["b", "c", "b"]],
  ];
  for (const [limit, fromTail, expected] of cases) {
    const list = ListValue.from(base);
    const removed = list.removeMatching("a", limit, fromTail);
    assert.equal(removed, base.length - expected.length);
    assert.deepEqual(contents(list), expected, `${limit} ${fromTail}`);
    // The list still works as a deque afterwards.
    list.pushHead("<");
    list.pushTail(">");
    assert.deepEqual(contents(list), ["<", ...expected, ">"]);
  }
  assert.equal(ListValue.from(base).removeMatching("zz", 0, false), 0);
});

Deno.test("keepRange keeps the middle and frees the rest", () => {
  const list = ListValue.from(Array.from({ length: 100 }, (_, i) => `${i}`));
  list.keepRange(40, 3);
  assert.deepEqual(contents(list), ["40", "41", "42"]);
  list.pushHead("h");
  list.pushTail("t");
  assert.deepEqual(contents(list), ["h", "40", "41", "42", "t"]);
});

Deno.test("clone is independent of the original", () => {
  const list = ListValue.from(["a", "b"]);
  const copy = list.clone();
  copy.pushTail("c");
  list.set(0, "z");
  assert.deepEqual(contents(list), ["z", "b"]);
  assert.deepEqual(contents(copy), ["a", "b", "c"]);
});

Deno.test("a random mix of operations matches an array model", () => {
  const next = generator(42);
  const list = new ListValue();
  const model: string[] = [];
  for (let step = 0; step < 20000; step++) {
    const op = Math.floor(next() * 8);
    const value = `v${Math.floor(next() * 5)}`;
    if (op === 0) {
      list.pushHead(value);
      model.unshift(value);
    } else if (op === 1 || op === 2) {
      list.pushTail(value);
      model.push(value);
    } else if (op === 3) {
      assert.equal(list.popHead(), model.shift());
    } else if (op === 4) {
      assert.equal(list.popTail(), model.pop());
    } else if (op === 5) {
      const at = Math.floor(next() * (model.length + 1));
      list.insert(at, value);
      model.splice(at, 0, value);
    } else if (op === 6 && model.length > 0) {
      const at = Math.floor(next() * model.length);
      list.set(at, value);
      model[at] = value;
    } else if (op === 7 && next() < 0.1) {
      const limit = Math.floor(next() * 3);
      const fromTail = next() < 0.5;
      let removed = 0;
      const order = fromTail ? [...model.keys()].reverse() : [...model.keys()];
      const drop = new Set<number>();
      for (const i of order) {
        if (model[i] === value && (limit === 0 || removed < limit)) {
          drop.add(i);
          removed++;
        }
      }
      assert.equal(list.removeMatching(value, limit, fromTail), removed);
      const kept = model.filter((_, i) => !drop.has(i));
      model.length = 0;
      model.push(...kept);
    }
    assert.equal(list.length, model.length);
  }
  assert.deepEqual(contents(list), model);
});
