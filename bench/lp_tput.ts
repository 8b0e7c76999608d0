// One-process throughput of the order path: `fixg bench`'s load generator sends bursts of
// NewOrderSingles to `fixg simulate-lp` running in the same Deno process (loopback TCP), so both sides
// share one CPU and the figure is the engine's CPU cost per order on both sides together, with no
// cross-process scheduling in it (steadier than the two-process runs on a shared machine).
// Run: ./deno run -A bench/lp_tput.ts [--ack-only] [--burst 100000x3] [--runs 3]
import { defaultLpConfig } from "../src/app/lp/mod.ts";
import { resolveBenchOptions } from "../src/bench/options.ts";
import { runBench } from "../src/bench/runner.ts";
import { startLoopbackSimulator } from "../src/engine/lp_host.ts";

const args = Deno.args;
const ackOnly = args.includes("--ack-only");
const flag = (
  name: string,
  dflt: string,
) => (args.includes(name) ? args[args.indexOf(name) + 1] ?? dflt : dflt);
const burst = flag("--burst", "100000x3");
const runs = Number(flag("--runs", "3"));
const config = defaultLpConfig();
if (ackOnly) config.behaviours.push({ ackOnly: true });
const sim = await startLoopbackSimulator(config);
const rates: number[] = [];
try {
  for (let r = 0; r < runs; r++) {
    const o = await resolveBenchOptions({
      target: `127.0.0.1:${sim.port}`,
      senderCompId: `B${r}`,
      targetCompId: "LP",
      burst,
      mix: "new=1",
      warmup: "0.5",
    });
    o.progress = false;
    const out = await runBench(o);
    rates.push(out.report.throughputPerSec);
    console.log(
      `run ${r + 1}: ${
        Math.round(out.report.throughputPerSec).toLocaleString("en-US")
      } orders acknowledged/s`,
    );
  }
} finally {
  await sim.stop();
}
rates.sort((a, b) => a - b);
console.log(
  `median ${Math.round(rates[Math.floor(rates.length / 2)]!).toLocaleString("en-US")} orders/s (${
    ackOnly ? "ack-only" : "matching"
  } simulator, ${burst}, one process)`,
);
