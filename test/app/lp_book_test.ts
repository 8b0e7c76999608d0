/**
 * MatchingBook (price levels with a FIFO each) against a reference: one array per side kept in
 * price-time priority by sorted insertion, the straightforward model of the same rules. A seeded
 * random mix of adds, cancels, matches and liquidity refreshes must give the same fills, in the
 * same order, and the same book after every step.
 */
import assert from "node:assert/strict";
import { type BookOrder, MatchingBook } from "../../src/app/lp/matching_book.ts";
import type { Side } from "../../src/app/tags.ts";

class ReferenceBook {
  bids: BookOrder<number>[] = [];
  offers: BookOrder<number>[] = [];
  seq = 0;

  #before(a: BookOrder<number>, b: BookOrder<number>): boolean {
    if (a.priceTicks !== b.priceTicks) {
      return a.side === "buy" ? a.priceTicks > b.priceTicks : a.priceTicks < b.priceTicks;
    }
    return a.seq < b.seq;
  }

  add(o: BookOrder<number>): void {
    const arr = o.side === "buy" ? this.bids : this.offers;
    let i = 0;
    while (i < arr.length && this.#before(arr[i]!, o)) i++;
    arr.splice(i, 0, o);
  }

  remove(o: BookOrder<number>): boolean {
    const arr = o.side === "buy" ? this.bids : this.offers;
    const i = arr.indexOf(o);
    if (i < 0) return false;
    arr.splice(i, 1);
    return true;
  }

  match(side: Side, limit: number | undefined, qty: number, fills: string[]): number {
    const arr = side === "buy" ? this.offers : this.bids;
    let left = qty;
    while (left > 0 && arr.length > 0) {
      const m = arr[0]!;
      if (limit !== undefined && (side === "buy" ? m.priceTicks > limit : m.priceTicks < limit)) break;
      const q = Math.min(left, m.qty);
      m.qty -= q;
      left -= q;
      if (m.qty === 0) arr.shift();
      fills.push(`${m.seq}:${q}@${m.priceTicks}`);
    }
    return qty - left;
  }

  levels(side: "bid" | "offer", n: number): { priceTicks: number; size: number }[] {
    const out: { priceTicks: number; size: number }[] = [];
    for (const o of side === "bid" ? this.bids : this.offers) {
      const last = out[out.length - 1];
      if (last !== undefined && last.priceTicks === o.priceTicks) last.size += o.qty;
      else {
        if (n > 0 && out.length === n) break;
        out.push({ priceTicks: o.priceTicks, size: o.qty });
      }
    }
    return out;
  }
}

/** A small deterministic generator (the test must not depend on the run). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

for (
  const [name, prices, steps, addShare] of [
    ["many prices, few orders each", 20, 3000, 0.5],
    ["few prices, long FIFOs", 3, 6000, 0.75],
  ] as const
) {
  Deno.test(`MatchingBook keeps price-time priority like a sorted array: ${name}`, () => {
    const rnd = lcg(7);
    const book = new MatchingBook<number>();
    const ref = new ReferenceBook();
    const mine: BookOrder<number>[] = [];
    const theirs: BookOrder<number>[] = [];
    const fillsBook: string[] = [];
    const fillsRef: string[] = [];
    for (let step = 0; step < steps; step++) {
      const r = rnd();
      const side: Side = rnd() < 0.5 ? "buy" : "sell";
      const px = 100 + Math.floor(rnd() * prices);
      const qty = 1 + Math.floor(rnd() * 10);
      if (r < addShare) {
        const owner = rnd() < 0.5 ? step : undefined;
        const a: BookOrder<number> = { seq: book.nextSeq(), side, priceTicks: px, qty, owner };
        const b: BookOrder<number> = { seq: ++ref.seq, side, priceTicks: px, qty, owner };
        book.add(a);
        ref.add(b);
        mine.push(a);
        theirs.push(b);
      } else if (r < addShare + 0.15 && mine.length > 0) {
        const i = Math.floor(rnd() * mine.length);
        assert.equal(book.remove(mine[i]!), ref.remove(theirs[i]!), `remove at step ${step}`);
      } else if (r < 0.97) {
        const limit = rnd() < 0.1 ? undefined : px;
        const got = book.match(side, limit, qty * 3, (m, q, p) => fillsBook.push(`${m.seq}:${q}@${p}`));
        assert.equal(got, ref.match(side, limit, qty * 3, fillsRef), `match at step ${step}`);
      } else {
        book.removeSimulated();
        ref.bids = ref.bids.filter((o) => o.owner !== undefined);
        ref.offers = ref.offers.filter((o) => o.owner !== undefined);
      }
      assert.deepEqual(book.levels("bid"), ref.levels("bid", 0), `bids at step ${step}`);
      assert.deepEqual(book.levels("offer", 3), ref.levels("offer", 3), `offers at step ${step}`);
      assert.equal(book.size, ref.bids.length + ref.offers.length);
    }
    assert.deepEqual(fillsBook, fillsRef);
    assert.ok(fillsBook.length > 100, "the mix trades");
  });
}

Deno.test("MatchingBook: available and sweepPrice walk the levels best first", () => {
  const book = new MatchingBook<number>();
  const add = (side: Side, priceTicks: number, qty: number) =>
    book.add({ seq: book.nextSeq(), side, priceTicks, qty, owner: undefined });
  add("sell", 102, 5);
  add("sell", 101, 3);
  add("sell", 101, 4);
  add("sell", 103, 10);
  assert.equal(book.available("buy", 101, 100), 7);
  assert.equal(book.available("buy", 102, 8), 12); // counted order by order, stops once enough
  assert.equal(book.available("buy", undefined, 1000), 22);
  assert.equal(book.sweepPrice("buy", 7), 101);
  assert.equal(book.sweepPrice("buy", 8), 102);
  assert.equal(book.sweepPrice("buy", 1000), 103);
  assert.equal(book.sweepPrice("sell", 1), undefined);
  assert.deepEqual(book.levels("offer", 2), [{ priceTicks: 101, size: 7 }, { priceTicks: 102, size: 5 }]);
});
