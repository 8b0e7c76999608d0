/**
 * LpSimulator: the liquidity-provider side of `fixg simulate-lp`, as pure logic. The engine feeds it
 * inbound application messages and timer ticks with the current time; it answers with outputs:
 * messages to send (ExecutionReports, OrderCancelRejects, market data, quotes, rejects) and effects
 * the engine carries out on the session or the connection (disconnect, sequence gaps, silence...).
 *
 * Orders are acknowledged at once and matched with price-time priority against simulated liquidity
 * around a moving price and against other clients' resting orders. A fill latency defers the match
 * (the order is acknowledged, then matched when the latency has passed, so a cancel can still beat
 * it); outputs always carry `dueMs`, the time they should go out.
 */
import type { FixMessage } from "../../codec/encoder.ts";
import { formatScaled } from "../../codec/encoder.ts";
import { ADMIN_MSG_TYPES, MsgType, Tag } from "../../codec/tags.ts";
import type { FieldReader, MessageView } from "../../codec/view.ts";
import { splitGroup } from "../groups.ts";
import { IdMap } from "../id_map.ts";
import { PriceText } from "../price_text.ts";
import {
  businessMessageReject,
  type ExecutionReportFields,
  executionReportOf,
  type IncrementalEntryFields,
  marketDataIncremental,
  marketDataRequestReject,
  marketDataSnapshot,
  orderCancelReject,
  quote,
  quoteRequestReject,
  type SnapshotEntryFields,
} from "../messages.ts";
import { createPrng, deriveSeed, type Prng, uniform } from "../prng.ts";
import {
  AppTag,
  type OrdTypeName,
  ordTypeOf,
  type Side,
  sideOf,
  type TimeInForceName,
  timeInForceOf,
} from "../tags.ts";
import { minuteOfDayIn, parseHhMm } from "../time_of_day.ts";
import { type Knobs, knobsAt, type LpEffect, sampleLatency, windowBoundaries } from "./behaviours.ts";
import { type LpBehaviour, type LpConfig, type LpSymbolConfig, tickDecimals } from "./config.ts";
import { type BookOrder, MatchingBook } from "./matching_book.ts";
import { PriceProcess } from "./price_process.ts";

/** What the simulator wants done: send a message, or carry out an effect, at `dueMs`, on a session. */
export type LpOutput =
  | { sessionKey: string; message: FixMessage; dueMs: number }
  | { sessionKey: string; effect: LpEffect; dueMs: number };

/** What the simulator did since it started. */
export interface LpCounters {
  messagesIn: number;
  messagesOut: number;
  ordersReceived: number;
  acks: number;
  /** ExecutionReports with ExecType F (each side of a trade between two clients counts). */
  fills: number;
  /** Orders rejected (ExecType 8), behaviours included. */
  rejects: number;
  /** Orders canceled (requests, IOC/FOK/market remainders, cancel on disconnect). */
  cancels: number;
  replaces: number;
  cancelRejects: number;
  expired: number;
  statusReports: number;
  mdSnapshots: number;
  mdUpdates: number;
  mdRejects: number;
  quotes: number;
  quoteRejects: number;
  businessRejects: number;
  effects: number;
}

/** Counters plus rates and sizes at a time. */
export interface LpStats extends LpCounters {
  /** Inbound messages in the last whole second. */
  messagesPerSecondIn: number;
  /** Outbound messages in the last whole second. */
  messagesPerSecondOut: number;
  openOrders: number;
  subscriptions: number;
  sessions: number;
}

/** A client order as the simulator holds it (read-only view for tests and tools). */
export interface LpOrderView {
  orderId: string;
  clOrdId: string;
  symbol: string;
  side: Side;
  ordType: OrdTypeName;
  price: string | undefined;
  timeInForce: TimeInForceName;
  orderQty: number;
  cumQty: number;
  leavesQty: number;
  /** OrdStatus code. */
  ordStatus: string;
  resting: boolean;
  deferredUntilMs: number | undefined;
}

type OrderStatus = "new" | "partial" | "filled" | "canceled" | "expired";
const STATUS_CODE: Readonly<Record<OrderStatus, string>> = {
  new: "0",
  partial: "1",
  filled: "2",
  canceled: "4",
  expired: "C",
};

interface LpOrder {
  orderId: string;
  sessionKey: string;
  clOrdId: string;
  symbol: string;
  side: Side;
  sideCode: string;
  ordType: OrdTypeName;
  ordTypeCode: string;
  priceTicks: number | undefined;
  tif: TimeInForceName;
  tifCode: string;
  orderQty: number;
  cumQty: number;
  /** Sum of qty x price in ticks, for AvgPx. */
  notionalTicks: number;
  status: OrderStatus;
  resting: BookOrder<LpOrder> | undefined;
  deferredDueMs: number | undefined;
  /** Arrival order among deferred orders due at the same time. */
  deferSeq: number;
  /** The ClOrdIDs the order had before `clOrdId` (cancel/replace chain), to forget them together; undefined while it had one. */
  priorIds: string[] | undefined;
  /** Neighbours in its session's list of open orders (OpenList). */
  openPrev: LpOrder | undefined;
  openNext: LpOrder | undefined;
  inOpen: boolean;
}

/**
 * A session's open orders in arrival order: a list threaded through the orders themselves, so adding
 * and removing hash nothing (a Set of order objects cost as much as the rest of taking an order).
 */
class OpenList implements Iterable<LpOrder> {
  #head: LpOrder | undefined;
  #tail: LpOrder | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(o: LpOrder): void {
    if (o.inOpen) return;
    o.inOpen = true;
    o.openPrev = this.#tail;
    o.openNext = undefined;
    if (this.#tail !== undefined) this.#tail.openNext = o;
    else this.#head = o;
    this.#tail = o;
    this.#size++;
  }

  delete(o: LpOrder): boolean {
    if (!o.inOpen) return false;
    o.inOpen = false;
    if (o.openPrev !== undefined) o.openPrev.openNext = o.openNext;
    else this.#head = o.openNext;
    if (o.openNext !== undefined) o.openNext.openPrev = o.openPrev;
    else this.#tail = o.openPrev;
    o.openPrev = o.openNext = undefined;
    this.#size--;
    return true;
  }

