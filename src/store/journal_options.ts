/**
 * The file journal's options: what FileJournal.open accepts, the defaults and their checks, and the
 * directory preparation. See ./journal.ts for the design and docs/journal.md for the user's view.
 */
import { type Scheduler, systemScheduler } from "../clock.ts";
import { ConfigError, EnvironmentError } from "../errors.ts";
import { JOURNAL_DIR_MODE, JOURNAL_FILE_MODE } from "./format.ts";
import { currentBootId, DEFAULT_SEQ_RESERVE } from "./highwater.ts";
import { errorText } from "./lock.ts";

/** When an append counts as done: see docs/journal.md for what each promises after a crash. */
export type FsyncPolicy = "always" | "batch" | "none";

/** The part of a file the journal writes through (tests inject one that fails like a full disk). */
export interface JournalFile {
  /** Writes some bytes, returns how many; throws on an I/O error. */
  writeSync(p: Uint8Array): number;
  /** fdatasync(2). */
  syncData(): Promise<void>;
  close(): void;
}

/** Creates a new segment file for writing (must fail if it exists). */
export type OpenSegmentFile = (path: string) => JournalFile;

/** Clocks of the journal: wall-clock epoch ms and monotonic ns (tests pass fixed ones). */
export interface JournalClock {
  wallMs(): number;
  monoNs(): number;
  /** Wall-clock epoch ms at which monoNs() was 0 (written into each segment header). */
  monoOriginMs: number;
}

/** Options of FileJournal.open. */
export interface FileJournalOptions {
  /** Journal directory (created if missing). */
  dir: string;
  /** Durability policy (default "batch"). */
  fsync?: FsyncPolicy;
  /** Write at once when this many records wait (all policies); batch: fdatasync at once when this many wait (default 1000). */
  batchMessages?: number;
  /**
   * batch: at most one fdatasync per this many microseconds unless batchMessages records wait (default 1000).
   * Deno's timers fire about 2 ms late at best, so a short window that is not reached by load costs ~2 ms.
   */
  batchMicros?: number;
  /** Start a new segment when the current one would grow beyond this (default 64 MiB; 4096 .. 2^31). */
  segmentBytes?: number;
  /** Delete sealed segments older than this many days (their last record's wall-clock time). */
  retentionDays?: number;
  /** Delete the oldest sealed segments while the journal is larger than this. */
  retentionBytes?: number;
  /**
   * A damaged region with valid records after it (not a torn tail) found at start-up: "fail" (default)
   * throws JournalCorruptError naming segment and offset; "skip" warns and steps over it.
   */
  onCorrupt?: "fail" | "skip";
  /** Warnings and notices (torn tails truncated, indexes rebuilt, segments deleted); default stderr. */
  onWarning?: (message: string) => void;
  /** Clock override (tests); default SYSTEM_JOURNAL_CLOCK, or the scheduler's time when `scheduler` is not the system one. */
  clock?: JournalClock;
  /**
   * Runs the journal's timer (the `batch` fdatasync window) and keeps its time (default
   * systemScheduler, timed with performance.now(); any other is timed with its own nowMs(), so a
   * ManualScheduler drives the window and the records' times by hand). See src/clock.ts.
   */
  scheduler?: Scheduler;
  /** Segment file factory override (tests: simulate a full disk). */
  openSegmentFile?: OpenSegmentFile;
  /**
   * Outbound numbers reserved ahead in `HIGHWATER` under `batch` and `none` (default 1024): the most a
   * start after a power cut or a failed write skips (and gap-fills) so as never to reuse a number
   * that may have reached the counterparty. See src/store/highwater.ts.
   */
  seqReserve?: number;
  /** This machine's boot id override (tests: simulate a reboot); default /proc/sys/kernel/random/boot_id. */
  bootId?: string;
}

/** Default segment size: 64 MiB, about 260k records of 200-byte messages. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/** The system clocks: Date.now and performance.now (ns since this process started). */
export const SYSTEM_JOURNAL_CLOCK: JournalClock = {
  wallMs: () => Date.now(),
  monoNs: () => Math.round(performance.now() * 1e6),
  monoOriginMs: performance.timeOrigin,
};

