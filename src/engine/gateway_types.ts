/**
 * The gateway's public types and defaults (sessions, acceptor ports, options, limits, refusal
 * reasons, statuses); src/engine/gateway.ts re-exports them.
 */
import type { RiskLimits } from "../app/orders/risk.ts";
import type { Clock, Scheduler } from "../clock.ts";
import type { MessageView } from "../codec/mod.ts";
import type { OutboundQueueOptions } from "./flow/outbound_queue.ts";
import type { SessionConfig } from "../session/types.ts";
import type { MessageStore, SessionStore } from "../store/types.ts";
import type { SocketTuning } from "../sys/socket.ts";
import type { TlsOptions } from "../transport/tcp.ts";
import type { TlsMaterial } from "../transport/tls.ts";
import type { Connection, Listener } from "../transport/types.ts";
import type { Application } from "./application.ts";
import { DEFAULT_AUTH_THROTTLE } from "./auth/throttle.ts";
import type { AuthDecision, UserDirectory } from "./auth/users.ts";
import type { Gateway } from "./gateway.ts";
import type { Logger } from "./log.ts";
import type { Schedule } from "./schedule.ts";
import type { SessionRunner, SessionStatus, ThrottleSettings } from "./session_runner.ts";

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
  /**
   * A listener already open (e.g. in-memory connections: the in-process conformance runs), used
   * instead of binding `host`:`port`; closed with the gateway.
   */
  listener?: Listener;
}

/** Gateway options. */
export interface GatewayOptions {
  store: MessageStore;
  app: Application;
  logger?: Logger;
  /**
   * Time and every timer of the gateway (schedules, reconnect backoff, logon timeouts) and of the
   * sessions it creates; default the system scheduler. A ManualScheduler drives it with no real time.
   */
  scheduler?: Scheduler;
  /** Older form of `scheduler`: a Scheduler is used as one; a bare Clock keeps the system timers. */
  clock?: Clock;
  /** Source of the reconnect jitter, in [0, 1) (default Math.random). */
  random?: () => number;
  /**
   * Opens the initiators' connections instead of TCP/TLS (in-memory connections: the in-process
   * conformance runs); a rejection is a failed attempt, as a refused TCP connection.
   */
  connect?: (host: string, port: number) => Promise<Connection>;
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
    /** A dynamic session's lease, taken on its Logon (true: held here now). */
    claim?(key: string): Promise<boolean>;
    start?(host: Gateway): Promise<void>;
    stop?(): Promise<void>;
  };
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

/** Largest HeartBtInt (108) an acceptor takes from a peer by default, seconds: beyond it liveness is lost. */
export const DEFAULT_MAX_HEARTBTINT_SEC = 3600;

/**
 * The session machine's config of a gateway session. An acceptor checks the silence of a peer whose
 * Logon asks for HeartBtInt 0 (no heartbeats) at maxHeartBtIntSec: 108=0 would otherwise turn off the
 * liveness a huge 108 is refused for (a dead peer would hold the session, and refuse its reconnection,
 * for ever).
 */
export function sessionConfigOf(spec: GatewaySession): SessionConfig {
  const c = spec.config;
  if (c.role !== "acceptor" || c.zeroHeartBtIntCheckSec !== undefined) return c;
  return { ...c, zeroHeartBtIntCheckSec: spec.maxHeartBtIntSec ?? DEFAULT_MAX_HEARTBTINT_SEC };
}

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

/** A session the gateway runs (internal to the gateway's files). */
export interface GatewayEntry {
  spec: GatewaySession;
  runner: SessionRunner;
  /** The session's store (closed when a cluster releases the session). */
  store: SessionStore;
  /** The schedule's reset under way (Gateway#windowReset), so that it is asked once. */
  windowReset: Promise<void> | undefined;
  /** Start of the window whose reset made the gateway log the session out (asked once per window). */
  windowLogoutMs: number | undefined;
  /** Start of the window a reload changed the schedule in: its reset is waived (the counterparty's did not move). */
  windowKeptMs: number | undefined;
  /** An operator logged the session out: it stays down until an operator logs it on. */
  held: boolean;
}
