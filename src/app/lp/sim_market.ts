/**
 * LpSimulator's market data and quotes: MarketDataRequest subscriptions, snapshots and incremental
 * updates of what changed, simulated liquidity refreshed around the moving price, QuoteRequests.
 */
import type { FixMessage } from "../../codec/encoder.ts";
import { Tag } from "../../codec/tags.ts";
import type { MessageView } from "../../codec/view.ts";
import { splitGroup } from "../groups.ts";
import type * as fix44 from "../../dictionary/generated/fix44.ts";
import {
  type IncrementalEntry,
  IncrementalWithRptSeq,
  type SnapshotEntry,
  SnapshotWithRptSeq,
} from "../market_data/rpt_seq.ts";
import {
  MarketDataIncrementalRefresh,
  MarketDataRequestReject,
  MarketDataSnapshotFullRefresh,
  Quote,
  QuoteRequestReject,
} from "./sim_messages.ts";
import { type Side } from "../tags.ts";
import {
  INSTRUMENT_STOP,
  type SessionState,
  type SideLevels,
  type Subscription,
  type SymbolState,
} from "./sim_types.ts";
import { LpOrderRequests } from "./sim_order_requests.ts";
import { decimalText } from "./decimal_text.ts";

/** Market data and quotes. */
export abstract class LpMarket extends LpOrderRequests {
  protected _mdReject(s: SessionState, mdReqId: string, reason: string | undefined, text: string): void {
    this._counters.mdRejects++;
    this._emit(s.key, MarketDataRequestReject.adopt({ mdReqID: mdReqId, mdReqRejReason: reason, text }));
  }

  protected _onMarketDataRequest(s: SessionState, view: MessageView): void {
    const mdReqId = view.getString(Tag.MDReqID);
    if (mdReqId === undefined) return this._businessReject(s, view, 5, "MDReqID (262) missing");
    const type = view.getString(Tag.SubscriptionRequestType);
    if (type === "2") {
      const sub = s.subs.get(mdReqId);
      if (sub === undefined) {
        return this._mdReject(s, mdReqId, undefined, `Unknown MDReqID ${mdReqId}: nothing to unsubscribe`);
      }
      this._dropSub(sub);
      s.subs.delete(mdReqId);
      return;
    }
    if (type !== "0" && type !== "1") {
      return this._mdReject(
        s,
        mdReqId,
        "4",
        `SubscriptionRequestType ${type ?? "(missing)"} not supported (0, 1, 2)`,
      );
    }
    const depth = view.getInt(Tag.MarketDepth);
    if (depth === undefined || depth < 0) {
      return this._mdReject(
        s,
        mdReqId,
        "5",
        `MarketDepth ${view.getString(Tag.MarketDepth) ?? "(missing)"} not supported`,
      );
    }
    const upd = view.getString(Tag.MDUpdateType);
    if (upd !== undefined && upd !== "0" && upd !== "1") {
      return this._mdReject(s, mdReqId, "6", `MDUpdateType ${upd} not supported`);
    }
    const types = splitGroup(view, Tag.NoMDEntryTypes, Tag.MDEntryType, new Set([Tag.NoRelatedSym, 10]))
      .map((e) => e.getString(Tag.MDEntryType) ?? "");
    if (types.length === 0) return this._mdReject(s, mdReqId, "8", "NoMDEntryTypes (267) missing");
    const badType = types.find((t) => t !== "0" && t !== "1" && t !== "2");
    if (badType !== undefined) {
      return this._mdReject(s, mdReqId, "8", `MDEntryType ${badType} not supported (0, 1, 2)`);
    }
    const symbols = splitGroup(view, Tag.NoRelatedSym, Tag.Symbol, INSTRUMENT_STOP).map((e) =>
      e.getString(Tag.Symbol)!
    );
    if (symbols.length === 0) return this._businessReject(s, view, 5, "NoRelatedSym (146) missing", mdReqId);
    const unknown = symbols.find((x) => this._symbolFor(x) === undefined);
    if (unknown !== undefined) return this._mdReject(s, mdReqId, "0", `Unknown symbol ${unknown}`);
    // Books by their own symbol; the names the client used where they differ (EURUSD for EUR/USD).
    let names: Map<string, string> | undefined;
    for (let i = 0; i < symbols.length; i++) {
      const ref = this._symbolFor(symbols[i]!)!;
      if (ref.name !== ref.st.cfg.symbol) (names ??= new Map()).set(ref.st.cfg.symbol, ref.name);
      symbols[i] = ref.st.cfg.symbol;
    }
    if (type === "1" && s.subs.has(mdReqId)) {
      return this._mdReject(s, mdReqId, "1", `Duplicate MDReqID ${mdReqId}`);
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
      const st = this._symbol(symbol)!;
      const cur = this._current(st, sub);
      this._counters.mdSnapshots++;
      this._emit(s.key, this._snapshot(st, sub, cur, type === "1"));
      if (type === "1") {
        sub.last.set(symbol, cur);
        sub.rptSeq.set(symbol, 0);
      }
    }
    if (type === "1") {
      s.subs.set(mdReqId, sub);
      for (const symbol of symbols) {
        let set = this._subsBySymbol.get(symbol);
        if (set === undefined) this._subsBySymbol.set(symbol, set = new Set());
        set.add(sub);
      }
    }
  }

