/**
 * The AOF manifest (parsing with Redis's errors, formatting, file naming)
 * and the AOF command reader (annotations, truncation, format errors).
 * @module
 */

import assert from "node:assert/strict";
import {
  AofManifest,
  formatManifest,
  ManifestError,
  parseManifest,
} from "../../src/persistence/aof_manifest.ts";
import { splitArgs } from "../../src/protocol/decoder.ts";
import {
  encodeCommand,
  readCommands,
} from "../../src/persistence/aof_format.ts";
import { binaryToBytes } from "../../src/protocol/binary.ts";

Deno.test("a manifest round-trips and keeps base, history and incr order", () => {
  const text = "file appendonly.aof.2.base.rdb seq 2 type b\n" +
    "file appendonly.aof.1.incr.aof seq 1 type h\n" +
    "file appendonly.aof.2.incr.aof seq 2 type i\n" +
    "file appendonly.aof.3.incr.aof seq 3 type i\n";
  const manifest = parseManifest(text);
  assert.equal(manifest.base?.name, "appendonly.aof.2.base.rdb");
  assert.deepEqual(manifest.incr.map((f) => f.seq), [2, 3]);
  assert.equal(manifest.incrSeq, 3);
  assert.equal(formatManifest(manifest), text);
});

Deno.test("manifest comments are skipped, keys are case-insensitive, names with spaces are quoted", () => {
  const manifest = parseManifest(
    '# comment\nFILE "my file.aof" SEQ 1 TYPE b extra x\n',
  );
  assert.equal(manifest.base?.name, "my file.aof");
  assert.equal(formatManifest(manifest), 'file "my file.aof" seq 1 type b\n');
  assert.deepEqual(splitArgs("a \"b\\x41\\n\" 'c\\'d'"), ["a", "bA\n", "c'd"]);
  assert.equal(splitArgs('"unterminated'), null);
});

Deno.test("bad manifests fail with Redis's messages", () => {
  const cases: [string, string][] = [
    ["", "Found an empty AOF manifest"],
    ["file a seq 1\n", "Invalid AOF manifest file format"],
    ["   \n", "Invalid AOF manifest file format"],
    [
      "file a seq 1 type b\nfile b seq 2 type b\n",
      "Found duplicate base file information",
    ],
    [
      "file a seq 2 type i\nfile b seq 2 type i\n",
      "Found a non-monotonic sequence number",
    ],
    ["file a seq 1 type x\n", "Unknown AOF file type"],
    ["file dir/a seq 1 type i\n", "File can't be a path, just a filename"],
    ["file a seq 1 type i", "The AOF manifest file contains too long line"],
    [
      `file ${"a".repeat(1100)} seq 1 type i\n`,
      "The AOF manifest file contains too long line",
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseManifest(text), (error: unknown) => {
      assert.ok(error instanceof ManifestError);
      assert.equal(error.message, message, JSON.stringify(text));
      return true;
    });
  }
});

Deno.test("rewrites name new files and turn the old ones into history", () => {
  const manifest = new AofManifest();
  assert.equal(
    manifest.newBase("appendonly.aof", true),
    "appendonly.aof.1.base.rdb",
  );
  assert.equal(
    manifest.lastIncr("appendonly.aof"),
    "appendonly.aof.1.incr.aof",
  );
  assert.equal(manifest.newIncr("appendonly.aof"), "appendonly.aof.2.incr.aof");
  assert.equal(
    manifest.newBase("appendonly.aof", false),
    "appendonly.aof.2.base.aof",
  );
  manifest.markIncrAsHistory(true);
  assert.equal(
    formatManifest(manifest),
    "file appendonly.aof.2.base.aof seq 2 type b\n" +
      // Redis puts each one at the head of the history list.
      "file appendonly.aof.1.incr.aof seq 1 type h\n" +
      "file appendonly.aof.1.base.rdb seq 1 type h\n" +
      "file appendonly.aof.2.incr.aof seq 2 type i\n",
  );
});

Deno.test("the command reader replays whole commands and reports where it stopped", () => {
  const text = "#TS:1700000000\r\n" + encodeCommand(["SET", "k", "a\r\nb"]) +
    encodeCommand(["INCR", "n"]);
  const seen: [string[], number][] = [];
  const end = readCommands(
    binaryToBytes(text),
    0,
    (argv, at) => seen.push([argv, at]),
  );
  assert.deepEqual(end, { kind: "ok" });
  assert.deepEqual(seen.map(([argv]) => argv), [["SET", "k", "a\r\nb"], [
    "INCR",
    "n",
  ]]);
  assert.equal(seen[1][1], text.length);
  // Every cut inside the last command is a truncation after the first.
  const first = seen[0][1];
  for (let cut = first + 1; cut < text.length; cut++) {
    const got: string[][] = [];
    const result = readCommands(
      binaryToBytes(text.slice(0, cut)),
      0,
      (argv) => got.push(argv),
    );
    assert.deepEqual(result, { kind: "eof" }, `cut at ${cut}`);
    assert.equal(got.length, 1);
  }
  assert.deepEqual(readCommands(binaryToBytes("SET a b\r\n"), 0, () => {}), {
    kind: "format",
  });
  assert.deepEqual(readCommands(binaryToBytes("*1\r\n+x\r\n"), 0, () => {}), {
    kind: "format",
  });
  assert.deepEqual(readCommands(binaryToBytes("*0\r\n"), 0, () => {}), {
    kind: "format",
  });
});
