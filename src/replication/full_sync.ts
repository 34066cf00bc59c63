/**
 * One full sync's RDB transfer to a group of replicas (the primary half of
 * Redis's rdbSaveToSlavesSockets / the disk-target BGSAVE).
 *
 * Diskless (`repl-diskless-sync yes`): `$EOF:<40 hex>\r\n`, the RDB bytes as
 * each slice of a fork-less {@linkcode Snapshot} produces them, then the
 * same 40 characters. A slice waits until every replica's socket has taken
 * all but {@linkcode SEND_WINDOW} bytes, so the slowest replica sets the
 * pace, as Redis's pipe from the child does. Disk form: a BGSAVE (the same
 * code, rdbSaveBackground in Redis) writes `dbfilename`, so the sync is also
 * a save; then each replica is sent `$<len>\r\n` and the file, read in
 * chunks at its own socket's pace (sendBulkToSlave). Stream bytes
 * propagated meanwhile wait in each replica's link (`buffered`, counted in
 * its client's `held`) and follow the payload; the replicas' offset is the
 * one at the snapshot's start.
 * @module
 */

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { randomHex } from "../util/random_hex.ts";
import { binaryToBytes } from "../protocol/binary.ts";
import { strerror } from "../config.ts";
import { RdbFileWriter } from "../persistence/rdb_file.ts";
import { Snapshot } from "../persistence/snapshot.ts";
import type { Client } from "../client.ts";
import type { Server } from "../server.ts";
import type { ReplicaLink } from "./primary.ts";

/** RDB bytes a file read may take before they are handed on. */
const SLICE_BYTES = 1 << 18;
/** RDB bytes a replica may have queued and unwritten before sending waits. */
export const SEND_WINDOW = 1 << 20;

/** A diskless transfer's snapshot, its writer and its end mark. */
interface SocketTarget {
  snapshot: Snapshot;
  writer: RdbFileWriter;
  mark: string;
}

/** A running transfer of one snapshot to `links`. */
export class FullSync {
  /** The replicas it serves; a disk-form one takes more while it saves. */
  readonly links: ReplicaLink[];
  /** The replication offset the snapshot stands at (psync_initial_offset). */
  readonly offset: number;
  /** The diskless form's snapshot, or undefined for the `$<len>` form. */
  private readonly socket: SocketTarget | undefined;
  /** Set when the snapshot is complete or abandoned. */
  private ended = false;

  /**
   * Starts the transfer: takes the snapshot now (the point the replicas'
   * offset stands at) and runs its slices, or starts the BGSAVE. `alive`
   * tells whether a link is still attached; `done` is called once the
   * snapshot is released (a disk-form transfer then still sends each
   * replica the file).
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
    this.offset = server.replication.offset;
    const persistence = server.persistence;
    if (!diskless) {
      this.socket = undefined;
      const refused = persistence.startBackgroundSave(
        aux,
        (ok) => this.saved(ok),
      );
      // Not expected (a transfer starts only when no snapshot runs).
      if (refused) queueMicrotask(() => this.saved(false));
      return;
    }
    const options = persistence.writeOptions();
    const mark = randomHex(40);
    this.send(binaryToBytes(`$EOF:${mark}\r\n`));
    const writer = new RdbFileWriter(options, (chunk) => this.send(chunk));
    writer.header(aux);
    const snapshot = new Snapshot(server.dbs, writer, options.access);
    this.socket = { snapshot, writer, mark };
    persistence.attachSnapshot(snapshot, true);
    this.run(this.socket);
  }

  /** True for the `$EOF:` form, whose bytes go to every replica as made. */
  get diskless(): boolean {
    return this.socket !== undefined;
  }

