/**
 * Generic keyspace commands (Redis's db.c and expire.c): DEL, UNLINK, EXISTS,
 * TYPE, KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX, MOVE, COPY, SWAPDB, the
 * EXPIRE family, TTL family, PERSIST and TOUCH.
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import { notifyKeyspaceEvent, signalModifiedKey } from "../notify.ts";
import {
  cloneValue,
  type Database,
  type RedisValue,
  typeName,
} from "../store/keyspace.ts";
import { touchAllWatchedKeysInDb } from "../multi.ts";
import { globMatch } from "../util/glob.ts";
import { parseInt64, parseInteger } from "../util/numbers.ts";
import { deletionOf } from "../propagate.ts";
import { cursorArg, replyScan, scanOptions } from "./scan.ts";
import { type CommandSpec, keysAt, type KeySpec } from "./table.ts";
import {
  cString,
  Errors,
  isKeyword,
  keyChanged,
  keyMissed,
  lookupRead,
  lookupWrite,
  notify,
  signalKey,
} from "./util.ts";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

const Messages = {
  sameObject: "ERR source and destination objects are the same",
  dbRange: "ERR DB index is out of range",
} as const;

/**
 * Looks a key up for reading without recording an access (Redis's
 * LOOKUP_NOTOUCH: TYPE, EXISTS, TTL, OBJECT); counts hits and misses, and
 * a miss fires `keymiss` unless `quiet` (OBJECT's LOOKUP_NONOTIFY).
 */
export function lookupNoTouch(
  client: Client,
  key: string,
  quiet = false,
): RedisValue | undefined {
  const value = client.db.peek(key, client.server.now);
  if (value !== undefined) client.server.stats.keyspaceHits++;
  else if (quiet) client.server.stats.keyspaceMisses++;
  else keyMissed(client, key);
  return value;
}

/**
 * A database index as Redis's getIntFromObjectOrReply reads it (`message`
 * replaces both of its errors); null after replying.
 */
function intArg(client: Client, text: string, message?: string): number | null {
  const n = parseInteger(text);
  if (n === null) {
    client.out.error(message ?? Errors.notInteger);
    return null;
  }
  if (n < -2147483648 || n > 2147483647) {
    client.out.error(
      message ??
        "ERR value is out of range, value must between -2147483648 and 2147483647",
    );
    return null;
  }
  return n;
}

/** The database numbered `id`, or undefined (then selectDb would fail). */
function dbAt(client: Client, id: number): Database | undefined {
  return id >= 0 ? client.server.dbs[id] : undefined;
}

function del(client: Client, argv: string[]): void {
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    if (
      lookupWrite(client, argv[i]) !== undefined && client.db.delete(argv[i])
    ) {
      keyChanged(client, Notify.generic, "del", argv[i]);
      deleted++;
    }
  }
  client.server.dirty += deleted;
  client.out.integer(deleted);
}

function exists(client: Client, argv: string[]): void {
  let count = 0;
  for (let i = 1; i < argv.length; i++) {
    if (lookupNoTouch(client, argv[i]) !== undefined) count++;
  }
  client.out.integer(count);
}

function touch(client: Client, argv: string[]): void {
  let count = 0;
  for (let i = 1; i < argv.length; i++) {
    if (lookupRead(client, argv[i]) !== undefined) count++;
  }
  client.out.integer(count);
}

function type(client: Client, argv: string[]): void {
  const value = lookupNoTouch(client, argv[1]);
  client.out.simple(value === undefined ? "none" : typeName(value));
}

function keys(client: Client, argv: string[]): void {
  const pattern = argv[1];
  const all = pattern === "*";
  const db = client.db;
  const now = client.server.now;
  const found: string[] = [];
  // Expired keys are skipped, not removed, as Redis's KEYS does.
  for (const key of db.keyNames()) {
    if ((all || globMatch(pattern, key)) && !db.isExpired(key, now)) {
      found.push(key);
    }
  }
  client.out.bulkArray(found);
}

function scan(client: Client, argv: string[]): void {
  const cursor = cursorArg(client, argv[1]);
  if (cursor === null) return;
  const options = scanOptions(client, argv, 2, true);
  if (!options) return;
  const { count, pattern, type: wantedType } = options;
  const db = client.db;
  const step = db.scan(cursor, count);
  const found: string[] = [];
  for (const key of step.keys) {
    if (pattern !== undefined && !globMatch(pattern, key)) continue;
    if (wantedType !== undefined) {
      const value = lookupNoTouch(client, key);
      if ((value === undefined ? "none" : typeName(value)) !== wantedType) {
        continue;
      }
    } else if (db.peek(key, client.server.now) === undefined) {
      continue; // expired: removed now, never reported
    }
    found.push(key);
  }
  replyScan(client, step.cursor, found);
}

