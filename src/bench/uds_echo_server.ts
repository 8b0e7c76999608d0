/**
 * The raw IPC floor of `fixg bench --engine` (src/bench/engine_ipc.ts): a Deno Unix-socket echo, no FIX,
 * no engine. Listens on the path given, prints {"event":"listening"}, echoes every byte of one connection
 * back and exits when it closes (or when none comes within 30 s).
 *   deno run --allow-read --allow-write --allow-net src/bench/uds_echo_server.ts PATH
 */
const path = Deno.args[0]!;
const listener = Deno.listen({ transport: "unix", path });
console.log(JSON.stringify({ event: "listening", path }));
const giveUp = setTimeout(() => Deno.exit(1), 30_000);
const conn = await listener.accept();
clearTimeout(giveUp);
listener.close();
const buf = new Uint8Array(65536);
try {
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    let off = 0;
    while (off < n) off += await conn.write(buf.subarray(off, n));
  }
} catch {
  // The bench went away.
}
try {
  Deno.removeSync(path);
} catch {
  // Gone.
}
Deno.exit(0);
