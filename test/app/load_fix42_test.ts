/**
 * The load generator on a FIX 4.2 session (`fixg bench --begin-string FIX.4.2`): every message it sends is
 * valid FIX 4.2 (NewOrderSingle and OrderCancelReplaceRequest with HandlInst 21=1, the cancel, the market
 * data request), checked with the project's validator and QuickFIX's FIX42 dictionary (qf_validate, when
 * built); and it reads FIX 4.2's answers: fills are ExecType 1/2 with ExecTransType 0, a status report
 * (20=3, ExecType = OrdStatus) answers nothing, the cancel or correction of an execution (20=1/2) is no
 * fill. A trading session against the simulator's core in FIX 4.2 frames: every order acknowledged, the
 * fills counted exactly as the simulator reports them. A FIX 4.4 session's messages keep their bytes.
 */
import assert from "node:assert/strict";
import { LoadGenerator, type LoadMix } from "../../src/app/load/mod.ts";
import { ORDER_FIELDS } from "../../src/app/load/generator.ts";
import * as fix42 from "../../src/dictionary/generated/fix42.ts";
import { loose, pick } from "../../src/dictionary/typed.ts";
import { estimateBytes } from "../../src/engine/flow/outbound_queue.ts";
import type { FieldSink, FieldValue } from "../../src/codec/encoder.ts";
import { LoadOrder, LoadOrder42 } from "../../src/app/load/order_message.ts";
import { defaultLpConfig, LpSimulator } from "../../src/app/lp/mod.ts";
import { encodeMessage, Encoder, type Field, type FixMessage, MessageView } from "../../src/codec/mod.ts";
import { builtinDictionary } from "../../src/dictionary/loader.ts";
import { validate } from "../../src/dictionary/validate.ts";
import { OpenOrders } from "../../src/engine/flow/open_orders.ts";
import { PEER_PATHS, quickfixNotBuilt } from "../../bench/peers/peer_process.ts";
import { ROOT } from "../_helpers/process.ts";

const QF_VALIDATE = PEER_PATHS.quickfixValidate;
const QF_MISSING = quickfixNotBuilt(QF_VALIDATE);
if (QF_MISSING !== undefined) console.warn(`load_fix42: QuickFIX validation skipped: ${QF_MISSING}`);

const US0 = Date.UTC(2026, 2, 10, 14, 0, 0) * 1000;
const MIX: LoadMix = { newOrder: 0.5, cancel: 0.2, replace: 0.2, marketData: 0.1 };

/** The frame the bench's session writes for `m` (its header, then the body as the session encodes it). */
function frame(
  enc: Encoder,
  beginString: string,
  m: FixMessage,
  seq: number,
  sender = "BENCH",
  target = "LP",
) {
  enc.begin(beginString, m.msgType).str(49, sender).str(56, target).int(34, seq).str(
    52,
    "20260310-14:00:00.000",
  );
  if (m.writeBody === undefined || !m.writeBody(enc)) {
    for (const [t, v] of m.fields) enc.field(t, v);
  }
  return enc.finish().slice();
}

/** A frame of the simulator's answer on a session of `beginString`. */
function answerView(beginString: string, m: FixMessage, seq: number): MessageView {
  const fields: Field[] = [[49, "LP"], [56, "BENCH"], [34, seq], [52, "20260310-14:00:00.000"], ...m.fields];
  return MessageView.parse(encodeMessage(new Encoder(), beginString, { msgType: m.msgType, fields })).copy();
}

