/**
 * Builds the command table from every command family.
 * @module
 */

import { bitopsCommands } from "./bitops.ts";
import { blockingCommands } from "./blocking.ts";
import { commandCommands } from "./command.ts";
import { clientCommands } from "./client.ts";
import { configCommands } from "./config.ts";
import { connectionCommands } from "./connection.ts";
import { debugCommands } from "./debug.ts";
import { geoCommands } from "./geo.ts";
import { hashCommands } from "./hashes.ts";
import { hyperloglogCommands } from "./hyperloglog.ts";
import { keyCommands } from "./keys.ts";
import { listCommands } from "./lists.ts";
import { objectCommands } from "./object.ts";
import { persistenceCommands } from "./persistence.ts";
import { pubsubCommands } from "./pubsub.ts";
import { replicaofCommands } from "./replicaof.ts";
import { replicationCommands } from "./replication.ts";
import { serverCommands } from "./server.ts";
import { setCommands } from "./sets.ts";
import { sortCommands } from "./sort.ts";
import { streamCommands } from "./streams.ts";
import { stringCommands } from "./strings.ts";
import { CommandTable } from "./table.ts";
import { transactionCommands } from "./transactions.ts";
import { zsetCommands } from "./zsets.ts";

/** A table holding every implemented command. */
export function buildCommandTable(): CommandTable {
  const table = new CommandTable();
  table.register(connectionCommands);
  table.register(clientCommands);
  table.register(serverCommands);
  table.register(debugCommands);
  table.register(replicaofCommands);
  table.register(replicationCommands);
  table.register(keyCommands);
  table.register(objectCommands);
  table.register(stringCommands);
  table.register(hashCommands);
  table.register(listCommands);
  table.register(setCommands);
  table.register(zsetCommands);
  table.register(geoCommands);
  table.register(blockingCommands);
  table.register(sortCommands);
  table.register(bitopsCommands);
  table.register(hyperloglogCommands);
  table.register(commandCommands);
  table.register(configCommands);
  table.register(pubsubCommands);
  table.register(transactionCommands);
  table.register(streamCommands);
  table.register(persistenceCommands);
  return table;
}
