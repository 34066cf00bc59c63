/**
 * CLIENT and its subcommands: ID, INFO, LIST, KILL, SETNAME, GETNAME, REPLY,
 * NO-EVICT, PAUSE, UNPAUSE, GETREDIR, TRACKINGINFO, HELP, as Redis 7.0.15
 * has them (7.0 has no SETINFO or NO-TOUCH).
 * @module
 */

import type { Client } from "../client.ts";
import { READ_BUFFER_SIZE } from "../net/types.ts";
import { parseInt64 } from "../util/numbers.ts";
import type { CommandSpec } from "./table.ts";
import { cString, Errors, isKeyword } from "./util.ts";

/** Client types as CLIENT LIST TYPE and CLIENT KILL TYPE name them. */
type ClientType = "normal" | "master" | "replica" | "pubsub";

function clientTypeByName(name: string): ClientType | undefined {
  switch (name.toLowerCase()) {
    case "normal":
      return "normal";
    case "master":
      return "master";
    case "replica":
    case "slave":
      return "replica";
    case "pubsub":
      return "pubsub";
  }
  return undefined;
}

/** The type of a connected client: the primary's link is "master". */
function clientType(client: Client): ClientType {
  return client.isMaster ? "master" : client.kind;
}

/** CLIENT LIST flags, in Redis's order; N when none applies. */
function clientFlags(client: Client): string {
  let flags = "";
  if (client.kind === "replica") flags += "S";
  if (client.isMaster) flags += "M";
  if (client.kind === "pubsub") flags += "P";
  if (client.transaction) flags += "x";
  if (client.postponed || client.blocked) flags += "b";
  if (client.dirtyCas) flags += "d";
  if (client.closeAfterReply) flags += "c";
  if (client.conn.unix) flags += "U";
  if (client.noEvict) flags += "e";
  return flags || "N";
}

/**
 * One CLIENT LIST line (without the newline), with the fields Redis 7.0.15
 * prints. `argv` is the command being run when `client` is the caller.
 */
export function clientInfoLine(client: Client, argv?: string[]): string {
  const now = Date.now();
  const qbuf = client.decoder.pending;
  // Arguments held: the command running, or one a pause holds back.
  const held = argv ?? client.postponed;
  const argvMem = held ? held.reduce((n, a) => n + a.length, 0) : 0;
  const obl = client.out.length;
  const omem = client.outputPending - obl;
  const totMem = client.decoder.capacity + READ_BUFFER_SIZE + argvMem +
    client.outputPending;
  return [
    `id=${client.id}`,
    `addr=${client.conn.remoteAddress}`,
    `laddr=${client.conn.localAddress}`,
    `fd=${client.fd}`,
    `name=${client.name}`,
    `age=${Math.floor((now - client.createdAt) / 1000)}`,
    `idle=${Math.floor((now - client.lastInteraction) / 1000)}`,
    `flags=${clientFlags(client)}`,
    `db=${client.db.id}`,
    `sub=${client.subscriptions.channels.size}`,
    `psub=${client.subscriptions.patterns.size}`,
    `ssub=${client.subscriptions.shardChannels.size}`,
    `multi=${client.transaction ? client.transaction.commands.length : -1}`,
    `qbuf=${qbuf}`,
    `qbuf-free=${Math.max(0, client.decoder.capacity - qbuf)}`,
    `argv-mem=${argvMem}`,
    `multi-mem=${client.transaction?.argvBytes ?? 0}`,
    `rbs=${READ_BUFFER_SIZE}`,
    `rbp=${client.readPeak}`,
    `obl=${obl}`,
    `oll=${omem > 0 ? 1 : 0}`,
    `omem=${omem}`,
    `tot-mem=${totMem}`,
    `events=${client.outputPending > 0 ? "rw" : "r"}`,
    `cmd=${client.lastCommand}`,
    // The primary's link runs as no user at all, which Redis prints so.
    `user=${client.isMaster ? "(superuser)" : "default"}`,
    "redir=-1",
    `resp=${client.protover}`,
  ].join(" ");
}

/**
 * Sets the connection name as CLIENT SETNAME does: "" clears it, anything
 * outside '!'..'~' is refused with Redis's error. Returns false after
 * replying the error.
 */
