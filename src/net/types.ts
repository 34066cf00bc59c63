/**
 * The runtime-neutral socket interface the server is written against. Each
 * runtime has an adapter (deno.ts, bun.ts) and {@linkcode loadAdapter} picks
 * the one for the runtime the server runs on.
 * @module
 */

/** One accepted or dialled stream socket. */
export interface Connection {
  /** `ip:port` of the peer, or the socket path's `path:0` form for unix sockets. */
  readonly remoteAddress: string;
  /** `ip:port` of our side. */
  readonly localAddress: string;
  /** True for unix domain sockets. */
  readonly unix: boolean;
  /**
   * Writes all of `bytes`. Returns undefined when the runtime took every byte
   * at once, else a promise that settles when it has. The caller never has two
   * writes outstanding and keeps `bytes` unchanged until then.
   */
  write(bytes: Uint8Array): Promise<void> | undefined;
  /** Closes the socket; the handler's `closed` follows. */
  close(): void;
  /** Sets TCP keepalive (seconds, 0 = off) where the runtime allows it. */
  setKeepAlive(seconds: number): void;
}

/** What the server does with a connection's events. */
export interface ConnectionHandler {
  /**
   * Bytes arrived; they are valid only during the call. A returned promise asks
   * the adapter to wait for it before reading more (backpressure).
   */
  data(bytes: Uint8Array): Promise<void> | void;
  /** The socket closed (by either side). Called once. */
  closed(): void;
}

/** A listening socket. */
export interface Listener {
  /** Bound port (0 for unix sockets). */
  readonly port: number;
  /** Stops accepting. */
  close(): void;
}

/** Called for every accepted connection; returns its handler. */
export type AcceptCallback = (conn: Connection) => ConnectionHandler;

/** A runtime's networking. */
export interface NetAdapter {
  /** "deno" or "bun". */
  readonly runtime: string;
  /** Runtime version string for INFO and logs. */
  readonly version: string;
  /** Listens on TCP. */
  listenTcp(
    hostname: string,
    port: number,
    onAccept: AcceptCallback,
  ): Promise<Listener>;
  /** Listens on a unix domain socket. */
  listenUnix(path: string, onAccept: AcceptCallback): Promise<Listener>;
  /** Dials a TCP peer (the replica link); `handler` receives its events. */
  connect(
    hostname: string,
    port: number,
    handler: (conn: Connection) => ConnectionHandler,
  ): Promise<Connection>;
}

/** `host:port` as Redis prints addresses: IPv6 hosts in brackets (`[::1]:6379`). */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Size of the buffer each connection reads into, reused across reads (Redis's PROTO_IOBUF_LEN). */
export const READ_BUFFER_SIZE = 16 * 1024;

/** Loads the adapter for the running runtime. */
export async function loadAdapter(): Promise<NetAdapter> {
  if ("Bun" in globalThis) return (await import("./bun.ts")).bunAdapter;
  return (await import("./deno.ts")).denoAdapter;
}
