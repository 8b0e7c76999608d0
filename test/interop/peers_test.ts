/**
 * The external peers work with each other: the QuickFIX client trades with the QuickFIX acceptor
 * (both validating against FIX44.xml), and the jspurefix benchmark client gets every order acked by
 * the QuickFIX acceptor. These guard the peers themselves; fixg's interop tests use the same helpers.
 */
import assert from "node:assert/strict";
import {
  freePort,
  JSPUREFIX_MISSING,
  jspurefixInitiatorCommand,
  type LatencyResult,
  QUICKFIX_MISSING,
  quickfixAcceptorCommand,
  quickfixLatencyCommand,
  runPeerClient,
  runQuickfixInitiator,
  startPeer,
} from "./peers.ts";

Deno.test({
  name: "QuickFIX client trades with the QuickFIX acceptor: acks, cancel, replace, market data, no rejects",
  ignore: QUICKFIX_MISSING !== undefined,
  fn: async () => {
    const acceptor = await startPeer(quickfixAcceptorCommand({ port: freePort() }));
    let acceptorExit;
    try {
      const run = await runQuickfixInitiator({
        port: acceptor.port,
        orders: 5,
        timeoutSec: 20,
        lingerMs: 50,
      });
      const s = run.summary;
      assert.deepEqual(s.problems, [], run.stderr);
      assert.equal(run.code, 0);
      assert.equal(s.ok, true);
      assert.equal(s.logon, true);
      assert.equal(s.ordersSent, 5);
      assert.equal(s.ordersAnswered, 5);
      assert.deepEqual(s.execTypes, { "0": 5, "4": 1, "5": 1 });
      assert.equal(s.cancel, "acked");
      assert.equal(s.replace, "acked");
      assert.equal(s.marketData, "acked");
      assert.equal(s.mdEntries, 10);
      assert.equal(s.validationErrors, 0);
      assert.equal(s.rejectsReceived, 0);
    } finally {
      acceptorExit = await acceptor.stop();
    }
    assert.equal(acceptorExit.code, 0, acceptorExit.stderr);
    const summary = acceptorExit.summary as { received: Record<string, number>; rejectsSent: number };
    assert.equal(summary.received["D"], 5);
    assert.equal(summary.received["F"], 1);
    assert.equal(summary.received["G"], 1);
    assert.equal(summary.rejectsSent, 0);
  },
});

Deno.test({
  name: "QuickFIX client against a filling acceptor: every order acked and filled",
  ignore: QUICKFIX_MISSING !== undefined,
  fn: async () => {
    const acceptor = await startPeer(
      quickfixAcceptorCommand({
        port: freePort(),
        senderCompId: "VENUE",
        targetCompIds: ["OTHER", "ME"],
        fill: true,
      }),
    );
    try {
      const run = await runQuickfixInitiator({
        port: acceptor.port,
        senderCompId: "ME",
        targetCompId: "VENUE",
        orders: 3,
        cancel: false,
        replace: false,
        marketData: false,
        timeoutSec: 20,
        lingerMs: 50,
      });
      assert.deepEqual(run.summary.problems, [], run.stderr);
      assert.equal(run.code, 0);
      assert.deepEqual(run.summary.execTypes, { "0": 3, "F": 3 });
      assert.equal(run.summary.cancel, "skipped");
    } finally {
      await acceptor.stop();
    }
  },
});

Deno.test({
  name: "jspurefix ping-pong client gets every order acked by the QuickFIX acceptor",
  ignore: QUICKFIX_MISSING !== undefined || JSPUREFIX_MISSING !== undefined,
  fn: async () => {
    const acceptor = await startPeer(quickfixAcceptorCommand({ port: freePort() }));
    let acceptorExit;
    try {
      const exit = await runPeerClient(
        jspurefixInitiatorCommand({
          port: acceptor.port,
          mode: "pingpong",
          count: 200,
          warmup: 50,
          timeoutSec: 30,
        }),
        45_000,
      );
      assert.equal(exit.code, 0, exit.stderr);
      const result = exit.summary as unknown as LatencyResult;
      assert.equal(result.peer, "jspurefix");
      assert.equal(result.mode, "pingpong");
      assert.equal(result.count, 200);
    } finally {
      acceptorExit = await acceptor.stop();
    }
    const summary = acceptorExit.summary as { received: Record<string, number>; rejectsSent: number };
    assert.equal(summary.received["D"], 250);
    assert.equal(summary.rejectsSent, 0);
  },
});

Deno.test({
  name: "QuickFIX latency client: ping-pong and burst, every order acknowledged and counted once",
  ignore: QUICKFIX_MISSING !== undefined,
  fn: async () => {
    const acceptor = await startPeer(quickfixAcceptorCommand({ port: freePort(), targetCompIds: ["BENCH"] }));
    let acceptorExit;
    try {
      for (const [mode, count, warmup] of [["pingpong", 300, 50], ["burst", 2000, 400]] as const) {
        const exit = await runPeerClient(
          quickfixLatencyCommand({ port: acceptor.port, mode, count, warmup, timeoutSec: 30 }),
          45_000,
        );
        assert.equal(exit.code, 0, exit.stderr);
        const result = exit.summary as unknown as LatencyResult;
        assert.equal(result.peer, "quickfix");
        assert.equal(result.mode, mode);
        assert.equal(result.count, count);
        assert.ok(result.p50Us > 0 && result.p50Us <= result.p99Us && result.p99Us <= result.maxUs);
        assert.ok(result.msgsPerSec > 0);
      }
    } finally {
      acceptorExit = await acceptor.stop();
    }
    // Two logons (141=Y each): the acceptor counts what it received over both.
    const summary = acceptorExit.summary as { received: Record<string, number>; rejectsSent: number };
    assert.equal(summary.received["D"], 350 + 2400);
    assert.equal(summary.rejectsSent, 0);
  },
});
