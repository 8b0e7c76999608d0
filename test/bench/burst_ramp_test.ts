/**
 * Issue 15, items 2-4 and 9: a burst of N sends N requests with the default mix and times each message; a ramp
 * says why each failed step failed and sustains a step the machine can hold; the headline and the JSON give
 * requests/s and orders/s; the terminal report says what each measure includes. In one process against an
 * in-process simulator; counts and verdicts only (the machine is shared).
 */
import assert from "node:assert/strict";
import { defaultLpConfig } from "../../src/app/lp/mod.ts";
import { LoadGenerator } from "../../src/app/load/mod.ts";
import { renderBenchSummary, resolveBenchOptions, runBench } from "../../src/bench/mod.ts";
import type { BenchFlags } from "../../src/bench/options.ts";
import { startLoopbackSimulator } from "../../src/engine/lp_host.ts";

async function withSimulator(fn: (port: number) => Promise<void>): Promise<void> {
  const sim = await startLoopbackSimulator(defaultLpConfig());
  try {
    await fn(sim.port);
  } finally {
    await sim.stop();
  }
}

const base = (port: number, more: BenchFlags): BenchFlags => ({
  target: `127.0.0.1:${port}`,
  senderCompId: "B15",
  targetCompId: "LP",
  warmup: "0",
  progress: false,
  ...more,
});

Deno.test("generator: never skips a slot; at its open-order cap with every order busy it sends a new order", () => {
  const g = new LoadGenerator({ sessions: 1, seed: 3, maxOpenOrdersPerSession: 5 });
  let t = 1_000_000_000_000;
  for (let i = 0; i < 500; i++) assert.notEqual(g.next(0, t++), undefined, `slot ${i}`);
  const c = g.counters();
  assert.equal(c.throttled, 0);
  assert.equal(c.ordersSent + c.cancelsSent + c.replacesSent + c.mdRequestsSent, 500);
});

Deno.test("burst 2000 with the default mix sends 2000 requests, each timed on its own", async () => {
  await withSimulator(async (port) => {
    const o = await resolveBenchOptions(base(port, { burst: "2000" }));
    const outcome = await runBench(o);
    const { report, exitCode } = outcome;
    assert.equal(exitCode, 0, JSON.stringify(report.notes));
    assert.equal(report.requests!.sent, 2000);
    assert.equal(report.requests!.answered, 2000);
    assert.equal(report.requests!.lost, 0);
    assert.equal(
      report.requests!.newOrders + report.requests!.cancels + report.requests!.replaces +
        report.requests!.marketData,
      2000,
    );
    assert.ok(report.requests!.cancels > 200, `cancels ${report.requests!.cancels}`);
    assert.ok(!report.notes!.some((n) => n.includes("skipped")), JSON.stringify(report.notes));
    assert.ok(report.notes!.includes("burst: asked for 2000 requests (2000 x 1 x 1 session), sent 2000"));
    // One clock read per message: the latencies of a burst spread out.
    assert.ok(report.latency.orderToAck!.stddevUs > 0);
    assert.ok(report.latency.orderToAck!.p99Us > report.latency.orderToAck!.p50Us);
    assert.ok(report.durationSec > 0);
    assert.equal(report.requestsPerSec, Math.round((2000 / report.durationSec) * 10) / 10);
  });
});

Deno.test("ramp: each failed step says why; the report lists every step's verdict", async () => {
  await withSimulator(async (port) => {
    const strict = await runBench(
      await resolveBenchOptions(base(port, { ramp: "100:300:100:0.3", rampP99Us: "1" })),
    );
    const step = strict.report.ramp!.steps[0]!;
    assert.equal(step.sustained, false);
    assert.match(step.reason!, /^order -> ack p99 [\d.]+ µs above the bound 1\.00 µs/);
    const text = renderBenchSummary(strict, []);
    assert.match(text, /^ +100 +\d+ +[\d.]+ +no +order -> ack p99 [\d.]+ µs above the bound/m);
    assert.match(text, /^ramp: no step sustained: the first \(100\/s\) failed: order -> ack p99/m);

    const easy = await runBench(
      await resolveBenchOptions(base(port, { ramp: "100:200:100:0.5", rampP99Us: "10000000" })),
    );
    // Sustained, unless the machine running the test was too busy to hold even these rates for 0.5 s:
    // then the verdict says so and the ramp stops there (a loaded CI run failed "100/s" here with a
    // 23 ms send lag p99).
    const ramp = easy.report.ramp!;
    const failed = ramp.steps.filter((s) => !s.sustained);
    for (const s of failed) {
      // The p99 bound (10 s) cannot trip: only the rate, held too briefly on a starved machine.
      assert.match(s.reason!, /^[\d,]+ answers\/s, below 95% of [12]00\/s(; the generator's send lag .*)?$/);
    }
    if (failed.length === 0) {
      assert.deepEqual(ramp.steps.map((s) => [s.ratePerSec, s.sustained, s.reason]), [
        [100, true, undefined],
        [200, true, undefined],
      ]);
      assert.equal(ramp.maxSustainedRatePerSec, 200);
    } else {
      assert.equal(failed.length, 1);
      assert.equal(ramp.steps.at(-1), failed[0], "the ramp stops at the first failed step");
      assert.equal(ramp.maxSustainedRatePerSec, ramp.steps.length === 1 ? 0 : 100);
    }
  });
});

Deno.test("headline: requests/s and orders/s, labelled; the terminal says what each measure includes", async () => {
  await withSimulator(async (port) => {
    const outcome = await runBench(
      await resolveBenchOptions(base(port, { rate: "400", duration: "0.5", floor: false })),
    );
    const r = outcome.report;
    assert.equal(outcome.exitCode, 0);
    assert.ok(r.requests!.sent > r.sent, "requests of every kind outnumber new orders");
    assert.equal(r.requestsPerSec, Math.round((r.requests!.answered / r.durationSec) * 10) / 10);
    assert.equal(r.ordersPerSec, r.throughputPerSec);
    const text = renderBenchSummary(outcome, []);
    assert.match(
      text,
      /^throughput: [\d.]+ requests\/s answered \(every kind\), [\d.]+ orders\/s acknowledged \(new orders only\)$/m,
    );
    assert.match(
      text,
      /^requests: sent \d+ \(\d+ new, \d+ cancel, \d+ replace, \d+ md\) {2}answered \d+ {2}lost 0$/m,
    );
    assert.match(text, /^ {2}order -> ack: .*send lag.*TCP.*simulator/m);
    assert.match(text, /^ {2}order -> fill: .*simulated market's time to cross a resting order/m);
  });
});
