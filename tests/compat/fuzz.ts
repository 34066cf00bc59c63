/**
 * Differential fuzzing: seeded random command sequences over a few shared
 * keys, run against redis-server 7.0 and redeno by the compat harness, so
 * that every reply (errors, WRONGTYPE, encodings, edge values) must match.
 *
 * Only commands whose replies are determined by the commands before them
 * are generated: no relative TTLs read back, no random picks smaller than
 * the collection, no SCAN cursors. Collections are compared unordered where
 * Redis's order is its hash table's.
 *
 * As a program it fuzzes until a mismatch and prints a script reproducing
 * it (save it under tests/compat/scripts/ once fixed):
 * `deno run -A tests/compat/fuzz.ts [--seed N] [--rounds R] [--commands C]
 * [--group strings|lists|hashes|sets|zsets|zsets_big|streams|geo]`
 * @module
 */

import { parseArgs } from "node:util";
import type { ReplyMode, Script, Step } from "./harness.ts";
import { escapeBytes } from "./harness.ts";

/** A small deterministic PRNG (mulberry32), so a seed replays a run. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** `count` results of `make`. */
  many(count: number, make: () => string): string[] {
    return Array.from({ length: count }, make);
  }
}

const KEYS = ["k1", "k2", "k3", "{t}a", "{t}b"];
const MEMBERS = ["a", "b", "c", "d", "e", "1", "2", "10", "-3", "x y"];
const VALUES = [
  "",
  "0",
  "1",
  "-1",
  "7",
  "10",
  "2.5",
  "-0.5",
  "1e3",
  "inf",
  "-inf",
  "nan",
  "abc",
  "a",
  "9223372036854775807",
  "-9223372036854775808",
  "18446744073709551616",
  " 1",
  "01",
  "0x10",
  "\x00\xff",
  "v".repeat(70),
];
const SCORES = ["0", "1", "2", "-1", "1.5", "3", "inf", "-inf", "+inf", "1e2"];
const RANGE_SCORES = [...SCORES, "(1", "(2", "(-inf", "abc", "nan"];
const LEX = ["-", "+", "[a", "(a", "[c", "(d", "[1", "a"];
const INDEXES = ["0", "1", "-1", "2", "-2", "5", "-100", "100", "x"];
/** Fixed instants for EXPIREAT and friends, so TTL readers are exact. */
const AT_SECONDS = ["1", "4000000000", "4100000000"];
const AT_MS = ["1", "4000000000000", "4100000000000"];

type Gen = (r: Random) => { argv: string[]; mode?: ReplyMode };

const plain = (argv: string[]) => ({ argv });
const unordered = (argv: string[]) => ({ argv, mode: "unordered" as const });

function key(r: Random): string {
  return r.pick(KEYS);
}

function value(r: Random): string {
  return r.chance(0.3) ? r.pick(MEMBERS) : r.pick(VALUES);
}

function member(r: Random): string {
  return r.chance(0.05) ? "m".repeat(70) : r.pick(MEMBERS);
}

/** Several members; now and then enough to pass the listpack limits. */
function members(r: Random): string[] {
  if (r.chance(0.04)) return r.many(130, () => `e${r.int(0, 200)}`);
  return r.many(r.int(1, 4), () => member(r));
}

/** Keys of a multi-key command. */
function keys(r: Random, min = 1, max = 3): string[] {
  return r.many(r.int(min, max), () => key(r));
}

