/**
 * Reads a journal's records in order with their segment and byte offset, checking framing and CRCs,
 * and follows a live journal. It never writes and works on a journal a gateway holds. The public
 * face is ./reader.ts (with verify and stats).
 */
import { latin1String } from "../codec/ascii.ts";
import { type Scheduler, systemScheduler } from "../clock.ts";
import { FixgError } from "../errors.ts";
import {
  checkRecord,
  type DamagedRegion,
  dataViewOf,
  DirCode,
  findNextRecord,
  parseSegmentFileName,
  parseSessionOpenPayload,
  RECORD_TYPE_NAMES,
  RecordFields,
  RecordType,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
} from "./format.ts";
import { existsSync, readJournalFile, refuseOtherFormat } from "./files.ts";
import { JournalLock } from "./lock.ts";

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

  /**
   * Opens a journal directory for reading (throws FixgError exit code 2 when it is not one, and
   * JOURNAL_FORMAT when a segment is of another format version: its records are not this version's).
   */
  static open(dir: string): JournalReader {
    const d = dir.replace(/\/+$/, "") || "/";
    const segments = listSegments(d);
    refuseOtherFormat(d, segments.map((s) => s.file));
    return new JournalReader(d, segments);
  }

  /**
   * A reader of some of a journal's segments only (from `listSegments`): every segment starts with the
   * session table, so session keys resolve in any subset. For readers that walk back from the newest.
   */
  static ofSegments(dir: string, segments: SegmentInfo[]): JournalReader {
    return new JournalReader(dir.replace(/\/+$/, "") || "/", segments);
  }

  #live: boolean | undefined;

  /**
   * Damage that is a problem, as `fixg journal verify` counts it: anything but a torn tail at the end of
   * the last segment while a live gateway holds the journal (a write in progress; verify notes it).
   * The journal tools exit 1 when they met one (docs/journal.md, "Operator commands").
   */
  isProblem(d: SegmentDamage): boolean {
    if (d.kind !== "torn-tail" || d.segment !== this.segments[this.segments.length - 1]?.segment) return true;
    this.#live ??= JournalLock.holder(this.dir) !== undefined;
    return !this.#live;
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
        buf = readJournalFile(seg.path);
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
          cutShort: next < 0 && len === -1,
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
   * and in segments created later) every `pollMs` on `scheduler` (default systemScheduler) until
   * `signal` aborts.
   */
  async follow(
    visit: (r: JournalRecord) => void,
    options: { signal: AbortSignal; pollMs?: number; scheduler?: Scheduler },
  ): Promise<void> {
    const pollMs = options.pollMs ?? 200;
    const scheduler = options.scheduler ?? systemScheduler;
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
        await sleep(scheduler, pollMs, options.signal);
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

function sleep(scheduler: Scheduler, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = scheduler.after(ms, done);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      t.cancel();
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
