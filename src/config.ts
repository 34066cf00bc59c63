/**
 * The typed configuration: current values of every parameter in
 * {@linkcode CONFIG_PARAMS}, parsed and formatted with Redis 7.0's rules
 * (config.c), CONFIG SET's all-or-nothing semantics with Redis's error texts,
 * and apply hooks the server registers so a change takes effect.
 * @module
 */

import process from "node:process";
import {
  CONFIG_PARAMS,
  type ConfigParam,
  type ConfigType,
  isMultiArg,
} from "./config_params.ts";
import { binaryToText, textToBinary } from "./protocol/binary.ts";
import { parseDouble, parseInt64 } from "./util/numbers.ts";

export { CONFIG_PARAMS, isMultiArg };
export type { ConfigParam, ConfigType };

/** A value after parsing: numbers for int/memory, booleans, strings. */
export type ConfigValue = string | number | boolean;

/** Parse failure: the reason, in Redis's words. */
export interface ConfigError {
  error: string;
}

/** A parsed value and, for numbers, the exact text CONFIG GET shows. */
interface Parsed {
  value: ConfigValue;
  display?: string;
}

/** Called after CONFIG SET changed a parameter; returns an error text or null. */
export type ApplyHook = () => string | null;

const U64 = 1n << 64n;
const I64_MAX = (1n << 63n) - 1n;

/** Keyspace event classes (notify-keyspace-events), as Redis's NOTIFY_* bits. */
export const Notify = {
  keyspace: 1 << 0, // K
  keyevent: 1 << 1, // E
  generic: 1 << 2, // g
  string: 1 << 3, // $
  list: 1 << 4, // l
  set: 1 << 5, // s
  hash: 1 << 6, // h
  zset: 1 << 7, // z
  expired: 1 << 8, // x
  evicted: 1 << 9, // e
  stream: 1 << 10, // t
  keyMiss: 1 << 11, // m
  module: 1 << 12, // d
  new: 1 << 13, // n
} as const;

/** The classes `A` stands for: every type and event except m and n. */
const NOTIFY_ALL = Notify.generic | Notify.string | Notify.list | Notify.set |
  Notify.hash | Notify.zset | Notify.expired | Notify.evicted | Notify.stream |
  Notify.module;

const NOTIFY_CHARS: [string, number][] = [
  ["g", Notify.generic],
  ["$", Notify.string],
  ["l", Notify.list],
  ["s", Notify.set],
  ["h", Notify.hash],
  ["z", Notify.zset],
  ["x", Notify.expired],
  ["e", Notify.evicted],
  ["t", Notify.stream],
  ["d", Notify.module],
  ["n", Notify.new],
];

/** Parses notify-keyspace-events classes into bits; null on an unknown char. */
export function parseKeyspaceEvents(text: string): number | null {
  let flags = 0;
  for (const c of text) {
    if (c === "A") flags |= NOTIFY_ALL;
    else if (c === "K") flags |= Notify.keyspace;
    else if (c === "E") flags |= Notify.keyevent;
    else if (c === "m") flags |= Notify.keyMiss;
    else {
      const bit = NOTIFY_CHARS.find(([ch]) => ch === c);
      if (!bit) return null;
      flags |= bit[1];
    }
  }
  return flags;
}

/** Formats keyspace event bits as Redis shows them ("AKE", "g$xKE"...). */
export function formatKeyspaceEvents(flags: number): string {
  let out = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) out = "A";
  else for (const [c, bit] of NOTIFY_CHARS) if (flags & bit) out += c;
  if (flags & Notify.keyspace) out += "K";
  if (flags & Notify.keyevent) out += "E";
  if (flags & Notify.keyMiss) out += "m";
  return out;
}

const SHUTDOWN_FLAGS: [string, number][] = [
  ["default", 0],
  ["save", 1],
  ["nosave", 2],
  ["now", 4],
  ["force", 8],
];

const OUTPUT_CLASSES = ["normal", "slave", "pubsub"];

/** Splits a CONFIG SET value of a multi-argument parameter on single spaces, as sdssplitlen. */
export function splitOnSpaces(text: string): string[] {
  return text === "" ? [] : text.split(" ");
}

