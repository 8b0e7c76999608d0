// fixg's jspurefix counterparty for the peer benchmark: a FIX 4.4 acceptor (jspurefix 5.11.4 under
// Node, in-memory store, its default acceptor-side integrity checks) that answers every
// NewOrderSingle with an ExecutionReport ack (150=0 39=0) and, with --fill, a fill.
//
// usage: node bench/peers/jspurefix/acceptor.mjs --port N [--sender-comp-id LP]
//          [--target-comp-id CLIENT] [--dict PATH] [--fill] [--exit-on-eof] [--verbose]
// stdout: {"event":"listening",...} once bound; {"event":"stopped",...} on SIGINT/SIGTERM.
import { emit, logFactory, runMain } from "./common.mjs";
import { peerArgs, PeerLauncher, PeerSession, sessionFromArgs } from "./common.mjs";

const USAGE = "usage: node bench/peers/jspurefix/acceptor.mjs --port N [--sender-comp-id LP]\n" +
  "         [--target-comp-id CLIENT] [--dict PATH] [--fill] [--exit-on-eof] [--verbose]\n";

const counts = { logons: 0, orders: 0, reportsSent: 0, otherAppMessages: 0 };

/** Acknowledges orders; reads fields through the view's getters (no object materialisation). */
class AckSession extends PeerSession {
  /**
   * @param {object} config jspurefix IJsFixConfig for this connection
   * @param {boolean} fill also send an immediate full fill
   */
  constructor(config, fill) {
    super(config);
    this.fill = fill;
    this.nextId = 0;
  }

  onApplicationMsg(msgType, view) {
    if (msgType !== "D") {
      counts.otherAppMessages++;
      return;
    }
    counts.orders++;
    const clOrdId = view.getString(11);
    const side = view.getString(54);
    const symbol = view.getString(55);
    const ordType = view.getString(40);
    const qty = Number(view.getString(38));
    const priceText = view.getString(44);
    const price = priceText === null ? 100 : Number(priceText);
    const orderId = `O${++this.nextId}`;
    const report = {
      OrderID: orderId,
      ClOrdID: clOrdId,
      ExecID: `E${this.nextId}`,
      ExecType: "0",
      OrdStatus: "0",
      Instrument: { Symbol: symbol },
      Side: side,
      OrderQtyData: { OrderQty: qty },
      OrdType: ordType,
      Price: priceText === null ? undefined : price,
      LeavesQty: qty,
      CumQty: 0,
      AvgPx: 0,
      TransactTime: new Date(),
    };
    this.send("8", report);
    counts.reportsSent++;
    if (this.fill) {
      this.send("8", {
        ...report,
        ExecID: `F${this.nextId}`,
        ExecType: "F",
        OrdStatus: "2",
        LastQty: qty,
        LastPx: price,
        LeavesQty: 0,
        CumQty: qty,
        AvgPx: price,
        TransactTime: new Date(),
      });
      counts.reportsSent++;
    }
  }

  onLogon() {
    counts.logons++;
    return true;
  }

  onReady() {}
}

runMain(USAGE, async () => {
  const args = peerArgs(process.argv.slice(2), {
    fill: "flag",
    "exit-on-eof": "flag",
  }, {
    "sender-comp-id": "LP",
    "target-comp-id": "CLIENT",
    fill: false,
    "exit-on-eof": false,
  }, USAGE);
  if (args === undefined) return;
  const description = sessionFromArgs("acceptor", "127.0.0.1", args);
  const fill = Boolean(args.fill);
  const launcher = new PeerLauncher(
    null,
    description,
    (config) => new AckSession(config, fill),
    logFactory(Boolean(args.verbose)),
  );
  const running = launcher.run();

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    launcher.stop();
    emit({ event: "stopped", ...counts });
    // Live sessions keep timers; the process is done once the summary is out.
    setTimeout(() => process.exit(0), 50);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  if (args["exit-on-eof"]) {
    process.stdin.on("end", stop);
    process.stdin.resume();
  }

  // jspurefix has no "listening" callback: wait until its node:net server is bound.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const server = launcher.entity?.acceptor?.server;
    if (server?.listening) break;
    if (Date.now() > deadline) {
      throw new Error(`jspurefix acceptor did not listen on port ${args.port} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  emit({
    event: "listening",
    port: args.port,
    senderCompId: description.SenderCompId,
    targetCompIds: [description.TargetCompID],
    fill,
    pid: process.pid,
  });
  await running;
});
