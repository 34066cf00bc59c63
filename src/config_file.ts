/**
 * redis.conf: reading it (with `include`), merging the command line into it
 * the way redis-server does, and CONFIG REWRITE writing it back. Texts are
 * binary strings, like every argument; file paths are turned back into UTF-8
 * text only when a file is opened.
 * @module
 */

import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import process from "node:process";
import {
  Config,
  type ConfigParam,
  isMultiArg,
  splitOnSpaces,
} from "./config.ts";
import {
  binaryToBytes,
  binaryToText,
  bytesToBinary,
  quoteRepr,
  textToBinary,
} from "./protocol/binary.ts";
import { splitArgs } from "./protocol/decoder.ts";
import { globMatch } from "./util/glob.ts";

/** A fatal error in the configuration, reported as Redis reports it. */
export class ConfigFileError extends Error {
  constructor(
    readonly reason: string,
    /** 1-based line number and the (trimmed) line, when a line is to blame. */
    readonly line?: { number: number; text: string },
  ) {
    super(reason);
  }

  /** The block redis-server prints on stderr before exiting with status 1. */
  report(redisVersion: string): string {
    let out = `\n*** FATAL CONFIG FILE ERROR (Redis ${redisVersion}) ***\n`;
    if (this.line) {
      out += `Reading the configuration file, at line ${this.line.number}\n`;
      out += `>>> '${this.line.text}'\n`;
    }
    return out + `${this.reason}\n`;
  }
}

/** A config file that cannot be opened (Redis logs this and exits 1). */
export class ConfigOpenError extends Error {}

/** Directives Redis 7.0 still accepts and ignores, with their argument counts. */
const DEPRECATED: Record<string, number> = {
  "list-max-ziplist-entries": 2,
  "list-max-ziplist-value": 2,
  "lua-replicate-commands": 2,
};

/** Directives Redis knows that redeno refuses rather than silently ignoring. */
const UNSUPPORTED = new Set([
  "rename-command",
  "user",
  "loadmodule",
  "sentinel",
]);

/** What the command line asks for, as redis-server reads its argv. */
export interface CommandLine {
  /** Absolute path of the config file (the first argument, unless it starts with `-`). */
  file?: string;
  /** True when `-` asks for config from stdin. */
  stdin: boolean;
  /** The `--name value` options as config text, one directive per line. */
  options: string;
}

/**
 * Turns argv into config text as redis-server does: each `--name` starts a
 * line, following words are its arguments (quoted), a `--name` right after a
 * name without value is taken as that value, and a bare `--save` means
 * `save ""`.
 */
export function parseCommandLine(args: string[]): CommandLine {
  const result: CommandLine = { stdin: false, options: "" };
  let j = 0;
  if (args.length > 0 && !args[0].startsWith("-")) {
    result.file = resolve(args[0]);
    j = 1;
  }
  let options = "";
  let lastHadValue = true;
  for (; j < args.length; j++) {
    const arg = textToBinary(args[j]);
    const isLast = j === args.length - 1;
    if (arg === "-" && (j === 0 || isLast)) {
      result.stdin = true;
    } else if (lastHadValue && arg.startsWith("--")) {
      if (options !== "") options += "\n";
      options += arg.slice(2) + " ";
      const words = splitArgs(arg);
      if (words !== null && words.length === 1) {
        lastHadValue = false;
        const name = arg.toLowerCase();
        const nextIsOption = !isLast && args[j + 1].startsWith("--");
        if (name === "--save" && (nextIsOption || isLast)) {
          options += '""';
          lastHadValue = nextIsOption;
        }
      } else {
        lastHadValue = true;
      }
    } else {
      options += quoteRepr(arg) + " ";
      lastHadValue = true;
    }
  }
  result.options = options;
  return result;
}

/** Reads a file as a binary string; the path is a binary string too. */
function readBinary(path: string): string {
  try {
    return bytesToBinary(readFileSync(binaryToText(path)));
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = code === "ENOENT"
      ? "No such file or directory"
      : code === "EACCES"
      ? "Permission denied"
      : code === "EISDIR"
      ? "Is a directory"
      : (error as Error).message;
    throw new ConfigOpenError(
      `Fatal error, can't open config file '${binaryToText(path)}': ${reason}`,
    );
  }
}

