/**
 * The server: configuration, databases, connected clients, statistics and the
 * periodic housekeeping Redis calls serverCron. Networking is reached only
 * through a {@linkcode NetAdapter}, so the same server runs on Deno and Bun.
 * @module
 */

import { randomHex } from "./util/random_hex.ts";
import { chmodSync, unlinkSync } from "node:fs";
import process from "node:process";
import { Blocking } from "./blocking.ts";
import { Client, type ClientClass } from "./client.ts";
import { execute } from "./commands/dispatch.ts";
import { buildCommandTable } from "./commands/index.ts";
import type { CommandSpec, CommandTable } from "./commands/table.ts";
import { type Config, Notify } from "./config.ts";
import { installConfigHooks } from "./config_apply.ts";
import { InstantaneousMetrics } from "./info.ts";
import type { ServerLog } from "./log.ts";
import type { Connection, Listener, NetAdapter } from "./net/types.ts";
import { notifyKeyspaceEvent } from "./notify.ts";
import { forgetClient, PubSub } from "./pubsub.ts";
import { unwatchAllKeys, WatchRegistry } from "./multi.ts";
import type { RequestLimits } from "./protocol/decoder.ts";
import { type CommandStats, Stats } from "./stats.ts";
import { IdleCollector } from "./util/gc.ts";
import { ActiveExpireCycle, expireKey } from "./expire.ts";
import { AppendOnlyFile } from "./persistence/aof.ts";
import { Persistence } from "./persistence/service.ts";
import { Propagation } from "./propagate.ts";
import { Shutdown, SHUTDOWN_PAUSE } from "./shutdown.ts";
import { Primary } from "./replication/primary.ts";
import { ReplicationHistory } from "./replication/ids.ts";
import { MasterLink } from "./replication/replica.ts";
import {
  Database,
  setAccessPolicy,
  updateAccessClock,
} from "./store/keyspace.ts";

/** The redis_version reported to clients: the Redis release redeno matches. */
export const REDIS_VERSION = "7.0.15";
/** redeno's own version. */
export const REDENO_VERSION = "0.1.0";

/** CLIENT PAUSE: which commands wait, and until when (Unix ms). */
export interface ClientPause {
  type: "write" | "all";
  end: number;
}

/** The first number CLIENT LIST shows as `fd` (below it: stdio, log, listeners). */
const FIRST_CLIENT_FD = 8;

/** One class's `client-output-buffer-limit`. */
export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/**
 * Reads `client-output-buffer-limit` into per-class limits. The config layer
 * has validated the value and normalised it to byte counts
 * ("normal 0 0 0 slave 268435456 67108864 60 pubsub ...").
 */
export function readOutputLimits(
  text: string,
  into: Record<ClientClass, OutputLimit>,
): void {
  const words = text.trim().split(/\s+/);
  for (let i = 0; i + 3 < words.length; i += 4) {
    const cls = words[i].toLowerCase();
    const kind: ClientClass = cls === "slave" || cls === "replica"
      ? "replica"
      : cls === "pubsub"
      ? "pubsub"
      : "normal";
    into[kind] = {
      hard: Number(words[i + 1]),
      soft: Number(words[i + 2]),
      softSeconds: Number(words[i + 3]),
    };
  }
}

