/**
 * Read spinning: a connection whose reads poll the socket instead of letting the event loop sleep.
 *
 * A blocking read parks the thread in `epoll_wait`; when the answer arrives the kernel must wake it, and a
 * wake-up of an idle CPU costs tens of µs on a VM (about 30 µs per hop across this machine's vCPUs). With
 * `readSpinUs` the read first polls: `recv(fd, MSG_DONTWAIT)` through libc (Deno FFI), and between polls it
 * yields to the event loop through a MessageChannel (about 4 µs; timers, writes and other sessions keep
 * running). Only when nothing arrived for `readSpinUs` does it park in Deno's ordinary read until the next
 * bytes. So a busy link never sleeps and an idle one costs nothing after the budget.
 *
 * It burns a CPU while spinning: give the process a CPU of its own (`tuning.cpus`). On a CPU shared with the
 * counterparty it only delays it.
 *
 * Reads go around Deno's socket read (the writes and the close still use Deno's): tokio's reactor treats the
 * readiness it missed as spurious and re-arms, so falling back to a parked Deno read is safe as long as the
 * two never run at once, which the read loop guarantees (one read at a time).
 */
import type { EffectReport } from "../sys/types.ts";
import { findSocketFd } from "../sys/socket.ts";
import { type Libc, openLibc } from "../sys/libc.ts";
import { DenoConnection } from "../transport/tcp.ts";
import type { Connection } from "../transport/types.ts";

const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const EAGAIN = 11;
const EINTR = 4;

/**
 * Spinning sockets of this process whose read has parked in Deno's read. While any read spins, the event loop
 * never sleeps and Deno polls its reactor only every few dozen turns, so a parked read is seen late (4 ms in a
 * measured case). A spinning read therefore peeks at these sockets between its polls and parks too as soon as
 * one of them has bytes waiting: with no read spinning, the event loop sleeps and the reactor serves them.
 */
const parked = new Set<number>();
const peekByte = new Uint8Array(1);
const MSG_PEEK = 0x2;

/** True when a socket whose read is parked has bytes waiting (its read is starved while this one spins). */
export function parkedHasBytes(libc: Libc): boolean {
  for (const fd of parked) {
    if (libc.recv(fd, peekByte, 1, MSG_PEEK | MSG_DONTWAIT) > 0) return true;
  }
  return false;
}

/** Deno's read of spinning socket `fd`, registered as parked while it waits. */
export async function parkedRead(fd: number, read: () => Promise<number | null>): Promise<number | null> {
  parked.add(fd);
  try {
    return await read();
  } finally {
    parked.delete(fd);
  }
}

/** One turn of the event loop (timers, I/O completions), without the 1 ms floor of setTimeout(0). */
export class LoopYield {
  readonly #channel = new MessageChannel();
  #resolve: (() => void) | undefined;

  constructor() {
    this.#channel.port2.onmessage = () => {
      const r = this.#resolve;
      this.#resolve = undefined;
      r?.();
    };
  }

  next(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#resolve = resolve;
      this.#channel.port1.postMessage(0);
    });
  }

  /** Closes the channel; a turn still awaited resolves at once (its read then sees the connection closed). */
  close(): void {
    this.#channel.port1.close();
    this.#channel.port2.close();
    const r = this.#resolve;
    this.#resolve = undefined;
    r?.();
  }
}

/** A TCP connection whose reads spin for up to `spinUs` before parking (see the module comment). */
export class SpinConnection implements Connection {
  readonly remoteAddr: string;
  readonly remoteHost: string;
  readonly raw: Deno.Conn;
  /** Reads answered by polling, and reads that parked after the budget ran out. */
  readonly stats = { spinReads: 0, parkedReads: 0 };
  /** Writes that went out whole through send() (the rest went through Deno's write). */
  sentWrites = 0;
  readonly #inner: DenoConnection;
  readonly #fd: number;
  readonly #spinMs: number;
  readonly #libc: Libc;
  readonly #errno: Deno.UnsafePointerView;
  #yield: LoopYield | undefined = new LoopYield();
  #closed = false;
  /** Deno writes in flight: a send() now would overtake them. */
  #denoWrites = 0;

  constructor(inner: DenoConnection, fd: number, spinUs: number, libc: Libc) {
    this.#inner = inner;
    this.raw = inner.raw;
    this.remoteAddr = inner.remoteAddr;
    this.remoteHost = inner.remoteHost;
    this.#fd = fd;
    this.#spinMs = spinUs / 1000;
    this.#libc = libc;
    // errno's address on this thread, read after each failed poll (lastErrno would make a view per call).
    this.#errno = new Deno.UnsafePointerView(libc.__errno_location()!);
  }

  async read(buf: Uint8Array): Promise<number | null> {
    const until = performance.now() + this.#spinMs;
    while (!this.#closed) {
      const n = this.#libc.recv(this.#fd, buf, buf.length, MSG_DONTWAIT);
      if (n > 0) {
        this.stats.spinReads++;
        return n;
      }
      if (n === 0) return null; // end of stream
      const errno = this.#errno.getInt32();
      if (errno !== EAGAIN && errno !== EINTR) return this.#inner.read(buf); // let Deno's read report it
      if (performance.now() >= until || parkedHasBytes(this.#libc)) break;
      await this.#yield!.next();
    }
    if (this.#closed) return null;
    this.stats.parkedReads++;
    return parkedRead(this.#fd, () => this.#inner.read(buf));
  }

  /**
   * Written with `send(MSG_DONTWAIT)` at once when no Deno write is in flight: while this connection spins,
   * the event loop never sleeps and a Deno write's completion is seen only when the reactor is next polled
   * (a spinning echo answered in 140 µs p50 with Deno's write, 9.5 µs with send). What the socket does not
   * take at once, and any error, goes through Deno's write.
   */
  write(bytes: Uint8Array): Promise<void> {
    if (!this.#closed && this.#denoWrites === 0) {
      const n = this.#libc.send(this.#fd, bytes, bytes.length, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n === bytes.length) {
        this.sentWrites++;
        return Promise.resolve();
      }
      if (n > 0) bytes = bytes.subarray(n);
    }
    this.#denoWrites++;
    return this.#inner.write(bytes).finally(() => this.#denoWrites--);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#yield?.close();
    this.#yield = undefined;
    this.#inner.close();
  }
}

/**
 * `conn` with spinning reads (`spinUs` > 0), and what took effect. Falls back to `conn` unchanged, with a
 * warning, for TLS and in-memory connections, without FFI, or when the socket's fd cannot be found.
 */
export function withReadSpin(conn: Connection, spinUs: number): { conn: Connection; report: EffectReport } {
  const refuse = (warning: string) => ({
    conn,
    report: { knob: "read-spin", requested: `${spinUs} µs`, effective: "off", ok: false, warning },
  });
  if (!(spinUs > 0)) {
    return { conn, report: { knob: "read-spin", requested: "off", effective: "off", ok: true } };
  }
  if (!(conn instanceof DenoConnection) || typeof (conn.raw as Deno.TlsConn).handshake === "function") {
    return refuse("only plain TCP connections can spin (not TLS)");
  }
  const l = openLibc();
  if (!l.ok) return refuse(l.reason);
  const fd = findSocketFd(conn.raw);
  if (fd === undefined) return refuse("the socket's file descriptor was not found");
  return {
    conn: new SpinConnection(conn, fd, spinUs, l.libc),
    report: { knob: "read-spin", requested: `${spinUs} µs`, effective: `${spinUs} µs`, ok: true },
  };
}
