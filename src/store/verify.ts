/**
 * `fixg journal verify`: every record's framing and CRC, sequence continuity per session and
 * direction, the session tables at segment heads and the derived index files. Read-only.
 */
import { DirCode, indexFileName, RecordFields, RecordType, SEGMENT_HEADER_BYTES } from "./format.ts";
import { decodeIndex, type IndexEntries, indexFromScan } from "./index_format.ts";
import { indexMismatch, loadEntry } from "./index_check.ts";
import { JournalLock, type LockHolder } from "./lock.ts";
import { listSegments, type SegmentInfo } from "./record_reader.ts";
import { readJournalFile } from "./files.ts";
import { readHighWater } from "./highwater.ts";

/** A problem verify found, located by segment file and byte offset. */
export interface VerifyProblem {
  kind:
    | "torn-tail"
    | "corrupt"
    | "bad-segment-header"
    | "missing-segments"
    | "seq-gap"
    | "seq-duplicate"
    | "session-table-mismatch"
    | "unknown-session"
    | "session-table-missing"
    | "index-stale";
  file: string;
  offset: number;
  message: string;
}

/** First and last sequence numbers of one direction of one epoch. */
export interface SeqRange {
  first: number;
  last: number;
  count: number;
}

/** One epoch of a session as found in the journal. */
export interface EpochSummary {
  epoch: number;
  /** Creation time of the epoch when the journal holds it (its reset or first session-open). */
  createdMs: number | undefined;
  out: SeqRange | undefined;
  in: SeqRange | undefined;
}

/** What verify reports. */
export interface VerifyReport {
  dir: string;
  segments: number;
  bytes: number;
  records: number;
  messages: number;
  sessions: Array<
    { id: number; key: string; nextSenderSeq: number; nextTargetSeq: number; epochs: EpochSummary[] }
  >;
  problems: VerifyProblem[];
  /** Facts worth knowing that are not problems (missing derived index files, a live tail). */
  notes: string[];
  /** The live process holding the journal, if any. */
  heldBy: LockHolder | undefined;
}

/** Sequence state verify tracks per session. */
interface VerifySession {
  id: number;
  key: string;
  epoch: number;
  nextOut: number;
  nextIn: number;
  epochs: EpochSummary[];
}

/**
 * Checks every record's framing and CRC, sequence continuity per session and direction, the
 * session tables at segment heads and the derived index files. Throws FixgError (exit code 2) when
 * `dir` is not a journal.
 */
