import assert from "node:assert/strict";
import type { Field } from "../../src/codec/mod.ts";
import {
  BookBuilder,
  buildMarketDataRequest,
  buildQuoteRequest,
  MarketDataClient,
  type MdIncrementalEntry,
  parseIncremental,
  parseQuote,
  parseQuoteRequestReject,
  parseSnapshot,
} from "../../src/app/market_data/mod.ts";
import { msg } from "./helpers.ts";

function snapshotView(symbol: string, levels: [string, number, number][], extra: Field[] = []) {
  const f: Field[] = [[262, "R1"], [55, symbol], ...extra, [268, levels.length]];
  for (const [type, px, size] of levels) f.push([269, type], [270, px], [271, size]);
  return msg("W", f);
}

type Inc = { a: string; t?: string; px?: number; size?: number; id?: string; sym?: string; seq?: number };
function incView(entries: Inc[], mdReqId = "R1") {
  const f: Field[] = [[262, mdReqId], [268, entries.length]];
  for (const e of entries) {
    f.push([279, e.a]);
    if (e.t !== undefined) f.push([269, e.t]);
    if (e.id !== undefined) f.push([278, e.id]);
    if (e.sym !== undefined) f.push([55, e.sym]);
    if (e.seq !== undefined) f.push([83, e.seq]);
    if (e.px !== undefined) f.push([270, e.px]);
    if (e.size !== undefined) f.push([271, e.size]);
  }
  return msg("X", f);
}

function inc(entries: Inc[]): MdIncrementalEntry[] {
  return parseIncremental(incView(entries)).entries;
}

function liveBook(topOnly = false) {
  const b = new BookBuilder("EUR/USD", { topOnly });
  const u = b.applySnapshot(
    parseSnapshot(snapshotView("EUR/USD", [
      ["0", 1.0849, 1_000_000],
      ["0", 1.0848, 2_000_000],
      ["1", 1.0851, 1_000_000],
      ["1", 1.0852, 3_000_000],
    ]))!,
  );
  assert.equal(u.status, "live");
  return b;
}

Deno.test("MarketDataRequest: subscribe, snapshot and unsubscribe with exact fields", () => {
  assert.deepEqual(
    buildMarketDataRequest({
      mdReqId: "M1",
      symbols: ["EUR/USD", "AAPL"],
      subscription: "subscribe",
      depth: 1,
      entryTypes: ["bid", "offer", "trade"],
    })
      .fields,
    [[262, "M1"], [263, "1"], [264, 1], [265, 1], [267, 3], [269, "0"], [269, "1"], [269, "2"], [146, 2], [
      55,
      "EUR/USD",
    ], [55, "AAPL"]],
  );
  assert.deepEqual(
    buildMarketDataRequest({ mdReqId: "M2", symbols: ["X"], subscription: "snapshot" }).fields,
    [
      [262, "M2"],
      [263, "0"],
      [264, 0],
      [267, 2],
      [269, "0"],
      [269, "1"],
      [146, 1],
      [55, "X"],
    ],
  );
  assert.equal(
    buildMarketDataRequest({ mdReqId: "M1", symbols: ["X"], subscription: "unsubscribe" }).fields[1]![1],
    "2",
  );
  assert.deepEqual(
    buildMarketDataRequest({ mdReqId: "M3", symbols: ["X"], subscription: "subscribe", updateType: "full" })
      .fields.slice(0, 4),
    [[262, "M3"], [263, "1"], [264, 0], [265, 0]],
  );
  assert.throws(
    () => buildMarketDataRequest({ mdReqId: "M", symbols: [], subscription: "snapshot" }),
    RangeError,
  );
  assert.throws(
    () => buildMarketDataRequest({ mdReqId: "M", symbols: ["X"], subscription: "snapshot", depth: -1 }),
    RangeError,
  );
});

Deno.test("book from a snapshot: top of book, depth and mid", () => {
  const b = liveBook();
  assert.deepEqual(b.top(), {
    bid: { px: 1.0849, size: 1_000_000, count: 1 },
    offer: { px: 1.0851, size: 1_000_000, count: 1 },
  });
  assert.deepEqual(b.depth("bid").map((l) => l.px), [1.0849, 1.0848]);
  assert.deepEqual(b.depth("offer", 1), [{ px: 1.0851, size: 1_000_000, count: 1 }]);
  assert.ok(Math.abs(b.mid()! - 1.085) < 1e-12);
});

Deno.test("incrementals by price level: new, change, delete", () => {
  const b = liveBook();
  const u = b.applyIncremental(inc([
    { a: "0", t: "0", px: 1.085, size: 500_000 },
    { a: "1", t: "1", px: 1.0852, size: 1_500_000 },
    { a: "2", t: "0", px: 1.0848 },
  ]));
  assert.deepEqual([u.status, u.changed, u.becameStale], ["live", true, false]);
  assert.deepEqual(b.depth("bid"), [{ px: 1.085, size: 500_000, count: 1 }, {
    px: 1.0849,
    size: 1_000_000,
    count: 1,
  }]);
  assert.deepEqual(b.depth("offer")[1], { px: 1.0852, size: 1_500_000, count: 1 });
});

