import assert from "node:assert/strict";
import type { Field } from "../../src/codec/mod.ts";
import { ConfigError } from "../../src/errors.ts";
import {
  CircuitBreaker,
  parseRiskLimits,
  type RiskLimits,
  TokenBucket,
  validateRiskLimits,
} from "../../src/app/orders/mod.ts";
import { OrderTracker, type ReportResult } from "../_helpers/order_tracker.ts";
import { get, msg } from "./helpers.ts";

const T0 = Date.UTC(2026, 2, 10, 14, 0, 0); // a Tuesday, 14:00 UTC

interface ErSpec {
  cl: string;
  exec: string;
  et: string;
  os: string;
  cum: number;
  leaves: number;
  avg: number | string;
  lastQty?: number;
  lastPx?: number | string;
  orderId?: string;
  orig?: string;
  qty?: number;
  price?: number;
  possDup?: boolean;
  symbol?: string;
  side?: string;
  text?: string;
}

function er(s: ErSpec) {
  const f: Field[] = [[37, s.orderId ?? "OID1"], [11, s.cl]];
  if (s.orig !== undefined) f.push([41, s.orig]);
  f.push([17, s.exec], [150, s.et], [39, s.os], [55, s.symbol ?? "EUR/USD"], [54, s.side ?? "1"]);
  if (s.qty !== undefined) f.push([38, s.qty]);
  if (s.price !== undefined) f.push([44, s.price]);
  if (s.lastQty !== undefined) f.push([32, s.lastQty]);
  if (s.lastPx !== undefined) f.push([31, s.lastPx]);
  f.push([151, s.leaves], [14, s.cum], [6, s.avg]);
  if (s.text !== undefined) f.push([58, s.text]);
  const header: Field[] = [[49, "LP"], [56, "CLIENT"], [34, 5]];
  if (s.possDup) header.push([43, true]);
  return msg("8", f, header);
}

function applied(r: ReportResult) {
  assert.equal(r.kind, "applied", r.kind === "anomaly" ? r.reason : "");
  return r as Extract<ReportResult, { kind: "applied" }>;
}

function anomaly(r: ReportResult, includes: string) {
  assert.equal(r.kind, "anomaly");
  const a = r as Extract<ReportResult, { kind: "anomaly" }>;
  assert.ok(a.reason.includes(includes), `reason "${a.reason}" should include "${includes}"`);
  return a;
}

/** A tracker with one acknowledged limit order C1: buy 1000 EUR/USD at 1.085. */
function withNewOrder(limits = {}) {
  const t = new OrderTracker({ clOrdIdPrefix: "C", risk: limits });
  const r = t.newOrder({ symbol: "EUR/USD", side: "buy", orderQty: 1000, price: 1.085 }, T0);
  assert.ok(r.ok);
  applied(
    t.onExecutionReport(er({ cl: "C1", exec: "E0", et: "0", os: "0", cum: 0, leaves: 1000, avg: 0 }), T0),
  );
  return t;
}

Deno.test("newOrder builds a NewOrderSingle with the exact fields and tracks it as PendingNew", () => {
  const t = new OrderTracker({ clOrdIdPrefix: "C" });
  const r = t.newOrder(
    { symbol: "EUR/USD", side: "buy", orderQty: 1000, price: 1.085, timeInForce: "gtc" },
    T0,
  );
  assert.ok(r.ok);
  assert.equal(r.clOrdId, "C1");
  assert.deepEqual({ msgType: r.message.msgType, fields: r.message.fields }, {
    msgType: "D",
    fields: [[11, "C1"], [55, "EUR/USD"], [54, "1"], [60, "20260310-14:00:00.000"], [38, 1000], [40, "2"], [
      44,
      1.085,
    ], [
      59,
      "1",
    ]],
  });
  assert.equal(t.get("C1")?.state, "PendingNew");
  assert.equal(t.openOrders().length, 1);
});

