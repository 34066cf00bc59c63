/**
 * The stream type (Redis's t_stream.c data model): entries ordered by ID in
 * nodes that mirror Redis's listpack nodes (same split points, deleted
 * entries kept as tombstones until their node empties), found by binary
 * search over the nodes and then within one; plus consumer groups with
 * their pending-entries lists and consumers. Pure data, no I/O.
 *
 * A node keeps its entries' IDs as 32-bit words in a typed array and their
 * fields and values flat in one array; entries whose field names equal the
 * node's first entry ("master fields", Redis's SAMEFIELDS) store only their
 * values.
 * @module
 */

import { IdMap } from "./id_map.ts";
import {
  integerElementSize,
  LISTPACK_OVERHEAD,
  stringElementSize,
} from "./listpack_size.ts";
import {
  compareIds,
  idBytes,
  idKey,
  incrementId,
  isZeroId,
  MAX_ID,
  MIN_ID,
  type StreamId,
  streamId,
} from "./stream_id.ts";

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
/** Redis's STREAM_LISTPACK_MAX_SIZE: the node size cap when the config is 0. */
const LISTPACK_MAX_SIZE = 1 << 30;
/** Redis's SCG_INVALID_ENTRIES_READ. */
export const INVALID_ENTRIES_READ = -1;

/** Limits that decide where a new node starts (the stream-node-* configs). */
export interface NodeLimits {
  maxEntries: number;
  maxBytes: number;
}

/** Bytes of an int64 element holding `a - b` for two 64-bit ID halves. */
function deltaSize(aHi: number, aLo: number, bHi: number, bLo: number): number {
  if (aHi === bHi) return integerElementSize(aLo - bLo);
  const a = (BigInt(aHi) << 32n) | BigInt(aLo);
  const b = (BigInt(bHi) << 32n) | BigInt(bLo);
  return integerElementSize(Number(BigInt.asIntN(64, a - b)));
}

/** One node: what Redis keeps as one listpack under one rax key. */
export class StreamNode {
  /** Four words per slot: msHi, msLo, seqHi, seqLo. */
  ids: Uint32Array;
  flags: Uint8Array;
  /** Where each slot's strings start in `data`; slot i ends at starts[i + 1]. */
  starts: Uint32Array;
  /** The strings while the node takes appends. */
  data: string[] = [];
  /**
   * Once the node is full ({@linkcode seal}), its strings joined into one
   * string, string k spanning packedEnds[k - 1] to packedEnds[k]: one byte
   * per character instead of an object per string.
   */
  packed: string | null = null;
  packedEnds: Uint32Array | null = null;
  /** Slots used, tombstones included. */
  slots = 0;
  /** Live entries. */
  live = 0;
  /** Listpack bytes apart from the live and deleted counters. */
  private bytesBase: number;

  constructor(
    /** The first entry's ID, the node's key. */
    readonly master: StreamId,
    readonly masterFields: readonly string[],
    /** Slots to allocate up front: the node's entry limit, so it need not grow. */
    capacity = 8,
  ) {
    this.ids = new Uint32Array(capacity * 4);
    this.flags = new Uint8Array(capacity);
    this.starts = new Uint32Array(capacity + 1);
    let bytes = LISTPACK_OVERHEAD + integerElementSize(masterFields.length) +
      integerElementSize(0);
    for (const field of masterFields) bytes += stringElementSize(field);
    this.bytesBase = bytes;
  }

  /** The listpack's total bytes, as lpBytes would report. */
  get bytes(): number {
    return this.bytesBase + integerElementSize(this.live) +
      integerElementSize(this.slots - this.live);
  }

  /** The ID in `slot`. */
  idAt(slot: number): StreamId {
    const ids = this.ids, i = slot * 4;
    return streamId(ids[i], ids[i + 1], ids[i + 2], ids[i + 3]);
  }

  /** Compares the ID in `slot` with `id`. */
  compareAt(slot: number, id: StreamId): number {
    const ids = this.ids, i = slot * 4;
    return (ids[i] - id.msHi) || (ids[i + 1] - id.msLo) ||
      (ids[i + 2] - id.seqHi) || (ids[i + 3] - id.seqLo);
  }

  /** True when `slot` holds a tombstone. */
  isDeleted(slot: number): boolean {
    return (this.flags[slot] & FLAG_DELETED) !== 0;
  }

  /** String `k` of the node's strings. */
  private stringAt(k: number): string {
    const packed = this.packed;
    if (packed === null) return this.data[k];
    const ends = this.packedEnds!;
    return packed.slice(k === 0 ? 0 : ends[k - 1], ends[k]);
  }

