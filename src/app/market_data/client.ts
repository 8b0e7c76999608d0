/**
 * MarketDataClient: the market data side of one session. It builds subscriptions, routes W, X and Y
 * to one BookBuilder per symbol, and turns stale books into fresh snapshot requests.
 */
import type { FixMessage } from "../../codec/encoder.ts";
import { MsgType } from "../../codec/tags.ts";
import type { MessageView } from "../../codec/view.ts";
import type { MdEntryTypeName } from "../tags.ts";
import { BookBuilder, type BookUpdate } from "./book.ts";
import {
  buildMarketDataRequest,
  type MdIncrementalEntry,
  type MdReject,
  parseIncremental,
  parseMdReject,
  parseSnapshot,
} from "./request.ts";

/** A subscription as the client asks for it. */
export interface SubscribeParams {
  symbols: readonly string[];
  /** 0 = full book (default), 1 = top of book (the book then runs in top-only mode). */
  depth?: number;
  entryTypes?: readonly MdEntryTypeName[];
  updateType?: "incremental" | "full";
  /** Default: generated. */
  mdReqId?: string;
}

/** What an inbound market data message did. */
export type MdEvent =
  | { kind: "snapshot"; mdReqId: string | undefined; symbol: string; update: BookUpdate }
  | { kind: "incremental"; mdReqId: string | undefined; updates: { symbol: string; update: BookUpdate }[] }
  | { kind: "reject"; reject: MdReject }
  /** A message the client could not place (no Symbol, unknown MDReqID). */
  | { kind: "anomaly"; reason: string };

interface Subscription {
  symbols: string[];
  depth: number;
  entryTypes: readonly MdEntryTypeName[];
}

/** Subscriptions and books of one session. */
export class MarketDataClient {
  #books = new Map<string, BookBuilder>();
  #subs = new Map<string, Subscription>();
  #depthBySymbol = new Map<string, { depth: number; entryTypes: readonly MdEntryTypeName[] }>();
  #prefix: string;
  #seq = 0;

  /** `mdReqIdPrefix` must differ between runs when MDReqIDs have to be unique (default "md-"). */
  constructor(opts: { mdReqIdPrefix?: string } = {}) {
    this.#prefix = opts.mdReqIdPrefix ?? "md-";
  }

  #bookFor(symbol: string, depth: number): BookBuilder {
    let b = this.#books.get(symbol);
    if (b === undefined) {
      b = new BookBuilder(symbol, { topOnly: depth === 1 });
      this.#books.set(symbol, b);
    }
    return b;
  }

  /** Builds a snapshot+updates request and creates the books. */
  subscribe(p: SubscribeParams): FixMessage {
    const mdReqId = p.mdReqId ?? `${this.#prefix}${++this.#seq}`;
    const depth = p.depth ?? 0;
    const entryTypes = p.entryTypes ?? ["bid", "offer"];
    const msg = buildMarketDataRequest({
      mdReqId,
      symbols: p.symbols,
      subscription: "subscribe",
      depth,
      entryTypes,
      ...(p.updateType !== undefined ? { updateType: p.updateType } : {}),
    });
    this.#subs.set(mdReqId, { symbols: [...p.symbols], depth, entryTypes });
    for (const s of p.symbols) {
      this.#bookFor(s, depth);
      this.#depthBySymbol.set(s, { depth, entryTypes });
    }
    return msg;
  }

  /** Builds the unsubscribe of `mdReqId`, or undefined when there is no such subscription. */
  unsubscribe(mdReqId: string): FixMessage | undefined {
    const s = this.#subs.get(mdReqId);
    if (s === undefined) return undefined;
    this.#subs.delete(mdReqId);
    return buildMarketDataRequest({
      mdReqId,
      symbols: s.symbols,
      subscription: "unsubscribe",
      depth: s.depth,
      entryTypes: s.entryTypes,
    });
  }

  /** MDReqIDs of the live subscriptions. */
  subscriptions(): string[] {
    return [...this.#subs.keys()];
  }

  /** The book of `symbol`. */
  book(symbol: string): BookBuilder | undefined {
    return this.#books.get(symbol);
  }

  /** Applies a W, X or Y; undefined for other message types. */
  onMessage(view: MessageView): MdEvent | undefined {
    switch (view.msgType) {
      case MsgType.MarketDataSnapshotFullRefresh: {
        const s = parseSnapshot(view);
        if (s === undefined) return { kind: "anomaly", reason: "snapshot without Symbol (55)" };
        const book = this.#bookFor(s.symbol, this.#depthBySymbol.get(s.symbol)?.depth ?? 0);
        return { kind: "snapshot", mdReqId: s.mdReqId, symbol: s.symbol, update: book.applySnapshot(s) };
      }
      case MsgType.MarketDataIncrementalRefresh: {
        const inc = parseIncremental(view);
        const sub = inc.mdReqId !== undefined ? this.#subs.get(inc.mdReqId) : undefined;
        const bySymbol = new Map<string, MdIncrementalEntry[]>();
        for (const e of inc.entries) {
          const sym = e.symbol ??
            (sub !== undefined && sub.symbols.length === 1 ? sub.symbols[0] : undefined);
          if (sym === undefined) {
            return {
              kind: "anomaly",
              reason: `incremental entry without Symbol for MDReqID ${inc.mdReqId ?? "(none)"}`,
            };
          }
          let list = bySymbol.get(sym);
          if (list === undefined) bySymbol.set(sym, list = []);
          list.push(e);
        }
        const updates: { symbol: string; update: BookUpdate }[] = [];
        for (const [symbol, entries] of bySymbol) {
          const book = this.#books.get(symbol);
          if (book === undefined) continue; // a symbol we never asked for: nothing to keep
          updates.push({ symbol, update: book.applyIncremental(entries) });
        }
        return { kind: "incremental", mdReqId: inc.mdReqId, updates };
      }
      case MsgType.MarketDataRequestReject:
        return { kind: "reject", reject: parseMdReject(view) };
      default:
        return undefined;
    }
  }

  /** Marks every book stale (after a reconnect, say); the next `snapshotRequests()` refreshes them. */
  markAllStale(reason: string): void {
    for (const b of this.#books.values()) b.markStale(reason);
  }

  /** Snapshot requests for every book that needs one; the books are marked as requested. */
  snapshotRequests(): FixMessage[] {
    const out: FixMessage[] = [];
    for (const b of this.#books.values()) {
      if (!b.needsSnapshot) continue;
      const d = this.#depthBySymbol.get(b.symbol);
      out.push(buildMarketDataRequest({
        mdReqId: `${this.#prefix}${++this.#seq}`,
        symbols: [b.symbol],
        subscription: "snapshot",
        depth: d?.depth ?? 0,
        entryTypes: d?.entryTypes ?? ["bid", "offer"],
      }));
      b.snapshotRequested();
    }
    return out;
  }
}
