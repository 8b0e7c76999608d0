// Connects as an initiator, sends one NewOrderSingle and prints what comes back.
// Run: ./deno run -A examples/send_order.ts [PORT]   (against e.g. `./fixg simulate-lp --port 9876`)
import { startInitiator, Tag } from "../src/mod.ts";

const port = Number(Deno.args[0] ?? 9876);
const gateway = await startInitiator({ port, senderCompId: "CLIENT", targetCompId: "LP" }, {
  onLogon(session) {
    session.send({
      msgType: "D",
      fields: [
        [Tag.ClOrdID, "order-1"],
        [Tag.Symbol, "EUR/USD"],
        [Tag.Side, "1"],
        [Tag.TransactTime, "20260105-12:00:00.000"],
        [Tag.OrderQty, 1000000],
        [Tag.OrdType, "2"],
        [Tag.Price, 1.085],
        [Tag.TimeInForce, "0"],
      ],
    });
  },
  onMessage(view) {
    console.log(
      `received ${view.msgType}: ClOrdID=${view.getString(Tag.ClOrdID)} OrdStatus=${
        view.getString(Tag.OrdStatus)
      }`,
    );
    if (view.msgType === "8") void gateway.stop();
  },
});