/** Holds the current values; parameters are looked up by name or alias. */
export class Config {
  private readonly params = new Map<string, ConfigParam>();
  private readonly values = new Map<string, ConfigValue>();
  private readonly display = new Map<string, string>();
  private readonly hooks = new Map<string, ApplyHook>();
  /** Absolute path of the config file the server started with, if any (CONFIG REWRITE). */
  file?: string;
  /**
   * True while a config file is read: `save` lines then accumulate (the
   * first one replaces the default), as in Redis.
   */
  loading = false;
  private saveLoaded = false;
  /** Called after a parameter changes, with its canonical name. */
  onChange?: (name: string) => void;

  constructor(readonly table: readonly ConfigParam[] = CONFIG_PARAMS) {
    for (const p of table) {
      this.params.set(p.name, p);
      for (const alias of p.aliases ?? []) this.params.set(alias, p);
      if (p.type === "dir") continue; // the working directory itself
      const parsed = this.parseDefault(p);
      if ("error" in parsed) {
        throw new Error(`bad default for ${p.name}: ${parsed.error}`);
      }
      this.store(p, parsed);
    }
  }

  /** The parameter named `name` (or an alias of it), case-insensitively. */
  param(name: string): ConfigParam | undefined {
    return this.params.get(name) ?? this.params.get(name.toLowerCase());
  }

  /** Every parameter once, in table order. */
  all(): ConfigParam[] {
    return [...this.table];
  }

  /** Every name CONFIG GET patterns match against: names and aliases, in table order. */
  names(): [string, ConfigParam][] {
    return [...this.params.entries()];
  }

  /** A parameter's typed value. */
  value(name: string): ConfigValue {
    const p = this.param(name);
    if (p?.type === "dir") return textToBinary(currentDir());
    return this.values.get(p?.name ?? name)!;
  }

  /** A numeric parameter's value. */
  number(name: string): number {
    return this.value(name) as number;
  }

  /** A string or enum parameter's value. */
  string(name: string): string {
    return this.value(name) as string;
  }

  /** A boolean parameter's value. */
  bool(name: string): boolean {
    return this.value(name) as boolean;
  }

  /** `save` as (seconds, changes) pairs. */
  savePoints(): { seconds: number; changes: number }[] {
    const words = splitOnSpaces(this.string("save"));
    const points = [];
    for (let i = 0; i < words.length; i += 2) {
      points.push({ seconds: Number(words[i]), changes: Number(words[i + 1]) });
    }
    return points;
  }

  /** The value as CONFIG GET shows it. */
  format(param: ConfigParam): string {
    const shown = this.display.get(param.name);
    if (shown !== undefined) return shown;
    const v = this.value(param.name);
    if (typeof v === "boolean") return v ? "yes" : "no";
    return String(v);
  }

  /** True when the parameter holds its default value. */
  isDefault(param: ConfigParam): boolean {
    if (param.type === "dir") return false;
    const parsed = this.parseDefault(param);
    return !("error" in parsed) &&
      (parsed.display ?? formatPlain(parsed.value)) === this.format(param);
  }

  /**
   * Sets a parameter from its text form (multi-argument parameters split it
   * on spaces). Returns the reason on failure, or null. Runs no apply hook.
   */
  set(name: string, text: string): string | null {
    const param = this.param(name);
    if (!param) return "Unknown option or number of arguments for CONFIG SET";
    return this.setArgs(
      param,
      isMultiArg(param) ? splitOnSpaces(text) : [text],
    );
  }

  /**
   * Sets a parameter from directive arguments (a config file line after its
   * name). Returns the reason on failure, or null.
   */
  setArgs(param: ConfigParam, args: string[]): string | null {
    if (!isMultiArg(param) && args.length !== 1) {
      return "wrong number of arguments";
    }
    const parsed = this.parse(param, args);
    if ("error" in parsed) return parsed.error;
    const before = this.format(param);
    this.store(param, parsed);
    if (this.format(param) !== before) this.onChange?.(param.name);
    return null;
  }

