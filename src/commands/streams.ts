/**
 * Stream commands (Redis 7.0's t_stream.c): XADD, XLEN, XRANGE, XREVRANGE,
 * XDEL, XTRIM, XSETID, XREAD, XREADGROUP, XACK, XPENDING, XCLAIM,
 * XAUTOCLAIM, XGROUP and XINFO. XREAD and XREADGROUP block through
 * src/blocking.ts and are woken by XADD (and, for XREADGROUP, by the stream
 * or its group going away).
 * @module
 */

import type { WaiterKind } from "../blocking.ts";
import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import { notifyKeyspaceEvent, signalModifiedKey } from "../notify.ts";
import {
  Consumer,
  ConsumerGroup,
  INVALID_ENTRIES_READ,
  nextAutoId,
  type NodeLimits,
  type PendingEntry,
  StreamValue,
} from "../store/stream.ts";
import {
  compareIds,
  formatId,
  incrementId,
  isMaxId,
  MAX_ID,
  MIN_ID,
  sameMs,
  seqIsMax,
  type StreamId,
} from "../store/stream_id.ts";
import { parseInt64 } from "../util/numbers.ts";
import { blockOn } from "./blocking.ts";
import {
  type AddTrimArgs,
  longLongArg,
  parseAddTrimArgs,
  parseStreamId,
  rangeBoundArg,
  strictIdArg,
} from "./stream_args.ts";
import { streamCommandSpecs } from "./stream_specs.ts";
import type { CommandHandler, CommandSpec } from "./table.ts";
import { cString, Errors, isKeyword, lookupRead, lookupWrite } from "./util.ts";

/** What XREAD BLOCK serves at most per stream when no COUNT is given. */
const BLOCKED_DEFAULT_COUNT = 1000;

/** The stream at `key` for reading; null after a WRONGTYPE reply. */
function readStream(
  client: Client,
  key: string,
): StreamValue | undefined | null {
  const value = lookupRead(client, key);
  if (value === undefined || value instanceof StreamValue) return value;
  client.out.error(Errors.wrongType);
  return null;
}

/** The stream at `key` for writing; null after a WRONGTYPE reply. */
function writeStream(
  client: Client,
  key: string,
): StreamValue | undefined | null {
  const value = lookupWrite(client, key);
  if (value === undefined || value instanceof StreamValue) return value;
  client.out.error(Errors.wrongType);
  return null;
}

function nodeLimits(client: Client): NodeLimits {
  const config = client.server.config;
  return {
    maxEntries: config.number("stream-node-max-entries"),
    maxBytes: config.number("stream-node-max-bytes"),
  };
}

/** Notifies a stream event and invalidates WATCHes on the key. */
function modified(client: Client, key: string, event: string | null): void {
  signalModifiedKey(client.server, client.db, key);
  if (event !== null) notify(client, key, event);
}

function notify(client: Client, key: string, event: string): void {
  notifyKeyspaceEvent(client.server, Notify.stream, event, key, client.db.id);
}

function replyId(client: Client, id: StreamId): void {
  client.out.bulk(formatId(id));
}

/** One entry as `[id, [field, value, ...]]`. */
function replyEntry(client: Client, id: StreamId, fields: string[]): void {
  const out = client.out;
  out.array(2);
  out.bulk(formatId(id));
  out.array(fields.length);
  for (const s of fields) out.bulk(s);
}

/** Entries of `stream` from start to end in order, at most `count` (0 = all). */
function collectRange(
  stream: StreamValue,
  start: StreamId,
  end: StreamId,
  count: number,
  reverse: boolean,
): [StreamId, string[]][] {
  const found: [StreamId, string[]][] = [];
  stream.scan(start, end, reverse, (id, fields) => {
    found.push([id, fields]);
    return count === 0 || found.length < count;
  });
  return found;
}

function replyEntries(client: Client, entries: [StreamId, string[]][]): void {
  client.out.array(entries.length);
  for (const [id, fields] of entries) replyEntry(client, id, fields);
}

// ---------------------------------------------------------------- XADD ...

