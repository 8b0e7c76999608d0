/**
 * Start-up of the file journal: rebuilds every session from the segments (index files where valid,
 * scans otherwise), truncates a torn tail of the segment a crash left (its bytes kept in quarantine/),
 * and refuses damage that is not a torn tail (JournalCorruptError naming segment and byte; `onCorrupt:
 * "skip"` warns instead): missing segments, a sealed segment cut short, sequence numbers that go back.
 */
import { EnvironmentError, JournalCorruptError } from "../errors.ts";
import {
  DirCode,
  indexFileName,
  JOURNAL_DIR_MODE,
  JOURNAL_FILE_MODE,
  parseSegmentFileName,
  RecordFields,
  RecordType,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
  sessionGoesBack,
} from "./format.ts";
import { decodeIndex, type IndexEntries, indexFromScan } from "./index_format.ts";
import { quarantineName, readJournalFile, refuseOtherFormat, writeIndexSync } from "./files.ts";
import { advancePosition, checkIndexed, loadEntry } from "./index_check.ts";
import type { ResolvedOptions } from "./journal_options.ts";
import { newState, type SealedSegment, type SessionTable } from "./journal_state.ts";
import { markRepaired } from "./highwater.ts";
import { errorText } from "./lock.ts";

/** What recovery found besides the sessions: the sealed segments, oldest first, and the last segment's number. */
export interface Recovered {
  sealed: SealedSegment[];
  /** The newest segment kept (0 when there is none): this run writes the next one. */
  lastSegment: number;
  /**
   * Records were dropped at this start (a damaged tail truncated, a damaged region skipped): their
   * messages may have reached the counterparty, so the high-water reservations count.
   */
  droppedRecords: boolean;
  /**
   * The newest segment kept was sealed before this start (its index file valid and complete): the run
   * that wrote it either closed cleanly or went on to a newer segment, which is then missing.
   */
  lastSealed: boolean;
}

/**
 * Recovers the journal in `o.dir` into `sessions`. Throws JournalCorruptError for damage other than a
 * torn tail (unless `o.onCorrupt` is "skip").
 */
export function recoverJournal(o: ResolvedOptions, sessions: SessionTable): Recovered {
  return new Recovery(o, sessions).run();
}

class Recovery {
  readonly #o: ResolvedOptions;
  readonly #sessions: SessionTable;
  readonly #sealed: SealedSegment[] = [];
  #lastSegment = 0;
  #dropped = false;
  /** The segment #recoverSegment just kept was recovered from its valid index (sealed before this start). */
  #fromIndex = false;
  #lastSealed = false;
  readonly #unknownWarned = new Set<number>();
  /** A scanned segment whose index waits for the next segment's session table to agree. */
  #rebuilt: { n: number; covered: number; index: IndexEntries } | undefined;

  constructor(o: ResolvedOptions, sessions: SessionTable) {
    this.#o = o;
    this.#sessions = sessions;
  }

