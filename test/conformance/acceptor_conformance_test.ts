/**
 * CI conformance run: ONE `fixg run --acceptor --app echo --store memory` child process, every
 * fixtures/conformance/fix44 and fix42 acceptor scenario played against it (each scenario has its own
 * client CompID, so each gets a fresh dynamic session), then the case 12 scenarios while the child is
 * stopped with SIGTERM, which must log them out and exit 0. The regular scenarios are played twice:
 * a scenario set can run again against the same acceptor (docs/conformance.md says why).
 */
import assert from "node:assert/strict";
import { runScenario, type Scenario, type ScenarioResult } from "../../src/conformance/mod.ts";
import { describeResult, FixgProcess, fixtureScenarios, freePort, waitListening } from "./engine_process.ts";
import { withTimeout } from "../_helpers/mod.ts";

const describe = (r: ScenarioResult) => describeResult(r, true);

function label(s: Scenario): string {
  const parts = s.file.split("/");
  return `${parts[parts.length - 2]}/${s.name}`;
}

Deno.test("every fix44 and fix42 scenario passes against `fixg run --acceptor --app echo`", async (t) => {
  const port = freePort();
  const proc = new FixgProcess([
    "run",
    "--acceptor",
    "--port",
    String(port),
    "--sender-comp-id",
    "ISLD",
    "--target-comp-id",
    "*",
    "--app",
    "echo",
    "--store",
    "memory",
    "--heartbeat",
    "30",
  ]);
  let stopped = false;
  try {
    await waitListening(port, 30_000, proc);
    const all = [...await fixtureScenarios("fix44"), ...await fixtureScenarios("fix42")];
    const acceptor = all.filter((s) => s.mode !== "initiator-under-test");
    const regular = acceptor.filter((s) => s.requires.length === 0);
    const onStop = acceptor.filter((s) => s.requires.includes("engine-stop"));
    // Both directories hold a scenario for every case of FIX_SESSION_TESTS.md.
    assert.ok(regular.length >= 100, `only ${regular.length} scenarios found`);
    assert.equal(onStop.length, 4);

    for (const s of regular) {
      await t.step(label(s), async () => {
        const r = await runScenario(s, { mode: "acceptor-under-test", port });
        assert.ok(r.passed, describe(r));
      });
    }

    // The same set again against the same acceptor (its sessions now hold the numbers of the first
    // run): each scenario's first Logon carries ResetSeqNumFlag=Y, so it starts from 1 again.
    await t.step("every scenario again, against the same acceptor", async () => {
      const failed: string[] = [];
      for (const s of regular) {
        const r = await runScenario(s, { mode: "acceptor-under-test", port });
        if (!r.passed) failed.push(`${label(s)}: ${describe(r)}`);
      }
      assert.deepEqual(failed, []);
    });

    await t.step("case 12: SIGTERM logs out every session, then fixg exits 0", async () => {
      const loggedOn: Promise<void>[] = [];
      const runs = onStop.map((s) => {
        let resolve!: () => void;
        loggedOn.push(new Promise<void>((r) => (resolve = r)));
        return runScenario(s, {
          mode: "acceptor-under-test",
          port,
          onTranscript: (e) => {
            if (e.kind === "received" && e.text.includes("|35=A|")) resolve();
          },
        });
      });
      // Stop once all four are logged on, or as soon as one scenario ends before that (it cannot pass
      // without the stop, so it failed): no fixed wait. 15 s stays as the outer bound only.
      const allLoggedOn = Promise.all(loggedOn).then(() => true);
      const oneEnded = Promise.race(runs).then(() => false);
      await withTimeout(Promise.race([allLoggedOn, oneEnded]), "four logons", 15_000).catch(() => false);
      const code = await proc.stop();
      stopped = true;
      const failed = (await Promise.all(runs)).filter((r) => !r.passed).map(describe);
      assert.equal(code, 0, `fixg exited ${code}:\n${proc.output.slice(-4000)}`);
      assert.deepEqual(failed, []);
    });
  } finally {
    if (!stopped) await proc.stop();
  }
});
