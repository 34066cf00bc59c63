/**
 * The command table as data, modelled on Redis's src/commands/*.json: one
 * declarative entry per command with arity (Redis's sign convention), flags,
 * key specifications, ACL categories, documentation and the handler. COMMAND,
 * arity errors, key extraction, MULTI and replication all read it.
 * @module
 */

import type { Client } from "../client.ts";

/** Command flags as COMMAND INFO names them. */
export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "module"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "asking"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "sentinel"
  | "only_sentinel"
  | "no_mandatory_keys"
  | "protected"
  | "no_async_loading"
  | "no_multi"
  | "movablekeys"
  | "allow_busy";

/** Where a key spec's search begins (Redis's begin_search). */
export type BeginSearch =
  | { index: number }
  | { keyword: string; startfrom: number }
  | "unknown";

/** How a key spec finds keys from there (Redis's find_keys). */
export type FindKeys =
  | { lastkey: number; keystep: number; limit: number }
  | { keynumidx: number; firstkey: number; keystep: number }
  | "unknown";

/** One key specification, as in Redis 7.0's COMMAND INFO. */
export interface KeySpec {
  /** e.g. ["RW", "access", "update"] */
  flags: string[];
  notes?: string;
  beginSearch: BeginSearch;
  findKeys: FindKeys;
}

/** A key found in a command's argv: its index and its key-spec flags. */
export interface KeyReference {
  pos: number;
  /** Key-spec flags as GETKEYSANDFLAGS names them, e.g. ["RW", "access"]. */
  flags: readonly string[];
}

/** Optional parts of a range key spec; the defaults are one key, step 1, no limit. */
export interface RangeOptions {
  /** Last key relative to the first: 0 = one key, -1 = to the end of argv. */
  lastkey?: number;
  keystep?: number;
  limit?: number;
  notes?: string;
}

/**
 * A key spec whose keys start at `argv[index]` and run as a range (Redis's
 * begin_search index + find_keys range), the most common form.
 */
export function keysAt(
  index: number,
  flags: string[],
  { lastkey = 0, keystep = 1, limit = 0, notes }: RangeOptions = {},
): KeySpec {
  const spec: KeySpec = {
    flags,
    beginSearch: { index },
    findKeys: { lastkey, keystep, limit },
  };
  if (notes !== undefined) spec.notes = notes;
  return spec;
}

/**
 * A key spec for a `numkeys key [key ...]` group: the count is at
 * `argv[index]` and the keys follow it (Redis's find_keys keynum).
 */
export function keysCounted(index: number, flags: string[]): KeySpec {
  return {
    flags,
    beginSearch: { index },
    findKeys: { keynumidx: 0, firstkey: 1, keystep: 1 },
  };
}

/** Argument types of COMMAND DOCS. */
export type ArgType =
  | "string"
  | "integer"
  | "double"
  | "key"
  | "pattern"
  | "unix-time"
  | "pure-token"
  | "oneof"
  | "block";

/** One argument as COMMAND DOCS describes it. */
export interface ArgSpec {
  name: string;
  type: ArgType;
  /** For "key" arguments: index into the command's key specs. */
  keySpecIndex?: number;
  token?: string;
  summary?: string;
  since?: string;
  deprecatedSince?: string;
  displayText?: string;
  optional?: boolean;
  multiple?: boolean;
  multipleToken?: boolean;
  /** The nested arguments of "oneof" and "block". */
  args?: ArgSpec[];
}

/**
 * A command handler: runs synchronously to completion, reading `argv` and
 * writing its reply to `client.out`. It never awaits (DESIGN.md).
 */
export type CommandHandler = (client: Client, argv: string[]) => void;

