/**
 * Set commands (Redis's t_set.c): SADD, SREM, SMEMBERS, SISMEMBER,
 * SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE, SINTER, SINTERCARD,
 * SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE and SSCAN over
 * RedisSet values (store/set.ts).
 *
 * Reply order follows Redis's algorithms, so it is exact wherever Redis's is
 * deterministic: a set iterated while intset comes out ascending, and the
 * results of SUNION, SDIFF and whole-set SPOP are built in a new set that
 * starts as an intset, as Redis builds them.
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import type { RedisValue } from "../store/keyspace.ts";
import { RedisSet } from "../store/set.ts";
import { globMatch } from "../util/glob.ts";
import { parseInteger } from "../util/numbers.ts";
import { cursorArg, replyScan, scanOptions } from "./scan.ts";
import {
  type CommandSpec,
  keysAt,
  keysCounted,
  type KeySpec,
} from "./table.ts";
import {
  Errors,
  isKeyword,
  keyChanged,
  lookupRead,
  lookupWrite,
  notify,
  signalKey,
} from "./util.ts";

const Messages = {
  notPositive: "ERR value is out of range, must be positive",
  countRange:
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
  numkeys: "ERR numkeys should be greater than 0",
  tooManyKeys: "ERR Number of keys can't be greater than number of args",
  limit: "ERR LIMIT can't be negative",
} as const;

/** SPOP rebuilds the remainder once it is at most 1/5 of what is popped. */
const SPOP_MOVE_STRATEGY_MUL = 5;
/** SRANDMEMBER copies the set once the count exceeds a third of it. */
const SRANDMEMBER_SUB_STRATEGY_MUL = 3;

/** The set-max-intset-entries threshold in force now. */
function maxIntsetEntries(client: Client): number {
  return client.server.config.number("set-max-intset-entries");
}

/** `value` as a set, or null after replying WRONGTYPE. */
function asSet(client: Client, value: RedisValue): RedisSet | null {
  if (value instanceof RedisSet) return value;
  client.out.error(Errors.wrongType);
  return null;
}

/** Replies `members` as a RESP3 set (an array in RESP2). */
function replyMemberSet(client: Client, members: readonly string[]): void {
  const out = client.out;
  out.set(members.length);
  for (const member of members) out.bulk(member);
}

/**
 * A new set holding `members`, encoded as Redis encodes a set built from
 * an empty intset (createIntsetObject then setTypeAdd).
 */
function buildSet(client: Client, members: Iterable<string>): RedisSet {
  const max = maxIntsetEntries(client);
  const set = RedisSet.create("intset");
  for (const member of members) set.add(member, max);
  return set;
}

/**
 * Stores `result` at `dst` for the STORE forms, replacing whatever is there
 * (and its TTL) and firing `event`; an empty result deletes `dst` (a `del`
 * event). Replies the cardinality.
 */
function storeResult(
  client: Client,
  dst: string,
  result: RedisSet,
  event: string,
): void {
  if (result.size > 0) {
    client.db.set(dst, result);
    keyChanged(client, Notify.set, event, dst);
    client.server.dirty++;
  } else if (client.db.delete(dst)) {
    keyChanged(client, Notify.generic, "del", dst);
    client.server.dirty++;
  }
  client.out.integer(result.size);
}

function sadd(client: Client, argv: string[]): void {
  const key = argv[1];
  const value = lookupWrite(client, key);
  let set: RedisSet | null;
  if (value === undefined) {
    set = RedisSet.forMember(argv[2]);
    client.db.set(key, set);
  } else if ((set = asSet(client, value)) === null) {
    return;
  }
  const max = maxIntsetEntries(client);
  let added = 0;
  for (let i = 2; i < argv.length; i++) {
    if (set.add(argv[i], max)) added++;
  }
  if (added !== 0) keyChanged(client, Notify.set, "sadd", key);
  client.server.dirty += added;
  client.out.integer(added);
}

