/**
 * Pub/Sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and
 * PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB/HELP. The
 * registry and delivery live in src/pubsub.ts.
 * @module
 */

import type { Client } from "../client.ts";
import {
  publish,
  publishShard,
  subscribe,
  type SubscriptionKind,
  unsubscribe,
  unsubscribeAll,
} from "../pubsub.ts";
import { PROPAGATE_REPL } from "../propagate.ts";
import { globMatch } from "../util/glob.ts";
import { type CommandSpec, keysAt } from "./table.ts";

/** PUBSUB HELP, line for line as Redis 7.0 prints it. */
const HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
  "HELP",
  "    Prints this help.",
];

/** SUBSCRIBE-style handler: subscribes to every argument. */
function subscriber(kind: SubscriptionKind) {
  return (client: Client, argv: string[]): void => {
    for (let i = 1; i < argv.length; i++) subscribe(client, kind, argv[i]);
  };
}

/** UNSUBSCRIBE-style handler: the arguments, or everything when none. */
function unsubscriber(kind: SubscriptionKind) {
  return (client: Client, argv: string[]): void => {
    if (argv.length === 1) return unsubscribeAll(client, kind, true);
    for (let i = 1; i < argv.length; i++) unsubscribe(client, kind, argv[i]);
  };
}

/**
 * PUBLISH and SPUBLISH reach the replicas' subscribers too, but are no
 * change to the dataset: replicas only, never the AOF (PROPAGATE_REPL).
 */
function propagateToReplicas(client: Client, argv: string[]): void {
  client.server.propagation.also(client.db.id, argv, PROPAGATE_REPL);
}

function publishCommand(client: Client, argv: string[]): void {
  client.out.integer(publish(client.server, argv[1], argv[2]));
  propagateToReplicas(client, argv);
}

function spublish(client: Client, argv: string[]): void {
  client.out.integer(publishShard(client.server, argv[1], argv[2]));
  propagateToReplicas(client, argv);
}

/** CHANNELS / SHARDCHANNELS: active names matching the optional pattern. */
function channelLister(registry: "channels" | "shardChannels") {
  return (client: Client, argv: string[]): void => {
    if (argv.length > 3) {
      client.out.error(
        `ERR unknown subcommand or wrong number of arguments for '${
          argv[1]
        }'. Try PUBSUB HELP.`,
      );
      return;
    }
    const pattern = argv[2];
    const names: string[] = [];
    for (const name of client.server.pubsub[registry].keys()) {
      if (pattern === undefined || globMatch(pattern, name)) names.push(name);
    }
    client.out.bulkArray(names);
  };
}

/** NUMSUB / SHARDNUMSUB: each name followed by its subscriber count. */
function subscriberCounter(registry: "channels" | "shardChannels") {
  return (client: Client, argv: string[]): void => {
    const subscribers = client.server.pubsub[registry];
    // A flat array in RESP3 too, as Redis 7.0 replies.
    client.out.array((argv.length - 2) * 2);
    for (let i = 2; i < argv.length; i++) {
      client.out.bulk(argv[i]);
      client.out.integer(subscribers.get(argv[i])?.size ?? 0);
    }
  };
}

function numpat(client: Client): void {
  client.out.integer(client.server.pubsub.patterns.size);
}

function help(client: Client): void {
  client.out.array(HELP.length);
  for (const line of HELP) client.out.simple(line);
}

/** The spec shared by the six (un)subscribe commands. */
function subscription(
  name: string,
  since: string,
  arity: number,
  summary: string,
  handler: (client: Client, argv: string[]) => void,
  shard = false,
): CommandSpec {
  return {
    name,
    arity,
    flags: ["pubsub", "noscript", "loading", "stale"],
    acl: [],
    keySpecs: shard ? [keysAt(1, ["not_key"], { lastkey: -1 })] : [],
    summary,
    complexity: "O(N) where N is the number of channels or patterns given.",
    since,
    group: "pubsub",
    handler,
  };
}

