import assert from "node:assert/strict";
import { formatTimestamp, writeTimestamp } from "../../src/codec/timestamps.ts";

// Every precision, years 0000 to 9999 (times out of that range throw: timestamps_range_test.ts).
const CASES: [number, string[]][] = [
  [0, [
    "19700101-00:00:00",
    "19700101-00:00:00.000",
    "19700101-00:00:00.000123",
    "19700101-00:00:00.000123456",
  ]],
  [-1, [
    "19691231-23:59:59",
    "19691231-23:59:59.999",
    "19691231-23:59:59.999123",
    "19691231-23:59:59.999123456",
  ]],
  [-86_400_001, [
    "19691230-23:59:59",
    "19691230-23:59:59.999",
    "19691230-23:59:59.999123",
    "19691230-23:59:59.999123456",
  ]],
  [1_700_000_000_123.7, [
    "20231114-22:13:20",
    "20231114-22:13:20.123",
    "20231114-22:13:20.123123",
    "20231114-22:13:20.123123456",
  ]],
  [253402300799999, [
    "99991231-23:59:59",
    "99991231-23:59:59.999",
    "99991231-23:59:59.999123",
    "99991231-23:59:59.999123456",
  ]],
];

Deno.test("formatTimestamp at every precision, byte for byte", () => {
  for (const [epochMs, texts] of CASES) {
    assert.deepEqual(
      (["s", "ms", "us", "ns"] as const).map((p) => formatTimestamp(epochMs, p, 123456)),
      texts,
    );
  }
});

// writeTimestamp keeps the text of two recent milliseconds: the same millisecond again (at any precision,
// alternating with another, after a time out of range refused in between) is the same bytes, and "s" writes 17
// bytes, not the cached 21.
Deno.test("writeTimestamp: repeated and alternating milliseconds at every precision, byte for byte", () => {
  const text = (b: Uint8Array, end: number) => String.fromCharCode(...b.subarray(2, end));
  const times = [
    1_700_000_000_123,
    1_700_000_000_123.9,
    1_700_000_000_124,
    NaN,
    1_700_000_000_124,
    0,
    1e20,
    0,
  ];
  for (const epochMs of times) {
    for (const p of ["ns", "s", "ms", "us", "s"] as const) {
      const b = new Uint8Array(40).fill(0x7e);
      if (Number.isNaN(epochMs) || epochMs > 253402300799999) {
        assert.throws(() => writeTimestamp(b, 2, epochMs, p, 987654), RangeError);
        assert.deepEqual([...b], new Array(40).fill(0x7e), "nothing written");
        continue;
      }
      const end = writeTimestamp(b, 2, epochMs, p, 987654);
      assert.equal(text(b, end), formatTimestamp(epochMs, p, 987654));
      assert.equal(end, 2 + (p === "s" ? 17 : p === "ms" ? 21 : p === "us" ? 24 : 27));
      assert.deepEqual([...b.subarray(0, 2), ...b.subarray(end)], new Array(40 - end + 2).fill(0x7e));
    }
  }
  const b = new Uint8Array(27);
  writeTimestamp(b, 0, 1_700_000_000_123, "ms");
  assert.equal(text(new Uint8Array([0, 0, ...b]), 23), "20231114-22:13:20.123");
  writeTimestamp(b, 0, 1_700_000_000_123, "s");
  assert.equal(text(new Uint8Array([0, 0, ...b]), 23), "20231114-22:13:20.123");
  writeTimestamp(b, 0, 1_700_000_060_000, "us", 1000);
  assert.equal(text(new Uint8Array([0, 0, ...b]), 26), "20231114-22:14:20.000001");
});
