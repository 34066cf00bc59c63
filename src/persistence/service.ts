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
import type { Database } from "../store/keyspace.ts";
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
/** Time a BGSAVE slice may take before clients get their turn. */
const SLICE_MS = 5;

/** A background save in progress. */
interface RunningSave {
  snapshot: Snapshot;
  writer: RdbFileWriter;
  fd: number;
  tempPath: string;
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
    return started ? Math.floor((Date.now() - started) / 1000) : -1;
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
   * SAVE: writes the file now; false (after logging why) when it failed. A
   * failed SAVE leaves the background save status as it was, as in Redis.
   */
  saveSync(): boolean {
    const log = this.server.log;
    const temp = `temp-${process.pid}.rdb`;
    this.saves++; // Redis counts attempts in rdb_saves
    try {
      const bytes = serializeDatabases(
        this.server.dbs,
        this.aux(),
        this.writeOptions(),
      );
      const fd = openSync(temp, "w");
      try {
        writeSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.path());
    } catch (error) {
      this.logOpenFailure(temp, error);
      try {
        unlinkSync(temp);
      } catch {
        // never created
      }
      return false;
    }
    log.notice("DB saved on disk");
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
    const tempPath = `temp-bg-${process.pid}.rdb`;
    this.lastBgsaveTry = Math.floor(Date.now() / 1000);
    this.saves++;
    let fd: number;
    try {
      fd = openSync(tempPath, "w");
    } catch (error) {
      // Redis's child fails here after the fork: the save has started and
      // then failed, which is what the client hears and the log tells.
      server.log.notice("Background saving started");
      this.logOpenFailure(tempPath, error);
      server.log.warning("Background saving error");
      this.lastBgsaveOk = false;
      this.lastBgsaveSeconds = 0;
      if (onEnd) queueMicrotask(() => onEnd(false));
      return null;
    }
    const options = this.writeOptions();
    const writer = new RdbFileWriter(options, (chunk) => writeSync(fd, chunk));
    writer.header(aux);
    const snapshot = new Snapshot(server.dbs, writer, options.access);
    this.attachSnapshot(snapshot);
    this.running = {
      snapshot,
      writer,
      fd,
      tempPath,
      startedAt: Date.now(),
      dirtyAtStart: server.dirty,
      timer: undefined,
      onEnd,
    };
    server.log.notice("Background saving started");
    this.scheduleSlice();
    return null;
  }

  /** Announces an in-place change to `key` of `db` to a running save. */
  beforeChange(db: Database, key: string): void {
    this.snapshot?.beforeChange(db, key);
  }

  private scheduleSlice(): void {
    const running = this.running!;
    running.timer = setTimeout(() => this.slice(), 0);
  }

  private slice(): void {
    const running = this.running;
    if (!running) return;
    let done: boolean;
    try {
      done = running.snapshot.step(performance.now() + SLICE_MS, 1 << 18);
      running.writer.flush();
      if (done) running.writer.end();
    } catch (error) {
      this.failBackgroundSave(error as Error);
      return;
    }
    if (!done) {
      this.scheduleSlice();
      return;
    }
    // The sync runs off the event loop: clients are served meanwhile.
    fsync(running.fd, (error) => {
      if (this.running !== running) return; // aborted meanwhile
      try {
        if (error) throw error;
        closeSync(running.fd);
        renameSync(running.tempPath, this.path());
      } catch (error) {
        this.failBackgroundSave(error as Error);
        return;
      }
      this.server.log.notice("Background saving terminated with success");
      this.finish(true);
    });
  }

  private failBackgroundSave(error: Error): void {
    this.server.log.warning(`Background saving error: ${error.message}`);
    this.finish(false);
  }

  private finish(ok: boolean): void {
    const running = this.running!;
    this.running = undefined;
    if (running.timer !== undefined) clearTimeout(running.timer);
    this.attachSnapshot(undefined);
    this.lastBgsaveOk = ok;
    this.lastBgsaveSeconds = Math.round(
      (Date.now() - running.startedAt) / 1000,
    );
    if (ok) {
      this.server.dirty -= running.dirtyAtStart;
      this.lastSave = Math.floor(running.startedAt / 1000);
    } else {
      try {
        closeSync(running.fd);
      } catch {
        // already closed
      }
      try {
        unlinkSync(running.tempPath);
      } catch {
        // already gone
      }
    }
    running.onEnd?.(ok);
  }

  /** Stops a running background save, dropping its file (shutdown, FLUSHALL in Redis). */
  abortBackgroundSave(): void {
    if (!this.running) return;
    this.server.log.warning("There is a child saving an .rdb. Killing it!");
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
    const dirty = this.server.dirty;
    if (dirty === 0) return;
    for (const [seconds, changes] of this.savePoints()) {
      if (
        dirty >= changes && now - this.lastSave > seconds &&
        (now - this.lastBgsaveTry > RETRY_DELAY_S || this.lastBgsaveOk)
      ) {
        this.server.log.notice(
          `${changes} changes in ${seconds} seconds. Saving...`,
        );
        this.startBackgroundSave();
        return;
      }
    }
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
   * end offset); `onExpired` hears of each key skipped as expired.
   */
  loadImage(
    bytes: Uint8Array,
    dbs: Database[],
    skipExpired = true,
    onExpired?: (db: number, key: string) => void,
  ): LoadResult {
    const log = this.server.log;
    const result = loadRdb(bytes, dbs, {
      limits: this.limits(),
      checksum: this.server.config.bool("rdbchecksum"),
      now: skipExpired ? Date.now() : -Infinity,
      notice: (message) => log.notice(message),
      onExpired,
    });
    const version = result.aux.get("redis-ver");
    if (version !== undefined) {
      log.notice(`Loading RDB produced by version ${version}`);
    }
    const ctime = result.aux.get("ctime");
    if (ctime !== undefined) {
      log.notice(
        `RDB age ${Math.floor(Date.now() / 1000) - Number(ctime)} seconds`,
      );
    }
    const usedMem = result.aux.get("used-mem");
    if (usedMem !== undefined) {
      log.notice(
        `RDB memory usage when created ${
          (Number(usedMem) / 1024 / 1024).toFixed(2)
        } Mb`,
      );
    }
    log.notice(
      `Done loading RDB, keys loaded: ${result.keysLoaded}, keys expired: ${result.keysExpired}.`,
    );
    this.lastLoadKeysLoaded = result.keysLoaded;
    this.lastLoadKeysExpired = result.keysExpired;
    return result;
  }

  /** DEBUG RELOAD: saves (unless `save` is false), empties the databases (unless `flush` is false), loads the file. */
  reload(save: boolean, flush = true): string | null {
    if (save && !this.saveSync()) return "Error trying to save the DB";
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(this.path());
    } catch {
      return "Error trying to load the RDB dump, check server logs.";
    }
    if (flush) { for (const db of this.server.dbs) db.clear(); }
    try {
      this.load(bytes, this.server.dbs);
    } catch (error) {
      this.server.log.warning(`${(error as Error).message}`);
      return "Error trying to load the RDB dump, check server logs.";
    }
    return null;
  }
}
