/**
 * examples/send_order.ts behaves the same every time it is run against one simulator: each run logs
 * on at once (ResetSeqNumFlag: both sides start at 1), sends an order with a ClOrdID of its own and
 * prints only that order's report; nothing from a previous run is shown as new.
 */
import assert from "node:assert/strict";
import { parseLpConfig } from "../../src/app/lp/mod.ts";
import { startLoopbackSimulator } from "../../src/engine/lp_host.ts";

const root = new URL("../../", import.meta.url);

async function runExample(port: number): Promise<{ code: number; lines: string[]; ms: number }> {
  const t0 = Date.now();
  const child = new Deno.Command(new URL("deno", root).pathname, {
    args: ["run", "-A", new URL("examples/send_order.ts", root).pathname, String(port)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = setTimeout(() => child.kill("SIGKILL"), 12_000);
  const out = await child.output();
  clearTimeout(kill);
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr) + stdout);
  return { code: out.code, lines: stdout.trim().split("\n"), ms: Date.now() - t0 };
}

Deno.test("examples/send_order.ts run twice against one simulator: the same output, new ClOrdIDs, no stale reports", async () => {
  const sim = await startLoopbackSimulator(parseLpConfig({ orders: { dayEnd: null } }, "test"), {
    targetCompId: "CLIENT",
  });
  try {
    const runs = [await runExample(sim.port), await runExample(sim.port)];
    const ids: string[] = [];
    for (const r of runs) {
      assert.equal(r.lines.length, 1, r.lines.join("\n"));
      const m = /^received 8: ClOrdID=(order-\S+) OrdStatus=0$/.exec(r.lines[0]!);
      assert.ok(m, r.lines[0]);
      ids.push(m[1]!);
    }
    // Each run logged on once, at once: no Logon refused (a refused one would have been retried after a
    // back-off). Counted, not timed: a cold start on a loaded machine can take seconds.
    const session = sim.gateway.runners().find((r) => r.key.endsWith("LP->CLIENT"));
    assert.ok(session !== undefined, sim.gateway.runners().map((r) => r.key).join());
    assert.equal(session.counters.logons, 2);
    assert.equal(session.counters.logonsRefused, 0);
    assert.deepEqual([...sim.gateway.refusals().values()].filter((n) => n > 0), []);
    assert.notEqual(ids[0], ids[1], "each run uses a ClOrdID of its own");
    assert.equal(sim.simulator.stats(Date.now()).rejects, 0, "no duplicate-ClOrdID reject");
  } finally {
    await sim.stop();
  }
});
