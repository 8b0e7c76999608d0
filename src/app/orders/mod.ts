/** The order side: OrderTracker (state machine per ClOrdID chain), risk checks and the circuit breaker. */
export * from "./risk.ts";
export * from "./state_machine.ts";
export * from "./tracker.ts";
