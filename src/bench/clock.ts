/**
 * The bench's clock and its precise waits. Times are epoch microseconds (the generator derives TransactTime
 * from them). Deno's setTimeout wakes 1-2 ms late on this class of machine, too coarse for an open-loop
 * schedule of thousands of sends per second, so waits sleep in libc `usleep` on FFI's blocking thread pool
 * (the event loop keeps reading responses meanwhile) until shortly before the deadline, then spin to the exact
 * time (PreciseSleeper). Without FFI they fall back to setTimeout.
 */
import { setImmediate } from "node:timers";

/** Epoch microseconds with sub-microsecond resolution. */
export function nowUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** Resolves on the next turn of the event loop (after pending I/O callbacks). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves after `ms` with setTimeout (coarse: for housekeeping, not for the schedule). */
export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const LIBC = {
  usleep: { parameters: ["u32"], result: "i32", nonblocking: true },
} as const;

/** Bounds of the stretch before a deadline spent yielding instead of sleeping, µs. */
const MARGIN_MIN_US = 150;
const MARGIN_MAX_US = 3000;

/**
 * Waits until epoch-µs deadlines precisely, without blocking the event loop: sleep in libc `usleep` on FFI's
 * blocking thread pool until shortly before the deadline, then spin to the exact time. The spin yields to the
 * event loop every turn (responses keep being read). It does not call sched_yield: a counterparty pinned to
 * the same CPU preempts a spinner when it wakes (it has slept, the spinner has not), while on a shared machine
 * sched_yield hands the CPU to whatever else runs there. How long before the deadline the sleep ends (the
 * margin) adapts to how late usleep's completion reaches the event loop on this machine: the 90th percentile
 * of the last 64 oversleeps plus 50 µs, within 150 µs..3 ms, and at most half of the wait (a busy machine
 * favours a waking sleeper over a spinner). Without FFI it falls back to setTimeout.
 */
export class PreciseSleeper {
  #lib: Deno.DynamicLibrary<typeof LIBC> | undefined;
  /** "usleep+spin" when FFI is available, else "setTimeout+spin" (coarse). */
  readonly method: "usleep+spin" | "setTimeout+spin";
  /** Current margin, µs. */
  #marginUs = 400;
  /** Recent oversleeps of the sleep stage, µs (a ring of 64). */
  #recent = new Float64Array(64);
  #recentAt = 0;

  constructor() {
    try {
      if (Deno.build.os === "linux" && Deno.permissions.querySync({ name: "ffi" }).state === "granted") {
        this.#lib = Deno.dlopen("libc.so.6", LIBC);
      }
    } catch {
      this.#lib = undefined;
    }
    this.method = this.#lib === undefined ? "setTimeout+spin" : "usleep+spin";
  }

  /** The current margin before a deadline where sleeping stops and spinning starts, µs. */
  get marginUs(): number {
    return this.#marginUs;
  }

  /** Resolves at (or just after) `deadlineUs`; returns at once when it has passed. */
  async until(deadlineUs: number): Promise<void> {
    let left = deadlineUs - nowUs();
    if (left <= 0) return;
    // At most half of a wait is spun: on a busy machine a process that spins loses its place to those that
    // sleep (the scheduler favours a waking sleeper), so spinning longer would make the lag worse, not better.
    const margin = Math.min(this.#marginUs, Math.max(MARGIN_MIN_US, left / 2));
    if (left > margin) {
      const wakeAt = deadlineUs - margin;
      if (this.#lib !== undefined) await this.#lib.symbols.usleep(Math.floor(left - margin));
      else if (left > margin + 2000) await sleepMs(Math.floor((left - margin - 1500) / 1000));
      this.#learn(nowUs() - wakeAt);
    }
    left = deadlineUs - nowUs();
    // The last stretch: turns of the event loop (responses keep flowing) until the deadline.
    while (left > 0) {
      await yieldToLoop();
      left = deadlineUs - nowUs();
    }
  }

  /**
   * Adapts the margin to the sleep stage's oversleep: the 90th percentile of the last 64 plus 50 µs, so the
   * usual lateness of usleep's completion is absorbed while a rare stall (another process took the CPU) does
   * not turn every wait into a long spin.
   */
  #learn(overshootUs: number): void {
    this.#recent[this.#recentAt++ & 63] = Math.max(0, overshootUs);
    if ((this.#recentAt & 7) !== 0) return;
    const n = Math.min(this.#recentAt, 64);
    const sorted = this.#recent.slice(0, n).sort();
    const p90 = sorted[Math.min(n - 1, Math.floor(n * 0.9))]!;
    this.#marginUs = Math.min(MARGIN_MAX_US, Math.max(MARGIN_MIN_US, p90 + 50));
  }

  /** Releases the library handle. */
  close(): void {
    this.#lib?.close();
    this.#lib = undefined;
  }
}
