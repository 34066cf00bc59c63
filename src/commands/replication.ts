/**
 * The replication commands a primary answers: REPLCONF (from replicas),
 * PSYNC and SYNC, WAIT and ROLE (Redis's replconfCommand, syncCommand,
 * waitCommand and roleCommand). The primary itself is src/replication/primary.ts.
 * @module
 */

import type { Client } from "../client.ts";
import { parseInteger } from "../util/numbers.ts";
import type { CommandSpec } from "./table.ts";
import { cString } from "./util.ts";

const NOT_AN_INTEGER = "ERR value is not an integer or out of range";

function replconf(client: Client, argv: string[]): void {
  const primary = client.server.primary;
  if (argv.length % 2 === 0) {
    client.out.error("ERR syntax error");
    return;
  }
  for (let i = 1; i < argv.length; i += 2) {
    const option = argv[i].toLowerCase();
    const value = argv[i + 1];
    if (option === "listening-port") {
      const port = parseInteger(value);
      if (port === null) return client.out.error(NOT_AN_INTEGER);
      primary.pendingLink(client).listeningPort = port;
    } else if (option === "ip-address") {
      if (value.length >= 256) {
        return client.out.error(
          `ERR REPLCONF ip-address provided by replica instance is too long: ${value.length} bytes`,
        );
      }
      primary.pendingLink(client).announcedIp = value;
    } else if (option === "capa") {
      const link = primary.pendingLink(client);
      if (value.toLowerCase() === "eof") link.capaEof = true;
      if (value.toLowerCase() === "psync2") link.capaPsync2 = true;
    } else if (option === "ack") {
      // Replicas get no reply to ACK; others are ignored silently.
      const link = primary.linkOf(client);
      const offset = parseInteger(value);
      if (link && offset !== null) primary.acknowledge(link, offset);
      return;
    } else if (option === "getack") {
      const link = client.server.replica;
      if (link.master) link.sendAck(link.master.appliedOffset);
      return;
    } else if (option === "rdb-only") {
      const flag = parseInteger(value);
      if (flag === null) return client.out.error(NOT_AN_INTEGER);
      if (flag !== 0 && flag !== 1) {
        return client.out.error(
          "ERR value is out of range, value must between 0 and 1",
        );
      }
      primary.pendingLink(client).rdbOnly = flag === 1;
    } else {
      return client.out.error(
        `ERR Unrecognized REPLCONF option: ${cString(argv[i])}`,
      );
    }
  }
  client.out.ok();
}

/** PSYNC replid offset and SYNC: a replica asks for the stream. */
function sync(client: Client, argv: string[]): void {
  const server = client.server;
  // A replica that sends it again is ignored, as in Redis.
  if (server.primary.linkOf(client)) return;
  if (server.replica.isReplica && server.replica.state !== "connected") {
    client.out.error(
      "NOMASTERLINK Can't SYNC while not connected with my master",
    );
    return;
  }
  if (client.out.length !== 0) {
    client.out.error("ERR SYNC and PSYNC are invalid with pending output");
    return;
  }
  const psync = argv[0].toLowerCase() === "psync";
  let offset = -1;
  if (psync) {
    const parsed = parseInteger(argv[2]);
    if (parsed === null) return client.out.error(NOT_AN_INTEGER);
    offset = parsed;
  }
  server.primary.sync(client, psync ? argv[1] : "?", offset, psync);
}

function wait(client: Client, argv: string[]): void {
  const server = client.server;
  if (server.replica.isReplica) {
    client.out.error(
      "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
    );
    return;
  }
  const replicas = parseInteger(argv[1]);
  if (replicas === null) return client.out.error(NOT_AN_INTEGER);
  const timeout = parseInteger(argv[2]);
  if (timeout === null) {
    return client.out.error("ERR timeout is not an integer or out of range");
  }
  if (timeout < 0) return client.out.error("ERR timeout is negative");
  server.primary.wait(client, replicas, timeout);
}

function role(client: Client): void {
  const server = client.server;
  if (server.replica.isReplica) {
    server.replica.writeRole(client.out);
    return;
  }
  const out = client.out;
  const online = [...server.primary.replicas.values()].filter((link) =>
    link.state === "online"
  );
  out.array(3);
  out.bulk("master");
  out.integer(server.replication.offset);
  out.array(online.length);
  for (const link of online) {
    out.array(3);
    out.bulk(server.primary.addressOf(link));
    out.bulk(String(link.listeningPort));
    out.bulk(String(link.ackOffset));
  }
}

/** REPLCONF, PSYNC, SYNC, WAIT and ROLE. */
export const replicationCommands: CommandSpec[] = [
  {
    name: "replconf",
    arity: -1,
    flags: ["admin", "noscript", "loading", "stale", "allow_busy"],
    acl: [],
    keySpecs: [],
    summary: "An internal command for configuring the replication stream",
    complexity: "O(1)",
    since: "3.0.0",
    group: "server",
    docFlags: ["syscmd"],
    handler: replconf,
  },
  {
    name: "psync",
    arity: -3,
    flags: ["admin", "noscript", "no_async_loading", "no_multi"],
    acl: [],
    keySpecs: [],
    summary: "Internal command used for replication",
    since: "2.8.0",
    group: "server",
    handler: sync,
  },
  {
    name: "sync",
    arity: 1,
    flags: ["admin", "noscript", "no_async_loading", "no_multi"],
    acl: [],
    keySpecs: [],
    summary: "Internal command used for replication",
    since: "1.0.0",
    group: "server",
    handler: sync,
  },
  {
    name: "wait",
    arity: 3,
    flags: ["noscript"],
    acl: ["connection"],
    keySpecs: [],
    tips: ["request_policy:all_shards", "response_policy:agg_min"],
    summary:
      "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
    complexity: "O(1)",
    since: "3.0.0",
    group: "generic",
    handler: wait,
  },
  {
    name: "role",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast"],
    acl: ["admin", "dangerous"],
    keySpecs: [],
    summary: "Returns the role of the instance in the context of replication",
    complexity: "O(1)",
    since: "2.8.12",
    group: "server",
    handler: role,
  },
];
