/**
 * SHUTDOWN and the shutdown signals, as Redis 7.0's prepareForShutdown,
 * finishShutdown and abortShutdown: on a primary whose replicas lag, writes
 * pause and the server waits (up to `shutdown-timeout` seconds) for every
 * replica to acknowledge the whole stream before it saves and exits.
 * @module
 */

import type { WaiterKind } from "./blocking.ts";
import type { Client } from "./client.ts";
import type { ClientPause, Server } from "./server.ts";

/** SHUTDOWN's options: `save` undefined lets the save points decide. */
export interface ShutdownFlags {
  save?: boolean;
  now?: boolean;
  force?: boolean;
}

/** The pause a shutdown waiting for replicas puts on writes. */
export const SHUTDOWN_PAUSE: ClientPause = { type: "write", end: Infinity };

/** A SHUTDOWN client's wait: it ends only when a pending shutdown is cancelled. */
const SHUTDOWN_WAITER: WaiterKind = {
  serve: () => false,
  timedOut: (client) =>
    client.out.error("ERR Errors trying to SHUTDOWN. Check logs."),
  clientUnblock: false,
};

/** The server's shutdown: a pending wait for replicas, or none. */
export class Shutdown {
  /** A shutdown waiting for replicas: its options and deadline (Unix ms). */
  private wait: { flags: ShutdownFlags; deadline: number } | undefined;
  /** A signal asked for shutdown (Redis's shutdown_asap). */
  private signalled = false;

  constructor(private readonly server: Server) {}

  /**
   * Begins shutting down (Redis's prepareForShutdown), logging as Redis
   * does. Unless `now`, `shutdown-timeout` is 0 or every replica has
   * acknowledged the whole stream, it first waits for the replicas: writes
   * pause, REPLCONF GETACK goes out and the cron finishes once they caught
   * up or the timeout passed ("waiting"; also when a wait is already on).
   * Otherwise it finishes at once: "done", or "failed" when the final save
   * failed without `force`.
   */
  begin(flags: ShutdownFlags = {}): "done" | "waiting" | "failed" {
    const server = this.server;
    if (server.shuttingDown) return "done";
    if (this.wait) return "waiting";
    server.log.warning("User requested shutdown...");
    const timeout = server.config.number("shutdown-timeout");
    if (!flags.now && timeout !== 0 && !this.replicasCaughtUp()) {
      this.wait = { flags, deadline: Date.now() + timeout * 1000 };
      server.primary.requestAcks();
      server.log.notice("Waiting for replicas before shutting down.");
      return "waiting";
    }
    return this.finish(flags) ? "done" : "failed";
  }

  /**
   * A signal asks for shutdown with the `shutdown-on-sigint` or
   * `shutdown-on-sigterm` options (Redis's sigShutdownHandler and the cron's
   * shutdown_asap check). A second SIGINT while one is pending exits at
   * once with code 1.
   */
  onSignal(signal: "SIGINT" | "SIGTERM"): void {
    const server = this.server;
    if (server.shuttingDown) return;
    if (this.signalled && signal === "SIGINT") {
      server.log.warning("You insist... exiting now.");
      server.persistence.abortBackgroundSave();
      server.close(1);
      return;
    }
    server.log.warning(`Received ${signal} scheduling shutdown...`);
    this.signalled = true;
    if (this.wait) return;
    const option = signal === "SIGINT"
      ? "shutdown-on-sigint"
      : "shutdown-on-sigterm";
    const words = server.config.string(option).split(" ");
    const save = words.includes("save")
      ? true
      : words.includes("nosave")
      ? false
      : undefined;
    this.begin({
      save,
      now: words.includes("now"),
      force: words.includes("force"),
    });
  }

  /**
   * SHUTDOWN ABORT: cancels a shutdown waiting for replicas, or one a signal
   * asked for; false when there is none (Redis's abortShutdown).
   */
  abort(): boolean {
    if (!this.wait && !this.signalled) return false;
    this.cancel();
    this.server.log.notice("Shutdown manually aborted.");
    return true;
  }

