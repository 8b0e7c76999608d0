/**
 * Interop: a QuickFIX C++ initiator with dictionary validation on trades with `fixg simulate-lp`
 * (orders, a cancel, a replace, a market data subscription) and accepts every message it receives.
 */
import assert from "node:assert/strict";
import { QUICKFIX_MISSING, runQuickfixInitiator } from "./peers.ts";
import { startSimulateLp } from "../_helpers/mod.ts";

Deno.test({
  name:
    "QuickFIX C++ client (validating) trades and subscribes with fixg simulate-lp: no reject, no validation error",
  ignore: QUICKFIX_MISSING !== undefined,
  fn: async () => {
    const lp = await startSimulateLp();
    let exit;
    try {
      const run = await runQuickfixInitiator({ port: lp.port, orders: 5, timeoutSec: 20, lingerMs: 300 });
      const s = run.summary;
      assert.deepEqual(s.problems, [], run.stderr);
      assert.equal(run.code, 0);
      assert.equal(s.logon, true);
      assert.equal(s.ordersSent, 5);
      assert.equal(s.ordersAnswered, 5);
      assert.equal(s.validationErrors, 0);
      assert.equal(s.crackErrors, 0);
      assert.equal(s.rejectsReceived, 0);
      assert.equal(s.businessRejectsReceived, 0);
      assert.equal(s.rejectsSent, 0);
      assert.equal(s.marketData, "acked");
      assert.ok(s.mdSnapshots >= 1);
      assert.notEqual(s.replace, "skipped");
      assert.notEqual(s.cancel, "skipped");
    } finally {
      exit = await lp.stop();
    }
    assert.equal(exit.code, 0, exit.stderr);
    const stats = exit.summary as { ordersReceived: number; acks: number };
    assert.equal(stats.ordersReceived, 5);
    assert.equal(stats.acks, 5);
  },
});

Deno.test({
  name:
    "QuickFIX C++ client trading EURUSD (no slash): the simulator's EUR/USD book takes the orders and the subscription",
  ignore: QUICKFIX_MISSING !== undefined,
  fn: async () => {
    const lp = await startSimulateLp();
    let exit;
    try {
      const run = await runQuickfixInitiator({
        port: lp.port,
        orders: 20,
        symbol: "EURUSD",
        timeoutSec: 20,
        lingerMs: 300,
      });
      const s = run.summary;
      assert.deepEqual(s.problems, [], run.stderr);
      assert.equal(s.ordersAnswered, 20);
      assert.equal(s.rejectsReceived, 0);
      assert.equal(s.businessRejectsReceived, 0);
      assert.equal(s.validationErrors, 0);
      assert.equal(s.marketData, "acked");
      assert.ok(s.mdSnapshots >= 1);
    } finally {
      exit = await lp.stop();
    }
    assert.equal(exit.code, 0, exit.stderr);
    const stats = exit.summary as {
      ordersReceived: number;
      acks: number;
      rejects: number;
      mdRejects: number;
    };
    assert.deepEqual([stats.ordersReceived, stats.acks, stats.rejects, stats.mdRejects], [20, 20, 0, 0]);
  },
});
