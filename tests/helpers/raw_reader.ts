/**
 * A connection's bytes read as a binary string as they come, for tests that
 * speak the replication protocol by hand.
 * @module
 */

import { bytesToBinary } from "../../src/protocol/binary.ts";

/** Reads a connection's bytes as a binary string, as they come. */
export class RawReader {
  text = "";
  private readonly buf = new Uint8Array(1 << 16);
  constructor(readonly conn: Deno.Conn) {}

  /** Reads until `done` holds for the text so far. */
  async until(done: (text: string) => boolean): Promise<void> {
    while (!done(this.text)) {
      const n = await this.conn.read(this.buf);
      if (n === null) throw new Error("closed");
      this.text += bytesToBinary(this.buf.subarray(0, n));
    }
  }

  /** Takes the first `n` characters off the text. */
  take(n: number): string {
    const head = this.text.slice(0, n);
    this.text = this.text.slice(n);
    return head;
  }

  /** Sends `text` (ASCII) on the connection. */
  async send(text: string): Promise<void> {
    const bytes = new TextEncoder().encode(text);
    let sent = 0;
    while (sent < bytes.length) {
      sent += await this.conn.write(bytes.subarray(sent));
    }
  }
}