function xadd(client: Client, argv: string[]): void {
  const args = parseAddTrimArgs(
    client,
    argv,
    true,
    client.server.config.number("stream-node-max-entries"),
  );
  if (args === null) return;
  const fieldPos = args.idIndex + 1;
  const pairs = argv.length - fieldPos;
  if (pairs < 2 || pairs % 2 === 1) {
    client.out.error("ERR wrong number of arguments for 'xadd' command");
    return;
  }
  const given = args.id;
  if (given !== null && given.seqGiven && compareIds(given.id, MIN_ID) === 0) {
    client.out.error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  const key = argv[1];
  let stream = writeStream(client, key);
  if (stream === null) return;
  let created = false;
  if (stream === undefined) {
    if (args.noMkStream) {
      client.out.null();
      return;
    }
    stream = new StreamValue();
    created = true;
  }
  if (isMaxId(stream.lastId)) {
    client.out.error(
      "ERR The stream has exhausted the last possible ID, unable to add more items",
    );
    return;
  }
  const id = newEntryId(stream, given, client.server.now);
  if (id === null) {
    // `<ms>-*` past the last sequence of that millisecond.
    client.out.error("ERR Elements are too large to be stored");
    return;
  }
  if (compareIds(id, stream.lastId) <= 0) {
    client.out.error(
      "ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
    return;
  }
  if (created) client.db.set(key, stream);
  stream.append(id, argv.slice(fieldPos), nodeLimits(client));
  replyId(client, id);
  modified(client, key, "xadd");
  client.server.dirty++;
  if (args.trim !== null && stream.trim(args.trim) !== 0) {
    notify(client, key, "xtrim");
  }
  client.server.blocking.signalKeyAsReady(client.db, key);
  // Replicas must add the same ID and trim to the same point.
  if (!client.server.propagation.active) return;
  const propagated = exactTrim(argv, args, stream);
  if (given === null || !given.seqGiven) {
    propagated[args.idIndex] = formatId(id);
  }
  client.server.propagation.rewrite(propagated);
}

/**
 * `argv` with an approximate trim made exact, as Redis propagates it:
 * `~` becomes `=` and the threshold where this trim stopped (the stream's
 * length for MAXLEN, its first ID for MINID), since a replica's nodes may
 * be cut elsewhere. LIMIT stays as given.
 */
function exactTrim(
  argv: string[],
  args: AddTrimArgs,
  stream: StreamValue,
): string[] {
  const out = [...argv];
  if (args.trim === null || !args.trim.approx) return out;
  out[args.thresholdIndex - 1] = "=";
  out[args.thresholdIndex] = args.trim.strategy === "maxlen"
    ? String(stream.length)
    : formatId(stream.firstId);
  return out;
}

/** The ID XADD gives a new entry (streamAppendItem), or null when none fits. */
function newEntryId(
  stream: StreamValue,
  given: { id: StreamId; seqGiven: boolean } | null,
  now: number,
): StreamId | null {
  if (given === null) return nextAutoId(stream.lastId, now);
  if (given.seqGiven) return given.id;
  if (sameMs(stream.lastId, given.id)) {
    return seqIsMax(stream.lastId) ? null : incrementId(stream.lastId);
  }
  return given.id;
}

function xlen(client: Client, argv: string[]): void {
  const stream = readStream(client, argv[1]);
  if (stream === null) return;
  client.out.integer(stream?.length ?? 0);
}

/** XRANGE and XREVRANGE. */
function xrangeGeneric(client: Client, argv: string[], reverse: boolean): void {
  const start = rangeBoundArg(client, reverse ? argv[3] : argv[2], true);
  if (start === null) return;
  const end = rangeBoundArg(client, reverse ? argv[2] : argv[3], false);
  if (end === null) return;
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (isKeyword(argv[j], "count") && j + 1 < argv.length) {
      const n = longLongArg(client, argv[++j]);
      if (n === null) return;
      count = n < 0 ? 0 : n;
    } else {
      client.out.error(Errors.syntax);
      return;
    }
  }
  const stream = readStream(client, argv[1]);
  if (stream === null) return;
  if (stream === undefined) {
    client.out.emptyArray();
    return;
  }
  if (count === 0) {
    client.out.nullArray();
    return;
  }
  replyEntries(
    client,
    collectRange(stream, start, end, count === -1 ? 0 : count, reverse),
  );
}

function xdel(client: Client, argv: string[]): void {
  const stream = writeStream(client, argv[1]);
  if (stream === null) return;
  if (stream === undefined) {
    client.out.integer(0);
    return;
  }
  const ids: StreamId[] = [];
  for (let j = 2; j < argv.length; j++) {
    const id = strictIdArg(client, argv[j]);
    if (id === null) return;
    ids.push(id);
  }
  const deleted = stream.deleteEntries(ids);
  if (deleted !== 0) {
    modified(client, argv[1], "xdel");
    client.server.dirty += deleted;
  }
  client.out.integer(deleted);
}

function xtrim(client: Client, argv: string[]): void {
  const args = parseAddTrimArgs(
    client,
    argv,
    false,
    client.server.config.number("stream-node-max-entries"),
  );
  if (args === null) return;
  const stream = writeStream(client, argv[1]);
  if (stream === null) return;
  if (stream === undefined) {
    client.out.integer(0);
    return;
  }
  const deleted = stream.trim(args.trim!);
  if (deleted !== 0) {
    notify(client, argv[1], "xtrim");
    signalModifiedKey(client.server, client.db, argv[1]);
    client.server.dirty += deleted;
    client.server.propagation.rewrite(exactTrim(argv, args, stream));
  }
  client.out.integer(deleted);
}

function xsetid(client: Client, argv: string[]): void {
  const id = strictIdArg(client, argv[2]);
  if (id === null) return;
  let entriesAdded = -1;
  let maxDeleted = MIN_ID;
  for (let i = 3; i < argv.length; i += 2) {
    const more = argv.length - 1 - i;
    if (isKeyword(argv[i], "entriesadded") && more > 0) {
      const n = longLongArg(client, argv[i + 1]);
      if (n === null) return;
      if (n < 0) {
        client.out.error("ERR entries_added must be positive");
        return;
      }
      entriesAdded = n;
    } else if (isKeyword(argv[i], "maxdeletedid") && more > 0) {
      const parsed = strictIdArg(client, argv[i + 1]);
      if (parsed === null) return;
      if (compareIds(id, parsed) < 0) {
        client.out.error(
          "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
        );
        return;
      }
      maxDeleted = parsed;
    } else {
      client.out.error(Errors.syntax);
      return;
    }
  }
  const stream = writeStream(client, argv[1]);
  if (stream === null) return;
  if (stream === undefined) {
    client.out.error(Errors.noSuchKey);
    return;
  }
  if (stream.length > 0) {
    if (compareIds(id, stream.lastValidId()) < 0) {
      client.out.error(
        "ERR The ID specified in XSETID is smaller than the target stream top item",
      );
      return;
    }
    if (entriesAdded !== -1 && stream.length > entriesAdded) {
      client.out.error(
        "ERR The entries_added specified in XSETID is smaller than the target stream length",
      );
      return;
    }
  }
  stream.lastId = id;
  if (entriesAdded !== -1) stream.entriesAdded = entriesAdded;
  if (compareIds(maxDeleted, MIN_ID) !== 0) stream.maxDeletedId = maxDeleted;
  client.out.ok();
  modified(client, argv[1], "xsetid");
  client.server.dirty++;
}

// ------------------------------------------------------- groups and reads

/** Looks a consumer up, refreshing its seen-time (SLC_DEFAULT). */
function lookupConsumer(
  group: ConsumerGroup,
  name: string,
  now: number,
): Consumer | undefined {
  const consumer = group.consumers.get(name);
  if (consumer !== undefined) consumer.seenTime = now;
  return consumer;
}

/** Creates a consumer (streamCreateConsumer); undefined when it exists. */
function createConsumer(
  client: Client,
  group: ConsumerGroup,
  name: string,
  key: string,
): Consumer | undefined {
  if (group.consumers.has(name)) return undefined;
  const consumer = new Consumer(name, Date.now());
  group.consumers.set(name, consumer);
  client.server.dirty++;
  notify(client, key, "xgroup-createconsumer");
  return consumer;
}

/** The named consumer, created when missing. */
function consumerFor(
  client: Client,
  group: ConsumerGroup,
  name: string,
  key: string,
): Consumer {
  return lookupConsumer(group, name, client.server.now) ??
    createConsumer(client, group, name, key)!;
}

/**
 * Propagates a pending entry's new state as the XCLAIM that recreates it
 * on a replica (streamPropagateXCLAIM): owner, delivery time and count,
 * and the group's last ID. Group reads and claims propagate this instead
 * of themselves.
 */
function propagateClaim(
  client: Client,
  key: string,
  group: ConsumerGroup,
  id: StreamId,
  entry: PendingEntry,
): void {
  if (!client.server.propagation.active) return;
  client.server.propagation.also(client.db.id, [
    "XCLAIM",
    key,
    group.name,
    entry.consumer?.name ?? "",
    "0",
    formatId(id),
    "TIME",
    String(entry.deliveryTime),
    "RETRYCOUNT",
    String(entry.deliveryCount),
    "FORCE",
    "JUSTID",
    "LASTID",
    formatId(group.lastId),
  ]);
}

/** Propagates the group's last ID and read counter (streamPropagateGroupID). */
function propagateGroupId(
  client: Client,
  key: string,
  group: ConsumerGroup,
): void {
  client.server.propagation.also(client.db.id, [
    "XGROUP",
    "SETID",
    key,
    group.name,
    formatId(group.lastId),
    "ENTRIESREAD",
    String(group.entriesRead),
  ]);
}

/** How a group read delivers. */
interface GroupDelivery {
  /** The stream's key, named in what the read propagates. */
  key: string;
  group: ConsumerGroup;
  consumer: Consumer;
  noack: boolean;
}

/**
 * Replies the entries after `after` (streamReplyWithRange with a group:
 * moves the group's last ID and fills the PELs unless NOACK).
 */
function replyNewEntries(
  client: Client,
  stream: StreamValue,
  after: StreamId,
  count: number,
  delivery: GroupDelivery | null,
): void {
  const start = incrementId(after);
  const entries = start === null
    ? []
    : collectRange(stream, start, MAX_ID, count, false);
  replyEntries(client, entries);
  if (delivery === null) return;
  const { key, group, consumer, noack } = delivery;
  const now = client.server.now;
  for (const [id] of entries) {
    stream.advanceGroup(group, id);
    if (noack) continue;
    let entry = group.pending.get(id);
    if (entry === undefined) {
      entry = { deliveryTime: Date.now(), deliveryCount: 1, consumer };
      group.addPending(id, entry, consumer);
    } else {
      // XGROUP SETID moved the group back: the entry changes owner.
      entry.consumer?.pending.delete(id);
      entry.consumer = consumer;
      entry.deliveryTime = now;
      entry.deliveryCount = 1;
      consumer.pending.set(id, entry);
    }
    propagateClaim(client, key, group, id, entry);
  }
  // Without a PEL no XCLAIM carries the group's new last ID.
  if (noack && entries.length !== 0) propagateGroupId(client, key, group);
}

/** A consumer's history from `after` (streamReplyWithRangeFromConsumerPEL). */
function replyHistory(
  client: Client,
  stream: StreamValue,
  after: StreamId,
  count: number,
  consumer: Consumer,
): void {
  const start = incrementId(after);
  const pel = consumer.pending;
  const rows: [StreamId, string[] | undefined][] = [];
  if (start !== null) {
    for (let i = pel.seek(start); i < pel.size; i++) {
      if (count !== 0 && rows.length >= count) break;
      const id = pel.idAt(i);
      const fields = stream.get(id);
      if (fields !== undefined) {
        const entry = pel.valueAt(i);
        entry.deliveryTime = client.server.now;
        entry.deliveryCount++;
      }
      rows.push([id, fields]);
    }
  }
  const out = client.out;
  out.array(rows.length);
  for (const [id, fields] of rows) {
    if (fields !== undefined) replyEntry(client, id, fields);
    else {
      out.array(2);
      replyId(client, id);
      out.nullArray();
    }
  }
}

/** The parsed arguments of XREAD and XREADGROUP. */
interface ReadArgs {
  count: number;
  /** Unix ms deadline, 0 forever, -1 without BLOCK. */
  deadline: number;
  group: string | null;
  consumer: string;
  noack: boolean;
  keys: string[];
  idArgs: string[];
}

function parseReadArgs(
  client: Client,
  argv: string[],
  xreadgroup: boolean,
): ReadArgs | null {
  const args: ReadArgs = {
    count: 0,
    deadline: -1,
    group: null,
    consumer: "",
    noack: false,
    keys: [],
    idArgs: [],
  };
  let streamsAt = 0;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const opt = argv[i];
    if (isKeyword(opt, "block") && more > 0) {
      i++;
      const ms = parseInt64(argv[i]);
      if (ms === null) {
        client.out.error("ERR timeout is not an integer or out of range");
        return null;
      }
      if (ms < 0n) {
        client.out.error("ERR timeout is negative");
        return null;
      }
      // Redis 7.0 takes any non-negative 64-bit timeout, however far away.
      args.deadline = ms === 0n ? 0 : client.server.now + Number(ms);
    } else if (isKeyword(opt, "count") && more > 0) {
      i++;
      const n = longLongArg(client, argv[i]);
      if (n === null) return null;
      args.count = n < 0 ? 0 : n;
    } else if (isKeyword(opt, "streams") && more > 0) {
      streamsAt = i + 1;
      const rest = argv.length - streamsAt;
      if (rest % 2 !== 0) {
        // Redis 7.0 names XREAD and `$` here for XREADGROUP too.
        client.out.error(
          "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        );
        return null;
      }
      args.keys = argv.slice(streamsAt, streamsAt + rest / 2);
      args.idArgs = argv.slice(streamsAt + rest / 2);
      break;
    } else if (isKeyword(opt, "group") && more >= 2) {
      if (!xreadgroup) {
        client.out.error(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
        );
        return null;
      }
      args.group = argv[i + 1];
      args.consumer = argv[i + 2];
      i += 2;
    } else if (isKeyword(opt, "noack")) {
      if (!xreadgroup) {
        client.out.error(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
        );
        return null;
      }
      args.noack = true;
    } else {
      client.out.error(Errors.syntax);
      return null;
    }
  }
  if (streamsAt === 0) {
    client.out.error(Errors.syntax);
    return null;
  }
  if (xreadgroup && args.group === null) {
    client.out.error("ERR Missing GROUP option for XREADGROUP");
    return null;
  }
  return args;
}

/** XREAD and XREADGROUP. */
function xreadGeneric(client: Client, argv: string[], xreadgroup: boolean) {
  const args = parseReadArgs(client, argv, xreadgroup);
  if (args === null) return;
  const { keys, group: groupName } = args;
  /** Per stream: the ID entries must be above; MAX_ID stands for `>`. */
  const after: StreamId[] = [];
  const groups: ConsumerGroup[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const stream = readStream(client, key);
    if (stream === null) return;
    if (groupName !== null) {
      const group = stream?.groups.get(groupName);
      if (group === undefined) {
        client.out.error(
          `NOGROUP No such key '${cString(key)}' or consumer group '${
            cString(groupName)
          }' in XREADGROUP with GROUP option`,
        );
        return;
      }
      groups.push(group);
    }
    const text = args.idArgs[i];
    if (text === "$") {
      if (xreadgroup) {
        client.out.error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
        return;
      }
      after.push(stream?.lastId ?? MIN_ID);
    } else if (text === ">") {
      if (!xreadgroup) {
        client.out.error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        );
        return;
      }
      after.push(MAX_ID);
    } else {
      const id = parseStreamId(client, text, "min", true);
      if (id === null) return;
      after.push(id.id);
    }
  }
  // Serve at once what can be served, stream by stream: a key named twice
  // in one group read sees what the first serving left (xreadCommand).
  const out = client.out;
  let mark = -1;
  let served = 0;
  for (let i = 0; i < keys.length; i++) {
    // A second counted lookup, as xreadCommand makes.
    const stream = lookupRead(client, keys[i]) as StreamValue | undefined;
    if (stream === undefined) continue;
    // A group's history read is served even when it has nothing to show.
    const history = groupName !== null && !isMaxId(after[i]);
    const gt = groupName !== null && !history ? groups[i].lastId : after[i];
    if (
      !history &&
      (stream.length === 0 || compareIds(stream.lastValidId(), gt) <= 0)
    ) continue;
    if (served++ === 0) mark = out.deferLength();
    const key = keys[i];
    if (client.protover === 2) out.array(2);
    out.bulk(key);
    if (groupName === null) {
      replyNewEntries(client, stream, gt, args.count, null);
      continue;
    }
    const group = groups[i];
    const consumer = consumerFor(client, group, args.consumer, key);
    if (history) {
      replyHistory(client, stream, gt, args.count, consumer);
    } else {
      replyNewEntries(client, stream, gt, args.count, {
        key,
        group,
        consumer,
        noack: args.noack,
      });
    }
    client.server.dirty++;
  }
  if (served !== 0) {
    if (client.protover === 2) out.setDeferredArray(mark, served);
    else out.setDeferredMap(mark, served);
    // A group read propagates as the claims and group moves it made.
    if (groupName !== null) client.server.propagation.prevent();
    return;
  }
  if (args.deadline === -1) {
    client.out.nullArray();
    return;
  }
  blockOn(
    client,
    keys,
    args.deadline,
    streamWaiter(keys, after, args, groupName),
  );
}

