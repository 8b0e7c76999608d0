/**
 * The end of a bench run: its notes, the BenchReport (counters, latencies per measure and session,
 * timeline, ramp, send lag, ping-pong reference) and the exit code.
 */
import { LatencyHistogram } from "../metrics/histogram.ts";
import type { LoadCounters } from "../app/load/mod.ts";
import { latencyParts, type MeasureHistograms } from "../report/build.ts";
import { formatMicros } from "../report/format.ts";
import {
  BENCH_SCHEMA_VERSION,
  type BenchReport,
  type ConfigValue,
  type ProcessPlacement,
  type SendLag,
  type SessionReport,
  type TimelinePoint,
} from "../report/types.ts";
import { type EffectReport, formatCpuList } from "../sys/types.ts";
import { VERSION } from "../version.ts";
import type { SessionCounters } from "../engine/session_runner.ts";
import type { PreciseSleeper } from "./clock.ts";
import { requestsAnswered, requestsLost, requestsSent } from "./echo_tracker.ts";
import { type BenchOptions, formatMix } from "./options.ts";
import type { BenchSession, HistKey } from "./session.ts";
import { SEND_LAG_BOUND_US } from "./shapes.ts";

/** A finished run. */
export interface BenchOutcome {
  report: BenchReport;
  /** 0 ok; 1 lost requests or a failure; 130 interrupted. */
  exitCode: number;
  /** The measured histograms per measure (for `--histogram`). */
  histograms: MeasureHistograms;
  /** Measured interval, epoch ms. */
  startMs: number;
  endMs: number;
  /** Mean size of the messages the first session sent, bytes (the floor's echo size). */
  meanRequestBytes?: number;
}
function perSec(n: number, sec: number): number {
  return sec > 0 ? Math.round((n / sec) * 10) / 10 : 0;
}
/** The run's configuration as the report shows it. */
function configOf(o: BenchOptions, at: { host: string; port: number }): Record<string, ConfigValue> {
  const c: Record<string, ConfigValue> = {
    target: o.target === undefined ? `simulate-lp child ${at.host}:${at.port}` : `${at.host}:${at.port}`,
    senderCompId: o.senderCompId,
    targetCompId: o.targetCompId,
    mode: o.shape.kind,
  };
  switch (o.shape.kind) {
    case "rate":
      c.ratePerSec = o.shape.ratePerSec;
      break;
    case "ramp":
      c.ramp = `${o.shape.fromPerSec}:${o.shape.toPerSec}:${o.shape.stepPerSec}:${o.shape.stepSec}`;
      c.rampP99Us = o.shape.p99BoundUs;
      break;
    case "burst":
      c.burst = `${o.shape.size}x${o.shape.repeat}`;
      c.burstPauseMs = o.shape.pauseMs;
      break;
  }
  if (o.shape.kind === "rate" || o.shape.kind === "ping-pong") c.durationSec = o.durationSec;
  c.warmupSec = o.warmupSec;
  c.sessions = o.sessions;
  c.mix = o.echo ? "new=1 (echo)" : formatMix(o.mix);
  c.symbols = o.symbols.map((s) => s.symbol);
  c.graceMs = o.graceMs;
  c.validate = o.validate;
  c.cpus = o.cpus === undefined ? null : formatCpuList(o.cpus);
  if (o.source !== "flags") c.configFile = o.source;
  return c;
}

/** What a run hands over for its report. */
export interface RunFacts {
  o: BenchOptions;
  at: { host: string; port: number };
  sessions: BenchSession[];
  /** Per session, the measured counters (after the warm-up's baseline). */
  measured: LoadCounters[];
  /** Their sum. */
  all: LoadCounters;
  reconnects: number;
  effects: EffectReport[];
  notes: string[];
  global: Record<HistKey, LatencyHistogram>;
  /** The generator's send lag (paced shapes). */
  lag: LatencyHistogram;
  sleeper: PreciseSleeper;
  burstAsked: number;
  aborted: boolean;
  measuredSec: number;
  startMs: number;
  endMs: number;
  timeline: TimelinePoint[];
  ramp: BenchReport["ramp"];
  pingPongReference: BenchReport["pingPongReference"];
  generatorPlacement: ProcessPlacement;
  meanRequestBytes: number | undefined;
}

