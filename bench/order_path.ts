// The order model's CPU cost on both sides, with no sockets and no session: `fixg bench`'s load generator
// makes NewOrderSingles, `fixg simulate-lp`'s simulator takes them and answers, the generator takes the
// answers back. Each part is timed alone over all the orders (the messages between them are encoded and
// parsed beforehand, untimed): generator.next, simulator.onMessage, the encoding of the simulator's answers,
// generator.onMessage. Times are the
// CPU time of the thread (/proc/thread-self/stat, 10 ms ticks: other processes on a busy machine weigh
// less than on the wall clock), ns per order; the best of the runs.
// Run: ./deno run -A bench/order_path.ts [--ack-only] [--orders 200000] [--runs 5]
import { defaultLpConfig, LpSimulator } from "../src/app/lp/mod.ts";
import { LoadGenerator } from "../src/app/load/mod.ts";
import { encodeMessage, Encoder, type FixMessage, MessageView } from "../src/codec/mod.ts";

const args = Deno.args;
const flag = (
  name: string,
  dflt: string,
) => (args.includes(name) ? args[args.indexOf(name) + 1] ?? dflt : dflt);
const ackOnly = args.includes("--ack-only");
const orders = Number(flag("--orders", "200000"));
const runs = Number(flag("--runs", "5"));
if (!(orders > 0 && runs > 0)) {
  console.error("usage: bench/order_path.ts [--ack-only] [--orders N] [--runs N]");
  Deno.exit(2);
}

/** CPU time of this thread, ms (user + system; clock ticks of 10 ms). */
function threadCpuMs(): number {
  const stat = Deno.readTextFileSync("/proc/thread-self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

const enc = new Encoder();
const view = (m: FixMessage) => MessageView.parse(encodeMessage(enc, "FIX.4.4", m).slice());

interface Parts {
  next: number;
  simulator: number;
  /** The simulator's answers encoded (the body straight into the encoder, as the session writes it; no header). */
  encode: number;
  answers: number;
}

function run(seed: number): Parts {
  const config = defaultLpConfig();
  if (ackOnly) config.behaviours.push({ ackOnly: true });
  const t0Ms = Date.UTC(2026, 2, 10, 14, 0, 0);
  const sim = new LpSimulator(config, t0Ms);
  sim.onLogon("S", "BENCH", t0Ms);
  const g = new LoadGenerator({
    sessions: 1,
    seed,
    mix: { newOrder: 1, cancel: 0, replace: 0, marketData: 0 },
    maxOpenOrdersPerSession: Number.MAX_SAFE_INTEGER,
  });
  const us = t0Ms * 1000;
  const sent: FixMessage[] = new Array(orders);
  let c = threadCpuMs();
  for (let i = 0; i < orders; i++) sent[i] = g.next(0, us + i)!;
  const next = threadCpuMs() - c;
  const inbound = sent.map(view);
  const out: FixMessage[] = [];
  c = threadCpuMs();
  for (let i = 0; i < orders; i++) {
    for (const o of sim.onMessage("S", inbound[i]!, t0Ms)) if ("message" in o) out.push(o.message);
  }
  const simulator = threadCpuMs() - c;
  c = threadCpuMs();
  for (const m of out) {
    // As the session writes a builder's message: the body straight into the encoder, then the frame.
    enc.begin("FIX.4.4", m.msgType);
    if (m.writeBody?.(enc) !== true) encodeMessage(enc, "FIX.4.4", m);
    else enc.finish();
  }
  const encode = threadCpuMs() - c;
  const answers = out.map(view);
  c = threadCpuMs();
  for (const v of answers) g.onMessage(0, v, us + orders);
  const back = threadCpuMs() - c;
  const acked = g.counters().ordersAcked;
  if (acked !== orders) throw new Error(`run ${seed}: ${acked} of ${orders} orders acknowledged`);
  const ns = (ms: number) => (ms * 1e6) / orders;
  return { next: ns(next), simulator: ns(simulator), encode: ns(encode), answers: ns(back) };
}

const best: Parts = { next: Infinity, simulator: Infinity, encode: Infinity, answers: Infinity };
for (let r = 0; r < runs; r++) {
  const p = run(r + 1);
  for (const k of Object.keys(best) as (keyof Parts)[]) best[k] = Math.min(best[k], p[k]);
  console.log(
    `run ${r + 1}: generator.next ${Math.round(p.next)}, simulator ${
      Math.round(p.simulator)
    }, encode answers ${Math.round(p.encode)}, generator.onMessage ${Math.round(p.answers)} CPU ns/order`,
  );
}
console.log(
  `best: generator.next ${Math.round(best.next)}, simulator ${Math.round(best.simulator)}, encode answers ${
    Math.round(best.encode)
  }, generator.onMessage ${Math.round(best.answers)} CPU ns/order (${
    ackOnly ? "ack-only" : "matching"
  } simulator, ${orders} orders)`,
);
