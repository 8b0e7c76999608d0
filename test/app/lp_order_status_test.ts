/**
 * The simulator keeps every order of the trading day (rejected, filled, canceled, replaced) and answers
 * OrderStatusRequest with its last state and identifiers, as a venue does.
 */
import assert from "node:assert/strict";
import { LpSimulator } from "../../src/app/lp/mod.ts";
import { get, msg } from "./helpers.ts";
import { cxl, messages, nos, rpl, START, sumER, testConfig, twoClients } from "./lp_helpers.ts";

const T = START + 1;
const status = (cl: string, req = "S1") => msg("H", [[11, cl], [790, req], [55, "TEST"], [54, "1"]]);

Deno.test("status of a rejected order: its OrderID, OrdStatus 8, reason text; its ClOrdID stays used", () => {
  const sim = twoClients(
    testConfig((c) => c.behaviours.push({ rejectFraction: 1, rejectReason: "No credit" })),
  );
  const rej = messages(sim.onMessage("A", nos("r1", "1", 10, "100.00"), T))[0]!;
  assert.equal(get(rej, 39), "8");
  const orderId = get(rej, 37)!;
  assert.notEqual(orderId, "NONE");
  const out = messages(sim.onMessage("A", status("r1"), T + 1));
  assert.deepEqual(
    out.map((
      m,
    ) => [get(m, 37), get(m, 11), get(m, 790), get(m, 150), get(m, 39), get(m, 55), get(m, 38), get(m, 58)]),
    [[orderId, "r1", "S1", "I", "8", "TEST", "10", "No credit"]],
  );
  assert.notEqual(get(out[0]!, 17), get(rej, 17), "a new ExecID");
  // The ClOrdID was used today: a new order with it is a duplicate, a cancel is too late.
  sim.setBehaviours([]);
  const dup = messages(sim.onMessage("A", nos("r1", "1", 10, "100.00"), T + 2));
  assert.deepEqual(dup.map((m) => get(m, 58)), ["Duplicate ClOrdID r1"]);
  const c = messages(sim.onMessage("A", cxl("r2", "r1"), T + 3));
  assert.deepEqual(c.map((m) => [m.msgType, get(m, 37), get(m, 39), get(m, 102)]), [[
    "9",
    orderId,
    "8",
    "0",
  ]]);
  // The duplicate's reject did not replace the first order's record.
  assert.equal(get(messages(sim.onMessage("A", status("r1"), T + 4))[0]!, 37), orderId);
});

Deno.test("filled, canceled and replaced orders are kept past a minute, until the trading day ends", () => {
  const sim = new LpSimulator(
    testConfig((c) => (c.orders.dayEnd = { time: "17:00", timeZone: "UTC" })),
    START,
  );
  sim.onLogon("A", "CLIENT_A", START);
  sim.onMessage("A", nos("f1", "1", 10, "100.01"), T); // filled at once
  sim.onMessage("A", nos("c1", "1", 10, "99.00"), T);
  sim.onMessage("A", cxl("c2", "c1"), T);
  sim.onMessage("A", nos("p1", "1", 10, "99.00"), T);
  sim.onMessage("A", rpl("p2", "p1", "1", 20, "99.01"), T);
  const later = START + 2 * 3600_000; // 16:00 UTC, two hours later
  sim.onTimer(later);
  const ask = (cl: string) =>
    messages(sim.onMessage("A", status(cl), later)).map((m) => `${get(m, 37)} ${sumER(m)}`);
  assert.match(ask("f1")[0]!, /-O1 I\/2 f1 0\/10 @100.01$/);
  assert.match(ask("c1")[0]!, /-O2 I\/4 c2 0\/0 @0$/);
  assert.match(ask("p1")[0]!, /-O3 I\/0 p2 20\/0 @0$/);
  const replaced = messages(sim.onMessage("A", status("p1"), later))[0]!;
  assert.deepEqual([get(replaced, 11), get(replaced, 41), get(replaced, 38), get(replaced, 44)], [
    "p2",
    "p1",
    "20",
    "99.01",
  ]);
  // The day ends at 17:00 UTC: finished orders are forgotten, the open one is kept.
  sim.onTimer(START + 3 * 3600_000 - 1000);
  sim.onTimer(START + 3 * 3600_000 + 1000);
  assert.deepEqual(ask("f1").map((l) => l.split(" ")[0]), ["NONE"]);
  assert.match(ask("p2")[0]!, /-O3 I\/C p2 0\/0 @0$/, "the Day order expired at 17:00 and is still known");
});