function srem(client: Client, argv: string[]): void {
  const key = argv[1];
  const value = lookupWrite(client, key);
  if (value === undefined) {
    client.out.integer(0);
    return;
  }
  const set = asSet(client, value);
  if (set === null) return;
  let removed = 0;
  let keyRemoved = false;
  for (let i = 2; i < argv.length; i++) {
    if (!set.delete(argv[i])) continue;
    removed++;
    if (set.size === 0) {
      client.db.delete(key);
      keyRemoved = true;
      break;
    }
  }
  if (removed !== 0) {
    keyChanged(client, Notify.set, "srem", key);
    if (keyRemoved) notify(client, Notify.generic, "del", key);
  }
  client.server.dirty += removed;
  client.out.integer(removed);
}

function smove(client: Client, argv: string[]): void {
  const [, source, destination, member] = argv;
  const srcValue = lookupWrite(client, source);
  const dstValue = lookupWrite(client, destination);
  if (srcValue === undefined) {
    client.out.integer(0);
    return;
  }
  const src = asSet(client, srcValue);
  if (src === null) return;
  let dst: RedisSet | undefined;
  if (dstValue !== undefined) {
    const existing = asSet(client, dstValue);
    if (existing === null) return;
    dst = existing;
  }
  if (src === dst) {
    client.out.integer(src.has(member) ? 1 : 0);
    return;
  }
  if (!src.delete(member)) {
    client.out.integer(0);
    return;
  }
  notify(client, Notify.set, "srem", source);
  if (src.size === 0) {
    client.db.delete(source);
    notify(client, Notify.generic, "del", source);
  }
  if (dst === undefined) {
    dst = RedisSet.forMember(member);
    client.db.set(destination, dst);
  }
  signalKey(client, source);
  client.server.dirty++;
  if (dst.add(member, maxIntsetEntries(client))) {
    client.server.dirty++;
    keyChanged(client, Notify.set, "sadd", destination);
  }
  client.out.integer(1);
}

function sismember(client: Client, argv: string[]): void {
  const value = lookupRead(client, argv[1]);
  if (value === undefined) {
    client.out.integer(0);
    return;
  }
  const set = asSet(client, value);
  if (set !== null) client.out.integer(set.has(argv[2]) ? 1 : 0);
}

function smismember(client: Client, argv: string[]): void {
  const value = lookupRead(client, argv[1]);
  let set: RedisSet | null = null;
  if (value !== undefined && (set = asSet(client, value)) === null) return;
  client.out.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    client.out.integer(set !== null && set.has(argv[i]) ? 1 : 0);
  }
}

function scard(client: Client, argv: string[]): void {
  const value = lookupRead(client, argv[1]);
  if (value === undefined) {
    client.out.integer(0);
    return;
  }
  const set = asSet(client, value);
  if (set !== null) client.out.integer(set.size);
}

/**
 * Removes one random member of the set at `key` and returns it; an emptied
 * set is deleted. The key must hold a non-empty set.
 */
export function popRandomMember(
  client: Client,
  key: string,
  set: RedisSet,
): string {
  const member = set.randomMember();
  set.delete(member);
  notify(client, Notify.set, "spop", key);
  if (set.size === 0) {
    client.db.delete(key);
    notify(client, Notify.generic, "del", key);
  }
  signalKey(client, key);
  // The member chosen, as the replay must remove the same one.
  client.server.propagation.rewrite(["SREM", key, member]);
  client.server.dirty++;
  return member;
}

function spop(client: Client, argv: string[]): void {
  if (argv.length === 3) return spopWithCount(client, argv);
  if (argv.length > 3) {
    client.out.error(Errors.syntax);
    return;
  }
  const key = argv[1];
  const value = lookupWrite(client, key);
  if (value === undefined) {
    client.out.null();
    return;
  }
  const set = asSet(client, value);
  if (set !== null) client.out.bulk(popRandomMember(client, key, set));
}

/**
 * Removes up to `count` random members of the set at `key` and returns them
 * in the order Redis replies them (SPOP key count). The key must hold a
 * non-empty set and `count` must be positive.
 */
