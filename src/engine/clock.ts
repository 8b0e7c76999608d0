/** Clocks for the engine: re-exported from the one clock and scheduler module, src/clock.ts. */
export {
  type Clock,
  ManualClock,
  ManualScheduler,
  type Scheduler,
  systemClock,
  systemScheduler,
  type Timer,
} from "../clock.ts";