function randomkey(client: Client): void {
  const key = client.db.randomKey(client.server.now);
  if (key === undefined) client.out.null();
  else client.out.bulk(key);
}

/** RENAME and RENAMENX (Redis's renameGenericCommand); the TTL moves with the key. */
function renameGeneric(client: Client, argv: string[], nx: boolean): void {
  const [, from, to] = argv;
  const db = client.db;
  const value = lookupWrite(client, from);
  if (value === undefined) {
    client.out.error(Errors.noSuchKey);
    return;
  }
  if (from === to) {
    if (nx) client.out.integer(0);
    else client.out.ok();
    return;
  }
  const expireAt = db.getExpire(from);
  if (lookupWrite(client, to) !== undefined) {
    if (nx) {
      client.out.integer(0);
      return;
    }
    db.delete(to);
  }
  db.set(to, value);
  client.server.blocking.signalKeyAsReady(db, to);
  if (expireAt !== -1) db.setExpire(to, expireAt);
  db.delete(from);
  signalKey(client, from);
  signalKey(client, to);
  notify(client, Notify.generic, "rename_from", from);
  notify(client, Notify.generic, "rename_to", to);
  client.server.dirty++;
  if (nx) client.out.integer(1);
  else client.out.ok();
}

function move(client: Client, argv: string[]): void {
  const key = argv[1];
  const id = intArg(client, argv[2]);
  if (id === null) return;
  const dst = dbAt(client, id);
  if (!dst) {
    client.out.error(Messages.dbRange);
    return;
  }
  const src = client.db;
  if (src === dst) {
    client.out.error(Messages.sameObject);
    return;
  }
  const value = lookupWrite(client, key);
  if (value === undefined || dst.get(key, client.server.now) !== undefined) {
    client.out.integer(0);
    return;
  }
  const expireAt = src.getExpire(key);
  dst.set(key, value);
  client.server.blocking.signalKeyAsReady(dst, key);
  if (expireAt !== -1) dst.setExpire(key, expireAt);
  src.delete(key);
  const server = client.server;
  signalModifiedKey(server, src, key);
  signalModifiedKey(server, dst, key);
  notifyKeyspaceEvent(server, Notify.generic, "move_from", key, src.id);
  notifyKeyspaceEvent(server, Notify.generic, "move_to", key, dst.id);
  server.dirty++;
  client.out.integer(1);
}

function copy(client: Client, argv: string[]): void {
  const [, from, to] = argv;
  const src = client.db;
  let dst = src;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    if (isKeyword(argv[j], "replace")) {
      replace = true;
    } else if (isKeyword(argv[j], "db") && j + 1 < argv.length) {
      const id = parseInt64(argv[++j]);
      if (id === null) {
        client.out.error(Errors.notInteger);
        return;
      }
      // Redis narrows the index to a C int before selecting the database.
      const target = dbAt(client, Number(BigInt.asIntN(32, id)));
      if (!target) {
        client.out.error(Messages.dbRange);
        return;
      }
      dst = target;
    } else {
      client.out.error(Errors.syntax);
      return;
    }
  }
  if (src === dst && from === to) {
    client.out.error(Messages.sameObject);
    return;
  }
  const value = lookupRead(client, from);
  if (value === undefined) {
    client.out.integer(0);
    return;
  }
  const expireAt = src.getExpire(from);
  if (dst.get(to, client.server.now) !== undefined) {
    if (!replace) {
      client.out.integer(0);
      return;
    }
    dst.delete(to);
  }
  dst.set(to, cloneValue(value));
  client.server.blocking.signalKeyAsReady(dst, to);
  if (expireAt !== -1) dst.setExpire(to, expireAt);
  signalModifiedKey(client.server, dst, to);
  notifyKeyspaceEvent(client.server, Notify.generic, "copy_to", to, dst.id);
  client.server.dirty++;
  client.out.integer(1);
}

function swapdb(client: Client, argv: string[]): void {
  const first = intArg(client, argv[1], "ERR invalid first DB index");
  if (first === null) return;
  const second = intArg(client, argv[2], "ERR invalid second DB index");
  if (second === null) return;
  const a = dbAt(client, first);
  const b = dbAt(client, second);
  if (!a || !b) {
    client.out.error(Messages.dbRange);
    return;
  }
  if (a !== b) {
    // Watchers stay with their database number, so its new contents count.
    touchAllWatchedKeysInDb(client.server, a, b);
    touchAllWatchedKeysInDb(client.server, b, a);
    a.swap(b);
    // Waiters stay with their database number and see its new contents.
    client.server.blocking.signalExistingKeys(a);
    client.server.blocking.signalExistingKeys(b);
  }
  client.server.dirty++;
  client.out.ok();
}