export function popRandomMembers(
  client: Client,
  key: string,
  set: RedisSet,
  count: number,
): string[] {
  const size = set.size;
  client.server.dirty += Math.min(count, size);
  notify(client, Notify.set, "spop", key);
  signalKey(client, key);
  const propagation = client.server.propagation;
  if (count >= size) {
    // Redis replies the whole set through SUNION of the key alone.
    client.db.delete(key);
    notify(client, Notify.generic, "del", key);
    // Always DEL, whatever lazyfree-lazy-server-del says (as Redis 7.0).
    propagation.rewrite(["DEL", key]);
    return [...buildSet(client, set.members()).members()];
  }
  const popped: string[] = [];
  let remaining = size - count;
  if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
    while (popped.length < count) {
      const member = set.randomMember();
      set.delete(member);
      popped.push(member);
    }
    propagateSrems(client, key, popped);
    return popped;
  }
  // Few members stay: move those into a new set and hand out the old one.
  const max = maxIntsetEntries(client);
  let rest: RedisSet | undefined;
  while (remaining-- > 0) {
    const member = set.randomMember();
    rest ??= RedisSet.forMember(member);
    rest.add(member, max);
    set.delete(member);
  }
  popped.push(...set.members());
  client.db.overwrite(key, rest!);
  propagateSrems(client, key, popped);
  return popped;
}

/**
 * Propagates the members SPOP removed as one SREM each, as Redis 7.0 does
 * (the unit's MULTI/EXEC keeps them atomic).
 */
function propagateSrems(client: Client, key: string, members: string[]): void {
  const propagation = client.server.propagation;
  propagation.prevent();
  if (!propagation.active) return;
  for (const member of members) {
    propagation.also(client.db.id, ["SREM", key, member]);
  }
}

function spopWithCount(client: Client, argv: string[]): void {
  // Redis's getPositiveLongFromObjectOrReply: one message for every failure.
  const count = parseInteger(argv[2]);
  if (count === null || count < 0) {
    client.out.error(Messages.notPositive);
    return;
  }
  const key = argv[1];
  const value = lookupWrite(client, key);
  if (value === undefined) {
    client.out.set(0);
    return;
  }
  const set = asSet(client, value);
  if (set === null) return;
  if (count === 0) {
    client.out.set(0);
    return;
  }
  replyMemberSet(client, popRandomMembers(client, key, set, count));
}

function srandmember(client: Client, argv: string[]): void {
  if (argv.length === 3) return srandmemberWithCount(client, argv);
  if (argv.length > 3) {
    client.out.error(Errors.syntax);
    return;
  }
  const value = lookupRead(client, argv[1]);
  if (value === undefined) {
    client.out.null();
    return;
  }
  const set = asSet(client, value);
  if (set !== null) client.out.bulk(set.randomMember());
}

/**
 * `count` distinct random members of `set` (0 < count < size), in no
 * particular order, as Redis's SRANDMEMBER picks them.
 */
function distinctRandomMembers(set: RedisSet, count: number): string[] {
  if (count * SRANDMEMBER_SUB_STRATEGY_MUL > set.size) {
    // Close to the whole set: a partial shuffle of all the members.
    const all = [...set.members()];
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (all.length - i));
      [all[i], all[j]] = [all[j], all[i]];
    }
    all.length = count;
    return all;
  }
  const picked = new Set<string>();
  while (picked.size < count) picked.add(set.randomMember());
  return [...picked];
}

function srandmemberWithCount(client: Client, argv: string[]): void {
  const n = parseInteger(argv[2]);
  if (n === null) {
    client.out.error(Errors.notInteger);
    return;
  }
  // LONG_MIN is the one long whose negation overflows.
  if (argv[2] === "-9223372036854775808") {
    client.out.error(Messages.countRange);
    return;
  }
  const value = lookupRead(client, argv[1]);
  if (value === undefined) {
    client.out.emptyArray();
    return;
  }
  const set = asSet(client, value);
  if (set === null) return;
  const out = client.out;
  const count = Math.abs(n);
  if (count === 0) {
    out.emptyArray();
    return;
  }
  if (n < 0 || count === 1) {
    out.array(count);
    for (let i = 0; i < count; i++) out.bulk(set.randomMember());
    return;
  }
  if (count >= set.size) {
    out.bulkArray([...set.members()]);
    return;
  }
  out.bulkArray(distinctRandomMembers(set, count));
}

