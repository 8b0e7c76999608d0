/**
 * Inline SVG charts for the HTML report: the HdrHistogram-style percentile distribution, one panel per measure
 * (x: 1/(1-p) on a log scale, so 90%, 99%, 99.9%, 99.99% are evenly spaced; y: latency on a log scale in µs, ms
 * and s) and the throughput timeline.
 */
import type { LatencySummary, PercentilePoint } from "../metrics/histogram.ts";
import type { TimelinePoint } from "./types.ts";

/** One curve of the percentile plot. */
export interface PercentileSeries {
  /** Legend label. */
  label: string;
  /** Identifier put in the polyline's data-series attribute. */
  id: string;
  /** Points in ascending percentile order. */
  points: readonly PercentilePoint[];
  /** Stroke colour (default: by position). */
  color?: string;
}

/** Size of a chart. */
export interface ChartSize {
  width: number;
  height: number;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const MARGIN = { left: 72, right: 44, top: 16, bottom: 52 };

/** Escapes text for HTML/SVG content and attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Coordinates with at most 2 decimals keep the markup small. */
function c(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** A "nice" upper bound and tick step for 0..max (1, 2, 2.5, 5 x 10^k). */
export function niceScale(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step - 1e-9) * step, step };
}

/** Label of a tick value without float noise. */
function tickLabel(v: number): string {
  return String(Math.round(v * 1e6) / 1e6);
}

/** Percentile points reconstructed from a summary when no full distribution was recorded. */
export function pointsFromSummary(s: LatencySummary): PercentilePoint[] {
  return [
    { percentile: 50, valueUs: s.p50Us },
    { percentile: 90, valueUs: s.p90Us },
    { percentile: 99, valueUs: s.p99Us },
    { percentile: 99.9, valueUs: s.p999Us },
    { percentile: 99.99, valueUs: s.p9999Us },
    { percentile: 100, valueUs: s.maxUs },
  ];
}

/** x position (in decades) of a percentile: log10(1/(1-p)); 100% goes to the right edge `decades`. */
export function percentileToDecades(percentile: number, decades: number): number {
  if (percentile >= 100) return decades;
  return Math.min(Math.log10(100 / (100 - percentile)), decades);
}

/** Percentile tick labels: 0%, 90%, 99%, 99.9%, ... for each decade. */
function decadeLabel(d: number): string {
  if (d === 0) return "0%";
  return `${(100 - 100 / 10 ** d).toFixed(Math.max(d - 2, 0))}%`;
}

/** What the two charts share: the svg element, background, grid with tick labels, plot border, axis titles. */
interface ChartFrame {
  cls: string;
  aria: string;
  size: { width: number; height: number };
  /** y of the plot's top edge (default MARGIN.top). */
  top?: number;
  plotW: number;
  plotH: number;
  /** Vertical grid lines: x in pixels and the label under the axis. */
  xTicks: Array<{ x: number; label: string }>;
  /** Horizontal grid lines: y in pixels and the label left of the axis. */
  yTicks: Array<{ y: number; label: string }>;
  xTitle: string;
  yTitle: string;
}

function chartFrame(parts: string[], f: ChartFrame): void {
  const { size, plotW, plotH } = f;
  const top = f.top ?? MARGIN.top;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="${f.cls}" width="${size.width}" height="${size.height}" viewBox="0 0 ${size.width} ${size.height}" role="img" aria-label="${f.aria}">`,
  );
  parts.push(`<rect x="0" y="0" width="${size.width}" height="${size.height}" fill="#ffffff"/>`);
  for (const t of f.xTicks) {
    parts.push(
      `<line x1="${c(t.x)}" y1="${top}" x2="${c(t.x)}" y2="${top + plotH}" stroke="#e0e0e0"/>`,
    );
    parts.push(
      `<text x="${c(t.x)}" y="${
        top + plotH + 18
      }" text-anchor="middle" font-size="12" fill="#333">${t.label}</text>`,
    );
  }
  for (const t of f.yTicks) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${c(t.y)}" x2="${MARGIN.left + plotW}" y2="${
        c(t.y)
      }" stroke="#e0e0e0"/>`,
    );
    parts.push(
      `<text x="${MARGIN.left - 8}" y="${
        c(t.y + 4)
      }" text-anchor="end" font-size="12" fill="#333">${t.label}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
  );
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${
      size.height - 10
    }" text-anchor="middle" font-size="13" fill="#111">${f.xTitle}</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${
      top + plotH / 2
    }) rotate(-90)" text-anchor="middle" font-size="13" fill="#111">${f.yTitle}</text>`,
  );
}