Deno.test("valid path: PendingNew -> (A) -> New -> PartiallyFilled -> Filled with CumQty/LeavesQty/AvgPx", () => {
  const t = new OrderTracker({ clOrdIdPrefix: "C" });
  t.newOrder({ symbol: "EUR/USD", side: "buy", orderQty: 1000, price: 1.085 }, T0);
  let r = applied(
    t.onExecutionReport(er({ cl: "C1", exec: "E0", et: "A", os: "A", cum: 0, leaves: 1000, avg: 0 }), T0),
  );
  assert.equal(r.to, "PendingNew");
  r = applied(
    t.onExecutionReport(er({ cl: "C1", exec: "E1", et: "0", os: "0", cum: 0, leaves: 1000, avg: 0 }), T0),
  );
  assert.deepEqual([r.from, r.to], ["PendingNew", "New"]);
  assert.equal(r.order.orderId, "OID1");
  r = applied(
    t.onExecutionReport(
      er({
        cl: "C1",
        exec: "E2",
        et: "F",
        os: "1",
        cum: 400,
        leaves: 600,
        avg: 1.0849,
        lastQty: 400,
        lastPx: 1.0849,
      }),
      T0,
    ),
  );
  assert.deepEqual([r.from, r.to], ["New", "PartiallyFilled"]);
  assert.deepEqual(r.fill, { lastQty: 400, lastPx: 1.0849 });
  r = applied(
    t.onExecutionReport(
      er({
        cl: "C1",
        exec: "E3",
        et: "F",
        os: "2",
        cum: 1000,
        leaves: 0,
        avg: "1.08496",
        lastQty: 600,
        lastPx: 1.085,
      }),
      T0,
    ),
  );
  assert.deepEqual([r.from, r.to], ["PartiallyFilled", "Filled"]);
  assert.equal(r.order.cumQty, 1000);
  assert.equal(r.order.leavesQty, 0);
  assert.ok(Math.abs(r.order.avgPx - 1.08496) < 1e-12);
  assert.equal(t.openOrders().length, 0);
  assert.equal(t.getByOrderId("OID1")?.state, "Filled");
});

Deno.test("an immediate fill without an ack is accepted (PendingNew -> Filled)", () => {
  const t = new OrderTracker({ clOrdIdPrefix: "C" });
  t.newOrder({ symbol: "EUR/USD", side: "buy", orderQty: 100, ordType: "market" }, T0);
  const r = applied(
    t.onExecutionReport(
      er({
        cl: "C1",
        exec: "E1",
        et: "F",
        os: "2",
        cum: 100,
        leaves: 0,
        avg: 1.1,
        lastQty: 100,
        lastPx: 1.1,
      }),
      T0,
    ),
  );
  assert.deepEqual([r.from, r.to], ["PendingNew", "Filled"]);
});

Deno.test("cancel: PendingCancel locally, 6 acknowledged, 4 Canceled under the cancel's ClOrdID", () => {
  const t = withNewOrder();
  const c = t.cancel("C1", T0 + 1000);
  assert.ok(c.ok);
  assert.equal(c.clOrdId, "C2");
  assert.deepEqual(c.message.fields, [[41, "C1"], [37, "OID1"], [11, "C2"], [55, "EUR/USD"], [54, "1"], [
    60,
    "20260310-14:00:01.000",
  ], [38, 1000]]);
  assert.equal(t.get("C1")?.state, "PendingCancel");
  let r = applied(
    t.onExecutionReport(
      er({ cl: "C2", orig: "C1", exec: "E1", et: "6", os: "6", cum: 0, leaves: 1000, avg: 0 }),
      T0,
    ),
  );
  assert.equal(r.to, "PendingCancel");
  assert.equal(r.order.pending?.acknowledged, true);
  r = applied(
    t.onExecutionReport(
      er({ cl: "C2", orig: "C1", exec: "E2", et: "4", os: "4", cum: 0, leaves: 0, avg: 0 }),
      T0,
    ),
  );
  assert.deepEqual([r.from, r.to], ["PendingCancel", "Canceled"]);
  assert.deepEqual(r.order.chain, ["C1", "C2"]);
  assert.equal(t.get("C1")?.state, "Canceled");
  assert.equal(t.get("C2")?.currentClOrdId, "C2");
  assert.equal(t.openOrders().length, 0);
});

Deno.test("replace: E then 5 applies the new terms; the old ClOrdID reads Replaced", () => {
  const t = withNewOrder();
  applied(
    t.onExecutionReport(
      er({
        cl: "C1",
        exec: "E1",
        et: "F",
        os: "1",
        cum: 300,
        leaves: 700,
        avg: 1.085,
        lastQty: 300,
        lastPx: 1.085,
      }),
      T0,
    ),
  );
  const g = t.replace("C1", { orderQty: 500, price: 1.0845 }, T0);
  assert.ok(g.ok);
  assert.equal(get(g.message, 41), "C1");
  assert.equal(get(g.message, 38), "500");
  assert.equal(get(g.message, 44), "1.0845");
  assert.equal(t.get("C1")?.state, "PendingReplace");
  applied(
    t.onExecutionReport(
      er({ cl: "C2", orig: "C1", exec: "E2", et: "E", os: "E", cum: 300, leaves: 700, avg: 1.085 }),
      T0,
    ),
  );
  const r = applied(
    t.onExecutionReport(
      er({
        cl: "C2",
        orig: "C1",
        exec: "E3",
        et: "5",
        os: "1",
        cum: 300,
        leaves: 200,
        avg: 1.085,
        qty: 500,
        price: 1.0845,
      }),
      T0,
    ),
  );
  assert.deepEqual([r.from, r.to], ["PendingReplace", "PartiallyFilled"]);
  assert.equal(r.order.orderQty, 500);
  assert.equal(r.order.price, 1.0845);
  assert.equal(r.order.leavesQty, 200);
  assert.equal(t.get("C1")?.state, "Replaced");
  assert.equal(t.get("C2")?.state, "PartiallyFilled");
  // Fills now come under C2 and complete the smaller order.
  const f = applied(
    t.onExecutionReport(
      er({
        cl: "C2",
        exec: "E4",
        et: "F",
        os: "2",
        cum: 500,
        leaves: 0,
        avg: 1.0848,
        lastQty: 200,
        lastPx: 1.0845,
      }),
      T0,
    ),
  );
  assert.equal(f.to, "Filled");
});

