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
import {
  type LatencyMeasure as GeneratorMeasure,
  type LoadCounters,
  LoadGenerator,
} from "../app/load/mod.ts";
import { encodeMessage, Encoder } from "../codec/encoder.ts";
import type { MessageView } from "../codec/mod.ts";
import { Tag } from "../codec/tags.ts";
import { FixgError } from "../errors.ts";
import { latencyParts, type MeasureHistograms } from "../report/build.ts";
import { formatCount, formatMicros } from "../report/format.ts";
import type { ProgressLine } from "../report/progress.ts";
import {
  BENCH_SCHEMA_VERSION,
  type BenchReport,
  type ConfigValue,
  type LatencyMeasure,
  type ProcessPlacement,
  type RampStep,
  type SendLag,
  type SessionReport,
  type TimelinePoint,
} from "../report/types.ts";
import { MemoryMessageStore } from "../store/memory_store.ts";
import { readAllowedCpus, setAffinity } from "../sys/affinity.ts";
import { lockBuffer } from "../sys/memory_lock.ts";
import { type EffectReport, formatCpuList } from "../sys/types.ts";
import { VERSION } from "../version.ts";
import { SimulatorChild } from "./child.ts";
import { nowUs, PreciseSleeper, sleepMs, yieldToLoop } from "./clock.ts";
import {
  addCounters,
  EchoTracker,
  requestsAnswered,
  requestsInFlight,
  requestsLost,
  type RequestSource,
  requestsSent,
  subtractCounters,
  zeroLoadCounters,
} from "./echo_tracker.ts";
import { measureFloor } from "./floor.ts";
import { BenchLink } from "./link.ts";
import type { SessionCounters } from "../engine/session_runner.ts";
import { type BenchOptions, formatMix, type LoadShape } from "./options.ts";

/** What the caller can plug into a run. */
export interface BenchHooks {
  /** The live progress line (none when absent). */
  progress?: ProgressLine;
  /** Aborting stops the load early (SIGINT); what was measured is still reported. */
  signal?: AbortSignal;
  /** One-line messages while the run goes on (e.g. "simulator listening on ..."). */
  log?: (line: string) => void;
}

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

const GENERATOR_TO_REPORT: Readonly<Record<GeneratorMeasure, LatencyMeasure | "replaceToAck">> = {
  "order-to-ack": "orderToAck",
  "order-to-fill": "orderToFill",
  "cancel-to-ack": "cancelToAck",
  "replace-to-ack": "replaceToAck",
  "md-request-to-snapshot": "mdRequestToSnapshot",
};

type HistKey = LatencyMeasure | "replaceToAck";
const HIST_KEYS: readonly HistKey[] = [
  "orderToAck",
  "orderToFill",
  "cancelToAck",
  "mdRequestToSnapshot",
  "replaceToAck",
];

function newHistograms(): Record<HistKey, LatencyHistogram> {
  const out = {} as Record<HistKey, LatencyHistogram>;
  for (const k of HIST_KEYS) out[k] = new LatencyHistogram({ unit: "ns" });
  return out;
}

/** Requests a burst writes per turn of the event loop: the peer starts working while we encode the rest. */
const BURST_BATCH = 128;
/** Most schedule slots a rate loop sends before it yields to the event loop (after a stall). */
const RATE_MAX_PER_TURN = 512;
const LOGON_TIMEOUT_MS = 10_000;
/** The generator's send lag p99 above which the report says the rate was not held. */
export const SEND_LAG_BOUND_US = 200;

function perSec(n: number, sec: number): number {
  return sec > 0 ? Math.round((n / sec) * 10) / 10 : 0;
}

/** One session of the run and its bookkeeping. */
class BenchSession {
  readonly idx: number;
  readonly compId: string;
  link!: BenchLink;
  source!: RequestSource;
  readonly hist = newHistograms();
  baseline: LoadCounters = zeroLoadCounters();
  /** Time the session last had nothing in flight (set when a waiter is released). */
  idleAtUs = 0;
  #waiter: (() => void) | undefined;

