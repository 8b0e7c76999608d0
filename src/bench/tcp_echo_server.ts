/**
 * The bench floor's fallback echo server (src/bench/floor.ts) where no C compiler builds the C one: a raw Deno
 * TCP echo on a free loopback port, no FIX. Prints {"event":"listening","port":N} and echoes every byte back.
 *   deno run --allow-net=127.0.0.1 src/bench/tcp_echo_server.ts
 */
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ event: "listening", port: listener.addr.port }));
for await (const conn of listener) {
  conn.setNoDelay(true);
  (async () => {
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      let off = 0;
      while (off < n) off += await conn.write(buf.subarray(off, n));
    }
    conn.close();
  })().catch(() => {});
}