  /** True while a disk-form snapshot is being written (Redis's child runs). */
  get saving(): boolean {
    return !this.diskless && !this.ended;
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

  /**
   * The snapshot's slices, each after the replicas took the last ones and
   * the wait `rdb-key-save-delay` asks for (Persistence.writeSlice).
   */
  private async run(socket: SocketTarget): Promise<void> {
    let waitMs = 0;
    for (;;) {
      await sleep(waitMs);
      for (const link of this.links) {
        if (this.alive(link)) await drain(link.client);
      }
      if (this.ended) return;
      if (!this.links.some(this.alive)) {
        this.server.log.warning(
          "Diskless rdb transfer, last replica dropped, killing fork child.",
        );
        this.stop();
        return;
      }
      const slice = this.server.persistence.writeSlice(socket.snapshot);
      socket.writer.flush();
      this.server.flushPending();
      waitMs = slice.waitMs;
      if (!slice.done) continue;
      // Redis's child sleeps after its last key too, before it ends.
      await sleep(waitMs);
      if (this.ended) return;
      socket.writer.end();
      this.streamed(socket.mark);
      this.server.flushPending();
      return;
    }
  }

  /**
   * Ends the diskless payload with its mark. Each replica is online then,
   * as Redis's replicaPutOnline makes it when the child ends, but its
   * stream waits for its first ACK: a replica finds the end mark only at
   * the end of a read (Redis 7.0's repl_start_cmd_stream_on_ack).
   */
  private streamed(mark: string): void {
    const log = this.server.log;
    this.send(binaryToBytes(mark));
    log.notice("Background RDB transfer terminated with success");
    const links = this.links.filter(this.alive);
    this.stop();
    for (const link of links) {
      log.notice(
        `Streamed RDB transfer with replica ${
          this.server.primary.describe(link)
        } succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming`,
      );
      link.streamOnAck = !link.rdbOnly;
      putOnline(this.server, link);
    }
  }

  /** The disk form's BGSAVE ended: each replica gets the file, or is dropped. */
  private saved(ok: boolean): void {
    if (this.ended) return;
    const links = this.links.filter(this.alive);
    this.stop();
    for (const link of links) {
      if (ok) {
        this.sendFile(link);
        continue;
      }
      link.client.close();
      this.server.log.warning("SYNC failed. BGSAVE child returned an error");
    }
  }

  /**
   * Sends `link` `dbfilename` as `$<len>` and its bytes, a chunk at a time
   * as its socket takes them, so the file is never held whole.
   */
  private async sendFile(link: ReplicaLink): Promise<void> {
    const server = this.server;
    const client = link.client;
    let fd: number;
    let size: number;
    try {
      fd = openSync(server.config.string("dbfilename"), "r");
      size = fstatSync(fd).size;
    } catch (error) {
      client.close();
      server.log.warning(
        `SYNC failed. Can't open/stat DB after BGSAVE: ${strerror(error)}`,
      );
      return;
    }
    link.state = "send_bulk";
    client.out.raw(binaryToBytes(`$${size}\r\n`));
    // One buffer for every read: the output copies what it is given.
    const chunk = new Uint8Array(Math.min(SLICE_BYTES, size));
    try {
      for (let sent = 0; sent < size && this.alive(link);) {
        const want = Math.min(chunk.length, size - sent);
        const read = readSync(fd, chunk, 0, want, sent);
        if (read === 0) throw new Error("premature EOF");
        sent += read;
        client.out.raw(chunk.subarray(0, read));
        server.markPending(client);
        server.flushPending();
        await drain(client);
      }
    } catch (error) {
      client.close();
      server.log.warning(
        `Read error sending DB to replica: ${strerror(error)}`,
      );
      return;
    } finally {
      closeSync(fd);
    }
    if (this.alive(link)) putOnline(server, link);
    server.flushPending();
  }

  /** Releases the snapshot (it is complete or abandoned). */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.socket) this.server.persistence.attachSnapshot(undefined);
    this.done();
  }
}

/** Resolves after `ms` (on a later turn of the event loop even for 0). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
 * Makes `link` online (replicaPutOnline) and sends it the stream buffered
 * during its sync, unless that waits for its first ACK (`streamOnAck`); an
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
  link.state = "online";
  link.ackTime = Date.now();
  server.log.notice(`Synchronization with replica ${name} succeeded`);
  if (!link.streamOnAck) startStream(server, link);
}

/** Sends `link` the stream buffered during its sync; what follows goes straight out. */
export function startStream(server: Server, link: ReplicaLink): void {
  const client = link.client;
  for (const bytes of link.buffered ?? []) client.out.raw(bytes);
  link.buffered = undefined;
  client.held = 0;
  link.streamOnAck = false;
  server.markPending(client);
}
