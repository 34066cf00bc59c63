/**
 * One full sync's RDB transfer to a group of replicas (the primary half of
 * Redis's rdbSaveToSlavesSockets / the disk-target BGSAVE). The RDB comes
 * from the same fork-less {@linkcode Snapshot} BGSAVE and the AOF rewrite
 * use, written in slices between client work, so clients keep being served.
 *
 * Diskless (`repl-diskless-sync yes`): `$EOF:<40 hex>\r\n`, the RDB bytes as
 * each slice produces them, then the same 40 characters. Disk form: the
 * payload is built in memory first, then sent as `$<len>\r\n` and the bytes.
 * Stream bytes propagated while the transfer runs wait in each replica's
 * link (`buffered`) and follow the payload; the replicas' offset is the one
 * at the snapshot's start.
 * @module
 */

import { randomHex } from "../util/random_hex.ts";
import { binaryToBytes } from "../protocol/binary.ts";
import { RdbFileWriter } from "../persistence/rdb_file.ts";
import { Snapshot } from "../persistence/snapshot.ts";
import type { Server } from "../server.ts";
import type { ReplicaLink } from "./primary.ts";

/** Time a transfer slice may take before clients get their turn. */
const SLICE_MS = 5;
/** RDB bytes a slice may produce before it hands them on. */
const SLICE_BYTES = 1 << 18;

/** A running transfer of one snapshot to `links`. */
export class FullSync {
  private readonly snapshot: Snapshot;
  private readonly writer: RdbFileWriter;
  /** The diskless end mark, or undefined for the `$<len>` form. */
  private readonly mark: string | undefined;
  /** The disk form's payload, collected until it is complete. */
  private readonly chunks: Uint8Array[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Starts the transfer: takes the snapshot now (the point the replicas'
   * offset stands at) and schedules its slices. `alive` tells whether a
   * link is still attached; `done` is called once the transfer is over.
   */
  constructor(
    private readonly server: Server,
    private readonly links: ReplicaLink[],
    diskless: boolean,
    aux: [string, string][],
    private readonly alive: (link: ReplicaLink) => boolean,
    private readonly done: () => void,
  ) {
    const persistence = server.persistence;
    const options = persistence.writeOptions();
    this.mark = diskless ? randomHex(40) : undefined;
    if (this.mark) this.send(binaryToBytes(`$EOF:${this.mark}\r\n`));
    this.writer = new RdbFileWriter(options, (chunk) => this.produced(chunk));
    this.writer.header(aux);
    this.snapshot = new Snapshot(server.dbs, this.writer, options.access);
    persistence.attachSnapshot(this.snapshot);
    this.schedule();
  }

  private produced(chunk: Uint8Array): void {
    if (this.mark) this.send(chunk);
    else this.chunks.push(chunk);
  }

  /** Queues `bytes` on every replica still attached and writes them out. */
  private send(bytes: Uint8Array): void {
    for (const link of this.links) {
      if (!this.alive(link)) continue;
      link.client.out.raw(bytes);
      this.server.markPending(link.client);
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.slice(), 0);
  }

  private slice(): void {
    this.timer = undefined;
    if (!this.links.some(this.alive)) {
      this.server.log.warning(
        "Diskless rdb transfer, last replica dropped, killing fork child.",
      );
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
    } else {
      this.schedule();
    }
    this.server.flushPending();
  }

  /** Ends the payload, sends each replica its buffered stream, puts it online. */
  private finish(): void {
    if (this.mark) {
      this.send(binaryToBytes(this.mark));
    } else {
      let length = 0;
      for (const chunk of this.chunks) length += chunk.length;
      this.send(binaryToBytes(`$${length}\r\n`));
      for (const chunk of this.chunks) this.send(chunk);
    }
    const log = this.server.log;
    log.notice(
      this.mark
        ? "Background RDB transfer terminated with success"
        : "Background saving terminated with success",
    );
    for (const link of this.links) {
      if (!this.alive(link)) continue;
      // A replica finds the diskless end mark only at the end of a read:
      // its stream starts once it acknowledges the load (Redis 7.0's
      // repl_start_cmd_stream_on_ack).
      if (this.mark) link.streamOnAck = true;
      else putOnline(this.server, link);
    }
    this.stop();
  }

  /** Releases the snapshot (the transfer is over or abandoned). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.server.persistence.attachSnapshot(undefined);
    this.done();
  }
}

/** Sends `link` the stream buffered during its sync and makes it online. */
export function putOnline(server: Server, link: ReplicaLink): void {
  for (const bytes of link.buffered ?? []) link.client.out.raw(bytes);
  link.buffered = undefined;
  link.streamOnAck = false;
  link.state = "online";
  link.ackTime = Date.now();
  server.markPending(link.client);
  server.log.notice(
    `Synchronization with replica ${server.primary.describe(link)} succeeded`,
  );
}
