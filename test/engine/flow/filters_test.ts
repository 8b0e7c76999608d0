/**
 * The session's policies as filters: each tested alone with a context of its own, and the pipeline
 * over a runner (memory transport, manual scheduler): exact bytes of the throttle's BusinessMessageReject,
 * extra filters from the options.
 */
import assert from "node:assert/strict";
import { type FixMessage, Framer, MessageView, Tag, toReadable } from "../../../src/codec/mod.ts";
import { ManualScheduler } from "../../../src/clock.ts";
import type { FlowContext, InboundFilter, OutboundFilter } from "../../../src/engine/flow/filter.ts";
import { OpenOrders } from "../../../src/engine/flow/open_orders.ts";
import { OrderTracking } from "../../../src/engine/flow/order_tracking.ts";
import { OutboundQueue, type Priority } from "../../../src/engine/flow/outbound_queue.ts";
import { OrderGate } from "../../../src/engine/flow/risk_gate.ts";
import { InboundThrottle } from "../../../src/engine/flow/throttle.ts";
import { Faults } from "../../../src/engine/flow/faults.ts";
import { Logger } from "../../../src/engine/log.ts";
import { SessionCounters } from "../../../src/engine/session/counters.ts";
import { SessionRunner } from "../../../src/engine/session_runner.ts";
import { DEFAULT_SESSION_SETTINGS, type SessionConfig } from "../../../src/session/types.ts";
import { MemoryMessageStore } from "../../../src/store/memory_store.ts";
import { memoryPair } from "../../../src/transport/memory.ts";
import { frame } from "../helpers.ts";

/** A context of its own: time by hand, what the filter queues and asks for recorded. */
function context(nowMs = 1_000_000) {
  const queued: Array<{ message: FixMessage; priority: Priority }> = [];
  const logouts: string[] = [];
  const ctx: FlowContext & { now: number } = {
    now: nowMs,
    key: "TEST",
    logger: new Logger({ level: "error" }),
    counters: new SessionCounters(),
    nowMs() {
      return this.now;
    },
    readAtPerfMs: 0,
    fix42Plus: true,
    active: true,
    enqueue: (message, priority) => queued.push({ message, priority }),
    logout: (text) => logouts.push(text),
  };
  return { ctx, queued, logouts };
}

const order = (id: string, extra: Array<[number, string | number]> = []): FixMessage => ({
  msgType: "D",
  fields: [[Tag.ClOrdID, id], [Tag.Symbol, "IBM"], [Tag.Side, "1"], [Tag.OrderQty, 100], ...extra],
});

const view = (msgType: string, fields: string) => MessageView.parse(frame("FIX.4.4", msgType, fields));

Deno.test("InboundThrottle alone: over the rate a message is kept from the application and a 35=j is queued", () => {
  const { ctx, queued, logouts } = context();
  const t = new InboundThrottle({ perSecond: 1, burst: 1 }, ctx.now);
  const d = (seq: number) => view("D", `49=A|56=B|34=${seq}|52=<TIME>|11=c${seq}|55=IBM|`);
  assert.equal(t.onMessage(d(2), ctx), true);
  assert.equal(t.onMessage(d(3), ctx), false);
  assert.equal(ctx.counters.throttledIn, 1);
  assert.equal(queued.length, 1);
  assert.equal(queued[0]!.priority, "normal");
  assert.equal(queued[0]!.message.msgType, "j");
  assert.deepEqual(queued[0]!.message.fields, [
    [45, 3],
    [372, "D"],
    [379, "c3"],
    [380, 0],
    [58, "Throttle limit exceeded: more than 1 messages per second"],
  ]);
  ctx.now += 1000;
  assert.equal(t.onMessage(d(4), ctx), true);
  // logout action: no reject, the session logs out.
  const l = new InboundThrottle({ perSecond: 1, burst: 1, action: "logout" }, ctx.now);
  l.onMessage(d(5), ctx);
  assert.equal(l.onMessage(d(6), ctx), false);
  assert.deepEqual(logouts, ["Throttle limit exceeded: more than 1 messages per second"]);
  assert.equal(queued.length, 1);
});

