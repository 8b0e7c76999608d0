/**
 * LpSimulator's state and plumbing: symbols and their books, sessions, behaviour knobs and effects,
 * outputs, ExecutionReports, IDs. The order, request and market data modules extend it
 * (sim_orders -> sim_order_requests -> sim_market -> simulator).
 */
import type { FixMessage } from "../../codec/encoder.ts";
import { formatScaled } from "../../codec/encoder.ts";
import type { MessageView } from "../../codec/view.ts";
import { IdMap } from "../id_map.ts";
import { PriceText } from "../price_text.ts";
import {
  BusinessMessageReject,
  ExecutionReport,
  ExecutionReport42,
  type ExecutionReportFields,
  fix42Report,
  fix43Report,
} from "./sim_messages.ts";
import { createPrng, deriveSeed, type Prng } from "../prng.ts";
import { parseHhMm } from "../time_of_day.ts";
import { type Knobs, knobsAt, type LpEffect, windowBoundaries } from "./behaviours.ts";
import { type LpBehaviour, type LpConfig, type LpSymbolConfig, tickDecimals } from "./config.ts";
import { MatchingBook } from "./matching_book.ts";
import { decimalText } from "./decimal_text.ts";
import { WindowIds } from "./window_ids.ts";
import { isLivePhaseCode, nextPhase, ORD_STATUS_OF_PHASE, PHASES } from "../orders/state_machine.ts";
import { PriceProcess } from "./price_process.ts";
import {
  bookKeyOf,
  type LpOrder,
  type LpOutput,
  MAX_SYMBOLS,
  newCounters,
  NO_EXTRA,
  NO_OUTPUT,
  OpenList,
  RateMeter,
  type ReportExtra,
  type SessionState,
  type Subscription,
  type SymbolState,
} from "./sim_types.ts";

/**
 * The shape of a session's messages by its BeginString: 40, 41, 42, 43 for FIX.4.0 to FIX.4.3, 44 for
 * FIX.4.4 and FIXT.1.1 (and anything else).
 */
export function fixVersionOf(beginString: string): number {
  switch (beginString) {
    case "FIX.4.0":
      return 40;
    case "FIX.4.1":
      return 41;
    case "FIX.4.2":
      return 42;
    case "FIX.4.3":
      return 43;
    default:
      return 44;
  }
}

/** The simulator's state and the plumbing every part uses. */
export abstract class LpCore {
  readonly config: LpConfig;
  readonly startMs: number;
  protected _behaviours: LpBehaviour[];
  protected _boundaries: number[];
  protected _rng: Prng;
  protected _symbols = new Map<string, SymbolState>();
  /** The values of `_symbols`, in the same order (fixed after construction). */
  protected _symbolList: SymbolState[] = [];

  /**
   * A symbol's state. A few symbols are compared in a loop: the name comes fresh from the wire, and
   * a Map lookup would first hash it (V8 does that slowly for a new string).
   */
  protected _symbol(name: string): SymbolState | undefined {
    const list = this._symbolList;
    if (list.length > 16) return this._symbols.get(name) ?? this._aliases.get(name)?.st;
    for (let i = 0; i < list.length; i++) if (list[i]!.cfg.symbol === name) return list[i];
    return this._aliases.size === 0 ? undefined : this._aliases.get(name)?.st;
  }

  /**
   * The book of a symbol a client names, and the name to answer with (one string kept per name), making
   * a book for a new symbol unless `strictSymbols`; undefined: unknown (strict) or too many symbols.
   */
  protected _symbolFor(name: string): { st: SymbolState; name: string } | undefined {
    const list = this._symbolList;
    if (list.length <= 16) {
      for (let i = 0; i < list.length; i++) {
        const st = list[i]!;
        if (st.cfg.symbol === name) return st.ref;
      }
    } else {
      const st = this._symbols.get(name);
      if (st !== undefined) return st.ref;
    }
    const known = this._aliases.get(name);
    if (known !== undefined) return known;
    const key = bookKeyOf(name);
    let st = this._byKey.get(key);
    if (st === undefined) {
      if (this.config.strictSymbols || this._symbols.size >= MAX_SYMBOLS || this._symbols.has(key)) {
        return undefined;
      }
      st = this._addSymbol({ ...this.config.otherSymbols, symbol: key });
      if (key === name) return st.ref;
    }
    const ref = { st, name };
    this._aliases.set(name, ref);
    return ref;
  }

