/**
 * LpSimulator's requests on existing orders: OrderCancelRequest, OrderCancelReplaceRequest (with their
 * OrderCancelRejects), OrderStatusRequest and OrderMassStatusRequest.
 */
import { Tag } from "../../codec/tags.ts";
import type { MessageView } from "../../codec/view.ts";
import { cxlRejReasonIn, OrderCancelReject, type OrderCancelRejectFields } from "./sim_messages.ts";
import { AppTag, timeInForceOf } from "../tags.ts";
import { isLivePhaseCode, ORD_STATUS_OF_PHASE, PHASE_FILLED, PHASES } from "../orders/state_machine.ts";
import { type LpOrder, type SessionState } from "./sim_types.ts";
import { LpOrders } from "./sim_orders.ts";

/** Cancel, replace and status requests. */
export abstract class LpOrderRequests extends LpOrders {
  protected _cancelReject(
    s: SessionState,
    responseTo: "1" | "2",
    clOrdId: string,
    origClOrdId: string,
    o: LpOrder | undefined,
    reason: number,
    text: string,
    /** OrderID of a rejected order (`o` undefined: OrdStatus 8). */
    rejectedOrderId?: string,
  ): void {
    this._counters.cancelRejects++;
    // FIX 4.1 has no TransactTime or CxlRejResponseTo in it, FIX 4.0 no OrigClOrdID or OrdStatus either.
    const v = s.fixVersion, old = v <= 41;
    this._emit(
      s.key,
      OrderCancelReject.adopt({
        orderID: o !== undefined ? this._orderIdOf(o) : rejectedOrderId ?? "NONE",
        clOrdID: clOrdId,
        origClOrdID: v === 40 ? undefined : origClOrdId,
        ordStatus: v === 40 ? undefined : o === undefined ? "8" : ORD_STATUS_OF_PHASE[o.phase]!,
        transactTime: old ? undefined : this._now,
        cxlRejResponseTo: old ? undefined : responseTo,
        cxlRejReason: v < 44 ? cxlRejReasonIn(v, reason) : reason,
        text,
      } as OrderCancelRejectFields),
    );
  }

  /** The order a cancel or replace refers to, or the reject already sent. */
  protected _target(
    s: SessionState,
    view: MessageView,
    responseTo: "1" | "2",
  ): { o: LpOrder; clOrdId: string; orig: string } | undefined {
    const clOrdId = view.getString(Tag.ClOrdID);
    const orig = view.getString(Tag.OrigClOrdID);
    if (clOrdId === undefined || orig === undefined) {
      this._businessReject(
        s,
        view,
        5,
        `${clOrdId === undefined ? "ClOrdID (11)" : "OrigClOrdID (41)"} missing`,
        clOrdId,
      );
      return undefined;
    }
    const what = responseTo === "1" ? "cancel" : "replace";
    const o = this._orderById(s, orig);
    const refuse = (reason: number, text: string, rejectedOrderId?: string) => {
      this._cancelReject(s, responseTo, clOrdId, orig, o, reason, text, rejectedOrderId);
      return undefined;
    };
    if (o === undefined) {
      const rejected = s.rejected.size > 0 ? s.rejected.get(orig) : undefined;
      if (rejected !== undefined) {
        return refuse(0, `Too late to ${what}: order was rejected`, rejected.orderID);
      }
      return refuse(1, `Unknown order ${orig}`);
    }
    if (this._orderById(s, clOrdId) !== undefined || (s.rejected.size > 0 && s.rejected.has(clOrdId))) {
      return refuse(6, `Duplicate ClOrdID ${clOrdId}`);
    }
    if (!isLivePhaseCode(o.phase)) {
      return refuse(0, `Too late to ${what}: order is ${PHASES[o.phase]!.toLowerCase()}`);
    }
    const current = this._clOrdIdOf(o);
    if (orig !== current) {
      return refuse(99, `OrigClOrdID ${orig} was replaced: the order is now ${current}`);
    }
    const side = view.getString(Tag.Side);
    if (side !== undefined && side !== o.sideCode) {
      return refuse(99, `Side ${side} differs from the order's ${o.sideCode}`);
    }
    const symbol = view.getString(Tag.Symbol);
    if (symbol !== undefined && symbol !== o.symbol && this._symbol(symbol) !== this._symbol(o.symbol)) {
      return refuse(99, `Symbol ${symbol} differs from the order's ${o.symbol}`);
    }
    return { o, clOrdId, orig };
  }

