/**
 * Configuration of the liquidity-provider simulator (lp.yaml): symbols and their price processes,
 * behaviours (fault injection) with time windows, sessions, and a few policies. `parseLpConfig`
 * validates a parsed object against LP_SCHEMA with the same schema machinery as fixg.yaml
 * (src/config/schema.ts), then applies the rules across keys and fills in defaults; errors name the
 * file and the key.
 * docs/simulator.md documents every key.
 */
import { ConfigError } from "../../errors.ts";
import { checkValue, numbersWithDefaults, type Schema } from "../../config/schema.ts";
import { hhMmProblem, timeZoneProblem } from "../time_of_day.ts";

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
    /**
     * In ackOnly mode a session remembers its last this many acknowledged orders that are still working
     * (never filled, they would otherwise be kept until canceled: memory and garbage-collection work
     * grow with every order). An older one is forgotten without a message: a cancel, replace or status
     * request for it gets "Unknown order", and its ClOrdID is no longer a duplicate. Its object is
     * reused for the next order: with a window smaller than the orders taken between two scavenges,
     * the orders die young and the collector copies almost nothing.
     */
    ackOnlyWindow: number;
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

/** orders.ackOnlyWindow's default: acknowledged, still working orders a session remembers in ackOnly mode. */
export const DEFAULT_ACK_ONLY_WINDOW = 1_000;

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
      ackOnlyWindow: DEFAULT_ACK_ONLY_WINDOW,
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

const nonEmpty = (s: string) => s === "" ? "must be a non-empty string" : undefined;
const str: Schema = { type: "string", check: nonEmpty };
const probability: Schema = { type: "number", min: 0, max: 1 };

/** The keys of a symbol (all optional: a built-in symbol's name fills in what is left out). */
const SYMBOL_FIELDS: Record<string, Schema> = {
  symbol: str,
  startPrice: { type: "number", above: 0 },
  tickSize: { type: "number", above: 0 },
  volatility: { type: "number", min: 0, max: 10 },
  updatesPerSecond: { type: "number", min: 0, max: 1000 },
  spreadTicks: { type: "int", min: 1 },
  depth: { type: "int", min: 0, max: 1000 },
  levelSpacingTicks: { type: "int", min: 1 },
  levelSize: { type: "int", above: 0 },
};
const { symbol: _symbolKey, ...OTHER_SYMBOL_FIELDS } = SYMBOL_FIELDS;

const BEHAVIOUR_SCHEMA: Schema = {
  type: "object",
  fields: {
    fromMs: { type: "number", min: 0 },
    toMs: { type: "number", min: 0 },
    clients: { type: "array", of: str },
    rejectFraction: probability,
    rejectReason: str,
    fillLatencyMs: {
      type: "either",
      scalar: { type: "number", min: 0 },
      mapping: {
        type: "object",
        fields: { min: { type: "number", min: 0 }, max: { type: "number", min: 0 } },
        required: ["min", "max"],
      },
    },
    partialFillProbability: probability,
    dropHeartbeats: { type: "bool" },
    skipSeqNums: {
      type: "object",
      fields: { everyMessages: { type: "int", min: 1 }, probability, count: { type: "int", min: 1 } },
    },
    disconnectAfterMessages: { type: "int", min: 1 },
    disconnectProbability: probability,
    sendSequenceReset: {
      type: "either",
      scalar: { type: "bool" },
      mapping: { type: "object", fields: { jump: { type: "int", min: 1 } }, required: ["jump"] },
    },
    goSilent: { type: "bool" },
    slowReaderMs: { type: "number", min: 0 },
    ackOnly: { type: "bool" },
  },
};

/** lp.yaml, key by key (docs/simulator.md); rules across keys are applied after it, in parseLpConfig. */
export const LP_SCHEMA: Schema = {
  type: "object",
  fields: {
    seed: { type: "int", min: 0 },
    symbols: { type: "array", of: { type: "object", fields: SYMBOL_FIELDS, required: ["symbol"] } },
    strictSymbols: { type: "bool" },
    otherSymbols: { type: "object", fields: OTHER_SYMBOL_FIELDS },
    sessions: {
      type: "array",
      of: {
        type: "object",
        fields: { senderCompId: str, targetCompId: str },
        required: ["senderCompId", "targetCompId"],
      },
    },
    behaviours: { type: "array", of: BEHAVIOUR_SCHEMA },
    marketData: { type: "object", fields: { rptSeq: { type: "bool" } } },
    orders: {
      type: "object",
      fields: {
        dayEnd: {
          type: "object",
          nullable: true,
          fields: {
            time: { type: "string", check: hhMmProblem },
            timeZone: { type: "string", check: timeZoneProblem },
          },
          required: ["time"],
        },
        cancelOnDisconnect: { type: "bool" },
        forgetDoneAfterMs: { type: "number", min: 0 },
        ackOnlyWindow: { type: "int", min: 1 },
      },
    },
    quotes: { type: "object", fields: { validityMs: { type: "number", above: 0 } } },
  },
};

/** Throws a ConfigError naming file and key. */
function fail(file: string, key: string, why: string): never {
  throw new ConfigError(`${file}: ${key}: ${why}`);
}

type Checked = Record<string, unknown>;

