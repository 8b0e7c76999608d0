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
 *
 * The class is built in layers, one module per concern: sim_core.ts (state and plumbing), sim_orders.ts
 * (order entry and matching), sim_order_requests.ts (cancel, replace, status), sim_market.ts (market
 * data and quotes), and here the public API.
 */
import { ADMIN_MSG_TYPES, MsgType, Tag } from "../../codec/tags.ts";
import type { MessageView } from "../../codec/view.ts";
import { windowBoundaries } from "./behaviours.ts";
import { type LpBehaviour, type LpConfig } from "./config.ts";
import { type LpOrderView, type LpOutput, type LpStats, MAX_CATCH_UP_STEPS } from "./sim_types.ts";
import { isLivePhaseCode, ORD_STATUS_OF_PHASE } from "../orders/state_machine.ts";
import { LpMarket } from "./sim_market.ts";
import { fixVersionOf } from "./sim_core.ts";

export { bookKeyOf, type LpCounters, type LpOrderView, type LpOutput, type LpStats } from "./sim_types.ts";

/** The simulator. One instance serves every session of a `simulate-lp` process. */
export class LpSimulator extends LpMarket {
  /**
   * `startMs` is the simulator's time zero: behaviour windows count from it, and generated IDs carry
   * it (in base 36) so IDs differ between runs.
   */
  constructor(config: LpConfig, startMs: number) {
    super(config, startMs);
    for (const cfg of config.symbols) this._addSymbol(cfg);
  }

  /**
   * A session logged on: its counters restart and active behaviours take effect on it. `beginString`:
   * the session's version (default FIX.4.4); FIX.4.0 to FIX.4.2 sessions get FIX 4.2's messages.
   */
  onLogon(sessionKey: string, clientCompId: string, nowMs: number, beginString?: string): LpOutput[] {
    this._begin(nowMs);
    const s = this._session(sessionKey, clientCompId, beginString);
    s.clientCompId = clientCompId;
    if (beginString !== undefined) s.fixVersion = fixVersionOf(beginString);
    s.loggedOn = true;
    s.inbound = 0;
    s.outbound = 0;
    s.seqResetsFired.clear();
    s.effects = { dropHeartbeats: false, silent: false, slowReaderMs: 0 };
    this._syncEffects(s);
    return this._end();
  }

  /** A session disconnected: its subscriptions end; with cancelOnDisconnect its orders are canceled. */
  onDisconnect(sessionKey: string, nowMs: number): LpOutput[] {
    this._begin(nowMs);
    const s = this._sessions.get(sessionKey);
    if (s !== undefined) {
      s.loggedOn = false;
      for (const sub of s.subs.values()) this._dropSub(sub);
      s.subs.clear();
      if (this.config.orders.cancelOnDisconnect) {
        for (const o of [...s.open]) this._cancelOrder(o, "Canceled on disconnect");
      }
    }
    return this._end();
  }

  /** An inbound application message of a session (valid only during the call); admin messages are ignored. */
  onMessage(sessionKey: string, view: MessageView, nowMs: number): LpOutput[] {
    if (ADMIN_MSG_TYPES.has(view.msgType)) return []; // the session layer's business, not ours
    this._begin(nowMs);
    const s = this._sessions.get(sessionKey) ??
      this._session(sessionKey, view.getString(Tag.SenderCompID) ?? "", view.getString(Tag.BeginString));
    if (!s.loggedOn) s.loggedOn = true;
    this._counters.messagesIn++;
    this._inRate.record(nowMs);
    s.inbound++;
    const k = this._knobs(s);
    this._syncEffects(s);
    switch (view.msgType) {
      case MsgType.NewOrderSingle:
        this._onNewOrder(s, view, k);
        break;
      case MsgType.OrderCancelRequest:
        this._onCancel(s, view);
        break;
      case MsgType.OrderCancelReplaceRequest:
        this._onReplace(s, view);
        break;
      case MsgType.OrderStatusRequest:
        this._onStatus(s, view);
        break;
      case MsgType.OrderMassStatusRequest:
        // FIX 4.2 defines no OrderMassStatusRequest (nor the fields of its answers).
        if (s.fixVersion <= 42) {
          this._businessReject(s, view, 3, `MsgType ${view.msgType} is not supported by the simulator`);
        } else this._onMassStatus(s, view);
        break;
      case MsgType.MarketDataRequest:
        // FIX 4.0 and 4.1 have no market data messages (the session's validation refuses V before this).
        if (s.fixVersion <= 41) {
          this._businessReject(s, view, 3, `MsgType ${view.msgType} is not supported by the simulator`);
        } else this._onMarketDataRequest(s, view);
        break;
      case MsgType.QuoteRequest:
        this._onQuoteRequest(s, view);
        break;
      case MsgType.BusinessMessageReject:
        break; // the client rejected something of ours: nothing to answer
      default:
        this._businessReject(s, view, 3, `MsgType ${view.msgType} is not supported by the simulator`);
    }
    let disconnect: string | undefined;
    if (k.disconnectAfterMessages !== undefined && s.inbound >= k.disconnectAfterMessages) {
      disconnect = `behaviour disconnectAfterMessages: ${s.inbound} messages received`;
    } else if (k.disconnectProbability > 0 && this._rng.next() < k.disconnectProbability) {
      disconnect = "behaviour disconnectProbability";
    }
    if (disconnect !== undefined) {
      this._publish(); // market data changed by this message goes out before the connection drops
      this._effect(s.key, { kind: "disconnect", reason: disconnect });
      s.inbound = 0;
    }
    return this._end();
  }