  /** Adds a book (at construction, or for a symbol first asked for). */
  protected _addSymbol(cfg: LpSymbolConfig): SymbolState {
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
    st.nextStepMs = this._now + st.intervalMs;
    this._stepsDueMs = Math.min(this._stepsDueMs, st.nextStepMs);
    this._symbols.set(cfg.symbol, st);
    if (!this._byKey.has(bookKeyOf(cfg.symbol))) this._byKey.set(bookKeyOf(cfg.symbol), st);
    this._symbolList.push(st);
    this._refresh(st);
    st.dirty = false;
    return st;
  }
  /** Books by bookKeyOf of their symbol. */
  protected _byKey = new Map<string, SymbolState>();
  /** Names clients used that are not a book's own symbol (EURUSD for EUR/USD). */
  protected _aliases = new Map<string, { st: SymbolState; name: string }>();
  protected _sessions = new Map<string, SessionState>();
  protected _subsBySymbol = new Map<string, Set<Subscription>>();
  protected _deferred: LpOrder[] = [];
  /** The earliest `nextStepMs` of the symbols (they move only in onTimer): nextTimerMs runs after every message. */
  protected _stepsDueMs = Infinity;
  /** Finished orders (and rejected ones) in the order they finished: forgotten from the front. */
  protected _doneQueue: {
    atMs: number;
    order: LpOrder | undefined;
    rejected?: { s: SessionState; clOrdId: string; fields: ExecutionReportFields };
  }[] = [];
  protected _doneHead = 0;
  protected _idPrefix: string;
  protected _orderSeq = 0;
  protected _execSeq = 0;
  protected _quoteSeq = 0;
  protected _deferSeq = 0;
  protected _counters = newCounters();
  protected _inRate = new RateMeter();
  protected _outRate = new RateMeter();
  /** Outputs of the call in progress (NO_OUTPUT until the first: see _output). */
  protected _out: LpOutput[] = NO_OUTPUT;
  protected _now = 0;
  protected _knobCache = new Map<string, Knobs>();
  /** Behaviour windows (boundaries) passed when `_knobCache` was filled: knobs only change at a boundary. */
  protected _knobWindow = 0;
  protected _lastTimerMs: number;
  protected _dayEndMinute: number | undefined;
  protected _lastDayMinute: number | undefined = undefined;
  protected _lastDayCheckMs = -Infinity;
  /**
   * `startMs` is the simulator's time zero: behaviour windows count from it, and generated IDs carry
   * it (in base 36) so IDs differ between runs.
   */
  constructor(config: LpConfig, startMs: number) {
    this.config = config;
    this.startMs = startMs;
    this._behaviours = [...config.behaviours];
    this._boundaries = windowBoundaries(this._behaviours);
    this._rng = createPrng(deriveSeed(config.seed, "behaviours"));
    this._idPrefix = Math.floor(startMs).toString(36).toUpperCase();
    this._lastTimerMs = startMs;
    this._now = startMs;
    this._dayEndMinute = parseHhMm(config.orders.dayEnd?.time ?? "00:00");
  }

  protected _begin(nowMs: number): void {
    this._now = nowMs;
    this._out = NO_OUTPUT;
    // Knobs depend on time only through the behaviour windows: keep them while no boundary is crossed.
    const elapsedMs = nowMs - this.startMs;
    let window = 0;
    const boundaries = this._boundaries;
    while (window < boundaries.length && boundaries[window]! <= elapsedMs) window++;
    if (window !== this._knobWindow) {
      this._knobWindow = window;
      this._knobCache.clear();
    }
  }

  protected _end(): LpOutput[] {
    this._publish();
    const out = this._out;
    this._out = NO_OUTPUT;
    return out;
  }

  protected _session(key: string, clientCompId: string, beginString = "FIX.4.4"): SessionState {
    let s = this._sessions.get(key);
    if (s === undefined) {
      s = {
        key,
        clientCompId,
        fixVersion: fixVersionOf(beginString),
        loggedOn: true,
        orders: new IdMap(),
        windowIds: new WindowIds(this.config.orders.ackOnlyWindow),
        open: new OpenList(),
        ackOnly: [],
        ackOnlyNext: 0,
        ackOnlyLength: 0,
        ackOnlyWorking: 0,
        rejected: new Map(),
        inbound: 0,
        outbound: 0,
        subs: new Map(),
        effects: { dropHeartbeats: false, silent: false, slowReaderMs: 0 },
        seqResetsFired: new Set(),
      };
      this._sessions.set(key, s);
    }
    return s;
  }