/** The waiter of a blocked XREAD or XREADGROUP (serveClientsBlockedOnStreamKey). */
function streamWaiter(
  keys: string[],
  after: StreamId[],
  args: ReadArgs,
  groupName: string | null,
): WaiterKind {
  const count = args.count !== 0 ? args.count : BLOCKED_DEFAULT_COUNT;
  return {
    servesGoneKeys: groupName !== null,
    serve(receiver, key) {
      const value = lookupWrite(receiver, key);
      if (!(value instanceof StreamValue)) {
        if (groupName === null) return false;
        receiver.out.error("UNBLOCKED the stream key no longer exists");
        return true;
      }
      let gt = after[keys.indexOf(key)];
      let group: ConsumerGroup | undefined;
      if (groupName !== null) {
        group = value.groups.get(groupName);
        if (group === undefined) {
          receiver.out.error(
            "NOGROUP the consumer group this client was blocked on no longer exists",
          );
          return true;
        }
        gt = group.lastId;
      }
      if (compareIds(value.lastId, gt) <= 0) return false;
      const out = receiver.out;
      if (receiver.protover === 2) {
        out.array(1);
        out.array(2);
      } else out.map(1);
      out.bulk(key);
      const delivery = group === undefined ? null : {
        key,
        group,
        consumer: consumerFor(receiver, group, args.consumer, key),
        noack: args.noack,
      };
      replyNewEntries(receiver, value, gt, count, delivery);
      return true;
    },
    timedOut(receiver) {
      receiver.out.nullArray();
    },
  };
}

