/**
 * The blocking list and sorted-set pops: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
 * BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP. Each serves at once when data is
 * there, with the same step as its non-blocking form, and otherwise blocks
 * the client (src/blocking.ts) with a waiter that serves it the same way.
 * @module
 */

import type { WaiterKind } from "../blocking.ts";
import type { Client } from "../client.ts";
import { ListValue } from "../store/list.ts";
import { SortedSet } from "../store/zset.ts";
import { parseLongDouble } from "../util/long_double.ts";
import {
  isListOrMissing,
  type ListEnd,
  listEndArg,
  listPopForm,
  lookupList,
  moveListElement,
  parseMultiPopArgs,
  popFromList,
  replyKeyAndElements,
} from "./lists.ts";
import { type CommandSpec, keysAt, keysCounted } from "./table.ts";
import { Errors, lookupWrite } from "./util.ts";
import {
  firstSortedSetKey,
  numkeysArg,
  parsePopEnd,
  type PopEnd,
  popFromSortedSet,
  replyPopped,
  zsetPopForm,
} from "./zsets.ts";

const NOT_FLOAT = "ERR timeout is not a float or out of range";
const NEGATIVE = "ERR timeout is negative";

/**
 * Parses a timeout in seconds as Redis does (a long double, scaled to ms
 * and rounded up; what does not fit a 64-bit integer reads as negative).
 * Returns the deadline in Unix ms, 0 for "forever", or null after replying.
 */
function timeoutArg(client: Client, text: string): number | null {
  const value = parseLongDouble(text);
  if (value === null) {
    client.out.error(NOT_FLOAT);
    return null;
  }
  let seconds = -Infinity;
  if (value.kind === "finite") {
    seconds = Number(value.mantissa) * 2 ** value.exponent;
    // A tiny positive value still rounds up to 1 ms.
    if (seconds === 0 && value.mantissa !== 0n) seconds = Number.MIN_VALUE;
    if (value.negative) seconds = -seconds;
  }
  const ms = Math.ceil(seconds * 1000);
  if (!(ms < 2 ** 63) || ms < 0) {
    client.out.error(NEGATIVE);
    return null;
  }
  return ms === 0 ? 0 : client.server.now + ms;
}

/** The list at `key` when it holds one, for serving a waiter. */
function readyList(client: Client, key: string): ListValue | undefined {
  const value = lookupWrite(client, key);
  return value instanceof ListValue ? value : undefined;
}

/** Timeouts of list and sorted-set waiters reply a null array, as Redis. */
function replyNullArray(client: Client): void {
  client.out.nullArray();
}

/**
 * Propagates a served pop as the non-blocking command it amounts to (Redis
 * rewrites BLPOP as LPOP and so on: a replica must not block). Served at
 * once it replaces the blocking command (`serveNow`); served later it
 * follows the command that woke it.
 */
function propagateServed(receiver: Client, argv: string[]): void {
  receiver.server.propagation.also(receiver.db.id, argv);
}

/** Serves `client` at once from `key`; the served form replaces its own. */
function serveNow(client: Client, kind: WaiterKind, key: string): void {
  kind.serve(client, key);
  client.server.propagation.prevent();
}

/** Blocks `client` on `keys`, or replies as on timeout where it may not block. */
export function blockOn(
  client: Client,
  keys: readonly string[],
  deadline: number,
  kind: WaiterKind,
): void {
  // Inside EXEC nothing may block: the command answers as if it timed out.
  if (client.server.inExec) kind.timedOut(client);
  else client.server.blocking.block(client, keys, deadline, kind);
}

/** BLPOP and BRPOP. */
function blockingPop(client: Client, argv: string[], end: ListEnd): void {
  const deadline = timeoutArg(client, argv[argv.length - 1]);
  if (deadline === null) return;
  const keys = argv.slice(1, -1);
  const kind: WaiterKind = {
    serve(receiver, key) {
      const list = readyList(receiver, key);
      if (list === undefined) return false;
      const element = popFromList(receiver, key, list, end, 1)[0];
      propagateServed(receiver, [end === "left" ? "LPOP" : "RPOP", key]);
      receiver.out.array(2);
      receiver.out.bulk(key);
      receiver.out.bulk(element);
      return true;
    },
    timedOut: replyNullArray,
  };
  for (const key of keys) {
    const list = lookupList(client, key, true);
    if (list === null) return;
    if (list !== undefined) {
      serveNow(client, kind, key);
      return;
    }
  }
  blockOn(client, keys, deadline, kind);
}

/**
 * BLMOVE and BRPOPLPUSH once their arguments are parsed. `servedNowAs` is
 * what the command propagates when served at once; served later it
 * propagates as Redis builds it then (LMOVE with lowercase ends).
 */
