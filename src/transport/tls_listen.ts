/**
 * The TLS listener (node:tls under Deno): client certificates, pre-logon admission, a handshake timeout
 * and an accept watchdog, both on an injectable Scheduler (src/clock.ts), so tests move time by hand.
 */
import tls from "node:tls";
import { type Scheduler, systemScheduler, type Timer } from "../clock.ts";
import { ConfigError, EnvironmentError } from "../errors.ts";
import { secureOptions, TlsConnection, type TlsMaterial } from "./tls.ts";
import type { Listener } from "./types.ts";

/** A TLS listener whose certificate can be replaced while it runs. */
export interface TlsListener extends Listener {
  /** New connections use this material from now on (cert, key, CA); live connections are untouched. */
  setMaterial(m: TlsMaterial): void;
}

/** Why a TLS client was refused during the handshake (wrong certificate, no certificate...). */
export type TlsRefusalHandler = (remoteAddr: string, reason: string) => void;

/** Takes a pre-logon slot for a new connection from `host`: a release function, or undefined when full. */
export type AdmitConnection = (host: string) => (() => void) | undefined;

/** Limits of a TLS listener before the handshake completes. */
export interface TlsListenOptions {
  /** A client that has not completed its handshake within this time is disconnected (default 5000 ms). */
  handshakeTimeoutMs?: number;
  /**
   * Called for every TCP connection before the handshake; when it answers undefined the connection is
   * closed at once. The release function is called when the handshake fails, or handed to the
   * connection (`TlsConnection.release`) when it succeeds.
   */
  admit?: AdmitConnection;
  /** A connection refused by `admit` (address as host:port). */
  onLimit?: (remoteAddr: string) => void;
  /**
   * How often the watchdog checks that the listener still accepts, when nothing came in meanwhile
   * (default 5000 ms; 0 = off).
   */
  watchdogMs?: number;
  /** The listener cannot accept (`restarted`: it was replaced by a new one on the same port). */
  onAcceptError?: (why: string, restarted: boolean) => void;
  /** The watchdog found the listener accepting again. */
  onAcceptOk?: () => void;
  /** The handshake timeout and the watchdog run on this (default the system scheduler). */
  scheduler?: Scheduler;
  /** Makes the node:tls server (default `tls.createServer`; tests wrap it to stop a server accepting). */
  createServer?: (options: tls.TlsOptions, onSecure: (sock: tls.TLSSocket) => void) => tls.Server;
}

/** How long the watchdog waits for its own connection to come through, ms. */
export const WATCHDOG_PROBE_WAIT_MS = 1000;

/** Default TLS handshake timeout, ms. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;

/** A readable reason for a TLS handshake failure (node's messages, made plain where they are cryptic). */
export function handshakeReason(e: Error & { code?: string }): string {
  const m = e.message;
  if (/handshake timeout/i.test(m)) return "TLS handshake timed out";
  if (/wrong version number|InvalidContentType|http request/i.test(m)) return `not a TLS client (${m})`;
  if (/peer did not return a certificate|certificate required|PeerIncompatible/i.test(m)) {
    return `no client certificate (${m})`;
  }
  if (/unknown ca|UnknownIssuer|unable to get (local )?issuer/i.test(m)) {
    return `client certificate not signed by the configured CA (${m})`;
  }
  if (/expired|CertExpired/i.test(m)) return `client certificate expired (${m})`;
  if (/ECONNRESET|socket hang up|connection reset/i.test(m)) {
    return `the client closed the connection during the handshake (${m})`;
  }
  return m;
}

