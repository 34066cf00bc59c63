/**
 * The primary side of replication (the master half of Redis's
 * replication.c): the replicas attached to this server, the replication
 * backlog, and the stream they are fed.
 *
 * The stream is the propagated commands encoded as RESP arrays, with a
 * SELECT whenever the database changes (Redis's replicationFeedSlaves).
 * Every byte goes into the backlog and moves master_repl_offset, so a
 * replica that lost its link continues with PSYNC from its offset. Both
 * exist only once a replica has come: until then nothing is counted, as in
 * Redis.
 * @module
 */

import type { WaiterKind } from "../blocking.ts";
import type { Client } from "../client.ts";
import { binaryToBytes } from "../protocol/binary.ts";
import { PROPAGATE_REPL, type PropagationTarget } from "../propagate.ts";
import type { Server } from "../server.ts";
import { Backlog } from "./backlog.ts";
import { FullSync, startStream } from "./full_sync.ts";

/** A replica's state on the primary (Redis's SLAVE_STATE_*), as INFO names it. */
export type ReplicaState = "wait_bgsave" | "send_bulk" | "online";

/** What the primary knows of one replica (Redis keeps it on the client). */
export interface ReplicaLink {
  client: Client;
  state: ReplicaState;
  /** REPLCONF listening-port (0 when not announced). */
  listeningPort: number;
  /** REPLCONF ip-address, "" when not announced. */
  announcedIp: string;
  /** REPLCONF capa eof: the replica takes the `$EOF:` form. */
  capaEof: boolean;
  /** REPLCONF capa psync2: the replica understands +CONTINUE with a new ID. */
  capaPsync2: boolean;
  /** REPLCONF rdb-only 1: the replica wants the RDB and no stream. */
  rdbOnly: boolean;
  /** Stream offset from the last REPLCONF ACK. */
  ackOffset: number;
  /** Unix ms of the last REPLCONF ACK (lag). */
  ackTime: number;
  /** Stream bytes waiting for the full sync's payload (and, diskless, its ACK). */
  buffered?: Uint8Array[];
  /** The diskless payload is sent: the stream starts at its first ACK. */
  streamOnAck?: boolean;
  /** Unix ms the diskless payload last moved on to it (repl_last_partial_write). */
  lastPartialWrite?: number;
}

/** A replica waiting for its full sync to start. */
interface SyncRequest {
  link: ReplicaLink;
  /** PSYNC (true) is answered +FULLRESYNC, the old SYNC is not. */
  psync: boolean;
  /** Unix ms it asked (repl-diskless-sync-delay). */
  since: number;
}

/** The pre-sync keepalive. */
const NEWLINE = new Uint8Array([10]);

/** Encodes one command as the RESP array replicas read. */
export function encodeCommand(argv: string[]): Uint8Array {
  let text = `*${argv.length}\r\n`;
  for (const arg of argv) text += `$${arg.length}\r\n${arg}\r\n`;
  return binaryToBytes(text);
}

/** The replicas of this server, its backlog and the stream fed to them. */
export class Primary implements PropagationTarget {
  readonly kind = PROPAGATE_REPL;
  /** Attached replicas, by client, in arrival order. */
  readonly replicas = new Map<Client, ReplicaLink>();
  /** Set once the first replica came (Redis's server.repl_backlog). */
  backlog: Backlog | undefined;
  /** The database the stream last selected, -1 to force a SELECT (slaveseldb). */
  private streamDb = -1;
  /** Unix ms since the last replica left, for repl-backlog-ttl; 0 while some are attached. */
  private noReplicasSince = 0;
  private lastPing = 0;
  private lastKeepalive = 0;
  private flushScheduled = false;
  /** INFO sync_full, sync_partial_ok, sync_partial_err. */
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;

  constructor(private readonly server: Server) {}

  /** The link record of `client` if it is an attached replica, else undefined. */
  linkOf(client: Client): ReplicaLink | undefined {
    return this.replicas.get(client);
  }

