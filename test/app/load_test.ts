import assert from "node:assert/strict";
import { type LatencyMeasure, LoadGenerator } from "../../src/app/load/mod.ts";
import { defaultLpConfig, LpSimulator } from "../../src/app/lp/mod.ts";
import { ExecutionReport } from "../../src/dictionary/generated/fix44.ts";
import { loose } from "../../src/dictionary/typed.ts";
import { get, msg, toView } from "./helpers.ts";

const US0 = Date.UTC(2026, 2, 10, 14, 0, 0) * 1000;

function recorder() {
  const samples: [LatencyMeasure, number, number][] = [];
  return { samples, onLatency: (m: LatencyMeasure, us: number, s: number) => void samples.push([m, us, s]) };
}

/** An ExecutionReport for request `cl` as the counterparty would send it. */
function er(cl: string, et: string, os: string, cum: number, leaves: number, possDup = false) {
  const m = loose(ExecutionReport).build({
    orderID: "O",
    clOrdID: cl,
    execID: `E-${cl}-${et}-${cum}`,
    execType: et,
    ordStatus: os,
    symbol: "AAPL",
    side: "1",
    leavesQty: leaves,
    cumQty: cum,
    avgPx: cum > 0 ? 190 : 0,
    lastQty: et === "F" ? 1 : undefined,
    lastPx: et === "F" ? 190 : undefined,
    transactTime: 0,
  });
  return toView(m, possDup ? [[49, "LP"], [56, "C"], [34, 7], [43, true]] : [[49, "LP"], [56, "C"], [34, 7]]);
}

Deno.test("the mix sets the share of each request; IDs are unique; prices sit on the tick", () => {
  const g = new LoadGenerator({
    sessions: 2,
    seed: 3,
    mix: { newOrder: 5, cancel: 2, replace: 2, marketData: 1 },
    maxOpenOrdersPerSession: 100_000,
  });
  const types = new Map<string, number>();
  const ids = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const m = g.next(i % 2, US0 + i * 1000)!;
    types.set(m.msgType, (types.get(m.msgType) ?? 0) + 1);
    const id = get(m, 11) ?? get(m, 262)!;
    assert.ok(!ids.has(id));
    ids.add(id);
    if (m.msgType === "D") {
      const px = get(m, 44)!;
      assert.match(px, get(m, 55)!.includes("/") ? /^\d+\.\d{5}$|^\d+\.\d{3}$/ : /^\d+\.\d{2}$/);
      assert.equal(
        get(m, 60),
        `20260310-14:00:${String(Math.floor(i / 1000)).padStart(2, "0")}.${
          String(i % 1000).padStart(3, "0")
        }`,
      );
    }
  }
  const c = g.counters();
  assert.equal(c.ordersSent + c.cancelsSent + c.replacesSent + c.mdRequestsSent, 2000);
  assert.deepEqual([types.get("D"), types.get("F"), types.get("G"), types.get("V")], [
    c.ordersSent,
    c.cancelsSent,
    c.replacesSent,
    c.mdRequestsSent,
  ]);
  assert.ok(c.mdRequestsSent > 140 && c.mdRequestsSent < 260, `${c.mdRequestsSent} md requests`);
  assert.ok(c.cancelsSent > 250 && c.replacesSent > 250, JSON.stringify(c));
  assert.equal(g.outstanding(), 2000);
});

Deno.test("at the open-order maximum a session cancels, and sends a new order when every order is busy (no slot skipped)", () => {
  const g = new LoadGenerator({
    sessions: 1,
    mix: { newOrder: 1, cancel: 0, replace: 0, marketData: 0 },
    maxOpenOrdersPerSession: 3,
  });
  const kinds: string[] = [];
  for (let i = 0; i < 8; i++) kinds.push(g.next(0, US0 + i)?.msgType ?? "-");
  assert.deepEqual(kinds, ["D", "D", "D", "F", "F", "F", "D", "F"]);
  assert.equal(g.counters().throttled, 0);
});

