/**
 * `fixg send` chooses its request id as connectEngine does (orderRequestId): the ClOrdID only of a
 * message that gives an order its ClOrdID. A 35=H (OrderStatusRequest) naming an order sent before is sent
 * and answered; before, its ClOrdID was its request id, answered 'already sent' with the order's MsgSeqNum
 * and nothing went out.
 */
import assert from "node:assert/strict";
import { startLpAndEngine } from "../_helpers/engine.ts";
import { fixgOutput, tempDir } from "../_helpers/mod.ts";

const KEY = "FIX.4.4:CLIENT->LP";

Deno.test("fixg send of a 35=H with the ClOrdID of an order sent before: sent as the next MsgSeqNum, answered", async () => {
  await using dir = await tempDir("fixg-send-status-");
  const env = await startLpAndEngine({ dir: dir.path });
  try {
    const args = ["send", "--engine", env.socket, "--session", KEY, "--timeout", "1"];
    // A limit order below the market rests: its answer is the ack (New).
    const order = await fixgOutput([
      ...args,
      "35=D|11=st-1|55=EUR/USD|54=1|38=100|40=2|44=1.01|60=20260101-00:00:00",
    ]);
    assert.equal(order.code, 0, order.stderr);
    assert.equal(order.stdout.split("\n")[0], `sent 35=D ClOrdID st-1 as MsgSeqNum 2 on ${KEY}`);
    for (const seq of [3, 4]) {
      const status = await fixgOutput([...args, "--json", "35=H|11=st-1|55=EUR/USD|54=1"]);
      assert.equal(status.code, 0, status.stderr);
      const lines = status.stdout.trim().split("\n").map((l) => JSON.parse(l));
      // Sent as the next MsgSeqNum; the simulator received it: its answer is the order's status report
      // (ExecType I, OrdStatus New, the order still resting).
      assert.deepEqual(
        lines.map((
          e,
        ) => [e.event, e.msgType, e.status ?? e.clOrdId, e.seq, e.alreadySent ?? e.execType, e.ordStatus]),
        [["sent", "H", "accepted", seq, false, undefined], ["answer", "8", "st-1", seq, "I", "0"]],
      );
    }
    const list = JSON.parse((await fixgOutput(["sessions", "--engine", env.socket, "--json"])).stdout);
    assert.equal(list[0].nextSenderSeq, 5);
  } finally {
    await env.stop();
  }
});
