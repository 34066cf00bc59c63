/**
 * The encoding name Redis 7.0 would report (OBJECT ENCODING, DEBUG OBJECT)
 * for a value, whatever redeno's own representation is. Each data type adds
 * its rule here as it lands.
 * @module
 */

import type { RedisValue } from "./keyspace.ts";

/** Longest string Redis stores as embstr. */
const EMBSTR_MAX = 44;
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
  if (value.type === "string") return "raw"; // changed in place, as Redis's raw
  throw new Error(`no encoding rule for ${value.type}`);
}
