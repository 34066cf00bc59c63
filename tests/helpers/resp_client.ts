/**
 * A minimal RESP client for tests: sends commands, reads decoded replies or
 * raw reply bytes, so tests can compare values or exact bytes.
 * @module
 */

import { binaryToBytes, bytesToBinary } from "../../src/protocol/binary.ts";
import { ReplyDecoder, type RespValue } from "../../src/protocol/decoder.ts";

/** Encodes argv as a RESP multibulk request. Strings are binary strings. */
export function encodeCommand(argv: (string | number)[]): Uint8Array {
  let frame = `*${argv.length}\r\n`;
  for (const arg of argv) {
    const s = String(arg);
    frame += `$${s.length}\r\n${s}\r\n`;
  }
  return binaryToBytes(frame);
}

/** How long a read waits for a reply before failing (and closing the connection). */
export const READ_TIMEOUT_MS = 15_000;

/** A decoded reply and the exact bytes it came in. */
export interface ReplyWithBytes {
  value: RespValue;
  bytes: Uint8Array;
}

/** A test connection to a RESP server on 127.0.0.1. */
export class RespClient {
  private readonly decoder = new ReplyDecoder();
  private readonly buf = new Uint8Array(64 * 1024);
  /** Every byte received, so a reply's exact bytes can be returned. */
  private received = new Uint8Array(64 * 1024);
  private receivedLen = 0;

  private constructor(readonly conn: Deno.Conn) {}

  /** Connects to `port` on 127.0.0.1. */
  static async connect(port: number): Promise<RespClient> {
    return RespClient.fromConn(
      await Deno.connect({ hostname: "127.0.0.1", port }),
    );
  }

  /** Wraps an open connection (e.g. a unix socket). */
  static fromConn(conn: Deno.Conn): RespClient {
    return new RespClient(conn);
  }

  /** Sends bytes as they are (a string is taken as a binary string). */
  async send(bytes: Uint8Array | string): Promise<void> {
    const data = typeof bytes === "string" ? binaryToBytes(bytes) : bytes;
    let off = 0;
    while (off < data.length) off += await this.conn.write(data.subarray(off));
  }

  /** Sends a command without waiting for its reply. */
  async write(...argv: (string | number)[]): Promise<void> {
    await this.send(encodeCommand(argv));
  }

  /** Reads the next reply with its exact bytes; throws if the connection closes first. */
  async readWithBytes(
    timeoutMs = READ_TIMEOUT_MS,
  ): Promise<ReplyWithBytes> {
    const start = this.receivedLen - this.decoder.pending;
    let timedOut = false;
    // A reply that never comes fails the test instead of hanging it.
    const timer = setTimeout(() => {
      timedOut = true;
      this.close();
    }, timeoutMs);
    try {
      while (true) {
        const value = this.decoder.next();
        if (value !== undefined) {
          const end = this.receivedLen - this.decoder.pending;
          return { value, bytes: this.received.slice(start, end) };
        }
        let more = false;
        try {
          more = await this.fill();
        } catch (error) {
          if (!timedOut) throw error;
        }
        if (timedOut) throw new Error(`no reply within ${timeoutMs} ms`);
        if (!more) throw new Error("connection closed");
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads the next decoded reply. */
  async read(): Promise<RespValue> {
    return (await this.readWithBytes()).value;
  }

  /** Sends a command and returns its decoded reply. */
  async call(...argv: (string | number)[]): Promise<RespValue> {
    await this.write(...argv);
    return await this.read();
  }

  /** Sends a command and returns the exact bytes of its reply. */
  async callRaw(...argv: (string | number)[]): Promise<Uint8Array> {
    await this.write(...argv);
    return (await this.readWithBytes()).bytes;
  }

  /** Reads one more chunk into the decoder; false at EOF. */
  private async fill(): Promise<boolean> {
    const n = await this.conn.read(this.buf);
    if (n === null) return false;
    if (this.receivedLen + n > this.received.length) {
      const bigger = new Uint8Array((this.receivedLen + n) * 2);
      bigger.set(this.received.subarray(0, this.receivedLen));
      this.received = bigger;
    }
    this.received.set(this.buf.subarray(0, n), this.receivedLen);
    this.receivedLen += n;
    this.decoder.push(this.buf.subarray(0, n));
    this.decoder.retain();
    return true;
  }

  /** Resolves true when the server closes the connection within `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.close();
    }, ms);
    try {
      while (await this.fill()) { /* drain */ }
      return !timedOut;
    } catch {
      return !timedOut;
    } finally {
      clearTimeout(timer);
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
}

/**
 * Sends each command to both clients (redeno's first, then the oracle's) and
 * asserts the exact reply bytes match, naming the command on a mismatch.
 */
export async function assertSameReplies(
  actual: RespClient,
  expected: RespClient,
  commands: (string | number)[][],
): Promise<void> {
  for (const argv of commands) {
    const got = bytesToBinary(await actual.callRaw(...argv));
    const want = bytesToBinary(await expected.callRaw(...argv));
    if (got !== want) {
      throw new Error(
        `${argv.join(" ")}: redeno replied ${JSON.stringify(got)}, redis ${
          JSON.stringify(want)
        }`,
      );
    }
  }
}
