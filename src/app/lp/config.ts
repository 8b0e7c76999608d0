/**
 * Configuration of the liquidity-provider simulator (lp.yaml): symbols and their price processes,
 * behaviours (fault injection) with time windows, sessions, and a few policies. `parseLpConfig`
 * validates a parsed object and fills in defaults; errors name the file and the key.
 * docs/simulator.md documents every key.
 */
import {
  ConfigPath,
  readArray,
  readBoolean,
  readHhMm,
  readNumber,
  readObject,
  readString,
  readStringList,
  readTimeZone,
} from "../config_check.ts";

/** One simulated instrument. */
export interface LpSymbolConfig {
  symbol: string;
  /** Mid price at start. */
  startPrice: number;
  /** Smallest price step; prices of orders must be multiples of it. */
  tickSize: number;
  /** Annualised volatility as a fraction (0.1 = 10 %) of the geometric random walk; 0 = fixed price. */
  volatility: number;
  /** Price steps (and liquidity refreshes) per second; 0 = fixed price, liquidity refreshed each second. */
  updatesPerSecond: number;
  /** Best offer minus best bid, in ticks (>= 1). */
  spreadTicks: number;
  /** Simulated levels per side. */
  depth: number;
  /** Distance between simulated levels, in ticks. */
  levelSpacingTicks: number;
  /** Size of the best simulated level; level i (from 0) shows levelSize x (i + 1). */
  levelSize: number;
}

/** A session the simulator accepts; '*' as targetCompId accepts any client. */
export interface LpSessionConfig {
  senderCompId: string;
  targetCompId: string;
}

/** A fill latency: fixed milliseconds or a uniform range. */
export type LatencySpec = number | { min: number; max: number };

/** How often to skip outbound sequence numbers. */
export interface SkipSeqSpec {
  /** Skip before every Nth application message sent to the session. */
  everyMessages?: number;
  /** Skip before each application message with this probability. */
  probability?: number;
  /** Numbers skipped each time (default 1). */
  count: number;
}

/**
 * One behaviour entry: a set of knobs switched on together during [fromMs, toMs) after the
 * simulator started, for the listed clients (SenderCompIDs of the clients; absent = all).
 */
export interface LpBehaviour {
  fromMs?: number;
  toMs?: number;
  clients?: string[];
  /** Fraction (0..1) of new orders rejected. */
  rejectFraction?: number;
  /** Text (58) of those rejects. */
  rejectReason?: string;
  /** Delay between acknowledging an order and matching it. */
  fillLatencyMs?: LatencySpec;
  /** Probability that an order that could fill more gets only part now, the rest later. */
  partialFillProbability?: number;
  /** The session sends no heartbeats while on. */
  dropHeartbeats?: boolean;
  /** Gaps in outbound sequence numbers. */
  skipSeqNums?: SkipSeqSpec;
  /** Disconnect after this many inbound application messages since logon. */
  disconnectAfterMessages?: number;
  /** Disconnect after an inbound application message with this probability. */
  disconnectProbability?: number;
  /** Send a SequenceReset (Reset mode) jumping this many numbers ahead, once per logon in the window. */
  sendSequenceReset?: { jump: number };
  /** The session sends nothing at all while on. */
  goSilent?: boolean;
  /** Delay before each read from the client, while on. */
  slowReaderMs?: number;
  /**
   * Acknowledge new orders and leave them working, never matched or filled (cancels and replaces still
   * answered): the work of a plain order acknowledger, for like-for-like engine comparisons.
   */
  ackOnly?: boolean;
}

