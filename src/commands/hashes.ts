/**
 * Hash commands (Redis's t_hash.c): HSET, HSETNX, HGET, HMGET, HMSET, HDEL,
 * HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT,
 * HRANDFIELD and HSCAN.
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import { type HashLimits, HashValue } from "../store/hash.ts";
import { globMatch } from "../util/glob.ts";
import {
  addLongDouble,
  formatLongDouble,
  parseLongDouble,
} from "../util/long_double.ts";
import { parseInt64, parseInteger } from "../util/numbers.ts";
import { cursorArg, replyScan, scanOptions } from "./scan.ts";
import { type CommandSpec, keysAt } from "./table.ts";
import {
  Errors,
  isKeyword,
  keyChanged,
  lookupRead,
  lookupWrite,
  notify,
} from "./util.ts";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
/** LONG_MAX / 2: WITHVALUES counts beyond it are refused (the reply would overflow). */
const HALF_LONG_MAX = 4611686018427387903n;
/** Random picks written between two checks of the client's output limit. */
const PICK_BATCH = 1024;

const Messages = {
  notInteger: "ERR hash value is not an integer",
  notFloat: "ERR hash value is not a float",
  overflow: "ERR increment or decrement would overflow",
  nanIncrement: "ERR value is NaN or Infinity",
  nanResult: "ERR increment would produce NaN or Infinity",
  outOfRange: "ERR value is out of range",
  countRange:
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
} as const;

/** The listpack limits in force now (Redis reads them at each write). */
function limitsOf(client: Client): HashLimits {
  const config = client.server.config;
  return {
    maxEntries: config.number("hash-max-listpack-entries"),
    maxValue: config.number("hash-max-listpack-value"),
  };
}

/** The hash at `key` for reading; null after a WRONGTYPE reply. */
function readHash(client: Client, key: string): HashValue | undefined | null {
  const value = lookupRead(client, key);
  if (value === undefined || value instanceof HashValue) return value;
  client.out.error(Errors.wrongType);
  return null;
}

/** The hash at `key` for writing; null after a WRONGTYPE reply. */
function writeHash(client: Client, key: string): HashValue | undefined | null {
  const value = lookupWrite(client, key);
  if (value === undefined || value instanceof HashValue) return value;
  client.out.error(Errors.wrongType);
  return null;
}

/** The hash at `key`, created empty when missing; null after a WRONGTYPE reply. */
function hashOrCreate(client: Client, key: string): HashValue | null {
  const found = writeHash(client, key);
  if (found !== undefined) return found;
  const hash = new HashValue();
  client.db.set(key, hash);
  return hash;
}

/** HSET and HMSET: sets every pair; returns how many fields were new. */
function setPairs(client: Client, argv: string[]): number | null {
  if (argv.length % 2 === 1) {
    client.out.error(
      `ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`,
    );
    return null;
  }
  const hash = hashOrCreate(client, argv[1]);
  if (hash === null) return null;
  const limits = limitsOf(client);
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    if (hash.set(argv[i], argv[i + 1], limits)) created++;
  }
  keyChanged(client, Notify.hash, "hset", argv[1]);
  client.server.dirty += (argv.length - 2) / 2;
  return created;
}

function hset(client: Client, argv: string[]): void {
  const created = setPairs(client, argv);
  if (created !== null) client.out.integer(created);
}

function hmset(client: Client, argv: string[]): void {
  if (setPairs(client, argv) !== null) client.out.ok();
}

function hsetnx(client: Client, argv: string[]): void {
  const found = writeHash(client, argv[1]);
  if (found === null) return;
  if (found !== undefined && found.has(argv[2])) {
    client.out.integer(0);
    return;
  }
  const hash = found ?? hashOrCreate(client, argv[1])!;
  hash.set(argv[2], argv[3], limitsOf(client));
  keyChanged(client, Notify.hash, "hset", argv[1]);
  client.server.dirty++;
  client.out.integer(1);
}

function hget(client: Client, argv: string[]): void {
  const hash = readHash(client, argv[1]);
  if (hash === null) return;
  client.out.bulk(hash?.get(argv[2]) ?? null);
}

function hmget(client: Client, argv: string[]): void {
  const hash = readHash(client, argv[1]);
  if (hash === null) return;
  const out = client.out;
  out.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) out.bulk(hash?.get(argv[i]) ?? null);
}

