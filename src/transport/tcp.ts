/** TCP and TLS connections over Deno's APIs: `conn.read` into the caller's buffer (fastest style measured). */
import { type Scheduler, systemScheduler } from "../clock.ts";
import { ConfigError, EnvironmentError } from "../errors.ts";
import type { Connection, Listener } from "./types.ts";

/** TLS material for a listener or a client (PEM file contents). */
export interface TlsOptions {
  /** Certificate chain (PEM). */
  cert?: string;
  /** Private key (PEM). */
  key?: string;
  /** CA certificates to verify the peer with (PEM). */
  caCerts?: string[];
  /** Server name to verify (client side) when it is not the host connected to (e.g. an IP address). */
  hostname?: string;
}

/** Wraps a Deno connection as a fixg Connection. */
export class DenoConnection implements Connection {
  readonly remoteAddr: string;
  readonly remoteHost: string;
  #closed = false;
  constructor(readonly raw: Deno.Conn) {
    const a = raw.remoteAddr as Deno.NetAddr;
    this.remoteHost = a.hostname ?? "?";
    this.remoteAddr = `${a.hostname}:${a.port}`;
  }
  // read and write hand Deno's promise back with one reaction attached rather than wrapping it in an
  // async function: these run once per socket read and write, and the async frames were a tenth of
  // everything a busy session allocated.
  read(buf: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.resolve(null);
    return this.raw.read(buf).then(undefined, this.#onReadError);
  }
  readonly #onReadError = (e: unknown): null => {
    if (this.#closed || isConnReset(e)) return null;
    throw e;
  };
  write(bytes: Uint8Array): Promise<void> {
    return this.raw.write(bytes).then((n) => (n < bytes.length ? this.#writeRest(bytes, n) : undefined));
  }
  async #writeRest(bytes: Uint8Array, off: number): Promise<void> {
    while (off < bytes.length) off += await this.raw.write(bytes.subarray(off));
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.raw.close();
    } catch {
      // Already closed by the peer: nothing to release.
    }
  }
}

function isConnReset(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted ||
    e instanceof Deno.errors.ConnectionAborted;
}

/** Completes a client handshake; a refused one (certificate, name) closes the connection before rethrowing. */
async function handshakeOrClose(c: Deno.TlsConn): Promise<void> {
  try {
    await c.handshake();
  } catch (e) {
    try {
      c.close();
    } catch {
      // Already closed.
    }
    throw e;
  }
}

/** Opens a TCP (or TLS) connection with TCP_NODELAY on. */
export async function connectTcp(host: string, port: number, tls?: TlsOptions): Promise<DenoConnection> {
  let conn: Deno.Conn;
  const serverName = tls?.hostname ?? host;
  if (tls && serverName !== host) {
    // Verify the certificate for another name than the address connected to (an IP, a load balancer):
    // TCP first, then TLS over it with that name. Deno's TLS upgrade takes no client certificate.
    if (tls.cert && tls.key) {
      throw new ConfigError(
        `TLS to ${host}:${port}: a client certificate with a server name (${serverName}) other than the host is not supported; connect to ${serverName} itself`,
      );
    }
    const tcp = await Deno.connect({ hostname: host, port, transport: "tcp" });
    tcp.setNoDelay(true);
    const c = await Deno.startTls(tcp, {
      hostname: serverName,
      ...(tls.caCerts ? { caCerts: tls.caCerts } : {}),
    });
    await handshakeOrClose(c);
    conn = c;
  } else if (tls) {
    const opts: Deno.ConnectTlsOptions = { hostname: host, port };
    if (tls.caCerts) opts.caCerts = tls.caCerts;
    if (tls.cert && tls.key) Object.assign(opts, { cert: tls.cert, key: tls.key });
    const c = await Deno.connectTls(opts);
    await handshakeOrClose(c);
    conn = c;
  } else {
    const c = await Deno.connect({ hostname: host, port, transport: "tcp" });
    c.setNoDelay(true);
    conn = c;
  }
  return new DenoConnection(conn);
}

/** Accept failures of a listener: why, and the delay before the next attempt (0 after a recovery). */
export type AcceptErrorHandler = (why: string, retryInMs: number) => void;

/**
 * Listens on TCP (or TLS); accepted connections get TCP_NODELAY. An accept that fails for the process
 * (too many open files) backs off from 5 ms to 1 s before trying again, reported to `onAcceptError`;
 * `onAcceptOk` is called at the first success after a failure, or when an accept then waits ACCEPT_QUIET_MS without failing. The back-off waits on `scheduler`.
 */
export function listenTcp(
  hostname: string,
  port: number,
  tls?: TlsOptions,
  onAcceptError: AcceptErrorHandler = () => {},
  onAcceptOk: () => void = () => {},
  scheduler: Scheduler = systemScheduler,
): Listener {
  let l: Deno.Listener;
  try {
    l = tls
      ? Deno.listenTls({ hostname, port, cert: tls.cert ?? "", key: tls.key ?? "", transport: "tcp" })
      : Deno.listen({ hostname, port, transport: "tcp" });
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new EnvironmentError(`Cannot listen on ${hostname}:${port}: address already in use`, {
        cause: e,
      });
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new EnvironmentError(`Cannot listen on ${hostname}:${port}: permission denied`, { cause: e });
    }
    throw e;
  }
  const addr = l.addr as Deno.NetAddr;
  return {
    port: addr.port,
    hostname: addr.hostname,
    close: () => {
      try {
        l.close();
      } catch {
        // Closed already.
      }
    },
    [Symbol.asyncIterator]() {
      return acceptLoop(() => l.accept(), onAcceptError, onAcceptOk, scheduler);
    },
  };
}

