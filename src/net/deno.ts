/**
 * Deno adapter: a `Deno.listen` accept loop and, per connection, a read loop
 * over one reused buffer that hands bytes straight to the handler.
 * @module
 */

import {
  type AcceptCallback,
  type Connection,
  type ConnectionHandler,
  formatAddress,
  type Listener,
  type NetAdapter,
  READ_BUFFER_SIZE,
} from "./types.ts";

function addressOf(addr: Deno.Addr): string {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return formatAddress(addr.hostname, addr.port);
  }
  return `${(addr as Deno.UnixAddr).path}:0`;
}

class DenoConnection implements Connection {
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly unix: boolean;
  private closedFlag = false;

  constructor(private readonly conn: Deno.Conn) {
    this.unix = conn.remoteAddr.transport === "unix";
    this.remoteAddress = this.unix
      ? `${(conn.localAddr as Deno.UnixAddr).path}:0`
      : addressOf(conn.remoteAddr);
    this.localAddress = addressOf(conn.localAddr);
    if (!this.unix) (conn as Deno.TcpConn).setNoDelay(true);
  }

  write(bytes: Uint8Array): Promise<void> | undefined {
    if (this.closedFlag) return undefined;
    return this.writeAll(bytes);
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    try {
      while (offset < bytes.length) {
        offset += await this.conn.write(bytes.subarray(offset));
      }
    } catch {
      this.close();
    }
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    try {
      this.conn.close();
    } catch {
      // already closed by the peer
    }
  }

  setKeepAlive(seconds: number): void {
    if (this.unix) return;
    // Deno exposes keepalive on/off only; the interval stays the OS default.
    (this.conn as Deno.TcpConn).setKeepAlive(seconds > 0);
  }

  /** Reads until EOF or error, feeding the handler. */
  async run(handler: ConnectionHandler): Promise<void> {
    const buf = new Uint8Array(READ_BUFFER_SIZE);
    try {
      while (true) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        const wait = handler.data(buf.subarray(0, n));
        if (wait) await wait;
      }
    } catch {
      // reset by peer or closed locally
    }
    this.close();
    handler.closed();
  }
}

async function acceptLoop(
  listener: Deno.Listener,
  onAccept: AcceptCallback,
): Promise<void> {
  try {
    for await (const conn of listener) {
      const connection = new DenoConnection(conn);
      connection.run(onAccept(connection));
    }
  } catch {
    // listener closed
  }
}

function wrap(listener: Deno.Listener, onAccept: AcceptCallback): Listener {
  acceptLoop(listener, onAccept);
  const addr = listener.addr;
  return {
    port: addr.transport === "tcp" ? addr.port : 0,
    close: () => {
      try {
        listener.close();
      } catch {
        // already closed
      }
    },
  };
}

/** The Deno networking adapter. */
export const denoAdapter: NetAdapter = {
  runtime: "deno",
  version: Deno.version.deno,
  listenTcp(hostname, port, onAccept) {
    return Promise.resolve(wrap(Deno.listen({ hostname, port }), onAccept));
  },
  listenUnix(path, onAccept) {
    return Promise.resolve(
      wrap(Deno.listen({ transport: "unix", path }), onAccept),
    );
  },
  async connect(hostname, port, makeHandler) {
    const conn = new DenoConnection(await Deno.connect({ hostname, port }));
    conn.run(makeHandler(conn));
    return conn;
  },
};
