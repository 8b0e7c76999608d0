/**
 * Like-for-like ping-pong, fixg's acknowledger against QuickFIX C++'s, in short alternating blocks.
 *
 * Runs of the peer table are minutes apart, and this shared 2-vCPU machine changes speed by ±25% (and up to
 * 4x) from one minute to the next, so a p99 difference of 10% between two runs says little. Here one client
 * process (the engine's initiator sessions, as `fixg bench` uses them) keeps a session to each acceptor open
 * — `fixg simulate-lp --ack-only` and the QuickFIX acceptor (bench/peers/quickfix, MemoryStoreFactory) —
 * and measures NewOrderSingle → ExecutionReport round trips one at a time, in blocks of `--block-sec`
 * seconds, alternating which acceptor goes first. Both acceptors see the same phases of the machine; each
 * pair of adjacent blocks is a paired sample, and the verdict is a sign test over the pairs' p99s.
 *
 * usage: ./deno run -A bench/interleaved_pp.ts [--pairs 10] [--block-sec 1] [--warmup-sec 2]
 *        [--placement pinned|split] [--out FILE] [--sim-v8-flags FLAGS] [--sim-read-spin-us US]
 *   pinned: the client and both acceptors on CPU 0; split: the acceptors on CPU 1, the client on CPU 0.
 */
import { requestsInFlight } from "../src/bench/echo_tracker.ts";
import { SimulatorChild } from "../src/bench/child.ts";
import { BenchLink } from "../src/bench/link.ts";
import type { MessageView } from "../src/codec/mod.ts";
import { LoadGenerator } from "../src/app/load/generator.ts";
import { LatencyHistogram } from "../src/metrics/histogram.ts";
import { MemoryMessageStore } from "../src/store/memory_store.ts";
import { setAffinity } from "../src/sys/affinity.ts";
import {
  freePort,
  pinned,
  quickfixAcceptorCommand,
  quickfixUnavailable,
  startPeer,
} from "./peers/peer_process.ts";

interface Plan {
  pairs: number;
  blockSec: number;
  warmupSec: number;
  placement: "pinned" | "split";
  out: string | undefined;
  /** V8 flags for the fixg simulator only (through DENO_V8_FLAGS at its start). */
  simV8Flags: string | undefined;
  /** `simulate-lp --read-spin-us` (the simulator's reads poll instead of sleeping; split placement only). */
  simReadSpinUs: number;
}

const USAGE =
  "usage: bench/interleaved_pp.ts [--pairs 10] [--block-sec 1] [--warmup-sec 2] [--placement pinned|split] [--out FILE] [--sim-v8-flags FLAGS] [--sim-read-spin-us US]";

function parseArgs(argv: string[]): Plan {
  const plan: Plan = {
    pairs: 10,
    blockSec: 1,
    warmupSec: 2,
    placement: "pinned",
    out: undefined,
    simV8Flags: undefined,
    simReadSpinUs: 0,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i], v = argv[i + 1];
    if (v === undefined) fail(`${a}: missing value\n${USAGE}`);
    if (a === "--pairs") plan.pairs = Number(v);
    else if (a === "--block-sec") plan.blockSec = Number(v);
    else if (a === "--warmup-sec") plan.warmupSec = Number(v);
    else if (a === "--placement" && (v === "pinned" || v === "split")) plan.placement = v;
    else if (a === "--out") plan.out = v;
    else if (a === "--sim-v8-flags") plan.simV8Flags = v;
    else if (a === "--sim-read-spin-us" && Number.isInteger(Number(v)) && Number(v) >= 0) {
      plan.simReadSpinUs = Number(v);
    } else fail(`bad argument ${a} ${v}\n${USAGE}`);
  }
  if (!(Number.isInteger(plan.pairs) && plan.pairs >= 1) || !(plan.blockSec > 0) || !(plan.warmupSec >= 0)) {
    fail(`--pairs must be a whole number >= 1, --block-sec > 0, --warmup-sec >= 0\n${USAGE}`);
  }
  return plan;
}

function fail(text: string): never {
  console.error(`interleaved_pp: ${text}`);
  Deno.exit(2);
}

const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;

/** One acceptor under test: a session to it, its generator, and where its samples go. */
class Target {
  readonly name: string;
  readonly total = new LatencyHistogram({ unit: "ns" });
  /** The block being measured, or undefined (warm-up). */
  block: LatencyHistogram | undefined;
  readonly blockP99Us: number[] = [];
  link!: BenchLink;
  readonly gen: LoadGenerator;
  #waiter: (() => void) | undefined;

  constructor(name: string, idPrefix: string) {
    this.name = name;
    this.gen = new LoadGenerator({
      sessions: 1,
      mix: { newOrder: 1, cancel: 0, replace: 0, marketData: 0 },
      idPrefix,
      maxOpenOrdersPerSession: Number.MAX_SAFE_INTEGER,
      onLatency: (measure, us) => {
        if (measure !== "order-to-ack" || this.block === undefined) return;
        this.block.record(us * 1000);
        this.total.record(us * 1000);
      },
    });
  }

  onMessage(view: MessageView): void {
    // Arrival = when the bytes were read, as `fixg bench` stamps it.
    this.gen.onMessage(0, view, (performance.timeOrigin + this.link.runner.readAtPerfMs) * 1000);
    if (this.#waiter !== undefined && requestsInFlight(this.gen.liveCounters()) === 0) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w();
    }
  }

