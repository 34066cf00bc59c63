/**
 * One full sync's RDB transfer to a group of replicas (the primary half of
 * Redis's rdbSaveToSlavesSockets / the disk-target BGSAVE). The RDB comes
 * from the same fork-less {@linkcode Snapshot} BGSAVE and the AOF rewrite
 * use, written in slices between client work, so clients keep being served.
 *
 * Diskless (`repl-diskless-sync yes`): `$EOF:<40 hex>\r\n`, the RDB bytes as
 * each slice produces them, then the same 40 characters. A slice waits
 * until every replica's socket has taken all but {@linkcode SEND_WINDOW}
 * bytes, so the slowest replica sets the pace, as Redis's pipe from the
 * child does. Disk form: the payload is built in memory first (Redis's file
 * on disk), then each replica is sent `$<len>\r\n` and the bytes at its own
 * socket's pace (sendBulkToSlave). Stream bytes propagated meanwhile wait in
 * each replica's link (`buffered`, counted in its client's `held`) and
 * follow the payload; the replicas' offset is the one at the snapshot's
 * start.
 * @module
 */

import { randomHex } from "../util/random_hex.ts";
import { binaryToBytes } from "../protocol/binary.ts";
import { RdbFileWriter } from "../persistence/rdb_file.ts";
import { Snapshot } from "../persistence/snapshot.ts";
import type { Client } from "../client.ts";
import type { Server } from "../server.ts";
import type { ReplicaLink } from "./primary.ts";

/** Time a transfer slice may take before clients get their turn. */
const SLICE_MS = 5;
/** RDB bytes a slice may produce before it hands them on. */
const SLICE_BYTES = 1 << 18;
/** RDB bytes a replica may have queued and unwritten before sending waits. */
export const SEND_WINDOW = 1 << 20;

/** A running transfer of one snapshot to `links`. */
export class FullSync {
  /** The replicas it serves; a disk-form one takes more while it saves. */
  readonly links: ReplicaLink[];
  /** The replication offset the snapshot stands at (psync_initial_offset). */
  readonly offset: number;
  private readonly snapshot: Snapshot;
  private readonly writer: RdbFileWriter;
  /** The diskless end mark, or undefined for the `$<len>` form. */
  private readonly mark: string | undefined;
  /** The disk form's payload, collected until it is complete. */
  private readonly chunks: Uint8Array[] = [];
  /** Set when the snapshot is complete or abandoned. */
  private ended = false;

  /**
   * Starts the transfer: takes the snapshot now (the point the replicas'
   * offset stands at) and runs its slices. `alive` tells whether a link is
   * still attached; `done` is called once the snapshot is released (a
   * disk-form transfer then still sends each replica its payload).
   */
  constructor(
    private readonly server: Server,
    links: ReplicaLink[],
    diskless: boolean,
    aux: [string, string][],
    private readonly alive: (link: ReplicaLink) => boolean,
    private readonly done: () => void,
  ) {
    this.links = links;
    this.offset = server.replica.ids.offset;
    const persistence = server.persistence;
    const options = persistence.writeOptions();
    this.mark = diskless ? randomHex(40) : undefined;
    if (this.mark) this.send(binaryToBytes(`$EOF:${this.mark}\r\n`));
    this.writer = new RdbFileWriter(options, (chunk) => this.produced(chunk));
    this.writer.header(aux);
    this.snapshot = new Snapshot(server.dbs, this.writer, options.access);
    persistence.attachSnapshot(this.snapshot);
    this.run();
  }

  /** True for the `$EOF:` form, whose bytes go to every replica as made. */
  get diskless(): boolean {
    return this.mark !== undefined;
  }

  /** True while a disk-form snapshot is being written (Redis's child runs). */
  get saving(): boolean {
    return !this.diskless && !this.ended;
  }

  private produced(chunk: Uint8Array): void {
    if (this.mark) this.send(chunk);
    else this.chunks.push(chunk);
  }

