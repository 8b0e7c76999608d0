/** The order side: the one order model (phases, nextPhase), risk checks and the circuit breaker. */
export * from "./risk.ts";
export * from "./state_machine.ts";
