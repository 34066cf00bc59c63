/**
 * The signals every write sends after it changes the keyspace, as Redis's
 * signalModifiedKey (db.c) and notifyKeyspaceEvent (notify.c) do: the first
 * invalidates WATCHed keys, the second publishes keyspace notifications on
 * `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>` when the
 * `notify-keyspace-events` setting selects the event's class.
 * @module
 */

import type { Server } from "./server.ts";
import type { Database } from "./store/keyspace.ts";

/** Keyspace event classes, with Redis's bit values (NOTIFY_* in server.h). */
export const NotifyClass = {
  keyspace: 1 << 0,
  keyevent: 1 << 1,
  generic: 1 << 2,
  string: 1 << 3,
  list: 1 << 4,
  set: 1 << 5,
  hash: 1 << 6,
  zset: 1 << 7,
  expired: 1 << 8,
  evicted: 1 << 9,
  stream: 1 << 10,
  keyMiss: 1 << 11,
  loaded: 1 << 12,
  module: 1 << 13,
  new: 1 << 14,
} as const;

/**
 * Records that `key` in `db` was changed by a write (or removed by expiry,
 * FLUSHDB and the like): every write site calls it once per key it changed.
 */
export function signalModifiedKey(
  _server: Server,
  _db: Database,
  _key: string,
): void {
}

/**
 * Fires keyspace event `event` of class `type` (one {@linkcode NotifyClass}
 * bit) for `key` in database `dbid`, after the change is made.
 */
export function notifyKeyspaceEvent(
  _server: Server,
  _type: number,
  _event: string,
  _key: string,
  _dbid: number,
): void {
}