function xack(client: Client, argv: string[]): void {
  const stream = readStream(client, argv[1]);
  if (stream === null) return;
  const group = stream?.groups.get(argv[2]);
  if (group === undefined) {
    client.out.integer(0);
    return;
  }
  const ids: StreamId[] = [];
  for (let j = 3; j < argv.length; j++) {
    const id = strictIdArg(client, argv[j]);
    if (id === null) return;
    ids.push(id);
  }
  let acknowledged = 0;
  for (const id of ids) {
    if (group.removePending(id)) {
      acknowledged++;
      client.server.dirty++;
    }
  }
  client.out.integer(acknowledged);
}

function noGroupError(client: Client, key: string, group: string): void {
  client.out.error(
    `NOGROUP No such key '${cString(key)}' or consumer group '${
      cString(group)
    }'`,
  );
}

function xpending(client: Client, argv: string[]): void {
  const summary = argv.length === 3;
  if (argv.length !== 3 && (argv.length < 6 || argv.length > 9)) {
    client.out.error(Errors.syntax);
    return;
  }
  let start = MIN_ID, end = MAX_ID, count = 0, minIdle = 0;
  let consumerName: string | null = null;
  if (argv.length >= 6) {
    let at = 3;
    if (isKeyword(argv[3], "idle")) {
      const n = longLongArg(client, argv[4]);
      if (n === null) return;
      minIdle = n;
      if (argv.length < 8) {
        client.out.error(Errors.syntax);
        return;
      }
      at += 2;
    }
    const n = longLongArg(client, argv[at + 2]);
    if (n === null) return;
    count = n < 0 ? 0 : n;
    const s = rangeBoundArg(client, argv[at], true);
    if (s === null) return;
    const e = rangeBoundArg(client, argv[at + 1], false);
    if (e === null) return;
    start = s;
    end = e;
    if (at + 3 < argv.length) consumerName = argv[at + 3];
  }
  const stream = readStream(client, argv[1]);
  if (stream === null) return;
  const group = stream?.groups.get(argv[2]);
  if (group === undefined) return noGroupError(client, argv[1], argv[2]);
  const out = client.out;
  const pel = group.pending;
  if (summary) {
    out.array(4);
    out.integer(pel.size);
    if (pel.size === 0) {
      out.null();
      out.null();
      out.nullArray();
      return;
    }
    replyId(client, pel.idAt(0));
    replyId(client, pel.idAt(pel.size - 1));
    const owners = group.sortedConsumers().filter((c) => c.pending.size !== 0);
    out.array(owners.length);
    for (const consumer of owners) {
      out.array(2);
      out.bulk(consumer.name);
      out.bulk(String(consumer.pending.size));
    }
    return;
  }
  let list = pel;
  if (consumerName !== null) {
    const consumer = group.consumers.get(consumerName);
    if (consumer === undefined) {
      out.emptyArray();
      return;
    }
    list = consumer.pending;
  }
  const now = client.server.now;
  const rows: [StreamId, PendingEntry][] = [];
  for (let i = list.seek(start); count > 0 && i < list.size; i++) {
    const id = list.idAt(i);
    if (compareIds(id, end) > 0) break;
    const entry = list.valueAt(i);
    if (minIdle !== 0 && now - entry.deliveryTime < minIdle) continue;
    rows.push([id, entry]);
    count--;
  }
  out.array(rows.length);
  for (const [id, entry] of rows) {
    out.array(4);
    replyId(client, id);
    out.bulk(entry.consumer!.name);
    out.integer(Math.max(now - entry.deliveryTime, 0));
    out.integer(entry.deliveryCount);
  }
}

