/**
 * The command line, as redis-server takes it:
 * `redeno [/path/to/redis.conf] [--name value ...]`, plus `--help` and
 * `--version`. Starts the server and resolves with the exit code.
 * @module
 */

import process from "node:process";
import { Config } from "./config.ts";
import { configureLog, type RedisLogLevel, serverLog } from "./log.ts";
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
  const directives: string[][] = [];
  let i = 0;
  if (args[0] && !args[0].startsWith("--")) i = 1; // config file: read by the config layer
  for (; i < args.length; i++) {
    if (!args[i].startsWith("--")) {
      directives[directives.length - 1]?.push(args[i]);
      continue;
    }
    directives.push([args[i].slice(2)]);
  }
  for (const [name, ...values] of directives) {
    const error = config.set(name, values.join(" "));
    if (error) {
      console.error(
        `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\n` +
          `>>> '${[name, ...values].join(" ")}'\n${error}`,
      );
      return 1;
    }
  }
  await configureLog(
    config.string("loglevel") as RedisLogLevel,
    config.string("logfile"),
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
  const stop = (signal: string) =>
    server.shutdown(`Received ${signal} scheduling shutdown`);
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  return await server.stopped;
}
