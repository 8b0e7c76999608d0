/**
 * `fixg simulate-lp` as a child process of `fixg bench`: started through the fixg launcher next to this
 * checkout (under `taskset -c LIST` when CPUs are requested and taskset exists, else pinned with
 * sched_setaffinity after start), ready when it prints its JSON "listening" line, and always stopped:
 * SIGTERM, then SIGKILL after a grace period. `kill()` is the crash of a counterparty (SIGKILL, no logout).
 */
import { EnvironmentError } from "../errors.ts";
import { parseBenchJson } from "../report/json.ts";
import type { BenchReport } from "../report/types.ts";
import { describeErrno, lastErrno, openLibc } from "../sys/libc.ts";
import { listProcDir, readProcText, statusField } from "../sys/procfs.ts";
import { parseCpuList } from "../sys/affinity.ts";
import { type EffectReport, formatCpuList } from "../sys/types.ts";

/** The fixg launcher of this checkout (the `fixg` script at the repository root). */
export const FIXG_LAUNCHER: string = new URL("../../fixg", import.meta.url).pathname;

/** Options of the simulator child. */
export interface SimulatorChildOptions {
  /** Port to listen on; 0 lets the simulator pick a free one. */
  port: number;
  host?: string;
  /** The simulator's CompID (our TargetCompID). */
  senderCompId: string;
  beginString?: string;
  /** `memory` or a journal directory (a directory survives a restart: sequence numbers persist). */
  store?: string;
  /** CPUs to pin the child to. */
  cpus?: readonly number[];
  /** More simulate-lp flags (behaviours, --seed...). */
  extraArgs?: readonly string[];
  /** How long to wait for the "listening" line; default 30 s (a cold start loads npm modules). */
  readyTimeoutMs?: number;
}

/** How the child was pinned. */
export type PinMethod = "taskset" | "sched_setaffinity" | "none";

const available = new Map<string, boolean>();

/** True when a util-linux tool (`taskset`, `setsid`) can be run; asked once per process. */
export function toolAvailable(name: "taskset" | "setsid"): boolean {
  let ok = available.get(name);
  if (ok === undefined) {
    try {
      ok =
        new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync().success;
    } catch {
      ok = false;
    }
    available.set(name, ok);
  }
  return ok;
}

/** CPUs a process may run on (Cpus_allowed_list of /proc/PID/status), or [] when unreadable. */
export function processCpus(pid: number): number[] {
  const status = readProcText(`/proc/${pid}/status`);
  const list = status === undefined ? undefined : statusField(status, "Cpus_allowed_list");
  if (list === undefined || list === "") return [];
  try {
    return parseCpuList(list);
  } catch {
    return [];
  }
}

/** Pins every thread of another process with sched_setaffinity (taskset's job when taskset is missing). */
export function pinProcess(pid: number, cpus: readonly number[]): EffectReport {
  const knob = "simulator cpu-affinity";
  const r = openLibc();
  if (!r.ok) {
    return {
      knob,
      requested: [...cpus],
      effective: processCpus(pid),
      ok: false,
      warning: `not pinned: ${r.reason}`,
    };
  }
  const mask = new Uint8Array(128);
  for (const c of cpus) mask[c >> 3]! |= 1 << (c & 7);
  const tids = listProcDir(`/proc/${pid}/task`)?.map(Number).filter((t) => t > 0) ?? [pid];
  const failed: string[] = [];
  for (const tid of tids) {
    if (r.libc.sched_setaffinity(tid, 128n, mask) !== 0) {
      failed.push(`${tid}: ${describeErrno(r.libc, lastErrno(r.libc))}`);
    }
  }
  const effective = processCpus(pid);
  const ok = failed.length === 0 && formatCpuList(effective) === formatCpuList(cpus);
  const report: EffectReport = { knob, requested: [...cpus], effective, ok };
  if (failed.length > 0) report.warning = `sched_setaffinity refused for ${failed.join("; ")}`;
  return report;
}

