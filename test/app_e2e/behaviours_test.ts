/**
 * Every simulator behaviour, seen from a client through the real engine over TCP: the simulator runs
 * in-process (startSimulator) with the behaviour in its config, and a fixg initiator (OrderTracker
 * in its Application, a wire tap on its DEBUG log) shows what reaches the client. Seeded and
 * time-bounded: each test takes at most about 2.5 s (the heartbeat ones wait for HeartBtInt 1 s
 * timeouts); nothing sleeps for a fixed time where a condition can be awaited.
 */
import assert from "node:assert/strict";
import type { LpBehaviour } from "../../src/app/lp/mod.ts";
import { ManualScheduler, type Scheduler } from "../../src/clock.ts";
import {
  brief,
  type Client,
  field,
  lpConfig,
  startClient,
  startLp,
  transactMs,
  waitFor,
  type WireMessage,
} from "./harness.ts";

type Lp = Awaited<ReturnType<typeof startLp>>;

/** Runs `body` with the simulator (the given behaviours) and a logged-on fixg initiator, then stops both. */
async function withSession(
  behaviours: LpBehaviour[],
  body: (lp: Lp, c: Client) => Promise<void>,
  opts: { heartbeatIntervalSec?: number; scheduler?: Scheduler } = {},
): Promise<void> {
  const lp = await startLp(lpConfig(behaviours), undefined, opts.scheduler);
  const c = await startClient(lp.port, opts);
  try {
    await c.app.loggedOn();
    await body(lp, c);
  } finally {
    await c.stop();
    await lp.stop();
  }
}

/** A buy of `qty` at `price` through the tracker; returns its ClOrdID. */
function buy(c: Client, qty: number, price: number): string {
  return c.app.send(
    c.app.tracker.newOrder({ symbol: "FIXD", side: "buy", orderQty: qty, price }, Date.now()),
  );
}

/** Inbound messages after the Logon, by type. */
function inbound(c: Client): WireMessage[] {
  return c.wire().filter((w) => w.dir === "in" && w.msgType !== "A");
}

Deno.test("rejectFraction: every order rejected with ExecType 8, OrdRejReason 0 and the configured reason in 58", async () => {
  await withSession([{ rejectFraction: 1, rejectReason: "Credit limit exceeded" }], async (lp, c) => {
    const a = buy(c, 10, 100.01);
    await waitFor(() => c.app.tracker.get(a)?.state === "Rejected", "the reject");
    const r = c.app.execsOf(a)[0]!;
    assert.deepEqual([brief(r), r.ordRejReason, r.text], [
      "8/8 cum=0 leaves=0 avg=0",
      "0",
      "Credit limit exceeded",
    ]);
    assert.equal(c.app.tracker.get(a)!.text, "Credit limit exceeded");
    assert.deepEqual(c.app.anomalies, []);
    assert.equal(lp.simulator.stats(Date.now()).rejects, 1);
  });
});

Deno.test("fillLatencyMs: acked at once, filled exactly the latency after the ack; a cancel meanwhile beats the fill (manual clock)", async () => {
  // One manual clock for the simulator and the client: the fill is due 150 ms after the ack and
  // happens only when the test moves the clock there, however slow the machine.
  const clock = new ManualScheduler(Date.now());
  await withSession([{ fillLatencyMs: 150 }], async (lp, c) => {
    const a = buy(c, 10, 100.01);
    await waitFor(() => c.app.tracker.get(a)?.state === "New", "the ack");
    clock.advance(149);
    assert.equal(c.app.execsOf(a).length, 1, "no fill before the latency");
    clock.advance(1);
    await waitFor(() => c.app.tracker.get(a)?.state === "Filled", "the fill");
    const [ack, fill] = c.app.execsOf(a);
    assert.deepEqual([ack, fill].map((e) => brief(e!)), [
      "0/0 cum=0 leaves=10 avg=0",
      "F/2 cum=10 leaves=0 avg=100.01 last=10@100.01",
    ]);
    // The simulator stamps TransactTime when it acts: the fill 150 ms after the ack.
    assert.equal(
      transactMs(fill!.transactTime) - transactMs(ack!.transactTime),
      150,
      `${ack!.transactTime} -> ${fill!.transactTime}`,
    );

    // A cancel sent inside the latency cancels the order before any fill.
    const b = buy(c, 10, 100.01);
    await waitFor(() => c.app.tracker.get(b)?.state === "New", "the ack of B");
    clock.advance(100);
    const b2 = c.app.send(c.app.tracker.cancel(b, clock.nowMs()));
    await waitFor(() => c.app.tracker.get(b2)?.state === "Canceled", "the cancel of B");
    clock.advance(1000); // past B's fill time: nothing left to fill
    assert.deepEqual(c.app.execsOf(b, b2).map(brief), [
      "0/0 cum=0 leaves=10 avg=0",
      "4/4 cum=0 leaves=0 avg=0",
    ]);
    assert.deepEqual(c.app.anomalies, []);
    assert.equal(lp.simulator.stats(clock.nowMs()).fills, 1);
  }, { scheduler: clock });
});

