/**
 * `fixg bench --engine PATH` and bench/engine_ipc.ts: order->ack latency and pipelined throughput
 * through a library attached to a running engine over its Unix socket, beside the same load sent
 * in-process (a gateway session in this process) and a raw Unix-socket ping-pong between two Deno
 * processes (the IPC floor), all in the same run.
 *
 * Order->ack: a NewOrderSingle sent, until its first ExecutionReport (ExecType 0) is handed to
 * onMessage. The engine's cost is what the attached path adds beyond in-process and the raw IPC hop.
 */
import type { MessageView } from "../codec/mod.ts";
import type { Application, SessionHandle } from "../engine/application.ts";
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
  /** Orders of the pipelined run (default 5000). */
  pipelined?: number;
  /** Raw round trips (default: orders). */
  rawRoundTrips?: number;
  log?: (line: string) => void;
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
  while (h.send(order(id)) === "back-pressure") await h.whenWritable();
}

/** Ping-pong (one order in flight) then pipelined, through any SessionHandle. */
async function drive(
  h: SessionHandle,
  acks: Acks,
  prefix: string,
  o: Required<Pick<EngineBenchOptions, "orders" | "warmup" | "pipelined">>,
): Promise<{ samples: number[]; perSec: number }> {
  const samples: number[] = [];
  for (let i = 0; i < o.warmup + o.orders; i++) {
    const id = `${prefix}-${i}`;
    const acked = acks.wait(id);
    const t0 = performance.now();
    await sendWhenWritable(h, id);
    await acked;
    if (i >= o.warmup) samples.push((performance.now() - t0) * 1000);
  }
  const all: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < o.pipelined; i++) {
    const id = `${prefix}-p${i}`;
    all.push(acks.wait(id));
    await sendWhenWritable(h, id);
  }
  await Promise.all(all);
  return { samples, perSec: o.pipelined / ((performance.now() - t0) / 1000) };
}

/** Round trips of `size` bytes over a Unix socket to an echo in another Deno process. */
export async function rawUnixPingPong(n: number, size = 200): Promise<PathResult> {
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
  const conn = await Deno.connect({ transport: "unix", path });
  const msg = new Uint8Array(size).fill(0x41);
  const buf = new Uint8Array(size);
  const samples: number[] = [];
  const warm = Math.min(300, n);
  for (let i = 0; i < warm + n; i++) {
    const t0 = performance.now();
    let off = 0;
    while (off < size) off += await conn.write(msg.subarray(off));
    let got = 0;
    while (got < size) {
      const r = await conn.read(buf.subarray(got));
      if (r === null) throw new Error("echo closed");
      got += r;
    }
    if (i >= warm) samples.push((performance.now() - t0) * 1000);
  }
  conn.close();
  await child.status;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const latency = summarize(samples);
  return { path: "raw-unix-ping-pong", latency, throughputPerSec: 1e6 / Math.max(latency.mean, 0.001) };
}

/** Runs the paths and returns the report. */
export async function runEngineBench(options: EngineBenchOptions): Promise<EngineBenchReport> {
  const o = {
    orders: options.orders ?? 2000,
    warmup: options.warmup ?? 300,
    pipelined: options.pipelined ?? 5000,
  };
  const log = options.log ?? (() => {});
  const results: PathResult[] = [];
  const tag = Date.now().toString(36);

  // Attached: this process is the library; the engine is the process behind the socket.
  log(`attached library: ${o.warmup} warm-up + ${o.orders} ping-pong orders, ${o.pipelined} pipelined`);
  const lib = await connectEngine({
    socket: options.socket,
    name: "fixg-bench",
    reconnect: false,
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
  });
  try {
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
    const acks = new Acks();
    const app: Application = { onMessage: (v) => acks.onMessage(v) };
    const session = await lib.claim(info.key, app);
    if (!session.loggedOn) {
      throw new FixgError("BENCH_ENGINE", `${info.key} is not logged on`, { exitCode: 1 });
    }
    const r = await drive(session, acks, `a${tag}`, o);
    results.push({ path: "attached-library", latency: summarize(r.samples), throughputPerSec: r.perSec });
    await lib.release(info.key);
  } finally {
    await lib.close();
  }

  if (options.target !== undefined) {
    log(
      `in-process: the same load from a session in this process to ${options.target.host}:${options.target.port}`,
    );
    const acks = new Acks();
    let handle: SessionHandle | undefined;
    const gw = await startInitiator({
      host: options.target.host,
      port: options.target.port,
      senderCompId: `INPROC${tag.slice(-4).toUpperCase()}`,
      targetCompId: options.target.targetCompId,
      resetOnLogon: true,
      logger: new Logger({ level: "error" }),
      ...(options.inProcessStore !== undefined ? { store: options.inProcessStore } : {}),
    }, {
      onLogon: (s) => handle = s,
      onMessage: (v) => acks.onMessage(v),
    });
    try {
      const end = Date.now() + 10_000;
      while (handle === undefined || !handle.loggedOn) {
        if (Date.now() > end) {
          throw new FixgError("BENCH_ENGINE", "in-process session did not log on", { exitCode: 1 });
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      const r = await drive(handle, acks, `i${tag}`, o);
      results.push({ path: "in-process", latency: summarize(r.samples), throughputPerSec: r.perSec });
    } finally {
      await gw.stop();
    }
  }

  log(
    `raw Unix-socket ping-pong between two Deno processes: ${options.rawRoundTrips ?? o.orders} round trips`,
  );
  results.push(await rawUnixPingPong(options.rawRoundTrips ?? o.orders));

  const report: EngineBenchReport = { orders: o.orders, pipelined: o.pipelined, results };
  const by = (p: PathResult["path"]) => results.find((r) => r.path === p);
  const att = by("attached-library"), inp = by("in-process"), raw = by("raw-unix-ping-pong");
  if (att && inp && raw) {
    report.engineAddedP50Us = Math.round((att.latency.p50 - inp.latency.p50 - raw.latency.p50) * 10) / 10;
  }
  if (att && inp) {
    report.pipelinedRatioPct = Math.round((att.throughputPerSec / inp.throughputPerSec) * 1000) / 10;
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
    lines.push(`pipelined through the library: ${r.pipelinedRatioPct}% of in-process`);
  }
  return lines.join("\n");
}
