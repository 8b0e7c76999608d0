/** The terminal summary `fixg bench` prints at the end of a run: aligned tables, no colour codes. */
import { formatEffectValue } from "../sys/types.ts";
import { formatCount, formatMicros, formatTable } from "./format.ts";
import {
  type BenchReport,
  type ConfigValue,
  LATENCY_MEASURES,
  MEASURE_INCLUDES,
  MEASURE_LABELS,
  type SessionReport,
} from "./types.ts";

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
  const rate = (n: number) => formatCount(Math.round(n * 10) / 10);
  if (report.requestsPerSec !== undefined) {
    out.push(
      `throughput: ${rate(report.requestsPerSec)} requests/s answered (every kind), ${
        rate(report.ordersPerSec ?? report.throughputPerSec)
      } orders/s acknowledged (new orders only)`,
    );
  }
  const q = report.requests;
  if (q !== undefined) {
    out.push(
      `requests: sent ${q.sent} (${q.newOrders} new, ${q.cancels} cancel, ${q.replaces} replace, ${q.marketData} md)` +
        `  answered ${q.answered}  lost ${q.lost}`,
    );
  }
  out.push(
    `orders: sent ${report.sent}  acknowledged ${report.acknowledged}  rejected ${report.rejected}  lost ${report.lost}` +
      (report.requestsPerSec === undefined ? `  throughput ${rate(report.throughputPerSec)}/s` : ""),
  );
  if (report.sendLag !== undefined) {
    const g = report.sendLag;
    out.push(
      `generator send lag (actual - intended send time, ${g.method}): p50 ${formatMicros(g.p50Us)} µs  p99 ${
        formatMicros(g.p99Us)
      } µs  max ${formatMicros(g.maxUs)} µs: ` +
        (g.rateHeld
          ? `rate held (p99 <= ${g.boundUs} µs)`
          : `RATE NOT HELD: p99 above ${g.boundUs} µs, the generator could not keep its schedule; the latencies below include its lateness`),
    );
  }
  out.push("", renderLatencyTable(report));
  const shown = LATENCY_MEASURES.filter((m) => report.latency[m] !== undefined);
  if (shown.length > 0) {
    out.push(
      "",
      "what each measure includes (from the request's send time, the intended one in paced runs, to the read of the answer):",
      ...shown.map((m) => `  ${MEASURE_LABELS[m]}: ${MEASURE_INCLUDES[m]}`),
    );
  }
  if (report.floor !== undefined) {
    const f = report.floor;
    out.push(
      "",
      `floor: raw TCP echo (${f.server === "c" ? "C echo server" : "Deno echo server"}, ${f.bytes} bytes, ${
        f.mode === "rate" ? `${formatCount(f.ratePerSec ?? 0)}/s` : "ping-pong"
      }, CPUs ${f.cpus.length > 0 ? f.cpus.join(",") : "any"}, ${f.durationSec} s): p50 ${
        formatMicros(f.latency.p50Us)
      } µs  p99 ${formatMicros(f.latency.p99Us)} µs  max ${formatMicros(f.latency.maxUs)} µs`,
      `fixg order -> ack / floor: p50 ${f.ratioP50.toFixed(1)}x  p99 ${f.ratioP99.toFixed(1)}x`,
    );
    if (f.backToBack !== undefined) {
      out.push(
        `floor back to back (one in flight): p50 ${formatMicros(f.backToBack.latency.p50Us)} µs  p99 ${
          formatMicros(f.backToBack.latency.p99Us)
        } µs: at this rate the raw echo's p50 is ${
          f.backToBack.rateOverBackToBackP50.toFixed(1)
        }x its back-to-back p50`,
      );
    }
  }
  if (report.pingPongReference !== undefined) {
    const p = report.pingPongReference;
    out.push(
      `${
        report.floor === undefined ? "\n" : ""
      }ping-pong reference (same sessions, ${p.durationSec} s right after the load, one request in flight): order -> ack p50 ${
        formatMicros(p.p50Us)
      } µs  p99 ${formatMicros(p.p99Us)} µs; this run's order -> ack p50 is ${p.ratioP50.toFixed(1)}x it`,
    );
  }
  if (report.ramp !== undefined) {
    const r = report.ramp;
    const failed = r.steps.find((s) => !s.sustained);
    const bound = `p99 <= ${formatMicros(r.latencyBoundUs)} µs`;
    let verdict: string;
    if (r.steps.length > 0 && failed === r.steps[0]) {
      verdict = `ramp: no step sustained: the first (${formatCount(failed!.ratePerSec)}/s) failed: ${
        failed!.reason ?? "not sustained"
      }`;
    } else {
      verdict = `ramp: highest rate sustained with ${bound}: ${r.maxSustainedRatePerSec}/s` +
        (failed === undefined
          ? " (every step sustained)"
          : `; the next step (${formatCount(failed.ratePerSec)}/s) failed: ${
            failed.reason ?? "not sustained"
          }`);
    }
    out.push(
      "",
      verdict,
      formatTable(
        ["target/s", "achieved/s", "p99 µs", "sustained", "why not"],
        r.steps.map((s) => [
          formatCount(s.ratePerSec),
          formatCount(Math.round(s.achievedPerSec)),
          formatMicros(s.p99Us),
          s.sustained ? "yes" : "no",
          s.reason ?? "",
        ]),
        ["right", "right", "right", "left", "left"],
      ),
    );
  }
  if (report.perSession.length > 1) {
    out.push(
      "",
      formatTable(
        ["session", "sent", "acked", "rejected", "lost", "ack p50 µs", "ack p99 µs"],
        report.perSession.map(sessionCells),
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

/** A session's row as both renderers show it: session, sent, acked, rejected, lost, ack p50 µs, ack p99 µs. */
export function sessionCells(s: SessionReport): string[] {
  const ack = s.latency.orderToAck;
  return [
    s.sessionId,
    formatCount(s.sent),
    formatCount(s.acknowledged),
    formatCount(s.rejected),
    formatCount(s.lost),
    ack === undefined ? "-" : formatMicros(ack.p50Us),
    ack === undefined ? "-" : formatMicros(ack.p99Us),
  ];
}