/** A latency in human units: 850 µs, 2.5 ms, 1.2 s (µs below 1 ms, ms below 1 s). */
export function formatDurationUs(us: number): string {
  const trim = (v: number) => String(Math.round(v * 100) / 100);
  if (!(us > 0)) return "0";
  if (us < 1) return `${Math.round(us * 1000)} ns`;
  if (us < 1000) return `${trim(us < 10 ? us : Math.round(us * 10) / 10)} µs`;
  if (us < 1e6) return `${trim(us / 1000)} ms`;
  return `${trim(us / 1e6)} s`;
}

/** Ticks of a log axis from lo to hi (both > 0): 1, 2, 5 x 10^k, thinned to 1 x 10^k over many decades. */
export function logTicks(lo: number, hi: number): number[] {
  const d0 = Math.floor(Math.log10(lo));
  const d1 = Math.ceil(Math.log10(hi));
  const steps = d1 - d0 <= 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let d = d0; d <= d1; d++) {
    for (const m of steps) {
      const v = m * 10 ** d;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(Number(v.toPrecision(3)));
    }
  }
  return out;
}

/** Options of one percentile panel. */
export interface PercentileChartOptions {
  /** Panel title above the plot (e.g. the measure and what it includes). */
  title?: string;
}

/**
 * The percentile distribution chart of one or more series: x is the HdrHistogram percentile axis (1/(1-p) on
 * a log scale, so 90%, 99%, 99.9% are evenly spaced), y the latency on a log scale with human units (µs, ms,
 * s), so a p50 of 200 µs and a max of 3 s are both readable.
 */
