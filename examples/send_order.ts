// Connects as an initiator, sends one NewOrderSingle and prints what comes back.
// Run: ./deno run -A examples/send_order.ts [PORT]   (against e.g. `./fixg simulate-lp --port 9876`)
// Every run behaves the same: the memory store keeps nothing between runs, so the Logon asks both sides
// to start again at MsgSeqNum 1 (ResetSeqNumFlag 141=Y), and each run's ClOrdID is new.
// Messages are typed (fix44: builders, views and a cracker generated from the FIX 4.4 dictionary);
// `session.send({ msgType, fields: [[tag, value], ...] })` remains for anything else.
import { cracker, fix44, type MessageView, startInitiator, Tag } from "../src/mod.ts";

const { MESSAGES, NewOrderSingle, OrdType, Side, TimeInForce } = fix44;
const port = Number(Deno.args[0] ?? 9876);
const clOrdId = `order-${Date.now().toString(36)}`;

function print(view: MessageView, clOrdId: string | undefined, ordStatus: string | undefined): void {
  // A message sent again (PossDupFlag=Y, e.g. answering a ResendRequest) says so.
  const resent = view.getBoolean(Tag.PossDupFlag) === true ? " (resent: PossDupFlag=Y)" : "";
  console.log(`received ${view.msgType}: ClOrdID=${clOrdId} OrdStatus=${ordStatus}${resent}`);
}

// Routes a received message by MsgType to its typed handler; anything else to the last function.
const onMessage = cracker(MESSAGES, {
  ExecutionReport(report, view) {
    print(view, report.clOrdID, report.ordStatus);
    if (report.clOrdID === clOrdId) void gateway.stop();
  },
}, (view) => print(view, view.getString(Tag.ClOrdID), view.getString(Tag.OrdStatus)));

const gateway = await startInitiator(
  { port, senderCompId: "CLIENT", targetCompId: "LP", resetOnLogon: true },
  {
    onLogon(session) {
      // Written straight into the session's encoder; TransactTime is epoch milliseconds.
      session.send(NewOrderSingle.build({
        clOrdID: clOrdId,
        symbol: "EUR/USD",
        side: Side.Buy,
        transactTime: Date.now(),
        orderQty: 1000000,
        ordType: OrdType.Limit,
        price: 1.085,
        timeInForce: TimeInForce.Day,
      }));
    },
    onMessage,
  },
);