  /** Registers what makes a change to `names` take effect (Redis's apply functions). */
  onApply(names: string[], hook: ApplyHook): void {
    for (const name of names) this.hooks.set(name, hook);
  }

  /**
   * CONFIG SET with several parameter/value pairs, all or nothing. Returns
   * null on success or the whole error reply ("ERR ..."). `protectedAllowed`
   * says whether this client may change protected parameters (dir,
   * dbfilename), per enable-protected-configs.
   */
  setMany(pairs: [string, string][], protectedAllowed: boolean): string | null {
    const params: ConfigParam[] = [];
    /** Names as the client spelled them, and as the table spells them. */
    const entryNames: string[] = [];
    let unknown: string | undefined;
    let failed: { arg: string; reason: string } | undefined;
    for (const [name] of pairs) {
      const param = this.param(name);
      if (!param) {
        if (!unknown && !failed) unknown = name;
        continue;
      }
      if (unknown || failed) continue;
      if (!param.mutable || (param.protected && !protectedAllowed)) {
        failed = {
          arg: name,
          reason: param.mutable
            ? "can't set protected config"
            : "can't set immutable config",
        };
        continue;
      }
      // An alias and its parameter are separate entries in Redis 7.0, so only
      // the same spelling (in any case) counts as a duplicate.
      const entry = entryName(param, name);
      if (params.some((p, i) => p === param && entryNames[i] === entry)) {
        failed = { arg: name, reason: "duplicate parameter" };
        continue;
      }
      params.push(param);
      entryNames.push(entry);
    }
    if (unknown) {
      return `ERR Unknown option or number of arguments for CONFIG SET - '${unknown}'`;
    }
    if (failed) {
      return `ERR CONFIG SET failed (possibly related to argument '${failed.arg}') - ${failed.reason}`;
    }
    const old = params.map((p) => this.rawArgs(p));
    const restore = (count: number) => {
      for (let i = 0; i < count; i++) this.setArgs(params[i], old[i]);
    };
    const hooks: { hook: ApplyHook; index: number }[] = [];
    for (let i = 0; i < params.length; i++) {
      const before = this.format(params[i]);
      const error = this.set(params[i].name, pairs[i][1]);
      if (error) {
        restore(i + 1);
        return `ERR CONFIG SET failed (possibly related to argument '${
          entryNames[i]
        }') - ${error}`;
      }
      const hook = this.hooks.get(params[i].name);
      const changed = this.format(params[i]) !== before;
      if (hook && changed && !hooks.some((h) => h.hook === hook)) {
        hooks.push({ hook, index: i });
      }
    }
    for (const { hook, index } of hooks) {
      const error = hook();
      if (error !== null) {
        restore(params.length);
        for (const h of hooks) h.hook();
        return `ERR CONFIG SET failed (possibly related to argument '${
          entryNames[index]
        }') - ${error}`;
      }
    }
    return null;
  }

  private parseDefault(param: ConfigParam): Parsed | ConfigError {
    // An empty multi-argument default (replicaof) is "unset", not a value to parse.
    if (isMultiArg(param) && param.default === "") return { value: "" };
    return this.parse(param, defaultArgs(param));
  }

  /** The current value as directive arguments, to restore it. */
  private rawArgs(param: ConfigParam): string[] {
    const text = this.format(param);
    return isMultiArg(param) ? splitOnSpaces(text) : [text];
  }

  private store(param: ConfigParam, parsed: Parsed): void {
    this.values.set(param.name, parsed.value);
    if (parsed.display !== undefined) {
      this.display.set(param.name, parsed.display);
    } else this.display.delete(param.name);
  }