/** Policies of the simulator. */
export interface LpConfig {
  /** Seed of every random choice: the same seed and inputs give the same outputs. */
  seed: number;
  symbols: LpSymbolConfig[];
  /**
   * Reject orders, market data and quote requests for symbols not in `symbols` (the old behaviour).
   * Off by default: the simulator makes a market in any symbol it is asked for.
   */
  strictSymbols: boolean;
  /** The price process of a symbol not in `symbols` (without strictSymbols): everything but the name. */
  otherSymbols: Omit<LpSymbolConfig, "symbol">;
  /** Sessions to accept (empty = what the command line says). */
  sessions: LpSessionConfig[];
  behaviours: LpBehaviour[];
  marketData: {
    /** Write RptSeq (83) in W bodies and X entries. Off by default: QuickFIX's FIX44.xml has no 83 there. */
    rptSeq: boolean;
  };
  orders: {
    /** When Day orders expire (local time in a zone); absent = Day orders never expire. */
    dayEnd: { time: string; timeZone: string } | undefined;
    /** Cancel a session's open orders when it disconnects. */
    cancelOnDisconnect: boolean;
    /**
     * Finished and rejected orders are kept for the trading day (until dayEnd, or 00:00 UTC without
     * one), as a venue keeps them: status requests get their last state and identifiers and their
     * ClOrdIDs stay used. Set, they are forgotten this long after they finish instead (memory bound for
     * long heavy runs): a cancel for a forgotten order gets "Unknown order" rather than "Too late".
     */
    forgetDoneAfterMs: number | undefined;
  };
  quotes: {
    /** ValidUntilTime of a quote = now + this. */
    validityMs: number;
  };
}

function sym(
  symbol: string,
  startPrice: number,
  tickSize: number,
  volatility: number,
  updatesPerSecond: number,
  spreadTicks: number,
  levelSpacingTicks: number,
  levelSize: number,
): LpSymbolConfig {
  return {
    symbol,
    startPrice,
    tickSize,
    volatility,
    updatesPerSecond,
    spreadTicks,
    depth: 5,
    levelSpacingTicks,
    levelSize,
  };
}

/** The default instruments: three FX pairs and four equities. */
export const DEFAULT_LP_SYMBOLS: readonly LpSymbolConfig[] = [
  sym("EUR/USD", 1.0850, 0.00001, 0.08, 10, 5, 2, 1_000_000),
  sym("GBP/USD", 1.2700, 0.00001, 0.09, 10, 8, 3, 1_000_000),
  sym("USD/JPY", 150.00, 0.001, 0.10, 10, 5, 2, 1_000_000),
  sym("AAPL", 190.00, 0.01, 0.25, 4, 2, 1, 200),
  sym("MSFT", 420.00, 0.01, 0.25, 4, 4, 1, 100),
  sym("AMZN", 180.00, 0.01, 0.30, 4, 2, 1, 200),
  sym("GOOGL", 170.00, 0.01, 0.30, 4, 2, 1, 200),
];

/** The price process of any symbol not configured: around 100.00, tick 0.01, 20 % volatility. */
export const DEFAULT_OTHER_SYMBOLS: Readonly<Omit<LpSymbolConfig, "symbol">> = {
  startPrice: 100,
  tickSize: 0.01,
  volatility: 0.2,
  updatesPerSecond: 4,
  spreadTicks: 2,
  depth: 5,
  levelSpacingTicks: 1,
  levelSize: 100,
};

/** A configuration with every default: the default symbols, no behaviours, Day orders expiring 17:00 New York. */
export function defaultLpConfig(): LpConfig {
  return {
    seed: 1,
    symbols: DEFAULT_LP_SYMBOLS.map((s) => ({ ...s })),
    strictSymbols: false,
    otherSymbols: { ...DEFAULT_OTHER_SYMBOLS },
    sessions: [],
    behaviours: [],
    marketData: { rptSeq: false },
    orders: {
      dayEnd: { time: "17:00", timeZone: "America/New_York" },
      cancelOnDisconnect: false,
      forgetDoneAfterMs: undefined,
    },
    quotes: { validityMs: 5_000 },
  };
}

/** Decimals of a tick size (0.00001 -> 5, 0.25 -> 2), or undefined beyond 10. */
export function tickDecimals(tickSize: number): number | undefined {
  for (let d = 0; d <= 10; d++) {
    const scaled = tickSize * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d;
  }
  return undefined;
}

