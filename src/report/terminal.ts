/** The terminal summary `fixg bench` prints at the end of a run: aligned tables, no colour codes. */
import { formatEffectValue } from "../sys/types.ts";
import { formatCount, formatMicros, formatTable } from "./format.ts";
import { type BenchReport, type ConfigValue, LATENCY_MEASURES, MEASURE_LABELS } from "./types.ts";

/** A config value as one short string. */
export function formatConfigValue(v: ConfigValue): string {
  if (v === null) return "-";
  if (Array.isArray(v)) return v.join(",");
  return String(v);
}

/** The latency table: one row per measure with percentiles, max, mean, stddev and jitter (p99 - p50). */
export function renderLatencyTable(report: Pick<BenchReport, "latency">): string {
  const rows: string[][] = [];
  for (const m of LATENCY_MEASURES) {
    const s = report.latency[m];
    if (s === undefined) continue;
    rows.push([
      MEASURE_LABELS[m],
      formatCount(s.count),
      ...[s.p50Us, s.p90Us, s.p99Us, s.p999Us, s.p9999Us, s.maxUs, s.meanUs, s.stddevUs, s.p99Us - s.p50Us]
        .map(
          formatMicros,
        ),
    ]);
  }
  if (rows.length === 0) return "latency: no responses measured";
  return formatTable(
    ["latency (µs)", "count", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean", "stddev", "p99-p50"],
    rows,
    ["left", ...Array<"right">(10).fill("right")],
  );
}

/** The full end-of-run summary. */
export function renderTerminalSummary(report: BenchReport): string {
  const out: string[] = [];
  out.push(
    `${report.tool} ${report.version}  started ${report.startedAt}  measured ${
      report.durationSec.toFixed(1)
    } s`,
  );
  const config = Object.entries(report.config).map(([k, v]) => `${k}=${formatConfigValue(v)}`);
  if (config.length > 0) out.push(`config: ${config.join("  ")}`);
  out.push(
    `orders: sent ${report.sent}  acknowledged ${report.acknowledged}  rejected ${report.rejected}  lost ${report.lost}` +
      `  throughput ${formatCount(Math.round(report.throughputPerSec * 10) / 10)}/s`,
  );
  out.push("", renderLatencyTable(report));
  if (report.ramp !== undefined) {
    const r = report.ramp;
    out.push(
      "",
      `ramp: highest rate sustained with p99 <= ${
        formatMicros(r.latencyBoundUs)
      } µs: ${r.maxSustainedRatePerSec}/s`,
      formatTable(
        ["target/s", "achieved/s", "p99 µs", "sustained"],
        r.steps.map((s) => [
          formatCount(s.ratePerSec),
          formatCount(Math.round(s.achievedPerSec)),
          formatMicros(s.p99Us),
          s.sustained ? "yes" : "no",
        ]),
        ["right", "right", "right", "left"],
      ),
    );
  }
  if (report.perSession.length > 1) {
    out.push(
      "",
      formatTable(
        ["session", "sent", "acked", "rejected", "lost", "ack p50 µs", "ack p99 µs"],
        report.perSession.map((s) => [
          s.sessionId,
          formatCount(s.sent),
          formatCount(s.acknowledged),
          formatCount(s.rejected),
          formatCount(s.lost),
          s.latency.orderToAck === undefined ? "-" : formatMicros(s.latency.orderToAck.p50Us),
          s.latency.orderToAck === undefined ? "-" : formatMicros(s.latency.orderToAck.p99Us),
        ]),
        ["left", "right", "right", "right", "right", "right", "right"],
      ),
    );
  }
  if (report.effectiveSettings.length > 0) {
    out.push(
      "",
      formatTable(
        ["setting", "requested", "effective", "ok", "note"],
        report.effectiveSettings.map((e) => [
          e.knob,
          formatEffectValue(e.requested),
          formatEffectValue(e.effective),
          e.ok ? "yes" : "NO",
          e.warning ?? "",
        ]),
        ["left", "left", "left", "left", "left"],
      ),
    );
  }
  if (report.processes.length > 0) {
    out.push(
      "",
      formatTable(
        ["process", "pid", "cpus"],
        report.processes.map((p) => [p.role, String(p.pid), formatEffectValue(p.cpus)]),
        ["left", "right", "left"],
      ),
    );
  }
  if (report.notes !== undefined && report.notes.length > 0) {
    out.push("", ...report.notes.map((note) => `note: ${note}`));
  }
  if (report.lost > 0) {
    out.push("", `ERROR: ${report.lost} order(s) lost (never answered after the grace period)`);
  }
  return out.join("\n") + "\n";
}
