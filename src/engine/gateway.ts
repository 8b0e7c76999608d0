/**
 * The gateway: acceptors (one port, many sessions, dispatched by the CompIDs of the Logon) and
 * initiators (connect, log on, reconnect with backoff and jitter across a list of hosts), each
 * session a SessionRunner over a shared MessageStore.
 */
import type { RiskLimits } from "../app/orders/risk.ts";
import { concatBytes } from "../codec/bytes.ts";
import { Framer, MessageView, Tag } from "../codec/mod.ts";
import type { OutboundQueueOptions } from "./flow/outbound_queue.ts";
import {
  type CertificateInfo,
  certificateInfo,
  connectTlsNode,
  expiryWarning,
  identityAllowed,
  listenTlsNode,
  sameMaterial,
  TlsConnection,
  type TlsListener,
  type TlsMaterial,
} from "../transport/tls.ts";
import {
  AuthThrottle,
  type AuthThrottleOptions,
  DEFAULT_AUTH_THROTTLE,
  HashGate,
} from "./auth/throttle.ts";
import type { AuthDecision, UserDirectory } from "./auth/users.ts";
import {
  findForLogon,
  instantiate,
  isTemplate,
  matchesTemplate,
  sameSession,
  sessionIdFromInbound,
} from "../session/session_id.ts";
import { type SessionConfig, sessionKey } from "../session/types.ts";
import type { MessageStore, SessionStore } from "../store/types.ts";
import { ResendPolicyStore } from "./resend_policy.ts";
import { applySocketTuning, type SocketLike, type SocketTuning } from "../sys/socket.ts";
import type { EffectReport } from "../sys/types.ts";
import { withReadSpin } from "./read_spin.ts";
import { connectTcp, DenoConnection, listenTcp, type TlsOptions } from "../transport/tcp.ts";
import type { Connection, Listener } from "../transport/types.ts";
import type { Application } from "./application.ts";
import { type Clock, systemClock } from "./clock.ts";
import { Logger } from "./log.ts";
import { currentWindow, inWindow, nextWindowStart, type Schedule } from "./schedule.ts";
import { SessionRunner, type SessionStatus, type ThrottleSettings } from "./session_runner.ts";

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
export const DEFAULT_RECONNECT: ReconnectPolicy = {
  initialMs: 1000,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
  attempts: 0,
};

/** Delay before reconnect attempt `attempt` (0-based), with jitter from `random` in [0,1). */
export function backoffDelayMs(
  p: ReconnectPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(p.maxMs, p.initialMs * Math.pow(p.factor, attempt));
  const j = base * p.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(base + j));
}

/** What an authentication hook learns about the connection besides the Logon. */
export interface LogonContext {
  /** The session the Logon is for. */
  key: string;
  /** Source IP. */
  remoteHost: string;
  /** Names in the client certificate (mutual TLS), if any. */
  clientCertNames?: string[];
}

/** A Logon check run by the gateway before the session sees the Logon (may be async, e.g. a directory lookup). */
export type LogonHook = (logon: MessageView, context: LogonContext) => AuthDecision | Promise<AuthDecision>;

/** A session the gateway runs, with what the engine needs beyond the session config. */
export interface GatewaySession {
  config: SessionConfig;
  /** A short name operators use (admin URLs, logs); the session key works everywhere too. */
  name?: string;
  /** Initiator: where to connect, tried in order. */
  hosts?: Array<{ host: string; port: number }>;
  reconnect?: ReconnectPolicy;
  schedule?: Schedule;
  /** Deno TLS options (kept for library callers); `tlsMaterial` wins when both are given. */
  tls?: TlsOptions;
  /** TLS over node:tls: certificates, CA, mutual TLS, server name, allowed client names. */
  tlsMaterial?: TlsMaterial;
  /** Inbound/outbound message rate limits. */
  throttle?: ThrottleSettings;
  /** Outbound priority table and starvation guard. */
  outbound?: OutboundQueueOptions;
  /** Bound of the session's outbound buffer, bytes (`outbound.maxBufferBytes`; default 8 MiB). */
  maxOutboundBufferBytes?: number;
  /** A write the peer does not take within this long disconnects the session, ms (0 off; default 30 s). */
  writeTimeoutMs?: number;
  /** Pre-send risk limits of the session's order entry (none when absent). */
  risk?: RiskLimits;
  /** Acceptor: check Username/Password of the Logon against the gateway's users. */
  authentication?: "none" | "users";
  /** Users allowed on this session (with authentication "users"); any known user when absent. */
  allowedUsers?: string[];
  /** Acceptor: a custom Logon check (after the users check, if any). */
  logonHook?: LogonHook;
  /** Acceptor: the largest HeartBtInt (108) a peer's Logon may ask for, seconds (default 3600). */
  maxHeartBtIntSec?: number;
  /** Acceptor: source addresses allowed to log on (IP strings); any when absent. */
  allowedAddresses?: string[];
  /** Disabled sessions are not connected and refuse logons. */
  enabled?: boolean;
  /** Resend policy: stored application messages older than this are gap-filled, not resent (s). */
  resendMaxAgeSec?: number;
  /** The application for this session (else the gateway's). */
  app?: Application;
}

/** An acceptor port. */
export interface AcceptorSpec {
  host: string;
  port: number;
  tls?: TlsOptions;
  /** TLS over node:tls (mutual TLS, certificate reload); wins over `tls`. */
  tlsMaterial?: TlsMaterial;
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
  /** Bounds on connections that have not logged on yet (defaults: DEFAULT_PRELOGON_LIMITS). */
  limits?: Partial<PreLogonLimits>;
  /** Users for sessions with `authentication: users`. */
  users?: UserDirectory;
  /** Socket knobs applied to every session connection (each reports whether it took effect). */
  socketTuning?: SocketTuning;
  /**
   * Cluster ownership (src/engine/cluster.ts): only sessions this gateway holds the lease of are opened,
   * connected or accepted; the cluster opens and releases them with acquireSession/releaseSession.
   */
  cluster?: {
    owns(key: string): boolean;
    start?(host: Gateway): Promise<void>;
    stop?(): Promise<void>;
  };
}

