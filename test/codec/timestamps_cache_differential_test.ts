/**
 * writeTimestamp (the last millisecond's bytes kept, 8d47b76) and parseTimestampMs (the last date's day
 * number kept, 7e0e497) against their versions before the caches (timestamps_base_oracle.ts): same bytes,
 * same end position, bytes around the timestamp untouched; same result (Object.is) for every input.
 * The sequences are the ones a cache can get wrong: the same millisecond again at another precision or
 * with other digits below the millisecond (two encoders of different precisions in one process), time
 * going backwards (a manual clock, an NTP step), second, day and year rollovers, times before 1970,
 * non-integer, negative and non-finite inputs; dates alternating between days, invalid dates and times,
 * leap seconds. Seeded and bounded. A time outside years 0000-9999 is refused (RangeError) where the
 * version before wrapped it.
 */
import assert from "node:assert/strict";
import {
  parseTimestampMs,
  timestampLength,
  type TimestampPrecision,
  writeTimestamp,
} from "../../src/codec/timestamps.ts";
import * as base from "./timestamps_base_oracle.ts";
import { Prng } from "./random_messages.ts";

const PRECISIONS: TimestampPrecision[] = ["s", "ms", "us", "ns"];
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 11, 7, 18, 30, 0, 0);

/** Writes `ms` with both versions into garbage-filled buffers at an offset; asserts equal bytes and ends. */
function same(ms: number, precision: TimestampPrecision, subMsNanos: number, what: string): void {
  const pos = (subMsNanos + Math.abs(ms | 0)) % 5;
  const a = new Uint8Array(40).fill(0xee), b = new Uint8Array(40).fill(0xee);
  // Outside years 0000-9999 (NaN, infinities too) it throws, writing nothing; before, it wrapped.
  if (!(Math.floor(ms) >= -62167219200000 && Math.floor(ms) <= 253402300799999)) {
    assert.throws(() => writeTimestamp(a, pos, ms, precision, subMsNanos), RangeError, what);
    assert.ok(a.every((x) => x === 0xee), `${what}: nothing written`);
    return;
  }
  const endA = writeTimestamp(a, pos, ms, precision, subMsNanos);
  const endB = base.writeTimestamp(b, pos, ms, precision, subMsNanos);
  if (endA !== endB || a.some((x, i) => x !== b[i])) {
    assert.fail(
      `${what}: writeTimestamp(${ms}, ${precision}, ${subMsNanos}) wrote ${
        new TextDecoder("latin1").decode(a.subarray(pos, endA))
      } (end ${endA}), before the cache ${
        new TextDecoder("latin1").decode(b.subarray(pos, endB))
      } (end ${endB})`,
    );
  }
  if (Number.isFinite(ms) && Math.abs(ms) < 1e14) assert.equal(endA - pos, timestampLength(precision));
}

Deno.test("writeTimestamp with its millisecond cache writes what it wrote before, whatever the sequence", () => {
  const rng = new Prng(20261207);
  // Hand-picked sequences first: each step depends on the cache state the previous one left.
  const steps: Array<[number, TimestampPrecision, number]> = [];
  for (const p of PRECISIONS) {
    for (const q of PRECISIONS) {
      // Same millisecond, another precision and other digits below it (µs/ns within one ms).
      steps.push([T0 + 123, p, 456789], [T0 + 123, q, 1], [T0 + 123.9, q, 999999], [T0 + 123, p, 0]);
    }
  }
  steps.push(
    [T0 + 999, "ms", 0], // second rollover
    [T0 + 1000, "ms", 0],
    [T0 + 999, "ns", 5], // and back
    [Date.UTC(2026, 11, 7, 23, 59, 59, 999), "ns", 999999], // day rollover
    [Date.UTC(2026, 11, 8), "ns", 0],
    [Date.UTC(2026, 11, 7, 23, 59, 59, 999), "us", 999000],
    [Date.UTC(2026, 11, 31, 23, 59, 59, 999), "ms", 0], // year rollover
    [Date.UTC(2027, 0, 1), "s", 0],
    [Date.UTC(2024, 1, 29, 12), "ms", 0], // leap day
    [0, "ms", 0],
    [-0, "ns", 0],
    [-1, "ms", 0], // before 1970
    [-0.5, "us", 500000],
    [-DAY, "s", 0],
    [-DAY - 1, "ms", 0],
    [Date.UTC(1900, 1, 28, 23, 59, 59, 999), "ms", 0],
    [Date.UTC(1, 0, 1), "ms", 0],
    [Date.UTC(9999, 11, 31, 23, 59, 59, 999), "ns", 123456],
    [Date.UTC(10000, 0, 1), "ms", 0], // beyond four digits of year: refused
    [T0 + 0.999, "ms", 0], // non-integer: the millisecond it is in
    [T0, "ms", 0],
    [T0 + 1.0000001, "us", 0],
    [NaN, "ms", 0],
    [T0, "ms", 0],
    [Infinity, "ns", 0],
    [-Infinity, "s", 0],
    [T0, "s", 0],
    [1e20, "ms", 0], // the day's milliseconds lost: refused
    [-1e20, "ms", 0],
    [8.64e15, "ms", 0],
    [T0, "ns", 1_000_000], // out-of-range digits below the millisecond: as before
    [T0, "us", -1],
    [T0, "ns", 12.5],
  );
  for (const [ms, p, sub] of steps) same(ms, p, sub, "sequence");

  // Random walks: mostly the same millisecond again (a burst), sometimes forwards, backwards, far off.
  let ms = T0;
  const recent = [T0, T0, T0];
  for (let i = 0; i < 200_000; i++) {
    const r = rng.float();
    if (r < 0.35) {
      // same millisecond
    } else if (r < 0.5) ms = rng.pick(recent); // two or three milliseconds alternating
    else if (r < 0.7) ms += rng.int(1, 3);
    else if (r < 0.8) ms -= rng.int(1, 2000); // a clock stepped back
    else if (r < 0.85) ms += rng.pick([1000, DAY, -DAY, 3_600_000]);
    else if (r < 0.9) ms = Math.floor(ms / DAY) * DAY + rng.pick([-1, 0, 1, DAY - 1]);
    else if (r < 0.95) ms = rng.int(-80 * 365, 8000 * 365) * DAY + rng.int(0, DAY - 1);
    else ms = T0 + rng.float() * 10; // fractions
    same(ms, rng.pick(PRECISIONS), rng.int(0, 999_999), `step ${i}`);
    if (ms !== recent[0]) {
      recent.pop();
      recent.unshift(ms);
    }
  }
});

