/**
 * Refusal log lines, rate limited: a burst of 20, then one per second, so that a flood of bad connections
 * cannot flood the log; the next line written says how many were left out. The FIX acceptor
 * (gateway_accept.ts: refused, TLS and accept failures, pre-logon limits) and the engine's library endpoint
 * (wrong secret, too many connections) log their refusals through one each.
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "./log.ts";

const BURST = 20;
const PER_SEC = 1;

export class RefusalLog {
  #tokens = BURST;
  #refillMs: number | undefined;
  #dropped = 0;

  constructor(readonly logger: Logger, readonly clock: () => Clock) {}

  /** Logs `text` as a warning of `event`, unless over the rate (then counted for the next line). */
  warn(event: string, text: string, session?: string): void {
    const now = this.clock().nowMs();
    this.#refillMs ??= now;
    const refill = Math.floor(((now - this.#refillMs) / 1000) * PER_SEC);
    if (refill > 0) {
      this.#tokens = Math.min(BURST, this.#tokens + refill);
      this.#refillMs += (refill / PER_SEC) * 1000;
    }
    if (this.#tokens < 1) {
      this.#dropped++;
      return;
    }
    this.#tokens--;
    const dropped = this.#dropped;
    this.#dropped = 0;
    this.logger.warn(
      event,
      dropped > 0 ? `${text} (${dropped} similar lines not logged: rate limit)` : text,
      session,
    );
  }
}
