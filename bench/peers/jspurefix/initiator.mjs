// fixg's jspurefix benchmark client: a FIX 4.4 initiator (jspurefix 5.11.4 under Node) that logs on
// and measures order-to-acknowledgement latency against any FIX 4.4 acceptor.
//   pingpong: one order in flight; the next goes out when the ack arrives.
//   burst:    --count orders as fast as the session accepts them; latency per order is send to ack,
//             throughput is orders acknowledged per second from the first send to the last ack.
// A warm-up run of the same mode (--warmup orders) comes first and is not measured.
//
// usage: node bench/peers/jspurefix/initiator.mjs --port N [--host 127.0.0.1] [--mode pingpong|burst]
//          [--count 10000] [--warmup 2000] [--sender-comp-id CLIENT] [--target-comp-id LP]
//          [--symbol EUR/USD] [--dict PATH] [--timeout-sec 120] [--verbose]
// stdout: {"peer":"jspurefix","runtime":"node v20...","mode":"pingpong","count":N,"p50Us":..,
//          "p90Us":..,"p99Us":..,"p999Us":..,"maxUs":..,"meanUs":..,"msgsPerSec":..}
import { summarize } from "../latency_stats.mjs";
import { emit, logFactory, runMain, runtimeName, UsageError } from "./common.mjs";
import { peerArgs, PeerLauncher, PeerSession, sessionFromArgs } from "./common.mjs";

const USAGE = "usage: node bench/peers/jspurefix/initiator.mjs --port N [--host 127.0.0.1]\n" +
  "         [--mode pingpong|burst] [--count 10000] [--warmup 2000] [--sender-comp-id CLIENT]\n" +
  "         [--target-comp-id LP] [--symbol EUR/USD] [--dict PATH] [--timeout-sec 120] [--verbose]\n";

const now = () => Number(process.hrtime.bigint());

/** Sends orders and times their acknowledgements; `result` is set once the measured run is done. */
class OrderClient extends PeerSession {
  /**
   * @param {object} config jspurefix IJsFixConfig
   * @param {{mode: string, count: number, warmup: number, symbol: string}} plan
   */
  constructor(config, plan) {
    super(config);
    this.plan = plan;
    // ClOrdIDs are indexes into these arrays: warm-up orders first, then the measured ones.
    const total = plan.warmup + plan.count;
    this.sentAt = new Float64Array(total);
    this.latencyNs = new Float64Array(total);
    this.sent = 0;
    this.acked = 0;
    this.phaseEnd = 0;
    this.measureStart = 0;
    this.result = null;
  }

  onReady() {
    this.startPhase(this.plan.warmup > 0 ? this.plan.warmup : this.plan.count);
  }

  /** Starts the next run of orders, ending at index `end` (exclusive). */
  startPhase(end) {
    this.phaseEnd = end;
    if (this.sent === this.plan.warmup) this.measureStart = now();
    if (this.plan.mode === "pingpong") {
      this.sendOrder();
    } else {
      while (this.sent < end) this.sendOrder();
    }
  }

  sendOrder() {
    const i = this.sent++;
    this.sentAt[i] = now();
    this.send("D", {
      ClOrdID: String(i),
      HandlInst: "1",
      Instrument: { Symbol: this.plan.symbol },
      Side: i % 2 === 0 ? "1" : "2",
      TransactTime: new Date(),
      OrderQtyData: { OrderQty: 1000 },
      OrdType: "2",
      Price: 1.1,
      TimeInForce: "0",
    });
  }

  onApplicationMsg(msgType, view) {
    if (msgType !== "8") return;
    const i = Number(view.getString(11));
    if (!(i >= 0 && i < this.sent) || this.latencyNs[i] !== 0) return; // a fill after the ack, or not ours
    const t = now();
    this.latencyNs[i] = t - (this.sentAt[i] ?? t);
    this.acked++;
    if (this.acked < this.phaseEnd) {
      if (this.plan.mode === "pingpong") this.sendOrder();
      return;
    }
    if (this.phaseEnd === this.plan.warmup && this.plan.warmup > 0) {
      this.startPhase(this.plan.warmup + this.plan.count);
      return;
    }
    const elapsedNs = t - this.measureStart;
    this.result = summarize({
      peer: "jspurefix",
      runtime: runtimeName(),
      mode: this.plan.mode,
      samplesNs: this.latencyNs.subarray(this.plan.warmup),
      elapsedNs,
    });
    this.done();
  }

  onLogon() {
    return true;
  }
}

runMain(USAGE, async () => {
  const args = peerArgs(process.argv.slice(2), {
    host: "string",
    mode: "string",
    count: "int",
    warmup: "int",
    symbol: "string",
    "timeout-sec": "int",
  }, {
    host: "127.0.0.1",
    mode: "pingpong",
    count: 10000,
    warmup: 2000,
    "sender-comp-id": "CLIENT",
    "target-comp-id": "LP",
    symbol: "EUR/USD",
    "timeout-sec": 120,
  }, USAGE);
  if (args === undefined) return;
  if (args.mode !== "pingpong" && args.mode !== "burst") {
    throw new UsageError("--mode must be pingpong or burst");
  }
  if (Number(args.count) < 1) throw new UsageError("--count must be at least 1");
  const plan = {
    mode: String(args.mode),
    count: Number(args.count),
    warmup: Number(args.warmup),
    symbol: String(args.symbol),
  };
  const description = sessionFromArgs("initiator", String(args.host), args);
  /** @type {OrderClient | null} */
  let client = null;
  const launcher = new PeerLauncher(description, null, (config) => {
    client = new OrderClient(config, plan);
    return client;
  }, logFactory(Boolean(args.verbose)));
  const timer = setTimeout(() => {
    const c = /** @type {OrderClient | null} */ (client);
    process.stderr.write(
      `jspurefix initiator: timed out after ${args["timeout-sec"]} s (${c?.acked ?? 0} of ${
        plan.warmup + plan.count
      } acked)\n`,
    );
    process.exit(1);
  }, Number(args["timeout-sec"]) * 1000);
  await launcher.run();
  clearTimeout(timer);
  const c = /** @type {OrderClient | null} */ (client);
  if (!c?.result) {
    process.stderr.write("jspurefix initiator: session ended before the run completed\n");
    process.exit(1);
  }
  emit(c.result);
  process.exit(0);
});
