/**
 * Generic keyspace commands (Redis's db.c and expire.c).
 * @module
 */

import type { Client } from "../client.ts";
import { parseInt64 } from "../util/numbers.ts";
import type { CommandSpec } from "./table.ts";
import { Errors, lookupRead, lookupWrite } from "./util.ts";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function del(client: Client, argv: string[]): void {
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    if (
      lookupWrite(client, argv[i]) !== undefined && client.db.delete(argv[i])
    ) {
      deleted++;
    }
  }
  client.server.dirty += deleted;
  client.out.integer(deleted);
}

function exists(client: Client, argv: string[]): void {
  let count = 0;
  for (let i = 1; i < argv.length; i++) {
    if (lookupRead(client, argv[i]) !== undefined) count++;
  }
  client.out.integer(count);
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
      client.out.error(`ERR Unsupported option ${argv[j]}`);
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
  if (when <= client.server.now) db.delete(key);
  else db.setExpire(key, when);
  client.server.dirty++;
  client.out.integer(1);
}

function expire(client: Client, argv: string[]): void {
  expireGeneric(client, argv, client.server.now, "s", "expire");
}

/** TTL and PTTL: -2 for no key, -1 for no expiry; TTL rounds to the nearest second. */
export function ttlGeneric(
  client: Client,
  key: string,
  unit: "s" | "ms",
): void {
  if (lookupRead(client, key) === undefined) {
    client.out.integer(-2);
    return;
  }
  const at = client.db.getExpire(key);
  if (at === -1) {
    client.out.integer(-1);
    return;
  }
  const ttl = Math.max(at - client.server.now, 0);
  client.out.integer(unit === "ms" ? ttl : Math.floor((ttl + 500) / 1000));
}

function ttl(client: Client, argv: string[]): void {
  ttlGeneric(client, argv[1], "s");
}

/** Generic keyspace commands for the command table. */
export const keyCommands: CommandSpec[] = [
  {
    name: "del",
    arity: -2,
    flags: ["write"],
    acl: ["keyspace"],
    keySpecs: [
      {
        flags: ["RM", "delete"],
        beginSearch: { index: 1 },
        findKeys: { lastkey: -1, keystep: 1, limit: 0 },
      },
    ],
    tips: ["request_policy:multi_shard", "response_policy:agg_sum"],
    summary: "Deletes one or more keys.",
    complexity: "O(N) where N is the number of keys",
    since: "1.0.0",
    group: "generic",
    handler: del,
  },
  {
    name: "exists",
    arity: -2,
    flags: ["readonly", "fast"],
    acl: ["keyspace"],
    keySpecs: [
      {
        flags: ["RO"],
        beginSearch: { index: 1 },
        findKeys: { lastkey: -1, keystep: 1, limit: 0 },
      },
    ],
    tips: ["request_policy:multi_shard", "response_policy:agg_sum"],
    summary: "Counts how many of the given keys exist.",
    complexity: "O(N) where N is the number of keys",
    since: "1.0.0",
    group: "generic",
    handler: exists,
  },
  {
    name: "expire",
    arity: -3,
    flags: ["write", "fast"],
    acl: ["keyspace"],
    keySpecs: [
      {
        flags: ["RW", "update"],
        beginSearch: { index: 1 },
        findKeys: { lastkey: 0, keystep: 1, limit: 0 },
      },
    ],
    summary: "Sets a key's time to live in seconds.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "generic",
    handler: expire,
  },
  {
    name: "ttl",
    arity: 2,
    flags: ["readonly", "fast"],
    acl: ["keyspace"],
    keySpecs: [
      {
        flags: ["RO", "access"],
        beginSearch: { index: 1 },
        findKeys: { lastkey: 0, keystep: 1, limit: 0 },
      },
    ],
    tips: ["nondeterministic_output"],
    summary: "Returns a key's time to live in seconds.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "generic",
    handler: ttl,
  },
];