Deno.test("reject, expiry and done for day end the order", () => {
  const t = new OrderTracker({ clOrdIdPrefix: "C" });
  t.newOrder({ symbol: "EUR/USD", side: "sell", orderQty: 10, price: 1.1 }, T0);
  const r = applied(
    t.onExecutionReport(
      er({ cl: "C1", exec: "E1", et: "8", os: "8", cum: 0, leaves: 0, avg: 0, side: "2", text: "no" }),
      T0,
    ),
  );
  assert.equal(r.to, "Rejected");
  assert.equal(r.order.text, "no");
  t.newOrder({ symbol: "EUR/USD", side: "sell", orderQty: 10, price: 1.1, timeInForce: "ioc" }, T0);
  applied(
    t.onExecutionReport(
      er({ cl: "C2", exec: "E2", et: "0", os: "0", cum: 0, leaves: 10, avg: 0, side: "2" }),
      T0,
    ),
  );
  applied(
    t.onExecutionReport(
      er({
        cl: "C2",
        exec: "E3",
        et: "F",
        os: "1",
        cum: 4,
        leaves: 6,
        avg: 1.1,
        lastQty: 4,
        lastPx: 1.1,
        side: "2",
      }),
      T0,
    ),
  );
  const x = applied(
    t.onExecutionReport(
      er({ cl: "C2", exec: "E4", et: "C", os: "C", cum: 4, leaves: 0, avg: 1.1, side: "2" }),
      T0,
    ),
  );
  assert.equal(x.to, "Expired");
  t.newOrder({ symbol: "EUR/USD", side: "sell", orderQty: 10, price: 1.1 }, T0);
  applied(
    t.onExecutionReport(
      er({ cl: "C3", exec: "E5", et: "0", os: "0", cum: 0, leaves: 10, avg: 0, side: "2" }),
      T0,
    ),
  );
  const d = applied(
    t.onExecutionReport(
      er({ cl: "C3", exec: "E6", et: "3", os: "3", cum: 0, leaves: 0, avg: 0, side: "2" }),
      T0,
    ),
  );
  assert.equal(d.to, "DoneForDay");
  assert.equal(t.openOrders().length, 0);
});

Deno.test("fills during a pending cancel keep PendingCancel; the too-late reject then clears the request", () => {
  const t = withNewOrder();
  assert.ok(t.cancel("C1", T0).ok);
  let r = applied(
    t.onExecutionReport(
      er({
        cl: "C1",
        exec: "E1",
        et: "F",
        os: "6",
        cum: 600,
        leaves: 400,
        avg: 1.085,
        lastQty: 600,
        lastPx: 1.085,
      }),
      T0,
    ),
  );
  assert.equal(r.to, "PendingCancel");
  r = applied(
    t.onExecutionReport(
      er({
        cl: "C1",
        exec: "E2",
        et: "F",
        os: "2",
        cum: 1000,
        leaves: 0,
        avg: 1.085,
        lastQty: 400,
        lastPx: 1.085,
      }),
      T0,
    ),
  );
  assert.equal(r.to, "Filled");
  assert.equal(r.order.pending?.clOrdId, "C2");
  const cxl = msg("9", [[37, "OID1"], [11, "C2"], [41, "C1"], [39, "2"], [434, "1"], [102, 0], [
    58,
    "Too late to cancel",
  ]]);
  r = applied(t.onCancelReject(cxl, T0));
  assert.deepEqual(r.cancelReject, { responseTo: "cancel", reason: 0, text: "Too late to cancel" });
  assert.equal(r.order.pending, undefined);
  assert.equal(r.to, "Filled");
  assert.equal(t.get("C2"), undefined); // the rejected request's ClOrdID no longer names the order
});

Deno.test("a request in flight stays pending when the order ends on its own, until its answer comes", () => {
  const t = withNewOrder();
  assert.ok(t.cancel("C1", T0).ok);
  const r = applied(
    t.onExecutionReport(er({ cl: "C1", exec: "E1", et: "C", os: "C", cum: 0, leaves: 0, avg: 0 }), T0),
  );
  assert.equal(r.to, "Expired");
  assert.equal(r.order.pending?.clOrdId, "C2");
  const x = applied(
    t.onCancelReject(msg("9", [[37, "OID1"], [11, "C2"], [41, "C1"], [39, "C"], [434, "1"], [102, 0]]), T0),
  );
  assert.deepEqual([x.to, x.order.pending, x.cancelReject?.reason], ["Expired", undefined, 0]);
});

