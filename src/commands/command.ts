/**
 * COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS,
 * GETKEYSANDFLAGS, HELP): the command table rendered as Redis 7.0 renders
 * its own, in RESP2 and RESP3.
 * @module
 */

import type { Client } from "../client.ts";
import type { ReplyWriter } from "../protocol/writer.ts";
import { globMatch } from "../util/glob.ts";
import argsJson from "./args.json" with { type: "json" };
import {
  commandKeys,
  hasKeyArguments,
  KEY_SPEC_FLAG_ORDER,
  legacyKeyRange,
} from "./getkeys.ts";
import {
  ACL_CATEGORY_ORDER,
  aclCategories,
  type ArgSpec,
  type CommandFlag,
  type CommandSpec,
  type KeySpec,
} from "./table.ts";
import { Errors, isKeyword } from "./util.ts";

/** COMMAND DOCS argument trees by full name ("get", "config|get"). */
const ARGUMENTS = argsJson as unknown as Record<string, ArgSpec[]>;

/**
 * The flags COMMAND INFO shows, in Redis's order; may_replicate, sentinel,
 * only_sentinel and protected are internal and hidden, as in Redis.
 */
const SHOWN_FLAGS: readonly CommandFlag[] = [
  "write",
  "readonly",
  "denyoom",
  "module",
  "admin",
  "pubsub",
  "noscript",
  "blocking",
  "loading",
  "stale",
  "skip_monitor",
  "skip_slowlog",
  "asking",
  "fast",
  "no_auth",
  "no_mandatory_keys",
  "no_async_loading",
  "no_multi",
  "movablekeys",
  "allow_busy",
];

const DOC_FLAG_ORDER = ["deprecated", "syscmd"];
const ARG_FLAG_ORDER = ["optional", "multiple", "multiple_token"] as const;

/** A set of status replies, as Redis replies flag lists. */
function statusSet(out: ReplyWriter, items: readonly string[]): void {
  out.set(items.length);
  for (const item of items) out.simple(item);
}

/** `flags` reduced to those in `order`, in that order. */
function ordered(order: readonly string[], flags: readonly string[]): string[] {
  return order.filter((f) => flags.includes(f));
}

function replyKeySpec(out: ReplyWriter, ks: KeySpec): void {
  out.map(ks.notes ? 4 : 3);
  if (ks.notes) {
    out.bulk("notes");
    out.text(ks.notes);
  }
  out.bulk("flags");
  statusSet(out, ordered(KEY_SPEC_FLAG_ORDER, ks.flags));
  out.bulk("begin_search");
  out.map(2);
  out.bulk("type");
  const bs = ks.beginSearch;
  if (bs === "unknown") {
    out.bulk("unknown");
    out.bulk("spec");
    out.map(0);
  } else if ("index" in bs) {
    out.bulk("index");
    out.bulk("spec");
    out.map(1);
    out.bulk("index");
    out.integer(bs.index);
  } else {
    out.bulk("keyword");
    out.bulk("spec");
    out.map(2);
    out.bulk("keyword");
    out.bulk(bs.keyword);
    out.bulk("startfrom");
    out.integer(bs.startfrom);
  }
  out.bulk("find_keys");
  out.map(2);
  out.bulk("type");
  const fk = ks.findKeys;
  if (fk === "unknown") {
    out.bulk("unknown");
    out.bulk("spec");
    out.map(0);
  } else if ("lastkey" in fk) {
    out.bulk("range");
    out.bulk("spec");
    out.map(3);
    out.bulk("lastkey");
    out.integer(fk.lastkey);
    out.bulk("keystep");
    out.integer(fk.keystep);
    out.bulk("limit");
    out.integer(fk.limit);
  } else {
    out.bulk("keynum");
    out.bulk("spec");
    out.map(3);
    out.bulk("keynumidx");
    out.integer(fk.keynumidx);
    out.bulk("firstkey");
    out.integer(fk.firstkey);
    out.bulk("keystep");
    out.integer(fk.keystep);
  }
}