export function setClientName(client: Client, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) {
      client.out.error(
        "ERR Client names cannot contain spaces, newlines or special characters.",
      );
      return false;
    }
  }
  client.name = name;
  return true;
}

/** Redis's reply to a subcommand given the wrong arguments. */
function subcommandSyntaxError(client: Client, argv: string[]): void {
  client.out.error(
    `ERR unknown subcommand or wrong number of arguments for '${
      argv[1].slice(0, 128)
    }'. Try CLIENT HELP.`,
  );
}

function id(client: Client): void {
  client.out.integer(client.id);
}

function info(client: Client, argv: string[]): void {
  client.out.verbatim(clientInfoLine(client, argv) + "\n");
}

function list(client: Client, argv: string[]): void {
  let clients: Client[];
  if (argv.length === 2) {
    clients = [...client.server.clients.values()];
  } else if (argv.length === 4 && isKeyword(argv[2], "type")) {
    const type = clientTypeByName(argv[3]);
    if (!type) {
      client.out.error(`ERR Unknown client type '${cString(argv[3])}'`);
      return;
    }
    clients = [...client.server.clients.values()].filter((c) =>
      clientType(c) === type
    );
  } else if (argv.length > 3 && isKeyword(argv[2], "id")) {
    clients = [];
    for (const text of argv.slice(3)) {
      const wanted = parseInt64(text);
      if (wanted === null) {
        client.out.error("ERR Invalid client ID");
        return;
      }
      const found = client.server.clients.get(Number(wanted));
      if (found) clients.push(found);
    }
  } else {
    client.out.error(Errors.syntax);
    return;
  }
  let text = "";
  for (const c of clients) {
    text += clientInfoLine(c, c === client ? argv : undefined) + "\n";
  }
  client.out.verbatim(text);
}

/** The filters of CLIENT KILL's option form. */
interface KillFilter {
  id?: number;
  type?: ClientType;
  addr?: string;
  laddr?: string;
  skipMe: boolean;
}

/** Parses CLIENT KILL's options; replies the error and returns undefined on failure. */
function killFilter(client: Client, argv: string[]): KillFilter | undefined {
  const filter: KillFilter = { skipMe: true };
  for (let i = 2; i < argv.length; i += 2) {
    const option = argv[i].toLowerCase();
    const value = argv[i + 1];
    if (value === undefined) {
      client.out.error(Errors.syntax);
      return undefined;
    }
    if (option === "id") {
      const n = parseInt64(value);
      if (n === null || n < 1n) {
        client.out.error("ERR client-id should be greater than 0");
        return undefined;
      }
      filter.id = Number(n);
    } else if (option === "type") {
      filter.type = clientTypeByName(value);
      if (!filter.type) {
        client.out.error(`ERR Unknown client type '${cString(value)}'`);
        return undefined;
      }
    } else if (option === "addr") {
      filter.addr = value;
    } else if (option === "laddr") {
      filter.laddr = value;
    } else if (option === "user") {
      // Only the default user exists until ACL users land.
      if (value !== "default") {
        client.out.error(`ERR No such user '${value}'`);
        return undefined;
      }
    } else if (option === "skipme") {
      if (isKeyword(value, "yes")) filter.skipMe = true;
      else if (isKeyword(value, "no")) filter.skipMe = false;
      else {
        client.out.error(Errors.syntax);
        return undefined;
      }
    } else {
      client.out.error(Errors.syntax);
      return undefined;
    }
  }
  return filter;
}

function kill(client: Client, argv: string[]): void {
  // The old form `CLIENT KILL addr` may kill the caller and replies OK.
  const oldForm = argv.length === 3;
  const filter = oldForm
    ? { addr: argv[2], skipMe: false }
    : killFilter(client, argv);
  if (!filter) return;
  let killed = 0;
  let killSelf = false;
  for (const c of [...client.server.clients.values()]) {
    if (filter.addr !== undefined && c.conn.remoteAddress !== filter.addr) {
      continue;
    }
    if (filter.laddr !== undefined && c.conn.localAddress !== filter.laddr) {
      continue;
    }
    if (filter.type !== undefined && clientType(c) !== filter.type) continue;
    if (filter.id !== undefined && c.id !== filter.id) continue;
    if (c === client && filter.skipMe) continue;
    if (c === client) killSelf = true;
    else c.close();
    killed++;
  }
  if (!oldForm) client.out.integer(killed);
  else if (killed === 0) client.out.error("ERR No such client");
  else client.out.ok();
  // The caller goes only after its reply is out.
  if (killSelf) client.closeAfterReply = true;
}

