/**
 * The dispatcher: finds the command in the table, checks arity, rejects with
 * Redis's error texts, runs the handler and keeps the statistics, as Redis's
 * processCommand and call do.
 * @module
 */

import { commandKeys } from "./getkeys.ts";
import type { Client } from "../client.ts";
import { discardTransaction } from "../multi.ts";
import type { Server } from "../server.ts";
import type { CommandSpec } from "./table.ts";
import { cString } from "./util.ts";

/** How much of the arguments the unknown-command error quotes. */
const ARGS_PREVIEW_LIMIT = 128;

/** `'a' 'b' ` preview of argv[1..], at most 128 bytes, as Redis quotes it. */
function argsPreview(argv: string[]): string {
  let out = "";
  for (let i = 1; i < argv.length && out.length < ARGS_PREVIEW_LIMIT; i++) {
    out += `'${cString(argv[i]).slice(0, ARGS_PREVIEW_LIMIT - out.length)}' `;
  }
  return out;
}

/** Replies with an error for a command refused before running. */
function reject(
  server: Server,
  client: Client,
  message: string,
  fullName?: string,
): void {
  if (fullName) server.stats.command(fullName).rejectedCalls++;
  if (fullName === "exec") {
    // A refused EXEC ends the transaction, inside MULTI or not (Redis's
    // execCommandAbort), quoting the reason without its ERR code.
    discardTransaction(client);
    const reason = message.startsWith("ERR ") ? message.slice(4) : message;
    message = `EXECABORT Transaction discarded because of: ${reason}`;
  } else if (client.transaction) {
    // Redis's flagTransaction: a command refused inside MULTI aborts EXEC.
    client.transaction.aborted = true;
  }
  client.out.error(message);
  server.stats.errorsCharged = server.stats.totalErrorReplies;
}

/** Resolves argv to a command spec and its full name, or replies with the error. */
function lookup(
  server: Server,
  client: Client,
  argv: string[],
): { spec: CommandSpec; fullName: string } | undefined {
  const top = server.commands.get(argv[0]);
  if (!top) {
    reject(
      server,
      client,
      `ERR unknown command '${
        cString(argv[0]).slice(0, 128)
      }', with args beginning with: ${argsPreview(argv)}`,
    );
    return undefined;
  }
  if (!top.subcommands || argv.length === 1) {
    return { spec: top, fullName: top.name };
  }
  const sub = server.commands.subcommand(top, argv[1]);
  if (!sub) {
    reject(
      server,
      client,
      `ERR unknown subcommand '${
        cString(argv[1]).slice(0, 128)
      }'. Try ${top.name.toUpperCase()} HELP.`,
    );
    return undefined;
  }
  return { spec: sub, fullName: `${top.name}|${sub.name}` };
}

/** What a RESP2 client may run while subscribed (Redis's processCommand). */
const ALLOWED_WHEN_SUBSCRIBED = new Set([
  "ping",
  "subscribe",
  "ssubscribe",
  "unsubscribe",
  "sunsubscribe",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
]);

/** What runs at once inside MULTI instead of being queued (processCommand). */
const RUN_INSIDE_MULTI = new Set([
  "exec",
  "discard",
  "multi",
  "watch",
  "quit",
  "reset",
]);

/** Redis's shared.bgsaveerr, without its leading '-'. */
const MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/**
 * What processCommand refuses while saving fails: write commands, EXEC of a
 * transaction that queued one, and PING (so that health checks notice).
 */
function deniedOnDiskError(
  client: Client,
  spec: CommandSpec,
  fullName: string,
): boolean {
  if (spec.flags.includes("write") || fullName === "ping") return true;
  return fullName === "exec" &&
    (client.transaction?.commands.some((c) => c.spec.flags.includes("write")) ??
      false);
}

/**
 * Why writes are refused, or null (writeCommandsDeniedByDiskError): a failed
 * background save first, then a failed AOF write.
 */
