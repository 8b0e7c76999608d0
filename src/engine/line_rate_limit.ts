/**
 * A token bucket of log lines (a burst, then so many a second; the next line written says how many were left
 * out). The refusal lines (refusal_log.ts) and the session's event lines (session/counters.ts) go through it.
 */

/** A token bucket of log lines: `burst` at once, then `perSec` a second; counts the lines it refuses. */
export class LineRateLimit {
  #tokens: number;
  #refillMs: number | undefined;
  /** Lines left out since the last one written. */
  dropped = 0;

  constructor(readonly burst: number, readonly perSec: number) {
    this.#tokens = burst;
  }

  /** True when a line may be written at `nowMs` (and takes it); false counts it as left out. */
  take(nowMs: number): boolean {
    this.#refillMs ??= nowMs;
    const refill = Math.floor(((nowMs - this.#refillMs) / 1000) * this.perSec);
    if (refill > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + refill);
      this.#refillMs += (refill / this.perSec) * 1000;
    }
    if (this.#tokens < 1) {
      this.dropped++;
      return false;
    }
    this.#tokens--;
    return true;
  }

  /** How many lines were left out before the one written now (and the count restarts). */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }
}
