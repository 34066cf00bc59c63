/**
 * Command propagation: the stream of writes the AOF and replicas receive,
 * as Redis's propagate, alsoPropagate and propagatePendingCommands build it.
 *
 * A command that changed the dataset (server.dirty moved) is queued in the
 * form it ran, unless its handler replaced that form (`rewrite`, Redis's
 * rewriteClientCommandVector: e.g. a relative expiry sent as an absolute
 * one) or asked for none (`prevent`, after queuing its own with `also`).
 * Keys deleted by expiry queue a DEL. When the execution unit ends (a client
 * command with the blocked clients it served, EXEC and everything it ran, an
 * active expiry round) the queue goes to every target, wrapped in MULTI/EXEC
 * when it holds more than one command, so that a replica or an AOF reload
 * applies the unit atomically.
 *
 * Most commands go to both kinds of target; a few go to one only (PUBLISH
 * reaches replicas but not the AOF, as Redis's PROPAGATE_REPL), so each
 * target says which kind it is and receives the commands addressed to it.
 * @module
 */

import type { Server } from "./server.ts";

/** Propagation goes to the AOF (Redis's PROPAGATE_AOF). */
export const PROPAGATE_AOF = 1;
/** Propagation goes to the replicas (Redis's PROPAGATE_REPL). */
export const PROPAGATE_REPL = 2;
/** Both, the default for a write command. */
export const PROPAGATE_ALL = PROPAGATE_AOF | PROPAGATE_REPL;

/** Receives propagated commands: the AOF, the replication backlog. */
export interface PropagationTarget {
  /** PROPAGATE_AOF or PROPAGATE_REPL: which commands this target takes. */
  readonly kind: number;
  /**
   * One command to apply in database `db`; -1 for MULTI and EXEC, which
   * belong to no database. The target emits SELECT when `db` differs from
   * the one it last selected.
   */
  feed(db: number, argv: string[]): void;
}

/** One queued command and the database it applies to. */
interface QueuedCommand {
  db: number;
  argv: string[];
  /** The PROPAGATE_* kinds of target it goes to. */
  to: number;
}

/** The propagation queue of the running execution unit and its targets. */
export class Propagation {
  private readonly targets = new Set<PropagationTarget>();
  private queue: QueuedCommand[] = [];
  private replacement: string[] | undefined;
  private prevented = false;
  private forced = false;

  /**
   * Set while the AOF is replayed: its commands reach no target (Redis's
   * alsoPropagate does nothing while loading), so a DEBUG LOADAOF sends the
   * replicas nothing they already have.
   */
  suspended = false;

  /** Whether anything listens; callers may skip building commands if not. */
  get active(): boolean {
    return this.targets.size !== 0 && !this.suspended;
  }

  /** Starts feeding `target` with every unit flushed from now on. */
  addTarget(target: PropagationTarget): void {
    this.targets.add(target);
  }

  /** Stops feeding `target`. */
  removeTarget(target: PropagationTarget): void {
    this.targets.delete(target);
  }

  /**
   * Queues `argv` for database `db` (Redis's alsoPropagate), for the targets
   * of the kinds in `to`.
   */
  also(db: number, argv: string[], to: number = PROPAGATE_ALL): void {
    if (this.active) this.queue.push({ db, argv, to });
  }

  /**
   * Propagates `argv` instead of the running command's own arguments
   * (Redis's rewriteClientCommandVector as seen by propagation).
   */
  rewrite(argv: string[]): void {
    this.replacement = argv;
  }

  /**
   * The running command propagates even if it changed nothing
   * (forceCommandPropagation).
   */
  force(): void {
    this.forced = true;
  }

  /** The running command propagates nothing itself (preventCommandPropagation). */
  prevent(): void {
    this.prevented = true;
  }

  /**
   * Called by the dispatcher when a command returns: queues its arguments
   * (or their replacement) when it changed the dataset and did not prevent
   * it, and resets the per-command state for the next one.
   */
  commandDone(db: number, argv: string[], changed: boolean): void {
    if ((changed || this.forced) && !this.prevented) {
      this.also(db, this.replacement ?? argv);
    }
    this.replacement = undefined;
    this.prevented = false;
    this.forced = false;
  }

  /** Ends the execution unit: sends the queue to every target (propagatePendingCommands). */
  flush(): void {
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    for (const target of this.targets) {
      const mine = queue.filter(({ to }) => (to & target.kind) !== 0);
      const wrap = mine.length > 1;
      if (wrap) target.feed(-1, ["MULTI"]);
      for (const { db, argv } of mine) target.feed(db, argv);
      if (wrap) target.feed(-1, ["EXEC"]);
    }
  }
}

/**
 * How Redis propagates the deletion of `key`: DEL, or UNLINK when the
 * `lazyfree-lazy-*` setting named by `lazyConfig` is on.
 */
export function deletionOf(
  server: Server,
  lazyConfig: string,
  key: string,
): string[] {
  return [server.config.bool(lazyConfig) ? "UNLINK" : "DEL", key];
}
