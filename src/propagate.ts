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
 * @module
 */

/** Receives propagated commands: the AOF, the replication backlog. */
export interface PropagationTarget {
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
}

/** The propagation queue of the running execution unit and its targets. */
export class Propagation {
  private readonly targets = new Set<PropagationTarget>();
  private queue: QueuedCommand[] = [];
  private replacement: string[] | undefined;
  private prevented = false;

  /** Whether anything listens; callers may skip building commands if not. */
  get active(): boolean {
    return this.targets.size !== 0;
  }

  /** Starts feeding `target` with every unit flushed from now on. */
  addTarget(target: PropagationTarget): void {
    this.targets.add(target);
  }

  /** Stops feeding `target`. */
  removeTarget(target: PropagationTarget): void {
    this.targets.delete(target);
  }

  /** Queues `argv` for database `db` (Redis's alsoPropagate). */
  also(db: number, argv: string[]): void {
    if (this.targets.size !== 0) this.queue.push({ db, argv });
  }

  /**
   * Propagates `argv` instead of the running command's own arguments
   * (Redis's rewriteClientCommandVector as seen by propagation).
   */
  rewrite(argv: string[]): void {
    this.replacement = argv;
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
    if (changed && !this.prevented) {
      this.also(db, this.replacement ?? argv);
    }
    this.replacement = undefined;
    this.prevented = false;
  }

  /** Ends the execution unit: sends the queue to every target (propagatePendingCommands). */
  flush(): void {
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    const wrap = queue.length > 1;
    for (const target of this.targets) {
      if (wrap) target.feed(-1, ["MULTI"]);
      for (const { db, argv } of queue) target.feed(db, argv);
      if (wrap) target.feed(-1, ["EXEC"]);
    }
  }
}
