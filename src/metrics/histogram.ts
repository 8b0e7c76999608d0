/**
 * A log-linear latency histogram for the hot path, laid out exactly like HdrHistogram (lowest discernible
 * value 1, N significant digits), so converting to hdr-histogram-js is a lossless copy of the counts.
 *
 * Layout (3 digits): subBucketCount = 2048, half = 1024. Bucket 0 holds values 0..2047 at unit resolution;
 * bucket k > 0 holds 2^(k+10)..2^(k+11)-1 in 1024 steps of 2^k, so every value keeps 3 significant digits.
 *
 *   counts index:  [0 ........ 2047][2048 ..... 3071][3072 ..... 4095] ...
 *                   bucket 0 (all)   bucket 1 (top)   bucket 2 (top)
 *
 * `record` is a clz32, a multiply and an array increment (about 6 ns), with no allocation.
 */
import * as hdr from "hdr-histogram-js";
import { FixgError } from "../errors.ts";

/** Unit of the values a histogram records. Summaries are always in microseconds. */
export type HistogramUnit = "ns" | "us";

/** Number of significant decimal digits kept, as in HdrHistogram. */
export type SignificantDigits = 1 | 2 | 3 | 4 | 5;

/** Construction options of a LatencyHistogram. */
export interface LatencyHistogramOptions {
  /** Unit of recorded values; default "ns". */
  unit?: HistogramUnit;
  /** Largest value tracked; larger values are clamped to it and counted in `saturated`. Default: one hour. */
  highestTrackableValue?: number;
  /** Significant digits; default 3 (0.1% resolution). */
  significantDigits?: SignificantDigits;
}

/** The latency figures of one measure, all in microseconds: the `latency.<measure>` object of bench JSON. */
export interface LatencySummary {
  count: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  p9999Us: number;
  maxUs: number;
  meanUs: number;
  stddevUs: number;
}

/** One point of a percentile distribution (HdrHistogram's "percentile distribution" output). */
export interface PercentilePoint {
  /** Percentile in 0..100. */
  percentile: number;
  /** Value at that percentile, in microseconds. */
  valueUs: number;
}

const TWO_POW_32 = 4294967296;
const ONE_HOUR_NS = 3_600_000_000_000;
const ONE_HOUR_US = 3_600_000_000;

/** Rounds to 3 decimals (nanoseconds when the unit is microseconds) so JSON stays readable. */
function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** HdrHistogram-compatible log-linear histogram of latencies; mergeable and convertible to hdr-histogram-js. */
export class LatencyHistogram {
  /** Unit of recorded values. */
  readonly unit: HistogramUnit;
  /** Significant digits kept. */
  readonly significantDigits: SignificantDigits;
  /** Largest value tracked (larger ones are clamped). */
  readonly highestTrackableValue: number;
  /** Count per index; Float64 so merged counts never overflow. */
  readonly counts: Float64Array;
  /** Number of recorded values. */
  count = 0;
  /** Exact sum of recorded values (after clamping), for the mean. */
  sum = 0;
  /** Exact sum of squares, for the standard deviation. */
  sumOfSquares = 0;
  /** Exact smallest recorded value (Infinity when empty). */
  minValue = Infinity;
  /** Exact largest recorded value (0 when empty). */
  maxValue = 0;
  /** Values above highestTrackableValue that were clamped. */
  saturated = 0;

  private readonly halfCountMagnitude: number;
  private readonly halfCount: number;
  private readonly subBucketMask: number;
  private readonly clzBase: number;
  private readonly inversePow2: Float64Array;