export function verifyJournal(
  dir: string,
  options: { onProgress?: (doneBytes: number, totalBytes: number) => void } = {},
): VerifyReport {
  const d = dir.replace(/\/+$/, "") || "/";
  const segments = listSegments(d);
  const heldBy = JournalLock.holder(d);
  const report: VerifyReport = {
    dir: d,
    segments: segments.length,
    bytes: 0,
    records: 0,
    messages: 0,
    sessions: [],
    problems: [],
    notes: [],
    heldBy,
  };
  for (const s of segments) report.bytes += s.bytes;
  const sessions = new Map<number, VerifySession>();
  let done = 0;
  let indexed = 0;
  let prev: number | undefined;
  /** The last segment's index is present and describes it exactly (sealed). */
  let newestSealed = false;
  const entry = new RecordFields();
  for (const seg of segments) {
    if (prev !== undefined && seg.segment !== prev + 1) {
      report.problems.push({
        kind: "missing-segments",
        file: seg.file,
        offset: 0,
        message: `segments ${prev + 1}..${seg.segment - 1} are missing before this one`,
      });
    }
    prev = seg.segment;
    const buf = readJournalFile(seg.path);
    const isLast = seg === segments[segments.length - 1];
    const { index, scan } = indexFromScan(buf);
    report.records += scan.records;
    const h = scan.header;
    if (typeof h === "string" || h.segment !== seg.segment) {
      report.problems.push({
        kind: "bad-segment-header",
        file: seg.file,
        offset: 0,
        message: typeof h === "string" ? h : `header says segment ${h.segment}`,
      });
    }
    // Sequence checks walk the index entries (same fields as the records, in order).
    for (let i = 0; i < index.count; i++) {
      checkSequence(sessions, index, loadEntry(entry, index, i), i, seg, report);
    }
    for (const dmg of scan.damaged) {
      if (dmg.kind === "torn-tail" && isLast && heldBy !== undefined) {
        report.notes.push(`${seg.file}@${dmg.offset}: ${dmg.length} bytes being written by the live gateway`);
        continue;
      }
      report.problems.push({
        kind: dmg.kind,
        file: seg.file,
        offset: dmg.offset,
        message: dmg.kind === "torn-tail"
          ? `${dmg.length} bytes at the end are not a whole record (${dmg.reason}); the gateway truncates it at its next start, repair keeps the bytes in quarantine/`
          : `${dmg.length} bytes are not valid records (${dmg.reason}); valid records follow`,
      });
    }
    // The derived index, when present, must describe exactly these records.
    let idxBytes: Uint8Array | undefined;
    try {
      idxBytes = Deno.readFileSync(`${d}/${indexFileName(seg.segment)}`);
    } catch {
      idxBytes = undefined;
    }
    if (idxBytes !== undefined) {
      indexed++;
      const decoded = decodeIndex(idxBytes);
      const why = indexMismatch(decoded, seg.segment, buf.length, index);
      if (why !== undefined) {
        const shortened = typeof decoded !== "string" && decoded.segment === seg.segment &&
          decoded.coveredBytes > buf.length;
        report.problems.push({
          kind: "index-stale",
          file: indexFileName(seg.segment),
          offset: 0,
          message: shortened
            ? `${why}: the segment was cut short and the records past byte ${buf.length} are lost; start-up refuses it until "fixg journal repair" rebuilds the index`
            : `${why}; it is rebuilt from the records at the next open (or by repair)`,
        });
      } else if (isLast) newestSealed = true;
    } else if (scan.records === 0 && scan.damaged.length === 0 && sessions.size > 0) {
      // Every segment a gateway starts begins with the session table.
      report.problems.push({
        kind: "session-table-missing",
        file: seg.file,
        offset: SEGMENT_HEADER_BYTES,
        message: `the segment holds only its header although earlier segments know ${sessions.size} session${
          sessions.size === 1 ? "" : "s"
        }: cut to its header? Start-up refuses it until "fixg journal repair" writes its index`,
      });
    }
    done += seg.bytes;
    options.onProgress?.(done, report.bytes);
  }
  if (newestSealed && heldBy === undefined && readHighWater(d, new Map()).state === "running") {
    // A run leaves the segment it writes unsealed until it closes (journal_recovery.ts, lastSealed).
    report.notes.push(
      `the newest segment ${
        segments[segments.length - 1]!.file
      } is sealed, but HIGHWATER says the last run did not close: the segment it was writing may be missing (deleted?), or a start failed; the next start resumes every session above its reserved numbers`,
    );
  }
  const dead = heldBy === undefined ? JournalLock.deadHolder(d) : undefined;
  if (dead !== undefined) {
    report.notes.push(
      `the lock names pid ${dead.pid} on ${dead.host} (since ${dead.sinceIso}), which is gone: that ${dead.purpose} stopped without closing the journal (a crash or kill -9); its next start recovers the tail`,
    );
  }
  const missingIdx = segments.length - indexed;
  if (missingIdx > 0) {
    report.notes.push(
      `${missingIdx} of ${segments.length} segments have no index file (the active or last-crashed segment has none; the gateway rebuilds missing ones at open)`,
    );
  }
  for (const s of sessions.values()) {
    report.sessions.push({
      id: s.id,
      key: s.key,
      nextSenderSeq: s.nextOut,
      nextTargetSeq: s.nextIn,
      epochs: s.epochs,
    });
  }
  report.sessions.sort((a, b) => a.id - b.id);
  // In file order: a segment's problems by offset, its index file's after them.
  const rank = (
    p: VerifyProblem,
  ) => [Number(p.file.slice(0, 10)) || 0, p.file.endsWith(".idx") ? 1 : 0, p.offset];
  report.problems.sort((a, b) => {
    const x = rank(a), y = rank(b);
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });
  for (const s of report.sessions) {
    for (const e of s.epochs) if (e.out) report.messages += e.out.count;
    for (const e of s.epochs) if (e.in) report.messages += e.in.count;
  }
  return report;
}

