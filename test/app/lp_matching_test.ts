import assert from "node:assert/strict";
import { LpSimulator } from "../../src/app/lp/mod.ts";
import { get, msg } from "./helpers.ts";
import { cxl, effects, messages, nos, rpl, START, sumER, testConfig, twoClients } from "./lp_helpers.ts";

const T = START + 10;

Deno.test("a limit order is acknowledged at once and sweeps the simulated levels at their prices", () => {
  const sim = twoClients();
  const out = sim.onMessage("A", nos("a1", "1", 150, "100.02"), T);
  const ers = messages(out, "A");
  assert.deepEqual(ers.map(sumER), [
    "0/0 a1 150/0 @0",
    "F/1 a1 50/100 @100.01 last 100@100.01",
    "F/2 a1 0/150 @100.01333333 last 50@100.02",
  ]);
  const ack = ers[0]!;
  assert.deepEqual(ack.fields, [
    [37, ack.fields[0]![1]],
    [11, "a1"],
    [17, ack.fields[2]![1]],
    [150, "0"],
    [39, "0"],
    [55, "TEST"],
    [54, "1"],
    [38, 150],
    [40, "2"],
    [44, "100.02"],
    [59, "0"],
    [151, 150],
    [14, 0],
    [6, 0],
    [60, "20260310-14:00:00.010"],
  ]);
  const orderIds = new Set(ers.map((m) => get(m, 37)));
  const execIds = new Set(ers.map((m) => get(m, 17)));
  assert.equal(orderIds.size, 1);
  assert.equal(execIds.size, 3, "ExecIDs are unique");
  assert.deepEqual(sim.levels("TEST", "offer"), [{ price: "100.02", size: 150 }, {
    price: "100.03",
    size: 300,
  }]);
  const st = sim.stats(T);
  assert.deepEqual([st.ordersReceived, st.acks, st.fills, st.rejects, st.openOrders], [1, 1, 2, 0, 0]);
});

Deno.test("price-time priority: simulated liquidity first, then client orders in arrival order; makers get their fills", () => {
  const sim = twoClients();
  sim.onLogon("C", "CLIENT_C", START);
  assert.deepEqual(messages(sim.onMessage("A", nos("a1", "2", 50, "100.01"), T)).map(sumER), [
    "0/0 a1 50/0 @0",
  ]);
  assert.deepEqual(messages(sim.onMessage("B", nos("b1", "2", 50, "100.01"), T)).map(sumER), [
    "0/0 b1 50/0 @0",
  ]);
  assert.deepEqual(sim.levels("TEST", "offer", 1), [{ price: "100.01", size: 200 }]);
  const out = sim.onMessage("C", nos("c1", "1", 180, "100.01"), T);
  assert.deepEqual(out.map((o) => ("message" in o ? `${o.sessionKey} ${sumER(o.message)}` : "")), [
    "C 0/0 c1 180/0 @0",
    "C F/1 c1 80/100 @100.01 last 100@100.01",
    "C F/1 c1 30/150 @100.01 last 50@100.01",
    "A F/2 a1 0/50 @100.01 last 50@100.01",
    "C F/2 c1 0/180 @100.01 last 30@100.01",
    "B F/1 b1 20/30 @100.01 last 30@100.01",
  ]);
  assert.deepEqual(sim.levels("TEST", "offer", 1), [{ price: "100.01", size: 20 }]);
  assert.equal(sim.order("B", "b1")?.resting, true);
});

