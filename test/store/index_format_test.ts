/** The derived index file: round trip, exact entries for a scanned segment, damage detected. */
import assert from "node:assert/strict";
import { decodeIndex, encodeIndex, indexFromScan } from "../../src/store/index_format.ts";
import { segmentWith } from "./segments.ts";

Deno.test("an index round-trips and describes its segment exactly", () => {
  const seg = segmentWith(4);
  const { index } = indexFromScan(seg);
  const bytes = encodeIndex(3, seg.length, index);
  const d = decodeIndex(bytes);
  assert.ok(typeof d !== "string");
  assert.equal(d.segment, 3);
  assert.equal(d.coveredBytes, seg.length);
  assert.equal(d.count, 5);
  assert.deepEqual([...d.seqs], [1, 1, 2, 3, 4]);
  assert.deepEqual([...d.offsets], [64, 121, 181, 241, 301]);
  assert.deepEqual([...d.typeDirs], [4, 1 | (2 << 8), 1 | (2 << 8), 1 | (2 << 8), 1 | (2 << 8)]);
  assert.deepEqual([...d.keys], [[1, { key: "K", creationMs: 1000 }]]);
  bytes[40] = bytes[40]! ^ 1;
  assert.equal(decodeIndex(bytes), "index CRC mismatch");
});