/** One COMMAND INFO entry: the 10-element array Redis replies. */
function replyCommandInfo(
  out: ReplyWriter,
  spec: CommandSpec,
  fullName: string,
): void {
  const range = legacyKeyRange(spec);
  out.array(10);
  out.bulk(fullName);
  out.integer(spec.arity);
  statusSet(
    out,
    SHOWN_FLAGS.filter((f) =>
      f === "movablekeys" ? range.movable : spec.flags.includes(f)
    ),
  );
  out.integer(range.first);
  out.integer(range.last);
  out.integer(range.step);
  statusSet(out, aclCategories(spec).map((c) => "@" + c));
  const tips = spec.tips ?? [];
  out.set(tips.length);
  for (const tip of tips) out.bulk(tip);
  out.set(spec.keySpecs.length);
  for (const ks of spec.keySpecs) replyKeySpec(out, ks);
  if (!spec.subcommands) {
    out.set(0);
    return;
  }
  out.array(spec.subcommands.length);
  for (const sub of spec.subcommands) {
    replyCommandInfo(out, sub, `${fullName}|${sub.name}`);
  }
}

function replyArguments(out: ReplyWriter, args: readonly ArgSpec[]): void {
  out.array(args.length);
  for (const arg of args) {
    const flags = ARG_FLAG_ORDER.filter((f) =>
      f === "multiple_token" ? arg.multipleToken : arg[f]
    );
    const nested = arg.type === "oneof" || arg.type === "block";
    const fields = 2 + Number(arg.keySpecIndex !== undefined) +
      Number(arg.token !== undefined) + Number(arg.summary !== undefined) +
      Number(arg.since !== undefined) +
      Number(arg.deprecatedSince !== undefined) + Number(flags.length > 0) +
      Number(nested);
    out.map(fields);
    out.bulk("name");
    out.bulk(arg.name);
    out.bulk("type");
    out.bulk(arg.type);
    if (arg.keySpecIndex !== undefined) {
      out.bulk("key_spec_index");
      out.integer(arg.keySpecIndex);
    }
    if (arg.token !== undefined) {
      out.bulk("token");
      out.bulk(arg.token);
    }
    if (arg.summary !== undefined) {
      out.bulk("summary");
      out.text(arg.summary);
    }
    if (arg.since !== undefined) {
      out.bulk("since");
      out.bulk(arg.since);
    }
    if (arg.deprecatedSince !== undefined) {
      out.bulk("deprecated_since");
      out.bulk(arg.deprecatedSince);
    }
    if (flags.length > 0) {
      out.bulk("flags");
      statusSet(out, flags);
    }
    if (nested) {
      out.bulk("arguments");
      replyArguments(out, arg.args ?? []);
    }
  }
}

/** One COMMAND DOCS entry: a map holding only the fields the command has. */
function replyCommandDocs(
  out: ReplyWriter,
  spec: CommandSpec,
  fullName: string,
): void {
  const args = ARGUMENTS[fullName];
  const docFlags = ordered(DOC_FLAG_ORDER, spec.docFlags ?? []);
  const present = [
    spec.summary,
    spec.since,
    true, // group: always there
    spec.complexity,
    docFlags.length > 0,
    spec.deprecatedSince,
    spec.replacedBy,
    spec.history,
    args,
    spec.subcommands,
  ];
  out.map(present.filter(Boolean).length);
  if (spec.summary) {
    out.bulk("summary");
    out.text(spec.summary);
  }
  if (spec.since) {
    out.bulk("since");
    out.bulk(spec.since);
  }
  out.bulk("group");
  out.bulk(spec.group);
  if (spec.complexity) {
    out.bulk("complexity");
    out.text(spec.complexity);
  }
  if (docFlags.length > 0) {
    out.bulk("doc_flags");
    statusSet(out, docFlags);
  }
  if (spec.deprecatedSince) {
    out.bulk("deprecated_since");
    out.bulk(spec.deprecatedSince);
  }
  if (spec.replacedBy) {
    out.bulk("replaced_by");
    out.text(spec.replacedBy);
  }
  if (spec.history) {
    out.bulk("history");
    out.set(spec.history.length);
    for (const [version, change] of spec.history) {
      out.array(2);
      out.bulk(version);
      out.text(change);
    }
  }
  if (args) {
    out.bulk("arguments");
    replyArguments(out, args);
  }
  if (spec.subcommands) {
    out.bulk("subcommands");
    out.map(spec.subcommands.length);
    for (const sub of spec.subcommands) {
      const subName = `${fullName}|${sub.name}`;
      out.bulk(subName);
      replyCommandDocs(out, sub, subName);
    }
  }
}

