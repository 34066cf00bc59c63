/**
 * Streams in RDB files and DUMP payloads, as Redis 7.0 writes them
 * (RDB_TYPE_STREAM_LISTPACKS_2) and as Redis 6.x wrote them
 * (RDB_TYPE_STREAM_LISTPACKS, loaded only):
 *
 * - the nodes: their count, then per node its 128-bit big-endian master ID
 *   and its listpack (the master entry: live count, deleted count, the
 *   master field names and a 0; then per entry its flags, ms and seq deltas
 *   from the master ID, the field count and names unless SAMEFIELDS, the
 *   values, and the lp-count);
 * - length, last ID, and for type 19 first ID, max deleted entry ID and
 *   entries added;
 * - the groups in name order: name, last ID, entries read (type 19), the
 *   global PEL (raw IDs, delivery time ms, delivery count), the consumers in
 *   name order with their seen time and the raw IDs they own.
 *
 * redeno's nodes split where Redis's do and keep tombstones, so the
 * listpacks built here are byte for byte the ones Redis holds.
 * @module
 */

import {
  Consumer,
  ConsumerGroup,
  type PendingEntry,
  StreamNode,
  StreamValue,
} from "../store/stream.ts";
import {
  compareIds,
  idKey,
  MAX_ID,
  MIN_ID,
  type StreamId,
  streamId,
} from "../store/stream_id.ts";
import { listpackEntries, type RdbDecoder } from "./rdb_decoder.ts";
import { ListpackBuilder, type RdbEncoder } from "./rdb_encoder.ts";
import { RdbError, RdbType } from "./rdb_format.ts";

/** STREAM_ITEM_FLAG_DELETED and STREAM_ITEM_FLAG_SAMEFIELDS. */
const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
const TWO_32 = 4294967296;
const STRICT_INT64 = /^(0|-?[1-9][0-9]{0,18})$/;

/** `a - b` of two 64-bit halves given as words, as a signed 64-bit delta. */
function delta(
  aHi: number,
  aLo: number,
  bHi: number,
  bLo: number,
): number | bigint {
  if (aHi === bHi) return aLo - bLo;
  const a = (BigInt(aHi) << 32n) | BigInt(aLo);
  const b = (BigInt(bHi) << 32n) | BigInt(bLo);
  return BigInt.asIntN(64, a - b);
}

/** The listpack of one node, as Redis's streamAppendItem and deletes leave it. */
export function nodeListpack(node: StreamNode): Uint8Array {
  const lp = new ListpackBuilder();
  lp.addInteger(node.live);
  lp.addInteger(node.slots - node.live);
  const masterFields = node.masterFields;
  lp.addInteger(masterFields.length);
  for (const field of masterFields) lp.add(field);
  lp.addInteger(0);
  const m = node.master;
  for (let slot = 0; slot < node.slots; slot++) {
    const id = node.idAt(slot);
    const flags = node.flags[slot];
    lp.addInteger(flags);
    lp.addInteger(delta(id.msHi, id.msLo, m.msHi, m.msLo));
    lp.addInteger(delta(id.seqHi, id.seqLo, m.seqHi, m.seqLo));
    const fields = node.fieldsAt(slot);
    const numFields = fields.length / 2;
    if (flags & FLAG_SAMEFIELDS) {
      for (let f = 1; f < fields.length; f += 2) lp.add(fields[f]);
      lp.addInteger(numFields + 3);
    } else {
      lp.addInteger(numFields);
      for (const s of fields) lp.add(s);
      lp.addInteger(numFields * 2 + 4);
    }
  }
  return lp.finish();
}

/** An ID as two RDB lengths, ms then seq. */
export function writeId(enc: RdbEncoder, id: StreamId): void {
  enc.lengthOfWords(id.msHi, id.msLo);
  enc.lengthOfWords(id.seqHi, id.seqLo);
}

/** The ID as the 128-bit big-endian rax key it is in Redis. */
function writeRawId(enc: RdbEncoder, id: StreamId): void {
  enc.uint32BE(id.msHi);
  enc.uint32BE(id.msLo);
  enc.uint32BE(id.seqHi);
  enc.uint32BE(id.seqLo);
}

/** The node count, then each node's 16-byte key and listpack. */
export function writeNodes(enc: RdbEncoder, stream: StreamValue): void {
  enc.lengthOf(stream.nodes.length);
  for (const node of stream.nodes) {
    // The 16-byte key as rdbSaveRawString writes it: too long for an
    // integer, too short to compress.
    enc.lengthOf(16);
    writeRawId(enc, node.master);
    enc.blob(nodeListpack(node));
  }
}

/**
 * What follows a group's entries read: the global PEL (raw IDs, delivery
 * time, delivery count), then the consumers in name order with their seen
 * time and the raw IDs they own.
 */