Deno.test("latencies are measured from the intended send time; a repeated answer counts once", () => {
  const r = recorder();
  const g = new LoadGenerator({
    sessions: 1,
    seed: 1,
    mix: { newOrder: 1, cancel: 0, replace: 0, marketData: 0 },
    onLatency: r.onLatency,
  });
  const d = g.next(0, US0)!;
  const cl = get(d, 11)!;
  g.onMessage(0, er(cl, "0", "0", 0, 10), US0 + 150);
  g.onMessage(0, er(cl, "0", "0", 0, 10, true), US0 + 900); // PossDup resend after a reconnect
  g.onMessage(0, er(cl, "F", "1", 4, 6), US0 + 300);
  g.onMessage(0, er(cl, "F", "1", 4, 6, true), US0 + 950);
  g.onMessage(0, er(cl, "F", "2", 10, 0), US0 + 400);
  g.onMessage(0, er(cl, "F", "2", 10, 0, true), US0 + 990);
  assert.deepEqual(r.samples, [["order-to-ack", 150, 0], ["order-to-fill", 300, 0]]);
  const c = g.counters();
  assert.deepEqual([c.ordersAcked, c.fills, c.ordersFilled, c.duplicateResponses, c.unmatchedResponses], [
    1,
    2,
    1,
    3,
    0,
  ]);
  assert.equal(g.openOrders(0), 0);
  g.onMessage(0, er("nobody", "0", "0", 0, 1), US0);
  assert.equal(g.counters().unmatchedResponses, 1);
  // Our prefix with anything but the exact base-36 number we wrote is not ours: a leading zero, upper
  // case, a sign, nothing after the prefix, or a number we never sent.
  assert.equal(cl.slice(-1), "0", "the first request is number 0");
  const prefix = cl.slice(0, -1);
  for (const bad of [`${prefix}00`, `${prefix}A`, `${prefix}-1`, prefix, `${prefix}zzzz`]) {
    g.onMessage(0, er(bad, "0", "0", 0, 1), US0);
  }
  assert.equal(g.counters().unmatchedResponses, 6);
  // The same ID on another session is not this session's request.
  g.onMessage(1, er(cl, "0", "0", 0, 10), US0 + 150);
  assert.equal(g.counters().unmatchedResponses, 7);
});

Deno.test("an unanswered request is lost after the grace period; a late answer is counted, not measured", () => {
  const r = recorder();
  const g = new LoadGenerator({
    sessions: 1,
    mix: { newOrder: 1, cancel: 0, replace: 0, marketData: 0 },
    lostAfterMs: 5000,
    onLatency: r.onLatency,
  });
  const a = get(g.next(0, US0)!, 11)!;
  const b = get(g.next(0, US0 + 1000)!, 11)!;
  g.onMessage(0, er(b, "0", "0", 0, 1), US0 + 2000);
  assert.equal(g.sweep(US0 + 4_999_000), 0);
  assert.equal(g.sweep(US0 + 5_000_000), 1);
  assert.equal(g.sweep(US0 + 9_000_000), 0, "counted once");
  g.onMessage(0, er(a, "0", "0", 0, 1), US0 + 9_500_000);
  const c = g.counters();
  assert.deepEqual([c.ordersSent, c.ordersAcked, c.ordersLost, c.lateResponses], [2, 1, 1, 1]);
  assert.deepEqual(r.samples.map((s) => s[0]), ["order-to-ack"]);
  assert.equal(g.outstanding(), 0);
  assert.equal(g.openOrders(0), 1, "b is still open; a left the open list");
});

