/**
 * The load-generator core of `fixg bench` (pure): it chooses the next message of a session from a
 * mix of new orders, cancels, replaces and market data requests with realistic prices and sizes,
 * correlates every response with the request's intended send time, and accounts for every request
 * exactly once: answered, or lost when unanswered after a grace period. A response that arrives
 * twice (a PossDup resend after a reconnect) counts once.
 *
 * All times are microseconds on one clock, which must be epoch based (TransactTime is derived from
 * it): e.g. `(performance.timeOrigin + performance.now()) * 1000`. Passing the *intended* send time
 * (the schedule slot) rather than the actual one keeps coordinated omission out of the latencies.
 *
 * Requests live in growable typed arrays indexed by a request number that is also the ClOrdID /
 * MDReqID (prefix + base 36), so a million orders cost tens of bytes each and no per-order objects.
 */
import type { FixMessage } from "../../codec/encoder.ts";
import { MsgType, Tag } from "../../codec/tags.ts";
import type { MessageView } from "../../codec/view.ts";
import { splitGroup } from "../groups.ts";
import { tickDecimals } from "../lp/config.ts";
import {
  marketDataRequest,
  newOrderSingleOf,
  orderCancelReplaceRequest,
  orderCancelRequest,
} from "../messages.ts";
import { PriceText } from "../price_text.ts";
import { createPrng, type Prng, uniformInt } from "../prng.ts";

/** What a latency sample measures. */
export type LatencyMeasure =
  | "order-to-ack"
  | "order-to-fill"
  | "cancel-to-ack"
  | "replace-to-ack"
  | "md-request-to-snapshot";

/** Relative weights of the request kinds (they need not add up to 1). */
export interface LoadMix {
  newOrder: number;
  cancel: number;
  replace: number;
  marketData: number;
}

/** An instrument the generator trades: reference price, tick and size range (in lots). */
export interface LoadSymbol {
  symbol: string;
  price: number;
  tickSize: number;
  minQty: number;
  maxQty: number;
  lotSize: number;
}

/** Default mix: mostly new orders, with cancels and replaces of resting ones and a few snapshots. */
export const DEFAULT_LOAD_MIX: LoadMix = { newOrder: 0.6, cancel: 0.2, replace: 0.15, marketData: 0.05 };

/** Default instruments, matching the simulator's defaults. */
export const DEFAULT_LOAD_SYMBOLS: readonly LoadSymbol[] = [
  {
    symbol: "EUR/USD",
    price: 1.0850,
    tickSize: 0.00001,
    minQty: 100_000,
    maxQty: 2_000_000,
    lotSize: 100_000,
  },
  {
    symbol: "GBP/USD",
    price: 1.2700,
    tickSize: 0.00001,
    minQty: 100_000,
    maxQty: 2_000_000,
    lotSize: 100_000,
  },
  { symbol: "USD/JPY", price: 150.00, tickSize: 0.001, minQty: 100_000, maxQty: 2_000_000, lotSize: 100_000 },
  { symbol: "AAPL", price: 190.00, tickSize: 0.01, minQty: 1, maxQty: 500, lotSize: 1 },
  { symbol: "MSFT", price: 420.00, tickSize: 0.01, minQty: 1, maxQty: 300, lotSize: 1 },
];

/** Options of the generator. */
export interface LoadGeneratorOptions {
  /** Number of sessions (sessionIdx runs from 0). */
  sessions: number;
  mix?: LoadMix;
  symbols?: readonly LoadSymbol[];
  seed?: number;
  /** A request unanswered this long after its intended send time is lost (default 10 000 ms). */
  lostAfterMs?: number;
  /** Share of new orders priced to trade at once, sent IOC (default 0.3); the rest rest passively, Day. */
  marketableFraction?: number;
  /** With this many open orders a session sends cancels instead of new orders (default 50). */
  maxOpenOrdersPerSession?: number;
  /** ClOrdID/MDReqID prefix; make it differ between runs (default "L"). */
  idPrefix?: string;
  /** Called for each latency sample. */
  onLatency?: (measure: LatencyMeasure, latencyUs: number, sessionIdx: number) => void;
}