Deno.test("OrderGate alone: kill switch refuses order entry, withdraws queued orders, cancels open ones; risk refusals", () => {
  const { ctx, queued } = context();
  const orders = new OpenOrders();
  const queue = new OutboundQueue();
  const gate = new OrderGate(orders, true, queue);
  const tracking = new OrderTracking(orders, gate);
  assert.equal(gate.check(order("o1"), ctx), undefined);
  tracking.onLeave(order("o1"), () => 0);
  tracking.onMessage(
    view("8", "49=A|56=B|34=2|52=<TIME>|37=X1|11=o1|17=e1|150=0|39=0|55=IBM|54=1|38=100|"),
    ctx,
  );
  assert.equal(orders.open().length, 1);
  queue.push(order("o2"), true, "high", 0);
  queue.push({ msgType: "B", fields: [[58, "news"]] }, true, "normal", 0);
  assert.deepEqual(gate.engage("test", ctx), { cancels: 1, withdrawn: 1 });
  assert.equal(queue.length, 1, "the news stays");
  assert.equal(queued.length, 1);
  assert.equal(queued[0]!.message.msgType, "F");
  assert.equal(queued[0]!.priority, "critical");
  assert.equal(gate.check(order("o3"), ctx), "order entry blocked (test)");
  assert.equal(gate.check({ msgType: "F", fields: [] }, ctx), undefined, "cancels still pass");
  assert.equal(ctx.counters.ordersRefused, 1);
  assert.equal(ctx.counters.killSwitchCancels, 1);
  // An order acknowledged while the switch is engaged is cancelled as its ack arrives.
  tracking.onLeave(order("o4"), () => 0);
  tracking.onMessage(
    view("8", "49=A|56=B|34=3|52=<TIME>|37=X4|11=o4|17=e4|150=0|39=0|55=IBM|54=1|38=100|"),
    ctx,
  );
  assert.equal(queued.length, 2);
  gate.release(ctx);
  assert.equal(gate.ordersBlocked, undefined);
  assert.equal(gate.check(order("o5"), ctx), undefined);
  gate.setRiskLimits({ maxOrderQty: 50 });
  assert.equal(gate.check(order("o6"), ctx), "risk check quantity: OrderQty 100 exceeds the limit 50");
  assert.equal(ctx.counters.riskRefusals, 1);
  assert.equal(ctx.counters.ordersRefused, 2);
});

Deno.test("Faults alone: silent suppresses everything, dropHeartbeats only 35=0", () => {
  const f = new Faults();
  assert.equal(f.suppresses("0"), false);
  f.dropHeartbeats = true;
  assert.deepEqual([f.suppresses("0"), f.suppresses("D")], [true, false]);
  f.silent = true;
  assert.equal(f.suppresses("D"), true);
});

/** A logged-on initiator over the memory transport; the counterparty's frames as readable text. */
async function loggedOn(options: Parameters<typeof SessionRunner.create>[3]) {
  const sched = new ManualScheduler(Date.now());
  const config: SessionConfig = {
    ...DEFAULT_SESSION_SETTINGS,
    id: { beginString: "FIX.4.4", senderCompId: "TW", targetCompId: "ISLD" },
    role: "initiator",
  };
  const [ours, theirs] = memoryPair();
  const store = await new MemoryMessageStore().openSession("k", sched.nowMs());
  const got: string[] = [];
  const runner = SessionRunner.create(config, store, { onMessage: (v) => got.push(v.getString(11) ?? "?") }, {
    logger: new Logger({ level: "error" }),
    scheduler: sched,
    ...options,
  });
  const wire: string[] = [];
  const f = new Framer({ onFrame: (b, s, e) => wire.push(toReadable(b, s, e)), onGarbled: () => {} });
  const reading = (async () => {
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await theirs.read(buf);
      if (n === null) return;
      f.push(buf.subarray(0, n));
    }
  })();
  const attached = runner.attach(ours);
  const settle = async () => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
  };
  await settle();
  await theirs.write(frame("FIX.4.4", "A", "49=ISLD|56=TW|34=1|52=<TIME>|98=0|108=30|"));
  await settle();
  assert.equal(runner.loggedOn, true);
  const done = async () => {
    theirs.close();
    await attached;
    await reading;
    await runner.stop();
  };
  return { runner, theirs, wire, got, settle, done };
}

Deno.test("pipeline: the inbound throttle's BusinessMessageReject on the wire, byte for byte", async () => {
  const { runner, theirs, wire, got, settle, done } = await loggedOn({
    throttle: { inbound: { perSecond: 1, burst: 1 } },
  });
  for (let seq = 2; seq <= 3; seq++) {
    await theirs.write(
      frame("FIX.4.4", "D", `49=ISLD|56=TW|34=${seq}|52=<TIME>|11=n${seq}|55=IBM|54=1|38=1|40=1|`),
    );
  }
  await settle();
  assert.deepEqual(got, ["n2"]);
  assert.equal(wire.length, 2);
  const body = wire[1]!.slice(wire[1]!.indexOf("|45=") + 1).replace(/10=\d{3}\|$/, "");
  assert.equal(body, "45=3|372=D|379=n3|380=0|58=Throttle limit exceeded: more than 1 messages per second|");
  assert.match(wire[1]!, /^8=FIX\.4\.4\|9=\d+\|35=j\|34=2\|49=TW\|/);
  assert.equal(runner.counters.throttledIn, 1);
  await done();
});

