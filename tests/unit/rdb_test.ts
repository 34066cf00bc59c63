/**
 * RDB reading and writing against the real redis-server 7.0: files Redis
 * writes (every encoding 7.0 picks, compressed and not) load here with the
 * same DEBUG DIGEST, and files redeno writes load back with it too.
 * @module
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import { Crc64, crc64 } from "../../src/persistence/crc64.ts";
import { dumpPayload, restoreValue } from "../../src/persistence/dump.ts";
import { lzfCompress, lzfDecompress } from "../../src/persistence/lzf.ts";
import {
  auxFields,
  loadRdb,
  serializeDatabases,
} from "../../src/persistence/rdb_file.ts";
import { RdbEncoder } from "../../src/persistence/rdb_encoder.ts";
import { RdbType } from "../../src/persistence/rdb_format.ts";
import {
  nodeListpack,
  writeGroupPels,
  writeId,
  writeNodes,
} from "../../src/persistence/rdb_stream.ts";
import { StreamValue } from "../../src/store/stream.ts";
import { streamId } from "../../src/store/stream_id.ts";
import { datasetDigest, digestHex } from "../../src/store/digest.ts";
import { Database } from "../../src/store/keyspace.ts";
import { startRedis } from "../helpers/servers.ts";

const limits = {
  hash: { maxEntries: 128, maxValue: 64 },
  zset: { maxEntries: 128, maxValue: 64 },
  setMaxIntsetEntries: 512,
};
/** Loading's log lines, dropped. */
const QUIET = { debug() {}, notice() {}, warning() {} };

function freshDbs(): Database[] {
  return Array.from({ length: 16 }, (_, i) => new Database(i));
}

Deno.test("crc64 matches Redis's check value", () => {
  assert.equal(
    crc64(new TextEncoder().encode("123456789")),
    0xe9c6d914c4b8d9can,
  );
});

Deno.test("lzf round-trips and refuses what does not shrink", () => {
  const text = new TextEncoder().encode("abcabcabcabc".repeat(100) + "xyz");
  const packed = lzfCompress(text, text.length - 4)!;
  assert.ok(packed.length < text.length / 4);
  assert.deepEqual(lzfDecompress(packed, text.length), text);
  const noise = crypto.getRandomValues(new Uint8Array(100));
  assert.equal(lzfCompress(noise, 96), null);
});

