/**
 * The raw TCP echo floor of a bench run (measured before and after the FIX load, put in the report with
 * fixg's ratio to it), the mean request size it echoes, and the note on where the processes ran.
 */
import { LatencyHistogram } from "../metrics/histogram.ts";
import { Tag } from "../codec/tags.ts";
import { encodeMessage, Encoder } from "../codec/encoder.ts";
import { LoadGenerator } from "../app/load/mod.ts";
import type { ProcessPlacement } from "../report/types.ts";
import { formatCpuList } from "../sys/types.ts";
import { PreciseSleeper } from "./clock.ts";
import { measureFloor } from "./floor.ts";
import type { BenchOptions, LoadShape } from "./options.ts";
import type { BenchOutcome } from "./outcome.ts";

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
    beginString: o.beginString,
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
export class FloorRun {
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
export function placementNote(processes: ProcessPlacement[], o: BenchOptions, notes: string[]): void {
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