const strings: Gen[] = [
  (r) => {
    const argv = ["SET", key(r), value(r)];
    if (r.chance(0.3)) argv.push(r.pick(["NX", "XX"]));
    if (r.chance(0.2)) argv.push("GET");
    if (r.chance(0.2)) {
      argv.push(...r.pick([["KEEPTTL"], ["EXAT", r.pick(AT_SECONDS)], [
        "PXAT",
        r.pick(AT_MS),
      ], ["EX", r.pick(["0", "-1", "x"])]]));
    }
    return plain(argv);
  },
  (r) => plain(["GET", key(r)]),
  (r) => plain(["GETSET", key(r), value(r)]),
  (r) => plain(["GETDEL", key(r)]),
  (r) =>
    plain([
      "GETEX",
      key(r),
      ...r.pick([[], ["PERSIST"], ["EXAT", r.pick(AT_SECONDS)], [
        "PXAT",
        r.pick(AT_MS),
      ]]),
    ]),
  (r) => plain(["APPEND", key(r), value(r)]),
  (r) => plain(["STRLEN", key(r)]),
  (r) => plain(["GETRANGE", key(r), r.pick(INDEXES), r.pick(INDEXES)]),
  (r) => plain(["SETRANGE", key(r), r.pick(["0", "3", "-1", "80"]), value(r)]),
  (r) => plain([r.pick(["INCR", "DECR"]), key(r)]),
  (r) => plain([r.pick(["INCRBY", "DECRBY"]), key(r), value(r)]),
  (r) => plain(["INCRBYFLOAT", key(r), value(r)]),
  (r) => plain(["MSET", ...keys(r).flatMap((k) => [k, value(r)])]),
  (r) => plain(["MSETNX", ...keys(r).flatMap((k) => [k, value(r)])]),
  (r) => plain(["MGET", ...keys(r)]),
  (r) => plain(["SETNX", key(r), value(r)]),
  (r) =>
    plain([
      "LCS",
      key(r),
      key(r),
      ...r.pick([[], ["LEN"], ["IDX"], ["IDX", "MINMATCHLEN", "2"], [
        "IDX",
        "WITHMATCHLEN",
      ]]),
    ]),
  (r) =>
    plain([
      "SETBIT",
      key(r),
      r.pick(["0", "7", "100", "-1"]),
      r.pick(["0", "1", "2"]),
    ]),
  (r) => plain(["GETBIT", key(r), r.pick(["0", "7", "100"])]),
  (r) =>
    plain([
      "BITCOUNT",
      key(r),
      ...r.pick([[], ["0", "-1"], ["1", "5", "BIT"], ["0", "0", "BYTE"]]),
    ]),
  (r) =>
    plain([
      "BITPOS",
      key(r),
      r.pick(["0", "1"]),
      ...r.pick([[], ["1"], ["0", "10", "BIT"]]),
    ]),
  (r) =>
    plain([
      "BITOP",
      r.pick(["AND", "OR", "XOR", "NOT"]),
      key(r),
      ...keys(r, 1, 2),
    ]),
  (r) =>
    plain([
      "BITFIELD",
      key(r),
      ...r.pick([["GET", "u8", "0"], ["SET", "i5", "3", value(r)], [
        "OVERFLOW",
        r.pick(["SAT", "FAIL", "WRAP"]),
        "INCRBY",
        "u4",
        "#1",
        r.pick(["1", "15", "-3"]),
      ]]),
    ]),
  (r) => plain(["PFADD", key(r), ...members(r)]),
  (r) => plain(["PFCOUNT", ...keys(r)]),
];

const lists: Gen[] = [
  (r) =>
    plain([
      r.pick(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]),
      key(r),
      ...members(r),
    ]),
  (r) =>
    plain([
      r.pick(["LPOP", "RPOP"]),
      key(r),
      ...r.pick([[], ["2"], ["0"], ["-1"]]),
    ]),
  (r) => plain(["LRANGE", key(r), r.pick(INDEXES), r.pick(INDEXES)]),
  (r) => plain(["LINDEX", key(r), r.pick(INDEXES)]),
  (r) => plain(["LSET", key(r), r.pick(INDEXES), member(r)]),
  (r) =>
    plain([
      "LINSERT",
      key(r),
      r.pick(["BEFORE", "AFTER", "X"]),
      member(r),
      member(r),
    ]),
  (r) => plain(["LREM", key(r), r.pick(["0", "1", "-1", "2"]), member(r)]),
  (r) => plain(["LTRIM", key(r), r.pick(INDEXES), r.pick(INDEXES)]),
  (r) => plain(["LLEN", key(r)]),
  (r) =>
    plain([
      "LPOS",
      key(r),
      member(r),
      ...r.pick([[], ["RANK", r.pick(["1", "-1", "2", "0"])], [
        "COUNT",
        r.pick(["0", "2"]),
      ], [
        "MAXLEN",
        "2",
      ]]),
    ]),
  (r) =>
    plain([
      "LMOVE",
      key(r),
      key(r),
      r.pick(["LEFT", "RIGHT"]),
      r.pick(["LEFT", "RIGHT"]),
    ]),
  (r) => plain(["RPOPLPUSH", key(r), key(r)]),
  (r) => {
    const ks = keys(r, 1, 2);
    return plain([
      "LMPOP",
      String(ks.length),
      ...ks,
      r.pick(["LEFT", "RIGHT"]),
      ...r.pick([[], ["COUNT", "3"]]),
    ]);
  },
  (r) =>
    plain([
      "SORT",
      key(r),
      ...r.pick([[], ["ALPHA"], ["DESC", "ALPHA", "LIMIT", "0", "2"], [
        "LIMIT",
        "1",
        "-1",
      ]]),
    ]),
];

