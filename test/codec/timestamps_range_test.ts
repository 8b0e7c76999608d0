/**
 * formatTimestamp (exported from src/mod.ts) and the encoder's writeTimestamp write years 0000 to 9999
 * and refuse any other time with a RangeError naming the value and the range. Before, year 10000 came
 * out as 0000 (putN kept four digits), NaN and infinities as NUL bytes, years before 0000 as garbage.
 */
import assert from "node:assert/strict";
import { formatTimestamp } from "../../src/mod.ts";
import { Encoder } from "../../src/codec/encoder.ts";
import { writeTimestamp } from "../../src/codec/timestamps.ts";

const FIRST = -62167219200000; // 0000-01-01T00:00:00.000Z
const LAST = 253402300799999; // 9999-12-31T23:59:59.999Z
const RANGE = "years 0000 to 9999 only (-62167219200000 to 253402300799999, " +
  "00000101-00:00:00.000 to 99991231-23:59:59.999)";

Deno.test("formatTimestamp: exact text at the edges of years 0000 and 9999", () => {
  assert.equal(new Date(FIRST).toISOString(), "0000-01-01T00:00:00.000Z");
  assert.equal(new Date(LAST).toISOString(), "9999-12-31T23:59:59.999Z");
  assert.equal(formatTimestamp(FIRST), "00000101-00:00:00.000");
  assert.equal(formatTimestamp(FIRST, "s"), "00000101-00:00:00");
  assert.equal(formatTimestamp(FIRST, "ns", 1), "00000101-00:00:00.000000001");
  assert.equal(formatTimestamp(FIRST + 0.5), "00000101-00:00:00.000");
  assert.equal(formatTimestamp(LAST), "99991231-23:59:59.999");
  assert.equal(formatTimestamp(LAST, "s"), "99991231-23:59:59");
  assert.equal(formatTimestamp(LAST, "us", 999_999), "99991231-23:59:59.999999");
  assert.equal(formatTimestamp(LAST + 0.9), "99991231-23:59:59.999");
  assert.equal(formatTimestamp(Date.UTC(1, 1, 28, 12)), "19010228-12:00:00.000"); // Date.UTC: 1 is 1901
  assert.equal(formatTimestamp(-1), "19691231-23:59:59.999");
});

Deno.test("formatTimestamp: a time outside years 0000-9999, NaN or not finite throws a RangeError naming it", () => {
  const cases: [number, string][] = [
    [LAST + 1, "253402300800000"], // 10000-01-01: came out as 00000101-00:00:00.000
    [FIRST - 1, "-62167219200001"], // -0001-12-31
    [FIRST - 0.5, "-62167219200000.5"], // in the millisecond before 0000-01-01
    [1e16, "10000000000000000"],
    [-1e15, "-1000000000000000"],
    [1e20, "100000000000000000000"],
    [NaN, "NaN"],
    [Infinity, "Infinity"],
    [-Infinity, "-Infinity"],
  ];
  for (const [ms, text] of cases) {
    for (const p of ["s", "ms", "us", "ns"] as const) {
      assert.throws(() => formatTimestamp(ms, p), {
        name: "RangeError",
        message: `${text} is not a UTCTimestamp in epoch milliseconds: ${RANGE}`,
      });
    }
  }
});

Deno.test("formatTimestamp: digits below the millisecond outside 0-999999 or with a fraction throw", () => {
  for (const [sub, text] of [[1_000_000, "1000000"], [-1, "-1"], [12.5, "12.5"], [NaN, "NaN"]] as const) {
    assert.throws(() => formatTimestamp(0, "ns", sub), {
      name: "RangeError",
      message:
        `subMsNanos ${text} is not the nanoseconds below a millisecond: a whole number from 0 to 999999`,
    });
  }
  assert.equal(formatTimestamp(0, "ns", 999_999), "19700101-00:00:00.000999999");
});

Deno.test("the encoder (writeTimestamp, Encoder.timestamp) refuses a time outside years 0000-9999 the same way", () => {
  const b = new Uint8Array(32).fill(0x7e);
  assert.throws(() => writeTimestamp(b, 0, LAST + 1), {
    name: "RangeError",
    message: `253402300800000 is not a UTCTimestamp in epoch milliseconds: ${RANGE}`,
  });
  assert.deepEqual([...b], new Array(32).fill(0x7e));
  // A millisecond written just before (kept for the next call) does not let a neighbour through.
  assert.equal(writeTimestamp(b, 0, LAST), 21);
  assert.throws(() => writeTimestamp(b, 0, LAST + 1, "s"), RangeError);
  assert.throws(() => writeTimestamp(b, 0, NaN), RangeError);
  const enc = new Encoder();
  assert.throws(() => enc.timestamp(60, Date.UTC(10000, 0, 1)), RangeError);
  assert.throws(() => enc.timestamp(60, NaN), RangeError);
});
