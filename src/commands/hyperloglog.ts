/**
 * HyperLogLog commands (Redis's hyperloglog.c): PFADD, PFCOUNT, PFMERGE,
 * PFDEBUG and PFSELFTEST over string values in Redis's exact HLL format
 * (store/hyperloglog.ts).
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import { binaryToBytes } from "../protocol/binary.ts";
import { isString, type RedisValue } from "../store/keyspace.ts";
import {
  cachedCardinality,
  createHll,
  decodeSparse,
  denseGet,
  denseWrite,
  estimateCardinality,
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_REGISTERS,
  HLL_SPARSE,
  hllAdd,
  hllEncoding,
  invalidateCache,
  isHll,
  mergeInto,
  rawHistogram,
  registerHistogram,
  setCachedCardinality,
  setRegisters,
  sparseToDense,
} from "../store/hyperloglog.ts";
import { mutableOf, type MutableString } from "../store/string.ts";
import { type CommandSpec, keysAt } from "./table.ts";
import {
  Errors,
  keyChanged,
  lookupRead,
  lookupWrite,
  signalKey,
} from "./util.ts";

const INVALID_HLL = "INVALIDOBJ Corrupted HLL object detected";
const NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";

function sparseMaxBytes(client: Client): number {
  return client.server.config.number("hll-sparse-max-bytes");
}

/**
 * The bytes of an existing value if it is a valid HLL; otherwise replies
 * WRONGTYPE (Redis's two texts) and returns null. Plain strings are copied,
 * leaving the stored value as it is.
 */
function hllBytesOrReply(
  client: Client,
  value: RedisValue,
): Uint8Array | null {
  if (!isString(value)) {
    client.out.error(Errors.wrongType);
    return null;
  }
  const bytes = typeof value === "string" ? binaryToBytes(value) : value.view();
  if (!isHll(bytes)) {
    client.out.error(NOT_HLL);
    return null;
  }
  return bytes;
}

/**
 * A valid HLL at `key`, as a MutableString stored in place of a plain
 * string (Redis unshares the value before changing it; the expiry stays).
 * Replies the error and returns null when the value is not an HLL.
 */
function unsharedHllOrReply(
  client: Client,
  key: string,
  value: RedisValue,
): MutableString | null {
  if (hllBytesOrReply(client, value) === null) return null;
  const hll = mutableOf(value as string | MutableString);
  if (hll !== value) client.db.overwrite(key, hll);
  return hll;
}

function pfadd(client: Client, argv: string[]): void {
  const key = argv[1];
  const value = lookupWrite(client, key);
  let hll: MutableString;
  let updated = 0;
  if (value === undefined) {
    hll = createHll();
    client.db.set(key, hll);
    updated++;
  } else {
    const existing = unsharedHllOrReply(client, key, value);
    if (existing === null) return;
    hll = existing;
  }
  const maxBytes = sparseMaxBytes(client);
  for (let j = 2; j < argv.length; j++) {
    const result = hllAdd(hll, argv[j], maxBytes);
    if (result === -1) {
      client.out.error(INVALID_HLL);
      return;
    }
    updated += result;
  }
  if (updated > 0) {
    keyChanged(client, Notify.string, "pfadd", key);
    client.server.dirty += updated;
    invalidateCache(hll.bytes);
  }
  client.out.integer(updated > 0 ? 1 : 0);
}

/**
 * Merges the HLLs at `keys` (missing keys count as empty) into `max`, one
 * byte per register. Replies the error and returns null when one is not a
 * valid HLL; otherwise returns whether any of them was dense.
 */
function mergeKeys(
  client: Client,
  keys: string[],
  max: Uint8Array,
): { anyDense: boolean } | null {
  let anyDense = false;
  for (const key of keys) {
    const value = lookupRead(client, key);
    if (value === undefined) continue;
    const bytes = hllBytesOrReply(client, value);
    if (bytes === null) return null;
    if (hllEncoding(bytes) === HLL_DENSE) anyDense = true;
    if (!mergeInto(max, bytes)) {
      client.out.error(INVALID_HLL);
      return null;
    }
  }
  return { anyDense };
}

