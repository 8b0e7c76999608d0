/** Builds a Gateway from a checked FixgConfig: session configs, acceptor ports, initiators, store, apps. */
import { DEFAULT_RISK_LIMITS, parseRiskLimits, type RiskLimits } from "../app/orders/risk.ts";
import { builtinDictionary, loadDictionary } from "../dictionary/loader.ts";
import type { Dictionary } from "../dictionary/model.ts";
import type { ValidationOptions } from "../dictionary/validate.ts";
import { fitsLatin1 } from "../codec/ascii.ts";
import { ConfigError } from "../errors.ts";
import type { Priority } from "./flow/outbound_queue.ts";
import { InstrumentedStore } from "./store_stats.ts";
import { loadTlsMaterial, type TlsFiles, type TlsMaterial } from "../transport/tls.ts";
import type { Connection, Listener } from "../transport/types.ts";
import { UserDirectory } from "./auth/users.ts";
import {
  DEFAULT_SESSION_SETTINGS,
  type SessionConfig,
  type SessionId,
  sessionKey,
} from "../session/types.ts";
import { clusterStoreOf } from "../store/cluster_store.ts";
import { openStoreOf, type StoreSpec } from "../store/open.ts";
import { Cluster, DEFAULT_LEASE_MS } from "./cluster.ts";
import type { MessageStore } from "../store/types.ts";
import { isTemplate } from "../session/session_id.ts";
import type { SocketTuning } from "../sys/socket.ts";
import type { Application } from "./application.ts";
import { ECHO_DEFAULT_MSG_TYPES, echoApp } from "./apps/echo.ts";
import { logApp } from "./apps/log_app.ts";
import type { Clock, Scheduler } from "./clock.ts";
import { type FixgConfig, loadConfig, type SessionEntry } from "./config.ts";
import {
  type AcceptorSpec,
  DEFAULT_RECONNECT,
  Gateway,
  type GatewaySession,
  type LogonHook,
  type PreLogonLimits,
  type ReconnectPolicy,
} from "./gateway.ts";
import { DEFAULT_REDACTION, Logger } from "./log.ts";
import { DEFAULT_LOG_FILES, SessionLogFiles } from "./log_files.ts";
import { checkSchedule, type Schedule } from "./schedule.ts";

/** What the caller may supply beyond the config. */
export interface BuildOptions {
  /** Application for sessions whose `app` is none or unset (library use). */
  app?: Application;
  logger?: Logger;
  /** Time and timers of the gateway and its sessions (default the system scheduler). */
  scheduler?: Scheduler;
  /** Older form of `scheduler` (a Scheduler passed here is used as one). */
  clock?: Clock;
  /** Use this store instead of the configured one. */
  store?: MessageStore;
  /** Print application messages here (for --app log); default stdout. */
  out?: (line: string) => void;
  /** A custom Logon check for every acceptor session (library use). */
  logonHook?: LogonHook;
  /**
   * A listener already open for an acceptor's `host`:`port` (in-memory connections: the in-process
   * conformance runs), used instead of binding it; undefined binds as usual.
   */
  listenerFor?: (host: string, port: number) => Listener | undefined;
  /** Opens the initiators' connections instead of TCP/TLS (in-memory connections: in-process runs). */
  connect?: (host: string, port: number) => Promise<Connection>;
}

/** Password (554) and NewPassword (925): masked in logs even when `log.maskTags` leaves them out. */
const ALWAYS_MASKED = [554, 925];

/** The logger a config asks for. */
export function loggerFor(config: FixgConfig): Logger {
  return new Logger({
    level: config.log.verbose ? "debug" : config.log.level,
    format: config.log.format,
    ...(config.log.dir === undefined ? {} : {
      files: new SessionLogFiles({
        dir: config.log.dir,
        rotateBytes: config.log.rotateBytes ?? DEFAULT_LOG_FILES.rotateBytes,
        rotateDaily: config.log.rotateDaily ?? DEFAULT_LOG_FILES.rotateDaily,
        keepFiles: config.log.keepFiles ?? DEFAULT_LOG_FILES.keepFiles,
      }),
    }),
    redaction: {
      // Passwords are masked whatever the list says: no secret ever reaches a log line.
      maskTags: [
        ...new Set([...(config.log.maskTags?.map(Number) ?? DEFAULT_REDACTION.maskTags), ...ALWAYS_MASKED]),
      ],
      truncateTags: config.log.truncateTags?.map(Number) ?? DEFAULT_REDACTION.truncateTags,
      truncateTo: config.log.truncateTo ?? DEFAULT_REDACTION.truncateTo,
    },
  });
}

