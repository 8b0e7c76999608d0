import assert from "node:assert/strict";
import * as hdr from "hdr-histogram-js";
import { formatHdrLog, LatencyHistogram, sanitizeHdrTag } from "../../src/metrics/mod.ts";
import { VERSION } from "../../src/version.ts";

Deno.test("formatHdrLog writes HistogramLogWriter's format and hdr-histogram-js reads it back", () => {
  const ack = new LatencyHistogram({ unit: "ns" });
  const fill = new LatencyHistogram({ unit: "us" });
  for (let i = 1; i <= 1000; i++) {
    ack.record(i * 100); // 0.1 .. 100 µs in ns
    fill.record(i); // 1 .. 1000 µs
  }
  const startMs = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
  const log = formatHdrLog([
    { tag: "orderToAck", startMs, endMs: startMs + 10_000, histogram: ack },
    { tag: "order to fill", startMs: startMs + 500, endMs: startMs + 10_000, histogram: fill },
  ], { startTimeMs: startMs, comments: ["fixg bench --ping-pong"] });
  const lines = log.split("\n");
  assert.deepEqual(lines.slice(0, 6), [
    `#[Logged with fixg ${VERSION}]`,
    "#fixg bench --ping-pong",
    "#[Histogram log format version 1.3]",
    "#[StartTime: 1735787045.678 (seconds since epoch), 2025-01-02T03:04:05.678Z]",
    "#[BaseTime: 1735787045.678 (seconds since epoch)]",
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
  ]);
  assert.match(lines[6]!, /^Tag=orderToAck,0\.000,10\.000,0\.100,HISTF[A-Za-z0-9+/=]+$/);
  assert.match(lines[7]!, /^Tag=order_to_fill,0\.500,9\.500,1\.000,HISTF[A-Za-z0-9+/=]+$/);
  assert.equal(lines[8], "");

  assert.deepEqual(hdr.listTags(log), ["orderToAck", "order_to_fill"]);
  const reader = new hdr.HistogramLogReader(log);
  const first = reader.nextIntervalHistogram()!;
  assert.equal(first.tag, "orderToAck");
  assert.equal(first.totalCount, 1000);
  assert.equal(first.maxValue, 100_031); // highest value equivalent to 100 000 ns at 3 digits
  assert.equal(first.getValueAtPercentile(50), ack.percentile(50));
  assert.equal(first.startTimeStampMsec, startMs);
  const second = reader.nextIntervalHistogram()!;
  assert.equal(second.tag, "order_to_fill");
  assert.equal(second.totalCount, 1000);
  // Microsecond histograms are written in nanoseconds, the unit HdrHistogram log tools assume: 500 µs is
  // 500 000 ns, whose 3-digit bucket is 499 968..500 223.
  assert.equal(second.getValueAtPercentile(50), 500_223);
  assert.equal(reader.nextIntervalHistogram(), null);

  const decoded = hdr.decodeFromCompressedBase64(lines[6]!.split(",")[4]!);
  assert.equal(decoded.totalCount, 1000);
});

Deno.test("sanitizeHdrTag keeps tags inside the comma-separated line format", () => {
  assert.equal(sanitizeHdrTag("a,b c=d"), "a_b_c_d");
  assert.equal(sanitizeHdrTag("FIX.4.4:A->B"), "FIX.4.4:A-_B");
});