Deno.test("incrementals by MDEntryID aggregate entries into levels", () => {
  const b = new BookBuilder("AAPL");
  b.applySnapshot({ mdReqId: undefined, symbol: "AAPL", rptSeq: undefined, entries: [] });
  b.applyIncremental(inc([
    { a: "0", t: "0", id: "a", px: 190, size: 100 },
    { a: "0", t: "0", id: "b", px: 190, size: 50 },
    { a: "0", t: "1", id: "c", px: 190.02, size: 70 },
  ]));
  assert.deepEqual(b.bestBid(), { px: 190, size: 150, count: 2 });
  b.applyIncremental(inc([{ a: "1", t: "0", id: "a", size: 20 }, { a: "2", id: "b" }]));
  assert.deepEqual(b.bestBid(), { px: 190, size: 20, count: 1 });
  const u = b.applyIncremental(inc([{ a: "2", id: "zz" }]));
  assert.deepEqual([u.status, u.reason, u.needsSnapshot], ["stale", "delete of unknown MDEntryID zz", true]);
});

Deno.test("a delete of an unknown level makes the book stale until a fresh snapshot", () => {
  const b = liveBook();
  const u = b.applyIncremental(inc([{ a: "2", t: "1", px: 1.09 }]));
  assert.deepEqual(u, {
    status: "stale",
    changed: false,
    reason: "delete of unknown offer level 1.09",
    becameStale: true,
    needsSnapshot: true,
  });
  // Further incrementals are ignored, and the flag stays until the caller requests a snapshot.
  const again = b.applyIncremental(inc([{ a: "0", t: "0", px: 1.0, size: 1 }]));
  assert.deepEqual([again.status, again.becameStale, again.needsSnapshot], ["stale", false, true]);
  b.snapshotRequested();
  assert.equal(b.needsSnapshot, false);
  assert.equal(b.bestBid()?.px, 1.0849);
  const fresh = b.applySnapshot(parseSnapshot(snapshotView("EUR/USD", [["0", 1.08, 1], ["1", 1.09, 1]]))!);
  assert.deepEqual([fresh.status, fresh.reason], ["live", undefined]);
  assert.equal(b.bestBid()?.px, 1.08);
});

Deno.test("a change of an unknown level, an unknown action and a crossed book are stale too", () => {
  let b = liveBook();
  assert.equal(
    b.applyIncremental(inc([{ a: "1", t: "0", px: 1.07, size: 5 }])).reason,
    "change of unknown bid level 1.07",
  );
  b = liveBook();
  assert.equal(
    b.applyIncremental(inc([{ a: "5", t: "0", px: 1.07, size: 5 }])).reason,
    "unsupported MDUpdateAction 5",
  );
  b = liveBook();
  const u = b.applyIncremental(inc([{ a: "0", t: "0", px: 1.0853, size: 5 }]));
  assert.deepEqual([u.status, u.reason], ["stale", "crossed book: bid 1.0853 above offer 1.0851"]);
  // A crossing that the same message resolves is fine; a locked book (bid = offer) is not crossed.
  b = liveBook();
  const ok = b.applyIncremental(inc([
    { a: "0", t: "0", px: 1.0853, size: 5 },
    { a: "2", t: "1", px: 1.0851 },
    { a: "2", t: "1", px: 1.0852 },
    { a: "0", t: "1", px: 1.0853, size: 1 },
  ]));
  assert.equal(ok.status, "live");
  const crossedSnap = new BookBuilder("X").applySnapshot(
    parseSnapshot(snapshotView("X", [["0", 2, 1], ["1", 1, 1]]))!,
  );
  assert.deepEqual([crossedSnap.status, crossedSnap.becameStale], ["stale", true]);
});

Deno.test("RptSeq: the next number applies, repeats are skipped, a gap makes the book stale", () => {
  const b = new BookBuilder("EUR/USD");
  b.applySnapshot(parseSnapshot(snapshotView("EUR/USD", [["0", 1.08, 1], ["1", 1.09, 1]], [[83, 10]]))!);
  assert.equal(b.rptSeq, 10);
  assert.equal(b.applyIncremental(inc([{ a: "1", t: "0", px: 1.08, size: 2, seq: 11 }])).status, "live");
  assert.equal(b.applyIncremental(inc([{ a: "1", t: "0", px: 1.08, size: 9, seq: 11 }])).status, "live");
  assert.equal(b.skippedEntries, 1);
  assert.equal(b.bestBid()?.size, 2);
  const u = b.applyIncremental(inc([{ a: "1", t: "0", px: 1.08, size: 3, seq: 13 }]));
  assert.deepEqual([u.status, u.reason], ["stale", "gap in RptSeq: 13 after 11"]);
});

