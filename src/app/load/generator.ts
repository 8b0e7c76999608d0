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
 * Requests live in a RequestLedger (ledger.ts): growable typed arrays indexed by a request number that
 * is also the ClOrdID / MDReqID (prefix + base 36), so a million orders cost tens of bytes each and no
 * per-order objects. Each order's state moves through the shared order state machine (`nextPhase`).
 */
import type { FixMessage } from "../../codec/encoder.ts";
import { MsgType, Tag } from "../../codec/tags.ts";
import type { MessageView } from "../../codec/view.ts";
import { splitGroup } from "../groups.ts";
import { tickDecimals } from "../lp/config.ts";
import * as fix42 from "../../dictionary/generated/fix42.ts";
import * as fix44 from "../../dictionary/generated/fix44.ts";
import { loose, type LooseInput, pick } from "../../dictionary/typed.ts";
import { execTypeOf } from "../orders/exec_type.ts";
import {
  isLivePhaseCode,
  nextPhase,
  PHASE_FILLED,
  PHASE_PENDING_NEW,
  phaseOfOrdStatus,
} from "../orders/state_machine.ts";
import { PriceText } from "../price_text.ts";
import { createPrng, type Prng, uniformInt } from "../prng.ts";
import { F_ANSWERED, F_FIRST_FREE, F_LOST, grown, RequestLedger } from "./ledger.ts";
import { HANDL_INST_AUTOMATED, LoadOrder, LoadOrder42 } from "./order_message.ts";
import {
  DEFAULT_LOAD_MIX,
  DEFAULT_LOAD_SYMBOLS,
  type LoadCounters,
  type LoadGeneratorOptions,
  type LoadMix,
  type LoadSymbol,
  zeroLoadCounters,
} from "./types.ts";

export * from "./types.ts";

const K_ORDER = 1, K_CANCEL = 2, K_REPLACE = 3, K_MD = 4;
/** The order left the open list (finished, or lost); a cancel or replace of it is in flight. */
const F_DONE = F_FIRST_FREE, F_BUSY = F_FIRST_FREE << 1;

interface SymbolInfo extends LoadSymbol {
  decimals: number;
  units: number;
  refTicks: number;
  priceText: PriceText;
}

/** The fields of a new order the generator fills (the bench's echo orders too: src/bench/echo_tracker.ts). */
export const ORDER_FIELDS = [
  "clOrdID",
  "symbol",
  "side",
  "transactTime",
  "orderQty",
  "ordType",
  "price",
  "timeInForce",
] as const;

/**
 * The generator's messages other than new orders (LoadOrder, order_message.ts): FIX 4.4's typed
 * builders, each writing only the fields the generator fills (`pick`: a few property reads, not one per
 * member of the dictionary's message); prices as the text PriceText formats and sides as codes
 * (`loose`). A FIX 4.0-4.3 session gets FIX 4.2's builders (below): HandlInst (21) in the replace, the
 * groups of the market data request as FIX 4.2 defines them.
 */
const OrderCancelRequest = loose(
  pick(fix44.OrderCancelRequest, ["origClOrdID", "clOrdID", "symbol", "side", "transactTime", "orderQty"]),
);
const OrderCancelReplaceRequest = loose(
  pick(fix44.OrderCancelReplaceRequest, ["origClOrdID", ...ORDER_FIELDS]),
);
const MarketDataRequest = pick(fix44.MarketDataRequest, [
  "mdReqID",
  "subscriptionRequestType",
  "marketDepth",
  "noMDEntryTypes",
  "mdEntryType",
  "noRelatedSym",
  "symbol",
]);

/** FIX 4.2's cancel, replace (with HandlInst) and market data request, for FIX 4.0-4.3 sessions. */
const OrderCancelRequest42 = loose(
  pick(fix42.OrderCancelRequest, ["origClOrdID", "clOrdID", "symbol", "side", "transactTime", "orderQty"]),
);
const OrderCancelReplaceRequest42 = loose(
  pick(fix42.OrderCancelReplaceRequest, ["origClOrdID", ...ORDER_FIELDS, "handlInst"]),
);
const MarketDataRequest42 = pick(fix42.MarketDataRequest, [
  "mdReqID",
  "subscriptionRequestType",
  "marketDepth",
  "noMDEntryTypes",
  "mdEntryType",
  "noRelatedSym",
  "symbol",
]);

/**
 * True for the versions whose NewOrderSingle and OrderCancelReplaceRequest require HandlInst (21): FIX
 * 4.0 to 4.3 (FIX 4.4 made it optional).
 */
