/**
 * The raw IPC floor of `fixg bench --engine` (src/bench/engine_ipc.ts): a Deno Unix-socket echo, no FIX,
 * no engine. Listens on the path given, prints {"event":"listening"}, echoes every byte of one connection
 * back and exits when it closes (or when none comes within 30 s).
 *   deno run --allow-read --allow-write --allow-net src/bench/uds_echo_server.ts PATH
 */
import { acceptOne, echoUntilClosed } from "./echo_conn.ts";

const path = Deno.args[0]!;
const listener = Deno.listen({ transport: "unix", path });
console.log(JSON.stringify({ event: "listening", path }));
const conn = await acceptOne(listener);
await echoUntilClosed(conn);
try {
  Deno.removeSync(path);
} catch {
  // Gone.
}
Deno.exit(0);
