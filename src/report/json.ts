/**
 * The `--json` file: the BenchReport with a fixed key order, and the reader `fixg bench compare` uses, which
 * names the file and the key when something is missing (a usage error: exit 2).
 */
import { ConfigError } from "../errors.ts";
import type { LatencySummary } from "../metrics/histogram.ts";
import {
  type BenchReport,
  LATENCY_MEASURES,
  type LatencyByMeasure,
  type ProcessPlacement,
  type SessionReport,
  type TimelinePoint,
} from "./types.ts";

/** Keys of every `latency.<measure>` object, in output order. */
export const SUMMARY_KEYS: readonly (keyof LatencySummary)[] = [
  "count",
  "p50Us",
  "p90Us",
  "p99Us",
  "p999Us",
  "p9999Us",
  "maxUs",
  "meanUs",
  "stddevUs",
];

/** Top-level numeric keys every bench JSON has (the CI contract of issue 6). */
export const REQUIRED_NUMBER_KEYS = [
  "sent",
  "acknowledged",
  "rejected",
  "lost",
  "durationSec",
  "throughputPerSec",
] as const;

/** A summary with its keys in schema order (so files diff cleanly). */
function orderedSummary(s: LatencySummary): LatencySummary {
  const out: Record<string, number> = {};
  for (const k of SUMMARY_KEYS) out[k] = s[k];
  return out as unknown as LatencySummary;
}

/** Latency object with measures in LATENCY_MEASURES order. */
function orderedLatency(latency: LatencyByMeasure): LatencyByMeasure {
  const out: LatencyByMeasure = {};
  for (const m of LATENCY_MEASURES) {
    const s = latency[m];
    if (s !== undefined) out[m] = orderedSummary(s);
  }
  return out;
}

/** The report as pretty JSON with a stable key order and a trailing newline. */
export function renderBenchJson(report: BenchReport): string {
  const ordered: Record<string, unknown> = {
    tool: report.tool,
    schemaVersion: report.schemaVersion,
    version: report.version,
    startedAt: report.startedAt,
    sent: report.sent,
    acknowledged: report.acknowledged,
    rejected: report.rejected,
    lost: report.lost,
    durationSec: report.durationSec,
    throughputPerSec: report.throughputPerSec,
  };
  if (report.ordersPerSec !== undefined) ordered.ordersPerSec = report.ordersPerSec;
  if (report.requestsPerSec !== undefined) ordered.requestsPerSec = report.requestsPerSec;
  if (report.requests !== undefined) ordered.requests = report.requests;
  if (report.sendLag !== undefined) ordered.sendLag = report.sendLag;
  Object.assign(ordered, {
    latency: orderedLatency(report.latency),
    config: report.config,
    effectiveSettings: report.effectiveSettings,
    processes: report.processes,
    perSession: report.perSession.map((s) => ({ ...s, latency: orderedLatency(s.latency) })),
    timeline: report.timeline,
  });
  if (report.floor !== undefined) ordered.floor = report.floor;
  if (report.pingPongReference !== undefined) ordered.pingPongReference = report.pingPongReference;
  if (report.latencyDistribution !== undefined) ordered.latencyDistribution = report.latencyDistribution;
  if (report.ramp !== undefined) ordered.ramp = report.ramp;
  if (report.notes !== undefined) ordered.notes = report.notes;
  return JSON.stringify(ordered, null, 2) + "\n";
}

/** True for a plain object. */
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a finite number at `obj[key]` or throws naming the source and path. */
function num(obj: Record<string, unknown>, key: string, source: string, path: string): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ConfigError(
      `${source}: "${path}${key}" must be a number${v === undefined ? " (missing)" : ""}`,
    );
  }
  return v;
}

/** Validates a latency object: known measures, each with every summary key. */
function parseLatency(v: unknown, source: string, path: string): LatencyByMeasure {
  if (v === undefined) return {};
  if (!isObject(v)) throw new ConfigError(`${source}: "${path}" must be an object`);
  const out: LatencyByMeasure = {};
  for (const m of LATENCY_MEASURES) {
    const s = v[m];
    if (s === undefined) continue;
    if (!isObject(s)) throw new ConfigError(`${source}: "${path}.${m}" must be an object`);
    const summary: Record<string, number> = {};
    for (const k of SUMMARY_KEYS) summary[k] = num(s, k, source, `${path}.${m}.`);
    out[m] = summary as unknown as LatencySummary;
  }
  return out;
}

/**
 * Parses and validates a bench JSON document. Required: the REQUIRED_NUMBER_KEYS and a `latency` object;
 * optional arrays default to empty. Throws ConfigError (exit 2) naming `source` and the key.
 */
export function parseBenchJson(text: string, source: string): BenchReport {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${source}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(raw)) throw new ConfigError(`${source}: a bench report must be a JSON object`);
  if (raw.tool !== undefined && raw.tool !== "fixg bench") {
    throw new ConfigError(`${source}: "tool" is ${JSON.stringify(raw.tool)}, expected "fixg bench"`);
  }
  if (raw.latency === undefined) throw new ConfigError(`${source}: "latency" is missing`);
  const numbers = Object.fromEntries(REQUIRED_NUMBER_KEYS.map((k) => [k, num(raw, k, source, "")])) as Record<
    (typeof REQUIRED_NUMBER_KEYS)[number],
    number
  >;
  const report: BenchReport = {
    tool: "fixg bench",
    schemaVersion: typeof raw.schemaVersion === "number" ? raw.schemaVersion : 1,
    version: typeof raw.version === "string" ? raw.version : "unknown",
    startedAt: typeof raw.startedAt === "string" ? raw.startedAt : "",
    config: isObject(raw.config) ? (raw.config as BenchReport["config"]) : {},
    effectiveSettings: Array.isArray(raw.effectiveSettings)
      ? (raw.effectiveSettings as BenchReport["effectiveSettings"])
      : [],
    ...numbers,
    timeline: Array.isArray(raw.timeline) ? (raw.timeline as TimelinePoint[]) : [],
    latency: parseLatency(raw.latency, source, "latency"),
    perSession: Array.isArray(raw.perSession) ? (raw.perSession as SessionReport[]) : [],
    processes: Array.isArray(raw.processes) ? (raw.processes as ProcessPlacement[]) : [],
  };
  if (isObject(raw.latencyDistribution)) {
    report.latencyDistribution = raw.latencyDistribution as NonNullable<BenchReport["latencyDistribution"]>;
  }
  if (isObject(raw.ramp)) report.ramp = raw.ramp as unknown as NonNullable<BenchReport["ramp"]>;
  if (Array.isArray(raw.notes)) report.notes = raw.notes.map(String);
  for (const k of ["ordersPerSec", "requestsPerSec"] as const) {
    if (typeof raw[k] === "number") report[k] = raw[k] as number;
  }
  if (isObject(raw.requests)) {
    report.requests = raw.requests as unknown as NonNullable<BenchReport["requests"]>;
  }
  if (isObject(raw.sendLag)) report.sendLag = raw.sendLag as unknown as NonNullable<BenchReport["sendLag"]>;
  if (isObject(raw.floor)) report.floor = raw.floor as unknown as NonNullable<BenchReport["floor"]>;
  if (isObject(raw.pingPongReference)) {
    report.pingPongReference = raw.pingPongReference as unknown as NonNullable<
      BenchReport["pingPongReference"]
    >;
  }
  return report;
}

/** Reads and validates a bench JSON file; a missing or unreadable file is a usage error (exit 2). */
export async function readBenchJson(path: string): Promise<BenchReport> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(
      `Cannot read bench report "${path}": ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return parseBenchJson(text, path);
}