export function needsHandlInst(beginString: string): boolean {
  return /^FIX\.4\.[0-3]$/.test(beginString);
}

/** The generator. One instance drives every session of a bench run. */
export class LoadGenerator {
  readonly sessions: number;
  #mix: LoadMix;
  #symbols: SymbolInfo[];
  #rng: Prng;
  #marketable: number;
  #maxOpen: number;
  #c = zeroLoadCounters();
  /** The requests; order-specific fields below are indexed by the same request number. */
  #l: RequestLedger;
  #root = new Int32Array(1024);
  #orderQty = new Float64Array(1024);
  #cumQty = new Float64Array(1024);
  #priceTicks = new Float64Array(1024);
  #symbolIdx = new Uint16Array(1024);
  #side = new Uint8Array(1024);
  #current = new Int32Array(1024);
  #openPos = new Int32Array(1024);
  #open: number[][];
  /** The session's version needs HandlInst (FIX 4.0-4.3): FIX 4.2's messages. */
  readonly #fix42: boolean;

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
    this.#marketable = opts.marketableFraction ?? 0.3;
    this.#maxOpen = opts.maxOpenOrdersPerSession ?? 50;
    this.#l = new RequestLedger(opts.idPrefix ?? "L", opts.lostAfterMs ?? 10_000, this.#c, opts.onLatency);
    this.#open = Array.from({ length: this.sessions }, () => []);
    this.#fix42 = needsHandlInst(opts.beginString ?? "FIX.4.4");
  }

  #grow(cap: number): void {
    this.#root = grown(this.#root, cap);
    this.#orderQty = grown(this.#orderQty, cap);
    this.#cumQty = grown(this.#cumQty, cap);
    this.#priceTicks = grown(this.#priceTicks, cap);
    this.#symbolIdx = grown(this.#symbolIdx, cap);
    this.#side = grown(this.#side, cap);
    this.#current = grown(this.#current, cap);
    this.#openPos = grown(this.#openPos, cap);
  }

  #newRequest(kind: number, sessionIdx: number, intendedUs: number, root: number): number {
    const i = this.#l.add(kind, sessionIdx, intendedUs);
    if (i === this.#root.length) this.#grow(this.#l.capacity);
    this.#root[i] = root < 0 ? i : root;
    return i;
  }

  #id(i: number): string {
    return this.#l.id(i);
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
      if ((this.#l.flags[root]! & F_BUSY) === 0) return root;
    }
    if (thorough) { for (const root of open) if ((this.#l.flags[root]! & F_BUSY) === 0) return root; }
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
    // One object per order (not a builder's two plus the ClOrdID string): they wait in the session's
    // queue during a burst. Fields and bytes as NewOrderSingle.adopt's (order_message.ts).
    return new (this.#fix42 ? LoadOrder42 : LoadOrder)(
      this.#l,
      i,
      s.symbol,
      buy ? "1" : "2",
      qty,
      this.#fmt(s, ticks),
      marketable ? "3" : "0",
    );
  }

  /** A cancel or replace of order `root`: the order is busy until it is answered. */
  #amend(kind: number, root: number, intendedUs: number): number {
    const i = this.#newRequest(kind, this.#l.session[root]!, intendedUs, root);
    this.#l.flags[root]! |= F_BUSY;
    return i;
  }

  #cancel(root: number, intendedUs: number): FixMessage {
    const i = this.#amend(K_CANCEL, root, intendedUs);
    this.#c.cancelsSent++;
    const fields = this.#amendFields(root, i, intendedUs);
    return this.#fix42
      ? OrderCancelRequest42.adopt({ ...fields, symbol: fields.symbol! })
      : OrderCancelRequest.adopt(fields);
  }

  /** The fields a cancel and a replace (request `i`) of order `root` share. */
  #amendFields(
    root: number,
    i: number,
    intendedUs: number,
  ): LooseInput<
    Pick<
      fix44.OrderCancelRequest,
      "origClOrdID" | "clOrdID" | "symbol" | "side" | "transactTime" | "orderQty"
    >
  > {
    return {
      origClOrdID: this.#id(this.#current[root]!),
      clOrdID: this.#id(i),
      symbol: this.#symbols[this.#symbolIdx[root]!]!.symbol,
      side: String(this.#side[root]),
      transactTime: Math.floor(intendedUs / 1000),
      orderQty: this.#orderQty[root]!,
    };
  }

  #replace(root: number, intendedUs: number): FixMessage {
    const i = this.#amend(K_REPLACE, root, intendedUs);
    this.#c.replacesSent++;
    const s = this.#symbols[this.#symbolIdx[root]!]!;
    const move = uniformInt(this.#rng, 1, 5) * (this.#rng.next() < 0.5 ? -1 : 1);
    const ticks = Math.max(1, this.#priceTicks[root]! + move);
    this.#priceTicks[i] = ticks; // the new terms, applied to the order when the replace is accepted
    this.#orderQty[i] = this.#orderQty[root]!;
    const fields = { ...this.#amendFields(root, i, intendedUs), ordType: "2", price: this.#fmt(s, ticks) };
    return this.#fix42
      ? OrderCancelReplaceRequest42.adopt({
        ...fields,
        symbol: fields.symbol!,
        handlInst: HANDL_INST_AUTOMATED,
      })
      : OrderCancelReplaceRequest.adopt(fields);
  }

  #mdRequest(sessionIdx: number, intendedUs: number): FixMessage {
    const si = Math.floor(this.#rng.next() * this.#symbols.length);
    const i = this.#newRequest(K_MD, sessionIdx, intendedUs, -1);
    this.#symbolIdx[i] = si;
    this.#c.mdRequestsSent++;
    const mdReqID = this.#id(i), symbol = this.#symbols[si]!.symbol;
    if (this.#fix42) {
      return MarketDataRequest42.adopt({
        mdReqID,
        subscriptionRequestType: "0",
        marketDepth: 1,
        noMDEntryTypes: [{ mdEntryType: "0" }, { mdEntryType: "1" }],
        noRelatedSym: [{ symbol }],
      });
    }
    return MarketDataRequest.adopt({
      mdReqID,
      subscriptionRequestType: "0",
      marketDepth: 1,
      noMDEntryTypes: [{ mdEntryType: "0" }, { mdEntryType: "1" }],
      noRelatedSym: [{ symbol }],
    });
  }

  #finish(root: number): void {
    const flags = this.#l.flags;
    const f = flags[root]!;
    if ((f & F_DONE) !== 0) return;
    flags[root] = (f | F_DONE) & ~F_BUSY;
    const open = this.#open[this.#l.session[root]!]!;
    const pos = this.#openPos[root]!;
    const last = open.pop()!;
    if (last !== root) {
      open[pos] = last;
      this.#openPos[last] = pos;
    }
  }

  /** Takes in a response of `sessionIdx` (ExecutionReport, OrderCancelReject, W, Y or j). */
  onMessage(sessionIdx: number, view: MessageView, nowUs: number): void {
    const l = this.#l;
    switch (view.msgType) {
      case MsgType.ExecutionReport:
        return this.#onExecutionReport(sessionIdx, view, nowUs);
      case MsgType.OrderCancelReject: {
        const i = l.parse(view.getString(Tag.ClOrdID), sessionIdx);
        const k = i < 0 ? 0 : l.kind[i]!;
        if (k !== K_CANCEL && k !== K_REPLACE) {
          this.#c.unmatchedResponses++;
          return;
        }
        if (!l.answer(i, nowUs, k === K_CANCEL ? "cancel-to-ack" : "replace-to-ack")) return;
        if (k === K_CANCEL) this.#c.cancelsRejected++;
        else this.#c.replacesRejected++;
        l.flags[this.#root[i]!]! &= ~F_BUSY;
        return;
      }
      case MsgType.MarketDataSnapshotFullRefresh: {
        const i = l.parse(view.getString(Tag.MDReqID), sessionIdx);
        if (i < 0 || l.kind[i] !== K_MD) {
          this.#c.unmatchedResponses++;
          return;
        }
        if (!l.answer(i, nowUs, "md-request-to-snapshot")) return;
        this.#c.mdSnapshots++;
        this.#updateReference(this.#symbolIdx[i]!, view);
        return;
      }
      case MsgType.MarketDataRequestReject: {
        const i = l.parse(view.getString(Tag.MDReqID), sessionIdx);
        if (i < 0 || l.kind[i] !== K_MD) {
          this.#c.unmatchedResponses++;
          return;
        }
        // A reject is an answer too, but its latency is not a snapshot's.
        if ((l.flags[i]! & F_ANSWERED) !== 0) this.#c.duplicateResponses++;
        else {
          if ((l.flags[i]! & F_LOST) !== 0) this.#c.lateResponses++;
          else this.#c.mdRejected++;
          l.flags[i]! |= F_ANSWERED;
        }
        return;
      }
      case MsgType.BusinessMessageReject: {
        const i = l.parse(view.getString(Tag.BusinessRejectRefID), sessionIdx);
        if (i < 0) {
          this.#c.unmatchedResponses++;
          return;
        }
        if ((l.flags[i]! & F_ANSWERED) !== 0) {
          this.#c.duplicateResponses++;
          return;
        }
        l.flags[i]! |= F_ANSWERED;
        this.#c.businessRejects++;
        const root = this.#root[i]!;
        if (l.kind[i] === K_ORDER) this.#finish(root);
        else l.flags[root]! &= ~F_BUSY;
        return;
      }
      default:
        return;
    }
  }

  /**
   * An ExecutionReport: first the request it answers (an order's first report, a cancel's Canceled, a
   * replace's Replaced), then the order's state through the shared transition table; a report that
   * cannot follow the order's state (repeated after the order ended) is a duplicate.
   */
  #onExecutionReport(sessionIdx: number, view: MessageView, nowUs: number): void {
    const l = this.#l;
    const c = this.#c;
    const i = l.parse(view.getString(Tag.ClOrdID), sessionIdx);
    if (i < 0 || l.kind[i] === K_MD) {
      c.unmatchedResponses++;
      return;
    }
    // FIX 4.0-4.2's fills (150=1/2), status reports (20=3) and execution cancels/corrections (20=1/2) in
    // FIX 4.4's codes F, I, H and G (app/orders/exec_type.ts).
    const et = execTypeOf(view);
    if (et === "I") return; // status reports answer no request of ours
    const kind = l.kind[i]!;
    const root = this.#root[i]!;
    if (et === "H" || et === "G") {
      // A busted or corrected execution: no fill and no answer; the order's CumQty is the report's from
      // now on (a later fill is new if its CumQty is above it), and a live order takes its OrdStatus's
      // live phase. A finished order stays finished.
      if ((l.flags[root]! & F_DONE) !== 0) return;
      this.#cumQty[root] = view.getFloat(Tag.CumQty) ?? this.#cumQty[root]!;
      const p = phaseOfOrdStatus(view.getString(Tag.OrdStatus));
      if (p > PHASE_PENDING_NEW && isLivePhaseCode(p) && l.phase[root] !== PHASE_PENDING_NEW) {
        l.phase[root] = p;
      }
      return;
    }
    let answered = false;
    if (kind === K_ORDER && (l.flags[i]! & F_ANSWERED) === 0) {
      if (l.answer(i, nowUs, "order-to-ack")) {
        if (et === "8") c.ordersRejected++;
        else c.ordersAcked++;
      }
      answered = true;
    } else if (kind === K_CANCEL && et === "4") {
      if (!l.answer(i, nowUs, "cancel-to-ack")) return;
      c.cancelsAcked++;
      answered = true;
    } else if (kind === K_REPLACE && et === "5") {
      if (!l.answer(i, nowUs, "replace-to-ack")) return;
      c.replacesAcked++;
      this.#current[root] = i;
      this.#priceTicks[root] = this.#priceTicks[i]!;
      l.flags[root]! &= ~F_BUSY;
      answered = true;
    } else if (et === "0" || et === "8" || et === "A") {
      c.duplicateResponses++;
      return;
    }
    const known = this.#cumQty[root]!;
    let cum = known;
    let qty = this.#orderQty[root]!;
    if (et === "F" || et === "5") {
      // The order's quantities as the report states them (CumQty + LeavesQty = OrderQty).
      cum = view.getFloat(Tag.CumQty) ?? (et === "F" ? 0 : known);
      if (et === "F" && cum <= known) {
        c.duplicateResponses++;
        return;
      }
      const leaves = view.getFloat(Tag.LeavesQty);
      if (leaves !== undefined) qty = cum + leaves;
    }
    const next = nextPhase(l.phase[root]!, et, cum, qty);
    if (next < 0) {
      if (!answered) c.duplicateResponses++;
      return;
    }
    l.phase[root] = next;
    if (et === "F") {
      this.#cumQty[root] = cum;
      c.fills++;
      if (known === 0 && (l.flags[root]! & F_LOST) === 0) {
        l.onLatency("order-to-fill", nowUs - l.sentUs[root]!, l.session[root]!);
      }
      if (next === PHASE_FILLED) c.ordersFilled++;
    } else if (et === "C" || et === "3" || (et === "4" && kind !== K_CANCEL)) c.ordersEnded++;
    if (!isLivePhaseCode(next)) this.#finish(root);
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
    return this.#l.sweep(nowUs, this.#lost);
  }

  readonly #lost = (i: number): void => {
    switch (this.#l.kind[i]) {
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
  };

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
    return this.#l.outstanding();
  }

  /** Open orders of a session (sent, not finished). */
  openOrders(sessionIdx: number): number {
    return this.#open[sessionIdx]?.length ?? 0;
  }
}