export function writeGroupPels(enc: RdbEncoder, group: ConsumerGroup): void {
  enc.lengthOf(group.pending.size);
  for (const [id, entry] of group.pending.entries()) {
    writeRawId(enc, id);
    enc.int64LE(entry.deliveryTime);
    enc.lengthOf(entry.deliveryCount);
  }
  const consumers = group.sortedConsumers();
  enc.lengthOf(consumers.length);
  for (const consumer of consumers) {
    enc.string(consumer.name);
    enc.int64LE(consumer.seenTime);
    enc.lengthOf(consumer.pending.size);
    for (const [id] of consumer.pending.entries()) writeRawId(enc, id);
  }
}

/** Writes a stream as RDB_TYPE_STREAM_LISTPACKS_2 (without the type byte). */
export function encodeStream(enc: RdbEncoder, stream: StreamValue): void {
  writeNodes(enc, stream);
  enc.lengthOf(stream.length);
  writeId(enc, stream.lastId);
  writeId(enc, stream.firstId);
  writeId(enc, stream.maxDeletedId);
  enc.lengthOf(stream.entriesAdded);
  const groups = stream.sortedGroups();
  enc.lengthOf(groups.length);
  for (const group of groups) {
    enc.string(group.name);
    writeId(enc, group.lastId);
    // SCG_INVALID_ENTRIES_READ (-1) is saved as the unsigned 64-bit length.
    if (group.entriesRead < 0) enc.lengthOfWords(0xffffffff, 0xffffffff);
    else enc.lengthOf(group.entriesRead);
    writeGroupPels(enc, group);
  }
}

/** The ID in 16 big-endian bytes at `at`. */
function idFromRaw(b: Uint8Array, at: number): StreamId {
  const word = (i: number) =>
    ((b[at + i] << 24) | (b[at + i + 1] << 16) | (b[at + i + 2] << 8) |
      b[at + i + 3]) >>> 0;
  return streamId(word(0), word(4), word(8), word(12));
}

function readId(dec: RdbDecoder): StreamId {
  const [msHi, msLo] = dec.lengthWords();
  const [seqHi, seqLo] = dec.lengthWords();
  return streamId(msHi, msLo, seqHi, seqLo);
}

function corrupt(): never {
  throw new RdbError("Stream listpack integrity check failed.");
}

/** An integer element of a node's listpack (a string there is corruption). */
function integerAt(elements: string[], i: number): number {
  const s = elements[i];
  if (s === undefined || !STRICT_INT64.test(s)) corrupt();
  const n = Number(s);
  if (!Number.isSafeInteger(n)) corrupt();
  return n;
}

