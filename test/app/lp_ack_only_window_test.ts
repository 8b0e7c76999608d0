/**
 * ackOnly mode remembers a bounded window of working orders (orders.ackOnlyWindow): before it, every
 * acknowledged order stayed open (and its ClOrdID in the session's map) until canceled, so a client that
 * never cancels grew the simulator by every order (the ping-pong benchmark's garbage-collection work).
 */
import assert from "node:assert/strict";
import { DEFAULT_ACK_ONLY_WINDOW, type LpConfig, LpSimulator } from "../../src/app/lp/mod.ts";
import type { FixMessage } from "../../src/codec/mod.ts";
import { get, msg } from "./helpers.ts";
import { cxl, messages, nos, rpl, START, sumER, testConfig } from "./lp_helpers.ts";

const T = START + 10;

function ackOnly(window?: number): LpConfig {
  return testConfig((c) => {
    c.behaviours = [{ ackOnly: true }];
    if (window !== undefined) c.orders.ackOnlyWindow = window;
  });
}

function client(cfg: LpConfig): LpSimulator {
  const sim = new LpSimulator(cfg, START);
  sim.onLogon("A", "CLIENT_A", START);
  return sim;
}

Deno.test("ackOnly: a session keeps its last ackOnlyWindow working orders; older ones are forgotten", () => {
  const sim = client(ackOnly(3));
  for (let i = 1; i <= 5; i++) {
    assert.deepEqual(messages(sim.onMessage("A", nos(`a${i}`, "1", 10, "100.01"), T)).map(sumER), [
      `0/0 a${i} 10/0 @0`,
    ]);
  }
  assert.equal(sim.stats(T).openOrders, 3); // 5 before the window
  assert.equal(sim.order("A", "a1"), undefined);
  assert.equal(sim.order("A", "a2"), undefined);
  assert.deepEqual(["a3", "a4", "a5"].map((id) => sim.order("A", id)?.ordStatus), ["0", "0", "0"]);
  // A forgotten order is unknown to a cancel; one in the window is canceled.
  const unknown = messages(sim.onMessage("A", cxl("c1", "a1"), T))[0]!;
  assert.equal(unknown.msgType, "9");
  assert.equal(get(unknown, 102), "1");
  assert.equal(get(unknown, 58), "Unknown order a1");
  assert.deepEqual(messages(sim.onMessage("A", cxl("c3", "a3"), T)).map(sumER), ["4/4 c3 0/0 @0"]);
  assert.equal(sim.stats(T).openOrders, 2);
});

Deno.test("ackOnly: duplicate ClOrdIDs are refused within the window and accepted again after it", () => {
  const sim = client(ackOnly(2));
  sim.onMessage("A", nos("d1", "1", 10, "100.01"), T);
  const dup = messages(sim.onMessage("A", nos("d1", "1", 10, "100.01"), T))[0]!;
  assert.equal(sumER(dup), "8/0 d1 10/0 @0"); // the working order's status (FIX 4.4 matrix F.1.b)
  assert.equal(get(dup, 103), "6");
  assert.equal(get(dup, 58), "Duplicate ClOrdID d1");
  sim.onMessage("A", nos("d2", "1", 10, "100.01"), T);
  assert.equal(get(messages(sim.onMessage("A", nos("d1", "1", 10, "100.01"), T))[0]!, 103), "6");
  sim.onMessage("A", nos("d3", "1", 10, "100.01"), T); // d1 leaves the window
  assert.deepEqual(messages(sim.onMessage("A", nos("d1", "1", 10, "100.01"), T)).map(sumER), [
    "0/0 d1 10/0 @0",
  ]);
  assert.equal(sim.stats(T).openOrders, 2);
});

