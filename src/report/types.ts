/**
 * The data shape of a `fixg bench` run: what the generator fills in and every renderer (terminal, JSON, HTML,
 * compare) reads. The JSON file is this object as is; docs/bench_json_schema.md documents it for CI.
 */
import type { LatencySummary, PercentilePoint } from "../metrics/histogram.ts";
import type { EffectReport } from "../sys/types.ts";

export type { EffectReport, LatencySummary, PercentilePoint };

/** Version of the JSON layout; bumped only when a key changes meaning or disappears. */
export const BENCH_SCHEMA_VERSION = 1;

/** The latency measures a bench run can report. */
export type LatencyMeasure = "orderToAck" | "orderToFill" | "cancelToAck" | "mdRequestToSnapshot";

/** Every measure, in report order. */
export const LATENCY_MEASURES: readonly LatencyMeasure[] = [
  "orderToAck",
  "orderToFill",
  "cancelToAck",
  "mdRequestToSnapshot",
];

/** Human labels of the measures for tables and plots. */
export const MEASURE_LABELS: Readonly<Record<LatencyMeasure, string>> = {
  orderToAck: "order -> ack",
  orderToFill: "order -> fill",
  cancelToAck: "cancel -> cancel ack",
  mdRequestToSnapshot: "md request -> snapshot",
};

/** Summaries per measure; a measure the run did not exercise is absent. */
export type LatencyByMeasure = Partial<Record<LatencyMeasure, LatencySummary>>;

/** One interval of the throughput timeline: counts during the interval that ends at `tSec`. */
export interface TimelinePoint {
  /** End of the interval, seconds since the measured run started (after warm-up). */
  tSec: number;
  /** Orders sent during the interval. */
  sent: number;
  /** Orders acknowledged during the interval. */
  acked: number;
}

/** Accounting and latency of one FIX session of the run. */
export interface SessionReport {
  /** Session id, e.g. "FIX.4.4:BENCH1->LP". */
  sessionId: string;
  sent: number;
  acknowledged: number;
  rejected: number;
  lost: number;
  latency: LatencyByMeasure;
}

/** Where a process of the run executed. */
export interface ProcessPlacement {
  /** "generator" or "simulator" (or another role name). */
  role: string;
  pid: number;
  /** CPUs the process was allowed to run on. */
  cpus: number[];
}

/** One step of a `--ramp` run. */
export interface RampStep {
  /** Target rate of the step. */
  ratePerSec: number;
  /** Acknowledged orders per second actually achieved. */
  achievedPerSec: number;
  /** Order-to-ack p99 during the step. */
  p99Us: number;
  /** True when the rate was held and p99 stayed within the bound. */
  sustained: boolean;
}

/** Outcome of a `--ramp` run: the highest rate sustained within the latency bound. */
export interface RampResult {
  /** p99 bound the steps were judged against. */
  latencyBoundUs: number;
  /** Highest sustained step rate (0 when none was). */
  maxSustainedRatePerSec: number;
  steps: RampStep[];
}

/** A configuration value as shown in the report. */
export type ConfigValue = string | number | boolean | null | readonly (string | number)[];

/** Everything a `fixg bench` run measured; serialized as is by `--json`. */
export interface BenchReport {
  /** Always "fixg bench". */
  tool: "fixg bench";
  /** Layout version of this object (BENCH_SCHEMA_VERSION). */
  schemaVersion: number;
  /** fixg version that produced the report. */
  version: string;
  /** Run start, ISO 8601 UTC. */
  startedAt: string;
  /** The run's configuration (target, load shape, mix, sessions...), flat key -> value. */
  config: Readonly<Record<string, ConfigValue>>;
  /** Tuning knobs and whether each took effect. */
  effectiveSettings: EffectReport[];
  /** Orders sent during the measured run. */
  sent: number;
  /** Orders acknowledged (ExecutionReport New, or a fill, for the order). */
  acknowledged: number;
  /** Orders rejected by the counterparty (business or session reject). */
  rejected: number;
  /** Orders never answered after the grace period: an error. */
  lost: number;
  /** Measured duration (after warm-up), seconds. */
  durationSec: number;
  /** acknowledged / durationSec. */
  throughputPerSec: number;
  /** Throughput over time. */
  timeline: TimelinePoint[];
  /** Latency summaries per measure, microseconds. */
  latency: LatencyByMeasure;
  /** Percentile distribution per measure for the HdrHistogram-style plot (optional). */
  latencyDistribution?: Partial<Record<LatencyMeasure, PercentilePoint[]>>;
  /** Per-session accounting and latency. */
  perSession: SessionReport[];
  /** Where each process ran. */
  processes: ProcessPlacement[];
  /** Present for `--ramp` runs. */
  ramp?: RampResult;
  /** Warnings worth reading next to the figures (e.g. "split across CPUs: expect +30 µs per hop"). */
  notes?: string[];
}
