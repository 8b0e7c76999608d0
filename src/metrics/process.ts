/** Process metrics (memory, CPU, uptime) and an event-loop delay monitor, exported at scrape time. */
import process from "node:process";
import type { Scheduler, Timer } from "../clock.ts";
import { FixgError } from "../errors.ts";
import { LatencyHistogram } from "./histogram.ts";
import type { MetricFamily } from "./prometheus.ts";
import type { Collector } from "./registry.ts";

/** Collector of process_* and deno_* metrics; needs no permissions. */
export function processCollector(options: { startTimeMs?: number } = {}): Collector {
  const startTimeMs = options.startTimeMs ?? Date.now() - performance.now();
  return (): MetricFamily[] => {
    const mem = Deno.memoryUsage();
    const cpu = process.cpuUsage();
    return [
      gauge("process_resident_memory_bytes", "Resident set size in bytes.", mem.rss),
      gauge("deno_heap_used_bytes", "V8 heap in use, bytes.", mem.heapUsed),
      gauge("deno_heap_total_bytes", "V8 heap reserved, bytes.", mem.heapTotal),
      gauge(
        "deno_external_memory_bytes",
        "Memory of objects bound to V8 outside its heap (buffers), bytes.",
        mem.external,
      ),
      counter("process_cpu_user_seconds_total", "User CPU time spent, seconds.", cpu.user / 1e6),
      counter("process_cpu_system_seconds_total", "System CPU time spent, seconds.", cpu.system / 1e6),
      counter(
        "process_cpu_seconds_total",
        "User and system CPU time spent, seconds.",
        (cpu.user + cpu.system) / 1e6,
      ),
      gauge(
        "process_start_time_seconds",
        "Start time of the process since the Unix epoch, seconds.",
        startTimeMs / 1000,
      ),
    ];
  };
}

/** A single unlabeled gauge family. */
function gauge(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: "gauge", samples: [{ labels: {}, value }] };
}

/** A single unlabeled counter family. */
function counter(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: "counter", samples: [{ labels: {}, value }] };
}

/** Options of the event-loop delay monitor. */
export interface EventLoopDelayOptions {
  /** Sampling interval; default 10 ms. A tick that fires late by d ms means the loop was busy for d ms. */
  resolutionMs?: number;
  /** Clock in milliseconds; default the scheduler's (tests pass a manual clock and call observe()). */
  nowMs?: () => number;
  /**
   * The timers of the sampling (src/clock.ts); default the system's, unref'd (a running monitor never
   * keeps the process alive), on performance.now. A ManualScheduler samples as the test moves time.
   */
  scheduler?: Scheduler;
}

/** The system timers, unref'd, on performance.now: the monitor's default scheduler. */
const unrefSystemScheduler: Scheduler = {
  nowMs: () => performance.now(),
  at(atMs: number, callback: () => void): Timer {
    return unrefSystemScheduler.after(atMs - performance.now(), callback);
  },
  after(delayMs: number, callback: () => void): Timer {
    const id = setTimeout(callback, Math.max(0, delayMs));
    Deno.unrefTimer(id);
    return { cancel: () => clearTimeout(id) };
  },
};

/**
 * The default monitor's ticks: one unref'd system interval (re-armed by the runtime `intervalMs` after each
 * tick fires), not a timer created per tick. A `setTimeout` per tick (a Node-compatible Timeout object, its
 * async id, unref, insertion, all in cold code at 100 ticks a second) cost the engine's main thread 2.5–4.7 µs
 * of CPU per attached ping-pong order more than the interval (docs/performance.md, "Session 9: the engine's
 * CPU per ping-pong order").
 */
function unrefSystemInterval(intervalMs: number, callback: () => void): Timer {
  const id = setInterval(callback, intervalMs);
  Deno.unrefTimer(id);
  return { cancel: () => clearInterval(id) };
}

/**
 * Measures event-loop delay as the drift of a periodic timer (re-armed `resolutionMs` after each tick):
 * each tick records how late it fired. By default the timer is unref'd, so a running monitor never
 * keeps the process alive.
 */
export class EventLoopDelayMonitor {
  /** Delays in microseconds. */
  readonly histogram = new LatencyHistogram({ unit: "us" });
  /** Sampling interval. */
  readonly resolutionMs: number;
  private readonly nowMs: () => number;
  private readonly scheduler: Scheduler;
  private timer: Timer | undefined;
  private lastMs: number | undefined;

  constructor(options: EventLoopDelayOptions = {}) {
    this.resolutionMs = options.resolutionMs ?? 10;
    if (!(this.resolutionMs >= 1)) {
      throw new FixgError(
        "METRICS",
        `Event-loop monitor resolution must be >= 1 ms, got ${this.resolutionMs}`,
      );
    }
    this.scheduler = options.scheduler ?? unrefSystemScheduler;
    const scheduler = this.scheduler;
    this.nowMs = options.nowMs ?? (() => scheduler.nowMs());
  }

  /** True while the sampling timer runs. */
  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Starts sampling (no-op when already running). */
  start(): void {
    if (this.timer !== undefined) return;
    this.lastMs = this.nowMs();
    this.#arm();
  }

  /**
   * The ticks, each `resolutionMs` after the previous one fired (a late tick delays the next): on the default
   * scheduler one system interval, on another scheduler a timer re-armed at each tick.
   */
  #arm(): void {
    if (this.scheduler === unrefSystemScheduler) {
      this.timer = unrefSystemInterval(this.resolutionMs, () => {
        if (this.timer !== undefined) this.observe(this.nowMs());
      });
      return;
    }
    this.timer = this.scheduler.after(this.resolutionMs, () => {
      if (this.timer === undefined) return;
      this.observe(this.nowMs());
      this.#arm();
    });
  }

  /** Stops sampling; the histogram keeps what was recorded. */
  stop(): void {
    if (this.timer === undefined) return;
    this.timer.cancel();
    this.timer = undefined;
    this.lastMs = undefined;
  }

  /** Records one tick at `nowMs`: the delay is the time since the previous tick beyond the resolution. */
  observe(nowMs: number): void {
    if (this.lastMs !== undefined) {
      const delayMs = Math.max(nowMs - this.lastMs - this.resolutionMs, 0);
      this.histogram.record(delayMs * 1000);
    }
    this.lastMs = nowMs;
  }

  /** Forgets recorded delays (e.g. after each scrape window). */
  reset(): void {
    this.histogram.reset();
  }

  /** Collector exposing `<prefix>eventloop_delay_{min,mean,max,stddev,p50,p90,p99}_seconds` gauges. */
  collector(prefix = "fixg_"): Collector {
    return (): MetricFamily[] => {
      const h = this.histogram;
      const [p50, p90, p99] = h.valuesAtPercentiles([50, 90, 99]);
      const s = (us: number) => us / 1e6;
      const name = (what: string) => `${prefix}eventloop_delay_${what}_seconds`;
      return [
        gauge(name("min"), "Smallest event-loop delay observed, seconds.", s(h.min)),
        gauge(name("mean"), "Mean event-loop delay, seconds.", s(h.mean)),
        gauge(name("max"), "Largest event-loop delay observed, seconds.", s(h.max)),
        gauge(name("stddev"), "Standard deviation of event-loop delay, seconds.", s(h.stddev)),
        gauge(name("p50"), "Median event-loop delay, seconds.", s(p50!)),
        gauge(name("p90"), "90th percentile of event-loop delay, seconds.", s(p90!)),
        gauge(name("p99"), "99th percentile of event-loop delay, seconds.", s(p99!)),
      ];
    };
  }
}