function pfcount(client: Client, argv: string[]): void {
  if (argv.length > 2) {
    // Several keys: count their union, caching nothing.
    const max = new Uint8Array(HLL_REGISTERS);
    if (mergeKeys(client, argv.slice(1), max) === null) return;
    client.out.integer(estimateCardinality(rawHistogram(max)));
    return;
  }
  const key = argv[1];
  const value = lookupRead(client, key);
  if (value === undefined) {
    client.out.integer(0);
    return;
  }
  const hll = unsharedHllOrReply(client, key, value);
  if (hll === null) return;
  const bytes = hll.view();
  let card = cachedCardinality(bytes);
  if (card === null) {
    const histogram = registerHistogram(bytes);
    if (histogram === null) {
      client.out.error(INVALID_HLL);
      return;
    }
    card = estimateCardinality(histogram);
    // Caching changes the stored bytes: a write, as Redis propagates it.
    setCachedCardinality(bytes, card);
    signalKey(client, key);
    client.server.dirty++;
  }
  client.out.integer(card);
}

function pfmerge(client: Client, argv: string[]): void {
  const max = new Uint8Array(HLL_REGISTERS);
  // The destination is merged too: its registers are kept.
  const merged = mergeKeys(client, argv.slice(1), max);
  if (merged === null) return;
  const key = argv[1];
  const value = lookupWrite(client, key);
  let hll: MutableString;
  if (value === undefined) {
    hll = createHll();
    client.db.set(key, hll);
  } else {
    hll = mutableOf(value as string | MutableString);
    if (hll !== value) client.db.overwrite(key, hll);
  }
  // Redis makes the result dense as soon as any input was dense.
  if (merged.anyDense && !sparseToDense(hll)) {
    client.out.error(INVALID_HLL);
    return;
  }
  setRegisters(hll, max, sparseMaxBytes(client));
  invalidateCache(hll.bytes);
  keyChanged(client, Notify.string, "pfadd", key);
  client.server.dirty++;
  client.out.ok();
}

function pfdebug(client: Client, argv: string[]): void {
  const sub = argv[1];
  const key = argv[2];
  const value = lookupWrite(client, key);
  if (value === undefined) {
    client.out.error("ERR The specified key does not exist");
    return;
  }
  const hll = unsharedHllOrReply(client, key, value);
  if (hll === null) return;
  switch (sub.toLowerCase()) {
    case "getreg": {
      if (hllEncoding(hll.bytes) === HLL_SPARSE) {
        if (!sparseToDense(hll)) {
          client.out.error(INVALID_HLL);
          return;
        }
        client.server.dirty++;
      }
      client.out.array(HLL_REGISTERS);
      for (let i = 0; i < HLL_REGISTERS; i++) {
        client.out.integer(denseGet(hll.bytes, i));
      }
      return;
    }
    case "decode": {
      if (hllEncoding(hll.bytes) !== HLL_SPARSE) {
        client.out.error("ERR HLL encoding is not sparse");
        return;
      }
      client.out.bulk(decodeSparse(hll.view()));
      return;
    }
    case "encoding":
      client.out.simple(
        hllEncoding(hll.bytes) === HLL_DENSE ? "dense" : "sparse",
      );
      return;
    case "todense": {
      let converted = 0;
      if (hllEncoding(hll.bytes) === HLL_SPARSE) {
        if (!sparseToDense(hll)) {
          client.out.error(INVALID_HLL);
          return;
        }
        converted = 1;
        client.server.dirty++;
      }
      client.out.integer(converted);
      return;
    }
  }
  client.out.error(`ERR Unknown PFDEBUG subcommand '${sub}'`);
}

/** Register round trips in the self test (Redis runs 1000). */
const SELFTEST_REGISTER_CYCLES = 20;
/** Elements added in the self test (Redis adds ten million). */
const SELFTEST_ELEMENTS = 100_000;

/**
 * PFSELFTEST, scaled down: checks that dense registers round-trip without
 * disturbing their neighbours, then adds distinct elements to a dense and a
 * sparse HLL at once, checking at each power of ten that the sparse one is
 * still sparse while small, that both count the same, and that the error
 * stays within six standard errors, as Redis's test does.
 */
