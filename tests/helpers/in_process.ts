/**
 * A redeno Server run inside the test process, never started: nothing
 * listens or dials, nothing is logged. For tests that look at what a socket
 * cannot show (each write, the propagation queue).
 * @module
 */

import { Config } from "../../src/config.ts";
import type { ServerLog } from "../../src/log.ts";
import type { NetAdapter } from "../../src/net/types.ts";
import { Server } from "../../src/server.ts";

/** A log that drops every line. */
export const silentLog: ServerLog = {
  debug() {},
  verbose() {},
  notice() {},
  warning() {},
};

/** An adapter for a server that is never started: nothing listens or dials. */
export const offline: NetAdapter = {
  runtime: "test",
  version: "0",
  listenTcp: () => Promise.reject(new Error("offline")),
  listenUnix: () => Promise.reject(new Error("offline")),
  connect: () => Promise.reject(new Error("offline")),
};

/** A server in process with `config` (defaults otherwise). */
export function inProcessServer(config: Config = new Config()): Server {
  return new Server(config, offline, silentLog);
}