  protected _dropSub(sub: Subscription): void {
    for (const symbol of sub.symbols) this._subsBySymbol.get(symbol)?.delete(sub);
  }

  /** The levels a subscription sees now. */
  protected _current(st: SymbolState, sub: Subscription): SideLevels {
    const toMap = (side: "bid" | "offer") =>
      new Map(st.book.levels(side, sub.depth).map((l) => [l.priceTicks, l.size] as [number, number]));
    return { bids: sub.bid ? toMap("bid") : new Map(), offers: sub.offer ? toMap("offer") : new Map() };
  }

  protected _snapshot(st: SymbolState, sub: Subscription, cur: SideLevels, streaming: boolean): FixMessage {
    const entries: SnapshotEntry[] = [];
    for (const [px, size] of cur.bids) {
      entries.push({ mdEntryType: "0", mdEntryPx: this._fmt(st, px), mdEntrySize: size });
    }
    for (const [px, size] of cur.offers) {
      entries.push({ mdEntryType: "1", mdEntryPx: this._fmt(st, px), mdEntrySize: size });
    }
    if (sub.trade && st.lastTrade !== undefined) {
      const px = this._fmt(st, st.lastTrade.priceTicks);
      entries.push({ mdEntryType: "2", mdEntryPx: px, mdEntrySize: st.lastTrade.qty });
    }
    const symbol = sub.names?.get(st.cfg.symbol) ?? st.cfg.symbol;
    const data = { mdReqID: sub.mdReqId, symbol, noMDEntries: entries };
    // RptSeq (83) after Symbol: a layout no dictionary has (rpt_seq.ts); without it, FIX 4.4's W.
    if (streaming && this.config.marketData.rptSeq) {
      return SnapshotWithRptSeq.adopt({ ...data, rptSeq: sub.rptSeq.get(st.cfg.symbol) ?? 0 });
    }
    return MarketDataSnapshotFullRefresh.adopt(data);
  }

  /** Sends what changed in every dirty symbol to its subscribers. */
  protected _publish(): void {
    // Runs after every message: an index loop over a list, not a Map iterator (one allocation per call).
    const list = this._symbolList;
    for (let i = 0; i < list.length; i++) {
      const st = list[i]!;
      if (!st.dirty) continue;
      st.dirty = false;
      const subs = this._subsBySymbol.get(st.cfg.symbol);
      const trades = st.trades;
      st.trades = [];
      if (subs === undefined || subs.size === 0) continue;
      const symbol = st.cfg.symbol;
      for (const sub of subs) {
        const last = sub.last.get(symbol) ?? { bids: new Map(), offers: new Map() };
        const cur = this._current(st, sub);
        if (sub.full) {
          if (!sameLevels(last, cur) || (sub.trade && trades.length > 0)) {
            this._counters.mdUpdates++;
            this._emit(sub.sessionKey, this._snapshot(st, sub, cur, false));
          }
          sub.last.set(symbol, cur);
          continue;
        }
        const entries: IncrementalEntry[] = [];
        const name = sub.names?.get(symbol) ?? symbol;
        const add = (action: Action, type: EntryType, px: number, size: number | undefined) => {
          const e: IncrementalEntry = {
            mdUpdateAction: action,
            mdEntryType: type,
            symbol: name,
            mdEntryPx: this._fmt(st, px),
            mdEntrySize: size,
          };
          if (this.config.marketData.rptSeq) {
            const n = (sub.rptSeq.get(symbol) ?? 0) + 1;
            sub.rptSeq.set(symbol, n);
            e.rptSeq = n;
          }
          entries.push(e);
        };
        const sides: [Map<number, number>, Map<number, number>, EntryType][] = [
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
          this._counters.mdUpdates++;
          // RptSeq (83) in the entries after Symbol: a layout no dictionary has (rpt_seq.ts).
          const data = { mdReqID: sub.mdReqId, noMDEntries: entries };
          this._emit(
            sub.sessionKey,
            this.config.marketData.rptSeq
              ? IncrementalWithRptSeq.adopt(data)
              : MarketDataIncrementalRefresh.adopt(data),
          );
        }
      }
    }
  }

