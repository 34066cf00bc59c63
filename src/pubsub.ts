/**
 * Pub/Sub: the registry of channel, pattern and shard-channel subscribers,
 * each client's own subscriptions, and message delivery (Redis's pubsub.c).
 *
 * Delivery appends an already encoded message frame to each subscriber's
 * output buffer: the frame is built once per protocol version (RESP2 array,
 * RESP3 push) and the same bytes are copied to every subscriber, so a
 * PUBLISH to many subscribers costs one encoding and a memcpy each. The
 * publisher never waits: a subscriber that does not read grows its own
 * buffer until `client-output-buffer-limit pubsub` closes it.
 * @module
 */

import { setImmediate } from "node:timers";
import type { Client } from "./client.ts";
import type { Server } from "./server.ts";
import { globMatch } from "./util/glob.ts";

/** The three kinds of subscription, as the reply words name them. */
export type SubscriptionKind = "channel" | "pattern" | "shard";

/** One client's subscriptions, in the order they were made. */
export class ClientSubscriptions {
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();

  /** Channels plus patterns: the count (P)SUBSCRIBE replies carry. */
  get count(): number {
    return this.channels.size + this.patterns.size;
  }

  /** Every subscription of every kind: zero leaves pub/sub context. */
  get total(): number {
    return this.count + this.shardChannels.size;
  }
}

/** The server-wide registry: who listens to what, in subscription order. */
export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  /** Subscribers with messages not yet handed to their sockets. */
  private readonly unsent = new Set<Client>();
  private flushScheduled = false;

  /**
   * Notes that `client` got a message. Its output is written once the
   * events already queued have run (setImmediate), as Redis writes replies
   * before it sleeps: messages of many publishers, each in its own read
   * event, then leave in one socket write per subscriber instead of one per
   * publisher.
   */
  markUnsent(client: Client): void {
    this.unsent.add(client);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushUnsent());
  }

  private flushUnsent(): void {
    this.flushScheduled = false;
    for (const client of this.unsent) {
      if (!client.checkOutputLimit()) client.flush();
    }
    this.unsent.clear();
  }
}

/** Reply words and registries for each subscription kind. */
const KINDS = {
  channel: {
    subscribe: "subscribe",
    unsubscribe: "unsubscribe",
    server: (p: PubSub) => p.channels,
    client: (s: ClientSubscriptions) => s.channels,
    count: (s: ClientSubscriptions) => s.count,
  },
  pattern: {
    subscribe: "psubscribe",
    unsubscribe: "punsubscribe",
    server: (p: PubSub) => p.patterns,
    client: (s: ClientSubscriptions) => s.patterns,
    count: (s: ClientSubscriptions) => s.count,
  },
  shard: {
    subscribe: "ssubscribe",
    unsubscribe: "sunsubscribe",
    server: (p: PubSub) => p.shardChannels,
    client: (s: ClientSubscriptions) => s.shardChannels,
    count: (s: ClientSubscriptions) => s.shardChannels.size,
  },
} as const;

/** Keeps the client's output-limit class in step with its subscriptions. */
function updateClientClass(client: Client): void {
  const subscribed = client.subscriptions.total > 0;
  if (subscribed && client.kind === "normal") client.kind = "pubsub";
  else if (!subscribed && client.kind === "pubsub") client.kind = "normal";
}

/** Writes the `[word, name, count]` confirmation (a push in RESP3). */
function confirm(
  client: Client,
  word: string,
  name: string | null,
  count: number,
): void {
  const out = client.out;
  out.push(3);
  out.bulk(word);
  out.bulk(name);
  out.integer(count);
}

/**
 * Subscribes `client` to `name` (a channel, pattern or shard channel) and
 * replies with the confirmation; subscribing twice only confirms again.
 */
export function subscribe(
  client: Client,
  kind: SubscriptionKind,
  name: string,
): void {
  const k = KINDS[kind];
  const mine = k.client(client.subscriptions);
  if (!mine.has(name)) {
    mine.add(name);
    const registry = k.server(client.server.pubsub);
    let subscribers = registry.get(name);
    if (!subscribers) registry.set(name, subscribers = new Set());
    subscribers.add(client);
    updateClientClass(client);
  }
  confirm(client, k.subscribe, name, k.count(client.subscriptions));
}

/**
 * Unsubscribes `client` from `name`, replying with the confirmation when
 * `reply` is set (also when it was not subscribed, as Redis does).
 */