/** A 64-bit half plus a signed delta element, wrapping as uint64 arithmetic does. */
function addDelta(hi: number, lo: number, text: string): [number, number] {
  if (!STRICT_INT64.test(text)) corrupt();
  if (text.length <= 15 && hi < 0x200000) {
    const v = hi * TWO_32 + lo + Number(text);
    if (v >= 0) return [Math.floor(v / TWO_32), v >>> 0];
  }
  const v = BigInt.asUintN(
    64,
    ((BigInt(hi) << 32n) | BigInt(lo)) + BigInt(text),
  );
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/**
 * Rebuilds one node from its listpack, checking what a deep integrity check
 * checks (whole entries, counts that match the flags, lp-count, ascending
 * IDs), since the node's slots are rebuilt from it.
 */
function nodeFromListpack(master: StreamId, lp: Uint8Array): StreamNode {
  const el = listpackEntries(lp);
  if (el.length === 0) throw new RdbError("Empty listpack inside stream");
  const live = integerAt(el, 0);
  const deleted = integerAt(el, 1);
  if (live < 0 || deleted < 0) corrupt();
  const masterCount = integerAt(el, 2);
  let p = 3;
  if (masterCount < 0 || p + masterCount >= el.length) corrupt();
  const masterFields = el.slice(p, p + masterCount);
  p += masterCount;
  if (el[p++] !== "0") corrupt();
  const node = new StreamNode(
    master,
    masterFields,
    // Each entry takes at least four elements: no more slots than that.
    Math.max(Math.min(live + deleted, el.length >> 2), 1),
  );
  const deletedSlots: number[] = [];
  let previous: StreamId | null = null;
  while (p < el.length) {
    const start = p;
    const flags = integerAt(el, p++);
    if (flags & ~(FLAG_DELETED | FLAG_SAMEFIELDS)) corrupt();
    if (p + 1 >= el.length) corrupt();
    const [msHi, msLo] = addDelta(master.msHi, master.msLo, el[p++]);
    const [seqHi, seqLo] = addDelta(master.seqHi, master.seqLo, el[p++]);
    const id = streamId(msHi, msLo, seqHi, seqLo);
    if (previous !== null && compareIds(id, previous) <= 0) corrupt();
    previous = id;
    let fields: string[];
    if (flags & FLAG_SAMEFIELDS) {
      if (p + masterCount >= el.length) corrupt();
      fields = new Array(masterCount * 2);
      for (let f = 0; f < masterCount; f++) {
        fields[f * 2] = masterFields[f];
        fields[f * 2 + 1] = el[p++];
      }
    } else {
      const count = integerAt(el, p++);
      if (count < 0 || p + count * 2 >= el.length) corrupt();
      fields = el.slice(p, p + count * 2);
      p += count * 2;
    }
    if (integerAt(el, p++) !== p - start - 1) corrupt();
    node.append(id, fields);
    // The flag redeno would choose must be the one Redis chose.
    if (
      (node.flags[node.slots - 1] & FLAG_SAMEFIELDS) !==
        (flags & FLAG_SAMEFIELDS)
    ) {
      corrupt();
    }
    if (flags & FLAG_DELETED) deletedSlots.push(node.slots - 1);
  }
  if (node.slots !== live + deleted || deletedSlots.length !== deleted) {
    corrupt();
  }
  for (const slot of deletedSlots) node.markDeleted(slot);
  return node;
}

/** Reads one group's PELs and consumers. */
function readGroup(dec: RdbDecoder, group: ConsumerGroup): void {
  let pelSize = dec.length();
  while (pelSize-- > 0) {
    const key = idKey(idFromRaw(dec.take(16), 0));
    if (group.pending.getByKey(key) !== undefined) {
      throw new RdbError(
        "Duplicated global PEL entry loading stream consumer group",
      );
    }
    const deliveryTime = dec.int64LE();
    const entry: PendingEntry = {
      deliveryTime,
      deliveryCount: dec.length(),
      consumer: null,
    };
    group.pending.setByKey(key, entry);
  }
  let consumers = dec.length();
  while (consumers-- > 0) {
    const name = dec.string();
    if (group.consumers.has(name)) {
      throw new RdbError("Duplicate stream consumer detected.");
    }
    const consumer = new Consumer(name, dec.int64LE());
    group.consumers.set(name, consumer);
    let owned = dec.length();
    while (owned-- > 0) {
      const key = idKey(idFromRaw(dec.take(16), 0));
      const entry = group.pending.getByKey(key);
      if (entry === undefined) {
        throw new RdbError("Consumer entry not found in group global PEL");
      }
      if (entry.consumer !== null) {
        throw new RdbError(
          "Duplicated consumer PEL entry  loading a stream consumer group",
        );
      }
      entry.consumer = consumer;
      consumer.pending.setByKey(key, entry);
    }
  }
  // What Redis checks with sanitize-dump-payload: an owner for every entry.
  for (const [, entry] of group.pending.entries()) {
    if (entry.consumer === null) {
      throw new RdbError("Stream CG PEL entry without consumer");
    }
  }
}

/**
 * Reads a stream of RDB type 15 or 19 (after the type byte and key). Type
 * 15 lacks the first ID, max deleted ID, entries added and entries read:
 * they are computed as Redis 7.0's loader does (entries added = length, no
 * tombstone ID, first ID from the first live entry, a group's entries read
 * estimated from its last ID).
 */
export function decodeStream(dec: RdbDecoder, type: number): StreamValue {
  const stream = new StreamValue();
  const nodes: StreamNode[] = [];
  let count = dec.length();
  while (count-- > 0) {
    const key = dec.stringBytes();
    if (key.length !== 16) {
      throw new RdbError(
        "Stream node key entry is not the size of a stream ID",
      );
    }
    nodes.push(nodeFromListpack(idFromRaw(key, 0), dec.stringBytes()));
  }
  // The file has them in rax order; a crafted one is sorted like a rax would.
  nodes.sort((a, b) => compareIds(a.master, b.master));
  for (let i = 1; i < nodes.length; i++) {
    const order = compareIds(nodes[i - 1].master, nodes[i].master);
    if (order === 0) throw new RdbError("Listpack re-added with existing key");
    if (compareIds(nodes[i - 1].lastSlotId, nodes[i].idAt(0)) >= 0) corrupt();
  }
  for (let i = 0; i < nodes.length - 1; i++) nodes[i].seal();
  stream.nodes = nodes;
  stream.length = dec.length();
  stream.lastId = readId(dec);
  if (type === RdbType.streamListpacks2) {
    stream.firstId = readId(dec);
    stream.maxDeletedId = readId(dec);
    stream.entriesAdded = dec.length();
  } else {
    stream.entriesAdded = stream.length;
    // streamGetEdgeID finds no entry in an empty stream and gives the max ID.
    stream.firstId = stream.length === 0 ? MAX_ID : stream.edgeId(true);
    stream.maxDeletedId = MIN_ID;
  }
  if (stream.length !== 0 && nodes.length === 0) {
    throw new RdbError("Stream length inconsistent with rax entries");
  }
  let groups = dec.length();
  while (groups-- > 0) {
    const name = dec.string();
    const lastId = readId(dec);
    let entriesRead: number;
    if (type === RdbType.streamListpacks2) {
      const [hi, lo] = dec.lengthWords();
      // A uint64 that is -1 (or any value past int64) is SCG_INVALID_ENTRIES_READ.
      entriesRead = hi >= 0x80000000 ? -1 : hi * TWO_32 + lo;
    } else {
      entriesRead = stream.estimateEntriesRead(lastId);
    }
    if (stream.groups.has(name)) {
      throw new RdbError(`Duplicated consumer group name ${name}`);
    }
    const group = new ConsumerGroup(name, lastId, entriesRead);
    stream.groups.set(name, group);
    readGroup(dec, group);
  }
  return stream;
}
