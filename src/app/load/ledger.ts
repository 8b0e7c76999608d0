/**
 * The request ledger of a bench run's request sources (LoadGenerator, and EchoTracker in src/bench):
 * every request in growable typed arrays indexed by a request number that is also its ID (prefix +
 * base 36), with its session, intended send time, accounting flags and, for orders, its phase in
 * the shared order state machine (app/orders/state_machine.ts). It accounts for each request once:
 * answered (the first answer gives the latency), or lost when unanswered `lostAfterUs` after its
 * intended send time; an answer seen again is a duplicate, one after the loss is late.
 *
 * Hot path: no per-request objects, no allocation per answer (IDs are read in place).
 */
import { PHASE_PENDING_NEW } from "../orders/state_machine.ts";
import type { LatencyMeasure, LoadCounters } from "./types.ts";

/** Accounting flags of a request (bits of `flags`); request sources may use the bits above these. */
export const F_ANSWERED = 1, F_LOST = 2;

/** Bits of `flags` free for a request source's own use. */
export const F_FIRST_FREE = 4;

type Growable = Uint8Array | Uint16Array | Int32Array | Float64Array;

/** A copy of `a` with room for `cap` elements (the rest zero). */
export function grown<T extends Growable>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a as never);
  return b;
}

/** Called for each latency sample: what it measures, microseconds, the session. */
export type LatencySink = (measure: LatencyMeasure, latencyUs: number, sessionIdx: number) => void;

/** Requests by number; the arrays are public for the request source's hot path (read `n` first). */
export class RequestLedger {
  /** Requests so far; request numbers run from 0 to n - 1. */
  n = 0;
  /** Requests before this one are answered or counted lost. */
  sweepHead = 0;
  kind = new Uint8Array(1024);
  session = new Int32Array(1024);
  sentUs = new Float64Array(1024);
  flags = new Uint8Array(1024);
  /** Phase code of order requests (PHASE_PENDING_NEW when sent). */
  phase = new Uint8Array(1024);
  readonly prefix: string;
  readonly lostAfterUs: number;
  readonly counters: LoadCounters;
  readonly onLatency: LatencySink;

  constructor(
    prefix: string,
    lostAfterMs: number,
    counters: LoadCounters,
    onLatency: LatencySink | undefined,
  ) {
    this.prefix = prefix;
    this.lostAfterUs = lostAfterMs * 1000;
    this.counters = counters;
    this.onLatency = onLatency ?? (() => {});
  }

  /** Capacity of the arrays (a request source grows its own arrays to it). */
  get capacity(): number {
    return this.kind.length;
  }

  /** Records a request sent (intended) at `intendedUs`; returns its number. */
  add(kind: number, sessionIdx: number, intendedUs: number): number {
    if (this.n === this.kind.length) {
      const cap = this.n * 2;
      this.kind = grown(this.kind, cap);
      this.session = grown(this.session, cap);
      this.sentUs = grown(this.sentUs, cap);
      this.flags = grown(this.flags, cap);
      this.phase = grown(this.phase, cap);
    }
    const i = this.n++;
    this.kind[i] = kind;
    this.session[i] = sessionIdx;
    this.sentUs[i] = intendedUs;
    this.flags[i] = 0;
    this.phase[i] = PHASE_PENDING_NEW;
    return i;
  }

  /** The ID of request `i`. */
  id(i: number): string {
    return this.prefix + i.toString(36);
  }

  /** The request number of one of our IDs sent on `sessionIdx`, or -1 (a reply on another session is not ours). */
  parse(id: string | undefined, sessionIdx: number): number {
    const prefix = this.prefix;
    if (id === undefined || !id.startsWith(prefix)) return -1;
    // The lower-case base-36 digits after the prefix, exactly as `id` writes them (no sign, no leading
    // zero), read in place: this runs for every answer, so no slice, parseInt or rebuilt ID to compare.
    const from = prefix.length;
    const end = id.length;
    if (end === from || end - from > 10 || (id.charCodeAt(from) === 0x30 && end - from > 1)) return -1;
    let i = 0;
    for (let k = from; k < end; k++) {
      const c = id.charCodeAt(k);
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x7a ? c - 0x57 : -1;
      if (d < 0) return -1;
      i = i * 36 + d;
    }
    return i < this.n && this.session[i] === sessionIdx ? i : -1;
  }

  /**
   * Marks the first answer of request `i` and reports its latency as `measure`; false when it was
   * answered before (a duplicate) or counted lost (a late answer, not in the latencies).
   */
  answer(i: number, nowUs: number, measure: LatencyMeasure): boolean {
    const f = this.flags[i]!;
    if ((f & F_ANSWERED) !== 0) {
      this.counters.duplicateResponses++;
      return false;
    }
    this.flags[i] = f | F_ANSWERED;
    if ((f & F_LOST) !== 0) {
      this.counters.lateResponses++;
      return false;
    }
    this.onLatency(measure, nowUs - this.sentUs[i]!, this.session[i]!);
    return true;
  }

  /**
   * Counts requests unanswered `lostAfterUs` after their intended send time as lost (flag F_LOST,
   * `lost(i)` called for each); returns how many were newly lost.
   */
  sweep(nowUs: number, lost: (i: number) => void): number {
    let count = 0;
    while (this.sweepHead < this.n) {
      const i = this.sweepHead;
      if (this.sentUs[i]! + this.lostAfterUs > nowUs) break;
      this.sweepHead++;
      const f = this.flags[i]!;
      if ((f & F_ANSWERED) !== 0) continue;
      this.flags[i] = f | F_LOST;
      count++;
      lost(i);
    }
    return count;
  }

  /** Requests sent and neither answered nor lost yet. */
  outstanding(): number {
    let n = 0;
    for (let i = this.sweepHead; i < this.n; i++) if ((this.flags[i]! & (F_ANSWERED | F_LOST)) === 0) n++;
    return n;
  }
}
