/**
 * The encoding name Redis 7.0 would report (OBJECT ENCODING, DEBUG OBJECT)
 * for a value, whatever redeno's own representation is. Each data type adds
 * its rule here as it lands.
 * @module
 */

import type { HashValue } from "./hash.ts";
import type { RedisValue } from "./keyspace.ts";
import { EMBSTR_MAX } from "./string.ts";
import type { RedisSet } from "./set.ts";
import type { SortedSet } from "./zset.ts";

const STRICT_LONG = /^(0|-?[1-9][0-9]{0,18})$/;

/** True when Redis would keep `s` in its int encoding (string2l succeeds). */
function isLongEncodable(s: string): boolean {
  if (s.length > 20 || !STRICT_LONG.test(s)) return false;
  const n = BigInt(s);
  return n <= 9223372036854775807n && n >= -9223372036854775808n;
}

/** The OBJECT ENCODING name for `value`. */
export function objectEncoding(value: RedisValue): string {
  if (typeof value === "string") {
    if (isLongEncodable(value)) return "int";
    return value.length <= EMBSTR_MAX ? "embstr" : "raw";
  }
  if (value.type === "string") return value.encoding;
  if (value.type === "list") return "quicklist"; // Redis 7.0: at any size
  if (value.type === "hash") return (value as HashValue).encoding;
  if (value.type === "zset") return (value as SortedSet).encoding;
  if (value.type === "set") return (value as RedisSet).encoding;
  if (value.type === "stream") return "stream";
  throw new Error(`no encoding rule for ${value.type}`);
}

/** Integers Redis keeps as shared objects (OBJ_SHARED_INTEGERS). */
const SHARED_INTEGERS = 10000;
/** The refcount Redis reports for a shared object (OBJ_SHARED_REFCOUNT). */
const SHARED_REFCOUNT = 2147483647;

/**
 * The refcount OBJECT REFCOUNT and DEBUG OBJECT report. Small non-negative
 * integers SET as a whole share one object in Redis, unless maxmemory is set
 * with an LRU/LFU policy, which needs per-key access data.
 */
export function objectRefcount(
  value: RedisValue,
  maxmemory: number,
  maxmemoryPolicy: string,
): number {
  const sharing = maxmemory === 0 ||
    !(maxmemoryPolicy.endsWith("-lru") || maxmemoryPolicy.endsWith("-lfu"));
  const shared = sharing && typeof value === "string" &&
    isLongEncodable(value) && Number(value) >= 0 &&
    Number(value) < SHARED_INTEGERS;
  return shared ? SHARED_REFCOUNT : 1;
}