/** Moves a pending entry to `consumer` (XCLAIM, XAUTOCLAIM). */
function assignPending(
  group: ConsumerGroup,
  id: StreamId,
  entry: PendingEntry,
  consumer: Consumer,
): void {
  if (entry.consumer === consumer) return;
  entry.consumer?.pending.delete(id);
  consumer.pending.set(id, entry);
  entry.consumer = consumer;
  group.pending.set(id, entry);
}

function xclaim(client: Client, argv: string[]): void {
  const key = argv[1];
  const stream = readStream(client, key);
  if (stream === null) return;
  const group = stream?.groups.get(argv[2]);
  if (stream === undefined || group === undefined) {
    return noGroupError(client, key, argv[2]);
  }
  let minIdle = longLongArg(
    client,
    argv[4],
    "ERR Invalid min-idle-time argument for XCLAIM",
  );
  if (minIdle === null) return;
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const parsed = parseStreamId(null, argv[j], "min", true);
    if (parsed === null) break;
    ids.push(parsed.id);
  }
  const now = client.server.now;
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false, justId = false;
  let lastId = MIN_ID;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j];
    if (isKeyword(opt, "force")) force = true;
    else if (isKeyword(opt, "justid")) justId = true;
    else if (isKeyword(opt, "idle") && more > 0) {
      const n = longLongArg(
        client,
        argv[++j],
        "ERR Invalid IDLE option argument for XCLAIM",
      );
      if (n === null) return;
      deliveryTime = now - n;
    } else if (isKeyword(opt, "time") && more > 0) {
      const n = longLongArg(
        client,
        argv[++j],
        "ERR Invalid TIME option argument for XCLAIM",
      );
      if (n === null) return;
      deliveryTime = n;
    } else if (isKeyword(opt, "retrycount") && more > 0) {
      const n = longLongArg(
        client,
        argv[++j],
        "ERR Invalid RETRYCOUNT option argument for XCLAIM",
      );
      if (n === null) return;
      retryCount = n;
    } else if (isKeyword(opt, "lastid") && more > 0) {
      const id = strictIdArg(client, argv[++j]);
      if (id === null) return;
      lastId = id;
    } else {
      client.out.error(`ERR Unrecognized XCLAIM option '${cString(opt)}'`);
      return;
    }
  }
  let propagateLastId = false;
  if (compareIds(lastId, group.lastId) > 0) {
    group.lastId = lastId;
    propagateLastId = true;
    client.server.dirty++;
  }
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) {
    deliveryTime = now;
  }
  let consumer: Consumer | undefined;
  const claimed: [StreamId, string[] | undefined][] = [];
  for (const id of ids) {
    let entry = group.pending.get(id);
    const fields = stream.get(id);
    if (fields === undefined) {
      if (entry !== undefined) {
        // The replica drops it the same way: its claim finds no entry.
        propagateClaim(client, key, group, id, entry);
        propagateLastId = false;
        group.removePending(id);
        client.server.dirty++;
      }
      continue;
    }
    if (force && entry === undefined) {
      entry = { deliveryTime: now, deliveryCount: 0, consumer: null };
      group.pending.set(id, entry);
    }
    if (entry === undefined) continue;
    if (entry.consumer !== null && minIdle !== 0) {
      if (now - entry.deliveryTime < minIdle) continue;
    }
    consumer ??= consumerFor(client, group, argv[3], key);
    entry.deliveryTime = deliveryTime;
    if (retryCount >= 0) entry.deliveryCount = retryCount;
    else if (!justId) entry.deliveryCount++;
    assignPending(group, id, entry, consumer);
    propagateClaim(client, key, group, id, entry);
    propagateLastId = false;
    claimed.push([id, fields]);
    client.server.dirty++;
  }
  if (propagateLastId) propagateGroupId(client, key, group);
  client.server.propagation.prevent();
  client.out.array(claimed.length);
  for (const [id, fields] of claimed) {
    if (justId) replyId(client, id);
    else replyEntry(client, id, fields!);
  }
}

