/**
 * RDB persistence for a server: SAVE, BGSAVE (sliced, see snapshot.ts),
 * `save` points checked by the cron, loading at start, DEBUG RELOAD, and the
 * state INFO persistence reports. Files are written to `temp-<pid>.rdb` in
 * `dir` (the working directory), synced, then renamed over `dbfilename`, as
 * Redis does, so a crash never leaves a half-written dump behind.
 * @module
 */

import {
  closeSync,
  existsSync,
  fsync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import process from "node:process";
import { currentDir, strerror } from "../config.ts";
import type { Server } from "../server.ts";
import { Database } from "../store/keyspace.ts";
import type { EncodingLimits } from "./rdb_decoder.ts";
import {
  type AccessData,
  auxFields,
  loadRdb,
  type LoadResult,
  RdbFileWriter,
  readReplicationSaveInfo,
  type ReplicationSaveInfo,
  serializeDatabases,
  type WriteOptions,
} from "./rdb_file.ts";
import { Snapshot } from "./snapshot.ts";
import { deletionOf } from "../propagate.ts";

/** Wait after a failed background save before save points try again (CONFIG_BGSAVE_RETRY_DELAY). */
const RETRY_DELAY_S = 5;
/** Time a snapshot slice may take before clients get their turn. */
const SLICE_MS = 5;
/** RDB bytes a snapshot slice may buffer before they are handed on. */
const SLICE_BYTES = 1 << 18;
/**
 * The stdio buffer Redis's rdbSave writes through: a file that fits in it
 * first reaches the disk at the final fflush, a larger one while rdbSaveRio
 * writes, and a write error names that step.
 */
const STDIO_BUFFER = 4096;

/** The step of rdbSave a write error of a `fileBytes` long file is reported at. */
function failedWriteStep(fileBytes: number): string {
  return fileBytes <= STDIO_BUFFER ? "fflush" : "rdbSaveRio";
}

/** The step of writing a file that failed (named as rdbSave's), and its error. */
interface SaveFailure {
  step: string;
  error: unknown;
}

/** Runs one step of writing a file: undefined, or how it failed. */
function attempt(step: string, action: () => void): SaveFailure | undefined {
  try {
    action();
  } catch (error) {
    return { step, error };
  }
}

/** Closes `fd`, which may be closed already. */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** Removes a temp file, which may not exist. */
function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, or already gone
  }
}

/**
 * Whole seconds from Unix ms `start` to now, as Redis subtracts time(NULL)
 * values: a save from 9.9 s to 10.1 s took 1 second.
 */
function secondsSince(start: number): number {
  return Math.floor(Date.now() / 1000) - Math.floor(start / 1000);
}

/**
 * The save point that starts a background save now, as serverCron picks
 * it: enough changes, more seconds than the point's since the last
 * successful save, and, after a failed one, more than
 * CONFIG_BGSAVE_RETRY_DELAY seconds since that attempt. Times in Unix
 * seconds.
 */
export function dueSavePoint(
  points: [number, number][],
  state: {
    dirty: number;
    now: number;
    lastSave: number;
    lastTry: number;
    lastOk: boolean;
  },
): [number, number] | undefined {
  const { dirty, now, lastSave, lastTry, lastOk } = state;
  return points.find(([seconds, changes]) =>
    dirty >= changes && now - lastSave > seconds &&
    (now - lastTry > RETRY_DELAY_S || lastOk)
  );
}

/** What one slice of a background snapshot did. */
export interface SliceOutcome {
  /** Every key is written. */
  done: boolean;
  /** The wait (ms) `rdb-key-save-delay` asks for before the next step. */
  waitMs: number;
}

/** A background save in progress. */
interface RunningSave {
  snapshot: Snapshot;
  writer: RdbFileWriter;
  /** The temp file's descriptor, -1 once closed. */
  fd: number;
  tempPath: string;
  /** Bytes handed to the file so far (which step a write error is reported at). */
  bytesWritten: number;
  startedAt: number;
  dirtyAtStart: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Told how the save ended (a disk-form full sync sends the file then). */
  onEnd?: (ok: boolean) => void;
}

