/**
 * The gateway: acceptors (one port, many sessions, dispatched by the CompIDs of the Logon) and
 * initiators (connect, log on, reconnect with backoff and jitter across a list of hosts), each
 * session a SessionRunner over a shared MessageStore.
 */
import { Framer, MessageView, Tag } from "../codec/mod.ts";
import { type SessionConfig, type SessionId, sessionKey } from "../session/types.ts";
import type { MessageStore } from "../store/types.ts";
import { connectTcp, listenTcp, type TlsOptions } from "../transport/tcp.ts";
import type { Connection, Listener } from "../transport/types.ts";
import type { Application } from "./application.ts";
import { type Clock, systemClock } from "./clock.ts";
import { Logger } from "./log.ts";
import { currentWindow, inWindow, nextWindowStart, type Schedule } from "./schedule.ts";
import { SessionRunner } from "./session_runner.ts";

/** Reconnect policy of an initiator: exponential backoff with jitter. */
export interface ReconnectPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of the delay randomised (0..1): 0.2 means ±20%. */
  jitter: number;
  /** Attempts before giving up (0 = forever). */
  attempts: number;
}

/** Default reconnect policy: 1 s doubling to 30 s, ±20%, forever. */
export const DEFAULT_RECONNECT: ReconnectPolicy = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2, attempts: 0 };

/** Delay before reconnect attempt `attempt` (0-based), with jitter from `random` in [0,1). */
export function backoffDelayMs(p: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(p.maxMs, p.initialMs * Math.pow(p.factor, attempt));
  const j = base * p.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(base + j));
}

/** A session the gateway runs, with what the engine needs beyond the session config. */
export interface GatewaySession {
  config: SessionConfig;
  /** Initiator: where to connect, tried in order. */
  hosts?: Array<{ host: string; port: number }>;
  reconnect?: ReconnectPolicy;
  schedule?: Schedule;
  tls?: TlsOptions;
  /** Acceptor: source addresses allowed to log on (IP strings); any when absent. */
  allowedAddresses?: string[];
  /** Disabled sessions are not connected and refuse logons. */
  enabled?: boolean;
  /** The application for this session (else the gateway's). */
  app?: Application;
}

/** An acceptor port. */
export interface AcceptorSpec {
  host: string;
  port: number;
  tls?: TlsOptions;
  /** Sessions served on this port. */
  sessions: GatewaySession[];
  /**
   * Dynamic sessions: a template whose targetCompId is "*" accepts any client that logs on to its
   * senderCompId; a session is created per client on first logon.
   */
  templates?: GatewaySession[];
}

/** Gateway options. */
export interface GatewayOptions {
  store: MessageStore;
  app: Application;
  logger?: Logger;
  clock?: Clock;
  verbose?: boolean;
  highWaterMarkBytes?: number;
  /** How long an accepted connection may stay silent before its first Logon, ms. Default 10 s. */
  firstLogonTimeoutMs?: number;
}

interface Entry {
  spec: GatewaySession;
  runner: SessionRunner;
  windowStartMs: number | undefined;
}

/** Runs acceptors and initiators until `stop()`. */
export class Gateway {
  readonly logger: Logger;
  readonly #opts: GatewayOptions;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  readonly #listeners: Listener[] = [];
  readonly #acceptors: AcceptorSpec[] = [];
  readonly #initiators: GatewaySession[] = [];
  readonly #tasks: Promise<void>[] = [];
  readonly #pendingConns = new Set<Connection>();
  #stopping = false;
  #wake: Array<() => void> = [];
  #scheduleTimer: ReturnType<typeof setInterval> | undefined;
  readonly startedAtMs: number;

  constructor(options: GatewayOptions) {
    this.#opts = options;
    this.logger = options.logger ?? new Logger();
    this.#clock = options.clock ?? systemClock;
    this.startedAtMs = this.#clock.nowMs();
  }

  /** Adds an acceptor port (before or after start). */
  addAcceptor(spec: AcceptorSpec): void {
    this.#acceptors.push(spec);
  }

  /** Adds an initiator session. */
  addInitiator(spec: GatewaySession): void {
    this.#initiators.push(spec);
  }

