// Where an attached ping-pong order's CPU goes (issue 17; docs/performance.md "Session 9: the engine's CPU per
// ping-pong order"). Starts the bench's simulator and `fixg run` children pinned like bench/engine_ipc.ts
// (CPUS, default 0,1,0: simulator, engine, this process), attaches a library in this process, trades 300
// ping-pong orders to warm up, then N ping-pong orders one at a time, then PIPE pipelined orders, and prints
// per order, for every thread of the three processes, its context switches and CPU (/proc/PID/task/TID).
// Optional, on the engine for the ping-pong phase only:
//   STRACE=1          strace -c -f (syscalls per order; CPU figures are then the tracer's)
//   STRACE=T          strace -T -ttt of the engine's main thread into /tmp/engine_wakeups.strace (one line per syscall)
//   PERF=stat         perf stat --per-thread (PERF_EVENTS, default task-clock,context-switches,...)
//   PERF=record       perf record (PERF_ARGS, default -g) into PERF_OUT (default /tmp/engine_wakeups.perf.data)
//   PERF=record-all   the same system-wide (-a), e.g. PERF_ARGS="-g -e sched:sched_wakeup" (who wakes whom)
//   ENGINE_DENO_FLAGS runs the engine as `deno run FLAGS -A main.ts` (e.g. --cpu-prof, --v8-flags=--perf-basic-prof)
//   EXTRA             more `fixg run` arguments (e.g. --config FILE); PER_THREAD=1 one line per thread.
// Run: CPUS=0,1,0 N=2000 PIPE=10000 ./deno run -A bench/engine_wakeups.ts
import { engineRunArgs, simulatorArgs } from "../src/bench/engine_ipc.ts";
import { connectEngine } from "../src/engine/library_client.ts";
import type { MessageView } from "../src/codec/mod.ts";
import type { SessionHandle } from "../src/engine/application.ts";
import { spawn, stopAll, until } from "./_lib/child.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const cpus = (Deno.env.get("CPUS") ?? "0,1,0").split(",");
const N = Number(Deno.env.get("N") ?? 2000);
const PIPE = Number(Deno.env.get("PIPE") ?? 10000);
const pinned = (cpu: string, cmd: string[]) => ["taskset", "-c", cpu, ...cmd];
new Deno.Command("taskset", { args: ["-cp", cpus[2]!, String(Deno.pid)] }).outputSync();
const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (l.addr as Deno.NetAddr).port;
l.close();
const dir = await Deno.makeTempDir({ prefix: "fixg-wake-" });
const socket = `${dir}/e.sock`;
const lp = spawn(pinned(cpus[0]!, [`${ROOT}fixg`, ...simulatorArgs(port, "memory")]));
await until(() => /"event":"listening"/.test(lp.text.out), "the simulator");
const denoFlags = Deno.env.get("ENGINE_DENO_FLAGS")?.split(" ").filter((a) => a);
const launcher = denoFlags ? [`${ROOT}deno`, "run", ...denoFlags, "-A", `${ROOT}main.ts`] : [`${ROOT}fixg`];
const engine = spawn(
  pinned(cpus[1]!, [
    ...launcher,
    ...engineRunArgs(port, `${dir}/journal`, socket, [
      "--fsync",
      "none",
      ...(Deno.env.get("EXTRA")?.split(" ").filter((a) => a) ?? []),
    ]),
  ]),
);
await until(
  () => /Logged on/.test(engine.text.err) && /endpoint listening/.test(engine.text.err),
  "the engine",
);

type Snap = Map<
  string,
  { vol: number; invol: number; runNs: number; slices: number; n: number; ut: number; st: number }
