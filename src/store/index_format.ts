/**
 * The derived index file of a segment (`0000000001.idx`): per record, where it is and what its header
 * says, and the session keys of the segment's session-open records, so recovery need not read the
 * segment. Derived data: an index that cannot be used is rebuilt from its segment (`indexFromScan`).
 * The segment and record format it describes is format.ts's.
 */
import { crc32c } from "./crc32c.ts";
import {
  dataViewOf,
  FORMAT_VERSION,
  getU64,
  parseSessionOpenPayload,
  RecordType,
  scanSegment,
  type SegmentScan,
  setU64,
} from "./format.ts";

const INDEX_MAGIC = new TextEncoder().encode("FIXGJIDX");

/**
 * One entry of a derived index file: where a record is and what it says (everything recovery needs
 * without reading the segment).
 */
export interface IndexEntries {
  count: number;
  offsets: Uint32Array;
  lengths: Uint32Array;
  sessionIds: Uint32Array;
  epochs: Uint32Array;
  seqs: Uint32Array;
  seqs2: Uint32Array;
  /** type | direction << 8 */
  typeDirs: Uint16Array;
  wallMs: Float64Array;
  /** Session keys and epoch creation times of the session-open records in this segment, by session id. */
  keys: Map<number, { key: string; creationMs: number }>;
}

/** A growable IndexEntries for a segment being written or scanned. */
export class IndexBuilder implements IndexEntries {
  count = 0;
  offsets = new Uint32Array(1024);
  lengths = new Uint32Array(1024);
  sessionIds = new Uint32Array(1024);
  epochs = new Uint32Array(1024);
  seqs = new Uint32Array(1024);
  seqs2 = new Uint32Array(1024);
  typeDirs = new Uint16Array(1024);
  wallMs = new Float64Array(1024);
  keys = new Map<number, { key: string; creationMs: number }>();

  /** Appends an entry. */
  add(
    offset: number,
    length: number,
    type: number,
    dir: number,
    sessionId: number,
    epoch: number,
    seq: number,
    seq2: number,
    wallMs: number,
  ): void {
    const i = this.count;
    if (i === this.offsets.length) this.#grow();
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.sessionIds[i] = sessionId;
    this.epochs[i] = epoch;
    this.seqs[i] = seq;
    this.seqs2[i] = seq2;
    this.typeDirs[i] = type | (dir << 8);
    this.wallMs[i] = wallMs;
    this.count = i + 1;
  }

  #grow(): void {
    const n = this.offsets.length * 2;
    const g32 = (a: Uint32Array) => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    this.offsets = g32(this.offsets);
    this.lengths = g32(this.lengths);
    this.sessionIds = g32(this.sessionIds);
    this.epochs = g32(this.epochs);
    this.seqs = g32(this.seqs);
    this.seqs2 = g32(this.seqs2);
    const td = new Uint16Array(n);
    td.set(this.typeDirs);
    this.typeDirs = td;
    const w = new Float64Array(n);
    w.set(this.wallMs);
    this.wallMs = w;
  }
}

const INDEX_HEADER_BYTES = 32;
const INDEX_ENTRY_BYTES = 40;

/**
 * Encodes the derived index of a segment:
 *
 * ```
 *  0 "FIXGJIDX"  8 u16 version  10 u16 entry bytes (40)  12 u32 segment  16 u64 segment bytes covered
 * 24 u32 entries 28 u32 keys
 * 32 entries: u32 offset, u32 length, u32 session id, u32 epoch, u32 seq, u32 seq2, u8 type, u8 dir,
 *             u16 0, u32 0, f64 wall ms
 *    keys:    u32 session id, f64 creation ms, u32 key bytes, key (UTF-8)
 *    u32 CRC32C of everything before
 * ```
 */
