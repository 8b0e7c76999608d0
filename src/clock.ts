/**
 * Time and timers for everything in fixg: one `Scheduler` interface with a system version and a
 * manual version for tests. The engine, the store, the gateway and the LP host take a Scheduler
 * instead of calling `Date.now()` and `setTimeout` themselves, so their tests move time by hand
 * (no sleeps) and the conformance scenarios run in-process in milliseconds.
 *
 * Rank 0 in the layers (scripts/check_layers.ts): it imports nothing, every layer may import it.
 */

/** A source of wall-clock time (milliseconds since the epoch). */
export interface Clock {
  nowMs(): number;
}

/** A scheduled callback; `cancel()` is idempotent and harmless after it ran. */
export interface Timer {
  cancel(): void;
}

/** A clock that can also run callbacks later. */
export interface Scheduler extends Clock {
  /** Runs `callback` once when the clock reaches `atMs` (at once, asynchronously, when it is past). */
  at(atMs: number, callback: () => void): Timer;
  /** Runs `callback` once after `delayMs` milliseconds. */
  after(delayMs: number, callback: () => void): Timer;
}

/** The longest delay setTimeout holds (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The system clock alone. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/**
 * The system scheduler: `Date.now()` and `setTimeout`. Timers do not keep the process alive past
 * their purpose: callers cancel them (`deno test --trace-leaks` reports the ones they forget).
 */
export const systemScheduler: Scheduler = {
  nowMs: () => Date.now(),
  at(atMs: number, callback: () => void): Timer {
    return systemScheduler.after(atMs - Date.now(), callback);
  },
  after(delayMs: number, callback: () => void): Timer {
    let id: ReturnType<typeof setTimeout> | undefined;
    // setTimeout holds at most 2^31 - 1 ms (~24.8 days); a longer delay would fire at once (a config's
    // logonTimeoutSec: 3000000 re-armed every millisecond), so it is waited for in steps.
    const arm = (ms: number) => {
      id = setTimeout(() => {
        if (ms > MAX_TIMER_MS) return arm(ms - MAX_TIMER_MS);
        id = undefined;
        callback();
      }, Math.min(MAX_TIMER_MS, Math.max(0, ms)));
    };
    arm(delayMs);
    return {
      cancel() {
        if (id !== undefined) clearTimeout(id);
        id = undefined;
      },
    };
  },
};

/**
 * A Scheduler for a component given an older `clock` option: a Scheduler is used as one; a bare Clock
 * gives the time, with the system's timers (a delay measured on that clock); none: the system scheduler.
 */
export function asScheduler(clock: Clock | undefined): Scheduler {
  if (clock === undefined || clock === systemClock) return systemScheduler;
  const s = clock as Partial<Scheduler>;
  if (typeof s.at === "function" && typeof s.after === "function") return clock as Scheduler;
  return {
    nowMs: () => clock.nowMs(),
    at: (atMs, cb) => systemScheduler.after(atMs - clock.nowMs(), cb),
    after: (ms, cb) => systemScheduler.after(ms, cb),
  };
}

interface Pending {
  atMs: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A clock and scheduler tests move by hand. `advance(ms)` runs every timer that falls due on the way,
 * in time order (ties in the order they were set), with the clock set to each timer's time while
 * it runs; timers set by a callback run too when they fall within the advance.
 */
export class ManualScheduler implements Scheduler {
  #pending: Pending[] = [];
  #order = 0;

  constructor(public ms = Date.UTC(2026, 0, 5, 12, 0, 0)) {}

  nowMs(): number {
    return this.ms;
  }

  at(atMs: number, callback: () => void): Timer {
    const p: Pending = { atMs, order: this.#order++, callback, cancelled: false };
    this.#pending.push(p);
    return {
      cancel: () => {
        p.cancelled = true;
      },
    };
  }

  after(delayMs: number, callback: () => void): Timer {
    return this.at(this.ms + Math.max(0, delayMs), callback);
  }

  /** Moves time forward by `ms`, running the timers that fall due; returns the new time. */
  advance(ms: number): number {
    return this.advanceTo(this.ms + ms);
  }

  /** Moves time forward to `atMs` (never back), running the timers that fall due. */
  advanceTo(atMs: number): number {
    for (;;) {
      const next = this.#next(atMs);
      if (next === undefined) break;
      if (next.atMs > this.ms) this.ms = next.atMs;
      next.cancelled = true;
      next.callback();
    }
    if (atMs > this.ms) this.ms = atMs;
    return this.ms;
  }

  /** Runs the timers already due at the current time (those set with a time in the past too). */
  runDue(): void {
    this.advanceTo(this.ms);
  }

  /** How many timers wait (not cancelled, not run). */
  get pendingCount(): number {
    this.#pending = this.#pending.filter((p) => !p.cancelled);
    return this.#pending.length;
  }

  /** The time of the earliest waiting timer, or undefined. */
  get nextAtMs(): number | undefined {
    return this.#next(Infinity)?.atMs;
  }

  #next(limitMs: number): Pending | undefined {
    let best: Pending | undefined;
    for (const p of this.#pending) {
      if (p.cancelled || p.atMs > limitMs) continue;
      if (best === undefined || p.atMs < best.atMs || (p.atMs === best.atMs && p.order < best.order)) {
        best = p;
      }
    }
    if (this.#pending.length > 64) this.#pending = this.#pending.filter((p) => !p.cancelled);
    return best;
  }
}

/** The manual clock of earlier tests: the manual scheduler under its old name. */
export { ManualScheduler as ManualClock };