/** The whole server state. */
export class Server {
  readonly commands: CommandTable;
  readonly dbs: Database[];
  readonly clients = new Map<number, Client>();
  readonly stats = new Stats();
  nextClientId = 1;
  /** Decoder limits shared by every client; CONFIG SET updates them in place. */
  readonly requestLimits: RequestLimits;
  readonly outputLimits: Record<ClientClass, OutputLimit> = {
    normal: { hard: 0, soft: 0, softSeconds: 0 },
    replica: {
      hard: 256 * 1024 * 1024,
      soft: 64 * 1024 * 1024,
      softSeconds: 60,
    },
    pubsub: { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 },
  };
  /** DEBUG SET-ACTIVE-EXPIRE: whether the cron expires keys nobody touches. */
  activeExpireEnabled = true;
  /** Changes since the last save; write commands add to it (Redis's server.dirty). */
  dirty = 0;
  /** Time of the command being run, in Unix ms (Redis's command time snapshot). */
  now = Date.now();
  /**
   * Date.now() when the current run of untimed commands began, inside a read
   * batch; 0 outside one. Within a batch, `fast` (O(1)) commands are not
   * timed one by one: the run's elapsed time is shared among them when
   * another command or the batch's end reads the clock (settleUntimed).
   */
  batchClock = 0;
  /** Counters of the fast commands run since `batchClock`. */
  readonly untimed: CommandStats[] = [];
  readonly startedAt = Date.now();
  /** 40 hex chars identifying this run (INFO run_id). */
  readonly runId: string;
  /** Socket reads and writes (INFO total_reads_processed, total_writes_processed). */
  readsProcessed = 0;
  writesProcessed = 0;
  /** Rates and memory peak sampled by the cron for INFO. */
  readonly metrics = new InstantaneousMetrics();
  /** The CLIENT PAUSE in force, if any. */
  pause: ClientPause | undefined;
  /** Clients whose next command waits for the pause to end, in arrival order. */
  readonly postponed = new Set<Client>();
  /** Clients blocked on keys (BLPOP, BZPOPMIN...). */
  readonly blocking: Blocking = new Blocking(this);
  /** Pub/Sub subscribers by channel, pattern and shard channel. */
  readonly pubsub = new PubSub();
  /** WATCHed keys of every client (src/multi.ts). */
  readonly watches = new WatchRegistry();
  /** Set while EXEC runs its queued commands: the clock stands still. */
  inExec = false;
  /**
   * Set while commands are replayed from the AOF (Redis's
   * isAOFLoadingContext): they count in no command statistics.
   */
  loadingAof = false;
  /** `notify-keyspace-events` as Notify bits, read on every write. */
  notifyFlags: number;
  /** The write stream for the AOF and replicas (src/propagate.ts). */
  readonly propagation: Propagation = new Propagation();
  /** RDB saving and loading (src/persistence). */
  readonly persistence: Persistence = new Persistence(this);
  /** The append-only file (src/persistence/aof.ts). */
  readonly aof: AppendOnlyFile = new AppendOnlyFile(this);
  /** Replication IDs and offset, shared by both sides (src/replication/ids.ts). */
  readonly replication: ReplicationHistory = new ReplicationHistory();
  /** The link to our primary when this server is a replica (src/replication). */
  readonly replica: MasterLink = new MasterLink(this);
  /** This server's replicas and backlog (src/replication/primary.ts). */
  readonly primary: Primary = new Primary(this);
  /** True once shutdown has begun. */
  shuttingDown = false;
  /** SHUTDOWN and the signals: the wait for replicas, then the exit (src/shutdown.ts). */
  readonly shutdown: Shutdown = new Shutdown(this);
  /** Ports the server listens on. */
  readonly listeners: Listener[] = [];
  /** Resolves when the server has shut down; the value is the exit code. */
  readonly stopped: Promise<number>;
  private resolveStopped!: (code: number) => void;
  private readonly pending = new Set<Client>();
  private cronTimer: ReturnType<typeof setInterval> | undefined;
  private readonly activeExpire = new ActiveExpireCycle(this);
  private readonly idleCollector = new IdleCollector();
  private pauseTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly freeFds: number[] = [];
  private nextFd = FIRST_CLIENT_FD;

