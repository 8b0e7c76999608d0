/**
 * `fixg simulate-lp` as a user runs it: a child process on a free port (`--port 0`, the port read
 * from its JSON ready line), a fixg initiator trading through it, SIGTERM, exit 0 and the final JSON
 * counters. Also: every sample lp.yaml in fixtures/lp/ and the lp.yaml examples in docs/simulator.md
 * load without error.
 */
import assert from "node:assert/strict";
import { loadLpConfig, parseLpConfig } from "../../src/app/lp/mod.ts";
import * as jsyaml from "js-yaml";
import { brief, startClient, transactMs, waitFor } from "./harness.ts";
import { Child } from "../_helpers/mod.ts";

const root = new URL("../../", import.meta.url).pathname;

/** A running `fixg simulate-lp` child: its ready line, and SIGTERM -> exit code and stdout lines. */
async function simulateLp(args: string[]) {
  const child = new Child([
    "simulate-lp",
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--stats-interval",
    "0",
    "--json",
    ...args,
  ]);
  const lines = () => child.records(() => true, "out");
  // Resolved by its stdout (or its exit: the error then carries what it printed).
  await child.until(() => lines().some((l) => l.event === "listening"), "the listening line", 15_000)
    .catch(async (e) => {
      await child.stop("SIGKILL");
      throw e;
    });
  const ready = lines().find((l) => l.event === "listening")!;
  return {
    ready,
    port: Number(ready.port),
    async stop() {
      const s = await child.stop("SIGTERM");
      return { code: s.code, lines: lines(), stderr: child.text.err };
    },
  };
}

Deno.test("fixg simulate-lp --port 0 --config fixed_price.yaml --fill-latency-ms 50: one order filled, SIGTERM -> exit 0 and the counters", async () => {
  const lp = await simulateLp(["--config", `${root}fixtures/lp/fixed_price.yaml`, "--fill-latency-ms", "50"]);
  let exit;
  try {
    assert.ok(lp.port > 0);
    assert.deepEqual(lp.ready.symbols, ["FIXD", "EUR/USD"]);
    const c = await startClient(lp.port);
    try {
      await c.app.loggedOn();
      const a = c.app.send(
        c.app.tracker.newOrder({ symbol: "FIXD", side: "buy", orderQty: 250, price: 100.02 }, Date.now()),
      );
      await waitFor(() => c.app.tracker.get(a)?.state === "Filled", "the fills");
      assert.deepEqual(c.app.execsOf(a).map(brief), [
        "0/0 cum=0 leaves=250 avg=0",
        "F/1 cum=100 leaves=150 avg=100.01 last=100@100.01",
        "F/2 cum=250 leaves=0 avg=100.016 last=150@100.02",
      ]);
      const [ack, fill] = c.app.execsOf(a);
      const latencyMs = transactMs(fill!.transactTime) - transactMs(ack!.transactTime);
      assert.ok(latencyMs >= 50, `the flag's fill latency: fill ${latencyMs} ms after the ack`);
      assert.deepEqual(c.app.anomalies, []);
    } finally {
      await c.stop();
    }
  } finally {
    exit = await lp.stop();
  }
  assert.equal(exit.code, 0, exit.stderr);
  assert.equal(exit.lines.length, 2, JSON.stringify(exit.lines));
  const stats = exit.lines[1]!;
  assert.equal(stats.event, "stopped");
  assert.deepEqual(
    [stats.ordersReceived, stats.acks, stats.fills, stats.rejects, stats.cancels, stats.sessions],
    [1, 1, 2, 0, 0, 1],
  );
});

Deno.test("fixg simulate-lp --reject-fraction 1 --reject-reason: the order rejected with the reason, counted in the final line", async () => {
  const lp = await simulateLp(["--seed", "3", "--reject-fraction", "1", "--reject-reason", "No credit line"]);
  let exit;
  try {
    const c = await startClient(lp.port);
    try {
      await c.app.loggedOn();
      const a = c.app.send(
        c.app.tracker.newOrder({ symbol: "AAPL", side: "sell", orderQty: 10, price: 190 }, Date.now()),
      );
      await waitFor(() => c.app.tracker.get(a)?.state === "Rejected", "the reject");
      const r = c.app.execsOf(a)[0]!;
      assert.deepEqual([brief(r), r.ordRejReason, r.text], [
        "8/8 cum=0 leaves=0 avg=0",
        "0",
        "No credit line",
      ]);
    } finally {
      await c.stop();
    }
  } finally {
    exit = await lp.stop();
  }
  assert.equal(exit.code, 0, exit.stderr);
  const stats = exit.lines.at(-1)!;
  assert.deepEqual([stats.event, stats.ordersReceived, stats.acks, stats.rejects], ["stopped", 1, 0, 1]);
});

for (const strict of [false, true]) {
  Deno.test(`fixg simulate-lp${strict ? " --strict-symbols" : ""}: an order for an unconfigured symbol is ${strict ? "rejected" : "taken"}`, async () => {
    const lp = await simulateLp(strict ? ["--strict-symbols"] : []);
    let exit;
    try {
      const c = await startClient(lp.port);
      try {
        await c.app.loggedOn();
        const a = c.app.send(
          c.app.tracker.newOrder({ symbol: "XYZ", side: "buy", orderQty: 10, price: 1 }, Date.now()),
        );
        await waitFor(() => c.app.execsOf(a).length > 0, "the answer");
        const r = c.app.execsOf(a)[0]!;
        assert.deepEqual(
          [brief(r), r.text],
          strict
            ? ["8/8 cum=0 leaves=0 avg=0", "Unknown symbol XYZ"]
            : ["0/0 cum=0 leaves=10 avg=0", undefined],
        );
      } finally {
        await c.stop();
      }
    } finally {
      exit = await lp.stop();
    }
    assert.equal(exit.code, 0, exit.stderr);
  });
}

Deno.test("every fixtures/lp/*.yaml and every lp.yaml example in docs/simulator.md is a valid simulator config", async () => {
  const files = [...Deno.readDirSync(`${root}fixtures/lp`)].map((e) => e.name).filter((n) =>
    n.endsWith(".yaml")
  ).sort();
  assert.deepEqual(files, ["fault_script.yaml", "fixed_price.yaml", "two_clients.yaml"]);
  for (const f of files) {
    const cfg = await loadLpConfig(`${root}fixtures/lp/${f}`);
    assert.ok(cfg.symbols.length > 0, f);
  }
  const fault = await loadLpConfig(`${root}fixtures/lp/fault_script.yaml`);
  assert.equal(fault.behaviours.length, 7);
  const doc = Deno.readTextFileSync(`${root}docs/simulator.md`);
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 1, "docs/simulator.md has a yaml example");
  for (const [i, b] of blocks.entries()) {
    parseLpConfig(jsyaml.load(b), `docs/simulator.md yaml block ${i + 1}`);
  }
});
