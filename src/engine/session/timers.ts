/**
 * The timers of a session's actor, on its scheduler: the machine's next tick (heartbeat, TestRequest,
 * logon and logout timeouts: `step()` says when) and the outbound throttle's wait for its next token.
 * Both are cancelled on disconnect and stop.
 */
import type { Scheduler, Timer } from "../../clock.ts";

export class SessionTimers {
  #tick: Timer | undefined;
  #tickAtMs = Infinity;
  #throttle: Timer | undefined;

  constructor(
    readonly scheduler: Scheduler,
    /** The machine's tick is due. */
    readonly onTick: () => void,
    /** The outbound throttle has a token again. */
    readonly onThrottle: () => void,
  ) {}

  /** The machine wants a tick at `atMs` (an earlier time than the one armed replaces it). */
  tickAt(atMs: number): void {
    if (atMs >= this.#tickAtMs) return;
    this.#tick?.cancel();
    this.#tickAtMs = atMs;
    this.#tick = this.scheduler.at(atMs, this.#fireTick);
  }

  readonly #fireTick = (): void => {
    this.#tick = undefined;
    this.#tickAtMs = Infinity;
    this.onTick();
  };

  /** Flushes again after `delayMs` (at least 1 ms), unless a throttle wait is armed already. */
  throttleWait(delayMs: number): void {
    if (this.#throttle !== undefined) return;
    this.#throttle = this.scheduler.after(Math.max(1, delayMs), () => {
      this.#throttle = undefined;
      this.onThrottle();
    });
  }

  cancel(): void {
    this.#tick?.cancel();
    this.#tick = undefined;
    this.#tickAtMs = Infinity;
    this.#throttle?.cancel();
    this.#throttle = undefined;
  }
}
