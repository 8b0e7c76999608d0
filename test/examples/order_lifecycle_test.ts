/**
 * examples/order_lifecycle.ts against the LP simulator: a limit order, its replace and its cancel, each
 * send's result printed (a Logon of its own refused with the reason), the reports routed by the cracker,
 * a clean Logout, exit 0. The exact output.
 */
import assert from "node:assert/strict";
import { parseLpConfig } from "../../src/app/lp/mod.ts";
import { startLoopbackSimulator } from "../../src/engine/lp_host.ts";

const root = new URL("../../", import.meta.url);

Deno.test("examples/order_lifecycle.ts: order, replace, cancel, Logout, every send result printed", async () => {
  const sim = await startLoopbackSimulator(parseLpConfig({ orders: { dayEnd: null } }, "test"), {
    targetCompId: "CLIENT",
  });
  try {
    const child = new Deno.Command(new URL("deno", root).pathname, {
      args: ["run", "-A", new URL("examples/order_lifecycle.ts", root).pathname, String(sim.port)],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const out = await child.output();
    clearTimeout(kill);
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr) + stdout);
    assert.deepEqual(stdout.trim().split("\n"), [
      "logged on",
      "a Logon of our own: refused (filter): 35=A refused on FIX.4.4:CLIENT->LP: the session sends its own Logon",
      "order: sent as MsgSeqNum 2",
      "ExecutionReport order: ExecType 0 OrdStatus 0 qty 1000 price 1.0001 leaves 1000",
      "replace: sent as MsgSeqNum 3",
      "ExecutionReport replace: ExecType 5 OrdStatus 0 qty 2000 price 1.0002 leaves 2000",
      "cancel: sent as MsgSeqNum 4",
      "ExecutionReport cancel: ExecType 4 OrdStatus 4 qty 2000 price 1.0002 leaves 0",
      "logged out: Logout acknowledged",
    ]);
  } finally {
    await sim.stop();
  }
});
