/**
 * A connected client: its decoder, output buffer and per-connection state.
 * Bytes from the socket are decoded and executed in order; every reply made
 * while handling one read leaves in a single socket write (pipelining).
 * @module
 */

import type { Connection, ConnectionHandler } from "./net/types.ts";
import {
  ProtocolError,
  QueryBufferLimitError,
  RequestDecoder,
} from "./protocol/decoder.ts";
import { quoteRepr } from "./protocol/binary.ts";
import { ReplyWriter } from "./protocol/writer.ts";
import type { Server } from "./server.ts";
import type { Database } from "./store/keyspace.ts";
import type { Waiter } from "./blocking.ts";
import { ClientSubscriptions, forgetClient } from "./pubsub.ts";
import {
  discardTransaction,
  type Transaction,
  type WatchedKey,
} from "./multi.ts";

/** Output buffer classes of `client-output-buffer-limit`. */
export type ClientClass = "normal" | "replica" | "pubsub";

/** CLIENT REPLY modes. */
export type ReplyMode = "on" | "off" | "skip";

/** One client connection. */
export class Client implements ConnectionHandler {
  /** Unique, increasing id (CLIENT ID). */
  readonly id: number;
  readonly decoder: RequestDecoder;
  /** Replies go here; `flush()` sends them. */
  readonly out = new ReplyWriter();
  /** The selected database. */
  db: Database;
  /** CLIENT SETNAME. */
  name = "";
  /** CLIENT SETINFO LIB-NAME / LIB-VER. */
  libName = "";
  libVer = "";
  /** Unix ms of connection and of the last command (CLIENT LIST age, idle). */
  readonly createdAt: number;
  lastInteraction: number;
  /** Full name of the last command run ("client|list"). */
  lastCommand = "NULL";
  /** CLIENT REPLY mode. */
  replyMode: ReplyMode = "on";
  /** CLIENT NO-EVICT and NO-TOUCH. */
  noEvict = false;
  noTouch = false;
  /** Set when the connection must close once pending output is written (QUIT, protocol errors). */
  closeAfterReply = false;
  /** Set once the client is closed or being closed. */
  isClosed = false;
  /** The client class for output buffer limits ("pubsub" while subscribed). */
  kind: ClientClass = "normal";
  /** The open MULTI block, undefined outside MULTI. */
  transaction: Transaction | undefined;
  /** A watched key changed: the next EXEC fails (Redis's CLIENT_DIRTY_CAS). */
  dirtyCas = false;
  /** Keys this client WATCHes. */
  watched: WatchedKey[] = [];
  /** SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE subscriptions (src/pubsub.ts). */
  readonly subscriptions = new ClientSubscriptions();
  /** False until AUTH succeeds, when the default user has a password (requirepass). */
  get authenticated(): boolean {
    return !this.decoder.authRequired;
  }
  set authenticated(yes: boolean) {
    // Until then the decoder applies Redis's tighter unauthenticated limits.
    this.decoder.authRequired = !yes;
  }
  /** The descriptor-like number CLIENT LIST shows as `fd`. */
  readonly fd: number;
  /** A command held back by CLIENT PAUSE; no input is processed until it runs. */
  postponed: string[] | undefined;
  /** Set while blocked on keys (BLPOP...); no input is processed meanwhile. */
  blocked: Waiter | undefined;
  /** The replication offset after this client's last command (WAIT waits for it). */
  replOffset = 0;
  /** Largest single read from the socket (CLIENT LIST rbp). */
  readPeak = 0;
  /** Unix ms since which the output has been above the soft limit, or 0. */
  private softLimitSince = 0;
  /**
   * Bytes queued for this client outside its writer: a replica's stream
   * held while its full sync runs. They count against its output limit.
   */
  held = 0;
  /** Bytes handed to the socket and not yet confirmed written. */
  private inFlight = 0;
  private writing: Promise<void> | undefined;

  constructor(
    readonly server: Server,
    readonly conn: Connection,
  ) {
    this.id = server.nextClientId++;
    this.decoder = new RequestDecoder(server.requestLimits);
    this.db = server.dbs[0];
    this.createdAt = this.lastInteraction = Date.now();
    this.authenticated = server.requirePass() === "";
    this.fd = server.allocateFd();
    this.out.onError = (message) => server.stats.recordError(message);
  }

  /** True for the client the primary's replication stream runs as. */
  get isMaster(): boolean {
    return false;
  }

  /** RESP version of this connection. */
  get protover(): 2 | 3 {
    return this.out.protover;
  }

  /** Bytes of output not yet written to the socket (CLIENT LIST omem). */
  get outputPending(): number {
    return this.out.length + this.inFlight + this.held;
  }

  /**
   * Bytes queued in the writer or on the socket (not `held`): what a
   * paced sender (a replica's RDB transfer) waits to go down.
   */
  get unwritten(): number {
    return this.out.length + this.inFlight;
  }

  /** The socket write in progress (settles when it ends), or undefined. */
  get writeInProgress(): Promise<void> | undefined {
    return this.writing;
  }

