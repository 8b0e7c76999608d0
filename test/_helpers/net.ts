/** Loopback ports for tests. */

/** A TCP port on 127.0.0.1 free right now (bound to port 0, read, closed). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}