>;
function snap(pid: number): Snap {
  const m: Snap = new Map();
  for (const e of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const base = `/proc/${pid}/task/${e.name}`;
      const comm = Deno.readTextFileSync(`${base}/comm`).trim().replace(/[0-9]+$/, "#");
      const st = Deno.readTextFileSync(`${base}/status`);
      const vol = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(st)![1]);
      const invol = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(st)![1]);
      const [run, , slices] = Deno.readTextFileSync(`${base}/schedstat`).trim().split(" ").map(Number);
      const stat = Deno.readTextFileSync(`${base}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ut = Number(f[11]), stt = Number(f[12]);
      const k = Deno.env.get("PER_THREAD") === "1" ? `${comm}/${e.name}` : comm;
      const x = m.get(k) ?? { vol: 0, invol: 0, runNs: 0, slices: 0, n: 0, ut: 0, st: 0 };
      x.ut += ut;
      x.st += stt;
      x.vol += vol;
      x.invol += invol;
      x.runNs += run!;
      x.slices += slices!;
      x.n++;
      m.set(k, x);
    } catch { /* thread gone */ }
  }
  return m;
}
function diff(name: string, a: Snap, b: Snap, per: number) {
  for (const [k, y] of b) {
    const x = a.get(k) ?? { vol: 0, invol: 0, runNs: 0, slices: 0, n: 0, ut: 0, st: 0 };
    const dv = y.vol - x.vol, di = y.invol - x.invol, dr = y.runNs - x.runNs, ds = y.slices - x.slices;
    if (dv + di + ds === 0) continue;
    console.log(
      `  ${name.padEnd(10)} ${k.padEnd(18)} threads ${y.n}  switches/order vol ${
        (dv / per).toFixed(2)
      } invol ${(di / per).toFixed(2)}  run slices/order ${(ds / per).toFixed(2)}  CPU µs/order ${
        (dr / 1000 / per).toFixed(2)
      } (user ${((y.ut - x.ut) * 10000 / per).toFixed(1)}, sys ${((y.st - x.st) * 10000 / per).toFixed(1)})`,
    );
  }
}

const waiting = new Map<string, () => void>();
const onMessage = (v: MessageView) => {
  if (v.msgType !== "8" || v.getString(150) !== "0") return;
  const id = v.getString(11)!;
  const w = waiting.get(id);
  if (w) {
    waiting.delete(id);
    w();
  }
};
const order = (id: string) => ({
  msgType: "D",
  fields: [[11, id], [55, "EUR/USD"], [54, "1"], [38, 100], [40, "2"], [44, "1.05"], [
    60,
    "20260101-00:00:00",
  ]] as Array<readonly [number, string | number]>,
});
const lib = await connectEngine({ socket, name: "wake" });
const sessions = await lib.sessions();
const h: SessionHandle = await lib.claim(sessions[0]!.key, { onMessage });
async function pingPong(prefix: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}${i}`;
    const p = new Promise<void>((r) => waiting.set(id, r));
    const t0 = performance.now();
    while (h.send(order(id)).kind === "back-pressure") await h.whenWritable();
    await p;
    out.push((performance.now() - t0) * 1000);
  }
  return out;
}
await pingPong("w", 300);
const pids = { engine: engine.child.pid, simulator: lp.child.pid, library: Deno.pid };
console.log(`pids: ${Object.entries(pids).map(([k, p]) => `${k} ${p}`).join(", ")}`);
const s0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, snap(p)]));
let strace: Deno.ChildProcess | undefined;
let perf: Deno.ChildProcess | undefined;
const PERF = Deno.env.get("PERF");
if (PERF) {
  const a = PERF === "stat"
    ? [
      "stat",
      "--per-thread",
      "-e",
      Deno.env.get("PERF_EVENTS") ?? "task-clock,context-switches,cpu-migrations,page-faults",
      "-p",
      String(engine.child.pid),
    ]
    : [
      "record",
      ...(Deno.env.get("PERF_ARGS")?.split(" ").filter((x) => x) ?? ["-g"]),
      "-o",
      Deno.env.get("PERF_OUT") ?? "/tmp/engine_wakeups.perf.data",
      ...(PERF === "record-all" ? ["-a"] : ["-p", String(engine.child.pid)]),
    ];
  perf = new Deno.Command("perf", { args: a, stderr: "piped", stdout: "piped" }).spawn();
  await new Promise((r) => setTimeout(r, 500));
}
if (Deno.env.get("STRACE") === "T") {
  strace = new Deno.Command("strace", {
    args: ["-T", "-ttt", "-o", "/tmp/engine_wakeups.strace", "-p", String(engine.child.pid)],
    stderr: "piped",
    stdout: "piped",
  }).spawn();
  await new Promise((r) => setTimeout(r, 500));
} else if (Deno.env.get("STRACE") === "1") {
  strace = new Deno.Command("strace", {
    args: ["-c", "-f", "-p", String(engine.child.pid)],
    stderr: "piped",
    stdout: "piped",
  }).spawn();
  await new Promise((r) => setTimeout(r, 500));
}
const lat = await pingPong("p", N);
if (strace) {
  strace.kill("SIGINT");
  const o = await strace.output();
  console.log(
    new TextDecoder().decode(o.stderr).split("\n").filter((x) => /^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+/.test(x))
      .map((x) => {
        const f = x.trim().split(/\s+/);
        return `  strace ${f[f.length - 1]!.padEnd(16)} calls/order ${(Number(f[3]) / N).toFixed(2)}${
          f.length === 6 ? ` errors/order ${(Number(f[4]) / N).toFixed(2)}` : ""
        }`;
      }).join("\n"),
  );
}
if (perf) {
  perf.kill("SIGINT");
  const o = await perf.output();
  console.log(new TextDecoder().decode(o.stderr));
}
const s1 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, snap(p)]));
lat.sort((a, b) => a - b);
console.log(
  `ping-pong ${N} orders, CPUs ${cpus.join(",")}: p50 ${lat[N >> 1]!.toFixed(1)} µs p90 ${
    lat[Math.floor(N * 0.9)]!.toFixed(1)
  }`,
);
for (const k of Object.keys(pids)) diff(k, s0[k]!, s1[k]!, N);
if (PIPE > 0) {
  const all: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < PIPE; i++) {
    const id = `q${i}`;
    all.push(new Promise<void>((r) => waiting.set(id, r)));
    while (h.send(order(id)).kind === "back-pressure") await h.whenWritable();
  }
  await Promise.all(all);
  const ms = performance.now() - t0;
  const s2 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, snap(p)]));
  console.log(`pipelined ${PIPE} orders: ${(PIPE / ms * 1000).toFixed(0)}/s`);
  for (const k of Object.keys(pids)) diff(k, s1[k]!, s2[k]!, PIPE);
}
await lib.close();
await stopAll([engine, lp]);
await Deno.remove(dir, { recursive: true }).catch(() => {});