/** The journal clock of a scheduler other than the system one: wall and monotonic time both its nowMs(). */
function schedulerClock(scheduler: Scheduler): JournalClock {
  const origin = scheduler.nowMs();
  return {
    wallMs: () => scheduler.nowMs(),
    monoNs: () => (scheduler.nowMs() - origin) * 1e6,
    monoOriginMs: origin,
  };
}

/** Options with defaults applied. */
export interface ResolvedOptions {
  dir: string;
  fsync: FsyncPolicy;
  batchMessages: number;
  batchMicros: number;
  segmentBytes: number;
  retentionDays: number | undefined;
  retentionBytes: number | undefined;
  onCorrupt: "fail" | "skip";
  onWarning: (message: string) => void;
  clock: JournalClock;
  scheduler: Scheduler;
  /** Microseconds on the scheduler's clock (performance.now() for the system one): times the batch window and reservations. */
  nowUs: () => number;
  openSegmentFile: OpenSegmentFile;
  seqReserve: number;
  bootId: string;
}

/** Applies the defaults and checks every option; throws ConfigError for a bad one. */
export function resolveOptions(options: FileJournalOptions): ResolvedOptions {
  const bad = (what: string) => new ConfigError(`Journal option ${what}`);
  const fsync = options.fsync ?? "batch";
  if (fsync !== "always" && fsync !== "batch" && fsync !== "none") {
    throw bad(`fsync must be always, batch or none (got "${fsync}")`);
  }
  const batchMessages = options.batchMessages ?? 1000;
  if (!Number.isInteger(batchMessages) || batchMessages < 1) {
    throw bad(`batchMessages must be a positive integer (got ${batchMessages})`);
  }
  const batchMicros = options.batchMicros ?? 1000;
  if (!Number.isFinite(batchMicros) || batchMicros < 0) {
    throw bad(`batchMicros must be >= 0 (got ${batchMicros})`);
  }
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!Number.isInteger(segmentBytes) || segmentBytes < 4096 || segmentBytes > 2 ** 31) {
    throw bad(`segmentBytes must be an integer from 4096 to 2^31 (got ${segmentBytes})`);
  }
  if (options.retentionDays !== undefined && !(options.retentionDays >= 0)) {
    throw bad(`retentionDays must be >= 0`);
  }
  if (options.retentionBytes !== undefined && !(options.retentionBytes >= 0)) {
    throw bad(`retentionBytes must be >= 0`);
  }
  if (options.dir === "") throw bad(`dir must not be empty`);
  const seqReserve = options.seqReserve ?? DEFAULT_SEQ_RESERVE;
  if (!Number.isInteger(seqReserve) || seqReserve < 2) {
    throw bad(`seqReserve must be an integer >= 2 (got ${seqReserve})`);
  }
  const scheduler = options.scheduler ?? systemScheduler;
  return {
    dir: options.dir.replace(/\/+$/, "") || "/",
    fsync,
    batchMessages,
    batchMicros,
    segmentBytes,
    retentionDays: options.retentionDays,
    retentionBytes: options.retentionBytes,
    onCorrupt: options.onCorrupt ?? "fail",
    onWarning: options.onWarning ?? ((m) => console.error(`fixg: warning: ${m}`)),
    clock: options.clock ??
      (scheduler === systemScheduler ? SYSTEM_JOURNAL_CLOCK : schedulerClock(scheduler)),
    scheduler,
    nowUs: scheduler === systemScheduler ? () => performance.now() * 1000 : () => scheduler.nowMs() * 1000,
    openSegmentFile: options.openSegmentFile ??
      ((path) => Deno.openSync(path, { write: true, createNew: true, mode: JOURNAL_FILE_MODE })),
    seqReserve,
    bootId: options.bootId ?? currentBootId(),
  };
}

/** Creates the directory and proves it writable, or throws EnvironmentError (exit code 2). */
export function prepareDirectory(dir: string): void {
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: JOURNAL_DIR_MODE });
  } catch (e) {
    throw new EnvironmentError(`Cannot create journal directory "${dir}": ${errorText(e)}`, { cause: e });
  }
  const probe = `${dir}/.write-probe-${Deno.pid}`;
  try {
    Deno.writeFileSync(probe, new Uint8Array(1));
    Deno.removeSync(probe);
  } catch (e) {
    throw new EnvironmentError(`Journal directory "${dir}" is not writable: ${errorText(e)}`, { cause: e });
  }
}
