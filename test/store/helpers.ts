/** Shared helpers of the store tests: fixed-size messages, fixed clocks, crash images of a journal. */
import { crc32c } from "../../src/store/crc32c.ts";
import { segmentFileName } from "../../src/store/format.ts";
import { FileJournal, type FileJournalOptions } from "../../src/store/journal.ts";

const made: string[] = [];
addEventListener("unload", () => {
  for (const d of made) {
    try {
      Deno.removeSync(d, { recursive: true });
    } catch { /* already gone */ }
  }
});

/** A temporary directory removed when the test module ends. */
export function tempDir(prefix = "fixg-store-test-"): string {
  const d = Deno.makeTempDirSync({ prefix });
  made.push(d);
  return d;
}

/** Session keys used by the tests. */
export const KEY = "FIX.4.4:FIXG->LP";
/** A second session. */
export const KEY2 = "FIX.4.2:FIXG->BROKER";

/** The wall time manualClock starts at by default. */
export const T0 = 1_700_000_000_000;

/**
 * A FIX-looking message of exactly `size` bytes (Text (58) pads it), so record positions are
 * predictable. The bytes depend only on the arguments: a test can check any stored copy exactly.
 */
export function fixedMessage(seq: number, dir: "in" | "out", size = 200): Uint8Array {
  const head = `8=FIX.4.4\x019=000\x0135=${
    dir === "out" ? "D" : "8"
  }\x0134=${seq}\x0149=FIXG\x0156=LP\x0111=ORD-${seq}\x0158=`;
  const tail = "\x0110=000\x01";
  const pad = size - head.length - tail.length;
  if (pad < 0) throw new Error(`message of ${size} bytes too small for seq ${seq}`);
  return new TextEncoder().encode(head + "x".repeat(pad) + tail);
}

/**
 * Opens a file journal on `dir` as a crash-recovery test wants it: the manual clock at `T0` (that of
 * manualClock), boot "boot-a", its warnings collected; `extra` adds or overrides options.
 */
export async function openJournal(dir: string, extra: Partial<FileJournalOptions> = {}) {
  const warnings: string[] = [];
  const journal = await FileJournal.open({
    dir,
    clock: manualClock(T0),
    onWarning: (m) => warnings.push(m),
    bootId: "boot-a",
    ...extra,
  });
  return { journal, warnings };
}

/** Lets background work (the asynchronous reservations, the batch's write) finish: 20 timers of 1 ms. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
}

/** Polls `f` (every 10 ms, up to `ms`) until it returns a value other than undefined, and returns that. */
export async function poll<T>(f: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A write's promise, and whether it settled (and how): "pending", "released" or "rejected: <why>". */
export function watch(p: Promise<void>): { state: () => string; p: Promise<void> } {
  let state = "pending";
  p.then(() => state = "released", (e) => state = `rejected: ${e instanceof Error ? e.message : e}`);
  return { state: () => state, p };
}

/** A clock that returns a fixed wall time (settable) and a counting monotonic clock. */
export function manualClock(startMs = T0) {
  let wall = startMs;
  let mono = 0;
  return {
    wallMs: () => wall,
    monoNs: () => (mono += 1000),
    monoOriginMs: startMs,
    set(ms: number) {
      wall = ms;
    },
  };
}

/** Copies every file of a journal directory: the disk as a crash at this instant would leave it. */
export function crashImage(dir: string): string {
  const copy = tempDir("fixg-crash-image-");
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile) Deno.copyFileSync(`${dir}/${e.name}`, `${copy}/${e.name}`);
  }
  return copy;
}

/** File names in a directory, sorted. */
export function filesOf(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** Flips one byte of a file in place. */
export function flipByte(path: string, offset: number): void {
  const b = Deno.readFileSync(path);
  b[offset] = b[offset]! ^ 0x5a;
  Deno.writeFileSync(path, b);
}

/** Appends bytes to a file (a torn write). */
export function appendBytes(path: string, bytes: Uint8Array): void {
  const f = Deno.openSync(path, { append: true });
  f.writeSync(bytes);
  f.close();
}

/** A journal whose session sent 1..5, closed; then its first segment's header says format `version`. */
export async function journalOfVersion(version: number): Promise<string> {
  const dir = tempDir();
  const j = await FileJournal.open({ dir, clock: manualClock(T0), onWarning: () => {}, bootId: "boot-a" });
  const s = await j.openSession(KEY, T0);
  for (let seq = 1; seq <= 5; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  await s.flush();
  await j.close();
  const path = `${dir}/${segmentFileName(1)}`;
  const b = Deno.readFileSync(path);
  const dv = new DataView(b.buffer);
  dv.setUint16(8, version, true);
  dv.setUint32(60, crc32c(b, 0, 60), true);
  Deno.writeFileSync(path, b);
  return dir;
}

/** Every file of a directory and its bytes (to show that nothing changed). */
export function snapshot(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of filesOf(dir)) {
    const st = Deno.statSync(`${dir}/${f}`);
    m.set(f, st.isFile ? Array.from(Deno.readFileSync(`${dir}/${f}`)).join(",") : "dir");
  }
  return m;
}