function xautoclaim(client: Client, argv: string[]): void {
  const key = argv[1];
  let minIdle = longLongArg(
    client,
    argv[4],
    "ERR Invalid min-idle-time argument for XAUTOCLAIM",
  );
  if (minIdle === null) return;
  if (minIdle < 0) minIdle = 0;
  const start = rangeBoundArg(client, argv[5], true);
  if (start === null) return;
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isKeyword(argv[j], "count") && more > 0) {
      const n = parseCount(argv[j + 1]);
      if (n === null) {
        client.out.error("ERR COUNT must be > 0");
        return;
      }
      count = n;
      j++;
    } else if (isKeyword(argv[j], "justid")) justId = true;
    else {
      client.out.error(Errors.syntax);
      return;
    }
  }
  const stream = readStream(client, key);
  if (stream === null) return;
  const group = stream?.groups.get(argv[2]);
  if (stream === undefined || group === undefined) {
    return noGroupError(client, key, argv[2]);
  }
  let attempts = count * 10;
  const now = client.server.now;
  const pel = group.pending;
  const claimed: [StreamId, string[]][] = [];
  const deleted: StreamId[] = [];
  let consumer: Consumer | undefined;
  let i = pel.seek(start);
  while (attempts-- > 0 && count > 0 && i < pel.size) {
    const id = pel.idAt(i);
    const entry = pel.valueAt(i);
    const fields = stream.get(id);
    if (fields === undefined) {
      propagateClaim(client, key, group, id, entry);
      group.removePending(id);
      client.server.dirty++;
      deleted.push(id);
      count--;
      continue;
    }
    i++;
    if (minIdle !== 0 && now - entry.deliveryTime < minIdle) continue;
    consumer ??= consumerFor(client, group, argv[3], key);
    entry.deliveryTime = now;
    if (!justId) entry.deliveryCount++;
    assignPending(group, id, entry, consumer);
    propagateClaim(client, key, group, id, entry);
    claimed.push([id, fields]);
    count--;
    client.server.dirty++;
  }
  const out = client.out;
  // Propagated as the claims it made (XCLAIMs), not as itself.
  client.server.propagation.prevent();
  out.array(3);
  replyId(client, i < pel.size ? pel.idAt(i) : MIN_ID);
  out.array(claimed.length);
  for (const [id, fields] of claimed) {
    if (justId) replyId(client, id);
    else replyEntry(client, id, fields);
  }
  out.array(deleted.length);
  for (const id of deleted) replyId(client, id);
}

/** XAUTOCLAIM's COUNT: 1 to LONG_MAX / 16 (so that count * 10 attempts fit). */
function parseCount(text: string): number | null {
  const n = parseInt64(text);
  if (n === null || n < 1n || n > 576460752303423487n) return null;
  return Number(n);
}

// ------------------------------------------------------------------ XGROUP

function subcommandError(client: Client, argv: string[]): void {
  client.out.error(
    `ERR unknown subcommand or wrong number of arguments for '${
      argv[1]
    }'. Try ${argv[0].toUpperCase()} HELP.`,
  );
}