const hashes: Gen[] = [
  (r) =>
    plain([
      "HSET",
      key(r),
      ...r.many(r.int(1, 3), () => `${member(r)}\n${value(r)}`).flatMap((p) =>
        p.split("\n")
      ),
    ]),
  (r) => plain(["HSETNX", key(r), member(r), value(r)]),
  (r) => plain(["HGET", key(r), member(r)]),
  (r) => plain(["HMGET", key(r), ...members(r).slice(0, 4)]),
  (r) => plain(["HDEL", key(r), ...members(r).slice(0, 3)]),
  (r) => plain(["HLEN", key(r)]),
  (r) => plain(["HSTRLEN", key(r), member(r)]),
  (r) => plain(["HEXISTS", key(r), member(r)]),
  (r) => plain(["HINCRBY", key(r), member(r), value(r)]),
  (r) => plain(["HINCRBYFLOAT", key(r), member(r), value(r)]),
  (r) => unordered([r.pick(["HKEYS", "HVALS", "HGETALL"]), key(r)]),
  (r) =>
    unordered(["HRANDFIELD", key(r), "300", ...r.pick([[], ["WITHVALUES"]])]),
];

const sets: Gen[] = [
  (r) => plain(["SADD", key(r), ...members(r)]),
  (r) => plain(["SREM", key(r), ...members(r).slice(0, 3)]),
  (r) => plain(["SCARD", key(r)]),
  (r) => plain(["SISMEMBER", key(r), member(r)]),
  (r) => plain(["SMISMEMBER", key(r), ...members(r).slice(0, 3)]),
  (r) => unordered(["SMEMBERS", key(r)]),
  (r) => unordered([r.pick(["SINTER", "SUNION", "SDIFF"]), ...keys(r)]),
  (r) =>
    plain([
      r.pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]),
      key(r),
      ...keys(r),
    ]),
  (r) => {
    const ks = keys(r, 1, 3);
    return plain([
      "SINTERCARD",
      String(ks.length),
      ...ks,
      ...r.pick([[], ["LIMIT", "1"]]),
    ]);
  },
  (r) => plain(["SMOVE", key(r), key(r), member(r)]),
  (r) => unordered(["SPOP", key(r), "300"]),
  (r) => unordered(["SRANDMEMBER", key(r), "300"]),
  (r) =>
    plain([
      "SORT",
      key(r),
      "ALPHA",
      ...r.pick([[], ["DESC"], ["LIMIT", "0", "3"]]),
    ]),
];

function zaddFlags(r: Random): string[] {
  const flags: string[] = [];
  if (r.chance(0.2)) flags.push(r.pick(["NX", "XX"]));
  if (r.chance(0.2)) flags.push(r.pick(["GT", "LT"]));
  if (r.chance(0.2)) flags.push("CH");
  return flags;
}

