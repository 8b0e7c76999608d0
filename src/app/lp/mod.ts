/** The liquidity-provider simulator core of `fixg simulate-lp` (pure), its config and config loader. */
export * from "./behaviours.ts";
export * from "./config.ts";
export * from "./load_config.ts";
export * from "./matching_book.ts";
export * from "./price_process.ts";
export * from "./simulator.ts";
