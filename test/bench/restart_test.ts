/**
 * A counterparty that crashes mid-run: `fixg simulate-lp` with a journal store is SIGKILLed while the bench
 * sends at a fixed rate, and restarted on the same port with the same journal. The bench's session
 * reconnects, both sides recover through resend, and every order is counted exactly once.
 */
import assert from "node:assert/strict";
import { resolveBenchOptions, runBench, SimulatorChild } from "../../src/bench/mod.ts";
import { ProgressLine, type ProgressState } from "../../src/report/progress.ts";
import { waitFor } from "../_helpers/mod.ts";

/** The run's progress hook (fed every 100 ms by the runner), kept instead of printed. */
class Progress extends ProgressLine {
  acknowledged = 0;
  constructor() {
    super({ isTerminal: false, write: () => {} });
  }
  override update(state: ProgressState): void {
    this.acknowledged = state.acknowledged;
  }
}

Deno.test("bench survives a simulator crash and restart: reconnect, resend, every order counted once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-bench-restart-" });
  let sim: SimulatorChild | undefined = await SimulatorChild.start({
    port: 0,
    senderCompId: "LP",
    store: dir,
  });
  const port = sim.port;
  try {
    const options = await resolveBenchOptions({
      target: `127.0.0.1:${port}`,
      senderCompId: "RESTART",
      targetCompId: "LP",
      rate: "300",
      duration: "4",
      warmup: "0",
      graceMs: "15000",
      progress: false,
    });
    const progress = new Progress();
    const run = runBench(options, { progress });
    // Killed mid-run, once the session is up and orders are being acknowledged (was: a 1.2 s sleep).
    await waitFor(() => progress.acknowledged >= 100, "100 orders acknowledged before the crash", 10_000);
    await sim.kill();
    const before = sim;
    sim = undefined;
    assert.equal(before.exited, true);
    sim = await SimulatorChild.start({ port, senderCompId: "LP", store: dir });
    const { report, exitCode } = await run;
    assert.equal(exitCode, 0, JSON.stringify(report.notes));
    assert.equal(report.lost, 0);
    assert.ok(report.sent > 100, `sent ${report.sent}`);
    // Every order answered exactly once: acknowledged or rejected, none twice, none missing.
    assert.equal(report.acknowledged + report.rejected, report.sent);
    assert.ok(report.notes?.some((n) => /^reconnected [1-9]\d* time/.test(n)), JSON.stringify(report.notes));
    assert.equal(report.requests?.lost, 0);
    assert.equal(report.requests?.answered, report.requests?.sent);
    // Orders sent while the simulator was down waited for it: their latency shows the outage.
    assert.ok(report.latency.orderToAck!.maxUs > 100_000, `max ${report.latency.orderToAck!.maxUs} µs`);
  } finally {
    await sim?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
