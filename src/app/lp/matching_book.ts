/**
 * A price-time priority order book of one symbol. Orders are simulated liquidity (no owner) or
 * client orders (an owner the simulator reports fills to). Each side keeps its price levels in an
 * array sorted worst to best (the best level is the last element, so taking it off is a pop), found
 * by binary search when a new price arrives and by a map when the price is already there; each
 * level is a FIFO of its orders in arrival order. A burst of tens of thousands of resting orders
 * costs O(1) per order at an existing price and O(log levels) plus a short move at a new one,
 * instead of shifting one array of every resting order on each insert.
 */
import type { Side } from "../tags.ts";

/** A resting order. `qty` is what is left to trade. */
export interface BookOrder<Owner> {
  /** Arrival number: lower trades first at the same price. */
  seq: number;
  side: Side;
  priceTicks: number;
  qty: number;
  /** The client order behind it; undefined for simulated liquidity. */
  owner: Owner | undefined;
}

/** One aggregated price level. */
export interface LevelView {
  priceTicks: number;
  size: number;
}

/**
 * The orders at one price, oldest first. Removed slots before `head` are dropped lazily; an order
 * canceled from the middle is spliced out (levels hold few orders compared with a whole side).
 */
class Level<Owner> {
  orders: BookOrder<Owner>[] = [];
  head = 0;
  /** Simulated-liquidity orders here: a refresh rebuilds only the levels that hold some. */
  simulated = 0;
  constructor(readonly priceTicks: number) {}

  get count(): number {
    return this.orders.length - this.head;
  }

  /** Appends in time priority; an order older than the tail (never produced by `nextSeq`) is placed by seq. */
  push(o: BookOrder<Owner>): void {
    if (o.owner === undefined) this.simulated++;
    const arr = this.orders;
    const last = arr[arr.length - 1];
    if (last === undefined || arr.length === this.head || last.seq < o.seq) {
      arr.push(o);
      return;
    }
    let lo = this.head, hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (arr[mid]!.seq < o.seq) lo = mid + 1;
      else hi = mid;
    }
    arr.splice(lo, 0, o);
  }

  /** Takes the oldest order off. */
  shift(): void {
    if (this.orders[this.head]!.owner === undefined) this.simulated--;
    this.orders[this.head++] = undefined as unknown as BookOrder<Owner>;
    if (this.head === this.orders.length) {
      this.orders.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.orders.length) {
      this.orders = this.orders.slice(this.head);
      this.head = 0;
    }
  }

  /** Removes `o`; false when it is not here. */
  remove(o: BookOrder<Owner>): boolean {
    const arr = this.orders;
    if (arr[this.head] === o) {
      this.shift();
      return true;
    }
    // Cancels hit recent orders more often than old ones: search from the tail.
    for (let i = arr.length - 1; i > this.head; i--) {
      if (arr[i] === o) {
        if (o.owner === undefined) this.simulated--;
        arr.splice(i, 1);
        return true;
      }
    }
    return false;
  }
}

/** One side of the book: levels sorted worst to best, and an index by price. */
class BookSide<Owner> {
  /** Worst first, best last. */
  levels: Level<Owner>[] = [];
  byPrice = new Map<number, Level<Owner>>();
  count = 0;
  constructor(readonly isBid: boolean) {}

  /** True when price `a` trades before price `b` on this side. */
  better(a: number, b: number): boolean {
    return this.isBid ? a > b : a < b;
  }

  add(o: BookOrder<Owner>): void {
    let level = this.byPrice.get(o.priceTicks);
    if (level === undefined) {
      level = new Level<Owner>(o.priceTicks);
      this.byPrice.set(o.priceTicks, level);
      const levels = this.levels;
      const n = levels.length;
      // New prices most often join at the top of the book (an aggressive quote) or the bottom.
      if (n === 0 || this.better(o.priceTicks, levels[n - 1]!.priceTicks)) levels.push(level);
      else {
        let lo = 0, hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (this.better(o.priceTicks, levels[mid]!.priceTicks)) lo = mid + 1;
          else hi = mid;
        }
        levels.splice(lo, 0, level);
      }
    }
    level.push(o);
    this.count++;
  }

  /** Drops an emptied level from the index and the sorted list. */
  dropLevel(level: Level<Owner>): void {
    this.byPrice.delete(level.priceTicks);
    const levels = this.levels;
    const n = levels.length;
    if (levels[n - 1] === level) {
      levels.pop();
      return;
    }
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(level.priceTicks, levels[mid]!.priceTicks)) lo = mid + 1;
      else hi = mid;
    }
    // Prices are unique per side, so the search lands on the level itself.
    if (levels[lo] === level) levels.splice(lo, 1);
  }

  remove(o: BookOrder<Owner>): boolean {
    const level = this.byPrice.get(o.priceTicks);
    if (level === undefined || !level.remove(o)) return false;
    this.count--;
    if (level.count === 0) this.dropLevel(level);
    return true;
  }

  /** Removes every simulated-liquidity order, keeping client orders in their order. */
  removeSimulated(): void {
    let dropped = false;
    for (const level of this.levels) {
      if (level.simulated === 0) continue;
      const arr = level.orders;
      let w = 0;
      for (let i = level.head; i < arr.length; i++) {
        const o = arr[i]!;
        if (o.owner !== undefined) arr[w++] = o;
      }
      this.count -= arr.length - level.head - w;
      arr.length = w;
      level.head = 0;
      level.simulated = 0;
      if (w === 0) dropped = true;
    }
    if (!dropped) return;
    const levels: Level<Owner>[] = [];
    for (const level of this.levels) {
      if (level.count > 0) levels.push(level);
      else this.byPrice.delete(level.priceTicks);
    }
    this.levels = levels;
  }
}

