/**
 * List commands (Redis's t_list.c), non-blocking. The push, pop and move
 * steps are exported for the blocking commands (BLPOP, BRPOP, BLMOVE,
 * BRPOPLPUSH, BLMPOP), which serve waiters with the same operations.
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import { ListValue } from "../store/list.ts";
import type { RedisValue } from "../store/keyspace.ts";
import { type CommandSpec, keysAt, keysCounted } from "./table.ts";
import {
  Errors,
  integerArg,
  isKeyword,
  keyChanged,
  lookupRead,
  lookupWrite,
  notify,
  signalKey,
} from "./util.ts";

/** An end of a list: LEFT is the head, RIGHT the tail. */
export type ListEnd = "left" | "right";

/** INT64_MIN as text: as a JS number it cannot be told from INT64_MIN + 1. */
const INT64_MIN_TEXT = "-9223372036854775808";
const NOT_POSITIVE = "ERR value is out of range, must be positive";
const RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";

/** Parses LEFT or RIGHT; replies a syntax error and returns null otherwise. */
export function listEndArg(client: Client, arg: string): ListEnd | null {
  if (isKeyword(arg, "left")) return "left";
  if (isKeyword(arg, "right")) return "right";
  client.out.error(Errors.syntax);
  return null;
}

/** True when `value` may take list pushes: missing or a list. */
export function isListOrMissing(
  value: RedisValue | undefined,
): value is ListValue | undefined {
  return value === undefined || value instanceof ListValue;
}

/**
 * The list at `key` (undefined when missing), looked up for writing or
 * reading; replies WRONGTYPE and returns null when it holds another type.
 */
export function lookupList(
  client: Client,
  key: string,
  forWrite: boolean,
): ListValue | undefined | null {
  const value = forWrite ? lookupWrite(client, key) : lookupRead(client, key);
  if (isListOrMissing(value)) return value;
  client.out.error(Errors.wrongType);
  return null;
}

/**
 * Pushes `elements` one by one at `end` of the list at `key`, creating it
 * when `list` is undefined (the caller has checked the key holds no other
 * type); returns the new length.
 */
export function pushToList(
  client: Client,
  key: string,
  list: ListValue | undefined,
  elements: readonly string[],
  end: ListEnd,
): number {
  if (list === undefined) {
    list = new ListValue(elements.length);
    client.db.set(key, list);
    client.server.blocking.signalKeyAsReady(client.db, key);
  }
  if (end === "left") { for (const e of elements) list.pushHead(e); }
  else for (const e of elements) list.pushTail(e);
  keyChanged(client, Notify.list, end === "left" ? "lpush" : "rpush", key);
  client.server.dirty += elements.length;
  return list.length;
}

/**
 * Pops up to `count` elements from `end` of the non-empty list at `key`,
 * deleting the key once it is empty; returns them in popping order. Fires
 * `lpop`/`rpop`, then `del` for an emptied key (Redis's listElementsRemoved).
 */
export function popFromList(
  client: Client,
  key: string,
  list: ListValue,
  end: ListEnd,
  count: number,
): string[] {
  const n = Math.min(count, list.length);
  const popped: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    popped[i] = (end === "left" ? list.popHead() : list.popTail())!;
  }
  listElementsRemoved(client, key, list, end === "left" ? "lpop" : "rpop");
  client.server.dirty += n;
  return popped;
}

/**
 * LMOVE's step: pops from `from` of the non-empty list at `source` and
 * pushes onto `to` of `destination` (created when missing; the caller has
 * checked it holds no other type). The same key rotates. Returns the element.
 */
export function moveListElement(
  client: Client,
  source: string,
  list: ListValue,
  destination: string,
  target: ListValue | undefined,
  from: ListEnd,
  to: ListEnd,
): string {
  const element = (from === "left" ? list.popHead() : list.popTail())!;
  if (source === destination) target = list;
  if (target === undefined) {
    target = new ListValue();
    client.db.set(destination, target);
    client.server.blocking.signalKeyAsReady(client.db, destination);
  }
  if (to === "left") target.pushHead(element);
  else target.pushTail(element);
  keyChanged(
    client,
    Notify.list,
    to === "left" ? "lpush" : "rpush",
    destination,
  );
  listElementsRemoved(client, source, list, from === "left" ? "lpop" : "rpop");
  client.server.dirty++;
  return element;
}

/**
 * After elements left the list at `key`: fires `event`, deletes the key
 * when the list is empty (with a `del` event) and signals WATCH.
 */
