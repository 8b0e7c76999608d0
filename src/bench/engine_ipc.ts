/**
 * `fixg bench --engine PATH` and bench/engine_ipc.ts: order->ack latency and pipelined throughput
 * through a library attached to a running engine over its Unix socket, beside the same load sent
 * in-process (a gateway session in this process) and a raw Unix-socket ping-pong between two Deno
 * processes (the IPC floor), all in the same run.
 *
 * Order->ack: a NewOrderSingle sent, until its first ExecutionReport (ExecType 0) is handed to
 * onMessage. The engine's cost is what the attached path adds beyond in-process and the raw IPC hop.
 * The paths run interleaved in blocks (see runEngineBench), so a machine whose load drifts shifts them alike.
 */
import process from "node:process";
import type { MessageView } from "../codec/mod.ts";
import { builtinDictionary } from "../dictionary/loader.ts";
import type { Dictionary } from "../dictionary/model.ts";
import type { SessionHandle } from "../engine/application.ts";
import { connectEngine } from "../engine/library_client.ts";
import { Logger } from "../engine/log.ts";
import { startInitiator } from "../engine/quick.ts";
import { FixgError } from "../errors.ts";
import type { MessageStore } from "../store/types.ts";

/** Percentiles of one latency sample, µs. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** One measured path. */
export interface PathResult {
  path: "in-process" | "attached-library" | "raw-unix-ping-pong";
  /** Order->ack (raw: round trip) latency, µs. */
  latency: LatencySummary;
  /** Pipelined orders acknowledged per second (raw: round trips per second, one in flight). */
  throughputPerSec: number;
}

/** The whole report. */
export interface EngineBenchReport {
  orders: number;
  pipelined: number;
  results: PathResult[];
  /** attached p50 − in-process p50 − raw p50, µs (when all three ran). */
  engineAddedP50Us?: number;
  /** attached pipelined throughput / in-process, % (when both ran). */
  pipelinedRatioPct?: number;
  /**
   * The same ratio block by block: attached/in-process orders/s of the two blocks of each pipelined round
   * (run back to back), % — its median and range. Less moved by the machine's load drifting between
   * blocks than the overall ratio.
   */
  pipelinedRoundRatiosPct?: { median: number; min: number; max: number; rounds: number };
  /**
   * CPU time per pipelined order, µs, whole run: this process (the library, or the in-process session;
   * getrusage) and the engine (when its pid was given and /proc is readable: Linux, --allow-all). Unlike
   * the throughput, barely moved by other work on the machine: the cost of each path, not its speed.
   */
  cpuPerOrderUs?: { attached: { library: number; engine?: number }; inProcess?: number };
}

/** Options of a run. */
export interface EngineBenchOptions {
  /** The engine's socket. */
  socket: string;
  /** Session to claim (default: the first logged-on one without a holder). */
  session?: string;
  secret?: string;
  /** In-process comparison: an acceptor that takes any SenderCompID (simulate-lp --target-comp-id '*'). */
  target?: { host: string; port: number; targetCompId: string };
  /** Store of the in-process session (default memory; bench/engine_ipc.ts gives it a journal like the engine's). */
  inProcessStore?: MessageStore;
  /** Measured ping-pong orders per path (default 2000), after `warmup` (default 300). */
  orders?: number;
  warmup?: number;
  /** Orders of the pipelined run (default 5000), in `pipelinedRounds` alternating blocks per path (default 3). */
  pipelined?: number;
  pipelinedRounds?: number;
  /** Ping-pong blocks per path, interleaved (default 10). */
  rounds?: number;
  /**
   * Dictionary the in-process session validates inbound messages with, as the engine does (default: the
   * built-in FIX 4.4 one, `fixg run`'s default; "none" for none).
   */
  inProcessDictionary?: Dictionary | "none";
  /** The engine's process id (bench/engine_ipc.ts starts it): its CPU time per pipelined order is reported. */
  enginePid?: number;
  log?: (line: string) => void;
}

