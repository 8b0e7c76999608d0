import assert from "node:assert/strict";
import type { LpBehaviour, LpOutput } from "../../src/app/lp/mod.ts";
import { get } from "./helpers.ts";
import { cxl, effects, messages, nos, START, sumER, testConfig, twoClients } from "./lp_helpers.ts";

const T = START + 10;

function withBehaviours(...b: LpBehaviour[]) {
  return twoClients(testConfig((c) => (c.behaviours = b)));
}

/** Messages and effects of one session in order, compactly. */
function trace(out: LpOutput[], sessionKey = "A"): string[] {
  return out.filter((o) => o.sessionKey === sessionKey).map((o) =>
    "message" in o
      ? (o.message.msgType === "8" ? `ER ${get(o.message, 150)}` : o.message.msgType)
      : `effect ${JSON.stringify(o.effect)}`
  );
}

Deno.test("rejectFraction rejects orders with the reason, only inside its window", () => {
  const sim = withBehaviours({
    fromMs: 1000,
    toMs: 2000,
    rejectFraction: 1,
    rejectReason: "Simulated risk reject",
  });
  assert.equal(get(messages(sim.onMessage("A", nos("a1", "1", 1, "99.00"), T))[0]!, 150), "0");
  const r = messages(sim.onMessage("A", nos("a2", "1", 1, "99.00"), START + 1500))[0]!;
  assert.deepEqual([get(r, 150), get(r, 39), get(r, 103), get(r, 58)], [
    "8",
    "8",
    "0",
    "Simulated risk reject",
  ]);
  assert.equal(get(messages(sim.onMessage("A", nos("a3", "1", 1, "99.00"), START + 2000))[0]!, 150), "0");
});

Deno.test("rejectFraction 0.5 rejects about half, the same ones for the same seed", () => {
  const run = () => {
    const sim = withBehaviours({ rejectFraction: 0.5 });
    let n = 0;
    for (let i = 0; i < 400; i++) {
      if (get(messages(sim.onMessage("A", nos(`o${i}`, "1", 1, "99.00"), T))[0]!, 150) === "8") n++;
    }
    return n;
  };
  const a = run();
  assert.ok(a > 160 && a < 240, `${a} of 400 rejected`);
  assert.equal(run(), a);
});

Deno.test("behaviours apply only to the clients listed", () => {
  const sim = withBehaviours({ clients: ["CLIENT_B"], rejectFraction: 1 });
  assert.equal(get(messages(sim.onMessage("A", nos("a1", "1", 1, "99.00"), T))[0]!, 150), "0");
  assert.equal(get(messages(sim.onMessage("B", nos("b1", "1", 1, "99.00"), T))[0]!, 150), "8");
});

Deno.test("fillLatencyMs: acknowledged at once, matched when the latency has passed; a cancel can beat it", () => {
  const sim = withBehaviours({ fillLatencyMs: 200 });
  assert.deepEqual(messages(sim.onMessage("A", nos("a1", "1", 50, "100.01"), T)).map(sumER), [
    "0/0 a1 50/0 @0",
  ]);
  assert.equal(sim.order("A", "a1")?.deferredUntilMs, T + 200);
  assert.equal(sim.nextTimerMs(), T + 200);
  assert.deepEqual(messages(sim.onTimer(T + 199), "A"), []);
  const fill = messages(sim.onTimer(T + 200), "A");
  assert.deepEqual(fill.map(sumER), ["F/2 a1 0/50 @100.01 last 50@100.01"]);
  assert.equal(get(fill[0]!, 60), "20260310-14:00:00.210");
  sim.onMessage("A", nos("a2", "1", 50, "100.01"), T + 300);
  assert.deepEqual(messages(sim.onMessage("A", cxl("a3", "a2"), T + 400)).map(sumER), ["4/4 a3 0/0 @0"]);
  assert.deepEqual(messages(sim.onTimer(T + 500), "A"), []);
});

Deno.test("fillLatencyMs as a range draws each delay from it", () => {
  const sim = withBehaviours({ fillLatencyMs: { min: 100, max: 300 } });
  const delays: number[] = [];
  for (let i = 0; i < 50; i++) {
    sim.onMessage("A", nos(`a${i}`, "1", 1, "99.00"), T);
    delays.push(sim.order("A", `a${i}`)!.deferredUntilMs! - T);
  }
  assert.ok(delays.every((d) => d >= 100 && d <= 300));
  assert.ok(new Set(delays).size > 10);
});

Deno.test("partialFillProbability: part of the order fills now, the rest later", () => {
  const sim = withBehaviours({ partialFillProbability: 1 });
  const now = messages(sim.onMessage("A", nos("a1", "1", 100, "100.01"), T)).map(sumER);
  assert.equal(now.length, 2);
  const first = Number(/last (\d+)@/.exec(now[1]!)![1]);
  assert.ok(first >= 20 && first <= 80, `first fill ${first}`);
  assert.equal(sim.order("A", "a1")?.resting, false, "the rest is not shown in the book meanwhile");
  // The rest is matched again later (at the fill latency, else the next liquidity refresh), in pieces
  // while the probability says so, until the order is filled.
  const fills: string[] = [];
  for (let i = 0; i < 100 && sim.order("A", "a1")!.ordStatus !== "2"; i++) {
    fills.push(...messages(sim.onTimer(sim.nextTimerMs()!), "A").map(sumER));
  }
  assert.equal(sim.order("A", "a1")?.cumQty, 100);
  assert.ok(fills.length >= 2 && fills.every((f) => f.startsWith("F/")), fills.join());
  // IOC orders get the partial fill and the rest canceled.
  const ioc = messages(sim.onMessage("A", nos("a2", "1", 100, "100.01", "3"), sim.nextTimerMs()!)).map((m) =>
    get(m, 150)
  );
  assert.deepEqual(ioc, ["0", "F", "4"]);
});

