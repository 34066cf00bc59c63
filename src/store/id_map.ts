/**
 * A map from stream IDs to values kept in ID order, for pending-entries
 * lists: lookups by ID through a Map, ordered walks through a sorted array
 * of {@linkcode idKey} strings. New deliveries carry growing IDs, so
 * inserts are mostly appends.
 * @module
 */

import { idFromKey, idKey, type StreamId } from "./stream_id.ts";

/** An ordered map keyed by stream ID. */
export class IdMap<V> {
  private readonly byKey = new Map<string, V>();
  /** Keys in ascending order. */
  private readonly order: string[] = [];

  /** Number of entries. */
  get size(): number {
    return this.order.length;
  }

  /** The value at `id`, if any. */
  get(id: StreamId): V | undefined {
    return this.byKey.get(idKey(id));
  }

  /** The value under an {@linkcode idKey}, if any. */
  getByKey(key: string): V | undefined {
    return this.byKey.get(key);
  }

  /** Adds or replaces the value at `id`. */
  set(id: StreamId, value: V): void {
    this.setByKey(idKey(id), value);
  }

  /** Adds or replaces the value under an {@linkcode idKey}. */
  setByKey(key: string, value: V): void {
    if (!this.byKey.has(key)) {
      const order = this.order;
      if (order.length === 0 || order[order.length - 1] < key) order.push(key);
      else order.splice(this.lowerBound(key), 0, key);
    }
    this.byKey.set(key, value);
  }

  /** Removes the entry at `id`; true when it was there. */
  delete(id: StreamId): boolean {
    const key = idKey(id);
    if (!this.byKey.delete(key)) return false;
    this.order.splice(this.lowerBound(key), 1);
    return true;
  }

  /** Index of the first key not below `key`. */
  lowerBound(key: string): number {
    const order = this.order;
    let lo = 0, hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (order[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first entry whose ID is `id` or later. */
  seek(id: StreamId): number {
    return this.lowerBound(idKey(id));
  }

  /** The key at position `index` (0 = smallest ID). */
  keyAt(index: number): string {
    return this.order[index];
  }

  /** The ID at position `index`. */
  idAt(index: number): StreamId {
    return idFromKey(this.order[index]);
  }

  /** The value at position `index`. */
  valueAt(index: number): V {
    return this.byKey.get(this.order[index])!;
  }

  /** Entries in ID order. */
  *entries(): IterableIterator<[StreamId, V]> {
    for (const key of this.order) {
      yield [idFromKey(key), this.byKey.get(key)!];
    }
  }
}
