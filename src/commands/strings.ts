/**
 * String commands (Redis's t_string.c).
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import { binaryToBytes } from "../protocol/binary.ts";
import { isString } from "../store/keyspace.ts";
import {
  mutableOf,
  MutableString,
  stringOf,
  type StringValue,
  unconvertedString,
} from "../store/string.ts";
import {
  addLongDouble,
  formatLongDouble,
  parseLongDouble,
} from "../util/long_double.ts";
import { parseInt64, parseInteger } from "../util/numbers.ts";
import { deletionOf } from "../propagate.ts";
import { type CommandSpec, type KeyReference, keysAt } from "./table.ts";
import {
  Errors,
  integerArg,
  isKeyword,
  keyChanged,
  lookupRead,
  lookupWrite,
  notify,
  replyStringValue,
} from "./util.ts";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

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

/**
 * Looks `key` up for writing; replies WRONGTYPE and returns null when it
 * holds another type.
 */
function lookupStringWrite(
  client: Client,
  key: string,
): StringValue | undefined | null {
  const value = lookupWrite(client, key);
  if (value === undefined || isString(value)) return value;
  client.out.error(Errors.wrongType);
  return null;
}

/**
 * Redis's checkStringLength: a string may not grow past
 * proto-max-bulk-len; replies with the error and returns false when it would.
 */
function checkStringLength(client: Client, length: number): boolean {
  if (length <= client.server.requestLimits.protoMaxBulkLen) return true;
  client.out.error(TOO_LONG);
  return false;
}

function get(client: Client, argv: string[]): void {
  replyString(client, argv[1]);
}

/** An expiry form of SET, GETEX, SETEX and PSETEX. */
type ExpireUnit = "ex" | "px" | "exat" | "pxat";

/** The options of SET and GETEX. */
interface StringOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  unit: ExpireUnit | "";
  expireArg: string;
}

/**
 * Parses SET's options (from argv[3]) or GETEX's (from argv[2]) as Redis's
 * parseExtendedStringArgumentsOrReply does: NX/XX exclusive, one expiry form
 * (repeating the same one is fine), KEEPTTL and PERSIST not with an expiry,
 * each option only for its command. Replies with the error and returns null
 * when invalid.
 */
function parseStringOptions(
  client: Client,
  argv: string[],
  forGetex: boolean,
): StringOptions | null {
  const o: StringOptions = {
    nx: false,
    xx: false,
    get: false,
    keepTtl: false,
    persist: false,
    unit: "",
    expireArg: "",
  };
  for (let j = forGetex ? 2 : 3; j < argv.length; j++) {
    const opt = argv[j].length <= 7 ? argv[j].toLowerCase() : "";
    const hasNext = j + 1 < argv.length;
    if (opt === "nx" && !forGetex && !o.xx) o.nx = true;
    else if (opt === "xx" && !forGetex && !o.nx) o.xx = true;
    else if (opt === "get" && !forGetex) o.get = true;
    else if (opt === "keepttl" && !forGetex && o.unit === "") o.keepTtl = true;
    else if (opt === "persist" && forGetex && o.unit === "") o.persist = true;
    else if (
      (opt === "ex" || opt === "px" || opt === "exat" || opt === "pxat") &&
      !o.keepTtl && !o.persist && (o.unit === "" || o.unit === opt) && hasNext
    ) {
      o.unit = opt;
      o.expireArg = argv[++j];
    } else {
      client.out.error(Errors.syntax);
      return null;
    }
  }
  return o;
}

/**
 * The absolute expiry in Unix ms for an expiry argument, computed in exact
 * 64-bit arithmetic as Redis's getExpireMillisecondsOrReply does (doubles
 * would misjudge the overflow limits); null after replying with the error,
 * which names `command`.
 */