  constructor(options: LatencyHistogramOptions = {}) {
    this.unit = options.unit ?? "ns";
    this.significantDigits = options.significantDigits ?? 3;
    const highest = options.highestTrackableValue ?? (this.unit === "ns" ? ONE_HOUR_NS : ONE_HOUR_US);
    if (
      !Number.isInteger(this.significantDigits) || this.significantDigits < 1 || this.significantDigits > 5
    ) {
      throw new FixgError("HISTOGRAM", `significantDigits must be 1..5, got ${this.significantDigits}`);
    }
    if (!(highest >= 2) || highest > Number.MAX_SAFE_INTEGER) {
      throw new FixgError("HISTOGRAM", `highestTrackableValue must be in 2..2^53, got ${highest}`);
    }
    this.highestTrackableValue = Math.floor(highest);
    const largestUnitResolution = 2 * Math.pow(10, this.significantDigits);
    const subBucketCountMagnitude = Math.ceil(Math.log2(largestUnitResolution));
    this.halfCountMagnitude = Math.max(subBucketCountMagnitude, 1) - 1;
    const subBucketCount = 2 ** (this.halfCountMagnitude + 1);
    this.halfCount = subBucketCount / 2;
    this.subBucketMask = subBucketCount - 1;
    this.clzBase = 31 - this.halfCountMagnitude;
    let bucketCount = 1;
    for (let untrackable = subBucketCount; untrackable <= this.highestTrackableValue; untrackable *= 2) {
      bucketCount++;
    }
    this.counts = new Float64Array((bucketCount + 1) * this.halfCount);
    this.inversePow2 = new Float64Array(64);
    for (let i = 0; i < 64; i++) this.inversePow2[i] = 2 ** -i;
    if (this.significantDigits !== 3) this.record = this.recordAnyDigits;
  }

  /**
   * Records one value (negative or NaN counts as 0; above the highest trackable value is clamped).
   * This is the 3-digit layout with its constants written in (half count 1024, mask 2047): field loads of
   * the general layout cost about 3 ns per call. Other digit counts get `recordAnyDigits` in the constructor.
   */
  record(value: number): void {
    let v = value;
    if (!(v >= 0)) v = 0;
    else if (v > this.highestTrackableValue) {
      v = this.highestTrackableValue;
      this.saturated++;
    }
    let index: number;
    if (v < TWO_POW_32) {
      // `>>>` truncates to uint32 and shifts: floor(v / 2^bucket) without a float division.
      const bucket = 21 - Math.clz32(v | 2047);
      index = ((bucket + 1) << 10) + (v >>> bucket) - 1024;
    } else {
      index = this.indexOf(v);
    }
    this.counts[index]!++;
    this.count++;
    this.sum += v;
    this.sumOfSquares += v * v;
    if (v > this.maxValue) this.maxValue = v;
    if (v < this.minValue) this.minValue = v;
  }

  /** `record` for any number of significant digits (the layout read from fields). */
  private recordAnyDigits(value: number): void {
    let v = value;
    if (!(v >= 0)) v = 0;
    else if (v > this.highestTrackableValue) {
      v = this.highestTrackableValue;
      this.saturated++;
    }
    this.counts[this.indexOf(v)]!++;
    this.count++;
    this.sum += v;
    this.sumOfSquares += v * v;
    if (v > this.maxValue) this.maxValue = v;
    if (v < this.minValue) this.minValue = v;
  }

  /** Records `n` occurrences of one value. */
  recordMany(value: number, n: number): void {
    if (n <= 0) return;
    let v = value;
    if (!(v >= 0)) v = 0;
    else if (v > this.highestTrackableValue) {
      v = this.highestTrackableValue;
      this.saturated += n;
    }
    this.counts[this.indexOf(v)]! += n;
    this.count += n;
    this.sum += v * n;
    this.sumOfSquares += v * v * n;
    if (v > this.maxValue) this.maxValue = v;
    if (v < this.minValue) this.minValue = v;
  }

  /** Counts-array index of a value (not on the hot path: `record` inlines it). */
  indexOf(value: number): number {
    const v = value < 0 ? 0 : Math.min(value, this.highestTrackableValue);
    const bucket = v < TWO_POW_32
      ? this.clzBase - Math.clz32(v | this.subBucketMask)
      : this.clzBase + 32 - Math.clz32(v / TWO_POW_32);
    const sub = Math.floor(v * this.inversePow2[bucket]!);
    return ((bucket + 1) << this.halfCountMagnitude) + sub - this.halfCount;
  }

  /** Lowest value that falls in counts index `index`. */
  valueFromIndex(index: number): number {
    let bucket = (index >> this.halfCountMagnitude) - 1;
    let sub = (index & (this.halfCount - 1)) + this.halfCount;
    if (bucket < 0) {
      sub -= this.halfCount;
      bucket = 0;
    }
    return sub * 2 ** bucket;
  }

