/**
 * The load shapes in one process against an in-process simulator (or echo acceptor): bursts over several
 * sessions, ramp verdicts, echo mode and an interrupted run. Only counts and verdicts are asserted, never
 * timings (the machine is shared).
 */
import assert from "node:assert/strict";
import { defaultLpConfig } from "../../src/app/lp/mod.ts";
import { resolveBenchOptions, runBench } from "../../src/bench/mod.ts";
import type { BenchFlags } from "../../src/bench/options.ts";
import { echoApp } from "../../src/engine/apps/echo.ts";
import { startLoopbackSimulator } from "../../src/engine/lp_host.ts";
import { startAcceptor } from "../../src/engine/quick.ts";

async function withSimulator(fn: (port: number) => Promise<void>): Promise<void> {
  const sim = await startLoopbackSimulator(defaultLpConfig());
  try {
    await fn(sim.port);
  } finally {
    await sim.stop();
  }
}

const base = (port: number, more: BenchFlags): BenchFlags => ({
  target: `127.0.0.1:${port}`,
  senderCompId: "SHAPE",
  targetCompId: "LP",
  warmup: "0",
  progress: false,
  ...more,
});

Deno.test("burst over two sessions: every order of both sessions answered and accounted per session", async () => {
  await withSimulator(async (port) => {
    const o = await resolveBenchOptions(
      base(port, { burst: "300x2", burstPauseMs: "20", sessions: "2", mix: "new=1" }),
    );
    const { report, exitCode } = await runBench(o);
    assert.equal(exitCode, 0);
    assert.equal(report.sent, 1200);
    assert.equal(report.acknowledged, 1200);
    assert.equal(report.lost, 0);
    assert.deepEqual(report.perSession.map((s) => [s.sessionId, s.sent, s.acknowledged]), [
      ["FIX.4.4:SHAPE->LP", 600, 600],
      ["FIX.4.4:SHAPE2->LP", 600, 600],
    ]);
    assert.equal(report.latency.orderToAck!.count, 1200);
    assert.equal(report.config.burst, "300x2");
    assert.ok(report.durationSec > 0);
    assert.equal(report.throughputPerSec, Math.round((1200 / report.durationSec) * 10) / 10);
  });
});

Deno.test("burst warm-up: whole bursts of the measured size first, none of them in the report", async () => {
  const sim = await startLoopbackSimulator(defaultLpConfig());
  try {
    const o = await resolveBenchOptions(base(sim.port, { burst: "250x1", warmup: "0.001", mix: "new=1" }));
    const { report, exitCode } = await runBench(o);
    assert.equal(exitCode, 0);
    assert.equal(report.sent, 250);
    assert.equal(report.acknowledged, 250);
    assert.equal(report.latency.orderToAck!.count, 250);
    // One warm-up burst (the time was up after it), then the measured one: the simulator took both.
    assert.equal(sim.simulator.stats(Date.now()).ordersReceived, 500);
  } finally {
    await sim.stop();
  }
});

Deno.test("read spinning: every order of a burst answered, and the effective settings say it took effect", async () => {
  await withSimulator(async (port) => {
    const o = await resolveBenchOptions(base(port, { burst: "400x1", mix: "new=1", readSpinUs: "500" }));
    assert.equal(o.readSpinUs, 500);
    const { report, exitCode } = await runBench(o);
    assert.equal(exitCode, 0);
    assert.equal(report.acknowledged, 400);
    assert.equal(report.lost, 0);
    const spin = report.effectiveSettings.find((e) => e.knob === "read-spin");
    assert.deepEqual(spin, { knob: "read-spin", requested: "500 µs", effective: "500 µs", ok: true });
  });
  await assert.rejects(
    () => resolveBenchOptions(base(1, { readSpinUs: "-1" })),
    /--read-spin-us/,
  );
  // The acceptor side (gateway tuning readSpinUs, as `simulate-lp --read-spin-us` and `tuning.readSpinUs`).
  const sim = await startLoopbackSimulator(defaultLpConfig(), { readSpinUs: 500 });
  try {
    const { report, exitCode } = await runBench(
      await resolveBenchOptions(base(sim.port, { burst: "300x1", mix: "new=1" })),
    );
    assert.equal(exitCode, 0);
    assert.equal(report.acknowledged, 300);
    const spin = sim.gateway.tuningReports().find((e) => e.knob === "read-spin");
    assert.deepEqual(spin, { knob: "read-spin", requested: "500 µs", effective: "500 µs", ok: true });
  } finally {
    await sim.stop();
  }
});

