/**
 * DEBUG, as far as redeno has it: DEBUG SLEEP. The dispatcher applies
 * `enable-debug-command` before the handler runs, as Redis does.
 * @module
 */

import type { Client } from "../client.ts";
import type { CommandSpec } from "./table.ts";

/** Blocks the whole thread, as Redis's nanosleep does: nothing else runs meanwhile. */
function sleepSync(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function debug(client: Client, argv: string[]): void {
  const sub = argv[1].toLowerCase();
  if (sub === "sleep" && argv.length === 3) {
    // Redis reads the seconds with strtod: a leading number or 0.
    const seconds = parseFloat(argv[2]);
    sleepSync(Number.isFinite(seconds) ? seconds * 1000 : 0);
    client.out.ok();
    return;
  }
  client.out.error(
    `ERR unknown subcommand or wrong number of arguments for '${
      argv[1].slice(0, 128)
    }'. Try DEBUG HELP.`,
  );
}

/** DEBUG for the command table. */
export const debugCommands: CommandSpec[] = [
  {
    name: "debug",
    arity: -2,
    flags: ["admin", "noscript", "loading", "stale"],
    acl: [],
    keySpecs: [],
    summary: "Commands for testing and inspecting the server.",
    complexity: "Depends on subcommand.",
    since: "1.0.0",
    group: "server",
    docFlags: ["syscmd"],
    handler: debug,
  },
];