/** The stream and group of an XGROUP subcommand, or null after replying. */
function xgroupTarget(
  client: Client,
  argv: string[],
  needGroup: boolean,
  mkstream: boolean,
):
  | { stream: StreamValue | undefined; group: ConsumerGroup | undefined }
  | null {
  const stream = writeStream(client, argv[2]);
  if (stream === null) return null;
  if (!mkstream) {
    if (stream === undefined) {
      client.out.error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
      );
      return null;
    }
  }
  const group = stream?.groups.get(argv[3]);
  if (needGroup && group === undefined) {
    client.out.error(
      `NOGROUP No such consumer group '${cString(argv[3])}' for key name '${
        cString(argv[2])
      }'`,
    );
    return null;
  }
  return { stream, group };
}

/** Parses ENTRIESREAD's value; null after replying. */
function entriesReadArg(client: Client, text: string): number | null {
  const n = longLongArg(client, text);
  if (n === null) return null;
  if (n < 0 && n !== INVALID_ENTRIES_READ) {
    client.out.error("ERR value for ENTRIESREAD must be positive or -1");
    return null;
  }
  return n;
}

function xgroupCreate(client: Client, argv: string[]): void {
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  for (let i = 5; i < argv.length;) {
    if (isKeyword(argv[i], "mkstream")) {
      mkstream = true;
      i++;
    } else if (isKeyword(argv[i], "entriesread") && i + 1 < argv.length) {
      const n = entriesReadArg(client, argv[i + 1]);
      if (n === null) return;
      entriesRead = n;
      i += 2;
    } else return subcommandError(client, argv);
  }
  const target = xgroupTarget(client, argv, false, mkstream);
  if (target === null) return;
  if (argv.length > 8) return subcommandError(client, argv);
  let { stream } = target;
  let id: StreamId;
  if (argv[4] === "$") id = stream?.lastId ?? MIN_ID;
  else {
    const parsed = strictIdArg(client, argv[4]);
    if (parsed === null) return;
    id = parsed;
  }
  const key = argv[2];
  if (stream === undefined) {
    stream = new StreamValue();
    client.db.set(key, stream);
    signalModifiedKey(client.server, client.db, key);
  }
  if (stream.groups.has(argv[3])) {
    client.out.error("BUSYGROUP Consumer Group name already exists");
    return;
  }
  stream.groups.set(argv[3], new ConsumerGroup(argv[3], id, entriesRead));
  client.out.ok();
  client.server.dirty++;
  notify(client, key, "xgroup-create");
}

function xgroupSetid(client: Client, argv: string[]): void {
  // Options are parsed before the key and group are looked at, as in Redis.
  if (argv.length !== 5 && argv.length !== 7) {
    return subcommandError(client, argv);
  }
  let entriesRead = INVALID_ENTRIES_READ;
  if (argv.length === 7) {
    if (!isKeyword(argv[5], "entriesread")) {
      return subcommandError(client, argv);
    }
    const n = entriesReadArg(client, argv[6]);
    if (n === null) return;
    entriesRead = n;
  }
  const target = xgroupTarget(client, argv, true, false);
  if (target === null) return;
  const stream = target.stream!, group = target.group!;
  let id: StreamId;
  if (argv[4] === "$") id = stream.lastId;
  else {
    const parsed = parseStreamId(client, argv[4], "min", false);
    if (parsed === null) return;
    id = parsed.id;
  }
  group.lastId = id;
  group.entriesRead = entriesRead;
  client.out.ok();
  client.server.dirty++;
  notify(client, argv[2], "xgroup-setid");
}

function xgroupDestroy(client: Client, argv: string[]): void {
  const target = xgroupTarget(client, argv, false, false);
  if (target === null) return;
  if (target.group === undefined) {
    client.out.integer(0);
    return;
  }
  target.stream!.groups.delete(argv[3]);
  client.out.integer(1);
  client.server.dirty++;
  notify(client, argv[2], "xgroup-destroy");
  // Clients blocked in XREADGROUP on this group get NOGROUP.
  client.server.blocking.signalKeyAsReady(client.db, argv[2]);
}

function xgroupCreateConsumer(client: Client, argv: string[]): void {
  const target = xgroupTarget(client, argv, true, false);
  if (target === null) return;
  const created = createConsumer(client, target.group!, argv[4], argv[2]);
  client.out.integer(created === undefined ? 0 : 1);
}

function xgroupDelConsumer(client: Client, argv: string[]): void {
  const target = xgroupTarget(client, argv, true, false);
  if (target === null) return;
  const group = target.group!;
  const consumer = group.consumers.get(argv[4]);
  let pending = 0;
  if (consumer !== undefined) {
    pending = group.deleteConsumer(consumer);
    client.server.dirty++;
    notify(client, argv[2], "xgroup-delconsumer");
  }
  client.out.integer(pending);
}

// ------------------------------------------------------------------- XINFO