  /** Highest value equivalent to the lowest value of `index` (HdrHistogram's highestEquivalentValue). */
  highestValueOfIndex(index: number): number {
    const bucket = (index >> this.halfCountMagnitude) - 1;
    const size = bucket <= 0 ? 1 : 2 ** bucket;
    return this.valueFromIndex(index) + size - 1;
  }

  /**
   * Value at percentile `p` (0..100) with HdrHistogram's rule (the highest value equivalent to the bucket
   * holding the ceil(p% of count)-th value), capped at the exact max (and floored at the exact min).
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    return this.valuesAtPercentiles([p])[0]!;
  }

  /** Values at several percentiles in one pass; `ps` in any order. */
  valuesAtPercentiles(ps: readonly number[]): number[] {
    const out = new Array<number>(ps.length).fill(0);
    if (this.count === 0) return out;
    const order = ps.map((p, i) => ({ p: Math.min(Math.max(p, 0), 100), i })).sort((a, b) => a.p - b.p);
    let k = 0;
    let cumulative = 0;
    const counts = this.counts;
    for (let index = 0; index < counts.length && k < order.length; index++) {
      const c = counts[index]!;
      if (c === 0) continue;
      cumulative += c;
      while (k < order.length) {
        const entry = order[k]!;
        if (cumulative < this.countAtPercentile(entry.p)) break;
        const value = entry.p === 0 ? this.valueFromIndex(index) : this.highestValueOfIndex(index);
        out[entry.i] = Math.max(Math.min(value, this.maxValue), this.minValue);
        k++;
      }
    }
    for (; k < order.length; k++) out[order[k]!.i] = this.maxValue;
    return out;
  }

  /** Rank of the value at percentile p, as HdrHistogram computes it (at least 1). */
  private countAtPercentile(p: number): number {
    const fp = (p / 100) * this.count;
    // Subtract a relative epsilon so that fp math one ulp above an integer does not skip a count.
    return Math.max(Math.ceil(fp - fp * Number.EPSILON * 2), 1);
  }

  /** Exact arithmetic mean of recorded values (0 when empty). */
  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** Exact population standard deviation of recorded values (0 when empty). */
  get stddev(): number {
    if (this.count === 0) return 0;
    const m = this.sum / this.count;
    return Math.sqrt(Math.max(this.sumOfSquares / this.count - m * m, 0));
  }

  /** Largest recorded value (0 when empty). */
  get max(): number {
    return this.maxValue;
  }

  /** Smallest recorded value (0 when empty). */
  get min(): number {
    return this.count === 0 ? 0 : this.minValue;
  }

  /** Adds another histogram's counts; both must have the same unit and layout. */
  merge(other: LatencyHistogram): void {
    if (other.unit !== this.unit || other.significantDigits !== this.significantDigits) {
      throw new FixgError(
        "HISTOGRAM",
        `Cannot merge a ${other.unit}/${other.significantDigits}-digit histogram into a ${this.unit}/${this.significantDigits}-digit one`,
      );
    }
    const n = Math.min(this.counts.length, other.counts.length);
    for (let i = 0; i < n; i++) this.counts[i]! += other.counts[i]!;
    // Values beyond our range land in our top index: same rule as recording them.
    for (let i = n; i < other.counts.length; i++) {
      const c = other.counts[i]!;
      if (c > 0) {
        this.counts[this.counts.length - 1]! += c;
        this.saturated += c;
      }
    }
    this.count += other.count;
    this.sum += other.sum;
    this.sumOfSquares += other.sumOfSquares;
    this.saturated += other.saturated;
    if (other.maxValue > this.maxValue) this.maxValue = Math.min(other.maxValue, this.highestTrackableValue);
    if (other.minValue < this.minValue) this.minValue = other.minValue;
  }