Deno.test("a replace that lowers the quantity keeps priority; raising it goes to the back", () => {
  for (const [newQty, expected] of [[40, "A"], [60, "B"]] as const) {
    const sim = twoClients();
    sim.onLogon("C", "CLIENT_C", START);
    sim.onMessage("A", nos("a1", "2", 50, "100.01"), T);
    sim.onMessage("B", nos("b1", "2", 50, "100.01"), T);
    const r = messages(sim.onMessage("A", rpl("a2", "a1", "2", newQty, "100.01"), T));
    assert.deepEqual(r.map(sumER), [`5/0 a2 ${newQty}/0 @0`]);
    assert.equal(get(r[0]!, 41), "a1");
    const out = sim.onMessage("C", nos("c1", "1", 130, "100.01"), T);
    const makers = out.filter((o) => "message" in o && o.sessionKey !== "C").map((o) => o.sessionKey);
    assert.deepEqual(makers, [expected]);
  }
});

Deno.test("IOC fills what it can and cancels the rest; FOK fills all or nothing", () => {
  const sim = twoClients();
  assert.deepEqual(messages(sim.onMessage("A", nos("i1", "1", 500, "100.02", "3"), T)).map(sumER), [
    "0/0 i1 500/0 @0",
    "F/1 i1 400/100 @100.01 last 100@100.01",
    "F/1 i1 200/300 @100.01666667 last 200@100.02",
    "4/4 i1 0/300 @100.01666667",
  ]);
  const out = messages(sim.onMessage("A", nos("f1", "1", 301, "100.03", "4"), T));
  assert.deepEqual(out.map(sumER), ["0/0 f1 301/0 @0", "4/4 f1 0/0 @0"]);
  assert.equal(get(out[1]!, 58), "FOK order could not be filled in full");
  assert.deepEqual(messages(sim.onMessage("A", nos("f2", "1", 300, "100.03", "4"), T)).map(sumER), [
    "0/0 f2 300/0 @0",
    "F/2 f2 0/300 @100.03 last 300@100.03",
  ]);
});

Deno.test("market orders take the book and cancel what is left when it runs out", () => {
  const sim = twoClients();
  const out = messages(sim.onMessage("A", nos("m1", "2", 700), T));
  assert.deepEqual(out.map(sumER), [
    "0/0 m1 700/0 @0",
    "F/1 m1 600/100 @99.99 last 100@99.99",
    "F/1 m1 400/300 @99.98333333 last 200@99.98",
    "F/1 m1 100/600 @99.97666667 last 300@99.97",
    "4/4 m1 0/600 @99.97666667",
  ]);
  assert.equal(get(out[4]!, 58), "Market order remainder canceled: no more liquidity");
  assert.equal(get(out[0]!, 44), undefined);
  assert.equal(get(out[0]!, 40), "1");
});

Deno.test("Day orders expire at the day end; GTC orders stay", () => {
  const sim = twoClients(testConfig((c) => (c.orders.dayEnd = { time: "14:01", timeZone: "UTC" })));
  sim.onMessage("A", nos("d1", "1", 10, "99.90"), T);
  sim.onMessage("B", nos("g1", "1", 10, "99.90", "1"), T);
  assert.deepEqual(messages(sim.onTimer(START + 1000)), []);
  assert.deepEqual(messages(sim.onTimer(START + 30_000)), []);
  const out = sim.onTimer(START + 61_000);
  assert.deepEqual(out.map((o) => ("message" in o ? `${o.sessionKey} ${sumER(o.message)}` : "")), [
    "A C/C d1 0/0 @0",
  ]);
  assert.equal(get(messages(out)[0]!, 58), "Day order expired at 14:01 UTC");
  assert.equal(sim.order("B", "g1")?.resting, true);
  assert.equal(sim.stats(START + 61_000).expired, 1);
});