/** Totals since the generator started. */
export interface LoadCounters {
  ordersSent: number;
  cancelsSent: number;
  replacesSent: number;
  mdRequestsSent: number;
  /** Orders whose first answer was not a reject. */
  ordersAcked: number;
  ordersRejected: number;
  /** Orders completely filled. */
  ordersFilled: number;
  /** Orders ended by the counterparty (IOC remainder, expiry, unsolicited cancel). */
  ordersEnded: number;
  /** Fill reports (each counted once). */
  fills: number;
  cancelsAcked: number;
  cancelsRejected: number;
  replacesAcked: number;
  replacesRejected: number;
  mdSnapshots: number;
  mdRejected: number;
  /** BusinessMessageRejects that referred to one of our requests (counted as its answer). */
  businessRejects: number;
  ordersLost: number;
  cancelsLost: number;
  replacesLost: number;
  mdRequestsLost: number;
  /** Answers that arrived after their request was counted lost (not in latencies). */
  lateResponses: number;
  /** Answers seen before (PossDup resends, repeated fills): ignored. */
  duplicateResponses: number;
  /** Responses that match no request of ours. */
  unmatchedResponses: number;
  /** Slots skipped. Always 0: the generator never skips a slot (kept so the counters keep their shape). */
  throttled: number;
}

const K_ORDER = 1, K_CANCEL = 2, K_REPLACE = 3, K_MD = 4;
const F_ANSWERED = 1, F_LOST = 2, F_FILLED = 4, F_DONE = 8, F_BUSY = 16;

interface SymbolInfo extends LoadSymbol {
  decimals: number;
  units: number;
  refTicks: number;
  priceText: PriceText;
}

function zeroCounters(): LoadCounters {
  return {
    ordersSent: 0,
    cancelsSent: 0,
    replacesSent: 0,
    mdRequestsSent: 0,
    ordersAcked: 0,
    ordersRejected: 0,
    ordersFilled: 0,
    ordersEnded: 0,
    fills: 0,
    cancelsAcked: 0,
    cancelsRejected: 0,
    replacesAcked: 0,
    replacesRejected: 0,
    mdSnapshots: 0,
    mdRejected: 0,
    businessRejects: 0,
    ordersLost: 0,
    cancelsLost: 0,
    replacesLost: 0,
    mdRequestsLost: 0,
    lateResponses: 0,
    duplicateResponses: 0,
    unmatchedResponses: 0,
    throttled: 0,
  };
}

/** The generator. One instance drives every session of a bench run. */
export class LoadGenerator {
  readonly sessions: number;
  #mix: LoadMix;
  #symbols: SymbolInfo[];
  #rng: Prng;
  #lostAfterUs: number;
  #marketable: number;
  #maxOpen: number;
  #prefix: string;
  #onLatency: (measure: LatencyMeasure, latencyUs: number, sessionIdx: number) => void;
  #c = zeroCounters();
  #n = 0;
  #sweepHead = 0;
  #kind = new Uint8Array(1024);
  #session = new Int32Array(1024);
  #sentUs = new Float64Array(1024);
  #flags = new Uint8Array(1024);
  #root = new Int32Array(1024);
  #orderQty = new Float64Array(1024);
  #cumQty = new Float64Array(1024);
  #priceTicks = new Float64Array(1024);
  #symbolIdx = new Uint16Array(1024);
  #side = new Uint8Array(1024);
  #current = new Int32Array(1024);
  #openPos = new Int32Array(1024);
  #open: number[][];