Deno.test("a rejected replace leaves the order as it was", () => {
  const t = withNewOrder();
  assert.ok(t.replace("C1", { price: 1.08 }, T0).ok);
  const r = applied(
    t.onCancelReject(msg("9", [[37, "OID1"], [11, "C2"], [41, "C1"], [39, "0"], [434, "2"], [102, 99]]), T0),
  );
  assert.deepEqual([r.from, r.to], ["PendingReplace", "New"]);
  assert.equal(r.order.price, 1.085);
  assert.ok(t.cancel("C1", T0).ok); // a new request may go out now
});

Deno.test("an order status report that agrees changes nothing; PossDup repeats are duplicates", () => {
  const t = withNewOrder();
  const r = applied(
    t.onExecutionReport(er({ cl: "C1", exec: "S1", et: "I", os: "0", cum: 0, leaves: 1000, avg: 0 }), T0),
  );
  assert.deepEqual([r.from, r.to], ["New", "New"]);
  const d = t.onExecutionReport(
    er({ cl: "C1", exec: "E0", et: "0", os: "0", cum: 0, leaves: 1000, avg: 0, possDup: true }),
    T0,
  );
  assert.equal(d.kind, "duplicate");
});

Deno.test("anomalies are reported with a reason and never applied", async (tt) => {
  const cases: [string, ErSpec, string][] = [
    [
      "unknown order",
      { cl: "ZZ", exec: "X1", et: "0", os: "0", cum: 0, leaves: 1, avg: 0, orderId: "OZ" },
      "unknown order",
    ],
    [
      "overfill",
      {
        cl: "C1",
        exec: "X1",
        et: "F",
        os: "2",
        cum: 1200,
        leaves: 0,
        avg: 1.085,
        lastQty: 1200,
        lastPx: 1.085,
      },
      "overfill",
    ],
    [
      "CumQty not previous + LastQty",
      {
        cl: "C1",
        exec: "X1",
        et: "F",
        os: "1",
        cum: 500,
        leaves: 500,
        avg: 1.085,
        lastQty: 100,
        lastPx: 1.085,
      },
      "is not the previous CumQty 0 + LastQty 100",
    ],
    [
      "CumQty + LeavesQty != OrderQty",
      {
        cl: "C1",
        exec: "X1",
        et: "F",
        os: "1",
        cum: 100,
        leaves: 800,
        avg: 1.085,
        lastQty: 100,
        lastPx: 1.085,
      },
      "CumQty 100 + LeavesQty 800 != OrderQty 1000",
    ],
    [
      "LeavesQty on a done order",
      { cl: "C1", exec: "X1", et: "4", os: "4", cum: 0, leaves: 1000, avg: 0 },
      "LeavesQty 1000 must be 0",
    ],
    [
      "AvgPx inconsistent",
      {
        cl: "C1",
        exec: "X1",
        et: "F",
        os: "1",
        cum: 100,
        leaves: 900,
        avg: "1.0900",
        lastQty: 100,
        lastPx: 1.085,
      },
      "AvgPx 1.0900 inconsistent",
    ],
    [
      "AvgPx without fills",
      { cl: "C1", exec: "X1", et: "I", os: "0", cum: 0, leaves: 1000, avg: "1.2" },
      "AvgPx 1.2 with CumQty 0",
    ],
    [
      "New twice",
      { cl: "C1", exec: "X1", et: "0", os: "0", cum: 0, leaves: 1000, avg: 0 },
      "impossible transition: New (ExecType 0) in state New",
    ],
    ["Replaced without request", {
      cl: "C9",
      orig: "C1",
      exec: "X1",
      et: "5",
      os: "0",
      cum: 0,
      leaves: 1000,
      avg: 0,
    }, "without a replace request"],
    ["Pending Cancel without request", {
      cl: "C1",
      exec: "X1",
      et: "6",
      os: "6",
      cum: 0,
      leaves: 1000,
      avg: 0,
    }, "without a cancel request"],
    [
      "ExecType/OrdStatus mismatch",
      { cl: "C1", exec: "X1", et: "4", os: "0", cum: 0, leaves: 0, avg: 0 },
      "OrdStatus 0 does not fit Canceled",
    ],
    ["Symbol mismatch", {
      cl: "C1",
      exec: "X1",
      et: "I",
      os: "0",
      cum: 0,
      leaves: 1000,
      avg: 0,
      symbol: "GBP/USD",
    }, "Symbol GBP/USD differs"],
    [
      "Side mismatch",
      { cl: "C1", exec: "X1", et: "I", os: "0", cum: 0, leaves: 1000, avg: 0, side: "2" },
      "Side 2 differs",
    ],
    ["OrderID changed", {
      cl: "C1",
      exec: "X1",
      et: "I",
      os: "0",
      cum: 0,
      leaves: 1000,
      avg: 0,
      orderId: "OTHER",
    }, "OrderID OTHER differs"],
    [
      "status disagrees",
      { cl: "C1", exec: "X1", et: "I", os: "1", cum: 0, leaves: 1000, avg: 0 },
      "status report says OrdStatus 1",
    ],
    ["duplicate ExecID without PossDup", {
      cl: "C1",
      exec: "E0",
      et: "I",
      os: "0",
      cum: 0,
      leaves: 1000,
      avg: 0,
    }, ""],
    [
      "Trade Cancel not handled",
      { cl: "C1", exec: "X1", et: "H", os: "0", cum: 0, leaves: 1000, avg: 0 },
      "Trade Cancel (ExecType H) is not handled",
    ],
    ["Trade without LastQty", {
      cl: "C1",
      exec: "X1",
      et: "F",
      os: "1",
      cum: 100,
      leaves: 900,
      avg: 1.085,
      lastPx: 1.085,
    }, "LastQty"],
    ["OrdStatus 1 with nothing filled", {
      cl: "C1",
      exec: "X1",
      et: "I",
      os: "1",
      cum: 0,
      leaves: 1000,
      avg: 0,
    }, "OrdStatus 1"],
  ];
  for (const [name, spec, reason] of cases) {
    await tt.step(name, () => {
      const t = withNewOrder();
      const before = t.get("C1");
      const r = t.onExecutionReport(er(spec), T0 + 5);
      if (name.startsWith("duplicate ExecID")) {
        // Status reports may reuse ExecIDs; a Trade with a repeated ExecID may not.
        assert.equal(r.kind, "applied");
        const r2 = t.onExecutionReport(
          er({
            cl: "C1",
            exec: "E0",
            et: "F",
            os: "1",
            cum: 1,
            leaves: 999,
            avg: 1.085,
            lastQty: 1,
            lastPx: 1.085,
          }),
          T0,
        );
        anomaly(r2, "duplicate ExecID E0 without PossDupFlag");
        return;
      }
      anomaly(r, reason);
      assert.deepEqual(t.get("C1"), before, "the tracked order must not change");
    });
  }
  await tt.step("missing required fields", () => {
    const t = withNewOrder();
    anomaly(
      t.onExecutionReport(msg("8", [[37, "OID1"], [11, "C1"], [17, "X"], [150, "F"], [39, "1"]]), T0),
      "CumQty (14), LeavesQty (151), AvgPx (6)",
    );
  });
  await tt.step("Trade after Filled", () => {
    const t = withNewOrder();
    applied(
      t.onExecutionReport(
        er({
          cl: "C1",
          exec: "E1",
          et: "F",
          os: "2",
          cum: 1000,
          leaves: 0,
          avg: 1.085,
          lastQty: 1000,
          lastPx: 1.085,
        }),
        T0,
      ),
    );
    anomaly(
      t.onExecutionReport(
        er({
          cl: "C1",
          exec: "E2",
          et: "F",
          os: "2",
          cum: 1100,
          leaves: 0,
          avg: 1.085,
          lastQty: 100,
          lastPx: 1.085,
        }),
        T0,
      ),
      "impossible transition: Trade (ExecType F) in state Filled",
    );
  });
  await tt.step("OrderCancelReject without a request, and with the wrong CxlRejResponseTo", () => {
    const t = withNewOrder();
    anomaly(
      t.onCancelReject(msg("9", [[37, "OID1"], [11, "C7"], [41, "C1"], [39, "0"], [434, "1"]]), T0),
      "no request with that ClOrdID",
    );
    assert.ok(t.cancel("C1", T0).ok);
    anomaly(
      t.onCancelReject(msg("9", [[37, "OID1"], [11, "C2"], [41, "C1"], [39, "0"], [434, "2"]]), T0),
      "CxlRejResponseTo 2 for a cancel",
    );
    anomaly(
      t.onCancelReject(msg("9", [[37, "OID1"], [11, "C2"], [41, "C1"], [39, "8"], [434, "1"], [102, 1]]), T0),
      "OrdStatus 8",
    );
    assert.equal(t.get("C1")?.state, "PendingCancel");
    anomaly(
      t.onCancelReject(msg("9", [[37, "NONE"], [11, "Q1"], [41, "Q0"], [39, "8"], [434, "1"]]), T0),
      "unknown order",
    );
  });
});

