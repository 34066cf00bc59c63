/**
 * Server commands: DBSIZE, FLUSHDB, FLUSHALL (and, as they land, INFO,
 * CONFIG, COMMAND, DEBUG, SHUTDOWN, TIME).
 * @module
 */

import type { Client } from "../client.ts";
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
  client.server.dirty += client.db.size;
  client.db.clear();
  client.out.ok();
}

function flushall(client: Client, argv: string[]): void {
  if (!flushMode(client, argv)) return;
  for (const db of client.server.dbs) {
    client.server.dirty += db.size;
    db.clear();
  }
  client.server.dirty++;
  client.out.ok();
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
];
