/**
 * The oracle of timestamps_cache_differential_test.ts: src/codec/timestamps.ts's writeTimestamp and
 * parseTimestampMs as they were at 930d079 (before the last millisecond's bytes were cached, 8d47b76,
 * and before the day number of the last date was kept, 7e0e497), copied unchanged (types from the module).
 */
import type { TimestampPrecision } from "../../src/codec/timestamps.ts";
const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Year, month, day of a day count since 1970-01-01. */
function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [m <= 2 ? y + 1 : y, m, d];
}

function put2(buf: Uint8Array, p: number, n: number): void {
  const t = Math.floor(n / 10);
  buf[p] = 48 + t;
  buf[p + 1] = 48 + n - t * 10;
}

/** put2 for 0..99 known to be an integer: `| 0` division by a constant is a multiply. */
function put2Int(buf: Uint8Array, p: number, n: number): void {
  const t = (n / 10) | 0;
  buf[p] = 48 + t;
  buf[p + 1] = 48 + n - t * 10;
}

function putN(buf: Uint8Array, p: number, n: number, width: number): void {
  for (let i = p + width - 1; i >= p; i--) {
    const q = Math.floor(n / 10);
    buf[i] = 48 + n - q * 10;
    n = q;
  }
}

let cachedDay = -1;
let cachedYmd = new Uint8Array(8);

/**
 * Writes `YYYYMMDD-HH:MM:SS[.sss[sss[sss]]]` at `pos`; returns the position after it.
 * `subMsNanos` (0..999999) supplies the digits below the millisecond for "us" and "ns".
 */
export function writeTimestamp(
  buf: Uint8Array,
  pos: number,
  epochMs: number,
  precision: TimestampPrecision = "ms",
  subMsNanos = 0,
): number {
  epochMs = Math.floor(epochMs);
  const day = Math.floor(epochMs / MS_PER_DAY);
  let msOfDay = epochMs - day * MS_PER_DAY;
  if (!(msOfDay >= 0 && msOfDay < MS_PER_DAY)) {
    return writeTimestampAnyTime(buf, pos, day, msOfDay, precision, subMsNanos);
  }
  // Eight stores beat a native set() call for eight bytes.
  const ymd = day === cachedDay ? cachedYmd : ymdOf(day);
  buf[pos] = ymd[0]!;
  buf[pos + 1] = ymd[1]!;
  buf[pos + 2] = ymd[2]!;
  buf[pos + 3] = ymd[3]!;
  buf[pos + 4] = ymd[4]!;
  buf[pos + 5] = ymd[5]!;
  buf[pos + 6] = ymd[6]!;
  buf[pos + 7] = ymd[7]!;
  buf[pos + 8] = 0x2d; // '-'
  // msOfDay fits in int32: `| 0` divisions by constants are multiplies.
  const h = (msOfDay / 3_600_000) | 0;
  msOfDay -= h * 3_600_000;
  const mi = (msOfDay / 60_000) | 0;
  msOfDay -= mi * 60_000;
  const s = (msOfDay / 1000) | 0;
  const ms = msOfDay - s * 1000;
  put2Int(buf, pos + 9, h);
  buf[pos + 11] = 0x3a;
  put2Int(buf, pos + 12, mi);
  buf[pos + 14] = 0x3a;
  put2Int(buf, pos + 15, s);
  if (precision === "s") return pos + 17;
  buf[pos + 17] = 0x2e;
  const ms1 = (ms / 100) | 0, ms2 = ((ms - ms1 * 100) / 10) | 0;
  buf[pos + 18] = 48 + ms1;
  buf[pos + 19] = 48 + ms2;
  buf[pos + 20] = 48 + ms - ms1 * 100 - ms2 * 10;
  return precision === "ms" ? pos + 21 : writeBelowMs(buf, pos, precision, subMsNanos);
}

/** YYYYMMDD of a day since the epoch, kept for the next call of the same day. */
function ymdOf(day: number): Uint8Array {
  if (day !== cachedDay) {
    const [y, m, d] = civilFromDays(day);
    const ymd = new Uint8Array(8);
    putN(ymd, 0, y, 4);
    put2(ymd, 4, m);
    put2(ymd, 6, d);
    cachedYmd = ymd;
    cachedDay = day;
  }
  return cachedYmd;
}

/** The digits below the millisecond ("us": 3, "ns": 6) of a timestamp at `pos`; returns its end. */
function writeBelowMs(
  buf: Uint8Array,
  pos: number,
  precision: TimestampPrecision,
  subMsNanos: number,
): number {
  if (precision === "us") {
    putN(buf, pos + 21, Math.floor(subMsNanos / 1000), 3);
    return pos + 24;
  }
  putN(buf, pos + 21, subMsNanos, 6);
  return pos + 27;
}

/**
 * writeTimestamp's plain float arithmetic, for times whose millisecond of the day is out of range
 * (NaN, infinities, times so far out that the day's milliseconds are lost): whatever it writes for
 * them stays as it was.
 */
