/**
 * The on-disk format of the file journal: segment files of framed records (the derived index files
 * are index_format.ts's). docs/journal.md describes it for operators; this module is the one place
 * that reads and writes a segment's bytes (the journal, the reader, verify and repair all go through it).
 *
 * A segment file (`0000000001.seg`) is a 64-byte header followed by records, back to back:
 *
 * ```
 *  segment header (64 bytes)
 *   0  "FIXGJSEG"        magic
 *   8  u16 version (1)   10 u16 header bytes (64)
 *  12  u32 segment number
 *  16  u64 created, wall-clock epoch ms
 *  24  f64 monotonic origin: wall-clock epoch ms at which the writer's monoNs was 0
 *  32  u32 writer pid    36..60 reserved (0)
 *  60  u32 CRC32C of bytes [0, 60)
 *
 *  record (48-byte header + payload), all integers little-endian
 *   0  u32 length         whole record, header included
 *   4  u32 CRC32C         of bytes [8, length)
 *   8  u8  type           1 message, 2 seq-reset, 3 set-seq, 4 session-open
 *   9  u8  direction      0 none, 1 in, 2 out (messages only)
 *  10  u16 flags (0)
 *  12  u32 session id     small number; a session-open record maps it to the session key
 *  16  u32 epoch          sequence-number epoch of the session (1, then +1 per reset)
 *  20  u32 seq            message: MsgSeqNum; other types: nextSenderSeq after the record
 *  24  u32 seq2           message: 0; other types: nextTargetSeq after the record
 *  28  u32 reserved (0)
 *  32  u64 monotonic ns   since the writer's origin (see the segment header)
 *  40  u64 wall-clock ms  epoch ms; for seq-reset the new epoch's creation time
 *  48  payload            message: raw FIX bytes; session-open: f64 epoch creation ms + UTF-8 key
 * ```
 *
 * The CRC covers everything after itself, so a record is either whole and exactly as written, or
 * detectably broken. The length comes first so a reader can skip a record without decoding it.
 */
import { crc32c } from "./crc32c.ts";

/** Mode of every file the journal creates: owner only (messages may carry personal data). */
export const JOURNAL_FILE_MODE = 0o600;
/** Mode of the directories the journal creates (the journal directory, quarantine/). */
export const JOURNAL_DIR_MODE = 0o700;

/** Bytes of the segment header. */
export const SEGMENT_HEADER_BYTES = 64;
/** Bytes of a record header (the payload follows). */
export const RECORD_HEADER_BYTES = 48;
/** Largest payload a record may carry: far above any FIX message, small enough to catch a garbage length. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
/** Format version written in segment and index headers. */
export const FORMAT_VERSION = 1;

/** Record type codes. */
export const RecordType = {
  Message: 1,
  SeqReset: 2,
  SetSeq: 3,
  SessionOpen: 4,
} as const;

/** A record type code. */
export type RecordTypeCode = (typeof RecordType)[keyof typeof RecordType];

/** Record type names as tools print them. */
export const RECORD_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: "message",
  2: "seq-reset",
  3: "set-seq",
  4: "session-open",
};

/** Direction codes in records. */
export const DirCode = { None: 0, In: 1, Out: 2 } as const;

const SEGMENT_MAGIC = new TextEncoder().encode("FIXGJSEG");
const TWO_32 = 4294967296;

/** File name of segment `n`: ten digits so names sort in segment order. */
export function segmentFileName(n: number): string {
  return `${String(n).padStart(10, "0")}.seg`;
}

/** File name of the derived index of segment `n`. */
export function indexFileName(n: number): string {
  return `${String(n).padStart(10, "0")}.idx`;
}

/** The segment number of a segment file name, or undefined for any other file. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{10})\.seg$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** Writes an unsigned integer below 2^53 as a little-endian u64. */
export function setU64(dv: DataView, pos: number, n: number): void {
  dv.setUint32(pos, n % TWO_32, true);
  dv.setUint32(pos + 4, Math.floor(n / TWO_32), true);
}

/** Reads a little-endian u64 (exact below 2^53). */
export function getU64(dv: DataView, pos: number): number {
  return dv.getUint32(pos + 4, true) * TWO_32 + dv.getUint32(pos, true);
}

/** A DataView over exactly the bytes of `buf`. */
export function dataViewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** What a segment header says. */
export interface SegmentHeader {
  segment: number;
  createdMs: number;
  monoOriginMs: number;
  pid: number;
}

