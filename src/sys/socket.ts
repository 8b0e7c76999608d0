/**
 * Socket options Deno does not expose. Deno 2 gives no file descriptor for a TcpConn, so the fd is found by
 * asking getsockname/getpeername of every fd in /proc/self/fd and matching the connection's ports; then
 * setsockopt/getsockopt work on it directly. A buffer size set on a listener is inherited by accepted sockets.
 */
import { ConfigError } from "../errors.ts";
import { describeErrno, lastErrno, type Libc, openLibc } from "./libc.ts";
import { listProcDir } from "./procfs.ts";
import type { EffectReport } from "./types.ts";

const AF_INET = 2;
const AF_INET6 = 10;
const SOL_SOCKET = 1;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const SO_BUSY_POLL = 46;
/** Scanned when /proc/self/fd cannot be listed. */
const FALLBACK_FD_SCAN = 1024;

/** A connected TCP or TLS socket, or a TCP listener. */
export type SocketLike = Deno.Conn | Deno.Listener;

/** Address as read from a sockaddr. */
interface SockAddr {
  family: number;
  port: number;
  /** Dotted quad for IPv4; undefined for IPv6 (matched by port only). */
  ipv4?: string;
}

/** getsockname/getpeername of `fd`, or undefined for non-sockets and unconnected peers. */
function sockAddr(libc: Libc, fd: number, peer: boolean): SockAddr | undefined {
  const addr = new Uint8Array(128);
  const len = new Uint32Array([addr.length]);
  const rc = peer
    ? libc.getpeername(fd, addr, new Uint8Array(len.buffer))
    : libc.getsockname(fd, addr, new Uint8Array(len.buffer));
  if (rc !== 0) return undefined;
  const view = new DataView(addr.buffer);
  const family = view.getUint16(0, true);
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  const port = view.getUint16(2, false);
  return family === AF_INET
    ? { family, port, ipv4: `${addr[4]}.${addr[5]}.${addr[6]}.${addr[7]}` }
    : { family, port };
}

/** True when a Deno address matches a sockaddr (port, and the IPv4 address when both are IPv4). */
function matches(want: Deno.Addr, got: SockAddr): boolean {
  if (want.transport !== "tcp" && want.transport !== "udp") return false;
  if (want.port !== got.port) return false;
  if (got.ipv4 !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(want.hostname)) return want.hostname === got.ipv4;
  return true;
}

/** Candidate fds: /proc/self/fd when it can be listed, else 0..1023. */
function candidateFds(): number[] {
  const names = listProcDir("/proc/self/fd");
  if (names !== undefined) return names.map(Number).filter((n) => Number.isInteger(n) && n >= 0);
  return Array.from({ length: FALLBACK_FD_SCAN }, (_, i) => i);
}

/** True for a listener (has `accept`), false for a connection. */
function isListener(sock: SocketLike): sock is Deno.Listener {
  return typeof (sock as Deno.Listener).accept === "function";
}

/** The OS file descriptor behind a Deno connection or listener, or undefined when not found / no FFI. */
export function findSocketFd(sock: SocketLike): number | undefined {
  const r = openLibc();
  if (!r.ok) return undefined;
  const libc = r.libc;
  for (const fd of candidateFds()) {
    if (isListener(sock)) {
      const local = sockAddr(libc, fd, false);
      // Accepted sockets share the listener's local port: a listener is the one without a peer.
      if (local !== undefined && matches(sock.addr, local) && sockAddr(libc, fd, true) === undefined) {
        return fd;
      }
    } else {
      const local = sockAddr(libc, fd, false);
      if (local === undefined || !matches(sock.localAddr, local)) continue;
      const peer = sockAddr(libc, fd, true);
      if (peer !== undefined && matches(sock.remoteAddr, peer)) return fd;
    }
  }
  return undefined;
}

/** getsockopt of an int option, or undefined on failure. */
export function getIntSockOpt(fd: number, level: number, option: number): number | undefined {
  const r = openLibc();
  if (!r.ok) return undefined;
  const value = new Int32Array(1);
  const len = new Uint32Array([4]);
  const rc = r.libc.getsockopt(fd, level, option, new Uint8Array(value.buffer), new Uint8Array(len.buffer));
  return rc === 0 ? value[0] : undefined;
}

