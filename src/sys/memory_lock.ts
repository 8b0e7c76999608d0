/**
 * Memory locking. mlockall is not offered: with MCL_CURRENT (any flags) V8's reserved address space gets
 * locked, V8's later madvise(MADV_DONTNEED) fails and V8 aborts ("Check failed: 0 == ret"), sometimes mid-run
 * under GC. fixg locks specific long-lived buffers (journal segment, I/O buffers) with mlock instead.
 */
import { describeErrno, lastErrno, openLibc } from "./libc.ts";
import { readProcText, statusField } from "./procfs.ts";
import type { EffectReport } from "./types.ts";

const RLIMIT_MEMLOCK = 8;
const ENOMEM = 12;
const EPERM = 1;

/** A buffer whose pages can be locked: its bytes live outside the V8 heap and never move. */
export type LockableBuffer = ArrayBuffer | ArrayBufferView<ArrayBuffer>;

/** Bytes of a buffer. */
function byteLengthOf(buf: LockableBuffer): number {
  return buf.byteLength;
}

/** Kilobytes locked by this process (VmLck in /proc/self/status), or undefined when unreadable. */
export function readLockedKb(): number | undefined {
  const status = readProcText("/proc/self/status");
  const v = status === undefined ? undefined : statusField(status, "VmLck");
  if (v === undefined) return undefined;
  const kb = Number.parseInt(v, 10);
  return Number.isFinite(kb) ? kb : undefined;
}

/** RLIMIT_MEMLOCK soft limit in bytes (Infinity when unlimited), or undefined without FFI. */
export function readMemlockLimitBytes(): number | undefined {
  const r = openLibc();
  if (!r.ok) return undefined;
  const rl = new BigUint64Array(2);
  if (r.libc.getrlimit(RLIMIT_MEMLOCK, new Uint8Array(rl.buffer)) !== 0) return undefined;
  const soft = rl[0]!;
  return soft === 0xffffffffffffffffn ? Infinity : Number(soft);
}

/**
 * Locks the pages of `buf` in RAM (mlock) so the kernel never pages them out; `label` names it in the report
 * (e.g. "journal segment"). Keep the buffer alive and call unlockBuffer when done with it.
 */
export function lockBuffer(buf: LockableBuffer, label = "buffer"): EffectReport {
  const bytes = byteLengthOf(buf);
  const knob = `mlock ${label}`;
  const r = openLibc();
  if (!r.ok) return { knob, requested: bytes, effective: 0, ok: false, warning: `not locked: ${r.reason}` };
  if (bytes === 0) return { knob, requested: 0, effective: 0, ok: true };
  const libc = r.libc;
  if (libc.mlock(Deno.UnsafePointer.of(buf), BigInt(bytes)) === 0) {
    return { knob, requested: bytes, effective: bytes, ok: true };
  }
  const errno = lastErrno(libc);
  let hint = "";
  if (errno === ENOMEM || errno === EPERM) {
    const limit = readMemlockLimitBytes();
    hint =
      `: RLIMIT_MEMLOCK is ${
        limit === undefined ? "unknown" : limit === Infinity ? "unlimited" : `${limit} bytes`
      }` +
      "; raise it (ulimit -l, LimitMEMLOCK= in systemd) or grant CAP_IPC_LOCK";
  }
  return {
    knob,
    requested: bytes,
    effective: 0,
    ok: false,
    warning: `mlock refused: ${describeErrno(libc, errno)}${hint}`,
  };
}

/** Unlocks a buffer locked with lockBuffer; true when the kernel accepted. */
export function unlockBuffer(buf: LockableBuffer): boolean {
  const r = openLibc();
  if (!r.ok || byteLengthOf(buf) === 0) return false;
  return r.libc.munlock(Deno.UnsafePointer.of(buf), BigInt(byteLengthOf(buf))) === 0;
}

/** The report for a request to lock all memory: refused on purpose, with the reason and what was done instead. */
export function mlockallRefusal(lockedInstead: readonly string[] = []): EffectReport {
  const instead = lockedInstead.length === 0
    ? "lock specific buffers instead (journal, I/O buffers)"
    : `locked instead: ${lockedInstead.join(", ")}`;
  return {
    knob: "mlockall",
    requested: true,
    effective: false,
    ok: false,
    warning: `mlockall is not used: it makes V8 abort (madvise fails on locked reserved memory); ${instead}`,
  };
}
