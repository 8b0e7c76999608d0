/**
 * The file journal: the store of record for every session of a gateway.
 *
 * All sessions append to one sequence of segment files (records interleaved), because a group
 * commit then costs one write and one fdatasync for the whole gateway, whatever the number of
 * sessions; per-session files would multiply the fsyncs under `fsync: always|batch`. Each segment
 * starts with a session-open record per known session (key, epoch, both sequence numbers), so any
 * segment can be read alone and old segments can be deleted without losing the session table.
 *
 * Sealed segments are immutable and have a derived index file (`.idx`) holding every record's
 * position and header fields, so start-up reads the small index files instead of the segments;
 * the segment that was being written when the process stopped has no index and is scanned (its torn
 * tail, if any, truncated). Every open starts a new segment. The format is in ./format.ts and
 * docs/journal.md.
 *
 * Write path: records are framed into a large preallocated buffer (the "open batch"), written with
 * one write(2) at the end of the current event-loop task (or at once when `batchMessages` records
 * wait), so a process crash never loses what an earlier task appended. Then, in the background
 * while the next batch fills, fdatasync: `always` as soon as the previous one is done (group commit),
 * `batch` at most once per `batchMicros` unless `batchMessages` records wait, `none` never (only at
 * close). An append's promise resolves when its batch is durable under the policy.
 */
import { ConfigError, EnvironmentError, FixgError, JournalCorruptError } from "../errors.ts";
import {
  checkRecord,
  dataViewOf,
  decodeIndex,
  DirCode,
  encodeIndex,
  IndexBuilder,
  type IndexEntries,
  indexFileName,
  indexFromScan,
  JOURNAL_DIR_MODE,
  JOURNAL_FILE_MODE,
  MAX_PAYLOAD_BYTES,
  parseSegmentFileName,
  readSegmentHeader,
  RECORD_HEADER_BYTES,
  RecordFields,
  RecordType,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
  sessionGoesBack,
  sessionOpenPayload,
  writeRecord,
  writeSegmentHeader,
} from "./format.ts";
import { quarantineName } from "./files.ts";
import { errorText, JournalLock } from "./lock.ts";
import { isLogonFrame, redactLogon } from "./secrets.ts";
import {
  currentBootId,
  DEFAULT_SEQ_RESERVE,
  HighWaterFile,
  type HighWaterSlot,
  readHighWater,
} from "./highwater.ts";
import {
  MAX_STORE_SEQ,
  type MessageStore,
  type SeqNums,
  type SessionStore,
  type StoredMessage,
} from "./types.ts";

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
  /** Clock override (tests). */
  clock?: JournalClock;
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

const BATCH_BUFFER_BYTES = 1024 * 1024;
/** Largest read of a resend per await: about 1 ms of parsing, so other sessions wait no longer. */
const READ_SPAN_BYTES = 256 * 1024;
const MAX_SEQ = MAX_STORE_SEQ;

/** The system clocks: Date.now and performance.now (ns since this process started). */
export const SYSTEM_JOURNAL_CLOCK: JournalClock = {
  wallMs: () => Date.now(),
  monoNs: () => Math.round(performance.now() * 1e6),
  monoOriginMs: performance.timeOrigin,
};

/** Positions of a session's outbound messages in the current epoch, seq strictly ascending. */
class SeqIndex {
  seqs = new Uint32Array(256);
  segs = new Uint32Array(256);
  offs = new Uint32Array(256);
  lens = new Uint32Array(256);
  length = 0;

  add(seq: number, seg: number, off: number, len: number): void {
    let n = this.length;
    // Numbers set back: the old messages from `seq` on are superseded and must not be resent.
    if (n > 0 && seq <= this.seqs[n - 1]!) n = this.length = this.lowerBound(seq);
    if (n === this.seqs.length) this.#grow();
    this.seqs[n] = seq;
    this.segs[n] = seg;
    this.offs[n] = off;
    this.lens[n] = len;
    this.length = n + 1;
  }

  clear(): void {
    this.length = 0;
  }

  lowerBound(seq: number): number {
    let lo = 0, hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #grow(): void {
    const n = this.seqs.length * 2;
    for (const k of ["seqs", "segs", "offs", "lens"] as const) {
      const a = new Uint32Array(n);
      a.set(this[k]);
      this[k] = a;
    }
  }
}

/** What the journal knows about one session. */
interface SessionState {
  id: number;
  key: string;
  epoch: number;
  creationMs: number;
  nextSender: number;
  nextTarget: number;
  out: SeqIndex;
  handle: JournalSessionStore | undefined;
  /** Its high-water slot (src/store/highwater.ts). */
  hw: HighWaterSlot | undefined;
  /** Outbound numbers up to this one, in epoch `reservedEpoch`, are covered by a synced reservation. */
  reserved: number;
  reservedEpoch: number;
  /** An outbound number above this one asks for the next reservation (async, or sync above `reserved`). */
  reserveAt: number;
  /** Generation of the newest reservation known synced. */
  reservedGen: number;
  /** Numbers reserved at a time: seqReserve, doubled (up to 16x) while synchronous bursts outrun the background. */
  reserveBlock: number;
  /** performance.now() of the last synchronous reservation. */
  lastSyncReserveMs: number;
  /** Highest outbound number appended after the journal failed (the engine may still have sent it). */
  failedOut: number;
}

/** Bytes waiting to be written to one segment. */
interface Batch {
  segment: number;
  /** Offset in its segment of `buf[0]` (reads serve records not yet synced from the batch). */
  start: number;
  buf: Uint8Array;
  dv: DataView;
  len: number;
  count: number;
  /** Set on the first batch of a new segment: the segment it seals. */
  seals: SealedSegment | undefined;
  promise: Promise<void> | undefined;
  resolve: (() => void) | undefined;
  reject: ((e: unknown) => void) | undefined;
}

/** A segment no longer written to. */
interface SealedSegment {
  segment: number;
  bytes: number;
  lastWallMs: number;
  /** Entries to write as its index file (dropped once written). */
  index: IndexEntries | undefined;
}

/** A MessageStore on segment files: see the module comment and docs/journal.md. */
export class FileJournal implements MessageStore {
  readonly #w: JournalWriter;

  private constructor(w: JournalWriter) {
    this.#w = w;
  }