/** The persistence state of one server. */
export class Persistence {
  /** Unix seconds of the last successful save (LASTSAVE). */
  lastSave: number;
  lastBgsaveOk = true;
  lastBgsaveSeconds = -1;
  /** Unix seconds of the last background save attempt. */
  lastBgsaveTry = 0;
  /** rdb_saves: SAVE commands and background saves started, failed ones too. */
  saves = 0;
  bgsaveScheduled = false;
  lastLoadKeysLoaded = 0;
  lastLoadKeysExpired = 0;
  private running: RunningSave | undefined;
  /**
   * The snapshot being written, by a BGSAVE or an AOF rewrite: like Redis's
   * single child, one at a time.
   */
  private snapshot: Snapshot | undefined;
  /** Unix ms a diskless full sync's snapshot started (Redis's socket-target RDB child), or 0. */
  private socketSaveStart = 0;

  constructor(private readonly server: Server) {
    this.lastSave = Math.floor(Date.now() / 1000);
  }

  /** True while a BGSAVE or a diskless full sync's snapshot runs (Redis's RDB child). */
  get bgsaveInProgress(): boolean {
    return this.running !== undefined || this.socketSaveStart !== 0;
  }

  /** True while a BGSAVE or an AOF rewrite writes a snapshot (hasActiveChildProcess). */
  get snapshotting(): boolean {
    return this.snapshot !== undefined;
  }

  /**
   * Makes `snapshot` the one that keys about to change are copied for, or
   * none (undefined) when it is done; `toReplicas` for a diskless full
   * sync's, which counts as an RDB save in progress.
   */
  attachSnapshot(snapshot: Snapshot | undefined, toReplicas = false): void {
    this.snapshot = snapshot;
    this.socketSaveStart = snapshot && toReplicas ? Date.now() : 0;
    const hook = snapshot &&
      ((db: Database, key: string) => snapshot.beforeChange(db, key));
    for (const db of this.server.dbs) db.beforeChange = hook;
  }

  /** Keys written and to write by the running save (INFO). */
  get progress(): [number, number] {
    const s = this.bgsaveInProgress ? this.snapshot : undefined;
    return s ? [s.keysWritten, s.keysTotal] : [0, 0];
  }

  /** Seconds the running save has taken, or -1. */
  get currentSeconds(): number {
    const started = this.running?.startedAt ?? this.socketSaveStart;
    return started ? secondsSince(started) : -1;
  }

  /** The `save` points as [seconds, changes] pairs. */
  savePoints(): [number, number][] {
    const words = this.server.config.string("save").trim().split(/\s+/)
      .filter((w) => w !== "");
    const points: [number, number][] = [];
    for (let i = 0; i + 1 < words.length; i += 2) {
      points.push([Number(words[i]), Number(words[i + 1])]);
    }
    return points;
  }

  private path(): string {
    return this.server.config.string("dbfilename");
  }

  /** How RDB bytes are written under the current config. */
  writeOptions(): WriteOptions {
    const config = this.server.config;
    const policy = config.string("maxmemory-policy");
    const access: AccessData = policy.endsWith("-lru")
      ? "lru"
      : policy.endsWith("-lfu")
      ? "lfu"
      : "none";
    return {
      compress: config.bool("rdbcompression"),
      checksum: config.bool("rdbchecksum"),
      access,
    };
  }

  /** The aux fields of a file written now; `aofBase` for an AOF base (aof-base 1). */
  aux(aofBase = false): [string, string][] {
    return auxFields(
      "7.0.15",
      process.memoryUsage().heapUsed,
      Date.now(),
      aofBase ? undefined : this.replicationSaveInfo(),
    ).map((
      [name, value],
    ) => [name, name === "aof-base" && aofBase ? "1" : value]);
  }

