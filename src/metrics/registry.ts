/**
 * Metrics registry: hot paths hold plain number cells (`cell.value++`, about 1 ns) and fixed-bucket histograms;
 * the registry reads them, and any collector callbacks, only when Prometheus scrapes.
 */
import { FixgError } from "../errors.ts";
import type { LatencyHistogram } from "./histogram.ts";
import {
  assertLabelName,
  assertMetricName,
  type HistogramSample,
  type Labels,
  type MetricFamily,
  renderPrometheus,
  type ValueSample,
} from "./prometheus.ts";

/** Produces families at scrape time (e.g. reading session objects' counters). */
export type Collector = () => Iterable<MetricFamily>;

/** A plain number the hot path changes directly: `cell.value++` or `cell.value = depth`. */
export class MetricCell {
  /** Current value. */
  value = 0;
}

/** Key of a label-value tuple; NUL cannot appear in FIX text fields fixg puts in labels. */
function keyOf(values: readonly string[]): string {
  return values.join("\u0000");
}

/** Builds the Labels object of one child from names and values. */
function labelsOf(names: readonly string[], values: readonly string[]): Labels {
  const labels: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) labels[names[i]!] = values[i]!;
  return labels;
}

/** Checks the number of label values; a mismatch is a bug in the caller. */
function checkArity(name: string, names: readonly string[], values: readonly string[]): void {
  if (values.length !== names.length) {
    throw new FixgError(
      "METRICS",
      `Metric ${name} takes ${names.length} label values (${names.join(", ")}), got ${values.length}`,
    );
  }
}

/** A counter or gauge family: one cell per label-value tuple, fetched once and kept by the hot path. */
export class ValueMetric {
  /** Children by label-value key, in creation order. */
  private readonly children = new Map<string, { labels: Labels; cell: MetricCell }>();

  constructor(
    /** Metric name. */
    readonly name: string,
    /** HELP text. */
    readonly help: string,
    /** "counter" or "gauge". */
    readonly type: "counter" | "gauge",
    /** Label names, in order. */
    readonly labelNames: readonly string[] = [],
  ) {
    assertMetricName(name);
    for (const l of labelNames) assertLabelName(l);
  }

  /** The cell for these label values (created at 0 on first use). Keep it: lookups are not for hot paths. */
  cell(...labelValues: string[]): MetricCell {
    const key = keyOf(labelValues);
    let child = this.children.get(key);
    if (child === undefined) {
      checkArity(this.name, this.labelNames, labelValues);
      child = { labels: labelsOf(this.labelNames, labelValues), cell: new MetricCell() };
      this.children.set(key, child);
    }
    return child.cell;
  }

  /** Drops the child for these label values (e.g. a session removed by a reload). */
  remove(...labelValues: string[]): void {
    this.children.delete(keyOf(labelValues));
  }

  /** The family as it stands now. */
  collect(): MetricFamily {
    const samples: ValueSample[] = [];
    for (const child of this.children.values()) {
      samples.push({ labels: child.labels, value: child.cell.value });
    }
    return { name: this.name, help: this.help, type: this.type, samples };
  }
}

/** A fixed-bucket histogram for Prometheus: `observe` is a short scan over the bounds. */
export class BucketHistogram {
  /** Upper bounds, ascending, without +Inf. */
  readonly upperBounds: Float64Array;
  /** Per-bucket counts; the last is above every bound. */
  readonly bucketCounts: Float64Array;
  /** Sum of observed values. */
  sum = 0;
  /** Number of observed values. */
  count = 0;

  constructor(upperBounds: readonly number[]) {
    for (let i = 0; i < upperBounds.length; i++) {
      if (!Number.isFinite(upperBounds[i]!) || (i > 0 && upperBounds[i]! <= upperBounds[i - 1]!)) {
        throw new FixgError(
          "METRICS",
          `Histogram bounds must be finite and ascending: ${upperBounds.join(", ")}`,
        );
      }
    }
    this.upperBounds = Float64Array.from(upperBounds);
    this.bucketCounts = new Float64Array(upperBounds.length + 1);
  }

