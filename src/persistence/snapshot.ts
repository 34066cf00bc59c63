/**
 * A background save without fork: the file is written in slices between
 * client work, and the data it writes is the data as it was when the save
 * began. Keys are visited with the keyspace's hash-ordered scan, whose cursor
 * is a position in hash space: a key is already written exactly when its
 * hash is below the cursor. Before any change to a key not yet written (the
 * keyspace's beforeChange hook, and the dispatcher for in-place changes to
 * collections made by write commands), the snapshot keeps a copy of the key
 * as it was (or notes that it did not exist), and writes that copy instead.
 * FLUSHDB/FLUSHALL replace a database's tables rather than emptying them and
 * SWAPDB exchanges them, so the snapshot follows tables, not database numbers.
 * @module
 */

import { hashKey, type KeyTable } from "../store/keytable.ts";
import {
  cloneValue,
  type Database,
  type RedisValue,
} from "../store/keyspace.ts";
import type { AccessData } from "./rdb_file.ts";

/**
 * Where a snapshot writes: the RDB file writer (BGSAVE, an RDB-form AOF
 * base) or the AOF command writer (a base as commands).
 */
export interface SnapshotWriter {
  /** Bytes waiting for the next flush. */
  readonly buffered: number;
  /** Starts database `id`, with its size and number of expiring keys. */
  selectDb(id: number, size: number, expiring: number): void;
  /** One key; `expireAt` is Unix ms or -1, `access` the LRU/LFU datum. */
  entry(key: string, value: RedisValue, expireAt: number, access: number): void;
}

/** A key as it was when the save began. */
interface KeptKey {
  value: RedisValue;
  expireAt: number;
  access: number;
}

/** Marks a key that did not exist when the save began. */
const ABSENT = null;

/** One database's tables as the save found them, and its progress. */
interface TableState {
  id: number;
  data: KeyTable<RedisValue>;
  expires: Map<string, number>;
  db: Database;
  /** Hash-space position: keys hashing below it are written. */
  cursor: number;
  started: boolean;
  done: boolean;
  kept: Map<string, KeptKey | typeof ABSENT>;
}

/** Keys per scan step. */
const STEP_KEYS = 256;

/** A save in progress over a set of databases. */
export class Snapshot {
  private readonly tables = new Map<KeyTable<RedisValue>, TableState>();
  private readonly order: TableState[] = [];
  private current = 0;
  /** Keys written so far (INFO current_save_keys_processed). */
  keysWritten = 0;
  readonly keysTotal: number;

  constructor(
    dbs: Database[],
    private readonly writer: SnapshotWriter,
    private readonly access: AccessData,
  ) {
    let total = 0;
    for (const db of dbs) {
      total += db.size;
      if (db.size === 0) continue;
      const state: TableState = {
        id: db.id,
        data: db.data,
        expires: db.expires,
        db,
        cursor: 0,
        started: false,
        done: false,
        kept: new Map(),
      };
      this.tables.set(db.data, state);
      this.order.push(state);
    }
    this.keysTotal = total;
  }

  /** The keyspace hook: keeps `key` as it is now if the save still needs it. */
  beforeChange(db: Database, key: string): void {
    const state = this.tables.get(db.data);
    if (state === undefined || state.done || state.kept.has(key)) return;
    if (state.started && hashKey(key) < state.cursor) return;
    const value = state.data.get(key);
    if (value === undefined) {
      state.kept.set(key, ABSENT);
      return;
    }
    state.kept.set(key, {
      value: cloneValue(value),
      expireAt: state.expires.get(key) ?? -1,
      access: this.accessOf(state, key),
    });
  }

  private accessOf(state: TableState, key: string): number {
    if (this.access === "lru") return state.db.idleSeconds(key);
    if (this.access === "lfu") return state.db.accessFrequency(key);
    return 0;
  }

  /**
   * Writes keys until `deadline` (performance.now() ms) or the writer holds
   * `maxBuffered` bytes; true when every key is written.
   */
  step(deadline: number, maxBuffered: number): boolean {
    const writer = this.writer;
    while (this.current < this.order.length) {
      const state = this.order[this.current];
      if (!state.started) {
        writer.selectDb(state.id, state.data.size, state.expires.size);
        state.started = true;
      }
      const { cursor, keys } = state.data.scan(state.cursor, STEP_KEYS);
      for (const key of keys) {
        const kept = state.kept.get(key);
        if (kept === ABSENT) continue;
        if (kept !== undefined) {
          writer.entry(key, kept.value, kept.expireAt, kept.access);
          state.kept.delete(key);
        } else {
          const value = state.data.get(key)!;
          writer.entry(
            key,
            value,
            state.expires.get(key) ?? -1,
            this.accessOf(state, key),
          );
        }
        this.keysWritten++;
      }
      if (cursor === 0) {
        // Keys deleted since the start are still owed.
        for (const [key, kept] of state.kept) {
          if (kept === ABSENT) continue;
          writer.entry(key, kept.value, kept.expireAt, kept.access);
          this.keysWritten++;
        }
        state.kept.clear();
        state.done = true;
        this.current++;
      } else {
        state.cursor = cursor;
      }
      if (
        writer.buffered >= maxBuffered || performance.now() >= deadline
      ) {
        return this.current >= this.order.length;
      }
    }
    return true;
  }
}