/** The files an `include` names: one path, or every match of a wildcard in its last part. */
function includedFiles(path: string): string[] {
  const text = binaryToText(path);
  if (!/[*?[]/.test(text)) return [path];
  const dir = dirname(text);
  const pattern = basename(text);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // Redis skips a wildcard include that matches nothing
  }
  return names.filter((n) => globMatch(pattern, n)).sort().map((n) =>
    textToBinary(join(dir, n))
  );
}

/**
 * Applies config text to `config`, line by line, with Redis's syntax:
 * `#` comments, quoted arguments, `include`, multi-argument directives.
 * Throws {@linkcode ConfigFileError} at the first bad line.
 */
export function loadConfigText(config: Config, text: string): void {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "" || line[0] === "#") continue;
    const fail = (reason: string) =>
      new ConfigFileError(reason, { number: i + 1, text: line });
    const argv = splitArgs(line);
    if (argv === null) throw fail("Unbalanced quotes in configuration line");
    if (argv.length === 0) continue;
    const name = argv[0].toLowerCase();
    const param = config.param(name);
    if (param) {
      if (!isMultiArg(param) && argv.length !== 2) {
        throw fail("wrong number of arguments");
      }
      // A multi-argument directive given as one quoted argument (as the
      // command line quotes `--save "3600 1"`) is split again, as Redis does.
      const args = isMultiArg(param) && argv.length === 2 && argv[1] !== ""
        ? splitOnSpaces(argv[1])
        : argv.slice(1);
      const error = config.setArgs(param, args);
      if (error) throw fail(error);
      continue;
    }
    if (DEPRECATED[name] === argv.length) continue;
    if (name === "include" && argv.length === 2) {
      for (const file of includedFiles(argv[1])) {
        loadConfigText(config, readBinary(file));
      }
    } else if (UNSUPPORTED.has(name)) {
      throw fail(`The ${name} directive is not supported by redeno`);
    } else {
      throw fail("Bad directive or wrong number of arguments");
    }
  }
}

/**
 * Loads the configuration the command line describes: the file, then stdin,
 * then the `--name value` options, all as one text (so line numbers count
 * across them, as in Redis). Checks the log file can be opened.
 */
export function loadConfig(
  config: Config,
  commandLine: CommandLine,
  readStdin: () => string = () => bytesToBinary(readFileSync(0)),
): void {
  let text = "";
  if (commandLine.file) {
    text += readBinary(textToBinary(commandLine.file));
    config.file = commandLine.file;
  }
  if (commandLine.stdin) text += readStdin();
  text += "\n" + commandLine.options;
  config.loading = true;
  try {
    loadConfigText(config, text);
  } finally {
    config.loading = false;
  }
  const logfile = config.string("logfile");
  if (logfile !== "") {
    try {
      closeSync(openSync(binaryToText(logfile), "a"));
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new ConfigFileError(
        `Can't open the log file: ${
          code === "ENOENT"
            ? "No such file or directory"
            : code === "EACCES"
            ? "Permission denied"
            : (error as Error).message
        }`,
      );
    }
  }
}

// ---------------------------------------------------------------------------
// CONFIG REWRITE

const SIGNATURE = "# Generated by CONFIG REWRITE";

/** The old file's lines and which lines each option occupies. */
class RewriteState {
  readonly lines: string[] = [];
  /** Option name -> line indexes still holding it. */
  readonly optionLines = new Map<string, number[]>();
  readonly processed = new Set<string>();
  needsSignature = true;

  constructor(config: Config, old: string) {
    if (old === "") return;
    for (const raw of old.split("\n")) {
      const line = raw.replace(/^[\r\n\t ]+|[\r\n\t ]+$/g, "");
      if (line === "" || line[0] === "#") {
        if (line === SIGNATURE) this.needsSignature = false;
        this.lines.push(line);
        continue;
      }
      const argv = splitArgs(line);
      if (argv === null) {
        this.lines.push("# ??? " + line);
        continue;
      }
      const lower = argv[0].toLowerCase();
      const option = config.param(lower)?.name ??
        lower.replace("slave", "replica");
      const list = this.optionLines.get(option) ?? [];
      list.push(this.lines.length);
      this.optionLines.set(option, list);
      this.lines.push(line);
    }
  }

  /** Puts `line` where the option was, or appends it when forced. */
  rewrite(option: string, line: string, force: boolean): void {
    this.processed.add(option);
    const list = this.optionLines.get(option);
    if (list && list.length > 0) {
      this.lines[list.shift()!] = line;
      return;
    }
    if (!force) return;
    if (this.needsSignature) {
      this.lines.push(SIGNATURE);
      this.needsSignature = false;
    }
    this.lines.push(line);
  }

