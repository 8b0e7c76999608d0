/**
 * The echo loop of the bench's raw floors (tcp_echo_server.ts, uds_echo_server.ts) and the raw TCP
 * ping-pong peer (bench/peers/raw_tcp_pingpong.ts): no FIX, every byte read is written back.
 */

/** Writes every byte read from `conn` back to it until the peer closes or the connection fails. */
export async function echoUntilClosed(conn: Deno.Conn, bufferBytes = 65536): Promise<void> {
  const buf = new Uint8Array(bufferBytes);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      let off = 0;
      while (off < n) off += await conn.write(buf.subarray(off, n));
    }
  } catch {
    // The peer went away (closing mid-write included).
  }
}

/**
 * One connection of `listener` (the listener is closed once it comes), or exit 1 when none comes within
 * 30 s: a floor server serves the one bench that started it and never outlives it.
 */
export async function acceptOne<C extends Deno.Conn>(listener: Deno.Listener<C>): Promise<C> {
  const giveUp = setTimeout(() => Deno.exit(1), 30_000);
  const conn = await listener.accept();
  clearTimeout(giveUp);
  listener.close();
  return conn;
}