/** The text as bytes at an offset in a longer buffer (garbage around it). */
function bytesOf(s: string, pos: number): Uint8Array {
  const b = new Uint8Array(pos + s.length + 3).fill(0x39);
  for (let i = 0; i < s.length; i++) b[pos + i] = s.charCodeAt(i) & 0xff;
  return b;
}

function parsedSame(s: string, what: string): number {
  const pos = s.length % 3;
  const b = bytesOf(s, pos);
  const got = parseTimestampMs(b, pos, pos + s.length);
  const want = base.parseTimestampMs(b, pos, pos + s.length);
  assert.ok(Object.is(got, want), `${what}: parseTimestampMs("${s}") = ${got}, before the cache ${want}`);
  return got;
}

const pad = (n: number, w: number) => String(n).padStart(w, "0");

Deno.test("parseTimestampMs with its day cache parses what it parsed before: days alternating, invalid dates, leap seconds", () => {
  // Invalid dates and times after a valid one of a day whose number is cached (and before it again).
  const valid = "20261207-18:30:00.123";
  const cases = [
    valid,
    "20260230-18:30:00.123", // Feb 30
    valid,
    "20250229-00:00:00", // not a leap year
    "20240229-00:00:00", // a leap year
    "19000229-00:00:00", // century, not a leap year
    "20000229-00:00:00",
    "20261307-18:30:00", // month 13
    "20260007-18:30:00", // month 0
    "20261200-18:30:00", // day 0
    "20261232-18:30:00",
    "20261207-24:00:00", // hour 24
    "20261207-23:60:00",
    "20261207-23:59:60", // a leap second: FIX allows it
    "20261231-23:59:60.999",
    "20261207-23:59:61",
    valid,
    "19691231-23:59:59.999", // before 1970
    "00000101-00:00:00",
    "00010101-00:00:00",
    "99991231-23:59:59.999999999",
    "20261207-18:30:00.1234", // fraction of 4 digits
    "20261207-18:30:00.12",
    "20261207 18:30:00",
    "2026120a-18:30:00",
    "20261207-18:30:00Z",
    "20261207-18:30:00.123456",
    "20261207-18:30:00.12345a",
    valid,
    "",
  ];
  for (const s of cases) parsedSame(s, "case");
  assert.equal(parsedSame("20261231-23:59:60", "leap"), Date.UTC(2027, 0, 1));

  // Random dates: alternating between a few days (cache thrash), any day, malformed bytes.
  const rng = new Prng(7);
  const days = [Date.UTC(2026, 11, 7), Date.UTC(2026, 11, 8), Date.UTC(1969, 11, 31), Date.UTC(2024, 1, 29)];
  for (let i = 0; i < 200_000; i++) {
    const r = rng.float();
    let s: string;
    if (r < 0.6) {
      const d = new Date(rng.pick(days) + rng.int(0, DAY - 1));
      s = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}-${
        pad(d.getUTCHours(), 2)
      }:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
      const digits = rng.pick([0, 3, 6, 9]);
      if (digits > 0) s += "." + pad(rng.int(0, 10 ** digits - 1), digits);
    } else {
      // Any digits in every place: invalid months, days, hours, seconds up to 99.
      s = `${pad(rng.int(0, 9999), 4)}${pad(rng.int(0, 13), 2)}${pad(rng.int(0, 32), 2)}-${
        pad(rng.int(0, 25), 2)
      }:${pad(rng.int(0, 61), 2)}:${pad(rng.int(0, 62), 2)}`;
      if (rng.chance(0.5)) s += "." + pad(rng.int(0, 999), 3);
    }
    if (rng.chance(0.1)) {
      const at = rng.int(0, s.length - 1);
      s = s.slice(0, at) + String.fromCharCode(rng.int(0, 255)) + s.slice(at + 1);
    }
    parsedSame(s, `step ${i}`);
  }
});
