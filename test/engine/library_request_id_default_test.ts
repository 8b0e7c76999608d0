/**
 * connectEngine's default request id is the ClOrdID (11) of a message that gives an order its ClOrdID
 * (NewOrderSingle, OrderCancelRequest, OrderCancelReplaceRequest...), so a retried order is not sent
 * twice; a message whose ClOrdID names an order that exists already (an OrderStatusRequest, an
 * ExecutionReport, an OrderCancelReject) gets a fresh id. Before, every message with a tag 11 used it: an
 * OrderStatusRequest for an order sent earlier was answered with the order's own answer (accepted, the
 * order's MsgSeqNum) and never sent, and an attached sell-side application's second ExecutionReport of an
 * order (its fill after its ack) was dropped the same way — `send` said "queued", nothing went out.
 */
import assert from "node:assert/strict";
import { connectEngine, fix44, type MessageView } from "../../src/mod.ts";
import { ENGINE_SESSION_KEY as KEY, startEngineOverLp } from "../_helpers/engine_in_process.ts";
import { waitFor } from "./helpers.ts";

const { NewOrderSingle, OrderStatusRequest, OrdType, Side } = fix44;

Deno.test("connectEngine: an OrderStatusRequest or ExecutionReport naming a sent ClOrdID is sent, a retried order is not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-reqid-default-" });
  const atLp: string[] = [];
  const engine = await startEngineOverLp({
    dir,
    lpApp: {
      onMessage(v: MessageView) {
        atLp.push(`${v.seqNum} ${v.msgType} ${v.getString(11)}`);
      },
    },
  });
  const lib = await connectEngine({ socket: engine.socket, name: "oms" });
  try {
    await engine.loggedOn();
    const s = await lib.claim(KEY, {});
    const nos = NewOrderSingle.build({
      clOrdID: "ord-1",
      symbol: "EUR/USD",
      side: Side.Buy,
      transactTime: 0,
      orderQty: 100,
      ordType: OrdType.Market,
    });
    const status = OrderStatusRequest.build({ clOrdID: "ord-1", symbol: "EUR/USD", side: Side.Buy });
    const report = {
      msgType: "8",
      fields: [[37, "x1"], [11, "ord-1"], [17, "e1"], [150, "0"], [39, "0"], [54, "1"], [151, 100], [14, 0], [
        6,
        0,
      ]],
    } satisfies { msgType: string; fields: [number, string | number][] };
    const brief = (a: { status: string; seq: number }) => `${a.status} ${a.seq}`;
    assert.equal(brief(await s.submit(nos)), "accepted 2");
    assert.equal(brief(await s.submit(status)), "accepted 3");
    assert.deepEqual(s.send(status), { kind: "queued" });
    assert.equal(brief(await s.submit(report)), "accepted 5");
    assert.equal(
      brief(await s.submit({ ...report, fields: report.fields.map((f) => f[0] === 17 ? [17, "e2"] : f) })),
      "accepted 6",
    );
    // The order itself, retried: its first answer, nothing sent.
    assert.equal(brief(await s.submit(nos)), "accepted 2");
    await waitFor(() => atLp.length >= 5, "5 messages at the LP");
    assert.deepEqual(atLp, ["2 D ord-1", "3 H ord-1", "4 H ord-1", "5 8 ord-1", "6 8 ord-1"]);
  } finally {
    await lib.close();
    await engine.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
