import assert from "node:assert/strict";
import * as hdr from "hdr-histogram-js";
import { initHdrWasm, LatencyHistogram } from "../../src/metrics/mod.ts";
import { createPrng, normalSample } from "../../src/app/prng.ts";

/** Latency-like values in ns: a log-normal body around 30 µs with a long tail up to seconds. */
function latencies(n: number, seed: number): number[] {
  const rnd = createPrng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let ns = Math.exp(Math.log(30_000) + 0.6 * normalSample(rnd));
    if (rnd.next() < 0.001) ns *= 1000; // rare stalls: tens of milliseconds to seconds
    out.push(Math.round(ns));
  }
  return out;
}

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 99.999, 100];

/** Relative difference. */
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

Deno.test("percentiles, mean and stddev agree with hdr-histogram-js within 0.1% on random data", async () => {
  await initHdrWasm();
  for (const seed of [1, 2, 3]) {
    const values = latencies(200_000, seed);
    const mine = new LatencyHistogram({ unit: "ns" });
    const ref = hdr.build({ numberOfSignificantValueDigits: 3, bitBucketSize: 64 });
    for (const v of values) {
      mine.record(v);
      ref.recordValue(v);
    }
    assert.equal(mine.count, ref.totalCount);
    for (const p of PERCENTILES) {
      const a = mine.percentile(p);
      const b = ref.getValueAtPercentile(p);
      assert.ok(rel(a, b) <= 0.001, `seed ${seed} p${p}: ${a} vs hdr ${b}`);
    }
    assert.equal(mine.max, values.reduce((m, v) => Math.max(m, v), 0));
    assert.ok(rel(mine.mean, ref.mean) <= 0.001, `mean ${mine.mean} vs ${ref.mean}`);
    assert.ok(rel(mine.stddev, ref.stdDeviation) <= 0.001, `stddev ${mine.stddev} vs ${ref.stdDeviation}`);
    const exactMean = values.reduce((s, v) => s + v, 0) / values.length;
    assert.ok(rel(mine.mean, exactMean) < 1e-12);
  }
});

Deno.test("values are kept to 3 significant digits across the whole range, including above 2^32", () => {
  const h = new LatencyHistogram();
  for (
    const v of [1, 7, 2047, 2048, 123_456, 4_294_967_295, 4_294_967_296, 5_000_000_000, 1_000_000_000_000]
  ) {
    h.reset();
    h.record(v);
    const lo = h.valueFromIndex(h.indexOf(v));
    const hi = h.highestValueOfIndex(h.indexOf(v));
    assert.ok(lo <= v && v <= hi, `${v} in [${lo}, ${hi}]`);
    assert.ok((hi - lo) / v < 0.001, `${v}: bucket width ${hi - lo}`);
    assert.equal(h.percentile(50), v, "a single value is its own median (capped at the exact max)");
  }
});

Deno.test("out-of-range values are clamped and counted; negative and NaN count as 0", () => {
  const h = new LatencyHistogram({ unit: "us", highestTrackableValue: 10_000 });
  h.record(50_000);
  h.record(-5);
  h.record(Number.NaN);
  assert.equal(h.count, 3);
  assert.equal(h.saturated, 1);
  assert.equal(h.max, 10_000);
  assert.equal(h.min, 0);
  assert.equal(h.percentile(50), 0);
});

Deno.test("merge equals recording everything into one histogram", () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  const all = new LatencyHistogram();
  latencies(50_000, 7).forEach((v, i) => {
    (i % 3 === 0 ? a : b).record(v);
    all.record(v);
  });
  a.merge(b);
  assert.deepEqual(a.counts, all.counts);
  assert.deepEqual(a.summary(), all.summary());
  assert.equal(a.count, 50_000);
  assert.throws(() => a.merge(new LatencyHistogram({ unit: "us" })), /Cannot merge/);
});

