/**
 * The command line, as redis-server takes it:
 * `redeno [/path/to/redis.conf] [--name value ...]`, plus `--help` and
 * `--version`. Starts the server and resolves with the exit code.
 * @module
 */

import process from "node:process";
import { Config } from "./config.ts";
import {
  ConfigFileError,
  ConfigOpenError,
  loadConfig,
  parseCommandLine,
} from "./config_file.ts";
import {
  configureLog,
  formatRecord,
  type RedisLogLevel,
  serverLog,
} from "./log.ts";
import { binaryToText } from "./protocol/binary.ts";
import { loadAdapter } from "./net/types.ts";
import { REDENO_VERSION, REDIS_VERSION, Server } from "./server.ts";

/** The arguments after the program name, on Deno and on Bun. */
export function programArgs(): string[] {
  const deno = (globalThis as { Deno?: { args: string[] } }).Deno;
  return deno ? [...deno.args] : process.argv.slice(2);
}

/** `--version` text. */
export function versionText(runtime: string, runtimeVersion: string): string {
  return `redeno v=${REDENO_VERSION} redis_version=${REDIS_VERSION} runtime=${runtime} ${runtimeVersion}`;
}

const USAGE = `Usage: redeno [/path/to/redis.conf] [options] [-]
       redeno - (read config from stdin)
       redeno -v or --version
       redeno -h or --help

Examples:
       redeno (run the server with default conf)
       redeno /etc/redis/6379.conf
       redeno --port 7777
       redeno --port 7777 --replicaof 127.0.0.1 8888
       redeno /etc/myredis.conf --loglevel verbose -
       redeno /etc/myredis.conf --loglevel verbose
`;

/** A warning in Redis's log format, before logging is set up (role C, like Redis). */
function startupLogLine(message: string): string {
  return formatRecord(
    {
      category: ["redeno"],
      level: "warning",
      message: [message],
      rawMessage: message,
      timestamp: Date.now(),
      properties: {},
    },
    "C",
  );
}

/** Runs the server for `args`; resolves with the process exit code. */
export async function main(args: string[]): Promise<number> {
  const net = await loadAdapter();
  if (args[0] === "-v" || args[0] === "--version") {
    console.log(versionText(net.runtime, net.version));
    return 0;
  }
  if (args[0] === "-h" || args[0] === "--help") {
    console.log(USAGE);
    return 0;
  }
  const config = new Config();
  try {
    loadConfig(config, parseCommandLine(args));
  } catch (error) {
    if (error instanceof ConfigFileError) {
      process.stderr.write(error.report(REDIS_VERSION));
      return 1;
    }
    if (error instanceof ConfigOpenError) {
      process.stdout.write(startupLogLine(error.message));
      return 1;
    }
    throw error;
  }
  await configureLog(
    config.string("loglevel") as RedisLogLevel,
    binaryToText(config.string("logfile")),
  );
  const log = serverLog();
  const server = new Server(config, net, log);
  try {
    await server.start();
  } catch (error) {
    log.warning((error as Error).message);
    return 1;
  }
  log.notice(
    `redeno ${REDENO_VERSION} (redis_version ${REDIS_VERSION}) on ${net.runtime} ${net.version}, port ${server.port}, pid ${process.pid}: ready to accept connections`,
  );
  process.on("SIGINT", () => server.shutdown.onSignal("SIGINT"));
  process.on("SIGTERM", () => server.shutdown.onSignal("SIGTERM"));
  return await server.stopped;
}