const TOP_KEYS = [
  "seed",
  "symbols",
  "strictSymbols",
  "otherSymbols",
  "sessions",
  "behaviours",
  "marketData",
  "orders",
  "quotes",
] as const;
const SYMBOL_KEYS = [
  "symbol",
  "startPrice",
  "tickSize",
  "volatility",
  "updatesPerSecond",
  "spreadTicks",
  "depth",
  "levelSpacingTicks",
  "levelSize",
] as const;
const BEHAVIOUR_KEYS = [
  "fromMs",
  "toMs",
  "clients",
  "rejectFraction",
  "rejectReason",
  "fillLatencyMs",
  "partialFillProbability",
  "dropHeartbeats",
  "skipSeqNums",
  "disconnectAfterMessages",
  "disconnectProbability",
  "sendSequenceReset",
  "goSilent",
  "slowReaderMs",
  "ackOnly",
] as const;

/** Reads one symbol entry: a default symbol's name fills in what is left out; others need startPrice and tickSize. */
function parseSymbol(
  v: unknown,
  at: ConfigPath,
  template?: Omit<LpSymbolConfig, "symbol">,
): LpSymbolConfig {
  const o = template === undefined
    ? readObject(v, at, SYMBOL_KEYS)
    : { ...readObject(v, at, SYMBOL_KEYS.filter((k) => k !== "symbol")), symbol: "(other symbols)" };
  const name = readString(o.symbol, at.child("symbol"));
  const base = template ?? DEFAULT_LP_SYMBOLS.find((s) => s.symbol === name);
  const num = (
    k: (typeof SYMBOL_KEYS)[number],
    rule: Parameters<typeof readNumber>[2],
    dflt: number | undefined,
  ) => {
    if (o[k] === undefined) {
      if (dflt === undefined) {
        return at.child(k).fail(`is required for a symbol that is not built in (${name})`);
      }
      return dflt;
    }
    return readNumber(o[k], at.child(k), rule);
  };
  const s: LpSymbolConfig = {
    symbol: name,
    startPrice: num("startPrice", { above: 0 }, base?.startPrice),
    tickSize: num("tickSize", { above: 0 }, base?.tickSize),
    volatility: num("volatility", { min: 0, max: 10 }, base?.volatility ?? 0.1),
    updatesPerSecond: num("updatesPerSecond", { min: 0, max: 1000 }, base?.updatesPerSecond ?? 4),
    spreadTicks: num("spreadTicks", { min: 1, integer: true }, base?.spreadTicks ?? 2),
    depth: num("depth", { min: 0, max: 1000, integer: true }, base?.depth ?? 5),
    levelSpacingTicks: num("levelSpacingTicks", { min: 1, integer: true }, base?.levelSpacingTicks ?? 1),
    levelSize: num("levelSize", { above: 0, integer: true }, base?.levelSize ?? 100),
  };
  if (tickDecimals(s.tickSize) === undefined) {
    at.child("tickSize").fail(`must have at most 10 decimals (got ${s.tickSize})`);
  }
  const ticks = s.startPrice / s.tickSize;
  if (Math.abs(ticks - Math.round(ticks)) > 1e-6 * Math.max(1, ticks)) {
    at.child("startPrice").fail(`must be a multiple of tickSize ${s.tickSize} (got ${s.startPrice})`);
  }
  if (Math.round(ticks) <= s.spreadTicks + s.depth * s.levelSpacingTicks) {
    at.child("startPrice").fail(
      `is too small for the spread and depth in ticks (${Math.round(ticks)} ticks)`,
    );
  }
  return s;
}

function probability(v: unknown, at: ConfigPath): number {
  return readNumber(v, at, { min: 0, max: 1 });
}