function setname(client: Client, argv: string[]): void {
  if (setClientName(client, argv[2])) client.out.ok();
}

function getname(client: Client): void {
  client.out.bulk(client.name === "" ? null : client.name);
}

function reply(client: Client, argv: string[]): void {
  const mode = argv[2].toLowerCase();
  if (mode === "on") {
    client.replyMode = "on";
    // The dispatcher muted this command's output while replies were off.
    client.out.muted = false;
    client.out.ok();
  } else if (mode === "off") {
    client.replyMode = "off";
  } else if (mode === "skip") {
    if (client.replyMode !== "off") client.replyMode = "skip";
  } else {
    client.out.error(Errors.syntax);
  }
}

function noEvict(client: Client, argv: string[]): void {
  if (isKeyword(argv[2], "on")) client.noEvict = true;
  else if (isKeyword(argv[2], "off")) client.noEvict = false;
  else {
    client.out.error(Errors.syntax);
    return;
  }
  client.out.ok();
}

const INT64_MAX = 2n ** 63n - 1n;

function pause(client: Client, argv: string[]): void {
  if (argv.length > 4) {
    subcommandSyntaxError(client, argv);
    return;
  }
  const timeout = parseInt64(argv[2]);
  if (timeout === null) {
    client.out.error("ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0n) {
    client.out.error("ERR timeout is negative");
    return;
  }
  let type: "write" | "all" = "all";
  if (argv.length === 4) {
    if (isKeyword(argv[3], "write")) type = "write";
    else if (!isKeyword(argv[3], "all")) {
      client.out.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  }
  const now = BigInt(Date.now());
  // Redis adds the timeout to the clock in 64 bits; an overflow wraps into
  // the past, so the pause ends at once.
  const end = timeout + now > INT64_MAX ? 0 : Number(timeout + now);
  client.server.pauseClients(type, end);
  client.out.ok();
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's wait on keys. */
function unblock(client: Client, argv: string[]): void {
  const id = parseInt64(argv[2]);
  if (id === null) {
    client.out.error(Errors.notInteger);
    return;
  }
  let withError = false;
  if (argv.length === 4) {
    if (isKeyword(argv[3], "error")) withError = true;
    else if (!isKeyword(argv[3], "timeout")) {
      client.out.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  } else if (argv.length > 4) {
    subcommandSyntaxError(client, argv);
    return;
  }
  const target = client.server.clients.get(Number(id));
  const done = target !== undefined &&
    target.blocked?.kind.clientUnblock !== false &&
    client.server.blocking.unblockByRequest(target, withError);
  client.out.integer(done ? 1 : 0);
}

function unpause(client: Client): void {
  client.server.unpauseClients();
  client.out.ok();
}

function getredir(client: Client): void {
  client.out.integer(-1);
}

function trackinginfo(client: Client): void {
  const out = client.out;
  out.map(3);
  out.bulk("flags");
  out.set(1);
  out.bulk("off");
  out.bulk("redirect");
  out.integer(-1);
  out.bulk("prefixes");
  out.emptyArray();
}

/** CLIENT HELP, line for line as Redis 7.0.15 prints it. */
const HELP = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "UNPAUSE",
  "    Stop the current client pause, resuming traffic.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Suspend all, or just write, clients for <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
  "HELP",
  "    Prints this help.",
];

function help(client: Client): void {
  client.out.array(HELP.length);
  for (const line of HELP) client.out.simple(line);
}

/** The CLIENT container and its subcommands. */
export const clientCommands: CommandSpec[] = [
  {
    name: "client",
    arity: -2,
    flags: [],
    acl: [],
    keySpecs: [],
    summary: "A container for client connection commands.",
    complexity: "Depends on subcommand.",
    since: "2.4.0",
    group: "connection",
    subcommands: [
      {
        group: "connection",
        name: "id",
        arity: 2,
        flags: ["noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary: "Returns the unique ID of the connection.",
        complexity: "O(1)",
        since: "5.0.0",
        handler: id,
      },
      {
        group: "connection",
        name: "info",
        arity: 2,
        flags: ["noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        tips: ["nondeterministic_output"],
        summary: "Describes the connection in CLIENT LIST's format.",
        complexity: "O(1)",
        since: "6.2.0",
        handler: info,
      },
      {
        group: "connection",
        name: "list",
        arity: -2,
        flags: ["admin", "noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        tips: ["nondeterministic_output"],
        summary:
          "Describes every connection, or those of a type or with given IDs.",
        complexity: "O(N) where N is the number of client connections",
        since: "2.4.0",
        history: [
          ["2.8.12", "Added unique client `id` field."],
          ["5.0.0", "Added optional `TYPE` filter."],
          ["6.0.0", "Added `user` field."],
          [
            "6.2.0",
            "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter.",
          ],
          ["7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."],
          ["7.0.3", "Added `ssub` field."],
        ],
        handler: list,
      },
      {
        group: "connection",
        name: "kill",
        arity: -3,
        flags: ["admin", "noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary: "Closes connections chosen by address, ID, type or user.",
        complexity: "O(N) where N is the number of client connections",
        since: "2.4.0",
        history: [
          ["2.8.12", "Added new filter format."],
          ["2.8.12", "`ID` option."],
          ["3.2.0", "Added `master` type in for `TYPE` option."],
          [
            "5.0.0",
            "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility.",
          ],
          ["6.2.0", "`LADDR` option."],
        ],
        handler: kill,
      },
      {
        group: "connection",
        name: "setname",
        arity: 3,
        flags: ["noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary: "Names the connection.",
        complexity: "O(1)",
        since: "2.6.9",
        handler: setname,
      },
      {
        group: "connection",
        name: "getname",
        arity: 2,
        flags: ["noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary: "Returns the connection's name.",
        complexity: "O(1)",
        since: "2.6.9",
        handler: getname,
      },
      {
        group: "connection",
        name: "reply",
        arity: 3,
        flags: ["noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary:
          "Turns the server's replies to this connection on or off, or skips the next one.",
        complexity: "O(1)",
        since: "3.2.0",
        handler: reply,
      },
      {
        group: "connection",
        name: "no-evict",
        arity: 3,
        flags: ["admin", "noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary:
          "Exempts the connection from client eviction, or stops exempting it.",
        complexity: "O(1)",
        since: "7.0.0",
        handler: noEvict,
      },
      {
        group: "connection",
        name: "pause",
        arity: -3,
        flags: ["admin", "noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary:
          "Holds back the commands of all clients, or only their writes, for a while.",
        complexity: "O(1)",
        since: "2.9.50",
        history: [[
          "6.2.0",
          "`CLIENT PAUSE WRITE` mode added along with the `mode` option.",
        ]],
        handler: pause,
      },
      {
        group: "connection",
        name: "unblock",
        arity: -3,
        flags: ["admin", "noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary:
          "Ends the wait of a client blocked on keys, as a timeout or with an error.",
        complexity: "O(log N) where N is the number of client connections",
        since: "5.0.0",
        handler: unblock,
      },
      {
        group: "connection",
        name: "unpause",
        arity: 2,
        flags: ["admin", "noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary: "Ends a CLIENT PAUSE early.",
        complexity: "O(N) Where N is the number of paused clients",
        since: "6.2.0",
        handler: unpause,
      },
      {
        group: "connection",
        name: "getredir",
        arity: 2,
        flags: ["noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary:
          "Returns the ID tracking notifications are redirected to, -1 when none.",
        complexity: "O(1)",
        since: "6.0.0",
        handler: getredir,
      },
      {
        group: "connection",
        name: "trackinginfo",
        arity: 2,
        flags: ["noscript", "loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary: "Describes the connection's client-side caching state.",
        complexity: "O(1)",
        since: "6.2.0",
        handler: trackinginfo,
      },
      {
        group: "connection",
        name: "help",
        arity: 2,
        flags: ["loading", "stale"],
        acl: ["connection"],
        keySpecs: [],
        summary: "Lists the CLIENT subcommands.",
        complexity: "O(1)",
        since: "5.0.0",
        handler: help,
      },
    ],
  },
];