Deno.test("pipeline: filters from the options run after the session's own, in and out", async () => {
  const seen: string[] = [];
  const dropOdd: InboundFilter = {
    onMessage(v) {
      seen.push(`in:${v.seqNum}`);
      return v.seqNum % 2 === 0;
    },
  };
  const noBigOrders: OutboundFilter = {
    check: (m) =>
      m.msgType === "D" && m.fields.some(([t, v]) => t === Tag.OrderQty && Number(v) > 1000)
        ? "too big"
        : undefined,
    onLeave: (m) => void seen.push(`leave:${m.msgType}`),
  };
  const { runner, theirs, got, settle, done } = await loggedOn({
    filters: { inbound: [dropOdd], outbound: [noBigOrders] },
  });
  for (let seq = 2; seq <= 4; seq++) {
    await theirs.write(
      frame("FIX.4.4", "D", `49=ISLD|56=TW|34=${seq}|52=<TIME>|11=n${seq}|55=IBM|54=1|38=1|40=1|`),
    );
  }
  await settle();
  assert.deepEqual(got, ["n2", "n4"]);
  assert.deepEqual(runner.send(order("small")), { kind: "sent", seq: 2 });
  assert.deepEqual(runner.send(order("big", [[Tag.OrderQty, 5000]])), {
    kind: "refused",
    reason: "35=D refused on FIX.4.4:TW->ISLD: too big",
    cause: "filter",
  });
  assert.deepEqual(seen, ["in:2", "in:3", "in:4", "leave:D"]);
  assert.equal(runner.status().nextSenderSeq, 3);
  await done();
});

Deno.test("kill switch: a replace rejected after Pending Replace is cancelled by its ClOrdID; a cancel the venue rejects is sent again on the next engage", () => {
  const { ctx, queued } = context();
  const orders = new OpenOrders();
  const gate = new OrderGate(orders, true, new OutboundQueue());
  const tracking = new OrderTracking(orders, gate);
  tracking.onLeave(order("o1"), () => 0);
  tracking.onMessage(
    view("8", "49=A|56=B|34=2|52=<TIME>|37=X1|11=o1|17=e1|150=0|39=0|55=IBM|54=1|38=100|"),
    ctx,
  );
  tracking.onLeave({ msgType: "G", fields: [[41, "o1"], [11, "o1r"], [54, "1"], [38, 50]] }, () => 0);
  tracking.onMessage(
    view(
      "8",
      "49=A|56=B|34=3|52=<TIME>|37=X1|11=o1r|41=o1|17=e2|150=E|39=E|55=IBM|54=1|38=100|151=100|14=0|6=0|",
    ),
    ctx,
  );
  tracking.onMessage(view("9", "49=A|56=B|34=4|52=<TIME>|37=X1|11=o1r|41=o1|39=0|434=2|"), ctx);
  assert.deepEqual(gate.engage("desk halt", ctx), { cancels: 1, withdrawn: 0 });
  const cancel1 = queued[0]!.message;
  assert.equal(cancel1.msgType, "F");
  assert.deepEqual(cancel1.fields.slice(0, 3), [[41, "o1"], [11, cancel1.fields[1]![1]], [37, "X1"]]);
  const ks1 = String(cancel1.fields[1]![1]);
  tracking.onLeave(cancel1, () => 0);
  assert.deepEqual(gate.engage("again", ctx), { cancels: 0, withdrawn: 0 }, "its cancel is in flight");
  tracking.onMessage(
    view(
      "8",
      `49=A|56=B|34=5|52=<TIME>|37=X1|11=${ks1}|41=o1|17=e3|150=6|39=6|55=IBM|54=1|151=100|14=0|6=0|`,
    ),
    ctx,
  );
  tracking.onMessage(view("9", `49=A|56=B|34=6|52=<TIME>|37=X1|11=${ks1}|41=o1|39=0|434=1|102=0|`), ctx);
  assert.equal(orders.open().length, 1, "still open at the venue");
  assert.deepEqual(gate.engage("again", ctx), { cancels: 1, withdrawn: 0 }, "rejected cancel: sent again");
  assert.equal(queued.length, 2);
  assert.deepEqual(queued[1]!.message.fields[0], [41, "o1"]);
  assert.equal(ctx.counters.killSwitchCancels, 2);
});