  constructor(opts: LoadGeneratorOptions) {
    if (!(Number.isInteger(opts.sessions) && opts.sessions > 0)) {
      throw new RangeError(`sessions must be an integer > 0 (got ${opts.sessions})`);
    }
    this.sessions = opts.sessions;
    this.#mix = opts.mix ?? DEFAULT_LOAD_MIX;
    const w = this.#mix;
    if ([w.newOrder, w.cancel, w.replace, w.marketData].some((x) => !(x >= 0)) || w.newOrder <= 0) {
      throw new RangeError("mix weights must be >= 0 with newOrder > 0");
    }
    const syms = opts.symbols ?? DEFAULT_LOAD_SYMBOLS;
    if (syms.length === 0) throw new RangeError("at least one symbol is needed");
    this.#symbols = syms.map((s) => {
      const decimals = tickDecimals(s.tickSize) ?? 10;
      const units = Math.round(s.tickSize * 10 ** decimals);
      return {
        ...s,
        decimals,
        units,
        refTicks: Math.round(s.price / s.tickSize),
        priceText: new PriceText(units, decimals),
      };
    });
    this.#rng = createPrng(opts.seed ?? 1);
    this.#lostAfterUs = (opts.lostAfterMs ?? 10_000) * 1000;
    this.#marketable = opts.marketableFraction ?? 0.3;
    this.#maxOpen = opts.maxOpenOrdersPerSession ?? 50;
    this.#prefix = opts.idPrefix ?? "L";
    this.#onLatency = opts.onLatency ?? (() => {});
    this.#open = Array.from({ length: this.sessions }, () => []);
  }

  #grow(): void {
    const cap = this.#kind.length * 2;
    const g = <T extends Uint8Array | Int32Array | Float64Array | Uint16Array>(
      a: T,
      make: (n: number) => T,
    ): T => {
      const b = make(cap);
      b.set(a as never);
      return b;
    };
    this.#kind = g(this.#kind, (n) => new Uint8Array(n));
    this.#session = g(this.#session, (n) => new Int32Array(n));
    this.#sentUs = g(this.#sentUs, (n) => new Float64Array(n));
    this.#flags = g(this.#flags, (n) => new Uint8Array(n));
    this.#root = g(this.#root, (n) => new Int32Array(n));
    this.#orderQty = g(this.#orderQty, (n) => new Float64Array(n));
    this.#cumQty = g(this.#cumQty, (n) => new Float64Array(n));
    this.#priceTicks = g(this.#priceTicks, (n) => new Float64Array(n));
    this.#symbolIdx = g(this.#symbolIdx, (n) => new Uint16Array(n));
    this.#side = g(this.#side, (n) => new Uint8Array(n));
    this.#current = g(this.#current, (n) => new Int32Array(n));
    this.#openPos = g(this.#openPos, (n) => new Int32Array(n));
  }

  #newRequest(kind: number, sessionIdx: number, intendedUs: number, root: number): number {
    if (this.#n === this.#kind.length) this.#grow();
    const i = this.#n++;
    this.#kind[i] = kind;
    this.#session[i] = sessionIdx;
    this.#sentUs[i] = intendedUs;
    this.#flags[i] = 0;
    this.#root[i] = root < 0 ? i : root;
    return i;
  }

  #id(i: number): string {
    return this.#prefix + i.toString(36);
  }

  /** The request number of one of our IDs sent on `sessionIdx`, or -1 (a reply on another session is not ours). */
  #parse(id: string | undefined, sessionIdx: number): number {
    if (id === undefined || !id.startsWith(this.#prefix)) return -1;
    // The lower-case base-36 digits after the prefix, exactly as #id writes them (no sign, no leading
    // zero), read in place: this runs for every answer, so no slice, parseInt or rebuilt ID to compare.
    const from = this.#prefix.length;
    const end = id.length;
    if (end === from || end - from > 10 || (id.charCodeAt(from) === 0x30 && end - from > 1)) return -1;
    let i = 0;
    for (let k = from; k < end; k++) {
      const c = id.charCodeAt(k);
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x7a ? c - 0x57 : -1;
      if (d < 0) return -1;
      i = i * 36 + d;
    }
    return i < this.#n && this.#session[i] === sessionIdx ? i : -1;
  }

  #fmt(s: SymbolInfo, ticks: number): string {
    return s.priceText.of(ticks);
  }

  /**
   * The next message for `sessionIdx`, stamped with its intended send time. Always a message: at the
   * open-order maximum it cancels an order with nothing in flight, or sends a new order when every open
   * order is busy (`throttled` stays 0; the return type keeps `undefined` for other request sources).
   */
  next(sessionIdx: number, intendedUs: number): FixMessage | undefined {
    const open = this.#open[sessionIdx];
    if (open === undefined) throw new RangeError(`no session ${sessionIdx}`);
    const m = this.#mix;
    let kind: number;
    if (open.length >= this.#maxOpen) {
      const target = this.#pickOpen(open, true);
      // Every open order already has a request in flight (a burst sends faster than answers come back): a
      // new order instead. The cap is soft and no slot is ever skipped: a burst of N sends N requests.
      if (target < 0) return this.#newOrder(sessionIdx, intendedUs);
      return this.#cancel(target, intendedUs);
    } else {
      const r = this.#rng.next() * (m.newOrder + m.cancel + m.replace + m.marketData);
      kind = r < m.newOrder
        ? K_ORDER
        : r < m.newOrder + m.cancel
        ? K_CANCEL
        : r < m.newOrder + m.cancel + m.replace
        ? K_REPLACE
        : K_MD;
    }
    if (kind === K_CANCEL || kind === K_REPLACE) {
      const target = this.#pickOpen(open);
      if (target >= 0) {
        return kind === K_CANCEL ? this.#cancel(target, intendedUs) : this.#replace(target, intendedUs);
      }
      kind = K_ORDER;
    }
    if (kind === K_MD) return this.#mdRequest(sessionIdx, intendedUs);
    return this.#newOrder(sessionIdx, intendedUs);
  }

  /** A random open order with no request in flight; `thorough` scans them all when random tries miss. */
  #pickOpen(open: number[], thorough = false): number {
    for (let tries = 0; tries < 4 && open.length > 0; tries++) {
      const root = open[Math.floor(this.#rng.next() * open.length)]!;
      if ((this.#flags[root]! & F_BUSY) === 0) return root;
    }
    if (thorough) { for (const root of open) if ((this.#flags[root]! & F_BUSY) === 0) return root; }
    return -1;
  }

  #newOrder(sessionIdx: number, intendedUs: number): FixMessage {
    const si = Math.floor(this.#rng.next() * this.#symbols.length);
    const s = this.#symbols[si]!;
    const buy = this.#rng.next() < 0.5;
    const marketable = this.#rng.next() < this.#marketable;
    // Marketable: 0.1 % through the reference (at least 5 ticks); passive: 10 to 60 ticks away.
    const through = Math.max(5, Math.round(s.refTicks * 0.001));
    const away = uniformInt(this.#rng, 10, 60);
    const ticks = marketable ? s.refTicks + (buy ? through : -through) : s.refTicks + (buy ? -away : away);
    const lots = uniformInt(
      this.#rng,
      Math.ceil(s.minQty / s.lotSize),
      Math.max(1, Math.floor(s.maxQty / s.lotSize)),
    );
    const qty = lots * s.lotSize;
    const i = this.#newRequest(K_ORDER, sessionIdx, intendedUs, -1);
    this.#orderQty[i] = qty;
    this.#cumQty[i] = 0;
    this.#priceTicks[i] = ticks;
    this.#symbolIdx[i] = si;
    this.#side[i] = buy ? 1 : 2;
    this.#current[i] = i;
    const open = this.#open[sessionIdx]!;
    this.#openPos[i] = open.length;
    open.push(i);
    this.#c.ordersSent++;
    return newOrderSingleOf({
      clOrdId: this.#id(i),
      symbol: s.symbol,
      side: buy ? "1" : "2",
      transactTimeMs: Math.floor(intendedUs / 1000),
      orderQty: qty,
      ordType: "2",
      price: this.#fmt(s, ticks),
      timeInForce: marketable ? "3" : "0",
    });
  }

  #cancel(root: number, intendedUs: number): FixMessage {
    const i = this.#newRequest(K_CANCEL, this.#session[root]!, intendedUs, root);
    this.#flags[root]! |= F_BUSY;
    this.#c.cancelsSent++;
    const s = this.#symbols[this.#symbolIdx[root]!]!;
    return orderCancelRequest({
      origClOrdId: this.#id(this.#current[root]!),
      clOrdId: this.#id(i),
      symbol: s.symbol,
      side: String(this.#side[root]),
      transactTimeMs: Math.floor(intendedUs / 1000),
      orderQty: this.#orderQty[root]!,
    });
  }

  #replace(root: number, intendedUs: number): FixMessage {
    const i = this.#newRequest(K_REPLACE, this.#session[root]!, intendedUs, root);
    this.#flags[root]! |= F_BUSY;
    this.#c.replacesSent++;
    const s = this.#symbols[this.#symbolIdx[root]!]!;
    const move = uniformInt(this.#rng, 1, 5) * (this.#rng.next() < 0.5 ? -1 : 1);
    const ticks = Math.max(1, this.#priceTicks[root]! + move);
    this.#priceTicks[i] = ticks; // the new terms, applied to the order when the replace is accepted
    this.#orderQty[i] = this.#orderQty[root]!;
    return orderCancelReplaceRequest({
      origClOrdId: this.#id(this.#current[root]!),
      clOrdId: this.#id(i),
      symbol: s.symbol,
      side: String(this.#side[root]),
      transactTimeMs: Math.floor(intendedUs / 1000),
      orderQty: this.#orderQty[root]!,
      ordType: "2",
      price: this.#fmt(s, ticks),
    });
  }

  #mdRequest(sessionIdx: number, intendedUs: number): FixMessage {
    const si = Math.floor(this.#rng.next() * this.#symbols.length);
    const i = this.#newRequest(K_MD, sessionIdx, intendedUs, -1);
    this.#symbolIdx[i] = si;
    this.#c.mdRequestsSent++;
    return marketDataRequest({
      mdReqId: this.#id(i),
      subscriptionRequestType: "0",
      marketDepth: 1,
      entryTypes: ["0", "1"],
      symbols: [this.#symbols[si]!.symbol],
    });
  }

  /** Marks the first answer of request `i`; false when it was answered (or declared lost) before. */
  #answer(i: number, nowUs: number, measure: LatencyMeasure): boolean {
    const f = this.#flags[i]!;
    if ((f & F_ANSWERED) !== 0) {
      this.#c.duplicateResponses++;
      return false;
    }
    this.#flags[i] = f | F_ANSWERED;
    if ((f & F_LOST) !== 0) {
      this.#c.lateResponses++;
      return false;
    }
    this.#onLatency(measure, nowUs - this.#sentUs[i]!, this.#session[i]!);
    return true;
  }

  #finish(root: number): void {
    const f = this.#flags[root]!;
    if ((f & F_DONE) !== 0) return;
    this.#flags[root] = (f | F_DONE) & ~F_BUSY;
    const open = this.#open[this.#session[root]!]!;
    const pos = this.#openPos[root]!;
    const last = open.pop()!;
    if (last !== root) {
      open[pos] = last;
      this.#openPos[last] = pos;
    }
  }

  /** Takes in a response of `sessionIdx` (ExecutionReport, OrderCancelReject, W, Y or j). */
  onMessage(sessionIdx: number, view: MessageView, nowUs: number): void {
    switch (view.msgType) {
      case MsgType.ExecutionReport:
        return this.#onExecutionReport(sessionIdx, view, nowUs);
      case MsgType.OrderCancelReject: {
        const i = this.#parse(view.getString(Tag.ClOrdID), sessionIdx);
        const k = i < 0 ? 0 : this.#kind[i]!;
        if (k !== K_CANCEL && k !== K_REPLACE) {
          this.#c.unmatchedResponses++;
          return;
        }
        if (!this.#answer(i, nowUs, k === K_CANCEL ? "cancel-to-ack" : "replace-to-ack")) return;
        if (k === K_CANCEL) this.#c.cancelsRejected++;
        else this.#c.replacesRejected++;
        this.#flags[this.#root[i]!]! &= ~F_BUSY;
        return;
      }
      case MsgType.MarketDataSnapshotFullRefresh: {
        const i = this.#parse(view.getString(Tag.MDReqID), sessionIdx);
        if (i < 0 || this.#kind[i] !== K_MD) {
          this.#c.unmatchedResponses++;
          return;
        }
        if (!this.#answer(i, nowUs, "md-request-to-snapshot")) return;
        this.#c.mdSnapshots++;
        this.#updateReference(this.#symbolIdx[i]!, view);
        return;
      }
      case MsgType.MarketDataRequestReject: {
        const i = this.#parse(view.getString(Tag.MDReqID), sessionIdx);
        if (i < 0 || this.#kind[i] !== K_MD) {
          this.#c.unmatchedResponses++;
          return;
        }
        // A reject is an answer too, but its latency is not a snapshot's.
        if ((this.#flags[i]! & F_ANSWERED) !== 0) this.#c.duplicateResponses++;
        else {
          if ((this.#flags[i]! & F_LOST) !== 0) this.#c.lateResponses++;
          else this.#c.mdRejected++;
          this.#flags[i]! |= F_ANSWERED;
        }
        return;
      }
      case MsgType.BusinessMessageReject: {
        const i = this.#parse(view.getString(Tag.BusinessRejectRefID), sessionIdx);
        if (i < 0) {
          this.#c.unmatchedResponses++;
          return;
        }
        if ((this.#flags[i]! & F_ANSWERED) !== 0) {
          this.#c.duplicateResponses++;
          return;
        }
        this.#flags[i]! |= F_ANSWERED;
        this.#c.businessRejects++;
        const root = this.#root[i]!;
        if (this.#kind[i] === K_ORDER) this.#finish(root);
        else this.#flags[root]! &= ~F_BUSY;
        return;
      }
      default:
        return;
    }
  }

  #onExecutionReport(sessionIdx: number, view: MessageView, nowUs: number): void {
    const i = this.#parse(view.getString(Tag.ClOrdID), sessionIdx);
    if (i < 0 || this.#kind[i] === K_MD) {
      this.#c.unmatchedResponses++;
      return;
    }
    const et = view.getString(Tag.ExecType);
    const kind = this.#kind[i]!;
    const root = this.#root[i]!;
    if (et === "I") return; // status reports answer no request of ours
    if (kind === K_ORDER && (this.#flags[i]! & F_ANSWERED) === 0) {
      if (this.#answer(i, nowUs, "order-to-ack")) {
        if (et === "8") this.#c.ordersRejected++;
        else this.#c.ordersAcked++;
      }
      if (et === "8") this.#finish(root);
    } else if (kind === K_CANCEL && et === "4") {
      if (!this.#answer(i, nowUs, "cancel-to-ack")) return;
      this.#c.cancelsAcked++;
      this.#finish(root);
      return;
    } else if (kind === K_REPLACE && et === "5") {
      if (!this.#answer(i, nowUs, "replace-to-ack")) return;
      this.#c.replacesAcked++;
      this.#current[root] = i;
      this.#priceTicks[root] = this.#priceTicks[i]!;
      this.#flags[root]! &= ~F_BUSY;
      if (view.getFloat(Tag.LeavesQty) === 0) this.#finish(root);
      return;
    } else if (et === "0" || et === "8" || et === "A") {
      this.#c.duplicateResponses++;
      return;
    }
    if (et === "F") {
      const cum = view.getFloat(Tag.CumQty) ?? 0;
      if (cum <= this.#cumQty[root]!) {
        this.#c.duplicateResponses++;
        return;
      }
      this.#cumQty[root] = cum;
      this.#c.fills++;
      if ((this.#flags[root]! & F_FILLED) === 0) {
        this.#flags[root]! |= F_FILLED;
        if ((this.#flags[root]! & F_LOST) === 0) {
          this.#onLatency("order-to-fill", nowUs - this.#sentUs[root]!, this.#session[root]!);
        }
      }
      if (view.getFloat(Tag.LeavesQty) === 0) {
        this.#c.ordersFilled++;
        this.#finish(root);
      }
    } else if (et === "4" || et === "C" || et === "3") {
      if ((this.#flags[root]! & F_DONE) !== 0) {
        this.#c.duplicateResponses++;
        return;
      }
      this.#c.ordersEnded++;
      this.#finish(root);
    }
  }

  /** A snapshot's best bid and offer become the symbol's reference price, so prices follow the market. */
  #updateReference(si: number, view: MessageView): void {
    let bid: number | undefined, offer: number | undefined;
    for (const e of splitGroup(view, Tag.NoMDEntries, Tag.MDEntryType)) {
      const t = e.getString(Tag.MDEntryType);
      const px = e.getFloat(Tag.MDEntryPx);
      if (px === undefined) continue;
      if (t === "0" && (bid === undefined || px > bid)) bid = px;
      if (t === "1" && (offer === undefined || px < offer)) offer = px;
    }
    const s = this.#symbols[si]!;
    if (bid !== undefined && offer !== undefined) s.refTicks = Math.round((bid + offer) / 2 / s.tickSize);
  }

  /** Sets a symbol's reference price (e.g. from a market data feed the bench follows). */
  setReferencePrice(symbol: string, price: number): void {
    const s = this.#symbols.find((x) => x.symbol === symbol);
    if (s !== undefined && price > 0) s.refTicks = Math.round(price / s.tickSize);
  }

  /**
   * Counts requests unanswered `lostAfterMs` after their intended send time as lost; returns how
   * many were newly lost. A lost order leaves the open list (nothing more is sent about it).
   */
  sweep(nowUs: number): number {
    let lost = 0;
    while (this.#sweepHead < this.#n) {
      const i = this.#sweepHead;
      if (this.#sentUs[i]! + this.#lostAfterUs > nowUs) break;
      this.#sweepHead++;
      const f = this.#flags[i]!;
      if ((f & F_ANSWERED) !== 0) continue;
      this.#flags[i] = f | F_LOST;
      lost++;
      switch (this.#kind[i]) {
        case K_ORDER:
          this.#c.ordersLost++;
          this.#finish(i);
          break;
        case K_CANCEL:
          this.#c.cancelsLost++;
          this.#finish(this.#root[i]!);
          break;
        case K_REPLACE:
          this.#c.replacesLost++;
          this.#finish(this.#root[i]!);
          break;
        default:
          this.#c.mdRequestsLost++;
      }
    }
    return lost;
  }

  /** Totals so far (a copy). */
  counters(): LoadCounters {
    return { ...this.#c };
  }

  /** The live counters, not a copy (read only: for a check after every message). */
  liveCounters(): Readonly<LoadCounters> {
    return this.#c;
  }

  /** Requests sent and neither answered nor lost yet. */
  outstanding(): number {
    let n = 0;
    for (let i = this.#sweepHead; i < this.#n; i++) if ((this.#flags[i]! & (F_ANSWERED | F_LOST)) === 0) n++;
    return n;
  }

  /** Open orders of a session (sent, not finished). */
  openOrders(sessionIdx: number): number {
    return this.#open[sessionIdx]?.length ?? 0;
  }
}
