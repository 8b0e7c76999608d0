import assert from "node:assert/strict";
import {
  formatHdrLog,
  formatProgressLine,
  ProgressLine,
  type ProgressState,
  renderHistogramLog,
  renderLatencyTable,
  renderTerminalSummary,
  sampleBenchReport,
} from "../../src/report/mod.ts";
import * as hdr from "hdr-histogram-js";
import { LatencyHistogram } from "../../src/metrics/mod.ts";

Deno.test("terminal summary: accounting line, aligned latency table, settings and processes", () => {
  const text = renderTerminalSummary(sampleBenchReport());
  const lines = text.split("\n");
  assert.equal(lines[2], "orders: sent 50000  acknowledged 50000  rejected 0  lost 0  throughput 5000/s");
  const header = lines.find((l) => l.startsWith("latency (µs)"))!;
  const ack = lines.find((l) => l.startsWith("order -> ack"))!;
  // Right-aligned numeric columns end where their headers end.
  for (const col of ["count", "p50", "p99", "p99.99", "max", "p99-p50"]) {
    const end = header.indexOf(col === "p99" ? "p99  " : col) + col.length;
    assert.match(ack.slice(0, end), /\d$/, `column ${col}`);
  }
  assert.match(text, /^cpu-affinity +0 +0 +yes$/m);
  assert.match(text, /^mlockall +on +off +NO +mlockall is not used/m);
  assert.match(text, /^generator +4242 +0$/m);
  assert.doesNotMatch(text, /ERROR/);
  assert.match(renderTerminalSummary({ ...sampleBenchReport(), lost: 3 }), /^ERROR: 3 order\(s\) lost/m);
  assert.equal(renderLatencyTable({ latency: {} }), "latency: no responses measured");
});

const state: ProgressState = {
  phase: "run",
  elapsedSec: 2.5,
  totalSec: 10,
  sent: 12500,
  acknowledged: 12490,
  ratePerSec: 4996.4,
  p99Us: 61.23,
};

Deno.test("formatProgressLine draws a bar with counts, rate and p99", () => {
  assert.equal(
    formatProgressLine(state, 20),
    "run  [#####---------------]   25%  2.5/10.0 s  sent 12500  acked 12490  4996/s  p99 61.2 µs",
  );
  assert.equal(
    formatProgressLine({ phase: "warmup", elapsedSec: 1, sent: 5, acknowledged: 4 }),
    "warmup  1.0 s  sent 5  acked 4",
  );
});

Deno.test("ProgressLine on a terminal redraws in place, throttled, and ends the line on finish", () => {
  const out: string[] = [];
  let now = 0;
  const p = new ProgressLine({ isTerminal: true, write: (t) => out.push(t), nowMs: () => now });
  p.update(state);
  now = 50;
  p.update(state); // throttled
  now = 100;
  p.update({ ...state, elapsedSec: 3 });
  p.finish({ ...state, elapsedSec: 10 });
  assert.equal(out.length, 4);
  assert.ok(out.slice(0, 3).every((t) => t.startsWith("\r\x1b[2K") && !t.includes("\n")));
  assert.equal(out[3], "\n");
});

Deno.test("ProgressLine without a terminal prints plain lines every few seconds", () => {
  const out: string[] = [];
  let now = 0;
  const p = new ProgressLine({
    isTerminal: false,
    write: (t) => out.push(t),
    nowMs: () => now,
    plainIntervalMs: 5000,
  });
  for (now = 0; now <= 12_000; now += 100) p.update(state);
  p.finish(state);
  assert.equal(out.length, 4); // at 0, 5000, 10000 and the final one
  assert.ok(out.every((t) => t.endsWith("\n") && !t.includes("\r") && !t.includes("\x1b")));
});

Deno.test("renderHistogramLog writes one tagged interval per measure that hdr-histogram-js reads back", () => {
  const ack = new LatencyHistogram();
  for (let i = 1; i <= 100; i++) ack.record(i * 1000);
  const log = renderHistogramLog({ orderToAck: ack, orderToFill: new LatencyHistogram() }, {
    startTimeMs: 1_700_000_000_000,
    endTimeMs: 1_700_000_010_000,
  });
  assert.deepEqual(hdr.listTags(log), ["orderToAck"]);
  const h = new hdr.HistogramLogReader(log).nextIntervalHistogram()!;
  assert.equal(h.totalCount, 100);
  assert.equal(h.getValueAtPercentile(99), 99_007); // 99 µs in ns, highest equivalent at 3 digits
  assert.equal(formatHdrLog([], { startTimeMs: 0 }).split("\n").length, 6);
});
