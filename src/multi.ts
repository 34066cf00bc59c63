/**
 * MULTI/EXEC state and WATCH bookkeeping, as Redis's multi.c keeps them: a
 * client in MULTI queues commands in a {@linkcode Transaction}; WATCHed keys
 * are registered per database so that a write to one (signalModifiedKey),
 * an expiry, FLUSHDB/FLUSHALL or SWAPDB marks every watcher's transaction as
 * failed (dirty CAS) before its EXEC.
 * @module
 */

import type { Client } from "./client.ts";
import type { CommandSpec } from "./commands/table.ts";
import type { Server } from "./server.ts";
import type { Database } from "./store/keyspace.ts";

/** One command queued between MULTI and EXEC. */
export interface QueuedCommand {
  readonly spec: CommandSpec;
  readonly fullName: string;
  readonly argv: string[];
}

/** A client's open MULTI block (Redis's multiState). */
export class Transaction {
  /** Commands to run at EXEC, in order. */
  readonly commands: QueuedCommand[] = [];
  /** A command was refused while queueing: EXEC answers EXECABORT. */
  aborted = false;
  /** Some queued command writes or may replicate (CLIENT PAUSE WRITE holds EXEC). */
  writes = false;
  /** Bytes of the queued arguments (CLIENT LIST multi-mem). */
  argvBytes = 0;

  /** Queues a command and replies +QUEUED, as Redis's queueMultiCommand. */
  queue(client: Client, spec: CommandSpec, fullName: string, argv: string[]) {
    // A transaction that can only fail keeps nothing, but still answers.
    if (!this.aborted && !client.dirtyCas) {
      this.commands.push({ spec, fullName, argv });
      // Argument bytes plus a pointer each, as Redis counts them.
      for (const arg of argv) this.argvBytes += arg.length + 8;
      if (
        spec.flags.includes("write") || spec.flags.includes("may_replicate")
      ) {
        this.writes = true;
      }
    }
    client.out.simple("QUEUED");
  }
}

/** A key one client watches (Redis's watchedKey). */
export interface WatchedKey {
  readonly client: Client;
  readonly db: Database;
  readonly key: string;
  /** The key was already logically expired when WATCH ran. */
  expired: boolean;
}

/** Who watches which key, per database (Redis's db->watched_keys). */
export class WatchRegistry {
  private readonly byDb = new Map<Database, Map<string, WatchedKey[]>>();
  /** Number of watched keys over all clients: 0 makes every signal free. */
  count = 0;

  /** The watchers of `key` in `db`, if any. */
  watchers(db: Database, key: string): WatchedKey[] | undefined {
    return this.byDb.get(db)?.get(key);
  }

  /** The watched keys of `db` with their watchers. */
  keysOf(db: Database): Map<string, WatchedKey[]> | undefined {
    return this.byDb.get(db);
  }

  add(watched: WatchedKey): void {
    let keys = this.byDb.get(watched.db);
    if (!keys) this.byDb.set(watched.db, keys = new Map());
    const list = keys.get(watched.key);
    if (list) list.push(watched);
    else keys.set(watched.key, [watched]);
    this.count++;
  }

  remove(watched: WatchedKey): void {
    const keys = this.byDb.get(watched.db)!;
    const list = keys.get(watched.key)!;
    list.splice(list.indexOf(watched), 1);
    if (list.length === 0) keys.delete(watched.key);
    if (keys.size === 0) this.byDb.delete(watched.db);
    this.count--;
  }
}

/** WATCH of one key by `client` in its selected database. */
export function watchKey(client: Client, key: string): void {
  const db = client.db;
  for (const w of client.watched) {
    if (w.db === db && w.key === key) return;
  }
  const watched: WatchedKey = {
    client,
    db,
    key,
    expired: db.isExpired(key, client.server.now),
  };
  client.watched.push(watched);
  client.server.watches.add(watched);
}

/** Forgets every key `client` watches (UNWATCH, EXEC, DISCARD, disconnect). */
export function unwatchAllKeys(client: Client): void {
  if (client.watched.length === 0) return;
  const registry = client.server.watches;
  for (const watched of client.watched) registry.remove(watched);
  client.watched = [];
}

/** Marks the watcher's transaction as failed; its other keys no longer matter. */
function invalidate(client: Client): void {
  client.dirtyCas = true;
  unwatchAllKeys(client);
}

/**
 * A write changed `key` in `db` (Redis's touchWatchedKey): every client
 * watching it will see its EXEC fail. A key that was already expired when
 * watched and is now gone did not logically change.
 */
export function touchWatchedKey(server: Server, db: Database, key: string) {
  const watchers = server.watches.watchers(db, key);
  if (!watchers) return;
  // invalidate() edits the list we walk.
  for (const watched of [...watchers]) {
    if (watched.expired && db.data.get(key) === undefined) {
      // Deleted keys are not flagged as expired.
      watched.expired = false;
      continue;
    }
    invalidate(watched.client);
  }
}

/**
 * `emptied` is about to lose all its keys (FLUSHDB, FLUSHALL) or to take
 * the contents of `replacedWith` (SWAPDB): watchers of keys that exist in
 * either fail, with Redis's rules for keys expired on one side.
 */
export function touchAllWatchedKeysInDb(
  server: Server,
  emptied: Database,
  replacedWith: Database | undefined,
): void {
  const keys = server.watches.keysOf(emptied);
  if (!keys) return;
  const now = server.now;
  for (const [key, watchers] of [...keys]) {
    const existsInEmptied = emptied.data.get(key) !== undefined;
    const existsInReplacement = replacedWith?.data.get(key) !== undefined;
    if (!existsInEmptied && !existsInReplacement) continue;
    for (const watched of [...watchers]) {
      if (watched.expired) {
        if (!existsInReplacement) {
          // An expired key now deleted: no logical change.
          watched.expired = false;
          continue;
        }
        if (replacedWith!.isExpired(key, now)) continue;
      } else if (!existsInEmptied && replacedWith!.isExpired(key, now)) {
        // A missing key replaced by an expired one is still missing.
        watched.expired = true;
        continue;
      }
      invalidate(watched.client);
    }
  }
}

/** True when a key that was live at WATCH has expired since (EXEC fails). */
export function isWatchedKeyExpired(client: Client): boolean {
  const now = client.server.now;
  for (const watched of client.watched) {
    if (!watched.expired && watched.db.isExpired(watched.key, now)) {
      return true;
    }
  }
  return false;
}

/** Ends MULTI and forgets watched keys (Redis's discardTransaction). */
export function discardTransaction(client: Client): void {
  client.transaction = undefined;
  client.dirtyCas = false;
  unwatchAllKeys(client);
}
