/**
 * Harness of the end-to-end tests: the simulator in-process on a free port (memory store, fixed
 * seed, a fixed-price symbol so fills and books are exact), a fixg initiator whose Application
 * drives an OrderTracker and a MarketDataClient, and a wire tap that records every message the
 * initiator sends and receives (from its DEBUG log, so nothing in the engine is bypassed).
 */
import { type MessageView, parseTimestampString, Tag } from "../../src/codec/mod.ts";
import { type LpBehaviour, type LpConfig, type LpSymbolConfig, parseLpConfig } from "../../src/app/lp/mod.ts";
import { MarketDataClient, type MdEvent } from "../../src/app/market_data/mod.ts";
import { OrderTracker, type ReportResult, type SendResult } from "../_helpers/order_tracker.ts";
import type { Application, SessionHandle } from "../../src/engine/application.ts";
import type { Gateway, ReconnectPolicy } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import { type RunningSimulator, startLoopbackSimulator } from "../../src/engine/lp_host.ts";
import { startInitiator } from "../../src/engine/quick.ts";
import type { SessionRunner } from "../../src/engine/session_runner.ts";
import type { Scheduler } from "../../src/clock.ts";

export { frame, RawClient, waitFor } from "../engine/helpers.ts";

/** FIXD: 100.00, tick 0.01, fixed price; bids 99.99/99.98/99.97 and offers 100.01/100.02/100.03 of 100/200/300. */
export const FIXED_SYMBOL: LpSymbolConfig = {
  symbol: "FIXD",
  startPrice: 100,
  tickSize: 0.01,
  volatility: 0,
  updatesPerSecond: 0,
  spreadTicks: 2,
  depth: 3,
  levelSpacingTicks: 1,
  levelSize: 100,
};

/** The seed of every test: behaviour draws (partial fill sizes, reject choices) repeat exactly. */
export const SEED = 7;

/** A simulator config with FIXD only, no Day expiry (a run at 17:00 New York must not expire orders), the given behaviours. */
export function lpConfig(behaviours: LpBehaviour[] = [], symbol: Partial<LpSymbolConfig> = {}): LpConfig {
  const c = parseLpConfig({ seed: SEED, orders: { dayEnd: null } }, "e2e");
  c.symbols = [{ ...FIXED_SYMBOL, ...symbol }];
  c.behaviours = behaviours;
  return c;
}

/** A logger that keeps what it is given (the simulator's and the initiator's, quiet on stderr). */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly logger: Logger;
  constructor(level: "debug" | "info" = "info") {
    this.logger = new Logger({
      level,
      format: "json",
      redaction: { maskTags: [], truncateTags: [], truncateTo: 0 },
      sink: (l) => this.lines.push(JSON.parse(l) as Record<string, unknown>),
    });
  }
  /** Lines of one event. */
  events(event: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.event === event);
  }
}

/**
 * Starts the simulator on a free loopback port: acceptor LP for client CLIENT, memory store; its time
 * and timers on `scheduler` (default the system's).
 */
export async function startLp(
  config: LpConfig,
  log = new LogCapture(),
  scheduler?: Scheduler,
): Promise<RunningSimulator & { log: LogCapture }> {
  const sim = await startLoopbackSimulator(config, {
    targetCompId: "CLIENT",
    logger: log.logger,
    ...(scheduler ? { scheduler } : {}),
  });
  return { ...sim, log };
}

/** One message on the initiator's wire, as its DEBUG log saw it. */
export interface WireMessage {
  dir: "in" | "out";
  msgType: string;
  seq: number;
  /** `tag=value|` fields, header and trailer included. */
  text: string;
  atMs: number;
}

/** Value of `tag` in a wire message's text (first occurrence). */
export function field(m: WireMessage | string, tag: number): string | undefined {
  const text = typeof m === "string" ? m : m.text;
  const hit = text.split("|").find((f) => f.startsWith(`${tag}=`));
  return hit?.slice(String(tag).length + 1);
}

/** Epoch ms of a UTCTimestamp field value (TransactTime, SendingTime); throws on a malformed one. */
export function transactMs(t: string | undefined): number {
  const p = t === undefined ? undefined : parseTimestampString(t);
  if (p === undefined) throw new Error(`bad timestamp ${t}`);
  return p.epochMs;
}

/** An ExecutionReport as the client received it (the fields the tests compare). */
export interface ExecRecord {
  clOrdId: string | undefined;
  origClOrdId: string | undefined;
  execType: string | undefined;
  ordStatus: string | undefined;
  cumQty: string | undefined;
  leavesQty: string | undefined;
  avgPx: string | undefined;
  lastQty: string | undefined;
  lastPx: string | undefined;
  ordRejReason: string | undefined;
  text: string | undefined;
  transactTime: string | undefined;
  /** When the client got it (Date.now()). */
  atMs: number;
}

/** `150/39 cum leaves avg` of a report, the shape of the exact sequence assertions. */
export function brief(r: ExecRecord): string {
  const fill = r.lastQty !== undefined ? ` last=${r.lastQty}@${r.lastPx}` : "";
  return `${r.execType}/${r.ordStatus} cum=${r.cumQty} leaves=${r.leavesQty} avg=${r.avgPx}${fill}`;
}