  /** The fields and values of `slot`, interleaved. */
  fieldsAt(slot: number): string[] {
    const from = this.starts[slot], to = this.starts[slot + 1];
    if ((this.flags[slot] & FLAG_SAMEFIELDS) === 0) {
      const out = new Array<string>(to - from);
      for (let k = from; k < to; k++) out[k - from] = this.stringAt(k);
      return out;
    }
    const master = this.masterFields;
    const out = new Array<string>(master.length * 2);
    for (let i = 0; i < master.length; i++) {
      out[i * 2] = master[i];
      out[i * 2 + 1] = this.stringAt(from + i);
    }
    return out;
  }

  /**
   * Packs the strings of a node that takes no more appends (a newer node
   * exists) and trims the typed arrays to size.
   */
  seal(): void {
    if (this.packed !== null) return;
    const data = this.data;
    const ends = new Uint32Array(data.length);
    let total = 0;
    for (let k = 0; k < data.length; k++) ends[k] = total += data[k].length;
    this.packed = data.join("");
    this.packedEnds = ends;
    this.data = [];
    const slots = this.slots;
    if (slots === this.flags.length) return;
    this.ids = this.ids.slice(0, slots * 4);
    this.flags = this.flags.slice(0, slots);
    this.starts = this.starts.slice(0, slots + 1);
  }

  /** The first slot whose ID is `id` or later (slots when none). */
  lowerBound(id: StreamId): number {
    let lo = 0, hi = this.slots;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareAt(mid, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Appends an entry; `fields` interleaves field names and values. */
  append(id: StreamId, fields: readonly string[]): void {
    if (this.slots === this.flags.length) this.grow();
    const slot = this.slots++;
    this.live++;
    const i = slot * 4;
    this.ids[i] = id.msHi;
    this.ids[i + 1] = id.msLo;
    this.ids[i + 2] = id.seqHi;
    this.ids[i + 3] = id.seqLo;
    const master = this.masterFields;
    const numFields = fields.length / 2;
    let same = numFields === master.length;
    for (let f = 0; same && f < numFields; f++) {
      same = fields[f * 2] === master[f];
    }
    const m = this.master;
    // flags (an integer element of 2 bytes), ms delta, seq delta and
    // lp-count, as streamAppendItem writes them.
    let bytes = integerElementSize(0) +
      deltaSize(id.msHi, id.msLo, m.msHi, m.msLo) +
      deltaSize(id.seqHi, id.seqLo, m.seqHi, m.seqLo);
    const data = this.data;
    if (same) {
      this.flags[slot] = FLAG_SAMEFIELDS;
      for (let f = 0; f < numFields; f++) {
        const value = fields[f * 2 + 1];
        data.push(value);
        bytes += stringElementSize(value);
      }
      bytes += integerElementSize(numFields + 3);
    } else {
      this.flags[slot] = 0;
      bytes += integerElementSize(numFields);
      for (const s of fields) {
        data.push(s);
        bytes += stringElementSize(s);
      }
      bytes += integerElementSize(numFields * 2 + 4);
    }
    this.starts[slot + 1] = data.length;
    this.bytesBase += bytes;
  }

  /** Marks `slot` deleted; the caller keeps counts. */
  markDeleted(slot: number): void {
    this.flags[slot] |= FLAG_DELETED;
    this.live--;
  }

  /** A deep copy. */
  clone(): StreamNode {
    const twin = new StreamNode(this.master, this.masterFields);
    twin.ids = this.ids.slice();
    twin.flags = this.flags.slice();
    twin.starts = this.starts.slice();
    twin.data = this.data.slice();
    twin.packed = this.packed;
    twin.packedEnds = this.packedEnds?.slice() ?? null;
    twin.slots = this.slots;
    twin.live = this.live;
    twin.bytesBase = this.bytesBase;
    return twin;
  }

  /** The last slot's ID, tombstone or not (lpGetEdgeStreamID). */
  get lastSlotId(): StreamId {
    return this.idAt(this.slots - 1);
  }

  private grow(): void {
    const capacity = this.flags.length * 2;
    const ids = new Uint32Array(capacity * 4);
    ids.set(this.ids);
    this.ids = ids;
    const flags = new Uint8Array(capacity);
    flags.set(this.flags);
    this.flags = flags;
    const starts = new Uint32Array(capacity + 1);
    starts.set(this.starts);
    this.starts = starts;
  }
}

/** One pending entry of a group (Redis's streamNACK). */
export interface PendingEntry {
  /** Unix ms of the last delivery. */
  deliveryTime: number;
  deliveryCount: number;
  /** null only in the instant XCLAIM FORCE creates it. */
  consumer: Consumer | null;
}

/** A consumer of a group. */
export class Consumer {
  readonly pending = new IdMap<PendingEntry>();
  constructor(readonly name: string, public seenTime: number) {}
}

/** A consumer group. */
export class ConsumerGroup {
  readonly pending = new IdMap<PendingEntry>();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    readonly name: string,
    public lastId: StreamId,
    /** Logical read counter, or INVALID_ENTRIES_READ. */
    public entriesRead: number,
  ) {}

  /** Consumers in Redis's order (byte order of names, as the rax walks them). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.keys()].sort().map((n) => this.consumers.get(n)!);
  }

  /** Adds a pending entry for `id` owned by `consumer`. */
  addPending(id: StreamId, entry: PendingEntry, consumer: Consumer): void {
    const key = idKey(id);
    this.pending.setByKey(key, entry);
    consumer.pending.setByKey(key, entry);
  }

  /** Removes the pending entry for `id` from the group and its owner. */
  removePending(id: StreamId): boolean {
    const entry = this.pending.get(id);
    if (entry === undefined) return false;
    this.pending.delete(id);
    entry.consumer?.pending.delete(id);
    return true;
  }

  /** Removes a consumer and its pending entries; returns how many it had. */
  deleteConsumer(consumer: Consumer): number {
    const count = consumer.pending.size;
    for (const [id] of consumer.pending.entries()) this.pending.delete(id);
    this.consumers.delete(consumer.name);
    return count;
  }
}

/** How XADD and XTRIM trim. */
export interface TrimSpec {
  strategy: "maxlen" | "minid";
  maxlen: number;
  minid: StreamId;
  approx: boolean;
  /** Most entries to remove; 0 = no limit. */
  limit: number;
}

/** Visits one entry; returns false to stop. */
export type EntryVisitor = (id: StreamId, fields: string[]) => boolean;

/** A stream value. */
export class StreamValue {
  readonly type = "stream" as const;
  /** Nodes in ID order. */
  nodes: StreamNode[] = [];
  /** Live entries. */
  length = 0;
  lastId: StreamId = MIN_ID;
  /** First live entry's ID, 0-0 when empty (Redis's first_id). */
  firstId: StreamId = MIN_ID;
  maxDeletedId: StreamId = MIN_ID;
  entriesAdded = 0;
  readonly groups = new Map<string, ConsumerGroup>();

