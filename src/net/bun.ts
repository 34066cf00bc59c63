/**
 * Bun adapter: `Bun.listen` / `Bun.connect` with the same Connection and
 * handler contract as the Deno adapter. Bun delivers each read to a callback
 * and writes synchronously; a partial write keeps the rest until `drain`.
 * @module
 */

import {
  type AcceptCallback,
  type Connection,
  type ConnectionHandler,
  formatAddress,
  type Listener,
  type NetAdapter,
} from "./types.ts";

/** The parts of Bun's socket API the adapter uses (Bun's types are not loaded under Deno). */
interface BunSocket {
  data: BunConnection;
  remoteAddress: string;
  remotePort?: number;
  localAddress?: string;
  localPort?: number;
  write(bytes: Uint8Array): number;
  end(): void;
  setNoDelay?(on: boolean): boolean;
  setKeepAlive?(on: boolean, initialDelaySeconds?: number): boolean;
  pause(): void;
  resume(): void;
}

interface BunSocketHandlers {
  open(socket: BunSocket): void;
  data(socket: BunSocket, bytes: Uint8Array): void;
  drain(socket: BunSocket): void;
  close(socket: BunSocket): void;
  error(socket: BunSocket, error: Error): void;
  connectError?(socket: BunSocket, error: Error): void;
}

interface BunListener {
  port?: number;
  stop(closeActive?: boolean): void;
}

interface BunApi {
  version: string;
  listen(
    options:
      & ({ hostname: string; port: number } | { unix: string })
      & { socket: BunSocketHandlers },
  ): BunListener;
  connect(
    options: { hostname: string; port: number; socket: BunSocketHandlers },
  ): Promise<BunSocket>;
}

const Bun = (globalThis as unknown as { Bun: BunApi }).Bun;

class BunConnection implements Connection {
  readonly remoteAddress: string;
  readonly localAddress: string;
  handler?: ConnectionHandler;
  private pending: Uint8Array | null = null;
  private drained: (() => void) | null = null;
  private closedFlag = false;

  constructor(private readonly socket: BunSocket, readonly unix: boolean) {
    this.remoteAddress = unix
      ? "/unixsocket:0"
      : formatAddress(socket.remoteAddress, socket.remotePort ?? 0);
    this.localAddress = unix
      ? "/unixsocket:0"
      : formatAddress(socket.localAddress ?? "0.0.0.0", socket.localPort ?? 0);
    socket.setNoDelay?.(true);
  }

  write(bytes: Uint8Array): Promise<void> | undefined {
    if (this.closedFlag) return undefined;
    const written = this.socket.write(bytes);
    if (written >= bytes.length) return undefined;
    // Bun does not keep what it could not write: hold a copy until drain.
    this.pending = bytes.slice(Math.max(written, 0));
    return new Promise((resolve) => (this.drained = resolve));
  }

  /** Bun's drain event: push out what a partial write left. */
  drain(): void {
    if (!this.pending) return;
    const written = this.socket.write(this.pending);
    if (written < this.pending.length) {
      this.pending = this.pending.subarray(Math.max(written, 0));
      return;
    }
    this.pending = null;
    const resolve = this.drained;
    this.drained = null;
    resolve?.();
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.socket.end();
  }

  /** The socket is gone: release a writer waiting for drain, tell the handler once. */
  onClosed(): void {
    this.closedFlag = true;
    const resolve = this.drained;
    this.drained = null;
    this.pending = null;
    resolve?.();
    const handler = this.handler;
    this.handler = undefined;
    handler?.closed();
  }

  setKeepAlive(seconds: number): void {
    this.socket.setKeepAlive?.(seconds > 0, seconds);
  }
}

function handlers(
  unix: boolean,
  onOpen: (conn: BunConnection) => ConnectionHandler,
): BunSocketHandlers {
  return {
    open(socket) {
      const conn = new BunConnection(socket, unix);
      socket.data = conn;
      conn.handler = onOpen(conn);
    },
    data(socket, bytes) {
      // Stop reading from a client whose replies are not yet written, as the
      // Deno read loop does by awaiting: its output stays bounded.
      const wait = socket.data.handler?.data(bytes);
      if (!wait) return;
      socket.pause();
      wait.then(() => socket.resume());
    },
    drain(socket) {
      socket.data.drain();
    },
    close(socket) {
      socket.data?.onClosed();
    },
    error(socket) {
      socket.data?.close();
    },
  };
}

function wrap(listener: BunListener): Listener {
  return {
    port: listener.port ?? 0,
    close: () => listener.stop(false),
  };
}

/** The Bun networking adapter. */
export const bunAdapter: NetAdapter = {
  runtime: "bun",
  version: Bun.version,
  listenTcp(hostname: string, port: number, onAccept: AcceptCallback) {
    return Promise.resolve(
      wrap(Bun.listen({ hostname, port, socket: handlers(false, onAccept) })),
    );
  },
  listenUnix(path: string, onAccept: AcceptCallback) {
    return Promise.resolve(
      wrap(Bun.listen({ unix: path, socket: handlers(true, onAccept) })),
    );
  },
  async connect(hostname, port, makeHandler) {
    let opened: BunConnection | undefined;
    const socket = await Bun.connect({
      hostname,
      port,
      socket: handlers(false, (conn) => {
        opened = conn;
        return makeHandler(conn);
      }),
    });
    return opened ?? socket.data;
  },
};
