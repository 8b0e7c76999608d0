/**
 * The engine's open-order tracking (engine/flow/open_orders.ts, what the kill switch cancels) alone, in CPU
 * time: N NewOrderSingles recorded as they leave (onSent), then for each its New report, a partial fill and
 * the last fill (onReceived), answers in order as a session sees them. The reports are framed and parsed
 * beforehand (untimed, fresh views each round). Prints ns per order for each part.
 *
 * usage: ./deno run -A bench/open_orders.ts [--n 100000] [--rounds 9] ROOT [ROOT2]
 * Each ROOT is a checkout of fixg (`.` for this one; a worktree of an older build for before/after): with
 * two, their rounds alternate in one process and the medians and minimums of both are printed.
 */
import process from "node:process";
import { Encoder, type FixMessage, MessageView, Tag } from "../src/codec/mod.ts";

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const arg = (name: string, dflt: number) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
};
const N = arg("--n", 100_000);
const ROUNDS = arg("--rounds", 9);
const roots = Deno.args.filter((a, i) => !a.startsWith("--") && !Deno.args[i - 1]?.startsWith("--"));
if (!(N > 0 && ROUNDS > 0) || roots.length < 1 || roots.length > 2) {
  console.error("usage: bench/open_orders.ts [--n N] [--rounds R] ROOT [ROOT2]");
  Deno.exit(2);
}

const orders: FixMessage[] = [];
for (let i = 0; i < N; i++) {
  orders.push({
    msgType: "D",
    fields: [[Tag.ClOrdID, `o${i}`], [Tag.Account, "A1"], [Tag.Symbol, "IBM"], [Tag.Side, "1"], [
      Tag.OrderQty,
      100,
    ], [
      Tag.OrdType,
      "1",
    ]],
  });
}
const enc = new Encoder();
function report(seq: number, body: Array<[number, string]>): MessageView {
  enc.begin("FIX.4.4", "8");
  enc.str(49, "ISLD").str(56, "TW").int(34, seq).str(52, "20260105-12:00:00.000");
  for (const [t, v] of body) enc.str(t, v);
  return MessageView.parse(enc.finish().slice());
}
/** Reports of order i: New, a fill of 40, the last fill of 60. */
function reportsOf(i: number): MessageView[] {
  const id = `o${i}`, oid = `X${i}`;
  const common: Array<[number, string]> = [[37, oid], [11, id], [55, "IBM"], [54, "1"], [38, "100"]];
  return [
    report(3 * i, [...common, [17, `e${i}a`], [150, "0"], [39, "0"], [151, "100"], [14, "0"], [6, "0"]]),
    report(3 * i + 1, [
      ...common,
      [17, `e${i}b`],
      [150, "F"],
      [39, "1"],
      [32, "40"],
      [31, "10"],
      [151, "60"],
      [
        14,
        "40",
      ],
      [6, "10"],
    ]),
    report(3 * i + 2, [...common, [17, `e${i}c`], [150, "F"], [39, "2"], [32, "60"], [31, "10"], [151, "0"], [
      14,
      "100",
    ], [6, "10"]]),
  ];
}

// deno-lint-ignore no-explicit-any
type Ctor = new () => any;
const ctors: Ctor[] = [];
for (const r of roots) {
  const url = new URL(`${r.replace(/\/$/, "")}/src/engine/flow/open_orders.ts`, `file://${Deno.cwd()}/`);
  ctors.push((await import(url.href)).OpenOrders);
}

const res: Array<{ sent: number[]; acked: number[]; filled: number[] }> = roots.map(() => ({
  sent: [],
  acked: [],
  filled: [],
}));
for (let round = 0; round < ROUNDS + 1; round++) {
  for (let r = 0; r < roots.length; r++) {
    const rs = [] as MessageView[][];
    for (let i = 0; i < N; i++) rs.push(reportsOf(i));
    const o = new ctors[r]!();
    let t = cpu();
    for (let i = 0; i < N; i++) o.onSent(orders[i]!, i);
    const sent = cpu() - t;
    t = cpu();
    let acks = 0;
    for (let i = 0; i < N; i++) if (o.onReceived(rs[i]![0]!, i + 1) !== undefined) acks++;
    const acked = cpu() - t;
    if (acks !== N || o.open().length !== N) {
      throw new Error(`${roots[r]}: ${acks} acks, ${o.open().length} open`);
    }
    t = cpu();
    for (let i = 0; i < N; i++) {
      o.onReceived(rs[i]![1]!, i + 2);
      o.onReceived(rs[i]![2]!, i + 3);
    }
    const filled = cpu() - t;
    if (o.size !== 0) throw new Error(`${roots[r]}: ${o.size} orders left after the fills`);
    if (round === 0) continue; // warm-up
    res[r]!.sent.push((sent * 1e6) / N);
    res[r]!.acked.push((acked * 1e6) / N);
    res[r]!.filled.push((filled * 1e6) / N / 2);
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const min = (a: number[]) => Math.min(...a);
const f = (a: number[]) => `median ${med(a).toFixed(0)} min ${min(a).toFixed(0)}`;
for (let r = 0; r < roots.length; r++) {
  const x = res[r]!;
  console.log(
    `${roots[r]}: ns per order: onSent ${f(x.sent)}; New report ${f(x.acked)}; fill report ${f(x.filled)}`,
  );
}