  /** Parses directive arguments for `param` as Redis's config.c would. */
  private parse(param: ConfigParam, args: string[]): Parsed | ConfigError {
    switch (param.type) {
      case "bool":
      case "int":
      case "memory":
      case "string":
      case "enum": {
        const v = parseValue(param, args[0]);
        return typeof v === "object" ? v : withDisplay(param, v, args[0]);
      }
      case "save":
        return this.parseSave(args);
      case "client-output-buffer-limit":
        return parseOutputBufferLimit(
          (this.values.get(param.name) as string | undefined) ?? param.default,
          args,
        );
      case "oom-score-adj-values":
        return parseOomScoreAdjValues(args);
      case "notify-keyspace-events": {
        if (args.length !== 1) return { error: "wrong number of arguments" };
        const flags = parseKeyspaceEvents(args[0]);
        if (flags === null) {
          return {
            error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
          };
        }
        return { value: flags, display: formatKeyspaceEvents(flags) };
      }
      case "bind": {
        if (args.length > 16) {
          return { error: "Too many bind addresses specified." };
        }
        const addrs = args.length === 1 && args[0] === "" ? [] : args;
        return { value: addrs.join(" ") };
      }
      case "replicaof":
        return parseReplicaOf(args);
      case "latency-tracking-info-percentiles":
        return parsePercentiles(args);
      case "dir":
        return changeDirectory(args);
      case "shutdown-flags":
        return parseShutdownFlags(args);
    }
  }

  private parseSave(args: string[]): Parsed | ConfigError {
    const empty = args.length === 1 && args[0] === "";
    const words = empty ? [] : args;
    if (words.length % 2 !== 0) return { error: "Invalid save parameters" };
    for (let j = 0; j < words.length; j++) {
      const n = strtollWhole(words[j]);
      if (n === null || (j % 2 === 0 ? n < 1n : n < 0n)) {
        return { error: "Invalid save parameters" };
      }
    }
    const pairs = words.map((w) => String(Number(strtollWhole(w))));
    // Reading a file, lines after the first add to the list; `save ""` always clears it.
    let keep: string[] = [];
    if (this.loading && !empty) {
      if (this.saveLoaded) keep = splitOnSpaces(this.string("save"));
    }
    if (this.loading) this.saveLoaded = true;
    return { value: [...keep, ...pairs].join(" ") };
  }
}

/** The entry name Redis reports for `name`: the alias if one was used, else the name. */
function entryName(param: ConfigParam, name: string): string {
  const lower = name.toLowerCase();
  return param.aliases?.includes(lower) ? lower : param.name;
}

function defaultArgs(param: ConfigParam): string[] {
  return isMultiArg(param) ? splitOnSpaces(param.default) : [param.default];
}

function formatPlain(v: ConfigValue): string {
  return typeof v === "boolean" ? (v ? "yes" : "no") : String(v);
}

/** Numbers keep their exact text (values past 2^53, percentages, octal). */
function withDisplay(
  param: ConfigParam,
  value: ConfigValue,
  text: string,
): Parsed {
  if (typeof value !== "number" || param.clamp) return { value };
  return { value, display: formatNumber(param, exactNumber(param, text)) };
}

/** strtoll over the whole string (leading spaces and a sign allowed); null if anything is left over. */
function strtollWhole(text: string): bigint | null {
  if (text === "") return 0n;
  const m = /^[\t\n\v\f\r ]*([+-]?\d+)$/.exec(text);
  if (!m) return null;
  const n = BigInt(m[1]);
  return n > I64_MAX ? I64_MAX : n < -I64_MAX - 1n ? -I64_MAX - 1n : n;
}

/**
 * Redis's memtoull: digits and an optional b/k/kb/m/mb/g/gb unit (any case),
 * no sign. Overflow wraps as the C code does. Null when invalid.
 */
export function parseMemoryBytes(text: string): bigint | null {
  const m = /^(\d*)(b|k|kb|m|mb|g|gb)?$/i.exec(text);
  if (!m) return null;
  const units: Record<string, bigint> = {
    b: 1n,
    k: 1000n,
    kb: 1024n,
    m: 1000n ** 2n,
    mb: 1024n ** 2n,
    g: 1000n ** 3n,
    gb: 1024n ** 3n,
  };
  let n = m[1] === "" ? 0n : BigInt(m[1]);
  if (n >= U64) n = U64 - 1n; // strtoull saturates
  return (n * (m[2] ? units[m[2].toLowerCase()] : 1n)) % U64;
}

