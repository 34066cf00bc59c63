/**
 * The typed configuration table: every parameter with its type, default,
 * bounds, mutability and what applying it does. CONFIG GET/SET and the
 * redis.conf reader work through it, in Redis's names and formats.
 * @module
 */

import { parseMemory } from "./util/numbers.ts";

/** Value types of parameters, as Redis's config.c types them. */
export type ConfigType = "bool" | "int" | "memory" | "string" | "enum";

/** One parameter. */
export interface ConfigParam {
  name: string;
  aliases?: string[];
  type: ConfigType;
  /** Default as CONFIG GET shows it. */
  default: string;
  min?: number;
  max?: number;
  /** Allowed values for enums. */
  values?: string[];
  /** False for parameters only settable at start (CONFIG SET refuses them). */
  mutable: boolean;
  /** Accepted and reported, but not yet acted on by redeno (README lists these). */
  inert?: boolean;
}

/** A value after parsing: numbers for int/memory, booleans, strings. */
export type ConfigValue = string | number | boolean;

const BOOL_VALUES: Record<string, boolean> = { yes: true, no: false };

/** Parameters redeno uses. */
export const CONFIG_PARAMS: ConfigParam[] = [
  {
    name: "port",
    type: "int",
    default: "6379",
    min: 0,
    max: 65535,
    mutable: true,
  },
  { name: "bind", type: "string", default: "* -::*", mutable: true },
  { name: "unixsocket", type: "string", default: "", mutable: false },
  {
    name: "unixsocketperm",
    type: "int",
    default: "0",
    min: 0,
    max: 0o777,
    mutable: false,
  },
  {
    name: "databases",
    type: "int",
    default: "16",
    min: 1,
    max: 2147483647,
    mutable: false,
  },
  {
    name: "maxclients",
    type: "int",
    default: "10000",
    min: 1,
    max: 2147483647,
    mutable: true,
  },
  {
    name: "timeout",
    type: "int",
    default: "0",
    min: 0,
    max: 2147483647,
    mutable: true,
  },
  {
    name: "tcp-keepalive",
    type: "int",
    default: "300",
    min: 0,
    max: 2147483647,
    mutable: true,
  },
  {
    name: "loglevel",
    type: "enum",
    default: "notice",
    values: ["debug", "verbose", "notice", "warning"],
    mutable: true,
  },
  { name: "logfile", type: "string", default: "", mutable: false },
  { name: "dir", type: "string", default: "", mutable: true },
  {
    name: "proto-max-bulk-len",
    type: "memory",
    default: "536870912",
    min: 1024 * 1024,
    max: Number.MAX_SAFE_INTEGER,
    mutable: true,
  },
  {
    name: "client-query-buffer-limit",
    type: "memory",
    default: "1073741824",
    min: 1024 * 1024,
    max: Number.MAX_SAFE_INTEGER,
    mutable: true,
  },
  {
    name: "client-output-buffer-limit",
    type: "string",
    default:
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    mutable: true,
  },
  {
    name: "save",
    type: "string",
    default: "3600 1 300 100 60 10000",
    mutable: true,
  },
  {
    name: "enable-debug-command",
    type: "enum",
    default: "no",
    values: ["no", "yes", "local"],
    mutable: false,
  },
];

/** Holds the current values; parameters are looked up by name or alias. */
export class Config {
  private readonly params = new Map<string, ConfigParam>();
  private readonly values = new Map<string, ConfigValue>();
  /** Called after a parameter changes, with its canonical name. */
  onChange?: (name: string) => void;

  constructor(params: readonly ConfigParam[] = CONFIG_PARAMS) {
    for (const p of params) {
      this.params.set(p.name, p);
      for (const alias of p.aliases ?? []) this.params.set(alias, p);
      const parsed = parseValue(p, p.default);
      if (typeof parsed === "object") {
        throw new Error(`bad default for ${p.name}: ${parsed.error}`);
      }
      this.values.set(p.name, parsed);
    }
  }

  /** The parameter named `name` (or an alias of it), case-insensitively. */
  param(name: string): ConfigParam | undefined {
    return this.params.get(name.toLowerCase());
  }

  /** Every parameter once, in table order. */
  all(): ConfigParam[] {
    return [...new Set(this.params.values())];
  }

  /** A numeric parameter's value. */
  number(name: string): number {
    return this.values.get(name) as number;
  }

  /** A string or enum parameter's value. */
  string(name: string): string {
    return this.values.get(name) as string;
  }

  /** A boolean parameter's value. */
  bool(name: string): boolean {
    return this.values.get(name) as boolean;
  }

  /** The value as CONFIG GET shows it. */
  format(param: ConfigParam): string {
    const v = this.values.get(param.name)!;
    if (typeof v === "boolean") return v ? "yes" : "no";
    return String(v);
  }

  /**
   * Sets a parameter from its text form. Returns an error message (the part
   * after Redis's "CONFIG SET failed (possibly related to argument 'x') - ")
   * or null on success.
   */
  set(name: string, text: string): string | null {
    const param = this.param(name);
    if (!param) return "Unknown option or number of arguments for CONFIG SET";
    const parsed = parseValue(param, text);
    if (typeof parsed === "object") return parsed.error;
    this.values.set(param.name, parsed);
    this.onChange?.(param.name);
    return null;
  }
}

/** Parses a value for `param` as Redis's config.c would, or says why not. */
export function parseValue(
  param: ConfigParam,
  text: string,
): ConfigValue | { error: string } {
  switch (param.type) {
    case "bool": {
      const v = BOOL_VALUES[text.toLowerCase()];
      return v === undefined ? { error: "argument must be 'yes' or 'no'" } : v;
    }
    case "int":
    case "memory": {
      const n = param.type === "memory"
        ? parseMemory(text)
        : parseIntStrict(text);
      if (n === null) {
        return {
          error: param.type === "memory"
            ? "argument must be a memory value"
            : "argument couldn't be parsed into an integer",
        };
      }
      if (
        (param.min !== undefined && n < param.min) ||
        (param.max !== undefined && n > param.max)
      ) {
        return {
          error:
            `argument must be between ${param.min} and ${param.max} inclusive`,
        };
      }
      return n;
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
      return v;
    }
    case "string":
      return text;
  }
}

function parseIntStrict(text: string): number | null {
  return /^-?\d+$/.test(text) ? Number(text) : null;
}
