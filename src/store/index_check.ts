/**
 * Index files against their segments: whether an index describes a segment's records exactly (verify
 * and repair judge it by one rule), whether a segment's bytes still match its index (start-up), and
 * the fields of one index entry.
 */
import {
  checkRecord,
  dataViewOf,
  DirCode,
  readSegmentHeader,
  type RecordFields,
  RecordType,
  type SessionPosition,
} from "./format.ts";
import { type DecodedIndex, type IndexEntries } from "./index_format.ts";

/**
 * Why index file `idx` (decoded, or why it could not be) does not describe segment `segment` of `size`
 * bytes whose records a scan found as `scanned`, or undefined when it does, entry for entry and field
 * for field. `fixg journal verify` reports such an index as stale and `fixg journal repair` rebuilds it.
 */
export function indexMismatch(
  idx: DecodedIndex | string,
  segment: number,
  size: number,
  scanned: IndexEntries,
): string | undefined {
  if (typeof idx === "string") return idx;
  if (idx.segment !== segment) return `it describes segment ${idx.segment}`;
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

/**
 * Checks every record an index lists against the segment's bytes: whole, CRC right, and the header
 * fields the index recorded. Undefined when all match, otherwise what is wrong with the first bad one.
 */
export function checkIndexed(buf: Uint8Array, e: IndexEntries): string | undefined {
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

/** Loads index entry `i` of `e` into `r`: the fields an index keeps (no payload, no monotonic time). */
export function loadEntry(r: RecordFields, e: IndexEntries, i: number): RecordFields {
  const td = e.typeDirs[i]!;
  r.offset = e.offsets[i]!;
  r.length = e.lengths[i]!;
  r.type = td & 0xff;
  r.dir = td >> 8;
  r.sessionId = e.sessionIds[i]!;
  r.epoch = e.epochs[i]!;
  r.seq = e.seqs[i]!;
  r.seq2 = e.seqs2[i]!;
  r.wallMs = e.wallMs[i]!;
  return r;
}

/**
 * Moves a session's position past its record `r` (a reset, a set-seq or a message; session-open records
 * are the caller's): a reset starts epoch `r.epoch` at `r.seq`/`r.seq2`, a set-seq sets both numbers, a
 * message takes its epoch and advances its direction's number. "stale": a message of an older epoch than
 * the position's, left unchanged; "new-epoch": the position's earlier outbound messages no longer count
 * (a reset, or a message of a newer epoch). Start-up and repair follow sessions by these rules.
 */
export function advancePosition(pos: SessionPosition, r: RecordFields): "stale" | "new-epoch" | undefined {
  if (r.type === RecordType.SeqReset) {
    pos.epoch = r.epoch;
    pos.nextSender = r.seq;
    pos.nextTarget = r.seq2;
    return "new-epoch";
  }
  if (r.type === RecordType.SetSeq) {
    pos.nextSender = r.seq;
    pos.nextTarget = r.seq2;
    return undefined;
  }
  if (r.type !== RecordType.Message) return undefined;
  if (r.epoch < pos.epoch) return "stale";
  const newer = r.epoch > pos.epoch;
  pos.epoch = r.epoch;
  if (r.dir === DirCode.Out) pos.nextSender = r.seq + 1;
  else pos.nextTarget = r.seq + 1;
  return newer ? "new-epoch" : undefined;
}
