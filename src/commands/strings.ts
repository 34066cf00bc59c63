/**
 * String commands (Redis's t_string.c).
 * @module
 */

import type { Client } from "../client.ts";
import { parseInt64 } from "../util/numbers.ts";
import type { CommandSpec, KeyReference } from "./table.ts";
import { isString } from "../store/keyspace.ts";
import {
  Errors,
  isKeyword,
  lookupRead,
  lookupWrite,
  replyStringValue,
} from "./util.ts";

const INT64_MAX = 9223372036854775807n;
const INVALID_SET_EXPIRE = "ERR invalid expire time in 'set' command";

/** Replies with the string at `key` (or null); false after a WRONGTYPE error. */
function replyString(client: Client, key: string): boolean {
  const value = lookupRead(client, key);
  if (value === undefined) {
    client.out.null();
    return true;
  }
  if (!isString(value)) {
    client.out.error(Errors.wrongType);
    return false;
  }
  replyStringValue(client, value);
  return true;
}

function get(client: Client, argv: string[]): void {
  replyString(client, argv[1]);
}

/** SET's parsed options. */
interface SetOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  /** Absolute expiry in Unix ms, or -1 for none. */
  expireAt: number;
}

/**
 * Parses SET's options as Redis's parseExtendedStringArgumentsOrReply does:
 * NX/XX exclusive, one expiry form, KEEPTTL not with an expiry. Replies with
 * the error and returns null when invalid.
 */
function parseSetOptions(client: Client, argv: string[]): SetOptions | null {
  const o: SetOptions = {
    nx: false,
    xx: false,
    get: false,
    keepTtl: false,
    expireAt: -1,
  };
  let unit: "EX" | "PX" | "EXAT" | "PXAT" | "" = "";
  let expireArg = "";
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toUpperCase();
    const hasNext = j + 1 < argv.length;
    if (opt === "NX" && !o.xx) o.nx = true;
    else if (opt === "XX" && !o.nx) o.xx = true;
    else if (opt === "GET") o.get = true;
    else if (opt === "KEEPTTL" && unit === "") o.keepTtl = true;
    else if (
      (opt === "EX" || opt === "PX" || opt === "EXAT" || opt === "PXAT") &&
      !o.keepTtl && (unit === "" || unit === opt) && hasNext
    ) {
      unit = opt;
      expireArg = argv[++j];
    } else {
      client.out.error(Errors.syntax);
      return null;
    }
  }
  if (unit !== "") {
    const at = setExpireTime(client, expireArg, unit);
    if (at === null) return null;
    o.expireAt = at;
  }
  return o;
}

/**
 * SET's absolute expiry in Unix ms, computed in exact 64-bit arithmetic as
 * Redis does (doubles would misjudge the overflow limits); null after
 * replying with the error.
 */
function setExpireTime(
  client: Client,
  arg: string,
  unit: "EX" | "PX" | "EXAT" | "PXAT",
): number | null {
  let n = parseInt64(arg);
  if (n === null) {
    client.out.error(Errors.notInteger);
    return null;
  }
  const seconds = unit === "EX" || unit === "EXAT";
  // bigint division truncates toward zero, as C's LLONG_MAX / 1000 does.
  if (n <= 0n || (seconds && n > INT64_MAX / 1000n)) {
    client.out.error(INVALID_SET_EXPIRE);
    return null;
  }
  if (seconds) n *= 1000n;
  if (unit === "EX" || unit === "PX") n += BigInt(client.server.now);
  // Redis's signed addition wraps past INT64_MAX, and it rejects the result.
  if (n > INT64_MAX) {
    client.out.error(INVALID_SET_EXPIRE);
    return null;
  }
  return Number(n);
}

function set(client: Client, argv: string[]): void {
  const options = parseSetOptions(client, argv);
  if (!options) return;
  const key = argv[1];
  if (options.get && !replyString(client, key)) return;
  const found = lookupWrite(client, key) !== undefined;
  if ((options.nx && found) || (options.xx && !found)) {
    if (!options.get) client.out.null();
    return;
  }
  const db = client.db;
  if (options.keepTtl) db.overwrite(key, argv[2]);
  else db.set(key, argv[2]);
  if (options.expireAt !== -1) db.setExpire(key, options.expireAt);
  client.server.dirty++;
  if (!options.get) client.out.ok();
}

const RW_ACCESS_UPDATE = "RW and ACCESS due to the optional `GET` argument";

/**
 * SET's key and how it is used (Redis's setGetKeys): with GET it is read
 * too, otherwise only overwritten.
 */
function setKeys(argv: string[]): KeyReference[] {
  const get = argv.slice(3).some((a) => isKeyword(a, "get"));
  return [{
    pos: 1,
    flags: get ? ["RW", "access", "update"] : ["OW", "update"],
  }];
}

/** String commands for the command table. */
export const stringCommands: CommandSpec[] = [
  {
    name: "get",
    arity: 2,
    flags: ["readonly", "fast"],
    acl: ["string"],
    keySpecs: [
      {
        flags: ["RO", "access"],
        beginSearch: { index: 1 },
        findKeys: { lastkey: 0, keystep: 1, limit: 0 },
      },
    ],
    summary: "Returns the string value of a key.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "string",
    handler: get,
  },
  {
    name: "set",
    arity: -3,
    flags: ["write", "denyoom"],
    acl: ["string"],
    keySpecs: [
      {
        flags: ["RW", "access", "update", "variable_flags"],
        notes: RW_ACCESS_UPDATE,
        beginSearch: { index: 1 },
        findKeys: { lastkey: 0, keystep: 1, limit: 0 },
      },
    ],
    summary:
      "Sets the string value of a key, with optional conditions and expiry; can return the previous value.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "string",
    handler: set,
    getKeys: setKeys,
  },
];