  protected _knobs(s: SessionState): Knobs {
    let k = this._knobCache.get(s.key);
    if (k === undefined) {
      k = knobsAt(this._behaviours, this._now - this.startMs, s.clientCompId);
      this._knobCache.set(s.key, k);
    }
    return k;
  }

  /** Emits the state effects whose wanted value differs from what the engine was last told. */
  protected _syncEffects(s: SessionState): void {
    if (!s.loggedOn) return;
    const k = this._knobs(s);
    if (k.dropHeartbeats !== s.effects.dropHeartbeats) {
      s.effects.dropHeartbeats = k.dropHeartbeats;
      this._effect(s.key, { kind: "drop-heartbeats", active: k.dropHeartbeats });
    }
    if (k.goSilent !== s.effects.silent) {
      s.effects.silent = k.goSilent;
      this._effect(s.key, { kind: "silence", active: k.goSilent });
    }
    if (k.slowReaderMs !== s.effects.slowReaderMs) {
      s.effects.slowReaderMs = k.slowReaderMs;
      this._effect(s.key, { kind: "slow-reader", delayMs: k.slowReaderMs });
    }
    for (const r of k.sequenceResets) {
      if (s.seqResetsFired.has(r.index)) continue;
      s.seqResetsFired.add(r.index);
      this._effect(s.key, { kind: "sequence-reset", jump: r.jump });
    }
  }

  protected _effect(sessionKey: string, effect: LpEffect): void {
    this._counters.effects++;
    this._output({ sessionKey, effect, dueMs: this._now });
  }

  /** Adds an output; the first of a call makes a one-element array (most calls have one output). */
  protected _output(o: LpOutput): void {
    if (this._out === NO_OUTPUT) this._out = [o];
    else this._out.push(o);
  }

  /** Queues a message; a skip-seq behaviour may put a gap before it. */
  protected _emit(sessionKey: string, message: FixMessage): void {
    this._emitOn(this._sessions.get(sessionKey), sessionKey, message);
  }

  /**
   * Queues an ExecutionReport in the shape of the session's version (FIX 4.2's on a FIX 4.0 to 4.2
   * session, without what FIX 4.3 lacks on a FIX 4.3 one). `keep`: the fields are kept (a rejected order's), so the message copies them.
   */
  protected _emitReport(sessionKey: string, fields: ExecutionReportFields, keep = false): void {
    const s = this._sessions.get(sessionKey);
    const v = s !== undefined ? s.fixVersion : 44;
    const message = v < 44
      ? v === 43
        ? ExecutionReport.adopt(fix43Report(fields))
        : ExecutionReport42.adopt(fix42Report(fields, v))
      : keep
      ? ExecutionReport.build(fields)
      : ExecutionReport.adopt(fields);
    this._emitOn(s, sessionKey, message);
  }

  /** `_emit` with the session already looked up. */
  protected _emitOn(s: SessionState | undefined, sessionKey: string, message: FixMessage): void {
    if (s !== undefined && s.loggedOn) {
      s.outbound++;
      const sk = this._knobs(s).skipSeqNums;
      if (sk !== undefined) {
        const every = sk.everyMessages !== undefined && s.outbound % sk.everyMessages === 0;
        const random = sk.probability !== undefined && sk.probability > 0 &&
          this._rng.next() < sk.probability;
        if (every || random) this._effect(sessionKey, { kind: "skip-seq", count: sk.count });
      }
    }
    this._counters.messagesOut++;
    this._outRate.record(this._now);
    this._output({ sessionKey, message, dueMs: this._now });
  }

  /** A BusinessMessageReject; none on a FIX 4.0 or 4.1 session (those versions have none: no answer). */
  protected _businessReject(
    s: SessionState,
    view: MessageView,
    reason: number,
    text: string,
    refId?: string,
  ): void {
    if (s.fixVersion <= 41) return;
    this._counters.businessRejects++;
    const seq = view.seqNum;
    this._emit(
      s.key,
      BusinessMessageReject.adopt({
        refSeqNum: seq > 0 ? seq : undefined,
        refMsgType: view.msgType,
        businessRejectRefID: refId,
        businessRejectReason: reason,
        text,
      }),
    );
  }

  protected _fmt(st: SymbolState, ticks: number): string {
    return st.priceText.of(ticks);
  }

  /** AvgPx exactly when the average is a whole number of price units, else with 6 more decimals. */
  protected _fmtAvg(st: SymbolState, o: LpOrder): string | number {
    if (o.cumQty === 0) return 0;
    const scaled = (o.notionalTicks * st.units) / o.cumQty;
    if (Number.isInteger(scaled)) return formatScaled(scaled, st.decimals);
    return (scaled / st.scale).toFixed(st.decimals + 6).replace(/0+$/, "");
  }