function blockingMove(
  client: Client,
  source: string,
  destination: string,
  from: ListEnd,
  to: ListEnd,
  deadline: number,
  servedNowAs: string[],
): void {
  const kind: WaiterKind = {
    serve(receiver, key) {
      const list = readyList(receiver, key);
      if (list === undefined) return false;
      const target = lookupWrite(receiver, destination);
      if (!isListOrMissing(target)) {
        // Served with the error; the source keeps its element.
        receiver.out.error(Errors.wrongType);
        return true;
      }
      receiver.out.bulk(
        moveListElement(receiver, key, list, destination, target, from, to),
      );
      propagateServed(
        receiver,
        servedNowAs[0] === "LMOVE"
          ? ["LMOVE", key, destination, from, to]
          : ["RPOPLPUSH", key, destination],
      );
      return true;
    },
    timedOut: replyNullArray,
  };
  const list = lookupList(client, source, true);
  if (list === null) return;
  if (list === undefined) {
    // Inside EXEC Redis answers a null, not the timeout's null array.
    if (client.server.inExec) return client.out.null();
    return blockOn(client, [source], deadline, kind);
  }
  const target = lookupList(client, destination, true);
  if (target === null) return;
  client.out.bulk(
    moveListElement(client, source, list, destination, target, from, to),
  );
  client.server.propagation.rewrite(servedNowAs);
}

function blmove(client: Client, argv: string[]): void {
  const from = listEndArg(client, argv[3]);
  if (from === null) return;
  const to = listEndArg(client, argv[4]);
  if (to === null) return;
  const deadline = timeoutArg(client, argv[5]);
  if (deadline === null) return;
  blockingMove(client, argv[1], argv[2], from, to, deadline, [
    "LMOVE",
    ...argv.slice(1, 5),
  ]);
}

function brpoplpush(client: Client, argv: string[]): void {
  const deadline = timeoutArg(client, argv[3]);
  if (deadline === null) return;
  blockingMove(client, argv[1], argv[2], "right", "left", deadline, [
    "RPOPLPUSH",
    argv[1],
    argv[2],
  ]);
}

function blmpop(client: Client, argv: string[]): void {
  const deadline = timeoutArg(client, argv[1]);
  if (deadline === null) return;
  const args = parseMultiPopArgs(client, argv, 2);
  if (args === null) return;
  const kind: WaiterKind = {
    serve(receiver, key) {
      const list = readyList(receiver, key);
      if (list === undefined) return false;
      const popped = popFromList(receiver, key, list, args.end, args.count);
      propagateServed(receiver, listPopForm(args.end, key, popped.length));
      replyKeyAndElements(receiver, key, popped);
      return true;
    },
    timedOut: replyNullArray,
  };
  for (const key of args.keys) {
    const list = lookupList(client, key, true);
    if (list === null) return;
    if (list !== undefined) {
      serveNow(client, kind, key);
      return;
    }
  }
  blockOn(client, args.keys, deadline, kind);
}

/**
 * A waiter popping from a sorted set: one member replied as
 * `[key, member, score]` (BZPOPMIN, BZPOPMAX), or `count` members nested as
 * `[key, [[member, score]...]]` when `multi` (BZMPOP).
 */
function sortedSetWaiter(
  end: PopEnd,
  count: number,
  multi: boolean,
): WaiterKind {
  return {
    serve(receiver, key) {
      if (!(lookupWrite(receiver, key) instanceof SortedSet)) return false;
      const popped = popFromSortedSet(receiver, key, end, count);
      propagateServed(
        receiver,
        multi
          ? zsetPopForm(end, key, popped.length)
          : [end === "min" ? "ZPOPMIN" : "ZPOPMAX", key],
      );
      const out = receiver.out;
      if (multi) {
        out.array(2);
        out.bulk(key);
        replyPopped(receiver, popped, true);
      } else {
        out.array(3);
        out.bulk(key);
        out.bulk(popped[0].member);
        out.double(popped[0].score);
      }
      return true;
    },
    timedOut: replyNullArray,
  };
}

function blockingZpop(client: Client, argv: string[], end: PopEnd): void {
  const deadline = timeoutArg(client, argv[argv.length - 1]);
  if (deadline === null) return;
  const keys = argv.slice(1, -1);
  const kind = sortedSetWaiter(end, 1, false);
  const key = firstSortedSetKey(client, keys);
  if (key === null) return;
  if (key === undefined) return blockOn(client, keys, deadline, kind);
  serveNow(client, kind, key);
}

function bzmpop(client: Client, argv: string[]): void {
  const deadline = timeoutArg(client, argv[1]);
  if (deadline === null) return;
  const numkeys = numkeysArg(client, argv, 2);
  if (numkeys === null) return;
  const options = parsePopEnd(client, argv, numkeys + 3);
  if (options === null) return;
  const keys = argv.slice(3, 3 + numkeys);
  const kind = sortedSetWaiter(options.end, options.count, true);
  const key = firstSortedSetKey(client, keys);
  if (key === null) return;
  if (key === undefined) return blockOn(client, keys, deadline, kind);
  serveNow(client, kind, key);
}

