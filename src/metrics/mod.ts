/** Metrics: the hot-path latency histogram, HdrHistogram logs, counters and the Prometheus exposition. */
export * from "./histogram.ts";
export * from "./hdr_log.ts";
export * from "./prometheus.ts";
export * from "./registry.ts";
export * from "./process.ts";