function listElementsRemoved(
  client: Client,
  key: string,
  list: ListValue,
  event: string,
): void {
  notify(client, Notify.list, event, key);
  if (list.length === 0) {
    client.db.delete(key);
    notify(client, Notify.generic, "del", key);
  }
  signalKey(client, key);
}

/** Replies `[key, [elements...]]`, as LMPOP and BLMPOP do. */
export function replyKeyAndElements(
  client: Client,
  key: string,
  elements: readonly string[],
): void {
  client.out.array(2);
  client.out.bulk(key);
  client.out.bulkArray(elements);
}

/**
 * The real index of `index` in a list of `length` (negative counts from the
 * tail), or -1 when it falls outside.
 */
function resolveIndex(index: number, length: number): number {
  const i = index < 0 ? length + index : index;
  return i >= 0 && i < length ? i : -1;
}

/**
 * LRANGE's and LTRIM's clamping of [start, stop] against `length`: the
 * first index and the number of elements (0 for an empty range).
 */
function clampRange(
  start: number,
  stop: number,
  length: number,
): [number, number] {
  if (start < 0) start = Math.max(length + start, 0);
  if (stop < 0) stop = length + stop;
  if (start > stop || start >= length) return [0, 0];
  if (stop >= length) stop = length - 1;
  return [start, stop - start + 1];
}

function pushGeneric(
  client: Client,
  argv: string[],
  end: ListEnd,
  onlyExisting: boolean,
): void {
  const list = lookupList(client, argv[1], true);
  if (list === null) return;
  if (list === undefined && onlyExisting) return client.out.integer(0);
  client.out.integer(
    pushToList(client, argv[1], list, argv.slice(2), end),
  );
}

function popGeneric(client: Client, argv: string[], end: ListEnd): void {
  if (argv.length > 3) {
    return client.out.error(
      `ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`,
    );
  }
  const hasCount = argv.length === 3;
  let count = 1;
  if (hasCount) {
    const n = integerArg(client, argv[2], NOT_POSITIVE);
    if (n === null) return;
    if (n < 0) return client.out.error(NOT_POSITIVE);
    count = n;
  }
  const list = lookupList(client, argv[1], true);
  if (list === null) return;
  if (list === undefined) {
    return hasCount ? client.out.nullArray() : client.out.null();
  }
  if (!hasCount) {
    return client.out.bulk(popFromList(client, argv[1], list, end, 1)[0]);
  }
  if (count === 0) return client.out.array(0);
  client.out.bulkArray(popFromList(client, argv[1], list, end, count));
}

function llen(client: Client, argv: string[]): void {
  const list = lookupList(client, argv[1], false);
  if (list !== null) client.out.integer(list?.length ?? 0);
}

function lrange(client: Client, argv: string[]): void {
  const start = integerArg(client, argv[2]);
  if (start === null) return;
  const stop = integerArg(client, argv[3]);
  if (stop === null) return;
  const list = lookupList(client, argv[1], false);
  if (list === null) return;
  if (list === undefined) return client.out.array(0);
  const [first, count] = clampRange(start, stop, list.length);
  client.out.array(count);
  for (let i = first; i < first + count; i++) client.out.bulk(list.at(i));
}

function lindex(client: Client, argv: string[]): void {
  const list = lookupList(client, argv[1], false);
  if (list === null) return;
  if (list === undefined) return client.out.null();
  const index = integerArg(client, argv[2]);
  if (index === null) return;
  const i = resolveIndex(index, list.length);
  client.out.bulk(i === -1 ? null : list.at(i));
}

function lset(client: Client, argv: string[]): void {
  const list = lookupList(client, argv[1], true);
  if (list === null) return;
  if (list === undefined) return client.out.error(Errors.noSuchKey);
  const index = integerArg(client, argv[2]);
  if (index === null) return;
  const i = resolveIndex(index, list.length);
  if (i === -1) return client.out.error(Errors.outOfRange);
  list.set(i, argv[3]);
  keyChanged(client, Notify.list, "lset", argv[1]);
  client.server.dirty++;
  client.out.ok();
}

function linsert(client: Client, argv: string[]): void {
  const after = isKeyword(argv[2], "after");
  if (!after && !isKeyword(argv[2], "before")) {
    return client.out.error(Errors.syntax);
  }
  const list = lookupList(client, argv[1], true);
  if (list === null) return;
  if (list === undefined) return client.out.integer(0);
  const pivot = argv[3];
  for (let i = 0; i < list.length; i++) {
    if (list.at(i) === pivot) {
      list.insert(after ? i + 1 : i, argv[4]);
      keyChanged(client, Notify.list, "linsert", argv[1]);
      client.server.dirty++;
      return client.out.integer(list.length);
    }
  }
  client.out.integer(-1);
}

