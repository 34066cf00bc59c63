/**
 * Helpers shared by command handlers: keyspace lookups that keep Redis's
 * hit/miss statistics, argument parsing with Redis's error replies, and the
 * common error texts.
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import { notifyKeyspaceEvent, signalModifiedKey } from "../notify.ts";
import type { RedisValue } from "../store/keyspace.ts";
import type { StringValue } from "../store/string.ts";
import { parseInteger } from "../util/numbers.ts";

/** Redis's shared error texts. */
export const Errors = {
  syntax: "ERR syntax error",
  wrongType:
    "WRONGTYPE Operation against a key holding the wrong kind of value",
  notInteger: "ERR value is not an integer or out of range",
  notFloat: "ERR value is not a valid float",
  noSuchKey: "ERR no such key",
  outOfRange: "ERR index out of range",
} as const;

/**
 * Looks a key up for reading: expired keys vanish; counts keyspace hits and
 * misses, and a miss fires `keymiss` (Redis's lookupKeyRead).
 */
export function lookupRead(
  client: Client,
  key: string,
): RedisValue | undefined {
  const value = client.db.get(key, client.server.now);
  if (value === undefined) keyMissed(client, key);
  else client.server.stats.keyspaceHits++;
  return value;
}

/** Counts a read miss of `key` and fires its `keymiss` event. */
export function keyMissed(client: Client, key: string): void {
  client.server.stats.keyspaceMisses++;
  notifyKeyspaceEvent(
    client.server,
    Notify.keyMiss,
    "keymiss",
    key,
    client.db.id,
  );
}

/**
 * After a write changed `key` in the client's database: signals WATCH
 * (Redis's signalModifiedKey) and fires keyspace event `event` of class
 * `type` (a `Notify` bit), as most Redis write sites do in that order.
 */
export function keyChanged(
  client: Client,
  type: number,
  event: string,
  key: string,
): void {
  signalModifiedKey(client.server, client.db, key);
  notifyKeyspaceEvent(client.server, type, event, key, client.db.id);
}

/** Fires keyspace event `event` of class `type` for `key` in the client's database. */
export function notify(
  client: Client,
  type: number,
  event: string,
  key: string,
): void {
  notifyKeyspaceEvent(client.server, type, event, key, client.db.id);
}

/** Signals WATCH that `key` in the client's database changed (signalModifiedKey). */
export function signalKey(client: Client, key: string): void {
  signalModifiedKey(client.server, client.db, key);
}

/** Looks a key up for writing: expired keys vanish; no statistics. */
export function lookupWrite(
  client: Client,
  key: string,
): RedisValue | undefined {
  return client.db.get(key, client.server.now);
}

/**
 * Parses an integer argument; on failure replies `message` (Redis's
 * "value is not an integer or out of range" by default) and returns null.
 */
export function integerArg(
  client: Client,
  text: string,
  message: string = Errors.notInteger,
): number | null {
  const n = parseInteger(text);
  if (n === null) client.out.error(message);
  return n;
}

/** Replies with a string value in either representation, as a bulk string. */
export function replyStringValue(client: Client, value: StringValue): void {
  if (typeof value === "string") client.out.bulk(value);
  else client.out.bulkBytes(value.view());
}

/** The part of `s` before its first NUL byte: what C's `%s` prints of it. */
export function cString(s: string): string {
  const nul = s.indexOf("\0");
  return nul === -1 ? s : s.slice(0, nul);
}

/** Case-insensitive comparison of an argument with an ASCII keyword. */
export function isKeyword(arg: string, keyword: string): boolean {
  return arg.length === keyword.length && arg.toLowerCase() === keyword;
}