const zsets: Gen[] = [
  (r) => {
    const flags = zaddFlags(r);
    if (r.chance(0.15)) {
      return plain([
        "ZADD",
        key(r),
        ...flags,
        "INCR",
        r.pick(SCORES),
        r.pick(MEMBERS),
      ]);
    }
    const pairs = r.many(
      r.int(1, 3),
      () => `${r.pick(SCORES)} ${r.pick(MEMBERS)}`,
    );
    return plain([
      "ZADD",
      key(r),
      ...flags,
      ...pairs.flatMap((p) => p.split(" ")),
    ]);
  },
  (r) =>
    plain([
      "ZINCRBY",
      key(r),
      r.pick([...SCORES, "nan", "x"]),
      r.pick(MEMBERS),
    ]),
  (r) => plain(["ZSCORE", key(r), member(r)]),
  (r) => plain(["ZMSCORE", key(r), ...members(r).slice(0, 3)]),
  (r) => plain(["ZCARD", key(r)]),
  (r) => plain(["ZCOUNT", key(r), r.pick(RANGE_SCORES), r.pick(RANGE_SCORES)]),
  (r) => {
    const argv = ["ZRANGE", key(r)];
    const by = r.pick(["", "BYSCORE"]);
    if (by === "BYSCORE") {
      argv.push(r.pick(RANGE_SCORES), r.pick(RANGE_SCORES), by);
    } else argv.push(r.pick(INDEXES), r.pick(INDEXES));
    if (r.chance(0.3)) argv.push("REV");
    if (r.chance(0.3)) {
      argv.push("LIMIT", r.pick(["0", "1"]), r.pick(["1", "2", "-1"]));
    }
    if (r.chance(0.4)) argv.push("WITHSCORES");
    return plain(argv);
  },
  (r) =>
    plain([
      r.pick(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]),
      key(r),
      r.pick(RANGE_SCORES),
      r.pick(RANGE_SCORES),
      ...r.pick([[], ["WITHSCORES"], ["LIMIT", "1", "2"]]),
    ]),
  (r) =>
    plain([
      "ZREVRANGE",
      key(r),
      r.pick(INDEXES),
      r.pick(INDEXES),
      ...r.pick([[], ["WITHSCORES"]]),
    ]),
  (r) => plain([r.pick(["ZRANK", "ZREVRANK"]), key(r), member(r)]),
  (r) => plain(["ZREM", key(r), ...members(r).slice(0, 3)]),
  (r) => plain(["ZREMRANGEBYRANK", key(r), r.pick(INDEXES), r.pick(INDEXES)]),
  (r) =>
    plain([
      "ZREMRANGEBYSCORE",
      key(r),
      r.pick(RANGE_SCORES),
      r.pick(RANGE_SCORES),
    ]),
  (r) =>
    plain([
      r.pick(["ZPOPMIN", "ZPOPMAX"]),
      key(r),
      ...r.pick([[], ["2"], ["0"], ["-1"]]),
    ]),
  (r) => {
    const ks = keys(r, 1, 3);
    const argv = [
      r.pick(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]),
      key(r),
      String(ks.length),
      ...ks,
    ];
    if (argv[0] !== "ZDIFFSTORE") {
      if (r.chance(0.3)) {
        argv.push(
          "WEIGHTS",
          ...ks.map(() => r.pick(["1", "2", "-1", "0", "inf"])),
        );
      }
      if (r.chance(0.3)) argv.push("AGGREGATE", r.pick(["SUM", "MIN", "MAX"]));
    }
    return plain(argv);
  },
  (r) => {
    const ks = keys(r, 1, 3);
    return plain([
      r.pick(["ZUNION", "ZINTER", "ZDIFF"]),
      String(ks.length),
      ...ks,
      ...r.pick([[], ["WITHSCORES"]]),
    ]);
  },
  (r) =>
    plain(["ZRANGESTORE", key(r), key(r), r.pick(INDEXES), r.pick(INDEXES)]),
  (r) => {
    const ks = keys(r, 1, 2);
    return plain(["ZINTERCARD", String(ks.length), ...ks]);
  },
  (r) => {
    const ks = keys(r, 1, 2);
    return plain([
      "ZMPOP",
      String(ks.length),
      ...ks,
      r.pick(["MIN", "MAX"]),
      ...r.pick([[], ["COUNT", "2"]]),
    ]);
  },
  (r) =>
    unordered(["ZRANDMEMBER", key(r), "300", ...r.pick([[], ["WITHSCORES"]])]),
];

