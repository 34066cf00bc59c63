/**
 * Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET (CLIENT
 * lives in client.ts).
 * @module
 */

import type { Client } from "../client.ts";
import { REDIS_VERSION } from "../server.ts";
import { parseInteger } from "../util/numbers.ts";
import { setClientName } from "./client.ts";
import type { CommandSpec } from "./table.ts";
import { cString, Errors, isKeyword } from "./util.ts";

const WRONGPASS =
  "WRONGPASS invalid username-password pair or user is disabled.";

function ping(client: Client, argv: string[]): void {
  if (argv.length > 2) {
    client.out.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (client.protover === 2 && client.subscriptions.total > 0) {
    // In RESP2 subscribed mode a reply must look like a message.
    client.out.array(2);
    client.out.bulk("pong");
    client.out.bulk(argv.length === 1 ? "" : argv[1]);
  } else if (argv.length === 1) client.out.simple("PONG");
  else client.out.bulk(argv[1]);
}

function echo(client: Client, argv: string[]): void {
  client.out.bulk(argv[1]);
}

function quit(client: Client): void {
  client.out.ok();
  client.closeAfterReply = true;
}

function select(client: Client, argv: string[]): void {
  const id = parseInteger(argv[1]);
  if (id === null) {
    client.out.error(Errors.notInteger);
    return;
  }
  if (id > 2147483647 || id < -2147483648) {
    client.out.error(
      "ERR value is out of range, value must between -2147483648 and 2147483647",
    );
    return;
  }
  const db = client.server.dbs[id];
  if (!db) {
    client.out.error("ERR DB index is out of range");
    return;
  }
  client.db = db;
  client.out.ok();
}

/**
 * Checks a username and password as Redis's default user would: with no
 * `requirepass` any password is accepted; other users do not exist yet.
 * Replies WRONGPASS and returns false on failure.
 */
function authenticate(client: Client, user: string, password: string): boolean {
  const required = client.server.requirePass();
  if (user !== "default" || (required !== "" && password !== required)) {
    client.out.error(WRONGPASS);
    return false;
  }
  client.authenticated = true;
  return true;
}

function auth(client: Client, argv: string[]): void {
  if (argv.length > 3) {
    client.out.error(Errors.syntax);
    return;
  }
  if (argv.length === 2 && client.server.requirePass() === "") {
    client.out.error(
      "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
    return;
  }
  const [user, password] = argv.length === 2
    ? ["default", argv[1]]
    : [argv[1], argv[2]];
  if (authenticate(client, user, password)) client.out.ok();
}

function hello(client: Client, argv: string[]): void {
  let protover: 2 | 3 | undefined;
  if (argv.length >= 2) {
    const ver = parseInteger(argv[1]);
    if (ver === null) {
      client.out.error(
        "ERR Protocol version is not an integer or out of range",
      );
      return;
    }
    if (ver !== 2 && ver !== 3) {
      client.out.error("NOPROTO unsupported protocol version");
      return;
    }
    protover = ver;
  }
  let credentials: [string, string] | undefined;
  let name: string | undefined;
  for (let i = 2; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    if (isKeyword(argv[i], "auth") && more >= 2) {
      credentials = [argv[i + 1], argv[i + 2]];
      i += 2;
    } else if (isKeyword(argv[i], "setname") && more >= 1) {
      name = argv[++i];
    } else {
      client.out.error(
        `ERR Syntax error in HELLO option '${cString(argv[i])}'`,
      );
      return;
    }
  }
  if (credentials && !authenticate(client, ...credentials)) return;
  // Redis 7.0 sets the name even when the NOAUTH error follows.
  if (name !== undefined && !setClientName(client, name)) return;
  if (!client.authenticated) {
    client.out.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
    return;
  }
  if (protover !== undefined) client.out.protover = protover;
  const out = client.out;
  out.map(7);
  out.bulk("server");
  out.bulk("redis");
  out.bulk("version");
  out.bulk(REDIS_VERSION);
  out.bulk("proto");
  out.integer(client.protover);
  out.bulk("id");
  out.integer(client.id);
  out.bulk("mode");
  out.bulk("standalone");
  out.bulk("role");
  out.bulk("master");
  out.bulk("modules");
  out.emptyArray();
}

function reset(client: Client): void {
  client.reset();
  client.out.simple("RESET");
}

/** Connection commands for the command table. */
export const connectionCommands: CommandSpec[] = [
  {
    name: "ping",
    arity: -1,
    flags: ["fast"],
    acl: ["connection"],
    keySpecs: [],
    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
    summary: "Returns PONG, or the given message.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "connection",
    handler: ping,
  },
  {
    name: "echo",
    arity: 2,
    flags: ["loading", "stale", "fast"],
    acl: ["connection"],
    keySpecs: [],
    summary: "Returns the given string.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "connection",
    handler: echo,
  },
  {
    name: "quit",
    arity: -1,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    acl: ["connection"],
    keySpecs: [],
    summary: "Closes the connection after replying OK.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "connection",
    handler: quit,
  },
  {
    name: "select",
    arity: 2,
    flags: ["loading", "stale", "fast"],
    acl: ["connection"],
    keySpecs: [],
    summary: "Changes the selected database of the connection.",
    complexity: "O(1)",
    since: "1.0.0",
    group: "connection",
    handler: select,
  },
  {
    name: "hello",
    arity: -1,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    acl: ["connection"],
    keySpecs: [],
    summary:
      "Picks the protocol version, optionally authenticating and naming the connection, and describes the server.",
    complexity: "O(1)",
    since: "6.0.0",
    group: "connection",
    history: [[
      "6.2.0",
      "`protover` made optional; when called without arguments the command reports the current connection's context.",
    ]],
    handler: hello,
  },
  {
    name: "auth",
    arity: -2,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    acl: ["connection"],
    keySpecs: [],
    summary: "Authenticates the connection.",
    complexity: "O(N) where N is the number of passwords defined for the user",
    since: "1.0.0",
    group: "connection",
    history: [["6.0.0", "Added ACL style (username and password)."]],
    handler: auth,
  },
  {
    name: "reset",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    acl: ["connection"],
    keySpecs: [],
    summary: "Returns the connection to its initial state.",
    complexity: "O(1)",
    since: "6.2.0",
    group: "connection",
    handler: reset,
  },
];
