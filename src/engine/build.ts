/** Builds a Gateway from a checked FixgConfig: session configs, acceptor ports, initiators, store, apps. */
import { builtinDictionary, loadDictionary } from "../dictionary/loader.ts";
import type { Dictionary } from "../dictionary/model.ts";
import type { ValidationOptions } from "../dictionary/validate.ts";
import { ConfigError } from "../errors.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig, type SessionId } from "../session/types.ts";
import { FileJournal } from "../store/journal.ts";
import { MemoryMessageStore } from "../store/memory_store.ts";
import type { MessageStore } from "../store/types.ts";
import type { TlsOptions } from "../transport/tcp.ts";
import type { Application } from "./application.ts";
import { ECHO_DEFAULT_MSG_TYPES, echoApp } from "./apps/echo.ts";
import { logApp } from "./apps/log_app.ts";
import type { Clock } from "./clock.ts";
import type { FixgConfig, SessionEntry } from "./config.ts";
import { type AcceptorSpec, DEFAULT_RECONNECT, Gateway, type GatewaySession, type ReconnectPolicy } from "./gateway.ts";
import { DEFAULT_REDACTION, Logger } from "./log.ts";
import { checkSchedule, type Schedule } from "./schedule.ts";

/** What the caller may supply beyond the config. */
export interface BuildOptions {
  /** Application for sessions whose `app` is none or unset (library use). */
  app?: Application;
  logger?: Logger;
  clock?: Clock;
  /** Use this store instead of the configured one. */
  store?: MessageStore;
  /** Print application messages here (for --app log); default stdout. */
  out?: (line: string) => void;
}

/** The logger a config asks for. */
export function loggerFor(config: FixgConfig): Logger {
  return new Logger({
    level: config.log.verbose ? "debug" : config.log.level,
    format: config.log.format,
    redaction: {
      maskTags: config.log.maskTags?.map(Number) ?? DEFAULT_REDACTION.maskTags,
      truncateTags: config.log.truncateTags?.map(Number) ?? DEFAULT_REDACTION.truncateTags,
      truncateTo: config.log.truncateTo ?? DEFAULT_REDACTION.truncateTo,
    },
  });
}

/** Opens the configured store. */
export async function openStore(config: FixgConfig, logger: Logger): Promise<MessageStore> {
  if (config.store.type === "memory") return new MemoryMessageStore();
  const s = config.store;
  const opts: Parameters<typeof FileJournal.open>[0] = { dir: s.dir, fsync: s.fsync, onWarning: (m: string) => logger.warn("journal", m) };
  if (s.batchMessages !== undefined) opts.batchMessages = s.batchMessages;
  if (s.batchMicros !== undefined) opts.batchMicros = s.batchMicros;
  if (s.segmentBytes !== undefined) opts.segmentBytes = s.segmentBytes;
  if (s.retentionDays !== undefined) opts.retentionDays = s.retentionDays;
  if (s.retentionBytes !== undefined) opts.retentionBytes = s.retentionBytes;
  return await FileJournal.open(opts);
}

const dictCache = new Map<string, Dictionary>();
async function dictionaryFor(path: string | undefined, beginString: string, where: string): Promise<Dictionary | undefined> {
  if (path === "none") return undefined;
  const key = path ?? `builtin:${beginString}`;
  let d = dictCache.get(key);
  if (!d) {
    try {
      d = path === undefined || path === "builtin" ? await builtinDictionary(beginString) : await loadDictionary(path);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(`${where}.dictionary: ${e instanceof Error ? e.message : e}`);
    }
    dictCache.set(key, d);
  }
  return d;
}