Deno.test("cancel: accepted, unknown order, too late, duplicate ClOrdID, not the current ClOrdID", () => {
  const sim = twoClients();
  sim.onMessage("A", nos("a1", "1", 10, "99.90"), T);
  let out = messages(sim.onMessage("A", cxl("a2", "a1"), T));
  assert.deepEqual(out.map(sumER), ["4/4 a2 0/0 @0"]);
  assert.equal(get(out[0]!, 41), "a1");
  assert.equal(sim.order("A", "a1")?.ordStatus, "4");
  out = messages(sim.onMessage("A", cxl("a3", "zz"), T));
  assert.deepEqual(out[0], {
    msgType: "9",
    fields: [[37, "NONE"], [11, "a3"], [41, "zz"], [39, "8"], [60, "20260310-14:00:00.010"], [434, "1"], [
      102,
      1,
    ], [
      58,
      "Unknown order zz",
    ]],
  });
  sim.onMessage("A", nos("f1", "1", 10, "100.01"), T);
  out = messages(sim.onMessage("A", cxl("f2", "f1"), T));
  assert.deepEqual([get(out[0]!, 102), get(out[0]!, 39), get(out[0]!, 58)], [
    "0",
    "2",
    "Too late to cancel: order is filled",
  ]);
  sim.onMessage("A", nos("r1", "1", 10, "99.90"), T);
  out = messages(sim.onMessage("A", cxl("f1", "r1"), T));
  assert.deepEqual([get(out[0]!, 102), get(out[0]!, 39)], ["6", "0"]);
  sim.onMessage("A", rpl("r2", "r1", "1", 10, "99.91"), T);
  out = messages(sim.onMessage("A", cxl("r3", "r1"), T));
  assert.deepEqual([get(out[0]!, 102), get(out[0]!, 58)], [
    "99",
    "OrigClOrdID r1 was replaced: the order is now r2",
  ]);
  assert.equal(sim.stats(T).cancelRejects, 4);
});

Deno.test("replace: new terms acknowledged, a crossing price trades, rejects for bad terms", () => {
  const sim = twoClients();
  sim.onMessage("A", nos("a1", "1", 10, "99.90"), T);
  let out = messages(sim.onMessage("A", rpl("a2", "a1", "1", 20, "99.95"), T));
  assert.deepEqual(out.map(sumER), ["5/0 a2 20/0 @0"]);
  assert.deepEqual([get(out[0]!, 38), get(out[0]!, 44), get(out[0]!, 41)], ["20", "99.95", "a1"]);
  assert.deepEqual(sim.levels("TEST", "bid", 1), [{ price: "99.99", size: 100 }]);
  out = messages(sim.onMessage("A", rpl("a3", "a2", "1", 20, "100.01"), T));
  assert.deepEqual(out.map(sumER), ["5/0 a3 20/0 @0", "F/2 a3 0/20 @100.01 last 20@100.01"]);
  sim.onMessage("A", nos("p1", "2", 200, "100.00"), T);
  sim.onMessage("B", nos("q1", "1", 50, "100.00"), T); // p1 now 50 filled
  out = messages(sim.onMessage("A", rpl("p2", "p1", "2", 40, "100.00"), T));
  assert.deepEqual(out.map((m) => m.msgType + get(m, 58)), ["9OrderQty 40 is below CumQty 50"]);
  out = messages(sim.onMessage("A", rpl("p3", "p1", "2", 50, "100.00"), T));
  assert.deepEqual(out.map(sumER), ["5/2 p3 0/50 @100.00"], "replacing down to CumQty completes the order");
  sim.onMessage("A", nos("t1", "2", 10, "100.50"), T);
  out = messages(sim.onMessage("A", rpl("t2", "t1", "2", 10, "100.505"), T));
  assert.equal(get(out[0]!, 58), "Price 100.505 is not a multiple of the tick size 0.01");
  out = messages(sim.onMessage("A", rpl("t3", "t1", "1", 10, "100.50"), T));
  assert.equal(get(out[0]!, 58), "Side 1 differs from the order's 2");
  assert.equal(sim.stats(T).replaces, 3);
});