/** EXPIRE's NX/XX/GT/LT flags. */
interface ExpireFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
}

function parseExpireFlags(client: Client, argv: string[]): ExpireFlags | null {
  const f: ExpireFlags = { nx: false, xx: false, gt: false, lt: false };
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    if (opt === "nx" || opt === "xx" || opt === "gt" || opt === "lt") {
      f[opt] = true;
    } else {
      client.out.error(`ERR Unsupported option ${cString(argv[j])}`);
      return null;
    }
  }
  if (f.nx && (f.xx || f.gt || f.lt)) {
    client.out.error(
      "ERR NX and XX, GT or LT options at the same time are not compatible",
    );
    return null;
  }
  if (f.gt && f.lt) {
    client.out.error(
      "ERR GT and LT options at the same time are not compatible",
    );
    return null;
  }
  return f;
}

/**
 * The absolute expiry for an EXPIRE-family argument, as exact 64-bit
 * arithmetic like Redis's (doubles would misjudge the overflow limits); null
 * after replying with the error.
 */
function expireTime(
  client: Client,
  arg: string,
  basetime: number,
  unit: "s" | "ms",
  fullName: string,
): bigint | null {
  let when = parseInt64(arg);
  if (when === null) {
    client.out.error(Errors.notInteger);
    return null;
  }
  const invalid = `ERR invalid expire time in '${fullName}' command`;
  if (unit === "s") {
    // bigint division truncates toward zero, as C's LLONG_MAX / 1000 does.
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) {
      client.out.error(invalid);
      return null;
    }
    when *= 1000n;
  }
  const base = BigInt(basetime);
  if (when > INT64_MAX - base) {
    client.out.error(invalid);
    return null;
  }
  return when + base;
}

/**
 * EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT (Redis's expireGenericCommand):
 * `basetime` is added to the argument (now, or 0 for absolute times).
 */
export function expireGeneric(
  client: Client,
  argv: string[],
  basetime: number,
  unit: "s" | "ms",
  fullName: string,
): void {
  const flags = parseExpireFlags(client, argv);
  if (!flags) return;
  const at = expireTime(client, argv[2], basetime, unit, fullName);
  if (at === null) return;
  const when = Number(at);
  const key = argv[1];
  const db = client.db;
  if (lookupWrite(client, key) === undefined) {
    client.out.integer(0);
    return;
  }
  const current = db.getExpire(key);
  if (
    (flags.nx && current !== -1) ||
    (flags.xx && current === -1) ||
    (flags.gt && (current === -1 || when <= current)) ||
    (flags.lt && current !== -1 && when >= current)
  ) {
    client.out.integer(0);
    return;
  }
  // A time already past deletes the key (a DEL, not an expiry event).
  const propagation = client.server.propagation;
  if (when <= client.server.now) {
    db.delete(key);
    keyChanged(client, Notify.generic, "del", key);
    propagation.rewrite(deletionOf(client.server, "lazyfree-lazy-expire", key));
  } else {
    db.setExpire(key, when);
    keyChanged(client, Notify.generic, "expire", key);
    // Relative times replay wrong later: replicas get PEXPIREAT, options kept.
    if (fullName !== "pexpireat") {
      propagation.rewrite(["PEXPIREAT", key, String(when), ...argv.slice(3)]);
    }
  }
  client.server.dirty++;
  client.out.integer(1);
}

/**
 * TTL, PTTL, EXPIRETIME and PEXPIRETIME (Redis's ttlGenericCommand): -2 for
 * no key, -1 for no expiry; seconds are rounded to the nearest.
 */
export function ttlGeneric(
  client: Client,
  key: string,
  unit: "s" | "ms",
  absolute = false,
): void {
  if (lookupNoTouch(client, key) === undefined) {
    client.out.integer(-2);
    return;
  }
  const at = client.db.getExpire(key);
  if (at === -1) {
    client.out.integer(-1);
    return;
  }
  const ms = absolute ? at : Math.max(at - client.server.now, 0);
  client.out.integer(unit === "ms" ? ms : Math.floor((ms + 500) / 1000));
}