Deno.test("ackOnly: a marketable order is acknowledged and left working, never filled; a cancel still cancels it", async () => {
  await withSession([{ ackOnly: true }], async (lp, c) => {
    const a = buy(c, 10, 100.01); // would fill at once without ackOnly (see fillLatencyMs above)
    const b = buy(c, 5, 100.01);
    await waitFor(() => c.app.tracker.get(b)?.state === "New", "the ack of B");
    // Answers come in order: A's ack came before B's, and no fill of A came between or before them.
    assert.equal(c.app.tracker.get(a)?.state, "New");
    const a2 = c.app.send(c.app.tracker.cancel(a, Date.now()));
    await waitFor(() => c.app.tracker.get(a2)?.state === "Canceled", "the cancel of A");
    assert.deepEqual(c.app.execsOf(a, a2).map(brief), [
      "0/0 cum=0 leaves=10 avg=0",
      "4/4 cum=0 leaves=0 avg=0",
    ]);
    assert.deepEqual(c.app.execsOf(b).map(brief), ["0/0 cum=0 leaves=5 avg=0"]);
    assert.deepEqual(c.app.anomalies, []);
    const st = lp.simulator.stats(Date.now());
    assert.deepEqual([st.acks, st.fills, st.cancels], [2, 0, 1]);
  });
});

Deno.test("partialFillProbability: the first fill is partial, the rest follows in pieces (seeded: exact sizes), no anomaly", async () => {
  // A fill latency of 20 ms brings each remaining piece quickly (without one it waits for the next
  // liquidity refresh, a second later for a fixed-price symbol).
  await withSession([{ partialFillProbability: 1, fillLatencyMs: 20 }], async (_lp, c) => {
    const a = buy(c, 10, 100.01);
    await waitFor(() => c.app.tracker.get(a)?.state === "Filled", "the last fill");
    // Each piece is 20-80 % of what is left (at least 1, never all while 2 or more are left): 3, 3, 1, 1, 1, 1.
    assert.deepEqual(c.app.execsOf(a).map(brief), [
      "0/0 cum=0 leaves=10 avg=0",
      "F/1 cum=3 leaves=7 avg=100.01 last=3@100.01",
      "F/1 cum=6 leaves=4 avg=100.01 last=3@100.01",
      "F/1 cum=7 leaves=3 avg=100.01 last=1@100.01",
      "F/1 cum=8 leaves=2 avg=100.01 last=1@100.01",
      "F/1 cum=9 leaves=1 avg=100.01 last=1@100.01",
      "F/2 cum=10 leaves=0 avg=100.01 last=1@100.01",
    ]);
    assert.deepEqual(c.app.anomalies, []);
  });
});

Deno.test("dropHeartbeats: no Heartbeat reaches the client, its TestRequest goes unanswered, and it disconnects", async () => {
  await withSession([{ dropHeartbeats: true }], async (lp, c) => {
    const a = buy(c, 10, 99.9); // other messages still flow
    await waitFor(() => c.app.tracker.get(a)?.state === "New", "the ack");
    await waitFor(() => c.app.logouts.length === 1, "the client's disconnect");
    assert.deepEqual(c.app.logouts, ["Heartbeat timeout"]);
    assert.match(c.runner.status().lastError ?? "", /TestRequest TEST unanswered/);
    const out = c.wire().filter((w) => w.dir === "out").map((w) => w.msgType);
    assert.ok(out.includes("1"), `the client sent a TestRequest: ${out.join()}`);
    assert.deepEqual(inbound(c).map((w) => w.msgType), ["8"]); // the ack, and no Heartbeat at all
    // The simulator did answer the TestRequest and send its heartbeats: the engine dropped them.
    const lpRunner = lp.gateway.runners()[0]!;
    assert.ok(
      lpRunner.status().nextSenderSeq >= 4,
      `LP numbered ${lpRunner.status().nextSenderSeq - 1} messages`,
    );
  }, { heartbeatIntervalSec: 1 });
});

