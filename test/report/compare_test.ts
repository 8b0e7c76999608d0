import assert from "node:assert/strict";
import { compareReports, renderComparison, sampleBenchReport } from "../../src/report/mod.ts";
import { ConfigError } from "../../src/errors.ts";

const baseline = sampleBenchReport();

Deno.test("a slower candidate is a regression on every judged percentile", () => {
  const slower = sampleBenchReport({ latencyScale: 1.3 });
  const result = compareReports(baseline, slower, { thresholdPct: 10 });
  assert.equal(result.regressed, true);
  const p99 = result.rows.find((r) => r.metric === "orderToAck p99")!;
  assert.equal(p99.verdict, "regression");
  assert.ok(p99.changePct! > 25 && p99.changePct! < 35, `p99 change ${p99.changePct}`);
  assert.equal(result.rows.find((r) => r.metric === "orderToAck max")!.verdict, "info");
  assert.equal(result.rows.find((r) => r.metric === "throughput/s")!.verdict, "unchanged");
  const text = renderComparison(result, { baseline: "A.json", candidate: "B.json" });
  assert.match(text, /^metric +A\.json +B\.json +change +verdict$/m);
  assert.match(text, /^orderToAck p99 µs +61\.9 +\d+\.\d +\+\d+\.\d% +REGRESSION$/m);
  assert.match(text, /^verdict: REGRESSION beyond 10%: orderToAck p50 \+/m);
});

Deno.test("a faster candidate is an improvement, never flagged", () => {
  const faster = sampleBenchReport({ latencyScale: 0.7 });
  const result = compareReports(baseline, faster, { thresholdPct: 10 });
  assert.equal(result.regressed, false);
  assert.deepEqual(result.regressions, []);
  assert.equal(result.rows.find((r) => r.metric === "orderToAck p50")!.verdict, "improvement");
  assert.match(
    renderComparison(result, { baseline: "A", candidate: "B" }),
    /^verdict: no regression beyond 10%$/m,
  );
});

Deno.test("the same report compares unchanged; changes within the threshold are unchanged", () => {
  const same = compareReports(baseline, baseline, { thresholdPct: 0 });
  assert.equal(same.regressed, false);
  assert.ok(same.rows.every((r) => r.verdict === "unchanged" || r.verdict === "info"));
  const slightly = sampleBenchReport({ latencyScale: 1.03 });
  const within = compareReports(baseline, slightly, { thresholdPct: 10 });
  assert.equal(within.regressed, false);
  assert.equal(compareReports(baseline, slightly, { thresholdPct: 1 }).regressed, true);
});

Deno.test("a throughput drop and a newly lost order are regressions", () => {
  const slowerRate = { ...baseline, throughputPerSec: baseline.throughputPerSec * 0.8 };
  const r1 = compareReports(baseline, slowerRate, { thresholdPct: 10 });
  assert.deepEqual(r1.regressions.map((r) => r.metric), ["throughput/s"]);
  assert.equal(r1.regressions[0]!.changePct, -20);
  const faster = { ...baseline, throughputPerSec: baseline.throughputPerSec * 1.5 };
  assert.equal(compareReports(baseline, faster, { thresholdPct: 10 }).rows.at(-2)!.verdict, "improvement");
  const lost = { ...baseline, lost: 1 };
  const r2 = compareReports(baseline, lost, { thresholdPct: 10 });
  assert.deepEqual(r2.regressions.map((r) => r.metric), ["lost orders"]);
});

Deno.test("minDeltaUs ignores tiny absolute changes; a measure only one side has is 'missing'", () => {
  const slower = sampleBenchReport({ latencyScale: 1.3 });
  assert.equal(compareReports(baseline, slower, { thresholdPct: 10, minDeltaUs: 10_000 }).regressed, false);
  const noFills = { ...baseline, latency: { orderToAck: baseline.latency.orderToAck! } };
  const result = compareReports(noFills, baseline, { thresholdPct: 10 });
  const fill = result.rows.find((r) => r.metric === "orderToFill p99")!;
  assert.equal(fill.verdict, "missing");
  assert.equal(fill.baseline, null);
  assert.equal(result.regressed, false);
});

Deno.test("a negative threshold is a usage error", () => {
  assert.throws(() => compareReports(baseline, baseline, { thresholdPct: -1 }), ConfigError);
  assert.throws(() => compareReports(baseline, baseline, { thresholdPct: Number.NaN }), ConfigError);
});
