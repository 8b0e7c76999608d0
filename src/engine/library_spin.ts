/**
 * Read spinning on the engine socket (opt-in: `tuning.readSpinUs`, which also makes the sessions' FIX
 * sockets spin, src/engine/read_spin.ts): a library connection's reads poll the Unix socket with
 * `recv(fd, MSG_DONTWAIT)` through libc, yielding to the event loop between polls, and park in Deno's
 * ordinary read only after `spinUs` without bytes.
 *
 * Why both kinds of socket: while a FIX socket spins, the event loop never sleeps, and Deno polls its
 * reactor (epoll) only every few dozen turns, so a library socket read through Deno was seen late (order to
 * ack through the library 371 µs p50 against 171 µs without spinning, measured). And a read that does not
 * park needs no wake-up: on this 2-vCPU VM a wake-up across CPUs costs about 24 µs per hop (a Unix-socket
 * ping-pong between two CPUs 37 µs p50 against 13 µs on one).
 *
 * Deno gives no file descriptor for a Unix connection: the accepted socket is found among the process's fds
 * as the one bound to the endpoint's path that is neither the listener nor already taken; when that is not
 * exactly one fd (two libraries accepted at once, an fd being closed), the connection reads as usual.
 */
import { openLibc } from "../sys/libc.ts";
import { listProcDir } from "../sys/procfs.ts";
import { LoopYield, parkedHasBytes, parkedRead } from "./read_spin.ts";
import type { LibraryConn } from "./library_conn.ts";
import type { RefusalLog } from "./refusal_log.ts";

const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const EAGAIN = 11;
const EINTR = 4;
const AF_UNIX = 1;
const SOL_SOCKET = 1;
const SO_ACCEPTCONN = 30;

/** Reads of one connection: spinning first, then parked. */
export interface SpinStats {
  spinReads: number;
  parkedReads: number;
  /** Bytes written through send() rather than Deno's write. */
  sentBytes: number;
}

/** A library connection's reads (`read` as Deno.Conn's), and `close` for its poller. */
export interface LibraryReader {
  read(buf: Uint8Array): Promise<number | null>;
  close(): void;
  readonly stats?: SpinStats;
  /** A write at once (`send(MSG_DONTWAIT)`): the bytes taken, or -1 (then Deno's write). */
  send?: (bytes: Uint8Array) => number;
}

/** Fds taken by spinning readers of this process (one accepted socket each). */
const taken = new Set<number>();

/** The bound path of a Unix socket `fd` (getsockname), or undefined for anything else. */
function unixPath(getsockname: (fd: number, a: Uint8Array, l: Uint8Array) => number, fd: number) {
  const addr = new Uint8Array(112);
  const len = new Uint32Array([addr.length]);
  if (getsockname(fd, addr, new Uint8Array(len.buffer)) !== 0) return undefined;
  if ((addr[0]! | (addr[1]! << 8)) !== AF_UNIX) return undefined;
  let end = 2;
  while (end < Math.min(len[0]!, addr.length) && addr[end] !== 0) end++;
  return new TextDecoder().decode(addr.subarray(2, end));
}

/**
 * The fd of the connection just accepted on the Unix socket at `path`: the only socket bound to `path`
 * that is not listening and not taken by another spinning reader; undefined when there is not exactly one.
 */
export function acceptedUnixFd(path: string): number | undefined {
  const l = openLibc();
  if (!l.ok) return undefined;
  const libc = l.libc;
  // Through libc (procfs.ts): Deno reads /proc/self only with --allow-all.
  const names = listProcDir("/proc/self/fd");
  if (names === undefined) return undefined;
  const fds = names.map(Number).filter((n) => Number.isInteger(n) && n >= 0);
  const found: number[] = [];
  const v = new Int32Array(1);
  const vlen = new Uint32Array(1);
  for (const fd of fds) {
    if (taken.has(fd) || unixPath(libc.getsockname, fd) !== path) continue;
    vlen[0] = 4;
    const rc = libc.getsockopt(
      fd,
      SOL_SOCKET,
      SO_ACCEPTCONN,
      new Uint8Array(v.buffer),
      new Uint8Array(vlen.buffer),
    );
    if (rc !== 0 || v[0] !== 0) continue; // the listener
    found.push(fd);
  }
  return found.length === 1 ? found[0] : undefined;
}

/** Reads of `conn` (accepted on `path`) that spin for up to `spinUs` µs; or why they cannot. */
export function spinningReader(
  conn: Deno.Conn,
  path: string,
  spinUs: number,
): { reader: LibraryReader } | { reason: string } {
  const l = openLibc();
  if (!l.ok) return { reason: l.reason };
  const fd = acceptedUnixFd(path);
  if (fd === undefined) return { reason: "the connection's file descriptor was not found" };
  const libc = l.libc;
  const errno = new Deno.UnsafePointerView(libc.__errno_location()!);
  const spinMs = spinUs / 1000;
  let loop: LoopYield | undefined = new LoopYield();
  let closed = false;
  taken.add(fd);
  const stats: SpinStats = { spinReads: 0, parkedReads: 0, sentBytes: 0 };
  return {
    reader: {
      stats,
      async read(buf: Uint8Array): Promise<number | null> {
        const until = performance.now() + spinMs;
        while (!closed) {
          const n = libc.recv(fd, buf, buf.length, MSG_DONTWAIT);
          if (n > 0) {
            stats.spinReads++;
            return n;
          }
          if (n === 0) return null; // end of stream
          const e = errno.getInt32();
          if (e !== EAGAIN && e !== EINTR) return conn.read(buf); // Deno's read reports it
          if (performance.now() >= until || parkedHasBytes(libc)) break;
          await loop!.next();
        }
        if (closed) return null;
        stats.parkedReads++;
        return parkedRead(fd, () => conn.read(buf));
      },
      send(bytes: Uint8Array): number {
        if (closed) return -1;
        const n = libc.send(fd, bytes, bytes.length, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) stats.sentBytes += n;
        return n;
      },
      close(): void {
        if (closed) return;
        closed = true;
        taken.delete(fd);
        loop?.close();
        loop = undefined;
      },
    },
  };
}

/**
 * Makes library connection `c` (accepted on `path`) read by spinning, or warns why its reads cannot spin
 * (through a rate limiter: this runs for every connection accepted, before any HELLO).
 */
export function spinLibrary(
  c: LibraryConn,
  conn: Deno.Conn,
  path: string,
  spinUs: number,
  warnings: Pick<RefusalLog, "warn">,
): void {
  const r = spinningReader(conn, path, spinUs);
  if ("reader" in r) c.spin(r.reader);
  else warnings.warn("engine", `library #${c.id}: reads do not spin: ${r.reason}`);
}