export function encodeIndex(segment: number, coveredBytes: number, e: IndexEntries): Uint8Array {
  const te = new TextEncoder();
  const keys = [...e.keys].map(([id, k]) => ({ id, creationMs: k.creationMs, bytes: te.encode(k.key) }));
  let size = INDEX_HEADER_BYTES + e.count * INDEX_ENTRY_BYTES + 4;
  for (const k of keys) size += 16 + k.bytes.length;
  const buf = new Uint8Array(size);
  const dv = dataViewOf(buf);
  buf.set(INDEX_MAGIC, 0);
  dv.setUint16(8, FORMAT_VERSION, true);
  dv.setUint16(10, INDEX_ENTRY_BYTES, true);
  dv.setUint32(12, segment, true);
  setU64(dv, 16, coveredBytes);
  dv.setUint32(24, e.count, true);
  dv.setUint32(28, keys.length, true);
  let p = INDEX_HEADER_BYTES;
  for (let i = 0; i < e.count; i++, p += INDEX_ENTRY_BYTES) {
    dv.setUint32(p, e.offsets[i]!, true);
    dv.setUint32(p + 4, e.lengths[i]!, true);
    dv.setUint32(p + 8, e.sessionIds[i]!, true);
    dv.setUint32(p + 12, e.epochs[i]!, true);
    dv.setUint32(p + 16, e.seqs[i]!, true);
    dv.setUint32(p + 20, e.seqs2[i]!, true);
    dv.setUint16(p + 24, e.typeDirs[i]!, true);
    dv.setFloat64(p + 32, e.wallMs[i]!, true);
  }
  for (const k of keys) {
    dv.setUint32(p, k.id, true);
    dv.setFloat64(p + 4, k.creationMs, true);
    dv.setUint32(p + 12, k.bytes.length, true);
    buf.set(k.bytes, p + 16);
    p += 16 + k.bytes.length;
  }
  dv.setUint32(p, crc32c(buf, 0, p), true);
  return buf;
}

/** A decoded index file with the segment it claims to describe. */
export interface DecodedIndex extends IndexEntries {
  segment: number;
  coveredBytes: number;
}

/** Decodes an index file; a string says why it cannot be used (it is then rebuilt from the segment). */
export function decodeIndex(buf: Uint8Array): DecodedIndex | string {
  if (buf.length < INDEX_HEADER_BYTES + 4) return "index file too short";
  for (let i = 0; i < INDEX_MAGIC.length; i++) {
    if (buf[i] !== INDEX_MAGIC[i]) return "not an index file (bad magic)";
  }
  const dv = dataViewOf(buf);
  if (dv.getUint32(buf.length - 4, true) !== crc32c(buf, 0, buf.length - 4)) return "index CRC mismatch";
  if (dv.getUint16(8, true) !== FORMAT_VERSION || dv.getUint16(10, true) !== INDEX_ENTRY_BYTES) {
    return "unsupported index version";
  }
  const count = dv.getUint32(24, true);
  const nKeys = dv.getUint32(28, true);
  if (INDEX_HEADER_BYTES + count * INDEX_ENTRY_BYTES + 4 > buf.length) {
    return "index entry count beyond the file";
  }
  const out: DecodedIndex = {
    segment: dv.getUint32(12, true),
    coveredBytes: getU64(dv, 16),
    count,
    offsets: new Uint32Array(count),
    lengths: new Uint32Array(count),
    sessionIds: new Uint32Array(count),
    epochs: new Uint32Array(count),
    seqs: new Uint32Array(count),
    seqs2: new Uint32Array(count),
    typeDirs: new Uint16Array(count),
    wallMs: new Float64Array(count),
    keys: new Map(),
  };
  let p = INDEX_HEADER_BYTES;
  for (let i = 0; i < count; i++, p += INDEX_ENTRY_BYTES) {
    out.offsets[i] = dv.getUint32(p, true);
    out.lengths[i] = dv.getUint32(p + 4, true);
    out.sessionIds[i] = dv.getUint32(p + 8, true);
    out.epochs[i] = dv.getUint32(p + 12, true);
    out.seqs[i] = dv.getUint32(p + 16, true);
    out.seqs2[i] = dv.getUint32(p + 20, true);
    out.typeDirs[i] = dv.getUint16(p + 24, true);
    out.wallMs[i] = dv.getFloat64(p + 32, true);
  }
  const td = new TextDecoder();
  for (let k = 0; k < nKeys; k++) {
    if (p + 16 > buf.length - 4) return "index keys beyond the file";
    const id = dv.getUint32(p, true);
    const creationMs = dv.getFloat64(p + 4, true);
    const n = dv.getUint32(p + 12, true);
    if (p + 16 + n > buf.length - 4) return "index keys beyond the file";
    out.keys.set(id, { key: td.decode(buf.subarray(p + 16, p + 16 + n)), creationMs });
    p += 16 + n;
  }
  if (p !== buf.length - 4) return "index has trailing bytes";
  return out;
}

/** Builds the index entries of a scanned segment (the derived file's content). */
export function indexFromScan(buf: Uint8Array): { index: IndexBuilder; scan: SegmentScan } {
  const index = new IndexBuilder();
  const scan = scanSegment(buf, (r, b) => {
    index.add(r.offset, r.length, r.type, r.dir, r.sessionId, r.epoch, r.seq, r.seq2, r.wallMs);
    if (r.type === RecordType.SessionOpen) {
      index.keys.set(r.sessionId, parseSessionOpenPayload(b, r.payloadStart, r.payloadEnd));
    }
  });
  return { index, scan };
}