async function qfValidate(beginString: string, frames: Uint8Array[]): Promise<string[]> {
  const child = new Deno.Command(QF_VALIDATE, {
    args: ["--begin-string", beginString, "--dict-dir", `${ROOT}fixtures/dictionaries`],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  const text = frames.map((f) =>
    Array.from(f, (b) => b === 1 ? "|" : String.fromCharCode(b)).join("") + "\n"
  );
  await w.write(new TextEncoder().encode(text.join("")));
  await w.close();
  const out = await child.output();
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

/**
 * A trading session of `n` requests of the generator against the simulator's core, both in
 * `beginString`'s frames: each request, then the simulator's answers (timers run every 20 requests, so
 * resting orders fill as the simulated market moves), then 5 s of timers. Returns the generator, the
 * frames it sent, the simulator's counters and the answers it sent by MsgType and by ExecType.
 */
function tradingSession(beginString: string, n: number) {
  const g = new LoadGenerator({ sessions: 1, seed: 42, mix: MIX, beginString, idPrefix: "T." });
  const sim = new LpSimulator(defaultLpConfig(), US0 / 1000);
  sim.onLogon("S", "BENCH", US0 / 1000, beginString);
  const enc = new Encoder();
  const sent: Uint8Array[] = [];
  const answers = new Map<string, number>();
  let seqIn = 1, seqOut = 1;
  let nowMs = US0 / 1000;
  const deliver = (out: ReturnType<LpSimulator["onTimer"]>) => {
    const msgs = out.filter((o) => "message" in o && o.sessionKey === "S")
      .sort((a, b) => a.dueMs - b.dueMs) as { message: FixMessage; dueMs: number }[];
    for (const { message } of msgs) {
      const k = message.msgType === "8"
        ? `8 ${get(message, 20) ?? "-"} ${get(message, 150)}`
        : message.msgType;
      answers.set(k, (answers.get(k) ?? 0) + 1);
      g.onMessage(0, answerView(beginString, message, ++seqIn), nowMs * 1000 + 50);
    }
  };
  for (let i = 0; i < n; i++) {
    nowMs += 2;
    const m = g.next(0, nowMs * 1000)!;
    const bytes = frame(enc, beginString, m, ++seqOut);
    sent.push(bytes);
    deliver(sim.onMessage("S", MessageView.parse(bytes).copy(), nowMs));
    if (i % 20 === 19) deliver(sim.onTimer(nowMs));
  }
  for (let t = 0; t < 5000; t += 100) {
    nowMs += 100;
    deliver(sim.onTimer(nowMs));
  }
  return { g, sent, stats: sim.stats(nowMs), answers };
}

function get(m: FixMessage, tag: number): string | undefined {
  for (const [t, v] of m.fields) if (t === tag) return String(v);
  return undefined;
}

for (const beginString of ["FIX.4.2", "FIX.4.4"]) {
  Deno.test(`${beginString} session: every request the generator sends is valid ${beginString} (HandlInst 21=1 in D and G on FIX 4.2, absent on FIX 4.4)`, async () => {
    const fix42 = beginString === "FIX.4.2";
    const { sent } = tradingSession(beginString, 400);
    const dict = builtinDictionary(beginString);
    const types = new Map<string, number>();
    const problems: string[] = [];
    for (const f of sent) {
      const v = MessageView.parse(f);
      types.set(v.msgType, (types.get(v.msgType) ?? 0) + 1);
      const r = validate(v, dict);
      if (r !== undefined) problems.push(`${JSON.stringify(r)}: ${new TextDecoder().decode(f)}`);
      assert.equal(v.getString(21), fix42 && (v.msgType === "D" || v.msgType === "G") ? "1" : undefined);
    }
    assert.deepEqual(problems, []);
    assert.deepEqual([...types.keys()].sort(), ["D", "F", "G", "V"]);
    if (QF_MISSING === undefined) {
      const answers = await qfValidate(beginString, sent);
      assert.equal(answers.length, sent.length);
      const bad = answers.flatMap((a, i) => a === "ok" ? [] : [`${a}: ${new TextDecoder().decode(sent[i])}`]);
      assert.deepEqual(bad, []);
    }
  });
}

Deno.test("FIX 4.2 session against the simulator: every order acknowledged, fills counted as the simulator sends them", () => {
  const { g, stats, answers } = tradingSession("FIX.4.2", 400);
  const c = g.counters();
  // The simulator's answers are FIX 4.2's: fills 150=1/2 with 20=0, no F.
  const fills42 = (answers.get("8 0 1") ?? 0) + (answers.get("8 0 2") ?? 0);
  assert.ok(fills42 > 20, JSON.stringify([...answers]));
  assert.equal([...answers.keys()].filter((k) => k.endsWith(" F") || k === "3" || k === "j").length, 0);
  assert.equal(c.ordersSent + c.cancelsSent + c.replacesSent + c.mdRequestsSent, 400);
  assert.ok(c.cancelsSent > 30 && c.replacesSent > 30 && c.mdRequestsSent > 10, JSON.stringify(c));
  assert.equal(c.ordersAcked, c.ordersSent);
  assert.equal(c.ordersRejected, 0);
  assert.equal(stats.ordersReceived, c.ordersSent);
  assert.equal(stats.rejects, 0);
  // Every fill report counted once, as the simulator counts them; every order filled in full once.
  assert.equal(c.fills, stats.fills);
  assert.equal(c.fills, fills42);
  assert.equal(c.ordersFilled, answers.get("8 0 2") ?? 0);
  assert.equal(c.cancelsAcked + c.cancelsRejected, c.cancelsSent);
  assert.equal(c.replacesAcked + c.replacesRejected, c.replacesSent);
  assert.equal(c.cancelsAcked, answers.get("8 0 4") ?? 0);
  assert.equal(c.replacesAcked, answers.get("8 0 5") ?? 0);
  assert.equal(c.mdSnapshots, c.mdRequestsSent);
  assert.deepEqual([c.duplicateResponses, c.unmatchedResponses, c.businessRejects], [0, 0, 0]);
  assert.equal(g.outstanding(), 0);
});

Deno.test("FIX 4.2 and FIX 4.4 sessions of the same seed: the same orders, counts and fills", () => {
  const a = tradingSession("FIX.4.2", 400).g.counters();
  const b = tradingSession("FIX.4.4", 400).g.counters();
  assert.deepEqual(a, b);
});

/** An ExecutionReport of FIX 4.2 for `cl` (20, 150, 39, LeavesQty, CumQty). */
function er42(cl: string, tt: string, et: string, os: string, leaves: number, cum: number): MessageView {
  return answerView("FIX.4.2", {
    msgType: "8",
    fields: [
      [37, "O1"],
      [11, cl],
      [17, `E${tt}${et}${cum}`],
      [20, tt],
      [150, et],
      [39, os],
      [55, "AAPL"],
      [54, "1"],
      [151, leaves],
      [14, cum],
      [6, cum > 0 ? 190 : 0],
    ],
  }, 2);
}

Deno.test("FIX 4.2 answers: 20=3 status reports answer nothing, 20=1/2 busts and corrections are no fills", () => {
  const g = new LoadGenerator({
    sessions: 1,
    seed: 1,
    mix: { newOrder: 1, cancel: 0, replace: 0, marketData: 0 },
    beginString: "FIX.4.2",
  });
  const d = g.next(0, US0)!;
  assert.ok(d instanceof LoadOrder42);
  const cl = d.clOrdID;
  const qty = d.orderQty;
  g.onMessage(0, er42(cl, "3", "0", "0", qty, 0), US0 + 10); // a status report: not the ack
  assert.equal(g.counters().ordersAcked, 0);
  g.onMessage(0, er42(cl, "0", "0", "0", qty, 0), US0 + 20); // the ack
  g.onMessage(0, er42(cl, "0", "1", "1", qty - 1, 1), US0 + 30); // a partial fill
  g.onMessage(0, er42(cl, "3", "1", "1", qty - 1, 1), US0 + 35); // status of a partially filled order
  g.onMessage(0, er42(cl, "1", "1", "0", qty, 0), US0 + 40); // the fill busted (Cancel): not a fill
  g.onMessage(0, er42(cl, "2", "1", "1", qty - 1, 1), US0 + 45); // corrected back (Correct): not a fill
  g.onMessage(0, er42(cl, "0", "1", "1", qty - 2, 2), US0 + 50); // the next fill: counted
  g.onMessage(0, er42(cl, "0", "1", "1", qty - 2, 2), US0 + 55); // the same fill again: a duplicate
  let c = g.counters();
  assert.deepEqual([c.ordersAcked, c.fills, c.ordersFilled, c.duplicateResponses, g.openOrders(0)], [
    1,
    2,
    0,
    1,
    1,
  ]);
  g.onMessage(0, er42(cl, "0", "2", "2", 0, qty), US0 + 60); // filled
  g.onMessage(0, er42(cl, "3", "2", "2", 0, qty), US0 + 70); // status of the filled order
  c = g.counters();
  assert.deepEqual([c.fills, c.ordersFilled, c.duplicateResponses, c.unmatchedResponses, g.openOrders(0)], [
    3,
    1,
    1,
    0,
    0,
  ]);
});

Deno.test("open-order tracking reads FIX 4.2 answers: fills 1/2 with 20=0, status 20=3 and busts move nothing", () => {
  const o = new OpenOrders();
  const order = (cl: string): FixMessage => ({
    msgType: "D",
    fields: [[11, cl], [21, "1"], [55, "AAPL"], [54, "1"], [60, "20260310-14:00:00.000"], [38, 10], [
      40,
      "1",
    ]],
  });
  o.onSent(order("a"), 0);
  o.onSent(order("b"), 0);
  assert.equal(o.onReceived(er42("a", "0", "0", "0", 10, 0), 1)?.clOrdId, "a");
  assert.equal(o.onReceived(er42("b", "3", "0", "0", 10, 0), 1), undefined); // a status report: no ack
  assert.equal(o.get("b")?.phase, 0); // PendingNew
  assert.equal(o.onReceived(er42("b", "0", "1", "1", 6, 4), 2)?.clOrdId, "b"); // a partial fill acks it
  assert.equal(o.get("b")?.phase, 2); // PartiallyFilled
  o.onReceived(er42("a", "0", "1", "1", 5, 5), 3);
  assert.equal(o.get("a")?.phase, 2);
  o.onReceived(er42("a", "1", "2", "0", 10, 0), 4); // a bust: the phase stays (FIX 4.4's H likewise)
  o.onReceived(er42("a", "3", "2", "2", 0, 10), 4); // a status saying filled: an Order Status (I) moves nothing
  assert.equal(o.get("a")?.phase, 2);
  o.onReceived(er42("a", "0", "2", "2", 0, 10), 5); // the fill: done
  o.onReceived(er42("b", "0", "2", "2", 0, 10), 5);
  assert.equal(o.get("a"), undefined);
  assert.equal(o.get("b"), undefined);
  assert.equal(o.size, 0);
  assert.equal(o.ackSeconds.D.count, 2);
});

/**
 * The FIX 4.4 session's messages of a seeded generator, as the session encodes them (2,000 requests of
 * every kind): their SHA-256 before this change (the generator without a beginString option).
 */
const FIX44_BYTES_SHA256 = "06a81885a39916fb7cc0a3eca498b0ce6eae185a29fcd781717b844398ddea8f";

Deno.test("FIX 4.4 session: the generator's messages keep their exact bytes", async () => {
  for (const beginString of [undefined, "FIX.4.4"]) {
    const g = new LoadGenerator({ sessions: 1, seed: 9, mix: MIX, ...(beginString ? { beginString } : {}) });
    const enc = new Encoder();
    const all: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const m = g.next(0, US0 + i * 1500)!;
      if (m.msgType === "D") assert.ok(m instanceof LoadOrder && !(m instanceof LoadOrder42));
      all.push(frame(enc, "FIX.4.4", m, i + 2));
    }
    const joined = new Uint8Array(all.reduce((n, f) => n + f.length, 0));
    let p = 0;
    for (const f of all) {
      joined.set(f, p);
      p += f.length;
    }
    const hex = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", joined)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    assert.equal(hex, FIX44_BYTES_SHA256);
  }
});

const NewOrderSingle42 = loose(pick(fix42.NewOrderSingle, [...ORDER_FIELDS, "handlInst"]));

Deno.test("LoadOrder42: the FIX 4.2 typed builder's bytes, fields, sink calls and queue estimate (HandlInst 1 after the ClOrdID)", () => {
  const g = new LoadGenerator({
    sessions: 1,
    mix: { newOrder: 1, cancel: 0, replace: 0, marketData: 0 },
    maxOpenOrdersPerSession: 1e9,
    seed: 5,
    beginString: "FIX.4.2",
  });
  const a = new Encoder(), b = new Encoder();
  const calls = (m: FixMessage) => {
    const out: string[] = [];
    const sink: FieldSink = {
      field: (tag: number, value: FieldValue) => out.push(`field ${tag} ${typeof value} ${String(value)}`),
      timestamp: (tag: number, ms: number) => out.push(`timestamp ${tag} ${ms}`),
    };
    m.writeBody!(sink);
    return out;
  };
  for (let n = 0; n < 2000; n++) {
    const m = g.next(0, US0 + n * 37.5)!;
    assert.ok(m instanceof LoadOrder42);
    const ref = NewOrderSingle42.adopt({
      clOrdID: m.clOrdID,
      handlInst: "1",
      symbol: m.symbol,
      side: m.side,
      transactTime: m.transactTime,
      orderQty: m.orderQty,
      ordType: "2",
      price: m.price,
      timeInForce: m.timeInForce,
    });
    assert.deepEqual(frame(a, "FIX.4.2", m, 7), frame(b, "FIX.4.2", ref, 7));
    assert.deepEqual(calls(m), calls(ref));
    assert.equal(estimateBytes(m), estimateBytes({ msgType: "D", fields: ref.fields }));
    if (n % 500 === 0) {
      assert.deepEqual(m.fields, ref.fields);
      assert.equal(m.writeBody(a), false, "once its list was read, the list is encoded");
    }
  }
});
