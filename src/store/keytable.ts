/**
 * The hash table behind a database: open addressing with linear probing,
 * where a key's home slot is the *top* bits of its 32-bit hash. Keys thus sit
 * in (nearly) hash order whatever the table's size, which gives SCAN a
 * stateless cursor: a cursor is a hash value, one call returns the keys whose
 * hashes fall in `[cursor, next)`, and that stays true across any number of
 * resizes, inserts and deletes in between (every key present for the whole
 * iteration is returned, and exactly once). Each slot also carries the key's
 * access stamp (Redis's per-object LRU/LFU field) in a typed array, so
 * touching a key costs one store.
 *
 * Costs per slot: key and value references (8 bytes each), the hash and the
 * access stamp (4 bytes each); the load stays between 1/8 and 3/4.
 * @module
 */

const MIN_CAPACITY = 8;
/** 2^32: the end of the cursor space. */
const HASH_SPACE = 4294967296;
/** Seeded per process so keys cannot be chosen to collide. */
const SEED = crypto.getRandomValues(new Uint32Array(1))[0];

/** 32-bit hash of a binary string (FNV-1a, then murmur3's finaliser for the top bits). */
export function hashKey(key: string): number {
  let h = SEED;
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** One SCAN step: the keys found and the cursor to continue from (0 when done). */
export interface ScanStep {
  cursor: number;
  keys: string[];
}

/** A Map-like table from binary-string keys to values with hash-ordered scanning. */
export class KeyTable<V> {
  private keys: (string | undefined)[] = [];
  private values: (V | undefined)[] = [];
  private hashes = new Uint32Array(0);
  private stamps = new Uint32Array(0);
  private mask = 0;
  private shift = 32;
  private count = 0;

  constructor() {
    this.allocate(MIN_CAPACITY);
  }

  /** Number of keys. */
  get size(): number {
    return this.count;
  }

  /** Number of slots (for memory accounting and tests). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Slot of `key`, or -1. */
  slotOf(key: string): number {
    return this.find(key, hashKey(key));
  }

  /** Value of `key` without touching its access stamp. */
  get(key: string): V | undefined {
    const slot = this.find(key, hashKey(key));
    return slot === -1 ? undefined : this.values[slot];
  }

  /** True when `key` is present. */
  has(key: string): boolean {
    return this.find(key, hashKey(key)) !== -1;
  }

  /** Key in `slot` (a slot returned by {@linkcode slotOf}). */
  keyAt(slot: number): string {
    return this.keys[slot]!;
  }

  /** Value in `slot`. */
  valueAt(slot: number): V {
    return this.values[slot]!;
  }

  /** Replaces the value in `slot`, keeping the access stamp. */
  setValueAt(slot: number, value: V): void {
    this.values[slot] = value;
  }

  /** Access stamp of `slot`. */
  stampAt(slot: number): number {
    return this.stamps[slot];
  }

  /** Sets the access stamp of `slot`. */
  setStampAt(slot: number, stamp: number): void {
    this.stamps[slot] = stamp;
  }

  /**
   * Stores `value` under `key` with access stamp `stamp`; returns the slot.
   * An existing key keeps its place.
   */
  set(key: string, value: V, stamp: number): number {
    const hash = hashKey(key);
    let slot = this.find(key, hash);
    if (slot === -1) {
      if ((this.count + 1) * 4 > this.capacity * 3) {
        this.resize(this.capacity * 2);
      }
      slot = hash >>> this.shift;
      while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.hashes[slot] = hash;
      this.count++;
    }
    this.values[slot] = value;
    this.stamps[slot] = stamp;
    return slot;
  }

  /**
   * Grows the table so `count` keys fit without further resizing. Loading an
   * RDB file calls it with the announced size: keys arriving in hash order
   * (a file this process wrote) would otherwise crowd into the low slots of
   * a small table and make every insert probe a long cluster.
   */
  reserve(count: number): void {
    let capacity = this.capacity;
    while (count * 4 > capacity * 3) capacity *= 2;
    if (capacity > this.capacity) this.resize(capacity);
  }

  /** Removes `key`; true when it was present. */
  delete(key: string): boolean {
    const slot = this.find(key, hashKey(key));
    if (slot === -1) return false;
    this.removeSlot(slot);
    if (this.count * 8 < this.capacity && this.capacity > MIN_CAPACITY) {
      this.resize(this.capacity / 2);
    }
    return true;
  }

  /** Removes every key and releases the slots. */
  clear(): void {
    this.allocate(MIN_CAPACITY);
  }

  /** Every key, in slot order; the table must not change meanwhile. */
  *keyNames(): IterableIterator<string> {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key !== undefined) yield key;
    }
  }

  /** Every `[key, value]` pair, like a Map's iterator. */
  *[Symbol.iterator](): IterableIterator<[string, V]> {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key !== undefined) yield [key, this.values[i]!];
    }
  }

  /** A uniformly chosen slot's key, or the next one after it; undefined when empty. */
  randomKey(): string | undefined {
    if (this.count === 0) return undefined;
    let slot = Math.floor(Math.random() * this.capacity);
    while (this.keys[slot] === undefined) slot = (slot + 1) & this.mask;
    return this.keys[slot];
  }

  /**
   * One SCAN step from `cursor` (a hash value in [0, 2^32)): returns the keys
   * whose hashes lie in `[cursor, next)`, where the range spans enough home
   * slots to hold about `count` keys at the current load, and `next` (0 once
   * the whole hash space is covered).
   */
  scan(cursor: number, count: number): ScanStep {
    if (cursor >= HASH_SPACE) return { cursor: 0, keys: [] };
    const capacity = this.capacity;
    const load = Math.max(this.count / capacity, 1 / (count * 10));
    const span = Math.max(1, Math.ceil(count / load));
    const first = Math.floor(cursor / 2 ** this.shift);
    const endSlot = Math.min(first + span, capacity);
    const end = endSlot * 2 ** this.shift;
    const keys: string[] = [];
    // Keys with homes in [first, endSlot) lie at or after their home, up to
    // the end of their cluster (wrapping past the last slot).
    for (let s = first; s < first + capacity; s++) {
      const slot = s & this.mask;
      const key = this.keys[slot];
      if (key === undefined) {
        if (s >= endSlot) break;
        continue;
      }
      const hash = this.hashes[slot];
      if (hash >= cursor && hash < end) keys.push(key);
    }
    return { cursor: end === HASH_SPACE ? 0 : end, keys };
  }

  private find(key: string, hash: number): number {
    const keys = this.keys;
    const mask = this.mask;
    let slot = hash >>> this.shift;
    for (;;) {
      const k = keys[slot];
      if (k === undefined) return -1;
      if (this.hashes[slot] === hash && k === key) return slot;
      slot = (slot + 1) & mask;
    }
  }

  /** Empties `slot`, shifting later members of its cluster back (no tombstones). */
  private removeSlot(slot: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let hole = slot;
    let next = (slot + 1) & mask;
    while (keys[next] !== undefined) {
      const home = this.hashes[next] >>> this.shift;
      // Move `next` into the hole unless its home lies strictly after the hole.
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        keys[hole] = keys[next];
        this.values[hole] = this.values[next];
        this.hashes[hole] = this.hashes[next];
        this.stamps[hole] = this.stamps[next];
        hole = next;
      }
      next = (next + 1) & mask;
    }
    keys[hole] = undefined;
    this.values[hole] = undefined;
    this.count--;
  }

  private allocate(capacity: number): void {
    this.keys = new Array(capacity).fill(undefined);
    this.values = new Array(capacity).fill(undefined);
    this.hashes = new Uint32Array(capacity);
    this.stamps = new Uint32Array(capacity);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    this.count = 0;
  }

  private resize(capacity: number): void {
    const { keys, values, hashes, stamps, count } = this;
    this.allocate(capacity);
    this.count = count;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key === undefined) continue;
      const hash = hashes[i];
      let slot = hash >>> this.shift;
      while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.values[slot] = values[i];
      this.hashes[slot] = hash;
      this.stamps[slot] = stamps[i];
    }
  }
}
