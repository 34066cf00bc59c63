/**
 * Clients blocked on keys, as Redis's blocked.c: a command that cannot be
 * served registers a {@linkcode Waiter} on its keys (a FIFO queue per
 * database and key) and the client reads no further input. A write that
 * creates a watched key calls {@linkcode Blocking.signalKeyAsReady}; once
 * the current command is done the dispatcher calls
 * {@linkcode Blocking.serveReadyKeys}, which offers each ready key to its
 * waiters in arrival order with the state at that moment. Serving one
 * waiter may make another key ready (a BLMOVE chain); those are served in
 * the same pass. One timer, set for the earliest deadline, times waiters out.
 *
 * Waiter kinds bring their own serve and timeout replies, so XREAD BLOCK
 * and WAIT can register here too.
 * @module
 */

import type { Client } from "./client.ts";
import type { Server } from "./server.ts";
import type { Database } from "./store/keyspace.ts";

/** What a blocked command needs from the framework. */
export interface WaiterKind {
  /**
   * Tries to serve the waiter from `key`, which just became ready in the
   * client's database: writes the reply and returns true, or returns false
   * (the key holds nothing for it) and the waiter keeps waiting.
   */
  serve(client: Client, key: string): boolean;
  /** Writes the reply for a timeout (also CLIENT UNBLOCK ... TIMEOUT). */
  timedOut(client: Client): void;
  /**
   * True when the waiter is also offered a key that went away (XREADGROUP
   * answers an error then, as Redis 7.0 unblocks it on the deletion).
   */
  readonly servesGoneKeys?: boolean;
  /** False for a wait CLIENT UNBLOCK cannot end (SHUTDOWN's, as in Redis). */
  readonly clientUnblock?: boolean;
}

/** A client blocked on keys. */
export interface Waiter {
  readonly client: Client;
  readonly db: Database;
  readonly keys: readonly string[];
  /** Unix ms when it times out; 0 waits forever. */
  readonly deadline: number;
  readonly kind: WaiterKind;
}

