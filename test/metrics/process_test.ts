import assert from "node:assert/strict";
import { EventLoopDelayMonitor, MetricsRegistry, processCollector } from "../../src/metrics/mod.ts";
import { ManualScheduler } from "../../src/clock.ts";

Deno.test("processCollector exposes memory, CPU and start time", () => {
  const registry = new MetricsRegistry();
  registry.register(processCollector({ startTimeMs: 1_700_000_000_000 }));
  const text = registry.render();
  for (
    const name of [
      "process_resident_memory_bytes",
      "deno_heap_used_bytes",
      "deno_heap_total_bytes",
      "deno_external_memory_bytes",
      "process_cpu_user_seconds_total",
      "process_cpu_system_seconds_total",
      "process_cpu_seconds_total",
    ]
  ) {
    const m = new RegExp(`^${name} (\\d+(?:\\.\\d+)?(?:e[+-]\\d+)?)$`, "m").exec(text);
    assert.ok(m !== null, `${name} present`);
    assert.ok(Number(m[1]) >= 0);
  }
  assert.match(text, /^process_start_time_seconds 1700000000$/m);
  assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
});

Deno.test("EventLoopDelayMonitor records how late each tick fired (manual clock)", () => {
  const monitor = new EventLoopDelayMonitor({ resolutionMs: 10 });
  monitor.observe(1000); // first tick: reference only
  monitor.observe(1010); // on time
  monitor.observe(1025); // 5 ms late
  monitor.observe(1085); // 50 ms late: the loop was blocked
  assert.equal(monitor.histogram.count, 3);
  assert.equal(monitor.histogram.max, 50_000);
  const registry = new MetricsRegistry();
  registry.register(monitor.collector("fixg_"));
  const text = registry.render();
  assert.match(text, /^fixg_eventloop_delay_max_seconds 0\.05$/m);
  assert.match(text, /^fixg_eventloop_delay_min_seconds 0$/m);
  // 5000 µs sits in a 4 µs-wide bucket: percentiles report its highest equivalent value, 5003 µs.
  assert.match(text, /^fixg_eventloop_delay_p50_seconds 0\.005003$/m);
  monitor.reset();
  assert.equal(monitor.histogram.count, 0);
});

Deno.test("EventLoopDelayMonitor start/stop drives its timer on the scheduler (manual: exact lateness, no real time)", () => {
  const clock = new ManualScheduler(1000);
  const monitor = new EventLoopDelayMonitor({ resolutionMs: 10, scheduler: clock });
  monitor.start();
  monitor.start(); // idempotent: one timer
  assert.equal(monitor.running, true);
  assert.equal(clock.pendingCount, 1);
  clock.advance(10); // the tick at 1010: on time
  assert.equal(monitor.histogram.count, 1);
  assert.equal(monitor.histogram.max, 0);
  // The loop "was blocked": the clock is at 1041 when the tick due at 1020 runs, 21 ms late.
  clock.ms = 1041;
  clock.runDue();
  assert.equal(monitor.histogram.count, 2);
  assert.equal(monitor.histogram.max, 21_000);
  clock.advance(10); // re-armed from the late tick: due at 1051, on time
  assert.equal(monitor.histogram.count, 3);
  monitor.stop();
  assert.equal(monitor.running, false);
  assert.equal(clock.pendingCount, 0, "stop cancels the timer");
  clock.advance(100);
  assert.equal(monitor.histogram.count, 3, "no tick after stop");
});

Deno.test("EventLoopDelayMonitor's default timer is the system's, unref'd, and stop cancels it", () => {
  const monitor = new EventLoopDelayMonitor({ resolutionMs: 1 });
  monitor.start();
  assert.equal(monitor.running, true);
  monitor.stop(); // the test's op sanitizer fails on a timer left behind
  assert.equal(monitor.running, false);
});

Deno.test("EventLoopDelayMonitor's default timer keeps ticking (one interval, not one timer per tick)", async () => {
  const monitor = new EventLoopDelayMonitor({ resolutionMs: 1 });
  monitor.start();
  const end = performance.now() + 2000;
  while (monitor.histogram.count < 3 && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
  monitor.stop();
  assert.equal(monitor.running, false);
  assert.ok(monitor.histogram.count >= 3, `ticks recorded: ${monitor.histogram.count}`);
  const n = monitor.histogram.count;
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(monitor.histogram.count, n, "no tick after stop");
});
