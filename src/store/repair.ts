/**
 * `fixg journal repair`: makes a damaged journal openable again without losing a good record.
 * Damaged bytes (torn tails, corrupt regions, bad segment headers) are moved into
 * `DIR/quarantine/<segment>@<offset>.<kind>` files that keep them byte for byte; segments are
 * rewritten through a temporary file and a rename, so a crash during repair leaves either the old
 * or the new segment; index files are rebuilt. It refuses to touch a journal a live process holds.
 */
import { EnvironmentError, FixgError } from "../errors.ts";
import {
  indexFileName,
  JOURNAL_DIR_MODE,
  JOURNAL_FILE_MODE,
  RecordFields,
  RecordType,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
  type SegmentHeader,
  sessionGoesBack,
  type SessionPosition,
  writeSegmentHeader,
} from "./format.ts";
import { decodeIndex, encodeIndex, IndexBuilder, type IndexEntries, indexFromScan } from "./index_format.ts";
import { quarantineName, readJournalFile, refuseOtherFormat, unusedName } from "./files.ts";
import { advancePosition, indexMismatch, loadEntry } from "./index_check.ts";
import { errorText, JournalLock } from "./lock.ts";
import { markRepaired } from "./highwater.ts";
import { listSegments, type SegmentInfo } from "./reader.ts";

/** One thing repair did (or, with dryRun, would do). */
export interface RepairAction {
  file: string;
  kind:
    | "quarantine-corrupt"
    | "truncate-torn-tail"
    | "rewrite-header"
    | "remove-empty-segment"
    | "quarantine-segment"
    | "placeholder-segment"
    | "rebuild-index";
  offset: number;
  length: number;
  /** Where the damaged bytes went (quarantine actions). */
  quarantineFile: string | undefined;
  message: string;
}

/** What repair did. */
export interface RepairReport {
  dir: string;
  dryRun: boolean;
  segments: number;
  /** Valid records, all kept. */
  records: number;
  actions: RepairAction[];
}

/**
 * Repairs the journal in `dir` (see the module comment). Throws FixgError (exit code 2) when `dir`
 * is not a journal and EnvironmentError (exit code 2) when a live process holds it.
 */
export function repairJournal(
  dir: string,
  options: { dryRun?: boolean; onProgress?: (doneBytes: number, totalBytes: number) => void } = {},
): RepairReport {
  const d = dir.replace(/\/+$/, "") || "/";
  const dryRun = options.dryRun ?? false;
  const segments = listSegments(d);
  let lock: JournalLock | undefined;
  if (dryRun) {
    const h = JournalLock.holder(d);
    if (h !== undefined) {
      throw new EnvironmentError(
        `Journal "${d}" is held by a live ${h.purpose} (pid ${h.pid} on ${h.host} since ${h.sinceIso}); stop it before repairing`,
      );
    }
  } else {
    lock = JournalLock.acquire(d, "repair");
  }
  const report: RepairReport = { dir: d, dryRun, segments: segments.length, records: 0, actions: [] };
  try {
    // Another fixg's format is not damage: refused before anything is changed.
    refuseOtherFormat(d, segments.map((s) => s.file));
    let total = 0;
    for (const s of segments) total += s.bytes;
    let done = 0;
    const order = new SessionOrder();
    // Records removed may have reached the counterparty: before the first one goes, HIGHWATER says
    // "repaired", so the next start counts the high-water reservations (which cover every number
    // appended) instead of trusting the shortened journal, even if repair stops halfway (a full disk).
    let marked = false;
    const beforeDrop = () => {
      if (dryRun || marked) return;
      try {
        markRepaired(d);
      } catch (e) {
        throw new EnvironmentError(
          `Cannot write "${d}/HIGHWATER": ${
            errorText(e).replace(/: [a-z]+ '.*'$/, "")
          }; no record was removed`,
          { cause: e, exitCode: 1 },
        );
      }
      marked = true;
    };
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const isLast = i === segments.length - 1;
      // Segments missing in the middle (deleted by hand): their records are lost. An empty segment
      // (header only, indexed) takes each one's place so the journal opens; the numbers come from
      // the session table of the next segment, and lost outbound messages are gap-filled on resend.
      for (let m = i > 0 ? segments[i - 1]!.segment + 1 : seg.segment; m < seg.segment; m++) {
        writePlaceholder(d, m, `${segmentFileName(m)} is missing`, dryRun, report, beforeDrop);
      }
      // A segment whose sessions go back in epoch or sequence numbers (an old segment copied in, a
      // backup restored over newer files) must not be kept: starting from it would hand out numbers
      // the counterparty has already seen. It goes to quarantine whole, before anything else touches it.
      const why = seg.bytes < SEGMENT_HEADER_BYTES
        ? undefined
        : order.check(indexFromScan(readJournalFile(seg.path)).index);
      if (why !== undefined) quarantineSegment(d, seg, why, dryRun, report, beforeDrop);
      else repairSegment(d, seg, isLast, dryRun, report, beforeDrop);
      options.onProgress?.(done += seg.bytes, total);
    }
  } catch (e) {
    if (!dryRun && report.actions.length > 0 && e instanceof FixgError) {
      throw new EnvironmentError(
        `${e.message} (repair stopped partway; run it again once the cause is fixed: it goes on from what the files hold)`,
        { cause: e, exitCode: e.exitCode },
      );
    }
    throw e;
  } finally {
    lock?.release();
  }
  return report;
}