function diskErrorMessage(server: Server): string | null {
  if (server.persistence.writesDenied()) return MISCONF;
  const aof = server.aof;
  if (aof.state !== "off" && !aof.lastWriteOk) {
    return `MISCONF Errors writing to the AOF file: ${aof.lastWriteError}`;
  }
  return null;
}

/** Runs one command from `client`. */
export function execute(server: Server, client: Client, argv: string[]): void {
  const found = lookup(server, client, argv);
  if (!found) return;
  const { spec, fullName } = found;
  client.lastCommand = fullName;
  const arity = spec.arity;
  if ((arity > 0 && arity !== argv.length) || argv.length < -arity) {
    reject(
      server,
      client,
      `ERR wrong number of arguments for '${fullName}' command`,
      fullName,
    );
    return;
  }
  if (!client.authenticated && !spec.flags.includes("no_auth")) {
    reject(server, client, "NOAUTH Authentication required.", fullName);
    return;
  }
  if (fullName === "debug" && !debugAllowed(server, client)) {
    reject(
      server,
      client,
      'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
      fullName,
    );
    return;
  }
  if (client.transaction && spec.flags.includes("no_multi")) {
    reject(
      server,
      client,
      "ERR Command not allowed inside a transaction",
      fullName,
    );
    return;
  }
  const replica = server.replica;
  if (
    replica.isReplica && !client.isMaster &&
    server.config.bool("replica-read-only") && isWrite(client, spec)
  ) {
    reject(
      server,
      client,
      "READONLY You can't write against a read only replica.",
      fullName,
    );
    return;
  }
  if (
    (!server.persistence.lastBgsaveOk || !server.aof.lastWriteOk) &&
    deniedOnDiskError(client, spec, fullName)
  ) {
    const message = diskErrorMessage(server);
    if (message !== null) {
      reject(server, client, message, fullName);
      return;
    }
  }
  if (
    !replica.isReplica && isWrite(client, spec) &&
    !server.primary.enoughGoodReplicas()
  ) {
    reject(
      server,
      client,
      "NOREPLICAS Not enough good replicas to write.",
      fullName,
    );
    return;
  }
  if (
    client.protover === 2 && client.subscriptions.total > 0 &&
    !ALLOWED_WHEN_SUBSCRIBED.has(fullName)
  ) {
    reject(
      server,
      client,
      `ERR Can't execute '${fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      fullName,
    );
    return;
  }
  if (
    replica.isReplica && replica.state !== "connected" &&
    !server.config.bool("replica-serve-stale-data") &&
    deniedWhenStale(client, spec)
  ) {
    reject(
      server,
      client,
      "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
      fullName,
    );
    return;
  }
  if (
    (server.pause || server.shutdown.pending) &&
    server.isPausedFor(client, spec)
  ) {
    // Held back, not dropped: the client reads no further until it runs.
    client.postponed = argv;
    server.postponed.add(client);
    return;
  }
  if (client.transaction && !RUN_INSIDE_MULTI.has(fullName)) {
    client.transaction.queue(client, spec, fullName, argv);
    return;
  }
  call(server, client, spec, fullName, argv);
  // The execution unit ends here: its writes go to the AOF and replicas.
  server.propagation.flush();
  // WAIT waits for the replicas to reach this (Redis's c->woff).
  client.replOffset = server.replication.offset;
  // Waiters on keys this command made ready are served now, with the state
  // it left: after the whole of an EXEC, which runs call() for each queued.
  // Each served pop is a unit of its own, after the command's.
  if (server.blocking.hasReadyKeys) server.blocking.serveReadyKeys();
}

/**
 * Runs one command read from the AOF as Redis's loader runs it: none of the
 * checks a client's command goes through (READONLY, NOREPLICAS, MISCONF,
 * pauses would refuse a replica's or a paused server's own log), MULTI
 * queueing until EXEC, and no command statistics. The caller suspends
 * propagation, as the commands are already in the log.
 */
export function replay(server: Server, client: Client, argv: string[]): void {
  const found = lookup(server, client, argv);
  if (!found) return;
  const { spec, fullName } = found;
  if (client.transaction && fullName !== "exec" && fullName !== "discard") {
    client.transaction.queue(client, spec, fullName, argv);
    return;
  }
  call(server, client, spec, fullName, argv);
}

/** A write command, or an EXEC with one queued (Redis's is_write_command). */
function isWrite(client: Client, spec: CommandSpec): boolean {
  if (spec.flags.includes("write")) return true;
  return spec.name === "exec" &&
    (client.transaction?.commands.some((c) => c.spec.flags.includes("write")) ??
      false);
}

/** Refused by a replica whose link is down (Redis's is_denystale_command). */
function deniedWhenStale(client: Client, spec: CommandSpec): boolean {
  if (spec.name === "exec") {
    return client.transaction?.commands.some((c) =>
      !c.spec.flags.includes("stale")
    ) ?? false;
  }
  return !spec.flags.includes("stale");
}

/** `enable-debug-command`: yes, or local for loopback and unix socket clients. */
function debugAllowed(server: Server, client: Client): boolean {
  const setting = server.config.string("enable-debug-command");
  if (setting === "yes") return true;
  if (setting !== "local") return false;
  if (client.conn.unix) return true;
  const host = client.conn.remoteAddress.slice(
    0,
    client.conn.remoteAddress.lastIndexOf(":"),
  );
  return host === "127.0.0.1" || host === "::1";
}

/** Runs the handler and records the call (Redis's call()). */
export function call(
  server: Server,
  client: Client,
  spec: CommandSpec,
  fullName: string,
  argv: string[],
): void {
  const stats = server.stats;
  const errorsBefore = stats.totalErrorReplies;
  // During EXEC the clock stands still, as Redis freezes it for a command
  // and everything it runs.
  const sampleClock = !server.inExec;
  // Inside a read batch `now` was sampled for us (Server.beginBatch) and
  // durations come from Date.now() (see Server.settleUntimed): runs of fast
  // commands share one reading, any other command gets its own interval.
  // Outside a batch (timers, resumed clients) performance.now() times it.
  const inBatch = server.batchClock !== 0;
  const fast = inBatch && spec.flags.includes("fast");
  let started = 0;
  if (!inBatch) {
    if (sampleClock) server.now = Date.now();
    started = performance.now();
  } else if (!fast) {
    started = Date.now();
    server.settleUntimed(started);
  }
  const skipReply = client.replyMode !== "on";
  if (skipReply) client.out.muted = true;
  if (server.persistence.snapshotting && spec.flags.includes("write")) {
    // A running BGSAVE or AOF rewrite keeps these keys as they are before the handler
    // changes them in place (src/persistence/snapshot.ts).
    for (const ref of commandKeys(spec, argv)) {
      server.persistence.beforeChange(client.db, argv[ref.pos]);
    }
  }
  const dirtyBefore = server.dirty;
  try {
    spec.handler!(client, argv);
  } catch (error) {
    // A bug in one handler must not take the connection or the server down.
    server.log.warning(
      `Error running '${fullName}': ${(error as Error).stack ?? error}`,
    );
    client.out.error(`ERR internal error running '${fullName}'`);
  }
  // EXEC's own change count is its commands', which propagated themselves.
  server.propagation.commandDone(
    client.db.id,
    argv,
    // A save lowers the count: like Redis, only a rise is a change.
    server.dirty > dirtyBefore && fullName !== "exec",
  );
  if (skipReply) {
    client.out.muted = client.replyMode === "off";
    if (client.replyMode === "skip") client.replyMode = "on";
  }
  if (server.loadingAof) return;
  const s = stats.command(fullName);
  s.calls++;
  if (!inBatch) {
    s.usec += (performance.now() - started) * 1000;
  } else if (!fast) {
    const ended = Date.now();
    s.usec += (ended - started) * 1000;
    server.batchClock = ended;
  } else {
    server.untimed.push(s);
  }
  // Errors already charged to commands EXEC ran are not charged to EXEC.
  if (stats.totalErrorReplies !== Math.max(errorsBefore, stats.errorsCharged)) {
    s.failedCalls++;
  }
  stats.errorsCharged = stats.totalErrorReplies;
  stats.totalCommands++;
}
