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

/**
 * What each measure includes, printed under the latency table (docs/bench.md, "What is measured"). Every
 * measure runs from the request's send time (the intended one in paced runs) to the answer's read from the
 * socket.
 */
export const MEASURE_INCLUDES: Readonly<Record<LatencyMeasure, string>> = {
  orderToAck:
    "NewOrderSingle -> its first ExecutionReport: the generator's send lag, both TCP stacks, the simulator's (counterparty's) matching, our session's parse and validation",
  orderToFill:
    "NewOrderSingle -> its first fill: marketable orders fill at once, resting ones when the simulated market moves onto them, so the tail is the simulated market's time to cross a resting order (0.5-3 s), not engine latency",
  cancelToAck:
    "OrderCancelRequest -> ExecutionReport Canceled or OrderCancelReject: the same path as order -> ack",
  mdRequestToSnapshot:
    "MarketDataRequest -> MarketDataSnapshotFullRefresh: the same path with a larger answer",
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
  /** Why a step was not sustained (absent when it was), e.g. "order -> ack p99 2310 µs above the bound 2000 µs". */
  reason?: string;
}

/** Requests of every kind during the measured run (the headline counts `sent` etc. are new orders only). */
export interface RequestCounts {
  sent: number;
  answered: number;
  lost: number;
  newOrders: number;
  cancels: number;
  replaces: number;
  marketData: number;
}

/** The generator's own lateness: actual minus intended send time of each request of a paced run. */
export interface SendLag {
  p50Us: number;
  p99Us: number;
  maxUs: number;
  count: number;
  /** Bound on p99 for the schedule to count as held (200 µs). */
  boundUs: number;
  /** False when the generator could not keep its schedule: the latencies then include its own lateness. */
  rateHeld: boolean;
  /** How the pacer waits (e.g. "usleep+spin"). */
  method: string;
}

/** The machine's floor measured in the same run: a raw TCP echo of the same size, pacing and placement. */
export interface FloorReport {
  /** "c" (the C echo built with the system compiler) or "deno" (a raw Deno TCP echo when no compiler). */
  server: "c" | "deno";
  /** Bytes per request and per echo (the mean size of the run's FIX requests). */
  bytes: number;
  /** "rate" at `ratePerSec` or "ping-pong" (one in flight), as the FIX run. */
  mode: string;
  ratePerSec?: number;
  durationSec: number;
  /** CPUs of the echo server (those of the simulator child). */
  cpus: number[];
  /** Round trip from the intended send time (rate) or the send (ping-pong). */
  latency: LatencySummary;
  /** fixg's order -> ack p50 and p99 divided by the floor's. */
  ratioP50: number;
  ratioP99: number;
  /**
   * Rate runs: the same echo back to back (one in flight), and the paced p50 divided by it: how much this
   * machine slows a raw echo at this rate, to set beside fixg's rate p50 over its ping-pong reference.
   */
  backToBack?: { latency: LatencySummary; rateOverBackToBackP50: number };
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
  /** acknowledged / durationSec: new orders acknowledged per second. */
  throughputPerSec: number;
  /** The same as throughputPerSec, under the name the headline prints ("orders/s"). */
  ordersPerSec?: number;
  /** Requests of every kind answered per second ("requests/s"). */
  requestsPerSec?: number;
  /** Requests of every kind. */
  requests?: RequestCounts;
  /** The generator's send lag (paced runs: rate and ramp). */
  sendLag?: SendLag;
  /** The machine's floor (a raw TCP echo) and fixg's ratio to it. */
  floor?: FloorReport;
  /**
   * Rate runs: ping-pong on the same sessions right after the load (one request in flight), order -> ack, and
   * this run's order -> ack p50 divided by its p50.
   */
  pingPongReference?: { durationSec: number; count: number; p50Us: number; p99Us: number; ratioP50: number };
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