  /** Forgets every recorded value (keeps the allocation). */
  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.sumOfSquares = 0;
    this.minValue = Infinity;
    this.maxValue = 0;
    this.saturated = 0;
  }

  /** An independent copy. */
  copy(): LatencyHistogram {
    const h = new LatencyHistogram({
      unit: this.unit,
      significantDigits: this.significantDigits,
      highestTrackableValue: this.highestTrackableValue,
    });
    h.merge(this);
    return h;
  }

  /** Converts a value in this histogram's unit to microseconds. */
  toMicros(value: number): number {
    return this.unit === "ns" ? value / 1000 : value;
  }

  /** The bench JSON summary: count, p50/p90/p99/p99.9/p99.99, max, mean and stddev in microseconds. */
  summary(): LatencySummary {
    const [p50, p90, p99, p999, p9999] = this.valuesAtPercentiles([50, 90, 99, 99.9, 99.99]);
    return {
      count: this.count,
      p50Us: round3(this.toMicros(p50!)),
      p90Us: round3(this.toMicros(p90!)),
      p99Us: round3(this.toMicros(p99!)),
      p999Us: round3(this.toMicros(p999!)),
      p9999Us: round3(this.toMicros(p9999!)),
      maxUs: round3(this.toMicros(this.maxValue)),
      meanUs: round3(this.toMicros(this.mean)),
      stddevUs: round3(this.toMicros(this.stddev)),
    };
  }

  /**
   * Percentile distribution as HdrHistogram prints it: `ticksPerHalfDistance` points in each halving of the
   * remaining distance to 100%, up to where the data runs out, then 100% (the max).
   */
  percentileDistribution(ticksPerHalfDistance = 5): PercentilePoint[] {
    if (this.count === 0) return [];
    const ps: number[] = [];
    let p = 0;
    // Stop once 1/(1-p) exceeds the count: finer percentiles would all repeat the max.
    while (p < 100 && (100 - p) / 100 >= 1 / this.count) {
      ps.push(p);
      const halvings = Math.floor(Math.log2(100 / (100 - p))) + 1;
      p += 100 / (ticksPerHalfDistance * 2 ** halvings);
    }
    ps.push(100);
    const values = this.valuesAtPercentiles(ps);
    return ps.map((percentile, i) => ({ percentile, valueUs: round3(this.toMicros(values[i]!)) }));
  }

  /** Number of recorded values at or below `value` (bucket resolution), e.g. for Prometheus `le` buckets. */
  countAtOrBelow(value: number): number {
    if (value < 0) return 0;
    if (value >= this.highestTrackableValue) return this.count;
    const last = this.indexOf(value);
    let total = 0;
    for (let i = 0; i < last; i++) total += this.counts[i]!;
    // The bucket containing `value` counts only when its whole range is at or below `value`.
    if (this.highestValueOfIndex(last) <= value) total += this.counts[last]!;
    return total;
  }

  /**
   * Copies the counts into an hdr-histogram-js histogram with the same layout (lossless). Uses the WebAssembly
   * build when `initHdrWasm()` succeeded and `useWebAssembly` is not false; call `destroy()` on the result then.
   * With `toNanos`, a microsecond histogram is scaled to nanoseconds (what HdrHistogram log tools expect).
   */
  toHdr(options: { useWebAssembly?: boolean; toNanos?: boolean; tag?: string } = {}): hdr.Histogram {
    const scale = options.toNanos === true && this.unit === "us" ? 1000 : 1;
    const h = hdr.build({
      bitBucketSize: 64,
      numberOfSignificantValueDigits: this.significantDigits,
      lowestDiscernibleValue: 1,
      highestTrackableValue: Math.max(this.highestTrackableValue * scale, 2),
      autoResize: true,
      useWebAssembly: (options.useWebAssembly ?? true) && hdrWasmReady,
    });
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (c > 0) h.recordValueWithCount(this.valueFromIndex(i) * scale, c);
    }
    if (options.tag !== undefined) h.tag = options.tag;
    return h;
  }
}

let hdrWasmReady = false;
let hdrWasmAttempt: Promise<boolean> | undefined;

/** Loads hdr-histogram-js's WebAssembly build once; false (JS build used) when it cannot load. */
export function initHdrWasm(): Promise<boolean> {
  hdrWasmAttempt ??= hdr.initWebAssembly().then(() => (hdrWasmReady = true), () => false);
  return hdrWasmAttempt;
}

/** Summary of an empty measure (all zeros). */
export function emptySummary(): LatencySummary {
  return { count: 0, p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, p9999Us: 0, maxUs: 0, meanUs: 0, stddevUs: 0 };
}