function lrem(client: Client, argv: string[]): void {
  const count = integerArg(client, argv[2]);
  if (count === null) return;
  const list = lookupList(client, argv[1], true);
  if (list === null) return;
  if (list === undefined) return client.out.integer(0);
  const removed = list.removeMatching(argv[3], Math.abs(count), count < 0);
  if (removed !== 0) keyChanged(client, Notify.list, "lrem", argv[1]);
  if (list.length === 0) {
    client.db.delete(argv[1]);
    notify(client, Notify.generic, "del", argv[1]);
  }
  client.server.dirty += removed;
  client.out.integer(removed);
}

function ltrim(client: Client, argv: string[]): void {
  const start = integerArg(client, argv[2]);
  if (start === null) return;
  const stop = integerArg(client, argv[3]);
  if (stop === null) return;
  const list = lookupList(client, argv[1], true);
  if (list === null) return;
  if (list !== undefined) {
    const before = list.length;
    const [first, count] = clampRange(start, stop, before);
    if (count !== 0) list.keepRange(first, count);
    notify(client, Notify.list, "ltrim", argv[1]);
    if (count === 0) {
      client.db.delete(argv[1]);
      notify(client, Notify.generic, "del", argv[1]);
    }
    signalKey(client, argv[1]);
    client.server.dirty += before - count;
  }
  client.out.ok();
}

/** LPOS's options. */
interface PositionOptions {
  rank: number;
  /**
   * RANK was INT64_MIN, which Redis negates in 64 bits: it stays negative,
   * so every match from the tail qualifies and the COUNT limit (computed
   * from it) never trips.
   */
  rankIsInt64Min: boolean;
  /** Matches to return; 0 for all; -1 when COUNT was not given. */
  count: number;
  /** Elements to compare at most; 0 for all. */
  maxlen: number;
}

function parsePositionOptions(
  client: Client,
  argv: string[],
): PositionOptions | null {
  const o: PositionOptions = {
    rank: 1,
    rankIsInt64Min: false,
    count: -1,
    maxlen: 0,
  };
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    const hasNext = j + 1 < argv.length;
    if (isKeyword(opt, "rank") && hasNext) {
      const n = integerArg(client, argv[++j]);
      if (n === null) return null;
      if (n === 0) {
        client.out.error(RANK_ZERO);
        return null;
      }
      o.rank = n;
      o.rankIsInt64Min = argv[j] === INT64_MIN_TEXT;
    } else if (isKeyword(opt, "count") && hasNext) {
      const message = "ERR COUNT can't be negative";
      const n = integerArg(client, argv[++j], message);
      if (n === null) return null;
      if (n < 0) {
        client.out.error(message);
        return null;
      }
      o.count = n;
    } else if (isKeyword(opt, "maxlen") && hasNext) {
      const message = "ERR MAXLEN can't be negative";
      const n = integerArg(client, argv[++j], message);
      if (n === null) return null;
      if (n < 0) {
        client.out.error(message);
        return null;
      }
      o.maxlen = n;
    } else {
      client.out.error(Errors.syntax);
      return null;
    }
  }
  return o;
}

function lpos(client: Client, argv: string[]): void {
  const o = parsePositionOptions(client, argv);
  if (o === null) return;
  const list = lookupList(client, argv[1], false);
  if (list === null) return;
  const withCount = o.count !== -1;
  if (list === undefined) {
    return withCount ? client.out.array(0) : client.out.null();
  }
  const fromTail = o.rank < 0;
  const skip = o.rankIsInt64Min ? 0 : Math.abs(o.rank) - 1;
  const limit = o.rankIsInt64Min ? 0 : o.count;
  const length = list.length;
  const scan = o.maxlen === 0 ? length : Math.min(o.maxlen, length);
  const element = argv[2];
  const found: number[] = [];
  let matches = 0;
  for (let n = 0; n < scan; n++) {
    const i = fromTail ? length - 1 - n : n;
    if (list.at(i) !== element || ++matches <= skip) continue;
    found.push(i);
    if (!withCount || (limit !== 0 && found.length === limit)) break;
  }
  if (withCount) {
    client.out.array(found.length);
    for (const i of found) client.out.integer(i);
  } else if (found.length === 0) client.out.null();
  else client.out.integer(found[0]);
}

