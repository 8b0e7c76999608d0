/**
 * The bench floor's fallback echo server (src/bench/floor.ts) where no C compiler builds the C one: a raw Deno
 * TCP echo on a free loopback port, no FIX. Prints {"event":"listening","port":N}, echoes every byte of one
 * connection back and exits when it closes (or when none comes within 30 s).
 *   deno run --allow-net=127.0.0.1 src/bench/tcp_echo_server.ts
 */
import { acceptOne, echoUntilClosed } from "./echo_conn.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ event: "listening", port: listener.addr.port }));
// One client, then exit (as the C echo): the server never outlives the bench that started it.
const conn = await acceptOne(listener);
conn.setNoDelay(true);
await echoUntilClosed(conn);
Deno.exit(0);
