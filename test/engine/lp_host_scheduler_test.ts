/**
 * The LP host and the one-session helpers on a ManualScheduler: the host's one timer (the simulator's
 * next deadline: market data, due answers) runs only when the test moves time, and `stop()` leaves no
 * timer behind.
 */
import assert from "node:assert/strict";
import { defaultLpConfig, LpSimulator } from "../../src/app/lp/mod.ts";
import { ManualScheduler } from "../../src/clock.ts";
import { LpHost, startLoopbackSimulator } from "../../src/engine/lp_host.ts";
import { startAcceptor, startInitiator } from "../../src/engine/quick.ts";
import { waitFor } from "./helpers.ts";

Deno.test("LpHost arms its timer on the scheduler at the simulator's next deadline and runs it when time gets there", () => {
  const clock = new ManualScheduler();
  const sim = new LpSimulator(defaultLpConfig(), clock.nowMs());
  const host = new LpHost(sim, () => undefined, { scheduler: clock });
  const first = sim.nextTimerMs();
  assert.ok(first !== undefined && first > clock.nowMs(), "the market-data clock has a next step");
  host.start();
  assert.equal(clock.pendingCount, 1);
  assert.equal(clock.nextAtMs, first);
  clock.advanceTo(first - 1);
  assert.equal(sim.nextTimerMs(), first, "nothing ran before the deadline");
  clock.advanceTo(first);
  const second = sim.nextTimerMs()!;
  assert.ok(second > first, "the simulator stepped");
  assert.equal(clock.pendingCount, 1, "re-armed once");
  assert.equal(clock.nextAtMs, second);
  host.stop();
  assert.equal(clock.pendingCount, 0);
});

Deno.test("a loopback simulator on a ManualScheduler: its gateway and host timers all go with stop()", async () => {
  const clock = new ManualScheduler(Date.now());
  const lp = await startLoopbackSimulator(defaultLpConfig(), { scheduler: clock });
  assert.equal(lp.gateway.scheduler, clock);
  assert.ok(clock.pendingCount >= 2, "the host's timer and the gateway's schedule check");
  await lp.stop();
  assert.equal(clock.pendingCount, 0);
});

Deno.test("startInitiator/startAcceptor take a scheduler: the session logs on over loopback, every timer on it, none left after stop", async () => {
  const clock = new ManualScheduler(Date.now());
  const acc = await startAcceptor(
    { port: 0, senderCompId: "ISLD", targetCompId: "TW", scheduler: clock },
    {},
  );
  const ini = await startInitiator(
    { port: acc.ports[0]!, senderCompId: "TW", targetCompId: "ISLD", scheduler: clock },
    {},
  );
  assert.equal(ini.scheduler, clock);
  assert.equal(acc.scheduler, clock);
  await waitFor(() => ini.runners()[0]!.loggedOn && acc.runners()[0]!.loggedOn, "both sides logged on");
  await ini.stop();
  await acc.stop();
  assert.equal(clock.pendingCount, 0);
});