  /**
   * Where the stream stands, for a file's repl-* fields, when Redis writes
   * them (rdbPopulateSaveInfo): on a primary that has a backlog, and on a
   * replica with a primary, connected or cached.
   */
  private replicationSaveInfo(): ReplicationSaveInfo | undefined {
    const { replica, primary } = this.server;
    const streamDb = replica.isReplica
      ? replica.streamDb()
      : primary.backlog
      ? Math.max(primary.selectedDb, 0)
      : undefined;
    if (streamDb === undefined) return undefined;
    const { replid, offset } = this.server.replication;
    return { streamDb, replid, offset };
  }

  /** The encoding limits loaded values are rebuilt with. */
  limits(): EncodingLimits {
    const config = this.server.config;
    return {
      hash: {
        maxEntries: config.number("hash-max-listpack-entries"),
        maxValue: config.number("hash-max-listpack-value"),
      },
      zset: {
        maxEntries: config.number("zset-max-listpack-entries"),
        maxValue: config.number("zset-max-listpack-value"),
      },
      setMaxIntsetEntries: config.number("set-max-intset-entries"),
    };
  }

  /**
   * True when write commands (and PING) must be refused with MISCONF, as
   * Redis's writeCommandsDeniedByDiskError: the last background save
   * failed, save points are set and `stop-writes-on-bgsave-error` is on.
   * A later successful SAVE or BGSAVE lifts it.
   */
  writesDenied(): boolean {
    return !this.lastBgsaveOk &&
      this.server.config.bool("stop-writes-on-bgsave-error") &&
      this.savePoints().length > 0;
  }

  /** The log line for a temp file that cannot be created, as rdbSave words it. */
  private logOpenFailure(temp: string, error: unknown): void {
    this.server.log.warning(
      `Failed opening the temp RDB file ${temp} (in server root dir ${
        currentDir() || "unknown"
      }) for saving: ${strerror(error)}`,
    );
  }

  /**
   * The log line for a save whose `step` of rdbSave (fflush, rdbSaveRio,
   * fsync, fclose, rename) failed, as Redis words it.
   */
  private logSaveFailure(temp: string, step: string, error: unknown): void {
    this.server.log.warning(
      step === "rename"
        ? `Error moving temp DB file ${temp} on the final destination ${this.path()} (in server root dir ${
          currentDir() || "unknown"
        }): ${strerror(error)}`
        : `Write error saving DB on disk(${step}): ${strerror(error)}`,
    );
  }

  /** Closes the synced temp file and renames it over `dbfilename`, the end of rdbSave. */
  private closeAndRename(fd: number, temp: string): SaveFailure | undefined {
    return attempt("fclose", () => closeSync(fd)) ??
      attempt("rename", () => renameSync(temp, this.path()));
  }

  /**
   * SAVE: writes the file now; false (after logging why) when it failed. A
   * failed SAVE leaves the background save status as it was, as in Redis,
   * and removes its temp file, so the old dump stays as it was.
   */
  saveSync(): boolean {
    const temp = `temp-${process.pid}.rdb`;
    const bytes = serializeDatabases(
      this.server.dbs,
      this.aux(),
      this.writeOptions(),
    );
    let fd: number;
    try {
      fd = openSync(temp, "w");
    } catch (error) {
      this.logOpenFailure(temp, error);
      return false;
    }
    let failure = attempt(
      failedWriteStep(bytes.length),
      () => writeSync(fd, bytes),
    ) ?? attempt("fsync", () => fsyncSync(fd));
    if (failure) closeQuietly(fd);
    else failure = this.closeAndRename(fd, temp);
    if (failure) {
      this.logSaveFailure(temp, failure.step, failure.error);
      unlinkQuietly(temp);
      return false;
    }
    this.server.log.notice("DB saved on disk");
    this.server.dirty = 0;
    this.lastSave = Math.floor(Date.now() / 1000);
    this.lastBgsaveOk = true;
    return true;
  }