/** setTimeout's longest delay; later deadlines are re-armed on the way. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** The blocked clients of one server. */
export class Blocking {
  /** Per database id, per key: waiters in arrival order. */
  private readonly queues = new Map<number, Map<string, Waiter[]>>();
  /** Waiters with a deadline. */
  private readonly timed = new Set<Waiter>();
  /** Keys signalled since the last pass, in signal order, deduplicated. */
  private ready: { db: Database; key: string }[] = [];
  private readonly readySet = new Set<string>();
  /** Clients served or unblocked, whose queued input runs next. */
  private readonly resumed: Client[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = 0;

  constructor(private readonly server: Server) {}

  /** Number of clients blocked on keys (INFO blocked_clients). */
  get count(): number {
    let n = 0;
    for (const client of this.server.clients.values()) if (client.blocked) n++;
    return n;
  }

  /** True when some key was signalled and not yet served. */
  get hasReadyKeys(): boolean {
    return this.ready.length !== 0;
  }

  /**
   * Blocks `client` on `keys` of its database until one can serve it or
   * `deadline` (Unix ms, 0 for never) passes. The client processes no
   * further input meanwhile.
   */
  block(
    client: Client,
    keys: readonly string[],
    deadline: number,
    kind: WaiterKind,
  ): void {
    // When MULTI exists: a blocking command inside MULTI/EXEC (or a script)
    // must not block; its caller replies as on timeout instead.
    const waiter: Waiter = { client, db: client.db, keys, deadline, kind };
    client.blocked = waiter;
    let byKey = this.queues.get(client.db.id);
    if (!byKey) this.queues.set(client.db.id, byKey = new Map());
    for (const key of new Set(keys)) {
      const queue = byKey.get(key);
      if (queue) queue.push(waiter);
      else byKey.set(key, [waiter]);
    }
    if (deadline !== 0) {
      this.timed.add(waiter);
      if (this.timer === undefined || deadline < this.timerAt) this.arm();
    }
  }

  /**
   * Notes that `key` of `db` may now serve its waiters (Redis's
   * signalKeyAsReady); cheap when nobody waits on it. Write paths call it
   * whenever they create a key of a type someone may block on.
   */
  signalKeyAsReady(db: Database, key: string): void {
    if (!this.queues.get(db.id)?.has(key)) return;
    const id = `${db.id}:${key}`;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push({ db, key });
  }

  /**
   * Signals every watched key of `db` that exists now, and those whose
   * waiters want to hear that a key went away (after SWAPDB, FLUSHDB).
   */
  signalExistingKeys(db: Database): void {
    const byKey = this.queues.get(db.id);
    if (!byKey) return;
    for (const [key, queue] of byKey) {
      if (
        db.peek(key, this.server.now) !== undefined ||
        queue.some((waiter) => waiter.kind.servesGoneKeys)
      ) {
        this.signalKeyAsReady(db, key);
      }
    }
  }

  /**
   * Serves the waiters of every ready key, in signal order, each key's
   * waiters in arrival order (Redis's handleClientsBlockedOnKeys). Keys made
   * ready meanwhile are served in the same call.
   */
  serveReadyKeys(): void {
    while (this.ready.length !== 0) {
      const batch = this.ready;
      this.ready = [];
      for (const { db, key } of batch) {
        this.readySet.delete(`${db.id}:${key}`);
        const queue = this.queues.get(db.id)?.get(key);
        if (!queue) continue;
        for (const waiter of [...queue]) {
          if (waiter.client.blocked !== waiter) continue;
          if (
            !waiter.kind.servesGoneKeys &&
            db.peek(key, this.server.now) === undefined
          ) continue;
          if (waiter.kind.serve(waiter.client, key)) this.unblock(waiter);
          // Each served client's pop reaches replicas as its own unit.
          this.server.propagation.flush();
        }
      }
    }
    this.resumeUnblocked();
  }

  /**
   * CLIENT UNBLOCK: ends `client`'s wait with the timeout reply, or with
   * an UNBLOCKED error; false when it is not blocked on keys.
   */
  unblockByRequest(client: Client, withError: boolean): boolean {
    const waiter = client.blocked;
    if (!waiter) return false;
    if (withError) {
      client.out.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    } else waiter.kind.timedOut(client);
    this.unblock(waiter);
    this.resumeUnblocked();
    return true;
  }

  /**
   * Ends every wait on keys with error `message` (a primary turned replica:
   * Redis's disconnectAllBlockedClients); those clients close after it.
   */
  unblockAll(message: string): void {
    for (const client of this.server.clients.values()) {
      const waiter = client.blocked;
      if (!waiter) continue;
      client.out.error(message);
      client.closeAfterReply = true;
      this.unblock(waiter);
    }
    this.resumeUnblocked();
  }

  /** Forgets the wait of a disconnected client. */
  forget(client: Client): void {
    if (client.blocked) this.remove(client.blocked);
  }

  /** Takes `waiter` out of every queue, and its client back to reading. */
  private unblock(waiter: Waiter): void {
    this.remove(waiter);
    this.server.markPending(waiter.client);
    this.resumed.push(waiter.client);
  }

  private remove(waiter: Waiter): void {
    waiter.client.blocked = undefined;
    // A wait on no keys (WAIT) may find its database's map already gone.
    const byKey = this.queues.get(waiter.db.id);
    if (byKey) {
      for (const key of new Set(waiter.keys)) {
        const queue = byKey.get(key)!;
        queue.splice(queue.indexOf(waiter), 1);
        if (queue.length === 0) byKey.delete(key);
      }
      if (byKey.size === 0) this.queues.delete(waiter.db.id);
    }
    if (this.timed.delete(waiter) && this.timed.size === 0) this.disarm();
  }

  /**
   * Runs the input unblocked clients queued while blocked, once the
   * current event is done (Redis does it before the event loop sleeps).
   */
  private resumeUnblocked(): void {
    if (this.resumed.length === 0) return;
    const clients = this.resumed.splice(0);
    queueMicrotask(() => {
      for (const client of clients) {
        if (client.isClosed || client.blocked) continue;
        this.server.beginBatch(Date.now());
        try {
          client.processInput();
        } finally {
          this.server.endBatch();
        }
        this.server.markPending(client);
      }
      this.server.flushPending();
    });
  }

  /** Sets the timer for the earliest deadline. */
  private arm(): void {
    this.disarm();
    let earliest = Infinity;
    for (const waiter of this.timed) {
      if (waiter.deadline < earliest) earliest = waiter.deadline;
    }
    if (earliest === Infinity) return;
    this.timerAt = earliest;
    const delay = Math.min(Math.max(earliest - Date.now(), 0), MAX_TIMER_DELAY);
    this.timer = setTimeout(() => this.expire(), delay);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Times out every waiter whose deadline has passed. */
  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    this.server.now = now;
    for (const waiter of [...this.timed]) {
      if (waiter.deadline > now) continue;
      waiter.kind.timedOut(waiter.client);
      this.unblock(waiter);
    }
    this.arm();
    this.resumeUnblocked();
    this.server.flushPending();
  }
}
