// Connects as an initiator, sends one NewOrderSingle and prints what comes back.
// Run: ./deno run -A examples/send_order.ts [PORT]   (against e.g. `./fixg simulate-lp --port 9876`)
// Every run behaves the same: the memory store keeps nothing between runs, so the Logon asks both sides
// to start again at MsgSeqNum 1 (ResetSeqNumFlag 141=Y), and each run's ClOrdID is new.
import { startInitiator, Tag } from "../src/mod.ts";

const port = Number(Deno.args[0] ?? 9876);
const clOrdId = `order-${Date.now().toString(36)}`;
const gateway = await startInitiator(
  { port, senderCompId: "CLIENT", targetCompId: "LP", resetOnLogon: true },
  {
    onLogon(session) {
      session.send({
        msgType: "D",
        fields: [
          [Tag.ClOrdID, clOrdId],
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
      // A message sent again (PossDupFlag=Y, e.g. answering a ResendRequest) says so.
      const resent = view.getBoolean(Tag.PossDupFlag) === true ? " (resent: PossDupFlag=Y)" : "";
      const id = view.getString(Tag.ClOrdID);
      console.log(
        `received ${view.msgType}: ClOrdID=${id} OrdStatus=${view.getString(Tag.OrdStatus)}${resent}`,
      );
      if (view.msgType === "8" && id === clOrdId) void gateway.stop();
    },
  },
);