Deno.test("files written by redis-server load with the same digest, and redeno's files load back", async () => {
  const dir = Deno.makeTempDirSync();
  const redis = await startRedis([
    "--dir",
    dir,
    "--enable-debug-command",
    "yes",
  ]);
  try {
    const c = await redis.connect();
    await c.call("SET", "s", "hello");
    await c.call("SET", "n", "12345");
    await c.call("SET", "big", "x".repeat(1000) + "y");
    await c.call("PSETEX", "ttl", 100000000, "v");
    await c.call("RPUSH", "list", "a", "1", "-300", "70000", "b".repeat(100));
    for (let i = 0; i < 2000; i++) await c.write("RPUSH", "biglist", `e${i}`);
    for (let i = 0; i < 2000; i++) await c.read();
    await c.call("SADD", "iset", "1", "2", "-70000", "5000000000");
    await c.call("SADD", "set", "a", "b", "c");
    await c.call("ZADD", "zs", "1", "a", "2.5", "b", "-inf", "c");
    const zargs: (string | number)[] = [];
    for (let i = 0; i < 200; i++) zargs.push(i / 3, `m${i}`);
    await c.call("ZADD", "bigz", ...zargs);
    await c.call("HSET", "h", "f", "v", "n", "42");
    const hargs: string[] = [];
    for (let i = 0; i < 200; i++) hargs.push(`f${i}`, `v${i}`);
    await c.call("HSET", "bigh", ...hargs);
    for (let i = 0; i < 150; i++) {
      await c.write("XADD", "st", `${i + 1}-0`, "f", `v${i}`, "n", i);
    }
    for (let i = 0; i < 150; i++) await c.read();
    await c.call("XDEL", "st", "2-0", "120-0");
    await c.call("XGROUP", "CREATE", "st", "g", "0");
    await c.call(
      "XREADGROUP",
      "GROUP",
      "g",
      "c1",
      "COUNT",
      3,
      "STREAMS",
      "st",
      ">",
    );
    await c.call("XGROUP", "CREATE", "st:empty", "g", "$", "MKSTREAM");
    await c.call("SELECT", 3);
    await c.call("SET", "in3", "x");
    await c.call("SELECT", 0);
    const streams = [
      await c.call("XINFO", "STREAM", "st", "FULL"),
      await c.call("XINFO", "STREAM", "st:empty", "FULL"),
    ];
    const digest = await c.call("DEBUG", "DIGEST");
    await c.call("SAVE");
    const bytes = readFileSync(`${dir}/dump.rdb`);
    const dbs = freshDbs();
    const result = loadRdb(bytes, dbs, {
      limits,
      checksum: true,
      now: Date.now(),
      log: QUIET,
    });
    assert.equal(result.keysLoaded, 15);
    assert.equal(result.aux.get("redis-ver"), "7.0.15");
    assert.equal(digestHex(datasetDigest(dbs)), digest);
    for (const compress of [true, false]) {
      const written = serializeDatabases(dbs, auxFields("7.0.15", 0, 0), {
        compress,
        checksum: true,
        access: "none",
      });
      const again = freshDbs();
      loadRdb(written, again, {
        limits,
        checksum: true,
        now: Date.now(),
        log: QUIET,
      });
      assert.equal(digestHex(datasetDigest(again)), digest);
      Deno.writeFileSync(`${dir}/dump.rdb`, written);
      await c.call("DEBUG", "RELOAD", "NOSAVE");
      assert.equal(await c.call("DEBUG", "DIGEST"), digest);
      assert.deepEqual([
        await c.call("XINFO", "STREAM", "st", "FULL"),
        await c.call("XINFO", "STREAM", "st:empty", "FULL"),
      ], streams);
    }
    const corrupt = bytes.slice();
    corrupt[20] ^= 0xff;
    assert.throws(() =>
      loadRdb(corrupt, freshDbs(), {
        limits,
        checksum: true,
        now: Date.now(),
        log: QUIET,
      })
    );
    c.close();
  } finally {
    await redis.stop();
  }
});

/** A DUMP payload around `body` (type byte included): version 10 and CRC-64. */
function payloadOf(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 10);
  out.set(body);
  out[body.length] = 10;
  const crc = new Crc64();
  crc.update(out.subarray(0, body.length + 2));
  crc.writeLE(out, body.length + 2);
  return out;
}

/**
 * A stream as Redis 6.x wrote it (RDB_TYPE_STREAM_LISTPACKS): nodes, length
 * and last ID, then groups without entries-read.
 */
function streamV1Payload(stream: StreamValue): Uint8Array {
  const enc = new RdbEncoder(true);
  enc.byte(RdbType.streamListpacks);
  writeNodes(enc, stream);
  enc.lengthOf(stream.length);
  writeId(enc, stream.lastId);
  const groups = stream.sortedGroups();
  enc.lengthOf(groups.length);
  for (const group of groups) {
    enc.string(group.name);
    writeId(enc, group.lastId);
    writeGroupPels(enc, group);
  }
  return payloadOf(enc.result().slice());
}

Deno.test("a stream node's listpack is as long as the node counts its bytes", () => {
  const stream = new StreamValue();
  const limits = { maxEntries: 100, maxBytes: 4096 };
  for (let i = 0; i < 700; i++) {
    const fields = i % 5 === 0
      ? ["a", String(i * 7919 - 100000), "b", "x".repeat(i % 90)]
      : ["f", "v".repeat(i % 300), "n", String(-i)];
    stream.append(streamId(0, 1000 + i * 3, 0, i % 4), fields, limits);
    if (i % 3 === 0) {
      stream.deleteEntries([streamId(0, 1000 + i * 3, 0, i % 4)]);
    }
  }
  stream.append(streamId(0x7fffffff, 5, 0xffffffff, 1), ["k", "v"], limits);
  assert.ok(stream.nodes.length > 5);
  for (const node of stream.nodes) {
    assert.equal(nodeListpack(node).length, node.bytes);
  }
});