/** Listens with TLS on host:port; client certificates are required when the material says so. */
export async function listenTlsNode(
  hostname: string,
  port: number,
  material: TlsMaterial,
  onRefused: TlsRefusalHandler = () => {},
  options: TlsListenOptions = {},
): Promise<TlsListener> {
  if (material.cert === undefined || material.key === undefined) {
    throw new ConfigError(`TLS acceptor on ${hostname}:${port}: tls.cert and tls.key are required`);
  }
  const queue: TlsConnection[] = [];
  let waiter: (() => void) | undefined;
  let closed = false;
  const wake = () => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  // Address and pre-logon slot of each TCP connection, kept from before the handshake: a socket that
  // fails its handshake may no longer know its peer when the error is reported.
  const raw = new WeakMap<object, RawEntry>();
  const rawOf = (sock: tls.TLSSocket) => raw.get((sock as unknown as { _parent?: object })._parent ?? sock);
  const scheduler = options.scheduler ?? systemScheduler;
  const handshakeLimitMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const createServer = options.createServer ?? tls.createServer;
  let current = material;
  let lastConnectionMs = scheduler.nowMs();
  // Accepting failed (reported to onAcceptError): the next connection accepted reports the recovery.
  let failing = false;
  const acceptError = (why: string, restarted: boolean) => {
    failing = true;
    options.onAcceptError?.(why, restarted);
  };
  // Open connections by client address: how the watchdog recognises its own probe.
  const open = new Map<string, RawSocket>();
  // The watchdog waiting for its probe's address to come through.
  const probeWaiters = new Map<string, () => void>();
  const make = (): tls.Server => {
    // The handshake timeout is ours, on the scheduler (node's own timer is off: 0).
    const server = createServer({
      ...secureOptions(current),
      requestCert: current.requireClientCert,
      rejectUnauthorized: current.requireClientCert,
      handshakeTimeout: 0,
    }, (sock: tls.TLSSocket) => {
      const r = rawOf(sock);
      r?.timer?.cancel();
      if (closed) {
        sock.destroy();
        return;
      }
      const c = new TlsConnection(sock);
      if (r) c.release = r.release;
      queue.push(c);
      wake();
    });
    server.on("connection", (s: RawSocket) => {
      lastConnectionMs = scheduler.nowMs();
      if (failing) {
        failing = false;
        options.onAcceptOk?.();
      }
      const host = (s.remoteAddress ?? "?").replace(/^::ffff:/, "");
      const addr = `${host}:${s.remotePort ?? 0}`;
      open.set(addr, s);
      s.once("close", () => {
        if (open.get(addr) === s) open.delete(addr);
      });
      probeWaiters.get(addr)?.();
      let release: () => void = () => {};
      if (options.admit) {
        const r = options.admit(host);
        if (r === undefined) {
          // Refused before any handshake: its handshake error is not a refusal of its own.
          raw.set(s, { addr, release: () => {}, silent: true, timer: undefined });
          s.destroy();
          options.onLimit?.(addr);
          return;
        }
        let done = false;
        release = () => {
          if (done) return;
          done = true;
          r();
        };
        s.once("close", release);
      }
      const entry: RawEntry = { addr, release, silent: false, timer: undefined };
      raw.set(s, entry);
      if (handshakeLimitMs > 0) {
        // A client that has not completed its handshake at the limit is disconnected and reported once.
        entry.timer = scheduler.after(handshakeLimitMs, () => {
          if (entry.silent) return;
          entry.silent = true;
          s.destroy();
          entry.release();
          onRefused(addr, "TLS handshake timed out");
        });
        s.once("close", () => entry.timer?.cancel());
      }
    });
    server.on("tlsClientError", (e: Error, sock: tls.TLSSocket) => {
      const r = rawOf(sock);
      r?.timer?.cancel();
      sock.destroy();
      if (r?.silent) return;
      r?.release();
      const addr = r?.addr ??
        `${(sock.remoteAddress ?? "?").replace(/^::ffff:/, "")}:${sock.remotePort ?? 0}`;
      onRefused(addr, handshakeReason(e));
    });
    // After the listen: accept errors must not end the process (there is no other "error" listener).
    server.on("error", (e: Error) => acceptError(e.message, false));
    return server;
  };
  const listen = (server: tls.Server, p: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (e: Error & { code?: string }) => {
        const why = e.code === "EADDRINUSE" ? "address already in use" : e.message;
        reject(new EnvironmentError(`Cannot listen on ${hostname}:${p}: ${why}`, { cause: e }));
      };
      server.once("error", onError);
      server.listen(p, hostname, () => {
        server.off("error", onError);
        resolve();
      });
    });
  let server = make();
  await listen(server, port);
  const addr = server.address() as { port: number; address: string };
  // node:tls under Deno stops accepting for good after an accept error (EMFILE, ENFILE), with no event
  // and while still "listening". A watchdog connects to the port when nothing came in for a while; when
  // its own connection is not accepted, the server is replaced (live connections are kept).
  const probeEveryMs = options.watchdogMs ?? 5000;
  let probing = false;
  const probe = async () => {
    if (closed || probing || scheduler.nowMs() - lastConnectionMs < probeEveryMs) return;
    probing = true;
    let c: Deno.TcpConn | undefined;
    try {
      const target = ["0.0.0.0", "::", ""].includes(addr.address) ? "127.0.0.1" : addr.address;
      try {
        c = await Deno.connect({ hostname: target, port: addr.port });
      } catch (e) {
        acceptError(`watchdog cannot connect: ${e instanceof Error ? e.message : e}`, false);
        return;
      }
      const local = c.localAddr as Deno.NetAddr;
      const probeAddr = `${local.hostname.replace(/^::ffff:/, "")}:${local.port}`;
      if (!open.has(probeAddr) && !closed) {
        // Wait for the probe's "connection" event, up to WATCHDOG_PROBE_WAIT_MS.
        await new Promise<void>((resolve) => {
          const done = () => {
            wait.cancel();
            probeWaiters.delete(probeAddr);
            resolve();
          };
          const wait = scheduler.after(WATCHDOG_PROBE_WAIT_MS, done);
          probeWaiters.set(probeAddr, done);
        });
      }
      const mine = open.get(probeAddr);
      if (mine || closed) {
        // Our own connection came through: the listener accepts. It is no client: no slot, no log line.
        if (mine) {
          const r = raw.get(mine);
          if (r) {
            r.silent = true;
            r.release();
          }
          mine.destroy();
        }
        options.onAcceptOk?.();
        return;
      }
      acceptError("the listener stopped accepting connections; listening again", true);
      const old = server;
      old.close();
      const next = make();
      try {
        await listen(next, addr.port);
        // Closed while the replacement was being bound: close() saw only the old server.
        if (closed) next.close();
        server = next;
        lastConnectionMs = 0;
      } catch (e) {
        server = old;
        acceptError(`listening again failed: ${e instanceof Error ? e.message : e}`, false);
      }
    } finally {
      try {
        c?.close();
      } catch {
        // closed already
      }
      probing = false;
    }
  };
  // Every probeEveryMs, on the scheduler (a probe still under way is not started twice).
  let watchdog: Timer | undefined;
  const tick = () => {
    if (closed) return;
    watchdog = scheduler.after(probeEveryMs, tick);
    void probe();
  };
  if (probeEveryMs > 0) watchdog = scheduler.after(probeEveryMs, tick);
  return {
    port: addr.port,
    hostname: addr.address,
    setMaterial(m: TlsMaterial) {
      current = m;
      server.setSecureContext(secureOptions(m));
    },
    close() {
      if (closed) return;
      closed = true;
      watchdog?.cancel();
      for (const done of [...probeWaiters.values()]) done();
      server.close();
      wake();
    },
    async *[Symbol.asyncIterator]() {
      while (true) {
        while (queue.length === 0) {
          if (closed) return;
          await new Promise<void>((r) => (waiter = r));
        }
        yield queue.shift()!;
      }
    },
  };
}

/** What a listener keeps of a TCP connection before its handshake completes. */
interface RawEntry {
  addr: string;
  /** Gives its pre-logon slot back (idempotent). */
  release: () => void;
  /** Nothing more is reported about it (refused before the handshake, timed out, a watchdog probe). */
  silent: boolean;
  /** The handshake timeout, cancelled when the handshake completes or fails, or the socket closes. */
  timer: Timer | undefined;
}

/** The TCP socket node:tls hands to its "connection" event, before the handshake. */
interface RawSocket {
  remoteAddress?: string;
  remotePort?: number;
  destroy(): void;
  once(event: "close", f: () => void): void;
}