function expireAt(
  client: Client,
  arg: string,
  unit: ExpireUnit,
  command: string,
): number | null {
  let n = parseInt64(arg);
  if (n === null) {
    client.out.error(Errors.notInteger);
    return null;
  }
  const invalid = `ERR invalid expire time in '${command}' command`;
  const seconds = unit === "ex" || unit === "exat";
  // bigint division truncates toward zero, as C's LLONG_MAX / 1000 does.
  if (n <= 0n || (seconds && n > INT64_MAX / 1000n)) {
    client.out.error(invalid);
    return null;
  }
  if (seconds) n *= 1000n;
  if (unit === "ex" || unit === "px") n += BigInt(client.server.now);
  // Redis's signed addition wraps past INT64_MAX, and it rejects the result.
  if (n > INT64_MAX) {
    client.out.error(invalid);
    return null;
  }
  return Number(n);
}

function set(client: Client, argv: string[]): void {
  const options = parseStringOptions(client, argv, false);
  if (!options) return;
  let at = -1;
  if (options.unit !== "") {
    const parsed = expireAt(client, options.expireArg, options.unit, "set");
    if (parsed === null) return;
    at = parsed;
  }
  const key = argv[1];
  if (options.get && !replyString(client, key)) return;
  const db = client.db;
  // The lookup decides NX/XX and first expires a stale key, as Redis's does;
  // a plain SET in a database without TTLs needs neither (the hot path).
  if (options.nx || options.xx || db.expires.size !== 0) {
    const found = lookupWrite(client, key) !== undefined;
    if ((options.nx && found) || (options.xx && !found)) {
      if (!options.get) client.out.null();
      return;
    }
  }
  if (options.keepTtl) db.overwrite(key, argv[2]);
  else db.set(key, argv[2]);
  keyChanged(client, Notify.string, "set", key);
  if (at !== -1) {
    db.setExpire(key, at);
    notify(client, Notify.generic, "expire", key);
    // A relative expiry replays wrong later: replicas get the absolute time.
    if (options.unit !== "pxat") propagateSetPxat(client, key, argv[2], at);
  }
  client.server.dirty++;
  if (!options.get) client.out.ok();
}

function setnx(client: Client, argv: string[]): void {
  if (lookupWrite(client, argv[1]) !== undefined) {
    client.out.integer(0);
    return;
  }
  client.db.set(argv[1], argv[2]);
  keyChanged(client, Notify.string, "set", argv[1]);
  client.server.dirty++;
  client.out.integer(1);
}

/** SETEX and PSETEX: SET with a relative expiry in `unit`. */
function setWithExpiry(
  client: Client,
  argv: string[],
  unit: ExpireUnit,
): void {
  const at = expireAt(client, argv[2], unit, argv[0].toLowerCase());
  if (at === null) return;
  client.db.set(argv[1], argv[3]);
  keyChanged(client, Notify.string, "set", argv[1]);
  client.db.setExpire(argv[1], at);
  notify(client, Notify.generic, "expire", argv[1]);
  propagateSetPxat(client, argv[1], argv[3], at);
  client.server.dirty++;
  client.out.ok();
}

/** Propagates a SET with an expiry as Redis does: `SET key value PXAT ms`. */
function propagateSetPxat(
  client: Client,
  key: string,
  value: string,
  at: number,
): void {
  client.server.propagation.rewrite(["SET", key, value, "PXAT", String(at)]);
}