function checkSequence(
  sessions: Map<number, VerifySession>,
  e: IndexEntries,
  x: RecordFields,
  i: number,
  seg: SegmentInfo,
  report: VerifyReport,
): void {
  const { type, dir, sessionId: sid, epoch, seq, seq2, offset } = x;
  let s = sessions.get(sid);
  if (type === RecordType.SessionOpen) {
    const k = e.keys.get(sid);
    if (s === undefined) {
      s = { id: sid, key: k?.key ?? `#${sid}`, epoch, nextOut: seq, nextIn: seq2, epochs: [] };
      s.epochs.push({ epoch, createdMs: k?.creationMs, out: undefined, in: undefined });
      sessions.set(sid, s);
      return;
    }
    if (s.epoch !== epoch || s.nextOut !== seq || s.nextIn !== seq2) {
      report.problems.push({
        kind: "session-table-mismatch",
        file: seg.file,
        offset,
        message:
          `${s.key}: the segment's session table says epoch ${epoch} next ${seq}/${seq2}, the records before say epoch ${s.epoch} next ${s.nextOut}/${s.nextIn} (records lost in between?)`,
      });
      if (s.epoch !== epoch) {
        s.epochs.push({ epoch, createdMs: k?.creationMs, out: undefined, in: undefined });
      }
      s.epoch = epoch;
      s.nextOut = seq;
      s.nextIn = seq2;
    }
    return;
  }
  if (s === undefined) {
    report.problems.push({
      kind: "unknown-session",
      file: seg.file,
      offset,
      message: `record of session id ${sid} without a session-open record before it`,
    });
    s = {
      id: sid,
      key: `#${sid}`,
      epoch,
      nextOut: 1,
      nextIn: 1,
      epochs: [{ epoch, createdMs: undefined, out: undefined, in: undefined }],
    };
    sessions.set(sid, s);
  }
  if (type === RecordType.SeqReset) {
    s.epoch = epoch;
    s.nextOut = seq;
    s.nextIn = seq2;
    s.epochs.push({ epoch, createdMs: e.wallMs[i]!, out: undefined, in: undefined });
    return;
  }
  if (type === RecordType.SetSeq) {
    s.nextOut = seq;
    s.nextIn = seq2;
    return;
  }
  const out = dir === DirCode.Out;
  const expected = out ? s.nextOut : s.nextIn;
  const dirName = out ? "out" : "in";
  if (seq > expected) {
    report.problems.push({
      kind: "seq-gap",
      file: seg.file,
      offset,
      message: `${s.key} ${dirName}: expected ${expected}, found ${seq} (${seq - expected} missing)`,
    });
  } else if (seq < expected) {
    report.problems.push({
      kind: "seq-duplicate",
      file: seg.file,
      offset,
      message: `${s.key} ${dirName}: ${seq} again, expected ${expected}`,
    });
  }
  if (out) s.nextOut = seq + 1;
  else s.nextIn = seq + 1;
  const ep = s.epochs[s.epochs.length - 1]!;
  const range = out ? ep.out : ep.in;
  if (range === undefined) {
    const r = { first: seq, last: seq, count: 1 };
    if (out) ep.out = r;
    else ep.in = r;
  } else {
    range.last = seq;
    range.count++;
  }
}