/** The parsed number as a bigint (the value already passed parseValue). */
function exactNumber(param: ConfigParam, text: string): bigint {
  return parseNumber(param, text) as bigint;
}

/** Parses a numeric parameter's text to the signed 64-bit value Redis stores, or an error. */
function parseNumber(param: ConfigParam, text: string): bigint | ConfigError {
  if (param.type === "memory") {
    const bytes = parseMemoryBytes(text);
    if (bytes !== null) return bytes > I64_MAX ? bytes - U64 : bytes;
    if (param.percent && text.length > 1 && text.endsWith("%")) {
      const n = parseInt64(text.slice(0, -1));
      if (n !== null && n >= 0n) return -n; // stored negative, as Redis does
    }
    return {
      error: param.percent
        ? "argument must be a memory or percent value"
        : "argument must be a memory value",
    };
  }
  if (param.octal) {
    if (text === "") return 0n;
    const m = /^[\t\n\v\f\r ]*([+-]?)([0-7]+)$/.exec(text);
    if (!m) return { error: "argument couldn't be parsed as an octal number" };
    const n = BigInt("0o" + m[2]);
    return m[1] === "-" ? -n : n;
  }
  const n = parseInt64(text);
  return n === null
    ? { error: "argument couldn't be parsed into an integer" }
    : n;
}

function formatNumber(param: ConfigParam, n: bigint): string {
  if (param.percent && n < 0n) return `${-n}%`;
  const unsigned = n < 0n && (param.unsigned || param.type === "memory")
    ? n + U64
    : n;
  if (param.octal) return unsigned.toString(8);
  return param.unsigned || param.type === "memory"
    ? unsigned.toString()
    : n.toString();
}

function checkBounds(param: ConfigParam, n: bigint): string | null {
  const min = param.min ?? -I64_MAX - 1n;
  const max = param.max ?? I64_MAX;
  if (param.unsigned) {
    const u = n < 0n ? n + U64 : n;
    if (u < min || u > max) {
      const f = (x: bigint) => param.octal ? x.toString(8) : x.toString();
      return `argument must be between ${f(min)} and ${f(max)} inclusive`;
    }
    return null;
  }
  if (param.percent && n < 0n) {
    return n < min
      ? `percentage argument must be less or equal to ${-min}`
      : null;
  }
  if (n < min || n > max) {
    return `argument must be between ${min} and ${max} inclusive`;
  }
  return null;
}

/** Parses one value of a bool, int, memory, string or enum parameter. */
export function parseValue(
  param: ConfigParam,
  text: string,
): ConfigValue | ConfigError {
  switch (param.type) {
    case "bool": {
      const v = text.toLowerCase();
      if (v === "yes") return true;
      if (v === "no") return false;
      return { error: "argument must be 'yes' or 'no'" };
    }
    case "int":
    case "memory": {
      const n = parseNumber(param, text);
      if (typeof n === "object") return n;
      const bounds = checkBounds(param, n);
      if (bounds) return { error: bounds };
      const stored = param.unsigned && n < 0n ? n + U64 : n;
      return param.clamp
        ? Math.min(Math.max(Number(stored), param.clamp[0]), param.clamp[1])
        : Number(stored);
    }
    case "enum": {
      const v = text.toLowerCase();
      if (!param.values!.includes(v)) {
        return {
          error: `argument(s) must be one of the following: ${
            param.values!.join(", ")
          }`,
        };
      }
      return param.enumNames?.[v] ?? v;
    }
    case "string": {
      const error = param.validate?.(text);
      return error ? { error } : text;
    }
    default:
      return { error: "wrong number of arguments" };
  }
}

