// Latency summary shared by the peer benchmark clients (jspurefix under Node, raw TCP under Deno):
// exact percentiles from every sample (nearest rank), so runs of a few thousand samples are exact.

/**
 * Nearest-rank percentile of ascending-sorted samples.
 * @param {Float64Array} sorted
 * @param {number} q quantile in [0, 1]
 * @returns {number}
 */
export function percentile(sorted, q) {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}

/**
 * The result line every peer benchmark client prints: latencies in microseconds, throughput in
 * messages (round trips for ping-pong, acknowledged orders for burst) per second.
 * @param {{peer: string, runtime: string, mode: string, samplesNs: Float64Array, elapsedNs: number}} run
 * @returns {{peer: string, runtime: string, mode: string, count: number, p50Us: number, p90Us: number,
 *   p99Us: number, p999Us: number, maxUs: number, meanUs: number, msgsPerSec: number}}
 */
export function summarize(run) {
  const sorted = Float64Array.from(run.samplesNs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const us = (ns) => Math.round(ns / 10) / 100;
  const count = sorted.length;
  return {
    peer: run.peer,
    runtime: run.runtime,
    mode: run.mode,
    count,
    p50Us: us(percentile(sorted, 0.5)),
    p90Us: us(percentile(sorted, 0.9)),
    p99Us: us(percentile(sorted, 0.99)),
    p999Us: us(percentile(sorted, 0.999)),
    maxUs: us(count ? sorted[count - 1] ?? 0 : 0),
    meanUs: us(count ? sum / count : 0),
    msgsPerSec: run.elapsedNs > 0 ? Math.round(count / (run.elapsedNs / 1e9)) : 0,
  };
}
