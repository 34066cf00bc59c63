/**
 * The server: configuration, databases, connected clients, statistics and the
 * periodic housekeeping Redis calls serverCron. Networking is reached only
 * through a {@linkcode NetAdapter}, so the same server runs on Deno and Bun.
 * @module
 */

import { Client, type ClientClass } from "./client.ts";
import { execute } from "./commands/dispatch.ts";
import { buildCommandTable } from "./commands/index.ts";
import type { CommandTable } from "./commands/table.ts";
import type { Config } from "./config.ts";
import type { ServerLog } from "./log.ts";
import type { Connection, Listener, NetAdapter } from "./net/types.ts";
import type { RequestLimits } from "./protocol/decoder.ts";
import { Stats } from "./stats.ts";
import { Database } from "./store/keyspace.ts";

/** The redis_version reported to clients: the Redis release redeno matches. */
export const REDIS_VERSION = "7.0.15";
/** redeno's own version. */
export const REDENO_VERSION = "0.1.0";

/** One class's `client-output-buffer-limit`. */
export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/** Parses `client-output-buffer-limit` ("normal 0 0 0 slave ... pubsub ..."). */
export function parseOutputLimits(
  text: string,
  into: Record<ClientClass, OutputLimit>,
): string | null {
  const words = text.trim().split(/\s+/);
  if (words.length % 4 !== 0) {
    return "Wrong number of arguments in buffer limit configuration.";
  }
  const parsed: [ClientClass, OutputLimit][] = [];
  for (let i = 0; i < words.length; i += 4) {
    const cls = words[i].toLowerCase();
    const kind: ClientClass | undefined = cls === "normal"
      ? "normal"
      : cls === "slave" || cls === "replica"
      ? "replica"
      : cls === "pubsub"
      ? "pubsub"
      : undefined;
    const [hard, soft, secs] = words.slice(i + 1, i + 4).map(parseMemoryWord);
    if (!kind) {
      return "Invalid client class specified in buffer limit configuration.";
    }
    if (hard === null || soft === null || secs === null) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    parsed.push([kind, { hard, soft, softSeconds: secs }]);
  }
  for (const [kind, limit] of parsed) into[kind] = limit;
  return null;
}

function parseMemoryWord(word: string): number | null {
  const m = /^(\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(word);
  if (!m) return null;
  const unit = (m[2] ?? "b").toLowerCase();
  const scale: Record<string, number> = {
    b: 1,
    k: 1000,
    kb: 1024,
    m: 1e6,
    mb: 1024 ** 2,
    g: 1e9,
    gb: 1024 ** 3,
  };
  return Number(m[1]) * scale[unit];
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
  /** Changes since the last save; write commands add to it (Redis's server.dirty). */
  dirty = 0;
  /** Time of the command being run, in Unix ms (Redis's command time snapshot). */
  now = Date.now();
  readonly startedAt = Date.now();
  /** 40 hex chars identifying this run (INFO run_id). */
  readonly runId: string;
  /** Ports the server listens on. */
  readonly listeners: Listener[] = [];
  /** Resolves when the server has shut down; the value is the exit code. */
  readonly stopped: Promise<number>;
  private resolveStopped!: (code: number) => void;
  private readonly pending = new Set<Client>();
  private cronTimer: ReturnType<typeof setInterval> | undefined;

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
    this.requestLimits = {
      protoMaxBulkLen: config.number("proto-max-bulk-len"),
      queryBufferLimit: config.number("client-query-buffer-limit"),
    };
    parseOutputLimits(
      config.string("client-output-buffer-limit"),
      this.outputLimits,
    );
    this.runId = randomHex(40);
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  /** Binds the configured addresses and starts housekeeping. */
  async start(): Promise<void> {
    const port = this.config.number("port");
    if (port !== 0 || this.config.string("unixsocket") === "") {
      for (const host of bindAddresses(this.config.string("bind"))) {
        try {
          this.listeners.push(
            await this.net.listenTcp(host.name, port, (c) => this.accept(c)),
          );
        } catch (error) {
          if (host.optional) continue;
          throw new Error(
            `Could not create server TCP listening socket ${host.name}:${port}: ${
              (error as Error).message
            }`,
          );
        }
      }
    }
    const unixsocket = this.config.string("unixsocket");
    if (unixsocket !== "") {
      this.listeners.push(
        await this.net.listenUnix(unixsocket, (c) => this.accept(c)),
      );
    }
    this.cronTimer = setInterval(() => this.cron(), 100);
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

  /** Notes that `client` has output to send at the end of this event. */
  markPending(client: Client): void {
    this.pending.add(client);
  }

  /** Sends the output of every client that got some during this event. */
  flushPending(): void {
    for (const client of this.pending) {
      if (client.kind !== "normal" && client.checkOutputLimit()) continue;
      client.flush();
    }
    this.pending.clear();
  }

  /** Forgets a closed client. */
  removeClient(client: Client): void {
    this.clients.delete(client.id);
    this.pending.delete(client);
  }

  /** Housekeeping ten times a second: idle timeouts and output limits. */
  private cron(): void {
    const timeout = this.config.number("timeout") * 1000;
    const now = Date.now();
    for (const client of this.clients.values()) {
      if (
        timeout > 0 && client.kind === "normal" &&
        now - client.lastInteraction > timeout
      ) {
        this.log.verbose("Closing idle client");
        client.close();
        continue;
      }
      if (client.outputPending > 0) client.checkOutputLimit();
    }
  }

  /**
   * Stops accepting, closes every client and resolves `stopped` with the exit
   * code. Saving on shutdown is added by the persistence layer.
   */
  shutdown(reason: string): void {
    this.log.warning(`${reason}, preparing to shut down...`);
    if (this.cronTimer !== undefined) clearInterval(this.cronTimer);
    this.cronTimer = undefined;
    for (const listener of this.listeners) listener.close();
    this.listeners.length = 0;
    for (const client of [...this.clients.values()]) {
      client.flush();
      client.close();
    }
    this.log.warning("Redis is now ready to exit, bye bye...");
    this.resolveStopped(0);
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

function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length / 2));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