  /** New simulated liquidity around the current price; resting client orders it crosses trade first. */
  protected _refresh(st: SymbolState): void {
    st.book.removeSimulated();
    const { bids, offers } = st.process.levels();
    const place = (side: Side, priceTicks: number, size: number) => {
      const filled = st.book.match(side, priceTicks, size, (maker, q, px) => {
        if (maker.owner !== undefined) {
          if (maker.qty === 0) maker.owner.resting = undefined;
          this._fill(maker.owner, q, px);
        }
        this._trade(st, q, px);
      });
      if (size - filled > 0) {
        st.book.add({ seq: st.book.nextSeq(), side, priceTicks, qty: size - filled, owner: undefined });
      }
    };
    for (const l of bids) place("buy", l.priceTicks, l.size);
    for (const l of offers) place("sell", l.priceTicks, l.size);
    st.dirty = true;
  }

  protected _onQuoteRequest(s: SessionState, view: MessageView): void {
    const quoteReqId = view.getString(Tag.QuoteReqID);
    if (quoteReqId === undefined) return this._businessReject(s, view, 5, "QuoteReqID (131) missing");
    const entries = splitGroup(view, Tag.NoRelatedSym, Tag.Symbol, INSTRUMENT_STOP);
    if (entries.length === 0) {
      return this._businessReject(s, view, 5, "NoRelatedSym (146) missing", quoteReqId);
    }
    for (const e of entries) {
      const symbol = e.getString(Tag.Symbol)!;
      const st = this._symbolFor(symbol)?.st;
      if (st === undefined) {
        // FIX 4.2 has no QuoteRequestReject: a BusinessMessageReject, Unknown security (FIX 4.0 and 4.1
        // have neither: no answer).
        if (s.fixVersion <= 42) {
          this._businessReject(s, view, 2, `Unknown symbol ${symbol}`, quoteReqId);
          continue;
        }
        this._counters.quoteRejects++;
        this._emit(
          s.key,
          QuoteRequestReject.adopt({
            quoteReqID: quoteReqId,
            quoteRequestRejectReason: 1,
            noRelatedSym: [{ symbol }],
            text: `Unknown symbol ${symbol}`,
          }),
        );
        continue;
      }
      const qty = e.getFloat(Tag.OrderQty);
      // A FIX 4.0 Quote always has a bid (BidPx is required there): two-sided whatever the Side.
      const side = s.fixVersion === 40 ? undefined : e.getString(Tag.Side);
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
      this._counters.quotes++;
      this._emit(
        s.key,
        Quote.adopt({
          quoteReqID: quoteReqId,
          quoteID: this._idPrefix + "-Q" + decimalText(++this._quoteSeq),
          symbol,
          bidPx: bidTicks === undefined ? undefined : this._fmt(st, bidTicks),
          offerPx: offerTicks === undefined ? undefined : this._fmt(st, offerTicks),
          bidSize: bidTicks === undefined ? undefined : qty ?? bestBid?.size,
          offerSize: offerTicks === undefined ? undefined : qty ?? bestOffer?.size,
          validUntilTime: this._now + this.config.quotes.validityMs,
          transactTime: s.fixVersion === 40 ? undefined : this._now, // not in FIX 4.0's Quote
        }),
      );
    }
  }
}

/** MDUpdateAction (279) codes the simulator sends: new, change, delete. */
type Action = fix44.MDUpdateAction;
/** MDEntryType (269) codes the simulator sends: bid, offer, trade. */
type EntryType = "0" | "1" | "2";

function sameLevels(a: SideLevels, b: SideLevels): boolean {
  const eq = (x: Map<number, number>, y: Map<number, number>) => {
    if (x.size !== y.size) return false;
    for (const [k, v] of x) if (y.get(k) !== v) return false;
    return true;
  };
  return eq(a.bids, b.bids) && eq(a.offers, b.offers);
}