  /** One order, answered. */
  async roundTrip(): Promise<void> {
    const msg = this.gen.next(0, nowUs())!;
    const answered = new Promise<void>((r) => (this.#waiter = r));
    while (this.link.runner.send(msg).kind === "back-pressure") await this.link.runner.whenWritable();
    await answered;
  }

  /** Round trips for `sec` seconds. */
  async pingPong(sec: number): Promise<void> {
    const end = nowUs() + sec * 1e6;
    while (nowUs() < end) await this.roundTrip();
  }
}

const pct = (h: LatencyHistogram, p: number) => h.percentile(p) / 1000;
const fmt = (us: number) => (us >= 100 ? Math.round(us).toLocaleString("en-US") : us.toFixed(1));

/** Two-sided sign test: the probability of a split at least this uneven if either side were as likely to win. */
function signTestP(wins: number, n: number): number {
  const k = Math.min(wins, n - wins);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += binom(n, i);
  return Math.min(1, (2 * tail) / 2 ** n);
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

async function main(): Promise<void> {
  const plan = parseArgs(Deno.args);
  const missing = quickfixUnavailable();
  if (missing !== undefined) fail(`the QuickFIX acceptor is not available: ${missing}`);
  const serverCpu = plan.placement === "pinned" ? 0 : 1;
  const clientPin = setAffinity([0], { allThreads: true });
  if (!clientPin.ok) console.error(`interleaved_pp: could not pin the client: ${clientPin.warning}`);

  if (plan.simV8Flags !== undefined) Deno.env.set("DENO_V8_FLAGS", plan.simV8Flags);
  const sim = await SimulatorChild.start({
    port: 0,
    senderCompId: "LP",
    cpus: [serverCpu],
    extraArgs: [
      "--ack-only",
      ...(plan.simReadSpinUs > 0 ? ["--read-spin-us", String(plan.simReadSpinUs)] : []),
    ],
  });
  Deno.env.delete("DENO_V8_FLAGS");
  const qfPort = freePort();
  const qf = await startPeer(
    pinned(
      quickfixAcceptorCommand({ port: qfPort, senderCompId: "LP", targetCompIds: ["BENCH"] }),
      String(serverCpu),
    ),
  );
  const runTag = (Date.now() % 60_466_176).toString(36);
  const fixg = new Target("fixg simulate-lp --ack-only", `${runTag}f.`);
  const quickfix = new Target("QuickFIX C++ acceptor", `${runTag}q.`);
  try {
    for (const [t, port] of [[fixg, sim.port], [quickfix, qfPort]] as const) {
      t.link = await BenchLink.open({
        host: "127.0.0.1",
        port,
        beginString: "FIX.4.4",
        senderCompId: "BENCH",
        targetCompId: "LP",
        heartbeatSec: 30,
        validate: true,
        store: new MemoryMessageStore(),
        socket: { noDelay: true },
        onMessage: (view) => t.onMessage(view),
      });
      t.link.start();
      await t.link.whenLoggedOn(10_000);
    }
    for (let w = 0; w < 2 && plan.warmupSec > 0; w++) {
      await fixg.pingPong(plan.warmupSec / 2);
      await quickfix.pingPong(plan.warmupSec / 2);
    }
    for (let p = 0; p < plan.pairs; p++) {
      const order = p % 2 === 0 ? [fixg, quickfix] : [quickfix, fixg];
      for (const t of order) {
        t.block = new LatencyHistogram({ unit: "ns" });
        await t.pingPong(plan.blockSec);
        t.blockP99Us.push(pct(t.block, 99));
        t.block = undefined;
      }
      console.error(
        `pair ${p + 1}/${plan.pairs}: p99 fixg ${fmt(fixg.blockP99Us[p]!)} µs, QuickFIX ${
          fmt(quickfix.blockP99Us[p]!)
        } µs`,
      );
    }
  } finally {
    await Promise.allSettled([fixg.link?.stop(), quickfix.link?.stop()]);
    await sim.stop();
    await qf.stop();
  }

  const wins = fixg.blockP99Us.filter((v, i) => v < quickfix.blockP99Us[i]!).length;
  const placement = plan.placement === "pinned"
    ? "pinned (all on CPU 0)"
    : "split (acceptors CPU 1, client CPU 0)";
  const lines = [
    `Interleaved ping-pong, ${plan.pairs} pairs of ${plan.blockSec} s blocks, ${placement}${
      plan.simV8Flags === undefined ? "" : `, simulator V8 flags ${plan.simV8Flags}`
    }${plan.simReadSpinUs > 0 ? `, simulator --read-spin-us ${plan.simReadSpinUs}` : ""}, measured ${
      new Date().toISOString().slice(0, 16)
    }Z:`,
    "",
    "| acceptor | round trips | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...[fixg, quickfix].map((t) =>
      `| ${t.name} | ${t.total.count.toLocaleString("en-US")} | ${fmt(pct(t.total, 50))} | ${
        fmt(pct(t.total, 90))
      } | ${fmt(pct(t.total, 99))} | ${fmt(pct(t.total, 99.9))} | ${fmt(t.total.max / 1000)} |`
    ),
    "",
    `- p99 per pair (fixg / QuickFIX, µs): ${
      fixg.blockP99Us.map((v, i) => `${fmt(v)}/${fmt(quickfix.blockP99Us[i]!)}`).join(", ")
    }`,
    `- fixg's p99 lower in ${wins} of ${plan.pairs} pairs (sign test p = ${
      signTestP(wins, plan.pairs).toPrecision(2)
    }); overall p99 QuickFIX / fixg = ${(pct(quickfix.total, 99) / pct(fixg.total, 99)).toFixed(2)}`,
  ];
  const text = lines.join("\n") + "\n";
  console.log(text);
  if (plan.out !== undefined) Deno.writeTextFileSync(plan.out, text);
}

if (import.meta.main) await main();