  /** Bytes arrived from the socket. */
  data(bytes: Uint8Array): Promise<void> | void {
    if (this.isClosed) return;
    this.server.stats.netInputBytes += bytes.length;
    this.server.readsProcessed++;
    if (bytes.length > this.readPeak) this.readPeak = bytes.length;
    this.lastInteraction = Date.now();
    this.decoder.push(bytes);
    this.server.beginBatch(this.lastInteraction);
    try {
      this.processInput();
    } finally {
      this.server.endBatch();
    }
    this.decoder.retain();
    // This client's own replies go now, unless they broke its class's output
    // limit (checked as Redis checks when replies are added: before they are
    // written); others that got output (pub/sub, unblocked clients) were
    // marked pending.
    if (!this.checkOutputLimit()) this.flush();
    this.server.flushPending();
    return this.writing;
  }

  /** Executes buffered commands until input runs out or the client must stop. */
  processInput(): void {
    while (
      !this.closeAfterReply && !this.isClosed && !this.postponed &&
      !this.blocked
    ) {
      let argv: string[] | undefined;
      try {
        argv = this.decoder.next();
      } catch (error) {
        this.protocolFailure(error);
        return;
      }
      if (argv === undefined) return;
      if (argv.length === 0) continue;
      this.server.execute(this, argv);
    }
  }

  /** Runs the command CLIENT PAUSE held back, then the input queued behind it. */
  resumePostponed(): void {
    const argv = this.postponed;
    if (!argv || this.isClosed) return;
    this.postponed = undefined;
    this.server.execute(this, argv);
    this.processInput();
    this.server.markPending(this);
  }

  /**
   * RESET: back to a fresh connection's state (RESP2, db 0, no name, replies
   * on, not authenticated when a password is required). Families with their
   * own per-connection state (MULTI, pub/sub, tracking) clear it here too.
   */
  reset(): void {
    this.out.protover = 2;
    this.db = this.server.dbs[0];
    this.name = "";
    this.replyMode = "on";
    this.out.muted = false;
    this.noEvict = false;
    this.noTouch = false;
    this.authenticated = this.server.requirePass() === "";
    discardTransaction(this);
    forgetClient(this);
  }

  private protocolFailure(error: unknown): void {
    if (error instanceof ProtocolError) {
      this.server.log.verbose(
        `Protocol error (${error.message}) from client: ${this.describe()}`,
      );
      this.out.muted = false;
      this.out.error("ERR " + error.message);
      this.closeAfterReply = true;
    } else if (error instanceof QueryBufferLimitError) {
      this.server.log.warning(
        `Closing client that reached max query buffer length: ${this.describe()} (qbuf initial bytes: ${
          quoteRepr(error.head)
        })`,
      );
      this.close();
    } else {
      throw error;
    }
  }

  /** Sends pending output; closes afterwards when asked to. */
  flush(): void {
    if (this.writing || this.isClosed) return;
    if (this.out.length === 0) {
      if (this.closeAfterReply) this.close();
      return;
    }
    // What these replies acknowledge is in the AOF first.
    if (this.server.aof.beforeReplies(this)) return;
    const bytes = this.out.take();
    this.server.stats.netOutputBytes += bytes.length;
    this.server.writesProcessed++;
    const pending = this.conn.write(bytes);
    if (!pending) {
      if (this.closeAfterReply) this.close();
      return;
    }
    this.inFlight = bytes.length;
    this.writing = pending.then(() => {
      this.inFlight = 0;
      this.writing = undefined;
      this.flush();
    });
  }

  /**
   * Checks `client-output-buffer-limit` for this client's class; a client
   * over its hard limit, or over its soft limit for too long, is closed.
   * `inCron` is the server cron's check, which Redis logs as a close done
   * rather than scheduled.
   */
  checkOutputLimit(inCron = false): boolean {
    const limit = this.server.outputLimits[this.kind];
    if (limit.hard === 0 && limit.soft === 0) return false;
    const used = this.outputPending;
    const overHard = limit.hard > 0 && used >= limit.hard;
    let overSoft = false;
    if (limit.soft > 0 && used >= limit.soft) {
      const now = Date.now();
      if (this.softLimitSince === 0) this.softLimitSince = now;
      overSoft = now - this.softLimitSince >= limit.softSeconds * 1000;
    } else {
      this.softLimitSince = 0;
    }
    if (!overHard && !overSoft) return false;
    this.server.log.warning(
      `Client ${this.describe()} ${
        inCron ? "closed" : "scheduled to be closed ASAP"
      } for overcoming of output buffer limits.`,
    );
    this.close();
    return true;
  }

  /** Closes the connection now, dropping unsent output. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.conn.close();
    this.server.removeClient(this);
  }

  /** ConnectionHandler: the socket is gone. */
  closed(): void {
    this.close();
  }

  /** Short description for log lines: `id=.. addr=.. name=..`. */
  describe(): string {
    return `id=${this.id} addr=${this.conn.remoteAddress} laddr=${this.conn.localAddress} name=${this.name}`;
  }
}