function writeTimestampAnyTime(
  buf: Uint8Array,
  pos: number,
  day: number,
  msOfDay: number,
  precision: TimestampPrecision,
  subMsNanos: number,
): number {
  buf.set(ymdOf(day), pos);
  buf[pos + 8] = 0x2d; // '-'
  const h = Math.floor(msOfDay / 3_600_000);
  msOfDay -= h * 3_600_000;
  const mi = Math.floor(msOfDay / 60_000);
  msOfDay -= mi * 60_000;
  const s = Math.floor(msOfDay / 1000);
  const ms = msOfDay - s * 1000;
  put2(buf, pos + 9, h);
  buf[pos + 11] = 0x3a;
  put2(buf, pos + 12, mi);
  buf[pos + 14] = 0x3a;
  put2(buf, pos + 15, s);
  if (precision === "s") return pos + 17;
  buf[pos + 17] = 0x2e;
  putN(buf, pos + 18, ms, 3);
  return precision === "ms" ? pos + 21 : writeBelowMs(buf, pos, precision, subMsNanos);
}

function dig(buf: Uint8Array, p: number, n: number): number {
  let v = 0;
  for (let i = p; i < p + n; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

const DAYS_IN_MONTH_BYTES = Uint8Array.from([31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);

/**
 * YYYYMMDD-HH:MM:SS with no fraction or 3, 6 or 9 fraction digits, a real date and time (seconds
 * may be 60): the one set of UTCTimestamp rules (the validator's format check, and parseTimestampMs).
 * Two per message on the validator's hot path: all digits are tested in one go.
 */
export function isUtcTimestamp(buf: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  if (len !== 17 && len !== 21 && len !== 24 && len !== 27) return false;
  if (buf[start + 8] !== 0x2d || buf[start + 11] !== 0x3a || buf[start + 14] !== 0x3a) return false;
  const b = start;
  const c1 = buf[b]! - 48, c2 = buf[b + 1]! - 48, y1 = buf[b + 2]! - 48, y2 = buf[b + 3]! - 48;
  const m1 = buf[b + 4]! - 48, m2 = buf[b + 5]! - 48, d1 = buf[b + 6]! - 48, d2 = buf[b + 7]! - 48;
  const h1 = buf[b + 9]! - 48, h2 = buf[b + 10]! - 48, n1 = buf[b + 12]! - 48;
  const n2 = buf[b + 13]! - 48, s1 = buf[b + 15]! - 48, s2 = buf[b + 16]! - 48;
  // x is a digit exactly when x and 9 - x are both non-negative: one sign test for all of them.
  const signs = c1 | (9 - c1) | c2 | (9 - c2) | y1 | (9 - y1) | y2 | (9 - y2) | m1 | (9 - m1) | m2 |
    (9 - m2) | d1 | (9 - d1) | d2 | (9 - d2) | h1 | (9 - h1) | h2 | (9 - h2) | n1 | (9 - n1) | n2 |
    (9 - n2) | s1 | (9 - s1) | s2 | (9 - s2);
  if (signs < 0) return false;
  const m = m1 * 10 + m2, d = d1 * 10 + d2;
  if (m < 1 || m > 12 || d < 1 || d > DAYS_IN_MONTH_BYTES[m - 1]!) return false;
  if (h1 * 10 + h2 > 23 || n1 * 10 + n2 > 59 || s1 * 10 + s2 > 60) return false;
  if (m === 2 && d === 29) {
    const y = c1 * 1000 + c2 * 100 + y1 * 10 + y2;
    if (y % 4 !== 0 || (y % 100 === 0 && y % 400 !== 0)) return false;
  }
  if (len === 17) return true;
  if (buf[start + 17] !== 0x2e) return false;
  for (let i = start + 18; i < end; i++) if ((buf[i]! - 48) >>> 0 > 9) return false;
  return true;
}

/**
 * The one UTCTimestamp parser: `YYYYMMDD-HH:MM:SS[.sss|.ssssss|.sssssssss]` in `buf[start, end)` to
 * epoch milliseconds (digits below the millisecond checked, then dropped); NaN when malformed or out
 * of range (a zone suffix is not UTC and fails). Allocates nothing: the session's SendingTime check
 * calls it on every message.
 */
export function parseTimestampMs(buf: Uint8Array, start: number, end: number): number {
  if (!isUtcTimestamp(buf, start, end)) return NaN;
  const days = daysFromCivil(dig(buf, start, 4), dig(buf, start + 4, 2), dig(buf, start + 6, 2));
  const msOfDay = ((dig(buf, start + 9, 2) * 60 + dig(buf, start + 12, 2)) * 60 + dig(buf, start + 15, 2)) *
      1000 + (end - start > 17 ? dig(buf, start + 18, 3) : 0);
  return days * MS_PER_DAY + msOfDay;
}
