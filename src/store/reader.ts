/**
 * The journal reader behind `fixg journal`: iterates records with their segment and byte offset,
 * checks framing and CRCs, follows a live journal, and computes the verify and stats reports.
 * It never writes (repair lives in ./repair.ts) and works on a journal a gateway holds.
 */
import { latin1String } from "../codec/ascii.ts";
import { FixgError } from "../errors.ts";
import {
  checkRecord,
  type DamagedRegion,
  dataViewOf,
  decodeIndex,
  DirCode,
  findNextRecord,
  indexFileName,
  indexFromScan,
  parseSegmentFileName,
  parseSessionOpenPayload,
  RECORD_TYPE_NAMES,
  RecordFields,
  RecordType,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
} from "./format.ts";
import { existsSync } from "./files.ts";
import { JournalLock, type LockHolder } from "./lock.ts";

/** A segment file of a journal. */
export interface SegmentInfo {
  segment: number;
  /** File name, e.g. "0000000001.seg". */
  file: string;
  path: string;
  bytes: number;
}

/** One record as tools see it. `payload` points into the reader's buffer: copy it to keep it. */
export interface JournalRecord {
  segment: number;
  /** Segment file name. */
  file: string;
  /** Byte offset of the record in its segment. */
  offset: number;
  /** Record bytes, header included. */
  length: number;
  type: "message" | "seq-reset" | "set-seq" | "session-open";
  /** Messages only. */
  direction: "in" | "out" | undefined;
  sessionId: number;
  /** The session key from its session-open record ("#<id>" if none was seen). */
  sessionKey: string;
  epoch: number;
  /** Message: MsgSeqNum; other records: nextSenderSeq after the record. */
  seq: number;
  /** Other records: nextTargetSeq after the record; messages: 0. */
  seq2: number;
  monoNs: number;
  wallMs: number;
  /** session-open: the epoch's creation time. */
  creationMs: number | undefined;
  /** Raw FIX bytes of a message; empty for other records. */
  payload: Uint8Array;
}

/** A damaged region, with the segment it is in. */
export interface SegmentDamage extends DamagedRegion {
  segment: number;
  file: string;
}

/** Lists the segments of `dir`, or throws FixgError (exit code 2) when `dir` is not a journal. */
export function listSegments(dir: string): SegmentInfo[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (e) {
    throw unusable(`Cannot read journal directory "${dir}": ${e instanceof Error ? e.message : String(e)}`);
  }
  const out: SegmentInfo[] = [];
  for (const e of entries) {
    const n = e.isFile ? parseSegmentFileName(e.name) : undefined;
    if (n === undefined) continue;
    const path = `${dir}/${e.name}`;
    out.push({ segment: n, file: e.name, path, bytes: Deno.statSync(path).size });
  }
  if (out.length === 0) throw unusable(`"${dir}" is not a fixg journal (no segment files)`);
  return out.sort((a, b) => a.segment - b.segment);
}

function unusable(message: string): FixgError {
  return new FixgError("JOURNAL_UNUSABLE", message, { exitCode: 2 });
}

/** Reads the records of a journal directory in order. */
export class JournalReader {
  readonly dir: string;
  /** Segments found when the reader was opened. */
  readonly segments: SegmentInfo[];
  readonly #keys = new Map<number, string>();
  #lastSegment = 0;
  #lastEnd = SEGMENT_HEADER_BYTES;

  private constructor(dir: string, segments: SegmentInfo[]) {
    this.dir = dir;
    this.segments = segments;
  }

  /** Opens a journal directory for reading (throws FixgError exit code 2 when it is not one). */
  static open(dir: string): JournalReader {
    const d = dir.replace(/\/+$/, "") || "/";
    return new JournalReader(d, listSegments(d));
  }

  /**
   * A reader of some of a journal's segments only (from `listSegments`): every segment starts with the
   * session table, so session keys resolve in any subset. For readers that walk back from the newest.
   */
  static ofSegments(dir: string, segments: SegmentInfo[]): JournalReader {
    return new JournalReader(dir.replace(/\/+$/, "") || "/", segments);
  }

