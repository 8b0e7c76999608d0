/** Bench reports: the BenchReport shape and its renderers (terminal, JSON, HTML, HdrHistogram log, compare). */
export * from "./types.ts";
export * from "./format.ts";
export * from "./json.ts";
export * from "./terminal.ts";
export * from "./svg.ts";
export * from "./html.ts";
export * from "./progress.ts";
export * from "./compare.ts";
export * from "./build.ts";
export { sampleBenchReport } from "./sample.ts";
export { formatHdrLog, type HdrLogInterval } from "../metrics/hdr_log.ts";