  /** The record REPLCONF fills in before PSYNC; made on first use. */
  pendingLink(client: Client): ReplicaLink {
    let link = this.replicas.get(client) ?? this.announced.get(client);
    if (!link) {
      link = {
        client,
        state: "wait_bgsave",
        listeningPort: 0,
        announcedIp: "",
        capaEof: false,
        capaPsync2: false,
        rdbOnly: false,
        ackOffset: 0,
        ackTime: 0,
      };
      this.announced.set(client, link);
    }
    return link;
  }
  /** Clients blocked in WAIT: the offset and number of replicas they wait for. */
  private readonly waiting = new Map<
    Client,
    { offset: number; replicas: number }
  >();
  private ackRequested = false;
  /** WAIT's waiter: it ends with the count of replicas that reached its offset. */
  private readonly waitKind: WaiterKind = {
    serve: () => false,
    timedOut: (client) => {
      const wait = this.waiting.get(client);
      this.waiting.delete(client);
      client.out.integer(this.countAcks(wait?.offset ?? 0));
    },
  };

  /** Replicas online whose acknowledged offset is at least `offset`. */
  countAcks(offset: number): number {
    let n = 0;
    for (const link of this.replicas.values()) {
      if (link.state === "online" && link.ackOffset >= offset) n++;
    }
    return n;
  }

  /**
   * WAIT numreplicas timeout: replies at once when enough replicas have
   * acknowledged `client`'s last write (or inside EXEC), otherwise blocks
   * the client until they have or `timeout` ms pass (0: forever), asking the
   * replicas for their offsets.
   */
  wait(client: Client, replicas: number, timeout: number): void {
    const offset = client.replOffset;
    const acked = this.countAcks(offset);
    if (acked >= replicas || this.server.inExec) {
      client.out.integer(acked);
      return;
    }
    this.waiting.set(client, { offset, replicas });
    this.server.blocking.block(
      client,
      [],
      timeout === 0 ? 0 : Date.now() + timeout,
      this.waitKind,
    );
    this.requestAcks();
  }

  /** Sends REPLCONF GETACK * through the stream once this event is over. */
  requestAcks(): void {
    if (this.ackRequested) return;
    this.ackRequested = true;
    queueMicrotask(() => {
      this.ackRequested = false;
      this.feed(-1, ["REPLCONF", "GETACK", "*"]);
      this.server.flushPending();
    });
  }

  /**
   * min-replicas-to-write: whether enough replicas acknowledged within
   * min-replicas-max-lag seconds for writes to be accepted.
   */
  enoughGoodReplicas(): boolean {
    const config = this.server.config;
    const needed = config.number("min-replicas-to-write");
    const maxLag = config.number("min-replicas-max-lag");
    if (needed === 0 || maxLag === 0) return true;
    return this.goodReplicas() >= needed;
  }

  /** Online replicas with a lag of at most min-replicas-max-lag (repl_good_slaves_count). */
  goodReplicas(): number {
    const maxLag = this.server.config.number("min-replicas-max-lag");
    const now = Math.floor(Date.now() / 1000);
    let n = 0;
    for (const link of this.replicas.values()) {
      const lag = now - Math.floor(link.ackTime / 1000);
      if (link.state === "online" && lag <= maxLag) n++;
    }
    return n;
  }

  /** REPLCONF details of clients that have not yet sent PSYNC. */
  private readonly announced = new Map<Client, ReplicaLink>();

  /**
   * PSYNC replid offset (or SYNC, `psync` false): continues the stream from
   * the backlog when it can, otherwise sends the whole dataset and then the
   * stream (Redis's syncCommand).
   */
  sync(client: Client, replid: string, offset: number, psync: boolean): void {
    const link = this.pendingLink(client);
    this.announced.delete(client);
    client.kind = "replica";
    if (psync && this.tryPartial(link, replid, offset)) return;
    this.fullSync(link, psync);
  }

  /** +CONTINUE when `replid` and `offset` lie in the history the backlog holds. */
  private tryPartial(
    link: ReplicaLink,
    replid: string,
    offset: number,
  ): boolean {
    const history = this.server.replication;
    const log = this.server.log;
    const backlog = this.backlog;
    const knownId = history.knows(replid, offset);
    if (!knownId || !backlog) {
      if (replid !== "?") {
        log.notice(
          `Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${history.replid}' and '${history.replid2}')`,
        );
      } else {
        log.notice(
          `Full resync requested by replica ${this.describe(link)}`,
        );
      }
      return false;
    }
    const missing = backlog.from(offset);
    if (!missing) {
      this.syncPartialErr++;
      log.notice(
        `Unable to partial resync with replica ${
          this.describe(link)
        } for lack of backlog (Replica request was: ${offset}).`,
      );
      return false;
    }
    const out = link.client.out;
    out.simple(link.capaPsync2 ? `CONTINUE ${history.replid}` : "CONTINUE");
    out.raw(missing);
    this.attach(link, "online");
    this.syncPartialOk++;
    log.notice(
      `Partial resynchronization request from ${
        this.describe(link)
      } accepted. Sending ${missing.length} bytes of backlog starting from offset ${offset}.`,
    );
    return true;
  }