function hdel(client: Client, argv: string[]): void {
  const hash = writeHash(client, argv[1]);
  if (hash === null) return;
  let deleted = 0;
  let keyRemoved = false;
  if (hash !== undefined) {
    for (let i = 2; i < argv.length; i++) {
      if (!hash.delete(argv[i])) continue;
      deleted++;
      if (hash.size === 0) {
        client.db.delete(argv[1]);
        keyRemoved = true;
        break;
      }
    }
  }
  if (deleted !== 0) {
    keyChanged(client, Notify.hash, "hdel", argv[1]);
    if (keyRemoved) notify(client, Notify.generic, "del", argv[1]);
  }
  client.server.dirty += deleted;
  client.out.integer(deleted);
}

function hlen(client: Client, argv: string[]): void {
  const hash = readHash(client, argv[1]);
  if (hash !== null) client.out.integer(hash?.size ?? 0);
}

function hstrlen(client: Client, argv: string[]): void {
  const hash = readHash(client, argv[1]);
  if (hash !== null) client.out.integer(hash?.get(argv[2])?.length ?? 0);
}

function hexists(client: Client, argv: string[]): void {
  const hash = readHash(client, argv[1]);
  if (hash !== null) client.out.integer(hash?.has(argv[2]) ? 1 : 0);
}

function hkeys(client: Client, argv: string[]): void {
  const hash = readHash(client, argv[1]);
  if (hash === null) return;
  const out = client.out;
  out.array(hash?.size ?? 0);
  if (hash !== undefined) {
    for (const field of hash.fields()) {
      out.bulk(field);
    }
  }
}

function hvals(client: Client, argv: string[]): void {
  const hash = readHash(client, argv[1]);
  if (hash === null) return;
  const out = client.out;
  out.array(hash?.size ?? 0);
  if (hash !== undefined) {
    for (const [, value] of hash.entries()) out.bulk(value);
  }
}

function hgetall(client: Client, argv: string[]): void {
  const hash = readHash(client, argv[1]);
  if (hash === null) return;
  const out = client.out;
  out.map(hash?.size ?? 0);
  if (hash === undefined) return;
  for (const [field, value] of hash.entries()) {
    out.bulk(field);
    out.bulk(value);
  }
}

/** HINCRBY with Redis's exact 64-bit arithmetic and overflow check. */
function hincrby(client: Client, argv: string[]): void {
  const increment = parseInteger(argv[3]);
  if (increment === null) {
    client.out.error(Errors.notInteger);
    return;
  }
  const found = writeHash(client, argv[1]);
  if (found === null) return;
  let current: number | null = 0;
  const text = found?.get(argv[2]);
  if (text !== undefined) {
    current = parseInteger(text);
    if (current === null) {
      client.out.error(Messages.notInteger);
      return;
    }
  }
  let result: number | bigint = current + increment;
  if (
    !Number.isSafeInteger(result) || !Number.isSafeInteger(current) ||
    !Number.isSafeInteger(increment)
  ) {
    // Past 2^53 numbers are inexact: redo the sum on the texts as bigints.
    const sum = (text === undefined ? 0n : BigInt(text)) + BigInt(argv[3]);
    if (sum > INT64_MAX || sum < INT64_MIN) {
      client.out.error(Messages.overflow);
      return;
    }
    result = sum;
  }
  const hash = found ?? hashOrCreate(client, argv[1])!;
  hash.set(argv[2], String(result), limitsOf(client));
  keyChanged(client, Notify.hash, "hincrby", argv[1]);
  client.server.dirty++;
  client.out.integer(result);
}

/**
 * HINCRBYFLOAT in 80-bit long double arithmetic, printed as Redis prints it
 * (util/long_double.ts), as INCRBYFLOAT does.
 */
function hincrbyfloat(client: Client, argv: string[]): void {
  const increment = parseLongDouble(argv[3]);
  if (increment === null) {
    client.out.error(Errors.notFloat);
    return;
  }
  if (increment.kind !== "finite") {
    client.out.error(Messages.nanIncrement);
    return;
  }
  const found = writeHash(client, argv[1]);
  if (found === null) return;
  const text = found?.get(argv[2]);
  const current = parseLongDouble(text ?? "0");
  if (current === null) {
    client.out.error(Messages.notFloat);
    return;
  }
  const sum = addLongDouble(current, increment);
  if (sum.kind !== "finite") {
    client.out.error(Messages.nanResult);
    return;
  }
  const result = formatLongDouble(sum);
  const hash = found ?? hashOrCreate(client, argv[1])!;
  hash.set(argv[2], result, limitsOf(client));
  keyChanged(client, Notify.hash, "hincrbyfloat", argv[1]);
  // The sum, not the increment: float rounding may differ where it replays.
  client.server.propagation.rewrite(["HSET", argv[1], argv[2], result]);
  client.server.dirty++;
  client.out.bulk(result);
}

