/**
 * Reads a primary's replication stream the way a replica receives it: the
 * connection sends `PSYNC ? -1` (or `SYNC`), takes the +FULLRESYNC line,
 * skips the RDB payload (`$<len>` or the diskless `$EOF:<mark>` form) and
 * then decodes every command the primary propagates, answering nothing
 * but the REPLCONF ACK a diskless primary waits for before it streams.
 * Arguments are binary strings, one char per byte.
 * @module
 */

import { bytesToBinary } from "../../src/protocol/binary.ts";
import { encodeCommand } from "./resp_client.ts";

/** One propagated command and the database it applies to (SELECT is folded in). */
export interface StreamCommand {
  db: number;
  argv: string[];
}

/** How long a read waits before the test is told the stream went quiet. */
const READ_TIMEOUT_MS = 10_000;

/** A replica-side connection decoding the propagated commands. */
export class ReplicationStream {
  /** Unread bytes, one char per byte (binary strings keep offsets exact). */
  private buffer = "";
  private readonly chunk = new Uint8Array(64 * 1024);
  /** The database the stream last selected. */
  private db = 0;
  /** Sent while waiting until the first command arrives (diskless sync). */
  private ack: Uint8Array | undefined;

  private constructor(private readonly conn: Deno.Conn) {}

  /**
   * Connects to the primary on `port`, performs the full sync handshake
   * and returns once the RDB payload has been skipped. `diskless` first
   * announces `REPLCONF capa eof`, so a diskless primary may send the
   * `$EOF:` form.
   */
  static async attach(
    port: number,
    handshake: "psync" | "sync" = "psync",
    diskless = false,
  ): Promise<ReplicationStream> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const stream = new ReplicationStream(conn);
    try {
      if (diskless) {
        await conn.write(encodeCommand(["REPLCONF", "capa", "eof"]));
        const reply = await stream.line(true);
        if (reply !== "+OK") {
          throw new Error(`REPLCONF capa eof: ${JSON.stringify(reply)}`);
        }
      }
      await stream.handshake(handshake);
    } catch (error) {
      conn.close();
      throw error;
    }
    return stream;
  }

  private async handshake(kind: "psync" | "sync"): Promise<void> {
    await this.conn.write(
      encodeCommand(kind === "psync" ? ["PSYNC", "?", "-1"] : ["SYNC"]),
    );
    let offset = "0";
    if (kind === "psync") {
      const line = await this.line(true);
      if (!line.startsWith("+FULLRESYNC ")) {
        throw new Error(`expected +FULLRESYNC, got ${JSON.stringify(line)}`);
      }
      offset = line.split(" ")[2];
    }
    const header = await this.line(true);
    if (!header.startsWith("$")) {
      throw new Error(
        `expected the RDB payload, got ${JSON.stringify(header)}`,
      );
    }
    if (header.startsWith("$EOF:")) {
      // Diskless: the payload ends with the same 40-byte mark.
      const mark = header.slice(5);
      for (;;) {
        const at = this.buffer.indexOf(mark);
        if (at !== -1) {
          this.buffer = this.buffer.slice(at + mark.length);
          // After a diskless payload the primary streams only once a
          // REPLCONF ACK comes after it has finished the transfer: repeat
          // it, as a replica does each second, until the stream starts.
          this.ack = encodeCommand(["REPLCONF", "ACK", offset]);
          return;
        }
        // Keep the tail that may hold the start of the mark.
        this.buffer = this.buffer.slice(-mark.length);
        await this.fill();
      }
    }
    const length = Number(header.slice(1));
    while (this.buffer.length < length) await this.fill();
    this.buffer = this.buffer.slice(length);
  }

  /**
   * The next propagated command, SELECT folded into `db`; PINGs (the
   * primary's keepalive) are skipped.
   */
  async next(): Promise<StreamCommand> {
    for (;;) {
      const argv = await this.command();
      const name = argv[0].toUpperCase();
      if (name === "SELECT") {
        this.db = Number(argv[1]);
      } else if (name !== "PING") {
        return { db: this.db, argv };
      }
    }
  }

  /** Commands up to and excluding the first for which `isMarker` holds. */
  async until(
    isMarker: (command: StreamCommand) => boolean,
  ): Promise<StreamCommand[]> {
    const commands: StreamCommand[] = [];
    for (;;) {
      const command = await this.next();
      if (isMarker(command)) return commands;
      commands.push(command);
    }
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }

  /** One RESP array of bulk strings. */
  private async command(): Promise<string[]> {
    const header = await this.line(false);
    if (!header.startsWith("*")) {
      throw new Error(`expected a command, got ${JSON.stringify(header)}`);
    }
    const argv: string[] = [];
    for (let i = Number(header.slice(1)); i > 0; i--) {
      const bulk = await this.line(false);
      if (!bulk.startsWith("$")) {
        throw new Error(`expected a bulk string, got ${JSON.stringify(bulk)}`);
      }
      const length = Number(bulk.slice(1));
      while (this.buffer.length < length + 2) await this.fill();
      argv.push(this.buffer.slice(0, length));
      this.buffer = this.buffer.slice(length + 2);
    }
    return argv;
  }

  /**
   * One line without its CRLF. Before the payload the primary may send bare
   * newlines to keep the link alive; `skipBlank` drops them.
   */
  private async line(skipBlank: boolean): Promise<string> {
    for (;;) {
      if (skipBlank) this.buffer = this.buffer.replace(/^\n+/, "");
      const end = this.buffer.indexOf("\r\n");
      if (end !== -1) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return line;
      }
      await this.fill();
    }
  }

  private async fill(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("replication stream: nothing read in time")),
        READ_TIMEOUT_MS,
      );
    });
    const ack = this.ack;
    const acking = ack === undefined
      ? undefined
      : setInterval(() => this.conn.write(ack).catch(() => {}), 100);
    if (ack !== undefined) this.conn.write(ack).catch(() => {});
    try {
      const n = await Promise.race([this.conn.read(this.chunk), timeout]);
      if (n === null) throw new Error("replication stream closed");
      this.buffer += bytesToBinary(this.chunk.subarray(0, n));
      this.ack = undefined;
    } finally {
      clearTimeout(timer);
      clearInterval(acking);
    }
  }
}
