/**
 * HyperLogLog byte-for-byte against the real redis-server 7.0: the same
 * PFADD / PFMERGE / PFCOUNT / PFDEBUG sequences must leave identical bytes
 * (GET) and give identical replies, and HLL values made by one server must
 * count the same when SET into the other.
 * @module
 */

import assert from "node:assert/strict";
import { bytesToBinary } from "../../src/protocol/binary.ts";
import type { RespClient } from "../helpers/resp_client.ts";
import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";

/** A deterministic generator (mulberry32), so both servers get the same elements. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function binaryElements(count: number, seed: number): string[] {
  const random = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = Math.floor(random() * 40);
    let s = "";
    for (let j = 0; j < length; j++) {
      s += String.fromCharCode(Math.floor(random() * 256));
    }
    out.push(s);
  }
  return out;
}

function range(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`${prefix}${i}`);
  return out;
}

Deno.test("HyperLogLog bytes and counts match redis-server", async (t) => {
  const servers: RunningServer[] = [];
  const clients: RespClient[] = [];
  try {
    servers.push(await startRedis(), await startRedeno());
    for (const s of servers) clients.push(await s.connect());
    const [redis, redeno] = clients;

    /** Runs a command on both; the exact reply bytes must match. */
    const same = async (...argv: string[]): Promise<string> => {
      const expected = bytesToBinary(await redis.callRaw(...argv));
      const actual = bytesToBinary(await redeno.callRaw(...argv));
      assert.equal(
        actual,
        expected,
        `${argv.slice(0, 3).join(" ")}${argv.length > 3 ? " ..." : ""}`,
      );
      return expected;
    };

    /** PFADDs `elements` in batches, comparing the bytes after each batch. */
    const addAndCompare = async (
      key: string,
      elements: string[],
      batch: number,
    ): Promise<void> => {
      for (let i = 0; i < elements.length; i += batch) {
        await same("PFADD", key, ...elements.slice(i, i + batch));
        await same("GET", key);
      }
      await same("PFDEBUG", "ENCODING", key);
      await same("PFCOUNT", key);
      await same("GET", key); // now with the cardinality cached
    };

    await t.step("empty, small and repeated adds stay sparse", async () => {
      await same("PFADD", "empty");
      await same("GET", "empty");
      await same("PFCOUNT", "empty");
      await same("GET", "empty");
      await addAndCompare("small", ["a", "b", "c", "a", "b"], 1);
      await same("PFDEBUG", "DECODE", "small");
      await addAndCompare("grow", range("e", 0, 600), 7);
      await same("PFDEBUG", "DECODE", "grow");
      // Adding nothing new leaves the cache valid and replies 0.
      await same("PFADD", "grow", "e1", "e2");
      await same("GET", "grow");
    });

    await t.step("crossing into dense and thousands of elements", async () => {
      await addAndCompare("cross", range("x", 0, 5000), 250);
      await addAndCompare("big", range("", 0, 50_000), 5000);
      await same("PFCOUNT", "big");
    });

    await t.step("binary elements, the empty one included", async () => {
      const elements = ["", "\x00", "\xff\xfe", ...binaryElements(3000, 7)];
      await addAndCompare("bin", elements, 100);
    });

    await t.step("a lower hll-sparse-max-bytes promotes earlier", async () => {
      await same("CONFIG", "SET", "hll-sparse-max-bytes", "100");
      try {
        await addAndCompare("tight", range("t", 0, 200), 3);
      } finally {
        await same("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
      }
    });

    await t.step("PFMERGE gives the same bytes", async () => {
      await same("PFADD", "s1", ...range("m", 0, 100));
      await same("PFADD", "s2", ...range("m", 50, 300));
      await same("PFMERGE", "sparse-union", "s1", "s2");
      await same("GET", "sparse-union");
      await same("PFDEBUG", "ENCODING", "sparse-union");
      await same("PFMERGE", "with-dense", "s1", "cross", "missing");
      await same("GET", "with-dense");
      // The destination among the sources, existing and sparse.
      await same("PFMERGE", "s1", "s1", "s2");
      await same("GET", "s1");
      await same("PFMERGE", "s2", "grow");
      await same("GET", "s2");
      // Sparse sources big enough that the sparse result must promote.
      await same("PFMERGE", "promoted", "grow", "bin", "s1");
      await same("GET", "promoted");
      await same("PFMERGE", "alone");
      await same("GET", "alone");
      await same("PFCOUNT", "with-dense");
      await same("GET", "with-dense");
      await same("PFCOUNT", "s1", "s2", "cross", "missing");
      await same("PFCOUNT", "s1", "s1");
    });

    await t.step("PFDEBUG GETREG and TODENSE", async () => {
      await same("PFADD", "dbg", ...range("d", 0, 40));
      await same("PFDEBUG", "GETREG", "dbg");
      await same("GET", "dbg");
      await same("PFADD", "dbg2", "x", "y");
      await same("PFDEBUG", "TODENSE", "dbg2");
      await same("PFDEBUG", "TODENSE", "dbg2");
      await same("GET", "dbg2");
      await same("PFADD", "dbg2", "z");
      await same("GET", "dbg2");
    });

    await t.step(
      "values made by one server count the same in the other",
      async () => {
        for (const key of ["small", "grow", "cross", "bin", "with-dense"]) {
          const fromRedis = await redis.call("GET", key) as string;
          await redeno.call("SET", `r:${key}`, fromRedis);
          assert.equal(
            await redeno.call("PFCOUNT", `r:${key}`),
            await redis.call("PFCOUNT", key),
          );
          const fromRedeno = await redeno.call("GET", key) as string;
          await redis.call("SET", `d:${key}`, fromRedeno);
          assert.equal(
            await redis.call("PFCOUNT", `d:${key}`),
            await redeno.call("PFCOUNT", key),
          );
        }
        // A stale-cache value made by Redis, SET into both, then extended.
        await redis.call("PFADD", "fresh", ...range("f", 0, 800));
        const stale = await redis.call("GET", "fresh") as string;
        await same("SET", "copied", stale);
        await same("PFCOUNT", "copied");
        await same("GET", "copied");
        await same("PFADD", "copied", ...range("g", 0, 3000));
        await same("GET", "copied");
      },
    );
  } finally {
    for (const c of clients) c.close();
    for (const s of servers) await s.stop();
  }
});