  constructor(idx: number, compId: string) {
    this.idx = idx;
    this.compId = compId;
  }

  inFlight(): number {
    return requestsInFlight(this.source.liveCounters());
  }

  /** Resolves when nothing is in flight (at once if so). */
  whenIdle(): Promise<void> {
    if (this.inFlight() === 0) {
      this.idleAtUs = nowUs();
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  /** Re-checks a pending waiter (after a response or a sweep). */
  check(now: number): void {
    if (this.#waiter !== undefined && this.inFlight() === 0) {
      const w = this.#waiter;
      this.#waiter = undefined;
      this.idleAtUs = now;
      w();
    }
  }

  /** Releases a waiter whatever the state (end of a phase, abort). */
  release(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /** Sends one request (none when the source skips the slot); awaits the socket on back-pressure. */
  send(intendedUs: number): void | Promise<void> {
    const msg = this.source.next(0, intendedUs);
    if (msg === undefined || this.link.runner.send(msg) !== "back-pressure") return;
    return (async () => {
      do await this.link.runner.whenWritable(); while (this.link.runner.send(msg) === "back-pressure");
    })();
  }
}

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

/** Seconds of the ping-pong reference after a rate run: the run's duration, at most this. */
export const REFERENCE_MAX_SEC = 2;

/** The floor's measured seconds (two halves): the run's duration, at most this. */
export const FLOOR_MAX_SEC = 2;
/** Seconds of the floor's back-to-back echo in rate runs (two halves). */
export const FLOOR_BACK_TO_BACK_SEC = 1;

/**
 * The mean encoded size of the requests the run sends, bytes: 256 requests of the same mix, symbols and seed,
 * with the session header the bench's sessions write (CompIDs, a 4-digit MsgSeqNum, SendingTime).
 */
export function meanRequestSize(o: BenchOptions): number {
  const g = new LoadGenerator({
    sessions: 1,
    mix: o.echo ? { newOrder: 1, cancel: 0, replace: 0, marketData: 0 } : o.mix,
    symbols: o.symbols,
    seed: o.seed,
    idPrefix: "abcde0.",
  });
  const enc = new Encoder();
  let total = 0;
  const n = 256;
  const t0 = Date.now() * 1000;
  for (let i = 0; i < n; i++) {
    const m = g.next(0, t0 + i)!;
    const header: Array<[number, string]> = [
      [Tag.SenderCompID, o.senderCompId],
      [Tag.TargetCompID, o.targetCompId],
      [Tag.MsgSeqNum, String(1000 + i)],
      [Tag.SendingTime, "20260101-00:00:00.000"],
    ];
    total +=
      encodeMessage(enc, o.beginString, { msgType: m.msgType, fields: [...header, ...m.fields] }).length;
  }
  return Math.round(total / n);
}

/**
 * The raw TCP echo floor at the run's pacing and placement, measured in two halves (before and after the FIX
 * load, each half the floor's seconds), put in the report with fixg's ratio to it.
 */
class FloorRun {
  readonly #o: BenchOptions;
  readonly #shape: LoadShape & { kind: "rate" | "ping-pong" };
  readonly #hist = new LatencyHistogram({ unit: "ns" });
  /** Rate runs: the echo back to back, for the machine's own rate-over-ping-pong factor. */
  readonly #b2b = new LatencyHistogram({ unit: "ns" });
  readonly #seconds: number;
  #server: "c" | "deno" | undefined;
  #bytes = 0;
  #failed = false;

  constructor(o: BenchOptions, shape: LoadShape & { kind: "rate" | "ping-pong" }) {
    this.#o = o;
    this.#shape = shape;
    this.#seconds = Math.min(o.durationSec, FLOOR_MAX_SEC);
  }

  /** Measures one half (the echo size: the mean encoded size of the run's requests, computed once). */
  async half(notes: string[]): Promise<void> {
    if (this.#failed) return;
    const sleeper = new PreciseSleeper();
    try {
      if (this.#bytes === 0) this.#bytes = meanRequestSize(this.#o);
      const f = await measureFloor({
        mode: this.#shape.kind,
        ...(this.#shape.kind === "rate" ? { ratePerSec: this.#shape.ratePerSec } : {}),
        seconds: this.#seconds / 2,
        warmupSec: Math.min(0.2, this.#o.warmupSec),
        bytes: this.#bytes,
        ...(this.#o.cpus === undefined ? {} : { cpus: this.#o.cpus }),
        sleeper,
        into: this.#hist,
      });
      this.#server = f.server;
      if (this.#shape.kind === "rate") {
        await measureFloor({
          mode: "ping-pong",
          seconds: FLOOR_BACK_TO_BACK_SEC / 2,
          warmupSec: Math.min(0.1, this.#o.warmupSec),
          bytes: this.#bytes,
          ...(this.#o.cpus === undefined ? {} : { cpus: this.#o.cpus }),
          sleeper,
          server: f.server,
          into: this.#b2b,
        });
      }
    } catch (e) {
      this.#failed = true;
      notes.push(`floor: not measured: ${e instanceof Error ? e.message : e}`);
    } finally {
      sleeper.close();
    }
  }

  /** Puts the floor and fixg's ratio to it in the report. */
  addTo(outcome: BenchOutcome): void {
    if (this.#failed || this.#server === undefined || this.#hist.count === 0) return;
    const latency = this.#hist.summary();
    const ack = outcome.report.latency.orderToAck;
    const ratio = (a: number | undefined, b: number) =>
      a === undefined || !(b > 0) ? 0 : Math.round((a / b) * 100) / 100;
    outcome.report.floor = {
      server: this.#server,
      bytes: this.#bytes,
      mode: this.#shape.kind,
      ...(this.#shape.kind === "rate" ? { ratePerSec: this.#shape.ratePerSec } : {}),
      durationSec: this.#seconds,
      cpus: this.#o.cpus === undefined ? [] : [...this.#o.cpus],
      latency,
      ratioP50: ratio(ack?.p50Us, latency.p50Us),
      ratioP99: ratio(ack?.p99Us, latency.p99Us),
    };
    if (this.#b2b.count > 0) {
      const b = this.#b2b.summary();
      outcome.report.floor.backToBack = { latency: b, rateOverBackToBackP50: ratio(latency.p50Us, b.p50Us) };
    }
  }
}

/** Explains where the processes ran and what that means for the figures. */
function placementNote(processes: ProcessPlacement[], o: BenchOptions, notes: string[]): void {
  const gen = processes.find((p) => p.role === "generator");
  const sim = processes.find((p) => p.role === "simulator");
  if (gen === undefined) return;
  if (sim === undefined) {
    notes.push(
      `target ${o.target?.host}:${o.target?.port} is an external process: pin it yourself (taskset -c) for repeatable figures`,
    );
    return;
  }
  const same = gen.cpus.length === 1 && sim.cpus.length === 1 && gen.cpus[0] === sim.cpus[0];
  if (o.readSpinUs > 0 && gen.cpus.some((c) => sim.cpus.includes(c))) {
    notes.push(
      `--read-spin-us: the bench spins on a CPU the simulator may run on (CPUs ${
        formatCpuList(gen.cpus)
      }): the spinning takes time from it; give each process its own CPU (docs/tuning.md)`,
    );
  }
  if (same) {
    notes.push(
      `generator and simulator pinned to the same CPU ${
        gen.cpus[0]
      }: no cross-CPU wake-ups (the engine's figure)`,
    );
  } else if (o.cpus === undefined) {
    notes.push(
      `not pinned (generator CPUs ${formatCpuList(gen.cpus)}, simulator CPUs ${
        formatCpuList(sim.cpus)
      }): a cross-CPU wake-up can add ~30 µs per hop; --cpu 0 gives repeatable figures`,
    );
  } else {
    notes.push(
      `generator on CPUs ${formatCpuList(gen.cpus)}, simulator on CPUs ${
        formatCpuList(sim.cpus)
      }: split placement pays cross-CPU wake-ups`,
    );
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
      ? new EchoTracker({ symbols: o.symbols, seed: o.seed + i, lostAfterMs: o.graceMs, idPrefix, onLatency })
      : new LoadGenerator({
        sessions: 1,
        mix: o.mix,
        symbols: o.symbols,
        seed: o.seed + i,
        lostAfterMs: o.graceMs,
        idPrefix,
        onLatency,
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
      const r = o.shape;
      const steps: RampStep[] = [];
      let best = 0;
      for (let rate = r.fromPerSec; rate <= r.toPerSec + 1e-9 && !aborted(); rate += r.stepPerSec) {
        stepHist = new LatencyHistogram({ unit: "ns" });
        const stepLag = new LatencyHistogram({ unit: "ns" });
        const before = sessions.reduce((n, s) => n + requestsAnswered(s.source.counters()), 0);
        const t0 = nowUs();
        await runShape(
          { kind: "rate", ratePerSec: rate },
          r.stepSec,
          sessions,
          sleeper,
          aborted,
          lag,
          stepLag,
        );
        const sec = (nowUs() - t0) / 1e6;
        const answered = sessions.reduce((n, s) => n + requestsAnswered(s.source.counters()), 0) - before;
        const achievedPerSec = answered / sec;
        const p99Us = stepHist.count > 0 ? stepHist.percentile(99) / 1000 : 0;
        const stepLagP99Us = stepLag.count > 0 ? stepLag.percentile(99) / 1000 : 0;
        const why: string[] = [];
        if (stepHist.count === 0) why.push("no order was acknowledged");
        if (p99Us > r.p99BoundUs) {
          why.push(
            `order -> ack p99 ${formatMicros(p99Us)} µs above the bound ${formatMicros(r.p99BoundUs)} µs`,
          );
        }
        if (achievedPerSec < rate * 0.95) {
          why.push(
            `${formatCount(Math.round(achievedPerSec))} answers/s, below 95% of ${formatCount(rate)}/s`,
          );
        }
        if (why.length > 0 && stepLagP99Us > SEND_LAG_BOUND_US) {
          why.push(
            `the generator's send lag p99 was ${formatMicros(stepLagP99Us)} µs (the machine was busy)`,
          );
        }
        const sustained = why.length === 0;
        const step: RampStep = {
          ratePerSec: rate,
          achievedPerSec: Math.round(achievedPerSec * 10) / 10,
          p99Us: Math.round(p99Us * 1000) / 1000,
          sustained,
        };
        if (!sustained) step.reason = why.join("; ");
        steps.push(step);
        if (!sustained) break;
        best = rate;
      }
      stepHist = undefined;
      ramp = { latencyBoundUs: r.p99BoundUs, maxSustainedRatePerSec: best, steps };
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

    // Notes: what the figures need next to them.
    if (aborted()) notes.push("interrupted: the figures cover the load sent before the interrupt");
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
      if (sentAll < burstAsked && !aborted()) {
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
      effectiveSettings: effects,
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
      processes: [generatorPlacement],
    };
    if (ramp !== undefined) report.ramp = ramp;
    if (sendLag !== undefined) report.sendLag = sendLag;
    if (pingPongReference !== undefined) report.pingPongReference = pingPongReference;
    const lostAny = requestsLost(all) > 0;
    return {
      report,
      exitCode: aborted() ? 130 : lostAny || shortOfAsked ? 1 : 0,
      histograms,
      startMs,
      endMs,
      ...(meanRequestBytes === undefined ? {} : { meanRequestBytes }),
    };
  } finally {
    if (housekeeping !== undefined) clearInterval(housekeeping);
    sleeper.close();
    for (const s of sessions) s.release();
    if (!linksStopped) await Promise.all(sessions.map((s) => s.link.stop().catch(() => {})));
  }
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

/** Runs a ping-pong or fixed-rate shape for `seconds`. */
async function runShape(
  shape: LoadShape,
  seconds: number,
  sessions: BenchSession[],
  sleeper: PreciseSleeper,
  aborted: () => boolean,
  lag: LatencyHistogram | undefined,
  lag2?: LatencyHistogram,
): Promise<void> {
  const startUs = nowUs();
  const endUs = startUs + seconds * 1e6;
  if (shape.kind === "ping-pong") {
    await Promise.all(sessions.map(async (s) => {
      while (!aborted()) {
        const now = nowUs();
        if (now >= endUs) break;
        const p = s.send(now);
        if (p !== undefined) await p;
        await s.whenIdle();
      }
    }));
    return;
  }
  if (shape.kind !== "rate") throw new Error(`runShape: ${shape.kind} is not a timed shape`);
  const intervalUs = 1e6 / shape.ratePerSec;
  const t0 = startUs;
  let k = 0;
  const n = sessions.length;
  while (!aborted()) {
    let now = nowUs();
    if (now >= endUs) break;
    let sentThisTurn = 0;
    for (;;) {
      const due = t0 + k * intervalUs;
      if (due > now || due >= endUs || sentThisTurn >= RATE_MAX_PER_TURN) break;
      // Lateness is taken as the send starts (the encode belongs to the request's latency, not the pacer's).
      const lateNs = (nowUs() - due) * 1000;
      lag?.record(lateNs);
      lag2?.record(lateNs);
      const p = sessions[k % n]!.send(due);
      k++;
      sentThisTurn++;
      if (p !== undefined) {
        await p;
        now = nowUs();
      }
    }
    const next = t0 + k * intervalUs;
    if (next >= endUs) {
      await sleeper.until(endUs);
      break;
    }
    // Slots falling due together (high rates, or after a stall) go out in the same turn, one socket write.
    if (next > nowUs()) await sleeper.until(next);
    else await yieldToLoop();
  }
}

/**
 * The warm-up of a burst shape: bursts of its size, `pauseMs` apart, until `seconds` have passed (one at
 * least). A burst's path differs from a round trip's (many messages per read and write, back-pressure, a
 * growing order book on the other side): warmed up with ping-pong, a burst of 100,000 measured 108-133k
 * orders/s against fixg's simulator, warmed up with a burst 172-225k (docs/performance.md, "Warm-up").
 */
async function warmUpBursts(
  shape: LoadShape & { kind: "burst" },
  seconds: number,
  sessions: BenchSession[],
  aborted: () => boolean,
): Promise<void> {
  const endUs = nowUs() + seconds * 1e6;
  const one = { ...shape, repeat: 1 };
  await runBursts(one, sessions, aborted);
  while (nowUs() < endUs && !aborted()) {
    if (shape.pauseMs > 0) await sleepMs(shape.pauseMs);
    await runBursts(one, sessions, aborted);
  }
}

/** Runs the bursts; returns the active seconds (first send to last answer of each burst, summed). */
async function runBursts(
  shape: LoadShape & { kind: "burst" },
  sessions: BenchSession[],
  aborted: () => boolean,
): Promise<number> {
  let activeUs = 0;
  for (let m = 0; m < shape.repeat && !aborted(); m++) {
    if (m > 0 && shape.pauseMs > 0) await sleepMs(shape.pauseMs);
    const t0 = nowUs();
    await Promise.all(sessions.map(async (s) => {
      // One clock read per message, when it is handed to the session: each latency is its own (a batch
      // reaches the socket in one write when the loop yields, so a message is stamped no later than it left).
      for (let j = 0; j < shape.size && !aborted(); j++) {
        const p = s.send(nowUs());
        if (p !== undefined) await p;
        else if ((j + 1) % BURST_BATCH === 0) await yieldToLoop();
      }
    }));
    await Promise.all(sessions.map((s) => s.whenIdle()));
    const end = Math.max(...sessions.map((s) => s.idleAtUs));
    activeUs += Math.max(0, end - t0);
  }
  return activeUs / 1e6;
}
