/** Clocks: the system clock for the engine, a manual clock for tests. Only the engine reads time. */

/** A source of wall-clock time. */
export interface Clock {
  nowMs(): number;
}

/** The system clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(public ms = Date.UTC(2026, 0, 5, 12, 0, 0)) {}
  nowMs(): number {
    return this.ms;
  }
  /** Moves time forward. */
  advance(ms: number): number {
    this.ms += ms;
    return this.ms;
  }
}
