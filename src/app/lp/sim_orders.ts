/**
 * LpSimulator's order entry: NewOrderSingle checks and rejects, matching against the book (fill
 * latency, partial fills, IOC/FOK/market remainders), finished orders forgotten, Day orders expiring at
 * the end of the trading day.
 */
import { Tag } from "../../codec/tags.ts";
import type { FieldReader, MessageView } from "../../codec/view.ts";
import { type ExecutionReportFields } from "./sim_messages.ts";
import { uniform } from "../prng.ts";
import { ordTypeOf, sideOf, timeInForceOf } from "../tags.ts";
import { minuteOfDayIn } from "../time_of_day.ts";
import { type Knobs, knobsAt, sampleLatency } from "./behaviours.ts";
import { ORD_STATUS_OF_PHASE, PHASE_FILLED, PHASE_PENDING_NEW } from "../orders/state_machine.ts";
import {
  type LpOrder,
  NO_EXTRA,
  type ReportExtra,
  type SessionState,
  type SymbolState,
} from "./sim_types.ts";
import { LpCore } from "./sim_core.ts";

/** Order entry and matching. */
export abstract class LpOrders extends LpCore {
  /** ExecutionReport 150=8 for an order that is not taken. */
  protected _rejectOrder(
    s: SessionState,
    clOrdId: string,
    symbol: string,
    sideCode: string,
    view: FieldReader,
    ordRejReason: number,
    text: string,
  ): void {
    this._counters.rejects++;
    const fields: ExecutionReportFields = {
      orderID: this._nextOrderId(),
      clOrdID: clOrdId,
      execID: this._nextExecId(),
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
      transactTime: this._now,
      text,
    };
    // Kept for the trading day (a status request gets its OrderID and state).
    s.rejected.set(clOrdId, fields);
    this._doneQueue.push({ atMs: this._now, order: undefined, rejected: { s, clOrdId, fields } });
    this._emitReport(s.key, fields, true);
  }

  /**
   * ExecType 8, OrdRejReason 6 for a new order whose ClOrdID the session used today. The new order is
   * not taken; the report carries the order that has the ClOrdID (its OrderID, OrdStatus and quantities),
   * as FIX 4.4's matrix F.1.b does ("a reject of the second order with a status on the first"), so a
   * client does not take its working order for rejected.
   */
  protected _rejectDuplicate(
    s: SessionState,
    clOrdId: string,
    existing: LpOrder | undefined,
    rejected: ExecutionReportFields | undefined,
  ): void {
    this._counters.rejects++;
    const text = `Duplicate ClOrdID ${clOrdId}`;
    if (existing !== undefined) {
      const o = existing, st = this._symbol(o.symbol)!;
      return this._emitReport(s.key, {
        orderID: this._orderIdOf(o),
        clOrdID: clOrdId,
        execID: this._nextExecId(),
        execType: "8",
        ordStatus: ORD_STATUS_OF_PHASE[o.phase]!,
        ordRejReason: 6,
        symbol: o.symbol,
        side: o.sideCode,
        orderQty: o.orderQty,
        ordType: o.ordTypeCode,
        price: o.priceTicks === undefined ? undefined : this._fmt(st, o.priceTicks),
        timeInForce: o.tifCode,
        leavesQty: this._leaves(o),
        cumQty: o.cumQty,
        avgPx: this._fmtAvg(st, o),
        transactTime: this._now,
        text,
      });
    }
    this._emitReport(s.key, {
      ...rejected!,
      execID: this._nextExecId(),
      ordRejReason: 6,
      transactTime: this._now,
      text,
    });
  }

  /** A status report (150=I) of a rejected order, from the fields of its reject. */
  protected _reportRejected(s: SessionState, f: ExecutionReportFields, extra: ReportExtra): void {
    this._emitReport(s.key, {
      ...f,
      ordRejReason: undefined,
      ordStatusReqID: extra.ordStatusReqId,
      execID: this._nextExecId(),
      execType: "I",
      transactTime: this._now,
      text: extra.text ?? f.text,
    });
  }

