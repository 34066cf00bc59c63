/**
 * The keyspace: numbered databases mapping binary-string keys to values, with
 * expiry times kept apart as Redis keeps its `expires` dict, and a per-key
 * access stamp as Redis keeps in each object's LRU field (seconds of a coarse
 * clock, or under an LFU policy a decaying logarithmic access counter).
 * Pure data: no I/O.
 * @module
 */

import { HashValue } from "./hash.ts";
import { KeyTable, type ScanStep } from "./keytable.ts";
import { ListValue } from "./list.ts";
import { RedisSet } from "./set.ts";
import { StreamValue } from "./stream.ts";
import { MutableString, type StringValue } from "./string.ts";
import { SortedSet } from "./zset.ts";

/**
 * A stored value: strings are plain binary strings or, once changed in place,
 * MutableStrings (store/string.ts); other types are objects.
 */
export type RedisValue = StringValue | RedisObject;

/** A non-string value; each data type file defines one. */
export interface RedisObject {
  /** The name TYPE reports. */
  readonly type: "list" | "hash" | "set" | "zset" | "stream";
}

/** The name TYPE reports for a value. */
export function typeName(value: RedisValue): string {
  return typeof value === "string" ? "string" : value.type;
}

/** True for string values in either representation. */
export function isString(value: RedisValue): value is StringValue {
  return typeof value === "string" || value.type === "string";
}

/**
 * A deep copy of `value` for COPY: later changes to either must not show in
 * the other. Each data type adds its rule here as it lands.
 */
export function cloneValue(value: RedisValue): RedisValue {
  if (typeof value === "string") return value; // immutable
  if (value.type === "string") {
    const copy = new MutableString(value.view());
    copy.encoding = value.encoding;
    return copy;
  }
  if (value instanceof HashValue) return value.clone();
  if (value instanceof ListValue) return value.clone();
  if (value instanceof SortedSet) return value.clone();
  if (value instanceof RedisSet) return value.clone();
  if (value instanceof StreamValue) return value.clone();
  throw new Error(`no clone rule for ${value.type}`);
}

/** LFU counter of a new key (Redis's LFU_INIT_VAL). */
const LFU_INIT = 5;

/** How access stamps are kept; the server cron refreshes it from the config. */
const access = {
  /** Unix seconds, refreshed by the server cron (Redis's server.lruclock). */
  clock: Math.floor(Date.now() / 1000),
  lfu: false,
  lfuLogFactor: 10,
  lfuDecayMinutes: 1,
};

/** Refreshes the coarse access clock (the server cron calls it). */
export function updateAccessClock(nowMs: number): void {
  access.clock = Math.floor(nowMs / 1000);
}

/** The coarse access clock in Unix seconds: what idle times are measured against. */
export function accessClock(): number {
  return access.clock;
}

/**
 * Chooses what access stamps record: LRU seconds, or LFU counters growing
 * with `lfuLogFactor` and decaying one step per `lfuDecayMinutes`. Stamps
 * written before a switch are read the new way, as in Redis.
 */
export function setAccessPolicy(
  lfu: boolean,
  lfuLogFactor: number,
  lfuDecayMinutes: number,
): void {
  access.lfu = lfu;
  access.lfuLogFactor = lfuLogFactor;
  access.lfuDecayMinutes = lfuDecayMinutes;
}

/** True when an LFU maxmemory policy is in force (OBJECT FREQ answers). */
export function tracksFrequency(): boolean {
  return access.lfu;
}

/** Minutes on a 16-bit wrapping clock, as LFU stamps keep them. */
function lfuMinutes(): number {
  return Math.floor(access.clock / 60) & 0xffff;
}

/** The LFU counter in `stamp` after its decay for the minutes elapsed. */
function lfuDecayed(stamp: number): number {
  const counter = stamp & 0xff;
  if (access.lfuDecayMinutes === 0) return counter;
  const then = stamp >>> 8;
  const now = lfuMinutes();
  const elapsed = now >= then ? now - then : 0xffff - then + now;
  const periods = Math.floor(elapsed / access.lfuDecayMinutes);
  return periods > counter ? 0 : counter - periods;
}

