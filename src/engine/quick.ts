/** One-call helpers for library users: start one initiator or acceptor session with a memory store or a journal. */
import type { Scheduler } from "../clock.ts";
import { ConfigError } from "../errors.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../session/types.ts";
import { MemoryMessageStore } from "../store/memory_store.ts";
import type { MessageStore } from "../store/types.ts";
import type { SocketTuning } from "../sys/socket.ts";
import type { Application } from "./application.ts";
import { Gateway, type ReconnectPolicy } from "./gateway.ts";
import { Logger } from "./log.ts";

/** Options of a single-session helper. */
export interface QuickSessionOptions extends Partial<Omit<SessionConfig, "id" | "role">> {
  host?: string;
  port: number;
  senderCompId: string;
  targetCompId: string;
  beginString?: string;
  store?: MessageStore;
  logger?: Logger;
  reconnect?: ReconnectPolicy;
  /** Socket knobs of the session's connections (TCP_NODELAY, buffers, read spinning: docs/tuning.md). */
  socketTuning?: SocketTuning;
  /** Time and timers of the gateway and the session (tests: a ManualScheduler); default the system's. */
  scheduler?: Scheduler;
}

function sessionConfig(o: QuickSessionOptions, role: "initiator" | "acceptor"): SessionConfig {
  const {
    host: _h,
    port: _p,
    senderCompId,
    targetCompId,
    beginString,
    store: _s,
    logger: _l,
    reconnect: _r,
    socketTuning: _t,
    scheduler: _c,
    ...settings
  } = o;
  return {
    ...DEFAULT_SESSION_SETTINGS,
    ...settings,
    id: { beginString: beginString ?? "FIX.4.4", senderCompId, targetCompId },
    role,
  };
}

/**
 * A port the session can use: an initiator's the counterparty's (1 to 65535), an acceptor's its own (0
 * to 65535, 0 a free one). Refused before anything starts: an initiator given NaN (a `Number()` of a
 * missing argument) or 70000 would otherwise retry its connection forever, logging "Invalid port".
 */
function checkPort(o: QuickSessionOptions, role: "initiator" | "acceptor"): void {
  const min = role === "initiator" ? 1 : 0;
  const p = o.port;
  if (Number.isInteger(p) && p >= min && p <= 65535) return;
  const what = role === "initiator" ? "the counterparty's port" : "the port to listen on; 0: any free port";
  throw new ConfigError(
    `${role} ${o.senderCompId}->${o.targetCompId}: port must be a whole number from ${min} to 65535 (${what}), got ${p}`,
  );
}

/** The gateway of a quick session: memory store and a warn-level logger unless given. */
function gatewayFor(options: QuickSessionOptions, app: Application): Gateway {
  return new Gateway({
    store: options.store ?? new MemoryMessageStore(),
    app,
    logger: options.logger ?? new Logger({ level: "warn" }),
    ...(options.socketTuning ? { socketTuning: options.socketTuning } : {}),
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
  });
}

/** Starts an initiator that connects, logs on and reconnects; returns the running gateway (call `stop()`). */
export async function startInitiator(options: QuickSessionOptions, app: Application): Promise<Gateway> {
  checkPort(options, "initiator");
  const gw = gatewayFor(options, app);
  gw.addInitiator({
    config: sessionConfig(options, "initiator"),
    hosts: [{ host: options.host ?? "127.0.0.1", port: options.port }],
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
  });
  await gw.start();
  return gw;
}

/** Starts an acceptor for one session on `port` (0 picks a free port: read `gateway.ports[0]`). */
export async function startAcceptor(options: QuickSessionOptions, app: Application): Promise<Gateway> {
  checkPort(options, "acceptor");
  const gw = gatewayFor(options, app);
  const spec = { config: sessionConfig(options, "acceptor") };
  gw.addAcceptor({
    host: options.host ?? "127.0.0.1",
    port: options.port,
    sessions: options.targetCompId === "*" ? [] : [spec],
    templates: options.targetCompId === "*" ? [spec] : [],
  });
  await gw.start();
  return gw;
}