/** COMMAND and COMMAND INFO with no names: every command. */
function replyAllInfo(client: Client): void {
  const table = client.server.commands;
  client.out.array(table.size);
  for (const spec of table.all()) replyCommandInfo(client.out, spec, spec.name);
}

function command(client: Client): void {
  replyAllInfo(client);
}

function commandCount(client: Client): void {
  client.out.integer(client.server.commands.size);
}

function commandInfo(client: Client, argv: string[]): void {
  if (argv.length === 2) return replyAllInfo(client);
  const table = client.server.commands;
  client.out.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const found = table.byFullName(argv[i]);
    if (found) replyCommandInfo(client.out, found.spec, found.fullName);
    else client.out.null();
  }
}

function commandDocs(client: Client, argv: string[]): void {
  const table = client.server.commands;
  const out = client.out;
  if (argv.length === 2) {
    out.map(table.size);
    for (const spec of table.all()) {
      out.bulk(spec.name);
      replyCommandDocs(out, spec, spec.name);
    }
    return;
  }
  // Unknown names are left out, so the map's size is known only at the end.
  const found = argv.slice(2).map((name) => table.byFullName(name)).filter((
    f,
  ) => f !== undefined);
  out.map(found.length);
  for (const { spec, fullName } of found) {
    out.bulk(fullName);
    replyCommandDocs(out, spec, fullName);
  }
}

/** A COMMAND LIST filter on a command's full name and spec. */
type ListFilter = (spec: CommandSpec, fullName: string) => boolean;

/** Parses `FILTERBY MODULE|ACLCAT|PATTERN arg`; undefined after a syntax error. */
function listFilter(client: Client, argv: string[]): ListFilter | undefined {
  if (argv.length === 2) return () => true;
  if (argv.length !== 5 || !isKeyword(argv[2], "filterby")) {
    client.out.error(Errors.syntax);
    return undefined;
  }
  const arg = argv[4];
  switch (argv[3].toLowerCase()) {
    case "module":
      return () => false; // no modules here
    case "aclcat": {
      const category = ACL_CATEGORY_ORDER.find((c) => c === arg.toLowerCase());
      return (spec) =>
        category !== undefined && aclCategories(spec).includes(category);
    }
    case "pattern":
      return (_, fullName) => globMatch(arg, fullName, true);
  }
  client.out.error(Errors.syntax);
  return undefined;
}

function commandList(client: Client, argv: string[]): void {
  const keep = listFilter(client, argv);
  if (!keep) return;
  const names: string[] = [];
  for (const spec of client.server.commands.all()) {
    if (keep(spec, spec.name)) names.push(spec.name);
    for (const sub of spec.subcommands ?? []) {
      const fullName = `${spec.name}|${sub.name}`;
      if (keep(sub, fullName)) names.push(fullName);
    }
  }
  client.out.bulkArray(names);
}

