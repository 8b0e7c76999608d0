/**
 * A deterministic, realistic-looking BenchReport made from synthetic latencies. Used by the report tests and by
 * scripts/render_html_check.sh to render a page without running a benchmark; never used for real figures.
 */
import { LatencyHistogram } from "../metrics/histogram.ts";
import { VERSION } from "../version.ts";
import { createPrng, normalSample, type Prng } from "../app/prng.ts";
import { latencyParts } from "./build.ts";
import { BENCH_SCHEMA_VERSION, type BenchReport, type TimelinePoint } from "./types.ts";

/** Log-normal latencies around `medianNs` with rare stalls, recorded into a new histogram. */
function syntheticHistogram(rnd: Prng, n: number, medianNs: number): LatencyHistogram {
  const h = new LatencyHistogram({ unit: "ns" });
  for (let i = 0; i < n; i++) {
    let ns = medianNs * Math.exp(0.35 * normalSample(rnd));
    if (rnd.next() < 0.002) ns *= 5 + 20 * rnd.next();
    h.record(ns);
  }
  return h;
}

/** The sample report; `seed` varies the figures, `scale` multiplies every latency (to fake a regression). */
export function sampleBenchReport(options: { seed?: number; latencyScale?: number } = {}): BenchReport {
  const rnd = createPrng(options.seed ?? 42);
  const scale = options.latencyScale ?? 1;
  const acks = syntheticHistogram(rnd, 50_000, 27_000 * scale);
  const fills = syntheticHistogram(rnd, 20_000, 41_000 * scale);
  const cancels = syntheticHistogram(rnd, 10_000, 29_000 * scale);
  const { latency, latencyDistribution } = latencyParts({
    orderToAck: acks,
    orderToFill: fills,
    cancelToAck: cancels,
  });
  const timeline: TimelinePoint[] = [];
  let sent = 0;
  let acked = 0;
  for (let t = 1; t <= 10; t++) {
    const s = Math.round(5000 + 400 * Math.sin(t) + 100 * rnd.next());
    const a = t === 10 ? 50_000 - acked : Math.min(s, 50_000 - acked);
    timeline.push({ tSec: t, sent: t === 10 ? 50_000 - sent : s, acked: a });
    sent += t === 10 ? 50_000 - sent : s;
    acked += a;
  }
  return {
    tool: "fixg bench",
    schemaVersion: BENCH_SCHEMA_VERSION,
    version: VERSION,
    startedAt: "2025-01-02T03:04:05.678Z",
    config: {
      target: "127.0.0.1:9878",
      mode: "rate",
      ratePerSec: 5000,
      durationSec: 10,
      warmupSec: 2,
      sessions: 1,
      mix: "new=70,cancel=20,replace=10",
      symbols: ["EUR/USD", "GBP/USD", "USD/JPY"],
      cpus: "0",
    },
    effectiveSettings: [
      { knob: "cpu-affinity", requested: [0], effective: [0], ok: true },
      { knob: "TCP_NODELAY", requested: true, effective: true, ok: true },
      {
        knob: "mlockall",
        requested: true,
        effective: false,
        ok: false,
        warning:
          "mlockall is not used: it makes V8 abort (madvise fails on locked reserved memory); locked instead: io",
      },
    ],
    sent: 50_000,
    acknowledged: 50_000,
    rejected: 0,
    lost: 0,
    durationSec: 10,
    throughputPerSec: 5000,
    timeline,
    latency,
    latencyDistribution,
    perSession: [{
      sessionId: "FIX.4.4:BENCH1->LP",
      sent: 50_000,
      acknowledged: 50_000,
      rejected: 0,
      lost: 0,
      latency,
    }],
    processes: [{ role: "generator", pid: 4242, cpus: [0] }, { role: "simulator", pid: 4243, cpus: [0] }],
    notes: ["sample report with synthetic latencies"],
  };
}
