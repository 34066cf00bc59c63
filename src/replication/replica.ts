/**
 * The replica side of replication (the replica half of Redis's
 * replication.c): the link to the primary, its handshake, the full or
 * partial resynchronization, and the command stream applied through a client
 * flagged as the master.
 *
 * The link's states are Redis's repl_state: none (this server is a primary),
 * connect (waiting to dial), connecting, handshake, transfer (the RDB is
 * arriving) and connected. The replication cron, once a second, dials,
 * sends REPLCONF ACK and enforces `repl-timeout`. A lost link keeps the
 * primary's replication ID and offset (Redis's cached master), so the next
 * PSYNC continues where the stream stopped instead of copying everything.
 *
 * The stream goes through a framed RespDecoderStream: each command comes
 * with the stream offset just past it, which is the offset the primary
 * counts and WAIT waits for.
 * @module
 */

import { randomHex } from "../util/random_hex.ts";
import { renameSync, writeFileSync } from "node:fs";
import process from "node:process";
import { Client } from "../client.ts";
import { logState } from "../log.ts";
import { touchAllWatchedKeysInDb } from "../multi.ts";
import type { Connection, ConnectionHandler } from "../net/types.ts";
import { binaryToBytes, bytesToBinary } from "../protocol/binary.ts";
import { type Framed, RespDecoderStream } from "../protocol/decoder.ts";
import { concat, type ReplicationSaveInfo } from "../persistence/rdb_file.ts";
import type { ReplyWriter } from "../protocol/writer.ts";
import type { Server } from "../server.ts";

/** Redis's repl_state values, as ROLE names them (handshake covers the REPLCONF steps). */
export type LinkState =
  | "none"
  | "connect"
  | "connecting"
  | "handshake"
  | "sync"
  | "connected";

/** Length of the `$EOF:` mark that ends a diskless transfer (CONFIG_RUN_ID_SIZE). */
const EOF_MARK_LENGTH = 40;
/** A primary's identity and offset, kept across a lost link for PSYNC. */
interface CachedMaster {
  replid: string;
  offset: number;
  db: number;
}

/** The RDB being received from the primary. */
interface Transfer {
  /** Bytes announced by `$<len>`, or -1 for the `$EOF:` form. */
  size: number;
  read: number;
  chunks: Uint8Array[];
  /** The 40-byte mark ending an `$EOF:` transfer. */
  eofMark: string;
  /** The last bytes received, to spot the mark across chunk boundaries. */
  tail: string;
  /** Unix ms of the last bytes received. */
  lastIo: number;
}

/** Encodes a command as a RESP multibulk, the form Redis sends to its primary. */
function encodeCommand(argv: string[]): Uint8Array {
  let text = `*${argv.length}\r\n`;
  for (const arg of argv) text += `$${arg.length}\r\n${arg}\r\n`;
  return binaryToBytes(text);
}

/**
 * The client the primary's stream runs as (Redis's CLIENT_MASTER): it
 * replies to nobody, counts the stream bytes it read and applied, and
 * answers REPLCONF GETACK itself. Bytes go through a framed
 * {@linkcode RespDecoderStream}, which gives each command with the offset
 * just past it.
 */
export class MasterClient extends Client {
  /** Stream offset of the bytes read (slave_read_repl_offset). */
  readOffset: number;
  /** Stream offset after the last command applied (slave_repl_offset). */
  appliedOffset: number;
  /** Stream offset where this client began: frame ends count from it. */
  private readonly startOffset: number;
  private readonly stream: RespDecoderStream<Framed<string[]>>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  /** Stream bytes read and not yet applied, passed on to sub-replicas once applied. */
  private unapplied: Uint8Array[] = [];
  /** End offset of a command CLIENT PAUSE held back. */
  private postponedEnd = -1;
  /** Wakes the apply loop once a held-back command has run. */
  private resume: (() => void) | undefined;

  constructor(
    server: Server,
    conn: Connection,
    private readonly link: MasterLink,
    offset: number,
  ) {
    super(server, conn);
    this.readOffset = this.appliedOffset = this.startOffset = offset;
    this.replyMode = "off";
    this.out.muted = true;
    this.authenticated = true;
    this.stream = new RespDecoderStream({
      mode: "request",
      limits: server.requestLimits,
      framed: true,
    });
    this.writer = this.stream.writable.getWriter();
    this.applyLoop();
  }

