/** Linux tuning knobs through Deno FFI to libc; each returns an EffectReport and degrades with a warning. */
export * from "./types.ts";
export { describeErrno, type Libc, type LibcResult, openLibc } from "./libc.ts";
export { listProcDir, readProcText, statusField } from "./procfs.ts";
export * from "./affinity.ts";
export * from "./memory_lock.ts";
export * from "./socket.ts";
export * from "./scheduler.ts";
export * from "./tuning.ts";
