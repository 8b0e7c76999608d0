/**
 * OrderTracker: the order side of one session. It builds D/F/G/H/AF after the risk checks, and
 * follows every order through the ExecutionReports and OrderCancelRejects that come back. A report
 * that contradicts what the tracker holds is returned as an anomaly with a reason and changes
 * nothing: the caller decides (log it, ask for a status, stop trading).
 * Test code: the strict client the simulator's tests trade through (docs/architecture.md, order model).
 */
import type { FixMessage } from "../../src/codec/encoder.ts";
import { MsgType, Tag } from "../../src/codec/tags.ts";
import type { FieldReader, MessageView } from "../../src/codec/view.ts";
import * as fix44 from "../../src/dictionary/generated/fix44.ts";
import { loose } from "../../src/dictionary/typed.ts";
import {
  ORD_TYPE_CODE,
  type OrdTypeName,
  type Side,
  SIDE_CODE,
  TIF_CODE,
  type TimeInForceName,
} from "../../src/app/tags.ts";
import { DEFAULT_RISK_LIMITS, type RiskCheck, RiskGate, type RiskLimits } from "../../src/app/orders/risk.ts";
import { ORD_STATUS_OF_PHASE, PHASE_CODE } from "../../src/app/orders/state_machine.ts";
import {
  applyReport,
  isLivePhase,
  type OrderRecord,
  type OrderState,
  parseExecutionReport,
  stateOf,
} from "./order_reports.ts";

/** FIX 4.4's typed builders (one body for every version); tags.ts's codes are plain strings: loose. */
const NewOrderSingle = loose(fix44.NewOrderSingle);
const OrderCancelRequest = loose(fix44.OrderCancelRequest);
const OrderCancelReplaceRequest = loose(fix44.OrderCancelReplaceRequest);
const OrderStatusRequest = loose(fix44.OrderStatusRequest);

/** A new order as the application asks for it. */
export interface NewOrderRequest {
  symbol: string;
  side: Side;
  orderQty: number;
  /** Default: "limit" when a price is given, else "market". */
  ordType?: OrdTypeName;
  price?: number;
  /** Default "day". */
  timeInForce?: TimeInForceName;
  /** Default: generated (prefix + counter). */
  clOrdId?: string;
  account?: string;
  currency?: string;
  text?: string;
}

/** New terms of a replace; absent terms stay as they are. */
export interface ReplaceRequest {
  orderQty?: number;
  price?: number;
  timeInForce?: TimeInForceName;
  clOrdId?: string;
}

/** Why a request was not built, besides the risk checks. */
export type RefusalKind = RiskCheck | "unknown-order" | "order-state";

/** A message to send, or the reason nothing is sent. */
export type SendResult =
  | { ok: true; clOrdId: string; message: FixMessage }
  | { ok: false; check: RefusalKind; reason: string };

/** A read-only copy of an order. */
export interface OrderSnapshot extends
  Pick<
    OrderRecord,
    | "orderId"
    | "symbol"
    | "side"
    | "ordType"
    | "price"
    | "timeInForce"
    | "account"
    | "orderQty"
    | "cumQty"
    | "leavesQty"
    | "avgPx"
    | "lastQty"
    | "lastPx"
    | "pending"
    | "text"
    | "sentMs"
    | "updatedMs"
  > {
  /** The ClOrdID asked for with `get` (the current one elsewhere). */
  clOrdId: string;
  /** The ClOrdID in force. */
  currentClOrdId: string;
  /** ClOrdIDs of the chain, oldest first. */
  chain: readonly string[];
  /** State of this ClOrdID: "Replaced" for an earlier ClOrdID of a replaced chain. */
  state: OrderState;
}

/** What an OrderCancelReject said. */
export interface CancelRejectInfo {
  responseTo: "cancel" | "replace";
  /** CxlRejReason (102), e.g. 0 too late, 1 unknown order. */
  reason: number | undefined;
  text: string | undefined;
}

/** The outcome of an inbound ExecutionReport or OrderCancelReject. */
export type ReportResult =
  | {
    kind: "applied";
    order: OrderSnapshot;
    from: OrderState;
    to: OrderState;
    execType: string | undefined;
    fill: { lastQty: number; lastPx: number } | undefined;
    cancelReject: CancelRejectInfo | undefined;
    /** This reject tripped the circuit breaker. */
    breakerTripped: boolean;
  }
  /** A PossDup repeat of a report already applied: ignored. */
  | { kind: "duplicate"; order: OrderSnapshot; execId: string }
  /** The report contradicts the tracked state and was not applied. */
  | {
    kind: "anomaly";
    reason: string;
    clOrdId: string | undefined;
    execId: string | undefined;
    order: OrderSnapshot | undefined;
  };