/** Redis's LFULogIncr: the counter grows with probability 1/(base*factor+1). */
function lfuIncrement(counter: number): number {
  if (counter === 255) return 255;
  const base = Math.max(counter - LFU_INIT, 0);
  return Math.random() < 1 / (base * access.lfuLogFactor + 1)
    ? counter + 1
    : counter;
}

/** The stamp of a key just written. */
function freshStamp(): number {
  return access.lfu ? ((lfuMinutes() << 8) | LFU_INIT) >>> 0 : access.clock;
}

/** The stamp of a key after one more access. */
function touchedStamp(stamp: number): number {
  if (!access.lfu) return access.clock;
  return ((lfuMinutes() << 8) | lfuIncrement(lfuDecayed(stamp))) >>> 0;
}

/** Random picks of expired keys before RANDOMKEY settles for one. */
const RANDOM_KEY_TRIES = 100;

/** One database. Expired keys are removed lazily on access and by the active cycle. */
export class Database {
  /** Key to value, with per-key access stamps and hash-ordered scanning. */
  data = new KeyTable<RedisValue>();
  /** Key to absolute expiry time in Unix milliseconds. */
  expires = new Map<string, number>();
  /**
   * Called for a key found expired; the server routes it to its single
   * expiry event (src/expire.ts). Returns true when the key now reads as
   * missing: a primary deletes it, a replica hides it from its clients but
   * keeps it for the primary's DEL, and lets the primary's own commands see
   * it (Redis's expireIfNeeded).
   */
  onExpired: (db: Database, key: string) => boolean = (db, key) =>
    db.delete(key);

  constructor(readonly id: number) {}

  /** Number of keys, expired-but-untouched ones included, as DBSIZE counts. */
  get size(): number {
    return this.data.size;
  }

  /** True when `key` has an expiry before `now` (Redis's keyIsExpired). */
  isExpired(key: string, now: number): boolean {
    if (this.expires.size === 0) return false;
    const at = this.expires.get(key);
    return at !== undefined && at < now;
  }

  /**
   * Returns the live value of `key` and records the access; an expired key
   * is removed (through {@linkcode onExpired}) and reads as missing.
   */
  get(key: string, now: number): RedisValue | undefined {
    const data = this.data;
    const slot = data.slotOf(key);
    if (slot === -1) return undefined;
    if (
      this.expires.size !== 0 && this.isExpired(key, now) &&
      this.onExpired(this, key)
    ) {
      return undefined;
    }
    data.setStampAt(slot, touchedStamp(data.stampAt(slot)));
    return data.valueAt(slot);
  }