Deno.test("top-only books follow a moving top and keep the last trade", () => {
  const b = liveBook(true);
  assert.deepEqual(b.depth("bid"), [{ px: 1.0848, size: 2_000_000, count: 1 }]); // the last bid entry wins
  b.applyIncremental(inc([{ a: "1", t: "0", px: 1.0850, size: 7 }, { a: "0", t: "2", px: 1.0851, size: 3 }]));
  assert.deepEqual(b.depth("bid"), [{ px: 1.085, size: 7, count: 1 }]);
  assert.deepEqual(b.lastTrade, { px: 1.0851, size: 3 });
  // A delete of the old top after the new one arrived changes nothing.
  b.applyIncremental(inc([{ a: "0", t: "1", px: 1.0853, size: 1 }, { a: "2", t: "1", px: 1.0852 }]));
  assert.deepEqual(b.bestOffer(), { px: 1.0853, size: 1, count: 1 });
});

Deno.test("MarketDataClient routes W, X, Y and turns stale books into snapshot requests", () => {
  const c = new MarketDataClient({ mdReqIdPrefix: "m" });
  const sub = c.subscribe({ symbols: ["EUR/USD", "AAPL"] });
  assert.equal(sub.fields[0]![1], "m1");
  const s1 = c.onMessage(snapshotView("EUR/USD", [["0", 1.08, 1], ["1", 1.09, 1]]));
  assert.equal(s1?.kind, "snapshot");
  c.onMessage(snapshotView("AAPL", [["0", 190, 1], ["1", 190.01, 1]]));
  const x = c.onMessage(incView([
    { a: "1", t: "0", px: 1.08, size: 5, sym: "EUR/USD" },
    { a: "2", t: "1", px: 200, sym: "AAPL" },
  ], "m1"));
  assert.equal(x?.kind, "incremental");
  if (x?.kind === "incremental") {
    assert.deepEqual(x.updates.map((u) => [u.symbol, u.update.status]), [["EUR/USD", "live"], [
      "AAPL",
      "stale",
    ]]);
  }
  assert.equal(c.book("EUR/USD")?.bestBid()?.size, 5);
  const reqs = c.snapshotRequests();
  assert.equal(reqs.length, 1);
  assert.deepEqual(reqs[0]!.fields, [[262, "m2"], [263, "0"], [264, 0], [267, 2], [269, "0"], [269, "1"], [
    146,
    1,
  ], [55, "AAPL"]]);
  assert.equal(c.snapshotRequests().length, 0, "requested once");
  const y = c.onMessage(msg("Y", [[262, "m9"], [281, "0"], [58, "Unknown symbol"]]));
  assert.deepEqual(y, { kind: "reject", reject: { mdReqId: "m9", reason: "0", text: "Unknown symbol" } });
  assert.equal(c.onMessage(incView([{ a: "0", t: "0", px: 1, size: 1 }], "m1"))?.kind, "anomaly");
  assert.equal(c.unsubscribe("m1")?.fields[1]?.[1], "2");
  assert.equal(c.unsubscribe("m1"), undefined);
  c.markAllStale("reconnected");
  assert.equal(c.snapshotRequests().length, 2);
});

Deno.test("QuoteRequest building and Quote / QuoteRequestReject parsing", () => {
  assert.deepEqual(
    buildQuoteRequest({ quoteReqId: "Q1", symbol: "EUR/USD", side: "buy", orderQty: 1_000_000 }).fields,
    [
      [131, "Q1"],
      [146, 1],
      [55, "EUR/USD"],
      [54, "1"],
      [38, 1_000_000],
    ],
  );
  const q = parseQuote(
    msg("S", [[131, "Q1"], [117, "S1"], [55, "EUR/USD"], [132, "1.0849"], [133, "1.0851"], [134, 1e6], [
      135,
      2e6,
    ], [
      62,
      "20260310-14:00:05.000",
    ]]),
  );
  assert.deepEqual(q, {
    quoteReqId: "Q1",
    quoteId: "S1",
    symbol: "EUR/USD",
    bidPx: 1.0849,
    offerPx: 1.0851,
    bidSize: 1e6,
    offerSize: 2e6,
    validUntilMs: Date.UTC(2026, 2, 10, 14, 0, 5),
  });
  assert.equal(parseQuote(msg("S", [[131, "Q1"]])), undefined);
  assert.deepEqual(
    parseQuoteRequestReject(
      msg("AG", [[131, "Q2"], [658, 1], [146, 1], [55, "ZZZ"], [58, "Unknown symbol ZZZ"]]),
    ),
    {
      quoteReqId: "Q2",
      reason: 1,
      symbol: "ZZZ",
      text: "Unknown symbol ZZZ",
    },
  );
});
