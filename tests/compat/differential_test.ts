/**
 * Runs every script in tests/compat/scripts/ against redis-server 7.0 and
 * redeno and fails on any reply that differs (see harness.ts for the format).
 * COMPAT_SCRIPTS=a,b runs only scripts whose names contain a or b;
 * COMPAT_PENDING=1 also runs scripts marked `@pending`.
 * @module
 */

import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";
import assert from "node:assert/strict";
import { binaryToBytes } from "../../src/protocol/binary.ts";
import {
  formatMismatches,
  loadScripts,
  parseScript,
  runScript,
  sameReply,
} from "./harness.ts";

const SCRIPTS_DIR = new URL("./scripts", import.meta.url).pathname;
const SERVER_ARGS = ["--enable-debug-command", "yes"];

Deno.test("redeno replies like redis-server 7.0 to every compat script", async (t) => {
  const filter = Deno.env.get("COMPAT_SCRIPTS")?.split(",") ?? [];
  const runPending = Deno.env.get("COMPAT_PENDING") === "1";
  const scripts = loadScripts(SCRIPTS_DIR).filter((s) =>
    filter.length === 0 || filter.some((f) => s.name.includes(f))
  );
  if (scripts.length === 0) throw new Error("no compat scripts matched");
  const servers: RunningServer[] = [];
  try {
    // Started together; whichever started is stopped even if the other failed.
    const started = await Promise.allSettled([
      startRedis(SERVER_ARGS),
      startRedeno(SERVER_ARGS),
    ]);
    for (const s of started) {
      if (s.status === "fulfilled") servers.push(s.value);
    }
    for (const s of started) if (s.status === "rejected") throw s.reason;
    const [redis, redeno] = servers;
    for (const script of scripts) {
      const skip = script.pending !== undefined && !runPending;
      await t.step({
        name: skip
          ? `${script.name} (pending: ${script.pending})`
          : script.name,
        ignore: skip,
        fn: async () => {
          const mismatches = await runScript(script, redis.port, redeno.port);
          if (mismatches.length > 0) {
            throw new Error(
              `${mismatches.length} replies differ:\n${
                formatMismatches(mismatches)
              }`,
            );
          }
        },
      });
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
});

const bytes = (s: string) => binaryToBytes(s);

Deno.test("harness parses commands, markers and directives", () => {
  const script = parseScript(
    "t.txt",
    [
      "# comment",
      "",
      'SET "a b" "\\x00\\r\\n"',
      "@unordered SMEMBERS s",
      "@type RANDOMKEY",
      "@conn other",
      "@proto 3",
      "@sleep 10",
      "@inline  PING  x",
      "@send BLPOP l 0",
      "@read @unordered",
      "@closed",
      "@pending waiting for HELLO",
    ].join("\n"),
  );
  assert.equal(script.pending, "waiting for HELLO");
  assert.deepEqual(script.steps, [
    { kind: "call", line: 3, argv: ["SET", "a b", "\x00\r\n"], mode: "exact" },
    { kind: "call", line: 4, argv: ["SMEMBERS", "s"], mode: "unordered" },
    { kind: "call", line: 5, argv: ["RANDOMKEY"], mode: "type" },
    { kind: "conn", line: 6, name: "other" },
    { kind: "proto", line: 7, version: 3 },
    { kind: "sleep", line: 8, ms: 10 },
    { kind: "inline", line: 9, text: " PING  x" },
    { kind: "send", line: 10, argv: ["BLPOP", "l", "0"] },
    { kind: "read", line: 11, mode: "unordered" },
    { kind: "closed", line: 12 },
  ]);
  assert.throws(() => parseScript("t.txt", 'GET "open'), /t\.txt:1/);
  assert.throws(() => parseScript("t.txt", "\n@frobnicate"), /t\.txt:2/);
});

Deno.test("harness compares exactly, as multisets, or by type", () => {
  const ab = bytes("*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  const ba = bytes("*2\r\n$1\r\nb\r\n$1\r\na\r\n");
  assert.equal(sameReply(ab, ab, "exact"), true);
  assert.equal(sameReply(ab, ba, "exact"), false);
  assert.equal(sameReply(ab, ba, "unordered"), true);
  assert.equal(
    sameReply(ab, bytes("*2\r\n$1\r\na\r\n$1\r\na\r\n"), "unordered"),
    false,
  );
  // Nested arrays and map pairs are reordered too, but keys stay with values.
  assert.equal(
    sameReply(
      bytes("*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n:3\r\n"),
      bytes("*2\r\n*1\r\n:3\r\n*2\r\n:2\r\n:1\r\n"),
      "unordered",
    ),
    true,
  );
  const map = bytes("%2\r\n+k1\r\n:1\r\n+k2\r\n:2\r\n");
  assert.equal(
    sameReply(map, bytes("%2\r\n+k2\r\n:2\r\n+k1\r\n:1\r\n"), "unordered"),
    true,
  );
  assert.equal(
    sameReply(map, bytes("%2\r\n+k2\r\n:1\r\n+k1\r\n:2\r\n"), "unordered"),
    false,
  );
  assert.equal(sameReply(bytes(":1\r\n"), bytes(":2\r\n"), "type"), true);
  assert.equal(sameReply(bytes(":1\r\n"), bytes("$1\r\n1\r\n"), "type"), false);
  // A missing reply never matches, even on both sides.
  assert.equal(
    sameReply("connection closed", "connection closed", "exact"),
    false,
  );
});
