/**
 * Real-time scheduling of the JS main thread (sched_setscheduler). Optional and risky: a SCHED_FIFO thread
 * that spins (busy-poll) starves everything else on its CPU except for the kernel's RT throttling share
 * (sched_rt_runtime_us, 95% by default), so use it only with a dedicated CPU.
 */
import { ConfigError } from "../errors.ts";
import { describeErrno, lastErrno, openLibc } from "./libc.ts";
import type { EffectReport } from "./types.ts";

/** Scheduling policies fixg can set. */
export type SchedulerPolicy = "other" | "fifo" | "rr";

const POLICY_NUMBERS: Readonly<Record<SchedulerPolicy, number>> = { other: 0, fifo: 1, rr: 2 };
const POLICY_NAMES: Readonly<Record<number, string>> = {
  0: "other",
  1: "fifo",
  2: "rr",
  3: "batch",
  5: "idle",
};

/** The calling thread's policy and priority, e.g. "fifo:10", or undefined without FFI. */
export function readScheduler(): string | undefined {
  const r = openLibc();
  if (!r.ok) return undefined;
  const policy = r.libc.sched_getscheduler(0);
  if (policy < 0) return undefined;
  const param = new Int32Array(1);
  if (r.libc.sched_getparam(0, new Uint8Array(param.buffer)) !== 0) return undefined;
  return `${POLICY_NAMES[policy] ?? `policy${policy}`}:${param[0]}`;
}

/**
 * Sets the calling (JS main) thread's scheduling policy; priority 1..99 for fifo/rr, 0 for other.
 * Needs root or CAP_SYS_NICE (or an RLIMIT_RTPRIO allowance); refused otherwise, with the reason.
 */
export function setScheduler(policy: SchedulerPolicy, priority = policy === "other" ? 0 : 1): EffectReport {
  const min = policy === "other" ? 0 : 1;
  const max = policy === "other" ? 0 : 99;
  if (!Number.isInteger(priority) || priority < min || priority > max) {
    throw new ConfigError(`Scheduler priority for ${policy} must be ${min}..${max}, got ${priority}`);
  }
  const knob = "scheduler";
  const requested = `${policy}:${priority}`;
  const r = openLibc();
  if (!r.ok) return { knob, requested, effective: null, ok: false, warning: `not applied: ${r.reason}` };
  const param = new Int32Array([priority]);
  const rc = r.libc.sched_setscheduler(0, POLICY_NUMBERS[policy], new Uint8Array(param.buffer));
  const error = rc === 0 ? undefined : describeErrno(r.libc, lastErrno(r.libc));
  const effective = readScheduler() ?? null;
  const report: EffectReport = { knob, requested, effective, ok: effective === requested };
  if (error !== undefined) {
    report.warning = `sched_setscheduler refused: ${error} (needs root, CAP_SYS_NICE or RLIMIT_RTPRIO)`;
  } else if (policy !== "other") {
    report.warning = "real-time policy: a spinning thread can starve its CPU; keep a CPU for the rest";
  }
  return report;
}