  /** CLIENT LIST shows the primary's link with flag M. */
  override get isMaster(): boolean {
    return true;
  }

  /** Stream bytes from the primary (valid only during the call). */
  override data(bytes: Uint8Array): Promise<void> | void {
    if (this.isClosed) return;
    this.readOffset += bytes.length;
    this.lastInteraction = Date.now();
    this.server.stats.netInputBytes += bytes.length;
    this.server.readsProcessed++;
    const copy = bytes.slice();
    this.unapplied.push(copy);
    return this.writer.write(copy).catch(() => {});
  }

  /** Applies commands as the stream yields them, waiting out CLIENT PAUSE. */
  private async applyLoop(): Promise<void> {
    const reader = this.stream.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.isClosed) return;
        this.apply(value.value, this.startOffset + value.end);
        if (this.postponed) {
          await new Promise<void>((resolve) => (this.resume = resolve));
        }
      }
    } catch (error) {
      if (this.isClosed) return;
      this.server.log.warning(
        `Protocol error (${
          (error as Error).message
        }) from client: ${this.describe()}`,
      );
      this.close();
    }
  }

  private apply(argv: string[], end: number): void {
    const server = this.server;
    if (isGetAck(argv)) {
      // The ACK counts the stream up to, not including, the GETACK.
      this.link.sendAck(this.appliedOffset);
    } else if (argv.length !== 0) {
      this.lastInteraction = Date.now();
      server.beginBatch(this.lastInteraction);
      this.link.applying = true;
      try {
        server.execute(this, argv);
      } finally {
        this.link.applying = false;
        server.endBatch();
      }
    }
    if (this.postponed) {
      this.postponedEnd = end;
      return;
    }
    this.applied(end);
    server.flushPending();
  }

  /**
   * The stream is applied up to `end`: those exact bytes go on to this
   * server's backlog and sub-replicas (replicationFeedStreamFromMasterStream),
   * and `end` becomes the offset this server stands at.
   */
  private applied(end: number): void {
    let length = end - this.appliedOffset;
    const parts: Uint8Array[] = [];
    while (length > 0) {
      const chunk = this.unapplied[0];
      if (chunk.length <= length) {
        parts.push(chunk);
        this.unapplied.shift();
        length -= chunk.length;
      } else {
        parts.push(chunk.subarray(0, length));
        this.unapplied[0] = chunk.subarray(length);
        length = 0;
      }
    }
    this.appliedOffset = end;
    this.server.primary.append(concat(parts));
    this.server.replication.advanceTo(end);
  }

  /** Runs the command CLIENT PAUSE held back, as the primary's, then lets the stream go on. */
  override resumePostponed(): void {
    const argv = this.postponed;
    if (!argv || this.isClosed) return;
    this.postponed = undefined;
    this.link.applying = true;
    try {
      this.server.execute(this, argv);
    } finally {
      this.link.applying = false;
    }
    this.applied(this.postponedEnd);
    this.postponedEnd = -1;
    this.resume?.();
    this.resume = undefined;
  }

  /** Closes the link; the stream stops with it. */
  override close(): void {
    if (this.isClosed) return;
    super.close();
    this.writer.abort().catch(() => {});
  }
}

function isGetAck(argv: string[]): boolean {
  return argv.length >= 2 && argv[0].toLowerCase() === "replconf" &&
    argv[1].toLowerCase() === "getack";
}

