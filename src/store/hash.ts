/**
 * Hash values (Redis's t_hash.c data side). A small hash lives in a Map,
 * which keeps insertion order, updates in place and appends re-added fields
 * at the end: exactly how Redis's listpack encoding orders HGETALL, so
 * replies match byte for byte while Redis's order is deterministic. Once a
 * write crosses `hash-max-listpack-entries` or `hash-max-listpack-value` the
 * hash moves to a {@linkcode KeyTable} for good (Redis's hashtable encoding),
 * which offers O(1) random picks for HRANDFIELD and a stateless scan cursor
 * with SCAN's guarantee for HSCAN. Pure data: no I/O.
 * @module
 */

import { KeyTable, type ScanStep } from "./keytable.ts";
import type { RedisObject } from "./keyspace.ts";

/** The size limits of the compact encoding, read from the config at each write. */
export interface HashLimits {
  /** `hash-max-listpack-entries`: more fields than this leave the listpack. */
  maxEntries: number;
  /** `hash-max-listpack-value`: a longer field or value leaves the listpack. */
  maxValue: number;
}

/** A hash: binary-string fields to binary-string values. */
export class HashValue implements RedisObject {
  readonly type = "hash";
  /** The insertion-ordered form while listpack-encoded, else null. */
  private small: Map<string, string> | null = new Map();
  /** The hashtable form once converted, else null. */
  private table: KeyTable<string> | null = null;

  /** The name OBJECT ENCODING reports. */
  get encoding(): "listpack" | "hashtable" {
    return this.small !== null ? "listpack" : "hashtable";
  }

  /** Number of fields. */
  get size(): number {
    return this.small !== null ? this.small.size : this.table!.size;
  }

  /** The value of `field`, or undefined. */
  get(field: string): string | undefined {
    return this.small !== null ? this.small.get(field) : this.table!.get(field);
  }

  /** True when `field` exists. */
  has(field: string): boolean {
    return this.small !== null ? this.small.has(field) : this.table!.has(field);
  }

  /**
   * Sets `field` to `value`; returns true when the field is new. Converts to
   * the hashtable encoding as Redis's hashTypeSet does: before the write when
   * the field or value is longer than `maxValue`, after it when the hash
   * holds more than `maxEntries` fields (updates included).
   */
  set(field: string, value: string, limits: HashLimits): boolean {
    const small = this.small;
    if (small === null) return this.setInTable(field, value);
    if (field.length > limits.maxValue || value.length > limits.maxValue) {
      this.convert();
      return this.setInTable(field, value);
    }
    const before = small.size;
    small.set(field, value);
    if (small.size > limits.maxEntries) this.convert();
    return small.size !== before;
  }

  /** Removes `field`; true when it existed. The encoding never goes back. */
  delete(field: string): boolean {
    return this.small !== null
      ? this.small.delete(field)
      : this.table!.delete(field);
  }

  /** Every `[field, value]` pair, in HGETALL order; the hash must not change meanwhile. */
  entries(): IterableIterator<[string, string]> {
    return this.small !== null
      ? this.small.entries()
      : this.table![Symbol.iterator]();
  }

  /** Every field, in HKEYS order. */
  fields(): IterableIterator<string> {
    return this.small !== null ? this.small.keys() : this.table!.keyNames();
  }

  /**
   * A function drawing uniformly random `[field, value]` pairs, repetition
   * allowed (HRANDFIELD); valid until the hash changes. The hash must not be
   * empty.
   */
  sampler(): () => [string, string] {
    if (this.small !== null) {
      // Listpacks are small: one pass makes every draw O(1).
      const all = [...this.small];
      return () => all[Math.floor(Math.random() * all.length)];
    }
    const table = this.table!;
    return () => {
      const field = table.randomKey()!;
      return [field, table.get(field)!];
    };
  }

  /**
   * `count` distinct `[field, value]` pairs, `count` below the size. As in
   * Redis, a listpack yields them in its own order (selection sampling); a
   * hashtable in random order.
   */
  distinctRandomEntries(count: number): [string, string][] {
    const size = this.size;
    if (this.small !== null) {
      const picks: [string, string][] = [];
      let left = size;
      for (const entry of this.small) {
        if (Math.random() * left < count - picks.length) picks.push(entry);
        left--;
      }
      return picks;
    }
    const table = this.table!;
    if (count * 3 > size) {
      // Most of the hash is wanted: shuffle the front of a full copy.
      const all = [...table];
      for (let i = 0; i < count; i++) {
        const j = i + Math.floor(Math.random() * (size - i));
        [all[i], all[j]] = [all[j], all[i]];
      }
      all.length = count;
      return all;
    }
    const chosen = new Set<string>();
    while (chosen.size < count) chosen.add(table.randomKey()!);
    return [...chosen].map((field) => [field, table.get(field)!]);
  }

  /**
   * One HSCAN step from `cursor`: a listpack returns everything at once with
   * cursor 0, as Redis does; a hashtable the fields of one range of its hash
   * space (see KeyTable.scan), so fields present for a whole iteration are
   * returned exactly once whatever happens in between.
   */
  scan(cursor: number, count: number): ScanStep {
    if (this.small !== null) return { cursor: 0, keys: [...this.small.keys()] };
    return this.table!.scan(cursor, count);
  }

  /** An independent copy with the same encoding and order (COPY). */
  clone(): HashValue {
    const copy = new HashValue();
    if (this.small !== null) {
      copy.small = new Map(this.small);
    } else {
      copy.small = null;
      copy.table = new KeyTable();
      for (const [field, value] of this.table!) copy.table.set(field, value, 0);
    }
    return copy;
  }

  private setInTable(field: string, value: string): boolean {
    const table = this.table!;
    const before = table.size;
    table.set(field, value, 0);
    return table.size !== before;
  }

  /** Moves to the hashtable encoding, for good. */
  private convert(): void {
    const table = new KeyTable<string>();
    for (const [field, value] of this.small!) table.set(field, value, 0);
    this.table = table;
    this.small = null;
  }
}
