/**
 * The order tracker and the market data client against the simulator, with no network: every
 * ExecutionReport and OrderCancelReject the simulator sends must satisfy the tracker's FIX 4.4 rules,
 * and the client's books must follow the simulator's.
 */
import assert from "node:assert/strict";
import type { FixMessage } from "../../src/codec/mod.ts";
import { MarketDataClient } from "../../src/app/market_data/mod.ts";
import { defaultLpConfig, type LpOutput, LpSimulator } from "../../src/app/lp/mod.ts";
import { OrderTracker, type ReportResult } from "../_helpers/order_tracker.ts";
import { createPrng, uniformInt } from "../../src/app/prng.ts";
import { toView } from "./helpers.ts";
import { START } from "./lp_helpers.ts";

interface Client {
  key: string;
  tracker: OrderTracker;
  md: MarketDataClient;
}

Deno.test("tracker and market data client against the simulator: no anomalies over a busy run", () => {
  const cfg = defaultLpConfig();
  cfg.orders.dayEnd = { time: "14:03", timeZone: "UTC" };
  cfg.behaviours = [
    { fromMs: 20_000, toMs: 60_000, fillLatencyMs: { min: 5, max: 400 } },
    { fromMs: 40_000, toMs: 100_000, partialFillProbability: 0.5 },
    { fromMs: 70_000, toMs: 90_000, rejectFraction: 0.3, rejectReason: "Simulated reject" },
  ];
  cfg.marketData.rptSeq = true;
  const sim = new LpSimulator(cfg, START);
  const clients: Client[] = ["A", "B"].map((key) => ({
    key,
    tracker: new OrderTracker({
      clOrdIdPrefix: `${key}-`,
      risk: { circuitBreaker: { maxRejects: 1000, windowMs: 1000 } },
    }),
    md: new MarketDataClient({ mdReqIdPrefix: `${key}md` }),
  }));
  const results: ReportResult[] = [];
  const staleReasons: string[] = [];
  // Replies reach the client after a network delay (in order per session), so requests race with
  // fills: cancels and replaces arrive too late and get OrderCancelRejects.
  const wire = new Map<string, { atMs: number; message: FixMessage }[]>(clients.map((c) => [c.key, []]));
  const netRng = createPrng(99);
  const deliver = (outs: LpOutput[], nowMs: number) => {
    for (const o of outs) {
      if (!("message" in o)) continue;
      const q = wire.get(o.sessionKey)!;
      const after = q.length > 0 ? q[q.length - 1]!.atMs : 0;
      q.push({ atMs: Math.max(after, nowMs + uniformInt(netRng, 0, 150)), message: o.message });
    }
  };
  const receive = (nowMs: number) => {
    for (const c of clients) {
      const q = wire.get(c.key)!;
      while (q.length > 0 && q[0]!.atMs <= nowMs) {
        const v = toView(q.shift()!.message);
        const r = c.tracker.onMessage(v, nowMs);
        if (r !== undefined) results.push(r);
        const e = c.md.onMessage(v);
        if (e?.kind === "incremental") {
          for (const u of e.updates) if (u.update.becameStale) staleReasons.push(u.update.reason!);
        }
        if (e?.kind === "snapshot" && e.update.status !== "live") staleReasons.push(e.update.reason!);
      }
    }
  };
  const send = (c: Client, m: FixMessage, nowMs: number) =>
    deliver(sim.onMessage(c.key, toView(m), nowMs), nowMs);
  for (const c of clients) {
    sim.onLogon(c.key, c.key, START);
    send(
      c,
      c.md.subscribe({ symbols: ["EUR/USD", "AAPL", "USD/JPY"], entryTypes: ["bid", "offer", "trade"] }),
      START,
    );
  }
  const rng = createPrng(11);
  const symbols = ["EUR/USD", "AAPL", "USD/JPY"];
  const ticks: Record<string, number> = { "EUR/USD": 0.00001, "AAPL": 0.01, "USD/JPY": 0.001 };
  for (let t = START + 10; t < START + 240_000; t += 10) {
    const due = sim.nextTimerMs();
    if (due !== undefined && due <= t) deliver(sim.onTimer(t), t);
    receive(t);
    if (rng.next() > 0.05) continue;
    const c = clients[uniformInt(rng, 0, 1)]!;
    const open = c.tracker.openOrders().filter((o) => o.pending === undefined && o.state !== "PendingNew");
    const action = rng.next();
    if (action < 0.15 && open.length > 0) {
      const r = c.tracker.cancel(open[uniformInt(rng, 0, open.length - 1)]!.currentClOrdId, t);
      if (r.ok) send(c, r.message, t);
    } else if (action < 0.3 && open.length > 0) {
      const o = open[uniformInt(rng, 0, open.length - 1)]!;
      if (o.ordType !== "limit") continue;
      const tick = ticks[o.symbol]!;
      const price = Number((o.price! + uniformInt(rng, -3, 3) * tick).toFixed(5));
      const qty = Math.max(
        o.cumQty + 1,
        o.orderQty + uniformInt(rng, -5, 5) * (o.symbol === "AAPL" ? 10 : 100_000),
      );
      const r = c.tracker.replace(o.currentClOrdId, { price, orderQty: qty }, t);
      if (r.ok) send(c, r.message, t);
    } else {
      const symbol = symbols[uniformInt(rng, 0, 2)]!;
      const book = c.md.book(symbol)!;
      const tick = ticks[symbol]!;
      const side = rng.next() < 0.5 ? "buy" : "sell";
      const ref = side === "buy" ? book.bestOffer()?.px : book.bestBid()?.px;
      if (ref === undefined || book.status !== "live") continue;
      const kind = rng.next();
      const tif = kind < 0.2 ? "ioc" : kind < 0.3 ? "fok" : kind < 0.6 ? "gtc" : "day";
      const price = Number((ref + (side === "buy" ? 1 : -1) * uniformInt(rng, -8, 3) * tick).toFixed(5));
      const qty = symbol === "AAPL" ? uniformInt(rng, 1, 60) * 10 : uniformInt(rng, 1, 30) * 100_000;
      const r = kind > 0.95
        ? c.tracker.newOrder({ symbol, side, orderQty: qty, timeInForce: "ioc" }, t)
        : c.tracker.newOrder({ symbol, side, orderQty: qty, price, timeInForce: tif }, t);
      assert.ok(r.ok, !r.ok ? r.reason : "");
      send(c, r.message, t);
    }
  }
  for (let t = START + 240_000; t < START + 240_100; t += 10) receive(t);
  const anomalies = results.filter((r) => r.kind === "anomaly");
  assert.deepEqual(anomalies, []);
  assert.deepEqual(staleReasons, []);
  const exec = new Map<string, number>();
  for (const r of results) if (r.kind === "applied") exec.set(r.to, (exec.get(r.to) ?? 0) + 1);
  for (const s of ["New", "PartiallyFilled", "Filled", "Canceled", "Rejected", "Expired"]) {
    assert.ok((exec.get(s) ?? 0) > 0, `reached ${s}: ${JSON.stringify([...exec])}`);
  }
  assert.ok(
    results.some((r) => r.kind === "applied" && r.cancelReject !== undefined),
    "some cancel/replace rejects",
  );
  // Tracker and simulator agree on every open order.
  for (const c of clients) {
    for (const o of c.tracker.openOrders()) {
      const lp = sim.order(c.key, o.currentClOrdId)!;
      assert.equal(lp.cumQty, o.cumQty);
      assert.equal(lp.orderQty, o.orderQty);
    }
    for (const symbol of symbols) {
      const book = c.md.book(symbol)!;
      assert.equal(book.status, "live");
      assert.deepEqual(book.depth("bid").map((l) => l.size), sim.levels(symbol, "bid").map((l) => l.size));
    }
  }
});