  /**
   * BGSAVE: starts a sliced background save; returns an error text (without
   * the "ERR " prefix) when one cannot start. A full sync's save (Redis's
   * rdbSaveBackground for replication) passes its `aux` fields and `onEnd`,
   * called (never synchronously) with whether the file was saved.
   */
  startBackgroundSave(
    aux = this.aux(),
    onEnd?: (ok: boolean) => void,
  ): string | null {
    if (this.bgsaveInProgress) return "Background save already in progress";
    if (this.snapshot) {
      return "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";
    }
    const server = this.server;
    // Not Redis's temp-<child pid>.rdb: there is no child, and SAVE's
    // temp-<pid>.rdb may be written meanwhile (DEBUG RELOAD, SHUTDOWN).
    const tempPath = `temp-bg-${process.pid}.rdb`;
    this.lastBgsaveTry = Math.floor(Date.now() / 1000);
    this.saves++;
    const started = `Background saving started by pid ${process.pid}`;
    let fd: number;
    try {
      fd = openSync(tempPath, "w");
    } catch (error) {
      // Redis's child fails here after the fork: the save has started and
      // then failed, which is what the client hears and the log tells.
      server.log.notice(started);
      this.logOpenFailure(tempPath, error);
      server.log.warning("Background saving error");
      this.lastBgsaveOk = false;
      this.lastBgsaveSeconds = 0;
      if (onEnd) queueMicrotask(() => onEnd(false));
      return null;
    }
    const options = this.writeOptions();
    const writer = new RdbFileWriter(options, (chunk) => {
      running.bytesWritten += chunk.length;
      writeSync(fd, chunk);
    });
    const snapshot = new Snapshot(server.dbs, writer, options.access);
    const running: RunningSave = {
      snapshot,
      writer,
      fd,
      tempPath,
      bytesWritten: 0,
      startedAt: Date.now(),
      dirtyAtStart: server.dirty,
      timer: undefined,
      onEnd,
    };
    writer.header(aux);
    this.attachSnapshot(snapshot);
    this.running = running;
    server.log.notice(started);
    this.scheduleSlice(0);
    return null;
  }

  /** Announces an in-place change to `key` of `db` to a running save. */
  beforeChange(db: Database, key: string): void {
    this.snapshot?.beforeChange(db, key);
  }

  private scheduleSlice(delayMs: number): void {
    const running = this.running!;
    running.timer = setTimeout(() => this.slice(), delayMs);
  }

  /**
   * Writes the next slice of `snapshot`, as every background writer paces
   * one (BGSAVE, an AOF rewrite, a diskless full sync): until SLICE_MS have
   * passed or SLICE_BYTES wait in the writer, then clients get their turn.
   * `rdb-key-save-delay` (microseconds per key, a testing knob Redis's child
   * obeys by sleeping after each key it writes) makes the slice one scan
   * step and asks for a wait that long per key written before the next one,
   * so a save stays in progress long enough to be watched while clients
   * keep being served.
   */
  writeSlice(snapshot: Snapshot): SliceOutcome {
    const keyDelayUs = this.server.config.number("rdb-key-save-delay");
    const before = snapshot.keysWritten;
    const done = snapshot.step(
      keyDelayUs > 0 ? 0 : performance.now() + SLICE_MS,
      SLICE_BYTES,
    );
    const waitMs = keyDelayUs > 0
      ? (snapshot.keysWritten - before) * keyDelayUs / 1000
      : 0;
    return { done, waitMs };
  }