  /** Replicas waiting for a full sync to start. */
  private readonly syncRequests: SyncRequest[] = [];
  /** The RDB transfer running, if any. */
  private transfer: FullSync | undefined;

  /**
   * Queues `link` for a full sync (+FULLRESYNC, the dataset as an RDB
   * payload, then the stream): it joins a disk-form transfer still saving
   * when it can, else waits for the next one (Redis's syncCommand cases).
   */
  private fullSync(link: ReplicaLink, psync: boolean): void {
    this.syncFull++;
    if (!this.backlog) {
      // No history before this point is servable: a new one begins.
      this.server.replication.startNew();
      this.createBacklog();
    }
    this.attach(link, "wait_bgsave");
    const log = this.server.log;
    const transfer = this.transfer;
    if (transfer?.saving) {
      if (this.joinTransfer(transfer, link, psync)) {
        log.notice("Waiting for end of BGSAVE for SYNC");
        return;
      }
      log.notice(
        "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC",
      );
    } else if (transfer) {
      log.notice(
        "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC",
      );
    } else if (this.server.persistence.bgsaveInProgress) {
      // A BGSAVE of its own registers no stream for anyone to share.
      log.notice(
        "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC",
      );
    } else if (this.server.persistence.snapshotting) {
      log.notice(
        "No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed",
      );
    } else if (this.disklessFor(link)) {
      log.notice("Delay next BGSAVE for diskless SYNC");
    }
    this.syncRequests.push({ link, psync, since: Date.now() });
    this.startFullSync(Date.now());
  }

  /** Whether `link` would get the `$EOF:` form, waiting repl-diskless-sync-delay. */
  private disklessFor(link: ReplicaLink): boolean {
    const config = this.server.config;
    return config.bool("repl-diskless-sync") && link.capaEof &&
      config.number("repl-diskless-sync-delay") > 0;
  }

  /**
   * Attaches `link` to the disk-form `transfer` when a replica already in it
   * has no capability `link` lacks (and wants the stream unless `link` does
   * not): `link` gets its offset and a copy of its buffered stream.
   */
  private joinTransfer(
    transfer: FullSync,
    link: ReplicaLink,
    psync: boolean,
  ): boolean {
    const model = transfer.links.find((other) =>
      this.replicas.get(other.client) === other &&
      (!other.rdbOnly || link.rdbOnly)
    );
    if (
      !model || (model.capaEof && !link.capaEof) ||
      (model.capaPsync2 && !link.capaPsync2)
    ) return false;
    if (psync) {
      link.client.out.simple(
        `FULLRESYNC ${this.server.replication.replid} ${transfer.offset}`,
      );
    }
    if (!link.rdbOnly) {
      link.buffered = [...(model.buffered ?? [])];
      link.client.held = model.client.held;
    }
    transfer.links.push(link);
    this.server.markPending(link.client);
    return true;
  }

