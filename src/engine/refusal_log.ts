/**
 * Refusal log lines, rate limited by line_rate_limit.ts's token bucket (as the session's event lines are,
 * session/counters.ts: EventLineLimit).
 *
 * Refusal lines: a burst of 20, then one per second, so that a flood of bad connections cannot flood the
 * log. The FIX acceptor (gateway_accept.ts: refused, TLS and accept failures, pre-logon limits) and the
 * engine's library endpoint (wrong secret, too many connections) log their refusals through one each.
 */
import type { Clock } from "../clock.ts";
import { LineRateLimit } from "./line_rate_limit.ts";
import type { Logger } from "./log.ts";

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