  protected _onNewOrder(s: SessionState, view: MessageView, k: Knobs): void {
    const clOrdId = view.getString(Tag.ClOrdID);
    const symbol = view.getString(Tag.Symbol);
    const sideCode = view.getString(Tag.Side);
    if (clOrdId === undefined || symbol === undefined || sideCode === undefined) {
      const missing = clOrdId === undefined
        ? "ClOrdID (11)"
        : symbol === undefined
        ? "Symbol (55)"
        : "Side (54)";
      this._businessReject(s, view, 5, `${missing} missing`, clOrdId);
      return;
    }
    this._counters.ordersReceived++;
    const reject = (code: number, text: string) =>
      this._rejectOrder(s, clOrdId, symbol, sideCode, view, code, text);
    const existing = this._orderById(s, clOrdId);
    const rejected = existing === undefined && s.rejected.size > 0 ? s.rejected.get(clOrdId) : undefined;
    if (existing !== undefined || rejected !== undefined) {
      // A resent order (PossDup) we already have: answer with its status rather than a duplicate reject.
      if (view.getBoolean(Tag.PossDupFlag) === true) {
        this._counters.statusReports++;
        const text = "PossDup order already received";
        if (existing !== undefined) this._report(existing, "I", { text });
        else this._reportRejected(s, rejected!, { text });
      } else this._rejectDuplicate(s, clOrdId, existing, rejected);
      return;
    }
    const side = sideOf(sideCode);
    if (side === undefined) return reject(11, `Side ${sideCode} not supported (1 buy, 2 sell)`);
    const ref = this._symbolFor(symbol);
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
      const t = this._toTicks(st, px);
      if (typeof t === "string") return reject(99, t);
      priceTicks = t;
    }
    if (k.rejectFraction > 0 && this._rng.next() < k.rejectFraction) return reject(0, k.rejectReason);
    // In ackOnly mode the order the window displaces (forgotten) lends this one its object: a long run
    // allocates no order objects once the window is full (they would die in the old generation).
    const o = (k.ackOnly ? this._displaceAckOnly(s) : undefined) ?? blankOrder();
    o.orderNo = ++this._orderSeq;
    o.sessionKey = s.key;
    o.symbol = ref.name; // the client's name, one string kept per name (not this message's copy)
    o.side = side;
    o.sideCode = sideCode;
    o.ordType = ordType;
    o.ordTypeCode = ordTypeCode!;
    o.priceTicks = priceTicks;
    o.tif = tif;
    o.tifCode = tifCode ?? "0";
    o.orderQty = qty;
    o.cumQty = 0;
    o.notionalTicks = 0;
    o.phase = PHASE_PENDING_NEW;
    o.resting = undefined;
    o.deferredDueMs = undefined;
    o.deferSeq = 0;
    o.priorIds = undefined;
    o.openPrev = undefined;
    o.openNext = undefined;
    o.inOpen = false;
    o.inAckOnlyWindow = false;
    // In ackOnly mode the ClOrdID is kept as bytes (the string dies young: window_ids.ts).
    o.clOrdId = "";
    o.idSlot = k.ackOnly ? s.windowIds.add(clOrdId, o) : -1;
    if (o.idSlot < 0) {
      o.clOrdId = clOrdId;
      s.orders.set(clOrdId, o);
    }
    s.open.add(o);
    this._counters.acks++;
    this._advance(o, "0");
    this._report(o, "0", NO_EXTRA, clOrdId);
    if (k.ackOnly) this._keepAckOnly(s, o);
    const latency = sampleLatency(k.fillLatencyMs, this._rng);
    if (latency > 0) this._defer(o, latency);
    else this._execute(o);
  }

  /**
   * Makes room in the session's ackOnly window (its `orders.ackOnlyWindow` acknowledged orders that are
   * still working) for the next order: when it is full, the oldest working one is forgotten (off the
   * open list, its ClOrdIDs out of the map) and returned for the next order to reuse. Finished orders
   * take no room: they are left to the finished-order rules (they are in the queue of finished orders).
   */
  protected _displaceAckOnly(s: SessionState): LpOrder | undefined {
    if (s.ackOnlyWorking < this.config.orders.ackOnlyWindow) return undefined;
    const q = s.ackOnly;
    for (;;) {
      // ackOnlyWorking > 0: a working one is ahead.
      const old = q[s.ackOnlyNext]!;
      s.ackOnlyNext = s.ackOnlyNext + 1 === q.length ? 0 : s.ackOnlyNext + 1;
      s.ackOnlyLength--;
      if (!old.inAckOnlyWindow) continue; // finished since
      old.inAckOnlyWindow = false;
      s.ackOnlyWorking--;
      this._unbook(old);
      s.open.delete(old);
      this._forgetIds(s, old);
      return old;
    }
  }

  /**
   * Puts an order acknowledged in ackOnly mode at the end of its session's window (where
   * `_displaceAckOnly` made room). The queue is a ring of at most twice the window: when it is full,
   * the finished orders in it are dropped (a working order kept among many canceled ones holds no more).
   */
  protected _keepAckOnly(s: SessionState, o: LpOrder): void {
    o.inAckOnlyWindow = true;
    s.ackOnlyWorking++;
    let q = s.ackOnly;
    if (s.ackOnlyLength === q.length) {
      const n = s.ackOnlyLength, head = s.ackOnlyNext;
      const cap = 2 * this.config.orders.ackOnlyWindow;
      if (q.length < cap) {
        // Grows (in order, from 0) up to its capacity: only while the first orders come in. The slots
        // past the orders hold `o` (never read): the array stays packed.
        const size = Math.min(cap, Math.max(16, 2 * q.length));
        const grown: LpOrder[] = [];
        for (let i = 0; i < n; i++) grown.push(q[(head + i) % q.length]!);
        while (grown.length < size) grown.push(o);
        q = s.ackOnly = grown;
        s.ackOnlyNext = 0;
      } else {
        // Full: keep the working ones, in order (at most the window less the one being added).
        let w = 0;
        for (let i = 0; i < n; i++) {
          const e = q[(head + i) % q.length]!;
          if (e.inAckOnlyWindow) q[(head + w++) % q.length] = e;
        }
        s.ackOnlyLength = w;
      }
    }
    const at = s.ackOnlyNext + s.ackOnlyLength++;
    q[at < q.length ? at : at - q.length] = o;
  }

  /** An order finished: it leaves its session's ackOnly window, its ClOrdID kept as a string until forgotten. */
  protected _leaveAckOnly(s: SessionState | undefined, o: LpOrder): void {
    if (s !== undefined) this._idToMap(s, o);
    if (!o.inAckOnlyWindow) return;
    o.inAckOnlyWindow = false;
    if (s !== undefined) s.ackOnlyWorking--;
  }

  /** Removes an order's ClOrdIDs (its current one and its chain's) from its session. */
  protected _forgetIds(s: SessionState, o: LpOrder): void {
    if (o.idSlot >= 0) {
      s.windowIds.remove(o.idSlot);
      o.idSlot = -1;
    } else if (s.orders.get(o.clOrdId) === o) s.orders.delete(o.clOrdId);
    if (o.priorIds !== undefined) {
      for (const id of o.priorIds) if (s.orders.get(id) === o) s.orders.delete(id);
    }
  }

  protected _defer(o: LpOrder, delayMs: number): void {
    o.deferredDueMs = this._now + delayMs;
    o.deferSeq = ++this._deferSeq;
    this._deferred.push(o);
  }

  /** Matches an order (new, deferred or replaced) and rests, defers or cancels what is left. */
  protected _execute(o: LpOrder): void {
    const st = this._symbol(o.symbol)!;
    const s = this._sessions.get(o.sessionKey);
    const k = s !== undefined ? this._knobs(s) : knobsAt([], 0, "");
    if (k.ackOnly) return; // acknowledged and left working: never matched, never in the book
    const leaves = o.orderQty - o.cumQty;
    if (leaves <= 0) return;
    if (o.tif === "fok" && st.book.available(o.side, o.priceTicks, leaves) < leaves) {
      this._cancelOrder(o, "FOK order could not be filled in full");
      return;
    }
    let cap = leaves;
    const partial = o.tif !== "fok" && leaves >= 2 && k.partialFillProbability > 0 &&
      this._rng.next() < k.partialFillProbability;
    if (partial) cap = Math.max(1, Math.min(leaves - 1, Math.floor(leaves * uniform(this._rng, 0.2, 0.8))));
    const filled = st.book.match(o.side, o.priceTicks, cap, (maker, q, px) => {
      this._fill(o, q, px);
      if (maker.owner !== undefined) {
        if (maker.qty === 0) maker.owner.resting = undefined;
        this._fill(maker.owner, q, px);
      }
      this._trade(st, q, px);
    });
    const remaining = leaves - filled;
    if (remaining <= 0) return;
    if (o.tif === "ioc" || o.ordType === "market") {
      this._cancelOrder(
        o,
        o.ordType === "market"
          ? "Market order remainder canceled: no more liquidity"
          : "IOC remainder canceled",
      );
      return;
    }
    if (partial && filled === cap) {
      // The rest fills later: not in the book meanwhile, so the book never shows a crossed order.
      const later = sampleLatency(k.fillLatencyMs, this._rng);
      this._defer(o, later > 0 ? later : Math.max(1, Math.round(st.intervalMs)));
      return;
    }
    o.resting = { seq: st.book.nextSeq(), side: o.side, priceTicks: o.priceTicks!, qty: remaining, owner: o };
    st.book.add(o.resting);
    st.dirty = true;
  }

  protected _fill(o: LpOrder, qty: number, priceTicks: number): void {
    o.cumQty += qty;
    o.notionalTicks += qty * priceTicks;
    this._advance(o, "F");
    if (o.phase === PHASE_FILLED) this._done(o);
    this._counters.fills++;
    this._report(o, "F", { lastQty: qty, lastPx: priceTicks });
  }

  protected _trade(st: SymbolState, qty: number, priceTicks: number): void {
    st.trades.push({ priceTicks, qty });
    st.lastTrade = { priceTicks, qty };
    st.dirty = true;
  }

  /** An order finished: it leaves the open set and will be forgotten after `forgetDoneAfterMs`. */
  protected _done(o: LpOrder): void {
    const s = this._sessions.get(o.sessionKey);
    s?.open.delete(o);
    this._leaveAckOnly(s, o);
    this._doneQueue.push({ atMs: this._now, order: o });
  }

  /**
   * Forgets finished and rejected orders that finished by `beforeMs` (all of them when the trading day
   * ends; past `forgetDoneAfterMs` when that is set), so a long run does not grow without bound.
   */
  protected _forgetDone(beforeMs: number): void {
    const q = this._doneQueue;
    while (this._doneHead < q.length && q[this._doneHead]!.atMs <= beforeMs) {
      const e = q[this._doneHead++]!;
      const r = e.rejected;
      if (r !== undefined && r.s.rejected.get(r.clOrdId) === r.fields) r.s.rejected.delete(r.clOrdId);
      const o = e.order;
      if (o === undefined) continue;
      const s = this._sessions.get(o.sessionKey);
      if (s !== undefined) this._forgetIds(s, o);
    }
    if (this._doneHead > 1024 && this._doneHead * 2 > q.length) {
      this._doneQueue = q.slice(this._doneHead);
      this._doneHead = 0;
    }
  }

  /** Takes an order off the book and the deferred list. */
  protected _unbook(o: LpOrder): void {
    const st = this._symbol(o.symbol)!;
    if (o.resting !== undefined) {
      st.book.remove(o.resting);
      o.resting = undefined;
      st.dirty = true;
    }
    if (o.deferredDueMs !== undefined) {
      o.deferredDueMs = undefined;
      this._deferred = this._deferred.filter((d) => d !== o);
    }
  }

  /** Cancels an order on the simulator's own account (IOC/FOK/market remainders, disconnect). */
  protected _cancelOrder(o: LpOrder, text: string): void {
    this._unbook(o);
    this._advance(o, "4");
    this._done(o);
    this._counters.cancels++;
    this._report(o, "4", { text });
  }

  /**
   * At the end of the trading day (orders.dayEnd; 00:00 UTC when that is null) Day orders expire (only
   * with a dayEnd) and finished orders are forgotten (unless forgetDoneAfterMs forgets them earlier).
   */
  protected _checkDayEnd(nowMs: number): void {
    const de = this.config.orders.dayEnd ?? { time: "00:00", timeZone: "UTC" };
    if (this._dayEndMinute === undefined || nowMs - this._lastDayCheckMs < 1000) return;
    this._lastDayCheckMs = nowMs;
    const m = minuteOfDayIn(nowMs, de.timeZone);
    const prev = this._lastDayMinute;
    this._lastDayMinute = m;
    if (prev === undefined || prev === m) return;
    const end = this._dayEndMinute;
    const crossed = prev < m ? prev < end && end <= m : end > prev || end <= m;
    if (!crossed) return;
    if (this.config.orders.forgetDoneAfterMs === undefined) this._forgetDone(nowMs - 1);
    if (this.config.orders.dayEnd === undefined) return;
    for (const s of this._sessions.values()) {
      for (const o of [...s.open]) {
        if (o.tif !== "day") continue;
        this._unbook(o);
        this._advance(o, "C");
        this._done(o);
        this._counters.expired++;
        this._report(o, "C", { text: `Day order expired at ${de.time} ${de.timeZone}` });
      }
    }
  }
}

/** An order object before its fields are set (every field present: one shape for all orders). */
function blankOrder(): LpOrder {
  return {
    orderNo: 0,
    sessionKey: "",
    clOrdId: "",
    idSlot: -1,
    symbol: "",
    side: "buy",
    sideCode: "",
    ordType: "limit",
    ordTypeCode: "",
    priceTicks: undefined,
    tif: "day",
    tifCode: "",
    orderQty: 0,
    cumQty: 0,
    notionalTicks: 0,
    phase: PHASE_PENDING_NEW,
    resting: undefined,
    deferredDueMs: undefined,
    deferSeq: 0,
    priorIds: undefined,
    openPrev: undefined,
    openNext: undefined,
    inOpen: false,
    inAckOnlyWindow: false,
  };
}
