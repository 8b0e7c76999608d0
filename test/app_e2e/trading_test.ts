/**
 * End to end: a fixg initiator whose Application drives an OrderTracker and a MarketDataClient
 * trades with the LP simulator (in-process, over TCP on loopback) through a market data
 * subscription, a new order filled in two pieces, a status request, a replace, a cancel and a
 * rejected order. FIXD has a fixed price and known liquidity, so every quantity and price is exact.
 */
import assert from "node:assert/strict";
import type { BookLevel } from "../../src/app/market_data/mod.ts";
import { brief, field, lpConfig, startClient, startLp, waitFor } from "./harness.ts";

const px = (levels: BookLevel[]) => levels.map((l) => `${l.px}:${l.size}`);
const simPx = (levels: { price: string; size: number }[]) => levels.map((l) => `${l.price}:${l.size}`);

Deno.test("a fixg initiator trades with the simulator: fills, replace, cancel, reject and a live book, no anomaly", async () => {
  // One liquidity refresh every 10 s (price fixed by volatility 0): none happens during the test, so
  // the liquidity taken by the fill stays taken and the book states below are exact.
  const lp = await startLp({ ...lpConfig([], { updatesPerSecond: 0.1 }), strictSymbols: true });
  const c = await startClient(lp.port);
  try {
    await c.app.loggedOn();
    const { tracker, md } = c.app;
    const book = () => md.book("FIXD")!;
    const now = () => Date.now();

    // Market data: snapshot W, then incrementals X applied to the BookBuilder.
    c.app.session!.send(md.subscribe({ symbols: ["FIXD"], entryTypes: ["bid", "offer", "trade"] }));
    await waitFor(() => book().status === "live", "the snapshot");
    assert.deepEqual(px(book().depth("bid")), ["99.99:100", "99.98:200", "99.97:300"]);
    assert.deepEqual(px(book().depth("offer")), ["100.01:100", "100.02:200", "100.03:300"]);

    // A buy of 250 up to 100.02 is larger than the best offer (100 @ 100.01): a partial fill, then the rest
    // (150 @ 100.02) fills it. AvgPx = (100 x 100.01 + 150 x 100.02) / 250 = 100.016.
    const a = c.app.send(
      tracker.newOrder({ symbol: "FIXD", side: "buy", orderQty: 250, price: 100.02 }, now()),
    );
    await waitFor(() => tracker.get(a)?.state === "Filled", "order A filled");
    assert.deepEqual(c.app.execsOf(a).map(brief), [
      "0/0 cum=0 leaves=250 avg=0",
      "F/1 cum=100 leaves=150 avg=100.01 last=100@100.01",
      "F/2 cum=250 leaves=0 avg=100.016 last=150@100.02",
    ]);
    const filled = tracker.get(a)!;
    assert.equal(filled.cumQty, 250);
    assert.equal(filled.leavesQty, 0);
    assert.equal(filled.avgPx, 100.016);
    assert.equal(tracker.openOrders().length, 0);
    // The book follows: 100.01 taken, 50 left at 100.02, and the trades seen in the same incremental.
    await waitFor(
      () => px(book().depth("offer")).join() === "100.02:50,100.03:300",
      "the book after the fill",
    );
    assert.deepEqual(book().lastTrade, { px: 100.02, size: 150 });
    const fillX = c.wire().find((w) => w.dir === "in" && w.msgType === "X")!;
    assert.match(
      fillX.text,
      /\|268=4\|279=2\|269=1\|55=FIXD\|270=100\.01\|279=1\|269=1\|55=FIXD\|270=100\.02\|271=50\|279=0\|269=2\|55=FIXD\|270=100\.01\|271=100\|279=0\|269=2\|55=FIXD\|270=100\.02\|271=150\|10=/,
    );

    // OrderStatusRequest: ExecType I with the order's state.
    c.app.send(tracker.status(a));
    await waitFor(() => c.app.execsOf(a).length === 4, "the status report");
    assert.deepEqual(brief(c.app.execsOf(a)[3]!), "I/2 cum=250 leaves=0 avg=100.016");

    // A resting buy of 50 at 99.98 (below the best bid, so it rests) joins the 99.98 level.
    const b = c.app.send(
      tracker.newOrder({ symbol: "FIXD", side: "buy", orderQty: 50, price: 99.98 }, now()),
    );
    await waitFor(() => tracker.get(b)?.state === "New", "order B acked");
    await waitFor(() => book().depth("bid")[1]?.size === 250, "B in the book");
    assert.deepEqual(px(book().depth("bid")), ["99.99:100", "99.98:250", "99.97:300"]);

    // Replace to 80 @ 99.97: ExecType 5 / OrdStatus 0 under the new ClOrdID, OrigClOrdID the old one.
    const b2 = c.app.send(tracker.replace(b, { orderQty: 80, price: 99.97 }, now()));
    await waitFor(
      () => tracker.get(b2)?.pending === undefined && tracker.get(b2)?.currentClOrdId === b2,
      "replace",
    );
    const rep = c.app.execsOf(b2).at(-1)!;
    assert.deepEqual([rep.clOrdId, rep.origClOrdId, brief(rep)], [b2, b, "5/0 cum=0 leaves=80 avg=0"]);
    assert.equal(tracker.get(b)!.state, "Replaced");
    assert.equal(tracker.get(b2)!.state, "New");
    assert.equal(tracker.get(b2)!.orderQty, 80);
    assert.equal(tracker.get(b2)!.price, 99.97);
    await waitFor(() => book().depth("bid")[2]?.size === 380, "the replaced order in the book");
    assert.deepEqual(px(book().depth("bid")), ["99.99:100", "99.98:200", "99.97:380"]);

    // Cancel: ExecType 4 / OrdStatus 4 under the cancel's ClOrdID; the chain is B -> B2 -> B3.
    const b3 = c.app.send(tracker.cancel(b2, now()));
    await waitFor(() => tracker.get(b3)?.state === "Canceled", "cancel");
    const cxl = c.app.execsOf(b3).at(-1)!;
    assert.deepEqual([cxl.clOrdId, cxl.origClOrdId, brief(cxl)], [b3, b2, "4/4 cum=0 leaves=0 avg=0"]);
    assert.deepEqual(tracker.get(b3)!.chain, [b, b2, b3]);
    assert.deepEqual(c.app.execsOf(b, b2, b3).map(brief), [
      "0/0 cum=0 leaves=50 avg=0",
      "5/0 cum=0 leaves=80 avg=0",
      "4/4 cum=0 leaves=0 avg=0",
    ]);
    await waitFor(() => book().depth("bid")[2]?.size === 300, "the canceled order out of the book");

    // A rejected order: unknown symbol -> ExecType 8 / OrdStatus 8, OrdRejReason 1, the reason in Text.
    const d = c.app.send(tracker.newOrder({ symbol: "NOPE", side: "sell", orderQty: 5, price: 1 }, now()));
    await waitFor(() => tracker.get(d)?.state === "Rejected", "reject");
    const rej = c.app.execsOf(d)[0]!;
    assert.deepEqual([brief(rej), rej.ordRejReason, rej.text], [
      "8/8 cum=0 leaves=0 avg=0",
      "1",
      "Unknown symbol NOPE",
    ]);
    assert.equal(tracker.get(d)!.text, "Unknown symbol NOPE");
    assert.equal(tracker.halted, false);

    // Every report applied, none contradicted the tracked state; every book update applied live.
    assert.deepEqual(c.app.anomalies, []);
    assert.deepEqual(c.app.other, []);
    assert.equal(c.app.results.length, 8); // A: ack, 2 fills, status; B: ack, replace, cancel; D: reject
    assert.ok(c.app.results.every((r) => r.kind === "applied"));
    assert.ok(c.app.mdEvents.every((e) => e.kind === "snapshot" || e.kind === "incremental"));
    assert.ok(c.app.mdEvents.slice(1).every((e) => e.kind === "incremental"));
    assert.equal(c.app.mdEvents.length, 5); // W, then X after the fill, B's arrival, the replace, the cancel

    // Top of book and depth equal the simulator's own levels.
    assert.deepEqual(px(book().depth("bid")), simPx(lp.simulator.levels("FIXD", "bid")));
    assert.deepEqual(px(book().depth("offer")), simPx(lp.simulator.levels("FIXD", "offer")));
    assert.deepEqual(book().top(), {
      bid: { px: 99.99, size: 100, count: 1 },
      offer: { px: 100.02, size: 50, count: 1 },
    });

    // Session level: one logon, no session rejects, no gaps; the simulator counted what happened.
    const inTypes = c.wire().filter((w) => w.dir === "in").map((w) => w.msgType);
    assert.ok(!inTypes.includes("3") && !inTypes.includes("j") && !inTypes.includes("4"), inTypes.join());
    assert.equal(field(c.wire()[0]!, 35), "A");
    const st = lp.simulator.stats(Date.now());
    assert.deepEqual(
      [
        st.ordersReceived,
        st.acks,
        st.fills,
        st.rejects,
        st.replaces,
        st.cancels,
        st.statusReports,
        st.mdSnapshots,
      ],
      [3, 2, 2, 1, 1, 1, 1, 1],
    );
    assert.equal(st.mdUpdates, 4);
  } finally {
    await c.stop();
    await lp.stop();
  }
});
