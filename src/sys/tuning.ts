/** Process-wide tuning in one call, for `fixg run` and `fixg bench`: each knob reports what took effect. */
import { setAffinity } from "./affinity.ts";
import { type LockableBuffer, lockBuffer, mlockallRefusal } from "./memory_lock.ts";
import { type SchedulerPolicy, setScheduler } from "./scheduler.ts";
import type { EffectReport } from "./types.ts";

/** Process tuning options, as in a config file's `tuning:` section. */
export interface ProcessTuning {
  /** CPUs to pin to. */
  cpus?: readonly number[];
  /** Pin every thread, not only the JS main thread. */
  allThreads?: boolean;
  /** Buffers to lock in RAM, by label (journal segment, read/write buffers). */
  lockBuffers?: ReadonlyArray<{ label: string; buffer: LockableBuffer }>;
  /** A request for mlockall: answered with the refusal report (V8 aborts under it) and the buffers locked. */
  mlockall?: boolean;
  /** Real-time scheduling of the main thread. */
  scheduler?: { policy: SchedulerPolicy; priority?: number };
}

/** Applies every given process knob in a safe order (affinity, locks, scheduler) and reports each. */
export function applyProcessTuning(tuning: ProcessTuning): EffectReport[] {
  const reports: EffectReport[] = [];
  if (tuning.cpus !== undefined) {
    reports.push(setAffinity(tuning.cpus, tuning.allThreads === true ? { allThreads: true } : {}));
  }
  const locked: string[] = [];
  for (const { label, buffer } of tuning.lockBuffers ?? []) {
    const report = lockBuffer(buffer, label);
    if (report.ok) locked.push(label);
    reports.push(report);
  }
  if (tuning.mlockall === true) reports.push(mlockallRefusal(locked));
  if (tuning.scheduler !== undefined) {
    reports.push(
      tuning.scheduler.priority === undefined
        ? setScheduler(tuning.scheduler.policy)
        : setScheduler(tuning.scheduler.policy, tuning.scheduler.priority),
    );
  }
  return reports;
}