Deno.test("ackOnly: a replaced order leaves the window with every ClOrdID of its chain", () => {
  const sim = client(ackOnly(2));
  sim.onMessage("A", nos("r1", "1", 10, "99.00"), T);
  assert.deepEqual(messages(sim.onMessage("A", rpl("r1b", "r1", "1", 20, "99.50"), T)).map(sumER), [
    "5/0 r1b 20/0 @0",
  ]);
  assert.equal(sim.order("A", "r1")?.clOrdId, "r1b");
  sim.onMessage("A", nos("x2", "1", 10, "99.00"), T);
  sim.onMessage("A", nos("x3", "2", 30, "101.00"), T); // displaces r1b (and takes its object)
  assert.equal(sim.order("A", "r1"), undefined);
  assert.equal(sim.order("A", "r1b"), undefined);
  assert.equal(sim.stats(T).openOrders, 2);
  const x3 = sim.order("A", "x3")!;
  assert.deepEqual([x3.clOrdId, x3.side, x3.orderQty, x3.price, x3.cumQty, x3.ordStatus], [
    "x3",
    "sell",
    30,
    "101.00",
    0,
    "0",
  ]);
  assert.deepEqual(messages(sim.onMessage("A", cxl("x3c", "x3", "2"), T)).map(sumER), ["4/4 x3c 0/0 @0"]);
  assert.deepEqual(messages(sim.onMessage("A", cxl("x2c", "x2"), T)).map(sumER), ["4/4 x2c 0/0 @0"]);
  assert.equal(sim.stats(T).openOrders, 0);
});

Deno.test("ackOnly with fillLatencyMs: a displaced order waiting for its latency is forgotten, not matched", () => {
  const sim = client(testConfig((c) => {
    c.behaviours = [{ ackOnly: true, fillLatencyMs: 50 }];
    c.orders.ackOnlyWindow = 2;
  }));
  for (const id of ["l1", "l2", "l3"]) sim.onMessage("A", nos(id, "1", 10, "100.01"), T);
  assert.equal(sim.order("A", "l1"), undefined);
  assert.deepEqual(messages(sim.onTimer(T + 60)), []);
  assert.deepEqual(["l2", "l3"].map((id) => sim.order("A", id)?.ordStatus), ["0", "0"]);
  assert.equal(sim.stats(T + 60).openOrders, 2);
});

Deno.test("ackOnly: a finished order is not forgotten early, and takes no room in the window", () => {
  const sim = client(ackOnly(2));
  sim.onMessage("A", nos("f1", "1", 10, "100.01"), T);
  sim.onMessage("A", cxl("f1c", "f1"), T); // finished (canceled): kept for the trading day
  sim.onMessage("A", nos("f2", "1", 10, "100.01"), T);
  sim.onMessage("A", nos("f3", "1", 10, "100.01"), T); // two working: nothing forgotten; f1 stays known
  assert.equal(sim.order("A", "f1c")?.ordStatus, "4");
  const late = messages(sim.onMessage("A", cxl("f1d", "f1c"), T))[0]!;
  assert.equal(get(late, 102), "0"); // too late, not unknown
  assert.deepEqual(["f2", "f3"].map((id) => sim.order("A", id)?.ordStatus), ["0", "0"]);
  assert.equal(sim.stats(T).openOrders, 2);
});

Deno.test("ackOnly: the answers (OrderIDs, ExecIDs, every field) are those of an unbounded window", () => {
  const small = client(ackOnly(4));
  const large = client(ackOnly(1_000_000));
  for (let i = 0; i < 50; i++) {
    const m = i % 7 === 6
      ? cxl(`c${i}`, `o${i - 1}`)
      : nos(`o${i}`, i % 2 === 0 ? "1" : "2", 10 + i, "100.01");
    assert.deepEqual(messages(small.onMessage("A", m, T + i)), messages(large.onMessage("A", m, T + i)));
  }
});

Deno.test("ackOnly: memory is bounded by default: 2,500 orders leave the default window open", () => {
  const sim = client(ackOnly());
  assert.equal(DEFAULT_ACK_ONLY_WINDOW, 1_000);
  for (let i = 0; i < 2_500; i++) sim.onMessage("A", nos(`b${i}`, "1", 1, "100.01"), T);
  assert.equal(sim.stats(T).openOrders, DEFAULT_ACK_ONLY_WINDOW); // 2,500 before the window
  assert.equal(sim.order("A", "b1499"), undefined);
  assert.equal(sim.order("A", "b1500")?.ordStatus, "0");
});