  /** The new file: leftover lines of rewritten options blanked, runs of blank lines merged. */
  content(): string {
    for (const [option, list] of this.optionLines) {
      if (!this.processed.has(option)) continue;
      for (const index of list) this.lines[index] = "";
    }
    let out = "";
    let wasEmpty = false;
    for (const line of this.lines) {
      if (line === "") {
        if (wasEmpty) continue;
        wasEmpty = true;
      } else wasEmpty = false;
      out += line + "\n";
    }
    return out;
  }
}

/** Memory in redis.conf notation: gb, mb or kb when it divides evenly. */
export function formatMemoryForFile(bytes: bigint): string {
  const units: [bigint, string][] = [
    [1024n ** 3n, "gb"],
    [1024n ** 2n, "mb"],
    [1024n, "kb"],
  ];
  for (const [size, unit] of units) {
    if (bytes !== 0n && bytes % size === 0n) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** Rewrites one parameter into the state, as Redis's per-type rewrite functions do. */
function rewriteParam(config: Config, state: RewriteState, p: ConfigParam) {
  const name = p.name;
  const value = config.format(p);
  const changed = !config.isDefault(p);
  switch (p.type) {
    case "bool":
    case "enum":
    case "int":
    case "shutdown-flags":
      return state.rewrite(name, `${name} ${value}`, changed);
    case "memory": {
      const text = value.endsWith("%")
        ? value
        : formatMemoryForFile(BigInt(value));
      return state.rewrite(name, `${name} ${text}`, changed);
    }
    case "string":
      if (p.nullable && value === "") return state.processed.add(name);
      return state.rewrite(
        name,
        `${name} ${quoteRepr(value)}`,
        p.nullable || changed,
      );
    case "dir":
      return state.rewrite(name, `${name} ${quoteRepr(value)}`, true);
    case "save": {
      const words = splitOnSpaces(value);
      if (words.length === 0) state.rewrite(name, 'save ""', true);
      for (let i = 0; i < words.length; i += 2) {
        state.rewrite(name, `save ${words[i]} ${words[i + 1]}`, true);
      }
      return state.processed.add(name);
    }
    case "replicaof":
      if (value === "") return state.processed.add(name);
      return state.rewrite(name, `${name} ${value}`, true);
    case "notify-keyspace-events":
      return state.rewrite(name, `${name} ${quoteRepr(value)}`, value !== "");
    case "client-output-buffer-limit": {
      const words = splitOnSpaces(value);
      const defaults = splitOnSpaces(p.default);
      for (let i = 0; i < words.length; i += 4) {
        const cls = words[i] === "slave" ? "replica" : words[i];
        const line = `${name} ${cls} ${
          formatMemoryForFile(BigInt(words[i + 1]))
        } ${formatMemoryForFile(BigInt(words[i + 2]))} ${words[i + 3]}`;
        const force = words.slice(i + 1, i + 4).join(" ") !==
          defaults.slice(i + 1, i + 4).join(" ");
        state.rewrite(name, line, force);
      }
      return;
    }
    case "oom-score-adj-values":
      return state.rewrite(name, `${name} ${value}`, changed);
    case "bind":
      if (!changed) return state.processed.add(name);
      return state.rewrite(
        name,
        `${name} ${value === "" ? '""' : value}`,
        true,
      );
    case "latency-tracking-info-percentiles":
      return state.rewrite(
        name,
        `${name} ${value === "" ? '""' : value}`,
        true,
      );
  }
}

/**
 * CONFIG REWRITE: rewrites `config.file` keeping comments and lines redeno
 * does not manage, replacing changed parameters in place, appending new ones
 * and dropping lines of parameters back at their defaults. Returns null, or
 * the reason the file could not be written.
 */
export function rewriteConfigFile(config: Config): string | null {
  const path = config.file!;
  let old = "";
  try {
    old = bytesToBinary(readFileSync(path));
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") {
      return (error as Error).message;
    }
  }
  const state = new RewriteState(config, old);
  for (const param of config.all()) rewriteParam(config, state, param);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, "w", 0o644);
    try {
      const bytes = binaryToBytes(state.content());
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    return (error as Error).message;
  }
  return null;
}