/**
 * CPU time of a process, µs: this one's from getrusage (`process.cpuUsage`, every thread), another's from
 * Linux's /proc/PID/task/TID/schedstat (Deno lets only --allow-all read /proc); undefined when unreadable.
 */
export function processCpuUs(pid: number | "self"): number | undefined {
  if (pid === "self") {
    const u = process.cpuUsage();
    return u.user + u.system;
  }
  try {
    let t = 0;
    for (const e of Deno.readDirSync(`/proc/${pid}/task`)) {
      try {
        t += Number(Deno.readTextFileSync(`/proc/${pid}/task/${e.name}/schedstat`).split(" ")[0]) / 1000;
      } catch {
        // A thread that ended meanwhile.
      }
    }
    return t;
  } catch {
    return undefined;
  }
}

export function summarize(samplesUs: number[]): LatencySummary {
  const s = [...samplesUs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? 0;
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    count: s.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    p999: round(at(0.999)),
    max: round(s[s.length - 1] ?? 0),
    mean: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  };
}

/** Waits for acks by ClOrdID; fed from onMessage. */
class Acks {
  #waiting = new Map<string, () => void>();
  onMessage(view: MessageView): void {
    if (view.msgType !== "8" || view.getString(150) !== "0") return;
    const id = view.getString(11);
    if (id === undefined) return;
    const w = this.#waiting.get(id);
    if (w !== undefined) {
      this.#waiting.delete(id);
      w();
    }
  }
  wait(id: string): Promise<void> {
    return new Promise((r) => this.#waiting.set(id, r));
  }
}

function order(id: string) {
  return {
    msgType: "D",
    fields: [[11, id], [55, "EUR/USD"], [54, "1"], [38, 100], [40, "2"], [44, "1.05"], [
      60,
      "20260101-00:00:00",
    ]] as Array<readonly [number, string | number]>,
  };
}

async function sendWhenWritable(h: SessionHandle, id: string): Promise<void> {
  while (h.send(order(id)).kind === "back-pressure") await h.whenWritable();
}

/** `n` ping-pong orders (one in flight) through any SessionHandle; latencies of the last `n - skip`, µs. */
async function pingPong(
  h: SessionHandle,
  acks: Acks,
  prefix: string,
  n: number,
  skip = 0,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${i}`;
    const acked = acks.wait(id);
    const t0 = performance.now();
    await sendWhenWritable(h, id);
    await acked;
    if (i >= skip) samples.push((performance.now() - t0) * 1000);
  }
  return samples;
}

/** `n` orders sent as fast as the handle takes them; ms until every one is acknowledged. */
async function pipelined(h: SessionHandle, acks: Acks, prefix: string, n: number): Promise<number> {
  const all: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-p${i}`;
    all.push(acks.wait(id));
    await sendWhenWritable(h, id);
  }
  await Promise.all(all);
  return performance.now() - t0;
}

/** A Deno echo child on a Unix socket: `roundTrips(n)` times n round trips of `size` bytes, µs each. */
export class UnixEcho {
  readonly #msg: Uint8Array;
  readonly #buf: Uint8Array;
  private constructor(
    readonly child: Deno.ChildProcess,
    readonly conn: Deno.UnixConn,
    readonly dir: string,
    size: number,
  ) {
    this.#msg = new Uint8Array(size).fill(0x41);
    this.#buf = new Uint8Array(size);
  }

  static async start(size = 200): Promise<UnixEcho> {
    const dir = await Deno.makeTempDir({ prefix: "fixg-uds-" });
    const path = `${dir}/echo.sock`;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-net",
        new URL("./uds_echo_server.ts", import.meta.url).pathname,
        path,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // {"event":"listening"}
    reader.releaseLock();
    return new UnixEcho(child, await Deno.connect({ transport: "unix", path }), dir, size);
  }