  /** Total bytes of the segments. */
  get totalBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.bytes;
    return n;
  }

  /** Session key of a session id, as learned from the records read so far. */
  sessionKey(id: number): string {
    return this.#keys.get(id) ?? `#${id}`;
  }

  /**
   * Calls `visit` for every valid record in order (return false to stop), `onDamage` for every
   * damaged region, `onSegmentDone` after each segment (for progress).
   */
  forEach(
    visit: (r: JournalRecord) => boolean | void,
    options: { onDamage?: (d: SegmentDamage) => void; onSegmentDone?: (s: SegmentInfo) => void } = {},
  ): void {
    for (const seg of this.segments) {
      let buf: Uint8Array;
      try {
        buf = Deno.readFileSync(seg.path);
      } catch (e) {
        // Deleted by retention since the listing: skip it like the gateway would.
        if (e instanceof Deno.errors.NotFound) continue;
        throw e;
      }
      let stopped = false;
      const dv = dataViewOf(buf);
      const r = new RecordFields();
      let pos = SEGMENT_HEADER_BYTES;
      this.#lastSegment = seg.segment;
      this.#lastEnd = SEGMENT_HEADER_BYTES;
      while (pos < buf.length && !stopped) {
        const len = checkRecord(buf, dv, pos, buf.length);
        if (len > 0) {
          if (visit(this.#toRecord(seg, r.load(buf, dv, pos, len, pos), buf)) === false) stopped = true;
          pos += len;
          this.#lastEnd = pos;
          continue;
        }
        const next = findNextRecord(buf, dv, pos + 1, buf.length);
        const d: SegmentDamage = {
          segment: seg.segment,
          file: seg.file,
          kind: next < 0 ? "torn-tail" : "corrupt",
          offset: pos,
          length: (next < 0 ? buf.length : next) - pos,
          reason: len === -1 ? "record cut short" : "invalid record (bad length, type or CRC)",
        };
        options.onDamage?.(d);
        if (next < 0) break;
        pos = next;
      }
      options.onSegmentDone?.(seg);
      if (stopped) return;
    }
  }

  /**
   * Tails the journal after the records forEach visited: polls for new records (in the last segment
   * and in segments created later) until `signal` aborts.
   */
  async follow(
    visit: (r: JournalRecord) => void,
    options: { signal: AbortSignal; pollMs?: number },
  ): Promise<void> {
    const pollMs = options.pollMs ?? 200;
    let seg = this.#lastSegment;
    let off = this.#lastEnd;
    let carry = new Uint8Array(0);
    const r = new RecordFields();
    while (!options.signal.aborted) {
      const info: SegmentInfo = {
        segment: seg,
        file: segmentFileName(seg),
        path: `${this.dir}/${segmentFileName(seg)}`,
        bytes: 0,
      };
      const chunk = readFrom(info.path, off + carry.length);
      let progressed = false;
      if (chunk.length > 0) {
        const data = concat(carry, chunk);
        const dv = dataViewOf(data);
        let pos = 0;
        while (pos < data.length) {
          const len = checkRecord(data, dv, pos, data.length);
          if (len > 0) {
            visit(this.#toRecord(info, r.load(data, dv, pos, len, off + pos), data));
            pos += len;
            continue;
          }
          if (len === -1) break;
          const next = findNextRecord(data, dv, pos + 1, data.length);
          if (next < 0) break;
          pos = next;
        }
        off += pos;
        carry = data.slice(pos);
        progressed = pos > 0;
      }
      if (!progressed) {
        const nextPath = `${this.dir}/${segmentFileName(seg + 1)}`;
        if (existsSync(nextPath) && readFrom(info.path, off + carry.length).length === 0) {
          seg++;
          off = SEGMENT_HEADER_BYTES;
          carry = new Uint8Array(0);
          continue;
        }
        await sleep(pollMs, options.signal);
      }
    }
  }

  #toRecord(seg: SegmentInfo, r: RecordFields, buf: Uint8Array): JournalRecord {
    let creationMs: number | undefined;
    if (r.type === RecordType.SessionOpen) {
      const p = parseSessionOpenPayload(buf, r.payloadStart, r.payloadEnd);
      this.#keys.set(r.sessionId, p.key);
      creationMs = p.creationMs;
    }
    return {
      segment: seg.segment,
      file: seg.file,
      offset: r.offset,
      length: r.length,
      type: RECORD_TYPE_NAMES[r.type] as JournalRecord["type"],
      direction: r.type !== RecordType.Message ? undefined : r.dir === DirCode.In ? "in" : "out",
      sessionId: r.sessionId,
      sessionKey: this.sessionKey(r.sessionId),
      epoch: r.epoch,
      seq: r.seq,
      seq2: r.seq2,
      monoNs: r.monoNs,
      wallMs: r.wallMs,
      creationMs,
      payload: r.type === RecordType.Message ? buf.subarray(r.payloadStart, r.payloadEnd) : new Uint8Array(0),
    };
  }
}

/** MsgType (35) of a FIX message, "" when absent. Cheap: finds the first "\x0135=". */
export function msgTypeOf(payload: Uint8Array): string {
  for (let i = 0; i + 4 < payload.length; i++) {
    if (
      payload[i] === 0x01 && payload[i + 1] === 0x33 && payload[i + 2] === 0x35 && payload[i + 3] === 0x3d
    ) {
      const s = i + 4;
      let e = s;
      while (e < payload.length && payload[e] !== 0x01) e++;
      return latin1String(payload, s, e);
    }
  }
  return "";
}

/** BeginString (8) of a FIX message, "" when it does not start with "8=". */
export function beginStringOf(payload: Uint8Array): string {
  if (payload[0] !== 0x38 || payload[1] !== 0x3d) return "";
  let e = 2;
  while (e < payload.length && payload[e] !== 0x01) e++;
  return latin1String(payload, 2, e);
}

function readFrom(path: string, offset: number): Uint8Array {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(path, { read: true });
  } catch {
    return new Uint8Array(0);
  }
  try {
    const size = f.statSync().size;
    if (size <= offset) return new Uint8Array(0);
    const buf = new Uint8Array(size - offset);
    f.seekSync(offset, Deno.SeekMode.Start);
    let got = 0;
    while (got < buf.length) {
      const n = f.readSync(buf.subarray(got));
      if (n === null || n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    f.close();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

// ------------------------------------------------------------------------------------------ verify

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
    const buf = Deno.readFileSync(seg.path);
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
      checkSequence(sessions, index, i, seg, report);
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
      const why = compareIndex(decoded, seg, buf.length, index);
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
      }
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

function compareIndex(
  idx: ReturnType<typeof decodeIndex>,
  seg: SegmentInfo,
  size: number,
  scanned: ReturnType<typeof indexFromScan>["index"],
): string | undefined {
  if (typeof idx === "string") return idx;
  if (idx.segment !== seg.segment) return `it describes segment ${idx.segment}`;
  if (idx.coveredBytes !== size) return `it covers ${idx.coveredBytes} bytes, the segment has ${size}`;
  if (idx.count !== scanned.count) return `it lists ${idx.count} records, the segment has ${scanned.count}`;
  for (let i = 0; i < idx.count; i++) {
    if (
      idx.offsets[i] !== scanned.offsets[i] || idx.lengths[i] !== scanned.lengths[i] ||
      idx.sessionIds[i] !== scanned.sessionIds[i] || idx.epochs[i] !== scanned.epochs[i] ||
      idx.seqs[i] !== scanned.seqs[i] || idx.seqs2[i] !== scanned.seqs2[i] ||
      idx.typeDirs[i] !== scanned.typeDirs[i]
    ) {
      return `entry ${i} (record at byte ${scanned.offsets[i] ?? idx.offsets[i]}) differs from the record`;
    }
  }
  return undefined;
}

function checkSequence(
  sessions: Map<number, VerifySession>,
  e: ReturnType<typeof indexFromScan>["index"],
  i: number,
  seg: SegmentInfo,
  report: VerifyReport,
): void {
  const td = e.typeDirs[i]!;
  const type = td & 0xff;
  const sid = e.sessionIds[i]!;
  const epoch = e.epochs[i]!;
  const seq = e.seqs[i]!;
  const seq2 = e.seqs2[i]!;
  const offset = e.offsets[i]!;
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
  const out = td >> 8 === DirCode.Out;
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

// ------------------------------------------------------------------------------------------- stats

/** Counts of one MsgType. */
export interface TypeStats {
  msgType: string;
  /** BeginString of the first message of this type (to name it with the right dictionary). */
  beginString: string;
  in: number;
  out: number;
  bytes: number;
}

/** What `fixg journal stats` reports. */
export interface JournalStats {
  dir: string;
  segments: number;
  bytes: number;
  records: { message: number; "seq-reset": number; "set-seq": number; "session-open": number };
  damagedRegions: number;
  byType: TypeStats[];
  bySession: Array<{ key: string; in: number; out: number }>;
  messageBytes: { min: number; max: number; avg: number; total: number };
  /** Wall-clock span of the messages and their rate. */
  rate: {
    firstMs: number;
    lastMs: number;
    seconds: number;
    avgPerSecond: number;
    peakPerSecond: number;
    peakAtMs: number;
  } | undefined;
}

/** Message counts per type, session and second, and sizes. */
export function journalStats(
  dir: string,
  options: { onProgress?: (doneBytes: number, totalBytes: number) => void } = {},
): JournalStats {
  const reader = JournalReader.open(dir);
  const types = new Map<string, TypeStats>();
  const sessions = new Map<number, { key: string; in: number; out: number }>();
  const records = { message: 0, "seq-reset": 0, "set-seq": 0, "session-open": 0 };
  let damaged = 0;
  let min = Infinity, max = 0, total = 0;
  let firstMs = Infinity, lastMs = 0;
  let curSec = -1, curCount = 0, peak = 0, peakAt = 0;
  let done = 0;
  reader.forEach((r) => {
    records[r.type]++;
    if (r.type !== "message") return;
    const t = msgTypeOf(r.payload);
    let ts = types.get(t);
    if (ts === undefined) {
      types.set(t, ts = { msgType: t, beginString: beginStringOf(r.payload), in: 0, out: 0, bytes: 0 });
    }
    let ss = sessions.get(r.sessionId);
    if (ss === undefined) sessions.set(r.sessionId, ss = { key: r.sessionKey, in: 0, out: 0 });
    const n = r.payload.length;
    if (r.direction === "in") {
      ts.in++;
      ss.in++;
    } else {
      ts.out++;
      ss.out++;
    }
    ts.bytes += n;
    total += n;
    if (n < min) min = n;
    if (n > max) max = n;
    if (r.wallMs < firstMs) firstMs = r.wallMs;
    if (r.wallMs > lastMs) lastMs = r.wallMs;
    const sec = Math.floor(r.wallMs / 1000);
    if (sec !== curSec) {
      curSec = sec;
      curCount = 0;
    }
    curCount++;
    if (curCount > peak) {
      peak = curCount;
      peakAt = sec * 1000;
    }
  }, {
    onDamage: () => damaged++,
    onSegmentDone: (s) => options.onProgress?.(done += s.bytes, reader.totalBytes),
  });
  const count = records.message;
  const seconds = count === 0 ? 0 : Math.max((lastMs - firstMs) / 1000, 0);
  return {
    dir: reader.dir,
    segments: reader.segments.length,
    bytes: reader.totalBytes,
    records,
    damagedRegions: damaged,
    byType: [...types.values()].sort((a, b) =>
      b.in + b.out - (a.in + a.out) || (a.msgType < b.msgType ? -1 : 1)
    ),
    bySession: [...sessions.values()],
    messageBytes: count === 0
      ? { min: 0, max: 0, avg: 0, total: 0 }
      : { min, max, avg: total / count, total },
    rate: count === 0 ? undefined : {
      firstMs,
      lastMs,
      seconds,
      avgPerSecond: seconds > 0 ? count / seconds : count,
      peakPerSecond: peak,
      peakAtMs: peakAt,
    },
  };
}
