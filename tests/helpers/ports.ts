/**
 * Free TCP ports on 127.0.0.1 for test servers.
 * @module
 */

/** Returns a port that was free a moment ago (bound to 0, read, released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