Deno.test("ramp: an impossible latency bound stops at the first step; a generous one sustains it", async () => {
  await withSimulator(async (port) => {
    const strict = await runBench(
      await resolveBenchOptions(base(port, { ramp: "100:300:100:0.3", rampP99Us: "0.001" })),
    );
    assert.equal(strict.exitCode, 0);
    assert.equal(strict.report.ramp!.steps.length, 1);
    assert.equal(strict.report.ramp!.steps[0]!.ratePerSec, 100);
    assert.equal(strict.report.ramp!.steps[0]!.sustained, false);
    assert.equal(strict.report.ramp!.maxSustainedRatePerSec, 0);

    const easy = await runBench(
      await resolveBenchOptions(base(port, { ramp: "100:100:100:0.6", rampP99Us: "10000000" })),
    );
    assert.equal(easy.report.ramp!.latencyBoundUs, 10_000_000);
    assert.deepEqual(easy.report.ramp!.steps.map((s) => s.ratePerSec), [100]);
    assert.equal(easy.report.ramp!.steps[0]!.sustained, true, JSON.stringify(easy.report.ramp));
    assert.equal(easy.report.ramp!.maxSustainedRatePerSec, 100);
  });
});

Deno.test("echo mode: the echoed NewOrderSingle with our ClOrdID is the acknowledgement", async () => {
  const gw = await startAcceptor({ port: 0, senderCompId: "ECHO", targetCompId: "*" }, echoApp());
  try {
    const o = await resolveBenchOptions({
      target: `127.0.0.1:${gw.ports[0]}`,
      senderCompId: "PINGER",
      targetCompId: "ECHO",
      pingPong: true,
      duration: "0.5",
      warmup: "0.2",
      echo: true,
      progress: false,
    });
    assert.deepEqual(o.mix, { newOrder: 1, cancel: 0, replace: 0, marketData: 0 });
    const { report, exitCode } = await runBench(o);
    assert.equal(exitCode, 0);
    assert.ok(report.sent > 10, `sent ${report.sent}`);
    assert.equal(report.acknowledged, report.sent);
    assert.equal(report.latency.orderToAck!.count, report.sent);
    assert.deepEqual(Object.keys(report.latency), ["orderToAck"]);
  } finally {
    await gw.stop();
  }
});

Deno.test("an interrupted run stops the load, drains, reports what it measured and exits 130", async () => {
  await withSimulator(async (port) => {
    const o = await resolveBenchOptions(base(port, { rate: "200", duration: "30" }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 400);
    const { report, exitCode } = await runBench(o, { signal: controller.signal });
    assert.equal(exitCode, 130);
    assert.ok(report.durationSec < 5);
    assert.equal(report.lost, 0);
    assert.ok(report.notes!.includes("interrupted: the figures cover the load sent before the interrupt"));
  });
});

Deno.test("bench.yaml: settings from the file, flags win, unknown keys are usage errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-bench-yaml-" });
  try {
    const file = `${dir}/bench.yaml`;
    await Deno.writeTextFile(
      file,
      [
        "target: 127.0.0.1:9878",
        "senderCompId: '0012'",
        "targetCompId: LP",
        "rate: 2000",
        "sessions: 3",
        "mix: { new: 0.7, cancel: 0.3 }",
        "symbols:",
        "  - symbol: EUR/USD",
        "  - { symbol: XYZ, price: 12.5, tickSize: 0.01, minQty: 10, maxQty: 100, lotSize: 10 }",
      ].join("\n"),
    );
    const o = await resolveBenchOptions({ config: file, sessions: "2" });
    assert.deepEqual(o.target, { host: "127.0.0.1", port: 9878 });
    assert.equal(o.senderCompId, "0012");
    assert.deepEqual(o.shape, { kind: "rate", ratePerSec: 2000 });
    assert.equal(o.sessions, 2);
    assert.deepEqual(o.mix, { newOrder: 0.7, cancel: 0.3, replace: 0, marketData: 0 });
    assert.deepEqual(o.symbols.map((s) => s.symbol), ["EUR/USD", "XYZ"]);
    assert.equal(o.symbols[1]!.lotSize, 10);
    assert.equal(o.source, file);
    await Deno.writeTextFile(file, "rate: 100\nrat: 5\n");
    await assert.rejects(() => resolveBenchOptions({ config: file }), {
      name: "ConfigError",
      message: `${file}: rat: unknown key (did you mean "rate"?)`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // The samples in fixtures/bench parse.
  const samples = new URL("../../fixtures/bench/", import.meta.url).pathname;
  const shapes: Record<string, string> = {};
  for (const e of Deno.readDirSync(samples)) {
    shapes[e.name] = (await resolveBenchOptions({ config: samples + e.name })).shape.kind;
  }
  assert.deepEqual(shapes, {
    "bench.yaml": "rate",
    "quickfix_acceptor.yaml": "ping-pong",
    "ramp.yaml": "ramp",
  });
});