  /** Records one observation. */
  observe(value: number): void {
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.bucketCounts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Forgets every observation. */
  reset(): void {
    this.bucketCounts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/** A histogram family with one BucketHistogram per label-value tuple. */
export class HistogramMetric {
  /** Children by label-value key, in creation order. */
  private readonly children = new Map<string, { labels: Labels; histogram: BucketHistogram }>();

  constructor(
    /** Metric name (without _bucket/_sum/_count). */
    readonly name: string,
    /** HELP text. */
    readonly help: string,
    /** Bucket upper bounds shared by every child. */
    readonly upperBounds: readonly number[],
    /** Label names, in order. */
    readonly labelNames: readonly string[] = [],
  ) {
    assertMetricName(name);
    for (const l of labelNames) {
      assertLabelName(l);
      if (l === "le") throw new FixgError("METRICS", `Histogram ${name} cannot use the reserved label "le"`);
    }
    new BucketHistogram(upperBounds); // validates the bounds once, up front
  }

  /** The histogram for these label values (created empty on first use). Keep it. */
  cell(...labelValues: string[]): BucketHistogram {
    const key = keyOf(labelValues);
    let child = this.children.get(key);
    if (child === undefined) {
      checkArity(this.name, this.labelNames, labelValues);
      child = {
        labels: labelsOf(this.labelNames, labelValues),
        histogram: new BucketHistogram(this.upperBounds),
      };
      this.children.set(key, child);
    }
    return child.histogram;
  }

  /** Drops the child for these label values. */
  remove(...labelValues: string[]): void {
    this.children.delete(keyOf(labelValues));
  }

  /** The family as it stands now. */
  collect(): MetricFamily {
    const samples: HistogramSample[] = [];
    for (const { labels, histogram } of this.children.values()) {
      samples.push({
        labels,
        upperBounds: histogram.upperBounds,
        bucketCounts: histogram.bucketCounts,
        sum: histogram.sum,
        count: histogram.count,
      });
    }
    return { name: this.name, help: this.help, type: "histogram", samples };
  }
}

/**
 * A Prometheus histogram sample derived at scrape time from a LatencyHistogram, so the hot path records
 * once (into the log-linear histogram) and Prometheus still gets `le` buckets, in seconds.
 */
export function latencyHistogramSample(
  histogram: LatencyHistogram,
  upperBoundsSeconds: readonly number[],
  labels: Labels = {},
): HistogramSample {
  const unitsPerSecond = histogram.unit === "ns" ? 1e9 : 1e6;
  const bucketCounts = new Float64Array(upperBoundsSeconds.length + 1);
  let previous = 0;
  for (let i = 0; i < upperBoundsSeconds.length; i++) {
    const atOrBelow = histogram.countAtOrBelow(upperBoundsSeconds[i]! * unitsPerSecond);
    bucketCounts[i] = atOrBelow - previous;
    previous = atOrBelow;
  }
  bucketCounts[upperBoundsSeconds.length] = histogram.count - previous;
  return {
    labels,
    upperBounds: upperBoundsSeconds,
    bucketCounts,
    sum: histogram.sum / unitsPerSecond,
    count: histogram.count,
  };
}

/** Default latency buckets in seconds: 10 µs to 1 s, dense where FIX round trips live. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.00001,
  0.000025,
  0.00005,
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
];

/** `count` bounds start, start*factor, start*factor^2, ... */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0) || !(factor > 1) || !(count >= 1)) {
    throw new FixgError("METRICS", `exponentialBuckets needs start > 0, factor > 1, count >= 1`);
  }
  const out: number[] = [];
  for (let i = 0, v = start; i < count; i++, v *= factor) out.push(v);
  return out;
}

/** `count` bounds start, start+width, start+2*width, ... */
export function linearBuckets(start: number, width: number, count: number): number[] {
  if (!(width > 0) || !(count >= 1)) {
    throw new FixgError("METRICS", `linearBuckets needs width > 0, count >= 1`);
  }
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(start + i * width);
  return out;
}

/** Holds metric families and collectors and renders them all at scrape time. */
export class MetricsRegistry {
  private readonly sources: Array<{ collect: Collector }> = [];

  /** Adds a counter family; hot paths keep `metric.cell(...)` and increment `.value`. */
  counter(name: string, help: string, labelNames: readonly string[] = []): ValueMetric {
    const m = new ValueMetric(name, help, "counter", labelNames);
    this.sources.push({ collect: () => [m.collect()] });
    return m;
  }

  /** Adds a gauge family; hot paths keep `metric.cell(...)` and set `.value`. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): ValueMetric {
    const m = new ValueMetric(name, help, "gauge", labelNames);
    this.sources.push({ collect: () => [m.collect()] });
    return m;
  }

  /** Adds a fixed-bucket histogram family. */
  histogram(
    name: string,
    help: string,
    upperBounds: readonly number[],
    labelNames: readonly string[] = [],
  ): HistogramMetric {
    const m = new HistogramMetric(name, help, upperBounds, labelNames);
    this.sources.push({ collect: () => [m.collect()] });
    return m;
  }

  /** Adds a collector called at every scrape; returns a function that removes it. */
  register(collect: Collector): () => void {
    const source = { collect };
    this.sources.push(source);
    return () => {
      const i = this.sources.indexOf(source);
      if (i >= 0) this.sources.splice(i, 1);
    };
  }

  /** Every family, with same-named families from different sources merged (same type required). */
  collect(): MetricFamily[] {
    const byName = new Map<string, MetricFamily>();
    for (const source of this.sources) {
      for (const family of source.collect()) {
        const seen = byName.get(family.name);
        if (seen === undefined) {
          byName.set(family.name, family);
        } else if (seen.type !== family.type) {
          throw new FixgError(
            "METRICS",
            `Metric ${family.name} registered as both ${seen.type} and ${family.type}`,
          );
        } else {
          byName.set(family.name, { ...seen, samples: [...seen.samples, ...family.samples] } as MetricFamily);
        }
      }
    }
    return [...byName.values()];
  }

  /** The scrape body in the Prometheus text format. */
  render(): string {
    return renderPrometheus(this.collect());
  }
}