/** Writes a segment header into `buf` at `pos` (64 bytes). */
export function writeSegmentHeader(buf: Uint8Array, pos: number, h: SegmentHeader): void {
  buf.fill(0, pos, pos + SEGMENT_HEADER_BYTES);
  buf.set(SEGMENT_MAGIC, pos);
  const dv = dataViewOf(buf);
  dv.setUint16(pos + 8, FORMAT_VERSION, true);
  dv.setUint16(pos + 10, SEGMENT_HEADER_BYTES, true);
  dv.setUint32(pos + 12, h.segment, true);
  setU64(dv, pos + 16, Math.max(0, Math.floor(h.createdMs)));
  dv.setFloat64(pos + 24, h.monoOriginMs, true);
  dv.setUint32(pos + 32, h.pid >>> 0, true);
  dv.setUint32(pos + 60, crc32c(buf, pos, pos + 60), true);
}

/**
 * The format version of a segment whose header is sound (magic and CRC right) but not FORMAT_VERSION:
 * written by another fixg, not damaged. Undefined otherwise (this version, or not a sound header).
 */
export function otherFormatVersion(head: Uint8Array): number | undefined {
  if (head.length < SEGMENT_HEADER_BYTES) return undefined;
  for (let i = 0; i < SEGMENT_MAGIC.length; i++) if (head[i] !== SEGMENT_MAGIC[i]) return undefined;
  const dv = dataViewOf(head);
  if (dv.getUint32(60, true) !== crc32c(head, 0, 60)) return undefined;
  const version = dv.getUint16(8, true);
  return version === FORMAT_VERSION ? undefined : version;
}

/** Why a journal of another format version is refused (start and repair): it is not damage to repair. */
export function formatVersionText(dir: string, file: string, version: number): string {
  return `Journal "${dir}": ${file} is in journal format version ${version}; this fixg reads version ${FORMAT_VERSION} (written by a ${
    version > FORMAT_VERSION ? "newer" : "different"
  } fixg?). Run the fixg that wrote it; do not repair it (repair would quarantine its records, and the sequence numbers they hold)`;
}

/** Reads a segment header; a string says why it is not one. */
export function readSegmentHeader(buf: Uint8Array): SegmentHeader | string {
  if (buf.length < SEGMENT_HEADER_BYTES) return `file too short for a segment header (${buf.length} bytes)`;
  for (let i = 0; i < SEGMENT_MAGIC.length; i++) {
    if (buf[i] !== SEGMENT_MAGIC[i]) return "not a fixg journal segment (bad magic)";
  }
  const dv = dataViewOf(buf);
  if (dv.getUint32(60, true) !== crc32c(buf, 0, 60)) return "segment header CRC mismatch";
  const version = dv.getUint16(8, true);
  if (version !== FORMAT_VERSION) return `unsupported segment format version ${version}`;
  return {
    segment: dv.getUint32(12, true),
    createdMs: getU64(dv, 16),
    monoOriginMs: dv.getFloat64(24, true),
    pid: dv.getUint32(32, true),
  };
}

/**
 * Writes one record at `pos` and returns the position after it. `buf` must have room for
 * RECORD_HEADER_BYTES + payload bytes; `dv` is a DataView over `buf` (passed in so the hot path
 * does not allocate one per record).
 */
export function writeRecord(
  buf: Uint8Array,
  dv: DataView,
  pos: number,
  type: number,
  dir: number,
  sessionId: number,
  epoch: number,
  seq: number,
  seq2: number,
  monoNs: number,
  wallMs: number,
  payload: Uint8Array,
): number {
  const len = RECORD_HEADER_BYTES + payload.length;
  dv.setUint32(pos, len, true);
  buf[pos + 8] = type;
  buf[pos + 9] = dir;
  buf[pos + 10] = 0;
  buf[pos + 11] = 0;
  dv.setUint32(pos + 12, sessionId, true);
  dv.setUint32(pos + 16, epoch, true);
  dv.setUint32(pos + 20, seq, true);
  dv.setUint32(pos + 24, seq2, true);
  dv.setUint32(pos + 28, 0, true);
  dv.setUint32(pos + 32, monoNs % TWO_32, true);
  dv.setUint32(pos + 36, Math.floor(monoNs / TWO_32), true);
  dv.setUint32(pos + 40, wallMs % TWO_32, true);
  dv.setUint32(pos + 44, Math.floor(wallMs / TWO_32), true);
  buf.set(payload, pos + RECORD_HEADER_BYTES);
  dv.setUint32(pos + 4, crc32c(buf, pos + 8, pos + len), true);
  return pos + len;
}

