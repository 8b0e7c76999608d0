/**
 * Shared test helpers: child processes (`./fixg`, simulate-lp) and their output, waiting on events with a
 * bounded timeout (no fixed sleeps), free loopback ports, temporary directories.
 */
export * from "./net.ts";
export * from "./process.ts";
export * from "./tmp.ts";
export * from "./wait.ts";
export * from "./orders.ts";