/** Options of a tracker. */
export interface OrderTrackerOptions {
  /** Risk limits of the session (default DEFAULT_RISK_LIMITS). */
  risk?: RiskLimits;
  /** Reference price for the collar and market-order notional (e.g. a book's mid). */
  referencePrice?: (symbol: string) => number | undefined;
  /**
   * Prefix of generated ClOrdIDs. It must differ between runs of the same session (ClOrdIDs must be
   * unique per trading day): the default is the first `nowMs` in base 36 and a dash.
   */
  clOrdIdPrefix?: string;
}

/** Tracks the orders of one session and guards what goes out. */
export class OrderTracker {
  readonly gate: RiskGate;
  #byClOrdId = new Map<string, OrderRecord>();
  #byOrderId = new Map<string, OrderRecord>();
  #orders = new Map<string, OrderRecord>();
  #open = new Set<OrderRecord>();
  #used = new Set<string>();
  /** ClOrdIDs superseded by an accepted replace (their state reads "Replaced"). */
  #replaced = new Set<string>();
  #prefix: string | undefined;
  #seq = 0;

  constructor(opts: OrderTrackerOptions = {}) {
    this.gate = new RiskGate(opts.risk ?? DEFAULT_RISK_LIMITS, opts.referencePrice);
    this.#prefix = opts.clOrdIdPrefix;
  }