/** COMMAND GETKEYS and GETKEYSANDFLAGS on the command line argv[2..]. */
function replyKeys(client: Client, argv: string[], withFlags: boolean): void {
  const line = argv.slice(2);
  const table = client.server.commands;
  const top = table.get(line[0]);
  const spec = top?.subcommands && line.length > 1
    ? table.subcommand(top, line[1])
    : top;
  const out = client.out;
  if (!spec) return out.error("ERR Invalid command specified");
  if (!hasKeyArguments(spec)) {
    return out.error("ERR The command has no key arguments");
  }
  if (
    (spec.arity > 0 && spec.arity !== line.length) ||
    line.length < -spec.arity
  ) {
    return out.error("ERR Invalid number of arguments specified for command");
  }
  const keys = commandKeys(spec, line);
  if (keys.length === 0) {
    if (spec.flags.includes("no_mandatory_keys")) return out.array(0);
    return out.error("ERR Invalid arguments specified for command");
  }
  out.array(keys.length);
  for (const key of keys) {
    if (!withFlags) {
      out.bulk(line[key.pos]);
      continue;
    }
    out.array(2);
    out.bulk(line[key.pos]);
    statusSet(out, ordered(KEY_SPEC_FLAG_ORDER, key.flags));
  }
}

const HELP = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
  "HELP",
  "    Prints this help.",
];

function commandHelp(client: Client): void {
  client.out.array(HELP.length);
  for (const line of HELP) client.out.simple(line);
}

/** Fields every COMMAND subcommand shares. */
const SUBCOMMAND = {
  flags: ["loading", "stale"],
  acl: ["connection"],
  keySpecs: [],
  group: "server",
} satisfies Partial<CommandSpec>;

/** COMMAND for the command table. */
export const commandCommands: CommandSpec[] = [
  {
    name: "command",
    arity: -1,
    flags: ["loading", "stale"],
    acl: ["connection"],
    keySpecs: [],
    tips: ["nondeterministic_output_order"],
    summary: "Describes every command the server knows.",
    complexity: "O(N) where N is the total number of commands",
    since: "2.8.13",
    group: "server",
    handler: command,
    subcommands: [
      {
        ...SUBCOMMAND,
        name: "count",
        arity: 2,
        summary: "Returns how many commands the server knows.",
        complexity: "O(1)",
        since: "2.8.13",
        handler: commandCount,
      },
      {
        ...SUBCOMMAND,
        name: "docs",
        arity: -2,
        tips: ["nondeterministic_output_order"],
        summary: "Returns the documentation of the given commands, or of all.",
        complexity: "O(N) where N is the number of commands looked up",
        since: "7.0.0",
        handler: commandDocs,
      },
      {
        ...SUBCOMMAND,
        name: "getkeys",
        arity: -4,
        summary: "Returns the keys of a complete command line.",
        complexity: "O(N) where N is the number of arguments of the command",
        since: "2.8.13",
        handler: (client, argv) => replyKeys(client, argv, false),
      },
      {
        ...SUBCOMMAND,
        name: "getkeysandflags",
        arity: -4,
        summary:
          "Returns the keys of a complete command line with their access flags.",
        complexity: "O(N) where N is the number of arguments of the command",
        since: "7.0.0",
        handler: (client, argv) => replyKeys(client, argv, true),
      },
      {
        ...SUBCOMMAND,
        name: "help",
        arity: 2,
        summary: "Lists the COMMAND subcommands.",
        complexity: "O(1)",
        since: "5.0.0",
        handler: commandHelp,
      },
      {
        ...SUBCOMMAND,
        name: "info",
        arity: -2,
        tips: ["nondeterministic_output_order"],
        summary: "Describes the given commands, or all of them.",
        complexity: "O(N) where N is the number of commands looked up",
        since: "2.8.13",
        handler: commandInfo,
      },
      {
        ...SUBCOMMAND,
        name: "list",
        arity: -2,
        tips: ["nondeterministic_output_order"],
        summary: "Lists command names, optionally filtered.",
        complexity: "O(N) where N is the total number of commands",
        since: "7.0.0",
        handler: commandList,
      },
    ],
  },
];