/**
 * The sets at `keys` (undefined for missing keys), or null after replying
 * WRONGTYPE when any of them holds another type.
 */
function lookupSets(
  client: Client,
  keys: readonly string[],
): (RedisSet | undefined)[] | null {
  const sets: (RedisSet | undefined)[] = [];
  for (const key of keys) {
    const value = lookupRead(client, key);
    if (value === undefined) {
      sets.push(undefined);
      continue;
    }
    const set = asSet(client, value);
    if (set === null) return null;
    sets.push(set);
  }
  return sets;
}

/**
 * The members common to every set, walking the smallest one (Redis's
 * order), stopping after `limit` members when it is positive.
 */
function intersect(sets: RedisSet[], limit: number): string[] {
  const sorted = sets.slice().sort((a, b) => a.size - b.size);
  const [first, ...others] = sorted;
  const found: string[] = [];
  for (const member of first.members()) {
    if (others.every((set) => set === first || set.has(member))) {
      found.push(member);
      if (found.length === limit) break;
    }
  }
  return found;
}

/**
 * SINTER, SINTERSTORE (with `dst`) and SINTERCARD (with `limit`): every
 * key's type is checked before a missing key makes the result empty.
 */
function sinterGeneric(
  client: Client,
  keys: readonly string[],
  dst?: string,
  limit?: number,
): void {
  const sets = lookupSets(client, keys);
  if (sets === null) return;
  const present = sets.filter((set) => set !== undefined);
  const members = present.length === sets.length
    ? intersect(present, limit ?? 0)
    : [];
  if (limit !== undefined) client.out.integer(members.length);
  else if (dst !== undefined) {
    storeResult(client, dst, buildSet(client, members), "sinterstore");
  } else replyMemberSet(client, members);
}

function sinter(client: Client, argv: string[]): void {
  sinterGeneric(client, argv.slice(1));
}

function sinterstore(client: Client, argv: string[]): void {
  sinterGeneric(client, argv.slice(2), argv[1]);
}

function sintercard(client: Client, argv: string[]): void {
  const numkeys = parseInteger(argv[1]);
  if (numkeys === null || numkeys < 1) {
    client.out.error(Messages.numkeys);
    return;
  }
  if (numkeys > argv.length - 2) {
    client.out.error(Messages.tooManyKeys);
    return;
  }
  let limit = 0;
  for (let i = 2 + numkeys; i < argv.length; i++) {
    if (isKeyword(argv[i], "limit") && i + 1 < argv.length) {
      const n = parseInteger(argv[++i]);
      if (n === null || n < 0) {
        client.out.error(Messages.limit);
        return;
      }
      limit = n;
    } else {
      client.out.error(Errors.syntax);
      return;
    }
  }
  sinterGeneric(client, argv.slice(2, 2 + numkeys), undefined, limit);
}

/** SUNION and SDIFF: the result, built as Redis builds it, or null after an error. */
function unionOrDiff(
  client: Client,
  keys: readonly string[],
  op: "union" | "diff",
): RedisSet | null {
  const sets = lookupSets(client, keys);
  if (sets === null) return null;
  if (op === "union") {
    const result = RedisSet.create("intset");
    const max = maxIntsetEntries(client);
    for (const set of sets) {
      if (set === undefined) continue;
      for (const member of set.members()) result.add(member, max);
    }
    return result;
  }
  const [first, ...others] = sets;
  // The first set subtracted from itself leaves nothing.
  if (first === undefined || others.includes(first)) {
    return buildSet(client, []);
  }
  const subtract = others.filter((set) => set !== undefined);
  const kept: string[] = [];
  for (const member of first.members()) {
    if (!subtract.some((set) => set.has(member))) kept.push(member);
  }
  return buildSet(client, kept);
}

