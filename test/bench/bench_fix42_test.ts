/**
 * `fixg bench --begin-string FIX.4.2` against the simulator in FIX 4.2 (`fixg simulate-lp --begin-string
 * FIX.4.2`): a burst of 400 requests of new orders, cancels, replaces and market data requests. Every order
 * is acknowledged, nothing is rejected either way (no 35=3, no 35=j: the simulator's session counters), and
 * the fills the bench counts are the simulator's (a fixed-price market: every fill comes at once, so all
 * are in before the bench stops). In one process (the simulator's counters are read), then through the
 * launcher with its simulate-lp child. The QuickFIX C++ acceptor (bench/peers/quickfix/acceptor.cpp) speaks
 * FIX 4.4 only, so it is not a FIX 4.2 counterparty here.
 */
import assert from "node:assert/strict";
import { defaultLpConfig } from "../../src/app/lp/mod.ts";
import { FIXG_LAUNCHER, resolveBenchOptions, runBench } from "../../src/bench/mod.ts";
import { startLoopbackSimulator } from "../../src/engine/lp_host.ts";
import { EchoTracker } from "../../src/bench/echo_tracker.ts";
import { DEFAULT_LOAD_SYMBOLS } from "../../src/app/load/mod.ts";
import { encodeMessage, Encoder, MessageView } from "../../src/codec/mod.ts";
import { builtinDictionary } from "../../src/dictionary/loader.ts";
import { validate } from "../../src/dictionary/validate.ts";

const MIX = "new=0.5,cancel=0.2,replace=0.2,md=0.1";

function fixedPriceConfig() {
  const c = defaultLpConfig();
  for (const s of c.symbols) {
    s.volatility = 0;
    s.updatesPerSecond = 0;
  }
  return c;
}

Deno.test("fixg bench --begin-string FIX.4.2 against the simulator in FIX 4.2: every order acknowledged, no reject either way, fills as the simulator sends them", async () => {
  const lp = await startLoopbackSimulator(fixedPriceConfig(), { beginString: "FIX.4.2" });
  try {
    const o = await resolveBenchOptions({
      target: `127.0.0.1:${lp.port}`,
      senderCompId: "B42",
      targetCompId: "LP",
      beginString: "FIX.4.2",
      warmup: "0",
      burst: "400",
      mix: MIX,
      progress: false,
    });
    const { report, exitCode } = await runBench(o);
    assert.equal(exitCode, 0, JSON.stringify(report.notes));
    assert.equal(report.perSession[0]!.sessionId, "FIX.4.2:B42->LP");
    assert.equal(report.requests!.sent, 400);
    assert.equal(report.requests!.answered, 400);
    assert.equal(report.requests!.lost, 0);
    assert.ok(
      report.requests!.cancels > 30 && report.requests!.replaces > 10,
      JSON.stringify(report.requests),
    );
    assert.ok(report.requests!.marketData > 5, JSON.stringify(report.requests));
    assert.equal(report.acknowledged, report.sent);
    assert.deepEqual([report.rejected, report.lost], [0, 0]);
    const stats = lp.simulator.stats(Date.now());
    assert.equal(stats.ordersReceived, report.sent);
    assert.deepEqual([stats.rejects, stats.businessRejects], [0, 0]);
    assert.ok(stats.fills > 20, `${stats.fills} fills`);
    // The bench's fill count (its note) is the simulator's.
    const fillsNote = report.notes!.find((n) => n.startsWith("fills: "));
    assert.match(
      fillsNote ?? "",
      new RegExp(`^fills: ${stats.fills} fill reports for \\d+ orders filled in full$`),
    );
    assert.equal(report.latency.orderToAck!.count, report.sent);
    assert.ok(report.latency.orderToFill!.count > 0);
    // No session-level reject, no BusinessMessageReject, either way.
    const [runner] = lp.gateway.runners();
    assert.ok(runner !== undefined);
    const c = runner.counters;
    assert.deepEqual(
      [c.rejectsSent, c.rejectsReceived, c.businessRejectsSent, c.inByType.get("3"), c.outByType.get("3")],
      [0, 0, 0, undefined, undefined],
    );
    assert.deepEqual([c.inByType.get("j"), c.outByType.get("j")], [undefined, undefined]);
    assert.equal(c.inByType.get("D"), report.sent);
  } finally {
    await lp.stop();
  }
});

Deno.test("fixg bench --begin-string FIX.4.2 (its simulate-lp child in FIX 4.2): every order acknowledged, the simulator rejected none", async () => {
  const out = await new Deno.Command(FIXG_LAUNCHER, {
    args: [
      "bench",
      "--begin-string",
      "FIX.4.2",
      "--warmup",
      "0",
      "--burst",
      "300",
      "--mix",
      MIX,
      "--no-floor",
      "--no-progress",
      "--json",
      "-",
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(report.perSession[0].sessionId, "FIX.4.2:BENCH->LP");
  assert.equal(report.requests.sent, 300);
  assert.equal(report.requests.lost, 0);
  assert.equal(report.acknowledged, report.sent);
  assert.deepEqual([report.rejected, report.lost], [0, 0]);
  const sim = (report.notes as string[]).find((n) => n.startsWith("simulator: "));
  assert.match(
    sim ?? "",
    new RegExp(`^simulator: ${report.sent} orders, ${report.sent} acks, \\d+ fills, 0 rejects,`),
  );
});

Deno.test("--echo on FIX 4.2: the echo orders carry HandlInst 21=1 and are valid FIX 4.2; on FIX 4.4 they do not carry it", () => {
  for (const beginString of ["FIX.4.2", "FIX.4.4"]) {
    const t = new EchoTracker({
      symbols: DEFAULT_LOAD_SYMBOLS,
      seed: 1,
      lostAfterMs: 1000,
      idPrefix: "E.",
      beginString,
    });
    const dict = builtinDictionary(beginString);
    for (let i = 0; i < 50; i++) {
      const m = t.next(0, Date.UTC(2026, 11, 8) * 1000 + i);
      const fields = [
        [49, "BENCH"],
        [56, "ECHO"],
        [34, i + 2],
        [52, "20261208-00:00:00.000"],
        ...m.fields,
      ] as const;
      const v = MessageView.parse(
        encodeMessage(new Encoder(), beginString, { msgType: "D", fields: [...fields] }),
      );
      assert.equal(validate(v, dict), undefined, beginString);
      assert.equal(v.getString(21), beginString === "FIX.4.2" ? "1" : undefined);
    }
  }
});