Deno.test("ackOnly: the window counts working orders: a resting order outlives any number of canceled ones", () => {
  // A client keeps one order working and trades around it (new, cancel): two orders at most are working,
  // so with a window of 2 nothing is forgotten however many orders came after the first one.
  const sim = client(ackOnly(2));
  sim.onMessage("A", nos("w1", "1", 10, "99.00"), T);
  for (let i = 0; i < 5_000; i++) {
    assert.deepEqual(messages(sim.onMessage("A", nos(`n${i}`, "2", 1, "101.00"), T)).map(sumER), [
      `0/0 n${i} 1/0 @0`,
    ]);
    assert.deepEqual(messages(sim.onMessage("A", cxl(`x${i}`, `n${i}`, "2"), T)).map(sumER), [
      `4/4 x${i} 0/0 @0`,
    ]);
  }
  assert.equal(sim.order("A", "w1")?.ordStatus, "0");
  assert.deepEqual(messages(sim.onMessage("A", cxl("w1c", "w1"), T)).map(sumER), ["4/4 w1c 0/0 @0"]);
  // What the session holds for its window stays bounded by the window, not by the orders taken.
  const s = (sim as unknown as { _sessions: Map<string, { ackOnly: unknown[] }> })._sessions.get("A")!;
  assert.equal(s.ackOnly.length, 4); // a ring of twice the window
  // Three working orders in a window of 2: the oldest working one is forgotten.
  for (const id of ["k1", "k2", "k3"]) sim.onMessage("A", nos(id, "1", 10, "99.00"), T);
  assert.deepEqual(["k1", "k2", "k3"].map((id) => sim.order("A", id)?.ordStatus), [undefined, "0", "0"]);
  assert.equal(sim.stats(T).openOrders, 2);
});

const status = (cl: string, req = "S1") => msg("H", [[11, cl], [790, req], [55, "TEST"], [54, "1"]]);

Deno.test("ackOnly: ClOrdIDs kept as bytes (up to 40 characters) and as strings (longer) answer alike", () => {
  const sim = client(ackOnly(3));
  const short = "s1", slot = "K".repeat(40), long = "L".repeat(41);
  const acks = [short, slot, long].map((id) =>
    messages(sim.onMessage("A", nos(id, "1", 10, "100.01"), T))[0]!
  );
  assert.deepEqual(acks.map((m) => [get(m, 11), get(m, 37)]), [
    [short, `${prefix(acks[0]!)}-O1`],
    [slot, `${prefix(acks[0]!)}-O2`],
    [long, `${prefix(acks[0]!)}-O3`],
  ]);
  for (const [i, id] of [short, slot, long].entries()) {
    const dup = messages(sim.onMessage("A", nos(id, "2", 5, "100.02"), T))[0]!;
    assert.deepEqual([sumER(dup), get(dup, 103), get(dup, 58)], [
      `8/0 ${id} 10/0 @0`,
      "6",
      `Duplicate ClOrdID ${id}`,
    ]);
    const st = messages(sim.onMessage("A", status(id), T))[0]!;
    assert.deepEqual([sumER(st), get(st, 37), get(st, 790), get(st, 41)], [
      `I/0 ${id} 10/0 @0`,
      get(acks[i]!, 37),
      "S1",
      undefined,
    ]);
    assert.equal(sim.order("A", id)?.clOrdId, id);
  }
  // A cancel of each kind, and a cancel whose ClOrdID is one of them (a duplicate).
  assert.equal(get(messages(sim.onMessage("A", cxl(slot, short), T))[0]!, 58), `Duplicate ClOrdID ${slot}`);
  assert.deepEqual(messages(sim.onMessage("A", cxl("c-long", long), T)).map(sumER), ["4/4 c-long 0/0 @0"]);
  assert.deepEqual(messages(sim.onMessage("A", cxl("c-slot", slot), T)).map(sumER), ["4/4 c-slot 0/0 @0"]);
  // Finished orders keep every ClOrdID of their chain until forgotten: still duplicates.
  for (const id of [slot, long, "c-slot", "c-long"]) {
    assert.equal(get(messages(sim.onMessage("A", nos(id, "1", 1, "100.01"), T))[0]!, 103), "6");
  }
  // Displacement forgets the oldest working order whichever way its ClOrdID is kept.
  const long2 = "M".repeat(50);
  for (const id of ["s2", long2, "s3"]) sim.onMessage("A", nos(id, "1", 10, "100.01"), T);
  assert.equal(sim.order("A", short), undefined); // displaced by s3
  assert.deepEqual(["s2", long2, "s3"].map((id) => sim.order("A", id)?.ordStatus), ["0", "0", "0"]);
  sim.onMessage("A", nos("s4", "1", 10, "100.01"), T); // displaces s2
  sim.onMessage("A", nos("s5", "1", 10, "100.01"), T); // displaces the 50-character one
  assert.deepEqual([short, "s2", long2].map((id) => sim.order("A", id)), [undefined, undefined, undefined]);
  assert.deepEqual(messages(sim.onMessage("A", nos(long2, "1", 10, "100.01"), T)).map(sumER), [
    `0/0 ${long2} 10/0 @0`,
  ]);
  assert.equal(sim.stats(T).openOrders, 3);
});