function pfselftest(client: Client): void {
  const dense = new Uint8Array(HLL_DENSE_SIZE);
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < SELFTEST_REGISTER_CYCLES; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      expected[i] = Math.floor(Math.random() * 64);
      denseWrite(dense, i, expected[i]);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const got = denseGet(dense, i);
      if (got !== expected[i]) {
        client.out.error(
          `TESTFAILED Register ${i} should be ${expected[i]} but is ${got}`,
        );
        return;
      }
    }
  }

  const maxBytes = sparseMaxBytes(client);
  const denseHll = createHll();
  sparseToDense(denseHll);
  const sparseHll = createHll();
  const relativeError = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seed = Math.floor(Math.random() * 2 ** 32);
  let checkpoint = 1;
  for (let j = 1; j <= SELFTEST_ELEMENTS; j++) {
    const element = selftestElement(j, seed);
    hllAdd(denseHll, element, maxBytes);
    hllAdd(sparseHll, element, maxBytes);
    if (j !== checkpoint) continue;
    if (j < maxBytes / 2 && hllEncoding(sparseHll.bytes) !== HLL_SPARSE) {
      client.out.error("TESTFAILED sparse encoding not used");
      return;
    }
    const denseCount = countOf(denseHll);
    if (denseCount !== countOf(sparseHll)) {
      client.out.error("TESTFAILED dense/sparse disagree");
      return;
    }
    const maxError = j === 10 ? 1 : Math.ceil(relativeError * 6 * checkpoint);
    const error = Math.abs(checkpoint - denseCount);
    if (error > maxError) {
      client.out.error(
        `TESTFAILED Too big error. card:${checkpoint} abserr:${error}`,
      );
      return;
    }
    checkpoint *= 10;
  }
  client.out.ok();
}

/** The self test's element j: 8 little-endian bytes of j mixed with a seed. */
function selftestElement(j: number, seed: number): string {
  const low = (j ^ seed) >>> 0;
  return String.fromCharCode(
    low & 0xff,
    (low >>> 8) & 0xff,
    (low >>> 16) & 0xff,
    low >>> 24,
    0,
    0,
    0,
    0,
  );
}

function countOf(hll: MutableString): number {
  return estimateCardinality(registerHistogram(hll.view())!);
}

/** HyperLogLog commands for the command table. */
export const hyperloglogCommands: CommandSpec[] = [
  {
    name: "pfadd",
    arity: -2,
    flags: ["write", "denyoom", "fast"],
    acl: ["hyperloglog"],
    keySpecs: [
      keysAt(1, ["RW", "insert"]),
    ],
    summary:
      "Adds elements to a HyperLogLog, creating the key if needed; replies 1 when the estimate may have changed.",
    complexity: "O(1) for each element added.",
    since: "2.8.9",
    group: "hyperloglog",
    handler: pfadd,
  },
  {
    name: "pfcount",
    arity: -2,
    flags: ["readonly"],
    acl: ["hyperloglog"],
    keySpecs: [
      keysAt(1, ["RW", "access"], {
        lastkey: -1,
        notes:
          "RW because it may change the internal representation of the key, and propagate to replicas",
      }),
    ],
    summary:
      "Estimates the number of distinct elements in one HyperLogLog, or in the union of several.",
    complexity:
      "O(1) for one key (the estimate is cached), O(N) for N keys, with a large constant.",
    since: "2.8.9",
    group: "hyperloglog",
    handler: pfcount,
  },
  {
    name: "pfmerge",
    arity: -2,
    flags: ["write", "denyoom"],
    acl: ["hyperloglog"],
    keySpecs: [
      keysAt(1, ["RW", "access", "insert"]),
      keysAt(2, ["RO", "access"], { lastkey: -1 }),
    ],
    summary:
      "Merges HyperLogLogs into a destination that then estimates their union.",
    complexity: "O(N) for N HyperLogLogs, with a large constant.",
    since: "2.8.9",
    group: "hyperloglog",
    handler: pfmerge,
  },
  {
    name: "pfdebug",
    arity: 3,
    flags: ["write", "denyoom", "admin"],
    acl: ["hyperloglog"],
    keySpecs: [
      keysAt(2, ["RW", "access"]),
    ],
    summary:
      "Internal command for inspecting a HyperLogLog: registers, opcodes, encoding, conversion to dense.",
    complexity: "N/A",
    since: "2.8.9",
    group: "hyperloglog",
    docFlags: ["syscmd"],
    handler: pfdebug,
  },
  {
    name: "pfselftest",
    arity: 1,
    flags: ["admin"],
    acl: ["hyperloglog"],
    keySpecs: [],
    summary: "Internal command that tests the HyperLogLog implementation.",
    complexity: "N/A",
    since: "2.8.9",
    group: "hyperloglog",
    docFlags: ["syscmd"],
    handler: pfselftest,
  },
];
