/** Segment images for the format tests: a segment header, a session-open record, then messages. */
import {
  dataViewOf,
  RecordType,
  SEGMENT_HEADER_BYTES,
  sessionOpenPayload,
  writeRecord,
  writeSegmentHeader,
} from "../../src/store/format.ts";

/**
 * Segment 3 (created at 1000 ms) of session 1 ("K", epoch 1): its session-open record, then `n` outbound
 * messages with MsgSeqNum 1..n, 12 payload bytes each.
 */
export function segmentWith(n: number): Uint8Array {
  const buf = new Uint8Array(SEGMENT_HEADER_BYTES + n * 60 + 200);
  const dv = dataViewOf(buf);
  writeSegmentHeader(buf, 0, { segment: 3, createdMs: 1000, monoOriginMs: 999.5, pid: 42 });
  let p = writeRecord(
    buf,
    dv,
    SEGMENT_HEADER_BYTES,
    RecordType.SessionOpen,
    0,
    1,
    1,
    1,
    1,
    0,
    1000,
    sessionOpenPayload(1000, "K"),
  );
  for (let i = 1; i <= n; i++) {
    p = writeRecord(buf, dv, p, RecordType.Message, 2, 1, 1, i, 0, i, 1000 + i, new Uint8Array(12).fill(i));
  }
  return buf.slice(0, p);
}