/** setsockopt of an int option; undefined on success, the errno description on failure. */
function setIntSockOpt(libc: Libc, fd: number, level: number, option: number, v: number): string | undefined {
  const value = new Int32Array([v]);
  if (libc.setsockopt(fd, level, option, new Uint8Array(value.buffer), 4) === 0) return undefined;
  return describeErrno(libc, lastErrno(libc));
}

/** Resolves libc and the fd, or the EffectReport explaining why the knob cannot be applied. */
function prepare(
  sock: SocketLike,
  knob: string,
  requested: EffectReport["requested"],
): { libc: Libc; fd: number } | EffectReport {
  const r = openLibc();
  if (!r.ok) return { knob, requested, effective: null, ok: false, warning: `not applied: ${r.reason}` };
  const fd = findSocketFd(sock);
  if (fd === undefined) {
    return {
      knob,
      requested,
      effective: null,
      ok: false,
      warning: "not applied: socket file descriptor not found",
    };
  }
  return { libc: r.libc, fd };
}

/**
 * Sets SO_RCVBUF or SO_SNDBUF to `bytes` and reads it back. Linux doubles the value (bookkeeping overhead),
 * so `effective` is the doubled read-back and ok means it reached 2 x bytes. When net.core.rmem_max/wmem_max
 * caps it, the *BUFFORCE variant is tried (root or CAP_NET_ADMIN).
 */
export function setSocketBuffer(
  sock: SocketLike,
  option: "SO_RCVBUF" | "SO_SNDBUF",
  bytes: number,
): EffectReport {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 0x3fffffff) {
    throw new ConfigError(`${option} must be a whole number of bytes in 1..1073741823, got ${bytes}`);
  }
  const p = prepare(sock, option, bytes);
  if (!("fd" in p)) return p;
  const { libc, fd } = p;
  const plain = option === "SO_RCVBUF" ? SO_RCVBUF : SO_SNDBUF;
  const force = option === "SO_RCVBUF" ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;
  const error = setIntSockOpt(libc, fd, SOL_SOCKET, plain, bytes);
  if (error !== undefined) {
    return {
      knob: option,
      requested: bytes,
      effective: getIntSockOpt(fd, SOL_SOCKET, plain) ?? null,
      ok: false,
      warning: `setsockopt refused: ${error}`,
    };
  }
  let effective = getIntSockOpt(fd, SOL_SOCKET, plain) ?? 0;
  let forced = false;
  if (effective < 2 * bytes && setIntSockOpt(libc, fd, SOL_SOCKET, force, bytes) === undefined) {
    effective = getIntSockOpt(fd, SOL_SOCKET, plain) ?? effective;
    forced = true;
  }
  const report: EffectReport = { knob: option, requested: bytes, effective, ok: effective >= 2 * bytes };
  if (!report.ok) {
    const sysctl = option === "SO_RCVBUF" ? "net.core.rmem_max" : "net.core.wmem_max";
    report.warning = `kernel capped the buffer at ${effective} bytes (read back, doubled): raise ${sysctl} ` +
      `or run with CAP_NET_ADMIN`;
  } else if (forced) {
    report.warning = `above ${option === "SO_RCVBUF" ? "net.core.rmem_max" : "net.core.wmem_max"}: set with ${
      option === "SO_RCVBUF" ? "SO_RCVBUFFORCE" : "SO_SNDBUFFORCE"
    }`;
  }
  return report;
}

/**
 * Sets TCP_NODELAY (Nagle off) and reads it back. TcpConn uses Deno's setNoDelay; a TlsConn (no such method)
 * gets setsockopt on its fd. When the fd cannot be found, Deno's call stands and the report says it is unverified.
 */