/** The notes, the report and the exit code of a finished run. */
export function benchOutcome(f: RunFacts): BenchOutcome {
  const { o, at, sessions, measured, all, reconnects, notes, global, lag, sleeper, burstAsked } = f;
  const { measuredSec, startMs, endMs, timeline, ramp, pingPongReference, meanRequestBytes } = f;
  // Notes: what the figures need next to them.
  if (f.aborted) notes.push("interrupted: the figures cover the load sent before the interrupt");
  if (all.fills > 0) {
    notes.push(`fills: ${all.fills} fill reports for ${all.ordersFilled} orders filled in full`);
  }
  const lostOther = all.cancelsLost + all.replacesLost + all.mdRequestsLost;
  if (lostOther > 0) {
    notes.push(
      `ERROR: ${lostOther} other request(s) lost: ${all.cancelsLost} cancel, ${all.replacesLost} replace, ${all.mdRequestsLost} md`,
    );
  }
  if (reconnects > 0) {
    const sum = (f: (c: SessionCounters) => number) =>
      sessions.reduce((n, s) => n + f(s.link.runner.counters), 0);
    notes.push(
      `reconnected ${reconnects} time(s) during the run; resend requests sent ${
        sum((c) => c.resendRequestsSent)
      }, ` +
        `received ${sum((c) => c.resendRequestsReceived)}; gap fills sent ${sum((c) => c.gapFillsSent)}`,
    );
  }
  if (all.duplicateResponses > 0 || all.lateResponses > 0 || all.unmatchedResponses > 0) {
    notes.push(
      `responses: ${all.duplicateResponses} duplicate (counted once), ${all.lateResponses} after the grace period, ${all.unmatchedResponses} unmatched`,
    );
  }
  if (all.throttled > 0) {
    notes.push(`${all.throttled} slot(s) skipped: every open order already had a request in flight`);
  }
  const rep = global.replaceToAck;
  if (rep.count > 0) {
    const s = rep.summary();
    notes.push(
      `replace -> ack: count ${s.count}, p50 ${formatMicros(s.p50Us)} µs, p99 ${
        formatMicros(s.p99Us)
      } µs, max ${formatMicros(s.maxUs)} µs`,
    );
  }
  let sendLag: SendLag | undefined;
  if (lag.count > 0) {
    const s = lag.summary();
    sendLag = {
      p50Us: s.p50Us,
      p99Us: s.p99Us,
      maxUs: s.maxUs,
      count: s.count,
      boundUs: SEND_LAG_BOUND_US,
      rateHeld: s.p99Us <= SEND_LAG_BOUND_US,
      method: sleeper.method,
    };
  }
  let shortOfAsked = false;
  if (o.shape.kind === "burst") {
    const sentAll = requestsSent(all);
    notes.push(
      `burst: asked for ${burstAsked} requests (${o.shape.size} x ${o.shape.repeat} x ${sessions.length} session${
        sessions.length === 1 ? "" : "s"
      }), sent ${sentAll}`,
    );
    if (sentAll < burstAsked && !f.aborted) {
      shortOfAsked = true;
      notes.push(`ERROR: the burst sent ${sentAll} of the ${burstAsked} requests asked for`);
    }
    notes.push(
      "burst: durationSec is the time from each burst's first send to its last answer, pauses excluded",
    );
  }

  const histograms: MeasureHistograms = {
    orderToAck: global.orderToAck,
    orderToFill: global.orderToFill,
    cancelToAck: global.cancelToAck,
    mdRequestToSnapshot: global.mdRequestToSnapshot,
  };
  const { latency, latencyDistribution } = latencyParts(histograms);
  const perSession: SessionReport[] = sessions.map((s, i) => {
    const c = measured[i]!;
    return {
      sessionId: s.link.runner.key,
      sent: c.ordersSent,
      acknowledged: c.ordersAcked,
      rejected: c.ordersRejected + c.businessRejects,
      lost: c.ordersLost,
      latency: latencyParts({
        orderToAck: s.hist.orderToAck,
        orderToFill: s.hist.orderToFill,
        cancelToAck: s.hist.cancelToAck,
        mdRequestToSnapshot: s.hist.mdRequestToSnapshot,
      }).latency,
    };
  });
  const durationSec = Math.round(measuredSec * 1000) / 1000;
  const report: BenchReport = {
    tool: "fixg bench",
    schemaVersion: BENCH_SCHEMA_VERSION,
    version: VERSION,
    startedAt: new Date(startMs).toISOString(),
    config: configOf(o, at),
    effectiveSettings: f.effects,
    sent: all.ordersSent,
    acknowledged: all.ordersAcked,
    rejected: all.ordersRejected + all.businessRejects,
    lost: all.ordersLost,
    durationSec,
    throughputPerSec: perSec(all.ordersAcked, durationSec),
    ordersPerSec: perSec(all.ordersAcked, durationSec),
    requestsPerSec: perSec(requestsAnswered(all), durationSec),
    requests: {
      sent: requestsSent(all),
      answered: requestsAnswered(all),
      lost: requestsLost(all),
      newOrders: all.ordersSent,
      cancels: all.cancelsSent,
      replaces: all.replacesSent,
      marketData: all.mdRequestsSent,
    },
    timeline,
    latency,
    latencyDistribution,
    perSession,
    processes: [f.generatorPlacement],
  };
  if (ramp !== undefined) report.ramp = ramp;
  if (sendLag !== undefined) report.sendLag = sendLag;
  if (pingPongReference !== undefined) report.pingPongReference = pingPongReference;
  const lostAny = requestsLost(all) > 0;
  return {
    report,
    exitCode: f.aborted ? 130 : lostAny || shortOfAsked ? 1 : 0,
    histograms,
    startMs,
    endMs,
    ...(meanRequestBytes === undefined ? {} : { meanRequestBytes }),
  };
}
