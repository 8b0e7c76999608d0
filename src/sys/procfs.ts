/**
 * Reading /proc with the least permission: Deno 2.9 wants --allow-all (not just --allow-read) for any
 * /proc/self path, so when Deno refuses, the same read goes through libc open/read or opendir/readdir, which
 * only needs the --allow-ffi the knobs already require.
 */
import { cString, type Libc, openLibc, toNumber } from "./libc.ts";

const O_RDONLY_CLOEXEC = 0o2000000;
/** Offset of d_name in glibc's x86_64/aarch64 `struct dirent` (ino 8, off 8, reclen 2, type 1). */
const DIRENT_NAME_OFFSET = 19;

/** True for the errors Deno raises when its permission system, not the OS, refused. */
function isPermissionRefusal(e: unknown): boolean {
  return e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied;
}

/** The text of a /proc (or /sys) file, or undefined when it does not exist or cannot be read at all. */
export function readProcText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (!isPermissionRefusal(e)) return undefined;
  }
  const r = openLibc();
  return r.ok ? readWithLibc(r.libc, path) : undefined;
}

/** Reads a whole file through libc; /proc files report size 0, so read until EOF. */
function readWithLibc(libc: Libc, path: string): string | undefined {
  const fd = libc.open(cString(path), O_RDONLY_CLOEXEC);
  if (fd < 0) return undefined;
  try {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const buf = new Uint8Array(65536);
      const n = toNumber(libc.read(fd, buf, BigInt(buf.length)));
      if (n < 0) return undefined;
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
    }
    const total = chunks.reduce((s, c) => s + c.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    return new TextDecoder().decode(all);
  } finally {
    libc.close(fd);
  }
}

/** Entry names of a /proc directory (without "." and ".."), or undefined when it cannot be listed. */
export function listProcDir(path: string): string[] | undefined {
  try {
    return [...Deno.readDirSync(path)].map((e) => e.name);
  } catch (e) {
    if (!isPermissionRefusal(e)) return undefined;
  }
  const r = openLibc();
  if (!r.ok) return undefined;
  const dir = r.libc.opendir(cString(path));
  if (dir === null) return undefined;
  try {
    const names: string[] = [];
    for (let entry = r.libc.readdir(dir); entry !== null; entry = r.libc.readdir(dir)) {
      const name = new Deno.UnsafePointerView(entry).getCString(DIRENT_NAME_OFFSET);
      if (name !== "." && name !== "..") names.push(name);
    }
    return names;
  } finally {
    r.libc.closedir(dir);
  }
}

/** The value of one "Key:\tvalue" line of a /proc status file, trimmed. */
export function statusField(statusText: string, key: string): string | undefined {
  for (const line of statusText.split("\n")) {
    if (line.startsWith(key + ":")) return line.slice(key.length + 1).trim();
  }
  return undefined;
}