/** The store options of a config (`store:`, and the cluster's lease timings for a shared store). */
export function storeSpecOf(config: FixgConfig, logger: Logger): StoreSpec {
  const s = config.store;
  if (s.type === "memory") return { type: "memory" };
  if (s.type === "postgres") {
    const c = config.cluster;
    const half = (c?.leaseMs ?? DEFAULT_LEASE_MS) / 2;
    return {
      type: "postgres",
      url: s.url!,
      ...definedOf(s, ["schema", "maxConnections", "pipeline", "pipelineSessions"]),
      ...(c ? { nodeId: c.nodeId, idleInTransactionMs: half, lockTimeoutMs: half } : {}),
      onWarning: (m: string) => logger.warn("store", m),
    };
  }
  return {
    type: "file",
    dir: s.dir,
    fsync: s.fsync,
    onWarning: (m: string) => logger.warn("journal", m),
    ...definedOf(s, ["batchMessages", "batchMicros", "segmentBytes", "retentionDays", "retentionBytes"]),
  };
}

/** The members `keys` of `from` that are defined (spread into options under exactOptionalPropertyTypes). */
function definedOf<T extends object, K extends keyof T>(
  from: T,
  keys: readonly K[],
): { [P in K]?: Exclude<T[P], undefined> } {
  const out: { [P in K]?: Exclude<T[P], undefined> } = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k] as Exclude<T[K], undefined>;
  return out;
}

/** Opens the configured store. */
export function openStore(config: FixgConfig, logger: Logger): Promise<MessageStore> {
  return openStoreOf(storeSpecOf(config, logger));
}

const dictCache = new Map<string, Dictionary>();
async function dictionaryFor(
  path: string | undefined,
  beginString: string,
  where: string,
  configKey = "dictionary",
): Promise<Dictionary | undefined> {
  if (path === "none") return undefined;
  // "builtin" names a different file for each version: cached by version.
  const key = path === undefined || path === "builtin" ? `builtin:${beginString}` : path;
  let d = dictCache.get(key);
  if (!d) {
    try {
      d = path === undefined || path === "builtin"
        ? await builtinDictionary(beginString)
        : await loadDictionary(path);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(`${where}.${configKey}: ${e instanceof Error ? e.message : e}`);
    }
    dictCache.set(key, d);
  }
  return d;
}

/** Converts one session entry into the engine's session config. */
export async function sessionConfigFor(
  e: SessionEntry,
  where: string,
  app: string | undefined,
): Promise<SessionConfig> {
  const id: SessionId = {
    beginString: e.beginString,
    senderCompId: e.senderCompId,
    targetCompId: e.targetCompId,
  };
  for (const k of ["senderSubId", "targetSubId", "qualifier"] as const) {
    if (typeof e[k] === "string") id[k] = e[k] as string;
  }
  const c: SessionConfig = { ...DEFAULT_SESSION_SETTINGS, id, role: e.role };
  const copy = [
    "heartbeatIntervalSec",
    "resetOnLogon",
    "resetOnLogout",
    "resetOnDisconnect",
    "refreshOnLogon",
    "sendRedundantResendRequests",
    "resendRequestChunkSize",
    "checkLatency",
    "maxLatencySec",
    "checkCompId",
    "testRequestDelayFactor",
    "timestampPrecision",
    "enableNextExpectedMsgSeqNum",
    "username",
    "password",
    "credentialsEncoding",
    "defaultApplVerId",
  ] as const;
  for (const k of copy) if (e[k] !== undefined) (c as unknown as Record<string, unknown>)[k] = e[k];
  if (c.credentialsEncoding === "latin1") {
    for (const k of ["username", "password"] as const) {
      // Never quoted: the value may be the password.
      if (c[k] !== undefined && !fitsLatin1(c[k])) {
        throw new ConfigError(
          `${where}.${k}: a character above U+00FF has no Latin-1 byte (credentialsEncoding: latin1)`,
        );
      }
    }
  }
  if (typeof e.logonTimeoutSec === "number") c.logonTimeoutMs = e.logonTimeoutSec * 1000;
  if (typeof e.logoutTimeoutSec === "number") c.logoutTimeoutMs = e.logoutTimeoutSec * 1000;
  const validation = (e.validation ?? {}) as Partial<ValidationOptions> & { enabled?: boolean };
  if (validation.enabled !== false) {
    const transportBegin = e.beginString;
    const d = await dictionaryFor(e.dictionary as string | undefined, transportBegin, where);
    if (d) c.dictionary = d;
    if (e.beginString === "FIXT.1.1") {
      const ad = await dictionaryFor(
        (e.appDictionary as string | undefined) ?? "builtin",
        "FIX.5.0SP2",
        where,
      );
      if (ad) c.appDictionary = ad;
      // One application dictionary per version (ApplVerID 1128 / DefaultApplVerID 1137).
      const byVersion = e.appDictionaries as Record<string, string> | undefined;
      if (byVersion !== undefined) {
        const m = new Map<string, Dictionary>();
        for (const [version, path] of Object.entries(byVersion)) {
          if (path === "none") {
            throw new ConfigError(
              `${where}.appDictionaries.${version}: "none" is not allowed (a file or "builtin"; validation.enabled: false turns validation off)`,
            );
          }
          const d = await dictionaryFor(path, version, where, `appDictionaries.${version}`);
          if (d) m.set(version, d);
        }
        c.appDictionaries = m;
      }
    }
    const { enabled: _enabled, ...checks } = validation;
    c.validation = checks;
  }
  if (Array.isArray(e.supportedMsgTypes)) c.supportedMsgTypes = new Set(e.supportedMsgTypes as string[]);
  else if (app === "echo") c.supportedMsgTypes = ECHO_DEFAULT_MSG_TYPES;
  return c;
}