function moveGeneric(
  client: Client,
  source: string,
  destination: string,
  from: ListEnd,
  to: ListEnd,
): void {
  const list = lookupList(client, source, true);
  if (list === null) return;
  if (list === undefined) return client.out.null();
  const target = lookupList(client, destination, true);
  if (target === null) return;
  client.out.bulk(
    moveListElement(client, source, list, destination, target, from, to),
  );
}

function lmove(client: Client, argv: string[]): void {
  const from = listEndArg(client, argv[3]);
  if (from === null) return;
  const to = listEndArg(client, argv[4]);
  if (to === null) return;
  moveGeneric(client, argv[1], argv[2], from, to);
}

/** LMPOP's parsed arguments (BLMPOP parses the same after its timeout). */
export interface MultiPopArgs {
  keys: string[];
  end: ListEnd;
  count: number;
}

/**
 * Parses `numkeys key... LEFT|RIGHT [COUNT count]` starting at
 * `argv[numkeysIndex]`, as LMPOP and BLMPOP take it; replies with the error
 * and returns null when invalid.
 */
export function parseMultiPopArgs(
  client: Client,
  argv: string[],
  numkeysIndex: number,
): MultiPopArgs | null {
  const numkeysMessage = "ERR numkeys should be greater than 0";
  const numkeys = integerArg(client, argv[numkeysIndex], numkeysMessage);
  if (numkeys === null) return null;
  if (numkeys < 1) {
    client.out.error(numkeysMessage);
    return null;
  }
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= argv.length) {
    client.out.error(Errors.syntax);
    return null;
  }
  const end = listEndArg(client, argv[whereIndex]);
  if (end === null) return null;
  let count = -1;
  for (let j = whereIndex + 1; j < argv.length; j++) {
    if (count === -1 && isKeyword(argv[j], "count") && j + 1 < argv.length) {
      const countMessage = "ERR count should be greater than 0";
      const n = integerArg(client, argv[++j], countMessage);
      if (n === null) return null;
      if (n < 1) {
        client.out.error(countMessage);
        return null;
      }
      count = n;
    } else {
      client.out.error(Errors.syntax);
      return null;
    }
  }
  const keys = argv.slice(numkeysIndex + 1, whereIndex);
  return { keys, end, count: count === -1 ? 1 : count };
}

/**
 * The LPOP or RPOP of `count` elements that a multi-key pop propagates as
 * (LMPOP and BLMPOP: the replica pops from the key that was chosen).
 */
export function listPopForm(
  end: ListEnd,
  key: string,
  count: number,
): string[] {
  return [end === "left" ? "LPOP" : "RPOP", key, String(count)];
}

function lmpop(client: Client, argv: string[]): void {
  const args = parseMultiPopArgs(client, argv, 1);
  if (args === null) return;
  for (const key of args.keys) {
    const list = lookupList(client, key, true);
    if (list === null) return;
    if (list === undefined) continue;
    const popped = popFromList(client, key, list, args.end, args.count);
    client.server.propagation.rewrite(
      listPopForm(args.end, key, popped.length),
    );
    return replyKeyAndElements(client, key, popped);
  }
  client.out.nullArray();
}

/** Key specs of LMOVE and RPOPLPUSH: a source and a destination. */
const MOVE_KEY_SPECS = [
  keysAt(1, ["RW", "access", "delete"]),
  keysAt(2, ["RW", "insert"]),
];