function getex(client: Client, argv: string[]): void {
  const options = parseStringOptions(client, argv, true);
  if (!options) return;
  const key = argv[1];
  const value = lookupRead(client, key);
  if (value === undefined) {
    client.out.null();
    return;
  }
  if (!isString(value)) {
    client.out.error(Errors.wrongType);
    return;
  }
  let at = -1;
  if (options.unit !== "") {
    const parsed = expireAt(client, options.expireArg, options.unit, "getex");
    if (parsed === null) return;
    at = parsed;
  }
  replyStringValue(client, value);
  const db = client.db;
  const absolute = options.unit === "exat" || options.unit === "pxat";
  // Propagated as the key change it made, not as GETEX.
  const propagation = client.server.propagation;
  if (absolute && at <= client.server.now) {
    db.delete(key);
    keyChanged(client, Notify.generic, "del", key);
    propagation.rewrite(deletionOf(client.server, "lazyfree-lazy-expire", key));
    client.server.dirty++;
  } else if (at !== -1) {
    db.setExpire(key, at);
    keyChanged(client, Notify.generic, "expire", key);
    propagation.rewrite(["PEXPIREAT", key, String(at)]);
    client.server.dirty++;
  } else if (options.persist && db.persist(key)) {
    keyChanged(client, Notify.generic, "persist", key);
    propagation.rewrite(["PERSIST", key]);
    client.server.dirty++;
  }
}

function getdel(client: Client, argv: string[]): void {
  const value = lookupRead(client, argv[1]);
  if (value === undefined) {
    client.out.null();
    return;
  }
  if (!isString(value)) {
    client.out.error(Errors.wrongType);
    return;
  }
  replyStringValue(client, value);
  client.db.delete(argv[1]);
  keyChanged(client, Notify.generic, "del", argv[1]);
  client.server.propagation.rewrite(
    deletionOf(client.server, "lazyfree-lazy-user-del", argv[1]),
  );
  client.server.dirty++;
}

function getset(client: Client, argv: string[]): void {
  if (!replyString(client, argv[1])) return;
  client.db.set(argv[1], argv[2]);
  keyChanged(client, Notify.string, "set", argv[1]);
  client.server.propagation.rewrite(["SET", argv[1], argv[2]]);
  client.server.dirty++;
}

function mget(client: Client, argv: string[]): void {
  client.out.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const value = lookupRead(client, argv[i]);
    if (value === undefined || !isString(value)) client.out.null();
    else replyStringValue(client, value);
  }
}

/** MSET and MSETNX: pairs must come whole, and MSETNX sets none if any key exists. */
function msetGeneric(client: Client, argv: string[], nx: boolean): void {
  if (argv.length % 2 === 0) {
    client.out.error(
      `ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`,
    );
    return;
  }
  if (nx) {
    for (let i = 1; i < argv.length; i += 2) {
      if (lookupWrite(client, argv[i]) !== undefined) {
        client.out.integer(0);
        return;
      }
    }
  }
  for (let i = 1; i < argv.length; i += 2) {
    client.db.set(argv[i], argv[i + 1]);
    keyChanged(client, Notify.string, "set", argv[i]);
  }
  client.server.dirty += (argv.length - 1) / 2;
  if (nx) client.out.integer(1);
  else client.out.ok();
}

function append(client: Client, argv: string[]): void {
  const key = argv[1];
  const found = lookupStringWrite(client, key);
  if (found === null) return;
  if (found === undefined) {
    client.db.set(key, argv[2]);
    keyChanged(client, Notify.string, "append", key);
    client.server.dirty++;
    client.out.integer(argv[2].length);
    return;
  }
  if (!checkStringLength(client, found.length + argv[2].length)) return;
  // Changed in place from now on, as Redis turns the value raw; the TTL stays.
  const value = mutableOf(found);
  value.append(argv[2]);
  if (value !== found) client.db.overwrite(key, value);
  keyChanged(client, Notify.string, "append", key);
  client.server.dirty++;
  client.out.integer(value.length);
}

function strlen(client: Client, argv: string[]): void {
  const value = lookupRead(client, argv[1]);
  if (value === undefined) client.out.integer(0);
  else if (!isString(value)) client.out.error(Errors.wrongType);
  else client.out.integer(value.length);
}