/**
 * The client application: every ExecutionReport and OrderCancelReject goes through the OrderTracker,
 * every W/X/Y through the MarketDataClient; anomalies of either are kept for the tests to assert on.
 */
export class TradingClient implements Application {
  readonly tracker = new OrderTracker({ clOrdIdPrefix: "C-" });
  readonly md = new MarketDataClient({ mdReqIdPrefix: "md-" });
  readonly results: ReportResult[] = [];
  readonly anomalies: string[] = [];
  readonly execs: ExecRecord[] = [];
  readonly mdEvents: MdEvent[] = [];
  /** MsgTypes of application messages neither side handles (e.g. BusinessMessageReject). */
  readonly other: string[] = [];
  readonly logouts: string[] = [];
  logons = 0;
  session: SessionHandle | undefined;
  #logonWaiters: Array<() => void> = [];

  onLogon(s: SessionHandle): void {
    this.session = s;
    this.logons++;
    for (const w of this.#logonWaiters.splice(0)) w();
  }

  onLogout(_s: SessionHandle, reason: string): void {
    this.logouts.push(reason);
  }

  onMessage(v: MessageView): void {
    const now = Date.now();
    if (v.msgType === "8") this.execs.push(execRecord(v, now));
    const r = this.tracker.onMessage(v, now);
    if (r !== undefined) {
      this.results.push(r);
      if (r.kind === "anomaly") this.anomalies.push(r.reason);
      return;
    }
    const m = this.md.onMessage(v);
    if (m !== undefined) {
      this.mdEvents.push(m);
      if (m.kind === "anomaly") this.anomalies.push(m.reason);
      return;
    }
    this.other.push(v.msgType);
  }

  /** Resolves at the first logon (at once when already logged on). */
  loggedOn(): Promise<void> {
    if (this.session?.loggedOn) return Promise.resolve();
    return new Promise((r) => this.#logonWaiters.push(r));
  }

  /** Sends what the tracker built; throws with the refusal when it built nothing. */
  send(r: SendResult): string {
    if (!r.ok) throw new Error(`order refused before the wire (${r.check}): ${r.reason}`);
    const s = this.session;
    if (s === undefined) throw new Error("not logged on");
    const sent = s.send(r.message);
    if (sent.kind === "back-pressure" || sent.kind === "refused") {
      throw new Error(`${sent.kind} on a test session`);
    }
    return r.clOrdId;
  }

  /** Execution reports of one order chain (any of `ids`), in arrival order. */
  execsOf(...ids: string[]): ExecRecord[] {
    return this.execs.filter((e) => ids.includes(e.clOrdId ?? "") || ids.includes(e.origClOrdId ?? ""));
  }
}

function execRecord(v: MessageView, atMs: number): ExecRecord {
  return {
    clOrdId: v.getString(Tag.ClOrdID),
    origClOrdId: v.getString(Tag.OrigClOrdID),
    execType: v.getString(Tag.ExecType),
    ordStatus: v.getString(Tag.OrdStatus),
    cumQty: v.getString(Tag.CumQty),
    leavesQty: v.getString(Tag.LeavesQty),
    avgPx: v.getString(Tag.AvgPx),
    lastQty: v.getString(Tag.LastQty),
    lastPx: v.getString(Tag.LastPx),
    ordRejReason: v.getString(Tag.OrdRejReason),
    text: v.getString(Tag.Text),
    transactTime: v.getString(Tag.TransactTime),
    atMs,
  };
}

/** A fixg initiator (CLIENT -> LP) with the wire tap, and what a test needs of it. */
export interface Client {
  gateway: Gateway;
  app: TradingClient;
  log: LogCapture;
  runner: SessionRunner;
  /** Messages on the initiator's wire, both directions, in order. */
  wire(): WireMessage[];
  stop(): Promise<void>;
}

/** Starts a fixg initiator against `port` with a TradingClient; HeartBtInt 5 s unless given. */
export async function startClient(
  port: number,
  opts: {
    heartbeatIntervalSec?: number;
    reconnect?: ReconnectPolicy;
    app?: TradingClient;
    scheduler?: Scheduler;
  } = {},
): Promise<Client> {
  const log = new LogCapture("debug");
  const app = opts.app ?? new TradingClient();
  const gateway = await startInitiator(
    {
      port,
      senderCompId: "CLIENT",
      targetCompId: "LP",
      heartbeatIntervalSec: opts.heartbeatIntervalSec ?? 5,
      logger: log.logger,
      // Reconnects would muddle what a test asserts about one connection: wait long enough that none happens.
      reconnect: opts.reconnect ?? { initialMs: 60_000, maxMs: 60_000, factor: 1, jitter: 0, attempts: 0 },
      ...(opts.scheduler ? { scheduler: opts.scheduler } : {}),
    },
    app,
  );
  return {
    gateway,
    app,
    log,
    runner: gateway.runners()[0]!,
    wire: () =>
      log.lines.filter((l) => l.event === "in" || l.event === "out").map((l) => ({
        dir: l.event as "in" | "out",
        msgType: String(l.msgType),
        seq: Number(l.seq),
        text: String(l.msg),
        atMs: Date.parse(String(l.ts)),
      })),
    stop: () => gateway.stop(),
  };
}