  async roundTrips(n: number): Promise<number[]> {
    const size = this.#msg.length;
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      let off = 0;
      while (off < size) off += await this.conn.write(this.#msg.subarray(off));
      let got = 0;
      while (got < size) {
        const r = await this.conn.read(this.#buf.subarray(got));
        if (r === null) throw new Error("echo closed");
        got += r;
      }
      samples.push((performance.now() - t0) * 1000);
    }
    return samples;
  }

  async close(): Promise<void> {
    this.conn.close();
    await this.child.status;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** Round trips of `size` bytes over a Unix socket to an echo in another Deno process. */
export async function rawUnixPingPong(n: number, size = 200): Promise<PathResult> {
  const echo = await UnixEcho.start(size);
  try {
    await echo.roundTrips(Math.min(300, n));
    const latency = summarize(await echo.roundTrips(n));
    return { path: "raw-unix-ping-pong", latency, throughputPerSec: 1e6 / Math.max(latency.mean, 0.001) };
  } finally {
    await echo.close();
  }
}

interface Path {
  result: PathResult["path"];
  /** One measured block: ping-pong samples, µs. */
  block(n: number, round: number): Promise<number[]>;
  /** One pipelined block (order paths only): ms for n orders. */
  burst?(n: number, round: number): Promise<number>;
  samples: number[];
  burstMs: number;
  burstOrders: number;
  /** Orders/s of each pipelined block, by round. */
  burstRates: number[];
  /** CPU µs of this process and of the engine during this path's pipelined blocks. */
  cpuSelfUs: number;
  cpuEngineUs: number;
}

/**
 * `fixg simulate-lp` flags of the counterparty of an engine run: the simulator LP on 127.0.0.1:`port`,
 * accepting `client` ("*": any), its store `store` ("memory" or a journal directory).
 */
export function simulatorArgs(port: number, store: string, client = "*"): string[] {
  return [
    "simulate-lp",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--sender-comp-id",
    "LP",
    "--target-comp-id",
    client,
    "--store",
    store,
  ];
}

/**
 * `fixg run` flags of an engine: the initiator CLIENT -> LP on 127.0.0.1:`port`, journal `store`, serving
 * the engine socket `socket` (the attached library's side), then `extra`.
 */
export function engineRunArgs(port: number, store: string, socket: string, extra: string[] = []): string[] {
  return [
    "run",
    "--initiator",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--sender-comp-id",
    "CLIENT",
    "--target-comp-id",
    "LP",
    "--store",
    store,
    "--engine-socket",
    socket,
    ...extra,
  ];
}

/** A path to measure, its tallies at zero. */
function newPath(
  result: Path["result"],
  block: Path["block"],
  burst?: NonNullable<Path["burst"]>,
): Path {
  return {
    result,
    block,
    ...(burst !== undefined ? { burst } : {}),
    samples: [],
    burstMs: 0,
    burstOrders: 0,
    burstRates: [],
    cpuSelfUs: 0,
    cpuEngineUs: 0,
  };
}

/**
 * Runs the paths and returns the report. The paths are interleaved: after a warm-up of each, `rounds`
 * blocks of ping-pong orders per path (the order of the paths rotating each round), then three pipelined
 * blocks per order path, alternating: a machine whose load drifts during the run shifts every path alike.
 */
export async function runEngineBench(options: EngineBenchOptions): Promise<EngineBenchReport> {
  const o = {
    orders: options.orders ?? 2000,
    warmup: options.warmup ?? 300,
    pipelined: options.pipelined ?? 5000,
    pipelinedRounds: Math.max(1, options.pipelinedRounds ?? 3),
    rounds: Math.max(1, options.rounds ?? 10),
  };
  const log = options.log ?? (() => {});
  const enginePid = options.enginePid;
  const tag = Date.now().toString(36);
  const paths: Path[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  try {
    // Attached: this process is the library; the engine is the process behind the socket.
    const lib = await connectEngine({
      socket: options.socket,
      name: "fixg-bench",
      reconnect: false,
      ...(options.secret !== undefined ? { secret: options.secret } : {}),
    });
    cleanups.push(() => lib.close());
    const list = await lib.sessions();
    const key = options.session ?? list.find((s) => s.loggedOn && s.claimedBy === "")?.key;
    const info = list.find((s) => s.key === key || s.name === key);
    if (info === undefined) {
      throw new FixgError(
        "BENCH_ENGINE",
        options.session === undefined
          ? `the engine has no logged-on session free to claim (${
            list.map((s) => s.key).join(", ") || "none"
          })`
          : `no session "${options.session}" in the engine`,
        { exitCode: 2 },
      );
    }
    const attachedAcks = new Acks();
    const session = await lib.claim(info.key, { onMessage: (v) => attachedAcks.onMessage(v) });
    cleanups.unshift(() => lib.release(info.key));
    if (!session.loggedOn) {
      throw new FixgError("BENCH_ENGINE", `${info.key} is not logged on`, { exitCode: 1 });
    }
    paths.push(newPath(
      "attached-library",
      (n, r) => pingPong(session, attachedAcks, `a${tag}-${r}`, n),
      (n, r) => pipelined(session, attachedAcks, `a${tag}-b${r}`, n),
    ));

    if (options.target !== undefined) {
      const acks = new Acks();
      let handle: SessionHandle | undefined;
      const dictionary = options.inProcessDictionary ?? builtinDictionary("FIX.4.4");
      const gw = await startInitiator({
        host: options.target.host,
        port: options.target.port,
        senderCompId: `INPROC${tag.slice(-4).toUpperCase()}`,
        targetCompId: options.target.targetCompId,
        resetOnLogon: true,
        logger: new Logger({ level: "error" }),
        ...(dictionary !== "none" ? { dictionary } : {}),
        ...(options.inProcessStore !== undefined ? { store: options.inProcessStore } : {}),
      }, {
        onLogon: (s) => handle = s,
        onMessage: (v) => acks.onMessage(v),
      });
      cleanups.unshift(() => gw.stop());
      const end = Date.now() + 10_000;
      while (handle === undefined || !handle.loggedOn) {
        if (Date.now() > end) {
          throw new FixgError("BENCH_ENGINE", "in-process session did not log on", { exitCode: 1 });
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      const h = handle;
      paths.push(newPath(
        "in-process",
        (n, r) => pingPong(h, acks, `i${tag}-${r}`, n),
        (n, r) => pipelined(h, acks, `i${tag}-b${r}`, n),
      ));
    }

    const echo = await UnixEcho.start();
    cleanups.unshift(() => echo.close());
    paths.push(newPath("raw-unix-ping-pong", (n) => echo.roundTrips(n)));

    log(
      `${
        paths.map((p) => p.result).join(", ")
      }: ${o.warmup} warm-up each, then ${o.rounds} interleaved rounds ` +
        `of ${
          Math.ceil(o.orders / o.rounds)
        } ping-pong orders per path, then ${o.pipelinedRounds} alternating pipelined blocks ` +
        `of ${Math.ceil(o.pipelined / o.pipelinedRounds)} orders per order path`,
    );
    for (const p of paths) await p.block(o.warmup, -1);
    for (let r = 0; r < o.rounds; r++) {
      const n = Math.ceil(o.orders / o.rounds);
      for (let k = 0; k < paths.length; k++) {
        const p = paths[(k + r) % paths.length]!;
        p.samples.push(...await p.block(n, r));
      }
    }
    const bursts = paths.filter((p) => p.burst !== undefined);
    for (let r = 0; r < o.pipelinedRounds; r++) {
      const n = Math.ceil(o.pipelined / o.pipelinedRounds);
      for (let k = 0; k < bursts.length; k++) {
        const p = bursts[(k + r) % bursts.length]!;
        const self0 = processCpuUs("self"), engine0 = enginePid && processCpuUs(enginePid);
        const ms = await p.burst!(n, r);
        const self1 = processCpuUs("self"), engine1 = enginePid && processCpuUs(enginePid);
        if (self0 !== undefined && self1 !== undefined) p.cpuSelfUs += self1 - self0;
        if (engine0 && engine1) p.cpuEngineUs += engine1 - engine0;
        p.burstMs += ms;
        p.burstOrders += n;
        p.burstRates.push(n / (ms / 1000));
      }
    }
  } finally {
    for (const c of cleanups) await c().catch(() => {});
  }

  const results: PathResult[] = paths.map((p) => {
    const latency = summarize(p.samples);
    return {
      path: p.result,
      latency,
      throughputPerSec: p.burst !== undefined
        ? p.burstOrders / (p.burstMs / 1000)
        : 1e6 / Math.max(latency.mean, 0.001),
    };
  });
  const report: EngineBenchReport = { orders: o.orders, pipelined: o.pipelined, results };
  const by = (p: PathResult["path"]) => results.find((r) => r.path === p);
  const att = by("attached-library"), inp = by("in-process"), raw = by("raw-unix-ping-pong");
  if (att && inp && raw) {
    report.engineAddedP50Us = Math.round((att.latency.p50 - inp.latency.p50 - raw.latency.p50) * 10) / 10;
  }
  if (att && inp) {
    report.pipelinedRatioPct = Math.round((att.throughputPerSec / inp.throughputPerSec) * 1000) / 10;
    const a = paths.find((p) => p.result === "attached-library")!.burstRates;
    const i = paths.find((p) => p.result === "in-process")!.burstRates;
    const ratios = a.map((v, k) => Math.round(v / i[k]! * 1000) / 10).sort((x, y) => x - y);
    const round = (v: number) => Math.round(v * 10) / 10;
    const pa = paths.find((p) => p.result === "attached-library")!;
    const pi = paths.find((p) => p.result === "in-process")!;
    if (pa.cpuSelfUs > 0 && pi.cpuSelfUs > 0) {
      report.cpuPerOrderUs = {
        attached: {
          library: round(pa.cpuSelfUs / pa.burstOrders),
          ...(pa.cpuEngineUs > 0 ? { engine: round(pa.cpuEngineUs / pa.burstOrders) } : {}),
        },
        inProcess: round(pi.cpuSelfUs / pi.burstOrders),
      };
    }
    if (ratios.length > 0) {
      report.pipelinedRoundRatiosPct = {
        median: ratios[(ratios.length - 1) >> 1]!,
        min: ratios[0]!,
        max: ratios[ratios.length - 1]!,
        rounds: ratios.length,
      };
    }
  }
  return report;
}

/** The report as a table. */
export function renderEngineBench(r: EngineBenchReport): string {
  const rows = [["path", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "pipelined /s"]];
  for (const x of r.results) {
    rows.push([
      x.path,
      ...[x.latency.p50, x.latency.p90, x.latency.p99, x.latency.p999, x.latency.max].map((v) =>
        v.toFixed(1)
      ),
      x.path === "raw-unix-ping-pong"
        ? `${Math.round(x.throughputPerSec)} (1 in flight)`
        : String(Math.round(x.throughputPerSec)),
    ]);
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row.map((c, i) => i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!)).join("  ")
  );
  if (r.engineAddedP50Us !== undefined) {
    lines.push(`engine adds ${r.engineAddedP50Us} µs p50 (attached − in-process − raw IPC round trip)`);
  }
  if (r.pipelinedRatioPct !== undefined) {
    const c = r.cpuPerOrderUs;
    if (c !== undefined) {
      const sum = c.attached.library + (c.attached.engine ?? 0);
      lines.push(
        `CPU per pipelined order: attached ${
          c.attached.engine !== undefined ? `engine ${c.attached.engine} + ` : ""
        }library ${c.attached.library}${
          c.attached.engine !== undefined ? ` = ${Math.round(sum * 10) / 10}` : ""
        } µs` +
          (c.inProcess !== undefined ? `, in-process ${c.inProcess} µs` : ""),
      );
    }
    const q = r.pipelinedRoundRatiosPct;
    lines.push(
      `pipelined through the library: ${r.pipelinedRatioPct}% of in-process` +
        (q !== undefined && q.rounds > 1
          ? ` (round by round: median ${q.median}%, ${q.min}–${q.max}% over ${q.rounds} rounds)`
          : ""),
    );
  }
  return lines.join("\n");
}