function persist(client: Client, argv: string[]): void {
  if (lookupWrite(client, argv[1]) === undefined) {
    client.out.integer(0);
    return;
  }
  const removed = client.db.persist(argv[1]);
  if (removed) {
    keyChanged(client, Notify.generic, "persist", argv[1]);
    client.server.dirty++;
  }
  client.out.integer(removed ? 1 : 0);
}

/** The key spec of a command whose arguments from 1 on are all keys. */
function allKeys(...flags: string[]): KeySpec[] {
  return [keysAt(1, flags, { lastkey: -1 })];
}

/** Source (argument 1) and destination (argument 2) key specs. */
function twoKeys(source: string[], destination: string[]): KeySpec[] {
  return [keysAt(1, source), keysAt(2, destination)];
}

const EXPIRE_OPTIONS_HISTORY: [string, string][] = [[
  "7.0.0",
  "Added options: `NX`, `XX`, `GT` and `LT`.",
]];

/** An EXPIRE-family entry. */
function expireEntry(
  name: string,
  since: string,
  summary: string,
  handler: (client: Client, argv: string[]) => void,
): CommandSpec {
  return {
    name,
    arity: -3,
    flags: ["write", "fast"],
    acl: ["keyspace"],
    keySpecs: [keysAt(1, ["RW", "update"])],
    summary,
    complexity: "O(1)",
    since,
    group: "generic",
    history: EXPIRE_OPTIONS_HISTORY,
    handler,
  };
}

const TTL_HISTORY: [string, string][] = [["2.8.0", "Added the -2 reply."]];

