/**
 * The conformance scenarios in-process: the gateway `fixg run` builds, over in-memory connections, every
 * timer on a ManualScheduler the runner moves (src/conformance/in_process.ts, target.ts). The same sets
 * the TCP tests play against child processes (acceptor_conformance_test.ts, versions_conformance_test.ts;
 * those stay): fix44 and fix42 twice against one acceptor, case 12 on stop, and FIX 4.0, 4.1, 4.3 and
 * FIXT 1.1 twice each. Heartbeat, TestRequest and logout-timeout scenarios take no real time: the
 * whole file runs in a few seconds.
 */
import assert from "node:assert/strict";
import { effectiveConfig } from "../../commands/run.ts";
import { ManualScheduler } from "../../src/clock.ts";
import { type InProcessEngine, startInProcess } from "../../src/conformance/in_process.ts";
import {
  type ManualTime,
  runScenario,
  type Scenario,
  type ScenarioResult,
  type ScenarioTarget,
} from "../../src/conformance/mod.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { describeResult, fixtureScenarios } from "./engine_process.ts";

const describe = (r: ScenarioResult) => describeResult(r, true);

/** The port an acceptor "listens" on: nothing is bound in-process, the number only names it. */
const PORT = "5001";

/** Plays `scenarios` in order against `target`; the descriptions of those that failed. */
async function playAll(
  scenarios: Scenario[],
  target: ScenarioTarget,
  engine: InProcessEngine,
): Promise<string[]> {
  const failed: string[] = [];
  for (const s of scenarios) {
    const r = await runScenario(s, { mode: "acceptor-under-test", target });
    if (!r.passed) {
      failed.push(`${describe(r)}\n--- engine log (tail) ---\n${engine.log.slice(-30).join("\n")}`);
    }
  }
  return failed;
}

/** A manual time the test can hold still: while frozen, waiting lets the engine run but moves no clock. */
function holdable(s: ManualScheduler): ManualTime & { frozen: boolean } {
  return {
    frozen: false,
    nowMs: () => s.nowMs(),
    get nextAtMs() {
      return s.nextAtMs;
    },
    advanceTo(atMs: number): number {
      return this.frozen ? s.nowMs() : s.advanceTo(atMs);
    },
  };
}

Deno.test("in-process, manual clock: every fix44 and fix42 scenario twice, then case 12 on stop", async (t) => {
  // As `fixg run --acceptor --sender-comp-id ISLD --target-comp-id '*' --app echo --store memory --heartbeat 30`.
  const config = await effectiveConfig({
    acceptor: true,
    host: "127.0.0.1",
    port: PORT,
    senderCompId: "ISLD",
    targetCompId: "*",
    app: "echo",
    store: "memory",
    heartbeat: "30",
  });
  const clock = new ManualScheduler(Date.now());
  const engine = await startInProcess(config, clock);
  let stopped = false;
  try {
    const all = [...await fixtureScenarios("fix44"), ...await fixtureScenarios("fix42")];
    const acceptor = all.filter((s) => s.mode !== "initiator-under-test");
    const regular = acceptor.filter((s) => s.requires.length === 0);
    const onStop = acceptor.filter((s) => s.requires.includes("engine-stop"));
    assert.ok(regular.length >= 100, `only ${regular.length} scenarios found`);
    assert.equal(onStop.length, 4);

    await t.step(`${regular.length} scenarios`, async () => {
      const started = clock.nowMs();
      assert.deepEqual(await playAll(regular, engine.target, engine), []);
      // The heartbeat, TestRequest and quiet-period waits: about 26 s of the engine's time, in no real time.
      assert.ok(clock.nowMs() - started > 20_000, `the manual clock moved ${clock.nowMs() - started} ms`);
    });

    await t.step("every scenario again, against the same acceptor", async () => {
      assert.deepEqual(await playAll(regular, engine.target, engine), []);
    });

    await t.step(
      "case 12: stop logs out every session, the unanswered one after its logout timeout",
      async () => {
        // Time stands still until every session has its Logout: a heartbeat due meanwhile would come first.
        const time = holdable(clock);
        time.frozen = true;
        const target: ScenarioTarget = { connect: (ms) => engine.target.connect(ms), time };
        const loggedOn: Promise<void>[] = [];
        const loggedOut: Promise<void>[] = [];
        const runs = onStop.map((s) => {
          let on!: () => void, out!: () => void;
          loggedOn.push(new Promise<void>((r) => (on = r)));
          loggedOut.push(new Promise<void>((r) => (out = r)));
          return runScenario(s, {
            mode: "acceptor-under-test",
            target,
            onTranscript: (e) => {
              if (e.kind === "received" && e.text.includes("|35=A|")) on();
              if (e.kind === "received" && e.text.includes("|35=5|")) out();
            },
          });
        });
        const oneEnded = Promise.race(runs);
        const first = await Promise.race([Promise.all(loggedOn).then(() => "logged on"), oneEnded]);
        assert.equal(
          first,
          "logged on",
          `a scenario ended before the stop:\n${describe(first as ScenarioResult)}`,
        );
        const stopping = engine.stop();
        stopped = true;
        await Promise.race([Promise.all(loggedOut), oneEnded]);
        time.frozen = false;
        const failed = (await Promise.all(runs)).filter((r) => !r.passed).map(describe);
        await stopping;
        assert.deepEqual(failed, []);
        assert.equal(clock.pendingCount, 0, "the stopped gateway left no timer");
      },
    );
  } finally {
    if (!stopped) await engine.stop();
  }
});