  /** Like {@linkcode get} without recording an access (Redis's LOOKUP_NOTOUCH). */
  peek(key: string, now: number): RedisValue | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    if (this.isExpired(key, now) && this.onExpired(this, key)) {
      return undefined;
    }
    return value;
  }

  /**
   * Called when a list, hash, set, sorted set or stream is stored under a
   * key (Redis's dbAdd signalling the key as ready): clients blocked on the
   * key may now be served. Strings never are, so they skip it.
   */
  onCollectionStored?: (db: Database, key: string) => void;

  /**
   * Called when a key that did not exist is stored (Redis's dbAdd): the
   * server fires the `new` keyspace event from it.
   */
  onKeyAdded?: (db: Database, key: string) => void;

  /**
   * Called before `key` is stored, replaced, deleted or has its expiry
   * changed, while a background save (src/persistence/snapshot.ts) needs the
   * key as it was when the save began. In-place changes to a collection are
   * announced by the dispatcher for the command's keys.
   */
  beforeChange?: (db: Database, key: string) => void;

  /** Stores `value`, dropping any expiry (SET semantics). */
  set(key: string, value: RedisValue): void {
    this.beforeChange?.(this, key);
    const data = this.data;
    const size = data.size;
    data.set(key, value, freshStamp());
    if (data.size !== size) this.onKeyAdded?.(this, key);
    if (this.expires.size !== 0) this.expires.delete(key);
    if (typeof value === "object" && value.type !== "string") {
      this.onCollectionStored?.(this, key);
    } else this.onKeyDeleted?.(this, key); // a string may replace a stream
  }

  /** Replaces the value but keeps the key's expiry (in-place updates, KEEPTTL). */
  overwrite(key: string, value: RedisValue): void {
    this.beforeChange?.(this, key);
    const data = this.data;
    const size = data.size;
    data.set(key, value, freshStamp());
    if (data.size !== size) this.onKeyAdded?.(this, key);
  }

  /**
   * Called when a key is deleted or a string stored under it (Redis's
   * signalDeletedKeyAsReady): clients blocked in XREADGROUP on a stream
   * must learn that it is gone.
   */
  onKeyDeleted?: (db: Database, key: string) => void;

  /** Deletes `key`; true when it existed. */
  delete(key: string): boolean {
    this.beforeChange?.(this, key);
    if (!this.data.delete(key)) return false;
    if (this.expires.size !== 0) this.expires.delete(key);
    this.onKeyDeleted?.(this, key);
    return true;
  }

  /** Sets the absolute expiry of an existing key. */
  setExpire(key: string, at: number): void {
    this.beforeChange?.(this, key);
    this.expires.set(key, at);
  }

  /** Expiry time of `key` in Unix ms, or -1 when it has none. */
  getExpire(key: string): number {
    return this.expires.get(key) ?? -1;
  }

  /** Removes the expiry of `key` (PERSIST); true when it had one. */
  persist(key: string): boolean {
    this.beforeChange?.(this, key);
    return this.expires.delete(key);
  }

  /** Seconds since `key` was last accessed (OBJECT IDLETIME); the key must exist. */
  idleSeconds(key: string): number {
    const stamp = this.data.stampAt(this.data.slotOf(key));
    return Math.max(access.clock - stamp, 0);
  }

  /** The key's decayed LFU counter (OBJECT FREQ); the key must exist. */
  accessFrequency(key: string): number {
    return lfuDecayed(this.data.stampAt(this.data.slotOf(key)));
  }

  /**
   * A random live key (RANDOMKEY), or undefined when there is none; expired
   * keys met on the way are removed through {@linkcode onExpired}.
   */
  randomKey(now: number): string | undefined {
    // A replica keeps expired keys: when every key may be one, give up
    // looking for a live key after a while, as Redis's dbRandomKey does.
    let tries = this.expires.size === this.data.size ? RANDOM_KEY_TRIES : -1;
    for (;;) {
      const key = this.data.randomKey();
      if (key === undefined || !this.isExpired(key, now)) return key;
      if (!this.onExpired(this, key)) return key;
      if (--tries === 0 && this.data.has(key)) return key;
    }
  }

  /** One SCAN step over the keys (expired ones included); see KeyTable.scan. */
  scan(cursor: number, count: number): ScanStep {
    return this.data.scan(cursor, count);
  }

  /** Every key name, expired ones included; the database must not change meanwhile. */
  keyNames(): IterableIterator<string> {
    return this.data.keyNames();
  }

  /** Exchanges the whole contents with `other` (SWAPDB); ids and hooks stay. */
  swap(other: Database): void {
    [this.data, other.data] = [other.data, this.data];
    [this.expires, other.expires] = [other.expires, this.expires];
  }

  /** Called after every key was removed (FLUSHDB, FLUSHALL). */
  onFlushed?: (db: Database) => void;

  /**
   * Removes every key. Fresh tables replace the old ones rather than
   * emptying them, so a background save still holding the old ones keeps
   * its view of the data as it was.
   */
  clear(): void {
    this.data = new KeyTable<RedisValue>();
    this.expires = new Map();
    this.onFlushed?.(this);
  }

  /** Sets how long ago `key` was last accessed (RESTORE IDLETIME, RDB loading); the key must exist. */
  setIdleSeconds(key: string, seconds: number): void {
    this.data.setStampAt(
      this.data.slotOf(key),
      Math.max(access.clock - seconds, 0),
    );
  }

  /** Sets the LFU counter of `key` (RESTORE FREQ, RDB loading); the key must exist. */
  setFrequency(key: string, counter: number): void {
    this.data.setStampAt(
      this.data.slotOf(key),
      ((lfuMinutes() << 8) | (counter & 0xff)) >>> 0,
    );
  }
}