  /** Rebuilds every session from the segments (index files where valid, scans otherwise). */
  run(): Recovered {
    const dir = this.#o.dir;
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
    refuseOtherFormat(dir, segs.map(segmentFileName));
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
      if (this.#recoverSegment(n, i === segs.length - 1)) {
        this.#lastSegment = n;
        this.#lastSealed = this.#fromIndex;
      }
      if (pending !== undefined) {
        writeIndexSync(this.#o.dir, pending.n, pending.covered, pending.index, this.#o.onWarning);
        if (this.#rebuilt === pending) this.#rebuilt = undefined;
      }
    }
    if (this.#rebuilt !== undefined) {
      writeIndexSync(
        this.#o.dir,
        this.#rebuilt.n,
        this.#rebuilt.covered,
        this.#rebuilt.index,
        this.#o.onWarning,
      );
      this.#rebuilt = undefined;
    }
    return {
      sealed: this.#sealed,
      lastSegment: this.#lastSegment,
      droppedRecords: this.#dropped,
      lastSealed: this.#lastSealed,
    };
  }

  /** Recovers one segment; false when it was removed (created by a crash before its header was written). */
  #recoverSegment(n: number, isLast: boolean): boolean {
    const dir = this.#o.dir;
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
        (buf = readJournalFile(segPath), checkIndexed(buf, idx)) !== undefined
      ) {
        sealedBytes = size;
        why = checkIndexed(buf, idx)!;
      } else {
        this.#replay(n, idx);
        this.#sealed.push(sealedSegment(n, size, idx, segPath));
        this.#fromIndex = true;
        return true;
      }
    }
    buf ??= readJournalFile(segPath);
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
      this.#o.onWarning(
        `journal "${dir}": removed ${
          segmentFileName(n)
        } (${size} bytes, cut short before its header was written)`,
      );
      return false;
    }
    this.#fromIndex = false;
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
    let indexed = false;
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
      // A record cut short was being written when the process died: its message never left (the
      // engine writes to the socket only after the record's write(2)). Damaged bytes may have been sent:
      // HIGHWATER says "repaired" before they go, as repair does, so a start that stops before it has
      // written its marks (a crash, a failure) leaves the next one counting the reservations; the
      // segment, once cut, no longer shows it.
      if (!d.cutShort) {
        this.#markDropped(n);
        this.#dropped = true;
      }
      // Its index too before the cut: a start that stops right after it (a crash) leaves the segment
      // indexed as cut. Else a torn first record, cut back to the header, would leave a segment holding
      // only its header and no index, which the next start refuses as cut to its header (see below).
      writeIndexSync(this.#o.dir, n, d.offset, index, this.#o.onWarning);
      indexed = true;
      this.#truncate(n, segPath, d.offset);
      covered = d.offset;
      this.#o.onWarning(
        `journal "${dir}": truncated a torn record at the end of ${
          segmentFileName(n)
        } (${d.length} bytes at offset ${d.offset}: ${d.reason}); the bytes are kept in quarantine/`,
      );
    }
    // Every segment a gateway starts begins with the session table: one holding nothing after its
    // header, while earlier segments know sessions, was cut to its header (its records are lost).
    if (scan.records === 0 && scan.damaged.length === 0 && this.#sessions.size > 0 && why === "missing") {
      this.#corrupt(
        n,
        SEGMENT_HEADER_BYTES,
        0,
        `the segment holds only its header (no session table) although earlier segments know ${this.#sessions.size} session${
          this.#sessions.size === 1 ? "" : "s"
        }: cut to its header?`,
      );
    }
    // The last segment has no index after a crash: rebuilding it is the normal path, not news.
    if (why !== "missing" || !isLast) {
      this.#o.onWarning(`journal "${dir}": rebuilt the index of ${segmentFileName(n)} (${why})`);
    }
    this.#replay(n, index);
    // A segment followed by others: its index is written once the next segment's session table
    // agrees with where its records end (see #replay), or a refused start would leave it trusted.
    if (isLast && !indexed) writeIndexSync(this.#o.dir, n, covered, index, this.#o.onWarning);
    else this.#rebuilt = { n, covered, index };
    this.#sealed.push(sealedSegment(n, covered, index, segPath));
    return true;
  }

  #corrupt(n: number, offset: number, length: number, reason: string): void {
    const where = length === 0
      ? `${segmentFileName(n)} at byte ${offset} (${reason})`
      : `${segmentFileName(n)} at byte ${offset} (${length} bytes: ${reason})`;
    if (this.#o.onCorrupt === "skip") {
      this.#dropped = true;
      this.#o.onWarning(
        `journal "${this.#o.dir}": skipped a damaged region in ${where}; run "fixg journal repair" to quarantine it`,
      );
      return;
    }
    throw new JournalCorruptError(
      `Journal "${this.#o.dir}" is damaged in ${where}. Run "fixg journal verify ${this.#o.dir}" for every problem and "fixg journal repair ${this.#o.dir}" to move the damaged bytes to quarantine/ (good records are kept)`,
    );
  }

  /**
   * Keeps bytes about to be cut from segment `n` in quarantine/. A failure (a full disk, a quota) is an
   * EnvironmentError in one line, before anything is cut: the segment stays as it was.
   */
  #quarantine(n: number, offset: number, bytes: Uint8Array, what: string): void {
    const qdir = `${this.#o.dir}/quarantine`;
    let path = qdir;
    try {
      Deno.mkdirSync(qdir, { recursive: true, mode: JOURNAL_DIR_MODE });
      path = `${this.#o.dir}/${quarantineName(this.#o.dir, segmentFileName(n), offset, what)}`;
      Deno.writeFileSync(path, bytes, { mode: JOURNAL_FILE_MODE });
    } catch (e) {
      throw new EnvironmentError(
        `Journal "${this.#o.dir}": cannot keep the torn bytes of ${segmentFileName(n)} in "${path}": ${
          errorText(e).replace(/: [a-z]+ '.*'$/, "")
        }; ${segmentFileName(n)} is unchanged`,
        { cause: e },
      );
    }
  }

  /** HIGHWATER's state becomes "repaired" (synced) before records of segment `n` are cut; EnvironmentError on failure. */
  #markDropped(n: number): void {
    try {
      markRepaired(this.#o.dir);
    } catch (e) {
      throw new EnvironmentError(
        `Journal "${this.#o.dir}": cannot write "${this.#o.dir}/HIGHWATER" before cutting the damaged tail of ${
          segmentFileName(n)
        }: ${errorText(e).replace(/: [a-z]+ '.*'$/, "")}; ${segmentFileName(n)} is unchanged`,
        { cause: e },
      );
    }
  }

  /** Cuts segment `n` at `offset` (its tail kept in quarantine/ first), synced; EnvironmentError on failure. */
  #truncate(n: number, path: string, offset: number): void {
    try {
      const f = Deno.openSync(path, { write: true });
      try {
        f.truncateSync(offset);
        f.syncDataSync();
      } finally {
        f.close();
      }
    } catch (e) {
      throw new EnvironmentError(
        `Journal "${this.#o.dir}": cannot truncate ${segmentFileName(n)} at byte ${offset}: ${
          errorText(e).replace(/: [a-z]+ '.*'$/, "")
        }`,
        { cause: e },
      );
    }
  }

  /** Applies index entries (from an index file or a scan) to the session table. */
  #replay(segment: number, e: IndexEntries): void {
    const entry = new RecordFields();
    for (let i = 0; i < e.count; i++) {
      const { type, dir, sessionId: sid, epoch, seq, seq2 } = loadEntry(entry, e, i);
      if (type === RecordType.SessionOpen) {
        const k = e.keys.get(sid);
        if (k === undefined) continue;
        let s = this.#sessions.byId.get(sid);
        if (s === undefined) {
          s = newState(sid, k.key, epoch, k.creationMs, seq, seq2);
          this.#sessions.register(s);
        } else {
          // The session table at a segment's head repeats the state the segments before it left. Lower
          // numbers or an older epoch mean an old segment copied in: starting from it would reuse
          // numbers the counterparty has seen. Never skipped (onCorrupt "skip" steps over damaged bytes only).
          const back = sessionGoesBack(k.key, epoch, seq, seq2, s);
          if (back !== undefined) {
            throw new JournalCorruptError(
              `Journal "${this.#o.dir}" is damaged in ${segmentFileName(segment)} at byte ${
                e.offsets[i]
              }: its sequence numbers go back (${back}); an older segment copied in? Run "fixg journal verify ${this.#o.dir}" and "fixg journal repair ${this.#o.dir}" (it moves such a segment to quarantine/)`,
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
      const s = this.#sessions.byId.get(sid);
      if (s === undefined) {
        if (!this.#unknownWarned.has(sid)) {
          this.#unknownWarned.add(sid);
          this.#o.onWarning(
            `journal "${this.#o.dir}": records of session id ${sid} in ${
              segmentFileName(segment)
            } have no session-open record; ignored`,
          );
        }
        continue;
      }
      const change = advancePosition(s, entry);
      if (change === "stale") continue;
      if (change === "new-epoch") s.out.clear();
      if (type === RecordType.SeqReset) s.creationMs = entry.wallMs;
      else if (type === RecordType.Message && dir === DirCode.Out) {
        s.out.add(seq, segment, entry.offset, entry.length);
      }
    }
  }
}

/** Index entries at or after byte `offset`. */
function countFrom(e: IndexEntries, offset: number): number {
  let k = 0;
  for (let i = 0; i < e.count; i++) if (e.offsets[i]! >= offset) k++;
  return k;
}

/** A recovered segment of `bytes` bytes with entries `e`: its age is its newest record's time (else the file's). */
function sealedSegment(n: number, bytes: number, e: IndexEntries, path: string): SealedSegment {
  return { segment: n, bytes, lastWallMs: lastWallMs(e, path), index: undefined };
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
