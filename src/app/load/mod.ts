/** The load-generator core of `fixg bench` (pure). */
export * from "./generator.ts";