/** Explicit stream IDs (an auto ID would differ between the servers). */
const STREAM_IDS = [
  "0-1",
  "1-0",
  "1-1",
  "2",
  "3-5",
  "5-0",
  "7-1",
  "10-0",
  "0-0",
];
const RANGE_IDS = ["-", "+", "0", "1", "(1-1", "2-0", "5", "(5-0", "99"];
const GROUP_NAMES = ["g1", "g2"];
const CONSUMERS = ["c1", "c2"];

/** A field-value list for XADD: now and then past the node limits. */
function streamFields(r: Random): string[] {
  if (r.chance(0.05)) return r.many(60, () => `f${r.int(0, 9)}`);
  return r.many(r.int(1, 2) * 2, () => r.pick(MEMBERS));
}

const streams: Gen[] = [
  (r) => {
    const argv = ["XADD", key(r)];
    if (r.chance(0.1)) argv.push("NOMKSTREAM");
    if (r.chance(0.15)) {
      argv.push(...r.pick([["MAXLEN", r.pick(["2", "0", "=", "x"])], [
        "MINID",
        r.pick(STREAM_IDS),
      ], ["MAXLEN", "=", "3"]]));
    }
    // A sequence-less ID takes the next sequence number: deterministic.
    argv.push(r.pick([...STREAM_IDS, "8-*", "11-*", "x"]));
    return plain([...argv, ...streamFields(r)]);
  },
  (r) =>
    plain([
      r.pick(["XRANGE", "XREVRANGE"]),
      key(r),
      r.pick(RANGE_IDS),
      r.pick(RANGE_IDS),
      ...r.pick([[], ["COUNT", r.pick(["1", "2", "0", "-1"])]]),
    ]),
  (r) => plain(["XLEN", key(r)]),
  (r) =>
    plain(["XDEL", key(r), ...r.many(r.int(1, 2), () => r.pick(STREAM_IDS))]),
  (r) =>
    plain([
      "XTRIM",
      key(r),
      ...r.pick([["MAXLEN", r.pick(["0", "1", "3"])], [
        "MINID",
        r.pick(STREAM_IDS),
      ], [
        "MAXLEN",
        "=",
        "2",
      ]]),
    ]),
  (r) =>
    plain([
      "XGROUP",
      "CREATE",
      key(r),
      r.pick(GROUP_NAMES),
      r.pick(["0", "$", "3-5", "x"]),
      ...r.pick([[], ["MKSTREAM"], ["ENTRIESREAD", r.pick(["0", "2", "-1"])]]),
    ]),
  (r) =>
    plain([
      "XGROUP",
      "SETID",
      key(r),
      r.pick(GROUP_NAMES),
      r.pick(["0", "$", "2-0"]),
    ]),
  (r) =>
    plain([
      "XGROUP",
      r.pick(["CREATECONSUMER", "DELCONSUMER"]),
      key(r),
      r.pick(GROUP_NAMES),
      r.pick(CONSUMERS),
    ]),
  (r) => plain(["XGROUP", "DESTROY", key(r), r.pick(GROUP_NAMES)]),
  (r) => {
    const ks = keys(r, 1, 2);
    return plain([
      "XREADGROUP",
      "GROUP",
      r.pick(GROUP_NAMES),
      r.pick(CONSUMERS),
      ...r.pick([[], ["COUNT", "2"], ["NOACK"]]),
      "STREAMS",
      ...ks,
      ...ks.map(() => r.pick([">", ">", "0", "2-0"])),
    ]);
  },
  (r) => {
    const ks = keys(r, 1, 2);
    return plain([
      "XREAD",
      ...r.pick([[], ["COUNT", "1"]]),
      "STREAMS",
      ...ks,
      ...ks.map(() => r.pick(["0", "1-1", "$"])),
    ]);
  },
  (r) =>
    plain([
      "XACK",
      key(r),
      r.pick(GROUP_NAMES),
      ...r.many(r.int(1, 2), () => r.pick(STREAM_IDS)),
    ]),
  (r) => plain(["XPENDING", key(r), r.pick(GROUP_NAMES)]),
  (r) =>
    plain([
      "XCLAIM",
      key(r),
      r.pick(GROUP_NAMES),
      r.pick(CONSUMERS),
      "0",
      ...r.many(r.int(1, 2), () => r.pick(STREAM_IDS)),
      "JUSTID",
    ]),
  (r) =>
    plain([
      "XAUTOCLAIM",
      key(r),
      r.pick(GROUP_NAMES),
      r.pick(CONSUMERS),
      "0",
      r.pick(["0", "2-0"]),
      "COUNT",
      "2",
      "JUSTID",
    ]),
  (r) => plain(["XSETID", key(r), r.pick(["10-0", "99-0", "1-0"])]),
  (r) => plain(["XINFO", "STREAM", key(r)]),
  (r) => plain(["XINFO", "GROUPS", key(r)]),
];