Deno.test("requests on orders that cannot take them are refused without a message", () => {
  const t = withNewOrder();
  assert.deepEqual(t.cancel("NOPE", T0), {
    ok: false,
    check: "unknown-order",
    reason: "unknown ClOrdID NOPE",
  });
  assert.ok(t.cancel("C1", T0).ok);
  const again = t.replace("C1", { price: 1.08 }, T0);
  assert.equal(again.ok, false);
  assert.equal(!again.ok && again.check, "order-state");
  const s = t.status("C1");
  assert.ok(s.ok);
  assert.deepEqual(s.message.fields, [[37, "OID1"], [11, "C1"], [55, "EUR/USD"], [54, "1"]]);
  assert.deepEqual(t.massStatus(T0, { massStatusReqId: "M1" }).fields, [[584, "M1"], [585, 7]]);
  assert.deepEqual(t.massStatus(T0, { massStatusReqId: "M2", symbol: "AAPL" }).fields, [
    [584, "M2"],
    [585, 1],
    [55, "AAPL"],
  ]);
});

Deno.test("risk checks refuse with a clear reason and nothing reaches the wire", async (tt) => {
  const refuse = (
    t: OrderTracker,
    req: Parameters<OrderTracker["newOrder"]>[0],
    check: string,
    reason: string,
    now = T0,
  ) => {
    const r = t.newOrder(req, now);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.check, check);
      assert.equal(r.reason, reason);
    }
  };
  const ref = (s: string) => (s === "EUR/USD" ? 1.085 : undefined);
  await tt.step("symbol", () => {
    const t = new OrderTracker({ clOrdIdPrefix: "C", risk: { allowedSymbols: ["EUR/USD"] } });
    refuse(
      t,
      { symbol: "AAPL", side: "buy", orderQty: 1, price: 1 },
      "symbol",
      "symbol AAPL is not allowed on this session",
    );
    assert.equal(t.get("C1"), undefined);
    assert.equal(t.openOrders().length, 0);
  });
  await tt.step("collar in percent and absolute", () => {
    const t = new OrderTracker({
      clOrdIdPrefix: "C",
      referencePrice: ref,
      risk: { priceCollar: { percent: 1 } },
    });
    assert.ok(t.newOrder({ symbol: "EUR/USD", side: "buy", orderQty: 1, price: 1.0958 }, T0).ok);
    const r = t.newOrder({ symbol: "EUR/USD", side: "buy", orderQty: 1, price: 1.0962 }, T0);
    assert.ok(!r.ok && r.check === "collar" && r.reason.startsWith("price 1.0962 is outside the collar"));
    const a = new OrderTracker({
      clOrdIdPrefix: "C",
      referencePrice: ref,
      risk: { priceCollar: { absolute: 0.001 } },
    });
    assert.ok(a.newOrder({ symbol: "EUR/USD", side: "sell", orderQty: 1, price: 1.084 }, T0).ok);
    assert.equal(a.newOrder({ symbol: "EUR/USD", side: "sell", orderQty: 1, price: 1.0839 }, T0).ok, false);
    refuse(
      a,
      { symbol: "GBP/USD", side: "sell", orderQty: 1, price: 1.27 },
      "collar",
      "no reference price for GBP/USD: the price collar cannot be checked",
    );
    assert.ok(
      a.newOrder({ symbol: "GBP/USD", side: "sell", orderQty: 1 }, T0).ok,
      "market orders have no price to collar",
    );
  });
  await tt.step("quantity and notional", () => {
    const t = new OrderTracker({
      clOrdIdPrefix: "C",
      referencePrice: ref,
      risk: { maxOrderQty: 1_000_000, maxNotional: 500_000 },
    });
    refuse(
      t,
      { symbol: "EUR/USD", side: "buy", orderQty: 2_000_000, price: 1 },
      "quantity",
      "OrderQty 2000000 exceeds the limit 1000000",
    );
    refuse(
      t,
      { symbol: "EUR/USD", side: "buy", orderQty: 0, price: 1 },
      "quantity",
      "OrderQty must be a number > 0 (got 0)",
    );
    refuse(
      t,
      { symbol: "EUR/USD", side: "buy", orderQty: 500_000, price: 1.085 },
      "notional",
      "notional 542500 exceeds the limit 500000",
    );
    refuse(
      t,
      { symbol: "EUR/USD", side: "buy", orderQty: 500_000 },
      "notional",
      "notional 542500 exceeds the limit 500000",
    );
    refuse(
      t,
      { symbol: "GBP/USD", side: "buy", orderQty: 1 },
      "notional",
      "no reference price for GBP/USD: the notional of a market order is unknown",
    );
    refuse(
      t,
      { symbol: "EUR/USD", side: "buy", orderQty: 1, ordType: "limit" },
      "price",
      "a limit order needs a price",
    );
    assert.ok(t.newOrder({ symbol: "EUR/USD", side: "buy", orderQty: 400_000, price: 1.085 }, T0).ok);
  });
  await tt.step("max open orders counts only live orders", () => {
    const t = new OrderTracker({ clOrdIdPrefix: "C", risk: { maxOpenOrders: 2 } });
    assert.ok(t.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, T0).ok);
    assert.ok(t.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, T0).ok);
    refuse(
      t,
      { symbol: "X", side: "buy", orderQty: 1, price: 1 },
      "max-open-orders",
      "2 orders open: the limit is 2",
    );
    applied(
      t.onExecutionReport(
        er({ cl: "C1", exec: "E1", et: "8", os: "8", cum: 0, leaves: 0, avg: 0, symbol: "X" }),
        T0,
      ),
    );
    assert.ok(t.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, T0).ok);
  });
  await tt.step("orders per second (token bucket driven by nowMs)", () => {
    const t = new OrderTracker({ clOrdIdPrefix: "C", risk: { ordersPerSecond: 2, burst: 2 } });
    assert.ok(t.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, T0).ok);
    assert.ok(t.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, T0).ok);
    refuse(
      t,
      { symbol: "X", side: "buy", orderQty: 1, price: 1 },
      "rate",
      "rate limit: more than 2 orders per second (burst 2)",
    );
    refuse(
      t,
      { symbol: "X", side: "buy", orderQty: 1, price: 1 },
      "rate",
      "rate limit: more than 2 orders per second (burst 2)",
      T0 + 499,
    );
    assert.ok(t.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, T0 + 500).ok);
    // Cancels are never throttled.
    assert.ok(t.cancel("C1", T0 + 500).ok);
  });
  await tt.step("duplicate ClOrdID", () => {
    const t = new OrderTracker({ clOrdIdPrefix: "C" });
    assert.ok(t.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1, clOrdId: "A" }, T0).ok);
    refuse(
      t,
      { symbol: "X", side: "buy", orderQty: 1, price: 1, clOrdId: "A" },
      "duplicate-clordid",
      "duplicate ClOrdID A: already used on this session",
    );
    const c = t.cancel("A", T0, { clOrdId: "A" });
    assert.ok(!c.ok && c.check === "duplicate-clordid");
  });
  await tt.step("trading hours in a time zone, and over midnight", () => {
    const ny = new OrderTracker({
      clOrdIdPrefix: "C",
      risk: { tradingHours: { start: "09:30", end: "16:00", timeZone: "America/New_York" } },
    });
    // 14:00 UTC on 10 March 2026 is 10:00 in New York (EDT since 8 March).
    assert.ok(ny.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, T0).ok);
    refuse(
      ny,
      { symbol: "X", side: "buy", orderQty: 1, price: 1 },
      "trading-hours",
      "outside trading hours 09:30-16:00 America/New_York (local time 16:00)",
      Date.UTC(2026, 2, 10, 20, 0),
    );
    const night = new OrderTracker({
      clOrdIdPrefix: "C",
      risk: { tradingHours: { start: "22:00", end: "06:00", timeZone: "UTC" } },
    });
    assert.ok(
      night.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, Date.UTC(2026, 2, 10, 23, 0)).ok,
    );
    assert.ok(
      night.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, Date.UTC(2026, 2, 10, 5, 59)).ok,
    );
    assert.equal(night.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, T0).ok, false);
  });
  await tt.step("replace is checked on its new terms", () => {
    const t = withNewOrder({ maxOrderQty: 5000 });
    const r = t.replace("C1", { orderQty: 6000 }, T0);
    assert.ok(!r.ok && r.check === "quantity");
    assert.equal(t.get("C1")?.state, "New");
  });
});