/** One checked symbol entry: a default symbol's name fills in what is left out; others need startPrice and tickSize. */
function symbolOf(
  o: Checked,
  file: string,
  key: string,
  template?: Omit<LpSymbolConfig, "symbol">,
): LpSymbolConfig {
  const name = template === undefined ? o.symbol as string : "(other symbols)";
  const base = template ?? DEFAULT_LP_SYMBOLS.find((s) => s.symbol === name);
  const s: LpSymbolConfig = {
    symbol: name,
    ...numbersWithDefaults(o, base, {
      startPrice: undefined,
      tickSize: undefined,
      volatility: 0.1,
      updatesPerSecond: 4,
      spreadTicks: 2,
      depth: 5,
      levelSpacingTicks: 1,
      levelSize: 100,
    }, (k) => fail(file, `${key}.${k}`, `is required for a symbol that is not built in (${name})`)),
  };
  if (tickDecimals(s.tickSize) === undefined) {
    fail(file, `${key}.tickSize`, `must have at most 10 decimals (got ${s.tickSize})`);
  }
  const ticks = s.startPrice / s.tickSize;
  if (Math.abs(ticks - Math.round(ticks)) > 1e-6 * Math.max(1, ticks)) {
    fail(file, `${key}.startPrice`, `must be a multiple of tickSize ${s.tickSize} (got ${s.startPrice})`);
  }
  if (Math.round(ticks) <= s.spreadTicks + s.depth * s.levelSpacingTicks) {
    fail(
      file,
      `${key}.startPrice`,
      `is too small for the spread and depth in ticks (${Math.round(ticks)} ticks)`,
    );
  }
  return s;
}

/** One checked behaviour entry, with the rules across its keys. */
function behaviourOf(o: Checked, file: string, key: string): LpBehaviour {
  const b = { ...o } as LpBehaviour & { sendSequenceReset?: boolean | { jump: number } };
  if (b.fromMs !== undefined && b.toMs !== undefined && b.toMs <= b.fromMs) {
    fail(file, `${key}.toMs`, `must be after fromMs ${b.fromMs} (got ${b.toMs})`);
  }
  const l = b.fillLatencyMs;
  if (typeof l === "object" && l.max < l.min) {
    fail(file, `${key}.fillLatencyMs.max`, `must be a number >= ${l.min} (got ${l.max})`);
  }
  if (b.skipSeqNums !== undefined) {
    const k = b.skipSeqNums as Partial<SkipSeqSpec>;
    if (k.everyMessages === undefined && k.probability === undefined) {
      fail(file, `${key}.skipSeqNums`, "needs everyMessages or probability");
    }
    b.skipSeqNums = { count: 1, ...k };
  }
  if (b.sendSequenceReset === true) b.sendSequenceReset = { jump: 10 };
  else if (b.sendSequenceReset === false) delete b.sendSequenceReset;
  return b as LpBehaviour;
}

/** Reads one behaviour entry (a parsed object); errors name `at.file` and `at.key`. */
export function parseBehaviour(v: unknown, at: { file: string; key: string }): LpBehaviour {
  return behaviourOf(checkValue(BEHAVIOUR_SCHEMA, v, at.key, at.file) as Checked, at.file, at.key);
}

/**
 * Validates a parsed lp.yaml (any object: YAML read with the failsafe schema as loadLpConfig does, JSON
 * or a literal) and fills in defaults. A missing `symbols` key means the default symbols; a present one
 * replaces them. Throws ConfigError naming `file` and the key.
 */
export function parseLpConfig(obj: unknown, file: string): LpConfig {
  const cfg = defaultLpConfig();
  if (obj === undefined || obj === null) return cfg;
  const o = checkValue(LP_SCHEMA, obj, "", file) as Checked;
  if (o.seed !== undefined) cfg.seed = o.seed as number;
  if (o.symbols !== undefined) {
    const list = o.symbols as Checked[];
    if (list.length === 0) fail(file, "symbols", "needs at least one symbol");
    cfg.symbols = list.map((s, i) => symbolOf(s, file, `symbols[${i}]`));
    const seen = new Set<string>();
    cfg.symbols.forEach((s, i) => {
      if (seen.has(s.symbol)) fail(file, `symbols[${i}].symbol`, `duplicate symbol ${s.symbol}`);
      seen.add(s.symbol);
    });
  }
  if (o.strictSymbols !== undefined) cfg.strictSymbols = o.strictSymbols as boolean;
  if (o.otherSymbols !== undefined) {
    const { symbol: _name, ...rest } = symbolOf(
      o.otherSymbols as Checked,
      file,
      "otherSymbols",
      DEFAULT_OTHER_SYMBOLS,
    );
    cfg.otherSymbols = rest;
  }
  if (o.sessions !== undefined) cfg.sessions = o.sessions as LpSessionConfig[];
  if (o.behaviours !== undefined) {
    cfg.behaviours = (o.behaviours as Checked[]).map((b, i) => behaviourOf(b, file, `behaviours[${i}]`));
  }
  const md = o.marketData as { rptSeq?: boolean } | undefined;
  if (md?.rptSeq !== undefined) cfg.marketData.rptSeq = md.rptSeq;
  const oo = o.orders as
    | {
      dayEnd?: { time: string; timeZone?: string } | null;
      cancelOnDisconnect?: boolean;
      forgetDoneAfterMs?: number;
      ackOnlyWindow?: number;
    }
    | undefined;
  if (oo !== undefined) {
    if (oo.dayEnd === null) cfg.orders.dayEnd = undefined;
    else if (oo.dayEnd !== undefined) {
      cfg.orders.dayEnd = { time: oo.dayEnd.time, timeZone: oo.dayEnd.timeZone ?? "UTC" };
    }
    if (oo.cancelOnDisconnect !== undefined) cfg.orders.cancelOnDisconnect = oo.cancelOnDisconnect;
    if (oo.forgetDoneAfterMs !== undefined) cfg.orders.forgetDoneAfterMs = oo.forgetDoneAfterMs;
    if (oo.ackOnlyWindow !== undefined) cfg.orders.ackOnlyWindow = oo.ackOnlyWindow;
  }
  const q = o.quotes as { validityMs?: number } | undefined;
  if (q?.validityMs !== undefined) cfg.quotes.validityMs = q.validityMs;
  return cfg;
}
