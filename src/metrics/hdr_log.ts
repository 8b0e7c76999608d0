/**
 * HdrHistogram's standard interval log, as Java's HistogramLogWriter writes it (format version 1.3), so
 * HistogramLogProcessor, HdrHistogramVisualizer and hdr-histogram-js's HistogramLogReader can read fixg's
 * latencies. Values in the log are nanoseconds (what those tools assume); Interval_Max is in milliseconds.
 */
import * as hdr from "hdr-histogram-js";
import { VERSION } from "../version.ts";
import type { LatencyHistogram } from "./histogram.ts";

/** One interval line of the log. */
export interface HdrLogInterval {
  /** Tag naming the series (e.g. "orderToAck"); characters other than [A-Za-z0-9_.:-] become "_". */
  tag?: string;
  /** Interval start, epoch milliseconds. */
  startMs: number;
  /** Interval end, epoch milliseconds. */
  endMs: number;
  /** The latencies recorded in the interval. */
  histogram: LatencyHistogram;
}

/** Options of the log header. */
export interface HdrLogOptions {
  /** Run start, epoch milliseconds: written as StartTime and BaseTime; interval times are relative to it. */
  startTimeMs: number;
  /** Extra comment lines (without "#"). */
  comments?: readonly string[];
}

const LOG_FORMAT_VERSION = "1.3";
/** HdrHistogram tools print nanosecond logs in milliseconds: the Interval_Max column uses the same ratio. */
const MAX_VALUE_UNIT_RATIO = 1_000_000;

/** Formats a number with 3 decimals, as the Java writer's "%.3f". */
function fixed3(v: number): string {
  return v.toFixed(3);
}

/** Tags cannot contain the separators of the line format. */
export function sanitizeHdrTag(tag: string): string {
  return tag.replace(/[^A-Za-z0-9_.:-]/g, "_");
}

/** Renders a complete HdrHistogram interval log (header, legend, one line per interval). */
export function formatHdrLog(intervals: readonly HdrLogInterval[], options: HdrLogOptions): string {
  const startSec = options.startTimeMs / 1000;
  const lines: string[] = [`#[Logged with fixg ${VERSION}]`];
  for (const c of options.comments ?? []) lines.push(`#${c.replace(/[\r\n]+/g, " ")}`);
  lines.push(`#[Histogram log format version ${LOG_FORMAT_VERSION}]`);
  lines.push(
    `#[StartTime: ${fixed3(startSec)} (seconds since epoch), ${new Date(options.startTimeMs).toISOString()}]`,
  );
  lines.push(`#[BaseTime: ${fixed3(startSec)} (seconds since epoch)]`);
  lines.push(`"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"`);
  for (const interval of intervals) lines.push(formatHdrLogLine(interval, options.startTimeMs));
  return lines.join("\n") + "\n";
}

/** One interval line: `[Tag=T,]start,length,max,base64` with times relative to `baseTimeMs`. */
export function formatHdrLogLine(interval: HdrLogInterval, baseTimeMs: number): string {
  const h = interval.histogram.toHdr({ toNanos: true });
  try {
    const base64 = hdr.encodeIntoCompressedBase64(h);
    const maxNs = interval.histogram.unit === "us"
      ? interval.histogram.maxValue * 1000
      : interval.histogram.maxValue;
    const body = [
      fixed3((interval.startMs - baseTimeMs) / 1000),
      fixed3((interval.endMs - interval.startMs) / 1000),
      fixed3(maxNs / MAX_VALUE_UNIT_RATIO),
      base64,
    ].join(",");
    return interval.tag === undefined ? body : `Tag=${sanitizeHdrTag(interval.tag)},${body}`;
  } finally {
    h.destroy();
  }
}
