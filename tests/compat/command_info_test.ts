/**
 * Parity of the command table with redis-server 7.0: for every command
 * redeno knows (its COMMAND LIST), `COMMAND INFO name` must give the same
 * reply bytes in RESP2 and RESP3 and `COMMAND DOCS name` the same reply but
 * for its prose (summary, complexity, history); COMMAND GETKEYS and
 * GETKEYSANDFLAGS must agree on sample command lines. Subcommand order is the
 * only freedom: Redis lists them in hash-table order, so they are sorted on
 * both sides before comparing. A failure lists every differing command with
 * a line diff of the two replies.
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

/** A reply as a tree of RESP frames: the header line, a payload, children. */
interface Frame {
  head: string;
  payload?: string;
  children?: Frame[];
}

/** Parses one RESP frame from a binary string at `at`; returns it and the end. */
function parseFrame(s: string, at: number): [Frame, number] {
  const eol = s.indexOf("\r\n", at);
  const head = s.slice(at, eol);
  let pos = eol + 2;
  const type = head[0];
  const n = Number(head.slice(1));
  if ("$=!".includes(type) && n >= 0) {
    return [{ head, payload: s.slice(pos, pos + n) }, pos + n + 2];
  }
  if ("*~>%|".includes(type) && n >= 0) {
    const count = "%|".includes(type) ? n * 2 : n;
    const children: Frame[] = [];
    for (let i = 0; i < count; i++) {
      const [child, next] = parseFrame(s, pos);
      children.push(child);
      pos = next;
    }
    return [{ head, children }, pos];
  }
  return [{ head }, pos];
}

function parseReply(bytes: Uint8Array): Frame {
  return parseFrame(bytesToBinary(bytes), 0)[0];
}

/** One line per frame, indented by depth: lossless and readable. */
function render(frame: Frame, depth = 0, lines: string[] = []): string[] {
  const payload = frame.payload === undefined
    ? ""
    : " " + JSON.stringify(frame.payload);
  lines.push("  ".repeat(depth) + frame.head + payload);
  for (const child of frame.children ?? []) render(child, depth + 1, lines);
  return lines;
}

const text = (frame: Frame) => render(frame).join("\n");

/** Pairs of a map frame (RESP3 `%`, or a RESP2 flat array). */
function pairs(frame: Frame): [Frame, Frame][] {
  const c = frame.children ?? [];
  const out: [Frame, Frame][] = [];
  for (let i = 0; i < c.length; i += 2) out.push([c[i], c[i + 1]]);
  return out;
}

/** A map frame rebuilt from pairs, keeping its RESP type. */
function fromPairs(like: Frame, list: [Frame, Frame][]): Frame {
  const map = like.head[0] === "%";
  return {
    head: like.head[0] + (map ? list.length : list.length * 2),
    children: list.flat(),
  };
}

/**
 * A COMMAND INFO entry with its subcommands sorted (Redis lists them in hash
 * order) and limited to those redeno has (`known`; each one is compared on
 * its own too), so a container may implement part of its subcommands.
 */
function canonicalInfo(entry: Frame, known: Set<string>): Frame {
  if (!entry.children || entry.children.length !== 10) return entry;
  const children = [...entry.children];
  const subs = children[9];
  const kept = (subs.children ?? [])
    .filter((sub) => known.has(sub.children?.[0].payload ?? ""))
    .map((sub) => canonicalInfo(sub, known))
    .sort((a, b) => text(a) < text(b) ? -1 : 1);
  children[9] = subs.children?.length
    ? { head: subs.head[0] + kept.length, children: kept }
    : subs;
  return { head: entry.head, children };
}

const PROSE = new Set(["summary", "complexity", "history"]);

/**
 * A COMMAND DOCS map without prose, its subcommands sorted by name and
 * limited to those redeno has.
 */
function canonicalDocs(docs: Frame, known: Set<string>): Frame {
  const kept = pairs(docs).filter(([k]) => !PROSE.has(k.payload ?? ""));
  return fromPairs(
    docs,
    kept.map(([k, v]) => {
      if (k.payload !== "subcommands") return [k, v];
      const subs = pairs(v)
        .filter(([name]) => known.has(name.payload ?? ""))
        .map(([name, d]) => [name, canonicalDocs(d, known)] as [Frame, Frame])
        .sort(([a], [b]) => (a.payload! < b.payload! ? -1 : 1));
      return [k, fromPairs(v, subs)];
    }),
  );
}

