/**
 * CPU affinity through sched_setaffinity. Pinning the JS main thread is what matters for latency; pinning
 * every thread (/proc/self/task) also keeps V8's GC helpers and the I/O threads off the other CPUs.
 * Threads created later inherit the mask of the thread that creates them.
 */
import { ConfigError } from "../errors.ts";
import { describeErrno, lastErrno, type Libc, openLibc } from "./libc.ts";
import { listProcDir, readProcText, statusField } from "./procfs.ts";
import { type EffectReport, formatCpuList } from "./types.ts";

/** Bytes of the cpu_set_t passed to the kernel: 1024 CPUs, glibc's CPU_SETSIZE. */
const MASK_BYTES = 128;
const MAX_CPUS = MASK_BYTES * 8;
const ESRCH = 3;

/** Parses a CPU list as Linux prints it ("0", "0-3", "0,2,4-5"); a bad list is a usage error. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  const trimmed = text.trim();
  if (trimmed === "") throw new ConfigError(`Empty CPU list`);
  for (const part of trimmed.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (m === null) throw new ConfigError(`Invalid CPU list "${text}": expected e.g. 0 or 0-3 or 0,2`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to >= MAX_CPUS) throw new ConfigError(`Invalid CPU range "${part.trim()}" in "${text}"`);
    for (let c = from; c <= to; c++) cpus.push(c);
  }
  return [...new Set(cpus)].sort((a, b) => a - b);
}

/** Bit mask for sched_setaffinity. */
function maskOf(cpus: readonly number[]): Uint8Array<ArrayBuffer> {
  const mask = new Uint8Array(MASK_BYTES);
  for (const c of cpus) mask[c >> 3]! |= 1 << (c & 7);
  return mask;
}

/** CPU numbers set in a mask. */
function cpusOf(mask: Uint8Array): number[] {
  const cpus: number[] = [];
  for (let c = 0; c < MAX_CPUS; c++) if ((mask[c >> 3]! & (1 << (c & 7))) !== 0) cpus.push(c);
  return cpus;
}

/** The affinity of thread `tid` (0: the calling thread) as the kernel reports it. */
function getAffinity(libc: Libc, tid: number): number[] | undefined {
  const mask = new Uint8Array(MASK_BYTES);
  return libc.sched_getaffinity(tid, BigInt(MASK_BYTES), mask) === 0 ? cpusOf(mask) : undefined;
}

/**
 * CPUs the calling JS thread may run on: Cpus_allowed_list of /proc/thread-self/status (under `deno test` the JS
 * thread is not the thread-group leader that /proc/self/status describes), else sched_getaffinity; undefined
 * off Linux or without a way to read either.
 */
export function readAllowedCpus(): number[] | undefined {
  const status = readProcText("/proc/thread-self/status") ?? readProcText("/proc/self/status");
  const list = status === undefined ? undefined : statusField(status, "Cpus_allowed_list");
  if (list !== undefined && list !== "") return parseCpuList(list);
  const r = openLibc();
  return r.ok ? getAffinity(r.libc, 0) : undefined;
}

/** CPUs thread `tid` of this process may run on (/proc/self/task/<tid>/status). */
export function readThreadAllowedCpus(tid: number): number[] | undefined {
  const status = readProcText(`/proc/self/task/${tid}/status`);
  const list = status === undefined ? undefined : statusField(status, "Cpus_allowed_list");
  return list === undefined || list === "" ? undefined : parseCpuList(list);
}

/** Thread ids of this process (/proc/self/task), or undefined when /proc cannot be read. */
export function listThreadIds(): number[] | undefined {
  const names = listProcDir("/proc/self/task");
  return names?.map(Number).filter((n) => Number.isInteger(n) && n > 0).sort((a, b) => a - b);
}

/** The CPU the calling (JS main) thread runs on now, via sched_getcpu; undefined without FFI or off Linux. */
export function getCpu(): number | undefined {
  const r = openLibc();
  if (!r.ok) return undefined;
  const cpu = r.libc.sched_getcpu();
  return cpu < 0 ? undefined : cpu;
}

/** Where this process runs, for reports: pid, allowed CPUs, and the CPU of the main thread now. */
export function currentPlacement(): { pid: number; cpus: number[]; cpu: number | undefined } {
  return { pid: Deno.pid, cpus: readAllowedCpus() ?? [], cpu: getCpu() };
}

/** True when both lists hold the same CPUs. */
function sameCpus(a: readonly number[], b: readonly number[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((c) => sa.has(c));
}

/**
 * Pins the JS main thread (or, with allThreads, every thread in /proc/self/task) to `cpus` and reads the mask
 * back. Never throws for an OS refusal: the report says what is in force and why.
 */
export function setAffinity(cpus: readonly number[], options: { allThreads?: boolean } = {}): EffectReport {
  if (cpus.length === 0) throw new ConfigError("CPU affinity needs at least one CPU");
  for (const c of cpus) {
    if (!Number.isInteger(c) || c < 0 || c >= MAX_CPUS) throw new ConfigError(`Invalid CPU number ${c}`);
  }
  const requested = [...new Set(cpus)].sort((a, b) => a - b);
  const knob = options.allThreads === true ? "cpu-affinity-all-threads" : "cpu-affinity";
  const r = openLibc();
  if (!r.ok) {
    return {
      knob,
      requested,
      effective: readAllowedCpus() ?? null,
      ok: false,
      warning: `CPU affinity not applied: ${r.reason}`,
    };
  }
  const libc = r.libc;
  const mask = maskOf(requested);
  const warnings: string[] = [];
  if (libc.sched_setaffinity(0, BigInt(MASK_BYTES), mask) !== 0) {
    warnings.push(`sched_setaffinity refused: ${describeErrno(libc, lastErrno(libc))}`);
  }
  let threadsOk = true;
  if (options.allThreads === true) {
    const tids = listThreadIds();
    if (tids === undefined) {
      threadsOk = false;
      warnings.push("cannot list /proc/self/task: only the main thread was pinned");
    } else {
      const failed: string[] = [];
      for (const tid of tids) {
        if (libc.sched_setaffinity(tid, BigInt(MASK_BYTES), mask) === 0) continue;
        const errno = lastErrno(libc);
        if (errno === ESRCH) continue; // the thread exited while we iterated
        failed.push(`${tid}: ${describeErrno(libc, errno)}`);
      }
      if (failed.length > 0) {
        threadsOk = false;
        warnings.push(`${failed.length} of ${tids.length} threads not pinned (${failed.join("; ")})`);
      }
    }
  }
  const effective = getAffinity(libc, 0) ?? null;
  const ok = effective !== null && sameCpus(effective, requested) && threadsOk && warnings.length === 0;
  if (warnings.length === 0 && effective !== null && !sameCpus(effective, requested)) {
    warnings.push(
      `kernel narrowed the mask to ${formatCpuList(effective)}: CPUs ${
        formatCpuList(requested.filter((c) => !effective.includes(c)))
      } are offline or outside this cpuset`,
    );
  }
  const report: EffectReport = { knob, requested, effective, ok };
  if (warnings.length > 0) report.warning = warnings.join("; ");
  return report;
}
