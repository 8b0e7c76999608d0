import assert from "node:assert/strict";
import { EventLoopDelayMonitor, MetricsRegistry, processCollector } from "../../src/metrics/mod.ts";
import { waitFor } from "../_helpers/mod.ts";

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

Deno.test("EventLoopDelayMonitor start/stop drives a real unref'd timer", async () => {
  // The real timer fires the ticks; the clock they read is manual, so the lateness is exact.
  let now = 1000;
  const monitor = new EventLoopDelayMonitor({ resolutionMs: 1, nowMs: () => now });
  monitor.start();
  monitor.start(); // idempotent
  assert.equal(monitor.running, true);
  // The loop "was blocked" for 21 ms before the next tick: it fires 20 ms late.
  now += 21;
  await waitFor(() => monitor.histogram.count >= 1, "a tick of the real timer", 2000);
  monitor.stop();
  assert.equal(monitor.running, false);
  assert.ok(monitor.histogram.count >= 1, "ticks were recorded");
  assert.ok(monitor.histogram.max >= 10_000, `a blocked loop shows up (max ${monitor.histogram.max} µs)`);
});
