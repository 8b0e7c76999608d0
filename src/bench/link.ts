/**
 * One initiator session of a bench run: the engine's SessionRunner over a memory store, with a connect loop
 * that reconnects after a small backoff (the counterparty may restart mid-run; the session then recovers
 * through resend) and applies the socket knobs (TCP_NODELAY, SO_RCVBUF, SO_SNDBUF) to each new connection.
 * The loop is the gateway's initiator loop in miniature; it lives here because the bench needs the raw
 * socket of every connection for its tuning reports.
 */
import type { MessageView } from "../codec/mod.ts";
import type { Application, SessionHandle } from "../engine/application.ts";
import { sessionConfigFor } from "../engine/build.ts";
import type { SessionEntry } from "../engine/config.ts";
import { backoffDelayMs, type ReconnectPolicy } from "../engine/gateway.ts";
import { Logger } from "../engine/log.ts";
import { SessionRunner } from "../engine/session_runner.ts";
import type { MessageStore } from "../store/types.ts";
import { applySocketTuning, type SocketTuning } from "../sys/socket.ts";
import type { EffectReport } from "../sys/types.ts";
import { withReadSpin } from "../engine/read_spin.ts";
import { DenoConnection } from "../transport/tcp.ts";
import type { Connection } from "../transport/types.ts";

/** Reconnect quickly: a bench measures, it does not protect a venue from reconnect storms. */
export const BENCH_RECONNECT: ReconnectPolicy = {
  initialMs: 50,
  maxMs: 500,
  factor: 2,
  jitter: 0.1,
  attempts: 0,
};

/** Options of one bench session. */
export interface BenchLinkOptions {
  host: string;
  port: number;
  beginString: string;
  senderCompId: string;
  targetCompId: string;
  heartbeatSec: number;
  validate: boolean;
  store: MessageStore;
  socket: SocketTuning;
  /** Spin each read up to this many µs before sleeping (0 or absent: off; src/engine/read_spin.ts). */
  readSpinUs?: number;
  /** Called with every application message (the view is valid during the call only). */
  onMessage: (view: MessageView) => void;
  logger?: Logger;
  reconnect?: ReconnectPolicy;
}

/** A bench session: connect, log on, reconnect until stopped. */
export class BenchLink {
  readonly runner: SessionRunner;
  /** Socket knobs of the first connection (later connections get the same settings). */
  socketReports: EffectReport[] = [];
  /** Connections made (1 + reconnects). */
  connections = 0;
  readonly #o: BenchLinkOptions;
  readonly #policy: ReconnectPolicy;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #logonWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** Why the first connection could not be made (e.g. "connection refused"); undefined once connected. */
  connectError: string | undefined;

  private constructor(o: BenchLinkOptions, runner: SessionRunner) {
    this.#o = o;
    this.runner = runner;
    this.#policy = o.reconnect ?? BENCH_RECONNECT;
  }

  /** Opens the session's store and builds the runner (validating with the built-in dictionary unless told not to). */
  static async open(o: BenchLinkOptions): Promise<BenchLink> {
    const entry = {
      role: "initiator",
      beginString: o.beginString,
      senderCompId: o.senderCompId,
      targetCompId: o.targetCompId,
      heartbeatIntervalSec: o.heartbeatSec,
      host: o.host,
      port: o.port,
    } as SessionEntry;
    if (!o.validate) entry.validation = { enabled: false };
    // A bench run starts from a fresh memory store: its first Logon asks for 141=Y so an acceptor that remembers
    // an earlier run starts over too. Later logons (reconnects) keep the numbers and recover through resend.
    entry.resetOnLogon = true;
    const config = await sessionConfigFor(entry, `bench session ${o.senderCompId}`, undefined);
    // The runner is built before the link that handles its logons: the callback is filled in below.
    const hooks: { logon?: () => void } = {};
    const app: Application = {
      onLogon: () => hooks.logon?.(),
      onMessage: (view: MessageView, _s: SessionHandle) => o.onMessage(view),
    };
    const key = `${o.beginString}:${o.senderCompId}->${o.targetCompId}`;
    const store = await o.store.openSession(key, Date.now());
    const runner = SessionRunner.create(config, store, app, {
      logger: o.logger ?? new Logger({ level: "error" }),
      // The generator keeps its own book of requests; the bench has no kill switch or order metrics to feed.
      trackOrders: false,
      // A burst waits for the socket once 1 MiB is queued, not 8 (the runner's default): queued messages are
      // objects every scavenge copies, and more of them do not make the burst faster (docs/bench.md).
      highWaterMarkBytes: 1024 * 1024,
    });
    const link = new BenchLink(o, runner);
    hooks.logon = () => link.#loggedOn();
    return link;
  }

  #loggedOn(): void {
    if (this.runner.config.resetOnLogon) {
      this.runner.updateConfig({ ...this.runner.config, resetOnLogon: false });
    }
    for (const w of this.#logonWaiters.splice(0)) w.resolve();
  }

  /** Starts connecting (returns at once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Resolves when the session is logged on; rejects after `timeoutMs`, or at once when the first connection
   * attempt fails (nothing listening: the message says why, e.g. "connection refused").
   */
  whenLoggedOn(timeoutMs: number): Promise<void> {
    if (this.runner.loggedOn) return Promise.resolve();
    if (this.connectError !== undefined) return Promise.reject(new Error(this.connectError));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#logonWaiters = this.#logonWaiters.filter((w) => w !== waiter);
        reject(new Error(`no logon within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      this.#logonWaiters.push(waiter);
    });
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(t);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    let attempt = 0;
    let first = true;
    while (!this.#stopping) {
      if (!first) {
        await this.#sleep(backoffDelayMs(this.#policy, attempt));
        if (this.#stopping) break;
        this.runner.counters.reconnects++;
      }
      first = false;
      let raw: Deno.TcpConn;
      try {
        raw = await Deno.connect({ hostname: this.#o.host, port: this.#o.port, transport: "tcp" });
      } catch (e) {
        this.runner.logger.debug(
          "connect-failed",
          e instanceof Error ? e.message : String(e),
          this.runner.key,
        );
        if (this.connections === 0 && this.connectError === undefined) {
          // The first attempt: nothing to reconnect to. Say why at once instead of waiting out the logon timeout.
          const why = e instanceof Deno.errors.ConnectionRefused
            ? "connection refused"
            : e instanceof Error
            ? e.message
            : String(e);
          this.connectError = `cannot connect to ${this.#o.host}:${this.#o.port}: ${why}`;
          for (const w of this.#logonWaiters.splice(0)) w.reject(new Error(this.connectError));
        }
        attempt++;
        continue;
      }
      if (this.#stopping) {
        raw.close();
        break;
      }
      const reports = applySocketTuning(raw, this.#o.socket);
      let conn: Connection = new DenoConnection(raw);
      if (this.#o.readSpinUs !== undefined && this.#o.readSpinUs > 0) {
        const spun = withReadSpin(conn, this.#o.readSpinUs);
        conn = spun.conn;
        reports.push(spun.report);
      }
      if (this.connections === 0) this.socketReports = reports;
      this.connections++;
      const loggedOn = await this.runner.attach(conn);
      attempt = loggedOn ? 0 : attempt + 1;
    }
  }

  /** Logs out (waiting for the peer's Logout or the timeout), stops reconnecting and closes the connection. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.runner.stop();
    await this.#loop;
  }
}