Deno.test("skipSeqNums: the client sees a gap, sends a ResendRequest, and the gap is filled by SequenceReset-GapFill", async () => {
  await withSession([{ skipSeqNums: { everyMessages: 2, count: 1 } }], async (_lp, c) => {
    // A fills at once: its ack is application message 1 (MsgSeqNum 2), its fill message 2, so number 3
    // is skipped before the fill, which comes as 4.
    const a = buy(c, 10, 100.01);
    await waitFor(
      () => c.app.tracker.get(a)?.state === "Filled" && c.runner.status().inSync,
      "A filled, in sync",
    );
    const b = buy(c, 10, 99.9);
    await waitFor(() => c.app.tracker.get(b)?.state === "New", "ack of B");
    const w = c.wire().filter((m) => m.msgType !== "A");
    const rr = w.find((m) => m.dir === "out" && m.msgType === "2")!;
    assert.deepEqual([field(rr, 7), field(rr, 16)], ["3", "0"]);
    const gf = w.find((m) => m.dir === "in" && m.msgType === "4")!;
    assert.deepEqual([field(gf, 34), field(gf, 123), field(gf, 36), field(gf, 43)], ["3", "Y", "4", "Y"]);
    // In: ack A (2), fill A (4, too high: held), the gap fill (3), fill A resent (4, PossDup), ack B (5).
    const ex = (m: WireMessage) => field(m, 150) === undefined ? "" : `:150=${field(m, 150)}`;
    assert.deepEqual(
      w.filter((m) => m.dir === "in").map((m) =>
        `${m.msgType}:${m.seq}${ex(m)}${field(m, 43) === "Y" ? ":dup" : ""}`
      ),
      ["8:2:150=0", "8:4:150=F", "4:3:dup", "8:4:150=F:dup", "8:5:150=0"],
    );
    // Each report applied once, nothing contradicted.
    assert.deepEqual(c.app.execsOf(a, b).map(brief), [
      "0/0 cum=0 leaves=10 avg=0",
      "F/2 cum=10 leaves=0 avg=100.01 last=10@100.01",
      "0/0 cum=0 leaves=10 avg=0",
    ]);
    assert.deepEqual(c.app.results.map((r) => r.kind), ["applied", "applied", "applied"]);
    assert.deepEqual(c.app.anomalies, []);
    assert.equal(c.runner.counters.gapsDetected, 1);
  });
});

Deno.test("disconnectAfterMessages: the Nth application message is answered, then the connection is closed (no Logout)", async () => {
  await withSession([{ disconnectAfterMessages: 2 }], async (lp, c) => {
    const a = buy(c, 10, 99.9);
    await waitFor(() => c.app.tracker.get(a)?.state === "New", "ack of A");
    const b = buy(c, 10, 99.9);
    await waitFor(() => c.app.logouts.length === 1, "the disconnect");
    assert.deepEqual(c.app.logouts, ["Transport closed: connection closed by peer"]);
    assert.equal(c.app.tracker.get(b)?.state, "New", "the 2nd order was still answered");
    assert.deepEqual(inbound(c).map((w) => w.msgType), ["8", "8"]); // no Logout (5)
    assert.equal(lp.simulator.stats(Date.now()).ordersReceived, 2);
  });
});

Deno.test("disconnectProbability 1: the connection is closed after the first application message, which is answered", async () => {
  await withSession([{ disconnectProbability: 1 }], async (_lp, c) => {
    const a = buy(c, 10, 99.9);
    await waitFor(() => c.app.logouts.length === 1, "the disconnect");
    assert.equal(c.app.tracker.get(a)?.state, "New");
    assert.deepEqual(inbound(c).map((w) => w.msgType), ["8"]);
  });
});

Deno.test("sendSequenceReset: a SequenceReset-Reset (36 = next + jump) after logon, and the client's expected number jumps", async () => {
  await withSession([{ sendSequenceReset: { jump: 5 } }], async (_lp, c) => {
    await waitFor(() => c.runner.status().nextTargetSeq === 7, "the jump");
    const sr = inbound(c)[0]!;
    assert.equal(sr.msgType, "4");
    assert.deepEqual([field(sr, 34), field(sr, 36), field(sr, 123)], ["2", "7", undefined]); // Reset mode: no GapFillFlag
    const a = buy(c, 10, 99.9);
    await waitFor(() => c.app.tracker.get(a)?.state === "New", "the ack");
    assert.equal(inbound(c)[1]!.seq, 7);
    // Accepted without a ResendRequest or a reject.
    assert.ok(!c.wire().some((w) => w.dir === "out" && (w.msgType === "2" || w.msgType === "3")));
    assert.deepEqual(c.app.anomalies, []);
  });
});