function sunionDiffCommand(
  client: Client,
  argv: string[],
  op: "union" | "diff",
  store: boolean,
): void {
  const result = unionOrDiff(client, argv.slice(store ? 2 : 1), op);
  if (result === null) return;
  if (store) {
    const event = op === "union" ? "sunionstore" : "sdiffstore";
    storeResult(client, argv[1], result, event);
  } else replyMemberSet(client, [...result.members()]);
}

function sscan(client: Client, argv: string[]): void {
  const cursor = cursorArg(client, argv[2]);
  if (cursor === null) return;
  const value = lookupRead(client, argv[1]);
  if (value === undefined) {
    replyScan(client, 0, []);
    return;
  }
  const set = asSet(client, value);
  if (set === null) return;
  const options = scanOptions(client, argv, 3, false);
  if (!options) return;
  const { count, pattern } = options;
  const step = set.scan(cursor, count);
  const found = pattern === undefined
    ? step.keys
    : step.keys.filter((member) => globMatch(pattern, member));
  replyScan(client, step.cursor, found);
}

/** A key spec for every argument from `index` on. */
function keysFrom(index: number): KeySpec {
  return keysAt(index, ["RO", "access"], { lastkey: -1 });
}

/** The STORE forms' specs: destination, then the source keys. */
function storeSpecs(destinationFlags: string[]): KeySpec[] {
  return [keysAt(1, destinationFlags), keysFrom(2)];
}

