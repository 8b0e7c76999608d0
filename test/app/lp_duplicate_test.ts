/**
 * A new order whose ClOrdID the session already used is rejected (ExecType 8, OrdRejReason 6) with the
 * status of the order that has the ClOrdID, as FIX 4.4 Volume 4's matrix F.1.b does: its OrderID,
 * OrdStatus, OrderQty, CumQty, LeavesQty and AvgPx. A client applying the reject to its order by
 * ClOrdID must not see its working order turn Rejected with LeavesQty 0.
 */
import assert from "node:assert/strict";
import type { FixMessage } from "../../src/codec/mod.ts";
import { get } from "./helpers.ts";
import { messages, nos, rpl, START, testConfig, twoClients } from "./lp_helpers.ts";

const T = START + 1;
/** 11 37 150 39 103 38 14 151 6 58. */
const row = (m: FixMessage) =>
  [11, 37, 150, 39, 103, 38, 14, 151, 6, 58].map((t) => get(m, t) ?? "-").join(" ");

Deno.test("duplicate ClOrdID of a partially filled order: reject with the order's status, the order untouched", () => {
  const sim = twoClients();
  const first = messages(sim.onMessage("A", nos("d1", "1", 150, "100.01"), T));
  assert.deepEqual(first.map((m) => [get(m, 150), get(m, 39), get(m, 151)]), [["0", "0", "150"], [
    "F",
    "1",
    "50",
  ]]);
  const orderId = get(first[0]!, 37)!;
  const dup = messages(sim.onMessage("A", nos("d1", "2", 20, "101.00"), T + 1));
  assert.deepEqual(dup.map(row), [`d1 ${orderId} 8 1 6 150 100 50 100.01 Duplicate ClOrdID d1`]);
  assert.notEqual(get(dup[0]!, 17), get(first[1]!, 17));
  const o = sim.order("A", "d1")!;
  assert.deepEqual([o.ordStatus, o.orderQty, o.cumQty, o.leavesQty, o.resting], ["1", 150, 100, 50, true]);
  assert.equal(sim.stats(T).rejects, 1);
  assert.equal(sim.stats(T).openOrders, 1);
});

Deno.test("duplicate ClOrdID: of a replaced order's first ClOrdID, of a filled order, of a rejected order", () => {
  const sim = twoClients(testConfig((c) => (c.strictSymbols = true)));
  const ack = messages(sim.onMessage("A", nos("r1", "2", 10, "101.00"), T))[0]!;
  sim.onMessage("A", rpl("r2", "r1", "2", 30, "101.00"), T);
  const f = messages(sim.onMessage("A", nos("f1", "1", 10, "100.01"), T));
  const rej = messages(sim.onMessage("A", nos("x1", "1", 0, "100.01"), T))[0]!;
  const out = [nos("r1", "1", 1, "100.00"), nos("f1", "1", 1, "100.00"), nos("x1", "1", 1, "100.00")].flatMap(
    (v) => messages(sim.onMessage("A", v, T + 1)).map(row),
  );
  assert.deepEqual(out, [
    `r1 ${get(ack, 37)} 8 0 6 30 0 30 0 Duplicate ClOrdID r1`,
    `f1 ${get(f[0]!, 37)} 8 2 6 10 10 0 100.01 Duplicate ClOrdID f1`,
    `x1 ${get(rej, 37)} 8 8 6 0 0 0 0 Duplicate ClOrdID x1`,
  ]);
  assert.deepEqual(sim.order("A", "r2")?.leavesQty, 30);
});
