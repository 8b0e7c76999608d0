/** Helpers the bench generator uses to turn its histograms into report parts and the HdrHistogram log. */
import { formatHdrLog, type HdrLogInterval } from "../metrics/hdr_log.ts";
import type { LatencyHistogram } from "../metrics/histogram.ts";
import { type BenchReport, LATENCY_MEASURES, type LatencyMeasure } from "./types.ts";

/** Histograms of a run, per measure (only the measures exercised). */
export type MeasureHistograms = Partial<Record<LatencyMeasure, LatencyHistogram>>;

/** `latency` and `latencyDistribution` of a BenchReport from the run's histograms (empty ones skipped). */
export function latencyParts(
  histograms: MeasureHistograms,
  ticksPerHalfDistance = 5,
): Pick<BenchReport, "latency"> & Required<Pick<BenchReport, "latencyDistribution">> {
  const latency: BenchReport["latency"] = {};
  const latencyDistribution: NonNullable<BenchReport["latencyDistribution"]> = {};
  for (const m of LATENCY_MEASURES) {
    const h = histograms[m];
    if (h === undefined || h.count === 0) continue;
    latency[m] = h.summary();
    latencyDistribution[m] = h.percentileDistribution(ticksPerHalfDistance);
  }
  return { latency, latencyDistribution };
}

/** The `--histogram FILE` content: one tagged interval per measure covering the measured run. */
export function renderHistogramLog(
  histograms: MeasureHistograms,
  options: { startTimeMs: number; endTimeMs: number; comments?: readonly string[] },
): string {
  const intervals: HdrLogInterval[] = [];
  for (const m of LATENCY_MEASURES) {
    const h = histograms[m];
    if (h !== undefined && h.count > 0) {
      intervals.push({ tag: m, startMs: options.startTimeMs, endMs: options.endTimeMs, histogram: h });
    }
  }
  return formatHdrLog(intervals, {
    startTimeMs: options.startTimeMs,
    ...(options.comments === undefined ? {} : { comments: options.comments }),
  });
}