interface Entry {
  spec: GatewaySession;
  runner: SessionRunner;
  /** The session's store (closed when a cluster releases the session). */
  store: SessionStore;
  windowStartMs: number | undefined;
  /** An operator logged the session out: it stays down until an operator logs it on. */
  held: boolean;
}

/** A session's status with what the gateway knows beyond the runner. */
export interface GatewaySessionStatus extends SessionStatus {
  name: string | undefined;
  role: "initiator" | "acceptor";
  enabled: boolean;
  /** Logged out by an operator and kept down until logged on again. */
  held: boolean;
  /** Inside its schedule window (always true without a schedule). */
  inWindow: boolean;
}

/**
 * Why a connection was refused before its session took it (counted in aggregate, never per peer):
 * the reasons of `Gateway.refusals()` and of `fixg_prelogon_refused_total{reason}`.
 */
export type RefusalReason =
  | "not-logon"
  | "unknown-session"
  | "disabled"
  | "held"
  | "schedule"
  | "address"
  | "certificate"
  | "already-logged-on"
  | "heartbeat"
  | "authentication"
  | "limit"
  | "timeout"
  | "handshake"
  | "throttled"
  | "not-owner";

/** Every refusal reason, in a stable order (metrics list them all, zeros included). */
export const REFUSAL_REASONS: readonly RefusalReason[] = [
  "not-logon",
  "unknown-session",
  "disabled",
  "held",
  "schedule",
  "address",
  "certificate",
  "already-logged-on",
  "heartbeat",
  "authentication",
  "limit",
  "not-owner",
  "timeout",
  "handshake",
  "throttled",
];

/** Bounds on connections that have not logged on yet (`limits:` in fixg.yaml). */
export interface PreLogonLimits {
  /** TLS: a handshake not complete after this long is dropped, ms. */
  handshakeTimeoutMs: number;
  /** A connection that has not sent its Logon after this long (after the handshake) is closed, ms. */
  logonTimeoutMs: number;
  /** Connections not logged on yet, all addresses together (TLS handshakes included). */
  maxPending: number;
  /** Connections not logged on yet from one source address. */
  maxPendingPerAddress: number;
  /** TLS: how often a listener that took no connection meanwhile is checked to still accept, ms (0 = off). */
  acceptWatchdogMs: number;
  /** Failed logons from one address before it is refused for a while (1 s, doubling per failure). */
  authFreeFailures: number;
  /** The longest such refusal, ms. */
  authMaxPenaltyMs: number;
  /** Password hashes (PBKDF2) computed at the same time at most. */
  maxConcurrentHashes: number;
}

/** Default pre-logon limits. */
export const DEFAULT_PRELOGON_LIMITS: PreLogonLimits = {
  handshakeTimeoutMs: 5000,
  logonTimeoutMs: 10_000,
  maxPending: 256,
  maxPendingPerAddress: 16,
  acceptWatchdogMs: 5000,
  authFreeFailures: DEFAULT_AUTH_THROTTLE.freeFailures,
  authMaxPenaltyMs: DEFAULT_AUTH_THROTTLE.maxPenaltyMs,
  maxConcurrentHashes: 2,
};

/** Something that keeps the gateway from working as it should (shown by /health). */
export interface HealthProblem {
  what: string;
  text: string;
  sinceMs: number;
}

/** Refusal log lines: a burst of this many, then one per second; what was dropped is counted on the next. */
const REFUSAL_LOG_BURST = 20;
const REFUSAL_LOG_PER_SEC = 1;

/** Largest HeartBtInt (108) an acceptor takes from a peer by default, seconds: beyond it liveness is lost. */
export const DEFAULT_MAX_HEARTBTINT_SEC = 3600;

/** Kill switch state. */
export interface KillSwitchState {
  engaged: boolean;
  reason: string | undefined;
  sinceMs: number | undefined;
}

/** Result of engaging the kill switch, per session. */
export interface KillSwitchResult {
  sessions: Array<{ key: string; cancels: number; withdrawn: number }>;
  cancels: number;
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
  /** Connections being handled (pre-logon or in session); each leaves the set when it ends. */
  readonly #connTasks = new Set<Promise<void>>();
  readonly #pendingConns = new Set<Connection>();
  #stopping = false;
  #wake: Array<() => void> = [];
  #scheduleTimer: ReturnType<typeof setInterval> | undefined;
  readonly startedAtMs: number;
  readonly #tlsListeners = new Map<AcceptorSpec, TlsListener>();
  #kill: KillSwitchState = { engaged: false, reason: undefined, sinceMs: undefined };
  readonly #tuning = new Map<string, EffectReport>();
  #socketTuning: SocketTuning | undefined;
  readonly #refusals = new Map<RefusalReason, number>();
  #limits: PreLogonLimits;
  readonly #authThrottle: AuthThrottle;
  readonly #hashGate: HashGate;
  #preLogon = 0;
  readonly #preLogonByHost = new Map<string, number>();
  readonly #problems = new Map<string, HealthProblem>();
  #acceptErrors = 0;
  #logTokens = REFUSAL_LOG_BURST;
  #logRefillMs = 0;
  #logDropped = 0;
  readonly #opening = new Map<string, Promise<Entry>>();