  #nextId(nowMs: number): string {
    if (this.#prefix === undefined) this.#prefix = `${Math.floor(nowMs).toString(36)}-`;
    let id: string;
    do id = `${this.#prefix}${++this.#seq}`; while (this.#used.has(id));
    return id;
  }

  /** Builds a NewOrderSingle after the risk checks. */
  newOrder(req: NewOrderRequest, nowMs: number): SendResult {
    const clOrdId = req.clOrdId ?? this.#nextId(nowMs);
    const ordType = req.ordType ?? (req.price !== undefined ? "limit" : "market");
    const tif = req.timeInForce ?? "day";
    const d = this.gate.check(
      {
        symbol: req.symbol,
        side: req.side,
        ordType,
        orderQty: req.orderQty,
        price: req.price,
        clOrdId,
        isReplace: false,
      },
      { openOrders: this.#open.size, clOrdIdUsed: this.#used.has(clOrdId) },
      nowMs,
    );
    if (!d.ok) return d;
    const rec: OrderRecord = {
      clOrdId,
      chain: [clOrdId],
      orderId: undefined,
      symbol: req.symbol,
      side: req.side,
      ordType,
      price: req.price,
      timeInForce: tif,
      account: req.account,
      orderQty: req.orderQty,
      cumQty: 0,
      leavesQty: req.orderQty,
      avgPx: 0,
      notional: 0,
      lastQty: undefined,
      lastPx: undefined,
      phase: "PendingNew",
      pending: undefined,
      execIds: new Set(),
      text: undefined,
      sentMs: nowMs,
      updatedMs: nowMs,
    };
    this.#used.add(clOrdId);
    this.#byClOrdId.set(clOrdId, rec);
    this.#orders.set(clOrdId, rec);
    this.#open.add(rec);
    const message = NewOrderSingle.adopt({
      clOrdID: clOrdId,
      account: req.account,
      symbol: req.symbol,
      side: SIDE_CODE[req.side],
      transactTime: nowMs,
      orderQty: req.orderQty,
      ordType: ORD_TYPE_CODE[ordType],
      price: req.price,
      currency: req.currency,
      timeInForce: TIF_CODE[tif],
      text: req.text,
    });
    return { ok: true, clOrdId, message };
  }

  #requestable(clOrdId: string): OrderRecord | SendResult {
    const rec = this.#byClOrdId.get(clOrdId);
    if (rec === undefined) return { ok: false, check: "unknown-order", reason: `unknown ClOrdID ${clOrdId}` };
    if (!isLivePhase(rec.phase)) {
      return {
        ok: false,
        check: "order-state",
        reason: `order ${rec.clOrdId} is ${rec.phase}: nothing to change`,
      };
    }
    if (rec.pending !== undefined) {
      return {
        ok: false,
        check: "order-state",
        reason:
          `a ${rec.pending.kind} request (${rec.pending.clOrdId}) of order ${rec.clOrdId} is still in flight`,
      };
    }
    return rec;
  }

  /** Builds an OrderCancelRequest for the order holding `clOrdId` (any ClOrdID of its chain). */
  cancel(clOrdId: string, nowMs: number, opts: { clOrdId?: string; text?: string } = {}): SendResult {
    const rec = this.#requestable(clOrdId);
    if (!("chain" in rec)) return rec;
    const newId = opts.clOrdId ?? this.#nextId(nowMs);
    if (this.#used.has(newId)) {
      return {
        ok: false,
        check: "duplicate-clordid",
        reason: `duplicate ClOrdID ${newId}: already used on this session`,
      };
    }
    rec.pending = {
      kind: "cancel",
      clOrdId: newId,
      acknowledged: false,
      orderQty: undefined,
      price: undefined,
      timeInForce: undefined,
      sentMs: nowMs,
    };
    rec.updatedMs = nowMs;
    this.#used.add(newId);
    this.#byClOrdId.set(newId, rec);
    const message = OrderCancelRequest.adopt({
      origClOrdID: rec.clOrdId,
      orderID: rec.orderId,
      clOrdID: newId,
      symbol: rec.symbol,
      side: SIDE_CODE[rec.side],
      transactTime: nowMs,
      orderQty: rec.orderQty,
      text: opts.text,
    });
    return { ok: true, clOrdId: newId, message };
  }

  /** Builds an OrderCancelReplaceRequest after the risk checks on the new terms. */
  replace(clOrdId: string, changes: ReplaceRequest, nowMs: number): SendResult {
    const rec = this.#requestable(clOrdId);
    if (!("chain" in rec)) return rec;
    const newId = changes.clOrdId ?? this.#nextId(nowMs);
    const qty = changes.orderQty ?? rec.orderQty;
    const price = changes.price ?? rec.price;
    const tif = changes.timeInForce ?? rec.timeInForce;
    if (rec.ordType === "market" && changes.price !== undefined) {
      return { ok: false, check: "price", reason: "a market order takes no price" };
    }
    if (qty < rec.cumQty) {
      return { ok: false, check: "quantity", reason: `new OrderQty ${qty} is below CumQty ${rec.cumQty}` };
    }
    const d = this.gate.check(
      {
        symbol: rec.symbol,
        side: rec.side,
        ordType: rec.ordType,
        orderQty: qty,
        price,
        clOrdId: newId,
        isReplace: true,
      },
      { openOrders: this.#open.size, clOrdIdUsed: this.#used.has(newId) },
      nowMs,
    );
    if (!d.ok) return d;
    rec.pending = {
      kind: "replace",
      clOrdId: newId,
      acknowledged: false,
      orderQty: qty,
      price,
      timeInForce: tif,
      sentMs: nowMs,
    };
    rec.updatedMs = nowMs;
    this.#used.add(newId);
    this.#byClOrdId.set(newId, rec);
    const message = OrderCancelReplaceRequest.adopt({
      orderID: rec.orderId,
      origClOrdID: rec.clOrdId,
      clOrdID: newId,
      account: rec.account,
      symbol: rec.symbol,
      side: SIDE_CODE[rec.side],
      transactTime: nowMs,
      orderQty: qty,
      ordType: ORD_TYPE_CODE[rec.ordType],
      price,
      timeInForce: TIF_CODE[tif],
    });
    return { ok: true, clOrdId: newId, message };
  }

  /** Builds an OrderStatusRequest for a known order (no risk checks: it changes nothing). */
  status(clOrdId: string, opts: { ordStatusReqId?: string } = {}): SendResult {
    const rec = this.#byClOrdId.get(clOrdId);
    if (rec === undefined) return { ok: false, check: "unknown-order", reason: `unknown ClOrdID ${clOrdId}` };
    const message = OrderStatusRequest.adopt({
      orderID: rec.orderId,
      clOrdID: rec.clOrdId,
      ordStatusReqID: opts.ordStatusReqId,
      symbol: rec.symbol,
      side: SIDE_CODE[rec.side],
    });
    return { ok: true, clOrdId: rec.clOrdId, message };
  }

  /** Builds an OrderMassStatusRequest: all orders (type 7), or those of `symbol` (type 1). */
  massStatus(nowMs: number, opts: { massStatusReqId?: string; symbol?: string } = {}): FixMessage {
    const id = opts.massStatusReqId ?? `${this.#nextId(nowMs)}-MS`;
    return fix44.OrderMassStatusRequest.adopt({
      massStatusReqID: id,
      massStatusReqType: opts.symbol !== undefined ? 1 : 7,
      symbol: opts.symbol,
    });
  }

  /** Dispatches an inbound ExecutionReport (8) or OrderCancelReject (9); undefined for other types. */
  onMessage(view: MessageView, nowMs: number): ReportResult | undefined {
    if (view.msgType === MsgType.ExecutionReport) return this.onExecutionReport(view, nowMs);
    if (view.msgType === MsgType.OrderCancelReject) return this.onCancelReject(view, nowMs);
    return undefined;
  }

  #find(clOrdId: string | undefined, origClOrdId: string | undefined, orderId: string | undefined) {
    return (clOrdId !== undefined ? this.#byClOrdId.get(clOrdId) : undefined) ??
      (origClOrdId !== undefined ? this.#byClOrdId.get(origClOrdId) : undefined) ??
      (orderId !== undefined ? this.#byOrderId.get(orderId) : undefined);
  }

  /** Applies an ExecutionReport, or returns why it cannot be applied. */
  onExecutionReport(view: FieldReader, nowMs: number): ReportResult {
    const r = parseExecutionReport(view);
    const rec = this.#find(r.clOrdId, r.origClOrdId, r.orderId);
    if (rec === undefined) {
      return anomaly(
        `unknown order: ClOrdID ${r.clOrdId ?? "(none)"}${
          r.orderId !== undefined ? `, OrderID ${r.orderId}` : ""
        }`,
        r.clOrdId,
        r.execId,
        undefined,
      );
    }
    if (r.execId !== undefined && r.execType !== "I" && rec.execIds.has(r.execId)) {
      if (r.possDup) return { kind: "duplicate", order: snapshot(rec, rec.clOrdId), execId: r.execId };
      return anomaly(
        `duplicate ExecID ${r.execId} without PossDupFlag`,
        r.clOrdId,
        r.execId,
        snapshot(rec, rec.clOrdId),
      );
    }
    const from = stateOf(rec);
    const t = applyReport(rec, r, nowMs);
    if (!t.ok) return anomaly(t.reason, r.clOrdId, r.execId, snapshot(rec, rec.clOrdId));
    if (r.execType === "5") this.#replaced.add(rec.clOrdId);
    Object.assign(rec, t.next);
    if (r.execId !== undefined && r.execType !== "I") rec.execIds.add(r.execId);
    if (t.newClOrdId !== undefined && !rec.chain.includes(t.newClOrdId)) {
      rec.chain.push(t.newClOrdId);
      rec.clOrdId = t.newClOrdId;
      this.#byClOrdId.set(t.newClOrdId, rec);
    }
    if (t.finishedRequest !== undefined && !rec.chain.includes(t.finishedRequest)) {
      this.#byClOrdId.delete(t.finishedRequest);
    }
    if (rec.orderId !== undefined) this.#byOrderId.set(rec.orderId, rec);
    this.#updateOpen(rec);
    const breakerTripped = t.rejected ? this.gate.recordReject(nowMs) : false;
    return {
      kind: "applied",
      order: snapshot(rec, rec.clOrdId),
      from,
      to: stateOf(rec),
      execType: r.execType,
      fill: t.fill,
      cancelReject: undefined,
      breakerTripped,
    };
  }

  /** Applies an OrderCancelReject: the cancel or replace request is over, the order stays as it was. */
  onCancelReject(view: FieldReader, nowMs: number): ReportResult {
    const clOrdId = view.getString(Tag.ClOrdID);
    const orig = view.getString(Tag.OrigClOrdID);
    const os = view.getString(Tag.OrdStatus);
    const to = view.getString(Tag.CxlRejResponseTo);
    const rec = this.#find(clOrdId, orig, view.getString(Tag.OrderID));
    if (rec === undefined) {
      return anomaly(
        `OrderCancelReject for an unknown order: ClOrdID ${clOrdId ?? "(none)"}`,
        clOrdId,
        undefined,
        undefined,
      );
    }
    const snap = snapshot(rec, rec.clOrdId);
    const p = rec.pending;
    if (p === undefined || p.clOrdId !== clOrdId) {
      return anomaly(
        `OrderCancelReject for ClOrdID ${clOrdId}, but no request with that ClOrdID is in flight`,
        clOrdId,
        undefined,
        snap,
      );
    }
    const expectedTo = p.kind === "cancel" ? "1" : "2";
    if (to !== expectedTo) {
      return anomaly(
        `OrderCancelReject with CxlRejResponseTo ${to} for a ${p.kind} request`,
        clOrdId,
        undefined,
        snap,
      );
    }
    if (orig !== undefined && !rec.chain.includes(orig)) {
      return anomaly(
        `OrderCancelReject with OrigClOrdID ${orig}, which is not of order ${rec.clOrdId}`,
        clOrdId,
        undefined,
        snap,
      );
    }
    const expected = [ORD_STATUS_OF_PHASE[PHASE_CODE[rec.phase]]!, p.kind === "cancel" ? "6" : "E"];
    if (os === undefined || !expected.includes(os)) {
      return anomaly(
        `OrderCancelReject says OrdStatus ${os ?? "(none)"}, but the order is ${rec.phase} (expected ${
          expected.join(" or ")
        })`,
        clOrdId,
        undefined,
        snap,
      );
    }
    const from = stateOf(rec);
    rec.pending = undefined;
    rec.updatedMs = nowMs;
    const text = view.getString(Tag.Text);
    if (text !== undefined) rec.text = text;
    this.#byClOrdId.delete(p.clOrdId);
    return {
      kind: "applied",
      order: snapshot(rec, rec.clOrdId),
      from,
      to: stateOf(rec),
      execType: undefined,
      fill: undefined,
      cancelReject: { responseTo: p.kind, reason: view.getInt(Tag.CxlRejReason), text },
      breakerTripped: false,
    };
  }

  #updateOpen(rec: OrderRecord): void {
    if (isLivePhase(rec.phase)) this.#open.add(rec);
    else this.#open.delete(rec);
  }

  /** Orders that are still open (PendingNew, New, PartiallyFilled, with or without a request in flight). */
  openOrders(): OrderSnapshot[] {
    return [...this.#open].map((r) => snapshot(r, r.clOrdId));
  }

  /** The order holding `clOrdId` (current, earlier or of a request in flight), or undefined. */
  get(clOrdId: string): OrderSnapshot | undefined {
    const rec = this.#byClOrdId.get(clOrdId);
    return rec === undefined ? undefined : snapshot(rec, clOrdId, this.#replaced.has(clOrdId));
  }

  /** The order with this OrderID, or undefined. */
  getByOrderId(orderId: string): OrderSnapshot | undefined {
    const rec = this.#byOrderId.get(orderId);
    return rec === undefined ? undefined : snapshot(rec, rec.clOrdId);
  }

  /** Counts a reject the tracker cannot see (e.g. a BusinessMessageReject of a D) toward the breaker. */
  recordReject(nowMs: number): boolean {
    return this.gate.recordReject(nowMs);
  }

  /** True while the circuit breaker stops new orders. */
  get halted(): boolean {
    return this.gate.breaker?.open ?? false;
  }

  /** Closes the circuit breaker: new orders may go out again. */
  reset(): void {
    this.gate.breaker?.reset();
  }

  /** Forgets finished orders last updated before `beforeMs` (their ClOrdIDs stay reserved). Returns how many. */
  purgeDone(beforeMs: number): number {
    let n = 0;
    for (const [k, rec] of this.#orders) {
      if (isLivePhase(rec.phase) || rec.updatedMs >= beforeMs) continue;
      this.#orders.delete(k);
      for (const id of rec.chain) {
        this.#byClOrdId.delete(id);
        this.#replaced.delete(id);
      }
      if (rec.pending) this.#byClOrdId.delete(rec.pending.clOrdId);
      if (rec.orderId !== undefined) this.#byOrderId.delete(rec.orderId);
      n++;
    }
    return n;
  }
}

function anomaly(
  reason: string,
  clOrdId: string | undefined,
  execId: string | undefined,
  order: OrderSnapshot | undefined,
): ReportResult {
  return { kind: "anomaly", reason, clOrdId, execId, order };
}

function snapshot(rec: OrderRecord, asked: string, replaced = false): OrderSnapshot {
  return {
    clOrdId: asked,
    currentClOrdId: rec.clOrdId,
    chain: [...rec.chain],
    orderId: rec.orderId,
    symbol: rec.symbol,
    side: rec.side,
    ordType: rec.ordType,
    price: rec.price,
    timeInForce: rec.timeInForce,
    account: rec.account,
    orderQty: rec.orderQty,
    cumQty: rec.cumQty,
    leavesQty: rec.leavesQty,
    avgPx: rec.avgPx,
    lastQty: rec.lastQty,
    lastPx: rec.lastPx,
    state: replaced ? "Replaced" : stateOf(rec),
    pending: rec.pending === undefined ? undefined : { ...rec.pending },
    text: rec.text,
    sentMs: rec.sentMs,
    updatedMs: rec.updatedMs,
  };
}
