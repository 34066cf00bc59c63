/**
 * Connection commands: PING, ECHO, QUIT, SELECT (and, as they land, HELLO,
 * RESET, AUTH, CLIENT).
 * @module
 */

import type { Client } from "../client.ts";
import { parseInteger } from "../util/numbers.ts";
import type { CommandSpec } from "./table.ts";

function ping(client: Client, argv: string[]): void {
  if (argv.length > 2) {
    client.out.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (argv.length === 1) client.out.simple("PONG");
  else client.out.bulk(argv[1]);
}

function echo(client: Client, argv: string[]): void {
  client.out.bulk(argv[1]);
}

function quit(client: Client): void {
  client.out.ok();
  client.closeAfterReply = true;
}

function select(client: Client, argv: string[]): void {
  const id = parseInteger(argv[1]);
  if (id === null || id > 2147483647 || id < -2147483648) {
    client.out.error("ERR invalid DB index");
    return;
  }
  const db = client.server.dbs[id];
  if (!db) {
    client.out.error("ERR DB index is out of range");
    return;
  }
  client.db = db;
  client.out.ok();
}

/** Connection commands for the command table. */
export const connectionCommands: CommandSpec[] = [
  {
    name: "ping",
    arity: -1,
    flags: ["fast"],
    acl: ["connection"],
    keySpecs: [],
    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
    summary: "Returns PONG, or the given message.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "connection",
    handler: ping,
  },
  {
    name: "echo",
    arity: 2,
    flags: ["loading", "stale", "fast"],
    acl: ["connection"],
    keySpecs: [],
    summary: "Returns the given string.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "connection",
    handler: echo,
  },
  {
    name: "quit",
    arity: -1,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    acl: ["connection"],
    keySpecs: [],
    summary: "Closes the connection after replying OK.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "connection",
    handler: quit,
  },
  {
    name: "select",
    arity: 2,
    flags: ["loading", "stale", "fast"],
    acl: ["connection"],
    keySpecs: [],
    summary: "Changes the selected database of the connection.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "connection",
    handler: select,
  },
];
