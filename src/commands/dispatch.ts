/**
 * The dispatcher: finds the command in the table, checks arity, rejects with
 * Redis's error texts, runs the handler and keeps the statistics, as Redis's
 * processCommand and call do.
 * @module
 */

import type { Client } from "../client.ts";
import type { Server } from "../server.ts";
import type { CommandSpec } from "./table.ts";

/** How much of the arguments the unknown-command error quotes. */
const ARGS_PREVIEW_LIMIT = 128;

/** The part of `s` before its first NUL byte: what C's `%s` prints of it. */
function cString(s: string): string {
  const nul = s.indexOf("\0");
  return nul === -1 ? s : s.slice(0, nul);
}

/** `'a' 'b' ` preview of argv[1..], at most 128 bytes, as Redis quotes it. */
function argsPreview(argv: string[]): string {
  let out = "";
  for (let i = 1; i < argv.length && out.length < ARGS_PREVIEW_LIMIT; i++) {
    out += `'${cString(argv[i]).slice(0, ARGS_PREVIEW_LIMIT - out.length)}' `;
  }
  return out;
}

/** Replies with an error for a command refused before running. */
function reject(
  server: Server,
  client: Client,
  message: string,
  fullName?: string,
): void {
  if (fullName) server.stats.command(fullName).rejectedCalls++;
  client.out.error(message);
}

/** Resolves argv to a command spec and its full name, or replies with the error. */
function lookup(
  server: Server,
  client: Client,
  argv: string[],
): { spec: CommandSpec; fullName: string } | undefined {
  const top = server.commands.get(argv[0]);
  if (!top) {
    reject(
      server,
      client,
      `ERR unknown command '${
        cString(argv[0]).slice(0, 128)
      }', with args beginning with: ${argsPreview(argv)}`,
    );
    return undefined;
  }
  if (!top.subcommands || argv.length === 1) {
    return { spec: top, fullName: top.name };
  }
  const sub = server.commands.subcommand(top, argv[1]);
  if (!sub) {
    reject(
      server,
      client,
      `ERR unknown subcommand '${
        cString(argv[1]).slice(0, 128)
      }'. Try ${top.name.toUpperCase()} HELP.`,
    );
    return undefined;
  }
  return { spec: sub, fullName: `${top.name}|${sub.name}` };
}

/** Runs one command from `client`. */
export function execute(server: Server, client: Client, argv: string[]): void {
  const found = lookup(server, client, argv);
  if (!found) return;
  const { spec, fullName } = found;
  client.lastCommand = fullName;
  const arity = spec.arity;
  if ((arity > 0 && arity !== argv.length) || argv.length < -arity) {
    reject(
      server,
      client,
      `ERR wrong number of arguments for '${fullName}' command`,
      fullName,
    );
    return;
  }
  if (!client.authenticated && !spec.flags.includes("no_auth")) {
    reject(server, client, "NOAUTH Authentication required.", fullName);
    return;
  }
  if (fullName === "debug" && !debugAllowed(server, client)) {
    reject(
      server,
      client,
      'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
      fullName,
    );
    return;
  }
  // RESP2 pub/sub context checks go here (only (P|S)SUBSCRIBE, PING... allowed).
  if (server.pause && server.isPausedFor(client, spec)) {
    // Held back, not dropped: the client reads no further until it runs.
    client.postponed = argv;
    server.postponed.add(client);
    return;
  }
  call(server, client, spec, fullName, argv);
}

/** `enable-debug-command`: yes, or local for loopback and unix socket clients. */
function debugAllowed(server: Server, client: Client): boolean {
  const setting = server.config.string("enable-debug-command");
  if (setting === "yes") return true;
  if (setting !== "local") return false;
  if (client.conn.unix) return true;
  const host = client.conn.remoteAddress.slice(
    0,
    client.conn.remoteAddress.lastIndexOf(":"),
  );
  return host === "127.0.0.1" || host === "::1";
}

/** Runs the handler and records the call (Redis's call()). */
export function call(
  server: Server,
  client: Client,
  spec: CommandSpec,
  fullName: string,
  argv: string[],
): void {
  const stats = server.stats;
  const errorsBefore = stats.totalErrorReplies;
  // Inside a read batch the clocks were read for us (Server.beginBatch).
  let started = server.batchClock;
  if (started === 0) {
    started = performance.now();
    server.now = Date.now();
  }
  const skipReply = client.replyMode !== "on";
  if (skipReply) client.out.muted = true;
  spec.handler!(client, argv);
  if (skipReply) {
    client.out.muted = client.replyMode === "off";
    if (client.replyMode === "skip") client.replyMode = "on";
  }
  const s = stats.command(fullName);
  s.calls++;
  const ended = performance.now();
  if (server.batchClock !== 0) server.batchClock = ended;
  s.usec += (ended - started) * 1000;
  if (stats.totalErrorReplies !== errorsBefore) s.failedCalls++;
  stats.totalCommands++;
}
