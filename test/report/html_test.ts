import assert from "node:assert/strict";
import {
  formatDurationUs,
  niceScale,
  percentileChartSvg,
  percentileToDecades,
  renderHtmlReport,
  sampleBenchReport,
} from "../../src/report/mod.ts";

Deno.test("the HTML report is one self-contained page with the percentile curve as inline SVG", () => {
  const report = sampleBenchReport();
  const html = renderHtmlReport(report);
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<link/i);
  assert.doesNotMatch(html, /\b(src|href)=/i);
  // The only URL is the SVG namespace, which is an identifier, not a fetch.
  assert.deepEqual([...new Set(html.match(/https?:\/\/[^"\s]+/g))], ["http://www.w3.org/2000/svg"]);
  const curves = [...html.matchAll(/<polyline class="curve" data-series="(\w+)"[^>]* points="([^"]+)"/g)];
  assert.deepEqual(curves.map((m) => m[1]), ["orderToAck", "orderToFill", "cancelToAck"]);
  const points = curves[0]![2]!.split(" ");
  assert.equal(points.length, report.latencyDistribution!.orderToAck!.length);
  for (const p of points) assert.match(p, /^\d+(\.\d+)?,\d+(\.\d+)?$/);
  // x grows with the percentile and y (downwards in SVG) shrinks as latency grows.
  const xy = points.map((p) => p.split(",").map(Number) as [number, number]);
  for (let i = 1; i < xy.length; i++) {
    assert.ok(xy[i]![0] > xy[i - 1]![0]);
    assert.ok(xy[i]![1] <= xy[i - 1]![1]);
  }
  for (const tick of ["0%", "90%", "99%", "99.9%", "99.99%"]) {
    assert.ok(html.includes(`>${tick}</text>`), tick);
  }
  assert.match(html, /<polyline class="rate" data-series="sent"/);
  assert.match(html, /<polyline class="rate" data-series="acked"/);
  assert.match(html, /<td>target<\/td><td>127\.0\.0\.1:9878<\/td>/);
  assert.match(html, /<td>cpu-affinity<\/td>/);
});

Deno.test("report text is escaped, never interpreted as markup", () => {
  const report = sampleBenchReport();
  const html = renderHtmlReport({ ...report, config: { target: '<script>alert("x")</script>' } });
  assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  assert.doesNotMatch(html, /<script/i);
});

Deno.test("without a recorded distribution the curve is drawn from the summary percentiles", () => {
  const report = sampleBenchReport();
  delete report.latencyDistribution;
  const html = renderHtmlReport(report);
  const m = /<polyline class="curve" data-series="orderToAck"[^>]* points="([^"]+)"/.exec(html)!;
  assert.equal(m[1]!.split(" ").length, 6); // p50, p90, p99, p99.9, p99.99, max
});

Deno.test("percentile axis: 1/(1-p) decades, 100% at the right edge; nice y scale", () => {
  assert.equal(percentileToDecades(0, 4), 0);
  assert.equal(percentileToDecades(90, 4), 1);
  assert.ok(Math.abs(percentileToDecades(99.9, 4) - 3) < 1e-9);
  assert.equal(percentileToDecades(100, 4), 4);
  assert.deepEqual(niceScale(87), { top: 100, step: 20 });
  assert.deepEqual(niceScale(1235), { top: 1250, step: 250 });
  const svg = percentileChartSvg([{
    id: "x",
    label: "x",
    points: [{ percentile: 0, valueUs: 1 }, { percentile: 100, valueUs: 2 }],
  }]);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="percentile-chart"/);
  assert.match(svg, /points="72,\d+(\.\d+)? 856,16"/);
});

Deno.test("percentile plot: one panel per measure on a log y-axis in human units; order -> fill says it includes market time", () => {
  const report = sampleBenchReport();
  // A fill tail of seconds (the simulated market crossing resting orders) next to acks of tens of µs.
  report.latencyDistribution!.orderToFill = [
    { percentile: 0, valueUs: 30 },
    { percentile: 50, valueUs: 45 },
    { percentile: 90, valueUs: 800_000 },
    { percentile: 99, valueUs: 2_500_000 },
    { percentile: 100, valueUs: 3_000_000 },
  ];
  const html = renderHtmlReport(report);
  const panels = [...html.matchAll(/<svg [^>]*class="percentile-chart"[^>]*>([\s\S]*?)<\/svg>/g)];
  assert.equal(panels.length, 3);
  const curvesPerPanel = panels.map((p) => [...p[1]!.matchAll(/data-series="(\w+)"/g)].map((m) => m[1]));
  assert.deepEqual(curvesPerPanel, [["orderToAck"], ["orderToFill"], ["cancelToAck"]]);
  const titles = panels.map((p) => /<text class="panel-title"[^>]*>([^<]*)<\/text>/.exec(p[1]!)![1]);
  assert.deepEqual(titles, [
    "order -&gt; ack",
    "order -&gt; fill (includes the simulated market&#39;s time to cross a resting order: not engine latency)",
    "cancel -&gt; cancel ack",
  ]);
  // y labels in µs, ms and s; never raw microsecond counts such as 3000000.
  const fillLabels = [...panels[1]![1]!.matchAll(/text-anchor="end"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.ok(fillLabels.includes("100 µs"), fillLabels.join(" | "));
  assert.ok(fillLabels.includes("1 ms"), fillLabels.join(" | "));
  assert.ok(fillLabels.includes("1 s"), fillLabels.join(" | "));
  for (const p of panels) assert.doesNotMatch(p[1]!, />[\d.]+<\/text>/); // every latency label has a unit
  // Log scale: 30 µs and 45 µs stay apart (on a linear axis to 3 s they were the same pixel row).
  const fill = /points="([^"]+)"/.exec(panels[1]![1]!)![1]!.split(" ").map((p) => p.split(",").map(Number));
  const ys = fill.map((p) => p[1]!);
  assert.ok(ys[0]! - ys[1]! > 3, `p0 at y ${ys[0]}, p50 at y ${ys[1]}`);
  assert.equal(formatDurationUs(850), "850 µs");
  assert.equal(formatDurationUs(2500), "2.5 ms");
  assert.equal(formatDurationUs(3_000_000), "3 s");
});

Deno.test("the HTML report shows requests/s and orders/s, the send lag verdict, the floor and the ping-pong reference", () => {
  const report = {
    ...sampleBenchReport(),
    requestsPerSec: 1000,
    ordersPerSec: 490,
    sendLag: {
      p50Us: 3,
      p99Us: 4200,
      maxUs: 9000,
      count: 5000,
      boundUs: 200,
      rateHeld: false,
      method: "usleep+spin",
    },
    floor: {
      server: "c" as const,
      bytes: 154,
      mode: "rate",
      ratePerSec: 1000,
      durationSec: 2,
      cpus: [0],
      latency: {
        count: 2000,
        p50Us: 25,
        p90Us: 30,
        p99Us: 60,
        p999Us: 90,
        p9999Us: 99,
        maxUs: 100,
        meanUs: 27,
        stddevUs: 5,
      },
      ratioP50: 2.2,
      ratioP99: 3.1,
      backToBack: {
        latency: {
          count: 9000,
          p50Us: 14,
          p90Us: 16,
          p99Us: 20,
          p999Us: 30,
          p9999Us: 40,
          maxUs: 50,
          meanUs: 15,
          stddevUs: 2,
        },
        rateOverBackToBackP50: 1.79,
      },
    },
    pingPongReference: { durationSec: 2, count: 9000, p50Us: 60, p99Us: 120, ratioP50: 1.8 },
  };
  const html = renderHtmlReport(report);
  assert.match(
    html,
    /<td>requests\/s \(every kind\)<br><b>1000<\/b><\/td><td>orders\/s \(new, acknowledged\)<br><b>490<\/b><\/td>/,
  );
  assert.match(
    html,
    /<p class="bad">Generator send lag \(actual - intended send time, usleep\+spin\): p50 3 µs, p99 4\.2 ms, max 9 ms: rate NOT held/,
  );
  assert.match(
    html,
    /Floor: a raw TCP echo \(C echo server, 154 bytes, 1000\/s, same placement\) measured in the same run: p50 25 µs, p99 60 µs\. fixg order -&gt; ack is 2\.2x the floor at p50 and 3\.1x at p99\. Back to back the echo&#39;s p50 is 14 µs: at this rate the machine makes it 1\.8x slower\./,
  );
  assert.match(
    html,
    /Ping-pong reference .*order -&gt; ack p50 60 µs, p99 120 µs; this run&#39;s order -&gt; ack p50 is 1\.8x it\./,
  );
});

Deno.test("per-session rows: the same cells in the terminal and the HTML report, lost > 0 marked bad in HTML", async () => {
  const { renderTerminalSummary } = await import("../../src/report/mod.ts");
  const report = sampleBenchReport();
  const s0 = report.perSession[0]!;
  report.perSession.push({ ...s0, sessionId: "S2", lost: 3 }, { ...s0, sessionId: "S3", latency: {} });
  const html = renderHtmlReport(report);
  assert.ok(
    html.includes(
      `<tr><td>S2</td><td class="num">50000</td><td class="num">50000</td><td class="num">0</td><td class="bad">3</td><td class="num">27.0</td><td class="num">61.9</td></tr>`,
    ),
  );
  assert.ok(html.includes(`<td class="num">0</td><td class="num">-</td><td class="num">-</td></tr>`));
  const text = renderTerminalSummary(report).split("\n");
  assert.ok(text.some((l) => /^S2 +50000 +50000 +0 +3 +27\.0 +61\.9$/.test(l)), text.join("\n"));
  assert.ok(text.some((l) => /^S3 +50000 +50000 +0 +0 +- +-$/.test(l)));
});
