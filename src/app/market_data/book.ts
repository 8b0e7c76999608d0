/**
 * BookBuilder: one symbol's order book built from snapshots (W) and incrementals (X), keyed by
 * MDEntryID when the feed sends one and by price level otherwise. When the book can no longer be
 * trusted (a RptSeq gap, a change or delete of an unknown level, a crossed book, an action it cannot
 * apply) it turns "stale" with a reason, ignores incrementals, and asks for a fresh snapshot through
 * `needsSnapshot` until the caller says it sent one (`snapshotRequested()`).
 */
import type { MdIncrementalEntry, MdSnapshot } from "./request.ts";

/** One aggregated price level. */
export interface BookLevel {
  px: number;
  size: number;
  /** Entries at this price (1 for a price-level feed). */
  count: number;
}

/** Whether the book can be used. */
export type BookStatus = "empty" | "live" | "stale";

/** The result of applying a message. */
export interface BookUpdate {
  status: BookStatus;
  /** The book changed (levels or last trade). */
  changed: boolean;
  /** Why the book is stale (when it is). */
  reason: string | undefined;
  /** This message made the book stale (it was not before). */
  becameStale: boolean;
  /** A fresh snapshot should be requested now. */
  needsSnapshot: boolean;
}

/** The last trade seen. */
export interface LastTrade {
  px: number;
  size: number | undefined;
}

interface Entry {
  px: number;
  size: number;
}

class BookSide {
  readonly entries = new Map<string, Entry>();
  readonly levels = new Map<number, { size: number; count: number }>();
  constructor(readonly isBid: boolean) {}

  clear(): void {
    this.entries.clear();
    this.levels.clear();
  }
  put(key: string, px: number, size: number): void {
    this.remove(key);
    this.entries.set(key, { px, size });
    const l = this.levels.get(px);
    if (l === undefined) this.levels.set(px, { size, count: 1 });
    else {
      l.size += size;
      l.count++;
    }
  }
  remove(key: string): boolean {
    const e = this.entries.get(key);
    if (e === undefined) return false;
    this.entries.delete(key);
    const l = this.levels.get(e.px)!;
    l.size -= e.size;
    l.count--;
    if (l.count === 0) this.levels.delete(e.px);
    return true;
  }
  best(): number | undefined {
    let b: number | undefined;
    for (const px of this.levels.keys()) {
      if (b === undefined || (this.isBid ? px > b : px < b)) b = px;
    }
    return b;
  }
  depth(n: number): BookLevel[] {
    const pxs = [...this.levels.keys()].sort((a, b) => (this.isBid ? b - a : a - b));
    const out: BookLevel[] = [];
    for (const px of n > 0 ? pxs.slice(0, n) : pxs) {
      const l = this.levels.get(px)!;
      out.push({ px, size: l.size, count: l.count });
    }
    return out;
  }
}

/** Options of a book. */
export interface BookBuilderOptions {
  /**
   * Top-of-book feed (MarketDepth 1): every bid/offer entry replaces that side's single level, since
   * such feeds move the top with "change" entries at a new price.
   */
  topOnly?: boolean;
}

/** The book of one symbol. */
export class BookBuilder {
  #bids = new BookSide(true);
  #offers = new BookSide(false);
  #status: BookStatus = "empty";
  #reason: string | undefined = undefined;
  #requested = false;
  #rptSeq: number | undefined = undefined;
  #lastTrade: LastTrade | undefined = undefined;
  #skipped = 0;
  readonly topOnly: boolean;

  constructor(readonly symbol: string, opts: BookBuilderOptions = {}) {
    this.topOnly = opts.topOnly ?? false;
  }

  /** empty (no snapshot yet), live, or stale. */
  get status(): BookStatus {
    return this.#status;
  }
  /** Why the book is stale. */
  get reason(): string | undefined {
    return this.#reason;
  }
  /** True when the book is stale and no fresh snapshot has been requested yet. */
  get needsSnapshot(): boolean {
    return this.#status === "stale" && !this.#requested;
  }
  /** Last RptSeq applied (undefined when the feed sends none). */
  get rptSeq(): number | undefined {
    return this.#rptSeq;
  }
  /** The last trade entry seen. */
  get lastTrade(): LastTrade | undefined {
    return this.#lastTrade;
  }
  /** Incremental entries skipped because their RptSeq was already applied. */
  get skippedEntries(): number {
    return this.#skipped;
  }

  /** The caller sent a snapshot request: `needsSnapshot` stays false until the book goes stale again. */
  snapshotRequested(): void {
    this.#requested = true;
  }

