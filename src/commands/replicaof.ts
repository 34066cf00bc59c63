/**
 * REPLICAOF and its old name SLAVEOF: follow a primary, or become one
 * (Redis's replicaofCommand). The link itself is src/replication/replica.ts.
 * @module
 */

import type { Client } from "../client.ts";
import { parseInteger } from "../util/numbers.ts";
import { clientInfoLine } from "./client.ts";
import type { CommandSpec } from "./table.ts";

function replicaof(client: Client, argv: string[]): void {
  const server = client.server;
  const link = server.replica;
  const [host, portText] = [argv[1], argv[2]];
  if (host.toLowerCase() === "no" && portText.toLowerCase() === "one") {
    if (link.isReplica) {
      link.stopFollowing();
      server.log.notice(
        `MASTER MODE enabled (user request from '${clientInfoLine(client)}')`,
      );
    }
    client.out.ok();
    return;
  }
  if (client.kind === "replica") {
    client.out.error("ERR Command is not valid when client is a replica.");
    return;
  }
  const port = parseInteger(portText);
  if (port === null || port < 0 || port > 65535) {
    client.out.error("ERR Invalid master port");
    return;
  }
  if (
    link.isReplica && link.host!.toLowerCase() === host.toLowerCase() &&
    link.port === port
  ) {
    server.log.notice(
      "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.",
    );
    client.out.simple("OK Already connected to specified master");
    return;
  }
  link.follow(host, port);
  server.log.notice(
    `REPLICAOF ${host}:${port} enabled (user request from '${
      clientInfoLine(client)
    }')`,
  );
  client.out.ok();
}

/** REPLICAOF and SLAVEOF. */
export const replicaofCommands: CommandSpec[] = [
  {
    name: "replicaof",
    arity: 3,
    flags: ["admin", "noscript", "stale", "no_async_loading"],
    acl: [],
    keySpecs: [],
    summary:
      "Configures a server as replica of another, or promotes it to a master.",
    complexity: "O(1)",
    since: "5.0.0",
    group: "server",
    handler: replicaof,
  },
  {
    name: "slaveof",
    arity: 3,
    flags: ["admin", "noscript", "stale", "no_async_loading"],
    acl: [],
    keySpecs: [],
    summary:
      "Sets a Redis server as a replica of another, or promotes it to being a master.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "server",
    docFlags: ["deprecated"],
    deprecatedSince: "5.0.0",
    replacedBy: "`REPLICAOF`",
    handler: replicaof,
  },
];