/** The payload of a session-open record: the epoch's creation time and the session key. */
export function sessionOpenPayload(creationMs: number, key: string): Uint8Array {
  const k = new TextEncoder().encode(key);
  const p = new Uint8Array(8 + k.length);
  dataViewOf(p).setFloat64(0, creationMs, true);
  p.set(k, 8);
  return p;
}

/** Decodes a session-open payload. */
export function parseSessionOpenPayload(
  buf: Uint8Array,
  start: number,
  end: number,
): { creationMs: number; key: string } {
  const creationMs = end - start >= 8
    ? new DataView(buf.buffer, buf.byteOffset + start, 8).getFloat64(0, true)
    : 0;
  const key = new TextDecoder().decode(buf.subarray(Math.min(start + 8, end), end));
  return { creationMs, key };
}

/** checkRecord: the record runs past the end of the available bytes. */
export const RECORD_INCOMPLETE = -1;
/** checkRecord: the bytes at the position are not a valid record. */
export const RECORD_INVALID = -2;

/**
 * Checks the record at `pos` against `end`: its length (> 0) when it is whole with a matching CRC
 * and a known type, RECORD_INCOMPLETE when it runs past `end`, RECORD_INVALID otherwise.
 */
export function checkRecord(buf: Uint8Array, dv: DataView, pos: number, end: number): number {
  if (end - pos < RECORD_HEADER_BYTES) {
    return end - pos < 4 || plausibleLength(dv.getUint32(pos, true)) ? RECORD_INCOMPLETE : RECORD_INVALID;
  }
  const len = dv.getUint32(pos, true);
  if (!plausibleLength(len)) return RECORD_INVALID;
  if (!validTypeDir(buf[pos + 8]!, buf[pos + 9]!)) return RECORD_INVALID;
  if (pos + len > end) return RECORD_INCOMPLETE;
  if (dv.getUint32(pos + 4, true) !== crc32c(buf, pos + 8, pos + len)) return RECORD_INVALID;
  return len;
}

function plausibleLength(len: number): boolean {
  return len >= RECORD_HEADER_BYTES && len <= RECORD_HEADER_BYTES + MAX_PAYLOAD_BYTES;
}

function validTypeDir(type: number, dir: number): boolean {
  if (type === RecordType.Message) return dir === DirCode.In || dir === DirCode.Out;
  return type >= 2 && type <= 4 && dir === DirCode.None;
}

/**
 * The first position in [from, end) where a whole, CRC-valid record starts, or -1. Used to step over
 * a damaged region: a candidate must pass cheap header checks before its CRC is computed, and a
 * CRC32C match on a random position is a 1 in 4 billion event.
 */
export function findNextRecord(buf: Uint8Array, dv: DataView, from: number, end: number): number {
  const last = end - RECORD_HEADER_BYTES;
  for (let q = from; q <= last; q++) {
    const type = buf[q + 8]!;
    if (type < 1 || type > 4 || !validTypeDir(type, buf[q + 9]!)) continue;
    const len = dv.getUint32(q, true);
    if (!plausibleLength(len) || q + len > end) continue;
    if (dv.getUint32(q + 4, true) === crc32c(buf, q + 8, q + len)) return q;
  }
  return -1;
}

/** A record's header fields, decoded. Reused by scanners: copy what you keep. */
export class RecordFields {
  /** Byte offset of the record in its segment. */
  offset = 0;
  length = 0;
  type = 0;
  dir = 0;
  sessionId = 0;
  epoch = 0;
  seq = 0;
  seq2 = 0;
  monoNs = 0;
  wallMs = 0;
  /** Payload range in the scanned buffer. */
  payloadStart = 0;
  payloadEnd = 0;

  /** Decodes the header of the (already checked) record at `pos`. */
  load(buf: Uint8Array, dv: DataView, pos: number, len: number, offset: number): this {
    this.offset = offset;
    this.length = len;
    this.type = buf[pos + 8]!;
    this.dir = buf[pos + 9]!;
    this.sessionId = dv.getUint32(pos + 12, true);
    this.epoch = dv.getUint32(pos + 16, true);
    this.seq = dv.getUint32(pos + 20, true);
    this.seq2 = dv.getUint32(pos + 24, true);
    this.monoNs = getU64(dv, pos + 32);
    this.wallMs = getU64(dv, pos + 40);
    this.payloadStart = pos + RECORD_HEADER_BYTES;
    this.payloadEnd = pos + len;
    return this;
  }
}