Deno.test("circuit breaker: more than N rejects within the window stops new orders until reset", () => {
  const t = new OrderTracker({
    clOrdIdPrefix: "C",
    risk: { circuitBreaker: { maxRejects: 2, windowMs: 10_000 } },
  });
  const rejectNext = (n: number, now: number) => {
    const r = t.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, now);
    assert.ok(r.ok);
    return applied(
      t.onExecutionReport(
        er({ cl: `C${n}`, exec: `E${n}`, et: "8", os: "8", cum: 0, leaves: 0, avg: 0, symbol: "X" }),
        now,
      ),
    );
  };
  assert.equal(rejectNext(1, T0).breakerTripped, false);
  assert.equal(rejectNext(2, T0 + 1000).breakerTripped, false);
  // The first reject left the window: still two within 10 s.
  assert.equal(rejectNext(3, T0 + 10_000).breakerTripped, false);
  assert.equal(rejectNext(4, T0 + 10_500).breakerTripped, true);
  assert.equal(t.halted, true);
  const r = t.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, T0 + 11_000);
  assert.ok(!r.ok && r.check === "circuit-breaker");
  assert.equal(
    !r.ok && r.reason,
    "circuit breaker open: 3 rejects within 10000 ms (limit 2); reset() to trade again",
  );
  t.reset();
  assert.ok(t.newOrder({ symbol: "X", side: "buy", orderQty: 1, price: 1 }, T0 + 11_000).ok);
});