async function collectText(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) sink(chunk);
  } catch {
    // The child died mid-write: what arrived is kept.
  }
}

/** Children still running, so a forced exit (a second Ctrl-C) can kill them synchronously. */
const LIVE = new Set<Deno.ChildProcess>();

/** A running `fixg simulate-lp` child. */
export class SimulatorChild {
  /** SIGKILLs every child still running (for a forced exit; normal paths use `stop()`). */
  static killAll(): void {
    for (const c of LIVE) {
      try {
        c.kill("SIGKILL");
      } catch {
        // exited already
      }
    }
    LIVE.clear();
  }

  readonly pid: number;
  readonly port: number;
  /** How it was pinned and what took effect. */
  readonly pin: { method: PinMethod; report: EffectReport | undefined };
  /** The "listening" line. */
  readonly ready: Record<string, unknown>;
  readonly #child: Deno.ChildProcess;
  readonly #out: { text: string };
  readonly #err: { text: string };
  readonly #done: Promise<void>;
  #exited = false;
  readonly #status: Promise<Deno.CommandStatus>;

  private constructor(
    child: Deno.ChildProcess,
    port: number,
    ready: Record<string, unknown>,
    pin: { method: PinMethod; report: EffectReport | undefined },
    io: { out: { text: string }; err: { text: string }; done: Promise<void> },
  ) {
    this.#child = child;
    this.pid = child.pid;
    this.port = port;
    this.ready = ready;
    this.pin = pin;
    this.#out = io.out;
    this.#err = io.err;
    this.#done = io.done;
    this.#status = child.status;
    this.#status.then(() => {
      this.#exited = true;
      LIVE.delete(child);
    });
  }

  /** Starts the simulator and waits for its "listening" line; a failure to start is an EnvironmentError. */
  static async start(o: SimulatorChildOptions): Promise<SimulatorChild> {
    const simArgs = [
      "simulate-lp",
      "--port",
      String(o.port),
      "--host",
      o.host ?? "127.0.0.1",
      "--sender-comp-id",
      o.senderCompId,
      "--target-comp-id",
      "*",
      "--begin-string",
      o.beginString ?? "FIX.4.4",
      "--store",
      o.store ?? "memory",
      "--stats-interval",
      "0",
      "--json",
      ...(o.extraArgs ?? []),
    ];
    const useTaskset = o.cpus !== undefined && o.cpus.length > 0 && toolAvailable("taskset");
    // Its own session (setsid): a Ctrl-C in the terminal reaches only the bench, which then drains, reports
    // and stops the simulator itself, instead of the simulator vanishing under the orders in flight.
    const argv = [
      ...(toolAvailable("setsid") ? ["setsid"] : []),
      ...(useTaskset ? ["taskset", "-c", formatCpuList(o.cpus!)] : []),
      FIXG_LAUNCHER,
      ...simArgs,
    ];
    const cmd = argv[0]!;
    const args = argv.slice(1);
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
    } catch (e) {
      throw new EnvironmentError(
        `Cannot start the simulator (${cmd}): ${e instanceof Error ? e.message : e}`,
        { exitCode: 1 },
      );
    }
    LIVE.add(child);
    child.status.then(() => LIVE.delete(child));
    const out = { text: "" };
    const err = { text: "" };
    const done = Promise.all([
      collectText(child.stdout, (t) => (out.text += t)),
      collectText(child.stderr, (t) => {
        // Keep the tail only: the simulator logs at INFO and a long run must not grow this without bound.
        err.text = (err.text + t).slice(-8192);
      }),
    ]).then(() => {});
    let exited = false;
    child.status.then(() => (exited = true));
    const ready = await waitForListening(out, () => exited, Date.now() + (o.readyTimeoutMs ?? 30_000));
    if (ready === undefined) {
      try {
        child.kill("SIGKILL");
      } catch {
        // exited already
      }
      await child.status;
      await done;
      const why = (err.text.trim() || out.text.trim()).split("\n").slice(-3).join(" | ");
      throw new EnvironmentError(
        `The simulator (${FIXG_LAUNCHER} simulate-lp) did not start listening${
          exited ? " (it exited)" : " within the timeout"
        }${why ? `: ${why}` : ""}`,
        { exitCode: 1 },
      );
    }
    let pin: { method: PinMethod; report: EffectReport | undefined } = { method: "none", report: undefined };
    if (o.cpus !== undefined && o.cpus.length > 0) {
      if (useTaskset) {
        const effective = processCpus(child.pid);
        pin = {
          method: "taskset",
          report: {
            knob: "simulator cpu-affinity",
            requested: [...o.cpus],
            effective,
            ok: formatCpuList(effective) === formatCpuList(o.cpus),
            warning: "taskset -c before start (every thread)",
          },
        };
      } else {
        pin = { method: "sched_setaffinity", report: pinProcess(child.pid, o.cpus) };
      }
    }
    return new SimulatorChild(child, Number(ready.port), ready, pin, { out, err, done });
  }

  /** True once the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** CPUs the child may run on now. */
  cpus(): number[] {
    return processCpus(this.pid);
  }

  /** The last lines the child wrote on stderr (for error messages). */
  stderrTail(): string {
    return this.#err.text;
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // exited already
    }
  }

  /** SIGTERM, wait up to `graceMs` (then SIGKILL); returns the simulator's "stopped" counters when printed. */
  async stop(graceMs = 5000): Promise<Record<string, unknown> | undefined> {
    if (!this.#exited) this.#signal("SIGTERM");
    const timer = setTimeout(() => this.#signal("SIGKILL"), graceMs);
    await this.#status;
    clearTimeout(timer);
    await this.#done;
    const line = this.#out.text.split("\n").find((l) => l.includes('"event":"stopped"'));
    if (line === undefined) return undefined;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** SIGKILL (a crash: no Logout, the socket is reset) and wait for the exit. */
  async kill(): Promise<void> {
    this.#signal("SIGKILL");
    await this.#status;
    await this.#done;
  }
}

/**
 * Runs `fixg bench ARGS --json TMP --no-progress` as a process (under `taskset -c CPUS` when given) and returns
 * its report; a failed run throws with the last lines of its output. Used by the benchmark scripts.
 */
export async function runFixgBenchProcess(args: readonly string[], cpus?: string): Promise<BenchReport> {
  const file = await Deno.makeTempFile({ prefix: "fixg-bench-", suffix: ".json" });
  try {
    const argv = [
      ...(cpus === undefined ? [] : ["taskset", "-c", cpus]),
      FIXG_LAUNCHER,
      "bench",
      ...args,
      "--json",
      file,
      "--no-progress",
    ];
    const out = await new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    if (out.code !== 0) {
      throw new Error(
        `fixg bench ${args.join(" ")} exited ${out.code}: ${text.trim().split("\n").slice(-6).join(" | ")}`,
      );
    }
    return parseBenchJson(await Deno.readTextFile(file), file);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/**
 * Waits (polling every 10 ms) for the `{"event":"listening",...}` line a child (the simulator, a bench
 * peer) prints on stdout, collected into `out.text`: its JSON, or undefined once the child has exited or
 * `deadlineMs` (epoch) has passed.
 */
export async function waitForListening(
  out: { text: string },
  exited: () => boolean,
  deadlineMs: number,
): Promise<Record<string, unknown> | undefined> {
  for (;;) {
    const line = out.text.split("\n").find((l) => l.includes('"event":"listening"'));
    if (line !== undefined) return JSON.parse(line) as Record<string, unknown>;
    if (exited() || Date.now() > deadlineMs) return undefined;
    await new Promise((r) => setTimeout(r, 10));
  }
}
