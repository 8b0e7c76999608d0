/**
 * The `--html` report: one self-contained page (inline CSS and SVG; no script, font or CDN) that opens offline
 * and prints: figures, the percentile distribution plot, the throughput timeline and the configuration.
 */
import { formatEffectValue } from "../sys/types.ts";
import { formatCount, formatMicros } from "./format.ts";
import {
  escapeHtml,
  formatDurationUs,
  percentilePanelsSvg,
  type PercentileSeries,
  pointsFromSummary,
  timelineChartSvg,
} from "./svg.ts";
import { formatConfigValue, sessionCells } from "./terminal.ts";
import {
  type BenchReport,
  LATENCY_MEASURES,
  type LatencyMeasure,
  MEASURE_INCLUDES,
  MEASURE_LABELS,
} from "./types.ts";

/** Panel titles of the percentile plot: order -> fill says it includes the simulated market's time. */
export const PANEL_TITLES: Readonly<Record<LatencyMeasure, string>> = {
  orderToAck: "order -> ack",
  orderToFill:
    "order -> fill (includes the simulated market's time to cross a resting order: not engine latency)",
  cancelToAck: "cancel -> cancel ack",
  mdRequestToSnapshot: "md request -> snapshot",
};

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 960px;
  color: #111; background: #fff; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: #555; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.figures td { font-size: 15px; }