/** Reads a session's TLS files; undefined for plain TCP. */
export async function tlsFor(e: SessionEntry, where: string): Promise<TlsMaterial | undefined> {
  const t = e.tls as TlsFiles | undefined;
  if (!t) return undefined;
  return await loadTlsMaterial(t, where);
}

/** The pre-logon limits of a config's `limits:` section (what is absent keeps its default). */
export function limitsFor(config: FixgConfig): Partial<PreLogonLimits> {
  const l = config.limits ?? {};
  const out: Partial<PreLogonLimits> = {};
  if (l.handshakeTimeoutSec !== undefined) out.handshakeTimeoutMs = Math.round(l.handshakeTimeoutSec * 1000);
  if (l.logonTimeoutSec !== undefined) out.logonTimeoutMs = Math.round(l.logonTimeoutSec * 1000);
  if (l.maxPendingConnections !== undefined) out.maxPending = l.maxPendingConnections;
  if (l.maxPendingPerAddress !== undefined) out.maxPendingPerAddress = l.maxPendingPerAddress;
  if (l.acceptWatchdogSec !== undefined) out.acceptWatchdogMs = Math.round(l.acceptWatchdogSec * 1000);
  if (l.authFreeFailures !== undefined) out.authFreeFailures = l.authFreeFailures;
  if (l.authMaxPenaltySec !== undefined) out.authMaxPenaltyMs = Math.round(l.authMaxPenaltySec * 1000);
  if (l.maxConcurrentHashes !== undefined) out.maxConcurrentHashes = l.maxConcurrentHashes;
  return out;
}

/** The socket knobs of a config's `tuning:` section. */
export function socketTuningFor(config: FixgConfig): SocketTuning {
  return definedOf(config.tuning, ["noDelay", "rcvBufBytes", "sndBufBytes", "busyPollUs", "readSpinUs"]);
}

/**
 * The risk limits of a session's checked `risk:` mapping (cross-key rules: burst needs ordersPerSecond,
 * trading hours as HH:MM in a known zone). `circuitBreaker: { enabled: false }` turns the breaker off;
 * otherwise a `risk:` section has the library's default breaker (20 rejects within a minute).
 */
function riskLimitsOf(r: Record<string, unknown>, file: string, i: number): RiskLimits {
  const cb = r.circuitBreaker as { enabled?: boolean; maxRejects?: number; windowMs?: number } | undefined;
  const obj: Record<string, unknown> = { ...r };
  if (cb !== undefined) {
    if (cb.enabled === false) obj.circuitBreaker = null;
    else {
      obj.circuitBreaker = {
        maxRejects: cb.maxRejects ?? DEFAULT_RISK_LIMITS.circuitBreaker!.maxRejects,
        windowMs: cb.windowMs ?? DEFAULT_RISK_LIMITS.circuitBreaker!.windowMs,
      };
    }
  }
  return parseRiskLimits(obj, file, `sessions[${i}].risk`);
}

