/**
 * A token bucket for message rates: `perSecond` tokens flow in per second up to `burst`. Pure: time
 * comes in as `nowMs`, so the engine's throttles (engine/flow) and the order risk gate's rate limit
 * (app/orders/risk.ts) are testable with a manual clock. It lives in app/ so both can use it (app never
 * imports engine).
 */
import { ConfigError } from "../errors.ts";

/** A rate limit: messages per second with a burst allowance. */
export interface RateLimit {
  /** Sustained messages per second. */
  perSecond: number;
  /** Messages that may pass at once after a quiet period (default: perSecond, at least 1). */
  burst?: number | undefined;
}

/** Token bucket; starts full and refills continuously. */
export class TokenBucket {
  #rate: number;
  #capacity: number;
  #tokens: number;
  /** Time of the last refill; undefined until the first use when no start time was given. */
  #lastMs: number | undefined;

  /** `nowMs`: when the bucket starts; without it, time starts at its first use. */
  constructor(limit: RateLimit, nowMs?: number) {
    checkRate(limit);
    this.#rate = limit.perSecond;
    this.#capacity = limit.burst ?? Math.max(1, limit.perSecond);
    this.#tokens = this.#capacity;
    this.#lastMs = nowMs;
  }

  /** Sustained rate, per second. */
  get perSecond(): number {
    return this.#rate;
  }

  /** Bucket size. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Changes the rate (hot reload) keeping the tokens already earned (capped at the new size). */
  reconfigure(limit: RateLimit, nowMs: number): void {
    checkRate(limit);
    this.#refill(nowMs);
    this.#rate = limit.perSecond;
    this.#capacity = limit.burst ?? Math.max(1, limit.perSecond);
    if (this.#tokens > this.#capacity) this.#tokens = this.#capacity;
  }

  #refill(nowMs: number): void {
    if (this.#lastMs === undefined) this.#lastMs = nowMs;
    else if (nowMs > this.#lastMs) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + ((nowMs - this.#lastMs) * this.#rate) / 1000);
      this.#lastMs = nowMs;
    }
  }

  /** Tokens available at `nowMs`. */
  available(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  /** Takes one token if there is one. */
  tryTake(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }

  /** When the next token will be there (nowMs when one is there already). */
  nextTokenAtMs(nowMs: number): number {
    this.#refill(nowMs);
    if (this.#tokens >= 1) return nowMs;
    return nowMs + Math.ceil(((1 - this.#tokens) * 1000) / this.#rate);
  }
}

function checkRate(limit: RateLimit): void {
  // Config values are checked by the schemas (throttles, risk limits); anything else reaching here is a caller bug.
  if (!(limit.perSecond > 0) || !Number.isFinite(limit.perSecond)) {
    throw new ConfigError(`rate limit: perSecond must be a number > 0 (got ${limit.perSecond})`);
  }
  if (limit.burst !== undefined && !(limit.burst >= 1)) {
    throw new ConfigError(`rate limit: burst must be >= 1 (got ${limit.burst})`);
  }
}
