/**
 * The signals every write sends after it changes the keyspace, as Redis's
 * signalModifiedKey (db.c) and notifyKeyspaceEvent (notify.c) do: the first
 * invalidates WATCHed keys, the second publishes keyspace notifications on
 * `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>` when the
 * `notify-keyspace-events` setting selects the event's class.
 * @module
 */

import { Notify } from "./config.ts";
import { touchWatchedKey } from "./multi.ts";
import { publish } from "./pubsub.ts";
import type { Server } from "./server.ts";
import type { Database } from "./store/keyspace.ts";

/**
 * Records that `key` in `db` was changed by a write (or removed by expiry,
 * FLUSHDB and the like): every write site calls it once per key it changed.
 */
export function signalModifiedKey(
  server: Server,
  db: Database,
  key: string,
): void {
  if (server.watches.count !== 0) touchWatchedKey(server, db, key);
}

/**
 * Fires keyspace event `event` of class `type` (one `Notify` bit from
 * src/config.ts) for `key` in database `dbid`, after the change is made.
 */
export function notifyKeyspaceEvent(
  server: Server,
  type: number,
  event: string,
  key: string,
  dbid: number,
): void {
  const flags = server.notifyFlags;
  if ((flags & type) === 0) return;
  if (flags & Notify.keyspace) {
    publish(server, `__keyspace@${dbid}__:${key}`, event);
  }
  if (flags & Notify.keyevent) {
    publish(server, `__keyevent@${dbid}__:${event}`, key);
  }
}
