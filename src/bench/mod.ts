/** `fixg bench`: the load runner (shapes, sessions, child simulator), its options, outputs and the codec bench. */
export * from "./options.ts";
export * from "./runner.ts";
export * from "./output.ts";
export * from "./codec.ts";
export { FIXG_LAUNCHER, SimulatorChild, type SimulatorChildOptions } from "./child.ts";
export { BenchLink } from "./link.ts";
export { EchoTracker, type RequestSource } from "./echo_tracker.ts";
export { nowUs, PreciseSleeper } from "./clock.ts";
export { buildCEcho, type FloorOptions, type FloorResult, measureFloor } from "./floor.ts";
