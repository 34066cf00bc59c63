/**
 * Persistence commands: SAVE, BGSAVE, LASTSAVE, DUMP and RESTORE. The work
 * is in src/persistence; these parse arguments and reply as Redis 7.0 does.
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import { notifyKeyspaceEvent, signalModifiedKey } from "../notify.ts";
import {
  dumpPayload,
  payloadBytes,
  restoreValue,
  verifyPayload,
} from "../persistence/dump.ts";
import { RdbError } from "../persistence/rdb_format.ts";
import { type CommandSpec, keysAt } from "./table.ts";
import { Errors, integerArg, lookupRead } from "./util.ts";

function save(client: Client): void {
  const persistence = client.server.persistence;
  if (persistence.bgsaveInProgress) {
    client.out.error("ERR Background save already in progress");
    return;
  }
  // rdb_saves counts SAVE commands, failed ones too, but not the saves of
  // SHUTDOWN or DEBUG RELOAD, as in Redis.
  persistence.saves++;
  if (persistence.saveSync()) {
    client.out.ok();
  } else {
    client.out.error("ERR");
  }
}

function bgsave(client: Client, argv: string[]): void {
  if (
    argv.length > 2 ||
    (argv.length === 2 && argv[1].toLowerCase() !== "schedule")
  ) {
    client.out.error(Errors.syntax);
    return;
  }
  const persistence = client.server.persistence;
  const { aof, inExec } = client.server;
  if (
    !persistence.bgsaveInProgress &&
    (inExec || (aof.rewriteInProgress && argv.length === 2))
  ) {
    // BGSAVE SCHEDULE waits for the rewrite, as for Redis's AOF child; inside
    // EXEC the save always waits for the cron, as Redis forks no child there.
    persistence.bgsaveScheduled = true;
    client.out.simple("Background saving scheduled");
    return;
  }
  const error = persistence.startBackgroundSave();
  if (error === null) client.out.simple("Background saving started");
  else client.out.error(`ERR ${error}`.trimEnd());
}

function bgrewriteaof(client: Client): void {
  const { ok, text } = client.server.aof.backgroundRewriteCommand();
  if (ok) client.out.simple(text);
  else client.out.error(text);
}

function lastsave(client: Client): void {
  client.out.integer(client.server.persistence.lastSave);
}

function dump(client: Client, argv: string[]): void {
  const value = lookupRead(client, argv[1]);
  if (value === undefined) {
    client.out.null();
    return;
  }
  try {
    client.out.bulkBytes(
      dumpPayload(value, client.server.config.bool("rdbcompression")),
    );
  } catch (error) {
    if (!(error instanceof RdbError)) throw error;
    client.out.error(`ERR ${error.message}`);
  }
}

function restore(client: Client, argv: string[]): void {
  const out = client.out;
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < argv.length; j++) {
    const option = argv[j].toLowerCase();
    const more = j + 1 < argv.length;
    if (option === "replace") {
      replace = true;
    } else if (option === "absttl") {
      absttl = true;
    } else if (option === "idletime" && more && freq === -1) {
      const n = integerArg(client, argv[++j]);
      if (n === null) return;
      if (n < 0) return out.error("ERR Invalid IDLETIME value, must be >= 0");
      idle = n;
    } else if (option === "freq" && more && idle === -1) {
      const n = integerArg(client, argv[++j]);
      if (n === null) return;
      if (n < 0 || n > 255) {
        return out.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      }
      freq = n;
    } else {
      return out.error(Errors.syntax);
    }
  }
  const server = client.server;
  const db = client.db;
  const key = argv[1];
  if (!replace && db.get(key, server.now) !== undefined) {
    return out.error("BUSYKEY Target key name already exists.");
  }
  let ttl = integerArg(client, argv[2]);
  if (ttl === null) return;
  if (ttl < 0) return out.error("ERR Invalid TTL value, must be >= 0");
  const payload = payloadBytes(argv[3]);
  if (!verifyPayload(payload)) {
    return out.error("ERR DUMP payload version or checksum are wrong");
  }
  const value = restoreValue(payload, server.persistence.limits());
  if (value === null) return out.error("ERR Bad data format");
  const deleted = replace && db.delete(key);
  if (ttl !== 0 && !absttl) ttl += server.now;
  if (ttl !== 0 && ttl <= server.now) {
    if (deleted) {
      signalModifiedKey(server, db, key);
      notifyKeyspaceEvent(server, Notify.generic, "del", key, db.id);
      server.propagation.rewrite(["DEL", key]);
      server.dirty++;
    }
    return out.ok();
  }
  // A relative TTL replays wrong later: replicas get it absolute.
  if (ttl !== 0 && !absttl) {
    server.propagation.rewrite([
      ...argv.slice(0, 2),
      String(ttl),
      ...argv.slice(3),
      "ABSTTL",
    ]);
  }
  db.set(key, value);
  if (ttl !== 0) db.setExpire(key, ttl);
  if (
    freq !== -1 && server.config.string("maxmemory-policy").endsWith("-lfu")
  ) {
    db.setFrequency(key, freq);
  } else if (
    idle !== -1 && !server.config.string("maxmemory-policy").endsWith("-lfu")
  ) {
    db.setIdleSeconds(key, idle);
  }
  signalModifiedKey(server, db, key);
  notifyKeyspaceEvent(server, Notify.generic, "restore", key, db.id);
  server.dirty++;
  out.ok();
}

/** Persistence commands for the command table. */
export const persistenceCommands: CommandSpec[] = [
  {
    name: "save",
    arity: 1,
    flags: ["admin", "noscript", "no_async_loading", "no_multi"],
    acl: [],
    keySpecs: [],
    summary: "Synchronously saves the database(s) to disk.",
    complexity: "O(N) where N is the total number of keys in all databases",
    since: "1.0.0",
    group: "server",
    handler: save,
  },
  {
    name: "bgsave",
    arity: -1,
    flags: ["admin", "noscript", "no_async_loading"],
    acl: [],
    keySpecs: [],
    summary: "Asynchronously saves the database(s) to disk.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "server",
    history: [["3.2.2", "Added the `SCHEDULE` option."]],
    handler: bgsave,
  },
  {
    name: "bgrewriteaof",
    arity: 1,
    flags: ["admin", "noscript", "no_async_loading"],
    acl: [],
    keySpecs: [],
    summary: "Asynchronously rewrites the append-only file to disk.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "server",
    handler: bgrewriteaof,
  },
  {
    name: "lastsave",
    arity: 1,
    flags: ["loading", "stale", "fast"],
    acl: ["admin", "dangerous"],
    tips: ["nondeterministic_output"],
    keySpecs: [],
    summary: "Returns the Unix timestamp of the last successful save to disk.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "server",
    handler: lastsave,
  },
  {
    name: "dump",
    arity: 2,
    flags: ["readonly"],
    acl: ["keyspace"],
    tips: ["nondeterministic_output"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    summary:
      "Returns a serialized representation of the value stored at a key.",
    complexity:
      "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
    since: "2.6.0",
    group: "generic",
    handler: dump,
  },
  {
    name: "restore",
    arity: -4,
    flags: ["write", "denyoom"],
    acl: ["keyspace", "dangerous"],
    keySpecs: [keysAt(1, ["OW", "update"])],
    summary: "Creates a key from the serialized representation of a value.",
    complexity:
      "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
    since: "2.6.0",
    group: "generic",
    history: [
      ["3.0.0", "Added the `REPLACE` modifier."],
      ["5.0.0", "Added the `ABSTTL` modifier."],
      ["5.0.0", "Added the `IDLETIME` and `FREQ` options."],
    ],
    handler: restore,
  },
];