  /** Writes the next keys of the running BGSAVE (see {@linkcode writeSlice}). */
  private slice(): void {
    const running = this.running;
    if (!running) return;
    let outcome: SliceOutcome | undefined;
    try {
      outcome = this.writeSlice(running.snapshot);
      if (outcome.done) running.writer.end();
      else running.writer.flush();
    } catch (error) {
      const whole = outcome?.done ? running.bytesWritten : Infinity;
      this.failBackgroundSave({ step: failedWriteStep(whole), error });
      return;
    }
    if (!outcome.done) {
      this.scheduleSlice(outcome.waitMs);
      return;
    }
    running.timer = setTimeout(() => this.complete(running), outcome.waitMs);
  }

  /** Syncs the written file (off the event loop: clients are served meanwhile), then renames it. */
  private complete(running: RunningSave): void {
    running.timer = undefined;
    fsync(running.fd, (error) => {
      if (this.running !== running) return; // aborted meanwhile
      let failure: SaveFailure | undefined = { step: "fsync", error };
      if (!error) {
        failure = this.closeAndRename(running.fd, running.tempPath);
        running.fd = -1; // closed, even when the close failed
      }
      if (failure) {
        this.failBackgroundSave(failure);
        return;
      }
      this.server.log.notice("DB saved on disk");
      this.server.log.notice("Background saving terminated with success");
      this.finish(true);
    });
  }

  /** Logs a failed background save as Redis's child and parent do. */
  private failBackgroundSave(failure: SaveFailure): void {
    this.logSaveFailure(
      this.running!.tempPath,
      failure.step,
      failure.error,
    );
    this.server.log.warning("Background saving error");
    this.finish(false);
  }

  private finish(ok: boolean): void {
    const running = this.running!;
    this.running = undefined;
    if (running.timer !== undefined) clearTimeout(running.timer);
    this.attachSnapshot(undefined);
    this.lastBgsaveOk = ok;
    this.lastBgsaveSeconds = secondsSince(running.startedAt);
    if (ok) {
      this.server.dirty -= running.dirtyAtStart;
      this.lastSave = Math.floor(running.startedAt / 1000);
    } else {
      if (running.fd !== -1) closeQuietly(running.fd);
      unlinkQuietly(running.tempPath);
    }
    running.onEnd?.(ok);
  }

  /**
   * Stops a running background save, dropping its file (shutdown, FLUSHALL),
   * after logging `logLine` when one runs.
   */
  abortBackgroundSave(logLine?: string): void {
    if (!this.running) return;
    if (logLine !== undefined) this.server.log.warning(logLine);
    this.finish(false);
    this.lastBgsaveOk = true; // an aborted save is not a failed one
  }

  /** Ten times a second: save points and scheduled BGSAVEs. */
  cron(): void {
    if (this.snapshot) return;
    const now = Math.floor(Date.now() / 1000);
    if (this.bgsaveScheduled) {
      this.bgsaveScheduled = false;
      this.startBackgroundSave();
      return;
    }
    const point = dueSavePoint(this.savePoints(), {
      dirty: this.server.dirty,
      now,
      lastSave: this.lastSave,
      lastTry: this.lastBgsaveTry,
      lastOk: this.lastBgsaveOk,
    });
    if (point === undefined) return;
    const [seconds, changes] = point;
    this.server.log.notice(
      `${changes} changes in ${seconds} seconds. Saving...`,
    );
    this.startBackgroundSave();
  }

  /**
   * Loads `dbfilename` into the (empty) databases at start, logging as Redis
   * does; a missing file is not an error, a bad one is thrown.
   */
  loadAtStart(): void {
    const path = this.path();
    if (!existsSync(path)) return;
    const started = performance.now();
    // A replica keeps expired keys: they are its primary's to delete.
    const asReplica = this.server.config.string("replicaof") !== "";
    const expired: [number, string][] = [];
    const { aux } = this.loadImage(
      readFileSync(path),
      this.server.dbs,
      !asReplica,
      (db, key) => expired.push([db, key]),
    );
    this.server.log.notice(
      `DB loaded from disk: ${
        ((performance.now() - started) / 1000).toFixed(3)
      } seconds`,
    );
    const saved = readReplicationSaveInfo(aux);
    if (!saved) return;
    this.server.replica.restoreHistory(saved, asReplica);
    // Replicas continuing this history still hold the expired keys: their
    // DELs follow the saved offset (Redis's RDBFLAGS_FEED_REPL).
    if (asReplica) return;
    for (const [db, key] of expired) {
      this.server.primary.feed(
        db,
        deletionOf(this.server, "lazyfree-lazy-expire", key),
      );
    }
  }

