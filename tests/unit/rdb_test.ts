/**
 * RDB reading and writing against the real redis-server 7.0: files Redis
 * writes (every encoding 7.0 picks, compressed and not) load here with the
 * same DEBUG DIGEST, and files redeno writes load back with it too.
 * @module
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { crc64 } from "../../src/persistence/crc64.ts";
import { lzfCompress, lzfDecompress } from "../../src/persistence/lzf.ts";
import {
  auxFields,
  loadRdb,
  serializeDatabases,
} from "../../src/persistence/rdb_file.ts";
import { datasetDigest, digestHex } from "../../src/store/digest.ts";
import { Database } from "../../src/store/keyspace.ts";
import { startRedis } from "../helpers/servers.ts";

const limits = {
  hash: { maxEntries: 128, maxValue: 64 },
  zset: { maxEntries: 128, maxValue: 64 },
  setMaxIntsetEntries: 512,
};

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
    await c.call("SELECT", 3);
    await c.call("SET", "in3", "x");
    const digest = await c.call("DEBUG", "DIGEST");
    await c.call("SAVE");
    const bytes = readFileSync(`${dir}/dump.rdb`);
    const dbs = freshDbs();
    const result = loadRdb(bytes, dbs, {
      limits,
      checksum: true,
      now: Date.now(),
      notice: () => {},
    });
    assert.equal(result.keysLoaded, 13);
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
        notice: () => {},
      });
      assert.equal(digestHex(datasetDigest(again)), digest);
      Deno.writeFileSync(`${dir}/dump.rdb`, written);
      await c.call("DEBUG", "RELOAD", "NOSAVE");
      assert.equal(await c.call("DEBUG", "DIGEST"), digest);
    }
    const corrupt = bytes.slice();
    corrupt[20] ^= 0xff;
    assert.throws(() =>
      loadRdb(corrupt, freshDbs(), {
        limits,
        checksum: true,
        now: Date.now(),
        notice: () => {},
      })
    );
    c.close();
  } finally {
    await redis.stop();
  }
});