Deno.test("summary reports microseconds with HdrHistogram's percentile rule", () => {
  const h = new LatencyHistogram({ unit: "ns" });
  for (let i = 1; i <= 1000; i++) h.record(i * 1000); // 1 µs .. 1000 µs
  const s = h.summary();
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.p50Us - 500) <= 0.5, `p50 ${s.p50Us}`);
  assert.ok(Math.abs(s.p90Us - 900) <= 0.9, `p90 ${s.p90Us}`);
  assert.ok(Math.abs(s.p99Us - 990) <= 1, `p99 ${s.p99Us}`);
  assert.equal(s.maxUs, 1000);
  assert.equal(s.meanUs, 500.5);
  assert.equal(s.stddevUs, 288.675);
  assert.deepEqual(new LatencyHistogram().summary(), {
    count: 0,
    p50Us: 0,
    p90Us: 0,
    p99Us: 0,
    p999Us: 0,
    p9999Us: 0,
    maxUs: 0,
    meanUs: 0,
    stddevUs: 0,
  });
});

Deno.test("toHdr copies the counts losslessly (JS and WebAssembly builds)", async () => {
  assert.equal(await initHdrWasm(), true, "hdr-histogram-js WebAssembly loads under Deno");
  const h = new LatencyHistogram();
  for (const v of latencies(20_000, 11)) h.record(v);
  for (const useWebAssembly of [false, true]) {
    const copy = h.toHdr({ useWebAssembly });
    try {
      assert.equal(copy.totalCount, h.count);
      for (const p of PERCENTILES.filter((p) => p > 0 && p < 100)) {
        // Uncapped, both follow the same rule over the same counts: identical up to the cap at the exact max.
        assert.equal(Math.min(copy.getValueAtPercentile(p), h.max), h.percentile(p), `p${p}`);
      }
    } finally {
      copy.destroy();
    }
  }
});

Deno.test("percentileDistribution walks to 100% with HdrHistogram's tick spacing", () => {
  const h = new LatencyHistogram({ unit: "us" });
  for (let i = 1; i <= 10_000; i++) h.record(i);
  const d = h.percentileDistribution(5);
  assert.deepEqual(d.slice(0, 3).map((p) => p.percentile), [0, 10, 20]);
  assert.equal(d.at(-1)!.percentile, 100);
  assert.equal(d.at(-1)!.valueUs, 10_000);
  for (let i = 1; i < d.length; i++) {
    assert.ok(d[i]!.percentile > d[i - 1]!.percentile);
    assert.ok(d[i]!.valueUs >= d[i - 1]!.valueUs);
  }
  assert.ok(d.some((p) => p.percentile > 99.99), "reaches past 99.99% with 10k values");
});

Deno.test("countAtOrBelow counts whole buckets only", () => {
  const h = new LatencyHistogram({ unit: "us" });
  for (const v of [5, 10, 10, 3000, 3001]) h.record(v);
  assert.equal(h.countAtOrBelow(4), 0);
  assert.equal(h.countAtOrBelow(10), 3);
  assert.equal(h.countAtOrBelow(2999), 3);
  assert.equal(h.countAtOrBelow(3001), 5);
  assert.equal(h.countAtOrBelow(1e12), 5);
});

Deno.test("other digit counts use the general layout and still match hdr-histogram-js", () => {
  for (const digits of [2, 4] as const) {
    const mine = new LatencyHistogram({ significantDigits: digits });
    const ref = hdr.build({ numberOfSignificantValueDigits: digits, bitBucketSize: 64 });
    for (const v of latencies(20_000, digits)) {
      mine.record(v);
      ref.recordValue(v);
    }
    for (const p of PERCENTILES.filter((p) => p > 0 && p < 100)) {
      assert.equal(
        mine.percentile(p),
        Math.min(ref.getValueAtPercentile(p), mine.max),
        `${digits} digits p${p}`,
      );
    }
  }
});