  constructor(
    readonly config: Config,
    readonly net: NetAdapter,
    readonly log: ServerLog,
  ) {
    this.commands = buildCommandTable();
    this.dbs = Array.from(
      { length: config.number("databases") },
      (_, i) => new Database(i),
    );
    for (const db of this.dbs) {
      db.onExpired = (db, key) => expireKey(this, db, key);
      db.onCollectionStored = (db, key) =>
        this.blocking.signalKeyAsReady(db, key);
      db.onKeyAdded = (db, key) =>
        notifyKeyspaceEvent(this, Notify.new, "new", key, db.id);
      db.onKeyDeleted = (db, key) => this.blocking.signalKeyAsReady(db, key);
      db.onFlushed = (db) => this.blocking.signalExistingKeys(db);
    }
    this.notifyFlags = config.number("notify-keyspace-events");
    this.requestLimits = {
      protoMaxBulkLen: config.number("proto-max-bulk-len"),
      queryBufferLimit: config.number("client-query-buffer-limit"),
    };
    readOutputLimits(
      config.string("client-output-buffer-limit"),
      this.outputLimits,
    );
    installConfigHooks(this);
    const applyAccessPolicy = () => {
      setAccessPolicy(
        config.string("maxmemory-policy").endsWith("-lfu"),
        config.number("lfu-log-factor"),
        config.number("lfu-decay-time"),
      );
      return null;
    };
    config.onApply(
      ["maxmemory-policy", "lfu-log-factor", "lfu-decay-time"],
      applyAccessPolicy,
    );
    applyAccessPolicy();
    this.runId = randomHex(40);
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  /**
   * Listens on the unix socket at `path` as Redis does: a stale socket file
   * is removed first, and `unixsocketperm` (when not 0) sets its mode.
   */
  private async listenUnix(path: string): Promise<Listener> {
    try {
      unlinkSync(path);
    } catch {
      // no stale socket
    }
    const listener = await this.net.listenUnix(path, (c) => this.accept(c));
    const perm = this.config.number("unixsocketperm");
    if (perm !== 0) chmodSync(path, perm);
    return listener;
  }

  /** Binds the configured addresses and starts housekeeping. */
  async start(): Promise<void> {
    // With appendonly yes the AOF is the dataset and the RDB is not read.
    this.aof.loadManifestFromDisk();
    if (this.config.bool("appendonly")) this.aof.loadAtStart();
    else this.persistence.loadAtStart();
    this.aof.openAtStart();
    const port = this.config.number("port");
    if (port !== 0 || this.config.string("unixsocket") === "") {
      this.listeners.push(...await this.listenTcp(port));
    }
    const unixsocket = this.config.string("unixsocket");
    if (unixsocket !== "") {
      this.listeners.push(await this.listenUnix(unixsocket));
    }
    if (this.listeners.length === 0) {
      throw new Error("Configured to not listen anywhere, exiting.");
    }
    this.cronTimer = setInterval(() => this.cron(), 100);
    const replicaof = this.config.string("replicaof");
    if (replicaof !== "") {
      const [host, port] = replicaof.split(" ");
      this.replica.follow(host, Number(port), true);
    }
  }

  /**
   * Listens on `port` at every `bind` address; if a required address fails,
   * closes what it opened and throws.
   */
  async listenTcp(port: number): Promise<Listener[]> {
    const opened: Listener[] = [];
    for (const host of bindAddresses(this.config.string("bind"))) {
      try {
        opened.push(
          await this.net.listenTcp(host.name, port, (c) => this.accept(c)),
        );
      } catch (error) {
        if (host.optional) continue;
        for (const listener of opened) listener.close();
        throw new Error(
          `Could not create server TCP listening socket ${host.name}:${port}: ${
            (error as Error).message
          }`,
        );
      }
    }
    return opened;
  }

  /**
   * CONFIG SET port/bind: listens on the new port and addresses, then closes
   * the old TCP listeners (those with a port; unix sockets report 0).
   */
  async rebindTcp(): Promise<void> {
    const port = this.config.number("port");
    const opened = port === 0 && this.config.string("unixsocket") !== ""
      ? []
      : await this.listenTcp(port);
    const old = this.listeners.filter((l) => l.port !== 0);
    for (const listener of old) {
      listener.close();
      this.listeners.splice(this.listeners.indexOf(listener), 1);
    }
    this.listeners.unshift(...opened);
  }

  /** The TCP port actually bound (useful when configured as 0). */
  get port(): number {
    return this.listeners[0]?.port ?? 0;
  }

  private accept(conn: Connection): Client {
    const client = new Client(this, conn);
    this.stats.totalConnections++;
    if (this.clients.size >= this.config.number("maxclients")) {
      this.stats.rejectedConnections++;
      client.out.error("ERR max number of clients reached");
      client.closeAfterReply = true;
      client.flush();
      return client;
    }
    this.clients.set(client.id, client);
    const keepalive = this.config.number("tcp-keepalive");
    if (keepalive > 0) conn.setKeepAlive(keepalive);
    return client;
  }

  /** Runs one command for `client` (the dispatcher). */
  execute(client: Client, argv: string[]): void {
    execute(this, client, argv);
  }

  /**
   * Starts running the commands of one read: `now` (Date.now()) is sampled
   * once for them all (they run within microseconds of each other) and
   * starts the run of untimed commands. {@linkcode endBatch} must follow in
   * the same synchronous event.
   */
  beginBatch(now: number): void {
    this.now = now;
    this.batchClock = now;
  }

  /** Ends a batch begun with {@linkcode beginBatch}. */
  endBatch(): void {
    if (this.untimed.length !== 0) this.settleUntimed(Date.now());
    this.batchClock = 0;
  }

  /**
   * Shares the time since `batchClock` among the untimed fast commands run
   * since then, and restarts the run at `now`. Both are Date.now() readings:
   * in Deno performance.now() is a runtime call costing about 5% of an
   * unpipelined request, while Date.now() is nearly free. Its millisecond
   * steps are unbiased over many batches (a batch of d ms counts its floor or
   * ceiling, with the right odds), so commandstats totals and averages stay
   * right.
   */
  settleUntimed(now: number): void {
    const untimed = this.untimed;
    if (untimed.length !== 0) {
      const share = (now - this.batchClock) * 1000 / untimed.length;
      for (const s of untimed) s.usec += share;
      untimed.length = 0;
    }
    this.batchClock = now;
  }

  /** Notes that `client` has output to send at the end of this event. */
  markPending(client: Client): void {
    this.pending.add(client);
  }

  /** Sends the output of every client that got some during this event. */
  flushPending(): void {
    if (this.pending.size === 0) return;
    for (const client of this.pending) {
      if (client.checkOutputLimit()) continue;
      client.flush();
    }
    this.pending.clear();
  }

  /** Forgets a closed client. */
  removeClient(client: Client): void {
    this.clients.delete(client.id);
    this.pending.delete(client);
    this.postponed.delete(client);
    this.blocking.forget(client);
    unwatchAllKeys(client);
    forgetClient(client);
    this.primary.forget(client);
    this.freeFds.push(client.fd);
  }

  /** The lowest free descriptor-like number, as the OS hands out fds. */
  allocateFd(): number {
    if (this.freeFds.length === 0) return this.nextFd++;
    let lowest = 0;
    for (let i = 1; i < this.freeFds.length; i++) {
      if (this.freeFds[i] < this.freeFds[lowest]) lowest = i;
    }
    return this.freeFds.splice(lowest, 1)[0];
  }

  /** The default user's password (`requirepass`), "" when none is set. */
  requirePass(): string {
    return this.config.string("requirepass");
  }

  /**
   * CLIENT PAUSE: holds back commands of every non-replica client (`all`) or
   * only those that write or may replicate (`write`) until `end`. A stricter
   * type and a later end win over the pause already in force, as in Redis.
   */
  pauseClients(type: ClientPause["type"], end: number): void {
    const current = this.pause;
    this.pause = {
      type: current?.type === "all" ? "all" : type,
      end: Math.max(current?.end ?? 0, end),
    };
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(
      () => this.unpauseClients(),
      Math.max(0, this.pause.end - Date.now()),
    );
  }

  /**
   * Ends the pause. Held-back commands run in arrival order once the current
   * command is done (Redis resumes them before its next event loop sleep).
   */
  unpauseClients(): void {
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    this.pause = undefined;
    queueMicrotask(() => {
      for (const client of [...this.postponed]) {
        this.postponed.delete(client);
        client.resumePostponed();
      }
      this.flushPending();
    });
  }

  /**
   * True while clients are paused (CLIENT PAUSE, or a shutdown waiting for
   * replicas): the dataset is kept still, so expired keys read as missing
   * but are not deleted until the pause ends, as in Redis 7.0. A failover
   * pauses writes so the replica it promotes has exactly this dataset.
   */
  get datasetFrozen(): boolean {
    return this.pause !== undefined || this.shutdown.pending;
  }

  /** True when the pause in force holds back `spec` from `client`. */
  isPausedFor(client: Client, spec: CommandSpec): boolean {
    // A shutdown waiting for replicas holds writes back (PAUSE_DURING_SHUTDOWN).
    const pause = this.pause ??
      (this.shutdown.pending ? SHUTDOWN_PAUSE : undefined);
    if (!pause || client.kind === "replica") return false;
    if (pause.type === "all") return true;
    // EXEC counts as a write when it would run one (Redis's processCommand).
    if (spec.name === "exec" && client.transaction?.writes) return true;
    return spec.flags.includes("write") || spec.flags.includes("may_replicate");
  }

  /**
   * Housekeeping ten times a second: idle timeouts, output limits, the
   * access clock and the active expire cycle.
   */
  private cron(): void {
    const timeout = this.config.number("timeout") * 1000;
    const now = Date.now();
    for (const client of this.clients.values()) {
      if (
        timeout > 0 && client.kind === "normal" && !client.isMaster &&
        now - client.lastInteraction > timeout && !client.postponed &&
        !client.blocked
      ) {
        this.log.verbose("Closing idle client");
        client.close();
        continue;
      }
      if (client.outputPending > 0) client.checkOutputLimit(true);
    }
    this.metrics.sample(this, now);
    updateAccessClock(now);
    this.activeExpire.start(100);
    this.persistence.cron();
    this.primary.cron(now);
    this.shutdown.cron(now);
    this.aof.cron();
    this.idleCollector.tick(
      this.stats.totalCommands,
      this.stats.expiredKeys,
      () => process.memoryUsage().heapUsed,
    );
  }

  /**
   * The last step of a shutdown: stops accepting, closes every client and
   * resolves `stopped` with exit code `code`.
   */
  close(code: number): void {
    this.shuttingDown = true;
    if (this.cronTimer !== undefined) clearInterval(this.cronTimer);
    this.cronTimer = undefined;
    this.activeExpire.stop();
    this.replica.stop();
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    for (const listener of this.listeners) listener.close();
    this.listeners.length = 0;
    const unixsocket = this.config.string("unixsocket");
    if (unixsocket !== "") {
      try {
        unlinkSync(unixsocket);
      } catch {
        // already gone
      }
    }
    for (const client of [...this.clients.values()]) {
      client.flush();
      client.close();
    }
    this.resolveStopped(code);
  }
}

/** One `bind` address; a leading `-` marks it optional (skipped if unavailable). */
interface BindAddress {
  name: string;
  optional: boolean;
}

/** Expands `bind`: `*` is every IPv4 address, `::*` every IPv6 address. */
function bindAddresses(bind: string): BindAddress[] {
  return bind.trim().split(/\s+/).filter((w) => w !== "").map((word) => {
    const optional = word.startsWith("-");
    const name = optional ? word.slice(1) : word;
    return {
      name: name === "*" ? "0.0.0.0" : name === "::*" ? "::" : name,
      optional,
    };
  });
}
