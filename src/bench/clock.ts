/**
 * The bench's clock and its precise waits. Times are epoch microseconds (the generator derives TransactTime
 * from them). Deno's setTimeout wakes 1-2 ms late on this class of machine, too coarse for an open-loop
 * schedule of thousands of sends per second, so waits sleep in libc `usleep` on FFI's blocking thread pool
 * (the event loop keeps reading responses meanwhile) until shortly before the deadline, then yield to the
 * event loop with setImmediate for the last stretch. Without FFI they fall back to setTimeout.
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

const USLEEP = { usleep: { parameters: ["u32"], result: "i32", nonblocking: true } } as const;

/** The part of a wait spent yielding rather than sleeping: the completion of a nonblocking FFI call reaches the event loop 100-200 µs after usleep returns. */
const SPIN_US = 400;

/** Waits until epoch-µs deadlines with about 10 µs precision, without blocking the event loop. */
export class PreciseSleeper {
  #lib: Deno.DynamicLibrary<typeof USLEEP> | undefined;
  /** "usleep" when FFI is available, else "setTimeout" (coarse). */
  readonly method: "usleep" | "setTimeout";

  constructor() {
    try {
      if (Deno.build.os === "linux" && Deno.permissions.querySync({ name: "ffi" }).state === "granted") {
        this.#lib = Deno.dlopen("libc.so.6", USLEEP);
      }
    } catch {
      this.#lib = undefined;
    }
    this.method = this.#lib === undefined ? "setTimeout" : "usleep";
  }

  /** Resolves at (or just after) `deadlineUs`; returns at once when it has passed. */
  async until(deadlineUs: number): Promise<void> {
    let left = deadlineUs - nowUs();
    if (left <= 0) return;
    if (left > SPIN_US) {
      if (this.#lib !== undefined) await this.#lib.symbols.usleep(Math.floor(left - SPIN_US));
      else if (left > 3000) await sleepMs(Math.floor((left - 2500) / 1000));
    }
    left = deadlineUs - nowUs();
    // The last stretch: give the event loop turns (responses keep flowing) until the deadline.
    while (left > 0) {
      await yieldToLoop();
      left = deadlineUs - nowUs();
    }
  }

  /** Releases the library handle. */
  close(): void {
    this.#lib?.close();
    this.#lib = undefined;
  }
}