/** Reads one behaviour entry. */
export function parseBehaviour(v: unknown, at: ConfigPath): LpBehaviour {
  const o = readObject(v, at, BEHAVIOUR_KEYS);
  const b: LpBehaviour = {};
  if (o.fromMs !== undefined) b.fromMs = readNumber(o.fromMs, at.child("fromMs"), { min: 0 });
  if (o.toMs !== undefined) b.toMs = readNumber(o.toMs, at.child("toMs"), { min: 0 });
  if (b.fromMs !== undefined && b.toMs !== undefined && b.toMs <= b.fromMs) {
    at.child("toMs").fail(`must be after fromMs ${b.fromMs} (got ${b.toMs})`);
  }
  if (o.clients !== undefined) b.clients = readStringList(o.clients, at.child("clients"));
  if (o.rejectFraction !== undefined) {
    b.rejectFraction = probability(o.rejectFraction, at.child("rejectFraction"));
  }
  if (o.rejectReason !== undefined) b.rejectReason = readString(o.rejectReason, at.child("rejectReason"));
  if (o.fillLatencyMs !== undefined) {
    const l = at.child("fillLatencyMs");
    if (typeof o.fillLatencyMs === "number") b.fillLatencyMs = readNumber(o.fillLatencyMs, l, { min: 0 });
    else {
      const lo = readObject(o.fillLatencyMs, l, ["min", "max"]);
      const min = readNumber(lo.min, l.child("min"), { min: 0 });
      const max = readNumber(lo.max, l.child("max"), { min });
      b.fillLatencyMs = { min, max };
    }
  }
  if (o.partialFillProbability !== undefined) {
    b.partialFillProbability = probability(o.partialFillProbability, at.child("partialFillProbability"));
  }
  if (o.dropHeartbeats !== undefined) {
    b.dropHeartbeats = readBoolean(o.dropHeartbeats, at.child("dropHeartbeats"));
  }
  if (o.skipSeqNums !== undefined) {
    const k = at.child("skipSeqNums");
    const so = readObject(o.skipSeqNums, k, ["everyMessages", "probability", "count"]);
    const spec: SkipSeqSpec = {
      count: so.count === undefined ? 1 : readNumber(so.count, k.child("count"), { min: 1, integer: true }),
    };
    if (so.everyMessages !== undefined) {
      spec.everyMessages = readNumber(so.everyMessages, k.child("everyMessages"), { min: 1, integer: true });
    }
    if (so.probability !== undefined) spec.probability = probability(so.probability, k.child("probability"));
    if (spec.everyMessages === undefined && spec.probability === undefined) {
      k.fail("needs everyMessages or probability");
    }
    b.skipSeqNums = spec;
  }
  if (o.disconnectAfterMessages !== undefined) {
    b.disconnectAfterMessages = readNumber(o.disconnectAfterMessages, at.child("disconnectAfterMessages"), {
      min: 1,
      integer: true,
    });
  }
  if (o.disconnectProbability !== undefined) {
    b.disconnectProbability = probability(o.disconnectProbability, at.child("disconnectProbability"));
  }
  if (o.sendSequenceReset !== undefined) {
    const k = at.child("sendSequenceReset");
    if (o.sendSequenceReset === true) b.sendSequenceReset = { jump: 10 };
    else if (o.sendSequenceReset !== false) {
      const so = readObject(o.sendSequenceReset, k, ["jump"]);
      b.sendSequenceReset = { jump: readNumber(so.jump, k.child("jump"), { min: 1, integer: true }) };
    }
  }
  if (o.goSilent !== undefined) b.goSilent = readBoolean(o.goSilent, at.child("goSilent"));
  if (o.slowReaderMs !== undefined) {
    b.slowReaderMs = readNumber(o.slowReaderMs, at.child("slowReaderMs"), { min: 0 });
  }
  if (o.ackOnly !== undefined) b.ackOnly = readBoolean(o.ackOnly, at.child("ackOnly"));
  return b;
}

/**
 * Validates a parsed lp.yaml (any object: YAML, JSON or a literal) and fills in defaults. A missing
 * `symbols` key means the default symbols; a present one replaces them. Throws ConfigError naming
 * `file` and the key.
 */
