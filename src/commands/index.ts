/**
 * Builds the command table from every command family.
 * @module
 */

import { connectionCommands } from "./connection.ts";
import { keyCommands } from "./keys.ts";
import { serverCommands } from "./server.ts";
import { stringCommands } from "./strings.ts";
import { CommandTable } from "./table.ts";

/** A table holding every implemented command. */
export function buildCommandTable(): CommandTable {
  const table = new CommandTable();
  table.register(connectionCommands);
  table.register(serverCommands);
  table.register(keyCommands);
  table.register(stringCommands);
  return table;
}