  #update(changed: boolean, wasStale: boolean): BookUpdate {
    const becameStale = !wasStale && this.#status === "stale";
    return {
      status: this.#status,
      changed,
      reason: this.#reason,
      becameStale,
      needsSnapshot: this.needsSnapshot,
    };
  }

  /**
   * Marks the book stale (e.g. the session reconnected and updates may have been missed). A snapshot
   * is wanted again even if one was requested before, since that request may have been lost too.
   */
  markStale(reason: string): BookUpdate {
    const was = this.#status === "stale";
    if (!was) this.#reason = reason;
    this.#status = "stale";
    this.#requested = false;
    return this.#update(false, was);
  }

  /** Replaces the book with a snapshot. */
  applySnapshot(s: MdSnapshot): BookUpdate {
    const was = this.#status === "stale";
    this.#bids.clear();
    this.#offers.clear();
    this.#status = "live";
    this.#reason = undefined;
    this.#requested = false;
    this.#rptSeq = s.rptSeq;
    let n = 0;
    for (const e of s.entries) {
      if (e.type === "2") {
        if (e.px !== undefined) this.#lastTrade = { px: e.px, size: e.size };
        continue;
      }
      const side = e.type === "0" ? this.#bids : e.type === "1" ? this.#offers : undefined;
      if (side === undefined) continue;
      if (e.px === undefined) return this.#stale(`snapshot entry ${n} without MDEntryPx`, was);
      const key = e.id !== undefined ? `i:${e.id}` : `p:${e.px}`;
      if (this.topOnly) side.clear();
      side.put(key, e.px, e.size ?? 0);
      n++;
    }
    const crossed = this.#crossed();
    if (crossed !== undefined) return this.#stale(crossed, was);
    return this.#update(true, was);
  }

  #stale(reason: string, wasStale: boolean): BookUpdate {
    this.#status = "stale";
    this.#reason = reason;
    this.#requested = false;
    return this.#update(false, wasStale);
  }

  #crossed(): string | undefined {
    const b = this.#bids.best(), o = this.#offers.best();
    if (b !== undefined && o !== undefined && b > o) return `crossed book: bid ${b} above offer ${o}`;
    return undefined;
  }

  /**
   * Applies the incremental entries of one message that belong to this symbol, in order. The crossed
   * check runs after the whole message, since a message may pass through a crossed moment.
   */
  applyIncremental(entries: readonly MdIncrementalEntry[]): BookUpdate {
    const was = this.#status === "stale";
    if (this.#status !== "live") return this.#update(false, was);
    let changed = false;
    for (const e of entries) {
      if (e.rptSeq !== undefined) {
        if (this.#rptSeq !== undefined) {
          if (e.rptSeq <= this.#rptSeq) {
            this.#skipped++;
            continue;
          }
          if (e.rptSeq !== this.#rptSeq + 1) {
            return this.#stale(`gap in RptSeq: ${e.rptSeq} after ${this.#rptSeq}`, was);
          }
        }
        this.#rptSeq = e.rptSeq;
      }
      if (e.type === "2") {
        if (e.action !== "delete" && e.px !== undefined) {
          this.#lastTrade = { px: e.px, size: e.size };
          changed = true;
        }
        continue;
      }
      if (e.action === undefined) return this.#stale(`unsupported MDUpdateAction ${e.actionCode}`, was);
      let side: BookSide | undefined = e.type === "0"
        ? this.#bids
        : e.type === "1"
        ? this.#offers
        : undefined;
      let key: string | undefined;
      if (e.id !== undefined) {
        key = `i:${e.id}`;
        if (side === undefined && e.action === "delete") {
          side = this.#bids.entries.has(key)
            ? this.#bids
            : this.#offers.entries.has(key)
            ? this.#offers
            : undefined;
          if (side === undefined) return this.#stale(`delete of unknown MDEntryID ${e.id}`, was);
        }
      } else if (e.px !== undefined) {
        key = `p:${e.px}`;
      }
      if (side === undefined) {
        if (e.type === undefined) return this.#stale(`entry without MDEntryType or known MDEntryID`, was);
        continue; // other entry types (index value, opening price...) are not book levels
      }
      const sideName = side === this.#bids ? "bid" : "offer";
      if (this.topOnly) {
        if (e.action === "delete") {
          // A delete of a price that is no longer the top (the new top came first) changes nothing.
          if (e.px === undefined || side.levels.has(e.px)) side.clear();
        } else {
          if (e.px === undefined) return this.#stale(`${e.action} of a ${sideName} without MDEntryPx`, was);
          side.clear();
          side.put(key ?? `p:${e.px}`, e.px, e.size ?? 0);
        }
        changed = true;
        continue;
      }
      if (key === undefined) {
        return this.#stale(`${e.action} of a ${sideName} without MDEntryPx or MDEntryID`, was);
      }
      const what = e.id !== undefined ? `MDEntryID ${e.id}` : `level ${e.px}`;
      switch (e.action) {
        case "new":
          if (e.px === undefined) return this.#stale(`new ${sideName} ${what} without MDEntryPx`, was);
          side.put(key, e.px, e.size ?? 0);
          break;
        case "change": {
          const old = side.entries.get(key);
          if (old === undefined) return this.#stale(`change of unknown ${sideName} ${what}`, was);
          side.put(key, e.px ?? old.px, e.size ?? old.size);
          break;
        }
        case "delete":
          if (!side.remove(key)) return this.#stale(`delete of unknown ${sideName} ${what}`, was);
          break;
      }
      changed = true;
    }
    const crossed = this.#crossed();
    if (crossed !== undefined) return this.#stale(crossed, was);
    return this.#update(changed, was);
  }

  /** Best bid level. */
  bestBid(): BookLevel | undefined {
    return this.#bids.depth(1)[0];
  }
  /** Best offer level. */
  bestOffer(): BookLevel | undefined {
    return this.#offers.depth(1)[0];
  }
  /** Best bid and offer. */
  top(): { bid: BookLevel | undefined; offer: BookLevel | undefined } {
    return { bid: this.bestBid(), offer: this.bestOffer() };
  }
  /** The best `levels` levels of a side (0 = all), best first. */
  depth(side: "bid" | "offer", levels = 0): BookLevel[] {
    return (side === "bid" ? this.#bids : this.#offers).depth(levels);
  }
  /** Mid price of the best bid and offer, when both exist. */
  mid(): number | undefined {
    const b = this.#bids.best(), o = this.#offers.best();
    return b === undefined || o === undefined ? undefined : (b + o) / 2;
  }
}
