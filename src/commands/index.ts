/**
 * Builds the command table from every command family.
 * @module
 */

import { commandCommands } from "./command.ts";
import { clientCommands } from "./client.ts";
import { configCommands } from "./config.ts";
import { connectionCommands } from "./connection.ts";
import { debugCommands } from "./debug.ts";
import { keyCommands } from "./keys.ts";
import { serverCommands } from "./server.ts";
import { stringCommands } from "./strings.ts";
import { CommandTable } from "./table.ts";

/** A table holding every implemented command. */
export function buildCommandTable(): CommandTable {
  const table = new CommandTable();
  table.register(connectionCommands);
  table.register(clientCommands);
  table.register(serverCommands);
  table.register(debugCommands);
  table.register(keyCommands);
  table.register(stringCommands);
  table.register(commandCommands);
  table.register(configCommands);
  return table;
}
