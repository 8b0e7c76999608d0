/** One-call helpers for library users: start one initiator or acceptor session with a memory store or a journal. */
import type { Scheduler } from "../clock.ts";
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
