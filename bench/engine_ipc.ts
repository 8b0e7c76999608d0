// Engine/library IPC benchmark (issue 17), one run, three paths against the same `fixg simulate-lp` child:
//  - attached library: this process attaches to a `fixg run` child over its engine socket and trades;
//  - in-process: a gateway session in this process trades with the simulator directly;
//  - raw Unix-socket ping-pong between this process and a Deno echo child (the IPC floor).
// Order->ack p50/p99 and pipelined orders/s; the engine's own cost is attached − in-process − raw hop.
// The paths are interleaved (10 rounds of ping-pong blocks, rotating; 3 alternating pipelined blocks), and the
// in-process session validates inbound messages with the FIX 4.4 dictionary as `fixg run` does by default.
// FIXG_BENCH_FSYNC=none|batch|always sets both journals' fsync (default batch).
// Run: ./deno run -A bench/engine_ipc.ts [--orders N] [--pipelined N] [--pipelined-rounds N] [--json FILE]
// Optional pinning: FIXG_BENCH_CPUS="0,1" runs the simulator on the first CPU and the engine on the second
// (taskset), this process on the last listed.
import { engineRunArgs, renderEngineBench, runEngineBench, simulatorArgs } from "../src/bench/engine_ipc.ts";
import { FileJournal } from "../src/store/journal.ts";
import { spawn, stopAll, until } from "./_lib/child.ts";

const args: Record<string, string> = {};
for (let i = 0; i < Deno.args.length; i += 2) {
  const k = Deno.args[i]!, v = Deno.args[i + 1];
  if (!["--orders", "--pipelined", "--pipelined-rounds", "--json"].includes(k) || v === undefined) {
    console.error(
      `usage: bench/engine_ipc.ts [--orders N] [--pipelined N] [--pipelined-rounds N] [--json FILE|-] (got ${k})`,
    );
    Deno.exit(2);
  }
  if (k !== "--json" && !(Number.isInteger(Number(v)) && Number(v) > 0)) {
    console.error(`bench/engine_ipc.ts: ${k} takes a positive integer (got "${v}")`);
    Deno.exit(2);
  }
  args[k.slice(2)] = v;
}
const ROOT = new URL("../", import.meta.url).pathname;
const cpus = (Deno.env.get("FIXG_BENCH_CPUS") ?? "").split(",").filter((c) => c !== "");
const pinned = (cpu: string | undefined, cmd: string[]) =>
  cpu === undefined ? cmd : ["taskset", "-c", cpu, ...cmd];

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

if (cpus.length > 0) {
  // This process on the last CPU listed.
  const self = new Deno.Command("taskset", { args: ["-cp", cpus[cpus.length - 1]!, String(Deno.pid)] })
    .outputSync();
  if (!self.success) console.error("taskset failed: not pinned");
}
const dir = await Deno.makeTempDir({ prefix: "fixg-bench-ipc-" });
const port = freePort();
const socket = `${dir}/engine.sock`;
const lp = spawn(pinned(cpus[0], [`${ROOT}fixg`, ...simulatorArgs(port, "memory")]));
await until(() => /"event":"listening"/.test(lp.text.out), "the simulator");
const engine = spawn(pinned(cpus[1] ?? cpus[0], [
  `${ROOT}fixg`,
  ...engineRunArgs(port, `${dir}/journal`, socket, [
    ...(Deno.env.get("FIXG_BENCH_FSYNC") ? ["--fsync", Deno.env.get("FIXG_BENCH_FSYNC")!] : []),
    // Extra `fixg run` flags for experiments (e.g. "--dict none": no inbound validation, like the in-process session).
    ...(Deno.env.get("FIXG_BENCH_ENGINE_ARGS")?.split(" ").filter((a) => a !== "") ?? []),
  ]),
]));
try {
  await until(
    () => /Logged on/.test(engine.text.err) && /endpoint listening/.test(engine.text.err),
    "the engine",
  );
  // The in-process session journals like the engine does (same fsync policy), so the paths differ only by the hop.
  const fsync = (Deno.env.get("FIXG_BENCH_FSYNC") ?? "batch") as "always" | "batch" | "none";
  const inProcessStore = await FileJournal.open({ dir: `${dir}/inproc-journal`, fsync });
  const report = await runEngineBench({
    socket,
    inProcessStore,
    target: { host: "127.0.0.1", port, targetCompId: "LP" },
    enginePid: engine.child.pid,
    ...(args.orders ? { orders: Number(args.orders) } : {}),
    ...(args.pipelined ? { pipelined: Number(args.pipelined) } : {}),
    ...(args["pipelined-rounds"] ? { pipelinedRounds: Number(args["pipelined-rounds"]) } : {}),
    log: (l) => console.error(l),
  });
  console.log(renderEngineBench(report));
  if (args.json) {
    const text = JSON.stringify({ pinned: cpus.length > 0 ? cpus : false, ...report }, null, 2) + "\n";
    if (args.json === "-") console.log(text);
    else await Deno.writeTextFile(args.json, text);
  }
} finally {
  await stopAll([engine, lp]);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