const generic: Gen[] = [
  (r) => plain([r.pick(["DEL", "UNLINK", "EXISTS", "TOUCH"]), ...keys(r)]),
  (r) => plain(["TYPE", key(r)]),
  (r) => plain(["OBJECT", "ENCODING", key(r)]),
  (r) => plain([r.pick(["RENAME", "RENAMENX"]), key(r), key(r)]),
  (r) => plain(["COPY", key(r), key(r), ...r.pick([[], ["REPLACE"]])]),
  (r) =>
    plain([
      r.pick(["EXPIREAT", "PEXPIREAT"]),
      key(r),
      r.pick([...AT_SECONDS, ...AT_MS]),
      ...r.pick([[], ["NX"], ["XX"], ["GT"], ["LT"]]),
    ]),
  (r) =>
    plain([
      r.pick(["EXPIRE", "PEXPIRE"]),
      key(r),
      r.pick(["0", "-5", "x", "9223372036854775807"]),
    ]),
  (r) => plain([r.pick(["EXPIRETIME", "PEXPIRETIME", "PERSIST"]), key(r)]),
  () => plain(["DBSIZE"]),
  (r) => unordered(["KEYS", r.pick(["*", "k*", "{t}?", "*[12]"])]),
  // Other databases, and transactions around whatever comes next.
  (r) => plain(["SELECT", r.pick(["0", "0", "1", "16", "x"])]),
  (r) => plain(["MOVE", key(r), r.pick(["0", "1"])]),
  (r) => plain(["COPY", key(r), key(r), "DB", r.pick(["0", "1"])]),
  () => plain(["SWAPDB", "0", "1"]),
  (r) => plain([r.pick(["MULTI", "EXEC", "DISCARD", "UNWATCH"])]),
  (r) => plain(["WATCH", ...keys(r, 1, 2)]),
  (r) => plain(["SET", `w_${r.pick(MEMBERS)}`, r.pick(VALUES)]),
  (r) => plain(["HSET", `h_${r.pick(MEMBERS)}`, "f", r.pick(VALUES)]),
];

const LONGITUDES = [
  "13.361389",
  "15.087269",
  "-122.27652",
  "0",
  "180",
  "181",
  "x",
];
const LATITUDES = [
  "38.115556",
  "37.502669",
  "37.805186",
  "0",
  "85.05112878",
  "86",
];