/**
 * Everything the gateway runs a session with, from its entry: session settings, schedule, reconnect,
 * TLS, throttles, priorities, authentication, application. Also used by hot reload.
 */
export async function sessionSpecFor(
  config: FixgConfig,
  i: number,
  logger: Logger,
  options: BuildOptions = {},
): Promise<GatewaySession> {
  const e = config.sessions[i]!;
  const where = `${config.file}: sessions[${i}]`;
  const appName = e.app as string | undefined;
  const sc = await sessionConfigFor(e, where, appName);
  const app = appName === "echo"
    ? echoApp(sc.appDictionary ?? sc.dictionary)
    : appName === "log"
    ? logApp(logger, sc.appDictionary ?? sc.dictionary, options.out)
    : options.app;
  const spec: GatewaySession = { config: sc };
  if (typeof e.name === "string") spec.name = e.name;
  if (app) spec.app = app;
  if (e.enabled === false) spec.enabled = false;
  if (e.schedule) {
    checkSchedule(e.schedule as Schedule, `${where}.schedule`);
    spec.schedule = e.schedule as Schedule;
  }
  if (Array.isArray(e.allowedAddresses)) spec.allowedAddresses = e.allowedAddresses as string[];
  if (typeof e.maxHeartBtIntSec === "number") spec.maxHeartBtIntSec = e.maxHeartBtIntSec;
  const tls = await tlsFor(e, where);
  if (tls) spec.tlsMaterial = tls;
  const th = e.throttle as Record<string, number | string> | undefined;
  if (th) {
    spec.throttle = {};
    if (th.inboundPerSec !== undefined) {
      spec.throttle.inbound = {
        perSecond: th.inboundPerSec as number,
        action: (th.inboundAction as "reject" | "logout") ?? "reject",
      };
      if (th.inboundBurst !== undefined) spec.throttle.inbound.burst = th.inboundBurst as number;
    }
    if (th.outboundPerSec !== undefined) {
      spec.throttle.outbound = { perSecond: th.outboundPerSec as number };
      if (th.outboundBurst !== undefined) spec.throttle.outbound.burst = th.outboundBurst as number;
    }
  }
  const ob = e.outbound as { priorities?: Record<string, Priority>; starvationMs?: number } | undefined;
  if (ob) {
    spec.outbound = {};
    if (ob.priorities) spec.outbound.priorities = ob.priorities;
    if (ob.starvationMs !== undefined) spec.outbound.starvationMs = ob.starvationMs;
  }
  const bound = e.outbound as { maxBufferBytes?: number; writeTimeoutSec?: number } | undefined;
  if (bound?.maxBufferBytes !== undefined) spec.maxOutboundBufferBytes = bound.maxBufferBytes;
  if (bound?.writeTimeoutSec !== undefined) spec.writeTimeoutMs = Math.round(bound.writeTimeoutSec * 1000);
  if (e.risk !== undefined) spec.risk = riskLimitsOf(e.risk as Record<string, unknown>, config.file, i);
  if (e.authentication === "users") spec.authentication = "users";
  if (Array.isArray(e.allowedUsers)) spec.allowedUsers = e.allowedUsers as string[];
  if (typeof e.resendMaxAgeSec === "number") spec.resendMaxAgeSec = e.resendMaxAgeSec;
  if (options.logonHook && e.role === "acceptor") spec.logonHook = options.logonHook;
  if (e.role === "initiator") {
    spec.reconnect = { ...DEFAULT_RECONNECT, ...(e.reconnect as Partial<ReconnectPolicy> | undefined) };
    spec.hosts = Array.isArray(e.hosts)
      ? (e.hosts as string[]).map((h) => ({
        host: h.slice(0, h.lastIndexOf(":")),
        port: Number(h.slice(h.lastIndexOf(":") + 1)),
      }))
      : [{ host: String(e.host), port: Number(e.port) }];
  }
  return spec;
}

