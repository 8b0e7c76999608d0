/**
 * Rows and markdown tables of the benchmark scripts (bench/loopback.ts, bench/peer_latency.ts): one row per
 * pair, placement and mode, from a `fixg bench --json` report or a peer client's result line, so every
 * engine's figures land in the same columns of docs/performance.md.
 */
import type { BenchReport } from "../report/types.ts";

/** The peers' client result line (bench/peers/latency_stats.mjs), and the figures of every row. */
export interface PeerLatencyResult {
  count: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  /** Round trips per second (ping-pong) or acknowledged orders per second (burst). */
  msgsPerSec: number;
}

/** One measured configuration. */
export interface LatencyRow extends PeerLatencyResult {
  /** Who talks to whom, e.g. "fixg → QuickFIX acceptor". */
  pair: string;
  /** "pinned, CPU 0" or "split, CPUs 0/1". */
  placement: string;
  /** "ping-pong" or "burst N". */
  mode: string;
}

/** A row from a `fixg bench --json` report (its order-to-ack latency and throughput). */
export function rowFromBenchReport(
  pair: string,
  placement: string,
  mode: string,
  r: BenchReport,
): LatencyRow {
  const s = r.latency.orderToAck;
  if (s === undefined) {
    throw new Error(`${pair} ${placement} ${mode}: the run measured no order-to-ack latency`);
  }
  return {
    pair,
    placement,
    mode,
    count: s.count,
    p50Us: s.p50Us,
    p90Us: s.p90Us,
    p99Us: s.p99Us,
    p999Us: s.p999Us,
    maxUs: s.maxUs,
    msgsPerSec: Math.round(r.throughputPerSec),
  };
}

/** A row from a peer client's result line. */
export function rowFromPeerResult(
  pair: string,
  placement: string,
  mode: string,
  r: PeerLatencyResult,
): LatencyRow {
  return {
    pair,
    placement,
    mode,
    count: r.count,
    p50Us: r.p50Us,
    p90Us: r.p90Us,
    p99Us: r.p99Us,
    p999Us: r.p999Us,
    maxUs: r.maxUs,
    msgsPerSec: Math.round(r.msgsPerSec),
  };
}

/** Microseconds for a table: 3 significant digits below 1000, thousands separators above. */
export function formatUs(us: number): string {
  if (us >= 1000) return Math.round(us).toLocaleString("en-US");
  if (us >= 100) return us.toFixed(0);
  if (us >= 10) return us.toFixed(1);
  return us.toFixed(2);
}

/** The rows as a markdown table. */
export function markdownLatencyTable(rows: readonly LatencyRow[]): string {
  const lines = [
    "| pair | placement | mode | count | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | msgs/s |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.pair} | ${r.placement} | ${r.mode} | ${r.count.toLocaleString("en-US")} | ${
        formatUs(r.p50Us)
      } | ${formatUs(r.p90Us)} | ` +
        `${formatUs(r.p99Us)} | ${formatUs(r.p999Us)} | ${formatUs(r.maxUs)} | ${
          r.msgsPerSec.toLocaleString("en-US")
        } |`,
    );
  }
  return lines.join("\n");
}

/** `a / b` rounded to 2 decimals, or "n/a". */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return "n/a";
  return (Math.round((a / b) * 100) / 100).toFixed(2);
}