Deno.test("cancel-to-ack, replace-to-ack and md-request-to-snapshot; rejects of each", () => {
  const r = recorder();
  const g = new LoadGenerator({
    sessions: 1,
    seed: 2,
    mix: { newOrder: 1, cancel: 0, replace: 0, marketData: 0 },
    onLatency: r.onLatency,
  });
  const o1 = get(g.next(0, US0)!, 11)!;
  g.onMessage(0, er(o1, "0", "0", 0, 10), US0 + 10);
  const cancelOnly = new LoadGenerator({
    sessions: 1,
    seed: 2,
    mix: { newOrder: 1e-9, cancel: 1, replace: 0, marketData: 0 },
    onLatency: r.onLatency,
  });
  const n1 = get(cancelOnly.next(0, US0)!, 11)!; // no open order yet: a new order
  cancelOnly.onMessage(0, er(n1, "0", "0", 0, 10), US0 + 20);
  const f = cancelOnly.next(0, US0 + 100)!;
  assert.equal(f.msgType, "F");
  assert.equal(get(f, 41), n1);
  cancelOnly.onMessage(0, er(get(f, 11)!, "4", "4", 0, 0), US0 + 130);
  const replaceOnly = new LoadGenerator({
    sessions: 1,
    seed: 2,
    mix: { newOrder: 1e-9, cancel: 0, replace: 1, marketData: 0 },
    onLatency: r.onLatency,
  });
  const n2 = get(replaceOnly.next(0, US0)!, 11)!;
  replaceOnly.onMessage(0, er(n2, "0", "0", 0, 10), US0 + 20);
  const gmsg = replaceOnly.next(0, US0 + 200)!;
  assert.equal(gmsg.msgType, "G");
  replaceOnly.onMessage(0, er(get(gmsg, 11)!, "5", "0", 0, 10), US0 + 260);
  const g3 = replaceOnly.next(0, US0 + 300)!;
  assert.equal(get(g3, 41), get(gmsg, 11), "the next request names the replaced ClOrdID");
  replaceOnly.onMessage(
    0,
    msg("9", [[37, "O"], [11, get(g3, 11)!], [41, get(gmsg, 11)!], [39, "0"], [434, "2"]]),
    US0 + 390,
  );
  const mdOnly = new LoadGenerator({
    sessions: 1,
    seed: 2,
    mix: { newOrder: 1e-9, cancel: 0, replace: 0, marketData: 1 },
    onLatency: r.onLatency,
  });
  const v = mdOnly.next(0, US0)!;
  assert.equal(v.msgType, "V");
  mdOnly.onMessage(
    0,
    msg("W", [[262, get(v, 262)!], [55, get(v, 55)!], [268, 2], [269, "0"], [270, 1.2], [269, "1"], [
      270,
      1.3,
    ]]),
    US0 + 77,
  );
  const v2 = mdOnly.next(0, US0 + 100)!;
  mdOnly.onMessage(0, msg("Y", [[262, get(v2, 262)!], [281, "0"]]), US0 + 150);
  assert.deepEqual(r.samples.map(([m, us]) => `${m} ${us}`), [
    "order-to-ack 10",
    "order-to-ack 20",
    "cancel-to-ack 30",
    "order-to-ack 20",
    "replace-to-ack 60",
    "replace-to-ack 90",
    "md-request-to-snapshot 77",
  ]);
  assert.deepEqual([cancelOnly.counters().cancelsAcked, cancelOnly.openOrders(0)], [1, 0]);
  assert.deepEqual([replaceOnly.counters().replacesAcked, replaceOnly.counters().replacesRejected], [1, 1]);
  assert.deepEqual([mdOnly.counters().mdSnapshots, mdOnly.counters().mdRejected], [1, 1]);
});

Deno.test("against the simulator every request is answered exactly once and the totals add up", () => {
  const cfg = defaultLpConfig();
  cfg.behaviours = [{ rejectFraction: 0.1 }];
  const sim = new LpSimulator(cfg, US0 / 1000);
  const r = recorder();
  const g = new LoadGenerator({ sessions: 3, seed: 9, idPrefix: "B", onLatency: r.onLatency });
  for (let s = 0; s < 3; s++) sim.onLogon(`S${s}`, `C${s}`, US0 / 1000);
  let us = US0;
  for (let i = 0; i < 3000; i++) {
    us += 1000;
    const s = i % 3;
    const m = g.next(s, us);
    if (m === undefined) continue;
    const view = toView(m);
    for (const o of sim.onMessage(`S${s}`, view, us / 1000)) {
      if ("message" in o) g.onMessage(Number(o.sessionKey.slice(1)), toView(o.message), us + 50);
    }
    if (i % 50 === 0) {
      for (const o of sim.onTimer(us / 1000)) {
        if ("message" in o) g.onMessage(Number(o.sessionKey.slice(1)), toView(o.message), us + 60);
      }
    }
  }
  const c = g.counters();
  assert.equal(g.sweep(us + 20_000_000), 0, "nothing lost");
  assert.equal(g.outstanding(), 0);
  assert.equal(c.ordersAcked + c.ordersRejected, c.ordersSent);
  assert.equal(c.cancelsAcked + c.cancelsRejected, c.cancelsSent);
  assert.equal(c.replacesAcked + c.replacesRejected, c.replacesSent);
  assert.equal(c.mdSnapshots, c.mdRequestsSent);
  assert.equal(c.unmatchedResponses, 0);
  assert.equal(c.duplicateResponses, 0);
  assert.ok(
    c.ordersRejected > 0 && c.fills > 0 && c.cancelsAcked > 0 && c.replacesAcked > 0,
    JSON.stringify(c),
  );
  const acks = r.samples.filter((s) => s[0] === "order-to-ack");
  assert.equal(acks.length, c.ordersSent);
  assert.ok(acks.every((s) => s[1] === 50));
  const st = sim.stats(us / 1000);
  assert.equal(st.ordersReceived, c.ordersSent);
  assert.equal(st.rejects, c.ordersRejected);
});