  /** All session runners, static and dynamic. */
  runners(): SessionRunner[] {
    return [...this.#entries.values()].map((e) => e.runner);
  }

  /** The runner of a session key, if any. */
  runner(key: string): SessionRunner | undefined {
    return this.#entries.get(key)?.runner;
  }

  /** The configured spec of a session. */
  sessionSpec(key: string): GatewaySession | undefined {
    return this.#entries.get(key)?.spec;
  }

  /** Ports the acceptors listen on (after start), in the order added. */
  get ports(): number[] {
    return this.#listeners.map((l) => l.port);
  }

  /** Opens stores, binds ports and starts initiators. */
  async start(): Promise<void> {
    for (const a of this.#acceptors) {
      for (const s of a.sessions) await this.#open(s);
    }
    for (const s of this.#initiators) await this.#open(s);
    for (const a of this.#acceptors) {
      const l = listenTcp(a.host, a.port, a.tls);
      this.#listeners.push(l);
      this.logger.info("listen", `acceptor listening on ${l.hostname}:${l.port}`, undefined, {
        sessions: a.sessions.map((s) => sessionKey(s.config.id)).join(","),
      });
      this.#tasks.push(this.#acceptLoop(l, a));
    }
    for (const s of this.#initiators) this.#tasks.push(this.#initiatorLoop(s));
    this.#scheduleTimer = setInterval(() => this.#checkSchedules(), 1000);
  }

  async #open(spec: GatewaySession): Promise<Entry> {
    const key = sessionKey(spec.config.id);
    const existing = this.#entries.get(key);
    if (existing) return existing;
    const store = await this.#opts.store.openSession(key, this.#clock.nowMs());
    const runner = SessionRunner.create(spec.config, store, spec.app ?? this.#opts.app, {
      logger: this.logger,
      clock: this.#clock,
      verbose: this.#opts.verbose ?? false,
      highWaterMarkBytes: this.#opts.highWaterMarkBytes ?? 8 * 1024 * 1024,
    });
    const entry: Entry = {
      spec,
      runner,
      windowStartMs: spec.schedule ? currentWindow(spec.schedule, this.#clock.nowMs())?.startMs : undefined,
    };
    this.#entries.set(key, entry);
    return entry;
  }

  async #acceptLoop(l: Listener, spec: AcceptorSpec): Promise<void> {
    for await (const conn of l) {
      if (this.#stopping) {
        conn.close();
        break;
      }
      this.#tasks.push(this.#handleAccepted(conn, spec));
    }
  }

  /** Reads until the first frame, finds its session, hands the connection over (or closes it silently). */
  async #handleAccepted(conn: Connection, spec: AcceptorSpec): Promise<void> {
    this.#pendingConns.add(conn);
    const got: Uint8Array[] = [];
    let total = 0;
    let first: MessageView | undefined;
    const framer = new Framer({
      onFrame: (b, s, e) => {
        if (!first) first = MessageView.parse(b.slice(s, e));
      },
      onGarbled: () => {},
    });
    const buf = new Uint8Array(16 * 1024);
    const timeoutMs = this.#opts.firstLogonTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)));
    try {
      while (!first && total < 64 * 1024) {
        const n = await Promise.race([conn.read(buf), timedOut]);
        if (n === null) break;
        got.push(buf.slice(0, n));
        total += n;
        framer.push(buf.subarray(0, n));
      }
    } catch {
      // A connection that fails before its Logon is just closed.
    } finally {
      clearTimeout(timer);
      this.#pendingConns.delete(conn);
    }
    if (!first) {
      // Empty probe (connect then close), silence or junk: close without a word.
      if (total > 0) this.logger.warn("refused", `no valid message from ${conn.remoteAddr}; closed`);
      conn.close();
      return;
    }
    const refuse = (why: string) => {
      this.logger.warn("logon-refused", `${why} (from ${conn.remoteAddr}); disconnected without sending`);
      conn.close();
    };
    if (first.msgType !== "A") return refuse(`first message is MsgType ${first.msgType}, not Logon`);
    const begin = first.getString(Tag.BeginString) ?? "";
    const theirs = first.getString(Tag.SenderCompID) ?? "";
    const ours = first.getString(Tag.TargetCompID) ?? "";
    const id: SessionId = { beginString: begin, senderCompId: ours, targetCompId: theirs };
    let entry = this.#entries.get(sessionKey(id));
    if (!entry) {
      const tpl = spec.templates?.find((t) =>
        t.config.id.senderCompId === ours && t.config.id.beginString === begin && t.config.id.targetCompId === "*"
      );
      if (!tpl) return refuse(`unknown session ${sessionKey(id)}`);
      const dyn: GatewaySession = { ...tpl, config: { ...tpl.config, id: { ...tpl.config.id, targetCompId: theirs } } };
      entry = await this.#open(dyn);
      this.logger.info("session-created", `dynamic session ${entry.runner.key} from template`, entry.runner.key);
    }
    if (entry.spec.enabled === false) return refuse(`session ${entry.runner.key} is disabled`);
    if (!inWindow(entry.spec.schedule, this.#clock.nowMs())) return refuse(`session ${entry.runner.key} is outside its schedule`);
    if (entry.spec.allowedAddresses && !entry.spec.allowedAddresses.includes(conn.remoteHost)) {
      return refuse(`address ${conn.remoteHost} not allowed for ${entry.runner.key}`);
    }
    if (entry.runner.connected) return refuse(`session ${entry.runner.key} is already logged on from another connection`);
    const prefix = concat(got, total);
    this.logger.info("connect", `accepted ${conn.remoteAddr}`, entry.runner.key);
    await entry.runner.attach(conn, prefix);
    this.logger.info("disconnect", `connection from ${conn.remoteAddr} closed`, entry.runner.key);
  }

  async #initiatorLoop(spec: GatewaySession): Promise<void> {
    const entry = this.#entries.get(sessionKey(spec.config.id))!;
    const r = entry.runner;
    const policy = spec.reconnect ?? DEFAULT_RECONNECT;
    const hosts = spec.hosts ?? [];
    let attempt = 0;
    let hostIdx = 0;
    let first = true;
    while (!this.#stopping) {
      const cur = this.#entries.get(r.key)!.spec;
      if (cur.enabled === false) {
        await this.#sleep(1000);
        continue;
      }
      if (cur.schedule && !inWindow(cur.schedule, this.#clock.nowMs())) {
        const next = nextWindowStart(cur.schedule, this.#clock.nowMs());
        await this.#sleep(Math.min(60_000, Math.max(100, (next ?? Infinity) - this.#clock.nowMs())));
        continue;
      }
      if (!first) {
        const delay = backoffDelayMs(cur.reconnect ?? policy, attempt);
        this.logger.info("reconnect-wait", `reconnecting in ${delay} ms (attempt ${attempt + 1})`, r.key);
        await this.#sleep(delay);
        if (this.#stopping) break;
        r.counters.reconnects++;
      }
      first = false;
      const h = hosts[hostIdx % Math.max(1, hosts.length)];
      if (!h) {
        this.logger.error("config", "initiator has no hosts", r.key);
        return;
      }
      let conn: Connection;
      try {
        conn = await connectTcp(h.host, h.port, cur.tls);
      } catch (e) {
        this.logger.warn("connect-failed", `${h.host}:${h.port}: ${e instanceof Error ? e.message : e}`, r.key);
        attempt++;
        hostIdx++;
        const limit = (cur.reconnect ?? policy).attempts;
        if (limit > 0 && attempt >= limit) {
          this.logger.error("gave-up", `no connection after ${attempt} attempts`, r.key);
          return;
        }
        continue;
      }
      this.logger.info("connect", `connected to ${h.host}:${h.port}`, r.key);
      const loggedOn = await r.attach(conn);
      if (loggedOn) attempt = 0;
      else attempt++;
      this.logger.info("disconnect", `disconnected from ${h.host}:${h.port}`, r.key);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((res) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        res();
      }
      this.#wake.push(done);
    });
  }

  /** Every second: log out sessions whose window closed; reset sequence numbers when a new window opens. */
  #checkSchedules(): void {
    const now = this.#clock.nowMs();
    for (const e of this.#entries.values()) {
      const s = e.spec.schedule;
      if (!s) continue;
      const w = currentWindow(s, now);
      if (!w) {
        if (e.runner.loggedOn) {
          this.logger.info("schedule", "session window closed: logging out", e.runner.key);
          e.runner.logout("End of session window");
        }
        continue;
      }
      if (e.windowStartMs !== w.startMs) {
        const prev = e.windowStartMs;
        e.windowStartMs = w.startMs;
        if (prev !== undefined && !e.runner.connected) {
          this.logger.info("schedule", "new session window: sequence numbers reset", e.runner.key);
          e.runner.resetSequence();
        }
      }
    }
  }

  /** Replaces a session's hot-reloadable settings (schedule, reconnect, enabled, session settings). */
  updateSession(spec: GatewaySession): boolean {
    const e = this.#entries.get(sessionKey(spec.config.id));
    if (!e) return false;
    e.spec = spec;
    e.runner.updateConfig(spec.config);
    if (spec.enabled === false && e.runner.loggedOn) e.runner.logout("Session disabled");
    return true;
  }

  /** Graceful stop: Logout on every session, wait for acknowledgements, close ports, flush and close the store. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#scheduleTimer);
    for (const l of this.#listeners) l.close();
    for (const c of this.#pendingConns) c.close();
    for (const w of this.#wake.splice(0)) w();
    await Promise.all(this.runners().map((r) => r.stop()));
    for (const w of this.#wake.splice(0)) w();
    await Promise.allSettled(this.#tasks);
    await this.#opts.store.close();
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