  *[Symbol.iterator](): Iterator<LpOrder> {
    for (let o = this.#head; o !== undefined; o = o.openNext) yield o;
  }
}

interface SymbolState {
  cfg: LpSymbolConfig;
  decimals: number;
  /** 10 ** decimals (exact: decimals is small). */
  scale: number;
  units: number;
  priceText: PriceText;
  process: PriceProcess;
  book: MatchingBook<LpOrder>;
  intervalMs: number;
  nextStepMs: number;
  dirty: boolean;
  trades: { priceTicks: number; qty: number }[];
  lastTrade: { priceTicks: number; qty: number } | undefined;
  /** This book under its own name (what #symbolFor returns for it, made once). */
  ref: { st: SymbolState; name: string };
}

interface SideLevels {
  bids: Map<number, number>;
  offers: Map<number, number>;
}

interface Subscription {
  mdReqId: string;
  sessionKey: string;
  symbols: string[];
  depth: number;
  bid: boolean;
  offer: boolean;
  trade: boolean;
  /** MDUpdateType 0: updates as full refreshes (W). */
  full: boolean;
  last: Map<string, SideLevels>;
  rptSeq: Map<string, number>;
  /** The client's name of a symbol when it differs from the book's (EURUSD for EUR/USD); undefined: none. */
  names: Map<string, string> | undefined;
}

interface SessionState {
  key: string;
  clientCompId: string;
  loggedOn: boolean;
  /** Orders by every ClOrdID they had (and by cancel request ClOrdIDs), until forgotten. */
  /** Orders by every ClOrdID of their chain (IdMap: inbound ClOrdIDs are fresh strings, see id_map.ts). */
  orders: IdMap<LpOrder>;
  /** Open orders in arrival order. */
  open: OpenList;
  /** Rejected orders of the trading day by ClOrdID: the reject's fields, to answer a status request. */
  rejected: Map<string, ExecutionReportFields>;
  inbound: number;
  outbound: number;
  subs: Map<string, Subscription>;
  effects: { dropHeartbeats: boolean; silent: boolean; slowReaderMs: number };
  seqResetsFired: Set<number>;
}

/** Messages per second over whole seconds. */
class RateMeter {
  #sec = -1;
  #cur = 0;
  #prev = 0;
  record(nowMs: number): void {
    const s = Math.floor(nowMs / 1000);
    if (s !== this.#sec) {
      this.#prev = s === this.#sec + 1 ? this.#cur : 0;
      this.#cur = 0;
      this.#sec = s;
    }
    this.#cur++;
  }
  perSecond(nowMs: number): number {
    const s = Math.floor(nowMs / 1000);
    if (s === this.#sec) return this.#prev;
    return s === this.#sec + 1 ? this.#cur : 0;
  }
}

/** ISO currency codes (and metals) that make a six-letter symbol like EURUSD an FX pair. */
const CURRENCIES: ReadonlySet<string> = new Set(
  ("USD EUR JPY GBP CHF AUD NZD CAD SEK NOK DKK HKD SGD CNH CNY MXN ZAR TRY PLN CZK HUF ILS INR KRW " +
    "TWD THB BRL RUB IDR MYR PHP SAR AED XAU XAG XPT XPD").split(" "),
);

/**
 * The book a symbol name trades in: an FX pair in either notation (EURUSD, EUR/USD) is "EUR/USD";
 * every other name is its own book.
 */
export function bookKeyOf(symbol: string): string {
  const m = /^([A-Z]{3})\/?([A-Z]{3})$/.exec(symbol);
  if (m === null) return symbol;
  if (symbol.length === 7 || (CURRENCIES.has(m[1]!) && CURRENCIES.has(m[2]!))) return `${m[1]}/${m[2]}`;
  return symbol;
}

/** Most books a simulator makes on demand (symbols not configured), so a stray client cannot exhaust memory. */
const MAX_SYMBOLS = 10_000;

const INSTRUMENT_STOP: ReadonlySet<number> = new Set([386, 813, 814, 10, 89, 93, 58, 354, 355]);
const MAX_CATCH_UP_STEPS = 1000;

function newCounters(): LpCounters {
  return {
    messagesIn: 0,
    messagesOut: 0,
    ordersReceived: 0,
    acks: 0,
    fills: 0,
    rejects: 0,
    cancels: 0,
    replaces: 0,
    cancelRejects: 0,
    expired: 0,
    statusReports: 0,
    mdSnapshots: 0,
    mdUpdates: 0,
    mdRejects: 0,
    quotes: 0,
    quoteRejects: 0,
    businessRejects: 0,
    effects: 0,
  };
}

/** Optional fields of an ExecutionReport the simulator sends. */
interface ReportExtra {
  origClOrdId?: string;
  lastQty?: number;
  lastPx?: number;
  text?: string;
  ordStatusReqId?: string | undefined;
  massStatusReqId?: string;
  totNumReports?: number;
  lastRptRequested?: boolean;
}

/** No optional fields (shared: a default `{}` would be a new object per report). */
const NO_EXTRA: ReportExtra = Object.freeze({});

/** What a call with nothing to send returns (frozen: shared by every such call). */
const NO_OUTPUT = Object.freeze([]) as unknown as LpOutput[];

/** The simulator. One instance serves every session of a `simulate-lp` process. */
export class LpSimulator {
  readonly config: LpConfig;
  readonly startMs: number;
  #behaviours: LpBehaviour[];
  #boundaries: number[];
  #rng: Prng;
  #symbols = new Map<string, SymbolState>();
  /** The values of `#symbols`, in the same order (fixed after construction). */
  #symbolList: SymbolState[] = [];

  /**
   * A symbol's state. A few symbols are compared in a loop: the name comes fresh from the wire, and
   * a Map lookup would first hash it (V8 does that slowly for a new string).
   */
  #symbol(name: string): SymbolState | undefined {
    const list = this.#symbolList;
    if (list.length > 16) return this.#symbols.get(name) ?? this.#aliases.get(name)?.st;
    for (let i = 0; i < list.length; i++) if (list[i]!.cfg.symbol === name) return list[i];
    return this.#aliases.size === 0 ? undefined : this.#aliases.get(name)?.st;
  }

  /**
   * The book of a symbol a client names, and the name to answer with (one string kept per name), making
   * a book for a new symbol unless `strictSymbols`; undefined: unknown (strict) or too many symbols.
   */
  #symbolFor(name: string): { st: SymbolState; name: string } | undefined {
    const list = this.#symbolList;
    if (list.length <= 16) {
      for (let i = 0; i < list.length; i++) {
        const st = list[i]!;
        if (st.cfg.symbol === name) return st.ref;
      }
    } else {
      const st = this.#symbols.get(name);
      if (st !== undefined) return st.ref;
    }
    const known = this.#aliases.get(name);
    if (known !== undefined) return known;
    const key = bookKeyOf(name);
    let st = this.#byKey.get(key);
    if (st === undefined) {
      if (this.config.strictSymbols || this.#symbols.size >= MAX_SYMBOLS || this.#symbols.has(key)) {
        return undefined;
      }
      st = this.#addSymbol({ ...this.config.otherSymbols, symbol: key });
      if (key === name) return st.ref;
    }
    const ref = { st, name };
    this.#aliases.set(name, ref);
    return ref;
  }