Deno.test("streams of RDB type 15 (Redis 6.x) load as redis-server 7.0 loads them", async () => {
  const redis = await startRedis([]);
  try {
    const c = await redis.connect();
    for (let i = 1; i <= 30; i++) {
      await c.call("XADD", "s", `${i}-1`, "f", `v${i}`, "n", i);
    }
    await c.call("XDEL", "s", "1-1", "2-1", "17-1");
    await c.call("XGROUP", "CREATE", "s", "atstart", "0");
    await c.call("XGROUP", "CREATE", "s", "beforefirst", "2-5");
    await c.call("XGROUP", "CREATE", "s", "atfirst", "3-1");
    await c.call("XGROUP", "CREATE", "s", "inside", "10-1");
    await c.call("XGROUP", "CREATE", "s", "atlast", "$");
    await c.call(
      "XREADGROUP",
      "GROUP",
      "inside",
      "c1",
      "COUNT",
      2,
      "STREAMS",
      "s",
      ">",
    );
    await c.call("XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM");
    await c.call("XADD", "gone", "7-7", "a", "b");
    await c.call("XDEL", "gone", "7-7");
    for (const key of ["s", "empty", "gone"]) {
      const dumped = await c.callRaw("DUMP", key);
      // The bulk string's bytes, after the `$<length>\r\n` header.
      const start = dumped.indexOf(10) + 1;
      const payload = dumped.subarray(start, dumped.length - 2);
      const stream = restoreValue(payload, limits) as StreamValue;
      assert.ok(stream instanceof StreamValue, key);
      const v1 = streamV1Payload(stream);
      const loaded = restoreValue(v1, limits) as StreamValue;
      assert.ok(loaded instanceof StreamValue, key);
      const name = `${key}:v1`;
      assert.equal(
        await c.call("RESTORE", name, 0, bytesToBinary(v1)),
        "OK",
        key,
      );
      // redis-server's view of the type 15 value, re-saved as type 19,
      // is the payload redeno makes from its own reading of it.
      const again = await c.callRaw("DUMP", name);
      const theirs = again.subarray(again.indexOf(10) + 1, again.length - 2);
      assert.deepEqual(dumpPayload(loaded, true), theirs, key);
    }
    c.close();
  } finally {
    await redis.stop();
  }
});

Deno.test("corrupt stream payloads are refused as redis-server refuses them", async () => {
  const redis = await startRedis([]);
  try {
    const c = await redis.connect();
    await c.call("XADD", "s", "1-1", "f", "v");
    await c.call("XADD", "s", "1-2", "f", "w");
    const dumped = await c.callRaw("DUMP", "s");
    const payload = dumped.subarray(dumped.indexOf(10) + 1, dumped.length - 2);
    const body = payload.subarray(0, payload.length - 10);
    assert.ok(restoreValue(payload, limits) instanceof StreamValue);
    const variants: Uint8Array[] = [];
    // A node key that is not 16 bytes.
    const shortKey = body.slice();
    shortKey[2] = 15;
    variants.push(payloadOf(shortKey));
    // Truncated metadata.
    variants.push(payloadOf(body.subarray(0, body.length - 3)));
    // An empty listpack as the only node.
    const enc = new RdbEncoder(false);
    enc.byte(RdbType.streamListpacks2);
    enc.lengthOf(1);
    enc.string(bytesToBinary(new Uint8Array(16)));
    enc.blob(new Uint8Array([7, 0, 0, 0, 0, 0, 0xff]));
    for (let i = 0; i < 8; i++) enc.lengthOf(0);
    variants.push(payloadOf(enc.result().slice()));
    // A length with no nodes ("Stream length inconsistent with rax entries").
    const lengthOnly = new RdbEncoder(false);
    lengthOnly.byte(RdbType.streamListpacks2);
    lengthOnly.lengthOf(0);
    lengthOnly.lengthOf(1);
    for (let i = 0; i < 8; i++) lengthOnly.lengthOf(0);
    variants.push(payloadOf(lengthOnly.result().slice()));
    for (const bad of variants) {
      assert.equal(restoreValue(bad, limits), null);
      const reply = await c.call("RESTORE", "bad", 0, bytesToBinary(bad));
      assert.match(String((reply as Error).message), /Bad data format/);
    }
    c.close();
  } finally {
    await redis.stop();
  }
});
