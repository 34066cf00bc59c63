/**
 * The keyspace: numbered databases mapping binary-string keys to values, with
 * expiry times kept apart as Redis keeps its `expires` dict. Pure data: no I/O.
 * @module
 */

import type { StringValue } from "./string.ts";

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

/** One database. Expired keys are removed lazily on access (and, later, actively). */
export class Database {
  /** Key to value. */
  readonly data = new Map<string, RedisValue>();
  /** Key to absolute expiry time in Unix milliseconds. */
  readonly expires = new Map<string, number>();

  constructor(readonly id: number) {}

  /** Number of keys, expired-but-untouched ones included, as DBSIZE counts. */
  get size(): number {
    return this.data.size;
  }

  /** True when `key` has an expiry in the past (or at `now`). */
  isExpired(key: string, now: number): boolean {
    if (this.expires.size === 0) return false;
    const at = this.expires.get(key);
    return at !== undefined && at <= now;
  }

  /** Returns the live value of `key`, deleting it first if it has expired. */
  get(key: string, now: number): RedisValue | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    if (this.isExpired(key, now)) {
      this.delete(key);
      return undefined;
    }
    return value;
  }

  /** Stores `value`, dropping any expiry (SET semantics). */
  set(key: string, value: RedisValue): void {
    this.data.set(key, value);
    if (this.expires.size !== 0) this.expires.delete(key);
  }

  /** Replaces the value but keeps the key's expiry (in-place updates, KEEPTTL). */
  overwrite(key: string, value: RedisValue): void {
    this.data.set(key, value);
  }

  /** Deletes `key`; true when it existed. */
  delete(key: string): boolean {
    if (!this.data.delete(key)) return false;
    if (this.expires.size !== 0) this.expires.delete(key);
    return true;
  }

  /** Sets the absolute expiry of an existing key. */
  setExpire(key: string, at: number): void {
    this.expires.set(key, at);
  }

  /** Expiry time of `key` in Unix ms, or -1 when it has none. */
  getExpire(key: string): number {
    return this.expires.get(key) ?? -1;
  }

  /** Removes every key. */
  clear(): void {
    this.data.clear();
    this.expires.clear();
  }
}