Deno.test("orders the simulator cannot take are rejected with OrdRejReason and a reason", () => {
  const cases: [ReturnType<typeof nos>, string, string][] = [
    [msg("D", [[11, "x1"], [55, "NOPE"], [54, "1"], [38, 1], [40, "1"]]), "1", "Unknown symbol NOPE"],
    [nos("x2", "1", 1.5, "100.00"), "13", "OrderQty must be a whole number > 0 (got 1.5)"],
    [msg("D", [[11, "x3"], [55, "TEST"], [54, "1"], [40, "1"]]), "13", "OrderQty (38) missing or malformed"],
    [
      msg("D", [[11, "x4"], [55, "TEST"], [54, "1"], [38, 1], [40, "3"]]),
      "11",
      "OrdType 3 not supported (1 market, 2 limit)",
    ],
    [
      msg("D", [[11, "x5"], [55, "TEST"], [54, "8"], [38, 1], [40, "1"]]),
      "11",
      "Side 8 not supported (1 buy, 2 sell)",
    ],
    [nos("x6", "1", 1, "100.00", "6"), "11", "TimeInForce 6 not supported (0 day, 1 GTC, 3 IOC, 4 FOK)"],
    [
      msg("D", [[11, "x7"], [55, "TEST"], [54, "1"], [38, 1], [40, "2"]]),
      "99",
      "Price (44) required for a limit order",
    ],
    [nos("x8", "1", 1, "100.001"), "99", "Price 100.001 is not a multiple of the tick size 0.01"],
    [nos("x9", "1", 1, "-1"), "99", "Price -1 must be > 0"],
  ];
  const sim = twoClients(testConfig((c) => (c.strictSymbols = true)));
  for (const [view, code, text] of cases) {
    const out = messages(sim.onMessage("A", view, T));
    assert.equal(out.length, 1);
    assert.deepEqual([sumER(out[0]!).slice(0, 3), get(out[0]!, 103), get(out[0]!, 58)], ["8/8", code, text]);
  }
  sim.onMessage("A", nos("ok", "1", 1, "99.00"), T);
  const dup = messages(sim.onMessage("A", nos("ok", "1", 1, "99.00"), T));
  assert.deepEqual([get(dup[0]!, 150), get(dup[0]!, 103), get(dup[0]!, 58)], [
    "8",
    "6",
    "Duplicate ClOrdID ok",
  ]);
  // The same order resent with PossDupFlag gets its status instead.
  const pd = messages(
    sim.onMessage(
      "A",
      nos("ok", "1", 1, "99.00", "0", [], [[49, "CLIENT_A"], [56, "LP"], [34, 9], [43, true]]),
      T,
    ),
  );
  assert.deepEqual([get(pd[0]!, 150), get(pd[0]!, 39), get(pd[0]!, 11)], ["I", "0", "ok"]);
  const j = messages(sim.onMessage("A", msg("D", [[55, "TEST"], [54, "1"]]), T));
  assert.deepEqual(j[0], {
    msgType: "j",
    fields: [[45, 2], [372, "D"], [380, 5], [58, "ClOrdID (11) missing"]],
  });
  const un = messages(sim.onMessage("A", msg("AE", [[571, "x"]]), T));
  assert.deepEqual(un[0]!.fields, [[45, 2], [372, "AE"], [380, 3], [
    58,
    "MsgType AE is not supported by the simulator",
  ]]);
  assert.equal(sim.stats(T).rejects, 10);
});