Deno.test("goSilent: nothing arrives after the Logon (no ack, no Heartbeat), the TestRequest goes unanswered, heartbeat timeout", async () => {
  await withSession([{ goSilent: true }], async (lp, c) => {
    const a = buy(c, 10, 99.9);
    await waitFor(() => c.app.logouts.length === 1, "the client's disconnect");
    assert.deepEqual(c.app.logouts, ["Heartbeat timeout"]);
    assert.match(c.runner.status().lastError ?? "", /TestRequest TEST unanswered/);
    assert.deepEqual(inbound(c), []);
    assert.equal(c.app.tracker.get(a)?.state, "PendingNew");
    // The simulator took the order and numbered its answers: the client would see a gap later.
    assert.equal(lp.simulator.stats(Date.now()).acks, 1);
    assert.ok(lp.gateway.runners()[0]!.status().nextSenderSeq >= 4);
  }, { heartbeatIntervalSec: 1 });
});

Deno.test("slowReaderMs: every read waits the delay, so each ack comes at least that long after the previous read", async () => {
  await withSession([{ slowReaderMs: 300 }], async (_lp, c) => {
    const a = buy(c, 10, 99.9);
    await waitFor(() => c.app.tracker.get(a)?.state === "New", "ack of A");
    const b = buy(c, 10, 99.9);
    await waitFor(() => c.app.tracker.get(b)?.state === "New", "ack of B");
    // The simulator stamps its Logon and its acks when it handles them; a read comes 300 ms after the
    // previous one was handled, so each stamp is about 300 ms after the one before (5 ms allowed for
    // a timer firing a little early; without the behaviour these gaps are a few ms).
    const logon = c.wire().find((w) => w.dir === "in" && w.msgType === "A")!;
    const [ackA, ackB] = [c.app.execsOf(a)[0]!, c.app.execsOf(b)[0]!];
    const t0 = transactMs(field(logon, 52));
    assert.ok(
      transactMs(ackA.transactTime) - t0 >= 295,
      `ack A ${transactMs(ackA.transactTime) - t0} ms after logon`,
    );
    assert.ok(
      transactMs(ackB.transactTime) - transactMs(ackA.transactTime) >= 295,
      `ack B ${transactMs(ackB.transactTime) - transactMs(ackA.transactTime)} ms after ack A`,
    );
    assert.deepEqual(c.app.anomalies, []);
  });
});

Deno.test("a time window: rejectFraction 1 only in [400 ms, 900 ms) after start: acked before, rejected inside, acked after (manual clock)", async () => {
  // The simulator and the client run on one manual clock: the window opens and closes when the test
  // moves it, however long anything takes in real time (a fixed real-time window failed when logon and
  // the first ack took longer than 400 ms on a loaded machine).
  const clock = new ManualScheduler(Date.now());
  await withSession(
    [{ fromMs: 400, toMs: 900, rejectFraction: 1, rejectReason: "Window closed" }],
    async (lp, c) => {
      const elapsed = () => clock.nowMs() - lp.simulator.startMs;
      const before = buy(c, 10, 99.9);
      await waitFor(() => c.app.tracker.get(before)?.state === "New", "ack before the window");
      assert.equal(elapsed(), 0);
      clock.advance(450); // inside the window
      const inside = buy(c, 10, 99.9);
      await waitFor(() => c.app.tracker.get(inside)?.state === "Rejected", "reject inside the window");
      assert.equal(c.app.tracker.get(inside)!.text, "Window closed");
      clock.advance(450); // 900 ms: the window has closed
      assert.equal(elapsed(), 900);
      const after = buy(c, 10, 99.9);
      await waitFor(() => c.app.tracker.get(after)?.state === "New", "ack after the window");
      assert.deepEqual([before, inside, after].map((id) => c.app.execsOf(id).map(brief).join()), [
        "0/0 cum=0 leaves=10 avg=0",
        "8/8 cum=0 leaves=0 avg=0",
        "0/0 cum=0 leaves=10 avg=0",
      ]);
      assert.deepEqual(c.app.anomalies, []);
    },
    { scheduler: clock },
  );
});
