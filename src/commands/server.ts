/**
 * Server commands: DBSIZE, FLUSHDB, FLUSHALL, TIME, INFO, SHUTDOWN.
 * @module
 */

import type { Client } from "../client.ts";
import { infoText } from "../info.ts";
import { touchAllWatchedKeysInDb } from "../multi.ts";
import type { CommandSpec } from "./table.ts";
import { Errors } from "./util.ts";

function dbsize(client: Client): void {
  client.out.integer(client.db.size);
}

/** FLUSHDB/FLUSHALL take an optional ASYNC or SYNC; both flush at once here. */
function flushMode(client: Client, argv: string[]): boolean {
  if (argv.length > 2) {
    client.out.error(Errors.syntax);
    return false;
  }
  if (argv.length === 2) {
    const mode = argv[1].toLowerCase();
    if (mode !== "sync" && mode !== "async") {
      client.out.error(Errors.syntax);
      return false;
    }
  }
  return true;
}

function flushdb(client: Client, argv: string[]): void {
  if (!flushMode(client, argv)) return;
  touchAllWatchedKeysInDb(client.server, client.db, undefined);
  client.server.dirty += client.db.size;
  // Emptying an empty database still propagates, as Redis forces it.
  client.server.propagation.force();
  client.db.clear();
  client.out.ok();
}

function flushall(client: Client, argv: string[]): void {
  if (!flushMode(client, argv)) return;
  const server = client.server;
  for (const db of server.dbs) {
    touchAllWatchedKeysInDb(server, db, undefined);
    server.dirty += db.size;
    db.clear();
  }
  // A BGSAVE still running would write the old data over the empty dump,
  // so it stops (Redis kills its child); with save points the empty
  // dataset is saved at once, as in Redis.
  const persistence = server.persistence;
  persistence.abortBackgroundSave("Background saving terminated by signal 10");
  if (persistence.savePoints().length > 0) persistence.saveSync();
  server.propagation.force();
  client.out.ok();
}

function time(client: Client): void {
  const micros = BigInt(Math.floor(
    (performance.timeOrigin + performance.now()) * 1000,
  ));
  client.out.array(2);
  client.out.bulk(String(micros / 1_000_000n));
  client.out.bulk(String(micros % 1_000_000n));
}

function info(client: Client, argv: string[]): void {
  client.out.verbatim(infoText(client.server, argv.slice(1)));
}

/** SHUTDOWN's modifiers. */
const SHUTDOWN_FLAGS = new Set(["nosave", "save", "now", "force", "abort"]);

function shutdown(client: Client, argv: string[]): void {
  const flags = new Set<string>();
  for (const arg of argv.slice(1)) {
    const flag = arg.toLowerCase();
    if (!SHUTDOWN_FLAGS.has(flag)) {
      client.out.error(Errors.syntax);
      return;
    }
    flags.add(flag);
  }
  const abort = flags.delete("abort");
  if ((abort && flags.size > 0) || (flags.has("save") && flags.has("nosave"))) {
    client.out.error(Errors.syntax);
    return;
  }
  if (abort) {
    if (client.server.shutdown.abort()) client.out.ok();
    else client.out.error("ERR No shutdown in progress.");
    return;
  }
  const save = flags.has("save")
    ? true
    : flags.has("nosave")
    ? false
    : undefined;
  const outcome = client.server.shutdown.begin({
    save,
    now: flags.has("now"),
    force: flags.has("force"),
  });
  if (outcome === "waiting") client.server.shutdown.blockClient(client);
  else if (outcome === "failed") {
    client.out.error("ERR Errors trying to SHUTDOWN. Check logs.");
  }
}

/** Server commands for the command table. */
export const serverCommands: CommandSpec[] = [
  {
    name: "dbsize",
    arity: 1,
    flags: ["readonly", "fast"],
    acl: ["keyspace"],
    keySpecs: [],
    tips: ["request_policy:all_shards", "response_policy:agg_sum"],
    summary: "Returns the number of keys in the selected database.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "server",
    handler: dbsize,
  },
  {
    name: "flushdb",
    arity: -1,
    flags: ["write"],
    acl: ["keyspace", "dangerous"],
    keySpecs: [],
    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
    summary: "Removes all keys from the selected database.",
    complexity: "O(N) where N is the number of keys in the selected database",
    since: "1.0.0",
    group: "server",
    handler: flushdb,
  },
  {
    name: "flushall",
    arity: -1,
    flags: ["write"],
    acl: ["keyspace", "dangerous"],
    keySpecs: [],
    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
    summary: "Removes all keys from all databases.",
    complexity: "O(N) where N is the total number of keys in all databases",
    since: "1.0.0",
    group: "server",
    handler: flushall,
  },
  {
    name: "time",
    arity: 1,
    flags: ["loading", "stale", "fast"],
    acl: [],
    keySpecs: [],
    tips: ["nondeterministic_output"],
    summary: "Returns the server's clock as Unix seconds and microseconds.",
    complexity: "O(1)",
    since: "2.6.0",
    group: "server",
    handler: time,
  },
  {
    name: "info",
    arity: -1,
    flags: ["loading", "stale"],
    acl: ["dangerous"],
    keySpecs: [],
    tips: [
      "nondeterministic_output",
      "request_policy:all_shards",
      "response_policy:special",
    ],
    summary: "Reports information and statistics about the server by section.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "server",
    history: [[
      "7.0.0",
      "Added support for taking multiple section arguments.",
    ]],
    handler: info,
  },
  {
    name: "shutdown",
    arity: -1,
    flags: ["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
    acl: [],
    keySpecs: [],
    summary: "Stops the server, closing every connection.",
    complexity:
      "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
    since: "1.0.0",
    group: "server",
    history: [["7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."]],
    handler: shutdown,
  },
];