function xinfoStream(client: Client, argv: string[]): void {
  const stream = readStream(client, argv[2]);
  if (stream === null) return;
  if (stream === undefined) {
    client.out.error(Errors.noSuchKey);
    return;
  }
  let full = false;
  let count = 10;
  const rest = argv.length - 3;
  if (rest === 1 || rest === 3) {
    if (!isKeyword(argv[3], "full")) return subcommandError(client, argv);
    full = true;
    if (rest === 3) {
      if (!isKeyword(argv[4], "count")) return subcommandError(client, argv);
      const n = longLongArg(client, argv[5]);
      if (n === null) return;
      count = n < 0 ? 10 : n;
    }
  } else if (rest !== 0) return subcommandError(client, argv);
  const out = client.out;
  out.map(full ? 9 : 10);
  out.bulk("length");
  out.integer(stream.length);
  out.bulk("radix-tree-keys");
  out.integer(stream.nodes.length);
  out.bulk("radix-tree-nodes");
  out.integer(stream.radixTreeNodes());
  out.bulk("last-generated-id");
  replyId(client, stream.lastId);
  out.bulk("max-deleted-entry-id");
  replyId(client, stream.maxDeletedId);
  out.bulk("entries-added");
  out.integer(stream.entriesAdded);
  out.bulk("recorded-first-entry-id");
  replyId(client, stream.firstId);
  if (!full) {
    out.bulk("groups");
    out.integer(stream.groups.size);
    for (
      const [name, reverse] of [["first-entry", false], [
        "last-entry",
        true,
      ]] as const
    ) {
      out.bulk(name);
      const edge = collectRange(stream, MIN_ID, MAX_ID, 1, reverse);
      if (edge.length === 0) out.null();
      else replyEntry(client, edge[0][0], edge[0][1]);
    }
    return;
  }
  out.bulk("entries");
  replyEntries(client, collectRange(stream, MIN_ID, MAX_ID, count, false));
  out.bulk("groups");
  const groups = stream.sortedGroups();
  out.array(groups.length);
  for (const group of groups) {
    out.map(7);
    out.bulk("name");
    out.bulk(group.name);
    out.bulk("last-delivered-id");
    replyId(client, group.lastId);
    out.bulk("entries-read");
    replyEntriesRead(client, group);
    out.bulk("lag");
    replyLag(client, stream, group);
    out.bulk("pel-count");
    out.integer(group.pending.size);
    out.bulk("pending");
    const pel = group.pending;
    const shown = count === 0 ? pel.size : Math.min(count, pel.size);
    out.array(shown);
    for (let i = 0; i < shown; i++) {
      const entry = pel.valueAt(i);
      out.array(4);
      replyId(client, pel.idAt(i));
      out.bulk(entry.consumer!.name);
      out.integer(entry.deliveryTime);
      out.integer(entry.deliveryCount);
    }
    out.bulk("consumers");
    const consumers = group.sortedConsumers();
    out.array(consumers.length);
    for (const consumer of consumers) {
      out.map(4);
      out.bulk("name");
      out.bulk(consumer.name);
      out.bulk("seen-time");
      out.integer(consumer.seenTime);
      out.bulk("pel-count");
      out.integer(consumer.pending.size);
      out.bulk("pending");
      const own = consumer.pending;
      const n = count === 0 ? own.size : Math.min(count, own.size);
      out.array(n);
      for (let i = 0; i < n; i++) {
        const entry = own.valueAt(i);
        out.array(3);
        replyId(client, own.idAt(i));
        out.integer(entry.deliveryTime);
        out.integer(entry.deliveryCount);
      }
    }
  }
}

function replyEntriesRead(client: Client, group: ConsumerGroup): void {
  if (group.entriesRead === INVALID_ENTRIES_READ) client.out.null();
  else client.out.integer(group.entriesRead);
}

function replyLag(
  client: Client,
  stream: StreamValue,
  group: ConsumerGroup,
): void {
  const lag = stream.groupLag(group);
  if (lag === null) client.out.null();
  else client.out.integer(lag);
}

function xinfoGroups(client: Client, argv: string[]): void {
  const stream = readStream(client, argv[2]);
  if (stream === null) return;
  if (stream === undefined) {
    client.out.error(Errors.noSuchKey);
    return;
  }
  const out = client.out;
  const groups = stream.sortedGroups();
  out.array(groups.length);
  for (const group of groups) {
    out.map(6);
    out.bulk("name");
    out.bulk(group.name);
    out.bulk("consumers");
    out.integer(group.consumers.size);
    out.bulk("pending");
    out.integer(group.pending.size);
    out.bulk("last-delivered-id");
    replyId(client, group.lastId);
    out.bulk("entries-read");
    replyEntriesRead(client, group);
    out.bulk("lag");
    replyLag(client, stream, group);
  }
}

function xinfoConsumers(client: Client, argv: string[]): void {
  const stream = readStream(client, argv[2]);
  if (stream === null) return;
  if (stream === undefined) {
    client.out.error(Errors.noSuchKey);
    return;
  }
  const group = stream.groups.get(argv[3]);
  if (group === undefined) {
    client.out.error(
      `NOGROUP No such consumer group '${cString(argv[3])}' for key name '${
        cString(argv[2])
      }'`,
    );
    return;
  }
  const out = client.out;
  const now = client.server.now;
  const consumers = group.sortedConsumers();
  out.array(consumers.length);
  for (const consumer of consumers) {
    out.map(3);
    out.bulk("name");
    out.bulk(consumer.name);
    out.bulk("pending");
    out.integer(consumer.pending.size);
    out.bulk("idle");
    out.integer(Math.max(now - consumer.seenTime, 0));
  }
}

/** Every stream command, specs from stream_specs.ts joined to their handlers. */
const HANDLERS: Record<string, CommandHandler> = {
  xadd,
  xlen,
  xrange: (client, argv) => xrangeGeneric(client, argv, false),
  xrevrange: (client, argv) => xrangeGeneric(client, argv, true),
  xdel,
  xtrim,
  xsetid,
  xread: (client, argv) => xreadGeneric(client, argv, false),
  xreadgroup: (client, argv) => xreadGeneric(client, argv, true),
  xack,
  xpending,
  xclaim,
  xautoclaim,
  "xgroup|create": xgroupCreate,
  "xgroup|setid": xgroupSetid,
  "xgroup|destroy": xgroupDestroy,
  "xgroup|createconsumer": xgroupCreateConsumer,
  "xgroup|delconsumer": xgroupDelConsumer,
  "xinfo|stream": xinfoStream,
  "xinfo|groups": xinfoGroups,
  "xinfo|consumers": xinfoConsumers,
};

/** The stream command family. */
export const streamCommands: CommandSpec[] = streamCommandSpecs(HANDLERS);
