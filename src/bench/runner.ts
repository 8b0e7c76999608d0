/**
 * The bench runner: sessions to a target (or to a `fixg simulate-lp` child it starts and always stops), a
 * warm-up, the measured load shape, a drain, and the BenchReport. Every request is accounted for once by its
 * session's request source; latencies go into HDR-layout histograms per measure and per session.
 *
 *   start child? -> pin -> log on every session -> warm-up -> drain -> baseline counters
 *     -> measured shape (ping-pong | rate | ramp | burst) -> drain (grace) -> lost = the rest -> report
 *
 * Sends are synchronous calls into the session runner, which batches everything sent in one turn of the
 * event loop into one socket write; "back-pressure" is answered by awaiting whenWritable and sending again.
 */
import { LatencyHistogram } from "../metrics/histogram.ts";
import { type LatencyMeasure as GeneratorMeasure, LoadGenerator } from "../app/load/mod.ts";
import type { MessageView } from "../codec/mod.ts";
import { FixgError } from "../errors.ts";
import type { ProgressLine } from "../report/progress.ts";
import type { BenchReport, ProcessPlacement, TimelinePoint } from "../report/types.ts";
import { MemoryMessageStore } from "../store/memory_store.ts";
import { readAllowedCpus, setAffinity } from "../sys/affinity.ts";
import { lockBuffer } from "../sys/memory_lock.ts";
import type { EffectReport } from "../sys/types.ts";
import { SimulatorChild } from "./child.ts";
import { nowUs, PreciseSleeper, sleepMs } from "./clock.ts";
import { addCounters, EchoTracker, subtractCounters, zeroLoadCounters } from "./echo_tracker.ts";
import { FloorRun, placementNote, REFERENCE_MAX_SEC } from "./floor_run.ts";
import { BenchLink } from "./link.ts";
import type { BenchOptions, LoadShape } from "./options.ts";
import { type BenchOutcome, benchOutcome } from "./outcome.ts";
import { BenchSession, GENERATOR_TO_REPORT, HIST_KEYS, newHistograms } from "./session.ts";
import { runBursts, runRamp, runShape, warmUpBursts } from "./shapes.ts";

// The run's parts live in session.ts, shapes.ts, floor_run.ts and outcome.ts; what this module exported
// before the split is still exported from here.
export { FLOOR_BACK_TO_BACK_SEC, FLOOR_MAX_SEC, meanRequestSize, REFERENCE_MAX_SEC } from "./floor_run.ts";
export type { BenchOutcome } from "./outcome.ts";
export { SEND_LAG_BOUND_US } from "./shapes.ts";

/** What the caller can plug into a run. */
export interface BenchHooks {
  /** The live progress line (none when absent). */
  progress?: ProgressLine;
  /** Aborting stops the load early (SIGINT); what was measured is still reported. */
  signal?: AbortSignal;
  /** One-line messages while the run goes on (e.g. "simulator listening on ..."). */
  log?: (line: string) => void;
}

const LOGON_TIMEOUT_MS = 10_000;