/** A line diff (LCS) of two renderings, with `-` redis and `+` redeno. */
function diff(redis: string, redeno: string): string {
  const a = redis.split("\n");
  const b = redeno.split("\n");
  const lcs = Array.from(
    { length: a.length + 1 },
    () => new Array<number>(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j]
        ? lcs[i + 1][j + 1] + 1
        : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push("  " + a[i++]);
      j++;
    } else if (
      j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])
    ) {
      out.push("+ " + b[j++]);
    } else {
      out.push("- " + a[i++]);
    }
  }
  // Keep changed lines with two lines of context.
  const keep = out.map((_, k) =>
    out.slice(Math.max(0, k - 2), k + 3).some((l) => l[0] !== " ")
  );
  return out.filter((_, k) => keep[k]).join("\n");
}

/** Both servers, each with a RESP2 and a RESP3 connection. */
interface Pair {
  redis: { 2: RespClient; 3: RespClient };
  redeno: { 2: RespClient; 3: RespClient };
}

async function connections(server: RunningServer, opened: RespClient[]) {
  const v2 = await server.connect();
  opened.push(v2);
  const v3 = await server.connect();
  opened.push(v3);
  await v3.call("HELLO", "3");
  return { 2: v2, 3: v3 };
}

/** Compares one command on both servers; returns a report or "" when equal. */
async function compare(
  pair: Pair,
  proto: 2 | 3,
  argv: string[],
  canonical: (f: Frame) => Frame = (f) => f,
): Promise<string> {
  const [redis, redeno] = await Promise.all([
    pair.redis[proto].callRaw(...argv),
    pair.redeno[proto].callRaw(...argv),
  ]);
  const expected = text(canonical(parseReply(redis)));
  const actual = text(canonical(parseReply(redeno)));
  if (expected === actual) return "";
  return `${argv.join(" ")} (RESP${proto}), - redis + redeno:\n${
    diff(expected, actual)
  }`;
}

/** Command lines for GETKEYS; those naming unknown commands are skipped. */
const GETKEYS_SAMPLES = [
  ["get", "k"],
  ["get", "k", "extra"],
  ["set", "k", "v"],
  ["set", "k", "v", "get"],
  ["set", "k", "v", "EX", "10", "GET"],
  ["del", "a", "b", "c"],
  ["exists", "a", "b"],
  ["expire", "k", "10"],
  ["ttl", "k"],
  ["mset", "a", "1", "b", "2"],
  ["msetnx", "a", "1", "b"],
  ["mget", "a", "b", "c"],
  ["rename", "a", "b"],
  ["lmove", "a", "b", "left", "right"],
  ["blpop", "a", "b", "0"],
  ["zunionstore", "d", "2", "a", "b", "weights", "1", "2"],
  ["zunionstore", "d", "3", "a", "b"],
  ["zunion", "x", "a"],
  ["sintercard", "2", "a", "b", "limit", "1"],
  ["lmpop", "2", "a", "b", "left"],
  ["xread", "count", "1", "streams", "a", "b", "0", "0"],
  ["xread", "streams", "a", "b", "0"],
  ["xreadgroup", "group", "g", "c", "streams", "a", "0"],
  ["sort", "k", "by", "w", "get", "x", "store", "d"],
  ["sort_ro", "k", "by", "w"],
  ["eval", "return 1", "0"],
  ["eval", "return 1", "2", "a", "b", "c"],
  ["migrate", "h", "1", "", "0", "5", "keys", "a", "b"],
  ["migrate", "h", "1", "k", "0", "5"],
  ["georadius", "k", "1", "2", "3", "m", "store", "d"],
  ["bitfield", "k", "get", "u8", "0"],
  ["bitfield", "k", "set", "u8", "0", "1"],
  ["object", "encoding", "k"],
  ["memory", "usage", "k"],
  ["xgroup", "create", "k", "g", "$"],
  ["config", "get", "x"],
  ["ping"],
  ["ping", "a"],
  ["nosuchcommand", "a"],
  ["command", "info", "get"],
];