Deno.test("skipSeqNums every N messages puts a skip-seq effect before every Nth message", () => {
  const sim = withBehaviours({ skipSeqNums: { everyMessages: 2, count: 1 } });
  assert.deepEqual(trace(sim.onMessage("A", nos("a1", "1", 50, "100.01"), T)), [
    "ER 0",
    'effect {"kind":"skip-seq","count":1}',
    "ER F",
  ]);
  assert.deepEqual(trace(sim.onMessage("A", nos("a2", "1", 1, "99.00"), T)), ["ER 0"]);
  assert.deepEqual(trace(sim.onMessage("A", nos("a3", "1", 1, "99.00"), T)), [
    'effect {"kind":"skip-seq","count":1}',
    "ER 0",
  ]);
});

Deno.test("skipSeqNums with a probability, and the count skipped each time", () => {
  const sim = withBehaviours({ skipSeqNums: { probability: 1, count: 3 } });
  assert.deepEqual(trace(sim.onMessage("A", nos("a1", "1", 1, "99.00"), T)), [
    'effect {"kind":"skip-seq","count":3}',
    "ER 0",
  ]);
});

Deno.test("disconnectAfterMessages: the Nth message is answered, then the disconnect; the count restarts at logon", () => {
  const sim = withBehaviours({ disconnectAfterMessages: 2 });
  assert.deepEqual(trace(sim.onMessage("A", nos("a1", "1", 1, "99.00"), T)), ["ER 0"]);
  assert.deepEqual(trace(sim.onMessage("A", nos("a2", "1", 1, "99.00"), T)), [
    "ER 0",
    'effect {"kind":"disconnect","reason":"behaviour disconnectAfterMessages: 2 messages received"}',
  ]);
  sim.onDisconnect("A", T);
  sim.onLogon("A", "CLIENT_A", T + 1000);
  assert.deepEqual(trace(sim.onMessage("A", nos("a3", "1", 1, "99.00"), T + 1000)), ["ER 0"]);
});

Deno.test("disconnectProbability 1 disconnects after the first message", () => {
  const sim = withBehaviours({ disconnectProbability: 1 });
  assert.deepEqual(effects(sim.onMessage("A", nos("a1", "1", 1, "99.00"), T)), [
    { sessionKey: "A", kind: "disconnect", reason: "behaviour disconnectProbability" },
  ]);
});

Deno.test("dropHeartbeats, goSilent and slowReaderMs switch on and off with their window", () => {
  const sim = withBehaviours(
    { toMs: 5000, dropHeartbeats: true },
    { fromMs: 2000, toMs: 3000, goSilent: true, slowReaderMs: 250 },
  );
  // twoClients logged on at START: A's effects came out then; check with a fresh logon.
  assert.deepEqual(trace(sim.onLogon("A", "CLIENT_A", START)), [
    'effect {"kind":"drop-heartbeats","active":true}',
  ]);
  assert.deepEqual(trace(sim.onTimer(START + 1000)), []);
  assert.deepEqual(trace(sim.onTimer(START + 2000)), [
    'effect {"kind":"silence","active":true}',
    'effect {"kind":"slow-reader","delayMs":250}',
  ]);
  assert.equal(sim.nextTimerMs(), START + 3000);
  assert.deepEqual(trace(sim.onTimer(START + 3000)), [
    'effect {"kind":"silence","active":false}',
    'effect {"kind":"slow-reader","delayMs":0}',
  ]);
  assert.deepEqual(trace(sim.onTimer(START + 5000)), ['effect {"kind":"drop-heartbeats","active":false}']);
  assert.deepEqual(trace(sim.onTimer(START + 6000)), []);
});

Deno.test("sendSequenceReset fires once per logon while its window is open", () => {
  const sim = withBehaviours({ fromMs: 1000, sendSequenceReset: { jump: 5 } });
  assert.deepEqual(trace(sim.onTimer(START + 500)), []);
  assert.deepEqual(trace(sim.onTimer(START + 1000)), ['effect {"kind":"sequence-reset","jump":5}']);
  assert.deepEqual(trace(sim.onTimer(START + 2000)), []);
  sim.onDisconnect("A", START + 2500);
  assert.deepEqual(trace(sim.onLogon("A", "CLIENT_A", START + 3000)), [
    'effect {"kind":"sequence-reset","jump":5}',
  ]);
});

Deno.test("behaviours can be replaced at run time; stats count what happened", () => {
  const sim = withBehaviours();
  sim.setBehaviours([{ rejectFraction: 1 }]);
  assert.equal(get(messages(sim.onMessage("A", nos("a1", "1", 1, "99.00"), T))[0]!, 150), "8");
  sim.setBehaviours([]);
  sim.onMessage("A", nos("a2", "1", 50, "100.01"), T + 100);
  sim.onMessage("A", nos("a3", "1", 5, "99.00"), T + 200);
  sim.onMessage("A", cxl("a4", "a3"), T + 300);
  const st = sim.stats(START + 1500);
  assert.deepEqual(
    [
      st.messagesIn,
      st.ordersReceived,
      st.acks,
      st.fills,
      st.rejects,
      st.cancels,
      st.messagesOut,
      st.messagesPerSecondIn,
    ],
    [4, 3, 2, 1, 1, 1, 5, 4],
  );
  assert.equal(sim.stats(START + 2500).messagesPerSecondIn, 0);
});
