/**
 * Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, as Redis's multi.c.
 * Queueing happens in the dispatcher; EXEC runs the queued commands one
 * after another with nothing in between, so they are atomic for every other
 * client, for clients blocked on keys (served only after EXEC) and, once
 * they exist, for replicas and the AOF.
 * @module
 */

import type { Client } from "../client.ts";
import {
  discardTransaction,
  isWatchedKeyExpired,
  Transaction,
  unwatchAllKeys,
  watchKey,
} from "../multi.ts";
import { call } from "./dispatch.ts";
import { keysAt } from "./table.ts";
import type { CommandSpec } from "./table.ts";

function multi(client: Client): void {
  if (client.transaction) {
    client.out.error("ERR MULTI calls can not be nested");
    return;
  }
  client.transaction = new Transaction();
  client.out.ok();
}

function exec(client: Client): void {
  const transaction = client.transaction;
  if (!transaction) {
    client.out.error("ERR EXEC without MULTI");
    return;
  }
  // A key that expired after WATCH changed as surely as a written one.
  if (isWatchedKeyExpired(client)) client.dirtyCas = true;
  if (transaction.aborted) {
    client.out.error(
      "EXECABORT Transaction discarded because of previous errors.",
    );
    discardTransaction(client);
    return;
  }
  if (client.dirtyCas) {
    client.out.nullArray();
    discardTransaction(client);
    return;
  }
  unwatchAllKeys(client);
  const server = client.server;
  client.out.array(transaction.commands.length);
  // Blocking commands reply as on timeout and the clock stands still
  // while the queued commands run (see call()).
  server.inExec = true;
  try {
    for (const queued of transaction.commands) {
      call(server, client, queued.spec, queued.fullName, queued.argv);
    }
  } finally {
    server.inExec = false;
  }
  discardTransaction(client);
}

function discard(client: Client): void {
  if (!client.transaction) {
    client.out.error("ERR DISCARD without MULTI");
    return;
  }
  discardTransaction(client);
  client.out.ok();
}

function watch(client: Client, argv: string[]): void {
  if (client.transaction) {
    client.out.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  // Once a watched key changed, EXEC fails anyway: no point in watching more.
  if (!client.dirtyCas) {
    for (let i = 1; i < argv.length; i++) watchKey(client, argv[i]);
  }
  client.out.ok();
}

function unwatch(client: Client): void {
  unwatchAllKeys(client);
  client.dirtyCas = false;
  client.out.ok();
}

/** Transaction commands for the command table. */
export const transactionCommands: CommandSpec[] = [
  {
    name: "multi",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    acl: ["transaction"],
    keySpecs: [],
    summary: "Starts a transaction: the commands that follow are queued.",
    complexity: "O(1)",
    since: "1.2.0",
    group: "transactions",
    handler: multi,
  },
  {
    name: "exec",
    arity: 1,
    flags: ["noscript", "loading", "stale", "skip_slowlog"],
    acl: ["transaction"],
    keySpecs: [],
    summary: "Runs the commands queued since MULTI.",
    complexity: "Depends on commands in the transaction",
    since: "1.2.0",
    group: "transactions",
    handler: exec,
  },
  {
    name: "discard",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    acl: ["transaction"],
    keySpecs: [],
    summary: "Drops the commands queued since MULTI.",
    complexity: "O(N), when N is the number of queued commands",
    since: "2.0.0",
    group: "transactions",
    handler: discard,
  },
  {
    name: "watch",
    arity: -2,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    acl: ["transaction"],
    keySpecs: [keysAt(1, ["RO"], { lastkey: -1 })],
    summary:
      "Watches keys so that the next EXEC runs only if none of them changed.",
    complexity: "O(1) for every key.",
    since: "2.2.0",
    group: "transactions",
    handler: watch,
  },
  {
    name: "unwatch",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    acl: ["transaction"],
    keySpecs: [],
    summary: "Forgets every key WATCHed by the connection.",
    complexity: "O(1)",
    since: "2.2.0",
    group: "transactions",
    handler: unwatch,
  },
];