/** A PUBSUB subcommand reading the registry. */
function introspection(
  name: string,
  arity: number,
  since: string,
  summary: string,
  handler: (client: Client, argv: string[]) => void,
): CommandSpec {
  return {
    name,
    arity,
    flags: ["pubsub", "loading", "stale"],
    acl: [],
    keySpecs: [],
    summary,
    complexity: "O(N) where N is the number of channels listed or asked about.",
    since,
    group: "pubsub",
    handler,
  };
}

/** Pub/Sub commands for the command table. */
export const pubsubCommands: CommandSpec[] = [
  subscription(
    "subscribe",
    "2.0.0",
    -2,
    "Listens for messages published to channels.",
    subscriber("channel"),
  ),
  subscription(
    "unsubscribe",
    "2.0.0",
    -1,
    "Stops listening to channels (all of them when none is given).",
    unsubscriber("channel"),
  ),
  subscription(
    "psubscribe",
    "2.0.0",
    -2,
    "Listens for messages published to channels matching glob patterns.",
    subscriber("pattern"),
  ),
  subscription(
    "punsubscribe",
    "2.0.0",
    -1,
    "Stops listening to patterns (all of them when none is given).",
    unsubscriber("pattern"),
  ),
  subscription(
    "ssubscribe",
    "7.0.0",
    -2,
    "Listens for messages published to shard channels.",
    subscriber("shard"),
    true,
  ),
  subscription(
    "sunsubscribe",
    "7.0.0",
    -1,
    "Stops listening to shard channels (all of them when none is given).",
    unsubscriber("shard"),
    true,
  ),
  {
    name: "publish",
    arity: 3,
    flags: ["pubsub", "loading", "stale", "fast"],
    acl: [],
    keySpecs: [],
    summary:
      "Posts a message to a channel; returns how many clients received it.",
    complexity:
      "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
    since: "2.0.0",
    group: "pubsub",
    handler: publishCommand,
  },
  {
    name: "spublish",
    arity: 3,
    flags: ["pubsub", "loading", "stale", "fast"],
    acl: [],
    keySpecs: [keysAt(1, ["not_key"])],
    summary: "Posts a message to a shard channel.",
    complexity:
      "O(N) where N is the number of clients subscribed to the receiving shard channel.",
    since: "7.0.0",
    group: "pubsub",
    handler: spublish,
  },
  {
    name: "pubsub",
    arity: -2,
    flags: [],
    acl: [],
    keySpecs: [],
    summary: "Inspects the state of the Pub/Sub subsystem.",
    complexity: "Depends on subcommand.",
    since: "2.8.0",
    group: "pubsub",
    subcommands: [
      introspection(
        "channels",
        -2,
        "2.8.0",
        "Returns the active channels, optionally those matching a pattern.",
        channelLister("channels"),
      ),
      introspection(
        "numpat",
        2,
        "2.8.0",
        "Returns the number of patterns subscribed to.",
        numpat,
      ),
      introspection(
        "numsub",
        -2,
        "2.8.0",
        "Returns the subscriber count of each given channel.",
        subscriberCounter("channels"),
      ),
      introspection(
        "shardchannels",
        -2,
        "7.0.0",
        "Returns the active shard channels, optionally those matching a pattern.",
        channelLister("shardChannels"),
      ),
      introspection(
        "shardnumsub",
        -2,
        "7.0.0",
        "Returns the subscriber count of each given shard channel.",
        subscriberCounter("shardChannels"),
      ),
      {
        name: "help",
        arity: 2,
        flags: ["loading", "stale"],
        acl: [],
        keySpecs: [],
        summary: "Returns helpful text about the different subcommands.",
        complexity: "O(1)",
        since: "6.2.0",
        group: "pubsub",
        handler: help,
      },
    ],
  },
];
