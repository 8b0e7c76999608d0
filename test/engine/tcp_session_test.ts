import assert from "node:assert/strict";
import { type MessageView, Tag } from "../../src/codec/mod.ts";
import { echoApp } from "../../src/engine/apps/echo.ts";
import { startAcceptor, startInitiator } from "../../src/engine/quick.ts";
import type { SessionHandle } from "../../src/engine/application.ts";

Deno.test("initiator and acceptor hold a session over TCP: logon, echo of 3 orders in order, clean logout", async () => {
  const acceptor = await startAcceptor({ port: 0, senderCompId: "ISLD", targetCompId: "TW" }, echoApp());
  const port = acceptor.ports[0]!;
  const got: string[] = [];
  let done!: () => void;
  const allBack = new Promise<void>((r) => (done = r));
  const initiator = await startInitiator({
    port,
    senderCompId: "TW",
    targetCompId: "ISLD",
    heartbeatIntervalSec: 5,
  }, {
    onLogon(s: SessionHandle) {
      for (let i = 1; i <= 3; i++) {
        s.send({
          msgType: "D",
          fields: [
            [Tag.ClOrdID, `o${i}`],
            [Tag.HandlInst, "1"],
            [Tag.Symbol, "IBM"],
            [Tag.Side, "1"],
            [Tag.TransactTime, "20260105-12:00:00.000"],
            [Tag.OrdType, "1"],
            [Tag.OrderQty, 100],
          ],
        });
      }
    },
    onMessage(v: MessageView) {
      got.push(`${v.msgType}:${v.getString(Tag.ClOrdID)}:${v.seqNum}`);
      if (got.length === 3) done();
    },
  });
  await allBack;
  assert.deepEqual(got, ["D:o1:2", "D:o2:3", "D:o3:4"]);
  const r = initiator.runners()[0]!;
  assert.equal(r.status().nextSenderSeq, 5);
  assert.equal(r.status().nextTargetSeq, 5);
  await initiator.stop();
  assert.equal(r.loggedOn, false);
  await acceptor.stop();
});
