/** The application layer: orders, market data, the LP simulator core and the load generator core. */
export * from "./load/mod.ts";
export * from "./lp/mod.ts";
export * from "./market_data/mod.ts";
export * from "./orders/mod.ts";
export * from "./prng.ts";
export * from "./tags.ts";
export * from "./time_of_day.ts";
