/**
 * A price-time priority order book of one symbol. Orders are simulated liquidity (no owner) or
 * client orders (an owner the simulator reports fills to). Each side is one array sorted by
 * priority (best price first, then arrival), which is simple and fast for the few hundred resting
 * orders a simulator holds.
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

/** The book. */
export class MatchingBook<Owner> {
  #bids: BookOrder<Owner>[] = [];
  #offers: BookOrder<Owner>[] = [];
  #seq = 0;

  /** A new arrival number (time priority). */
  nextSeq(): number {
    return ++this.#seq;
  }

  #sideOf(side: Side): BookOrder<Owner>[] {
    return side === "buy" ? this.#bids : this.#offers;
  }

  /** True when `a` trades before `b` on the same side. */
  #before(a: BookOrder<Owner>, b: BookOrder<Owner>): boolean {
    if (a.priceTicks !== b.priceTicks) {
      return a.side === "buy" ? a.priceTicks > b.priceTicks : a.priceTicks < b.priceTicks;
    }
    return a.seq < b.seq;
  }

  /** Adds a resting order at its priority position. */
  add(o: BookOrder<Owner>): void {
    const arr = this.#sideOf(o.side);
    let lo = 0, hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#before(arr[mid]!, o)) lo = mid + 1;
      else hi = mid;
    }
    arr.splice(lo, 0, o);
  }

  /** Removes a resting order; false when it is not in the book. */
  remove(o: BookOrder<Owner>): boolean {
    const arr = this.#sideOf(o.side);
    const i = arr.indexOf(o);
    if (i < 0) return false;
    arr.splice(i, 1);
    return true;
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
    const arr = side === "buy" ? this.#offers : this.#bids;
    let left = qty;
    while (left > 0 && arr.length > 0) {
      const maker = arr[0]!;
      if (
        limitTicks !== undefined &&
        (side === "buy" ? maker.priceTicks > limitTicks : maker.priceTicks < limitTicks)
      ) break;
      const q = Math.min(left, maker.qty);
      maker.qty -= q;
      left -= q;
      if (maker.qty === 0) arr.shift();
      onFill(maker, q, maker.priceTicks);
    }
    return qty - left;
  }

  /** Quantity an incoming order of `side` at `limitTicks` could trade now, counted up to `upTo`. */
  available(side: Side, limitTicks: number | undefined, upTo: number): number {
    const arr = side === "buy" ? this.#offers : this.#bids;
    let n = 0;
    for (const o of arr) {
      if (
        limitTicks !== undefined && (side === "buy" ? o.priceTicks > limitTicks : o.priceTicks < limitTicks)
      ) break;
      n += o.qty;
      if (n >= upTo) break;
    }
    return n;
  }

  /** Price (ticks) at which `qty` would complete against the side an incoming `side` order hits; undefined when empty. */
  sweepPrice(side: Side, qty: number): number | undefined {
    const arr = side === "buy" ? this.#offers : this.#bids;
    let n = 0;
    let px: number | undefined;
    for (const o of arr) {
      px = o.priceTicks;
      n += o.qty;
      if (n >= qty) break;
    }
    return px;
  }

  /** Removes all simulated liquidity (before the next refresh). */
  removeSimulated(): void {
    this.#bids = this.#bids.filter((o) => o.owner !== undefined);
    this.#offers = this.#offers.filter((o) => o.owner !== undefined);
  }

  /** Aggregated levels of a side, best first; `n` = 0 for all. */
  levels(side: "bid" | "offer", n = 0): LevelView[] {
    const arr = side === "bid" ? this.#bids : this.#offers;
    const out: LevelView[] = [];
    for (const o of arr) {
      const last = out[out.length - 1];
      if (last !== undefined && last.priceTicks === o.priceTicks) last.size += o.qty;
      else {
        if (n > 0 && out.length === n) break;
        out.push({ priceTicks: o.priceTicks, size: o.qty });
      }
    }
    return out;
  }

  /** Number of resting orders (both sides). */
  get size(): number {
    return this.#bids.length + this.#offers.length;
  }
}