export function unsubscribe(
  client: Client,
  kind: SubscriptionKind,
  name: string,
  reply = true,
): void {
  const k = KINDS[kind];
  if (k.client(client.subscriptions).delete(name)) {
    const registry = k.server(client.server.pubsub);
    const subscribers = registry.get(name)!;
    subscribers.delete(client);
    if (subscribers.size === 0) registry.delete(name);
    updateClientClass(client);
  }
  if (reply) {
    confirm(client, k.unsubscribe, name, k.count(client.subscriptions));
  }
}

/**
 * Unsubscribes `client` from everything of one kind. With `reply`, confirms
 * each, or once with a null name when there was nothing to leave.
 */
export function unsubscribeAll(
  client: Client,
  kind: SubscriptionKind,
  reply: boolean,
): void {
  const k = KINDS[kind];
  const names = [...k.client(client.subscriptions)];
  for (const name of names) unsubscribe(client, kind, name, reply);
  if (reply && names.length === 0) {
    confirm(client, k.unsubscribe, null, k.count(client.subscriptions));
  }
}

/** Drops every subscription of `client` silently (disconnect, RESET). */
export function forgetClient(client: Client): void {
  if (client.subscriptions.total === 0) return;
  unsubscribeAll(client, "channel", false);
  unsubscribeAll(client, "shard", false);
  unsubscribeAll(client, "pattern", false);
}

/** Appends a binary string (one char per byte) at `p`; returns the end. */
function writeBinary(buf: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
  return p;
}

/** Encodes `[parts...]` as a RESP2 array (`*`) or RESP3 push (`>`) of bulks. */
function encodeFrame(type: "*" | ">", parts: readonly string[]): Uint8Array {
  let head = `${type}${parts.length}\r\n`;
  let size = head.length;
  for (const part of parts) {
    size += `$${part.length}\r\n`.length + part.length + 2;
  }
  const buf = new Uint8Array(size);
  let p = writeBinary(buf, 0, head);
  for (const part of parts) {
    head = `$${part.length}\r\n`;
    p = writeBinary(buf, p, head);
    p = writeBinary(buf, p, part);
    buf[p++] = 13;
    buf[p++] = 10;
  }
  return buf;
}

/**
 * One message's frames, encoded on first use for each protocol version and
 * then shared by every subscriber of that version.
 */
class Frame {
  private resp2: Uint8Array | undefined;
  private resp3: Uint8Array | undefined;
  constructor(private readonly parts: readonly string[]) {}

  for(client: Client): Uint8Array {
    if (client.protover === 3) {
      return this.resp3 ??= encodeFrame(">", this.parts);
    }
    return this.resp2 ??= encodeFrame("*", this.parts);
  }
}

/** Appends the frame to each subscriber's output; returns how many got it. */
function deliver(
  server: Server,
  subscribers: Iterable<Client>,
  frame: Frame,
): number {
  let receivers = 0;
  for (const client of subscribers) {
    receivers++;
    if (client.isClosed) continue;
    client.out.raw(frame.for(client));
    // Checked at once, as Redis checks on every reply added, so one
    // pipeline of publishes cannot grow a stalled subscriber past its limit.
    if (!client.checkOutputLimit()) server.pubsub.markUnsent(client);
  }
  return receivers;
}

/**
 * Publishes `message` on `channel`: first to the channel's subscribers, then
 * to each matching pattern's subscribers (as `pmessage`), as Redis orders
 * them. Returns the number of receivers. Output is sent at the end of the
 * current event (PubSub.markUnsent).
 */
export function publish(
  server: Server,
  channel: string,
  message: string,
): number {
  const pubsub = server.pubsub;
  let receivers = 0;
  const subscribers = pubsub.channels.get(channel);
  if (subscribers) {
    receivers += deliver(
      server,
      subscribers,
      new Frame(["message", channel, message]),
    );
  }
  for (const [pattern, clients] of pubsub.patterns) {
    if (!globMatch(pattern, channel)) continue;
    receivers += deliver(
      server,
      clients,
      new Frame(["pmessage", pattern, channel, message]),
    );
  }
  return receivers;
}

/** SPUBLISH: publishes `message` to the shard channel's subscribers only. */
export function publishShard(
  server: Server,
  channel: string,
  message: string,
): number {
  const subscribers = server.pubsub.shardChannels.get(channel);
  if (!subscribers) return 0;
  return deliver(
    server,
    subscribers,
    new Frame(["smessage", channel, message]),
  );
}