/** Runs a bench; the child simulator (if any) is stopped before this returns or throws. */
export async function runBench(o: BenchOptions, hooks: BenchHooks = {}): Promise<BenchOutcome> {
  const log = hooks.log ?? (() => {});
  const effects: EffectReport[] = [];
  const notes: string[] = [];
  if (o.cpus !== undefined) effects.push(setAffinity(o.cpus, { allThreads: true }));
  let child: SimulatorChild | undefined;
  let childPlacement: ProcessPlacement | undefined;
  try {
    let host: string;
    let port: number;
    if (o.target === undefined) {
      child = await SimulatorChild.start({
        port: 0,
        senderCompId: o.targetCompId,
        beginString: o.beginString,
        ...(o.cpus === undefined ? {} : { cpus: o.cpus }),
      });
      host = "127.0.0.1";
      port = child.port;
      if (child.pin.report !== undefined) effects.push(child.pin.report);
      log(`simulator started: pid ${child.pid}, listening on 127.0.0.1:${port}`);
    } else {
      host = o.target.host;
      port = o.target.port;
    }
    // The floor is measured in two halves, before and after the FIX load, so a change in the machine's load
    // during the run weighs on both alike.
    const floorShape = o.shape.kind === "rate" || o.shape.kind === "ping-pong" ? o.shape : undefined;
    const floor = o.floor && child !== undefined && floorShape !== undefined
      ? new FloorRun(o, floorShape)
      : undefined;
    await floor?.half(notes);
    const outcome = await runSessions(o, { host, port }, effects, notes, hooks, () => {
      if (child !== undefined) childPlacement = { role: "simulator", pid: child.pid, cpus: child.cpus() };
    });
    if (child !== undefined) {
      const stats = await child.stop();
      child = undefined;
      if (stats !== undefined) {
        notes.push(
          `simulator: ${stats.ordersReceived} orders, ${stats.acks} acks, ${stats.fills} fills, ${stats.rejects} rejects, ${stats.cancels} cancels, ${stats.replaces} replaces, ${stats.mdSnapshots} snapshots`,
        );
      }
    }
    if (childPlacement !== undefined) outcome.report.processes.push(childPlacement);
    if (floor !== undefined && hooks.signal?.aborted !== true) {
      await floor.half(notes);
      floor.addTo(outcome);
    }
    placementNote(outcome.report.processes, o, notes);
    if (notes.length > 0) outcome.report.notes = notes;
    return outcome;
  } finally {
    if (child !== undefined) await child.stop(2000);
  }
}
async function runSessions(
  o: BenchOptions,
  at: { host: string; port: number },
  effects: EffectReport[],
  notes: string[],
  hooks: BenchHooks,
  onReady: () => void,
): Promise<BenchOutcome> {
  const store = new MemoryMessageStore();
  const runTag = (Date.now() % 60_466_176).toString(36); // 5 base-36 digits: ClOrdIDs differ between runs
  const global = newHistograms();
  let phase: "warmup" | "run" | "reference" | "done" = "warmup";
  const referenceHist = new LatencyHistogram({ unit: "ns" });
  let stepHist: LatencyHistogram | undefined;
  const sessions: BenchSession[] = [];
  for (let i = 0; i < o.sessions; i++) {
    const s = new BenchSession(i, i === 0 ? o.senderCompId : `${o.senderCompId}${i + 1}`);
    const onLatency = (measure: GeneratorMeasure, latencyUs: number) => {
      if (phase === "reference" && measure === "order-to-ack") referenceHist.record(latencyUs * 1000);
      if (phase !== "run") return;
      const key = GENERATOR_TO_REPORT[measure];
      const ns = latencyUs * 1000;
      global[key].record(ns);
      s.hist[key].record(ns);
      if (key === "orderToAck") stepHist?.record(ns);
    };
    const idPrefix = `${runTag}${i.toString(36)}.`;
    s.source = o.echo
      ? new EchoTracker({
        symbols: o.symbols,
        seed: o.seed + i,
        lostAfterMs: o.graceMs,
        idPrefix,
        onLatency,
        beginString: o.beginString,
      })
      : new LoadGenerator({
        sessions: 1,
        mix: o.mix,
        symbols: o.symbols,
        seed: o.seed + i,
        lostAfterMs: o.graceMs,
        idPrefix,
        onLatency,
        beginString: o.beginString,
        // New orders only: nothing would cancel resting orders, so no cap turns them into cancels.
        ...(o.mix.cancel + o.mix.replace === 0 ? { maxOpenOrdersPerSession: Number.MAX_SAFE_INTEGER } : {}),
      });
    s.link = await BenchLink.open({
      host: at.host,
      port: at.port,
      beginString: o.beginString,
      senderCompId: s.compId,
      targetCompId: o.targetCompId,
      heartbeatSec: o.heartbeatSec,
      validate: o.validate,
      store,
      socket: {
        noDelay: o.noDelay,
        ...(o.rcvBufBytes === undefined ? {} : { rcvBufBytes: o.rcvBufBytes }),
        ...(o.sndBufBytes === undefined ? {} : { sndBufBytes: o.sndBufBytes }),
      },
      readSpinUs: o.readSpinUs,
      onMessage: (view: MessageView) => {
        // Arrival = when its bytes were read (one clock read per read: the messages of one read
        // arrived together, and the time spent handling those before it is not the peer's latency).
        const now = (performance.timeOrigin + s.link.runner.readAtPerfMs) * 1000;
        s.source.onMessage(0, view, now);
        s.check(now);
      },
    });
    sessions.push(s);
  }
  const sleeper = new PreciseSleeper();
  let housekeeping: ReturnType<typeof setInterval> | undefined;
  let linksStopped = false;
  try {
    for (const s of sessions) s.link.start();
    try {
      await Promise.all(sessions.map((s) => s.link.whenLoggedOn(LOGON_TIMEOUT_MS)));
    } catch {
      const refused = sessions.find((x) => x.link.connectError !== undefined);
      if (refused !== undefined) throw new FixgError("BENCH", refused.link.connectError!);
      const s = sessions.find((x) => !x.link.runner.loggedOn)!;
      const why = s.link.runner.status().lastError;
      throw new FixgError(
        "BENCH",
        `session ${s.link.runner.key} did not log on to ${at.host}:${at.port} within ${
          LOGON_TIMEOUT_MS / 1000
        } s${s.link.connections === 0 ? " (no connection)" : why ? `: ${why}` : ""}`,
      );
    }
    effects.push(...sessions[0]!.link.socketReports);
    if (o.lockBuffers) {
      for (const k of HIST_KEYS) {
        effects.push(lockBuffer(global[k].counts as Float64Array<ArrayBuffer>, `histogram ${k}`));
      }
    }
    onReady();

    // Housekeeping: lost-request sweeps, the throughput timeline and the progress line.
    const timeline: TimelinePoint[] = [];
    let runStartUs = 0;
    let nextTickSec = 1;
    let lastTotals = { sent: 0, acked: 0 };
    let phaseStartUs = nowUs();
    // A burst's warm-up runs whole bursts (it may outlast --warmup): no bar, the elapsed time only.
    let phaseTotalSec = o.shape.kind === "burst" ? 0 : o.warmupSec;
    const totals = () => {
      let sent = 0, acked = 0;
      for (const s of sessions) {
        const c = s.source.counters();
        sent += c.ordersSent - s.baseline.ordersSent;
        acked += c.ordersAcked - s.baseline.ordersAcked;
      }
      return { sent, acked };
    };
    let lastRate = { atUs: nowUs(), acked: 0, rate: 0 };
    const tick = () => {
      const now = nowUs();
      for (const s of sessions) {
        s.source.sweep(now);
        s.check(now);
        if (hooks.signal?.aborted === true) s.release();
      }
      if (phase !== "run" && phase !== "warmup") return;
      const t = totals();
      if (phase === "run") {
        while (now - runStartUs >= nextTickSec * 1e6) {
          timeline.push({
            tSec: nextTickSec,
            sent: t.sent - lastTotals.sent,
            acked: t.acked - lastTotals.acked,
          });
          lastTotals = t;
          nextTickSec++;
        }
      }
      if (now - lastRate.atUs >= 1e6) {
        lastRate = {
          atUs: now,
          acked: t.acked,
          rate: (t.acked - lastRate.acked) / ((now - lastRate.atUs) / 1e6),
        };
      }
      if (hooks.progress !== undefined) {
        const h = global.orderToAck;
        hooks.progress.update({
          phase,
          elapsedSec: (now - phaseStartUs) / 1e6,
          ...(phaseTotalSec > 0 ? { totalSec: phaseTotalSec } : {}),
          sent: t.sent,
          acknowledged: t.acked,
          ...(phase === "run" && lastRate.rate > 0 ? { ratePerSec: lastRate.rate } : {}),
          ...(phase === "run" && h.count > 0 ? { p99Us: h.percentile(99) / 1000 } : {}),
        });
      }
    };
    housekeeping = setInterval(tick, 100);

    const aborted = () => hooks.signal?.aborted === true;
    const lag = new LatencyHistogram({ unit: "ns" });
    const drain = async () => {
      const deadline = nowUs() + o.graceMs * 1000 + 200_000;
      while (nowUs() < deadline && sessions.some((s) => s.inFlight() > 0)) await sleepMs(5);
    };

    // Warm-up, not measured: the same shape (whole bursts for a burst, FROM's rate for a ramp).
    if (o.warmupSec > 0 && !aborted()) {
      if (o.shape.kind === "burst") await warmUpBursts(o.shape, o.warmupSec, sessions, aborted);
      else {
        const warmShape: LoadShape = o.shape.kind === "ramp"
          ? { kind: "rate", ratePerSec: o.shape.fromPerSec }
          : o.shape;
        await runShape(warmShape, o.warmupSec, sessions, sleeper, aborted, undefined);
      }
      await drain();
    }
    for (const s of sessions) s.baseline = s.source.counters();
    phase = "run";
    phaseStartUs = nowUs();
    runStartUs = phaseStartUs;
    phaseTotalSec = o.shape.kind === "rate" || o.shape.kind === "ping-pong" ? o.durationSec : 0;
    const startMs = Date.now();
    let measuredSec: number;
    let ramp: BenchReport["ramp"];
    let burstAsked = 0;
    if (o.shape.kind === "ramp") {
      ramp = await runRamp(
        o.shape,
        sessions,
        sleeper,
        aborted,
        lag,
        (h: LatencyHistogram | undefined) => (stepHist = h),
      );
      measuredSec = (nowUs() - runStartUs) / 1e6;
    } else if (o.shape.kind === "burst") {
      measuredSec = await runBursts(o.shape, sessions, aborted);
      burstAsked = o.shape.size * o.shape.repeat * sessions.length;
    } else {
      await runShape(
        o.shape,
        o.durationSec,
        sessions,
        sleeper,
        aborted,
        o.shape.kind === "rate" ? lag : undefined,
      );
      measuredSec = (nowUs() - runStartUs) / 1e6;
    }
    const loadEndUs = nowUs();
    await drain();
    const endUs = nowUs();
    for (const s of sessions) {
      s.source.sweep(Infinity);
      s.release();
    }
    tick();
    phase = "done";
    clearInterval(housekeeping);
    housekeeping = undefined;
    // The last partial second of the timeline.
    const t = totals();
    const lastSec = Math.round(((loadEndUs - runStartUs) / 1e6) * 10) / 10;
    if (t.sent - lastTotals.sent > 0 || t.acked - lastTotals.acked > 0) {
      timeline.push({
        tSec: Math.max(lastSec, nextTickSec - 1 + 0.1),
        sent: t.sent - lastTotals.sent,
        acked: t.acked - lastTotals.acked,
      });
    }
    hooks.progress?.finish();

    const measured = sessions.map((s) => subtractCounters(s.source.counters(), s.baseline));
    const all = zeroLoadCounters();
    for (const c of measured) addCounters(all, c);
    const reconnects = sessions.reduce((n, s) => n + Math.max(0, s.link.connections - 1), 0);
    const endMs = startMs + (endUs - runStartUs) / 1000;
    const generatorPlacement: ProcessPlacement = {
      role: "generator",
      pid: Deno.pid,
      cpus: readAllowedCpus() ?? [],
    };
    // A rate run's reference: ping-pong on the same sessions right after the load, the round trip with both
    // sides busy, so the report can say how far the paced figure is from it.
    let pingPongReference: BenchReport["pingPongReference"];
    if (o.floor && o.shape.kind === "rate" && !aborted()) {
      const seconds = Math.min(o.durationSec, REFERENCE_MAX_SEC);
      phase = "reference";
      // Its own sweeps (the housekeeping timer has stopped): an unanswered request is lost, not waited for.
      const sweeper = setInterval(() => {
        const now = nowUs();
        for (const s of sessions) {
          s.source.sweep(now);
          s.check(now);
          if (aborted()) s.release();
        }
      }, 100);
      try {
        await runShape({ kind: "ping-pong" }, seconds, sessions, sleeper, aborted, undefined);
        await drain();
      } finally {
        clearInterval(sweeper);
        phase = "done";
      }
      const ack = global.orderToAck;
      if (referenceHist.count > 0) {
        const r = referenceHist.summary();
        pingPongReference = {
          durationSec: seconds,
          count: r.count,
          p50Us: r.p50Us,
          p99Us: r.p99Us,
          ratioP50: ack.count > 0 && r.p50Us > 0
            ? Math.round((ack.percentile(50) / 1000 / r.p50Us) * 100) / 100
            : 0,
        };
      }
    }
    const c0 = sessions[0]!.link.runner.counters;
    const meanRequestBytes = c0.messagesOut > 0 ? c0.bytesOut / c0.messagesOut : undefined;
    linksStopped = true;
    await Promise.all(sessions.map((s) => s.link.stop()));

    return benchOutcome({
      o,
      at,
      sessions,
      measured,
      all,
      reconnects,
      effects,
      notes,
      global,
      lag,
      sleeper,
      burstAsked,
      aborted: aborted(),
      measuredSec,
      startMs,
      endMs,
      timeline,
      ramp,
      pingPongReference,
      generatorPlacement,
      meanRequestBytes,
    });
  } finally {
    if (housekeeping !== undefined) clearInterval(housekeeping);
    sleeper.close();
    for (const s of sessions) s.release();
    if (!linksStopped) await Promise.all(sessions.map((s) => s.link.stop().catch(() => {})));
  }
}