/** GETRANGE and SUBSTR, with Redis's clamping of out-of-range indexes. */
function getrange(client: Client, argv: string[]): void {
  let start = integerArg(client, argv[2]);
  if (start === null) return;
  let end = integerArg(client, argv[3]);
  if (end === null) return;
  const value = lookupRead(client, argv[1]);
  if (value === undefined) {
    client.out.bulk("");
    return;
  }
  if (!isString(value)) {
    client.out.error(Errors.wrongType);
    return;
  }
  const length = value.length;
  // Both from the end and in reverse order: empty, before any clamping.
  if (start < 0 && end < 0 && start > end) {
    client.out.bulk("");
    return;
  }
  if (start < 0) start = Math.max(0, length + start);
  if (end < 0) end = Math.max(0, length + end);
  if (end >= length) end = length - 1;
  if (start > end || length === 0) client.out.bulk("");
  else if (typeof value === "string") {
    client.out.bulk(value.slice(start, end + 1));
  } else client.out.bulkBytes(value.view().subarray(start, end + 1));
}

function setrange(client: Client, argv: string[]): void {
  const offset = integerArg(client, argv[2]);
  if (offset === null) return;
  if (offset < 0) {
    client.out.error("ERR offset is out of range");
    return;
  }
  const key = argv[1];
  const patch = argv[3];
  const found = lookupStringWrite(client, key);
  if (found === null) return;
  if (patch.length === 0) {
    client.out.integer(found === undefined ? 0 : found.length);
    return;
  }
  if (!checkStringLength(client, offset + patch.length)) return;
  const value = found === undefined ? new MutableString() : mutableOf(found);
  value.write(offset, patch);
  if (found === undefined) client.db.set(key, value);
  else if (value !== found) client.db.overwrite(key, value);
  keyChanged(client, Notify.string, "setrange", key);
  client.server.dirty++;
  client.out.integer(value.length);
}

/**
 * Adds `increment` to the integer at `key` (missing counts as 0) with
 * Redis's 64-bit overflow check. Numbers carry the common case; bigints take
 * over only when a value leaves the range doubles hold exactly.
 */
function incrementBy(
  client: Client,
  key: string,
  increment: number | bigint,
): void {
  const found = lookupStringWrite(client, key);
  if (found === null) return;
  let current: number | bigint = 0;
  if (found !== undefined) {
    const text = stringOf(found);
    const n = parseInteger(text);
    if (n === null) {
      client.out.error(Errors.notInteger);
      return;
    }
    current = Number.isSafeInteger(n) ? n : BigInt(text);
  }
  // NaN stands for "not both numbers", sending the sum down the exact path.
  let result: number | bigint =
    typeof current === "number" && typeof increment === "number"
      ? current + increment
      : NaN;
  if (!Number.isSafeInteger(result)) {
    const sum = BigInt(current) + BigInt(increment);
    if (sum > INT64_MAX || sum < INT64_MIN) {
      client.out.error("ERR increment or decrement would overflow");
      return;
    }
    result = sum;
  }
  const text = String(result);
  if (found === undefined) client.db.set(key, text);
  else client.db.overwrite(key, text);
  keyChanged(client, Notify.string, "incrby", key);
  client.server.dirty++;
  client.out.integer(result);
}

