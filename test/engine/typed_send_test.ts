/**
 * A typed builder handed to SessionHandle.send goes out as the `[tag, value]` form of the same fields
 * would, and the engine writes it straight into the session's encoder: its field list is never made.
 */
import assert from "node:assert/strict";
import { type FieldSink, type MessageView, Tag } from "../../src/codec/mod.ts";
import { NewOrderSingle, OrdType, Side } from "../../src/dictionary/generated/fix44.ts";
import type { SessionHandle } from "../../src/engine/application.ts";
import { Logger } from "../../src/engine/log.ts";
import { startAcceptor, startInitiator } from "../../src/engine/quick.ts";

const NO_SINK: FieldSink = { field() {}, timestamp() {} };

/** The body of a frame as text: from the field after 56 (TargetCompID) to CheckSum, excluded. */
function body(view: MessageView): string {
  const text = new TextDecoder().decode(view.buf.subarray(view.start, view.end)).replaceAll("\x01", "|");
  return text.slice(text.indexOf("|56=") + 1).replace(/^56=[^|]*\|/, "").replace(/10=\d{3}\|$/, "");
}

Deno.test("SessionHandle.send of a typed builder: same body as [tag, value], written without a field list", async () => {
  const received: string[] = [];
  let done!: () => void;
  const both = new Promise<void>((resolve) => done = resolve);
  const logger = new Logger({ level: "error" });
  const lp = await startAcceptor({ port: 0, senderCompId: "LP", targetCompId: "CLIENT", logger }, {
    onMessage(view: MessageView) {
      if (view.msgType !== "D") return;
      received.push(body(view));
      if (received.length === 2) done();
    },
  });
  const transactTime = Date.UTC(2026, 0, 5, 12, 0, 0, 0);
  const built = NewOrderSingle.build({
    clOrdID: "t-1",
    symbol: "EUR/USD",
    side: Side.Buy,
    transactTime,
    orderQty: 1000000,
    ordType: OrdType.Limit,
    price: 1.085,
  });
  let sendResults: unknown[] = [];
  const client = await startInitiator(
    { port: lp.ports[0]!, senderCompId: "CLIENT", targetCompId: "LP", logger },
    {
      onLogon(session: SessionHandle) {
        sendResults = [
          session.send(built),
          session.send({
            msgType: "D",
            fields: [
              [Tag.ClOrdID, "t-1"],
              [Tag.Symbol, "EUR/USD"],
              [Tag.Side, "1"],
              [Tag.TransactTime, "20260105-12:00:00.000"],
              [Tag.OrderQty, 1000000],
              [Tag.OrdType, "2"],
              [Tag.Price, 1.085],
            ],
          }),
        ];
      },
    },
  );
  const timer = setTimeout(() => done(), 5000);
  try {
    await both;
  } finally {
    clearTimeout(timer);
    await client.stop();
    await lp.stop();
  }
  assert.equal(received.length, 2, JSON.stringify(sendResults));
  assert.equal(received[0], "11=t-1|55=EUR/USD|54=1|60=20260105-12:00:00.000|38=1000000|40=2|44=1.085|");
  assert.equal(received[1], received[0]);
  // writeBody still writes from the data: nobody read `fields` (which would have made the list).
  assert.equal(built.writeBody(NO_SINK), true);
});