  constructor(options: GatewayOptions) {
    this.#opts = options;
    this.logger = options.logger ?? new Logger();
    this.#clock = options.clock ?? systemClock;
    this.startedAtMs = this.#clock.nowMs();
    this.#socketTuning = options.socketTuning;
    this.#limits = {
      ...DEFAULT_PRELOGON_LIMITS,
      ...(options.firstLogonTimeoutMs !== undefined ? { logonTimeoutMs: options.firstLogonTimeoutMs } : {}),
      ...options.limits,
    };
    this.#authThrottle = new AuthThrottle(this.#throttleOptions());
    this.#hashGate = new HashGate(this.#limits.maxConcurrentHashes);
  }

  #throttleOptions(): Partial<AuthThrottleOptions> {
    return { freeFailures: this.#limits.authFreeFailures, maxPenaltyMs: this.#limits.authMaxPenaltyMs };
  }

  /** The pre-logon limits in force. */
  get limits(): PreLogonLimits {
    return { ...this.#limits };
  }

  /** New pre-logon limits (hot reload): new connections get them (the TLS handshake timeout at restart). */
  setLimits(l: Partial<PreLogonLimits>): void {
    this.#limits = { ...DEFAULT_PRELOGON_LIMITS, ...l };
    this.#authThrottle.configure(this.#throttleOptions());
    this.#hashGate.setMax(this.#limits.maxConcurrentHashes);
  }

  /** Connections accepted that have not logged on (or been closed) yet, TLS handshakes included. */
  get preLogonConnections(): number {
    return this.#preLogon;
  }

  /** Accepted connections still being handled (before logon or in their session). */
  get connectionsHandled(): number {
    return this.#connTasks.size;
  }

  /** Accept failures (too many open files...) since start. */
  get acceptErrors(): number {
    return this.#acceptErrors;
  }

  /** What keeps the gateway from working as it should now (empty when healthy). */
  problems(): HealthProblem[] {
    // A session whose store failed (a full disk) stopped sending for good: the gateway needs an operator.
    const stopped = this.runners().filter((r) => r.counters.storeErrors > 0).length;
    if (stopped > 0) {
      this.#raise(
        "store",
        `journal write failed: ${stopped} session${
          stopped === 1 ? "" : "s"
        } stopped sending (see the store-error log line); free the disk and restart the gateway`,
      );
    }
    return [...this.#problems.values()];
  }

  #raise(what: string, text: string): void {
    const p = this.#problems.get(what);
    if (p) p.text = text;
    else this.#problems.set(what, { what, text, sinceMs: this.#clock.nowMs() });
  }

  #clear(what: string, text: string): void {
    if (this.#problems.delete(what)) this.logger.info("accept", text);
  }

  /**
   * A pre-logon slot for a connection from `host`: a release function (idempotent), or undefined when
   * the total or per-address limit is reached.
   */
  #admit(host: string): (() => void) | undefined {
    const n = this.#preLogonByHost.get(host) ?? 0;
    if (this.#preLogon >= this.#limits.maxPending || n >= this.#limits.maxPendingPerAddress) {
      return undefined;
    }
    this.#preLogon++;
    this.#preLogonByHost.set(host, n + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#preLogon--;
      const m = (this.#preLogonByHost.get(host) ?? 1) - 1;
      if (m <= 0) this.#preLogonByHost.delete(host);
      else this.#preLogonByHost.set(host, m);
    };
  }

  #limitRefused(addr: string): void {
    this.#countRefusal("limit");
    this.#refusalLog(
      "connection-refused",
      `too many connections not logged on (limits.maxPendingConnections ${this.#limits.maxPending}, per address ${this.#limits.maxPendingPerAddress}): ${addr} closed`,
    );
  }

  /**
   * A refusal log line, rate limited (a burst, then one per second) so that a flood of bad connections
   * cannot flood the log; the next line written says how many were left out.
   */
  #refusalLog(event: string, text: string, session?: string): void {
    const now = this.#clock.nowMs();
    if (this.#logRefillMs === 0) this.#logRefillMs = now;
    const refill = Math.floor(((now - this.#logRefillMs) / 1000) * REFUSAL_LOG_PER_SEC);
    if (refill > 0) {
      this.#logTokens = Math.min(REFUSAL_LOG_BURST, this.#logTokens + refill);
      this.#logRefillMs += (refill / REFUSAL_LOG_PER_SEC) * 1000;
    }
    if (this.#logTokens < 1) {
      this.#logDropped++;
      return;
    }
    this.#logTokens--;
    const dropped = this.#logDropped;
    this.#logDropped = 0;
    this.logger.warn(
      event,
      dropped > 0 ? `${text} (${dropped} similar lines not logged: rate limit)` : text,
      session,
    );
  }

  /** The users sessions with `authentication: users` are checked against. */
  get users(): UserDirectory | undefined {
    return this.#opts.users;
  }

  /** The message store (instrumented stores expose statistics). */
  get store(): MessageStore {
    return this.#opts.store;
  }

  /** Finds a session by key or configured name. */
  find(idOrName: string): SessionRunner | undefined {
    const byKey = this.#entries.get(idOrName);
    if (byKey) return byKey.runner;
    for (const e of this.#entries.values()) if (e.spec.name === idOrName) return e.runner;
    return undefined;
  }

  /** The configured name of a session, if any. */
  sessionName(key: string): string | undefined {
    return this.#entries.get(key)?.spec.name;
  }

  /** Status of one session (runner status plus name, role, enabled, held, schedule). */
  sessionStatus(key: string): GatewaySessionStatus | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    return {
      ...e.runner.status(),
      name: e.spec.name,
      role: e.spec.config.role,
      enabled: e.spec.enabled !== false,
      held: e.held,
      inWindow: inWindow(e.spec.schedule, this.#clock.nowMs()),
    };
  }

  /** Status of every session. */
  statuses(): GatewaySessionStatus[] {
    return [...this.#entries.keys()].map((k) => this.sessionStatus(k)!);
  }

  /** Connections refused before a session took them, by reason (aggregate: no peer or session detail). */
  refusals(): Map<RefusalReason, number> {
    return new Map(REFUSAL_REASONS.map((r) => [r, this.#refusals.get(r) ?? 0]));
  }

  #countRefusal(reason: RefusalReason): void {
    this.#refusals.set(reason, (this.#refusals.get(reason) ?? 0) + 1);
  }

  /** The latest report of each socket knob, from the most recent connection. */
  tuningReports(): EffectReport[] {
    return [...this.#tuning.values()];
  }

  /** Replaces the socket knobs applied to new connections. */
  setSocketTuning(t: SocketTuning | undefined): void {
    this.#socketTuning = t;
  }

  /** Operator: log a session out and keep it down (no reconnect, logons refused) until `operatorLogon`. */
  operatorLogout(key: string, text = "Logout by operator"): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    e.held = true;
    this.logger.warn("operator", "logout requested: session held down until an operator logs it on", key);
    if (e.runner.connected) e.runner.logout(text);
    return true;
  }

  /** Operator: release a held session; an initiator connects at once. */
  operatorLogon(key: string): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    e.held = false;
    this.logger.info("operator", "logon requested: session released", key);
    for (const w of this.#wake.splice(0)) w();
    return true;
  }

  /** The kill switch state. */
  get killSwitch(): KillSwitchState {
    return { ...this.#kill };
  }

  /**
   * Kill switch: every session refuses new orders and cancels every open order it knows
   * (OrderCancelRequest at critical priority); it stays engaged until `releaseKillSwitch()`.
   */
  engageKillSwitch(reason: string): KillSwitchResult {
    if (!this.#kill.engaged) this.#kill = { engaged: true, reason, sinceMs: this.#clock.nowMs() };
    const sessions = this.runners().map((r) => ({ key: r.key, ...r.engageKillSwitch(reason) }));
    const cancels = sessions.reduce((n, s) => n + s.cancels, 0);
    this.logger.error(
      "kill-switch",
      `ENGAGED (${reason}): ${cancels} cancels sent; order entry blocked until reset`,
    );
    return { sessions, cancels };
  }

  /** Lifts the kill switch on every session; also closes every tripped risk circuit breaker. */
  releaseKillSwitch(): void {
    if (!this.#kill.engaged) {
      for (const r of this.runners()) r.resetRiskBreaker();
      return;
    }
    this.#kill = { engaged: false, reason: undefined, sinceMs: undefined };
    for (const r of this.runners()) r.releaseKillSwitch();
    this.logger.warn("kill-switch", "released: order entry allowed again");
  }

  /**
   * New TLS material for the acceptor port serving `key` (or the initiator session `key`): new
   * connections use it, live sessions keep theirs. Returns false when nothing changed.
   */
  setTlsMaterial(key: string, m: TlsMaterial): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    if (e.spec.config.role === "initiator") {
      if (sameMaterial(e.spec.tlsMaterial, m)) return false;
      e.spec = { ...e.spec, tlsMaterial: m };
      this.logger.info("tls-reloaded", "new TLS material for the next connection", key);
      this.#warnExpiry(m, `session ${key}`, key);
      return true;
    }
    for (const a of this.#acceptors) {
      if (
        !a.sessions.some((s) => sessionKey(s.config.id) === key) &&
        !a.templates?.some((s) => matchesTemplate(s.config.id, e.spec.config.id))
      ) continue;
      if (sameMaterial(a.tlsMaterial, m)) return false;
      a.tlsMaterial = m;
      this.#tlsListeners.get(a)?.setMaterial(m);
      this.logger.info(
        "tls-reloaded",
        `new certificate on ${a.host}:${a.port} for new connections; live sessions keep theirs`,
        key,
      );
      this.#warnExpiry(m, `acceptor ${a.host}:${a.port}`);
      return true;
    }
    return false;
  }

  /** Our certificates (acceptor ports and initiator sessions) with their end of validity. */
  certificates(): Array<{ acceptor?: string; session?: string; info: CertificateInfo }> {
    const out: Array<{ acceptor?: string; session?: string; info: CertificateInfo }> = [];
    for (const [i, a] of this.#acceptors.entries()) {
      const info = this.#certInfo(a.tlsMaterial);
      const port = this.#listeners[i]?.port ?? a.port;
      if (info) out.push({ acceptor: `${a.host}:${port}`, info });
    }
    for (const s of this.#initiators) {
      const key = sessionKey(s.config.id);
      const info = this.#certInfo(this.#entries.get(key)?.spec.tlsMaterial ?? s.tlsMaterial);
      if (info) out.push({ session: key, info });
    }
    return out;
  }

  readonly #certCache = new Map<string, CertificateInfo | undefined>();

  #certInfo(m: TlsMaterial | undefined): CertificateInfo | undefined {
    if (m?.cert === undefined) return undefined;
    if (!this.#certCache.has(m.cert)) {
      if (this.#certCache.size > 64) this.#certCache.clear();
      this.#certCache.set(m.cert, certificateInfo(m.cert));
    }
    return this.#certCache.get(m.cert);
  }

  /** Logs a warning when our certificate has expired or expires soon. */
  #warnExpiry(m: TlsMaterial | undefined, where: string, session?: string): void {
    const info = this.#certInfo(m);
    const w = info && expiryWarning(info, this.#clock.nowMs());
    if (w) this.logger.warn("tls-certificate", `${where}: ${w}`, session);
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
    await this.#opts.cluster?.start?.(this);
    const owned = (s: GatewaySession) => this.#opts.cluster?.owns(sessionKey(s.config.id)) ?? true;
    for (const a of this.#acceptors) {
      for (const s of a.sessions) if (owned(s)) await this.#open(s);
    }
    for (const s of this.#initiators) if (owned(s)) await this.#open(s);
    for (const a of this.#acceptors) {
      const m = a.tlsMaterial;
      let l: Listener;
      let where = `acceptor ${a.host}:${a.port}`;
      const acceptError = (why: string) => {
        this.#acceptErrors++;
        this.#raise(where, `${where} cannot accept connections: ${why}`);
        this.#refusalLog("accept-failed", `${where}: ${why}`);
      };
      const acceptOk = () => this.#clear(where, `${where} accepts connections again`);
      if (m) {
        const tl = await listenTlsNode(a.host, a.port, m, (from, why) => {
          this.#countRefusal("handshake");
          this.#refusalLog("tls-refused", `TLS handshake from ${from} failed: ${why}`);
        }, {
          handshakeTimeoutMs: this.#limits.handshakeTimeoutMs,
          admit: (host) => this.#admit(host),
          onLimit: (addr) => this.#limitRefused(addr),
          watchdogMs: this.#limits.acceptWatchdogMs,
          onAcceptError: acceptError,
          onAcceptOk: acceptOk,
        });
        this.#tlsListeners.set(a, tl);
        l = tl;
      } else {
        l = listenTcp(
          a.host,
          a.port,
          a.tls,
          (why, retryMs) => acceptError(`${why}; retrying in ${retryMs} ms`),
          acceptOk,
        );
      }
      this.#listeners.push(l);
      where = `acceptor ${l.hostname}:${l.port}`;
      this.logger.info("listen", `acceptor listening on ${l.hostname}:${l.port}`, undefined, {
        sessions: a.sessions.map((s) => sessionKey(s.config.id)).join(","),
      });
      this.#tasks.push(this.#acceptLoop(l, a));
    }
    for (const [i, a] of this.#acceptors.entries()) {
      this.#warnExpiry(a.tlsMaterial, `acceptor ${a.host}:${this.#listeners[i]?.port ?? a.port}`);
    }
    for (const s of this.#initiators) {
      this.#warnExpiry(s.tlsMaterial, `session ${sessionKey(s.config.id)}`, sessionKey(s.config.id));
    }
    for (const s of this.#initiators) this.#tasks.push(this.#initiatorLoop(s));
    this.#scheduleTimer = setInterval(() => this.#checkSchedules(), 1000);
  }

  /** Configured (static) sessions by key: initiators and acceptors. */
  configuredSessions(): Map<string, GatewaySession> {
    const out = new Map<string, GatewaySession>();
    for (const a of this.#acceptors) for (const s of a.sessions) out.set(sessionKey(s.config.id), s);
    for (const s of this.#initiators) out.set(sessionKey(s.config.id), s);
    return out;
  }

  /** Cluster: this gateway won the session's lease; opens it (its store and numbers from the committed tail). */
  async acquireSession(key: string): Promise<void> {
    const spec = this.configuredSessions().get(key);
    if (spec === undefined || this.#stopping) return;
    await this.#open(spec);
    for (const w of this.#wake.splice(0)) w();
  }

  /** Cluster: the lease is lost; closes the session's socket at once and forgets the session. */
  async releaseSession(key: string, reason: string): Promise<void> {
    const e = this.#entries.get(key);
    if (e === undefined) return;
    this.#entries.delete(key);
    this.logger.warn("lease-lost", `${reason}; closing the session's connection`, key);
    e.runner.disconnect(reason);
    let t: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([e.runner.whenDisconnected(), new Promise<void>((r) => (t = setTimeout(r, 5000)))]);
    clearTimeout(t);
    await e.store.close().catch(() => {});
  }

  /** Opens a session once, even when two connections ask for the same new session at the same time. */
  #open(spec: GatewaySession): Promise<Entry> {
    const key = sessionKey(spec.config.id);
    const existing = this.#entries.get(key);
    if (existing) return Promise.resolve(existing);
    let p = this.#opening.get(key);
    if (!p) {
      p = this.#create(spec).finally(() => this.#opening.delete(key));
      this.#opening.set(key, p);
    }
    return p;
  }

  async #create(spec: GatewaySession): Promise<Entry> {
    const key = sessionKey(spec.config.id);
    const app = spec.app ?? this.#opts.app;
    let store = await this.#opts.store.openSession(key, this.#clock.nowMs());
    let policy: ResendPolicyStore | undefined;
    if (app.resendPolicy !== undefined || spec.resendMaxAgeSec !== undefined) {
      const maxMs = (spec.resendMaxAgeSec ?? Infinity) * 1000;
      store = policy = new ResendPolicyStore(
        store,
        (m, age) => app.resendPolicy !== undefined ? app.resendPolicy(m, age, runner) : age <= maxMs,
        () => this.#clock.nowMs(),
      );
    }
    const runner = SessionRunner.create(spec.config, store, app, {
      logger: this.logger,
      clock: this.#clock,
      verbose: this.#opts.verbose ?? false,
      highWaterMarkBytes: this.#opts.highWaterMarkBytes ?? 8 * 1024 * 1024,
      ...(spec.throttle ? { throttle: spec.throttle } : {}),
      ...(spec.outbound ? { outbound: spec.outbound } : {}),
      ...(spec.maxOutboundBufferBytes !== undefined
        ? { maxOutboundBufferBytes: spec.maxOutboundBufferBytes }
        : {}),
      ...(spec.writeTimeoutMs !== undefined ? { writeTimeoutMs: spec.writeTimeoutMs } : {}),
      ...(spec.risk ? { risk: spec.risk } : {}),
    });
    if (this.#kill.engaged) runner.engageKillSwitch(this.#kill.reason ?? "kill switch");
    if (policy !== undefined) {
      policy.onOmitted = (seq, m, age) => {
        this.logger.warn(
          "not-resent",
          `MsgSeqNum ${seq} (MsgType ${m.msgType}${
            m.getString(11) ? `, ClOrdID ${m.getString(11)}` : ""
          }) sent ${Math.round(age / 1000)} s ago: gap-filled, not resent (resend policy)`,
          key,
          { seq, msgType: m.msgType, ageMs: age },
        );
        try {
          app.onNotResent?.(seq, m, runner);
        } catch (e) {
          this.logger.error("app-error", `onNotResent: ${e instanceof Error ? e.message : String(e)}`, key);
        }
      };
    }
    const entry: Entry = {
      spec,
      runner,
      store,
      windowStartMs: spec.schedule ? currentWindow(spec.schedule, this.#clock.nowMs())?.startMs : undefined,
      held: false,
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
      // Tracked until it ends, then forgotten: a long-running acceptor keeps nothing per past connection.
      const t: Promise<void> = this.#handleAccepted(conn, spec).finally(() => this.#connTasks.delete(t));
      this.#connTasks.add(t);
    }
  }

  /**
   * Holds a pre-logon slot while the connection has not logged on (TLS: taken by the listener before the
   * handshake), then hands the connection to its session.
   */
  async #handleAccepted(conn: Connection, acceptor: AcceptorSpec): Promise<void> {
    let release: (() => void) | undefined;
    if (conn instanceof TlsConnection) release = conn.release;
    else {
      release = this.#admit(conn.remoteHost);
      if (release === undefined) {
        this.#limitRefused(conn.remoteAddr);
        conn.close();
        return;
      }
    }
    let taken: { entry: Entry; conn: Connection; prefix: Uint8Array } | undefined;
    try {
      taken = await this.#identify(conn, acceptor);
    } finally {
      release();
      if (conn instanceof TlsConnection) conn.release = () => {};
    }
    if (!taken) return;
    const { entry } = taken;
    conn = taken.conn;
    this.logger.info("connect", `accepted ${conn.remoteAddr}`, entry.runner.key);
    await entry.runner.attach(conn, taken.prefix);
    this.logger.info("disconnect", `connection from ${conn.remoteAddr} closed`, entry.runner.key);
  }

  /** Reads until the first frame, finds its session and checks the peer (or closes it silently). */
  async #identify(
    conn: Connection,
    acceptor: AcceptorSpec,
  ): Promise<{ entry: Entry; conn: Connection; prefix: Uint8Array } | undefined> {
    this.#pendingConns.add(conn);
    const got: Uint8Array[] = [];
    let total = 0;
    let first: MessageView | undefined;
    let garbled = false;
    const framer = new Framer({
      onFrame: (b, s, e) => {
        if (!first && !garbled) first = MessageView.parse(b.slice(s, e));
      },
      // A garbled first frame cannot be a valid Logon (case 1S d): close at once, without a word.
      onGarbled: () => {
        if (!first) garbled = true;
      },
    });
    const buf = new Uint8Array(16 * 1024);
    const timeoutMs = this.#limits.logonTimeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let expired = false;
    const timedOut = new Promise<null>((r) => (timer = setTimeout(() => {
      expired = true;
      r(null);
    }, timeoutMs)));
    try {
      while (!first && !garbled && total < 64 * 1024) {
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
      if (expired) this.#countRefusal("timeout");
      if (total > 0) this.#refusalLog("refused", `no valid message from ${conn.remoteAddr}; closed`);
      conn.close();
      return;
    }
    const refuse = (why: string, reason: RefusalReason, refusedKey?: string): undefined => {
      // FIX: a Logon that fails authentication is answered by disconnecting; no Logout is sent, as it would
      // consume a sequence number of a session the peer may not own (test case 1S c). Only sessions that
      // already exist count refusals; every refusal is counted in aggregate by reason.
      this.#countRefusal(reason);
      const refused = refusedKey === undefined ? undefined : this.#entries.get(refusedKey);
      if (refused) refused.runner.counters.logonsRefused++;
      this.#refusalLog(
        "logon-refused",
        `${why} (from ${conn.remoteAddr}); disconnected without sending`,
        refusedKey,
      );
      conn.close();
      return undefined;
    };
    if (first.msgType !== "A") {
      return refuse(`first message is MsgType ${first.msgType}, not Logon`, "not-logon");
    }
    // One session identity (src/session/session_id.ts): CompIDs, sub IDs, qualifier.
    const id = sessionIdFromInbound(first);
    const found = findForLogon(
      id,
      [...this.#entries.values()].filter((e) => e.spec.config.role === "acceptor"),
      (e) => e.spec.config.id,
    );
    if (found.kind === "ambiguous") {
      return refuse(
        `session ${sessionKey(id)} is ambiguous (${found.keys.join(", ")}: told apart by qualifier only)`,
        "unknown-session",
      );
    }
    let entry = found.kind === "found" ? found.item : undefined;
    // Cluster: a configured session this gateway does not own is refused, so the peer tries the next address.
    if (entry === undefined && this.#opts.cluster && this.configuredSessions().has(sessionKey(id))) {
      return refuse(`session ${sessionKey(id)} is owned by another gateway of the cluster`, "not-owner");
    }
    // A dynamic session is only described until its peer is authenticated: nothing is created,
    // registered or journaled for a peer that has not proved who it is.
    let spec: GatewaySession;
    if (entry) spec = entry.spec;
    else {
      const tpl = acceptor.templates?.find((t) =>
        isTemplate(t.config.id) && matchesTemplate(t.config.id, id)
      );
      if (!tpl) return refuse(`unknown session ${sessionKey(id)}`, "unknown-session");
      spec = { ...tpl, config: { ...tpl.config, id: instantiate(tpl.config.id, id) } };
    }
    const key = sessionKey(spec.config.id);
    const known = entry ? key : undefined;
    if (spec.enabled === false) return refuse(`session ${key} is disabled`, "disabled", known);
    if (entry?.held) return refuse(`session ${key} is held down by an operator`, "held", known);
    if (!inWindow(spec.schedule, this.#clock.nowMs())) {
      return refuse(`session ${key} is outside its schedule`, "schedule", known);
    }
    if (spec.allowedAddresses && !spec.allowedAddresses.includes(conn.remoteHost)) {
      return refuse(`address ${conn.remoteHost} not allowed for ${key}`, "address", known);
    }
    const peer = conn instanceof TlsConnection ? conn.peerIdentity() : undefined;
    const allowedNames = spec.tlsMaterial?.allowedClientNames;
    if (allowedNames !== undefined && !identityAllowed(peer, allowedNames)) {
      return refuse(
        `client certificate ${peer?.commonName ?? "(none)"} is not allowed for ${key}`,
        "certificate",
        known,
      );
    }
    if (entry?.runner.connected) {
      return refuse(
        `session ${key} is already logged on from another connection`,
        "already-logged-on",
        known,
      );
    }
    const hb = first.getInt(Tag.HeartBtInt);
    const maxHb = spec.maxHeartBtIntSec ?? DEFAULT_MAX_HEARTBTINT_SEC;
    if (hb !== undefined && hb > maxHb) {
      return refuse(`HeartBtInt (108) ${hb} s is above the maximum ${maxHb} s`, "heartbeat", known);
    }
    const decision = await this.#authenticate(spec, key, first, conn, peer);
    if (!decision.accept) {
      return refuse(
        `not authorised: ${decision.reason}`,
        "throttled" in decision ? "throttled" : "authentication",
        known,
      );
    }
    if (this.#stopping) {
      conn.close();
      return;
    }
    if (!entry) {
      entry = this.#entries.get(key) ?? await this.#open(spec);
      if (entry.spec === spec) {
        this.logger.info("session-created", `dynamic session ${key} from template`, key);
      }
    }
    // Another connection may have logged on while the credentials were being checked.
    if (entry.runner.connected) {
      return refuse(`session ${key} is already logged on from another connection`, "already-logged-on", key);
    }
    return { entry, conn: this.#tune(conn, key), prefix: concatBytes(got) };
  }

  async #authenticate(
    spec: GatewaySession,
    key: string,
    logon: MessageView,
    conn: Connection,
    peer: ReturnType<TlsConnection["peerIdentity"]>,
  ): Promise<AuthDecision | { accept: false; reason: string; throttled: true }> {
    if (spec.authentication === "users") {
      const users = this.#opts.users;
      if (!users) return { accept: false, reason: "no users configured" };
      // Failed passwords are throttled per address and per claimed user before any hashing, and the
      // hashes that do run share a few slots, served round robin by address (src/engine/auth/throttle.ts).
      const addr = conn.remoteHost.replace(/^::ffff:/, "");
      const user = logon.getString(Tag.Username);
      const v = this.#authThrottle.check(addr, user, this.#clock.nowMs());
      if (!v.allowed) return { accept: false, reason: v.reason, throttled: true };
      const d = await this.#hashGate.run(addr, () => {
        // Failures of this address may have used up its allowance while it waited for a slot.
        const again = this.#authThrottle.check(addr, user, this.#clock.nowMs());
        if (!again.allowed) {
          return Promise.resolve({ accept: false as const, reason: again.reason, throttled: true as const });
        }
        return users.check(logon, spec.allowedUsers);
      });
      if ("throttled" in d) return d;
      if (!d.accept) {
        this.#authThrottle.failure(addr, user, this.#clock.nowMs());
        return d;
      }
      this.#authThrottle.success(addr, user, this.#clock.nowMs());
    }
    if (spec.logonHook) {
      const ctx: LogonContext = { key, remoteHost: conn.remoteHost };
      if (peer) ctx.clientCertNames = [...(peer.commonName ? [peer.commonName] : []), ...peer.altNames];
      try {
        return await spec.logonHook(logon, ctx);
      } catch (e) {
        return { accept: false, reason: `logon hook failed: ${e instanceof Error ? e.message : e}` };
      }
    }
    return { accept: true };
  }

  /**
   * Applies the socket knobs to a session connection (logging a knob when its outcome changes); returns the
   * connection to use: wrapped for spinning reads when `readSpinUs` is set and it can spin.
   */
  #tune(conn: Connection, key: string): Connection {
    const t = this.#socketTuning;
    if (!t || Object.keys(t).length === 0) return conn;
    let sock: SocketLike | undefined;
    if (conn instanceof DenoConnection) sock = conn.raw;
    else if (conn instanceof TlsConnection) sock = conn.addresses() as unknown as Deno.Conn;
    const reports = sock ? applySocketTuning(sock, t) : [];
    let out = conn;
    if (t.readSpinUs !== undefined && t.readSpinUs > 0) {
      const spun = withReadSpin(conn, t.readSpinUs);
      out = spun.conn;
      reports.push(spun.report);
    }
    for (const r of reports) {
      const prev = this.#tuning.get(r.knob);
      this.#tuning.set(r.knob, r);
      if (prev && prev.ok === r.ok && prev.effective === r.effective) continue;
      const text = `${r.knob}: requested ${r.requested}, effective ${r.effective}${
        r.warning ? ` (${r.warning})` : ""
      }`;
      if (r.ok) this.logger.info("tuning", text, key);
      else this.logger.warn("tuning", text, key);
    }
    return out;
  }

  async #initiatorLoop(spec: GatewaySession): Promise<void> {
    const key = sessionKey(spec.config.id);
    let entry = this.#entries.get(key);
    // Cluster: a session owned elsewhere waits for this gateway to win its lease.
    while (entry === undefined && !this.#stopping) {
      await this.#sleep(1000);
      entry = this.#entries.get(key);
    }
    if (entry === undefined) return;
    let r = entry.runner;
    const policy = spec.reconnect ?? DEFAULT_RECONNECT;
    const hosts = spec.hosts ?? [];
    let attempt = 0;
    let hostIdx = 0;
    let first = true;
    while (!this.#stopping) {
      const curEntry = this.#entries.get(key);
      if (curEntry === undefined) {
        // Cluster: the lease was lost; connect again once this gateway owns the session again.
        await this.#sleep(1000);
        continue;
      }
      if (curEntry.runner !== r) {
        r = curEntry.runner;
        first = true;
        attempt = 0;
      }
      const cur = curEntry.spec;
      if (cur.enabled === false || curEntry.held) {
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
        conn = cur.tlsMaterial
          ? await connectTlsNode(h.host, h.port, cur.tlsMaterial)
          : await connectTcp(h.host, h.port, cur.tls);
      } catch (e) {
        this.logger.warn(
          "connect-failed",
          `${h.host}:${h.port}: ${e instanceof Error ? e.message : e}`,
          r.key,
        );
        attempt++;
        hostIdx++;
        const limit = (cur.reconnect ?? policy).attempts;
        if (limit > 0 && attempt >= limit) {
          this.logger.error("gave-up", `no connection after ${attempt} attempts`, r.key);
          return;
        }
        continue;
      }
      if (this.#stopping) {
        conn.close();
        break;
      }
      this.logger.info("connect", `connected to ${h.host}:${h.port}`, r.key);
      conn = this.#tune(conn, r.key);
      const loggedOn = await r.attach(conn);
      this.logger.info("disconnect", `disconnected from ${h.host}:${h.port}`, r.key);
      if (loggedOn) attempt = 0;
      else {
        // A connection closed before logon (refused Logon, failed TLS client verification) counts as a failed attempt.
        attempt++;
        const limit = (cur.reconnect ?? policy).attempts;
        if (limit > 0 && attempt >= limit) {
          this.logger.error("gave-up", `not logged on after ${attempt} attempts`, r.key);
          return;
        }
      }
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

  /**
   * Replaces a session's hot-reloadable settings (schedule, reconnect, enabled, session settings,
   * throttles, priorities, authentication). Transport settings (hosts, TLS material) are kept as they
   * were: TLS material changes through `setTlsMaterial`.
   */
  updateSession(spec: GatewaySession): boolean {
    if (isTemplate(spec.config.id)) return this.#updateTemplate(spec);
    const e = this.#entries.get(sessionKey(spec.config.id));
    if (!e) return false;
    const wasEnabled = e.spec.enabled !== false;
    const kept: GatewaySession = { ...spec };
    if (e.spec.hosts) kept.hosts = e.spec.hosts;
    else delete kept.hosts;
    if (e.spec.tlsMaterial) kept.tlsMaterial = e.spec.tlsMaterial;
    else delete kept.tlsMaterial;
    if (e.spec.tls) kept.tls = e.spec.tls;
    else delete kept.tls;
    if (e.spec.app) kept.app = e.spec.app;
    e.spec = kept;
    e.runner.updateConfig(spec.config);
    e.runner.setThrottle(spec.throttle ?? {});
    e.runner.configureOutbound(spec.outbound ?? {});
    e.runner.setOutboundLimits(spec.maxOutboundBufferBytes, spec.writeTimeoutMs);
    e.runner.setRiskLimits(spec.risk);
    if (spec.enabled === false && e.runner.loggedOn) e.runner.logout("Session disabled");
    // A session enabled again connects now rather than at its next poll.
    if (!wasEnabled && spec.enabled !== false) { for (const w of this.#wake.splice(0)) w(); }
    return true;
  }

  /** A dynamic-session template: future sessions use the new spec; live ones created from it are updated. */
  #updateTemplate(spec: GatewaySession): boolean {
    const id = spec.config.id;
    let found = false;
    for (const a of this.#acceptors) {
      const i = a.templates?.findIndex((t) => sameSession(t.config.id, id)) ?? -1;
      if (i < 0) {
        continue;
      }
      const old = a.templates![i]!;
      a.templates![i] = {
        ...spec,
        ...(old.tlsMaterial ? { tlsMaterial: old.tlsMaterial } : {}),
        ...(old.app ? { app: old.app } : {}),
      };
      found = true;
    }
    for (const e of this.#entries.values()) {
      const eid = e.spec.config.id;
      if (e.spec.config.role !== "acceptor" || (eid.qualifier ?? "") !== (id.qualifier ?? "")) continue;
      if (!matchesTemplate(id, eid)) continue;
      if (this.#acceptors.some((a) => a.sessions.some((s) => sameSession(s.config.id, eid)))) continue;
      this.updateSession({ ...spec, config: { ...spec.config, id: eid } });
    }
    return found;
  }

  /** Graceful stop: Logout on every session, wait for acknowledgements, close ports, flush and close the store. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#scheduleTimer);
    for (const l of this.#listeners) l.close();
    for (const c of this.#pendingConns) c.close();
    for (const w of this.#wake.splice(0)) w();
    // Every runner is stopped and the store closed (its lock released) even when a runner's stop fails,
    // e.g. its final flush after a journal write failure; the first failure is reported afterwards.
    const stopped = await Promise.allSettled(this.runners().map((r) => r.stop()));
    // Cluster: the leases are handed back once the sessions are logged out.
    await this.#opts.cluster?.stop?.().catch(() => {});
    for (const w of this.#wake.splice(0)) w();
    await Promise.allSettled([...this.#tasks, ...this.#connTasks]);
    await this.#opts.store.close();
    const failed = stopped.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }
}