const geo: Gen[] = [
  (r) =>
    plain([
      "GEOADD",
      key(r),
      ...r.pick([[], ["NX"], ["XX"], ["CH"], ["XX", "NX"]]),
      ...r.many(r.int(1, 2) * 3, () => "").map((_, i) =>
        i % 3 === 0
          ? r.pick(LONGITUDES)
          : i % 3 === 1
          ? r.pick(LATITUDES)
          : r.pick(MEMBERS)
      ),
    ]),
  (r) =>
    plain([
      "GEODIST",
      key(r),
      r.pick(MEMBERS),
      r.pick(MEMBERS),
      ...r.pick([[], ["km"], ["mi"], ["ft"], ["x"]]),
    ]),
  (r) => plain(["GEOPOS", key(r), ...members(r).slice(0, 3)]),
  (r) => plain(["GEOHASH", key(r), ...members(r).slice(0, 3)]),
  (r) =>
    plain([
      r.pick(["GEOSEARCH", "GEOSEARCHSTORE"]),
      ...(r.chance(0.5) ? [key(r), key(r)] : [key(r)]),
      ...r.pick([["FROMMEMBER", r.pick(MEMBERS)], [
        "FROMLONLAT",
        r.pick(LONGITUDES),
        r.pick(LATITUDES),
      ]]),
      ...r.pick([["BYRADIUS", r.pick(["100", "500", "0", "-1"]), "km"], [
        "BYBOX",
        "400",
        "400",
        "km",
      ]]),
      ...r.pick([["ASC"], ["DESC"]]),
      ...r.pick([[], ["COUNT", "2"], ["COUNT", "1", "ANY"]]),
      ...r.pick([[], ["WITHDIST"], ["WITHCOORD", "WITHHASH"], ["STOREDIST"]]),
    ]),
  (r) =>
    plain([
      "GEORADIUS",
      key(r),
      r.pick(LONGITUDES),
      r.pick(LATITUDES),
      r.pick(["200", "1000"]),
      "km",
      ...r.pick([["ASC"], ["DESC", "COUNT", "2"], ["WITHDIST", "ASC"]]),
    ]),
  (r) => plain(["PFADD", key(r), ...members(r)]),
  (r) => plain(["PFCOUNT", ...keys(r)]),
  (r) => plain(["PFMERGE", key(r), ...keys(r)]),
];

/** SORT with BY and GET patterns (it turns a sorted set into a skiplist). */
const sorts: Gen[] = [
  // Numeric BY weights break ties by the elements; ALPHA BY ties and
  // BY nosort over a set would follow Redis's hash table order.
  (r) =>
    plain([
      "SORT",
      key(r),
      ...r.pick([["BY", "w_*"], ["BY", "w_*", "GET", "#", "GET", "w_*"], [
        "BY",
        "h_*->f",
        "DESC",
      ]]),
      ...r.pick([[], ["STORE", key(r)]]),
    ]),
];

/**
 * Lex ranges. Over members of different scores their answer follows the
 * order Redis walks: fixed for a listpack, but for a skiplist it depends on
 * Redis's random node levels, so these only run where no set grows past the
 * listpack limits.
 */
const zsetLex: Gen[] = [
  (r) => plain(["ZLEXCOUNT", key(r), r.pick(LEX), r.pick(LEX)]),
  (r) =>
    plain([
      r.pick(["ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZREMRANGEBYLEX"]),
      key(r),
      r.pick(LEX),
      r.pick(LEX),
    ]),
  (r) =>
    plain([
      "ZRANGE",
      key(r),
      r.pick(LEX),
      r.pick(LEX),
      "BYLEX",
      ...r.pick([[], ["REV"], ["LIMIT", "1", "2"], ["WITHSCORES"]]),
    ]),
];

/** Sorted sets past the listpack limits: many members, or a long one. */
const zsetGrowth: Gen[] = [
  (r) =>
    plain([
      "ZADD",
      key(r),
      ...r.many(130, () => `${r.int(0, 50)} e${r.int(0, 200)}`)
        .flatMap((p) => p.split(" ")),
    ]),
  (r) => plain(["ZADD", key(r), r.pick(SCORES), "m".repeat(70)]),
];

/** The command groups; each script mixes generic commands into one or all. */
export const GROUPS: Record<string, Gen[]> = {
  strings,
  lists,
  hashes,
  sets,
  zsets: [...zsets, ...zsetLex],
  streams,
  geo,
  zsets_big: [...zsets, ...zsetGrowth, ...zsetGrowth],
};

/** What a script of every group draws from (no lex ranges over big sets). */
const MIXED = [strings, lists, hashes, sets, zsets, zsetGrowth, streams, geo]
  .flat();

/**
 * Now and then a command comes out of shape: a word dropped or added (for
 * arity and syntax errors), or its name and keywords in lower case.
 */
