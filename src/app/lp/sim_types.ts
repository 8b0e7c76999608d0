/**
 * The simulator's types and small structures (orders, books, subscriptions, sessions, counters), shared
 * by the modules of LpSimulator: sim_core (state and plumbing), sim_orders (order entry, matching, end
 * of day), sim_order_requests (cancel, replace, status), sim_market (market data and quotes) and
 * simulator (the public API).
 */
import type { FixMessage } from "../../codec/encoder.ts";
import { IdMap } from "../id_map.ts";
import { WindowIds } from "./window_ids.ts";
import { PriceText } from "../price_text.ts";
import { type ExecutionReportFields } from "./sim_messages.ts";
import { type OrdTypeName, type Side, type TimeInForceName } from "../tags.ts";
import { type LpEffect } from "./behaviours.ts";
import { type LpSymbolConfig } from "./config.ts";
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

export interface LpOrder {
  /** The number of its OrderID (`${prefix}-O${orderNo}`: LpCore._orderIdOf); a number, so nothing young is kept. */
  orderNo: number;
  sessionKey: string;
  /** Its ClOrdID, unless `idSlot` >= 0 (then ""): read it with LpCore._clOrdIdOf. */
  clOrdId: string;
  /**
   * The slot of its ClOrdID's bytes in its session's `windowIds` (an order in the ackOnly window that
   * never changed its ClOrdID), or -1: the ClOrdID is `clOrdId`, kept in the session's `orders`.
   */
  idSlot: number;
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
  /** Phase code of the shared order state machine (app/orders/state_machine.ts: PHASE_NEW...); moved only by `nextPhase`. */
  phase: number;
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
  /** Acknowledged in ackOnly mode and still working: counted in its session's `ackOnlyWorking`. */
  inAckOnlyWindow: boolean;
}

/**
 * A session's open orders in arrival order: a list threaded through the orders themselves, so adding
 * and removing hash nothing (a Set of order objects cost as much as the rest of taking an order).
 */
export class OpenList implements Iterable<LpOrder> {
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

export interface SymbolState {
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

export interface SideLevels {
  bids: Map<number, number>;
  offers: Map<number, number>;
}

export interface Subscription {
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

export interface SessionState {
  key: string;
  clientCompId: string;
  /**
   * The version the session's messages are in (sim_core.ts fixVersionOf): 42 (FIX 4.0 to 4.2:
   * ExecutionReports in FIX 4.2's shape, sim_messages.ts fix42Report, FIX 4.2's reject codes, no message
   * FIX 4.2 does not define), 43 (FIX 4.4's without the fields and codes FIX 4.3 lacks: fix43Report) or
   * 44 (FIX 4.4, and FIXT 1.1 with FIX 5.0 SP2).
   */
  fixVersion: number;
  loggedOn: boolean;
  /**
   * Orders by every ClOrdID of their chain (and by cancel request ClOrdIDs), until forgotten (IdMap:
   * inbound ClOrdIDs are fresh strings, see id_map.ts), except the ClOrdIDs in `windowIds`. A ClOrdID is
   * in one of the two at most.
   */
  orders: IdMap<LpOrder>;
  /**
   * Orders of the ackOnly window by their ClOrdID, kept as bytes (window_ids.ts): an order's ClOrdID
   * moves to `orders` when it changes (cancel, replace) or the order finishes, and leaves when the
   * window forgets the order.
   */
  windowIds: WindowIds<LpOrder>;
  /** Open orders in arrival order. */
  open: OpenList;
  /**
   * Orders acknowledged in ackOnly mode: a ring (at most twice `orders.ackOnlyWindow`) of
   * `ackOnlyLength` of them, oldest at `ackOnlyNext`. Finished ones are skipped when read and dropped
   * when the ring is full. When `ackOnlyWorking` of them are still working and that is the window, the
   * oldest working one is forgotten for the next order.
   */
  ackOnly: LpOrder[];
  ackOnlyNext: number;
  ackOnlyLength: number;
  ackOnlyWorking: number;
  /** Rejected orders of the trading day by ClOrdID: the reject's fields, to answer a status request. */
  rejected: Map<string, ExecutionReportFields>;
  inbound: number;
  outbound: number;
  subs: Map<string, Subscription>;
  effects: { dropHeartbeats: boolean; silent: boolean; slowReaderMs: number };
  seqResetsFired: Set<number>;
}

/** Messages per second over whole seconds. */
export class RateMeter {
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
export const CURRENCIES: ReadonlySet<string> = new Set(
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
export const MAX_SYMBOLS = 10_000;

export const INSTRUMENT_STOP: ReadonlySet<number> = new Set([386, 813, 814, 10, 89, 93, 58, 354, 355]);
export const MAX_CATCH_UP_STEPS = 1000;

export function newCounters(): LpCounters {
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
export interface ReportExtra {
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
export const NO_EXTRA: ReportExtra = Object.freeze({});

/** What a call with nothing to send returns (frozen: shared by every such call). */
export const NO_OUTPUT = Object.freeze([]) as unknown as LpOutput[];