/** The link of a replica to its primary (server.replica; Redis calls the primary "master"). */
export class MasterLink {
  /** The primary's address; undefined while this server is a primary. */
  host: string | undefined;
  port = 0;
  state: LinkState = "none";
  /** The client the stream runs as, while connected. */
  master: MasterClient | undefined;
  /** True while a command from the primary runs: expired keys are its to delete. */
  applying = false;
  /** Unix seconds when the link went down, 0 if it was never up. */
  private downSince = 0;
  private cached: CachedMaster | undefined;
  private conn: Connection | undefined;
  /** Bumped on every new connection, so late events of an old one are ignored. */
  private generation = 0;
  /** Unix ms when the current connection attempt began. */
  private attemptStarted = 0;
  /** Handshake bytes not yet parsed. */
  private inbox: Uint8Array = new Uint8Array(0);
  /** Handlers of the handshake replies still expected, in order. */
  private expected: ((line: string) => void)[] = [];
  /** Replication ID and offset from +FULLRESYNC. */
  private fullSync: { replid: string; offset: number } | undefined;
  private transfer: Transfer | undefined;
  /** Bytes waiting while a write to the primary is in flight. */
  private outbox: Uint8Array[] = [];
  private writing = false;
  private cronTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly server: Server) {}

  /** True when this server replicates another (Redis's masterhost != NULL). */
  get isReplica(): boolean {
    return this.host !== undefined;
  }

  /**
   * REPLICAOF host port: drops the current primary (keeping its state for a
   * partial resync with the new one, as Redis does) and dials the new one.
   * `atStart` (the `replicaof` config) has no history of its own to offer.
   */
  follow(host: string, port: number, atStart = false): void {
    const wasPrimary = !this.isReplica && !atStart;
    this.dropMaster();
    // Our replicas stay (as in Redis 7.0): a +CONTINUE keeps their history;
    // a new ID or a full sync drops them then.
    this.server.blocking.unblockAll(
      "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
    );
    this.host = host;
    this.port = port;
    this.cancelHandshake();
    if (wasPrimary) {
      // Our own history, so a primary that took over from us can continue it.
      const { replid, offset } = this.server.replication;
      this.cached = { replid, offset, db: 0 };
    }
    this.server.config.set("replicaof", `${host} ${port}`);
    logState.role = "S";
    this.state = "connect";
    this.cronTimer ??= setInterval(() => this.cron(), 1000);
    this.connect();
  }

  /**
   * REPLICAOF NO ONE: becomes a primary. The inherited replication ID becomes
   * the secondary one up to the current offset and a new history begins, so
   * replicas of the old primary can continue with us.
   */
  stopFollowing(): void {
    if (!this.isReplica) return;
    this.host = undefined;
    this.port = 0;
    this.dropMaster();
    this.cached = undefined;
    this.cancelHandshake();
    this.shiftReplicationId();
    // Replicas learn the new ID by reconnecting; they continue partially.
    this.server.primary.dropReplicas();
    this.state = "none";
    this.server.config.set("replicaof", "no one");
    logState.role = "M";
    if (this.cronTimer !== undefined) clearInterval(this.cronTimer);
    this.cronTimer = undefined;
  }

  /** Shutdown: closes the link without caching anything. */
  stop(): void {
    if (this.cronTimer !== undefined) clearInterval(this.cronTimer);
    this.cronTimer = undefined;
    this.generation++;
    this.conn?.close();
    this.conn = undefined;
  }

  /**
   * The database the primary's stream has selected, for a file's
   * repl-stream-db: the master client's, else the cached master's;
   * undefined when there is neither (Redis's rdbPopulateSaveInfo then writes
   * no repl-* fields).
   */
  streamDb(): number | undefined {
    return this.master?.db.id ?? this.cached?.db;
  }

  /**
   * Start-up from an RDB that recorded where the stream stood (Redis's
   * loadDataFromDisk). A replica takes the file's ID and offset as its own
   * and caches them as its primary's (replicationCacheMasterUsingMyself),
   * so its first PSYNC continues. A primary keeps its fresh ID and offers
   * the file's as the secondary one, with an empty backlog at its offset,
   * so its former replicas continue.
   */
  restoreHistory(saved: ReplicationSaveInfo, asReplica: boolean): void {
    const history = this.server.replication;
    if (asReplica) {
      history.adopt(saved);
      this.server.log.notice(
        "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
      );
      this.cached = {
        replid: saved.replid,
        offset: saved.offset,
        db: saved.streamDb,
      };
      return;
    }
    history.inherit(saved);
    this.server.primary.restoreBacklog();
  }

  /** Promotion: the inherited ID stays valid as the secondary one. */
  private shiftReplicationId(): void {
    const history = this.server.replication;
    history.shift();
    this.server.log.notice(
      `Setting secondary replication ID to ${history.replid2}, valid up to offset: ${history.secondOffset}. New replication ID is ${history.replid}`,
    );
  }

  /** Closes the master client, caching its state (Redis's replicationCacheMaster). */
  private dropMaster(): void {
    const master = this.master;
    if (!master) return;
    this.master = undefined;
    this.server.log.warning("Connection with master lost.");
    this.server.log.notice("Caching the disconnected master state.");
    this.cached = {
      replid: this.server.replication.replid,
      offset: master.appliedOffset,
      db: master.db.id,
    };
    this.generation++;
    this.conn = undefined;
    master.close();
    this.downSince = Math.floor(Date.now() / 1000);
  }

  /** Abandons a connection attempt or transfer in progress. */
  private cancelHandshake(): void {
    if (this.state === "none" || this.state === "connected") return;
    this.generation++;
    this.conn?.close();
    this.conn = undefined;
    this.transfer = undefined;
    this.fullSync = undefined;
    this.expected = [];
    this.inbox = new Uint8Array(0);
    if (this.isReplica) this.state = "connect";
  }

  /** Dials the primary (Redis's connectWithMaster). */
  private connect(): void {
    const host = this.host!;
    const port = this.port;
    const generation = ++this.generation;
    this.server.log.notice(`Connecting to MASTER ${host}:${port}`);
    this.state = "connecting";
    this.attemptStarted = Date.now();
    this.server.log.notice("MASTER <-> REPLICA sync started");
    this.server.net.connect(
      host,
      port,
      (conn) => this.handlerFor(conn, generation),
    )
      .then((conn) => {
        if (generation !== this.generation) {
          conn.close();
          return;
        }
        this.conn = conn;
        this.server.log.notice(
          "Non blocking connect for SYNC fired the event.",
        );
        this.state = "handshake";
        this.expected = [(line) => this.onPingReply(line)];
        this.send(encodeCommand(["PING"]));
      }, (error: Error) => {
        if (generation !== this.generation) return;
        this.server.log.warning(
          `Error condition on socket for SYNC: ${describeError(error)}`,
        );
        this.state = "connect";
      });
  }

  private handlerFor(conn: Connection, generation: number): ConnectionHandler {
    return {
      data: (bytes) => {
        if (generation !== this.generation) return;
        return this.received(bytes);
      },
      closed: () => {
        if (generation !== this.generation) return;
        this.linkClosed(conn);
      },
    };
  }

  private linkClosed(conn: Connection): void {
    if (this.master?.conn === conn) {
      this.dropMaster();
    } else if (this.state !== "none" && this.state !== "connected") {
      this.server.log.warning(
        "Master closed the connection before the synchronization completed.",
      );
      this.cancelHandshake();
      this.downSince ||= Math.floor(Date.now() / 1000);
    }
    if (this.isReplica) this.state = "connect";
  }

  /** Bytes from the primary. */
  private received(bytes: Uint8Array): Promise<void> | void {
    if (this.master) return this.master.data(bytes);
    if (this.transfer && this.inbox.length === 0) {
      this.receivePayload(bytes.slice());
      return;
    }
    this.inbox = concat([this.inbox, bytes]);
    this.advance();
  }

  /** Parses handshake replies and the transfer header from the inbox. */
  private advance(): void {
    while (!this.master && this.conn) {
      if (this.transfer) {
        if (this.inbox.length !== 0) {
          const rest = this.inbox;
          this.inbox = new Uint8Array(0);
          this.receivePayload(rest);
        }
        return;
      }
      const line = this.takeLine();
      if (line === undefined) return;
      // A primary preparing the RDB keeps the link alive with newlines.
      if (line === "") continue;
      if (this.fullSync) this.onTransferHeader(line);
      else this.expected.shift()?.(line);
    }
    if (this.master && this.inbox.length !== 0) {
      const rest = this.inbox;
      this.inbox = new Uint8Array(0);
      this.master.data(rest);
    }
  }

  /** Takes one `\n`-terminated line (its `\r` dropped) off the inbox. */
  private takeLine(): string | undefined {
    const end = this.inbox.indexOf(10);
    if (end === -1) return undefined;
    const stop = end > 0 && this.inbox[end - 1] === 13 ? end - 1 : end;
    const line = bytesToBinary(this.inbox, 0, stop);
    this.inbox = this.inbox.subarray(end + 1);
    return line;
  }

  private onPingReply(line: string): void {
    if (
      line.startsWith("-") && !line.startsWith("-NOAUTH") &&
      !line.startsWith("-NOPERM") &&
      !line.startsWith("-ERR operation not permitted")
    ) {
      this.server.log.warning(`Error reply to PING from master: '${line}'`);
      this.retryLater();
      return;
    }
    this.server.log.notice(
      "Master replied to PING, replication can continue...",
    );
    const config = this.server.config;
    const commands: string[][] = [];
    const auth = config.string("masterauth");
    if (auth !== "") {
      const user = config.string("masteruser");
      commands.push(user !== "" ? ["AUTH", user, auth] : ["AUTH", auth]);
      this.expected.push((reply) => {
        if (!reply.startsWith("-")) return;
        this.server.log.warning(`Unable to AUTH to MASTER: ${reply}`);
        this.retryLater();
      });
    }
    const port = config.number("replica-announce-port") ||
      this.server.port;
    commands.push(["REPLCONF", "listening-port", String(port)]);
    this.expected.push((reply) =>
      this.nonCritical("REPLCONF listening-port", reply)
    );
    const ip = config.string("replica-announce-ip");
    if (ip !== "") {
      commands.push(["REPLCONF", "ip-address", ip]);
      this.expected.push((reply) =>
        this.nonCritical("REPLCONF ip-address", reply)
      );
    }
    commands.push(["REPLCONF", "capa", "eof", "capa", "psync2"]);
    this.expected.push((reply) => {
      this.nonCritical("REPLCONF capa", reply);
      this.sendPsync();
    });
    this.send(concat(commands.map(encodeCommand)));
  }

  private nonCritical(what: string, reply: string): void {
    if (reply.startsWith("-")) {
      this.server.log.notice(
        `(Non critical) Master does not understand ${what}: ${reply}`,
      );
    }
  }

  /** Asks to continue the cached history, or for everything (Redis's slaveTryPartialResynchronization). */
  private sendPsync(): void {
    const cached = this.cached;
    let argv: string[];
    if (cached) {
      const from = cached.offset + 1;
      this.server.log.notice(
        `Trying a partial resynchronization (request ${cached.replid}:${from}).`,
      );
      argv = ["PSYNC", cached.replid, String(from)];
    } else {
      this.server.log.notice(
        "Partial resynchronization not possible (no cached master)",
      );
      argv = ["PSYNC", "?", "-1"];
    }
    this.expected.push((reply) => this.onPsyncReply(reply));
    this.send(encodeCommand(argv));
  }

  private onPsyncReply(reply: string): void {
    const log = this.server.log;
    if (reply.startsWith("+FULLRESYNC")) {
      const [, replid, offset] = reply.split(" ");
      log.notice(`Full resync from master: ${replid}:${offset}`);
      if (this.cached) {
        log.notice("Discarding previously cached master state.");
        this.cached = undefined;
      }
      this.fullSync = { replid, offset: Number(offset) };
      this.state = "sync";
      return;
    }
    if (reply.startsWith("+CONTINUE")) {
      this.continueCached(reply.slice("+CONTINUE".length).trim());
      return;
    }
    if (reply.startsWith("-NOMASTERLINK") || reply.startsWith("-LOADING")) {
      log.notice(
        `Master is currently unable to PSYNC but should be in the future: ${reply}`,
      );
      this.retryLater();
      return;
    }
    // A primary without PSYNC: the old SYNC gives a full copy with no ID.
    log.warning(`Unexpected reply to PSYNC from master: ${reply}`);
    log.notice("Retrying with SYNC...");
    this.cached = undefined;
    this.fullSync = { replid: randomHex(40), offset: -1 };
    this.state = "sync";
    this.send(encodeCommand(["SYNC"]));
  }

  /** +CONTINUE: the cached master becomes the master again (Redis's replicationResurrectCachedMaster). */
  private continueCached(newReplid: string): void {
    const cached = this.cached!;
    const log = this.server.log;
    log.notice("Successful partial resynchronization with master.");
    if (newReplid !== "" && newReplid !== cached.replid) {
      // The primary was promoted: our history continues under its new ID.
      this.server.replication.continueUnder(newReplid, cached);
      log.warning(`Master replication ID changed to ${newReplid}`);
      // Our replicas reconnect to learn the new ID, and continue partially.
      this.server.primary.dropReplicas();
    }
    this.cached = undefined;
    this.startStream(cached.offset, cached.db);
    log.notice(
      "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.",
    );
  }

  /** The `$<len>` or `$EOF:<mark>` line that starts the RDB. */
  private onTransferHeader(line: string): void {
    const log = this.server.log;
    if (line.startsWith("-")) {
      log.warning(`MASTER aborted replication with an error: ${line.slice(1)}`);
      this.retryLater();
      return;
    }
    if (!line.startsWith("$")) {
      log.warning(
        `Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`,
      );
      this.retryLater();
      return;
    }
    const diskless = this.server.config.string("repl-diskless-load") !==
      "disabled";
    const target = diskless ? "parser" : "disk";
    let size = -1;
    let eofMark = "";
    if (line.startsWith("$EOF:")) {
      eofMark = line.slice(5, 5 + EOF_MARK_LENGTH);
      log.notice(
        `MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to ${target}`,
      );
    } else {
      size = Number(line.slice(1));
      log.notice(
        `MASTER <-> REPLICA sync: receiving ${size} bytes from master to ${target}`,
      );
    }
    this.transfer = {
      size,
      read: 0,
      chunks: [],
      eofMark,
      tail: "",
      lastIo: Date.now(),
    };
  }

  /** Collects RDB bytes; loads the RDB once it is whole. */
  private receivePayload(bytes: Uint8Array): void {
    const transfer = this.transfer!;
    transfer.lastIo = Date.now();
    if (transfer.size >= 0) {
      const take = Math.min(bytes.length, transfer.size - transfer.read);
      transfer.chunks.push(bytes.subarray(0, take));
      transfer.read += take;
      if (transfer.read < transfer.size) return;
      this.finishTransfer(concat(transfer.chunks), bytes.subarray(take));
      return;
    }
    transfer.chunks.push(bytes);
    transfer.read += bytes.length;
    const tailFrom = Math.max(0, bytes.length - EOF_MARK_LENGTH);
    transfer.tail =
      (transfer.tail + bytesToBinary(bytes, tailFrom, bytes.length))
        .slice(-EOF_MARK_LENGTH);
    if (transfer.tail !== transfer.eofMark) return;
    const all = concat(transfer.chunks);
    this.finishTransfer(
      all.subarray(0, all.length - EOF_MARK_LENGTH),
      new Uint8Array(0),
    );
  }

  /** Replaces the dataset with the received RDB and starts the stream (readSyncBulkPayload's end). */
  private finishTransfer(payload: Uint8Array, rest: Uint8Array): void {
    const server = this.server;
    const log = server.log;
    const eofForm = this.transfer!.size < 0;

    this.transfer = undefined;
    const sync = this.fullSync!;
    this.fullSync = undefined;
    const toDisk = server.config.string("repl-diskless-load") === "disabled";
    if (toDisk) {
      // On disk first, as Redis keeps the primary's RDB as its own dump.
      const file = server.config.string("dbfilename");
      const temp = `temp-${Math.floor(Date.now() / 1000)}.${process.pid}.rdb`;
      try {
        writeFileSync(temp, payload);
        renameSync(temp, file);
      } catch (error) {
        log.warning(
          `Failed trying to rename the temp DB into ${file} in MASTER <-> REPLICA synchronization: ${
            (error as Error).message
          }`,
        );
        this.retryLater();
        return;
      }
    }
    // The load must not be logged command by command; a rewrite of the new
    // dataset restarts the AOF afterwards (restartAOFAfterSYNC).
    const aofWasOn = server.aof.stopForSync();
    log.notice("MASTER <-> REPLICA sync: Flushing old data");
    for (const db of server.dbs) {
      touchAllWatchedKeysInDb(server, db, undefined);
      db.clear();
    }
    log.notice("MASTER <-> REPLICA sync: Loading DB in memory");
    let aux: Map<string, string>;
    try {
      aux = server.persistence.load(payload, server.dbs, false);
    } catch (error) {
      log.warning((error as Error).message);
      log.warning(
        `Failed trying to load the MASTER synchronization DB from ${
          toDisk ? "disk" : "socket"
        }, check server logs.`,
      );
      for (const db of server.dbs) db.clear();
      if (aofWasOn) server.aof.restartAfterSync();
      this.retryLater();
      return;
    }
    if (aofWasOn) server.aof.restartAfterSync();
    server.replication.adopt(sync);
    // The stream from here on is history sub-replicas may ask for.
    server.primary.restartHistory();
    const streamDb = Number(aux.get("repl-stream-db") ?? 0);
    this.startStream(sync.offset, streamDb >= 0 ? streamDb : 0);
    log.notice("MASTER <-> REPLICA sync: Finished with success");
    // A diskless primary waits for this ACK to start the stream.
    if (eofForm) this.sendAck(sync.offset);
    if (rest.length !== 0) this.master!.data(rest);
  }

  /** Creates the master client at `offset` with database `db` selected. */
  private startStream(offset: number, db: number): void {
    const server = this.server;
    const master = new MasterClient(server, this.conn!, this, offset);
    master.db = server.dbs[db] ?? server.dbs[0];
    server.clients.set(master.id, master);
    this.master = master;
    this.state = "connected";
    this.downSince = 0;
    server.replication.advanceTo(offset);
    server.primary.ensureBacklog();
    this.expected = [];
  }

  /** Drops the connection attempt; the cron dials again. */
  private retryLater(): void {
    this.cancelHandshake();
  }

  /** REPLCONF ACK `offset` to the primary. */
  sendAck(offset: number): void {
    this.send(encodeCommand(["REPLCONF", "ACK", String(offset)]));
  }

  /** Writes to the primary, one write in flight at a time. */
  private send(bytes: Uint8Array): void {
    const conn = this.conn;
    if (!conn) return;
    if (this.writing) {
      this.outbox.push(bytes);
      return;
    }
    const pending = conn.write(bytes);
    if (!pending) return;
    this.writing = true;
    pending.then(() => {
      this.writing = false;
      const queued = this.outbox;
      this.outbox = [];
      if (queued.length !== 0 && this.conn === conn) this.send(concat(queued));
    });
  }

  /** Once a second: dial when needed, enforce repl-timeout, ACK (Redis's replicationCron). */
  private cron(): void {
    const now = Date.now();
    const timeout = this.server.config.number("repl-timeout") * 1000;
    const log = this.server.log;
    if (
      (this.state === "connecting" || this.state === "handshake" ||
        (this.state === "sync" && !this.transfer)) &&
      now - this.attemptStarted > timeout
    ) {
      log.warning("Timeout connecting to the MASTER...");
      this.cancelHandshake();
    }
    if (this.transfer && now - this.transfer.lastIo > timeout) {
      log.warning(
        "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
      );
      this.cancelHandshake();
    }
    const master = this.master;
    if (master && now - master.lastInteraction > timeout) {
      log.warning("MASTER timeout: no data nor PING received...");
      this.dropMaster();
      this.state = "connect";
    }
    if (this.state === "connect") this.connect();
    if (this.master) this.sendAck(this.master.appliedOffset);
  }

  /** The replica part of INFO replication, in Redis 7.0's order. */
  infoLines(): string[] {
    const master = this.master;
    const config = this.server.config;
    const now = Date.now();
    const lines = [
      "role:slave",
      `master_host:${this.host}`,
      `master_port:${this.port}`,
      `master_link_status:${this.state === "connected" ? "up" : "down"}`,
      `master_last_io_seconds_ago:${
        master ? Math.floor((now - master.lastInteraction) / 1000) : -1
      }`,
      `master_sync_in_progress:${this.state === "sync" ? 1 : 0}`,
      `slave_read_repl_offset:${
        master?.readOffset ?? this.cached?.offset ?? 1
      }`,
      `slave_repl_offset:${master?.appliedOffset ?? this.cached?.offset ?? 1}`,
    ];
    if (this.state === "sync") {
      const t = this.transfer;
      const size = t?.size ?? 0;
      const read = t?.read ?? 0;
      lines.push(
        `master_sync_total_bytes:${size}`,
        `master_sync_read_bytes:${read}`,
        `master_sync_left_bytes:${size - read}`,
        `master_sync_perc:${(size !== 0 ? read / size * 100 : 0).toFixed(2)}`,
        `master_sync_last_io_seconds_ago:${
          Math.floor((now - (t?.lastIo ?? this.attemptStarted)) / 1000)
        }`,
      );
    }
    if (this.state !== "connected") {
      lines.push(
        `master_link_down_since_seconds:${
          this.downSince !== 0 ? Math.floor(now / 1000) - this.downSince : -1
        }`,
      );
    }
    lines.push(
      `slave_priority:${config.number("replica-priority")}`,
      `slave_read_only:${config.bool("replica-read-only") ? 1 : 0}`,
      `replica_announced:${config.bool("replica-announced") ? 1 : 0}`,
    );
    return lines;
  }

  /** ROLE's replica form: slave, host, port, link state, offset. */
  writeRole(out: ReplyWriter): void {
    out.array(5);
    out.bulk("slave");
    out.bulk(this.host!);
    out.integer(this.port);
    out.bulk(this.state);
    out.integer(this.master?.appliedOffset ?? -1);
  }
}

function describeError(error: Error): string {
  const text = error.message;
  if (/refused/i.test(text)) return "Connection refused";
  return text;
}
