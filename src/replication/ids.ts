/**
 * The replication history this server's data belongs to: Redis's
 * server.replid, replid2, master_repl_offset and second_replid_offset, in one
 * place that the primary side (PSYNC, the backlog, full syncs) and the replica
 * side (the link to a primary) both read and change.
 * @module
 */

import { randomHex } from "../util/random_hex.ts";

/** The null replication ID (no secondary history). */
const NO_REPLID = "0".repeat(40);

/** A history by its ID and the offset it stood at. */
export interface HistoryPoint {
  replid: string;
  offset: number;
}

/** This server's replication IDs and stream offset (server.replication). */
export class ReplicationHistory {
  #replid = randomHex(40);
  #replid2 = NO_REPLID;
  #offset = 0;
  #secondOffset = -1;

  /** master_replid: the history this data belongs to. */
  get replid(): string {
    return this.#replid;
  }

  /** master_replid2: the history before the last change of ID, if still valid. */
  get replid2(): string {
    return this.#replid2;
  }

  /** master_repl_offset: bytes of the stream this data reflects. */
  get offset(): number {
    return this.#offset;
  }

  /** second_repl_offset: first offset replid2 is no longer valid for, or -1. */
  get secondOffset(): number {
    return this.#secondOffset;
  }

  /** The stream now stands at `offset` (bytes applied or appended). */
  advanceTo(offset: number): void {
    this.#offset = offset;
  }

  /**
   * True when a replica at `offset` of history `replid` can continue from
   * here: the current ID, or the previous one up to where it stopped being
   * valid (the ID half of Redis's masterTryPartialResynchronization).
   */
  knows(replid: string, offset: number): boolean {
    return replid === this.#replid ||
      (replid === this.#replid2 && offset <= this.#secondOffset);
  }

  /**
   * A new history no one can continue: a fresh ID and no secondary one
   * (Redis's changeReplicationId plus clearReplicationId2).
   */
  startNew(): void {
    this.#replid = randomHex(40);
    this.clearSecondary();
  }

  /**
   * Promotion to primary: the current ID stays valid as the secondary one up
   * to the current offset, under a fresh ID (Redis's shiftReplicationId).
   */
  shift(): void {
    this.supersede(
      { replid: this.#replid, offset: this.#offset },
      randomHex(40),
    );
  }

  /**
   * +CONTINUE with a new ID: the primary was promoted, so the `cached`
   * history it continued becomes the secondary one under its `replid`.
   */
  continueUnder(replid: string, cached: HistoryPoint): void {
    this.supersede(cached, replid);
  }

  /**
   * A full sync (or a restart as a replica from a file that recorded it): the
   * primary's ID and offset become this server's, with no secondary history.
   */
  adopt(point: HistoryPoint): void {
    this.#replid = point.replid;
    this.#offset = point.offset;
    this.clearSecondary();
  }

  /**
   * A fresh primary restarting from a file that recorded `saved`: it keeps
   * its own ID and offers the saved one as the secondary, at the saved offset,
   * so the former replicas continue.
   */
  inherit(saved: HistoryPoint): void {
    this.#offset = saved.offset;
    this.supersede(saved, this.#replid);
  }

  private supersede(previous: HistoryPoint, replid: string): void {
    this.#replid2 = previous.replid;
    this.#secondOffset = previous.offset + 1;
    this.#replid = replid;
  }

  private clearSecondary(): void {
    this.#replid2 = NO_REPLID;
    this.#secondOffset = -1;
  }
}