/** One entry of the command table. */
export interface CommandSpec {
  /** Lower-case name; a subcommand's is its own name without the container ("get"). */
  name: string;
  /** Redis's arity: positive = exact argc, negative = at least -arity. */
  arity: number;
  flags: CommandFlag[];
  /**
   * ACL categories beyond those implied by flags (write, read, admin,
   * dangerous, pubsub, fast, slow, blocking are derived as Redis derives them).
   */
  acl: string[];
  keySpecs: KeySpec[];
  /** COMMAND INFO tips, e.g. "nondeterministic_output". */
  tips?: string[];
  /** COMMAND DOCS fields. */
  summary: string;
  since: string;
  group: string;
  complexity?: string;
  docFlags?: string[];
  deprecatedSince?: string;
  replacedBy?: string;
  history?: [string, string][];
  /** Subcommands by lower-case name; the container has no handler of its own. */
  subcommands?: CommandSpec[];
  /** Absent only on containers. */
  handler?: CommandHandler;
  /**
   * Keys of commands whose key specs are incomplete or whose key flags depend
   * on the arguments (Redis's getkeys_proc): argv indexes with their flags.
   * Used only where the specs cannot answer (see getkeys.ts).
   */
  getKeys?: (argv: string[]) => KeyReference[];
}

/** A resolved command: a top-level spec or a subcommand with its container. */
export interface ResolvedCommand {
  spec: CommandSpec;
  parent?: CommandSpec;
  /** "config|get" for subcommands, "get" otherwise. */
  fullName: string;
}

/** The registry: commands by lower-case name, subcommands indexed under them. */
export class CommandTable {
  private readonly commands = new Map<string, CommandSpec>();
  private readonly subIndex = new Map<CommandSpec, Map<string, CommandSpec>>();
  /** Names in upper case, as many clients send them: found without toLowerCase. */
  private readonly upperCase = new Map<string, CommandSpec>();

  /** Registers specs; a later spec with the same name is a programming error. */
  register(specs: readonly CommandSpec[]): void {
    for (const spec of specs) {
      if (this.commands.has(spec.name)) {
        throw new Error(`command ${spec.name} registered twice`);
      }
      this.commands.set(spec.name, spec);
      this.upperCase.set(spec.name.toUpperCase(), spec);
      if (spec.subcommands) {
        this.subIndex.set(
          spec,
          new Map(spec.subcommands.map((s) => [s.name, s])),
        );
      }
    }
  }

  /** Looks up a top-level command by name in any case. */
  get(name: string): CommandSpec | undefined {
    return this.commands.get(name) ?? this.upperCase.get(name) ??
      this.commands.get(name.toLowerCase());
  }

  /** Looks up a container's subcommand by name in any case. */
  subcommand(parent: CommandSpec, name: string): CommandSpec | undefined {
    return this.subIndex.get(parent)?.get(name.toLowerCase());
  }

  /**
   * Looks up "name" or "container|sub" in any case, as COMMAND INFO and
   * COMMAND DOCS name commands.
   */
  byFullName(fullName: string): ResolvedCommand | undefined {
    const parts = fullName.split("|");
    if (parts.length > 2) return undefined;
    const top = this.get(parts[0]);
    if (!top) return undefined;
    if (parts.length === 1) return { spec: top, fullName: top.name };
    const sub = this.subcommand(top, parts[1]);
    if (!sub) return undefined;
    return { spec: sub, parent: top, fullName: `${top.name}|${sub.name}` };
  }

  /** Every top-level command. */
  all(): IterableIterator<CommandSpec> {
    return this.commands.values();
  }

  /** Number of top-level commands (COMMAND COUNT). */
  get size(): number {
    return this.commands.size;
  }
}

/** ACL categories in the order Redis lists them (its category table order). */
export const ACL_CATEGORY_ORDER = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
];

/**
 * The ACL categories of a command: its own plus those Redis derives from its
 * flags (setImplicitACLCategories), in Redis's order.
 */
export function aclCategories(spec: CommandSpec): string[] {
  const cats = new Set(spec.acl);
  const has = (f: CommandFlag) => spec.flags.includes(f);
  if (has("write")) cats.add("write");
  if (has("readonly") && !cats.has("scripting")) cats.add("read");
  if (has("admin")) cats.add("admin").add("dangerous");
  if (has("pubsub")) cats.add("pubsub");
  if (has("fast")) cats.add("fast");
  if (has("blocking")) cats.add("blocking");
  if (!cats.has("fast")) cats.add("slow");
  return ACL_CATEGORY_ORDER.filter((c) => cats.has(c));
}