/** The book. */
export class MatchingBook<Owner> {
  #bids = new BookSide<Owner>(true);
  #offers = new BookSide<Owner>(false);
  #seq = 0;

  /** A new arrival number (time priority). */
  nextSeq(): number {
    return ++this.#seq;
  }

  #sideOf(side: Side): BookSide<Owner> {
    return side === "buy" ? this.#bids : this.#offers;
  }

  /** Adds a resting order at its priority position. */
  add(o: BookOrder<Owner>): void {
    this.#sideOf(o.side).add(o);
  }

  /** Removes a resting order; false when it is not in the book. */
  remove(o: BookOrder<Owner>): boolean {
    return this.#sideOf(o.side).remove(o);
  }

  /**
   * Matches an incoming order of `side` (limit `limitTicks`, or a market order when undefined) for
   * up to `qty` against the other side, best first, at the resting orders' prices. `onFill` is
   * called per execution; fully traded resting orders leave the book. Returns the quantity traded.
   */
  match(
    side: Side,
    limitTicks: number | undefined,
    qty: number,
    onFill: (maker: BookOrder<Owner>, qty: number, priceTicks: number) => void,
  ): number {
    const book = side === "buy" ? this.#offers : this.#bids;
    const levels = book.levels;
    let left = qty;
    while (left > 0 && levels.length > 0) {
      const level = levels[levels.length - 1]!;
      if (
        limitTicks !== undefined &&
        (side === "buy" ? level.priceTicks > limitTicks : level.priceTicks < limitTicks)
      ) break;
      while (left > 0 && level.count > 0) {
        const maker = level.orders[level.head]!;
        const q = Math.min(left, maker.qty);
        maker.qty -= q;
        left -= q;
        if (maker.qty === 0) {
          level.shift();
          book.count--;
        }
        // The level leaves the book before the callback, as the maker does: the callback sees the book after the trade.
        if (level.count === 0) book.dropLevel(level);
        onFill(maker, q, maker.priceTicks);
        // A callback may have changed the book (a fill report that cancels): look at the best level again.
        if (levels[levels.length - 1] !== level) break;
      }
    }
    return qty - left;
  }

  /** Quantity an incoming order of `side` at `limitTicks` could trade now, counted up to `upTo`. */
  available(side: Side, limitTicks: number | undefined, upTo: number): number {
    const levels = (side === "buy" ? this.#offers : this.#bids).levels;
    let n = 0;
    for (let l = levels.length - 1; l >= 0; l--) {
      const level = levels[l]!;
      if (
        limitTicks !== undefined &&
        (side === "buy" ? level.priceTicks > limitTicks : level.priceTicks < limitTicks)
      ) break;
      for (let i = level.head; i < level.orders.length; i++) {
        n += level.orders[i]!.qty;
        if (n >= upTo) return n;
      }
    }
    return n;
  }

  /** Price (ticks) at which `qty` would complete against the side an incoming `side` order hits; undefined when empty. */
  sweepPrice(side: Side, qty: number): number | undefined {
    const levels = (side === "buy" ? this.#offers : this.#bids).levels;
    let n = 0;
    let px: number | undefined;
    for (let l = levels.length - 1; l >= 0; l--) {
      const level = levels[l]!;
      px = level.priceTicks;
      for (let i = level.head; i < level.orders.length; i++) {
        n += level.orders[i]!.qty;
        if (n >= qty) return px;
      }
    }
    return px;
  }

  /** Removes all simulated liquidity (before the next refresh). */
  removeSimulated(): void {
    this.#bids.removeSimulated();
    this.#offers.removeSimulated();
  }

  /** Aggregated levels of a side, best first; `n` = 0 for all. */
  levels(side: "bid" | "offer", n = 0): LevelView[] {
    const levels = (side === "bid" ? this.#bids : this.#offers).levels;
    const out: LevelView[] = [];
    for (let l = levels.length - 1; l >= 0; l--) {
      if (n > 0 && out.length === n) break;
      const level = levels[l]!;
      let size = 0;
      for (let i = level.head; i < level.orders.length; i++) size += level.orders[i]!.qty;
      out.push({ priceTicks: level.priceTicks, size });
    }
    return out;
  }

  /** Number of resting orders (both sides). */
  get size(): number {
    return this.#bids.count + this.#offers.count;
  }
}
