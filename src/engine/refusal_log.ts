/**
 * Log lines, rate limited. LineRateLimit is the token bucket (a burst, then so many a second; the next line
 * written says how many were left out); the session's event lines (session/counters.ts: EventLineLimit)
 * and the refusal lines here both go through it.
 *
 * Refusal lines: a burst of 20, then one per second, so that a flood of bad connections cannot flood the
 * log. The FIX acceptor (gateway_accept.ts: refused, TLS and accept failures, pre-logon limits) and the
 * engine's library endpoint (wrong secret, too many connections) log their refusals through one each.
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "./log.ts";

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

const BURST = 20;
const PER_SEC = 1;

export class RefusalLog {
  readonly #limit = new LineRateLimit(BURST, PER_SEC);

  constructor(readonly logger: Logger, readonly clock: () => Clock) {}

  /** Logs `text` as a warning of `event`, unless over the rate (then counted for the next line). */
  warn(event: string, text: string, session?: string): void {
    if (!this.#limit.take(this.clock().nowMs())) return;
    const dropped = this.#limit.takeDropped();
    this.logger.warn(
      event,
      dropped > 0 ? `${text} (${dropped} similar lines not logged: rate limit)` : text,
      session,
    );
  }
}