/**
 * HRANDFIELD key [count [WITHVALUES]]: one random field, or `count`
 * distinct ones (a listpack gives them in its order, as Redis does), or for
 * a negative count that many independent picks.
 */
function hrandfield(client: Client, argv: string[]): void {
  if (argv.length === 2) {
    const hash = readHash(client, argv[1]);
    if (hash === null) return;
    client.out.bulk(hash === undefined ? null : hash.sampler()()[0]);
    return;
  }
  const count = parseInt64(argv[2]);
  if (count === null) {
    client.out.error(Errors.notInteger);
    return;
  }
  if (count === INT64_MIN) {
    client.out.error(Messages.countRange);
    return;
  }
  if (
    argv.length > 4 || (argv.length === 4 && !isKeyword(argv[3], "withvalues"))
  ) {
    client.out.error(Errors.syntax);
    return;
  }
  const withValues = argv.length === 4;
  if (withValues && (count > HALF_LONG_MAX || count < -HALF_LONG_MAX)) {
    client.out.error(Messages.outOfRange);
    return;
  }
  const hash = readHash(client, argv[1]);
  if (hash === null) return;
  if (hash === undefined || count === 0n) {
    client.out.emptyArray();
    return;
  }
  if (count < 0n || count === 1n) {
    replyPicks(client, hash, Number(count < 0n ? -count : count), withValues);
    return;
  }
  const size = hash.size;
  if (count >= BigInt(size)) {
    replyPairs(client, hash.entries(), size, withValues);
  } else {
    const picks = hash.distinctRandomEntries(Number(count));
    replyPairs(client, picks.values(), picks.length, withValues);
  }
}

/** Writes the header for `n` HRANDFIELD results: pairs nest in RESP3, lie flat in RESP2. */
function pairsHeader(client: Client, n: number, withValues: boolean): void {
  client.out.array(withValues && client.out.protover === 2 ? n * 2 : n);
}

/** Writes one HRANDFIELD result. */
function replyPair(
  client: Client,
  [field, value]: [string, string],
  withValues: boolean,
): void {
  const out = client.out;
  if (withValues && out.protover === 3) out.array(2);
  out.bulk(field);
  if (withValues) out.bulk(value);
}

function replyPairs(
  client: Client,
  pairs: Iterable<[string, string]>,
  n: number,
  withValues: boolean,
): void {
  pairsHeader(client, n, withValues);
  for (const pair of pairs) replyPair(client, pair, withValues);
}

/**
 * `count` picks with repetition. A huge count is written in batches and
 * stops once the client is closed for its output buffer limit, as Redis
 * stops on CLIENT_CLOSE_ASAP.
 */
function replyPicks(
  client: Client,
  hash: HashValue,
  count: number,
  withValues: boolean,
): void {
  pairsHeader(client, count, withValues);
  const pick = hash.sampler();
  let left = count;
  while (left > 0) {
    const batch = Math.min(left, PICK_BATCH);
    for (let i = 0; i < batch; i++) replyPair(client, pick(), withValues);
    left -= batch;
    if (left > 0 && (client.isClosed || client.checkOutputLimit())) return;
  }
}

/** HSCAN key cursor [MATCH pattern] [COUNT count]: fields and values, flat. */
function hscan(client: Client, argv: string[]): void {
  const cursor = cursorArg(client, argv[2]);
  if (cursor === null) return;
  const hash = readHash(client, argv[1]);
  if (hash === null) return;
  if (hash === undefined) {
    replyScan(client, 0, []);
    return;
  }
  const options = scanOptions(client, argv, 3, false);
  if (!options) return;
  const { count, pattern } = options;
  const step = hash.scan(cursor, count);
  const found: string[] = [];
  for (const field of step.keys) {
    if (pattern !== undefined && !globMatch(pattern, field)) continue;
    found.push(field, hash.get(field)!);
  }
  replyScan(client, step.cursor, found);
}

/** An entry of the hash group. */
function entry(
  name: string,
  arity: number,
  flags: CommandSpec["flags"],
  keyFlags: string[],
  since: string,
  summary: string,
  complexity: string,
  handler: CommandSpec["handler"],
  extra: Partial<CommandSpec> = {},
): CommandSpec {
  return {
    name,
    arity,
    flags,
    acl: ["hash"],
    keySpecs: [keysAt(1, keyFlags)],
    summary,
    complexity,
    since,
    group: "hash",
    handler,
    ...extra,
  };
}