const FIXT = [
  { dir: "fixt11_fix50", applVerId: "7" },
  { dir: "fixt11_fix50sp1", applVerId: "8" },
  { dir: "fixt11_fix50sp2", applVerId: "9" },
];

Deno.test("in-process, manual clock: FIX 4.0, 4.1, 4.3 and FIXT 1.1 (5.0, 5.0 SP1, 5.0 SP2) scenarios, twice each", async (t) => {
  const clock = new ManualScheduler(Date.now());
  const engines: InProcessEngine[] = [];
  try {
    // As `fixg run --acceptor --target-comp-id '*' --app echo --reset-on-logon --store memory`.
    const fix4 = await startInProcess(
      await effectiveConfig({
        acceptor: true,
        host: "127.0.0.1",
        port: PORT,
        senderCompId: "ISLD",
        targetCompId: "*",
        app: "echo",
        resetOnLogon: true,
        store: "memory",
      }),
      clock,
    );
    engines.push(fix4);
    // One gateway per FIXT acceptor (sessions of one identity, FIXT.1.1:ISLD->*, cannot share one).
    const fixt: InProcessEngine[] = [];
    for (const f of FIXT) {
      const yaml = [
        "store: { type: memory }",
        "sessions:",
        "  - role: acceptor",
        "    senderCompId: ISLD",
        '    targetCompId: "*"',
        `    port: ${PORT}`,
        "    app: echo",
        "    resetOnLogon: true",
        "    beginString: FIXT.1.1",
        `    defaultApplVerId: "${f.applVerId}"`,
        "",
      ].join("\n");
      const e = await startInProcess(parseConfig(yaml, `${f.dir}.yaml`), clock);
      engines.push(e);
      fixt.push(e);
    }
    const sets = [
      { dir: "fix40", engine: fix4 },
      { dir: "fix41", engine: fix4 },
      { dir: "fix43", engine: fix4 },
      ...FIXT.map((f, i) => ({ dir: f.dir, engine: fixt[i]! })),
    ];
    for (const set of sets) {
      const scenarios = await fixtureScenarios(set.dir);
      assert.ok(scenarios.length >= 5, `only ${scenarios.length} scenarios in ${set.dir}`);
      for (const pass of [1, 2]) {
        await t.step(`${set.dir}${pass === 2 ? " (again, same acceptor)" : ""}`, async () => {
          assert.deepEqual(await playAll(scenarios, set.engine.target, set.engine), []);
        });
      }
    }
  } finally {
    for (const e of engines) await e.stop();
  }
  assert.equal(clock.pendingCount, 0, "the stopped gateways left no timer");
});

for (const [dir, beginString] of [["fix44", "FIX.4.4"], ["fix42", "FIX.4.2"]] as const) {
  Deno.test(`in-process, manual clock: ${dir} initiator scenarios (1B), the initiator reconnecting after each`, async () => {
    const scenarios = (await fixtureScenarios(dir)).filter((s) => s.mode === "initiator-under-test");
    assert.equal(scenarios.length, 3);
    // As `fixg run --initiator --sender-comp-id TW --target-comp-id ISLD --begin-string ... --reset-on-logon
    // --heartbeat 30 --store memory` (initiator_conformance_test.ts runs that child over TCP).
    const config = await effectiveConfig({
      initiator: true,
      host: "127.0.0.1",
      port: PORT,
      senderCompId: "TW",
      targetCompId: "ISLD",
      beginString,
      resetOnLogon: true,
      heartbeat: "30",
      store: "memory",
    });
    const clock = new ManualScheduler(Date.now());
    const engine = await startInProcess(config, clock);
    try {
      const failed: string[] = [];
      for (const s of scenarios) {
        const r = await runScenario(s, { mode: "initiator-under-test", target: engine.target });
        if (!r.passed) {
          failed.push(`${describe(r)}\n--- engine log (tail) ---\n${engine.log.slice(-30).join("\n")}`);
        }
      }
      assert.deepEqual(failed, []);
    } finally {
      await engine.stop();
    }
    assert.equal(clock.pendingCount, 0, "the stopped gateway left no timer");
  });
}