function parseOutputBufferLimit(
  current: string,
  args: string[],
): Parsed | ConfigError {
  if (args.length % 4 !== 0) {
    return {
      error: "Wrong number of arguments in buffer limit configuration.",
    };
  }
  const limits = splitOnSpaces(current);
  const updates: [number, string[]][] = [];
  for (let j = 0; j < args.length; j += 4) {
    let cls = args[j].toLowerCase();
    if (cls === "replica") cls = "slave";
    const index = OUTPUT_CLASSES.indexOf(cls);
    if (index === -1) {
      return {
        error: "Invalid client class specified in buffer limit configuration.",
      };
    }
    const hard = parseMemoryBytes(args[j + 1]);
    const soft = parseMemoryBytes(args[j + 2]);
    const secs = strtollWhole(args[j + 3]);
    if (hard === null || soft === null || secs === null || secs < 0n) {
      return {
        error:
          "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
      };
    }
    updates.push([index, [String(hard), String(soft), String(secs)]]);
  }
  for (const [index, values] of updates) {
    limits.splice(index * 4 + 1, 3, ...values);
  }
  return { value: limits.join(" ") };
}

function parseOomScoreAdjValues(args: string[]): Parsed | ConfigError {
  if (args.length !== 3) return { error: "wrong number of arguments" };
  const values: string[] = [];
  for (const arg of args) {
    const n = strtollWhole(arg);
    if (n === null || n < -2000n || n > 2000n) {
      return {
        error:
          "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
      };
    }
    values.push(String(n));
  }
  return { value: values.join(" ") };
}

function parseReplicaOf(args: string[]): Parsed | ConfigError {
  if (args.length !== 2) return { error: "wrong number of arguments" };
  if (args[0].toLowerCase() === "no" && args[1].toLowerCase() === "one") {
    return { value: "" };
  }
  const port = strtollWhole(args[1]);
  if (port === null || port < 0n || port > 65535n) {
    return { error: "Invalid master port" };
  }
  return { value: `${args[0]} ${port}` };
}

/** `%f` with trailing zeros (and a bare point) removed, as Redis prints percentiles. */
function formatPercentile(d: number): string {
  const fixed = d.toFixed(6);
  return fixed.replace(/\.?0+$/, "");
}

function parsePercentiles(args: string[]): Parsed | ConfigError {
  const words = args.length === 1 && args[0] === "" ? [] : args;
  const out: string[] = [];
  for (const word of words) {
    const d = /^[+-]?0x[0-9a-f]+$/i.test(word)
      ? Number.parseInt(word, 16)
      : parseDouble(word);
    if (d === null) {
      return { error: "Invalid latency-tracking-info-percentiles parameters" };
    }
    if (d > 100 || d < 0) {
      return {
        error:
          "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
      };
    }
    out.push(formatPercentile(d));
  }
  return { value: out.join(" ") };
}

function parseShutdownFlags(args: string[]): Parsed | ConfigError {
  let flags = 0;
  for (const arg of args) {
    const flag = SHUTDOWN_FLAGS.find(([n]) => n === arg.toLowerCase());
    if (!flag) {
      return {
        error: `argument(s) must be one of the following: ${
          SHUTDOWN_FLAGS.map(([n]) => n).join(", ")
        }`,
      };
    }
    flags |= flag[1];
  }
  if ((flags & 3) === 3) {
    return {
      error: "shutdown options SAVE and NOSAVE can't be used simultaneously",
    };
  }
  const names = SHUTDOWN_FLAGS.filter(([, bit]) => bit & flags).map(([n]) => n);
  return { value: names.length ? names.join(" ") : "default" };
}

/**
 * The working directory, or "" when it cannot be had (removed under us), as
 * Redis's getcwd-based `dir` getter gives it.
 */
export function currentDir(): string {
  try {
    return process.cwd();
  } catch {
    return "";
  }
}

/** strerror texts for the errors chdir and file creation can give. */
const STRERROR: Record<string, string> = {
  ENOENT: "No such file or directory",
  ENOTDIR: "Not a directory",
  EACCES: "Permission denied",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EISDIR: "Is a directory",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
};

/** What C's strerror prints for a file-system error (its message when unknown). */
export function strerror(error: unknown): string {
  const code = (error as { code?: string }).code ?? "";
  return STRERROR[code] ?? (error as Error).message;
}

function changeDirectory(args: string[]): Parsed | ConfigError {
  if (args.length !== 1) return { error: "wrong number of arguments" };
  try {
    process.chdir(binaryToText(args[0]));
  } catch (error) {
    return { error: strerror(error) };
  }
  return { value: textToBinary(currentDir()) };
}
