import assert from "node:assert/strict";
import { ReplicationHistory } from "../../src/replication/ids.ts";

const NO_REPLID = "0".repeat(40);

Deno.test("replication history: a fresh one has an ID and no secondary", () => {
  const history = new ReplicationHistory();
  assert.match(history.replid, /^[0-9a-f]{40}$/);
  assert.equal(history.replid2, NO_REPLID);
  assert.equal(history.offset, 0);
  assert.equal(history.secondOffset, -1);
  assert.notEqual(new ReplicationHistory().replid, history.replid);
});

Deno.test("replication history: shift keeps the old ID up to offset + 1", () => {
  const history = new ReplicationHistory();
  const old = history.replid;
  history.advanceTo(100);
  history.shift();
  assert.notEqual(history.replid, old);
  assert.equal(history.replid2, old);
  assert.equal(history.secondOffset, 101);
  assert.equal(history.offset, 100);
  assert.ok(history.knows(old, 101));
  assert.ok(!history.knows(old, 102));
  assert.ok(history.knows(history.replid, 5000));
  assert.ok(!history.knows("?", 0));
});

Deno.test("replication history: startNew forgets both IDs", () => {
  const history = new ReplicationHistory();
  history.advanceTo(7);
  history.shift();
  const [first, second] = [history.replid, history.replid2];
  history.startNew();
  assert.notEqual(history.replid, first);
  assert.equal(history.replid2, NO_REPLID);
  assert.equal(history.secondOffset, -1);
  assert.equal(history.offset, 7);
  assert.ok(!history.knows(first, 7) && !history.knows(second, 7));
});

Deno.test("replication history: adopt, continueUnder and inherit", () => {
  const history = new ReplicationHistory();
  const primary = "a".repeat(40);
  history.adopt({ replid: primary, offset: 42 });
  assert.equal(history.replid, primary);
  assert.equal(history.offset, 42);
  assert.equal(history.replid2, NO_REPLID);

  const promoted = "b".repeat(40);
  history.continueUnder(promoted, { replid: primary, offset: 42 });
  assert.equal(history.replid, promoted);
  assert.equal(history.replid2, primary);
  assert.equal(history.secondOffset, 43);

  const fresh = new ReplicationHistory();
  const own = fresh.replid;
  fresh.inherit({ replid: primary, offset: 9 });
  assert.equal(fresh.replid, own);
  assert.equal(fresh.replid2, primary);
  assert.equal(fresh.offset, 9);
  assert.equal(fresh.secondOffset, 10);
});