/** The first back-off after an accept failed for the process, and the longest, ms. */
export const ACCEPT_BACKOFF_FIRST_MS = 5;
export const ACCEPT_BACKOFF_MAX_MS = 1000;
/**
 * After an out-of-descriptors failure, an accept that then waits this long without failing counts as
 * recovery: accept(2) reserves the descriptor before it looks at the queue, so the failure can come
 * with no connection waiting, and the next success would otherwise wait for the next client.
 */
export const ACCEPT_QUIET_MS = 100;

/**
 * listenTcp's accept loop over `accept` (tests pass one that fails): yields each accepted connection
 * (TCP_NODELAY set). An accept failing for the process (out of descriptors or memory) is reported with
 * the wait before the next try — 5 ms, doubling up to 1 s, as Go's net/http — and waited out on
 * `scheduler`; the first success after that, or an accept that then waits ACCEPT_QUIET_MS without
 * failing, calls `onAcceptOk`. Other accept errors (a failed TLS
 * handshake, a reset) affect only that client: the next accept follows at once. Ends when the
 * listener is closed.
 */
export async function* acceptLoop(
  accept: () => Promise<Deno.Conn>,
  onAcceptError: AcceptErrorHandler,
  onAcceptOk: () => void,
  scheduler: Scheduler,
): AsyncGenerator<Connection> {
  let backoffMs = 0;
  while (true) {
    let c: Deno.Conn;
    try {
      const next = accept();
      if (backoffMs > 0) {
        // Recovering: an accept that waits ACCEPT_QUIET_MS without failing is recovery too.
        let timer: { cancel(): void } | undefined;
        const quiet = new Promise<undefined>((r) => {
          timer = scheduler.after(ACCEPT_QUIET_MS, () => r(undefined));
        });
        const first = await Promise.race([next, quiet]).finally(() => timer?.cancel());
        if (first === undefined) {
          backoffMs = 0;
          onAcceptOk();
        }
      }
      c = await next;
    } catch (e) {
      if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) return;
      const why = e instanceof Error ? e.message : String(e);
      if (/too many open files|os error 2[34]\b|EMFILE|ENFILE|ENOBUFS|ENOMEM/i.test(why)) {
        // Out of descriptors: retrying at once would spin; wait, longer each time.
        backoffMs = Math.min(
          ACCEPT_BACKOFF_MAX_MS,
          backoffMs === 0 ? ACCEPT_BACKOFF_FIRST_MS : backoffMs * 2,
        );
        onAcceptError(why, backoffMs);
        await new Promise<void>((r) => scheduler.after(backoffMs, r));
      }
      continue;
    }
    if (backoffMs > 0) {
      backoffMs = 0;
      onAcceptOk();
    }
    if ("setNoDelay" in c && typeof (c as Deno.TcpConn).setNoDelay === "function") {
      try {
        (c as Deno.TcpConn).setNoDelay(true);
      } catch {
        // TLS connections expose no socket option before the handshake.
      }
    }
    yield new DenoConnection(c);
  }
}