  /**
   * Loads an RDB image into `dbs`, with Redis's log lines, and returns its
   * aux fields. A replica loading its primary's RDB keeps expired keys
   * (`skipExpired` false): they are the primary's to delete.
   */
  load(
    bytes: Uint8Array,
    dbs: Database[],
    skipExpired = true,
  ): Map<string, string> {
    return this.loadImage(bytes, dbs, skipExpired).aux;
  }

  /**
   * {@linkcode load}, returning everything loading found (an AOF needs the
   * end offset); `onExpired` hears of each key skipped as expired. The log
   * lines are rdb_file.ts's, written as the file is read.
   */
  loadImage(
    bytes: Uint8Array,
    dbs: Database[],
    skipExpired = true,
    onExpired?: (db: number, key: string) => void,
  ): LoadResult {
    const result = loadRdb(bytes, dbs, {
      limits: this.limits(),
      checksum: this.server.config.bool("rdbchecksum"),
      now: skipExpired ? Date.now() : -Infinity,
      log: this.server.log,
      onExpired,
    });
    this.lastLoadKeysLoaded = result.keysLoaded;
    this.lastLoadKeysExpired = result.keysExpired;
    return result;
  }

  /**
   * DEBUG RELOAD: saves (unless `save` is false), empties the databases
   * (unless `flush` is false) and loads the file; returns the error reply,
   * or null. Without `merge`, a key of the file already in memory (only
   * possible with NOFLUSH) is refused with Redis's log line, leaving the
   * data as it was (Redis stops the server there); with it, the file's key
   * replaces the one in memory.
   */
  reload(save: boolean, flush: boolean, merge: boolean): string | null {
    const failed = "ERR Error trying to load the RDB dump, check server logs.";
    if (save && !this.saveSync()) return "ERR";
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(this.path());
    } catch {
      return failed; // Redis has emptied the databases by now; redeno keeps them
    }
    const dbs = this.server.dbs;
    if (flush) { for (const db of dbs) db.clear(); }
    // Loaded apart first when keys may collide, so a refusal changes nothing.
    const target = flush || merge ? dbs : dbs.map((db) => new Database(db.id));
    try {
      this.load(bytes, target);
    } catch (error) {
      this.server.log.warning(`${(error as Error).message}`);
      return failed;
    }
    if (target !== dbs && !this.mergeNew(target)) return failed;
    this.server.log.warning("DB reloaded by DEBUG RELOAD");
    return null;
  }

  /**
   * Moves every key of `loaded` into the server's databases, with its
   * expiry and access data, unless one is there already: then logs it as
   * Redis's loader does and moves nothing.
   */
  private mergeNew(loaded: Database[]): boolean {
    const dbs = this.server.dbs;
    for (const from of loaded) {
      for (const key of from.keyNames()) {
        if (dbs[from.id].data.has(key)) {
          this.server.log.warning(
            `RDB has duplicated key '${key}' in DB ${from.id}`,
          );
          return false;
        }
      }
    }
    for (const from of loaded) {
      const to = dbs[from.id];
      for (const key of from.keyNames()) {
        to.set(key, from.data.get(key)!);
        const at = from.getExpire(key);
        if (at !== -1) to.setExpire(key, at);
        to.data.setStampAt(
          to.data.slotOf(key),
          from.data.stampAt(from.data.slotOf(key)),
        );
      }
    }
    return true;
  }
}
