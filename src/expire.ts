/**
 * Key expiry: the one event every expired key goes through, and the active
 * cycle that finds expired keys nobody touches (Redis's activeExpireCycle).
 *
 * The cycle runs from the server cron. Per database it walks the keys with a
 * TTL in rounds of a few dozen, resuming where the last round stopped, and
 * keeps going while more than a tenth of a round was expired (adaptive
 * effort). Its time is bounded twice: a budget per cron period (25% of it, a
 * little more with `active-expire-effort`), spent in short slices that yield
 * to the event loop in between so no client waits behind it for more than a
 * couple of milliseconds. (The server's IdleCollector hands the freed memory
 * back once it is idle.)
 * @module
 */

import { Notify } from "./config.ts";
import { notifyKeyspaceEvent, signalModifiedKey } from "./notify.ts";
import { deletionOf } from "./propagate.ts";
import type { Server } from "./server.ts";
import type { Database } from "./store/keyspace.ts";

/**
 * Removes `key`, found expired in `db`. Lazy and active expiry both come
 * here: it is where the `expired` keyspace notification and the DEL sent to
 * replicas and the AOF belong. A replica deletes nothing: the key waits for
 * its primary's DEL, reading as missing meanwhile except to the primary's
 * own commands; while clients are paused the key reads as missing and stays.
 * Returns true when the key reads as missing.
 */
export function expireKey(server: Server, db: Database, key: string): boolean {
  if (server.replica.isReplica) return !server.replica.applying;
  if (server.datasetFrozen) return true;
  db.delete(key);
  server.propagation.also(
    db.id,
    deletionOf(server, "lazyfree-lazy-expire", key),
  );
  notifyKeyspaceEvent(server, Notify.expired, "expired", key, db.id);
  signalModifiedKey(server, db, key);
  server.stats.expiredKeys++;
  return true;
}

/** Keys looked at per round at effort 1 (Redis: 20, plus 5 per effort step). */
const KEYS_PER_ROUND = 20;
/** A database gets another round while more than this percentage was expired. */
const ACCEPTABLE_STALE_PERCENT = 10;
/** Share of the cron period the cycle may use at effort 1 (Redis: 25%, plus 2 per step). */
const BUDGET_PERCENT = 25;
/** Longest stretch the cycle runs before letting clients in. */
const SLICE_MS = 2;

type ExpiryCursor = Iterator<[string, number]>;

/** The active expire cycle of one server. */
export class ActiveExpireCycle {
  /** Where each `expires` map's walk stands (keyed by map: SWAPDB moves maps). */
  private readonly cursors = new WeakMap<Map<string, number>, ExpiryCursor>();
  /** Next database to visit, round robin across cycles. */
  private dbIndex = 0;
  /** Databases still to visit in this cycle. */
  private dbsLeft = 0;
  /** Milliseconds of work left in this cycle. */
  private budget = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly server: Server) {}

  /** Starts a cycle for one cron period of `periodMs` (a cycle still running is renewed). */
  start(periodMs: number): void {
    const server = this.server;
    // A replica's keys expire by its primary's DELs only.
    if (
      !server.activeExpireEnabled || server.shuttingDown ||
      server.replica.isReplica || server.datasetFrozen
    ) return;
    const effort = server.config.number("active-expire-effort") - 1;
    this.budget = periodMs * (BUDGET_PERCENT + 2 * effort) / 100;
    this.dbsLeft = server.dbs.length;
    if (this.timer === undefined) this.slice();
  }

  /** Cancels a cycle in progress (shutdown). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs for at most one slice, then schedules the next one if work and budget remain. */
  private slice(): void {
    this.timer = undefined;
    const server = this.server;
    if (
      !server.activeExpireEnabled || server.shuttingDown ||
      server.replica.isReplica || server.datasetFrozen
    ) return;
    const started = performance.now();
    const deadline = started + Math.min(SLICE_MS, this.budget);
    const effort = server.config.number("active-expire-effort") - 1;
    const perRound = KEYS_PER_ROUND + 5 * effort;
    const stale = ACCEPTABLE_STALE_PERCENT - effort;
    const now = Date.now();
    let outOfTime = false;
    while (this.dbsLeft > 0) {
      const db = server.dbs[this.dbIndex % server.dbs.length];
      if (this.expireRounds(db, now, perRound, stale, deadline)) {
        outOfTime = true;
        break;
      }
      this.dbIndex = (this.dbIndex + 1) % server.dbs.length;
      this.dbsLeft--;
    }
    this.budget -= performance.now() - started;
    if (outOfTime && this.budget > 0) {
      this.timer = setTimeout(() => this.slice(), 0);
    }
  }

  /**
   * Rounds on `db` until one finds few expired keys; true when `deadline`
   * passed first (the database is resumed in the next slice).
   */
  private expireRounds(
    db: Database,
    now: number,
    perRound: number,
    stalePercent: number,
    deadline: number,
  ): boolean {
    for (;;) {
      const expires = db.expires;
      if (expires.size === 0) return false;
      let cursor = this.cursors.get(expires) ?? expires.entries();
      const sample = Math.min(perRound, expires.size);
      let expired = 0;
      for (let sampled = 0; sampled < sample; sampled++) {
        let next = cursor.next();
        if (next.done) {
          cursor = expires.entries();
          next = cursor.next();
          if (next.done) break;
        }
        const [key, at] = next.value;
        if (at < now) {
          expireKey(this.server, db, key);
          // Each active expiry is its own unit, as Redis sends it at once.
          this.server.propagation.flush();
          expired++;
        }
      }
      this.cursors.set(expires, cursor);
      if (expired * 100 <= sample * stalePercent) return false;
      if (performance.now() >= deadline) return true;
    }
  }
}
