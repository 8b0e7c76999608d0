/**
 * fixg's own scenarios for the other FIX versions (fixtures/conformance/fix40, fix41, fix43 and
 * fixt11_fix50, fixt11_fix50sp1, fixt11_fix50sp2, written by scripts/gen_version_scenarios.ts),
 * each set played twice in a row against `fixg run --config` child processes:
 *
 * - FIX 4.0, 4.1 and 4.3 against an echo acceptor for any client (`targetCompId: '*'`) with
 *   resetOnLogon (FIX 4.0 has no ResetSeqNumFlag: a second run needs the acceptor to start from 1
 *   on a Logon, see docs/conformance.md);
 * - FIXT 1.1 against three echo acceptors, one per application version, each with its
 *   DefaultApplVerID (7 = FIX 5.0, 8 = FIX 5.0 SP1, 9 = FIX 5.0 SP2), which its Logon reply carries.
 */
import assert from "node:assert/strict";
import { runScenario, type Scenario } from "../../src/conformance/mod.ts";
import {
  describeResult as describe,
  FixgProcess,
  fixtureScenarios,
  freePort,
  waitListening,
} from "./engine_process.ts";

const FIXT = [
  { dir: "fixt11_fix50", applVerId: "7" },
  { dir: "fixt11_fix50sp1", applVerId: "8" },
  { dir: "fixt11_fix50sp2", applVerId: "9" },
];

Deno.test("FIX 4.0, 4.1, 4.3 and FIXT 1.1 (FIX 5.0, 5.0 SP1, 5.0 SP2) scenarios pass, twice in a row", async (t) => {
  const fix4Port = freePort();
  const fixtPorts = FIXT.map(() => freePort());
  const session = (port: number, extra: string[]) =>
    [
      "  - role: acceptor",
      "    senderCompId: ISLD",
      '    targetCompId: "*"',
      `    port: ${port}`,
      "    app: echo",
      "    resetOnLogon: true",
      ...extra.map((l) => `    ${l}`),
    ].join("\n");
  const dir = await Deno.makeTempDir({ prefix: "fixg-versions-" });
  const procs: FixgProcess[] = [];
  // One process per acceptor: sessions with the same identity (FIXT.1.1:ISLD->*) cannot share one.
  const start = async (port: number, extra: string[]): Promise<FixgProcess> => {
    const config = `${dir}/fixg-${port}.yaml`;
    await Deno.writeTextFile(
      config,
      ["store:", "  type: memory", "sessions:", session(port, extra), ""].join("\n"),
    );
    const proc = new FixgProcess(["run", "--config", config]);
    procs.push(proc);
    return proc;
  };
  try {
    // The same as `fixg run --acceptor --target-comp-id '*' --app echo --reset-on-logon --store memory`.
    const fix4 = new FixgProcess([
      "run",
      "--acceptor",
      "--port",
      String(fix4Port),
      "--sender-comp-id",
      "ISLD",
      "--target-comp-id",
      "*",
      "--app",
      "echo",
      "--reset-on-logon",
      "--store",
      "memory",
    ]);
    procs.push(fix4);
    const fixt = await Promise.all(
      FIXT.map((f, i) =>
        start(fixtPorts[i]!, ["beginString: FIXT.1.1", `defaultApplVerId: "${f.applVerId}"`])
      ),
    );
    await waitListening(fix4Port, 30_000, fix4);
    for (const [i, p] of fixtPorts.entries()) await waitListening(p, 30_000, fixt[i]!);
    const sets: Array<{ dir: string; port: number }> = [
      { dir: "fix40", port: fix4Port },
      { dir: "fix41", port: fix4Port },
      { dir: "fix43", port: fix4Port },
      ...FIXT.map((f, i) => ({ dir: f.dir, port: fixtPorts[i]! })),
    ];
    for (const set of sets) {
      const scenarios: Scenario[] = await fixtureScenarios(set.dir);
      assert.ok(scenarios.length >= 5, `only ${scenarios.length} scenarios in ${set.dir}`);
      for (const pass of [1, 2]) {
        await t.step(`${set.dir}${pass === 2 ? " (again, same acceptor)" : ""}`, async () => {
          const failed: string[] = [];
          for (const s of scenarios) {
            const r = await runScenario(s, { mode: "acceptor-under-test", port: set.port });
            if (!r.passed) failed.push(describe(r));
          }
          assert.deepEqual(failed, []);
        });
      }
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await Deno.remove(dir, { recursive: true });
  }
});