export function parseLpConfig(obj: unknown, file: string): LpConfig {
  const at = new ConfigPath(file, "");
  const cfg = defaultLpConfig();
  if (obj === undefined || obj === null) return cfg;
  const o = readObject(obj, at, TOP_KEYS);
  if (o.seed !== undefined) cfg.seed = readNumber(o.seed, at.child("seed"), { integer: true, min: 0 });
  if (o.symbols !== undefined) {
    const list = readArray(o.symbols, at.child("symbols"));
    if (list.length === 0) at.child("symbols").fail("needs at least one symbol");
    cfg.symbols = list.map((s, i) => parseSymbol(s, at.child("symbols").child(i)));
    const seen = new Set<string>();
    cfg.symbols.forEach((s, i) => {
      if (seen.has(s.symbol)) {
        at.child("symbols").child(i).child("symbol").fail(`duplicate symbol ${s.symbol}`);
      }
      seen.add(s.symbol);
    });
  }
  if (o.strictSymbols !== undefined) {
    cfg.strictSymbols = readBoolean(o.strictSymbols, at.child("strictSymbols"));
  }
  if (o.otherSymbols !== undefined) {
    const { symbol: _name, ...rest } = parseSymbol(
      o.otherSymbols,
      at.child("otherSymbols"),
      DEFAULT_OTHER_SYMBOLS,
    );
    cfg.otherSymbols = rest;
  }
  if (o.sessions !== undefined) {
    cfg.sessions = readArray(o.sessions, at.child("sessions")).map((s, i) => {
      const k = at.child("sessions").child(i);
      const so = readObject(s, k, ["senderCompId", "targetCompId"]);
      return {
        senderCompId: readString(so.senderCompId, k.child("senderCompId")),
        targetCompId: readString(so.targetCompId, k.child("targetCompId")),
      };
    });
  }
  if (o.behaviours !== undefined) {
    cfg.behaviours = readArray(o.behaviours, at.child("behaviours")).map((b, i) =>
      parseBehaviour(b, at.child("behaviours").child(i))
    );
  }
  if (o.marketData !== undefined) {
    const k = at.child("marketData");
    const mo = readObject(o.marketData, k, ["rptSeq"]);
    if (mo.rptSeq !== undefined) cfg.marketData.rptSeq = readBoolean(mo.rptSeq, k.child("rptSeq"));
  }
  if (o.orders !== undefined) {
    const k = at.child("orders");
    const oo = readObject(o.orders, k, ["dayEnd", "cancelOnDisconnect", "forgetDoneAfterMs"]);
    if (oo.dayEnd === null) cfg.orders.dayEnd = undefined;
    else if (oo.dayEnd !== undefined) {
      const d = k.child("dayEnd");
      const dd = readObject(oo.dayEnd, d, ["time", "timeZone"]);
      cfg.orders.dayEnd = {
        time: readHhMm(dd.time, d.child("time")),
        timeZone: dd.timeZone === undefined ? "UTC" : readTimeZone(dd.timeZone, d.child("timeZone")),
      };
    }
    if (oo.cancelOnDisconnect !== undefined) {
      cfg.orders.cancelOnDisconnect = readBoolean(oo.cancelOnDisconnect, k.child("cancelOnDisconnect"));
    }
    if (oo.forgetDoneAfterMs !== undefined) {
      cfg.orders.forgetDoneAfterMs = readNumber(oo.forgetDoneAfterMs, k.child("forgetDoneAfterMs"), {
        min: 0,
      });
    }
  }
  if (o.quotes !== undefined) {
    const k = at.child("quotes");
    const qo = readObject(o.quotes, k, ["validityMs"]);
    if (qo.validityMs !== undefined) {
      cfg.quotes.validityMs = readNumber(qo.validityMs, k.child("validityMs"), { above: 0 });
    }
  }
  return cfg;
}
