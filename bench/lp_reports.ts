/**
 * CPU per order of the LP simulator's answers, in process (no sockets): a NewOrderSingle view in,
 * `LpSimulator.onMessage`, and every message out encoded by the session's `encodeApp` as the engine
 * sends it. `--ack-only`: one ExecutionReport per order; otherwise half the orders cross the book (an
 * acknowledgement and a fill each) and half rest. `--against <checkout>` loads the same modules from
 * another checkout and alternates rounds (A B, B A, ...) in this one process, so both see the same JIT
 * and machine load; medians of the rounds are printed.
 *
 * Run: ./deno run -A --v8-flags=--expose-gc bench/lp_reports.ts [--ack-only] [--rounds 11] [--n 20000]
 *        [--against /tmp/base]   (with --expose-gc each round starts after a full collection)
 */
import type { LpConfig, LpSimulator } from "../src/app/lp/mod.ts";
import type { FixMessage } from "../src/codec/encoder.ts";
import type { MessageView } from "../src/codec/view.ts";

function arg(name: string, dflt: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] ?? dflt : dflt;
}
const ROUNDS = Number(arg("--rounds", "11"));
const N = Number(arg("--n", "20000"));
const ACK_ONLY = Deno.args.includes("--ack-only");
const AGAINST = arg("--against", "");
const START = Date.UTC(2026, 2, 10, 14, 0, 0);

/** One checkout's modules and a round over them. */
interface Tree {
  name: string;
  round(): number;
}

async function load(root: string, name: string): Promise<Tree> {
  const url = (p: string) => new URL(p, root.endsWith("/") ? root : `${root}/`).href;
  const lp = await import(url("src/app/lp/mod.ts"));
  const codec = await import(url("src/codec/mod.ts"));
  const session = await import(url("src/session/mod.ts"));
  const messages = await import(url("src/session/messages.ts"));
  const s = session.createSession(
    {
      ...session.DEFAULT_SESSION_SETTINGS,
      id: { beginString: "FIX.4.4", senderCompId: "LP", targetCompId: "CLIENT" },
      role: "acceptor",
    },
    { nextSenderSeq: 1, nextTargetSeq: 1 },
    START,
  );
  const enc = new codec.Encoder();
  const view = (f: [number, string | number][]): MessageView =>
    codec.MessageView.parse(
      codec.encodeMessage(enc, "FIX.4.4", {
        msgType: "D",
        fields: [[49, "CLIENT"], [56, "LP"], [34, 2], ...f],
      }),
    ).copy();
  const config = (): LpConfig => {
    const c: LpConfig = lp.defaultLpConfig();
    c.symbols = [{
      symbol: "TEST",
      startPrice: 100,
      tickSize: 0.01,
      volatility: 0,
      updatesPerSecond: 0,
      spreadTicks: 2,
      depth: 3,
      levelSpacingTicks: 1,
      levelSize: 1_000_000_000,
    }];
    c.orders.dayEnd = undefined;
    if (ACK_ONLY) c.behaviours.push({ ackOnly: true });
    return c;
  };
  // The orders, made once: buys at the offer (cross) or one tick under the bid (rest).
  const orders = Array.from({ length: N }, (_, i) =>
    view([
      [11, `C${i}`],
      [55, "TEST"],
      [54, "1"],
      [60, "20260310-14:00:00.000"],
      [38, 10],
      [40, "2"],
      [44, i % 2 === 0 ? "100.01" : "99.98"],
      [59, "0"],
    ]));
  let seq = 1;
  return {
    name,
    round(): number {
      const sim: LpSimulator = new lp.LpSimulator(config(), START);
      sim.onLogon("A", "CLIENT", START);
      let bytes = 0;
      const t0 = performance.now();
      for (let i = 0; i < N; i++) {
        const out = sim.onMessage("A", orders[i]!, START + 1);
        for (const o of out) {
          if ("message" in o) {
            bytes += messages.encodeApp(s, o.message as FixMessage, seq++, START + 1).length;
          }
        }
      }
      const us = ((performance.now() - t0) * 1000) / N;
      if (bytes === 0) throw new Error("nothing sent");
      return us;
    },
  };
}

const here = new URL("../", import.meta.url).href;
const trees = [await load(here, "this")];
if (AGAINST !== "") trees.push(await load(`file://${Deno.realPathSync(AGAINST)}/`, "against"));
const results = trees.map(() => [] as number[]);
// A B, then B A: neither checkout always runs first (the second of a pair pays for the first's garbage).
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < trees.length; k++) {
    const t = r % 2 === 0 ? k : trees.length - 1 - k;
    gc();
    results[t]!.push(trees[t]!.round());
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (let t = 0; t < trees.length; t++) {
  console.log(
    `${trees[t]!.name}: ${median(results[t]!).toFixed(3)} us/order median of ${ROUNDS} (${
      ACK_ONLY ? "ack-only" : "half cross, half rest"
    }, ${N} orders/round)`,
  );
}