/** A damaged region found while scanning a segment. */
export interface DamagedRegion {
  /** "torn-tail": no valid record follows (a write cut short); "corrupt": valid records follow. */
  kind: "torn-tail" | "corrupt";
  /** Byte offset in the segment where the damage starts. */
  offset: number;
  /** Bytes in the damaged region (up to the next valid record or the end of the file). */
  length: number;
  /** What was wrong with the first bytes of the region. */
  reason: string;
  /**
   * The region is a prefix of a record, the file ending inside it (what a write cut short leaves): its
   * bytes are right as far as they go. False when its bytes are wrong (a CRC mismatch, an implausible
   * length or type): damage that may hit a record whose message was sent.
   */
  cutShort: boolean;
}

/** Result of scanning a segment's bytes. */
export interface SegmentScan {
  /** The header, or why it is not valid (records are still scanned from byte 64). */
  header: SegmentHeader | string;
  records: number;
  /** End of the last valid record (where a torn tail starts, or the file size). */
  validEnd: number;
  damaged: DamagedRegion[];
}

/**
 * Scans a whole segment held in memory, calling `onRecord` for every valid record (the fields object
 * is reused) and stepping over damaged regions. Records start right after the 64-byte header.
 */
export function scanSegment(
  buf: Uint8Array,
  onRecord: (r: RecordFields, buf: Uint8Array) => void,
): SegmentScan {
  const dv = dataViewOf(buf);
  const header = readSegmentHeader(buf);
  const end = buf.length;
  const damaged: DamagedRegion[] = [];
  const r = new RecordFields();
  let pos = Math.min(SEGMENT_HEADER_BYTES, end);
  let records = 0;
  let validEnd = pos;
  while (pos < end) {
    const len = checkRecord(buf, dv, pos, end);
    if (len > 0) {
      onRecord(r.load(buf, dv, pos, len, pos), buf);
      records++;
      pos += len;
      validEnd = pos;
      continue;
    }
    const reason = describeInvalid(buf, dv, pos, end, len);
    const next = findNextRecord(buf, dv, pos + 1, end);
    if (next < 0) {
      damaged.push({
        kind: "torn-tail",
        offset: pos,
        length: end - pos,
        reason,
        cutShort: isCutShort(dv, pos, end, len),
      });
      break;
    }
    damaged.push({ kind: "corrupt", offset: pos, length: next - pos, reason, cutShort: false });
    pos = next;
  }
  return { header, records, validEnd, damaged };
}

/** The invalid bytes at `pos` are a record's true prefix: fewer than a header, or a plausible header whose record runs past `end`. */
function isCutShort(dv: DataView, pos: number, end: number, code: number): boolean {
  if (end - pos < RECORD_HEADER_BYTES) return true;
  const type = dv.getUint8(pos + 8);
  return code === RECORD_INCOMPLETE && plausibleLength(dv.getUint32(pos, true)) &&
    validTypeDir(type, dv.getUint8(pos + 9));
}

function describeInvalid(buf: Uint8Array, dv: DataView, pos: number, end: number, code: number): string {
  if (end - pos < RECORD_HEADER_BYTES) return `${end - pos} bytes, less than a record header`;
  const len = dv.getUint32(pos, true);
  if (!plausibleLength(len)) return `implausible record length ${len}`;
  const type = buf[pos + 8]!;
  if (!validTypeDir(type, buf[pos + 9]!)) return `unknown record type ${type} / direction ${buf[pos + 9]}`;
  if (code === RECORD_INCOMPLETE) return `record of ${len} bytes cut short at ${end - pos} bytes`;
  return "CRC mismatch";
}

/** Where a session is: its owner epoch and next sequence numbers. */
export interface SessionPosition {
  epoch: number;
  nextSender: number;
  nextTarget: number;
}

/**
 * Why a segment's session-open record for `key` (at `epoch`, next out `seq`, next in `seq2`) goes back from
 * `reached`, what the segments before it left, or undefined when it does not: an older epoch, or lower
 * numbers in the same epoch, mean an old segment copied in. The gateway refuses to start on it and
 * `fixg journal repair` quarantines it, by this one rule.
 */
export function sessionGoesBack(
  key: string,
  epoch: number,
  seq: number,
  seq2: number,
  reached: SessionPosition,
): string | undefined {
  if (epoch < reached.epoch) {
    return `session ${key} is at epoch ${epoch} here but reached epoch ${reached.epoch} in earlier segments`;
  }
  if (epoch === reached.epoch && (seq < reached.nextSender || seq2 < reached.nextTarget)) {
    return `session ${key} (epoch ${epoch}) starts here at next out ${seq}, next in ${seq2}, but earlier segments reached next out ${reached.nextSender}, next in ${reached.nextTarget}`;
  }
  return undefined;
}