export function percentileChartSvg(
  series: readonly PercentileSeries[],
  size: ChartSize = { width: 900, height: 420 },
  options: PercentileChartOptions = {},
): string {
  const top = options.title === undefined ? MARGIN.top : MARGIN.top + 18;
  const plotW = size.width - MARGIN.left - MARGIN.right;
  const plotH = size.height - top - MARGIN.bottom;
  let decades = 4; // always show up to 99.99%
  let maxUs = 0;
  let minUs = Infinity;
  for (const s of series) {
    for (const p of s.points) {
      if (p.percentile < 100) {
        decades = Math.max(decades, Math.ceil(Math.log10(100 / (100 - p.percentile)) - 1e-9));
      }
      maxUs = Math.max(maxUs, p.valueUs);
      if (p.valueUs > 0) minUs = Math.min(minUs, p.valueUs);
    }
  }
  decades = Math.min(decades, 7);
  if (!Number.isFinite(minUs)) minUs = 1;
  if (!(maxUs > minUs)) maxUs = minUs * 10;
  // The y range: the 1-2-5 steps around the data, so the curve never touches the frame.
  const lo = [1, 2, 5].map((m) => m * 10 ** Math.floor(Math.log10(minUs))).filter((v) => v <= minUs).at(-1)!;
  const hi = [1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(maxUs))).find((v) => v >= maxUs)!;
  const logLo = Math.log10(lo);
  const span = Math.max(Math.log10(hi) - logLo, 1e-9);
  const xOf = (p: number) => MARGIN.left + (percentileToDecades(p, decades) / decades) * plotW;
  const yOf = (v: number) => top + plotH - ((Math.log10(Math.max(v, lo)) - logLo) / span) * plotH;
  const parts: string[] = [];
  const sizeWithTitle = { width: size.width, height: size.height };
  chartFrame(parts, {
    cls: "percentile-chart",
    aria: options.title ?? "Latency by percentile",
    size: sizeWithTitle,
    top,
    plotW,
    plotH,
    xTicks: Array.from(
      { length: decades + 1 },
      (_, d) => ({ x: MARGIN.left + (d / decades) * plotW, label: decadeLabel(d) }),
    ),
    yTicks: logTicks(lo, hi).map((v) => ({ y: yOf(v), label: formatDurationUs(v) })),
    xTitle: "percentile (HdrHistogram axis: log scale of 1/(1-p))",
    yTitle: "latency (log scale)",
  });
  if (options.title !== undefined) {
    parts.push(
      `<text class="panel-title" x="${MARGIN.left}" y="${
        MARGIN.top + 4
      }" font-size="14" font-weight="600" fill="#111">${escapeHtml(options.title)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length]!;
    const pts = s.points.map((p) => `${c(xOf(p.percentile))},${c(yOf(p.valueUs))}`).join(" ");
    parts.push(
      `<polyline class="curve" data-series="${
        escapeHtml(s.id)
      }" fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`,
    );
    const ly = top + 14 + i * 18;
    parts.push(
      `<line x1="${MARGIN.left + 12}" y1="${ly - 4}" x2="${MARGIN.left + 36}" y2="${
        ly - 4
      }" stroke="${color}" stroke-width="3"/>`,
    );
    parts.push(
      `<text x="${MARGIN.left + 42}" y="${ly}" font-size="12" fill="#111">${escapeHtml(s.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** One panel per series (each measure on its own scale), in the series' colours. */
export function percentilePanelsSvg(
  series: readonly PercentileSeries[],
  titles: Readonly<Record<string, string>> = {},
  size: ChartSize = { width: 900, height: 260 },
): string {
  return series.map((s, i) =>
    percentileChartSvg([{ ...s, color: s.color ?? COLORS[i % COLORS.length]! }], size, {
      title: titles[s.id] ?? s.label,
    })
  ).join("\n");
}

/** The throughput timeline: sent and acknowledged per second for each interval. */
export function timelineChartSvg(
  timeline: readonly TimelinePoint[],
  size: ChartSize = { width: 900, height: 300 },
): string {
  const plotW = size.width - MARGIN.left - MARGIN.right;
  const plotH = size.height - MARGIN.top - MARGIN.bottom;
  const rates = timeline.map((p, i) => {
    const prev = i === 0 ? 0 : timeline[i - 1]!.tSec;
    const dt = p.tSec - prev > 0 ? p.tSec - prev : 1;
    return { tSec: p.tSec, sent: p.sent / dt, acked: p.acked / dt };
  });
  const maxT = rates.length === 0 ? 1 : Math.max(rates.at(-1)!.tSec, 1e-9);
  const maxRate = Math.max(0, ...rates.map((r) => Math.max(r.sent, r.acked)));
  const y = niceScale(maxRate);
  const x = niceScale(maxT, 10);
  const xOf = (t: number) => MARGIN.left + (t / x.top) * plotW;
  const yOf = (v: number) => MARGIN.top + plotH - (v / y.top) * plotH;
  const parts: string[] = [];
  const xTicks: Array<{ x: number; label: string }> = [];
  for (let t = 0; t <= x.top + 1e-9; t += x.step) xTicks.push({ x: xOf(t), label: tickLabel(t) });
  const yTicks: Array<{ y: number; label: string }> = [];
  for (let v = 0; v <= y.top + 1e-9; v += y.step) yTicks.push({ y: yOf(v), label: tickLabel(v) });
  chartFrame(parts, {
    cls: "timeline-chart",
    aria: "Throughput over time",
    size,
    plotW,
    plotH,
    xTicks,
    yTicks,
    xTitle: "time (s)",
    yTitle: "orders/s",
  });
  // "sent" is dashed and drawn last: at a steady rate it lies exactly on "acked" and would vanish under it.
  const lines: Array<[string, string, string, (r: (typeof rates)[number]) => number]> = [
    ["acked", COLORS[2]!, "", (r) => r.acked],
    ["sent", COLORS[0]!, ' stroke-dasharray="6 4"', (r) => r.sent],
  ];
  lines.forEach(([name, color, dash, pick], i) => {
    const pts = rates.map((r) => `${c(xOf(r.tSec))},${c(yOf(pick(r)))}`).join(" ");
    parts.push(
      `<polyline class="rate" data-series="${name}" fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts}"/>`,
    );
    const lx = MARGIN.left + 12 + i * 90;
    parts.push(
      `<line x1="${lx}" y1="${MARGIN.top + 10}" x2="${lx + 24}" y2="${
        MARGIN.top + 10
      }" stroke="${color}" stroke-width="3"/>`,
    );
    parts.push(`<text x="${lx + 30}" y="${MARGIN.top + 14}" font-size="12" fill="#111">${name}/s</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