  protected _onCancel(s: SessionState, view: MessageView): void {
    const t = this._target(s, view, "1");
    if (t === undefined) return;
    const { o, clOrdId, orig } = t;
    this._unbook(o);
    this._advance(o, "4");
    this._idToMap(s, o);
    (o.priorIds ??= []).push(o.clOrdId);
    o.clOrdId = clOrdId;
    s.orders.set(clOrdId, o);
    this._done(o);
    this._counters.cancels++;
    this._report(o, "4", { origClOrdId: orig });
  }

  protected _onReplace(s: SessionState, view: MessageView): void {
    const t = this._target(s, view, "2");
    if (t === undefined) return;
    const { o, clOrdId, orig } = t;
    const st = this._symbol(o.symbol)!;
    const rej = (text: string) => this._cancelReject(s, "2", clOrdId, orig, o, 99, text);
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
      const tk = this._toTicks(st, px);
      if (typeof tk === "string") return rej(tk);
      priceTicks = tk;
    }
    const wasResting = o.resting !== undefined;
    const losesPriority = priceTicks !== o.priceTicks || qty > o.orderQty || tif !== o.tif;
    o.orderQty = qty;
    o.priceTicks = priceTicks;
    o.tif = tif;
    if (tifCode !== undefined) o.tifCode = tifCode;
    this._idToMap(s, o);
    (o.priorIds ??= []).push(o.clOrdId);
    o.clOrdId = clOrdId;
    s.orders.set(clOrdId, o);
    this._counters.replaces++;
    this._advance(o, "5");
    if (o.phase === PHASE_FILLED) {
      this._unbook(o);
      this._done(o);
    } else if (wasResting && !losesPriority) {
      o.resting!.qty = o.orderQty - o.cumQty; // a smaller order keeps its place
      st.dirty = true;
    }
    this._report(o, "5", { origClOrdId: orig });
    if (wasResting && losesPriority && o.phase !== PHASE_FILLED) {
      this._unbook(o);
      this._execute(o); // the new price may cross; whatever is left rests at the back of its level
    }
  }

  protected _onStatus(s: SessionState, view: MessageView): void {
    const clOrdId = view.getString(Tag.ClOrdID);
    const reqId = view.getString(AppTag.OrdStatusReqID);
    if (clOrdId === undefined) return this._businessReject(s, view, 5, "ClOrdID (11) missing");
    this._counters.statusReports++;
    const o = this._orderById(s, clOrdId);
    if (o !== undefined) {
      // Its identifiers now: OrderID, the ClOrdID in force and (after a replace or cancel) the one before.
      const prior = o.priorIds?.at(-1);
      return this._report(
        o,
        "I",
        prior === undefined ? { ordStatusReqId: reqId } : {
          ordStatusReqId: reqId,
          origClOrdId: prior,
        },
      );
    }
    const rejected = s.rejected.size > 0 ? s.rejected.get(clOrdId) : undefined;
    if (rejected !== undefined) return this._reportRejected(s, rejected, { ordStatusReqId: reqId });
    this._emitReport(
      s.key,
      {
        orderID: "NONE",
        clOrdID: clOrdId,
        ordStatusReqID: reqId,
        execID: this._nextExecId(),
        execType: "I",
        ordStatus: "8",
        symbol: view.getString(Tag.Symbol) ?? "[N/A]",
        side: view.getString(Tag.Side) ?? "1",
        leavesQty: 0,
        cumQty: 0,
        avgPx: 0,
        transactTime: this._now,
        text: `Unknown order ${clOrdId}`,
      },
    );
  }

  protected _onMassStatus(s: SessionState, view: MessageView): void {
    const id = view.getString(Tag.MassStatusReqID);
    const type = view.getInt(Tag.MassStatusReqType);
    if (id === undefined) return this._businessReject(s, view, 5, "MassStatusReqID (584) missing");
    const symbol = view.getString(Tag.Symbol);
    if (type !== 7 && type !== 1) {
      return this._businessReject(
        s,
        view,
        0,
        `MassStatusReqType ${type ?? "(missing)"} not supported (1 security, 7 all)`,
        id,
      );
    }
    if (type === 1 && symbol === undefined) {
      return this._businessReject(s, view, 5, "Symbol (55) required with MassStatusReqType 1", id);
    }
    const book = symbol === undefined ? undefined : this._symbol(symbol);
    const open = [...s.open].filter((o) =>
      type === 7 || o.symbol === symbol || (book !== undefined && this._symbol(o.symbol) === book)
    );
    open.forEach((o, i) => {
      this._counters.statusReports++;
      this._report(o, "I", {
        massStatusReqId: id,
        totNumReports: open.length,
        lastRptRequested: i === open.length - 1,
      });
    });
  }
}
