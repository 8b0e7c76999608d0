/**
 * The bench floor's fallback echo server (src/bench/floor.ts) where no C compiler builds the C one: a raw Deno
 * TCP echo on a free loopback port, no FIX. Prints {"event":"listening","port":N}, echoes every byte of one
 * connection back and exits when it closes (or when none comes within 30 s).
 *   deno run --allow-net=127.0.0.1 src/bench/tcp_echo_server.ts
 */
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ event: "listening", port: listener.addr.port }));
// One client, then exit (as the C echo): the server never outlives the bench that started it.
const giveUp = setTimeout(() => Deno.exit(1), 30_000);
const conn = await listener.accept();
clearTimeout(giveUp);
listener.close();
conn.setNoDelay(true);
const buf = new Uint8Array(65536);
try {
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    let off = 0;
    while (off < n) off += await conn.write(buf.subarray(off, n));
  }
} catch {
  // the bench went away
}
Deno.exit(0);