export function setNoDelay(conn: Deno.Conn, enable = true): EffectReport {
  const knob = "TCP_NODELAY";
  const tcp = conn as Partial<Deno.TcpConn>;
  let denoError: string | undefined;
  if (typeof tcp.setNoDelay === "function") {
    try {
      tcp.setNoDelay(enable);
    } catch (e) {
      denoError = e instanceof Error ? e.message : String(e);
    }
  }
  const r = openLibc();
  const fd = r.ok ? findSocketFd(conn) : undefined;
  if (!r.ok || fd === undefined) {
    const why = r.ok ? "socket file descriptor not found" : r.reason;
    if (typeof tcp.setNoDelay === "function" && denoError === undefined) {
      return {
        knob,
        requested: enable,
        effective: enable,
        ok: true,
        warning: `set through Deno, not read back (${why})`,
      };
    }
    return {
      knob,
      requested: enable,
      effective: null,
      ok: false,
      warning: `not applied: ${denoError ?? why}`,
    };
  }
  if (typeof tcp.setNoDelay !== "function" || denoError !== undefined) {
    const error = setIntSockOpt(r.libc, fd, IPPROTO_TCP, TCP_NODELAY, enable ? 1 : 0);
    if (error !== undefined) {
      return { knob, requested: enable, effective: null, ok: false, warning: `setsockopt refused: ${error}` };
    }
  }
  const v = getIntSockOpt(fd, IPPROTO_TCP, TCP_NODELAY);
  const effective = v === undefined ? null : v !== 0;
  const report: EffectReport = { knob, requested: enable, effective, ok: effective === enable };
  if (!report.ok) report.warning = "TCP_NODELAY read back differs from the request";
  return report;
}

/**
 * Sets SO_BUSY_POLL (µs the kernel busy-polls the device queue on a blocking read), trading CPU for latency.
 * Raising it needs CAP_NET_ADMIN; it only helps with NICs whose drivers support busy polling (not loopback).
 */
export function setBusyPoll(sock: SocketLike, micros: number): EffectReport {
  if (!Number.isInteger(micros) || micros < 0 || micros > 0x7fffffff) {
    throw new ConfigError(`SO_BUSY_POLL must be a whole number of microseconds >= 0, got ${micros}`);
  }
  const p = prepare(sock, "SO_BUSY_POLL", micros);
  if (!("fd" in p)) return p;
  const error = setIntSockOpt(p.libc, p.fd, SOL_SOCKET, SO_BUSY_POLL, micros);
  const effective = getIntSockOpt(p.fd, SOL_SOCKET, SO_BUSY_POLL) ?? null;
  const report: EffectReport = {
    knob: "SO_BUSY_POLL",
    requested: micros,
    effective,
    ok: effective === micros,
  };
  if (error !== undefined) report.warning = `setsockopt refused: ${error} (needs CAP_NET_ADMIN to raise)`;
  return report;
}

/** Socket tuning options, as in a config file's `tuning:` section. */
export interface SocketTuning {
  /** TCP_NODELAY on (true) or off (false); left alone when absent. */
  noDelay?: boolean;
  /** SO_RCVBUF bytes. */
  rcvBufBytes?: number;
  /** SO_SNDBUF bytes. */
  sndBufBytes?: number;
  /** SO_BUSY_POLL microseconds. */
  busyPollUs?: number;
  /**
   * Spin reads for up to this many µs before parking (src/engine/read_spin.ts). Not a socket option: the
   * gateway wraps the connection; `applySocketTuning` leaves it alone.
   */
  readSpinUs?: number;
}

/** Applies every given socket knob to a connection (or the buffer sizes to a listener) and reports each. */
export function applySocketTuning(sock: SocketLike, tuning: SocketTuning): EffectReport[] {
  const reports: EffectReport[] = [];
  if (tuning.noDelay !== undefined && !isListener(sock)) reports.push(setNoDelay(sock, tuning.noDelay));
  if (tuning.rcvBufBytes !== undefined) reports.push(setSocketBuffer(sock, "SO_RCVBUF", tuning.rcvBufBytes));
  if (tuning.sndBufBytes !== undefined) reports.push(setSocketBuffer(sock, "SO_SNDBUF", tuning.sndBufBytes));
  if (tuning.busyPollUs !== undefined) reports.push(setBusyPoll(sock, tuning.busyPollUs));
  return reports;
}