function mutate(r: Random, argv: string[]): string[] {
  if (r.chance(0.03) && argv.length > 1) return argv.slice(0, -1);
  if (r.chance(0.02)) {
    return [...argv, r.pick([...VALUES, "WITHSCORES", "LIMIT"])];
  }
  if (r.chance(0.1)) {
    return argv.map((word, i) =>
      (i === 0 || /^[A-Z]{2,}$/.test(word)) && r.chance(0.7)
        ? word.toLowerCase()
        : word
    );
  }
  return argv;
}

/** A fuzz script: `count` commands of `group` (or every group) from `seed`. */
export function fuzzScript(
  seed: number,
  count: number,
  group?: string,
): Script {
  const r = new Random(seed);
  const pool = group === undefined ? MIXED : GROUPS[group];
  const steps: Step[] = [];
  // One script in three speaks RESP3, where replies have their own types.
  if (r.chance(1 / 3)) steps.push({ kind: "proto", line: 0, version: 3 });
  // Lex ranges need small sets to stay listpacks, which SORT would convert.
  const others = group === "zsets" ? generic : [...generic, ...sorts];
  // Inside MULTI the replies come back in EXEC's, compared exactly, so no
  // command with an unordered reply is queued.
  let inMulti = false;
  for (let line = 1; line <= count; line++) {
    let { argv, mode = "exact" } = r.pick(r.chance(0.15) ? others : pool)(r);
    while (inMulti && mode !== "exact") {
      ({ argv, mode = "exact" } = r.pick(pool)(r));
    }

    // Unordered replies come from random picks of whole collections, which
    // a dropped count would turn into a real random pick.
    const shaped = mode === "exact" ? mutate(r, argv) : argv;
    const name = shaped.length === 1 ? shaped[0].toUpperCase() : "";
    if (name === "MULTI") inMulti = true;
    else if (name === "EXEC" || name === "DISCARD") inMulti = false;
    steps.push({ kind: "call", line, argv: shaped, mode });
  }
  return { name: `fuzz seed ${seed}${group ? ` ${group}` : ""}`, steps };
}

/** The script as compat script text, one line per step, to save and replay. */
export function scriptText(script: Script): string {
  return script.steps.map((step) => {
    if (step.kind === "proto") return `@proto ${step.version}`;
    if (step.kind !== "call") throw new Error("fuzz scripts hold calls only");
    const words = step.argv.map((a) => escapeBytes(a)).join(" ");
    return step.mode === "exact" ? words : `@${step.mode} ${words}`;
  }).join("\n") + "\n";
}

/** The script's steps up to `line` as compat script text: a reproducer. */
export function reproducer(script: Script, line: number): string {
  return scriptText({
    ...script,
    steps: script.steps.filter((step) => step.line <= line),
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seed: { type: "string", default: String(Date.now() % 1e6) },
      rounds: { type: "string", default: "20" },
      commands: { type: "string", default: "2000" },
      group: { type: "string" },
    },
  });
  const { startRedeno, startRedis } = await import("../helpers/servers.ts");
  const { runScript, formatMismatches } = await import("./harness.ts");
  const args = ["--enable-debug-command", "yes"];
  const [redis, redeno] = [await startRedis(args), await startRedeno(args)];
  try {
    const first = Number(values.seed);
    for (let seed = first; seed < first + Number(values.rounds); seed++) {
      const script = fuzzScript(seed, Number(values.commands), values.group);
      const mismatches = await runScript(script, redis.port, redeno.port);
      if (mismatches.length === 0) {
        console.log(`seed ${seed}: ${script.steps.length} commands agree`);
        continue;
      }
      console.log(formatMismatches(mismatches.slice(0, 5)));
      const path = Deno.makeTempFileSync({ suffix: ".txt" });
      Deno.writeTextFileSync(path, reproducer(script, mismatches[0].line));
      console.log(`seed ${seed}: script up to the first mismatch in ${path}`);
      break;
    }
  } finally {
    await redis.stop();
    await redeno.stop();
  }
}