Deno.test("order status and mass status", () => {
  const sim = twoClients();
  sim.onMessage("A", nos("a1", "1", 10, "99.90"), T);
  sim.onMessage("A", nos("a2", "2", 10, "100.10"), T);
  sim.onMessage("A", nos("a3", "1", 10, "100.01"), T); // filled: not open
  let out = messages(sim.onMessage("A", msg("H", [[11, "a1"], [790, "S1"], [55, "TEST"], [54, "1"]]), T));
  assert.deepEqual([sumER(out[0]!), get(out[0]!, 790)], ["I/0 a1 10/0 @0", "S1"]);
  out = messages(sim.onMessage("A", msg("H", [[11, "zz"], [55, "TEST"], [54, "2"]]), T));
  assert.deepEqual([sumER(out[0]!), get(out[0]!, 37), get(out[0]!, 58)], [
    "I/8 zz 0/0 @0",
    "NONE",
    "Unknown order zz",
  ]);
  out = messages(sim.onMessage("A", msg("AF", [[584, "M1"], [585, 7]]), T));
  assert.deepEqual(out.map((m) => `${sumER(m)} ${get(m, 584)} ${get(m, 911)} ${get(m, 912)}`), [
    "I/0 a1 10/0 @0 M1 2 N",
    "I/0 a2 10/0 @0 M1 2 Y",
  ]);
  assert.equal(
    messages(sim.onMessage("B", msg("AF", [[584, "M2"], [585, 7]]), T)).length,
    0,
    "B has no orders",
  );
  out = messages(sim.onMessage("A", msg("AF", [[584, "M3"], [585, 3]]), T));
  assert.equal(get(out[0]!, 58), "MassStatusReqType 3 not supported (1 security, 7 all)");
});

Deno.test("a moving price fills a resting order at its limit, from the timer", () => {
  const sim = new LpSimulator(
    testConfig((c) => {
      c.symbols[0]!.volatility = 3;
      c.symbols[0]!.updatesPerSecond = 10;
    }),
    START,
  );
  sim.onLogon("A", "CLIENT_A", START);
  sim.onMessage("A", nos("a1", "2", 10, "100.06"), T);
  let fill;
  for (let t = START + 100; t < START + 3_600_000 && fill === undefined; t += 100) {
    fill = messages(sim.onTimer(t), "A").find((m) => get(m, 150) === "F");
  }
  assert.ok(fill !== undefined, "filled within an hour of simulated time");
  assert.deepEqual([get(fill!, 31), get(fill!, 32), get(fill!, 39)], ["100.06", "10", "2"]);
  assert.equal(sim.order("A", "a1")?.resting, false);
});

Deno.test("disconnect drops subscriptions; cancelOnDisconnect cancels open orders", () => {
  const sim = twoClients(testConfig((c) => (c.orders.cancelOnDisconnect = true)));
  sim.onMessage("A", nos("a1", "1", 10, "99.90"), T);
  sim.onMessage(
    "A",
    msg("V", [[262, "M"], [263, "1"], [264, 1], [267, 1], [269, "0"], [146, 1], [55, "TEST"]]),
    T,
  );
  assert.equal(sim.stats(T).subscriptions, 1);
  const out = sim.onDisconnect("A", T);
  assert.deepEqual(messages(out).map(sumER), ["4/4 a1 0/0 @0"]);
  assert.deepEqual(effects(out), []);
  assert.equal(sim.stats(T).subscriptions, 0);
  assert.deepEqual(sim.stats(T).openOrders, 0);
});

Deno.test("finished orders are forgotten after forgetDoneAfterMs; open ones are kept", () => {
  const sim = twoClients(testConfig((c) => (c.orders.forgetDoneAfterMs = 5000)));
  sim.onMessage("A", nos("f1", "1", 10, "100.01"), T); // filled at once
  sim.onMessage("A", nos("r1", "1", 10, "99.00"), T); // rests
  sim.onTimer(T + 4999);
  assert.equal(
    get(messages(sim.onMessage("A", cxl("f2", "f1"), T + 4999))[0]!, 102),
    "0",
    "still known: too late",
  );
  sim.onTimer(T + 5000);
  assert.equal(sim.order("A", "f1"), undefined);
  assert.equal(
    get(messages(sim.onMessage("A", cxl("f3", "f1"), T + 5000))[0]!, 102),
    "1",
    "forgotten: unknown order",
  );
  assert.deepEqual(messages(sim.onMessage("A", cxl("r2", "r1"), T + 5000)).map(sumER), ["4/4 r2 0/0 @0"]);
});
