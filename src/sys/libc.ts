/**
 * The libc functions fixg's tuning knobs call, opened once through Deno FFI. Only `--allow-ffi` is needed.
 * On other platforms, or without the permission, `openLibc()` says why instead of throwing, so every knob can
 * degrade to a warning.
 */

const SYMBOLS = {
  sched_getcpu: { parameters: [], result: "i32" },
  sched_setaffinity: { parameters: ["i32", "usize", "buffer"], result: "i32" },
  sched_getaffinity: { parameters: ["i32", "usize", "buffer"], result: "i32" },
  sched_setscheduler: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  sched_getscheduler: { parameters: ["i32"], result: "i32" },
  sched_getparam: { parameters: ["i32", "buffer"], result: "i32" },
  gettid: { parameters: [], result: "i32", optional: true },
  mlock: { parameters: ["pointer", "usize"], result: "i32" },
  munlock: { parameters: ["pointer", "usize"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // Read spinning (src/engine/read_spin.ts): one call per poll, so a 32-bit length and result (fast path).
  recv: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  // Writes of a spinning connection (a Deno write's completion waits for the reactor, which a spinning
  // event loop polls only every few dozen turns).
  send: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened libc symbols. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Either libc, or the reason it is unavailable ("not Linux", "needs --allow-ffi", a dlopen error). */
export type LibcResult = { ok: true; libc: Libc } | { ok: false; reason: string };

let cached: LibcResult | undefined;

/** Opens libc.so.6 once; later calls return the same result. */
export function openLibc(): LibcResult {
  if (cached !== undefined) return cached;
  if (Deno.build.os !== "linux") {
    cached = { ok: false, reason: `not available on ${Deno.build.os} (Linux only)` };
    return cached;
  }
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    // Not cached: a later permission grant (or a test with --allow-ffi) may change the answer.
    return { ok: false, reason: "needs --allow-ffi" };
  }
  try {
    cached = { ok: true, libc: Deno.dlopen("libc.so.6", SYMBOLS).symbols };
  } catch (e) {
    cached = { ok: false, reason: `cannot open libc.so.6: ${e instanceof Error ? e.message : String(e)}` };
  }
  return cached;
}

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  22: "EINVAL",
  38: "ENOSYS",
  88: "ENOTSOCK",
  92: "ENOPROTOOPT",
  95: "EOPNOTSUPP",
  107: "ENOTCONN",
};

/** errno of the calling thread; read right after the failing call (FFI calls run synchronously on it). */
export function lastErrno(libc: Libc): number {
  const p = libc.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

/** "EPERM (Operation not permitted)" for an errno value. */
export function describeErrno(libc: Libc, errno: number): string {
  const p = libc.strerror(errno);
  const text = p === null ? `errno ${errno}` : new Deno.UnsafePointerView(p).getCString();
  const name = ERRNO_NAMES[errno];
  return name === undefined ? text : `${name} (${text})`;
}

/** NUL-terminated C string for a path argument. */
export function cString(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Converts an FFI isize/usize result to a number. */
export function toNumber(v: number | bigint): number {
  return typeof v === "bigint" ? Number(v) : v;
}
