/**
 * Case 1B with fixg as the initiator under test: for FIX.4.4 and FIX.4.2, a `fixg run --initiator`
 * child connects to the runner's listener, the 1B scenarios answer its Logons (it reconnects after
 * each), and SIGTERM must stop it with exit code 0.
 */
import assert from "node:assert/strict";
import { runScenario, ScenarioListener } from "../../src/conformance/mod.ts";
import { FixgProcess, fixtureScenarios } from "./engine_process.ts";

for (const [dir, beginString] of [["fix44", "FIX.4.4"], ["fix42", "FIX.4.2"]] as const) {
  Deno.test(`${dir}: the initiator scenarios (1B) pass against \`fixg run --initiator\``, async (t) => {
    const scenarios = (await fixtureScenarios(dir)).filter((s) => s.mode === "initiator-under-test");
    assert.equal(scenarios.length, 3);
    const listener = ScenarioListener.listen(0, "127.0.0.1");
    const proc = new FixgProcess([
      "run",
      "--initiator",
      "--host",
      "127.0.0.1",
      "--port",
      String(listener.port),
      "--sender-comp-id",
      "TW",
      "--target-comp-id",
      "ISLD",
      "--begin-string",
      beginString,
      "--reset-on-logon",
      "--heartbeat",
      "30",
      "--store",
      "memory",
    ]);
    try {
      for (const s of scenarios) {
        await t.step(s.name, async () => {
          const r = await runScenario(s, {
            mode: "initiator-under-test",
            listener,
            connectTimeoutMs: 30_000,
          });
          const f = r.failure;
          assert.ok(
            r.passed,
            f &&
              `${r.file}:${f.line}: ${f.message}\nexpected: ${f.expected ?? ""}\nreceived: ${
                f.received ?? ""
              }\n${proc.output.slice(-3000)}`,
          );
        });
      }
    } finally {
      const code = await proc.stop();
      await listener.close();
      assert.equal(code, 0, `fixg exited ${code}:\n${proc.output.slice(-3000)}`);
    }
  });
}