/** Key specs of commands whose keys run from argv[1] to the timeout. */
const KEYS_BEFORE_TIMEOUT = [
  keysAt(1, ["RW", "access", "delete"], { lastkey: -2 }),
];

/** Key specs of BLMPOP and BZMPOP: numkeys at argv[2]. */
const NUMKEYS_KEYS = [keysCounted(2, ["RW", "access", "delete"])];

/** Key specs of BLMOVE and BRPOPLPUSH: a source and a destination. */
const MOVE_KEYS = [
  keysAt(1, ["RW", "access", "delete"]),
  keysAt(2, ["RW", "insert"]),
];

const DOUBLE_TIMEOUT: [string, string][] = [[
  "6.0.0",
  "`timeout` is interpreted as a double instead of an integer.",
]];

/** The blocking pops. */
export const blockingCommands: CommandSpec[] = [
  {
    name: "blpop",
    arity: -3,
    flags: ["write", "noscript", "blocking"],
    acl: ["list"],
    keySpecs: KEYS_BEFORE_TIMEOUT,
    summary:
      "Pops the first element of the first non-empty list, waiting for one when all are empty.",
    complexity: "O(N) where N is the number of keys.",
    since: "2.0.0",
    group: "list",
    history: DOUBLE_TIMEOUT,
    handler: (client, argv) => blockingPop(client, argv, "left"),
  },
  {
    name: "brpop",
    arity: -3,
    flags: ["write", "noscript", "blocking"],
    acl: ["list"],
    keySpecs: KEYS_BEFORE_TIMEOUT,
    summary:
      "Pops the last element of the first non-empty list, waiting for one when all are empty.",
    complexity: "O(N) where N is the number of keys.",
    since: "2.0.0",
    group: "list",
    history: DOUBLE_TIMEOUT,
    handler: (client, argv) => blockingPop(client, argv, "right"),
  },
  {
    name: "blmove",
    arity: 6,
    flags: ["write", "denyoom", "noscript", "blocking"],
    acl: ["list"],
    keySpecs: MOVE_KEYS,
    summary:
      "Moves an element from one list end to an end of another list, waiting while the source is empty.",
    complexity: "O(1)",
    since: "6.2.0",
    group: "list",
    handler: blmove,
  },
  {
    name: "brpoplpush",
    arity: 4,
    flags: ["write", "denyoom", "noscript", "blocking"],
    acl: ["list"],
    keySpecs: MOVE_KEYS,
    summary:
      "Moves the last element of a list to the head of another, waiting while the source is empty.",
    complexity: "O(1)",
    since: "2.2.0",
    group: "list",
    history: DOUBLE_TIMEOUT,
    docFlags: ["deprecated"],
    deprecatedSince: "6.2.0",
    replacedBy: "`BLMOVE` with the `RIGHT` and `LEFT` arguments",
    handler: brpoplpush,
  },
  {
    name: "blmpop",
    arity: -5,
    flags: ["write", "blocking"],
    acl: ["list"],
    keySpecs: NUMKEYS_KEYS,
    summary:
      "Pops elements from the first non-empty list, waiting for one when all are empty.",
    complexity: "O(N+M) for N keys tried and M elements popped.",
    since: "7.0.0",
    group: "list",
    handler: blmpop,
  },
  {
    name: "bzpopmin",
    arity: -3,
    flags: ["write", "noscript", "blocking", "fast"],
    acl: ["sortedset"],
    keySpecs: KEYS_BEFORE_TIMEOUT,
    summary:
      "Pops the lowest-scored member of the first non-empty sorted set, waiting for one when all are empty.",
    complexity: "O(log(N)) with N the number of members in the sorted set.",
    since: "5.0.0",
    group: "sorted-set",
    history: DOUBLE_TIMEOUT,
    handler: (client, argv) => blockingZpop(client, argv, "min"),
  },
  {
    name: "bzpopmax",
    arity: -3,
    flags: ["write", "noscript", "blocking", "fast"],
    acl: ["sortedset"],
    keySpecs: KEYS_BEFORE_TIMEOUT,
    summary:
      "Pops the highest-scored member of the first non-empty sorted set, waiting for one when all are empty.",
    complexity: "O(log(N)) with N the number of members in the sorted set.",
    since: "5.0.0",
    group: "sorted-set",
    history: DOUBLE_TIMEOUT,
    handler: (client, argv) => blockingZpop(client, argv, "max"),
  },
  {
    name: "bzmpop",
    arity: -5,
    flags: ["write", "blocking"],
    acl: ["sortedset"],
    keySpecs: NUMKEYS_KEYS,
    summary:
      "Pops members from the first non-empty sorted set, waiting for one when all are empty.",
    complexity:
      "O(K) + O(M*log(N)) for K keys tried, M members popped, N members in the set.",
    since: "7.0.0",
    group: "sorted-set",
    handler: bzmpop,
  },
];