.bad { color: #b00020; font-weight: 600; }
.ok { color: #1b5e20; }
svg { display: block; margin: 8px 0; }
`;

/** A table from header cells and rows of [text, isNumber] cells. */
function table(
  header: readonly string[],
  rows: readonly (readonly (string | [string, "num" | "bad" | "ok"])[])[],
  numeric: readonly boolean[] = [],
): string {
  const th = header.map((h, i) => `<th${numeric[i] === true ? ' class="num"' : ""}>${escapeHtml(h)}</th>`)
    .join("");
  const body = rows.map((r) =>
    "<tr>" +
    r.map((cell, i) => {
      const [text, cls] = typeof cell === "string" ? [cell, numeric[i] === true ? "num" : undefined] : cell;
      return `<td${cls === undefined ? "" : ` class="${cls}"`}>${escapeHtml(text)}</td>`;
    }).join("") +
    "</tr>"
  ).join("\n");
  return `<table>\n<tr>${th}</tr>\n${body}\n</table>`;
}

/** The percentile series to plot: the recorded distribution, else points from the summary. */
export function percentileSeriesOf(report: BenchReport): PercentileSeries[] {
  const series: PercentileSeries[] = [];
  for (const m of LATENCY_MEASURES) {
    const summary = report.latency[m];
    const dist = report.latencyDistribution?.[m];
    if (dist !== undefined && dist.length > 0) series.push({ id: m, label: MEASURE_LABELS[m], points: dist });
    else if (summary !== undefined && summary.count > 0) {
      series.push({ id: m, label: MEASURE_LABELS[m], points: pointsFromSummary(summary) });
    }
  }
  return series;
}

/** Renders the complete HTML document. */
export function renderHtmlReport(report: BenchReport): string {
  const title = `fixg bench report ${report.startedAt}`;
  const parts: string[] = [];
  parts.push(
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>`,
  );
  parts.push(`<style>${STYLE}</style>\n</head>\n<body>`);
  parts.push(`<h1>fixg bench</h1>`);
  parts.push(
    `<div class="sub">${
      escapeHtml(
        `${report.tool} ${report.version} · started ${report.startedAt} · measured ${
          report.durationSec.toFixed(1)
        } s`,
      )
    }</div>`,
  );
  parts.push(`<table class="figures"><tr>${
    [
      ["sent", formatCount(report.sent)],
      ["acknowledged", formatCount(report.acknowledged)],
      ["rejected", formatCount(report.rejected)],
      ["lost", formatCount(report.lost)],
      ...(report.requestsPerSec === undefined
        ? [["throughput", `${formatCount(Math.round(report.throughputPerSec))}/s`]]
        : [
          ["requests/s (every kind)", formatCount(Math.round(report.requestsPerSec))],
          [
            "orders/s (new, acknowledged)",
            formatCount(Math.round(report.ordersPerSec ?? report.throughputPerSec)),
          ],
        ]),
    ].map(([k, v]) =>
      `<td>${escapeHtml(k!)}<br><b${k === "lost" && report.lost > 0 ? ' class="bad"' : ""}>${
        escapeHtml(v!)
      }</b></td>`
    ).join("")
  }</tr></table>`);
  if (report.lost > 0) {
    parts.push(`<p class="bad">${report.lost} order(s) lost: never answered after the grace period.</p>`);
  }

  parts.push(`<h2>Latency</h2>`);
  const latencyRows = LATENCY_MEASURES.flatMap((m) => {
    const s = report.latency[m];
    if (s === undefined) return [];
    return [[
      MEASURE_LABELS[m],
      formatCount(s.count),
      ...[s.p50Us, s.p90Us, s.p99Us, s.p999Us, s.p9999Us, s.maxUs, s.meanUs, s.stddevUs, s.p99Us - s.p50Us]
        .map(
          formatMicros,
        ),
    ]];
  });
  parts.push(
    latencyRows.length === 0 ? "<p>No responses measured.</p>" : table(
      ["µs", "count", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean", "stddev", "p99-p50"],
      latencyRows,
      [false, ...Array<boolean>(10).fill(true)],
    ),
  );
  if (report.sendLag !== undefined) {
    const g = report.sendLag;
    parts.push(
      `<p${g.rateHeld ? "" : ' class="bad"'}>${
        escapeHtml(
          `Generator send lag (actual - intended send time, ${g.method}): p50 ${
            formatDurationUs(g.p50Us)
          }, p99 ${formatDurationUs(g.p99Us)}, max ${formatDurationUs(g.maxUs)}: ${
            g.rateHeld
              ? `rate held (p99 ≤ ${g.boundUs} µs)`
              : `rate NOT held (p99 above ${g.boundUs} µs): the latencies include the generator's own lateness`
          }.`,
        )
      }</p>`,
    );
  }
  if (report.floor !== undefined) {
    const f = report.floor;
    parts.push(
      `<p>${
        escapeHtml(
          `Floor: a raw TCP echo (${f.server === "c" ? "C" : "Deno"} echo server, ${f.bytes} bytes, ${
            f.mode === "rate" ? `${formatCount(f.ratePerSec ?? 0)}/s` : "ping-pong"
          }, same placement) measured in the same run: p50 ${formatDurationUs(f.latency.p50Us)}, p99 ${
            formatDurationUs(f.latency.p99Us)
          }. fixg order -> ack is ${f.ratioP50.toFixed(1)}x the floor at p50 and ${
            f.ratioP99.toFixed(1)
          }x at p99.${
            f.backToBack === undefined
              ? ""
              : ` Back to back the echo's p50 is ${
                formatDurationUs(f.backToBack.latency.p50Us)
              }: at this rate the machine makes it ${f.backToBack.rateOverBackToBackP50.toFixed(1)}x slower.`
          }`,
        )
      }</p>`,
    );
  }
  if (report.pingPongReference !== undefined) {
    const p = report.pingPongReference;
    parts.push(
      `<p>${
        escapeHtml(
          `Ping-pong reference (same sessions, ${p.durationSec} s right after the load, one request in flight): order -> ack p50 ${
            formatDurationUs(p.p50Us)
          }, p99 ${formatDurationUs(p.p99Us)}; this run's order -> ack p50 is ${p.ratioP50.toFixed(1)}x it.`,
        )
      }</p>`,
    );
  }
  const measured = LATENCY_MEASURES.filter((m) => report.latency[m] !== undefined);
  if (measured.length > 0) {
    parts.push(
      `<p class="sub">What each measure includes (from the request's send time, the intended one in paced runs, to the read of the answer):</p>\n<ul class="sub">${
        measured.map((m) =>
          `<li><b>${escapeHtml(MEASURE_LABELS[m])}</b>: ${escapeHtml(MEASURE_INCLUDES[m])}</li>`
        )
          .join("")
      }</ul>`,
    );
  }
  const series = percentileSeriesOf(report);
  if (series.length > 0) {
    parts.push(`<h2>Latency by percentile</h2>`);
    parts.push(`<p class="sub">One panel per measure, each on its own log scale.</p>`);
    parts.push(percentilePanelsSvg(series, PANEL_TITLES));
  }
  if (report.timeline.length > 0) {
    parts.push(`<h2>Throughput</h2>`);
    parts.push(timelineChartSvg(report.timeline));
  }
  if (report.ramp !== undefined) {
    const r = report.ramp;
    parts.push(`<h2>Ramp</h2>`);
    parts.push(
      `<p>Highest rate sustained with p99 ≤ ${escapeHtml(formatMicros(r.latencyBoundUs))} µs: <b>${
        escapeHtml(formatCount(r.maxSustainedRatePerSec))
      }/s</b></p>`,
    );
    parts.push(table(
      ["target/s", "achieved/s", "p99 µs", "sustained"],
      r.steps.map((s) => [
        formatCount(s.ratePerSec),
        formatCount(Math.round(s.achievedPerSec)),
        formatMicros(s.p99Us),
        s.sustained ? ["yes", "ok"] : ["no", "bad"],
      ]),
      [true, true, true, false],
    ));
  }
  if (report.perSession.length > 0) {
    parts.push(`<h2>Sessions</h2>`);
    parts.push(table(
      ["session", "sent", "acknowledged", "rejected", "lost", "ack p50 µs", "ack p99 µs"],
      report.perSession.map((s) => {
        const row: (string | [string, "bad"])[] = sessionCells(s);
        if (s.lost > 0) row[4] = [formatCount(s.lost), "bad"];
        return row;
      }),
      [false, true, true, true, true, true, true],
    ));
  }
  parts.push(`<h2>Configuration</h2>`);
  parts.push(
    table(["setting", "value"], Object.entries(report.config).map(([k, v]) => [k, formatConfigValue(v)])),
  );
  if (report.effectiveSettings.length > 0) {
    parts.push(`<h2>Effective settings</h2>`);
    parts.push(table(
      ["knob", "requested", "effective", "ok", "note"],
      report.effectiveSettings.map((e) => [
        e.knob,
        formatEffectValue(e.requested),
        formatEffectValue(e.effective),
        e.ok ? ["yes", "ok"] : ["no", "bad"],
        e.warning ?? "",
      ]),
    ));
  }
  if (report.processes.length > 0) {
    parts.push(`<h2>Processes</h2>`);
    parts.push(table(
      ["role", "pid", "cpus"],
      report.processes.map((p) => [p.role, String(p.pid), formatEffectValue(p.cpus)]),
      [false, true, false],
    ));
  }
  if (report.notes !== undefined && report.notes.length > 0) {
    parts.push(`<h2>Notes</h2>\n<ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`);
  }
  parts.push(`</body>\n</html>\n`);
  return parts.join("\n");
}