  /** Price in ticks, or a reason it is not a usable price. */
  protected _toTicks(st: SymbolState, px: number): number | string {
    if (!(px > 0)) return `Price ${px} must be > 0`;
    const t = (px * st.scale) / st.units;
    const r = Math.round(t);
    if (Math.abs(t - r) > 1e-6) return `Price ${px} is not a multiple of the tick size ${st.cfg.tickSize}`;
    return r;
  }

  protected _leaves(o: LpOrder): number {
    return isLivePhaseCode(o.phase) ? o.orderQty - o.cumQty : 0;
  }

  /**
   * Moves an order through the shared order state machine for the ExecutionReport it is about to get
   * (its CumQty and OrderQty already updated); the simulator only sends reports the machine allows.
   */
  protected _advance(o: LpOrder, execType: string): void {
    const p = nextPhase(o.phase, execType, o.cumQty, o.orderQty);
    if (p < 0) {
      throw new Error(
        `LP order ${this._clOrdIdOf(o)}: ExecType ${execType} cannot follow ${PHASES[o.phase]}`,
      );
    }
    o.phase = p;
  }

  /** An ExecutionReport of `o`; `clOrdId` when the caller has it (else read from the order). */
  protected _report(
    o: LpOrder,
    execType: string,
    extra: ReportExtra = NO_EXTRA,
    clOrdId: string = this._clOrdIdOf(o),
  ): void {
    const st = this._symbol(o.symbol)!;
    this._emitReport(
      o.sessionKey,
      {
        orderID: this._orderIdOf(o),
        clOrdID: clOrdId,
        origClOrdID: extra.origClOrdId,
        ordStatusReqID: extra.ordStatusReqId,
        massStatusReqID: extra.massStatusReqId,
        totNumReports: extra.totNumReports,
        lastRptRequested: extra.lastRptRequested,
        execID: this._nextExecId(),
        execType,
        ordStatus: ORD_STATUS_OF_PHASE[o.phase]!,
        symbol: o.symbol,
        side: o.sideCode,
        orderQty: o.orderQty,
        ordType: o.ordTypeCode,
        price: o.priceTicks === undefined ? undefined : this._fmt(st, o.priceTicks),
        timeInForce: o.tifCode,
        lastQty: extra.lastQty,
        lastPx: extra.lastPx === undefined ? undefined : this._fmt(st, extra.lastPx),
        leavesQty: this._leaves(o),
        cumQty: o.cumQty,
        avgPx: this._fmtAvg(st, o),
        transactTime: this._now,
        text: extra.text,
      },
    );
  }

  // IDs: decimalText, not `${n}` (V8's number-string cache would keep every number's digits alive for
  // 16,384 more conversions: promoted, see decimal_text.ts).
  protected _nextExecId(): string {
    return this._idPrefix + "-E" + decimalText(++this._execSeq);
  }

  protected _nextOrderId(): string {
    return this._idPrefix + "-O" + decimalText(++this._orderSeq);
  }

  /** An order's OrderID (made when needed: the order keeps its number). */
  protected _orderIdOf(o: LpOrder): string {
    return this._idPrefix + "-O" + decimalText(o.orderNo);
  }

  /** An order's ClOrdID now (from its session's windowIds while it is kept there). */
  protected _clOrdIdOf(o: LpOrder): string {
    if (o.idSlot < 0) return o.clOrdId;
    return this._sessions.get(o.sessionKey)!.windowIds.text(o.idSlot);
  }

  /** A session's order by any ClOrdID of its chain (or a cancel request's), or undefined. */
  protected _orderById(s: SessionState, clOrdId: string): LpOrder | undefined {
    const o = s.orders.size > 0 ? s.orders.get(clOrdId) : undefined;
    return o !== undefined || s.windowIds.size === 0 ? o : s.windowIds.get(clOrdId);
  }

  /** Moves an order's ClOrdID from the session's windowIds to its `orders` (before it changes or is kept). */
  protected _idToMap(s: SessionState, o: LpOrder): void {
    if (o.idSlot < 0) return;
    o.clOrdId = s.windowIds.text(o.idSlot);
    s.windowIds.remove(o.idSlot);
    o.idSlot = -1;
    s.orders.set(o.clOrdId, o);
  }

  /** Sends what changed in every dirty symbol to its subscribers (sim_market). */
  protected abstract _publish(): void;
  /** New simulated liquidity around the current price (sim_market). */
  protected abstract _refresh(st: SymbolState): void;
}
