/**
 * One session of a bench run: its link, its request source (LoadGenerator or EchoTracker), its latency
 * histograms per measure, and a waiter released when nothing is in flight.
 */
import { LatencyHistogram } from "../metrics/histogram.ts";
import type { LatencyMeasure as GeneratorMeasure, LoadCounters } from "../app/load/mod.ts";
import type { LatencyMeasure } from "../report/types.ts";
import { nowUs } from "./clock.ts";
import { requestsInFlight, type RequestSource, zeroLoadCounters } from "./echo_tracker.ts";
import type { BenchLink } from "./link.ts";

export const GENERATOR_TO_REPORT: Readonly<Record<GeneratorMeasure, LatencyMeasure | "replaceToAck">> = {
  "order-to-ack": "orderToAck",
  "order-to-fill": "orderToFill",
  "cancel-to-ack": "cancelToAck",
  "replace-to-ack": "replaceToAck",
  "md-request-to-snapshot": "mdRequestToSnapshot",
};

export type HistKey = LatencyMeasure | "replaceToAck";
export const HIST_KEYS: readonly HistKey[] = [
  "orderToAck",
  "orderToFill",
  "cancelToAck",
  "mdRequestToSnapshot",
  "replaceToAck",
];

export function newHistograms(): Record<HistKey, LatencyHistogram> {
  const out = {} as Record<HistKey, LatencyHistogram>;
  for (const k of HIST_KEYS) out[k] = new LatencyHistogram({ unit: "ns" });
  return out;
}
/** One session of the run and its bookkeeping. */
export class BenchSession {
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
    if (msg === undefined || this.link.runner.send(msg).kind !== "back-pressure") return;
    return (async () => {
      do await this.link.runner.whenWritable(); while (this.link.runner.send(msg).kind === "back-pressure");
    })();
  }
}