/** An integer argument as a number when exact, else as a bigint; null after an error reply. */
function incrementArg(client: Client, text: string): number | bigint | null {
  const n = integerArg(client, text);
  if (n === null) return null;
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

function incr(client: Client, argv: string[]): void {
  incrementBy(client, argv[1], 1);
}

function decr(client: Client, argv: string[]): void {
  incrementBy(client, argv[1], -1);
}

function incrby(client: Client, argv: string[]): void {
  const increment = incrementArg(client, argv[2]);
  if (increment !== null) incrementBy(client, argv[1], increment);
}

function decrby(client: Client, argv: string[]): void {
  const decrement = incrementArg(client, argv[2]);
  if (decrement === null) return;
  if (decrement === INT64_MIN) {
    client.out.error("ERR decrement would overflow");
    return;
  }
  incrementBy(client, argv[1], -decrement);
}

/**
 * INCRBYFLOAT in 80-bit long double arithmetic, printed as Redis prints it
 * (util/long_double.ts), so results match Redis digit for digit.
 */
function incrbyfloat(client: Client, argv: string[]): void {
  const key = argv[1];
  const found = lookupStringWrite(client, key);
  if (found === null) return;
  const current = found === undefined
    ? parseLongDouble("0")
    : parseLongDouble(stringOf(found));
  const increment = parseLongDouble(argv[2]);
  if (current === null || increment === null) {
    client.out.error(Errors.notFloat);
    return;
  }
  const sum = addLongDouble(current, increment);
  if (sum.kind !== "finite") {
    client.out.error("ERR increment would produce NaN or Infinity");
    return;
  }
  const text = formatLongDouble(sum);
  // Redis stores the result without its int conversion: "3" reports embstr.
  const value = unconvertedString(text);
  if (found === undefined) client.db.set(key, value);
  else client.db.overwrite(key, value);
  keyChanged(client, Notify.string, "incrbyfloat", key);
  // The sum, not the increment: float rounding may differ where it replays.
  client.server.propagation.rewrite(["SET", key, text, "KEEPTTL"]);
  client.server.dirty++;
  client.out.bulk(text);
}

/** The bytes of a string value (a view for a MutableString). */
function bytesOf(value: StringValue | undefined): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  return typeof value === "string" ? binaryToBytes(value) : value.view();
}

/** One LCS match: ranges in both strings (inclusive) and its length. */
type LcsMatch = [number, number, number, number, number];

/**
 * LCS: the longest common subsequence of two strings by the classic dynamic
 * programme, walked back from the end as Redis walks it, so IDX reports the
 * same matches in the same order (last first).
 */
function lcs(client: Client, argv: string[]): void {
  const first = lookupRead(client, argv[1]);
  const second = lookupRead(client, argv[2]);
  if (
    (first !== undefined && !isString(first)) ||
    (second !== undefined && !isString(second))
  ) {
    client.out.error("ERR The specified keys must contain string values");
    return;
  }
  let getIdx = false, getLen = false, withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (isKeyword(opt, "idx")) getIdx = true;
    else if (isKeyword(opt, "len")) getLen = true;
    else if (isKeyword(opt, "withmatchlen")) withMatchLen = true;
    else if (isKeyword(opt, "minmatchlen") && j + 1 < argv.length) {
      const n = integerArg(client, argv[++j]);
      if (n === null) return;
      minMatchLen = Math.max(0, n);
    } else {
      client.out.error(Errors.syntax);
      return;
    }
  }
  if (getIdx && getLen) {
    client.out.error(
      "ERR If you want both the length and indexes, please just use IDX.",
    );
    return;
  }
  const a = bytesOf(first), b = bytesOf(second);
  const alen = a.length, blen = b.length;
  const width = blen + 1;
  const cells = (alen + 1) * width;
  if (cells * 4 > client.server.requestLimits.protoMaxBulkLen) {
    client.out.error(
      "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
    );
    return;
  }
  // table[i * width + j]: LCS length of a[0..i) and b[0..j).
  let table: Uint32Array;
  try {
    table = new Uint32Array(cells);
  } catch {
    client.out.error(
      "ERR Insufficient memory, failed allocating transient memory for LCS",
    );
    return;
  }
  for (let i = 1; i <= alen; i++) {
    const row = i * width, above = row - width, ai = a[i - 1];
    for (let j = 1; j <= blen; j++) {
      if (ai === b[j - 1]) table[row + j] = table[above + j - 1] + 1;
      else {
        const up = table[above + j], left = table[row + j - 1];
        table[row + j] = up > left ? up : left;
      }
    }
  }
  const length = table[cells - 1];
  if (getLen) {
    client.out.integer(length);
    return;
  }
  const result = new Uint8Array(length);
  const matches: LcsMatch[] = [];
  // The range being grown backwards; aStart === -1 when none is open.
  let aStart = -1, aEnd = 0, bStart = 0, bEnd = 0;
  let i = alen, j = blen, k = length;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[--k] = a[i - 1];
      if (aStart === -1) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else {
        // Consecutive matches always extend the open range backwards.
        aStart--;
        bStart--;
      }
      // A range touching the start of either string is the last one.
      if (aStart === 0 || bStart === 0) emit = true;
      i--;
      j--;
    } else {
      if (table[(i - 1) * width + j] > table[i * width + j - 1]) i--;
      else j--;
      if (aStart !== -1) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen) {
        matches.push([aStart, aEnd, bStart, bEnd, matchLen]);
      }
      aStart = -1;
    }
  }
  if (!getIdx) {
    client.out.bulkBytes(result);
    return;
  }
  const out = client.out;
  out.map(2);
  out.bulk("matches");
  out.array(matches.length);
  for (const [as, ae, bs, be, len] of matches) {
    out.array(withMatchLen ? 3 : 2);
    out.array(2);
    out.integer(as);
    out.integer(ae);
    out.array(2);
    out.integer(bs);
    out.integer(be);
    if (withMatchLen) out.integer(len);
  }
  out.bulk("len");
  out.integer(length);
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

