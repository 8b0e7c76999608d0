/** The on-disk format: CRC32C vectors, exact record bytes, damage detection (the index: index_format_test.ts). */
import assert from "node:assert/strict";
import { crc32c } from "../../src/store/crc32c.ts";
import {
  checkRecord,
  dataViewOf,
  findNextRecord,
  readSegmentHeader,
  RECORD_INCOMPLETE,
  RECORD_INVALID,
  RecordType,
  scanSegment,
  SEGMENT_HEADER_BYTES,
  writeRecord,
} from "../../src/store/format.ts";
import { segmentWith } from "./segments.ts";

Deno.test("CRC32C matches the RFC 3720 (iSCSI) test vectors and the check value", () => {
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  const asc = Uint8Array.from({ length: 32 }, (_, i) => i);
  assert.equal(crc32c(asc), 0x46dd794e);
  assert.equal(crc32c(asc.slice().reverse()), 0x113fdb5c);
  // The 48-byte iSCSI SCSI Read (10) command PDU of RFC 3720 B.4.
  const pdu = new Uint8Array(48);
  for (
    const [at, v] of [[0, 0x01], [1, 0xc0], [16, 0x14], [22, 0x04], [27, 0x14], [31, 0x18], [32, 0x28], [
      40,
      0x02,
    ]]
  ) pdu[at!] = v!;
  assert.equal(crc32c(pdu), 0xd9963a56);
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
});

Deno.test("CRC32C continues across pieces and agrees at every length and alignment", () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
  const whole = crc32c(data);
  for (let cut = 0; cut <= data.length; cut += 37) {
    assert.equal(crc32c(data, cut, data.length, crc32c(data, 0, cut)), whole);
  }
  // Against a bytewise reference: slicing-by-8 must not depend on where the 8-byte steps fall.
  const ref = (b: Uint8Array, s: number, e: number) => {
    let c = ~0;
    for (let i = s; i < e; i++) {
      c ^= b[i]!;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  };
  for (let s = 0; s < 9; s++) {
    for (let e = s; e < s + 40; e++) assert.equal(crc32c(data, s, e), ref(data, s, e));
  }
});

Deno.test("a record is framed exactly as documented", () => {
  const buf = new Uint8Array(100);
  const dv = dataViewOf(buf);
  const payload = new TextEncoder().encode("8=FIX");
  const end = writeRecord(
    buf,
    dv,
    0,
    RecordType.Message,
    2,
    7,
    3,
    42,
    0,
    2 ** 32 + 5,
    1_700_000_000_123,
    payload,
  );
  assert.equal(end, 53);
  const hex = [...buf.subarray(0, end)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const crc = crc32c(buf, 8, 53);
  assert.equal(
    hex,
    "35000000" + // length 53
      [crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24].map((b) =>
        b.toString(16).padStart(2, "0")
      ).join("") +
      "01" + "02" + "0000" + // type message, direction out, flags
      "07000000" + "03000000" + "2a000000" + "00000000" + "00000000" + // session 7, epoch 3, seq 42, seq2, reserved
      "0500000001000000" + // monotonic ns 2^32 + 5
      "7b68e5cf8b010000" + // wall ms 1700000000123
      "383d464958", // "8=FIX"
  );
  assert.equal(checkRecord(buf, dv, 0, end), 53);
  assert.equal(checkRecord(buf, dv, 0, end - 1), RECORD_INCOMPLETE);
  buf[50] = buf[50]! ^ 1;
  assert.equal(checkRecord(buf, dv, 0, end), RECORD_INVALID);
});

Deno.test("segment header round trip; a scan finds records, a corrupt region and a torn tail", () => {
  const seg = segmentWith(5);
  assert.deepEqual(readSegmentHeader(seg), { segment: 3, createdMs: 1000, monoOriginMs: 999.5, pid: 42 });
  const bad = seg.slice();
  bad[13] = 9;
  assert.equal(readSegmentHeader(bad), "segment header CRC mismatch");
  assert.equal(readSegmentHeader(new Uint8Array(10)), "file too short for a segment header (10 bytes)");
  // Record 3 (message seq 2) damaged, and half a record at the end.
  const firstMsg = SEGMENT_HEADER_BYTES + 48 + 8 + 1;
  const damaged = new Uint8Array(seg.length + 30);
  damaged.set(seg);
  damaged.set(seg.subarray(firstMsg, firstMsg + 30), seg.length);
  damaged[firstMsg + 60 + 50] = damaged[firstMsg + 60 + 50]! ^ 0xff;
  const seqs: number[] = [];
  const scan = scanSegment(damaged, (r) => {
    if (r.type === RecordType.Message) seqs.push(r.seq);
  });
  assert.deepEqual(seqs, [1, 3, 4, 5]);
  assert.deepEqual(scan.damaged, [
    { kind: "corrupt", offset: firstMsg + 60, length: 60, reason: "CRC mismatch", cutShort: false },
    {
      kind: "torn-tail",
      offset: seg.length,
      length: 30,
      reason: "30 bytes, less than a record header",
      cutShort: true,
    },
  ]);
  assert.equal(scan.validEnd, seg.length);
  const dv = dataViewOf(damaged);
  assert.equal(findNextRecord(damaged, dv, firstMsg + 61, damaged.length), firstMsg + 120);
  assert.equal(findNextRecord(damaged, dv, seg.length - 10, damaged.length), -1);
});
