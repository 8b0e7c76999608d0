/**
 * `fixg bench compare A.json B.json`: the change of each latency percentile and of throughput from a baseline
 * (A) to a candidate (B), with a verdict for CI. A regression is a percentile (p50..p99.99) that grew, or a
 * throughput that fell, by more than the threshold, or any increase in lost orders. Max, mean and stddev are
 * shown but not judged: one stall moves them and they would make CI flaky.
 */
import { ConfigError } from "../errors.ts";
import type { LatencySummary } from "../metrics/histogram.ts";
import { formatChangePct, formatCount, formatMicros, formatTable } from "./format.ts";
import { type BenchReport, LATENCY_MEASURES, type LatencyMeasure } from "./types.ts";

/** Verdict of one row. */
export type CompareVerdict = "regression" | "improvement" | "unchanged" | "info" | "missing";

/** One compared figure. */
export interface ComparisonRow {
  /** Display name, e.g. "orderToAck p99" or "throughput/s". */
  metric: string;
  /** Latency measure, for latency rows. */
  measure?: LatencyMeasure;
  /** JSON key compared: a LatencySummary key, "throughputPerSec" or "lost". */
  key: string;
  /** Baseline value (null when the baseline lacks the measure). */
  baseline: number | null;
  /** Candidate value (null when the candidate lacks the measure). */
  candidate: number | null;
  /** (candidate - baseline) / baseline in percent; null when not computable. */
  changePct: number | null;
  verdict: CompareVerdict;
}

/** Comparison options. */
export interface CompareOptions {
  /** Allowed change in percent before a row is a regression (or an improvement). */
  thresholdPct: number;
  /** Latency changes smaller than this many µs are never judged (noise floor of tiny values); default 0. */
  minDeltaUs?: number;
}

/** The rows and the overall verdict. */
export interface ComparisonResult {
  thresholdPct: number;
  minDeltaUs: number;
  rows: ComparisonRow[];
  /** The rows whose verdict is "regression". */
  regressions: ComparisonRow[];
  /** True when any row regressed: `fixg bench compare` then exits 1. */
  regressed: boolean;
}

const JUDGED: ReadonlyArray<[keyof LatencySummary, string]> = [
  ["p50Us", "p50"],
  ["p90Us", "p90"],
  ["p99Us", "p99"],
  ["p999Us", "p99.9"],
  ["p9999Us", "p99.99"],
];
const INFO: ReadonlyArray<[keyof LatencySummary, string]> = [["maxUs", "max"], ["meanUs", "mean"], [
  "stddevUs",
  "stddev",
]];

/** Percent change, or null when the baseline is 0 and the candidate is not. */
function changePct(a: number, b: number): number | null {
  if (a === 0) return b === 0 ? 0 : null;
  return ((b - a) / a) * 100;
}

/** Compares candidate `b` against baseline `a`. */
export function compareReports(a: BenchReport, b: BenchReport, options: CompareOptions): ComparisonResult {
  const thresholdPct = options.thresholdPct;
  const minDeltaUs = options.minDeltaUs ?? 0;
  if (!Number.isFinite(thresholdPct) || thresholdPct < 0) {
    throw new ConfigError(`Comparison threshold must be a percentage >= 0, got ${thresholdPct}`);
  }
  if (!Number.isFinite(minDeltaUs) || minDeltaUs < 0) {
    throw new ConfigError(`Minimum latency delta must be >= 0 µs, got ${minDeltaUs}`);
  }
  const rows: ComparisonRow[] = [];
  for (const measure of LATENCY_MEASURES) {
    const sa = a.latency[measure];
    const sb = b.latency[measure];
    const hasA = sa !== undefined && sa.count > 0;
    const hasB = sb !== undefined && sb.count > 0;
    if (!hasA && !hasB) continue;
    for (const [key, label] of [...JUDGED, ...INFO]) {
      const judged = JUDGED.some(([k]) => k === key);
      const row: ComparisonRow = {
        metric: `${measure} ${label}`,
        measure,
        key,
        baseline: hasA ? sa[key] : null,
        candidate: hasB ? sb[key] : null,
        changePct: null,
        verdict: "missing",
      };
      if (hasA && hasB) {
        const pct = changePct(sa[key], sb[key]);
        row.changePct = pct;
        const delta = sb[key] - sa[key];
        if (!judged) row.verdict = "info";
        else if (delta === 0 || Math.abs(delta) < minDeltaUs) row.verdict = "unchanged";
        else if (pct === null || pct > thresholdPct) row.verdict = "regression";
        else if (pct < -thresholdPct) row.verdict = "improvement";
        else row.verdict = "unchanged";
      }
      rows.push(row);
    }
  }
  const tp = changePct(a.throughputPerSec, b.throughputPerSec);
  rows.push({
    metric: "throughput/s",
    key: "throughputPerSec",
    baseline: a.throughputPerSec,
    candidate: b.throughputPerSec,
    changePct: tp,
    verdict: tp === null
      ? "improvement"
      : tp < -thresholdPct
      ? "regression"
      : tp > thresholdPct
      ? "improvement"
      : "unchanged",
  });
  rows.push({
    metric: "lost orders",
    key: "lost",
    baseline: a.lost,
    candidate: b.lost,
    changePct: changePct(a.lost, b.lost),
    verdict: b.lost > a.lost ? "regression" : b.lost < a.lost ? "improvement" : "unchanged",
  });
  const regressions = rows.filter((r) => r.verdict === "regression");
  return { thresholdPct, minDeltaUs, rows, regressions, regressed: regressions.length > 0 };
}

/** The comparison as an aligned table followed by a one-line verdict. */
export function renderComparison(
  result: ComparisonResult,
  names: { baseline: string; candidate: string },
): string {
  const fmt = (row: ComparisonRow, v: number | null) =>
    v === null ? "-" : row.measure !== undefined ? formatMicros(v) : formatCount(Math.round(v * 10) / 10);
  const table = formatTable(
    ["metric", names.baseline, names.candidate, "change", "verdict"],
    result.rows.map((r) => [
      r.metric + (r.measure !== undefined ? " µs" : ""),
      fmt(r, r.baseline),
      fmt(r, r.candidate),
      formatChangePct(r.changePct),
      r.verdict === "regression" ? "REGRESSION" : r.verdict,
    ]),
    ["left", "right", "right", "right", "left"],
  );
  const verdict = result.regressed
    ? `verdict: REGRESSION beyond ${result.thresholdPct}%: ${
      result.regressions.map((r) => `${r.metric} ${formatChangePct(r.changePct)}`).join(", ")
    }`
    : `verdict: no regression beyond ${result.thresholdPct}%`;
  return `${table}\n${verdict}\n`;
}