  /** Queues `bytes` on every replica still attached. */
  private send(bytes: Uint8Array): void {
    const now = Date.now();
    for (const link of this.links) {
      if (!this.alive(link)) continue;
      // Each replica took the last slice: the transfer is moving for it.
      link.lastPartialWrite = now;
      link.client.out.raw(bytes);
      this.server.markPending(link.client);
    }
  }

  /** The snapshot's slices, each after the replicas took the last ones. */
  private async run(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.mark) {
        for (const link of this.links) {
          if (this.alive(link)) await drain(link.client);
        }
      }
      if (this.ended) return;
      if (!this.links.some(this.alive)) {
        if (this.mark) {
          this.server.log.warning(
            "Diskless rdb transfer, last replica dropped, killing fork child.",
          );
        }
        this.stop();
        return;
      }
      const complete = this.snapshot.step(
        performance.now() + SLICE_MS,
        SLICE_BYTES,
      );
      this.writer.flush();
      if (complete) {
        this.writer.end();
        this.finish();
        this.server.flushPending();
        return;
      }
      this.server.flushPending();
    }
  }

  /** Ends the payload: the mark, or each replica's paced `$<len>` send. */
  private finish(): void {
    const log = this.server.log;
    if (this.mark) {
      this.send(binaryToBytes(this.mark));
      log.notice("Background RDB transfer terminated with success");
    } else {
      log.notice("Background saving terminated with success");
    }
    const links = this.links.filter(this.alive);
    this.stop();
    for (const link of links) {
      if (this.mark) {
        log.notice(
          `Streamed RDB transfer with replica ${
            this.server.primary.describe(link)
          } succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming`,
        );
        // A replica finds the diskless end mark only at the end of a read:
        // its stream starts once it acknowledges the load (Redis 7.0's
        // repl_start_cmd_stream_on_ack); an rdb-only one is done.
        if (link.rdbOnly) putOnline(this.server, link);
        else link.streamOnAck = true;
      } else {
        this.sendPayload(link);
      }
    }
  }

  /** Sends the disk form's payload to `link` as fast as its socket takes it. */
  private async sendPayload(link: ReplicaLink): Promise<void> {
    let length = 0;
    for (const chunk of this.chunks) length += chunk.length;
    const client = link.client;
    client.out.raw(binaryToBytes(`$${length}\r\n`));
    for (const chunk of this.chunks) {
      if (!this.alive(link)) return;
      client.out.raw(chunk);
      this.server.markPending(client);
      this.server.flushPending();
      await drain(client);
    }
    if (this.alive(link)) putOnline(this.server, link);
    this.server.flushPending();
  }

  /** Releases the snapshot (it is complete or abandoned). */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.server.persistence.attachSnapshot(undefined);
    this.done();
  }
}

/** Waits until `client` has at most SEND_WINDOW bytes unwritten, or is closed. */
async function drain(client: Client): Promise<void> {
  while (!client.isClosed && client.unwritten > SEND_WINDOW) {
    client.flush();
    const writing = client.writeInProgress;
    // Output held back (an AOF fsync first) is retried shortly.
    await (writing ?? new Promise((resolve) => setTimeout(resolve, 1)));
  }
}

/**
 * Sends `link` the stream buffered during its sync and makes it online; an
 * rdb-only replica got all it asked for and is closed instead.
 */
export function putOnline(server: Server, link: ReplicaLink): void {
  const client = link.client;
  const name = server.primary.describe(link);
  if (link.rdbOnly) {
    server.log.notice(
      `RDB transfer completed, rdb only replica (${name}) should be disconnected asap`,
    );
    client.closeAfterReply = true;
    server.markPending(client);
    return;
  }
  for (const bytes of link.buffered ?? []) client.out.raw(bytes);
  link.buffered = undefined;
  client.held = 0;
  link.streamOnAck = false;
  link.state = "online";
  link.ackTime = Date.now();
  server.markPending(client);
  server.log.notice(`Synchronization with replica ${name} succeeded`);
}
