/**
 * The set type (Redis's t_set.c data side). A set is an *intset* while every
 * member is an integer Redis's intset accepts and there are at most
 * `set-max-intset-entries` of them: then it is a sorted array of integers,
 * iterated in ascending order as Redis iterates its intset, so replies that
 * walk it match Redis byte for byte. Otherwise it is a *hashtable*: a
 * KeyTable (the keyspace's own table) giving O(1) membership, uniform random
 * picks and a stateless SCAN cursor. Like Redis 7.0, a set never goes back
 * from hashtable to intset; only a new set (SPOP's rebuilt remainder, the
 * result of SINTERSTORE ...) starts as an intset again.
 * Pure data: no I/O.
 * @module
 */

import type { RedisObject } from "./keyspace.ts";
import { KeyTable, type ScanStep } from "./keytable.ts";
import { parseInt64 } from "../util/numbers.ts";

/** An intset entry: a number when exact in a double, a bigint beyond. */
type IntsetEntry = number | bigint;

/** The encodings OBJECT ENCODING reports for sets in Redis 7.0. */
export type SetEncoding = "intset" | "hashtable";

/** Strict integers of at most 15 digits: always exact as doubles. */
const SHORT_INT = /^(0|-?[1-9][0-9]{0,14})$/;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Redis caps the intset size at 2^30 entries whatever the config says. */
const INTSET_HARD_LIMIT = 2 ** 30;

/**
 * The intset value of `member` when Redis would store it in an intset (it
 * parses as a strict signed 64-bit integer, as string2ll accepts), else
 * null. Each integer has exactly one representation, so `===` compares.
 */
export function intsetValue(member: string): IntsetEntry | null {
  if (member.length < 16) return SHORT_INT.test(member) ? Number(member) : null;
  const big = parseInt64(member);
  if (big === null) return null;
  return big <= MAX_SAFE && big >= -MAX_SAFE ? Number(big) : big;
}

/** Index of `value` in the sorted `entries`, or -(insertion point) - 1. */
function search(entries: IntsetEntry[], value: IntsetEntry): number {
  let low = 0;
  let high = entries.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const entry = entries[mid];
    if (entry < value) low = mid + 1;
    else if (entry > value) high = mid - 1;
    else return mid;
  }
  return -low - 1;
}

/** A set value. */
export class RedisSet implements RedisObject {
  readonly type = "set" as const;
  /** Sorted entries while the encoding is intset; null afterwards. */
  private ints: IntsetEntry[] | null;
  /** Members once the encoding is hashtable (values unused). */
  private table: KeyTable<true> | null;

  private constructor(encoding: SetEncoding) {
    this.ints = encoding === "intset" ? [] : null;
    this.table = encoding === "hashtable" ? new KeyTable<true>() : null;
  }

  /** An empty set in the given encoding. */
  static create(encoding: SetEncoding): RedisSet {
    return new RedisSet(encoding);
  }

  /**
   * An empty set in the encoding Redis picks for a set about to receive
   * `first` (setTypeCreate): intset for an integer, hashtable otherwise.
   */
  static forMember(first: string): RedisSet {
    return new RedisSet(intsetValue(first) === null ? "hashtable" : "intset");
  }

  /** The encoding OBJECT ENCODING reports. */
  get encoding(): SetEncoding {
    return this.ints !== null ? "intset" : "hashtable";
  }

  /** Number of members. */
  get size(): number {
    return this.ints !== null ? this.ints.length : this.table!.size;
  }

  /** True when `member` is in the set. */
  has(member: string): boolean {
    if (this.ints === null) return this.table!.has(member);
    const value = intsetValue(member);
    return value !== null && search(this.ints, value) >= 0;
  }

  /**
   * Adds `member`; true when it was not there. An intset turns into a
   * hashtable for a non-integer member or once it holds more than
   * `maxIntsetEntries` members (set-max-intset-entries).
   */
  add(member: string, maxIntsetEntries: number): boolean {
    const ints = this.ints;
    if (ints === null) {
      const table = this.table!;
      if (table.has(member)) return false;
      table.set(member, true, 0);
      return true;
    }
    const value = intsetValue(member);
    if (value === null) {
      this.convertToHashtable();
      this.table!.set(member, true, 0);
      return true;
    }
    const at = search(ints, value);
    if (at >= 0) return false;
    ints.splice(-at - 1, 0, value);
    if (ints.length > Math.min(maxIntsetEntries, INTSET_HARD_LIMIT)) {
      this.convertToHashtable();
    }
    return true;
  }

  /** Removes `member`; true when it was there. */
  delete(member: string): boolean {
    const ints = this.ints;
    if (ints === null) return this.table!.delete(member);
    const value = intsetValue(member);
    if (value === null) return false;
    const at = search(ints, value);
    if (at < 0) return false;
    ints.splice(at, 1);
    return true;
  }

  /** A member chosen uniformly at random; the set must not be empty. */
  randomMember(): string {
    const ints = this.ints;
    if (ints !== null) {
      return String(ints[Math.floor(Math.random() * ints.length)]);
    }
    // Rejection sampling over slots: every member is equally likely (a walk
    // from a random slot to the next member would favour members after gaps).
    // The table keeps its load above 1/8, so this takes a few tries at most.
    const table = this.table!;
    const capacity = table.capacity;
    for (;;) {
      const key = table.keyAt(Math.floor(Math.random() * capacity)) as
        | string
        | undefined;
      if (key !== undefined) return key;
    }
  }

  /**
   * Every member in Redis's iteration order for the encoding: ascending
   * while intset; table order (arbitrary, as in Redis) for a hashtable.
   * The set must not change during the iteration.
   */
  *members(): IterableIterator<string> {
    const ints = this.ints;
    if (ints === null) {
      yield* this.table!.keyNames();
      return;
    }
    for (let i = 0; i < ints.length; i++) yield String(ints[i]);
  }

  /**
   * One SSCAN step over a hashtable-encoded set (see KeyTable.scan for the
   * cursor's guarantee). An intset returns everything with cursor 0, as
   * Redis does for its compact encodings.
   */
  scan(cursor: number, count: number): ScanStep {
    if (this.ints !== null) return { cursor: 0, keys: [...this.members()] };
    return this.table!.scan(cursor, count);
  }

  /** A deep copy in the same encoding (COPY). */
  clone(): RedisSet {
    const copy = new RedisSet(this.encoding);
    if (this.ints !== null) copy.ints = this.ints.slice();
    else for (const member of this.members()) copy.table!.set(member, true, 0);
    return copy;
  }

  private convertToHashtable(): void {
    const table = new KeyTable<true>();
    for (const member of this.members()) table.set(member, true, 0);
    this.ints = null;
    this.table = table;
  }
}
