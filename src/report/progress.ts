/**
 * The live progress line of `fixg bench`. On a terminal it redraws one line in place (`\r\x1b[2K`) at most
 * every 100 ms; when stderr is a file or a pipe (CI logs) it prints a plain line every few seconds instead,
 * so logs stay readable.
 */
import { formatMicros } from "./format.ts";

/** What the progress line shows. */
export interface ProgressState {
  /** "warmup", "run", "drain", or any short word. */
  phase: string;
  /** Seconds since the phase started. */
  elapsedSec: number;
  /** Planned length of the phase; the bar is drawn only when known. */
  totalSec?: number;
  /** Orders sent so far. */
  sent: number;
  /** Orders acknowledged so far. */
  acknowledged: number;
  /** Current acknowledged rate. */
  ratePerSec?: number;
  /** Order-to-ack p99 so far. */
  p99Us?: number;
}

/** Options of ProgressLine; defaults write to stderr and detect whether it is a terminal. */
export interface ProgressOptions {
  /** Redraw in place (terminal) or print plain lines. Default: Deno.stderr.isTerminal(). */
  isTerminal?: boolean;
  /** Output sink. Default: synchronous write to stderr. */
  write?: (text: string) => void;
  /** Minimum time between redraws on a terminal; default 100 ms. */
  minIntervalMs?: number;
  /** Time between plain lines when not a terminal; default 5000 ms. */
  plainIntervalMs?: number;
  /** Clock; default performance.now. */
  nowMs?: () => number;
}

/** One progress line (no control characters): phase, bar, percent, elapsed, counts, rate and p99. */
export function formatProgressLine(s: ProgressState, barWidth = 24): string {
  const parts: string[] = [s.phase];
  if (s.totalSec !== undefined && s.totalSec > 0) {
    const frac = Math.min(Math.max(s.elapsedSec / s.totalSec, 0), 1);
    const filled = Math.round(frac * barWidth);
    parts.push(
      `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}]`,
      `${Math.floor(frac * 100)}%`.padStart(4),
    );
    parts.push(`${s.elapsedSec.toFixed(1)}/${s.totalSec.toFixed(1)} s`);
  } else {
    parts.push(`${s.elapsedSec.toFixed(1)} s`);
  }
  parts.push(`sent ${s.sent}`, `acked ${s.acknowledged}`);
  if (s.ratePerSec !== undefined) parts.push(`${Math.round(s.ratePerSec)}/s`);
  if (s.p99Us !== undefined) parts.push(`p99 ${formatMicros(s.p99Us)} µs`);
  return parts.join("  ");
}

/** Writes all of `text` to stderr synchronously (a partial write is continued). */
function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  while (at < bytes.length) at += Deno.stderr.writeSync(bytes.subarray(at));
}

/** Throttled progress output for a running benchmark. */
export class ProgressLine {
  /** True when redrawing in place. */
  readonly isTerminal: boolean;
  private readonly write: (text: string) => void;
  private readonly minIntervalMs: number;
  private readonly plainIntervalMs: number;
  private readonly nowMs: () => number;
  private lastMs = -Infinity;
  private drawn = false;

  constructor(options: ProgressOptions = {}) {
    this.isTerminal = options.isTerminal ?? Deno.stderr.isTerminal();
    this.write = options.write ?? writeStderr;
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.plainIntervalMs = options.plainIntervalMs ?? 5000;
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  /** Shows the state if enough time passed since the last output. */
  update(state: ProgressState): void {
    const now = this.nowMs();
    const interval = this.isTerminal ? this.minIntervalMs : this.plainIntervalMs;
    if (now - this.lastMs < interval) return;
    this.lastMs = now;
    this.emit(state);
  }

  /** Shows the final state (always) and ends the line so later output starts on a fresh one. */
  finish(state?: ProgressState): void {
    if (state !== undefined) {
      this.emit(state);
    }
    if (this.isTerminal && this.drawn) this.write("\n");
    this.drawn = false;
    this.lastMs = -Infinity;
  }

  /** Erases the line on a terminal (e.g. before printing a warning), to be redrawn by the next update. */
  clear(): void {
    if (this.isTerminal && this.drawn) this.write("\r\x1b[2K");
    this.drawn = false;
    this.lastMs = -Infinity;
  }

  private emit(state: ProgressState): void {
    const line = formatProgressLine(state);
    if (this.isTerminal) {
      this.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      this.write(`${line}\n`);
    }
  }
}