const WRITE: CommandSpec["flags"] = ["write", "denyoom", "fast"];
const READ_FAST: CommandSpec["flags"] = ["readonly", "fast"];
const WHOLE_HASH = "O(N) where N is the number of fields in the hash.";

/** Hash commands for the command table. */
export const hashCommands: CommandSpec[] = [
  entry(
    "hset",
    -4,
    WRITE,
    ["RW", "update"],
    "2.0.0",
    "Sets one or more fields of a hash to values, creating the hash if needed.",
    "O(1) per field-value pair, so O(N) for N pairs.",
    hset,
    { history: [["4.0.0", "Takes several field-value pairs."]] },
  ),
  entry(
    "hsetnx",
    4,
    WRITE,
    ["RW", "insert"],
    "2.0.0",
    "Sets a field of a hash only when the field does not exist yet.",
    "O(1)",
    hsetnx,
  ),
  entry(
    "hget",
    3,
    READ_FAST,
    ["RO", "access"],
    "2.0.0",
    "Returns the value of one field of a hash.",
    "O(1)",
    hget,
  ),
  entry(
    "hmget",
    -3,
    READ_FAST,
    ["RO", "access"],
    "2.0.0",
    "Returns the values of the given fields of a hash.",
    "O(N) where N is the number of fields asked for.",
    hmget,
  ),
  entry(
    "hmset",
    -4,
    WRITE,
    ["RW", "update"],
    "2.0.0",
    "Sets several fields of a hash to values (HSET does the same).",
    "O(N) where N is the number of fields set.",
    hmset,
    {
      docFlags: ["deprecated"],
      deprecatedSince: "4.0.0",
      replacedBy: "`HSET` with multiple field-value pairs",
    },
  ),
  entry(
    "hdel",
    -3,
    ["write", "fast"],
    ["RW", "delete"],
    "2.0.0",
    "Removes fields from a hash; the hash goes when its last field does.",
    "O(N) where N is the number of fields removed.",
    hdel,
    { history: [["2.4.0", "Takes several fields."]] },
  ),
  entry(
    "hlen",
    2,
    READ_FAST,
    ["RO"],
    "2.0.0",
    "Returns the number of fields in a hash.",
    "O(1)",
    hlen,
  ),
  entry(
    "hstrlen",
    3,
    READ_FAST,
    ["RO"],
    "3.2.0",
    "Returns the length in bytes of the value of a hash field.",
    "O(1)",
    hstrlen,
  ),
  entry(
    "hexists",
    3,
    READ_FAST,
    ["RO"],
    "2.0.0",
    "Tells whether a field exists in a hash.",
    "O(1)",
    hexists,
  ),
  entry(
    "hkeys",
    2,
    ["readonly"],
    ["RO", "access"],
    "2.0.0",
    "Returns every field of a hash.",
    WHOLE_HASH,
    hkeys,
    { tips: ["nondeterministic_output_order"] },
  ),
  entry(
    "hvals",
    2,
    ["readonly"],
    ["RO", "access"],
    "2.0.0",
    "Returns every value of a hash.",
    WHOLE_HASH,
    hvals,
    { tips: ["nondeterministic_output_order"] },
  ),
  entry(
    "hgetall",
    2,
    ["readonly"],
    ["RO", "access"],
    "2.0.0",
    "Returns every field of a hash with its value.",
    WHOLE_HASH,
    hgetall,
    { tips: ["nondeterministic_output_order"] },
  ),
  entry(
    "hincrby",
    4,
    WRITE,
    ["RW", "access", "update"],
    "2.0.0",
    "Adds an integer to the integer value of a hash field.",
    "O(1)",
    hincrby,
  ),
  entry(
    "hincrbyfloat",
    4,
    WRITE,
    ["RW", "access", "update"],
    "2.6.0",
    "Adds a floating point number to the numeric value of a hash field.",
    "O(1)",
    hincrbyfloat,
  ),
  entry(
    "hrandfield",
    -2,
    ["readonly"],
    ["RO", "access"],
    "6.2.0",
    "Returns one or more random fields of a hash, optionally with their values.",
    "O(N) where N is the number of fields returned.",
    hrandfield,
    { tips: ["nondeterministic_output"] },
  ),
  entry(
    "hscan",
    -3,
    ["readonly"],
    ["RO", "access"],
    "2.8.0",
    "Iterates over the fields and values of a hash, a batch per call.",
    "O(1) per call; O(N) for a full iteration, N being the number of fields.",
    hscan,
    { tips: ["nondeterministic_output"] },
  ),
];
