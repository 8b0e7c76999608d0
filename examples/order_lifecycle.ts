// An order's life through one initiator session: a limit order, a replace, a cancel, then a clean Logout.
// Every send's result is handled (sent with its MsgSeqNum, queued, refused with a reason, back-pressure),
// and ExecutionReports and OrderCancelRejects are routed by the cracker to typed handlers.
// Run: ./deno run -A examples/order_lifecycle.ts [PORT]   (against e.g. `./fixg simulate-lp --port 9876`)
import { cracker, fix44, type FixMessage, type SessionHandle, startInitiator } from "../src/mod.ts";

const { ExecType, MESSAGES, NewOrderSingle, OrderCancelReplaceRequest, OrderCancelRequest, OrdType, Side } =
  fix44;
const port = Number(Deno.args[0] ?? 9876);
const run = Date.now().toString(36); // ClOrdIDs new on every run.
const id = { order: `${run}-1`, replace: `${run}-2`, cancel: `${run}-3` };
const name = (clOrdId: string | undefined) =>
  Object.entries(id).find(([, v]) => v === clOrdId)?.[0] ?? clOrdId;

/** Sends `message`; on back-pressure waits until the session can take more and sends again. */
async function send(session: SessionHandle, what: string, message: FixMessage): Promise<void> {
  for (;;) {
    const r = session.send(message);
    if (r.kind === "back-pressure") {
      await session.whenWritable();
      continue;
    }
    if (r.kind === "sent") console.log(`${what}: sent as MsgSeqNum ${r.seq}`);
    else if (r.kind === "queued") console.log(`${what}: queued (numbered when it leaves)`);
    else console.log(`${what}: refused (${r.cause}): ${r.reason}`);
    return;
  }
}

let session: SessionHandle | undefined; // Set at logon.

const onMessage = cracker(MESSAGES, {
  ExecutionReport(er) {
    console.log(
      `ExecutionReport ${name(er.clOrdID)}: ExecType ${er.execType} OrdStatus ${er.ordStatus} ` +
        `qty ${er.orderQty} price ${er.price} leaves ${er.leavesQty}`,
    );
    if (er.clOrdID === id.order && er.execType === ExecType.New) {
      void send(
        session!,
        "replace",
        OrderCancelReplaceRequest.build({
          clOrdID: id.replace,
          origClOrdID: id.order,
          symbol: "EUR/USD",
          side: Side.Buy,
          transactTime: Date.now(),
          orderQty: 2000,
          ordType: OrdType.Limit,
          price: 1.0002,
        }),
      );
    } else if (er.clOrdID === id.replace && er.execType === ExecType.Replace) {
      void send(
        session!,
        "cancel",
        OrderCancelRequest.build({
          clOrdID: id.cancel,
          origClOrdID: id.replace,
          symbol: "EUR/USD",
          side: Side.Buy,
          transactTime: Date.now(),
          orderQty: 2000,
        }),
      );
    } else if (er.clOrdID === id.cancel && er.execType === ExecType.Canceled) {
      session!.logout("done");
    } else if (er.execType === ExecType.Rejected) {
      session!.logout(`rejected: ${er.text}`);
    }
  },
  OrderCancelReject(reject) {
    console.log(`OrderCancelReject ${name(reject.clOrdID)}: ${reject.cxlRejReason} ${reject.text}`);
    session!.logout("cancel rejected");
  },
});

const gateway = await startInitiator(
  { port, senderCompId: "CLIENT", targetCompId: "LP", resetOnLogon: true },
  {
    onLogon(s) {
      session = s;
      console.log("logged on");
      // The session sends its own Logon, ResendRequest, SequenceReset and Logout: refused with a reason.
      void send(s, "a Logon of our own", { msgType: "A", fields: [] });
      void send(
        s,
        "order",
        NewOrderSingle.build({
          clOrdID: id.order,
          symbol: "EUR/USD",
          side: Side.Buy,
          transactTime: Date.now(),
          orderQty: 1000,
          ordType: OrdType.Limit,
          price: 1.0001,
        }),
      );
    },
    onMessage,
    onLogout(_s, reason) {
      console.log(`logged out: ${reason}`);
      void gateway.stop();
    },
  },
);