/** Builds the gateway (not started) for a config. */
export async function buildGateway(config: FixgConfig, options: BuildOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? loggerFor(config);
  const acceptors = new Map<string, AcceptorSpec>();
  const tlsOfPort = new Map<string, { i: number; tls: string }>();
  const initiators: GatewaySession[] = [];
  const placed: { key: string; owner?: string }[] = [];
  for (const [i, e] of config.sessions.entries()) {
    const spec = await sessionSpecFor(config, i, logger, options);
    const key = sessionKey(spec.config.id);
    // A template is no session of its own: its dynamic sessions' leases are taken on their Logons.
    if (!isTemplate(spec.config.id)) {
      placed.push(typeof e.owner === "string" ? { key, owner: e.owner } : { key });
    }
    if (e.role === "initiator") {
      initiators.push(spec);
      continue;
    }
    const host = (e.bindHost as string | undefined) ?? "0.0.0.0";
    const k = `${host}:${e.port}`;
    // Sessions sharing a port share its listener, so they must agree on TLS.
    // allowedClientNames belongs to each session (checked once the Logon names the session), not the port.
    const { allowedClientNames: _names, ...portTls } = (e.tls ?? {}) as Record<string, unknown>;
    const tlsKey = JSON.stringify(e.tls === undefined ? null : portTls);
    const first = tlsOfPort.get(k);
    if (first && first.tls !== tlsKey) {
      throw new ConfigError(
        `${config.file}: sessions[${i}].tls: sessions[${first.i}] listens on ${k} with other TLS settings; sessions sharing a port share its TLS settings`,
      );
    }
    if (!first) tlsOfPort.set(k, { i, tls: tlsKey });
    let a = acceptors.get(k);
    if (!a) {
      a = { host, port: Number(e.port), sessions: [], templates: [] };
      const listener = options.listenerFor?.(host, a.port);
      if (listener) a.listener = listener;
      if (spec.tlsMaterial) a.tlsMaterial = spec.tlsMaterial;
      acceptors.set(k, a);
    }
    if (e.targetCompId === "*") a.templates!.push(spec);
    else a.sessions.push(spec);
  }
  let users: UserDirectory;
  try {
    users = new UserDirectory(config.users, `${config.file}: users`);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${config.file}: users: ${e instanceof Error ? e.message : e}`);
  }
  const inner = options.store ?? await openStore(config, logger);
  const store = new InstrumentedStore(inner);
  let cluster: Cluster | undefined;
  // (A store given by the caller that cannot be shared, e.g. `fixg config check`'s memory store: no cluster.)
  const shared = config.cluster !== undefined ? clusterStoreOf(inner) : undefined;
  if (config.cluster !== undefined && shared !== undefined) {
    cluster = new Cluster(shared, config.cluster, placed, logger);
  }
  const gw = new Gateway({
    ...(cluster ? { cluster } : {}),
    store,
    app: options.app ?? {},
    logger,
    verbose: config.log.verbose,
    users,
    socketTuning: socketTuningFor(config),
    limits: limitsFor(config),
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.connect ? { connect: options.connect } : {}),
  });
  for (const [i, e] of config.sessions.entries()) {
    if (e.role === "acceptor" && e.authentication === "users" && e.allowedUsers === undefined) {
      logger.warn(
        "config",
        `sessions[${i}]: authentication: users without allowedUsers: any user in users: can log on as ${e.targetCompId}`,
      );
    }
    const ignored = acceptorHostWarning(e, i);
    if (ignored !== undefined) logger.warn("config", ignored);
  }
  for (const a of acceptors.values()) gw.addAcceptor(a);
  for (const s of initiators) gw.addInitiator(s);
  return gw;
}

/**
 * Loads a fixg.yaml (a path, or a config already parsed), builds its gateway and starts it: every
 * session of the file runs until `stop()`. Library use; `fixg run` does the same plus signals and ops.
 */
export async function startGateway(
  config: FixgConfig | string,
  options: BuildOptions = {},
): Promise<Gateway> {
  const c = typeof config === "string" ? await loadConfig(config) : config;
  const gw = await buildGateway(c, options);
  await gw.start();
  return gw;
}

/**
 * An acceptor listens on `bindHost`; `host` (where an initiator connects) is ignored by it. Written on an
 * acceptor without `bindHost`, it most likely meant the bind address (QuickFIX's SocketAcceptAddress),
 * while the acceptor listens on every interface: said by the start-up log and `fixg config check`.
 */
export function acceptorHostWarning(e: Record<string, unknown>, i: number): string | undefined {
  if (e.role !== "acceptor" || e.host === undefined || e.bindHost !== undefined) return undefined;
  return `sessions[${i}].host: not used by an acceptor, which listens on bindHost (not set: every interface, ` +
    `0.0.0.0); set bindHost: ${String(e.host)} to listen there only`;
}