  /** True while a shutdown waits for replicas: write commands are held back. */
  get pending(): boolean {
    return this.wait !== undefined;
  }

  /** Every replica has acknowledged the whole stream (isReadyToShutdown). */
  private replicasCaughtUp(): boolean {
    const server = this.server;
    const offset = server.replication.offset;
    for (const link of server.primary.replicas.values()) {
      if (link.ackOffset !== offset) return false;
    }
    return true;
  }

  /** The server cron: finishes a wait once the replicas caught up or time is up. */
  cron(now: number): void {
    const wait = this.wait;
    if (!wait || (now < wait.deadline && !this.replicasCaughtUp())) return;
    this.finish(wait.flags);
  }

  /** Ends a pending shutdown; SHUTDOWN clients waiting get Redis's error. */
  private cancel(): void {
    const server = this.server;
    this.wait = undefined;
    this.signalled = false;
    for (const client of server.clients.values()) {
      if (client.blocked?.kind === SHUTDOWN_WAITER) {
        server.blocking.unblockByRequest(client, false);
      }
    }
    // Writes held back by the wait go on, unless CLIENT PAUSE holds them.
    if (!server.pause) server.unpauseClients();
  }

  /**
   * Logs lagging replicas, stops saving children, syncs the AOF, saves
   * (with save points set or `save` true, unless `save` is false) and
   * closes everything (Redis's finishShutdown). When the AOF cannot be
   * finished or the save fails, it gives up (false) unless `force`, and a
   * pending shutdown is cancelled.
   */
  private finish(flags: ShutdownFlags): boolean {
    const server = this.server;
    const { save, force = false } = flags;
    this.logReplicas();
    server.persistence.abortBackgroundSave(
      "There is a child saving an .rdb. Killing it!",
    );
    let ok = true;
    if (server.aof.state === "wait_rewrite") {
      if (!force) {
        server.log.warning("Writing initial AOF, can't exit.");
        ok = false;
      } else server.log.warning("Writing initial AOF. Exit anyway.");
    }
    if (ok && server.aof.rewriteInProgress) {
      server.log.warning("There is a child rewriting the AOF. Killing it!");
      server.aof.killRewrite();
    }
    if (ok && server.aof.state !== "off") {
      server.log.notice("Calling fsync() on the AOF file.");
      server.aof.flushAndSync();
    }
    if (ok && (save ?? server.persistence.savePoints().length > 0)) {
      server.log.notice("Saving the final RDB snapshot before exiting.");
      if (!server.persistence.saveSync()) {
        if (force) {
          server.log.warning("Error trying to save the DB. Exit anyway.");
        } else {
          server.log.warning("Error trying to save the DB, can't exit.");
          ok = false;
        }
      }
    }
    if (!ok) {
      server.log.warning(
        "Errors trying to shut down the server. Check the logs for more information.",
      );
      this.cancel();
      return false;
    }
    server.close(0);
    server.log.warning("Redis is now ready to exit, bye bye...");
    return true;
  }

  /** The replicas' state at shutdown, in Redis's words. */
  private logReplicas(): void {
    const server = this.server;
    const offset = server.replication.offset;
    const now = Math.floor(Date.now() / 1000);
    let lagging = 0;
    for (const link of server.primary.replicas.values()) {
      if (link.ackOffset === offset) continue;
      lagging++;
      const lag = link.state === "online"
        ? now - Math.floor(link.ackTime / 1000)
        : 0;
      server.log.notice(
        `Lagging replica ${server.primary.describe(link)} reported offset ${
          offset - link.ackOffset
        } behind master, lag=${lag}, state=${link.state}.`,
      );
    }
    const total = server.primary.replicas.size;
    if (total > 0) {
      server.log.notice(
        `${
          total - lagging
        } of ${total} replicas are in sync when shutting down.`,
      );
    }
  }

  /**
   * Blocks a SHUTDOWN client until the shutdown it waits for ends: the
   * server exits, or the shutdown is cancelled and it gets an error.
   */
  blockClient(client: Client): void {
    this.server.blocking.block(client, [], 0, SHUTDOWN_WAITER);
  }
}