  /**
   * Starts the transfer for the waiting replicas unless one runs or a
   * BGSAVE/AOF rewrite holds the snapshot (then the cron retries once it
   * ended, as Redis waits for the next BGSAVE). Diskless transfers wait
   * repl-diskless-sync-delay for more replicas to share them, unless
   * repl-diskless-sync-max-replicas have come; a replica without
   * `capa eof` makes it the `$<len>` form.
   */
  private startFullSync(now: number): void {
    const server = this.server;
    const requests = this.syncRequests;
    for (let i = requests.length - 1; i >= 0; i--) {
      if (this.replicas.get(requests[i].link.client) !== requests[i].link) {
        requests.splice(i, 1);
      }
    }
    if (
      requests.length === 0 || this.transfer ||
      server.persistence.snapshotting
    ) return;
    const config = server.config;
    const diskless = config.bool("repl-diskless-sync") &&
      requests.every((r) => r.link.capaEof);
    if (diskless) {
      const delay = config.number("repl-diskless-sync-delay") * 1000;
      const max = config.number("repl-diskless-sync-max-replicas");
      const full = max > 0 && requests.length >= max;
      if (!full && now - requests[0].since < delay) return;
    }
    const group = requests.splice(0);
    // The payload carries no SELECT for the stream: it must say its own.
    this.streamDb = -1;
    const { replid, offset } = server.replication;
    server.log.notice(
      `Starting BGSAVE for SYNC with target: ${
        diskless ? "replicas sockets" : "disk"
      }`,
    );
    for (const { link, psync } of group) {
      if (psync) {
        link.client.out.simple(`FULLRESYNC ${replid} ${offset}`);
      }
      // It stays in wait_bgsave (SLAVE_STATE_WAIT_BGSAVE_END) until the
      // snapshot is complete. An rdb-only replica gets no stream, so none is kept for it.
      link.buffered = link.rdbOnly ? undefined : [];
      link.client.held = 0;
      server.markPending(link.client);
    }
    const aux = server.persistence.aux();
    this.transfer = new FullSync(
      server,
      group.map((r) => r.link),
      diskless,
      aux,
      (link) => this.replicas.get(link.client) === link,
      () => {
        this.transfer = undefined;
        this.startFullSync(Date.now());
      },
    );
    server.flushPending();
  }

  /**
   * A newline to each replica waiting for its RDB to start or for a disk
   * one to be saved, once a second, so its repl-timeout does not fire while
   * nothing else can be sent (replicationCron's pre-sync keepalive); not
   * into a diskless payload being sent.
   */
  private sendKeepalives(): void {
    const streaming = this.transfer?.diskless ? this.transfer.links : [];
    for (const link of this.replicas.values()) {
      if (link.state !== "wait_bgsave" || streaming.includes(link)) continue;
      link.client.out.raw(NEWLINE);
      this.server.markPending(link.client);
    }
  }

  /**
   * This server, a replica, took a new primary's dataset: its history is
   * the new primary's from `server.replication.offset` on, so sub-replicas
   * must resync and the backlog starts over there (replicationAttachToNewMaster).
   */
  restartHistory(): void {
    this.dropReplicas();
    if (this.backlog) this.server.propagation.removeTarget(this);
    this.backlog = undefined;
    this.createBacklog();
  }

  /** Closes every replica's connection (disconnectSlaves): they reconnect and resync. */
  dropReplicas(): void {
    for (const client of [...this.replicas.keys()]) client.close();
  }

  /** Creates the backlog if there is none yet (a replica's stream begins). */
  ensureBacklog(): void {
    if (!this.backlog) this.createBacklog();
  }

  /**
   * Start-up from a file of our own history: an empty backlog at its
   * offset, freed after repl-backlog-ttl if no replica comes back.
   */
  restoreBacklog(): void {
    this.createBacklog();
    this.noReplicasSince = Date.now();
  }

  /** The database the stream last selected, -1 when the next write must SELECT. */
  get selectedDb(): number {
    return this.streamDb;
  }

  private createBacklog(): void {
    const size = this.server.config.number("repl-backlog-size");
    const history = this.server.replication;
    this.backlog = new Backlog(size, history.offset);
    this.server.propagation.addTarget(this);
    this.server.log.notice(
      `Replication backlog created, my new replication IDs are '${history.replid}' and '${history.replid2}'`,
    );
  }

  private attach(link: ReplicaLink, state: ReplicaState): void {
    link.state = state;
    link.ackTime = Date.now();
    this.replicas.set(link.client, link);
    this.noReplicasSince = 0;
    this.server.markPending(link.client);
  }

  /** A replica (or a client that sent REPLCONF) disconnected. */
  forget(client: Client): void {
    this.announced.delete(client);
    this.waiting.delete(client);
    const link = this.replicas.get(client);
    if (!link) return;
    this.replicas.delete(client);
    this.server.log.notice(
      `Connection with replica ${this.describe(link)} lost.`,
    );
    if (this.replicas.size === 0) this.noReplicasSince = Date.now();
  }