/** Sequence numbers of one session as the segments so far leave them. */
type OrderState = SessionPosition;

/**
 * Follows every session's epoch and sequence numbers through the segments in order, and says when
 * a segment goes back: a session-open record (the session table at a segment's head) with an older
 * epoch or lower numbers than the segments before it left, or a message of an older epoch.
 */
export class SessionOrder {
  readonly #byKey = new Map<string, OrderState>();
  readonly #keyOf = new Map<number, string>();

  /** Why the segment with these entries goes back (nothing is recorded then), or undefined (recorded). */
  check(e: IndexEntries): string | undefined {
    const next = new Map<string, OrderState>();
    const keyOf = new Map(this.#keyOf);
    const stateOf = (key: string): OrderState | undefined => {
      let st = next.get(key);
      if (st === undefined) {
        const old = this.#byKey.get(key);
        if (old === undefined) return undefined;
        st = { ...old };
        next.set(key, st);
      }
      return st;
    };
    const entry = new RecordFields();
    for (let i = 0; i < e.count; i++) {
      const { type, sessionId: sid, epoch, seq, seq2 } = loadEntry(entry, e, i);
      if (type === RecordType.SessionOpen) {
        const k = e.keys.get(sid);
        if (k === undefined) continue;
        keyOf.set(sid, k.key);
        const st = stateOf(k.key);
        if (st === undefined) {
          next.set(k.key, { epoch, nextSender: seq, nextTarget: seq2 });
          continue;
        }
        const back = sessionGoesBack(k.key, epoch, seq, seq2, st);
        if (back !== undefined) return back;
        st.epoch = epoch;
        st.nextSender = seq;
        st.nextTarget = seq2;
        continue;
      }
      const key = keyOf.get(sid);
      const st = key === undefined ? undefined : stateOf(key);
      if (st === undefined) continue;
      if (advancePosition(st, entry) === "stale") {
        return `a message of session ${key} (seq ${seq}) belongs to epoch ${epoch}, but earlier records reached epoch ${st.epoch}`;
      }
    }
    for (const [k, st] of next) this.#byKey.set(k, st);
    for (const [id, k] of keyOf) this.#keyOf.set(id, k);
    return undefined;
  }
}

function quarantineSegment(
  dir: string,
  seg: SegmentInfo,
  why: string,
  dryRun: boolean,
  report: RepairReport,
  beforeDrop: () => void,
): void {
  const name = unusedName(dir, `quarantine/${seg.file}.out-of-order`);
  report.actions.push({
    file: seg.file,
    kind: "quarantine-segment",
    offset: 0,
    length: seg.bytes,
    quarantineFile: name,
    message:
      `${dryRun ? "would move" : "moved"} ${seg.file} to ${name}: its sequence numbers go back (${why}); ` +
      `an older segment copied in? Keeping it would make the gateway reuse numbers the counterparty has seen`,
  });
  if (dryRun) return;
  beforeDrop();
  try {
    Deno.mkdirSync(`${dir}/quarantine`, { recursive: true, mode: JOURNAL_DIR_MODE });
    Deno.renameSync(seg.path, `${dir}/${name}`);
  } catch (e) {
    throw new EnvironmentError(`Cannot move "${seg.path}" to "${dir}/${name}": ${errorText(e)}`, {
      cause: e,
      exitCode: 1,
    });
  }
  removeIfExists(`${dir}/${indexFileName(seg.segment)}`);
}

/** Writes an empty segment (header only) and its index in place of segment `n`, whose records are lost. */
function writePlaceholder(
  dir: string,
  n: number,
  what: string,
  dryRun: boolean,
  report: RepairReport,
  beforeDrop: () => void,
): void {
  report.actions.push({
    file: segmentFileName(n),
    kind: "placeholder-segment",
    offset: 0,
    length: SEGMENT_HEADER_BYTES,
    quarantineFile: undefined,
    message:
      `${dryRun ? "would write" : "wrote"} an empty ${
        segmentFileName(n)
      } (header only) in its place: ${what}, ` +
      `its records are lost (the next segment's session table keeps the sequence numbers; lost outbound messages are gap-filled on resend)`,
  });
  if (dryRun) return;
  beforeDrop();
  const header = new Uint8Array(SEGMENT_HEADER_BYTES);
  writeSegmentHeader(header, 0, { segment: n, createdMs: 0, monoOriginMs: 0, pid: 0 });
  replaceFile(`${dir}/${segmentFileName(n)}`, header);
  replaceFile(`${dir}/${indexFileName(n)}`, encodeIndex(n, SEGMENT_HEADER_BYTES, new IndexBuilder()));
}

function repairSegment(
  dir: string,
  seg: SegmentInfo,
  isLast: boolean,
  dryRun: boolean,
  report: RepairReport,
  beforeDrop: () => void,
): void {
  const buf = readJournalFile(seg.path);
  const idxPath = `${dir}/${indexFileName(seg.segment)}`;
  const verb = (did: string, would: string) => dryRun ? would : did;
  if (buf.length < SEGMENT_HEADER_BYTES && !isLast) {
    // Cut short in the middle of the journal: its records are lost; an empty segment keeps the numbering.
    const q = quarantine(dir, seg, 0, buf, "torn", dryRun);
    writePlaceholder(
      dir,
      seg.segment,
      `${seg.file} was ${buf.length} bytes (bytes ${verb("kept in", "to")} ${q})`,
      dryRun,
      report,
      beforeDrop,
    );
    return;
  }
  if (buf.length < SEGMENT_HEADER_BYTES) {
    const q = quarantine(dir, seg, 0, buf, "torn", dryRun);
    report.actions.push({
      file: seg.file,
      kind: "remove-empty-segment",
      offset: 0,
      length: buf.length,
      quarantineFile: q,
      message: `${
        verb("removed", "would remove")
      } ${seg.file}: ${buf.length} bytes, cut short before its header was complete (bytes ${
        verb("kept in", "to")
      } ${q})`,
    });
    if (!dryRun) {
      Deno.removeSync(seg.path);
      removeIfExists(idxPath);
    }
    return;
  }
  const { index, scan } = indexFromScan(buf);
  report.records += scan.records;
  const h = scan.header;
  const badHeader = typeof h === "string"
    ? h
    : h.segment !== seg.segment
    ? `header says segment ${h.segment}`
    : undefined;
  const keep: Array<[number, number]> = [];
  let header: Uint8Array = buf.subarray(0, SEGMENT_HEADER_BYTES);
  if (badHeader !== undefined) {
    const q = quarantine(dir, seg, 0, buf.subarray(0, SEGMENT_HEADER_BYTES), "header", dryRun);
    const fresh: SegmentHeader = {
      segment: seg.segment,
      createdMs: index.count > 0 ? index.wallMs[0]! : 0,
      monoOriginMs: 0,
      pid: 0,
    };
    header = new Uint8Array(SEGMENT_HEADER_BYTES);
    writeSegmentHeader(header, 0, fresh);
    report.actions.push({
      file: seg.file,
      kind: "rewrite-header",
      offset: 0,
      length: SEGMENT_HEADER_BYTES,
      quarantineFile: q,
      message: `${verb("rewrote", "would rewrite")} the header of ${seg.file} (${badHeader}); old header ${
        verb("kept in", "to")
      } ${q}`,
    });
  }
  let pos = SEGMENT_HEADER_BYTES;
  let changed = badHeader !== undefined;
  for (const dmg of scan.damaged) {
    if (dmg.offset > pos) keep.push([pos, dmg.offset]);
    const kindName = dmg.kind === "torn-tail" ? "torn" : "corrupt";
    const q = quarantine(
      dir,
      seg,
      dmg.offset,
      buf.subarray(dmg.offset, dmg.offset + dmg.length),
      kindName,
      dryRun,
    );
    report.actions.push({
      file: seg.file,
      kind: dmg.kind === "torn-tail" ? "truncate-torn-tail" : "quarantine-corrupt",
      offset: dmg.offset,
      length: dmg.length,
      quarantineFile: q,
      message: dmg.kind === "torn-tail"
        ? `${
          verb("truncated", "would truncate")
        } the torn tail of ${seg.file} at byte ${dmg.offset} (${dmg.length} bytes: ${dmg.reason}; ${
          verb("kept in", "to")
        } ${q})`
        : `${
          verb("moved", "would move")
        } ${dmg.length} corrupt bytes of ${seg.file} at byte ${dmg.offset} (${dmg.reason}) to ${q}`,
    });
    pos = dmg.offset + dmg.length;
    changed = true;
  }
  if (pos < buf.length) keep.push([pos, buf.length]);
  let content = buf;
  if (changed) {
    let size = SEGMENT_HEADER_BYTES;
    for (const [a, b] of keep) size += b - a;
    content = new Uint8Array(size);
    content.set(header, 0);
    let p = SEGMENT_HEADER_BYTES;
    for (const [a, b] of keep) {
      content.set(buf.subarray(a, b), p);
      p += b - a;
    }
    // The promise of repair: every good record is still there, and nothing else is.
    const check = indexFromScan(content);
    if (check.scan.records !== scan.records || check.scan.damaged.length !== 0) {
      throw new FixgError(
        "REPAIR_CHECK",
        `Repair of ${seg.file} stopped: the rewritten segment would hold ${check.scan.records} records instead of ${scan.records}; nothing was changed`,
      );
    }
    if (!dryRun) {
      // A record cut short at the end of the last segment (a torn tail whose bytes are right as far as
      // they go) was being written when the process died: its message never left (the start's rule,
      // journal_recovery.ts). Any other damaged bytes may have been a sent message.
      if (scan.damaged.some((x) => x.kind === "corrupt" || !x.cutShort || !isLast)) beforeDrop();
      replaceFile(seg.path, content);
    }
  }
  // The derived index must describe the (possibly rewritten) segment exactly.
  let why: string | undefined;
  let existing: Uint8Array | undefined;
  try {
    existing = Deno.readFileSync(idxPath);
  } catch {
    why = "missing";
  }
  const fresh = changed ? indexFromScan(content).index : index;
  if (existing !== undefined) {
    const idx = decodeIndex(existing);
    if (typeof idx === "string") why = idx;
    else if (changed) why = "the segment was rewritten";
    // Verify's rule: an index that differs from the records in any field is rebuilt.
    else why = indexMismatch(idx, seg.segment, content.length, fresh);
  }
  if (why !== undefined) {
    report.actions.push({
      file: indexFileName(seg.segment),
      kind: "rebuild-index",
      offset: 0,
      length: 0,
      quarantineFile: undefined,
      message: `${verb("rebuilt", "would rebuild")} ${indexFileName(seg.segment)} (${why})`,
    });
    if (!dryRun) replaceFile(idxPath, encodeIndex(seg.segment, content.length, fresh));
  }
}

function quarantine(
  dir: string,
  seg: SegmentInfo,
  offset: number,
  bytes: Uint8Array,
  kind: string,
  dryRun: boolean,
): string {
  const qdir = `${dir}/quarantine`;
  const name = quarantineName(dir, seg.file, offset, kind);
  if (!dryRun) {
    try {
      Deno.mkdirSync(qdir, { recursive: true, mode: JOURNAL_DIR_MODE });
      Deno.writeFileSync(`${dir}/${name}`, bytes, { mode: JOURNAL_FILE_MODE });
    } catch (e) {
      throw new EnvironmentError(
        `Cannot write quarantine file "${dir}/${name}": ${errorText(e)}; ${seg.file} is unchanged`,
        {
          cause: e,
          exitCode: 1,
        },
      );
    }
  }
  return name;
}

/** Replaces `path` by `bytes` through a synced temporary file and a rename; EnvironmentError (one line) on failure. */
function replaceFile(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.repair.tmp`;
  try {
    const f = Deno.openSync(tmp, { write: true, create: true, truncate: true, mode: JOURNAL_FILE_MODE });
    try {
      let p = 0;
      while (p < bytes.length) p += f.writeSync(bytes.subarray(p));
      f.syncDataSync();
    } finally {
      f.close();
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    // A full disk, for one: the old file stays as it was (the temporary one goes if it can).
    try {
      if (Deno.statSync(tmp).isFile) Deno.removeSync(tmp);
    } catch { /* not there */ }
    throw new EnvironmentError(
      `Cannot write "${path}": ${errorText(e).replace(/: [a-z]+ '.*'$/, "")}; it is unchanged`,
      { cause: e, exitCode: 1 },
    );
  }
}

function removeIfExists(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* not there */ }
}
