/**
 * CONFIG GET, SET, RESETSTAT, REWRITE and HELP.
 * @module
 */

import type { Client } from "../client.ts";
import type { ConfigParam } from "../config.ts";
import { rewriteConfigFile } from "../config_file.ts";
import { globMatch } from "../util/glob.ts";
import type { CommandSpec } from "./table.ts";
import { Errors } from "./util.ts";

/** True for a client on a unix socket or a loopback address (Redis's islocalClient). */
function isLocalClient(client: Client): boolean {
  if (client.conn.unix) return true;
  const host = client.conn.remoteAddress.replace(/:\d+$/, "").replace(
    /^\[|\]$/g,
    "",
  );
  return host.startsWith("127.") || host === "::1" ||
    host.startsWith("::ffff:127.");
}

/**
 * CONFIG GET: exact names answer under the name asked (aliases included),
 * patterns match every name and alias except hidden ones; each name once.
 */
function configGet(client: Client, argv: string[]): void {
  const config = client.server.config;
  const matches = new Map<string, [string, ConfigParam]>();
  for (const pattern of argv.slice(2)) {
    if (!/[[*?]/.test(pattern)) {
      const param = config.param(pattern);
      const key = pattern.toLowerCase();
      if (param && !matches.has(key)) matches.set(key, [pattern, param]);
      continue;
    }
    for (const [name, param] of config.names()) {
      if (param.hidden || matches.has(name)) continue;
      if (globMatch(pattern, name, true)) matches.set(name, [name, param]);
    }
  }
  client.out.map(matches.size);
  for (const [name, param] of matches.values()) {
    client.out.bulk(name);
    client.out.bulk(config.format(param));
  }
}

function configSet(client: Client, argv: string[]): void {
  if (argv.length % 2 !== 0) {
    client.out.error(Errors.syntax);
    return;
  }
  const config = client.server.config;
  const pairs: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) pairs.push([argv[i], argv[i + 1]]);
  const policy = config.string("enable-protected-configs");
  const allowed = policy === "yes" ||
    (policy === "local" && isLocalClient(client));
  const error = config.setMany(pairs, allowed);
  if (error) client.out.error(error);
  else client.out.ok();
}

function configResetStat(client: Client): void {
  client.server.stats.reset();
  client.out.ok();
}

function configRewrite(client: Client): void {
  const server = client.server;
  if (!server.config.file) {
    client.out.error("ERR The server is running without a config file");
    return;
  }
  const error = rewriteConfigFile(server.config);
  if (error) {
    server.log.warning(`CONFIG REWRITE failed: ${error}`);
    client.out.error(`ERR Rewriting config file: ${error}`);
    return;
  }
  server.log.warning("CONFIG REWRITE executed with success.");
  client.out.ok();
}

const HELP = [
  "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
  "HELP",
  "    Prints this help.",
];

function configHelp(client: Client): void {
  client.out.array(HELP.length);
  for (const line of HELP) client.out.simple(line);
}

const ADMIN_FLAGS: CommandSpec["flags"] = [
  "admin",
  "noscript",
  "loading",
  "stale",
];

/** The CONFIG container and its subcommands. */
export const configCommands: CommandSpec[] = [
  {
    name: "config",
    arity: -2,
    flags: [],
    acl: [],
    keySpecs: [],
    summary: "A container for server configuration commands.",
    complexity: "Depends on subcommand.",
    since: "2.0.0",
    group: "server",
    subcommands: [
      {
        name: "get",
        arity: -3,
        flags: ADMIN_FLAGS,
        acl: [],
        keySpecs: [],
        summary: "Returns the effective values of configuration parameters.",
        complexity:
          "O(N) when N is the number of configuration parameters provided",
        since: "2.0.0",
        group: "server",
        handler: configGet,
      },
      {
        name: "set",
        arity: -4,
        flags: ADMIN_FLAGS,
        acl: [],
        keySpecs: [],
        tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
        summary: "Sets configuration parameters in-flight.",
        complexity:
          "O(N) when N is the number of configuration parameters provided",
        since: "2.0.0",
        group: "server",
        handler: configSet,
      },
      {
        name: "resetstat",
        arity: 2,
        flags: ADMIN_FLAGS,
        acl: [],
        keySpecs: [],
        summary: "Resets the server's statistics.",
        complexity: "O(1)",
        since: "2.0.0",
        group: "server",
        handler: configResetStat,
      },
      {
        name: "rewrite",
        arity: 2,
        flags: ADMIN_FLAGS,
        acl: [],
        keySpecs: [],
        summary: "Persists the effective configuration to file.",
        complexity: "O(1)",
        since: "2.8.0",
        group: "server",
        handler: configRewrite,
      },
      {
        name: "help",
        arity: 2,
        flags: ["loading", "stale"],
        acl: [],
        keySpecs: [],
        summary: "Returns helpful text about the different subcommands.",
        complexity: "O(1)",
        since: "5.0.0",
        group: "server",
        handler: configHelp,
      },
    ],
  },
];
