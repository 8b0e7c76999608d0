/**
 * The session's time, read as seldom as the hot path allows: every message of one read, and every
 * answer sent while handling them, use the read's time (they arrived together); outside a read, the
 * sends of one synchronous run (a load generator's batch) share clock reads, read again every
 * TURN_CLOCK_USES uses and after the run (a microtask), so a time is at most a few sends old. Only with
 * the system scheduler: a test's manual clock is read every time.
 */
import { type Scheduler, systemScheduler } from "../../clock.ts";

/** Uses of one pair of clock reads outside a read. */
const TURN_CLOCK_USES = 32;

export class TurnClock {
  /** performance.now() when the bytes being handled were read (latency measurement). */
  readAtPerfMs = 0;
  /** The clock read when the bytes being handled were read; -1 outside the handling of a read. */
  #readNowMs = -1;
  #turnNowMs = 0;
  #turnPerfMs = 0;
  #turnUses = 0;
  #turnResetQueued = false;

  constructor(readonly scheduler: Scheduler) {}

  /** Bytes were read: their messages share this time until `endRead`. */
  beginRead(): void {
    this.readAtPerfMs = performance.now();
    this.#readNowMs = this.scheduler.nowMs();
  }

  endRead(): void {
    this.#readNowMs = -1;
  }

  /** The time: the read's during the handling of a read, else the clock's. */
  now(): number {
    if (this.#readNowMs >= 0) return this.#readNowMs;
    return this.#turn() ? this.#turnNowMs : this.scheduler.nowMs();
  }

  /** performance.now(), or the read's while a read is handled (queue wait times need no finer grain). */
  perfNow(): number {
    if (this.#readNowMs >= 0) return this.readAtPerfMs;
    return this.#turn() ? this.#turnPerfMs : performance.now();
  }

  #turn(): boolean {
    if (this.scheduler !== systemScheduler) return false;
    if (this.#turnUses === 0 || this.#turnUses >= TURN_CLOCK_USES) {
      this.#turnNowMs = this.scheduler.nowMs();
      this.#turnPerfMs = performance.now();
      this.#turnUses = 0;
      if (!this.#turnResetQueued) {
        this.#turnResetQueued = true;
        queueMicrotask(this.#resetTurn);
      }
    }
    this.#turnUses++;
    return true;
  }

  readonly #resetTurn = (): void => {
    this.#turnUses = 0;
    this.#turnResetQueued = false;
  };
}
