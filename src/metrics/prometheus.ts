/**
 * Prometheus text exposition format 0.0.4, rendered at scrape time from plain data. No prom-client: its
 * `inc()` costs 0.1-0.2 µs, so hot paths keep plain numbers and this module only formats them.
 */
import { FixgError } from "../errors.ts";

/** Content-Type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label name -> value, rendered in insertion order. */
export type Labels = Readonly<Record<string, string>>;

/** A counter, gauge or untyped sample. */
export interface ValueSample {
  /** Labels of the sample ({} for none). */
  labels: Labels;
  /** Current value. */
  value: number;
}

/** One labeled histogram: per-bucket (not cumulative) counts, the last one being the +Inf bucket. */
export interface HistogramSample {
  /** Labels of the sample ({} for none). */
  labels: Labels;
  /** Upper bounds (`le`), ascending, without +Inf. */
  upperBounds: ArrayLike<number>;
  /** Count per bucket, length upperBounds.length + 1 (the last is values above every bound). */
  bucketCounts: ArrayLike<number>;
  /** Sum of observed values. */
  sum: number;
  /** Number of observed values. */
  count: number;
}

/** A metric family as exposed: one HELP, one TYPE, its samples. */
export type MetricFamily =
  | { name: string; help: string; type: "counter" | "gauge" | "untyped"; samples: readonly ValueSample[] }
  | { name: string; help: string; type: "histogram"; samples: readonly HistogramSample[] };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws on a name Prometheus would reject: a bug in the caller, never counterparty data. */
export function assertMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new FixgError("METRICS", `Invalid Prometheus metric name "${name}"`);
}

/** Throws on a label name Prometheus would reject (and on the reserved "__" prefix). */
export function assertLabelName(name: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith("__")) {
    throw new FixgError("METRICS", `Invalid Prometheus label name "${name}"`);
  }
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escapes HELP text: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Formats a sample value: integers plainly, +Inf/-Inf/NaN as Prometheus spells them. */
export function formatPrometheusValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** `{a="x",b="y"}` or "" when there are no labels; `extra` is appended last (used for `le`). */
export function formatLabels(labels: Labels, extra?: readonly [string, string]): string {
  const parts: string[] = [];
  for (const key of Object.keys(labels)) {
    assertLabelName(key);
    parts.push(`${key}="${escapeLabelValue(labels[key]!)}"`);
  }
  if (extra !== undefined) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** Renders families in the text exposition format; families must have distinct names. */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const family of families) {
    assertMetricName(family.name);
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    out.push(`# TYPE ${family.name} ${family.type}`);
    if (family.type === "histogram") {
      for (const s of family.samples) renderHistogramSample(out, family.name, s);
    } else {
      for (const s of family.samples) {
        out.push(`${family.name}${formatLabels(s.labels)} ${formatPrometheusValue(s.value)}`);
      }
    }
  }
  return out.length === 0 ? "" : out.join("\n") + "\n";
}

/** `_bucket` lines with cumulative counts and `le` last, then `_sum` and `_count`. */
function renderHistogramSample(out: string[], name: string, s: HistogramSample): void {
  if (s.bucketCounts.length !== s.upperBounds.length + 1) {
    throw new FixgError(
      "METRICS",
      `Histogram ${name}: ${s.bucketCounts.length} bucket counts for ${s.upperBounds.length} bounds (+Inf)`,
    );
  }
  let cumulative = 0;
  for (let i = 0; i < s.upperBounds.length; i++) {
    cumulative += s.bucketCounts[i]!;
    const le = formatPrometheusValue(s.upperBounds[i]!);
    out.push(`${name}_bucket${formatLabels(s.labels, ["le", le])} ${formatPrometheusValue(cumulative)}`);
  }
  cumulative += s.bucketCounts[s.upperBounds.length]!;
  out.push(`${name}_bucket${formatLabels(s.labels, ["le", "+Inf"])} ${formatPrometheusValue(cumulative)}`);
  out.push(`${name}_sum${formatLabels(s.labels)} ${formatPrometheusValue(s.sum)}`);
  out.push(`${name}_count${formatLabels(s.labels)} ${formatPrometheusValue(s.count)}`);
}
