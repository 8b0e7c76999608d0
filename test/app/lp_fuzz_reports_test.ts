/**
 * Random trading days (seeded, the same on every run) of two clients against the simulator, each
 * client an OrderTracker (test/_helpers/order_tracker.ts: the strict client that checks every
 * ExecutionReport and OrderCancelReject against the order model: ExecType/OrdStatus transitions,
 * CumQty + LeavesQty = OrderQty while working, LeavesQty 0 when done, CumQty = previous + LastQty,
 * AvgPx the mean of the fills, OrderID constant, the ClOrdID chain). New limit, market, IOC and FOK
 * orders, cancels, replaces up and down, status requests, partial fills and fill latency, price steps;
 * the clients read what was sent only now and then, so their cancels and replaces cross fills (about
 * ten OrderCancelRejects a day). No report may be an anomaly; ExecIDs are unique across the day.
 */
import assert from "node:assert/strict";
import { type LpOutput, LpSimulator } from "../../src/app/lp/mod.ts";
import type { FixMessage } from "../../src/codec/mod.ts";
import { createPrng } from "../../src/app/prng.ts";
import { OrderTracker } from "../_helpers/order_tracker.ts";
import { toView } from "./helpers.ts";
import { messages, START, testConfig } from "./lp_helpers.ts";

function day(seed: number): { anomalies: string[]; reports: number; execIds: number; dupExecIds: number } {
  const rng = createPrng(seed);
  const cfg = testConfig((c) => {
    c.seed = seed;
    c.symbols[0]!.volatility = 0.5;
    c.symbols[0]!.updatesPerSecond = 10;
    c.behaviours = [{ partialFillProbability: 0.4, fillLatencyMs: { min: 0, max: 30 } }];
  });
  const sim = new LpSimulator(cfg, START);
  const keys = ["A", "B"];
  const trackers = new Map(keys.map((k) => [k, new OrderTracker({ clOrdIdPrefix: `${k}${seed}-` })]));
  for (const k of keys) sim.onLogon(k, `CLIENT_${k}`, START);
  const anomalies: string[] = [];
  const execIds = new Set<string>();
  let reports = 0, dupExecIds = 0;
  let now = START;
  // What the simulator sent and the clients have not read yet: they act on what they have read (a cancel
  // may cross a fill on the wire).
  const inFlight: LpOutput[] = [];
  const deliver = (out: LpOutput[]) => {
    inFlight.push(...out);
    if (rng.next() < 0.4) return;
    const now_ = inFlight.splice(0);
    for (const k of keys) {
      for (const m of messages(now_, k)) {
        const view = toView(m, [[49, "LP"], [56, k], [34, 2]]);
        if (m.msgType === "8") {
          reports++;
          const id = view.getString(17)!;
          if (execIds.has(id)) dupExecIds++;
          execIds.add(id);
        }
        const r = trackers.get(k)!.onMessage(view, now);
        if (r?.kind === "anomaly") anomalies.push(`${k} ${r.reason}: ${wire(m)}`);
      }
    }
  };
  const send = (k: string, m: FixMessage) =>
    deliver(sim.onMessage(k, toView(m, [[49, `CLIENT_${k}`], [56, "LP"], [34, 2]]), now));
  for (let step = 0; step < 400; step++) {
    now += Math.floor(rng.next() * 40);
    deliver(sim.onTimer(now));
    const k = keys[rng.next() < 0.5 ? 0 : 1]!;
    const t = trackers.get(k)!;
    const open = t.openOrders().filter((o) => o.pending === undefined);
    const mid = sim.mid("TEST") ?? 100;
    const a = rng.next();
    if (a < 0.45 || open.length === 0) {
      const side = rng.next() < 0.5 ? "buy" : "sell";
      const kind = rng.next();
      const qty = 1 + Math.floor(rng.next() * 400);
      const px = Math.round((mid + (side === "buy" ? -1 : 1) * (rng.next() * 0.06 - 0.03)) * 100) / 100;
      const r = t.newOrder(
        kind < 0.1 ? { symbol: "TEST", side, orderQty: qty } : {
          symbol: "TEST",
          side,
          orderQty: qty,
          price: px,
          timeInForce: kind < 0.2 ? "ioc" : kind < 0.3 ? "fok" : kind < 0.5 ? "gtc" : "day",
        },
        now,
      );
      if (r.ok) send(k, r.message);
    } else {
      const o = open[Math.floor(rng.next() * open.length)]!;
      if (a < 0.65) {
        const r = t.cancel(o.currentClOrdId, now);
        if (r.ok) send(k, r.message);
      } else if (a < 0.9) {
        const up = rng.next() < 0.5;
        const qty = Math.max(
          1,
          up
            ? o.orderQty + 1 + Math.floor(rng.next() * 100)
            : o.orderQty - Math.floor(rng.next() * o.orderQty),
        );
        const changes = o.ordType === "limit" && rng.next() < 0.5
          ? { orderQty: qty, price: Math.round((o.price! + (rng.next() * 0.04 - 0.02)) * 100) / 100 }
          : { orderQty: qty };
        const r = t.replace(o.currentClOrdId, changes, now);
        if (r.ok) send(k, r.message);
      } else {
        const r = t.status(o.currentClOrdId);
        if (r.ok) send(k, r.message);
      }
    }
  }
  return { anomalies, reports, execIds: execIds.size, dupExecIds };
}

function wire(m: FixMessage): string {
  return `35=${m.msgType}|` + m.fields.map(([t, v]) => `${t}=${v}`).join("|");
}

Deno.test("random trading days of two strict clients: no report contradicts the order model, ExecIDs unique", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const d = day(seed);
    assert.deepEqual(d.anomalies.slice(0, 5), [], `seed ${seed}`);
    assert.equal(d.dupExecIds, 0);
    assert.ok(d.reports > 300, `seed ${seed}: ${d.reports} reports`);
  }
});