/** Converts one session entry into the engine's session config. */
export async function sessionConfigFor(e: SessionEntry, where: string, app: string | undefined): Promise<SessionConfig> {
  const id: SessionId = { beginString: e.beginString, senderCompId: e.senderCompId, targetCompId: e.targetCompId };
  for (const k of ["senderSubId", "targetSubId", "qualifier"] as const) if (typeof e[k] === "string") id[k] = e[k] as string;
  const c: SessionConfig = { ...DEFAULT_SESSION_SETTINGS, id, role: e.role };
  const copy = [
    "heartbeatIntervalSec", "resetOnLogon", "resetOnLogout", "resetOnDisconnect", "refreshOnLogon",
    "sendRedundantResendRequests", "resendRequestChunkSize", "checkLatency", "maxLatencySec", "checkCompId",
    "testRequestDelayFactor", "timestampPrecision", "enableNextExpectedMsgSeqNum", "username", "password",
    "defaultApplVerId",
  ] as const;
  for (const k of copy) if (e[k] !== undefined) (c as unknown as Record<string, unknown>)[k] = e[k];
  if (typeof e.logonTimeoutSec === "number") c.logonTimeoutMs = e.logonTimeoutSec * 1000;
  if (typeof e.logoutTimeoutSec === "number") c.logoutTimeoutMs = e.logoutTimeoutSec * 1000;
  const validation = (e.validation ?? {}) as Partial<ValidationOptions> & { enabled?: boolean };
  if (validation.enabled !== false) {
    const transportBegin = e.beginString;
    const d = await dictionaryFor(e.dictionary as string | undefined, transportBegin, where);
    if (d) c.dictionary = d;
    if (e.beginString === "FIXT.1.1") {
      const ad = await dictionaryFor((e.appDictionary as string | undefined) ?? "builtin", "FIX.5.0SP2", where);
      if (ad) c.appDictionary = ad;
    }
    const { enabled: _enabled, ...checks } = validation;
    c.validation = checks;
  }
  if (Array.isArray(e.supportedMsgTypes)) c.supportedMsgTypes = new Set(e.supportedMsgTypes as string[]);
  else if (app === "echo") c.supportedMsgTypes = ECHO_DEFAULT_MSG_TYPES;
  return c;
}

async function tlsFor(e: SessionEntry, where: string): Promise<TlsOptions | undefined> {
  const t = e.tls as Record<string, string> | undefined;
  if (!t) return undefined;
  const read = async (k: string) => {
    try {
      return await Deno.readTextFile(t[k]!);
    } catch (err) {
      throw new ConfigError(`${where}.tls.${k}: cannot read "${t[k]}": ${err instanceof Error ? err.message : err}`);
    }
  };
  const o: TlsOptions = {};
  if (t.cert) o.cert = await read("cert");
  if (t.key) o.key = await read("key");
  if (t.ca) o.caCerts = [await read("ca")];
  if (t.serverName) o.hostname = t.serverName;
  return o;
}

/** Builds the gateway (not started) for a config. */
export async function buildGateway(config: FixgConfig, options: BuildOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? loggerFor(config);
  const acceptors = new Map<string, AcceptorSpec>();
  const initiators: GatewaySession[] = [];
  for (const [i, e] of config.sessions.entries()) {
    const where = `${config.file}: sessions[${i}]`;
    const appName = e.app as string | undefined;
    const sc = await sessionConfigFor(e, where, appName);
    const app = appName === "echo" ? echoApp() : appName === "log" ? logApp(logger, sc.appDictionary ?? sc.dictionary, options.out) : options.app;
    const spec: GatewaySession = { config: sc };
    if (app) spec.app = app;
    if (e.enabled === false) spec.enabled = false;
    if (e.schedule) {
      checkSchedule(e.schedule as Schedule, `${where}.schedule`);
      spec.schedule = e.schedule as Schedule;
    }
    if (Array.isArray(e.allowedAddresses)) spec.allowedAddresses = e.allowedAddresses as string[];
    const tls = await tlsFor(e, where);
    if (tls) spec.tls = tls;
    if (e.role === "initiator") {
      spec.reconnect = { ...DEFAULT_RECONNECT, ...(e.reconnect as Partial<ReconnectPolicy> | undefined) };
      const hosts = Array.isArray(e.hosts)
        ? (e.hosts as string[]).map((h) => ({ host: h.slice(0, h.lastIndexOf(":")), port: Number(h.slice(h.lastIndexOf(":") + 1)) }))
        : [{ host: String(e.host), port: Number(e.port) }];
      spec.hosts = hosts;
      initiators.push(spec);
    } else {
      const host = (e.bindHost as string | undefined) ?? "0.0.0.0";
      const k = `${host}:${e.port}`;
      let a = acceptors.get(k);
      if (!a) {
        a = { host, port: Number(e.port), sessions: [], templates: [] };
        if (tls) a.tls = tls;
        acceptors.set(k, a);
      }
      if (e.targetCompId === "*") a.templates!.push(spec);
      else a.sessions.push(spec);
    }
  }
  const store = options.store ?? await openStore(config, logger);
  const gw = new Gateway({
    store,
    app: options.app ?? {},
    logger,
    verbose: config.log.verbose,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  for (const a of acceptors.values()) gw.addAcceptor(a);
  for (const s of initiators) gw.addInitiator(s);
  return gw;
}
