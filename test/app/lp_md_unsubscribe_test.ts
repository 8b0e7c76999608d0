/**
 * MarketDataRequest unsubscribe (263=2) stops every update of the subscription, from trades and from
 * price steps alike, and frees its MDReqID: a new subscription with the same MDReqID gets a snapshot
 * and its own updates; a second subscription of the session is not touched.
 */
import assert from "node:assert/strict";
import type { Field } from "../../src/codec/mod.ts";
import { get, msg } from "./helpers.ts";
import { messages, nos, START, testConfig, twoClients } from "./lp_helpers.ts";

const T = START + 10;

function mdr(id: string, type: string) {
  const f: Field[] = [[262, id], [263, type], [264, 0], [267, 2], [269, "0"], [269, "1"], [146, 1], [
    55,
    "TEST",
  ]];
  return msg("V", f);
}

Deno.test("unsubscribe stops trades' and price steps' updates; the MDReqID can be used again", () => {
  const sim = twoClients(testConfig((c) => {
    c.symbols[0]!.volatility = 5; // about 9 ticks a second: nearly every second moves the book
    c.symbols[0]!.updatesPerSecond = 10;
  }));
  const ids = (out: ReturnType<typeof sim.onTimer>) =>
    messages(out, "A").map((m) => `${m.msgType} ${get(m, 262)}`);
  assert.deepEqual(ids(sim.onMessage("A", mdr("M1", "1"), T)), ["W M1"]);
  assert.deepEqual(ids(sim.onMessage("A", mdr("M2", "1"), T)), ["W M2"]);
  // Both get the price steps (seeded: the book moves in each of these seconds).
  const before = ids(sim.onTimer(T + 1000));
  assert.ok(before.includes("X M1") && before.includes("X M2"), before.join(", "));
  assert.deepEqual(ids(sim.onMessage("A", mdr("M1", "2"), T + 1001)), []);
  // Nothing more for M1: not from a trade, not from price steps over 5 s; M2 still gets them.
  const after = [
    ids(sim.onMessage("B", nos("b1", "2", 100, "90.00"), T + 1002)),
    ...[2000, 3000, 4000, 5000, 6000].map((d) => ids(sim.onTimer(T + d))),
  ].map((x) => x.join("+"));
  // (The seed is fixed: the same steps every run.)
  assert.deepEqual(after, ["X M2", "X M2", "X M2", "X M2", "X M2", "X M2"]);
  // M1 again: a new subscription (a snapshot, then its updates), no duplicate reject.
  assert.deepEqual(ids(sim.onMessage("A", mdr("M1", "1"), T + 6001)), ["W M1"]);
  assert.ok(ids(sim.onTimer(T + 7000)).includes("X M1"));
  assert.equal(sim.stats(T + 7000).subscriptions, 2);
  assert.equal(sim.stats(T + 7000).mdRejects, 0);
});