  /** Adds a book (at construction, or for a symbol first asked for). */
  #addSymbol(cfg: LpSymbolConfig): SymbolState {
    const decimals = tickDecimals(cfg.tickSize) ?? 10;
    const units = Math.round(cfg.tickSize * 10 ** decimals);
    const st = {
      cfg,
      decimals,
      scale: 10 ** decimals,
      units,
      priceText: new PriceText(units, decimals),
      process: new PriceProcess(cfg, createPrng(deriveSeed(this.config.seed, `price:${cfg.symbol}`))),
      book: new MatchingBook<LpOrder>(),
      intervalMs: cfg.updatesPerSecond > 0 ? 1000 / cfg.updatesPerSecond : 1000,
      nextStepMs: 0,
      dirty: false,
      trades: [],
      lastTrade: undefined,
    } as Omit<SymbolState, "ref"> as SymbolState;
    st.ref = { st, name: cfg.symbol };
    // A new book's clock starts with the simulator's: steps due in the past are caught up on the next timer.
    st.nextStepMs = this.#now + st.intervalMs;
    this.#stepsDueMs = Math.min(this.#stepsDueMs, st.nextStepMs);
    this.#symbols.set(cfg.symbol, st);
    if (!this.#byKey.has(bookKeyOf(cfg.symbol))) this.#byKey.set(bookKeyOf(cfg.symbol), st);
    this.#symbolList.push(st);
    this.#refresh(st);
    st.dirty = false;
    return st;
  }
  /** Books by bookKeyOf of their symbol. */
  #byKey = new Map<string, SymbolState>();
  /** Names clients used that are not a book's own symbol (EURUSD for EUR/USD). */
  #aliases = new Map<string, { st: SymbolState; name: string }>();
  #sessions = new Map<string, SessionState>();
  #subsBySymbol = new Map<string, Set<Subscription>>();
  #deferred: LpOrder[] = [];
  /** The earliest `nextStepMs` of the symbols (they move only in onTimer): nextTimerMs runs after every message. */
  #stepsDueMs = Infinity;
  /** Finished orders (and rejected ones) in the order they finished: forgotten from the front. */
  #doneQueue: {
    atMs: number;
    order: LpOrder | undefined;
    rejected?: { s: SessionState; clOrdId: string; fields: ExecutionReportFields };
  }[] = [];
  #doneHead = 0;
  #idPrefix: string;
  #orderSeq = 0;
  #execSeq = 0;
  #quoteSeq = 0;
  #deferSeq = 0;
  #counters = newCounters();
  #inRate = new RateMeter();
  #outRate = new RateMeter();
  /** Outputs of the call in progress (NO_OUTPUT until the first: see #output). */
  #out: LpOutput[] = NO_OUTPUT;
  #now = 0;
  #knobCache = new Map<string, Knobs>();
  /** Behaviour windows (boundaries) passed when `#knobCache` was filled: knobs only change at a boundary. */
  #knobWindow = 0;
  #lastTimerMs: number;
  #dayEndMinute: number | undefined;
  #lastDayMinute: number | undefined = undefined;
  #lastDayCheckMs = -Infinity;

  /**
   * `startMs` is the simulator's time zero: behaviour windows count from it, and generated IDs carry
   * it (in base 36) so IDs differ between runs.
   */
  constructor(config: LpConfig, startMs: number) {
    this.config = config;
    this.startMs = startMs;
    this.#behaviours = [...config.behaviours];
    this.#boundaries = windowBoundaries(this.#behaviours);
    this.#rng = createPrng(deriveSeed(config.seed, "behaviours"));
    this.#idPrefix = Math.floor(startMs).toString(36).toUpperCase();
    this.#lastTimerMs = startMs;
    this.#now = startMs;
    this.#dayEndMinute = parseHhMm(config.orders.dayEnd?.time ?? "00:00");
    for (const cfg of config.symbols) this.#addSymbol(cfg);
  }

  // ---------------------------------------------------------------- public API

  /** A session logged on: its counters restart and active behaviours take effect on it. */
  onLogon(sessionKey: string, clientCompId: string, nowMs: number): LpOutput[] {
    this.#begin(nowMs);
    const s = this.#session(sessionKey, clientCompId);
    s.clientCompId = clientCompId;
    s.loggedOn = true;
    s.inbound = 0;
    s.outbound = 0;
    s.seqResetsFired.clear();
    s.effects = { dropHeartbeats: false, silent: false, slowReaderMs: 0 };
    this.#syncEffects(s);
    return this.#end();
  }

  /** A session disconnected: its subscriptions end; with cancelOnDisconnect its orders are canceled. */
  onDisconnect(sessionKey: string, nowMs: number): LpOutput[] {
    this.#begin(nowMs);
    const s = this.#sessions.get(sessionKey);
    if (s !== undefined) {
      s.loggedOn = false;
      for (const sub of s.subs.values()) this.#dropSub(sub);
      s.subs.clear();
      if (this.config.orders.cancelOnDisconnect) {
        for (const o of [...s.open]) this.#cancelOrder(o, "Canceled on disconnect");
      }
    }
    return this.#end();
  }

  /** An inbound application message of a session (valid only during the call); admin messages are ignored. */
  onMessage(sessionKey: string, view: MessageView, nowMs: number): LpOutput[] {
    if (ADMIN_MSG_TYPES.has(view.msgType)) return []; // the session layer's business, not ours
    this.#begin(nowMs);
    const s = this.#sessions.get(sessionKey) ??
      this.#session(sessionKey, view.getString(Tag.SenderCompID) ?? "");
    if (!s.loggedOn) s.loggedOn = true;
    this.#counters.messagesIn++;
    this.#inRate.record(nowMs);
    s.inbound++;
    const k = this.#knobs(s);
    this.#syncEffects(s);
    switch (view.msgType) {
      case MsgType.NewOrderSingle:
        this.#onNewOrder(s, view, k);
        break;
      case MsgType.OrderCancelRequest:
        this.#onCancel(s, view);
        break;
      case MsgType.OrderCancelReplaceRequest:
        this.#onReplace(s, view);
        break;
      case MsgType.OrderStatusRequest:
        this.#onStatus(s, view);
        break;
      case MsgType.OrderMassStatusRequest:
        this.#onMassStatus(s, view);
        break;
      case MsgType.MarketDataRequest:
        this.#onMarketDataRequest(s, view);
        break;
      case MsgType.QuoteRequest:
        this.#onQuoteRequest(s, view);
        break;
      case MsgType.BusinessMessageReject:
        break; // the client rejected something of ours: nothing to answer
      default:
        this.#businessReject(s, view, 3, `MsgType ${view.msgType} is not supported by the simulator`);
    }
    let disconnect: string | undefined;
    if (k.disconnectAfterMessages !== undefined && s.inbound >= k.disconnectAfterMessages) {
      disconnect = `behaviour disconnectAfterMessages: ${s.inbound} messages received`;
    } else if (k.disconnectProbability > 0 && this.#rng.next() < k.disconnectProbability) {
      disconnect = "behaviour disconnectProbability";
    }
    if (disconnect !== undefined) {
      this.#publish(); // market data changed by this message goes out before the connection drops
      this.#effect(s.key, { kind: "disconnect", reason: disconnect });
      s.inbound = 0;
    }
    return this.#end();
  }

  /** Time passed: price steps, deferred matches, Day order expiry, behaviour windows opening and closing. */
  onTimer(nowMs: number): LpOutput[] {
    this.#begin(nowMs);
    for (const st of this.#symbols.values()) {
      if (nowMs < st.nextStepMs) continue;
      const steps = Math.floor((nowMs - st.nextStepMs) / st.intervalMs) + 1;
      if (st.cfg.updatesPerSecond > 0) {
        for (let i = 0; i < Math.min(steps, MAX_CATCH_UP_STEPS); i++) st.process.step(st.intervalMs);
      }
      st.nextStepMs += steps * st.intervalMs;
      this.#refresh(st);
    }
    this.#stepsDueMs = Infinity;
    for (const st of this.#symbols.values()) this.#stepsDueMs = Math.min(this.#stepsDueMs, st.nextStepMs);
    if (this.#deferred.length > 0) {
      const due = this.#deferred.filter((o) => o.deferredDueMs !== undefined && o.deferredDueMs <= nowMs);
      if (due.length > 0) {
        this.#deferred = this.#deferred.filter((o) => !due.includes(o));
        due.sort((a, b) => a.deferredDueMs! - b.deferredDueMs! || a.deferSeq - b.deferSeq);
        for (const o of due) {
          o.deferredDueMs = undefined;
          if (o.status === "new" || o.status === "partial") this.#execute(o);
        }
      }
    }
    this.#checkDayEnd(nowMs);
    const keepMs = this.config.orders.forgetDoneAfterMs;
    if (keepMs !== undefined) this.#forgetDone(nowMs - keepMs);
    for (const s of this.#sessions.values()) if (s.loggedOn) this.#syncEffects(s);
    this.#lastTimerMs = Math.max(this.#lastTimerMs, nowMs);
    return this.#end();
  }

  /** The next time `onTimer` has work, or undefined. */
  nextTimerMs(): number | undefined {
    let t = this.#stepsDueMs;
    const deferred = this.#deferred, boundaries = this.#boundaries;
    for (let i = 0; i < deferred.length; i++) {
      const due = deferred[i]!.deferredDueMs;
      if (due !== undefined) t = Math.min(t, due);
    }
    for (let i = 0; i < boundaries.length; i++) {
      const abs = this.startMs + boundaries[i]!;
      if (abs > this.#lastTimerMs) {
        t = Math.min(t, abs);
        break;
      }
    }
    return t === Infinity ? undefined : t;
  }

  /** Replaces the behaviours (e.g. from a control command); windows still count from `startMs`. */
  setBehaviours(list: readonly LpBehaviour[]): void {
    this.#behaviours = [...list];
    this.#boundaries = windowBoundaries(this.#behaviours);
    this.#knobCache.clear();
  }

  /** The behaviours in force. */
  behaviours(): readonly LpBehaviour[] {
    return this.#behaviours;
  }

  /** Counters, rates and sizes at `nowMs`. */
  stats(nowMs: number): LpStats {
    let open = 0, subs = 0;
    for (const s of this.#sessions.values()) {
      subs += s.subs.size;
      open += s.open.size;
    }
    return {
      ...this.#counters,
      messagesPerSecondIn: this.#inRate.perSecond(nowMs),
      messagesPerSecondOut: this.#outRate.perSecond(nowMs),
      openOrders: open,
      subscriptions: subs,
      sessions: this.#sessions.size,
    };
  }

  /** Symbols served. */
  symbols(): string[] {
    return [...this.#symbols.keys()];
  }

  /** Aggregated book levels of a symbol, best first (n = 0: all), prices formatted to the tick. */
  levels(symbol: string, side: "bid" | "offer", n = 0): { price: string; size: number }[] {
    const st = this.#symbol(symbol);
    if (st === undefined) return [];
    return st.book.levels(side, n).map((l) => ({ price: this.#fmt(st, l.priceTicks), size: l.size }));
  }

  /** Current mid price of the price process. */
  mid(symbol: string): number | undefined {
    const st = this.#symbol(symbol);
    return st === undefined ? undefined : (st.process.midTicks * st.units) / st.scale;
  }

  /** An order of a session by any of its ClOrdIDs. */
  order(sessionKey: string, clOrdId: string): LpOrderView | undefined {
    const o = this.#sessions.get(sessionKey)?.orders.get(clOrdId);
    if (o === undefined) return undefined;
    const st = this.#symbol(o.symbol)!;
    return {
      orderId: o.orderId,
      clOrdId: o.clOrdId,
      symbol: o.symbol,
      side: o.side,
      ordType: o.ordType,
      price: o.priceTicks === undefined ? undefined : this.#fmt(st, o.priceTicks),
      timeInForce: o.tif,
      orderQty: o.orderQty,
      cumQty: o.cumQty,
      leavesQty: this.#leaves(o),
      ordStatus: STATUS_CODE[o.status],
      resting: o.resting !== undefined,
      deferredUntilMs: o.deferredDueMs,
    };
  }

  // ---------------------------------------------------------------- plumbing

  #begin(nowMs: number): void {
    this.#now = nowMs;
    this.#out = NO_OUTPUT;
    // Knobs depend on time only through the behaviour windows: keep them while no boundary is crossed.
    const elapsedMs = nowMs - this.startMs;
    let window = 0;
    const boundaries = this.#boundaries;
    while (window < boundaries.length && boundaries[window]! <= elapsedMs) window++;
    if (window !== this.#knobWindow) {
      this.#knobWindow = window;
      this.#knobCache.clear();
    }
  }

  #end(): LpOutput[] {
    this.#publish();
    const out = this.#out;
    this.#out = NO_OUTPUT;
    return out;
  }

  #session(key: string, clientCompId: string): SessionState {
    let s = this.#sessions.get(key);
    if (s === undefined) {
      s = {
        key,
        clientCompId,
        loggedOn: true,
        orders: new IdMap(),
        open: new OpenList(),
        rejected: new Map(),
        inbound: 0,
        outbound: 0,
        subs: new Map(),
        effects: { dropHeartbeats: false, silent: false, slowReaderMs: 0 },
        seqResetsFired: new Set(),
      };
      this.#sessions.set(key, s);
    }
    return s;
  }

  #knobs(s: SessionState): Knobs {
    let k = this.#knobCache.get(s.key);
    if (k === undefined) {
      k = knobsAt(this.#behaviours, this.#now - this.startMs, s.clientCompId);
      this.#knobCache.set(s.key, k);
    }
    return k;
  }

  /** Emits the state effects whose wanted value differs from what the engine was last told. */
  #syncEffects(s: SessionState): void {
    if (!s.loggedOn) return;
    const k = this.#knobs(s);
    if (k.dropHeartbeats !== s.effects.dropHeartbeats) {
      s.effects.dropHeartbeats = k.dropHeartbeats;
      this.#effect(s.key, { kind: "drop-heartbeats", active: k.dropHeartbeats });
    }
    if (k.goSilent !== s.effects.silent) {
      s.effects.silent = k.goSilent;
      this.#effect(s.key, { kind: "silence", active: k.goSilent });
    }
    if (k.slowReaderMs !== s.effects.slowReaderMs) {
      s.effects.slowReaderMs = k.slowReaderMs;
      this.#effect(s.key, { kind: "slow-reader", delayMs: k.slowReaderMs });
    }
    for (const r of k.sequenceResets) {
      if (s.seqResetsFired.has(r.index)) continue;
      s.seqResetsFired.add(r.index);
      this.#effect(s.key, { kind: "sequence-reset", jump: r.jump });
    }
  }

  #effect(sessionKey: string, effect: LpEffect): void {
    this.#counters.effects++;
    this.#output({ sessionKey, effect, dueMs: this.#now });
  }

  /** Adds an output; the first of a call makes a one-element array (most calls have one output). */
  #output(o: LpOutput): void {
    if (this.#out === NO_OUTPUT) this.#out = [o];
    else this.#out.push(o);
  }

  /** Queues a message; a skip-seq behaviour may put a gap before it. */
  #emit(sessionKey: string, message: FixMessage): void {
    const s = this.#sessions.get(sessionKey);
    if (s !== undefined && s.loggedOn) {
      s.outbound++;
      const sk = this.#knobs(s).skipSeqNums;
      if (sk !== undefined) {
        const every = sk.everyMessages !== undefined && s.outbound % sk.everyMessages === 0;
        const random = sk.probability !== undefined && sk.probability > 0 &&
          this.#rng.next() < sk.probability;
        if (every || random) this.#effect(sessionKey, { kind: "skip-seq", count: sk.count });
      }
    }
    this.#counters.messagesOut++;
    this.#outRate.record(this.#now);
    this.#output({ sessionKey, message, dueMs: this.#now });
  }

  #businessReject(s: SessionState, view: MessageView, reason: number, text: string, refId?: string): void {
    this.#counters.businessRejects++;
    const seq = view.seqNum;
    this.#emit(
      s.key,
      businessMessageReject({
        refSeqNum: seq > 0 ? seq : undefined,
        refMsgType: view.msgType,
        businessRejectRefId: refId,
        reason,
        text,
      }),
    );
  }

  #fmt(st: SymbolState, ticks: number): string {
    return st.priceText.of(ticks);
  }

  /** AvgPx exactly when the average is a whole number of price units, else with 6 more decimals. */
  #fmtAvg(st: SymbolState, o: LpOrder): string | number {
    if (o.cumQty === 0) return 0;
    const scaled = (o.notionalTicks * st.units) / o.cumQty;
    if (Number.isInteger(scaled)) return formatScaled(scaled, st.decimals);
    return (scaled / st.scale).toFixed(st.decimals + 6).replace(/0+$/, "");
  }

  /** Price in ticks, or a reason it is not a usable price. */
  #toTicks(st: SymbolState, px: number): number | string {
    if (!(px > 0)) return `Price ${px} must be > 0`;
    const t = (px * st.scale) / st.units;
    const r = Math.round(t);
    if (Math.abs(t - r) > 1e-6) return `Price ${px} is not a multiple of the tick size ${st.cfg.tickSize}`;
    return r;
  }

  #leaves(o: LpOrder): number {
    return o.status === "new" || o.status === "partial" ? o.orderQty - o.cumQty : 0;
  }

  #report(o: LpOrder, execType: string, extra: ReportExtra = NO_EXTRA): void {
    const st = this.#symbol(o.symbol)!;
    this.#emit(
      o.sessionKey,
      executionReportOf({
        orderId: o.orderId,
        clOrdId: o.clOrdId,
        origClOrdId: extra.origClOrdId,
        ordStatusReqId: extra.ordStatusReqId,
        massStatusReqId: extra.massStatusReqId,
        totNumReports: extra.totNumReports,
        lastRptRequested: extra.lastRptRequested,
        execId: this.#nextExecId(),
        execType,
        ordStatus: STATUS_CODE[o.status],
        symbol: o.symbol,
        side: o.sideCode,
        orderQty: o.orderQty,
        ordType: o.ordTypeCode,
        price: o.priceTicks === undefined ? undefined : this.#fmt(st, o.priceTicks),
        timeInForce: o.tifCode,
        lastQty: extra.lastQty,
        lastPx: extra.lastPx === undefined ? undefined : this.#fmt(st, extra.lastPx),
        leavesQty: this.#leaves(o),
        cumQty: o.cumQty,
        avgPx: this.#fmtAvg(st, o),
        transactTimeMs: this.#now,
        text: extra.text,
      }),
    );
  }

  #nextExecId(): string {
    return `${this.#idPrefix}-E${++this.#execSeq}`;
  }

  #nextOrderId(): string {
    return `${this.#idPrefix}-O${++this.#orderSeq}`;
  }

  // ---------------------------------------------------------------- orders

  /** ExecutionReport 150=8 for an order that is not taken. */
  #rejectOrder(
    s: SessionState,
    clOrdId: string,
    symbol: string,
    sideCode: string,
    view: FieldReader,
    ordRejReason: number,
    text: string,
    keep = true,
  ): void {
    this.#counters.rejects++;
    const fields: ExecutionReportFields = {
      orderId: this.#nextOrderId(),
      clOrdId,
      execId: this.#nextExecId(),
      execType: "8",
      ordStatus: "8",
      ordRejReason,
      symbol,
      side: sideCode,
      orderQty: view.getString(Tag.OrderQty),
      ordType: view.getString(Tag.OrdType),
      price: view.getString(Tag.Price),
      timeInForce: view.getString(Tag.TimeInForce),
      leavesQty: 0,
      cumQty: 0,
      avgPx: 0,
      transactTimeMs: this.#now,
      text,
    };
    // Kept for the trading day (a status request gets its OrderID and state), unless it repeats a ClOrdID.
    if (keep) {
      s.rejected.set(clOrdId, fields);
      this.#doneQueue.push({ atMs: this.#now, order: undefined, rejected: { s, clOrdId, fields } });
    }
    this.#emit(s.key, executionReportOf({ ...fields }));
  }

  /** A status report (150=I) of a rejected order, from the fields of its reject. */
  #reportRejected(s: SessionState, f: ExecutionReportFields, extra: ReportExtra): void {
    this.#emit(
      s.key,
      executionReportOf({
        ...f,
        ordRejReason: undefined,
        ordStatusReqId: extra.ordStatusReqId,
        execId: this.#nextExecId(),
        execType: "I",
        transactTimeMs: this.#now,
        text: extra.text ?? f.text,
      }),
    );
  }

  #onNewOrder(s: SessionState, view: MessageView, k: Knobs): void {
    const clOrdId = view.getString(Tag.ClOrdID);
    const symbol = view.getString(Tag.Symbol);
    const sideCode = view.getString(Tag.Side);
    if (clOrdId === undefined || symbol === undefined || sideCode === undefined) {
      const missing = clOrdId === undefined
        ? "ClOrdID (11)"
        : symbol === undefined
        ? "Symbol (55)"
        : "Side (54)";
      this.#businessReject(s, view, 5, `${missing} missing`, clOrdId);
      return;
    }
    this.#counters.ordersReceived++;
    const reject = (code: number, text: string) =>
      this.#rejectOrder(s, clOrdId, symbol, sideCode, view, code, text);
    const existing = s.orders.get(clOrdId);
    const rejected = existing === undefined && s.rejected.size > 0 ? s.rejected.get(clOrdId) : undefined;
    if (existing !== undefined || rejected !== undefined) {
      // A resent order (PossDup) we already have: answer with its status rather than a duplicate reject.
      if (view.getBoolean(Tag.PossDupFlag) === true) {
        this.#counters.statusReports++;
        const text = "PossDup order already received";
        if (existing !== undefined) this.#report(existing, "I", { text });
        else this.#reportRejected(s, rejected!, { text });
      } else this.#rejectOrder(s, clOrdId, symbol, sideCode, view, 6, `Duplicate ClOrdID ${clOrdId}`, false);
      return;
    }
    const side = sideOf(sideCode);
    if (side === undefined) return reject(11, `Side ${sideCode} not supported (1 buy, 2 sell)`);
    const ref = this.#symbolFor(symbol);
    if (ref === undefined) {
      return reject(
        1,
        this.config.strictSymbols ? `Unknown symbol ${symbol}` : `Unknown symbol ${symbol}: too many symbols`,
      );
    }
    const st = ref.st;
    const qty = view.getFloat(Tag.OrderQty);
    if (qty === undefined) return reject(13, "OrderQty (38) missing or malformed");
    if (!(Number.isInteger(qty) && qty > 0)) {
      return reject(13, `OrderQty must be a whole number > 0 (got ${qty})`);
    }
    const ordTypeCode = view.getString(Tag.OrdType);
    const ordType = ordTypeOf(ordTypeCode);
    if (ordType === undefined) {
      return reject(
        11,
        ordTypeCode === undefined
          ? "OrdType (40) missing"
          : `OrdType ${ordTypeCode} not supported (1 market, 2 limit)`,
      );
    }
    const tifCode = view.getString(Tag.TimeInForce);
    const tif = timeInForceOf(tifCode);
    if (tif === undefined) {
      return reject(11, `TimeInForce ${tifCode} not supported (0 day, 1 GTC, 3 IOC, 4 FOK)`);
    }
    let priceTicks: number | undefined;
    if (ordType === "limit") {
      const px = view.getFloat(Tag.Price);
      if (px === undefined) {
        return reject(99, "Price (44) required for a limit order");
      }
      const t = this.#toTicks(st, px);
      if (typeof t === "string") return reject(99, t);
      priceTicks = t;
    }
    if (k.rejectFraction > 0 && this.#rng.next() < k.rejectFraction) return reject(0, k.rejectReason);
    const o: LpOrder = {
      orderId: this.#nextOrderId(),
      sessionKey: s.key,
      clOrdId,
      symbol: ref.name, // the client's name, one string kept per name (not this message's copy)
      side,
      sideCode,
      ordType,
      ordTypeCode: ordTypeCode!,
      priceTicks,
      tif,
      tifCode: tifCode ?? "0",
      orderQty: qty,
      cumQty: 0,
      notionalTicks: 0,
      status: "new",
      resting: undefined,
      deferredDueMs: undefined,
      deferSeq: 0,
      priorIds: undefined,
      openPrev: undefined,
      openNext: undefined,
      inOpen: false,
    };
    s.orders.set(clOrdId, o);
    s.open.add(o);
    this.#counters.acks++;
    this.#report(o, "0");
    const latency = sampleLatency(k.fillLatencyMs, this.#rng);
    if (latency > 0) this.#defer(o, latency);
    else this.#execute(o);
  }

  #defer(o: LpOrder, delayMs: number): void {
    o.deferredDueMs = this.#now + delayMs;
    o.deferSeq = ++this.#deferSeq;
    this.#deferred.push(o);
  }

  /** Matches an order (new, deferred or replaced) and rests, defers or cancels what is left. */
  #execute(o: LpOrder): void {
    const st = this.#symbol(o.symbol)!;
    const s = this.#sessions.get(o.sessionKey);
    const k = s !== undefined ? this.#knobs(s) : knobsAt([], 0, "");
    if (k.ackOnly) return; // acknowledged and left working: never matched, never in the book
    const leaves = o.orderQty - o.cumQty;
    if (leaves <= 0) return;
    if (o.tif === "fok" && st.book.available(o.side, o.priceTicks, leaves) < leaves) {
      this.#cancelOrder(o, "FOK order could not be filled in full");
      return;
    }
    let cap = leaves;
    const partial = o.tif !== "fok" && leaves >= 2 && k.partialFillProbability > 0 &&
      this.#rng.next() < k.partialFillProbability;
    if (partial) cap = Math.max(1, Math.min(leaves - 1, Math.floor(leaves * uniform(this.#rng, 0.2, 0.8))));
    const filled = st.book.match(o.side, o.priceTicks, cap, (maker, q, px) => {
      this.#fill(o, q, px);
      if (maker.owner !== undefined) {
        if (maker.qty === 0) maker.owner.resting = undefined;
        this.#fill(maker.owner, q, px);
      }
      this.#trade(st, q, px);
    });
    const remaining = leaves - filled;
    if (remaining <= 0) return;
    if (o.tif === "ioc" || o.ordType === "market") {
      this.#cancelOrder(
        o,
        o.ordType === "market"
          ? "Market order remainder canceled: no more liquidity"
          : "IOC remainder canceled",
      );
      return;
    }
    if (partial && filled === cap) {
      // The rest fills later: not in the book meanwhile, so the book never shows a crossed order.
      const later = sampleLatency(k.fillLatencyMs, this.#rng);
      this.#defer(o, later > 0 ? later : Math.max(1, Math.round(st.intervalMs)));
      return;
    }
    o.resting = { seq: st.book.nextSeq(), side: o.side, priceTicks: o.priceTicks!, qty: remaining, owner: o };
    st.book.add(o.resting);
    st.dirty = true;
  }

  #fill(o: LpOrder, qty: number, priceTicks: number): void {
    o.cumQty += qty;
    o.notionalTicks += qty * priceTicks;
    o.status = o.cumQty >= o.orderQty ? "filled" : "partial";
    if (o.status === "filled") this.#done(o);
    this.#counters.fills++;
    this.#report(o, "F", { lastQty: qty, lastPx: priceTicks });
  }

  #trade(st: SymbolState, qty: number, priceTicks: number): void {
    st.trades.push({ priceTicks, qty });
    st.lastTrade = { priceTicks, qty };
    st.dirty = true;
  }

  /** An order finished: it leaves the open set and will be forgotten after `forgetDoneAfterMs`. */
  #done(o: LpOrder): void {
    this.#sessions.get(o.sessionKey)?.open.delete(o);
    this.#doneQueue.push({ atMs: this.#now, order: o });
  }

  /**
   * Forgets finished and rejected orders that finished by `beforeMs` (all of them when the trading day
   * ends; past `forgetDoneAfterMs` when that is set), so a long run does not grow without bound.
   */
  #forgetDone(beforeMs: number): void {
    const q = this.#doneQueue;
    while (this.#doneHead < q.length && q[this.#doneHead]!.atMs <= beforeMs) {
      const e = q[this.#doneHead++]!;
      const r = e.rejected;
      if (r !== undefined && r.s.rejected.get(r.clOrdId) === r.fields) r.s.rejected.delete(r.clOrdId);
      const o = e.order;
      if (o === undefined) continue;
      const s = this.#sessions.get(o.sessionKey);
      if (s !== undefined) {
        if (s.orders.get(o.clOrdId) === o) s.orders.delete(o.clOrdId);
        if (o.priorIds !== undefined) {
          for (const id of o.priorIds) if (s.orders.get(id) === o) s.orders.delete(id);
        }
      }
    }
    if (this.#doneHead > 1024 && this.#doneHead * 2 > q.length) {
      this.#doneQueue = q.slice(this.#doneHead);
      this.#doneHead = 0;
    }
  }

  /** Takes an order off the book and the deferred list. */
  #unbook(o: LpOrder): void {
    const st = this.#symbol(o.symbol)!;
    if (o.resting !== undefined) {
      st.book.remove(o.resting);
      o.resting = undefined;
      st.dirty = true;
    }
    if (o.deferredDueMs !== undefined) {
      o.deferredDueMs = undefined;
      this.#deferred = this.#deferred.filter((d) => d !== o);
    }
  }

  /** Cancels an order on the simulator's own account (IOC/FOK/market remainders, disconnect). */
  #cancelOrder(o: LpOrder, text: string): void {
    this.#unbook(o);
    o.status = "canceled";
    this.#done(o);
    this.#counters.cancels++;
    this.#report(o, "4", { text });
  }

  #cancelReject(
    s: SessionState,
    responseTo: "1" | "2",
    clOrdId: string,
    origClOrdId: string,
    o: LpOrder | undefined,
    reason: number,
    text: string,
  ): void {
    this.#counters.cancelRejects++;
    this.#emit(
      s.key,
      orderCancelReject({
        orderId: o?.orderId ?? "NONE",
        clOrdId,
        origClOrdId,
        ordStatus: o === undefined ? "8" : STATUS_CODE[o.status],
        transactTimeMs: this.#now,
        cxlRejResponseTo: responseTo,
        cxlRejReason: reason,
        text,
      }),
    );
  }

  /** The order a cancel or replace refers to, or the reject already sent. */
  #target(
    s: SessionState,
    view: MessageView,
    responseTo: "1" | "2",
  ): { o: LpOrder; clOrdId: string; orig: string } | undefined {
    const clOrdId = view.getString(Tag.ClOrdID);
    const orig = view.getString(Tag.OrigClOrdID);
    if (clOrdId === undefined || orig === undefined) {
      this.#businessReject(
        s,
        view,
        5,
        `${clOrdId === undefined ? "ClOrdID (11)" : "OrigClOrdID (41)"} missing`,
        clOrdId,
      );
      return undefined;
    }
    const what = responseTo === "1" ? "cancel" : "replace";
    const o = s.orders.get(orig);
    if (o === undefined) {
      const rejected = s.rejected.size > 0 ? s.rejected.get(orig) : undefined;
      if (rejected !== undefined) {
        this.#counters.cancelRejects++;
        this.#emit(
          s.key,
          orderCancelReject({
            orderId: rejected.orderId,
            clOrdId,
            origClOrdId: orig,
            ordStatus: "8",
            transactTimeMs: this.#now,
            cxlRejResponseTo: responseTo,
            cxlRejReason: 0,
            text: `Too late to ${what}: order was rejected`,
          }),
        );
      } else this.#cancelReject(s, responseTo, clOrdId, orig, undefined, 1, `Unknown order ${orig}`);
      return undefined;
    }
    if (s.orders.has(clOrdId) || (s.rejected.size > 0 && s.rejected.has(clOrdId))) {
      this.#cancelReject(s, responseTo, clOrdId, orig, o, 6, `Duplicate ClOrdID ${clOrdId}`);
      return undefined;
    }
    if (o.status !== "new" && o.status !== "partial") {
      const state = o.status === "filled" ? "filled" : o.status === "expired" ? "expired" : "canceled";
      this.#cancelReject(s, responseTo, clOrdId, orig, o, 0, `Too late to ${what}: order is ${state}`);
      return undefined;
    }
    if (orig !== o.clOrdId) {
      this.#cancelReject(
        s,
        responseTo,
        clOrdId,
        orig,
        o,
        99,
        `OrigClOrdID ${orig} was replaced: the order is now ${o.clOrdId}`,
      );
      return undefined;
    }
    const side = view.getString(Tag.Side);
    if (side !== undefined && side !== o.sideCode) {
      this.#cancelReject(
        s,
        responseTo,
        clOrdId,
        orig,
        o,
        99,
        `Side ${side} differs from the order's ${o.sideCode}`,
      );
      return undefined;
    }
    const symbol = view.getString(Tag.Symbol);
    if (symbol !== undefined && symbol !== o.symbol && this.#symbol(symbol) !== this.#symbol(o.symbol)) {
      this.#cancelReject(
        s,
        responseTo,
        clOrdId,
        orig,
        o,
        99,
        `Symbol ${symbol} differs from the order's ${o.symbol}`,
      );
      return undefined;
    }
    return { o, clOrdId, orig };
  }

  #onCancel(s: SessionState, view: MessageView): void {
    const t = this.#target(s, view, "1");
    if (t === undefined) return;
    const { o, clOrdId, orig } = t;
    this.#unbook(o);
    o.status = "canceled";
    (o.priorIds ??= []).push(o.clOrdId);
    o.clOrdId = clOrdId;
    s.orders.set(clOrdId, o);
    this.#done(o);
    this.#counters.cancels++;
    this.#report(o, "4", { origClOrdId: orig });
  }

  #onReplace(s: SessionState, view: MessageView): void {
    const t = this.#target(s, view, "2");
    if (t === undefined) return;
    const { o, clOrdId, orig } = t;
    const st = this.#symbol(o.symbol)!;
    const rej = (text: string) => this.#cancelReject(s, "2", clOrdId, orig, o, 99, text);
    const qtyRaw = view.getFloat(Tag.OrderQty);
    const qty = qtyRaw ?? o.orderQty;
    if (!(Number.isInteger(qty) && qty > 0)) return rej(`OrderQty must be a whole number > 0 (got ${qty})`);
    if (qty < o.cumQty) return rej(`OrderQty ${qty} is below CumQty ${o.cumQty}`);
    const ordTypeCode = view.getString(Tag.OrdType);
    if (ordTypeCode !== undefined && ordTypeCode !== o.ordTypeCode) {
      return rej(`OrdType cannot change (from ${o.ordTypeCode} to ${ordTypeCode})`);
    }
    const tifCode = view.getString(Tag.TimeInForce);
    const tif = tifCode === undefined ? o.tif : timeInForceOf(tifCode);
    if (tif === undefined) return rej(`TimeInForce ${tifCode} not supported (0 day, 1 GTC, 3 IOC, 4 FOK)`);
    let priceTicks = o.priceTicks;
    const px = view.getFloat(Tag.Price);
    if (o.ordType === "limit" && px !== undefined) {
      const tk = this.#toTicks(st, px);
      if (typeof tk === "string") return rej(tk);
      priceTicks = tk;
    }
    const wasResting = o.resting !== undefined;
    const losesPriority = priceTicks !== o.priceTicks || qty > o.orderQty || tif !== o.tif;
    o.orderQty = qty;
    o.priceTicks = priceTicks;
    o.tif = tif;
    if (tifCode !== undefined) o.tifCode = tifCode;
    (o.priorIds ??= []).push(o.clOrdId);
    o.clOrdId = clOrdId;
    s.orders.set(clOrdId, o);
    this.#counters.replaces++;
    if (o.cumQty >= o.orderQty) {
      this.#unbook(o);
      o.status = "filled";
      this.#done(o);
    } else if (wasResting && !losesPriority) {
      o.resting!.qty = o.orderQty - o.cumQty; // a smaller order keeps its place
      st.dirty = true;
    }
    this.#report(o, "5", { origClOrdId: orig });
    if (wasResting && losesPriority && o.status !== "filled") {
      this.#unbook(o);
      this.#execute(o); // the new price may cross; whatever is left rests at the back of its level
    }
  }

  #onStatus(s: SessionState, view: MessageView): void {
    const clOrdId = view.getString(Tag.ClOrdID);
    const reqId = view.getString(AppTag.OrdStatusReqID);
    if (clOrdId === undefined) return this.#businessReject(s, view, 5, "ClOrdID (11) missing");
    this.#counters.statusReports++;
    const o = s.orders.get(clOrdId);
    if (o !== undefined) {
      // Its identifiers now: OrderID, the ClOrdID in force and (after a replace or cancel) the one before.
      const prior = o.priorIds?.at(-1);
      return this.#report(
        o,
        "I",
        prior === undefined ? { ordStatusReqId: reqId } : {
          ordStatusReqId: reqId,
          origClOrdId: prior,
        },
      );
    }
    const rejected = s.rejected.size > 0 ? s.rejected.get(clOrdId) : undefined;
    if (rejected !== undefined) return this.#reportRejected(s, rejected, { ordStatusReqId: reqId });
    this.#emit(
      s.key,
      executionReportOf({
        orderId: "NONE",
        clOrdId,
        ordStatusReqId: reqId,
        execId: this.#nextExecId(),
        execType: "I",
        ordStatus: "8",
        symbol: view.getString(Tag.Symbol) ?? "[N/A]",
        side: view.getString(Tag.Side) ?? "1",
        leavesQty: 0,
        cumQty: 0,
        avgPx: 0,
        transactTimeMs: this.#now,
        text: `Unknown order ${clOrdId}`,
      }),
    );
  }

  #onMassStatus(s: SessionState, view: MessageView): void {
    const id = view.getString(Tag.MassStatusReqID);
    const type = view.getInt(Tag.MassStatusReqType);
    if (id === undefined) return this.#businessReject(s, view, 5, "MassStatusReqID (584) missing");
    const symbol = view.getString(Tag.Symbol);
    if (type !== 7 && type !== 1) {
      return this.#businessReject(
        s,
        view,
        0,
        `MassStatusReqType ${type ?? "(missing)"} not supported (1 security, 7 all)`,
        id,
      );
    }
    if (type === 1 && symbol === undefined) {
      return this.#businessReject(s, view, 5, "Symbol (55) required with MassStatusReqType 1", id);
    }
    const book = symbol === undefined ? undefined : this.#symbol(symbol);
    const open = [...s.open].filter((o) =>
      type === 7 || o.symbol === symbol || (book !== undefined && this.#symbol(o.symbol) === book)
    );
    open.forEach((o, i) => {
      this.#counters.statusReports++;
      this.#report(o, "I", {
        massStatusReqId: id,
        totNumReports: open.length,
        lastRptRequested: i === open.length - 1,
      });
    });
  }

  // ---------------------------------------------------------------- market data and quotes

  #mdReject(s: SessionState, mdReqId: string, reason: string | undefined, text: string): void {
    this.#counters.mdRejects++;
    this.#emit(s.key, marketDataRequestReject({ mdReqId, reason, text }));
  }

  #onMarketDataRequest(s: SessionState, view: MessageView): void {
    const mdReqId = view.getString(Tag.MDReqID);
    if (mdReqId === undefined) return this.#businessReject(s, view, 5, "MDReqID (262) missing");
    const type = view.getString(Tag.SubscriptionRequestType);
    if (type === "2") {
      const sub = s.subs.get(mdReqId);
      if (sub === undefined) {
        return this.#mdReject(s, mdReqId, undefined, `Unknown MDReqID ${mdReqId}: nothing to unsubscribe`);
      }
      this.#dropSub(sub);
      s.subs.delete(mdReqId);
      return;
    }
    if (type !== "0" && type !== "1") {
      return this.#mdReject(
        s,
        mdReqId,
        "4",
        `SubscriptionRequestType ${type ?? "(missing)"} not supported (0, 1, 2)`,
      );
    }
    const depth = view.getInt(Tag.MarketDepth);
    if (depth === undefined || depth < 0) {
      return this.#mdReject(
        s,
        mdReqId,
        "5",
        `MarketDepth ${view.getString(Tag.MarketDepth) ?? "(missing)"} not supported`,
      );
    }
    const upd = view.getString(Tag.MDUpdateType);
    if (upd !== undefined && upd !== "0" && upd !== "1") {
      return this.#mdReject(s, mdReqId, "6", `MDUpdateType ${upd} not supported`);
    }
    const types = splitGroup(view, Tag.NoMDEntryTypes, Tag.MDEntryType, new Set([Tag.NoRelatedSym, 10]))
      .map((e) => e.getString(Tag.MDEntryType) ?? "");
    if (types.length === 0) return this.#mdReject(s, mdReqId, "8", "NoMDEntryTypes (267) missing");
    const badType = types.find((t) => t !== "0" && t !== "1" && t !== "2");
    if (badType !== undefined) {
      return this.#mdReject(s, mdReqId, "8", `MDEntryType ${badType} not supported (0, 1, 2)`);
    }
    const symbols = splitGroup(view, Tag.NoRelatedSym, Tag.Symbol, INSTRUMENT_STOP).map((e) =>
      e.getString(Tag.Symbol)!
    );
    if (symbols.length === 0) return this.#businessReject(s, view, 5, "NoRelatedSym (146) missing", mdReqId);
    const unknown = symbols.find((x) => this.#symbolFor(x) === undefined);
    if (unknown !== undefined) return this.#mdReject(s, mdReqId, "0", `Unknown symbol ${unknown}`);
    // Books by their own symbol; the names the client used where they differ (EURUSD for EUR/USD).
    let names: Map<string, string> | undefined;
    for (let i = 0; i < symbols.length; i++) {
      const ref = this.#symbolFor(symbols[i]!)!;
      if (ref.name !== ref.st.cfg.symbol) (names ??= new Map()).set(ref.st.cfg.symbol, ref.name);
      symbols[i] = ref.st.cfg.symbol;
    }
    if (type === "1" && s.subs.has(mdReqId)) {
      return this.#mdReject(s, mdReqId, "1", `Duplicate MDReqID ${mdReqId}`);
    }
    const sub: Subscription = {
      mdReqId,
      sessionKey: s.key,
      symbols,
      depth,
      bid: types.includes("0"),
      offer: types.includes("1"),
      trade: types.includes("2"),
      full: upd === "0",
      last: new Map(),
      rptSeq: new Map(),
      names,
    };
    for (const symbol of symbols) {
      const st = this.#symbol(symbol)!;
      const cur = this.#current(st, sub);
      this.#counters.mdSnapshots++;
      this.#emit(s.key, this.#snapshot(st, sub, cur, type === "1"));
      if (type === "1") {
        sub.last.set(symbol, cur);
        sub.rptSeq.set(symbol, 0);
      }
    }
    if (type === "1") {
      s.subs.set(mdReqId, sub);
      for (const symbol of symbols) {
        let set = this.#subsBySymbol.get(symbol);
        if (set === undefined) this.#subsBySymbol.set(symbol, set = new Set());
        set.add(sub);
      }
    }
  }

  #dropSub(sub: Subscription): void {
    for (const symbol of sub.symbols) this.#subsBySymbol.get(symbol)?.delete(sub);
  }

  /** The levels a subscription sees now. */
  #current(st: SymbolState, sub: Subscription): SideLevels {
    const toMap = (side: "bid" | "offer") =>
      new Map(st.book.levels(side, sub.depth).map((l) => [l.priceTicks, l.size] as [number, number]));
    return { bids: sub.bid ? toMap("bid") : new Map(), offers: sub.offer ? toMap("offer") : new Map() };
  }

  #snapshot(st: SymbolState, sub: Subscription, cur: SideLevels, streaming: boolean): FixMessage {
    const entries: SnapshotEntryFields[] = [];
    for (const [px, size] of cur.bids) entries.push({ type: "0", px: this.#fmt(st, px), size });
    for (const [px, size] of cur.offers) entries.push({ type: "1", px: this.#fmt(st, px), size });
    if (sub.trade && st.lastTrade !== undefined) {
      entries.push({ type: "2", px: this.#fmt(st, st.lastTrade.priceTicks), size: st.lastTrade.qty });
    }
    const rptSeq = streaming && this.config.marketData.rptSeq
      ? sub.rptSeq.get(st.cfg.symbol) ?? 0
      : undefined;
    const symbol = sub.names?.get(st.cfg.symbol) ?? st.cfg.symbol;
    return marketDataSnapshot({ mdReqId: sub.mdReqId, symbol, rptSeq, entries });
  }

  /** Sends what changed in every dirty symbol to its subscribers. */
  #publish(): void {
    // Runs after every message: an index loop over a list, not a Map iterator (one allocation per call).
    const list = this.#symbolList;
    for (let i = 0; i < list.length; i++) {
      const st = list[i]!;
      if (!st.dirty) continue;
      st.dirty = false;
      const subs = this.#subsBySymbol.get(st.cfg.symbol);
      const trades = st.trades;
      st.trades = [];
      if (subs === undefined || subs.size === 0) continue;
      const symbol = st.cfg.symbol;
      for (const sub of subs) {
        const last = sub.last.get(symbol) ?? { bids: new Map(), offers: new Map() };
        const cur = this.#current(st, sub);
        if (sub.full) {
          if (!sameLevels(last, cur) || (sub.trade && trades.length > 0)) {
            this.#counters.mdUpdates++;
            this.#emit(sub.sessionKey, this.#snapshot(st, sub, cur, false));
          }
          sub.last.set(symbol, cur);
          continue;
        }
        const entries: IncrementalEntryFields[] = [];
        const name = sub.names?.get(symbol) ?? symbol;
        const add = (action: string, type: string, px: number, size: number | undefined) => {
          const e: IncrementalEntryFields = { action, type, symbol: name, px: this.#fmt(st, px), size };
          if (this.config.marketData.rptSeq) {
            const n = (sub.rptSeq.get(symbol) ?? 0) + 1;
            sub.rptSeq.set(symbol, n);
            e.rptSeq = n;
          }
          entries.push(e);
        };
        const sides: [Map<number, number>, Map<number, number>, string][] = [
          [last.bids, cur.bids, "0"],
          [last.offers, cur.offers, "1"],
        ];
        for (const [was, now, type] of sides) {
          for (const px of was.keys()) if (!now.has(px)) add("2", type, px, undefined);
        }
        for (const [was, now, type] of sides) {
          for (const [px, size] of now) if (was.has(px) && was.get(px) !== size) add("1", type, px, size);
        }
        for (const [was, now, type] of sides) {
          for (const [px, size] of now) if (!was.has(px)) add("0", type, px, size);
        }
        if (sub.trade) { for (const t of trades) add("0", "2", t.priceTicks, t.qty); }
        sub.last.set(symbol, cur);
        if (entries.length > 0) {
          this.#counters.mdUpdates++;
          this.#emit(sub.sessionKey, marketDataIncremental({ mdReqId: sub.mdReqId, entries }));
        }
      }
    }
  }

  /** New simulated liquidity around the current price; resting client orders it crosses trade first. */
  #refresh(st: SymbolState): void {
    st.book.removeSimulated();
    const { bids, offers } = st.process.levels();
    const place = (side: Side, priceTicks: number, size: number) => {
      const filled = st.book.match(side, priceTicks, size, (maker, q, px) => {
        if (maker.owner !== undefined) {
          if (maker.qty === 0) maker.owner.resting = undefined;
          this.#fill(maker.owner, q, px);
        }
        this.#trade(st, q, px);
      });
      if (size - filled > 0) {
        st.book.add({ seq: st.book.nextSeq(), side, priceTicks, qty: size - filled, owner: undefined });
      }
    };
    for (const l of bids) place("buy", l.priceTicks, l.size);
    for (const l of offers) place("sell", l.priceTicks, l.size);
    st.dirty = true;
  }

  #onQuoteRequest(s: SessionState, view: MessageView): void {
    const quoteReqId = view.getString(Tag.QuoteReqID);
    if (quoteReqId === undefined) return this.#businessReject(s, view, 5, "QuoteReqID (131) missing");
    const entries = splitGroup(view, Tag.NoRelatedSym, Tag.Symbol, INSTRUMENT_STOP);
    if (entries.length === 0) {
      return this.#businessReject(s, view, 5, "NoRelatedSym (146) missing", quoteReqId);
    }
    for (const e of entries) {
      const symbol = e.getString(Tag.Symbol)!;
      const st = this.#symbolFor(symbol)?.st;
      if (st === undefined) {
        this.#counters.quoteRejects++;
        this.#emit(
          s.key,
          quoteRequestReject({ quoteReqId, reason: 1, symbol, text: `Unknown symbol ${symbol}` }),
        );
        continue;
      }
      const qty = e.getFloat(Tag.OrderQty);
      const side = e.getString(Tag.Side);
      const bestBid = st.book.levels("bid", 1)[0];
      const bestOffer = st.book.levels("offer", 1)[0];
      // A client who buys needs an offer, one who sells a bid; a sized request is priced by sweeping the book.
      const bidTicks = side === "1"
        ? undefined
        : qty !== undefined
        ? st.book.sweepPrice("sell", qty)
        : bestBid?.priceTicks;
      const offerTicks = side === "2"
        ? undefined
        : qty !== undefined
        ? st.book.sweepPrice("buy", qty)
        : bestOffer?.priceTicks;
      this.#counters.quotes++;
      this.#emit(
        s.key,
        quote({
          quoteReqId,
          quoteId: `${this.#idPrefix}-Q${++this.#quoteSeq}`,
          symbol,
          bidPx: bidTicks === undefined ? undefined : this.#fmt(st, bidTicks),
          offerPx: offerTicks === undefined ? undefined : this.#fmt(st, offerTicks),
          bidSize: bidTicks === undefined ? undefined : qty ?? bestBid?.size,
          offerSize: offerTicks === undefined ? undefined : qty ?? bestOffer?.size,
          validUntilMs: this.#now + this.config.quotes.validityMs,
          transactTimeMs: this.#now,
        }),
      );
    }
  }

  // ---------------------------------------------------------------- end of day

  /**
   * At the end of the trading day (orders.dayEnd; 00:00 UTC when that is null) Day orders expire (only
   * with a dayEnd) and finished orders are forgotten (unless forgetDoneAfterMs forgets them earlier).
   */
  #checkDayEnd(nowMs: number): void {
    const de = this.config.orders.dayEnd ?? { time: "00:00", timeZone: "UTC" };
    if (this.#dayEndMinute === undefined || nowMs - this.#lastDayCheckMs < 1000) return;
    this.#lastDayCheckMs = nowMs;
    const m = minuteOfDayIn(nowMs, de.timeZone);
    const prev = this.#lastDayMinute;
    this.#lastDayMinute = m;
    if (prev === undefined || prev === m) return;
    const end = this.#dayEndMinute;
    const crossed = prev < m ? prev < end && end <= m : end > prev || end <= m;
    if (!crossed) return;
    if (this.config.orders.forgetDoneAfterMs === undefined) this.#forgetDone(nowMs - 1);
    if (this.config.orders.dayEnd === undefined) return;
    for (const s of this.#sessions.values()) {
      for (const o of [...s.open]) {
        if (o.tif !== "day") continue;
        this.#unbook(o);
        o.status = "expired";
        this.#done(o);
        this.#counters.expired++;
        this.#report(o, "C", { text: `Day order expired at ${de.time} ${de.timeZone}` });
      }
    }
  }
}

function sameLevels(a: SideLevels, b: SideLevels): boolean {
  const eq = (x: Map<number, number>, y: Map<number, number>) => {
    if (x.size !== y.size) return false;
    for (const [k, v] of x) if (y.get(k) !== v) return false;
    return true;
  };
  return eq(a.bids, b.bids) && eq(a.offers, b.offers);
}