Deno.test("ackOnly: a window order's status, replace chain and duplicates once its ClOrdID changed", () => {
  const sim = client(ackOnly(1));
  const ack = messages(sim.onMessage("A", nos("w1", "1", 10, "99.00"), T))[0]!;
  const orderId = get(ack, 37);
  assert.deepEqual(messages(sim.onMessage("A", rpl("w1b", "w1", "1", 20, "99.50"), T)).map(sumER), [
    "5/0 w1b 20/0 @0",
  ]);
  for (const id of ["w1", "w1b"]) {
    const st = messages(sim.onMessage("A", status(id), T))[0]!;
    assert.deepEqual([sumER(st), get(st, 37), get(st, 41)], ["I/0 w1b 20/0 @0", orderId, "w1"]);
    assert.equal(get(messages(sim.onMessage("A", nos(id, "1", 1, "99.00"), T))[0]!, 103), "6");
  }
  // A cancel naming the replaced ClOrdID is refused as such.
  assert.equal(
    get(messages(sim.onMessage("A", cxl("w1c", "w1"), T))[0]!, 58),
    "OrigClOrdID w1 was replaced: the order is now w1b",
  );
  sim.onMessage("A", nos("w2", "1", 10, "99.00"), T); // the window of 1 forgets w1b's whole chain
  for (const id of ["w1", "w1b"]) assert.equal(sim.order("A", id), undefined);
  assert.deepEqual(messages(sim.onMessage("A", nos("w1", "1", 10, "99.00"), T)).map(sumER), [
    "0/0 w1 10/0 @0",
  ]);
  assert.equal(sim.order("A", "w2"), undefined); // displaced by the new w1
  assert.equal(sim.order("A", "w1")?.orderQty, 10);
});

Deno.test("ackOnly ending: an order acknowledged with its ClOrdID as bytes is filled later under that ClOrdID", () => {
  const sim = client(testConfig((c) => {
    c.behaviours = [{ ackOnly: true, toMs: 1000, fillLatencyMs: 50 }];
    c.orders.ackOnlyWindow = 4;
  }));
  const ack = messages(sim.onMessage("A", nos("f1", "1", 10, "100.01"), T))[0]!;
  // Due at T + 50, first looked at after the behaviour ended: matched then.
  const fills = messages(sim.onTimer(START + 1500));
  assert.deepEqual(fills.map(sumER), ["F/2 f1 0/10 @100.01 last 10@100.01"]);
  assert.equal(get(fills[0]!, 37), get(ack, 37));
  const st = messages(sim.onMessage("A", status("f1"), START + 1500))[0]!;
  assert.deepEqual([sumER(st), get(st, 37)], ["I/2 f1 0/10 @100.01", get(ack, 37)]);
  assert.equal(get(messages(sim.onMessage("A", nos("f1", "1", 1, "100.01"), START + 1500))[0]!, 103), "6");
});

Deno.test("OrderIDs and ExecIDs: the simulator's prefix, -O and -E, counting from 1", () => {
  const sim = client(ackOnly(2));
  const out = [1, 2, 3].map((i) => messages(sim.onMessage("A", nos(`e${i}`, "1", 10, "100.01"), T))[0]!);
  const p = prefix(out[0]!);
  assert.match(p, /^[0-9A-Z]+$/);
  assert.deepEqual(out.map((m) => [get(m, 37), get(m, 17)]), [
    [`${p}-O1`, `${p}-E1`],
    [`${p}-O2`, `${p}-E2`],
    [`${p}-O3`, `${p}-E3`],
  ]);
});

/** The simulator's ID prefix, from an ExecutionReport's OrderID. */
function prefix(m: FixMessage): string {
  return get(m, 37)!.replace(/-O\d+$/, "");
}