Deno.test("TokenBucket and CircuitBreaker on their own", () => {
  const b = new TokenBucket({ perSecond: 10, burst: 1 });
  assert.equal(b.tryTake(0), true);
  assert.equal(b.tryTake(50), false);
  assert.equal(b.tryTake(100), true);
  const cb = new CircuitBreaker({ maxRejects: 0, windowMs: 1 });
  assert.equal(cb.record(5), true);
  assert.equal(cb.open, true);
  assert.equal(cb.trippedAtMs, 5);
});

Deno.test("risk limits from a config object: defaults, validation errors naming file and key", () => {
  assert.deepEqual(parseRiskLimits(undefined), { circuitBreaker: { maxRejects: 20, windowMs: 60_000 } });
  assert.deepEqual(
    parseRiskLimits(
      { maxOrderQty: 5, circuitBreaker: null, tradingHours: { start: "08:00", end: "17:00" } },
      "s.yaml",
    ),
    {
      maxOrderQty: 5,
      tradingHours: { start: "08:00", end: "17:00", timeZone: "UTC" },
    },
  );
  const bad: [unknown, string][] = [
    [{ maxOrderQty: -1 }, "s.yaml: risk.maxOrderQty: -1 is not above 0"],
    [{ maxOrderQty: "lots" }, 's.yaml: risk.maxOrderQty: "lots" is not a number'],
    [{ burst: 1.5, ordersPerSecond: 1 }, 's.yaml: risk.burst: "1.5" is not an integer'],
    [{ circuitBreaker: { maxRejects: 1 } }, "s.yaml: risk.circuitBreaker.windowMs: required key missing"],
    [{ maxQty: 1 }, "s.yaml: risk.maxQty: unknown key"],
    [
      { tradingHours: { start: "8:00", end: "17:00" } },
      's.yaml: risk.tradingHours.start: must be a time "HH:MM"',
    ],
    [
      { tradingHours: { start: "08:00", end: "17:00", timeZone: "Mars/Base" } },
      's.yaml: risk.tradingHours.timeZone: unknown time zone "Mars/Base"',
    ],
    [{ priceCollar: {} }, "s.yaml: risk.priceCollar: needs percent or absolute"],
    [{ allowedSymbols: [{}] }, "s.yaml: risk.allowedSymbols[0]: expected a string"],
    [{ burst: 5 }, "s.yaml: risk.burst: needs ordersPerSecond"],
  ];
  for (const [obj, message] of bad) {
    assert.throws(() => parseRiskLimits(obj, "s.yaml"), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(e.message.startsWith(message), `${e.message} should start with ${message}`);
      return true;
    });
  }
  // Limits built in code: the same schema and rules, the same reasons.
  const badInCode: [RiskLimits, string][] = [
    [{ maxOpenOrders: 0 }, "risk limits: risk.maxOpenOrders: 0 is below the minimum 1"],
    [{ maxOrderQty: -1 }, "risk limits: risk.maxOrderQty: -1 is not above 0"],
    [{ maxNotional: Infinity }, 'risk limits: risk.maxNotional: "Infinity" is not a number'],
    [{ burst: 1.5, ordersPerSecond: 1 }, 'risk limits: risk.burst: "1.5" is not an integer'],
    [
      { tradingHours: { start: "8:00", end: "17:00", timeZone: "UTC" } },
      'risk limits: risk.tradingHours.start: must be a time "HH:MM"',
    ],
    [
      { tradingHours: { start: "08:00", end: "17:00", timeZone: "Mars/Base" } },
      'risk limits: risk.tradingHours.timeZone: unknown time zone "Mars/Base"',
    ],
    [{ priceCollar: {} }, "risk limits: risk.priceCollar: needs percent or absolute"],
    [{ burst: 5 }, "risk limits: risk.burst: needs ordersPerSecond"],
  ];
  for (const [limits, message] of badInCode) {
    assert.throws(() => validateRiskLimits(limits), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(e.message.startsWith(message), `${e.message} should start with ${message}`);
      return true;
    });
  }
  const ok: RiskLimits = { maxOrderQty: 5, tradingHours: { start: "08:00", end: "17:00", timeZone: "UTC" } };
  assert.equal(validateRiskLimits(ok), ok);
  // One schema machinery with fixg.yaml: values as YAML's failsafe schema gives them (strings) are converted,
  // an unquoted 0012 symbol stays "0012", and allowedSymbols may be one comma-separated string.
  assert.deepEqual(
    parseRiskLimits({ maxOrderQty: "5", allowedSymbols: ["0012", 12], circuitBreaker: "null" }, "s.yaml"),
    { maxOrderQty: 5, allowedSymbols: ["0012", "12"] },
  );
  assert.deepEqual(parseRiskLimits({ allowedSymbols: "AAPL, MSFT" }).allowedSymbols, ["AAPL", "MSFT"]);
  assert.throws(
    () =>
      new OrderTracker({ risk: { tradingHours: { start: "09:00", end: "10:00", timeZone: "Nowhere/X" } } }),
    ConfigError,
  );
});
