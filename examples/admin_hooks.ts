// Logs on with credentials added to the Logon by toAdmin, sees every inbound admin message through
// fromAdmin, and learns through onReject that the counterparty rejected the order it sent.
// Run: ./deno run -A examples/admin_hooks.ts [PORT]   (FIX_PASSWORD in the environment)
import { fix44, startInitiator, Tag } from "../src/mod.ts";

const { NewOrderSingle, OrdType, Side } = fix44;

const port = Number(Deno.args[0] ?? 9876);
const gateway = await startInitiator({ port, senderCompId: "CLIENT", targetCompId: "LP" }, {
  toAdmin(message) {
    // Before an admin message is sent and stored: add fields (here Username/Password on the Logon).
    if (message.msgType === "A") {
      message.set(Tag.Username, "trader1");
      message.set(Tag.Password, Deno.env.get("FIX_PASSWORD") ?? "");
    }
  },
  fromAdmin(view) {
    console.log(`admin in: 35=${view.msgType} 34=${view.seqNum}`);
  },
  onLogon(session) {
    session.send(NewOrderSingle.build({
      clOrdID: "order-1",
      symbol: "EUR/USD",
      side: Side.Buy,
      transactTime: Date.now(),
      orderQty: 1000000,
      ordType: OrdType.Limit,
      price: 1.085,
    }));
  },
  onReject(reject) {
    // A Reject (35=3) or BusinessMessageReject (35=j) of a message this application sent.
    console.log(
      `rejected ${reject.refMsgType} ClOrdID=${reject.clOrdId} (MsgSeqNum ${reject.refSeqNum}): ` +
        `reason ${reject.reason}, tag ${reject.refTagId}, ${reject.text}`,
    );
    void gateway.stop();
  },
});
