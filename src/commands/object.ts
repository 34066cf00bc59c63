/**
 * OBJECT: ENCODING, REFCOUNT, IDLETIME, FREQ and HELP (Redis's object.c).
 * @module
 */

import type { Client } from "../client.ts";
import { objectEncoding, objectRefcount } from "../store/encoding.ts";
import { tracksFrequency } from "../store/keyspace.ts";
import { lookupNoTouch } from "./keys.ts";
import { type CommandSpec, keysAt } from "./table.ts";

/** OBJECT HELP, line for line as Redis 7.0 prints it. */
const HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
];

const POLICY_SWITCH_NOTE =
  "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/** Runs `reply` on the key's value, or replies null when there is no such key. */
function withValue(
  client: Client,
  key: string,
  reply: (value: NonNullable<ReturnType<typeof lookupNoTouch>>) => void,
): void {
  const value = lookupNoTouch(client, key, true);
  if (value === undefined) client.out.null();
  else reply(value);
}

function encoding(client: Client, argv: string[]): void {
  withValue(client, argv[2], (value) => client.out.bulk(objectEncoding(value)));
}

function refcount(client: Client, argv: string[]): void {
  withValue(client, argv[2], (value) => {
    const config = client.server.config;
    client.out.integer(
      objectRefcount(
        value,
        config.number("maxmemory"),
        config.string("maxmemory-policy"),
      ),
    );
  });
}

function idletime(client: Client, argv: string[]): void {
  withValue(client, argv[2], () => {
    if (tracksFrequency()) {
      client.out.error(
        `ERR An LFU maxmemory policy is selected, idle time not tracked. ${POLICY_SWITCH_NOTE}`,
      );
    } else {
      client.out.integer(client.db.idleSeconds(argv[2]));
    }
  });
}

function freq(client: Client, argv: string[]): void {
  withValue(client, argv[2], () => {
    if (!tracksFrequency()) {
      client.out.error(
        `ERR An LFU maxmemory policy is not selected, access frequency not tracked. ${POLICY_SWITCH_NOTE}`,
      );
    } else {
      client.out.integer(client.db.accessFrequency(argv[2]));
    }
  });
}

function help(client: Client): void {
  client.out.array(HELP.length);
  for (const line of HELP) client.out.simple(line);
}

/** An OBJECT subcommand that inspects one key. */
function keySubcommand(
  name: string,
  since: string,
  summary: string,
  handler: (client: Client, argv: string[]) => void,
): CommandSpec {
  return {
    name,
    arity: 3,
    flags: ["readonly"],
    acl: ["keyspace"],
    keySpecs: [keysAt(2, ["RO"])],
    tips: ["nondeterministic_output"],
    summary,
    complexity: "O(1)",
    since,
    group: "generic",
    handler,
  };
}

/** The OBJECT container and its subcommands. */
export const objectCommands: CommandSpec[] = [
  {
    name: "object",
    arity: -2,
    flags: [],
    acl: [],
    keySpecs: [],
    summary: "Inspects how the server holds a key's value.",
    complexity: "Depends on subcommand.",
    since: "2.2.3",
    group: "generic",
    subcommands: [
      keySubcommand(
        "encoding",
        "2.2.3",
        "Returns the internal encoding of a key's value.",
        encoding,
      ),
      keySubcommand(
        "freq",
        "4.0.0",
        "Returns the logarithmic access frequency counter of a key.",
        freq,
      ),
      keySubcommand(
        "idletime",
        "2.2.3",
        "Returns the seconds since a key was last accessed.",
        idletime,
      ),
      keySubcommand(
        "refcount",
        "2.2.3",
        "Returns how many references share a key's value.",
        refcount,
      ),
      {
        name: "help",
        arity: 2,
        flags: ["loading", "stale"],
        acl: ["keyspace"],
        keySpecs: [],
        summary: "Returns helpful text about the different subcommands.",
        complexity: "O(1)",
        since: "6.2.0",
        group: "generic",
        handler: help,
      },
    ],
  },
];