  /** REPLCONF ACK offset. */
  acknowledge(link: ReplicaLink, offset: number): void {
    if (link.streamOnAck) startStream(this.server, link);
    if (offset > link.ackOffset) link.ackOffset = offset;
    link.ackTime = Date.now();
    for (const [client, wait] of this.waiting) {
      if (this.countAcks(wait.offset) >= wait.replicas) {
        this.server.blocking.unblockByRequest(client, false);
      }
    }
  }

  /** PropagationTarget: one command for database `db` (-1: none). */
  feed(db: number, argv: string[]): void {
    // A replica passes on its primary's stream itself (proxy).
    if (this.server.replica.isReplica) return;
    if (db !== -1 && db !== this.streamDb) {
      this.append(encodeCommand(["SELECT", String(db)]));
      this.streamDb = db;
    }
    this.append(encodeCommand(argv));
  }

  /** Adds stream bytes to the backlog and every online replica's output. */
  append(bytes: Uint8Array): void {
    const backlog = this.backlog;
    if (!backlog) return;
    backlog.append(bytes);
    this.server.replication.advanceTo(backlog.endOffset);
    for (const link of this.replicas.values()) {
      if (link.buffered) {
        link.buffered.push(bytes);
        // Held bytes count against its output limit, checked at the flush.
        link.client.held += bytes.length;
        this.server.markPending(link.client);
        continue;
      }
      if (link.state !== "online") continue;
      link.client.out.raw(bytes);
      this.server.markPending(link.client);
    }
    this.scheduleFlush();
  }

  /** Replica sockets are written once the event that fed them ends. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.replicas.size === 0) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.server.flushPending();
    });
  }

  /**
   * Called by the server cron: PINGs replicas every
   * repl-ping-replica-period, drops those silent for repl-timeout, and frees
   * the backlog after repl-backlog-ttl without replicas.
   */
  cron(now: number): void {
    const config = this.server.config;
    if (this.backlog && this.replicas.size === 0 && this.noReplicasSince) {
      const ttl = config.number("repl-backlog-ttl") * 1000;
      if (ttl > 0 && now - this.noReplicasSince > ttl) this.freeBacklog();
    }
    this.startFullSync(now);
    if (now - this.lastKeepalive >= 1000) {
      this.lastKeepalive = now;
      this.sendKeepalives();
    }
    if (this.replicas.size === 0 || this.server.replica.isReplica) return;
    const period = config.number("repl-ping-replica-period") * 1000;
    if (now - this.lastPing >= period) {
      this.lastPing = now;
      this.feed(-1, ["PING"]);
    }
    const timeout = config.number("repl-timeout") * 1000;
    for (const link of [...this.replicas.values()]) {
      if (link.state === "online" && now - link.ackTime > timeout) {
        this.server.log.warning(
          `Disconnecting timedout replica (streaming sync): ${
            this.describe(link)
          }`,
        );
        link.client.close();
      } else if (
        this.transfer?.diskless && this.transfer.links.includes(link) &&
        link.lastPartialWrite &&
        now - link.lastPartialWrite > timeout
      ) {
        // It stopped reading the RDB: the transfer would wait for it forever.
        this.server.log.warning(
          `Disconnecting timedout replica (full sync): ${this.describe(link)}`,
        );
        link.client.close();
      }
    }
  }

  private freeBacklog(): void {
    this.backlog = undefined;
    this.server.propagation.removeTarget(this);
    // Redis changes the ID too: no one can continue the freed history.
    this.server.replication.startNew();
    this.server.log.notice(
      `Replication backlog freed after ${
        this.server.config.number("repl-backlog-ttl")
      } seconds without connected replicas.`,
    );
  }

  /** The replica's IP: the announced one, else its connection's. */
  addressOf(link: ReplicaLink): string {
    const remote = link.client.conn.remoteAddress;
    return link.announcedIp || remote.slice(0, remote.lastIndexOf(":"));
  }

  /** The replica's announced address, as Redis's replicationGetSlaveName. */
  describe(link: ReplicaLink): string {
    const ip = this.addressOf(link);
    return link.listeningPort
      ? `${ip}:${link.listeningPort}`
      : `${ip}:<unknown-replica-port>`;
  }
}