/** Entries shared by INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT. */
function counter(
  name: string,
  arity: number,
  since: string,
  summary: string,
  handler: CommandSpec["handler"],
): CommandSpec {
  return {
    name,
    arity,
    flags: ["write", "denyoom", "fast"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["RW", "access", "update"])],
    summary,
    complexity: "O(1)",
    since,
    group: "string",
    handler,
  };
}

/** String commands for the command table. */
export const stringCommands: CommandSpec[] = [
  {
    name: "get",
    arity: 2,
    flags: ["readonly", "fast"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["RO", "access"])],
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
      keysAt(1, ["RW", "access", "update", "variable_flags"], {
        notes: RW_ACCESS_UPDATE,
      }),
    ],
    summary:
      "Sets the string value of a key, with optional conditions and expiry; can return the previous value.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "string",
    handler: set,
    getKeys: setKeys,
  },
  {
    name: "getex",
    arity: -2,
    flags: ["write", "fast"],
    acl: ["string"],
    keySpecs: [
      keysAt(1, ["RW", "access", "update"], {
        notes: "RW and UPDATE because it changes the TTL",
      }),
    ],
    summary: "Returns the string value of a key and sets or clears its expiry.",
    complexity: "O(1)",
    since: "6.2.0",
    group: "string",
    handler: getex,
  },
  {
    name: "getdel",
    arity: 2,
    flags: ["write", "fast"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["RW", "access", "delete"])],
    summary: "Returns the string value of a key and deletes the key.",
    complexity: "O(1)",
    since: "6.2.0",
    group: "string",
    handler: getdel,
  },
  {
    name: "getset",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["RW", "access", "update"])],
    summary: "Sets a new string value and returns the previous one.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "string",
    docFlags: ["deprecated"],
    deprecatedSince: "6.2.0",
    replacedBy: "`SET` with the `!GET` argument",
    handler: getset,
  },
  {
    name: "mget",
    arity: -2,
    flags: ["readonly", "fast"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["RO", "access"], { lastkey: -1 })],
    tips: ["request_policy:multi_shard"],
    summary: "Returns the string values of several keys.",
    complexity: "O(N) where N is the number of keys.",
    since: "1.0.0",
    group: "string",
    handler: mget,
  },
  {
    name: "mset",
    arity: -3,
    flags: ["write", "denyoom"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["OW", "update"], { lastkey: -1, keystep: 2 })],
    tips: ["request_policy:multi_shard", "response_policy:all_succeeded"],
    summary: "Sets the string values of several keys at once.",
    complexity: "O(N) where N is the number of keys.",
    since: "1.0.1",
    group: "string",
    handler: (client, argv) => msetGeneric(client, argv, false),
  },
  {
    name: "msetnx",
    arity: -3,
    flags: ["write", "denyoom"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["OW", "insert"], { lastkey: -1, keystep: 2 })],
    tips: ["request_policy:multi_shard", "response_policy:agg_min"],
    summary:
      "Sets the string values of several keys, only when none of them exists.",
    complexity: "O(N) where N is the number of keys.",
    since: "1.0.1",
    group: "string",
    handler: (client, argv) => msetGeneric(client, argv, true),
  },
  {
    name: "setnx",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["OW", "insert"])],
    summary: "Sets the string value of a key only when the key is missing.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "string",
    handler: setnx,
  },
  {
    name: "setex",
    arity: 4,
    flags: ["write", "denyoom"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["OW", "update"])],
    summary: "Sets a string value with an expiry in seconds.",
    complexity: "O(1)",
    since: "2.0.0",
    group: "string",
    handler: (client, argv) => setWithExpiry(client, argv, "ex"),
  },
  {
    name: "psetex",
    arity: 4,
    flags: ["write", "denyoom"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["OW", "update"])],
    summary: "Sets a string value with an expiry in milliseconds.",
    complexity: "O(1)",
    since: "2.6.0",
    group: "string",
    handler: (client, argv) => setWithExpiry(client, argv, "px"),
  },
  {
    name: "append",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["RW", "insert"])],
    summary:
      "Appends a string to the value of a key, creating the key when missing.",
    complexity:
      "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
    since: "2.0.0",
    group: "string",
    handler: append,
  },
  {
    name: "strlen",
    arity: 2,
    flags: ["readonly", "fast"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["RO"])],
    summary: "Returns the length of a string value.",
    complexity: "O(1)",
    since: "2.2.0",
    group: "string",
    handler: strlen,
  },
  {
    name: "getrange",
    arity: 4,
    flags: ["readonly"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    summary: "Returns a substring of a string value.",
    complexity:
      "O(N) where N is the length of the returned string, bounded by the length of the value.",
    since: "2.4.0",
    group: "string",
    handler: getrange,
  },
  {
    name: "substr",
    arity: 4,
    flags: ["readonly"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    summary: "Returns a substring of a string value (old name of GETRANGE).",
    complexity:
      "O(N) where N is the length of the returned string, bounded by the length of the value.",
    since: "1.0.0",
    group: "string",
    docFlags: ["deprecated"],
    deprecatedSince: "2.0.0",
    replacedBy: "`GETRANGE`",
    handler: getrange,
  },
  {
    name: "setrange",
    arity: 4,
    flags: ["write", "denyoom"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["RW", "update"])],
    summary:
      "Overwrites part of a string value from an offset, zero-padding as needed.",
    complexity:
      "O(1), not counting the time taken to copy the new string in place. Growing a string may need a reallocation, O(M) in its new length M.",
    since: "2.2.0",
    group: "string",
    handler: setrange,
  },
  counter("incr", 2, "1.0.0", "Adds one to the integer value of a key.", incr),
  counter(
    "decr",
    2,
    "1.0.0",
    "Subtracts one from the integer value of a key.",
    decr,
  ),
  counter(
    "incrby",
    3,
    "1.0.0",
    "Adds an integer to the integer value of a key.",
    incrby,
  ),
  counter(
    "decrby",
    3,
    "1.0.0",
    "Subtracts an integer from the integer value of a key.",
    decrby,
  ),
  counter(
    "incrbyfloat",
    3,
    "2.6.0",
    "Adds a floating point number to the numeric value of a key.",
    incrbyfloat,
  ),
  {
    name: "lcs",
    arity: -3,
    flags: ["readonly"],
    acl: ["string"],
    keySpecs: [keysAt(1, ["RO", "access"], { lastkey: 1 })],
    summary:
      "Finds the longest common subsequence of two string values, or its length and match positions.",
    complexity: "O(N*M) where N and M are the lengths of the two strings.",
    since: "7.0.0",
    group: "string",
    handler: lcs,
  },
];