/** The list command family. */
export const listCommands: CommandSpec[] = [
  {
    name: "lpush",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RW", "insert"])],
    summary: "Prepends one or more elements to a list, creating it if needed.",
    complexity: "O(1) per element pushed.",
    since: "1.0.0",
    group: "list",
    handler: (client, argv) => pushGeneric(client, argv, "left", false),
  },
  {
    name: "rpush",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RW", "insert"])],
    summary: "Appends one or more elements to a list, creating it if needed.",
    complexity: "O(1) per element pushed.",
    since: "1.0.0",
    group: "list",
    handler: (client, argv) => pushGeneric(client, argv, "right", false),
  },
  {
    name: "lpushx",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RW", "insert"])],
    summary: "Prepends elements to a list only when the list already exists.",
    complexity: "O(1) per element pushed.",
    since: "2.2.0",
    group: "list",
    handler: (client, argv) => pushGeneric(client, argv, "left", true),
  },
  {
    name: "rpushx",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RW", "insert"])],
    summary: "Appends elements to a list only when the list already exists.",
    complexity: "O(1) per element pushed.",
    since: "2.2.0",
    group: "list",
    handler: (client, argv) => pushGeneric(client, argv, "right", true),
  },
  {
    name: "lpop",
    arity: -2,
    flags: ["write", "fast"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RW", "access", "delete"])],
    summary:
      "Removes and returns the first elements of a list; deletes it once empty.",
    complexity: "O(N) for N elements popped.",
    since: "1.0.0",
    group: "list",
    handler: (client, argv) => popGeneric(client, argv, "left"),
  },
  {
    name: "rpop",
    arity: -2,
    flags: ["write", "fast"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RW", "access", "delete"])],
    summary:
      "Removes and returns the last elements of a list; deletes it once empty.",
    complexity: "O(N) for N elements popped.",
    since: "1.0.0",
    group: "list",
    handler: (client, argv) => popGeneric(client, argv, "right"),
  },
  {
    name: "llen",
    arity: 2,
    flags: ["readonly", "fast"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RO"])],
    summary: "Returns the number of elements in a list.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "list",
    handler: llen,
  },
  {
    name: "lrange",
    arity: 4,
    flags: ["readonly"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    summary: "Returns the elements of a list between two indexes.",
    complexity: "O(N) for N elements returned; reaching the start costs O(1).",
    since: "1.0.0",
    group: "list",
    handler: lrange,
  },
  {
    name: "lindex",
    arity: 3,
    flags: ["readonly"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    summary: "Returns the element of a list at an index.",
    complexity: "O(1) at any index.",
    since: "1.0.0",
    group: "list",
    handler: lindex,
  },
  {
    name: "lset",
    arity: 4,
    flags: ["write", "denyoom"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RW", "update"])],
    summary: "Replaces the element of a list at an index.",
    complexity: "O(1) at any index.",
    since: "1.0.0",
    group: "list",
    handler: lset,
  },
  {
    name: "linsert",
    arity: 5,
    flags: ["write", "denyoom"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RW", "insert"])],
    summary: "Inserts an element before or after the first copy of a pivot.",
    complexity: "O(N) where N is the distance to the pivot.",
    since: "2.2.0",
    group: "list",
    handler: linsert,
  },
  {
    name: "lrem",
    arity: 4,
    flags: ["write"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RW", "delete"])],
    summary: "Removes copies of an element from a list, from either end.",
    complexity: "O(N) where N is the length of the list.",
    since: "1.0.0",
    group: "list",
    handler: lrem,
  },
  {
    name: "ltrim",
    arity: 4,
    flags: ["write"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RW", "delete"])],
    summary: "Keeps only the elements of a list between two indexes.",
    complexity: "O(N) where N is the number of elements removed.",
    since: "1.0.0",
    group: "list",
    handler: ltrim,
  },
  {
    name: "lpos",
    arity: -3,
    flags: ["readonly"],
    acl: ["list"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    summary: "Returns the indexes of the elements of a list equal to a value.",
    complexity:
      "O(N) where N is the number of elements compared (MAXLEN bounds it).",
    since: "6.0.6",
    group: "list",
    handler: lpos,
  },
  {
    name: "lmove",
    arity: 5,
    flags: ["write", "denyoom"],
    acl: ["list"],
    keySpecs: MOVE_KEY_SPECS,
    summary:
      "Pops an element from one end of a list and pushes it onto an end of another list (or the same one).",
    complexity: "O(1)",
    since: "6.2.0",
    group: "list",
    handler: lmove,
  },
  {
    name: "rpoplpush",
    arity: 3,
    flags: ["write", "denyoom"],
    acl: ["list"],
    keySpecs: MOVE_KEY_SPECS,
    summary:
      "Pops the last element of a list and pushes it onto the head of another list (or the same one).",
    complexity: "O(1)",
    since: "1.2.0",
    group: "list",
    docFlags: ["deprecated"],
    deprecatedSince: "6.2.0",
    replacedBy: "`LMOVE` with the `RIGHT` and `LEFT` arguments",
    handler: (client, argv) =>
      moveGeneric(client, argv[1], argv[2], "right", "left"),
  },
  {
    name: "lmpop",
    arity: -4,
    flags: ["write"],
    acl: ["list"],
    keySpecs: [keysCounted(1, ["RW", "access", "delete"])],
    summary: "Pops elements from the first non-empty list among several keys.",
    complexity: "O(N+M) for N keys tried and M elements popped.",
    since: "7.0.0",
    group: "list",
    handler: lmpop,
  },
];