  /** Time passed: price steps, deferred matches, Day order expiry, behaviour windows opening and closing. */
  onTimer(nowMs: number): LpOutput[] {
    this._begin(nowMs);
    for (const st of this._symbols.values()) {
      if (nowMs < st.nextStepMs) continue;
      const steps = Math.floor((nowMs - st.nextStepMs) / st.intervalMs) + 1;
      if (st.cfg.updatesPerSecond > 0) {
        for (let i = 0; i < Math.min(steps, MAX_CATCH_UP_STEPS); i++) st.process.step(st.intervalMs);
      }
      st.nextStepMs += steps * st.intervalMs;
      this._refresh(st);
    }
    this._stepsDueMs = Infinity;
    for (const st of this._symbols.values()) this._stepsDueMs = Math.min(this._stepsDueMs, st.nextStepMs);
    if (this._deferred.length > 0) {
      const due = this._deferred.filter((o) => o.deferredDueMs !== undefined && o.deferredDueMs <= nowMs);
      if (due.length > 0) {
        this._deferred = this._deferred.filter((o) => !due.includes(o));
        due.sort((a, b) => a.deferredDueMs! - b.deferredDueMs! || a.deferSeq - b.deferSeq);
        for (const o of due) {
          o.deferredDueMs = undefined;
          if (isLivePhaseCode(o.phase)) this._execute(o);
        }
      }
    }
    this._checkDayEnd(nowMs);
    const keepMs = this.config.orders.forgetDoneAfterMs;
    if (keepMs !== undefined) this._forgetDone(nowMs - keepMs);
    for (const s of this._sessions.values()) if (s.loggedOn) this._syncEffects(s);
    this._lastTimerMs = Math.max(this._lastTimerMs, nowMs);
    return this._end();
  }

  /** The next time `onTimer` has work, or undefined. */
  nextTimerMs(): number | undefined {
    let t = this._stepsDueMs;
    const deferred = this._deferred, boundaries = this._boundaries;
    for (let i = 0; i < deferred.length; i++) {
      const due = deferred[i]!.deferredDueMs;
      if (due !== undefined) t = Math.min(t, due);
    }
    for (let i = 0; i < boundaries.length; i++) {
      const abs = this.startMs + boundaries[i]!;
      if (abs > this._lastTimerMs) {
        t = Math.min(t, abs);
        break;
      }
    }
    return t === Infinity ? undefined : t;
  }

  /** Replaces the behaviours (e.g. from a control command); windows still count from `startMs`. */
  setBehaviours(list: readonly LpBehaviour[]): void {
    this._behaviours = [...list];
    this._boundaries = windowBoundaries(this._behaviours);
    this._knobCache.clear();
  }

  /** The behaviours in force. */
  behaviours(): readonly LpBehaviour[] {
    return this._behaviours;
  }

  /** Counters, rates and sizes at `nowMs`. */
  stats(nowMs: number): LpStats {
    let open = 0, subs = 0;
    for (const s of this._sessions.values()) {
      subs += s.subs.size;
      open += s.open.size;
    }
    return {
      ...this._counters,
      messagesPerSecondIn: this._inRate.perSecond(nowMs),
      messagesPerSecondOut: this._outRate.perSecond(nowMs),
      openOrders: open,
      subscriptions: subs,
      sessions: this._sessions.size,
    };
  }

  /** Symbols served. */
  symbols(): string[] {
    return [...this._symbols.keys()];
  }

  /** Aggregated book levels of a symbol, best first (n = 0: all), prices formatted to the tick. */
  levels(symbol: string, side: "bid" | "offer", n = 0): { price: string; size: number }[] {
    const st = this._symbol(symbol);
    if (st === undefined) return [];
    return st.book.levels(side, n).map((l) => ({ price: this._fmt(st, l.priceTicks), size: l.size }));
  }

  /** Current mid price of the price process. */
  mid(symbol: string): number | undefined {
    const st = this._symbol(symbol);
    return st === undefined ? undefined : (st.process.midTicks * st.units) / st.scale;
  }

  /** An order of a session by any of its ClOrdIDs. */
  order(sessionKey: string, clOrdId: string): LpOrderView | undefined {
    const s = this._sessions.get(sessionKey);
    const o = s === undefined ? undefined : this._orderById(s, clOrdId);
    if (o === undefined) return undefined;
    const st = this._symbol(o.symbol)!;
    return {
      orderId: this._orderIdOf(o),
      clOrdId: this._clOrdIdOf(o),
      symbol: o.symbol,
      side: o.side,
      ordType: o.ordType,
      price: o.priceTicks === undefined ? undefined : this._fmt(st, o.priceTicks),
      timeInForce: o.tif,
      orderQty: o.orderQty,
      cumQty: o.cumQty,
      leavesQty: this._leaves(o),
      ordStatus: ORD_STATUS_OF_PHASE[o.phase]!,
      resting: o.resting !== undefined,
      deferredUntilMs: o.deferredDueMs,
    };
  }
}