/** The set command family. */
export const setCommands: CommandSpec[] = [
  {
    name: "sadd",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    acl: ["set"],
    keySpecs: [keysAt(1, ["RW", "insert"])],
    summary: "Adds members to a set, creating it when the key is missing.",
    complexity:
      "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    since: "1.0.0",
    group: "set",
    history: [["2.4.0", "Accepts multiple `member` arguments."]],
    handler: sadd,
  },
  {
    name: "srem",
    arity: -3,
    flags: ["write", "fast"],
    acl: ["set"],
    keySpecs: [keysAt(1, ["RW", "delete"])],
    summary: "Removes members from a set; an emptied set is deleted.",
    complexity: "O(N) where N is the number of members to be removed.",
    since: "1.0.0",
    group: "set",
    history: [["2.4.0", "Accepts multiple `member` arguments."]],
    handler: srem,
  },
  {
    name: "smembers",
    arity: 2,
    flags: ["readonly"],
    acl: ["set"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    tips: ["nondeterministic_output_order"],
    summary: "Returns every member of a set.",
    complexity: "O(N) where N is the set cardinality.",
    since: "1.0.0",
    group: "set",
    handler: sinter,
  },
  {
    name: "sismember",
    arity: 3,
    flags: ["readonly", "fast"],
    acl: ["set"],
    keySpecs: [keysAt(1, ["RO"])],
    summary: "Tells whether a value is a member of a set.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "set",
    handler: sismember,
  },
  {
    name: "smismember",
    arity: -3,
    flags: ["readonly", "fast"],
    acl: ["set"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    summary: "Tells, for each of several values, whether it is in a set.",
    complexity: "O(N) where N is the number of elements being checked.",
    since: "6.2.0",
    group: "set",
    handler: smismember,
  },
  {
    name: "scard",
    arity: 2,
    flags: ["readonly", "fast"],
    acl: ["set"],
    keySpecs: [keysAt(1, ["RO"])],
    summary: "Returns how many members a set has.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "set",
    handler: scard,
  },
  {
    name: "spop",
    arity: -2,
    flags: ["write", "fast"],
    acl: ["set"],
    keySpecs: [keysAt(1, ["RW", "access", "delete"])],
    tips: ["nondeterministic_output"],
    summary:
      "Removes random members from a set and returns them; an emptied set is deleted.",
    complexity:
      "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
    since: "1.0.0",
    group: "set",
    history: [["3.2.0", "Added the `count` argument."]],
    handler: spop,
  },
  {
    name: "srandmember",
    arity: -2,
    flags: ["readonly"],
    acl: ["set"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    tips: ["nondeterministic_output"],
    summary:
      "Returns random members of a set without removing them; a negative count allows repeats.",
    complexity:
      "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
    since: "1.0.0",
    group: "set",
    history: [[
      "2.6.0",
      "Added the optional `count` argument.",
    ]],
    handler: srandmember,
  },
  {
    name: "smove",
    arity: 4,
    flags: ["write", "fast"],
    acl: ["set"],
    keySpecs: [
      keysAt(1, ["RW", "access", "delete"]),
      keysAt(2, ["RW", "insert"]),
    ],
    summary: "Moves a member from one set to another.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "set",
    handler: smove,
  },
  {
    name: "sinter",
    arity: -2,
    flags: ["readonly"],
    acl: ["set"],
    keySpecs: [keysFrom(1)],
    tips: ["nondeterministic_output_order"],
    summary: "Returns the members found in every one of the given sets.",
    complexity:
      "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    since: "1.0.0",
    group: "set",
    handler: sinter,
  },
  {
    name: "sintercard",
    arity: -3,
    flags: ["readonly"],
    acl: ["set"],
    keySpecs: [keysCounted(1, ["RO", "access"])],
    summary:
      "Counts the members of the intersection of sets, optionally stopping at a limit.",
    complexity:
      "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    since: "7.0.0",
    group: "set",
    handler: sintercard,
  },
  {
    name: "sinterstore",
    arity: -3,
    flags: ["write", "denyoom"],
    acl: ["set"],
    keySpecs: storeSpecs(["RW", "update"]),
    summary:
      "Stores the intersection of sets at a key and returns its cardinality.",
    complexity:
      "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    since: "1.0.0",
    group: "set",
    handler: sinterstore,
  },
  {
    name: "sunion",
    arity: -2,
    flags: ["readonly"],
    acl: ["set"],
    keySpecs: [keysFrom(1)],
    tips: ["nondeterministic_output_order"],
    summary: "Returns the members found in any of the given sets.",
    complexity:
      "O(N) where N is the total number of elements in all given sets.",
    since: "1.0.0",
    group: "set",
    handler: (client, argv) => sunionDiffCommand(client, argv, "union", false),
  },
  {
    name: "sunionstore",
    arity: -3,
    flags: ["write", "denyoom"],
    acl: ["set"],
    keySpecs: storeSpecs(["OW", "update"]),
    summary: "Stores the union of sets at a key and returns its cardinality.",
    complexity:
      "O(N) where N is the total number of elements in all given sets.",
    since: "1.0.0",
    group: "set",
    handler: (client, argv) => sunionDiffCommand(client, argv, "union", true),
  },
  {
    name: "sdiff",
    arity: -2,
    flags: ["readonly"],
    acl: ["set"],
    keySpecs: [keysFrom(1)],
    tips: ["nondeterministic_output_order"],
    summary:
      "Returns the members of the first set found in none of the others.",
    complexity:
      "O(N) where N is the total number of elements in all given sets.",
    since: "1.0.0",
    group: "set",
    handler: (client, argv) => sunionDiffCommand(client, argv, "diff", false),
  },
  {
    name: "sdiffstore",
    arity: -3,
    flags: ["write", "denyoom"],
    acl: ["set"],
    keySpecs: storeSpecs(["OW", "update"]),
    summary:
      "Stores the difference of sets at a key and returns its cardinality.",
    complexity:
      "O(N) where N is the total number of elements in all given sets.",
    since: "1.0.0",
    group: "set",
    handler: (client, argv) => sunionDiffCommand(client, argv, "diff", true),
  },
  {
    name: "sscan",
    arity: -3,
    flags: ["readonly"],
    acl: ["set"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    tips: ["nondeterministic_output"],
    summary: "Walks the members of a set a batch at a time.",
    complexity:
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
    since: "2.8.0",
    group: "set",
    handler: sscan,
  },
];
