/**
 * The DEBUG DIGEST machinery without a server: SHA-1 against node:crypto,
 * and digests of small datasets against values redis-server 7.0 printed.
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { binaryToBytes } from "../../src/protocol/binary.ts";
import {
  datasetDigest,
  digestHex,
  keyValueDigest,
  sha1,
} from "../../src/store/digest.ts";
import { Database } from "../../src/store/keyspace.ts";
import { MutableString } from "../../src/store/string.ts";

const ZEROS = "0".repeat(40);
/** redis-server 7.0.15 after FLUSHALL and SET foo bar. */
const FOO_BAR_DATASET = "d2ab4820c1be0580ea28efbfe8bfa1dc05bb802a";
const FOO_BAR_VALUE = "68467c70ae30376e7ce005bcc8827f5ba7fd67dc";

function databases(n: number): Database[] {
  return Array.from({ length: n }, (_, i) => new Database(i));
}

Deno.test("sha1 matches node:crypto across block and padding boundaries", () => {
  let seed = 7;
  for (let length = 0; length <= 300; length++) {
    const data = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[i] = seed >>> 24;
    }
    const expected = createHash("sha1").update(data).digest("hex");
    assert.equal(digestHex(sha1(data)), expected, `length ${length}`);
  }
  assert.equal(
    digestHex(sha1(binaryToBytes("abc"))),
    "a9993e364706816aba3e25717850c26c9cd0d89d",
  );
});

Deno.test("an empty dataset digests to 40 zeros, a missing key too", () => {
  const dbs = databases(16);
  assert.equal(digestHex(datasetDigest(dbs)), ZEROS);
  assert.equal(digestHex(keyValueDigest(dbs[0], "nokey")), ZEROS);
});

Deno.test("digests of foo=bar are the ones Redis prints", () => {
  const dbs = databases(16);
  dbs[0].set("foo", "bar");
  assert.equal(digestHex(datasetDigest(dbs)), FOO_BAR_DATASET);
  assert.equal(digestHex(keyValueDigest(dbs[0], "foo")), FOO_BAR_VALUE);
});

Deno.test("a value edited in place digests like the same bytes set whole", () => {
  const dbs = databases(1);
  dbs[0].set("foo", new MutableString("ba"));
  (dbs[0].data.get("foo") as MutableString).append("r");
  assert.equal(digestHex(datasetDigest(dbs)), FOO_BAR_DATASET);
  assert.equal(digestHex(keyValueDigest(dbs[0], "foo")), FOO_BAR_VALUE);
});

Deno.test("a TTL changes the digest, its time does not", () => {
  const [db] = databases(1);
  db.set("foo", "bar");
  db.setExpire("foo", 4102444800000);
  const withTtl = digestHex(keyValueDigest(db, "foo"));
  assert.notEqual(withTtl, FOO_BAR_VALUE);
  db.setExpire("foo", 1);
  // Logically expired but still stored: Redis still counts it.
  assert.equal(digestHex(keyValueDigest(db, "foo")), withTtl);
  assert.notEqual(digestHex(datasetDigest([db])), ZEROS);
});

Deno.test("key order does not matter, the database number does", () => {
  const a = databases(2);
  a[0].set("k1", "v1");
  a[0].set("k2", "v2");
  const b = databases(2);
  b[0].set("k2", "v2");
  b[0].set("k1", "v1");
  assert.equal(digestHex(datasetDigest(a)), digestHex(datasetDigest(b)));
  const moved = databases(2);
  moved[1].set("k1", "v1");
  moved[1].set("k2", "v2");
  assert.notEqual(digestHex(datasetDigest(a)), digestHex(datasetDigest(moved)));
  // Swapping which key holds which value changes the digest.
  const swapped = databases(2);
  swapped[0].set("k1", "v2");
  swapped[0].set("k2", "v1");
  assert.notEqual(
    digestHex(datasetDigest(a)),
    digestHex(datasetDigest(swapped)),
  );
});