Deno.test("COMMAND INFO, DOCS and GETKEYS match redis-server 7.0 for every command", async (t) => {
  const started = await Promise.allSettled([startRedis(), startRedeno()]);
  const servers = started.flatMap((s) =>
    s.status === "fulfilled" ? [s.value] : []
  );
  const clients: RespClient[] = [];
  try {
    for (const s of started) if (s.status === "rejected") throw s.reason;
    const [redisServer, redenoServer] = servers;
    const pair: Pair = {
      redis: await connections(redisServer, clients),
      redeno: await connections(redenoServer, clients),
    };
    const list = await pair.redeno[2].call("COMMAND", "LIST") as string[];
    const topLevel = list.filter((n) => !n.includes("|"));
    const known = new Set(list);

    await t.step("COMMAND COUNT is the table size", async () => {
      const count = await pair.redeno[2].call("COMMAND", "COUNT");
      assert.equal(count, topLevel.length);
      const all = await pair.redeno[2].call("COMMAND") as unknown[];
      assert.equal(all.length, topLevel.length);
      const redisList = await pair.redis[2].call("COMMAND", "LIST") as string[];
      const unknownToRedis = list.filter((n) => !redisList.includes(n));
      assert.deepEqual(unknownToRedis, [], "commands Redis 7.0 does not have");
    });

    await t.step("COMMAND INFO <name>, RESP2 and RESP3", async () => {
      const reports: string[] = [];
      for (const name of list) {
        for (const proto of [2, 3] as const) {
          reports.push(
            await compare(pair, proto, ["COMMAND", "INFO", name], (f) => ({
              head: f.head,
              children: f.children?.map((e) => canonicalInfo(e, known)),
            })),
          );
        }
      }
      const failed = reports.filter(Boolean);
      assert.equal(failed.length, 0, "\n" + failed.join("\n\n"));
    });

    await t.step("COMMAND DOCS <name> but its prose", async () => {
      const reports: string[] = [];
      for (const name of list) {
        for (const proto of [2, 3] as const) {
          reports.push(
            await compare(
              pair,
              proto,
              ["COMMAND", "DOCS", name],
              (f) =>
                fromPairs(
                  f,
                  pairs(f).map(([k, v]) => [k, canonicalDocs(v, known)]),
                ),
            ),
          );
        }
      }
      const failed = reports.filter(Boolean);
      assert.equal(failed.length, 0, "\n" + failed.join("\n\n"));
    });

    await t.step("COMMAND GETKEYS and GETKEYSANDFLAGS", async () => {
      const reports: string[] = [];
      for (const line of GETKEYS_SAMPLES) {
        const name = line[1] && known.has(`${line[0]}|${line[1]}`)
          ? `${line[0]}|${line[1]}`
          : line[0];
        if (!known.has(name) && name !== "nosuchcommand") continue;
        for (const sub of ["GETKEYS", "GETKEYSANDFLAGS"]) {
          for (const proto of [2, 3] as const) {
            reports.push(await compare(pair, proto, ["COMMAND", sub, ...line]));
          }
        }
      }
      const failed = reports.filter(Boolean);
      assert.equal(failed.length, 0, "\n" + failed.join("\n\n"));
    });

    await t.step("lookups, errors, HELP and LIST filters", async () => {
      const lines = [
        ["COMMAND", "INFO", "nosuch", "get", "config|nosuch", "get|x"],
        ["COMMAND", "DOCS", "nosuch"],
        ["COMMAND", "HELP"],
        ["COMMAND", "NOSUCH"],
        ["COMMAND", "COUNT", "x"],
        ["COMMAND", "GETKEYS", "get"],
        ["COMMAND", "LIST", "FILTERBY", "nosuch", "x"],
        ["COMMAND", "LIST", "FILTERBY", "pattern"],
        ["COMMAND", "LIST", "x"],
        ["COMMAND", "LIST", "FILTERBY", "module", "x"],
        ["COMMAND", "LIST", "FILTERBY", "aclcat", "nosuch"],
      ];
      const reports: string[] = [];
      for (const line of lines) {
        for (const proto of [2, 3] as const) {
          reports.push(await compare(pair, proto, line));
        }
      }
      assert.equal(reports.filter(Boolean).length, 0, reports.join("\n"));
      // Filters agree with Redis's answer restricted to redeno's commands.
      for (
        const filter of [
          ["aclcat", "WRITE"],
          ["aclcat", "connection"],
          ["aclcat", "fast"],
          ["pattern", "*e*"],
          ["pattern", "COMMAND|*"],
        ]
      ) {
        const argv = ["COMMAND", "LIST", "FILTERBY", ...filter];
        const redis = await pair.redis[2].call(...argv) as string[];
        const redeno = await pair.redeno[2].call(...argv) as string[];
        assert.deepEqual(
          [...redeno].sort(),
          redis.filter((n) => known.has(n)).sort(),
          argv.join(" "),
        );
      }
    });
  } finally {
    for (const client of clients) client.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
});
