// EchoTracker (the request source of `fixg bench --echo`): the echoed NewOrderSingle with our ClOrdID
// acknowledges the order once; repeats, late echoes, other sessions' and foreign IDs are counted apart.
import assert from "node:assert/strict";
import type { LatencyMeasure } from "../../src/app/load/mod.ts";
import { EchoTracker } from "../../src/bench/echo_tracker.ts";
import { toView } from "../app/helpers.ts";

const US0 = Date.UTC(2026, 2, 10, 14, 0, 0) * 1000;
const SYMBOLS = [{ symbol: "AAPL", price: 190, tickSize: 0.01, minQty: 1, maxQty: 10, lotSize: 1 }];

function tracker() {
  const samples: [LatencyMeasure, number, number][] = [];
  const t = new EchoTracker({
    symbols: SYMBOLS,
    seed: 1,
    lostAfterMs: 5,
    idPrefix: "E",
    onLatency: (m, us, s) => void samples.push([m, us, s]),
  });
  return { t, samples };
}

const clOrdIdOf = (fields: readonly (readonly [number, unknown])[]) =>
  String(fields.find(([t]) => t === 11)![1]);

Deno.test("echo tracker: the echo acknowledges once, from the intended send time", () => {
  const { t, samples } = tracker();
  const a = t.next(0, US0);
  const b = t.next(1, US0 + 100);
  assert.deepEqual([clOrdIdOf(a.fields), clOrdIdOf(b.fields)], ["E0", "E1"]);
  t.onMessage(0, toView(a), US0 + 250);
  t.onMessage(0, toView(a), US0 + 300); // the same echo again
  t.onMessage(0, toView(b), US0 + 400); // E1 was sent on session 1: not this session's
  t.onMessage(1, toView(b), US0 + 420);
  t.onMessage(1, toView({ msgType: "D", fields: [[11, "X7"]] }), US0 + 430);
  t.onMessage(1, toView({ msgType: "D", fields: [[11, "E01"]] }), US0 + 430); // not an ID we write
  t.onMessage(1, toView({ msgType: "8", fields: [[11, "E1"]] }), US0 + 440); // not an echo: ignored
  assert.deepEqual(samples, [["order-to-ack", 250, 0], ["order-to-ack", 320, 1]]);
  const c = t.counters();
  assert.deepEqual(
    [c.ordersSent, c.ordersAcked, c.duplicateResponses, c.unmatchedResponses, c.lateResponses, c.ordersLost],
    [2, 2, 1, 3, 0, 0],
  );
});

Deno.test("echo tracker: unanswered past the grace period is lost; a later echo is late, not a latency", () => {
  const { t, samples } = tracker();
  const a = t.next(0, US0);
  const b = t.next(0, US0 + 1000);
  assert.equal(t.sweep(US0 + 4_999), 0);
  assert.equal(t.sweep(US0 + 5_000), 1);
  t.onMessage(0, toView(b), US0 + 5_500);
  assert.equal(t.sweep(US0 + 60_000), 0); // answered before its time ran out
  t.onMessage(0, toView(a), US0 + 70_000);
  assert.deepEqual(samples, [["order-to-ack", 4_500, 0]]);
  const c = t.liveCounters();
  assert.deepEqual([c.ordersAcked, c.ordersLost, c.lateResponses], [1, 1, 1]);
});