  /** Appends an entry with an ID the caller checked is above lastId. */
  append(id: StreamId, fields: readonly string[], limits: NodeLimits): void {
    let node: StreamNode | undefined = this.nodes[this.nodes.length - 1];
    if (node !== undefined) {
      let maxBytes = limits.maxBytes;
      if (maxBytes === 0 || maxBytes > LISTPACK_MAX_SIZE) {
        maxBytes = LISTPACK_MAX_SIZE;
      }
      let total = 0;
      for (const s of fields) total += s.length;
      if (
        node.bytes + total >= maxBytes ||
        (limits.maxEntries !== 0 && node.slots >= limits.maxEntries)
      ) node = undefined;
    }
    if (node === undefined) {
      const master: string[] = [];
      for (let i = 0; i < fields.length; i += 2) master.push(fields[i]);
      this.nodes[this.nodes.length - 1]?.seal();
      const capacity = limits.maxEntries === 0
        ? 8
        : Math.min(limits.maxEntries, 128);
      node = new StreamNode(id, master, capacity);
      this.nodes.push(node);
    }
    node.append(id, fields);
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** Index of the node that would hold `id` (the last whose key is <= id), or -1. */
  private nodeIndexFor(id: StreamId): number {
    const nodes = this.nodes;
    let lo = 0, hi = nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(nodes[mid].master, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Node index and slot of the live entry `id`, or null. */
  private locate(id: StreamId): [number, number] | null {
    const n = this.nodeIndexFor(id);
    if (n < 0) return null;
    const node = this.nodes[n];
    const slot = node.lowerBound(id);
    if (slot === node.slots || node.compareAt(slot, id) !== 0) return null;
    if (node.isDeleted(slot)) return null;
    return [n, slot];
  }

  /** True when a live entry has this ID (streamEntryExists). */
  has(id: StreamId): boolean {
    return this.locate(id) !== null;
  }

  /** Fields of the live entry `id`, or undefined. */
  get(id: StreamId): string[] | undefined {
    const at = this.locate(id);
    return at === null ? undefined : this.nodes[at[0]].fieldsAt(at[1]);
  }

  /** Deletes the live entry `id` (streamDeleteItem); true when it existed. */
  deleteEntry(id: StreamId): boolean {
    const at = this.locate(id);
    if (at === null) return false;
    const node = this.nodes[at[0]];
    if (node.live === 1) this.nodes.splice(at[0], 1);
    else node.markDeleted(at[1]);
    this.length--;
    return true;
  }

  /** Deletes entries as XDEL does, keeping first and max-deleted IDs. */
  deleteEntries(ids: readonly StreamId[]): number {
    let deleted = 0;
    let firstGone = false;
    for (const id of ids) {
      if (!this.deleteEntry(id)) continue;
      if (compareIds(id, this.firstId) === 0) firstGone = true;
      if (compareIds(id, this.maxDeletedId) > 0) this.maxDeletedId = id;
      deleted++;
    }
    if (deleted !== 0) {
      if (this.length === 0) this.firstId = MIN_ID;
      else if (firstGone) this.firstId = this.edgeId(true);
    }
    return deleted;
  }

  /** First (or last) live entry's ID; 0-0 when empty. */
  edgeId(first: boolean): StreamId {
    let found: StreamId = MIN_ID;
    this.scan(MIN_ID, MAX_ID, !first, (id) => {
      found = id;
      return false;
    });
    return found;
  }

  /** Last live entry's ID, 0-0 when empty (streamLastValidID). */
  lastValidId(): StreamId {
    return this.edgeId(false);
  }

  /**
   * Visits live entries with start <= ID <= end, ascending or (reverse)
   * descending, until `visit` returns false.
   */
  scan(
    start: StreamId,
    end: StreamId,
    reverse: boolean,
    visit: EntryVisitor,
  ): void {
    const nodes = this.nodes;
    if (compareIds(start, end) > 0) return;
    if (!reverse) {
      let n = Math.max(this.nodeIndexFor(start), 0);
      for (; n < nodes.length; n++) {
        const node = nodes[n];
        for (let s = node.lowerBound(start); s < node.slots; s++) {
          if (node.compareAt(s, end) > 0) return;
          if (node.isDeleted(s)) continue;
          if (!visit(node.idAt(s), node.fieldsAt(s))) return;
        }
      }
      return;
    }
    for (let n = this.nodeIndexFor(end); n >= 0; n--) {
      const node = nodes[n];
      let s = node.lowerBound(end);
      if (s === node.slots || node.compareAt(s, end) > 0) s--;
      for (; s >= 0; s--) {
        if (node.compareAt(s, start) < 0) return;
        if (node.isDeleted(s)) continue;
        if (!visit(node.idAt(s), node.fieldsAt(s))) return;
      }
    }
  }

  /** Trims as Redis's streamTrim; returns how many entries were removed. */
  trim(spec: TrimSpec): number {
    const nodes = this.nodes;
    let deleted = 0;
    let removeNodes = 0;
    for (; removeNodes < nodes.length; removeNodes++) {
      if (spec.strategy === "maxlen" && this.length <= spec.maxlen) break;
      const node = nodes[removeNodes];
      const entries = node.live;
      if (spec.limit !== 0 && deleted + entries > spec.limit) break;
      const wholeNode = spec.strategy === "maxlen"
        ? this.length - entries >= spec.maxlen
        : compareIds(node.lastSlotId, spec.minid) < 0;
      if (wholeNode) {
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (spec.approx) break;
      for (let s = 0; s < node.slots; s++) {
        const stop = spec.strategy === "maxlen"
          ? this.length <= spec.maxlen
          : node.compareAt(s, spec.minid) >= 0;
        if (stop) break;
        if (node.isDeleted(s)) continue;
        node.markDeleted(s);
        this.length--;
        deleted++;
      }
      break;
    }
    if (removeNodes !== 0) nodes.splice(0, removeNodes);
    this.firstId = this.length === 0 ? MIN_ID : this.edgeId(true);
    return deleted;
  }

  /** True when a tombstone may lie between start and end (streamRangeHasTombstones). */
  rangeHasTombstones(start: StreamId | null, end: StreamId | null): boolean {
    if (this.length === 0 || isZeroId(this.maxDeletedId)) return false;
    if (compareIds(this.firstId, this.maxDeletedId) > 0) return false;
    const from = start ?? MIN_ID, to = end ?? MAX_ID;
    return compareIds(from, this.maxDeletedId) <= 0 &&
      compareIds(this.maxDeletedId, to) <= 0;
  }

  /**
   * The logical read counter of `id` (streamEstimateDistanceFromFirstEverEntry),
   * or INVALID_ENTRIES_READ when it cannot be known.
   */
  estimateEntriesRead(id: StreamId): number {
    if (this.entriesAdded === 0) return 0;
    const cmpLast = compareIds(id, this.lastId);
    if (this.length === 0 && cmpLast < 1) return this.entriesAdded;
    if (cmpLast === 0) return this.entriesAdded;
    if (cmpLast > 0) return INVALID_ENTRIES_READ;
    const cmpFirst = compareIds(id, this.firstId);
    if (
      isZeroId(this.maxDeletedId) ||
      compareIds(this.maxDeletedId, this.firstId) < 0
    ) {
      if (cmpFirst < 0) return this.entriesAdded - this.length;
      if (cmpFirst === 0) return this.entriesAdded - this.length + 1;
    }
    return INVALID_ENTRIES_READ;
  }

  /** A group's lag (streamReplyWithCGLag), or null when it cannot be known. */
  groupLag(group: ConsumerGroup): number | null {
    if (this.entriesAdded === 0) return 0;
    if (
      group.entriesRead !== INVALID_ENTRIES_READ &&
      !this.rangeHasTombstones(group.lastId, null)
    ) return this.entriesAdded - group.entriesRead;
    const read = this.estimateEntriesRead(group.lastId);
    return read === INVALID_ENTRIES_READ ? null : this.entriesAdded - read;
  }

  /** Moves a group's last-delivered ID forward to `id` as a delivery does. */
  advanceGroup(group: ConsumerGroup, id: StreamId): void {
    if (compareIds(id, group.lastId) <= 0) return;
    if (
      group.entriesRead !== INVALID_ENTRIES_READ &&
      !this.rangeHasTombstones(id, null)
    ) group.entriesRead++;
    else if (this.entriesAdded !== 0) {
      group.entriesRead = this.estimateEntriesRead(id);
    }
    group.lastId = id;
  }

  /** Groups in Redis's order (byte order of names). */
  sortedGroups(): ConsumerGroup[] {
    return [...this.groups.keys()].sort().map((n) => this.groups.get(n)!);
  }

  /** Number of rax nodes Redis would hold for these node keys (XINFO's radix-tree-nodes). */
  radixTreeNodes(): number {
    const keys = this.nodes.map((node) => idBytes(node.master));
    if (keys.length === 0) return 1;
    return countRaxNodes(keys, 0, keys.length, 0);
  }

  /** A deep copy (COPY). */
  clone(): StreamValue {
    const copy = new StreamValue();
    copy.length = this.length;
    copy.lastId = this.lastId;
    copy.firstId = this.firstId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    copy.nodes = this.nodes.map((node) => node.clone());
    for (const group of this.groups.values()) {
      const twin = new ConsumerGroup(
        group.name,
        group.lastId,
        group.entriesRead,
      );
      for (const consumer of group.consumers.values()) {
        const c = new Consumer(consumer.name, consumer.seenTime);
        twin.consumers.set(c.name, c);
        for (const [id, entry] of consumer.pending.entries()) {
          twin.addPending(id, { ...entry, consumer: c }, c);
        }
      }
      copy.groups.set(twin.name, twin);
    }
    return copy;
  }
}

/**
 * Nodes of a compressed radix tree over sorted 16-byte keys[from, to) that
 * share their first `depth` bytes: a compressed node for a further common
 * prefix, then a branching node (or a leaf at the end), then each branch.
 */
function countRaxNodes(
  keys: number[][],
  from: number,
  to: number,
  depth: number,
): number {
  const first = keys[from], last = keys[to - 1];
  let common = depth;
  while (common < 16 && first[common] === last[common]) common++;
  let nodes = common > depth ? 1 : 0;
  if (common === 16) return nodes + 1;
  nodes++; // the branching node
  let i = from;
  while (i < to) {
    let j = i + 1;
    while (j < to && keys[j][common] === keys[i][common]) j++;
    nodes += countRaxNodes(keys, i, j, common + 1);
    i = j;
  }
  return nodes;
}

/** The next auto-generated ID after `last` at time `nowMs` (streamNextID). */
export function nextAutoId(last: StreamId, nowMs: number): StreamId | null {
  const msHi = Math.floor(nowMs / 4294967296), msLo = nowMs >>> 0;
  if (msHi > last.msHi || (msHi === last.msHi && msLo > last.msLo)) {
    return streamId(msHi, msLo, 0, 0);
  }
  return incrementId(last);
}