/** A TTL-family entry; `relative` for TTL and PTTL. */
function ttlEntry(
  name: string,
  since: string,
  summary: string,
  handler: (client: Client, argv: string[]) => void,
  relative: boolean,
): CommandSpec {
  return {
    name,
    arity: 2,
    flags: ["readonly", "fast"],
    acl: ["keyspace"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    ...(relative ? { tips: ["nondeterministic_output"] } : {}),
    summary,
    complexity: "O(1)",
    since,
    group: "generic",
    ...(relative ? { history: TTL_HISTORY } : {}),
    handler,
  };
}

const MULTI_KEY_TIPS = [
  "request_policy:multi_shard",
  "response_policy:agg_sum",
];

/** Generic keyspace commands for the command table. */
export const keyCommands: CommandSpec[] = [
  {
    name: "del",
    arity: -2,
    flags: ["write"],
    acl: ["keyspace"],
    keySpecs: allKeys("RM", "delete"),
    tips: MULTI_KEY_TIPS,
    summary: "Deletes one or more keys.",
    complexity: "O(N) where N is the number of keys",
    since: "1.0.0",
    group: "generic",
    handler: del,
  },
  {
    name: "unlink",
    arity: -2,
    flags: ["write", "fast"],
    acl: ["keyspace"],
    keySpecs: allKeys("RM", "delete"),
    tips: MULTI_KEY_TIPS,
    summary:
      "Deletes one or more keys, freeing large values in the background in Redis.",
    complexity: "O(1) per key, plus O(N) for the values freed",
    since: "4.0.0",
    group: "generic",
    handler: del,
  },
  {
    name: "exists",
    arity: -2,
    flags: ["readonly", "fast"],
    acl: ["keyspace"],
    keySpecs: allKeys("RO"),
    tips: MULTI_KEY_TIPS,
    summary: "Counts how many of the given keys exist.",
    complexity: "O(N) where N is the number of keys",
    since: "1.0.0",
    group: "generic",
    history: [["3.0.3", "Accepts multiple `key` arguments."]],
    handler: exists,
  },
  {
    name: "touch",
    arity: -2,
    flags: ["readonly", "fast"],
    acl: ["keyspace"],
    keySpecs: allKeys("RO"),
    tips: MULTI_KEY_TIPS,
    summary: "Marks keys as just accessed; returns how many of them exist.",
    complexity: "O(N) where N is the number of keys",
    since: "3.2.1",
    group: "generic",
    handler: touch,
  },
  {
    name: "type",
    arity: 2,
    flags: ["readonly", "fast"],
    acl: ["keyspace"],
    keySpecs: [keysAt(1, ["RO"])],
    summary: "Returns the type of the value stored at a key.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "generic",
    handler: type,
  },
  {
    name: "keys",
    arity: 2,
    flags: ["readonly"],
    acl: ["keyspace", "dangerous"],
    keySpecs: [],
    tips: ["request_policy:all_shards", "nondeterministic_output_order"],
    summary: "Returns every key name matching a glob pattern.",
    complexity:
      "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
    since: "1.0.0",
    group: "generic",
    handler: keys,
  },
  {
    name: "scan",
    arity: -2,
    flags: ["readonly"],
    acl: ["keyspace"],
    keySpecs: [],
    tips: ["nondeterministic_output", "request_policy:special"],
    summary: "Walks the key names of the database a batch at a time.",
    complexity:
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
    since: "2.8.0",
    group: "generic",
    history: [["6.0.0", "Added the `TYPE` subcommand."]],
    handler: scan,
  },
  {
    name: "randomkey",
    arity: 1,
    flags: ["readonly"],
    acl: ["keyspace"],
    keySpecs: [],
    tips: ["request_policy:all_shards", "nondeterministic_output"],
    summary: "Returns a key name picked at random.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "generic",
    handler: randomkey,
  },
  {
    name: "rename",
    arity: 3,
    flags: ["write"],
    acl: ["keyspace"],
    keySpecs: twoKeys(["RW", "access", "delete"], ["OW", "update"]),
    summary: "Gives a key a new name, replacing any key of that name.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "generic",
    handler: (client, argv) => renameGeneric(client, argv, false),
  },
  {
    name: "renamenx",
    arity: 3,
    flags: ["write", "fast"],
    acl: ["keyspace"],
    keySpecs: twoKeys(["RW", "access", "delete"], ["OW", "insert"]),
    summary: "Gives a key a new name only when no key has that name.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "generic",
    history: [[
      "3.2.0",
      "The command no longer returns an error when source and destination names are the same.",
    ]],
    handler: (client, argv) => renameGeneric(client, argv, true),
  },
  {
    name: "move",
    arity: 3,
    flags: ["write", "fast"],
    acl: ["keyspace"],
    keySpecs: [keysAt(1, ["RW", "access", "update"])],
    summary: "Moves a key to another database.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "generic",
    handler: move,
  },
  {
    name: "copy",
    arity: -3,
    flags: ["write", "denyoom"],
    acl: ["keyspace"],
    keySpecs: twoKeys(["RO", "access"], ["OW", "update"]),
    summary: "Copies a key's value, optionally into another database.",
    complexity:
      "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
    since: "6.2.0",
    group: "generic",
    handler: copy,
  },
  {
    name: "swapdb",
    arity: 3,
    flags: ["write", "fast"],
    acl: ["keyspace", "dangerous"],
    keySpecs: [],
    summary: "Exchanges the contents of two databases.",
    complexity:
      "O(N) where N is the count of clients watching or blocking on keys from both databases.",
    since: "4.0.0",
    group: "server",
    handler: swapdb,
  },
  expireEntry(
    "expire",
    "1.0.0",
    "Sets a key's time to live in seconds.",
    (client, argv) =>
      expireGeneric(client, argv, client.server.now, "s", "expire"),
  ),
  expireEntry(
    "pexpire",
    "2.6.0",
    "Sets a key's time to live in milliseconds.",
    (client, argv) =>
      expireGeneric(client, argv, client.server.now, "ms", "pexpire"),
  ),
  expireEntry(
    "expireat",
    "1.2.0",
    "Sets a key's expiry as a Unix time in seconds.",
    (client, argv) => expireGeneric(client, argv, 0, "s", "expireat"),
  ),
  expireEntry(
    "pexpireat",
    "2.6.0",
    "Sets a key's expiry as a Unix time in milliseconds.",
    (client, argv) => expireGeneric(client, argv, 0, "ms", "pexpireat"),
  ),
  ttlEntry(
    "ttl",
    "1.0.0",
    "Returns a key's time to live in seconds.",
    (client, argv) => ttlGeneric(client, argv[1], "s"),
    true,
  ),
  ttlEntry(
    "pttl",
    "2.6.0",
    "Returns a key's time to live in milliseconds.",
    (client, argv) => ttlGeneric(client, argv[1], "ms"),
    true,
  ),
  ttlEntry(
    "expiretime",
    "7.0.0",
    "Returns a key's expiry as a Unix time in seconds.",
    (client, argv) => ttlGeneric(client, argv[1], "s", true),
    false,
  ),
  ttlEntry(
    "pexpiretime",
    "7.0.0",
    "Returns a key's expiry as a Unix time in milliseconds.",
    (client, argv) => ttlGeneric(client, argv[1], "ms", true),
    false,
  ),
  {
    name: "persist",
    arity: 2,
    flags: ["write", "fast"],
    acl: ["keyspace"],
    keySpecs: [keysAt(1, ["RW", "update"])],
    summary: "Removes a key's expiry.",
    complexity: "O(1)",
    since: "2.2.0",
    group: "generic",
    handler: persist,
  },
];