  /**
   * Opens (creating if needed) the journal in `options.dir`: takes the lock, recovers every session
   * from the segments (truncating a torn tail with a warning) and starts a new segment.
   * Throws ConfigError for bad options, EnvironmentError (exit code 2) when the directory is not
   * usable or another live process holds it, JournalCorruptError for damage other than a torn tail.
   */
  static async open(options: FileJournalOptions): Promise<FileJournal> {
    const o = resolveOptions(options);
    prepareDirectory(o.dir);
    const lock = JournalLock.acquire(o.dir, "gateway");
    try {
      if (lock.staleHolder !== undefined) {
        const h = lock.staleHolder;
        o.onWarning(
          `journal "${o.dir}": took over the lock left by pid ${h.pid} on ${h.host} (since ${h.sinceIso}); that process is gone`,
        );
      }
      const w = new JournalWriter(o, lock);
      try {
        w.recover();
        w.openHighWater();
        await w.startSegment();
      } catch (e) {
        w.closeHighWater();
        throw e;
      }
      return new FileJournal(w);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** The journal directory. */
  get dir(): string {
    return this.#w.o.dir;
  }

  /** Opens the store of one session, creating it (epoch 1, numbers 1/1) when the journal has never seen it. */
  openSession(sessionKey: string, nowMs: number): Promise<SessionStore> {
    try {
      return Promise.resolve(this.#w.openSession(sessionKey, nowMs));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Session keys the journal knows, with their restored numbers (for tools and start-up logs). */
  sessions(): Array<{ sessionKey: string; epoch: number; creationTimeMs: number } & SeqNums> {
    return this.#w.sessionList();
  }

  /** Waits until every earlier append of every session is durable under the policy. */
  flush(): Promise<void> {
    return this.#w.flush();
  }

  /** Deletes sealed segments beyond the retention limits now (also done at open and at each rotation). */
  applyRetention(nowMs: number = this.#w.o.clock.wallMs()): void {
    this.#w.applyRetention(nowMs);
  }

  /** Flushes, makes everything durable (whatever the policy), writes the last index and releases the lock. */
  close(): Promise<void> {
    return this.#w.close();
  }
}

/** One session's view of the journal. */
class JournalSessionStore implements SessionStore {
  readonly sessionKey: string;
  readonly #w: JournalWriter;
  readonly #s: SessionState;

  constructor(w: JournalWriter, s: SessionState) {
    this.#w = w;
    this.#s = s;
    this.sessionKey = s.key;
  }

  get durableBeforeSend(): boolean {
    return this.#w.o.fsync === "always";
  }

  seqNums(): SeqNums {
    return { nextSenderSeq: this.#s.nextSender, nextTargetSeq: this.#s.nextTarget };
  }

  creationTimeMs(): number {
    return this.#s.creationMs;
  }

  appendOutbound(seq: number, bytes: Uint8Array): void | Promise<void> {
    return this.#w.appendMessage(this.#s, DirCode.Out, seq, bytes);
  }

  appendInbound(seq: number, bytes: Uint8Array): void | Promise<void> {
    return this.#w.appendMessage(this.#s, DirCode.In, seq, bytes);
  }

  setNextTargetSeq(seq: number): void | Promise<void> {
    return this.#w.setSeq(this.#s, this.#s.nextSender, seq);
  }

  setNextSenderSeq(seq: number): void | Promise<void> {
    return this.#w.setSeq(this.#s, seq, this.#s.nextTarget);
  }

  getOutbound(from: number, to: number): Promise<StoredMessage[]> {
    return this.#w.readOutbound(this.#s, from, to);
  }

  reset(nowMs: number): void | Promise<void> {
    return this.#w.reset(this.#s, nowMs);
  }

  flush(): Promise<void> {
    return this.#w.flush();
  }

  close(): Promise<void> {
    if (this.#s.handle === this) this.#s.handle = undefined;
    return Promise.resolve();
  }
}

/** Options with defaults applied. */
interface ResolvedOptions {
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
  openSegmentFile: OpenSegmentFile;
  seqReserve: number;
  bootId: string;
}

function resolveOptions(options: FileJournalOptions): ResolvedOptions {
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
    clock: options.clock ?? SYSTEM_JOURNAL_CLOCK,
    openSegmentFile: options.openSegmentFile ??
      ((path) => Deno.openSync(path, { write: true, createNew: true, mode: JOURNAL_FILE_MODE })),
    seqReserve,
    bootId: options.bootId ?? currentBootId(),
  };
}

/** Creates the directory and proves it writable, or throws EnvironmentError (exit code 2). */
function prepareDirectory(dir: string): void {
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

/** The journal's state and machinery; FileJournal and JournalSessionStore are its faces. */
class JournalWriter {
  readonly o: ResolvedOptions;
  readonly #lock: JournalLock;
  readonly #sessionsById = new Map<number, SessionState>();
  readonly #sessionsByKey = new Map<string, SessionState>();
  #nextSessionId = 1;
  readonly #sealed: SealedSegment[] = [];
  readonly #unknownWarned = new Set<number>();

  // The segment being appended to (logically: bytes may still wait in batches).
  #segment = 0;
  #segPos = 0;
  #segHeadEnd = 0;
  #segIndex = new IndexBuilder();
  #segLastWallMs = 0;

  // The file being written (may lag #segment while batches of a new segment wait).
  #file: JournalFile | undefined;
  #fileSegment = 0;

  /** Framed, not yet written; the last one is open for appends. */
  #pending: Batch[] = [];
  /** Written to the OS, waiting for an fdatasync (always, batch). */
  #written: Batch[] = [];
  /** Covered by the fdatasync in flight. */
  #syncingBatches: Batch[] = [];
  #syncing: Promise<void> | undefined;
  #lastSyncStartUs = -Infinity;
  #forceSync = false;
  /** A segment switch is in progress (it awaits); writes resume after it. */
  #switching = false;
  #writeArmed = false;
  #wallFresh = false;
  #wallBase = 0;
  #monoBase = 0;
  #syncTimer: ReturnType<typeof setTimeout> | undefined;
  #pool: Uint8Array[] = [];
  #failed: EnvironmentError | undefined;
  #closed = false;
  /** The high-water marks file (src/store/highwater.ts). */
  #hw: HighWaterFile | undefined;
  /** A scanned segment whose index waits for the next segment's session table to agree (recovery). */
  #rebuilt: { n: number; covered: number; index: IndexEntries } | undefined;
  /** Highest slot generation per session id in HIGHWATER at open: a new session's slots continue above it. */
  #hwGenerations = new Map<number, number>();
  /** Sessions whose next sender number the marks raise at this start: applied after the session table. */
  #floors: Array<{ s: SessionState; floor: number; why: string }> = [];

  constructor(o: ResolvedOptions, lock: JournalLock) {
    this.o = o;
    this.#lock = lock;
  }

  // ---------------------------------------------------------------- recovery

  /** Rebuilds every session from the segments (index files where valid, scans otherwise). */
  recover(): void {
    const dir = this.o.dir;
    const segs: number[] = [];
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isFile) continue;
      if (e.name.endsWith(".tmp")) {
        Deno.removeSync(`${dir}/${e.name}`);
        continue;
      }
      const n = parseSegmentFileName(e.name);
      if (n !== undefined) segs.push(n);
    }
    segs.sort((a, b) => a - b);
    for (let i = 0; i < segs.length; i++) {
      const n = segs[i]!;
      if (i > 0 && n !== segs[i - 1]! + 1) {
        // Retention deletes from the oldest end only: a hole in the middle is lost records.
        const a = segs[i - 1]! + 1, b = n - 1;
        this.#corrupt(
          a,
          0,
          0,
          `${
            a === b ? `${segmentFileName(a)} is` : `${segmentFileName(a)} to ${segmentFileName(b)} are`
          } missing between ${segmentFileName(segs[i - 1]!)} and ${
            segmentFileName(n)
          }: their records are lost (deleted by hand?)`,
        );
      }
      // A segment removed as empty does not count: its number is reused, leaving no gap.
      const pending = this.#rebuilt;
      if (this.#recoverSegment(n, i === segs.length - 1)) this.#segment = n;
      if (pending !== undefined) {
        this.#writeIndexSync(pending.n, pending.covered, pending.index);
        if (this.#rebuilt === pending) this.#rebuilt = undefined;
      }
    }
    if (this.#rebuilt !== undefined) {
      this.#writeIndexSync(this.#rebuilt.n, this.#rebuilt.covered, this.#rebuilt.index);
      this.#rebuilt = undefined;
    }
    this.applyRetention(this.o.clock.wallMs());
  }

  /** Recovers one segment; false when it was removed (created by a crash before its header was written). */
  #recoverSegment(n: number, isLast: boolean): boolean {
    const dir = this.o.dir;
    const segPath = `${dir}/${segmentFileName(n)}`;
    const idxPath = `${dir}/${indexFileName(n)}`;
    const size = Deno.statSync(segPath).size;
    let why = "missing";
    /** The segment was sealed with an index: every byte of it was written and synced, none may be missing. */
    let sealedBytes = -1;
    let buf: Uint8Array | undefined;
    let idxBytes: Uint8Array | undefined;
    try {
      idxBytes = Deno.readFileSync(idxPath);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) why = errorText(e);
    }
    if (idxBytes !== undefined) {
      const idx = decodeIndex(idxBytes);
      if (typeof idx === "string") why = idx;
      else if (idx.segment !== n) why = `it describes segment ${idx.segment}`;
      else if (idx.coveredBytes > size) {
        // A sealed segment is never shortened: the bytes past its end held records.
        this.#corrupt(
          n,
          size,
          idx.coveredBytes - size,
          `the segment is ${size} bytes but its index covers ${idx.coveredBytes}: ${
            countFrom(idx, size)
          } records from byte ${size} on are missing (cut short?)`,
        );
        why = `it covers ${idx.coveredBytes} bytes, the segment has ${size}`;
      } else if (idx.coveredBytes !== size) {
        why = `it covers ${idx.coveredBytes} bytes, the segment has ${size}`;
      } else if (
        // Start-up relies on these records (sequence numbers, resends): each one's CRC is checked.
        (buf = Deno.readFileSync(segPath), checkIndexed(buf, idx)) !== undefined
      ) {
        sealedBytes = size;
        why = checkIndexed(buf, idx)!;
      } else {
        this.#replay(n, idx);
        this.#sealed.push({
          segment: n,
          bytes: size,
          lastWallMs: lastWallMs(idx, segPath),
          index: undefined,
        });
        return true;
      }
    }
    buf ??= Deno.readFileSync(segPath);
    if (size < SEGMENT_HEADER_BYTES && !isLast) {
      // Only the segment being written when a crash came can be cut short before its header.
      this.#corrupt(
        n,
        0,
        size,
        `${size} bytes, shorter than a segment header, but later segments follow: its records are lost`,
      );
      return false;
    }
    if (size < SEGMENT_HEADER_BYTES) {
      // Created but its header never fully written: nothing in it was ever acknowledged.
      this.#quarantine(n, 0, buf, "torn");
      Deno.removeSync(segPath);
      try {
        Deno.removeSync(idxPath);
      } catch { /* no index */ }
      this.o.onWarning(
        `journal "${dir}": removed ${
          segmentFileName(n)
        } (${size} bytes, cut short before its header was written)`,
      );
      return false;
    }
    const { index, scan } = indexFromScan(buf);
    const h = scan.header;
    const headerProblem = typeof h === "string"
      ? h
      : h.segment !== n
      ? `header says segment ${h.segment}`
      : undefined;
    if (headerProblem !== undefined) {
      this.#corrupt(n, 0, SEGMENT_HEADER_BYTES, `bad segment header: ${headerProblem}`);
    }
    let covered = size;
    for (const d of scan.damaged) {
      // A torn tail is what a crash leaves at the end of the segment being written, never in a sealed one.
      if (d.kind === "corrupt" || sealedBytes >= 0 || !isLast) {
        this.#corrupt(
          n,
          d.offset,
          d.length,
          d.kind === "corrupt" ? d.reason : `${d.reason}, at the end of a sealed segment`,
        );
        continue;
      }
      this.#quarantine(n, d.offset, buf.subarray(d.offset), "torn");
      const f = Deno.openSync(segPath, { write: true });
      try {
        f.truncateSync(d.offset);
        f.syncDataSync();
      } finally {
        f.close();
      }
      covered = d.offset;
      this.o.onWarning(
        `journal "${dir}": truncated a torn record at the end of ${
          segmentFileName(n)
        } (${d.length} bytes at offset ${d.offset}: ${d.reason}); the bytes are kept in quarantine/`,
      );
    }
    // Every segment a gateway starts begins with the session table: one holding nothing after its
    // header, while earlier segments know sessions, was cut to its header (its records are lost).
    if (scan.records === 0 && scan.damaged.length === 0 && this.#sessionsById.size > 0 && why === "missing") {
      this.#corrupt(
        n,
        SEGMENT_HEADER_BYTES,
        0,
        `the segment holds only its header (no session table) although earlier segments know ${this.#sessionsById.size} session${
          this.#sessionsById.size === 1 ? "" : "s"
        }: cut to its header?`,
      );
    }
    // The last segment has no index after a crash: rebuilding it is the normal path, not news.
    if (why !== "missing" || !isLast) {
      this.o.onWarning(`journal "${dir}": rebuilt the index of ${segmentFileName(n)} (${why})`);
    }
    this.#replay(n, index);
    // A segment followed by others: its index is written once the next segment's session table
    // agrees with where its records end (see #replay), or a refused start would leave it trusted.
    if (isLast) this.#writeIndexSync(n, covered, index);
    else this.#rebuilt = { n, covered, index };
    this.#sealed.push({
      segment: n,
      bytes: covered,
      lastWallMs: lastWallMs(index, segPath),
      index: undefined,
    });
    return true;
  }

  #corrupt(n: number, offset: number, length: number, reason: string): void {
    const where = length === 0
      ? `${segmentFileName(n)} at byte ${offset} (${reason})`
      : `${segmentFileName(n)} at byte ${offset} (${length} bytes: ${reason})`;
    if (this.o.onCorrupt === "skip") {
      this.o.onWarning(
        `journal "${this.o.dir}": skipped a damaged region in ${where}; run "fixg journal repair" to quarantine it`,
      );
      return;
    }
    throw new JournalCorruptError(
      `Journal "${this.o.dir}" is damaged in ${where}. Run "fixg journal verify ${this.o.dir}" for every problem and "fixg journal repair ${this.o.dir}" to move the damaged bytes to quarantine/ (good records are kept)`,
    );
  }

  #quarantine(n: number, offset: number, bytes: Uint8Array, what: string): void {
    const qdir = `${this.o.dir}/quarantine`;
    Deno.mkdirSync(qdir, { recursive: true, mode: JOURNAL_DIR_MODE });
    const name = quarantineName(this.o.dir, segmentFileName(n), offset, what);
    Deno.writeFileSync(`${this.o.dir}/${name}`, bytes, { mode: JOURNAL_FILE_MODE });
  }

  /** Applies index entries (from an index file or a scan) to the session table. */
  #replay(segment: number, e: IndexEntries): void {
    for (let i = 0; i < e.count; i++) {
      const td = e.typeDirs[i]!;
      const type = td & 0xff;
      const sid = e.sessionIds[i]!;
      const epoch = e.epochs[i]!;
      const seq = e.seqs[i]!;
      const seq2 = e.seqs2[i]!;
      if (type === RecordType.SessionOpen) {
        const k = e.keys.get(sid);
        if (k === undefined) continue;
        let s = this.#sessionsById.get(sid);
        if (s === undefined) {
          s = newState(sid, k.key, epoch, k.creationMs, seq, seq2);
          this.#register(s);
        } else {
          // The session table at a segment's head repeats the state the segments before it left. Lower
          // numbers or an older epoch mean an old segment copied in: starting from it would reuse
          // numbers the counterparty has seen. Never skipped (onCorrupt "skip" steps over damaged bytes only).
          const back = sessionGoesBack(k.key, epoch, seq, seq2, s);
          if (back !== undefined) {
            throw new JournalCorruptError(
              `Journal "${this.o.dir}" is damaged in ${segmentFileName(segment)} at byte ${
                e.offsets[i]
              }: its sequence numbers go back (${back}); an older segment copied in? Run "fixg journal verify ${this.o.dir}" and "fixg journal repair ${this.o.dir}" (it moves such a segment to quarantine/)`,
            );
          }
          // The previous segment had no usable index (scanned now): if this table is ahead of where
          // its records end, records were cut from its end at a record boundary.
          const prev = this.#rebuilt;
          if (
            prev !== undefined && prev.n === segment - 1 &&
            (epoch > s.epoch || (epoch === s.epoch && (seq > s.nextSender || seq2 > s.nextTarget)))
          ) {
            this.#corrupt(
              prev.n,
              prev.covered,
              0,
              `its records end at epoch ${s.epoch}, next out ${s.nextSender}, next in ${s.nextTarget} for session ${k.key}, but ${
                segmentFileName(segment)
              } starts at epoch ${epoch}, next out ${seq}, next in ${seq2}: records at its end are lost (cut short, its index missing?)`,
            );
          }
          if (s.epoch !== epoch) s.out.clear();
          s.epoch = epoch;
          s.creationMs = k.creationMs;
          s.nextSender = seq;
          s.nextTarget = seq2;
        }
        continue;
      }
      const s = this.#sessionsById.get(sid);
      if (s === undefined) {
        if (!this.#unknownWarned.has(sid)) {
          this.#unknownWarned.add(sid);
          this.o.onWarning(
            `journal "${this.o.dir}": records of session id ${sid} in ${
              segmentFileName(segment)
            } have no session-open record; ignored`,
          );
        }
        continue;
      }
      if (type === RecordType.SeqReset) {
        s.epoch = epoch;
        s.creationMs = e.wallMs[i]!;
        s.nextSender = seq;
        s.nextTarget = seq2;
        s.out.clear();
      } else if (type === RecordType.SetSeq) {
        s.nextSender = seq;
        s.nextTarget = seq2;
      } else if (type === RecordType.Message) {
        if (epoch !== s.epoch) {
          if (epoch < s.epoch) continue;
          s.epoch = epoch;
          s.out.clear();
        }
        if (td >> 8 === DirCode.Out) {
          s.nextSender = seq + 1;
          s.out.add(seq, segment, e.offsets[i]!, e.lengths[i]!);
        } else {
          s.nextTarget = seq + 1;
        }
      }
    }
  }

  #register(s: SessionState): void {
    this.#sessionsById.set(s.id, s);
    this.#sessionsByKey.set(s.key, s);
    if (s.id >= this.#nextSessionId) this.#nextSessionId = s.id + 1;
  }

  #writeIndexSync(n: number, covered: number, e: IndexEntries): void {
    const path = `${this.o.dir}/${indexFileName(n)}`;
    try {
      Deno.writeFileSync(`${path}.tmp`, encodeIndex(n, covered, e), { mode: JOURNAL_FILE_MODE });
      Deno.renameSync(`${path}.tmp`, path);
    } catch (err) {
      this.o.onWarning(
        `journal "${this.o.dir}": could not write ${indexFileName(n)} (${
          errorText(err)
        }); it will be rebuilt at the next open`,
      );
    }
  }

  // ---------------------------------------------------------------- high-water marks

  /**
   * Reads the marks the previous run left and opens the file for this one. A number that may have
   * reached the counterparty but is not in the journal (a failed write, or records lost to a power cut
   * inside the batch window) raises the session's next sender number above it: those numbers are
   * gap-filled on resend, never handed out again.
   */
  openHighWater(): void {
    const keys = new Map<number, string>();
    for (const s of this.#sessionsById.values()) keys.set(s.id, s.key);
    const read = readHighWater(this.o.dir, keys);
    const rebooted = read.bootId === "" || this.o.bootId === "" || read.bootId !== this.o.bootId;
    this.#hwGenerations = read.generations;
    for (const s of this.#sessionsById.values()) {
      const m = read.marks.get(s.id);
      s.hw = HighWaterFile.slot(s.id, s.key, read.generations.get(s.id) ?? 0);
      if (m === undefined) continue;
      // Exact marks (clean close, failed write) always count. A reservation counts when the run did not
      // close cleanly and either its journal failed or the machine restarted: within one boot the
      // kernel kept every record written before its message reached the socket.
      const counts = m.exact || read.state === "failed" || read.state === undefined ||
        (read.state === "running" && rebooted);
      if (!counts) continue;
      if (m.epoch > s.epoch) {
        this.o.onWarning(
          `journal "${this.o.dir}": session ${s.key} reached epoch ${m.epoch} (outbound up to ${m.mark}) but the journal holds epoch ${s.epoch} only: a sequence reset was lost; agree the numbers with the counterparty`,
        );
        continue;
      }
      if (m.epoch === s.epoch && m.mark >= s.nextSender) {
        const why = m.exact
          ? read.state === "failed"
            ? "the journal's last write failed"
            : "they were handed out before the last close"
          : read.state === "failed"
          ? "the journal's last write failed"
          : "the machine restarted before they were synced";
        this.#floors.push({ s, floor: m.mark + 1, why });
      }
    }
    try {
      this.#hw = HighWaterFile.open(this.o.dir, this.o.bootId);
    } catch (e) {
      throw new EnvironmentError(
        `Cannot write the journal's high-water marks "${this.o.dir}/HIGHWATER": ${errorText(e)}`,
        { cause: e, exitCode: 2 },
      );
    }
  }

  closeHighWater(): void {
    this.#hw?.close();
    this.#hw = undefined;
  }

  /** Makes sure outbound `seq` is covered by a synced reservation before its message can leave. */
  #reserve(s: SessionState, seq: number): void {
    const hw = this.#hw;
    if (hw === undefined || this.o.fsync === "always") {
      // `always` holds every message until its record is durable: nothing to reserve.
      s.reserveAt = MAX_SEQ;
      return;
    }
    s.hw ??= HighWaterFile.slot(s.id, s.key, this.#hwGenerations.get(s.id) ?? 0);
    const slot = s.hw;
    if (s.reserveBlock === 0) s.reserveBlock = this.o.seqReserve;
    if (s.reservedEpoch !== s.epoch || seq > s.reserved) {
      // Not covered: wait for a synchronous reservation (rare: the background one was too slow). A
      // burst that outruns the background reservations (one task appending thousands of messages)
      // gets larger blocks, so it pays one fdatasync per block, not per seqReserve numbers.
      const now = performance.now();
      if (s.reservedEpoch === s.epoch && now - s.lastSyncReserveMs < 1000) {
        s.reserveBlock = Math.min(s.reserveBlock * 2, this.o.seqReserve * 16);
      }
      s.lastSyncReserveMs = now;
      const r = s.reserveBlock;
      const mark = Math.min(seq - 1 + r, MAX_SEQ);
      try {
        s.reservedGen = hw.writeSync(slot, s.epoch, mark, false);
      } catch (e) {
        this.#fail(e);
        throw this.#failed;
      }
      s.reserved = mark;
      s.reservedEpoch = s.epoch;
      s.reserveAt = mark - (r >> 1);
      return;
    }
    // Half the block used: reserve the next one in the background.
    s.reserveAt = s.reserved;
    if (slot.asyncSlot >= 0) return;
    const r = s.reserveBlock;
    const epoch = s.epoch;
    const mark = Math.min(seq + r, MAX_SEQ);
    hw.writeAsync(slot, epoch, mark).then((g) => {
      if (g > s.reservedGen && s.epoch === epoch) {
        s.reservedGen = g;
        s.reserved = mark;
        s.reservedEpoch = epoch;
        s.reserveAt = mark - (r >> 1);
      }
    }, (e) => {
      // The next number above the reservation tries synchronously, and fails the journal if it must.
      this.o.onWarning(`journal "${this.o.dir}": could not write ${hw.path} (${errorText(e)})`);
    });
  }

  /** Exact marks for every session (what was handed out), then the file's state. */
  #writeExactMarks(state: "closed" | "failed"): void {
    const hw = this.#hw;
    if (hw === undefined) return;
    try {
      for (const s of this.#sessionsById.values()) {
        s.hw ??= HighWaterFile.slot(s.id, s.key, this.#hwGenerations.get(s.id) ?? 0);
        hw.writeSync(s.hw, s.epoch, Math.max(s.nextSender - 1, s.failedOut), true, false);
      }
      // One fdatasync for every slot and the state.
      hw.writeState(state);
    } catch (e) {
      this.o.onWarning(`journal "${this.o.dir}": could not write ${hw.path} (${errorText(e)})`);
    }
  }

  /** Creates the first segment of this run: header plus a session-open record per session, made durable. */
  async startSegment(): Promise<void> {
    const n = this.#segment + 1;
    const path = `${this.o.dir}/${segmentFileName(n)}`;
    try {
      this.#file = this.o.openSegmentFile(path);
    } catch (e) {
      throw new EnvironmentError(`Cannot create journal segment "${path}": ${errorText(e)}`, { cause: e });
    }
    this.#fileSegment = n;
    const b = this.#newBatch(n);
    this.#pending.push(b);
    this.#beginSegment(b, n);
    // After the session table (which repeats what the segments say): the numbers the marks forbid.
    for (const { s, floor, why } of this.#floors) {
      this.o.onWarning(
        `journal "${this.o.dir}": session ${s.key}: outbound MsgSeqNum ${s.nextSender}${
          floor - 1 > s.nextSender ? `..${floor - 1}` : ""
        } may have reached the counterparty but ${
          floor - 1 > s.nextSender ? "are" : "is"
        } not in the journal (${why}); the session resumes at ${floor} and gap-fills ${
          floor - 1 > s.nextSender ? "them" : "it"
        } on resend instead of reusing ${floor - 1 > s.nextSender ? "them" : "it"}`,
      );
      s.nextSender = floor;
      this.#frame(RecordType.SetSeq, DirCode.None, s, s.nextSender, s.nextTarget, -1, EMPTY);
    }
    this.#floors = [];
    try {
      await this.#drain();
    } catch (e) {
      throw new EnvironmentError(
        `Cannot write journal segment "${path}": ${errorText(e instanceof EnvironmentError ? e.cause : e)}`,
        {
          cause: e,
          exitCode: 2,
        },
      );
    }
    if (this.o.fsync !== "none") syncDirectory(this.o.dir);
  }

  /** Frames a segment header and the session table into batch `b` (which must be empty). */
  #beginSegment(b: Batch, n: number): void {
    const wall = this.o.clock.wallMs();
    writeSegmentHeader(b.buf, 0, {
      segment: n,
      createdMs: wall,
      monoOriginMs: this.o.clock.monoOriginMs,
      pid: Deno.pid,
    });
    b.len = SEGMENT_HEADER_BYTES;
    this.#segment = n;
    this.#segPos = SEGMENT_HEADER_BYTES;
    this.#segIndex = new IndexBuilder();
    this.#segLastWallMs = wall;
    for (const s of this.#sessionsById.values()) this.#frameSessionOpen(s, wall);
    this.#segHeadEnd = this.#segPos;
  }

  #frameSessionOpen(s: SessionState, wall: number): void {
    this.#frame(
      RecordType.SessionOpen,
      DirCode.None,
      s,
      s.nextSender,
      s.nextTarget,
      wall,
      sessionOpenPayload(s.creationMs, s.key),
    );
    this.#segIndex.keys.set(s.id, { key: s.key, creationMs: s.creationMs });
  }

  // ---------------------------------------------------------------- appends

  openSession(key: string, nowMs: number): SessionStore {
    if (this.#closed) throw new FixgError("STORE_CLOSED", `Journal "${this.o.dir}" is closed`);
    let s = this.#sessionsByKey.get(key);
    if (s === undefined) {
      if (this.#failed) throw this.#failed;
      s = newState(this.#nextSessionId, key, 1, nowMs, 1, 1);
      this.#register(s);
      this.#frameSessionOpen(s, this.o.clock.wallMs());
      this.#schedule();
    }
    if (s.handle !== undefined) {
      throw new FixgError(
        "STORE_SESSION_OPEN",
        `Session "${key}" is already open in journal "${this.o.dir}"`,
      );
    }
    s.handle = new JournalSessionStore(this, s);
    return s.handle;
  }

  sessionList(): Array<{ sessionKey: string; epoch: number; creationTimeMs: number } & SeqNums> {
    return [...this.#sessionsById.values()].map((s) => ({
      sessionKey: s.key,
      epoch: s.epoch,
      creationTimeMs: s.creationMs,
      nextSenderSeq: s.nextSender,
      nextTargetSeq: s.nextTarget,
    }));
  }

  appendMessage(s: SessionState, dir: number, seq: number, bytes: Uint8Array): void | Promise<void> {
    if (this.#failed) {
      if (dir === DirCode.Out) this.#outAfterFailure(s, seq);
      return rejected(this.#failed);
    }
    this.#checkOpen(s);
    checkSeq(seq);
    // The number must be reserved (synced) before the engine can write the message to the socket.
    if (dir === DirCode.Out && seq > s.reserveAt) {
      try {
        this.#reserve(s, seq);
      } catch (e) {
        if (e === this.#failed) return rejected(this.#failed!);
        throw e;
      }
    }
    if (bytes.length > MAX_PAYLOAD_BYTES) {
      throw new FixgError(
        "JOURNAL_RECORD_TOO_LARGE",
        `A ${bytes.length}-byte message cannot be journaled (limit ${MAX_PAYLOAD_BYTES})`,
      );
    }
    // A Logon's Password and NewPassword never reach the disk (Logons are gap-filled, never resent).
    if (isLogonFrame(bytes)) bytes = redactLogon(bytes);
    const off = this.#frame(RecordType.Message, dir, s, seq, 0, -1, bytes);
    if (dir === DirCode.Out) {
      s.nextSender = seq + 1;
      s.out.add(seq, this.#segment, off, RECORD_HEADER_BYTES + bytes.length);
    } else {
      s.nextTarget = seq + 1;
    }
    return this.#schedule();
  }

  setSeq(s: SessionState, nextSender: number, nextTarget: number): void | Promise<void> {
    if (this.#failed) return rejected(this.#failed);
    this.#checkOpen(s);
    checkSeq(nextSender);
    checkSeq(nextTarget);
    s.nextSender = nextSender;
    s.nextTarget = nextTarget;
    this.#frame(RecordType.SetSeq, DirCode.None, s, nextSender, nextTarget, -1, EMPTY);
    return this.#schedule();
  }

  reset(s: SessionState, nowMs: number): void | Promise<void> {
    if (this.#failed) return rejected(this.#failed);
    this.#checkOpen(s);
    s.epoch++;
    s.creationMs = nowMs;
    s.nextSender = 1;
    s.nextTarget = 1;
    s.out.clear();
    // The new epoch's numbers need a reservation of their own before the first one leaves.
    s.reserveAt = 0;
    s.failedOut = 0;
    this.#frame(RecordType.SeqReset, DirCode.None, s, 1, 1, nowMs, EMPTY);
    return this.#schedule();
  }

  #checkOpen(s: SessionState): void {
    if (this.#closed) throw new FixgError("STORE_CLOSED", `Journal "${this.o.dir}" is closed`);
    if (s.handle === undefined) throw new FixgError("STORE_SESSION_CLOSED", `Session "${s.key}" is closed`);
  }

  /**
   * Frames one record into the open batch (rotating first if the segment is full); returns its offset.
   * `wallMs` -1 means now. The wall clock is read once per event-loop task and advanced by the
   * monotonic clock within it: one clock call per record instead of two (they were a third of the cost).
   */
  #frame(
    type: number,
    dir: number,
    s: SessionState,
    seq: number,
    seq2: number,
    wallMs: number,
    payload: Uint8Array,
  ): number {
    const mono = this.o.clock.monoNs();
    if (!this.#wallFresh) {
      this.#wallBase = this.o.clock.wallMs();
      this.#monoBase = mono;
      this.#wallFresh = true;
    }
    const wall = wallMs >= 0 ? wallMs : this.#wallBase + Math.floor((mono - this.#monoBase) / 1e6);
    const len = RECORD_HEADER_BYTES + payload.length;
    if (this.#segPos + len > this.o.segmentBytes && this.#segPos > this.#segHeadEnd) this.#rotate();
    const b = this.#pending[this.#pending.length - 1]!;
    if (b.len + len > b.buf.length) growBatch(b, b.len + len);
    const off = this.#segPos;
    writeRecord(b.buf, b.dv, b.len, type, dir, s.id, s.epoch, seq, seq2, mono, wall, payload);
    b.len += len;
    b.count++;
    this.#segPos += len;
    this.#segIndex.add(off, len, type, dir, s.id, s.epoch, seq, seq2, wall);
    if (wall > this.#segLastWallMs) this.#segLastWallMs = wall;
    return off;
  }

  /** Closes the current segment and starts the next one (in a new batch; the flusher switches files). */
  #rotate(): void {
    const sealed: SealedSegment = {
      segment: this.#segment,
      bytes: this.#segPos,
      lastWallMs: this.#segLastWallMs,
      index: this.#segIndex,
    };
    const b = this.#newBatch(this.#segment + 1);
    b.seals = sealed;
    this.#pending.push(b);
    this.#beginSegment(b, this.#segment + 1);
    this.#write();
  }

  /** Arranges for the open batch to be written per the policy; returns what an append returns. */
  #schedule(): void | Promise<void> {
    const b = this.#pending[this.#pending.length - 1]!;
    if (b.count >= this.o.batchMessages) {
      this.#write();
    } else if (!this.#writeArmed) {
      // Written at the end of the current task: one write(2) for everything appended in it, and a
      // process crash cannot lose what an earlier task appended.
      this.#writeArmed = true;
      queueMicrotask(() => {
        this.#writeArmed = false;
        this.#wallFresh = false;
        this.#write();
      });
    }
    if (this.o.fsync === "none") return undefined;
    return promiseOf(b);
  }

  // ---------------------------------------------------------------- writing and syncing

  /** Resolves when everything appended so far is durable under the policy (written, for none). */
  flush(): Promise<void> {
    if (this.#failed) return rejected(this.#failed);
    const open = this.#pending[this.#pending.length - 1];
    let target: Batch | undefined;
    if (open !== undefined && (open.len > 0 || this.#pending.length > 1)) target = open;
    else if (this.#written.length > 0) target = this.#written[this.#written.length - 1];
    else if (this.#syncingBatches.length > 0) target = this.#syncingBatches[this.#syncingBatches.length - 1];
    if (target === undefined) return Promise.resolve();
    const p = promiseOf(target);
    // An explicit flush does not wait for the batch window.
    this.#forceSync = true;
    this.#write();
    return p;
  }

  /** Flushes until nothing is pending, written-but-unsynced or in flight. Throws the failure if any. */
  async #drain(): Promise<void> {
    for (;;) {
      await this.flush();
      if (this.#failed) throw this.#failed;
      const open = this.#pending[this.#pending.length - 1];
      const idle = !this.#switching && this.#syncing === undefined && this.#written.length === 0 &&
        this.#pending.length <= 1 && (open === undefined || open.len === 0);
      if (idle) return;
      if (this.#syncing !== undefined) await this.#syncing;
    }
  }

  /** Write stage: every pending batch goes to the file with write(2), in order. */
  #write(): void {
    if (this.#failed !== undefined || this.#switching) return;
    const batches = this.#pending;
    const last = batches[batches.length - 1];
    if (last === undefined) return;
    if (batches.length > 1 || last.len > 0) {
      this.#pending = [this.#newBatch(this.#segment)];
      for (let i = 0; i < batches.length; i++) {
        const b = batches[i]!;
        if (b.segment !== this.#fileSegment) {
          // The rest goes after the switch (which must wait for the old file's fsync).
          this.#pending = [...batches.slice(i), ...this.#pending];
          void this.#switchFile(b);
          return;
        }
        try {
          let p = 0;
          while (p < b.len) p += this.#file!.writeSync(b.buf.subarray(p, b.len));
        } catch (e) {
          this.#pending = [...batches.slice(i), ...this.#pending];
          this.#fail(e);
          return;
        }
        if (this.o.fsync === "none") this.#settle(b);
        else this.#written.push(b);
      }
    }
    this.#maybeSync();
  }

  /** Sync stage: starts an fdatasync when the policy says so (always: now; batch: N records or M us). */
  #maybeSync(): void {
    if (
      this.o.fsync === "none" || this.#syncing !== undefined || this.#written.length === 0 || this.#failed
    ) return;
    if (this.o.fsync === "batch" && !this.#forceSync) {
      let waiting = 0;
      for (const b of this.#written) waiting += b.count;
      const sinceUs = performance.now() * 1000 - this.#lastSyncStartUs;
      if (waiting < this.o.batchMessages && sinceUs < this.o.batchMicros) {
        if (this.#syncTimer === undefined) {
          this.#syncTimer = setTimeout(() => {
            this.#syncTimer = undefined;
            this.#maybeSync();
          }, Math.ceil((this.o.batchMicros - sinceUs) / 1000));
        }
        return;
      }
    }
    this.#forceSync = false;
    if (this.#syncTimer !== undefined) {
      clearTimeout(this.#syncTimer);
      this.#syncTimer = undefined;
    }
    const batches = this.#written;
    this.#written = [];
    this.#syncingBatches = batches;
    this.#lastSyncStartUs = performance.now() * 1000;
    const file = this.#file!;
    this.#syncing = (async () => {
      try {
        await file.syncData();
        for (const b of batches) this.#settle(b);
      } catch (e) {
        this.#fail(e);
      } finally {
        this.#syncingBatches = [];
        this.#syncing = undefined;
      }
      this.#maybeSync();
    })();
  }

  /** A batch is done: its promise resolves, its buffer goes back to the pool. */
  #settle(b: Batch): void {
    b.resolve?.();
    if (b.buf.length === BATCH_BUFFER_BYTES && this.#pool.length < 4) this.#pool.push(b.buf);
  }

  /** Makes the current file durable, opens the one of batch `b`'s segment, seals the old segment, resumes writing. */
  async #switchFile(b: Batch): Promise<void> {
    this.#switching = true;
    try {
      if (this.#syncing !== undefined) await this.#syncing;
      if (this.#failed) return;
      const old = this.#file!;
      if (this.o.fsync !== "none") {
        await old.syncData();
        for (const w of this.#written) this.#settle(w);
        this.#written = [];
      }
      old.close();
      this.#file = undefined;
      this.#file = this.o.openSegmentFile(`${this.o.dir}/${segmentFileName(b.segment)}`);
      this.#fileSegment = b.segment;
      if (this.o.fsync !== "none") syncDirectory(this.o.dir);
      const sealed = b.seals;
      if (sealed !== undefined) {
        if (sealed.index !== undefined) await this.#writeIndex(sealed.segment, sealed.bytes, sealed.index);
        sealed.index = undefined;
        this.#sealed.push(sealed);
        this.applyRetention(this.o.clock.wallMs());
      }
    } catch (e) {
      this.#fail(e);
      return;
    } finally {
      this.#switching = false;
    }
    this.#write();
  }

  async #writeIndex(n: number, covered: number, e: IndexEntries): Promise<void> {
    const path = `${this.o.dir}/${indexFileName(n)}`;
    try {
      await Deno.writeFile(`${path}.tmp`, encodeIndex(n, covered, e), { mode: JOURNAL_FILE_MODE });
      await Deno.rename(`${path}.tmp`, path);
    } catch (err) {
      this.o.onWarning(
        `journal "${this.o.dir}": could not write ${indexFileName(n)} (${
          errorText(err)
        }); it will be rebuilt at the next open`,
      );
    }
  }

  /** An outbound message appended after a failure may still reach the wire: its number is recorded. */
  #outAfterFailure(s: SessionState, seq: number): void {
    if (!Number.isInteger(seq) || seq <= s.failedOut || seq < s.nextSender || seq > MAX_SEQ) return;
    s.failedOut = seq;
    const hw = this.#hw;
    if (hw === undefined) return;
    try {
      s.hw ??= HighWaterFile.slot(s.id, s.key, this.#hwGenerations.get(s.id) ?? 0);
      hw.writeSync(s.hw, s.epoch, Math.max(s.nextSender - 1, seq), true);
    } catch { /* the failure was reported; the reservation still covers it */ }
  }

  #fail(e: unknown): void {
    if (this.#failed) return;
    const file = `${this.o.dir}/${segmentFileName(this.#fileSegment)}`;
    const err = new EnvironmentError(
      `Journal write failed on "${file}": ${
        errorText(e)
      }. Nothing after this point is journaled; sessions must stop sending`,
      { cause: e, exitCode: 1 },
    );
    this.#failed = err;
    if (this.#syncTimer !== undefined) {
      clearTimeout(this.#syncTimer);
      this.#syncTimer = undefined;
    }
    for (const b of [...this.#syncingBatches, ...this.#written, ...this.#pending]) b.reject?.(err);
    this.#syncingBatches = [];
    this.#written = [];
    this.#pending = [this.#newBatch(this.#segment)];
    this.o.onWarning(err.message);
    // Every number appended so far may have been sent (batch, none): the next start must not reuse one.
    this.#writeExactMarks("failed");
  }

  #newBatch(segment: number): Batch {
    const buf = this.#pool.pop() ?? new Uint8Array(BATCH_BUFFER_BYTES);
    return {
      segment,
      // A batch of the current segment continues it; a new segment's first batch starts at 0.
      start: segment === this.#segment ? this.#segPos : 0,
      buf,
      dv: dataViewOf(buf),
      len: 0,
      count: 0,
      seals: undefined,
      promise: undefined,
      resolve: undefined,
      reject: undefined,
    };
  }

  // ---------------------------------------------------------------- reads

  /**
   * Outbound messages of `s` with seq in [from, to] (to 0: up to the last), ascending. Never forces or
   * waits for an fdatasync: records still in a batch (not yet written, or written and not yet synced)
   * are copied from memory at once; the rest is read from the segment files asynchronously, one span
   * of at most READ_SPAN_BYTES per await, so a large resend leaves the event loop to other sessions.
   */
  async readOutbound(s: SessionState, from: number, to: number): Promise<StoredMessage[]> {
    if (this.#failed) throw this.#failed;
    const idx = s.out;
    const i0 = idx.lowerBound(Math.max(from, 0));
    const i1 = to === 0 ? idx.length : idx.lowerBound(to + 1);
    if (i1 <= i0) return [];
    // Snapshot what the read needs of the index: later appends or a set-back may change it meanwhile.
    const n = i1 - i0;
    const segs = idx.segs.slice(i0, i1), offs = idx.offs.slice(i0, i1);
    const lens = idx.lens.slice(i0, i1), seqs = idx.seqs.slice(i0, i1);
    const got: Array<StoredMessage | undefined> = new Array(n);
    const r = new RecordFields();
    const check = (
      buf: Uint8Array,
      dv: DataView,
      p: number,
      avail: number,
      k: number,
      where: string,
    ): void => {
      const len = checkRecord(buf, dv, p, avail);
      if (len > 0) r.load(buf, dv, p, len, offs[k]!);
      if (
        len <= 0 || r.type !== RecordType.Message || r.dir !== DirCode.Out || r.sessionId !== s.id ||
        r.seq !== seqs[k]
      ) {
        this.o.onWarning(
          `journal "${this.o.dir}": outbound message ${seqs[k]} of "${s.key}" at ${
            segmentFileName(segs[k]!)
          } byte ${offs[k]}${where} is damaged; it will be gap-filled`,
        );
        return;
      }
      got[k] = { seq: r.seq, bytes: buf.slice(r.payloadStart, r.payloadEnd) };
    };
    // The tail still in batches, copied now (a settled batch's buffer is reused by later appends).
    let fileEnd = n;
    const inMemory = [...this.#syncingBatches, ...this.#written, ...this.#pending];
    for (let k = n - 1; k >= 0; k--) {
      const seg = segs[k]!, off = offs[k]!, len = lens[k]!;
      const b = inMemory.find((x) => x.segment === seg && off >= x.start && off + len <= x.start + x.len);
      if (b === undefined) break;
      check(b.buf, b.dv, off - b.start, b.len, k, " (in memory)");
      fileEnd = k;
    }
    // The rest has been written to its segment file (page cache at least): async reads, span by span.
    let k = 0;
    while (k < fileEnd) {
      const seg = segs[k]!;
      let file: Deno.FsFile;
      try {
        file = await Deno.open(`${this.o.dir}/${segmentFileName(seg)}`, { read: true });
      } catch (e) {
        this.o.onWarning(
          `journal "${this.o.dir}": cannot read ${segmentFileName(seg)} for a resend (${
            errorText(e)
          }); those messages will be gap-filled`,
        );
        while (k < fileEnd && segs[k] === seg) k++;
        continue;
      }
      try {
        while (k < fileEnd && segs[k] === seg) {
          // One read per span of nearby records (other sessions' records in between are read and skipped).
          const start = offs[k]!;
          let j = k;
          let end = start + lens[k]!;
          while (
            j + 1 < fileEnd && segs[j + 1] === seg && offs[j + 1]! + lens[j + 1]! - start <= READ_SPAN_BYTES
          ) {
            j++;
            end = offs[j]! + lens[j]!;
          }
          const buf = new Uint8Array(end - start);
          await file.seek(start, Deno.SeekMode.Start);
          let read = 0;
          while (read < buf.length) {
            const m = await file.read(buf.subarray(read));
            if (m === null || m === 0) break;
            read += m;
          }
          const dv = dataViewOf(buf);
          for (; k <= j; k++) check(buf, dv, offs[k]! - start, read, k, "");
        }
      } finally {
        file.close();
      }
    }
    const out: StoredMessage[] = [];
    for (let q = 0; q < n; q++) if (got[q] !== undefined) out.push(got[q]!);
    return out;
  }

  // ---------------------------------------------------------------- retention and close

  /** Deletes the oldest sealed segments beyond the limits, never one holding a current-epoch outbound message. */
  applyRetention(nowMs: number): void {
    const days = this.o.retentionDays;
    const maxBytes = this.o.retentionBytes;
    if (days === undefined && maxBytes === undefined) return;
    let protectFrom = Infinity;
    for (const s of this.#sessionsById.values()) {
      if (s.out.length > 0 && s.out.segs[0]! < protectFrom) protectFrom = s.out.segs[0]!;
    }
    let total = this.#segPos;
    for (const s of this.#sealed) total += s.bytes;
    while (this.#sealed.length > 0) {
      const s = this.#sealed[0]!;
      if (s.segment >= protectFrom || s.segment >= this.#segment) break;
      const old = days !== undefined && s.lastWallMs < nowMs - days * 86_400_000;
      const over = maxBytes !== undefined && total > maxBytes;
      if (!old && !over) break;
      try {
        Deno.removeSync(`${this.o.dir}/${segmentFileName(s.segment)}`);
        try {
          Deno.removeSync(`${this.o.dir}/${indexFileName(s.segment)}`);
        } catch { /* never written or already gone */ }
      } catch (e) {
        this.o.onWarning(
          `journal "${this.o.dir}": retention could not delete ${segmentFileName(s.segment)}: ${
            errorText(e)
          }`,
        );
        break;
      }
      this.#sealed.shift();
      total -= s.bytes;
      this.o.onWarning(
        `journal "${this.o.dir}": retention deleted ${
          segmentFileName(s.segment)
        } (${s.bytes} bytes, last record ${new Date(s.lastWallMs).toISOString()})`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    let error: unknown;
    try {
      if (this.#failed === undefined) {
        await this.#drain();
        if (this.o.fsync === "none") await this.#file?.syncData();
      } else {
        // A failed journal may still have an fdatasync or a switch in flight: let it end before closing.
        if (this.#syncing !== undefined) await this.#syncing;
        while (this.#switching) await new Promise((r) => setTimeout(r, 1));
      }
    } catch (e) {
      error = e;
    }
    this.#closed = true;
    if (this.#syncTimer !== undefined) clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    try {
      this.#file?.close();
    } catch { /* already closed after a failure */ }
    this.#file = undefined;
    if (this.#failed === undefined && error === undefined) {
      this.#writeIndexSync(this.#segment, this.#segPos, this.#segIndex);
    }
    // The journal holds every number handed out (or, failed, the marks say which): marks become exact.
    if (this.#hw !== undefined) {
      await this.#hw.idle();
      this.#writeExactMarks(this.#failed === undefined && error === undefined ? "closed" : "failed");
      this.closeHighWater();
    }
    for (const s of this.#sessionsById.values()) s.handle = undefined;
    this.#lock.release();
    if (error !== undefined) throw error;
  }
}

const EMPTY = new Uint8Array(0);

function newState(
  id: number,
  key: string,
  epoch: number,
  creationMs: number,
  nextSender: number,
  nextTarget: number,
): SessionState {
  return {
    id,
    key,
    epoch,
    creationMs,
    nextSender,
    nextTarget,
    out: new SeqIndex(),
    handle: undefined,
    hw: undefined,
    reserved: 0,
    reservedEpoch: 0,
    reserveAt: 0,
    reservedGen: 0,
    reserveBlock: 0,
    lastSyncReserveMs: -Infinity,
    failedOut: 0,
  };
}

function checkSeq(seq: number): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) {
    throw new FixgError("STORE_BAD_SEQ", `Sequence number ${seq} cannot be journaled (0 .. ${MAX_SEQ})`);
  }
}

function promiseOf(b: Batch): Promise<void> {
  if (b.promise === undefined) {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    // Callers may ignore an append's promise (the contract allows it): never an unhandled rejection.
    promise.catch(() => {});
    b.promise = promise;
    b.resolve = resolve;
    b.reject = reject;
  }
  return b.promise;
}

function rejected(e: Error): Promise<void> {
  const p = Promise.reject(e);
  p.catch(() => {});
  return p;
}

function growBatch(b: Batch, need: number): void {
  let n = b.buf.length * 2;
  while (n < need) n *= 2;
  const buf = new Uint8Array(n);
  buf.set(b.buf.subarray(0, b.len));
  b.buf = buf;
  b.dv = dataViewOf(buf);
}

/**
 * Checks every record an index lists against the segment's bytes: whole, CRC right, and the header
 * fields the index recorded. Undefined when all match, otherwise what is wrong with the first bad one.
 */
function checkIndexed(buf: Uint8Array, e: IndexEntries): string | undefined {
  const h = readSegmentHeader(buf);
  if (typeof h === "string") return h;
  const dv = dataViewOf(buf);
  for (let i = 0; i < e.count; i++) {
    const off = e.offsets[i]!;
    const len = checkRecord(buf, dv, off, buf.length);
    if (len !== e.lengths[i]) return `the record at byte ${off} fails its check (CRC or framing)`;
    if (
      buf[off + 8]! !== (e.typeDirs[i]! & 0xff) || buf[off + 9]! !== e.typeDirs[i]! >> 8 ||
      dv.getUint32(off + 12, true) !== e.sessionIds[i] || dv.getUint32(off + 20, true) !== e.seqs[i]
    ) return `the record at byte ${off} differs from its index entry`;
  }
  return undefined;
}

/** Index entries at or after byte `offset`. */
function countFrom(e: IndexEntries, offset: number): number {
  let k = 0;
  for (let i = 0; i < e.count; i++) if (e.offsets[i]! >= offset) k++;
  return k;
}

function lastWallMs(e: IndexEntries, path: string): number {
  let max = 0;
  for (let i = 0; i < e.count; i++) if (e.wallMs[i]! > max) max = e.wallMs[i]!;
  if (max > 0) return max;
  try {
    return Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    return 0;
  }
}

function syncDirectory(dir: string): void {
  // A new segment's directory entry must be durable too, or a power cut could lose the whole file.
  try {
    const d = Deno.openSync(dir, { read: true });
    try {
      d.syncSync();
    } finally {
      d.close();
    }
  } catch {
    // Some file systems refuse to sync a directory; the data itself was synced.
  }
}
