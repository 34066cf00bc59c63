/**
 * The append-only file, as Redis 7.0's aof.c keeps it: a multi-part AOF in
 * `appenddirname` (a base, incr files, the manifest; see aof_manifest.ts).
 * Propagated writes are buffered and written before any reply leaves
 * (`appendfsync always` syncs them too; `everysec` syncs about once a second
 * off the event loop; `no` leaves it to the OS). BGREWRITEAOF opens a new
 * incr file at once and writes a new base from a snapshot in slices (the
 * copy-on-write of snapshot.ts, as BGSAVE does), then switches the manifest
 * by a temp file and rename and deletes the history files.
 * @module
 */

import {
  closeSync,
  existsSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import process from "node:process";
import { setImmediate } from "node:timers";
import { Client } from "../client.ts";
import { replay } from "../commands/dispatch.ts";
import { strerror } from "../config.ts";
import type { Connection } from "../net/types.ts";
import { binaryToBytes, binaryToText } from "../protocol/binary.ts";
import { PROPAGATE_AOF, type PropagationTarget } from "../propagate.ts";
import type { Server } from "../server.ts";
import { AofCommandWriter, encodeCommand, readCommands } from "./aof_format.ts";
import {
  AofManifest,
  formatManifest,
  ManifestError,
  parseManifest,
} from "./aof_manifest.ts";
import { RdbFileWriter } from "./rdb_file.ts";
import type { SliceOutcome } from "./service.ts";
import { Snapshot, type SnapshotWriter } from "./snapshot.ts";

/** Consecutive failures after which automatic rewrites back off (AOF_REWRITE_LIMITE_THRESHOLD). */
const REWRITE_LIMIT_THRESHOLD = 3;

/** AOF_OFF, AOF_ON, AOF_WAIT_REWRITE. */
type AofState = "off" | "on" | "wait_rewrite";

/** A background rewrite in progress. */
interface RunningRewrite {
  snapshot: Snapshot;
  writer: SnapshotWriter & { flush(): void; end(): void };
  fd: number;
  tempPath: string;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** A file the AOF cannot be loaded from: the server must not start. */
export class AofLoadError extends Error {}

/** A connection that goes nowhere, for the client that replays the AOF. */
const NO_CONNECTION: Connection = {
  remoteAddress: "",
  localAddress: "",
  unix: false,
  write: () => undefined,
  close: () => {},
  setKeepAlive: () => {},
};

/** Joins a file name to a directory, as Redis's makePath. */
function inDir(dir: string, name: string): string {
  return `${dir}/${name}`;
}

/** The AOF of one server. */
export class AppendOnlyFile implements PropagationTarget {
  readonly kind = PROPAGATE_AOF;
  state: AofState = "off";
  manifest = new AofManifest();
  /** Descriptor of the incr file being appended to, or -1. */
  private fd = -1;
  /** Commands not yet written, as binary strings. */
  private buffer: string[] = [];
  private bufferLength = 0;
  private selectedDb = -1;
  private lastTimestamp = 0;
  /** Bytes of the base and incr files (aof_current_size). */
  currentSize = 0;
  /** Bytes written to the current incr file. */
  private lastIncrSize = 0;
  /** aof_current_size after the last rewrite (aof_base_size). */
  rewriteBaseSize = 0;
  private fsyncOffset = 0;
  private lastFsync = 0;
  /** A background fsync is running (aof_pending_bio_fsync). */
  fsyncInProgress = false;
  lastWriteOk = true;
  lastWriteError = "";
  private lastWriteErrorLog = 0;
  rewriteScheduled = false;
  lastRewriteOk = true;
  lastRewriteSeconds = -1;
  private rewriteStartedAt = -1;
  rewrites = 0;
  consecutiveFailures = 0;
  private nextDelayMinutes = 0;
  private nextRewriteTime = 0;
  private rewrite: RunningRewrite | undefined;
  /** Clients whose replies wait for the next group commit (`always`). */
  private readonly held = new Set<Client>();
  private groupCommitQueued = false;

  constructor(private readonly server: Server) {}

  private get dir(): string {
    return binaryToText(this.server.config.string("appenddirname"));
  }

  private get fileName(): string {
    return binaryToText(this.server.config.string("appendfilename"));
  }

  private get fsyncPolicy(): string {
    return this.server.config.string("appendfsync");
  }

  private log(level: "notice" | "warning" | "verbose", message: string): void {
    this.server.log[level](message);
  }

  /** True while a BGREWRITEAOF runs. */
  get rewriteInProgress(): boolean {
    return this.rewrite !== undefined;
  }

  /** Bytes waiting to be written (aof_buffer_length). */
  get bufferedBytes(): number {
    return this.bufferLength;
  }

  /** Seconds the running rewrite has taken, or -1. */
  get currentRewriteSeconds(): number {
    return this.rewriteStartedAt === -1
      ? -1
      : Math.floor(Date.now() / 1000) - this.rewriteStartedAt;
  }

  // -------------------------------------------------------------------------
  // Start

  /**
   * At start, before anything is loaded: reads the manifest when the
   * directory has one (aofLoadManifestFromDisk). A bad manifest stops the
   * start with Redis's report.
   */
  loadManifestFromDisk(): void {
    const path = inDir(this.dir, `${this.fileName}.manifest`);
    if (!existsSync(path)) return;
    let text: string;
    try {
      text = String.fromCharCode(...readFileSync(path));
    } catch (error) {
      throw new AofLoadError(
        `Fatal error: can't open the AOF manifest file ${path} for reading: ${
          strerror(error)
        }`,
      );
    }
    try {
      this.manifest = parseManifest(text);
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      this.log("warning", "\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
      if (error.line) {
        this.log(
          "warning",
          `Reading the manifest file, at line ${error.line[0]}\n`,
        );
        this.log("warning", `>>> '${error.line[1]}'\n`);
      }
      throw new AofLoadError(`${error.message}\n`);
    }
  }

  /**
   * Loads the base and incr files into the (empty) databases, moving an old
   * single-file `appendfilename` into the directory first (loadAppendOnlyFiles).
   * Throws AofLoadError when the server must not start.
   */
  loadAtStart(): void {
    const manifest = this.manifest;
    const name = this.fileName;
    if (existsSync(name)) {
      const dirMissing = !existsSync(this.dir);
      if (
        dirMissing || manifest.empty ||
        (manifest.base?.name === name && manifest.incr.length === 0 &&
          !existsSync(inDir(this.dir, name)))
      ) {
        this.upgradeOldFile();
      }
    }
    if (manifest.empty) return;
    const files = [...(manifest.base ? [manifest.base] : []), ...manifest.incr];
    let total = 0;
    for (const file of files) {
      try {
        total += statSync(inDir(this.dir, file.name)).size;
      } catch (error) {
        this.log(
          "warning",
          `Unable to obtain the AOF file ${file.name} length. stat: ${
            strerror(error)
          }`,
        );
        throw new AofLoadError("AOF loading aborted");
      }
    }
    if (total === 0) return;
    const started = performance.now();
    files.forEach((file, i) => {
      const fileStarted = performance.now();
      const truncated = this.loadFile(file.name, i === files.length - 1);
      if (truncated !== "empty") {
        this.log(
          "notice",
          `DB loaded from ${
            file.type === "b" ? "base" : "incr"
          } file ${file.name}: ${
            ((performance.now() - fileStarted) / 1000).toFixed(3)
          } seconds`,
        );
      }
    });
    this.currentSize = total;
    this.rewriteBaseSize = manifest.base
      ? statSync(inDir(this.dir, manifest.base.name)).size
      : 0;
    this.fsyncOffset = total;
    this.log(
      "notice",
      `DB loaded from append only file: ${
        ((performance.now() - started) / 1000).toFixed(3)
      } seconds`,
    );
  }

  /** Moves an old-style `appendfilename` into the directory as the base (aofUpgradePrepare). */
  private upgradeOldFile(): void {
    const name = this.fileName;
    this.createDir();
    this.manifest.base = { name, seq: 1, type: "b" };
    this.manifest.baseSeq = 1;
    this.persistManifestOrThrow(this.manifest);
    try {
      renameSync(name, inDir(this.dir, name));
    } catch (error) {
      throw new AofLoadError(
        `Error trying to move the old AOF file ${name} into dir ${this.dir}: ${
          strerror(error)
        }`,
      );
    }
    this.log(
      "notice",
      `Successfully migrated an old-style AOF file (${name}) into the AOF directory (${this.dir}).`,
    );
  }

  private createDir(): void {
    try {
      mkdirSync(this.dir);
    } catch (error) {
      if ((error as { code?: string }).code === "EEXIST") return;
      throw new AofLoadError(
        `Can't open or create append-only dir ${this.dir}: ${strerror(error)}`,
      );
    }
  }

  /**
   * Replays one file: an RDB image first when it starts with "REDIS", then
   * commands. Returns "empty" for an empty file, "truncated" when a
   * truncated tail was cut off (aof-load-truncated), "ok" otherwise.
   */
  private loadFile(name: string, last: boolean): "ok" | "empty" | "truncated" {
    const path = inDir(this.dir, name);
    let bytes: Uint8Array;
    try {
      if (statSync(path).size === 0) return "empty";
      bytes = readFileSync(path);
    } catch (error) {
      throw new AofLoadError(
        `Fatal error: can't open the append log file ${name} for reading: ${
          strerror(error)
        }`,
      );
    }
    let start = 0;
    if (String.fromCharCode(...bytes.subarray(0, 5)) === "REDIS") {
      const oldStyle = name === this.fileName;
      this.log(
        "notice",
        oldStyle
          ? "Reading RDB preamble from AOF file..."
          : "Reading RDB base file on AOF loading...",
      );
      try {
        start = this.server.persistence.loadImage(bytes, this.server.dbs).end;
      } catch (error) {
        this.log("warning", (error as Error).message);
        throw new AofLoadError(
          oldStyle
            ? `Error reading the RDB preamble of the AOF file ${name}, AOF loading aborted`
            : `Error reading the RDB base file ${name}, AOF loading aborted`,
        );
      }
      if (oldStyle) this.log("notice", "Reading the remaining AOF tail...");
    }
    const client = new AofClient(this.server);
    let validUpTo = start;
    let validBeforeMulti = start;
    let end;
    const { propagation } = this.server;
    this.server.loadingAof = true;
    propagation.suspended = true;
    try {
      end = readCommands(bytes, start, (argv, at) => {
        if (!this.server.commands.get(argv[0])) {
          throw new AofLoadError(
            `Unknown command '${argv[0]}' reading the append only file ${name}`,
          );
        }
        if (argv[0].toLowerCase() === "multi") validBeforeMulti = validUpTo;
        replay(this.server, client, argv);
        validUpTo = at;
      });
    } finally {
      this.server.loadingAof = false;
      propagation.suspended = false;
      this.server.removeClient(client);
    }
    if (end.kind === "format") {
      throw new AofLoadError(
        `Bad file format reading the append only file ${name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`,
      );
    }
    if (end.kind === "ok" && client.transaction === undefined) return "ok";
    if (end.kind === "ok") {
      this.log(
        "warning",
        `Revert incomplete MULTI/EXEC transaction in AOF file ${name}`,
      );
      validUpTo = validBeforeMulti;
    }
    if (this.server.config.bool("aof-load-truncated")) {
      this.log(
        "warning",
        `!!! Warning: short read while loading the AOF file ${name}!!!`,
      );
      this.log(
        "warning",
        `!!! Truncating the AOF ${name} at offset ${validUpTo} !!!`,
      );
      try {
        truncateSync(path, validUpTo);
        this.log(
          "warning",
          `AOF ${name} loaded anyway because aof-load-truncated is enabled`,
        );
        if (!last) {
          throw new AofLoadError(
            "Fatal error: the truncated file is not the last file",
          );
        }
        return "truncated";
      } catch (error) {
        if (error instanceof AofLoadError) throw error;
        this.log(
          "warning",
          `Error truncating the AOF file ${name}: ${strerror(error)}`,
        );
      }
    }
    throw new AofLoadError(
      `Unexpected end of file reading the append only file ${name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
    );
  }

  /**
   * After loading at start with `appendonly yes`: writes a base when there
   * is nothing yet, opens the last incr file (or a new one) for appending
   * and saves the manifest (aofOpenIfNeededOnServerStart), then deletes
   * history files.
   */
  openAtStart(): void {
    if (!this.server.config.bool("appendonly")) return;
    this.createDir();
    const manifest = this.manifest;
    const hadIncr = manifest.incr.length > 0;
    if (manifest.empty) {
      const base = manifest.newBase(this.fileName, this.preamble());
      if (!this.writeBaseNow(inDir(this.dir, base))) {
        throw new AofLoadError("Can't create the AOF base file");
      }
      this.log("notice", `Creating AOF base file ${base} on server start`);
    }
    const incr = manifest.lastIncr(this.fileName);
    try {
      this.fd = openSync(inDir(this.dir, incr), "a");
    } catch (error) {
      throw new AofLoadError(
        `Can't open the append-only file ${incr}: ${strerror(error)}`,
      );
    }
    this.persistManifestOrThrow(manifest);
    this.lastIncrSize = statSync(inDir(this.dir, incr)).size;
    if (manifest.base && this.currentSize === 0) {
      this.currentSize =
        this.rewriteBaseSize =
          statSync(inDir(this.dir, manifest.base.name)).size +
          this.lastIncrSize;
      this.fsyncOffset = this.currentSize;
    }
    this.log(
      "notice",
      `${
        hadIncr ? "Opening" : "Creating"
      } AOF incr file ${incr} on server start`,
    );
    this.state = "on";
    this.server.propagation.addTarget(this);
    this.deleteHistoryFiles();
  }

  private preamble(): boolean {
    return this.server.config.bool("aof-use-rdb-preamble");
  }

  /** Writes the whole dataset to `path` at once (rewriteAppendOnlyFile). */
  private writeBaseNow(path: string): boolean {
    const temp = `temp-rewriteaof-${process.pid}.aof`;
    try {
      const fd = openSync(temp, "w");
      try {
        const writer = this.baseWriter(fd);
        new Snapshot(this.server.dbs, writer, "none").step(Infinity, Infinity);
        writer.end();
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
      return true;
    } catch (error) {
      this.log(
        "warning",
        `Write error writing append only file on disk: ${strerror(error)}`,
      );
      try {
        unlinkSync(temp);
      } catch {
        // never created
      }
      return false;
    }
  }

  /** The writer of a base: RDB (aof-use-rdb-preamble yes) or commands. */
  private baseWriter(fd: number): RunningRewrite["writer"] {
    const sink = (chunk: Uint8Array) => writeAll(fd, chunk);
    if (this.preamble()) {
      const options = this.server.persistence.writeOptions();
      const writer = new RdbFileWriter(options, sink);
      writer.header(this.server.persistence.aux(true));
      return writer;
    }
    const writer = new AofCommandWriter(sink);
    if (this.server.config.bool("aof-timestamp-enabled")) {
      writer.timestamp(Math.floor(Date.now() / 1000));
    }
    return writer;
  }

  // -------------------------------------------------------------------------
  // Manifest

  /** Writes the manifest through a temp file and a rename; false (logged) on failure. */
  private persistManifest(manifest: AofManifest): boolean {
    const name = `${this.fileName}.manifest`;
    const tempName = `temp-${name}`;
    let fd = -1;
    try {
      fd = openSync(inDir(this.dir, tempName), "w");
    } catch (error) {
      this.log(
        "warning",
        `Can't open the AOF manifest file ${tempName}: ${strerror(error)}`,
      );
      return false;
    }
    try {
      writeAll(fd, binaryToBytes(formatManifest(manifest)));
      fsyncSync(fd);
      renameSync(inDir(this.dir, tempName), inDir(this.dir, name));
    } catch (error) {
      this.log(
        "warning",
        `Error trying to write the temporary AOF manifest file ${tempName}: ${
          strerror(error)
        }`,
      );
      return false;
    } finally {
      closeSync(fd);
    }
    try {
      const dirFd = openSync(this.dir, "r");
      fsyncSync(dirFd);
      closeSync(dirFd);
    } catch {
      // Some file systems cannot sync a directory; the rename stands.
    }
    return true;
  }

  private persistManifestOrThrow(manifest: AofManifest): void {
    if (!this.persistManifest(manifest)) {
      throw new AofLoadError("Can't persist the AOF manifest");
    }
  }

  /** Deletes the history files and saves the manifest without them (aofDelHistoryFiles). */
  private deleteHistoryFiles(): void {
    if (this.server.config.bool("aof-disable-auto-gc")) return;
    const history = this.manifest.history;
    if (history.length === 0) return;
    for (const file of history) {
      this.log(
        "notice",
        `Removing the history file ${file.name} in the background`,
      );
      try {
        unlinkSync(inDir(this.dir, file.name));
      } catch {
        // already gone
      }
    }
    this.manifest.history = [];
    this.persistManifest(this.manifest);
  }

  // -------------------------------------------------------------------------
  // Writing

  /** PropagationTarget: one command for database `db` (feedAppendOnlyFile). */
  feed(db: number, argv: string[]): void {
    if (this.state === "off") return;
    if (this.state === "wait_rewrite" && !this.rewrite) return;
    let text = "";
    if (this.server.config.bool("aof-timestamp-enabled")) {
      const now = Math.floor(Date.now() / 1000);
      if (this.lastTimestamp < now) {
        this.lastTimestamp = now;
        text += `#TS:${now}\r\n`;
      }
    }
    if (db !== -1 && db !== this.selectedDb) {
      text += encodeCommand(["SELECT", String(db)]);
      this.selectedDb = db;
    }
    text += encodeCommand(argv);
    this.buffer.push(text);
    this.bufferLength += text.length;
  }

  /**
   * Called before `client`'s replies are written: the commands they
   * acknowledge reach the file first (and the disk, with `always`), as
   * Redis flushes the AOF in beforeSleep. True when the replies must wait
   * for the group commit, which flushes the client again.
   */
  beforeReplies(client: Client): boolean {
    if (this.bufferLength === 0) return false;
    if (this.fsyncPolicy !== "always") {
      this.flush();
      return false;
    }
    // One write and fsync for every client that has written this turn of
    // the event loop (Redis syncs once per beforeSleep): the replies wait.
    this.held.add(client);
    if (!this.groupCommitQueued) {
      this.groupCommitQueued = true;
      setImmediate(() => this.groupCommit());
    }
    return true;
  }

  private groupCommit(): void {
    this.groupCommitQueued = false;
    this.flush();
    const clients = [...this.held];
    this.held.clear();
    for (const client of clients) client.flush();
  }

  /**
   * Writes the buffer and syncs per `appendfsync` (flushAppendOnlyFile). A
   * failed write with `always` ends the process; otherwise the data stays
   * buffered, writes are refused with MISCONF and the cron tries again.
   */
  flush(): void {
    const now = Math.floor(Date.now() / 1000);
    const policy = this.fsyncPolicy;
    if (this.bufferLength === 0) {
      if (
        policy === "everysec" && this.fsyncOffset !== this.currentSize &&
        now > this.lastFsync && !this.fsyncInProgress
      ) {
        this.sync(policy, now);
      }
      return;
    }
    if (this.fd === -1) return;
    const text = this.buffer.length === 1
      ? this.buffer[0]
      : this.buffer.join("");
    const bytes = binaryToBytes(text);
    try {
      writeAll(this.fd, bytes);
    } catch (error) {
      // A partial write is cut off again so the file stays loadable; the
      // whole buffer is retried later.
      try {
        ftruncateSync(this.fd, this.lastIncrSize);
      } catch {
        // the next load truncates or refuses, as aof-load-truncated says
      }
      this.buffer = [text];
      this.writeFailed(strerror(error), now);
      return;
    }
    if (!this.lastWriteOk) {
      this.log(
        "warning",
        "AOF write error looks solved, Redis can write again.",
      );
      this.lastWriteOk = true;
    }
    this.currentSize += bytes.length;
    this.lastIncrSize += bytes.length;
    this.buffer = [];
    this.bufferLength = 0;
    this.sync(policy, now);
  }

  private writeFailed(reason: string, now: number): void {
    if (now - this.lastWriteErrorLog > 30) {
      this.lastWriteErrorLog = now;
      this.log("warning", `Error writing to the AOF file: ${reason}`);
    }
    this.lastWriteError = reason;
    if (this.fsyncPolicy === "always") {
      this.log(
        "warning",
        "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...",
      );
      process.exit(1);
    }
    this.lastWriteOk = false;
  }

  private sync(policy: string, now: number): void {
    if (
      this.server.config.bool("no-appendfsync-on-rewrite") &&
      this.server.persistence.snapshotting
    ) return;
    if (policy === "always") {
      try {
        fsyncSync(this.fd);
      } catch (error) {
        this.log(
          "warning",
          `Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${
            strerror(error)
          }. Exiting...`,
        );
        process.exit(1);
      }
      this.fsyncOffset = this.currentSize;
      this.lastFsync = now;
    } else if (policy === "everysec" && now > this.lastFsync) {
      if (!this.fsyncInProgress) {
        this.fsyncInProgress = true;
        const offset = this.currentSize;
        fsync(this.fd, () => {
          this.fsyncInProgress = false;
          this.fsyncOffset = Math.max(this.fsyncOffset, offset);
        });
      }
      this.lastFsync = now;
    }
  }

  /** Writes and syncs what is buffered, whatever the policy (shutdown, appendonly no). */
  flushAndSync(): void {
    if (this.fd === -1) return;
    this.flush();
    try {
      fsyncSync(this.fd);
      this.fsyncOffset = this.currentSize;
    } catch (error) {
      this.log("warning", `Fail to fsync the AOF file: ${strerror(error)}`);
    }
  }

  // -------------------------------------------------------------------------
  // Turning on and off

  /**
   * CONFIG SET appendonly yes: the AOF waits for a background rewrite to
   * write its base (startAppendOnly). Returns an error text for CONFIG SET.
   */
  start(): string | null {
    if (this.state !== "off") return null;
    this.state = "wait_rewrite";
    this.server.propagation.addTarget(this);
    if (this.server.persistence.snapshotting) {
      this.rewriteScheduled = true;
      this.log(
        "warning",
        "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.",
      );
    } else if (this.server.inExec) {
      this.rewriteScheduled = true;
      this.log(
        "warning",
        "AOF was enabled during a transaction. An AOF background was scheduled to start when possible.",
      );
    } else if (!this.startRewrite()) {
      this.state = "off";
      this.server.propagation.removeTarget(this);
      this.log(
        "warning",
        "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.",
      );
      return "Unable to turn on AOF. Check server logs.";
    }
    this.lastFsync = Math.floor(Date.now() / 1000);
    if (!this.lastWriteOk) {
      this.log("warning", "AOF reopen, just ignore the last error.");
      this.lastWriteOk = true;
    }
    return null;
  }

  /** CONFIG SET appendonly no: syncs and closes the file (stopAppendOnly). */
  stop(): void {
    if (this.state === "off") return;
    this.flushAndSync();
    if (this.fd !== -1) closeSync(this.fd);
    this.fd = -1;
    this.selectedDb = -1;
    this.state = "off";
    this.rewriteScheduled = false;
    this.lastIncrSize = 0;
    this.killRewrite();
    this.buffer = [];
    this.bufferLength = 0;
    this.server.propagation.removeTarget(this);
  }

  /**
   * For a replica's full sync: turns the AOF off before the dataset is
   * replaced (Redis stops it so the load is not logged command by command).
   * Returns whether it was on, for {@linkcode restartAfterSync}.
   */
  stopForSync(): boolean {
    const wasOn = this.state !== "off";
    this.stop();
    return wasOn;
  }

  /**
   * After a replica's full sync loaded: turns the AOF back on with a rewrite
   * of the new dataset, retrying every second until it starts
   * (restartAOFAfterSYNC).
   */
  restartAfterSync(): void {
    if (this.start() === null) return;
    this.log(
      "warning",
      "Failed enabling the AOF after successful master synchronization! Trying it again in one second.",
    );
    setTimeout(() => this.restartAfterSync(), 1000);
  }

  // -------------------------------------------------------------------------
  // Rewriting

  /** BGREWRITEAOF's reply, as bgrewriteaofCommand words it. */
  backgroundRewriteCommand(): { ok: boolean; text: string } {
    if (this.rewrite) {
      return {
        ok: false,
        text: "ERR Background append only file rewriting already in progress",
      };
    }
    if (this.server.persistence.snapshotting || this.server.inExec) {
      this.rewriteScheduled = true;
      this.consecutiveFailures = 0;
      return {
        ok: true,
        text: "Background append only file rewriting scheduled",
      };
    }
    if (this.startRewrite()) {
      return {
        ok: true,
        text: "Background append only file rewriting started",
      };
    }
    return {
      ok: false,
      text:
        "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
    };
  }

  /**
   * Starts a background rewrite (rewriteAppendOnlyFileBackground): a new
   * incr file takes the writes from now on, and the base is written in
   * slices from a snapshot. False (logged) when it cannot start.
   */
  startRewrite(): boolean {
    if (this.server.persistence.snapshotting) return false;
    try {
      this.createDir();
    } catch (error) {
      this.log("warning", (error as Error).message);
      this.lastRewriteOk = false;
      return false;
    }
    this.selectedDb = -1;
    this.flush();
    if (!this.openNewIncr()) {
      this.lastRewriteOk = false;
      return false;
    }
    this.rewrites++;
    const tempPath = `temp-rewriteaof-bg-${process.pid}.aof`;
    let fd: number;
    try {
      fd = openSync(tempPath, "w");
    } catch (error) {
      this.log(
        "warning",
        `Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): ${
          strerror(error)
        }`,
      );
      this.lastRewriteOk = false;
      this.consecutiveFailures++;
      return false;
    }
    const writer = this.baseWriter(fd);
    const snapshot = new Snapshot(this.server.dbs, writer, "none");
    this.server.persistence.attachSnapshot(snapshot);
    this.rewrite = { snapshot, writer, fd, tempPath, timer: undefined };
    this.log(
      "notice",
      `Background append only file rewriting started by pid ${process.pid}`,
    );
    this.rewriteScheduled = false;
    this.rewriteStartedAt = Math.floor(Date.now() / 1000);
    this.scheduleSlice();
    return true;
  }

  /** Opens the incr file writes go to while the rewrite runs (openNewIncrAofForAppend). */
  private openNewIncr(): boolean {
    if (this.state === "off") return true;
    let manifest: AofManifest | undefined;
    let name: string;
    if (this.state === "wait_rewrite") {
      name = `temp-${this.fileName}.incr`;
    } else {
      manifest = this.manifest.clone();
      name = manifest.newIncr(this.fileName);
    }
    let fd: number;
    try {
      fd = openSync(inDir(this.dir, name), "w");
    } catch (error) {
      this.log(
        "warning",
        `Can't open the append-only file ${name}: ${strerror(error)}`,
      );
      return false;
    }
    if (manifest && !this.persistManifest(manifest)) {
      closeSync(fd);
      return false;
    }
    this.log("notice", `Creating AOF incr file ${name} on background rewrite`);
    if (this.fd !== -1) {
      const old = this.fd;
      fsync(old, () => closeSync(old));
      this.fsyncOffset = this.currentSize;
      this.lastFsync = Math.floor(Date.now() / 1000);
    }
    this.fd = fd;
    this.lastIncrSize = 0;
    if (manifest) this.manifest = manifest;
    return true;
  }

  private scheduleSlice(delayMs = 0): void {
    this.rewrite!.timer = setTimeout(() => this.slice(), delayMs);
  }

  /** Writes the next keys of the base, paced as a BGSAVE is (Persistence.writeSlice). */
  private slice(): void {
    const rewrite = this.rewrite;
    if (!rewrite) return;
    let outcome: SliceOutcome;
    try {
      outcome = this.server.persistence.writeSlice(rewrite.snapshot);
      rewrite.writer.flush();
      if (outcome.done) rewrite.writer.end();
    } catch (error) {
      this.log(
        "warning",
        `Write error writing append only file on disk: ${strerror(error)}`,
      );
      this.rewriteFailed();
      return;
    }
    if (!outcome.done) {
      this.scheduleSlice(outcome.waitMs);
      return;
    }
    rewrite.timer = setTimeout(() => this.syncBase(rewrite), outcome.waitMs);
  }

  /** Syncs the written base off the event loop (clients are served meanwhile), then closes it. */
  private syncBase(rewrite: RunningRewrite): void {
    rewrite.timer = undefined;
    fsync(rewrite.fd, (error) => {
      if (this.rewrite !== rewrite) return; // killed meanwhile
      try {
        if (error) throw error;
        closeSync(rewrite.fd);
      } catch (error) {
        this.log(
          "warning",
          `Write error writing append only file on disk: ${strerror(error)}`,
        );
        this.rewriteFailed();
        return;
      }
      this.log(
        "notice",
        `Successfully created the temporary AOF base file ${rewrite.tempPath}`,
      );
      this.rewriteDone();
    });
  }

  /** The base is written: switch the manifest to it (backgroundRewriteDoneHandler). */
  private rewriteDone(): void {
    const rewrite = this.rewrite!;
    this.log("notice", "Background AOF rewrite terminated with success");
    const manifest = this.manifest.clone();
    const base = manifest.newBase(this.fileName, this.preamble());
    const basePath = inDir(this.dir, base);
    try {
      renameSync(rewrite.tempPath, basePath);
    } catch (error) {
      this.log(
        "warning",
        `Error trying to rename the temporary AOF base file ${rewrite.tempPath} into ${basePath}: ${
          strerror(error)
        }`,
      );
      this.rewriteFailed();
      return;
    }
    this.log(
      "notice",
      `Successfully renamed the temporary AOF base file ${rewrite.tempPath} into ${base}`,
    );
    let incrPath: string | undefined;
    if (this.state === "wait_rewrite") {
      const tempIncr = `temp-${this.fileName}.incr`;
      const incr = manifest.newIncr(this.fileName);
      incrPath = inDir(this.dir, incr);
      try {
        renameSync(inDir(this.dir, tempIncr), incrPath);
      } catch (error) {
        this.log(
          "warning",
          `Error trying to rename the temporary AOF incr file ${
            inDir(this.dir, tempIncr)
          } into ${incrPath}: ${strerror(error)}`,
        );
        unlinkQuietly(basePath);
        this.rewriteFailed();
        return;
      }
      this.log(
        "notice",
        `Successfully renamed the temporary AOF incr file ${tempIncr} into ${incr}`,
      );
    }
    manifest.markIncrAsHistory(this.fd !== -1);
    if (!this.persistManifest(manifest)) {
      unlinkQuietly(basePath);
      if (incrPath) unlinkQuietly(incrPath);
      this.rewriteFailed();
      return;
    }
    this.manifest = manifest;
    if (this.fd !== -1) {
      this.selectedDb = -1;
      this.currentSize = statSync(basePath).size + this.lastIncrSize;
      this.rewriteBaseSize = this.currentSize;
      this.fsyncOffset = this.currentSize;
      this.lastFsync = Math.floor(Date.now() / 1000);
    }
    this.deleteHistoryFiles();
    this.lastRewriteOk = true;
    this.consecutiveFailures = 0;
    this.log("notice", "Background AOF rewrite finished successfully");
    if (this.state === "wait_rewrite") this.state = "on";
    this.endRewrite();
  }

  private rewriteFailed(): void {
    this.lastRewriteOk = false;
    this.consecutiveFailures++;
    this.log("warning", "Background AOF rewrite terminated with error");
    const rewrite = this.rewrite!;
    try {
      closeSync(rewrite.fd);
    } catch {
      // already closed
    }
    unlinkQuietly(rewrite.tempPath);
    this.endRewrite();
  }

  /** Clean-up after a rewrite, done or failed. */
  private endRewrite(): void {
    const rewrite = this.rewrite!;
    if (rewrite.timer !== undefined) clearTimeout(rewrite.timer);
    this.rewrite = undefined;
    this.server.persistence.attachSnapshot(undefined);
    if (this.state === "wait_rewrite") {
      // The temp incr file only mattered for this rewrite.
      this.buffer = [];
      this.bufferLength = 0;
      const tempIncr = `temp-${this.fileName}.incr`;
      this.log(
        "notice",
        `Removing the temp incr aof file ${tempIncr} in the background`,
      );
      unlinkQuietly(inDir(this.dir, tempIncr));
      if (this.fd !== -1) closeSync(this.fd);
      this.fd = -1;
      this.rewriteScheduled = true;
    }
    this.lastRewriteSeconds = Math.floor(Date.now() / 1000) -
      this.rewriteStartedAt;
    this.rewriteStartedAt = -1;
  }

  /** Stops a running rewrite and drops its file (killAppendOnlyChild). */
  killRewrite(): void {
    const rewrite = this.rewrite;
    if (!rewrite) return;
    this.log("notice", `Killing running AOF rewrite child: ${process.pid}`);
    if (rewrite.timer !== undefined) clearTimeout(rewrite.timer);
    try {
      closeSync(rewrite.fd);
    } catch {
      // already closed
    }
    unlinkQuietly(rewrite.tempPath);
    this.rewrite = undefined;
    this.server.persistence.attachSnapshot(undefined);
    this.rewriteStartedAt = -1;
  }

  /** After repeated failures, automatic rewrites wait 1, 2, 4 ... 60 minutes (aofRewriteLimited). */
  private rewriteLimited(): boolean {
    if (this.consecutiveFailures < REWRITE_LIMIT_THRESHOLD) {
      this.nextDelayMinutes = 0;
      this.nextRewriteTime = 0;
      return false;
    }
    const now = Math.floor(Date.now() / 1000);
    if (this.nextRewriteTime !== 0) {
      if (now < this.nextRewriteTime) return true;
      this.nextRewriteTime = 0;
      return false;
    }
    this.nextDelayMinutes = Math.min(
      this.nextDelayMinutes === 0 ? 1 : this.nextDelayMinutes * 2,
      60,
    );
    this.nextRewriteTime = now + this.nextDelayMinutes * 60;
    this.log(
      "warning",
      `Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${this.nextDelayMinutes} minutes`,
    );
    return true;
  }

  /** Ten times a second: scheduled and automatic rewrites, pending writes and syncs. */
  cron(): void {
    const config = this.server.config;
    if (!this.server.persistence.snapshotting) {
      if (this.rewriteScheduled && !this.rewriteLimited()) {
        this.startRewrite();
      } else if (this.state === "on") {
        const percentage = config.number("auto-aof-rewrite-percentage");
        const base = this.rewriteBaseSize || 1;
        const growth = Math.floor(this.currentSize * 100 / base) - 100;
        if (
          percentage > 0 &&
          this.currentSize > config.number("auto-aof-rewrite-min-size") &&
          growth >= percentage && !this.rewriteLimited()
        ) {
          this.log(
            "notice",
            `Starting automatic rewriting of AOF on ${growth}% growth`,
          );
          this.startRewrite();
        }
      }
    }
    if (this.state !== "off") this.flush();
  }

  // -------------------------------------------------------------------------
  // DEBUG LOADAOF

  /**
   * DEBUG LOADAOF: writes what is buffered, empties the databases and loads
   * them back from the AOF files; a file that cannot be loaded ends the
   * process, as in Redis.
   */
  reload(): void {
    if (this.state === "on") this.flush();
    for (const db of this.server.dbs) db.clear();
    try {
      this.loadManifestFromDisk();
      this.deleteHistoryFiles();
      this.loadAtStart();
    } catch (error) {
      // Redis exits here too: the dataset is gone and the file is bad.
      this.log("warning", (error as Error).message);
      process.exit(1);
    }
    this.server.dirty = 0;
    this.log("warning", "Append Only File loaded by DEBUG LOADAOF");
  }
}

/** The client the AOF is replayed as: it replies to nobody and never blocks. */
class AofClient extends Client {
  constructor(server: Server) {
    super(server, NO_CONNECTION);
    this.replyMode = "off";
    this.out.muted = true;
    this.authenticated = true;
  }
}

/** Writes all of `bytes`, retrying short writes; returns the count written. */
function writeAll(fd: number, bytes: Uint8Array): number {
  let written = 0;
  while (written < bytes.length) {
    written += writeSync(fd, bytes, written, bytes.length - written);
  }
  return written;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
