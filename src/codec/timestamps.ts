/** UTC timestamps of FIX (UTCTimestamp, UTCDateOnly, UTCTimeOnly) without Date objects on the hot path. */
import { SOH } from "./ascii.ts";

/** Fractional-second digits written in timestamps: milliseconds (default), micro- or nanoseconds. */
export type TimestampPrecision = "s" | "ms" | "us" | "ns";

/** A parsed UTCTimestamp: milliseconds since the epoch plus the nanoseconds below the millisecond. */
export interface UtcTimestamp {
  epochMs: number;
  /** 0..999999: the part below one millisecond, when the value carried micro- or nanoseconds. */
  subMsNanos: number;
  /** Fraction digits present in the value: 0, 3, 6 or 9. */
  digits: number;
}

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Year, month, day of a day count since 1970-01-01. */
export function civilFromDays(z: number): [number, number, number] {
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

/** Bytes a timestamp takes at a precision. */
export function timestampLength(precision: TimestampPrecision): number {
  return precision === "s" ? 17 : precision === "ms" ? 21 : precision === "us" ? 24 : 27;
}

let cachedDay = -1;
let cachedYmd = new Uint8Array(8);

/**
 * Two milliseconds written lately, each as its `YYYYMMDD-HH:MM:SS.sss` (21 bytes): in a burst many
 * messages (and a message's SendingTime and TransactTime) fall in one millisecond, and a copy of 21
 * bytes is cheaper than formatting them again. Two: a session stamps the messages it sends while
 * handling a read with the read's time, and its application may stamp theirs with a clock read per
 * message, so two times alternate once a millisecond has passed during the read. A new millisecond
 * replaces the one formatted before the other. NaN until written (NaN equals no time).
 */
let msA = NaN;
let msB = NaN;
const textA = new Uint8Array(21);
const textB = new Uint8Array(21);
let replaceA = true;

/** The UTCTimestamps there are: years 0000 to 9999 (YYYYMMDD), in epoch milliseconds. */
export const MIN_TIMESTAMP_MS = -62167219200000; // 0000-01-01T00:00:00.000Z
export const MAX_TIMESTAMP_MS = 253402300799999; // 9999-12-31T23:59:59.999Z

/** The RangeError of a time outside years 0000-9999 (or NaN, or not finite): it names the value and the range. */
function outOfRange(epochMs: number): RangeError {
  return new RangeError(
    `${epochMs} is not a UTCTimestamp in epoch milliseconds: years 0000 to 9999 only ` +
      `(${MIN_TIMESTAMP_MS} to ${MAX_TIMESTAMP_MS}, 00000101-00:00:00.000 to 99991231-23:59:59.999)`,
  );
}

/**
 * Writes `YYYYMMDD-HH:MM:SS[.sss[sss[sss]]]` at `pos`; returns the position after it.
 * `subMsNanos` (0..999999) supplies the digits below the millisecond for "us" and "ns".
 * Throws a RangeError for a time outside years 0000-9999, NaN or not finite (YYYY has four digits):
 * checked only when a millisecond is formatted, not when a recent one is copied.
 */
export function writeTimestamp(
  buf: Uint8Array,
  pos: number,
  epochMs: number,
  precision: TimestampPrecision = "ms",
  subMsNanos = 0,
): number {
  const ms = Math.floor(epochMs);
  let t: Uint8Array;
  if (ms === msA) t = textA;
  else if (ms === msB) t = textB;
  else {
    // In range (which NaN is not), the millisecond of the day is exact and from 0 to 86399999.
    if (!(ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS)) throw outOfRange(epochMs);
    const day = Math.floor(ms / MS_PER_DAY);
    const msOfDay = ms - day * MS_PER_DAY;
    if (replaceA) {
      t = textA;
      msA = ms;
    } else {
      t = textB;
      msB = ms;
    }
    replaceA = !replaceA;
    formatMs(t, day, msOfDay);
  }
  // Seventeen stores (and four), unrolled: a loop of them was slower than formatting.
  buf[pos] = t[0]!;
  buf[pos + 1] = t[1]!;
  buf[pos + 2] = t[2]!;
  buf[pos + 3] = t[3]!;
  buf[pos + 4] = t[4]!;
  buf[pos + 5] = t[5]!;
  buf[pos + 6] = t[6]!;
  buf[pos + 7] = t[7]!;
  buf[pos + 8] = t[8]!;
  buf[pos + 9] = t[9]!;
  buf[pos + 10] = t[10]!;
  buf[pos + 11] = t[11]!;
  buf[pos + 12] = t[12]!;
  buf[pos + 13] = t[13]!;
  buf[pos + 14] = t[14]!;
  buf[pos + 15] = t[15]!;
  buf[pos + 16] = t[16]!;
  if (precision === "s") return pos + 17;
  buf[pos + 17] = t[17]!;
  buf[pos + 18] = t[18]!;
  buf[pos + 19] = t[19]!;
  buf[pos + 20] = t[20]!;
  return precision === "ms" ? pos + 21 : writeBelowMs(buf, pos, precision, subMsNanos);
}

/** `buf` := the day's date and the millisecond of the day (in range) as `YYYYMMDD-HH:MM:SS.sss`. */
function formatMs(buf: Uint8Array, day: number, msOfDay: number): void {
  // Eight stores beat a native set() call for eight bytes.
  const ymd = day === cachedDay ? cachedYmd : ymdOf(day);
  buf[0] = ymd[0]!;
  buf[1] = ymd[1]!;
  buf[2] = ymd[2]!;
  buf[3] = ymd[3]!;
  buf[4] = ymd[4]!;
  buf[5] = ymd[5]!;
  buf[6] = ymd[6]!;
  buf[7] = ymd[7]!;
  buf[8] = 0x2d; // '-'
  // msOfDay fits in int32: `| 0` divisions by constants are multiplies.
  const h = (msOfDay / 3_600_000) | 0;
  msOfDay -= h * 3_600_000;
  const mi = (msOfDay / 60_000) | 0;
  msOfDay -= mi * 60_000;
  const s = (msOfDay / 1000) | 0;
  const ms = msOfDay - s * 1000;
  put2Int(buf, 9, h);
  buf[11] = 0x3a;
  put2Int(buf, 12, mi);
  buf[14] = 0x3a;
  put2Int(buf, 15, s);
  buf[17] = 0x2e;
  const ms1 = (ms / 100) | 0, ms2 = ((ms - ms1 * 100) / 10) | 0;
  buf[18] = 48 + ms1;
  buf[19] = 48 + ms2;
  buf[20] = 48 + ms - ms1 * 100 - ms2 * 10;
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
 * Formats a UTCTimestamp as a string (for logs, tests and scenario files). Throws a RangeError naming the
 * value and the valid range for a time outside years 0000-9999 (-62167219200000 to 253402300799999 ms),
 * NaN or not finite, and for `subMsNanos` that is not a whole number from 0 to 999999.
 */
export function formatTimestamp(
  epochMs: number,
  precision: TimestampPrecision = "ms",
  subMsNanos = 0,
): string {
  if (!Number.isInteger(subMsNanos) || subMsNanos < 0 || subMsNanos > 999_999) {
    throw new RangeError(
      `subMsNanos ${subMsNanos} is not the nanoseconds below a millisecond: a whole number from 0 to 999999`,
    );
  }
  const b = new Uint8Array(27);
  const end = writeTimestamp(b, 0, epochMs, precision, subMsNanos);
  let out = "";
  for (let i = 0; i < end; i++) out += String.fromCharCode(b[i]!);
  return out;
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
  // Every digit is checked: plain arithmetic, and the date's day number from the last call when the
  // date is the same (one date for nearly every message of a day).
  const b = start;
  const y = (buf[b]! - 48) * 1000 + (buf[b + 1]! - 48) * 100 + (buf[b + 2]! - 48) * 10 + buf[b + 3]! - 48;
  const m = (buf[b + 4]! - 48) * 10 + buf[b + 5]! - 48;
  const d = (buf[b + 6]! - 48) * 10 + buf[b + 7]! - 48;
  const ymd = y * 10000 + m * 100 + d;
  if (ymd !== parsedYmd) {
    parsedDays = daysFromCivil(y, m, d);
    parsedYmd = ymd;
  }
  const h = (buf[b + 9]! - 48) * 10 + buf[b + 10]! - 48;
  const mi = (buf[b + 12]! - 48) * 10 + buf[b + 13]! - 48;
  const sec = (buf[b + 15]! - 48) * 10 + buf[b + 16]! - 48;
  const ms = end - start > 17 ? (buf[b + 18]! - 48) * 100 + (buf[b + 19]! - 48) * 10 + buf[b + 20]! - 48 : 0;
  return parsedDays * MS_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000 + ms;
}

/** The date (YYYYMMDD as a number) parseTimestampMs read last, and its day since 1970-01-01. */
let parsedYmd = -1;
let parsedDays = 0;

/** Parses a UTCTimestamp in `buf[start, end)` with its sub-millisecond part; undefined when malformed. */
export function parseTimestamp(buf: Uint8Array, start: number, end: number): UtcTimestamp | undefined {
  const epochMs = parseTimestampMs(buf, start, end);
  if (Number.isNaN(epochMs)) return undefined;
  const digits = end - start > 17 ? end - start - 18 : 0;
  const subMsNanos = digits > 3 ? dig(buf, start + 21, digits - 3) * (digits === 6 ? 1000 : 1) : 0;
  return { epochMs, subMsNanos, digits };
}

/** YYYYMMDD at `p` as days since 1970-01-01 (negative before), or -Infinity when not a date. */
function dateDays(buf: Uint8Array, p: number): number {
  const y = dig(buf, p, 4), m = dig(buf, p + 4, 2), d = dig(buf, p + 6, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > DAYS_IN_MONTH_BYTES[m - 1]!) return -Infinity;
  if (m === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return -Infinity;
  return daysFromCivil(y, m, d);
}

/** HH:MM:SS[.fff|.ffffff|.fffffffff] at `p` up to `end` as milliseconds of the day, or -1. Seconds may be 60 (leap second). */
function timeOfDayMs(buf: Uint8Array, p: number, end: number): number {
  const h = dig(buf, p, 2), mi = dig(buf, p + 3, 2), s = dig(buf, p + 6, 2);
  if (buf[p + 2] !== 0x3a || buf[p + 5] !== 0x3a) return -1;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return -1;
  let ms = 0;
  const fracLen = end - (p + 8);
  if (fracLen > 0) {
    if (buf[p + 8] !== 0x2e) return -1;
    const digits = fracLen - 1;
    if (digits !== 3 && digits !== 6 && digits !== 9) return -1;
    ms = dig(buf, p + 9, 3);
    if (ms < 0 || (digits > 3 && dig(buf, p + 12, digits - 3) < 0)) return -1;
  }
  return ((h * 60 + mi) * 60 + s) * 1000 + ms;
}

/** Parses a UTCDateOnly (YYYYMMDD) into milliseconds since the epoch at midnight UTC. */
export function parseDateOnly(buf: Uint8Array, start: number, end: number): number | undefined {
  if (end - start !== 8) return undefined;
  const days = dateDays(buf, start);
  return days === -Infinity ? undefined : days * MS_PER_DAY;
}

/** Parses a UTCTimeOnly (HH:MM:SS[.sss...]) into milliseconds since midnight. */
export function parseTimeOnly(buf: Uint8Array, start: number, end: number): number | undefined {
  const len = end - start;
  if (len !== 8 && len !== 12 && len !== 15 && len !== 18) return undefined;
  const t = timeOfDayMs(buf, start, end);
  return t < 0 ? undefined : t;
}

/** Parses a timestamp string (tests, scenario files); undefined when malformed. */
export function parseTimestampString(s: string): UtcTimestamp | undefined {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return parseTimestamp(b, 0, b.length);
}

/** True when `buf[start,end)` contains SOH (a non-data value must not). */
export function containsSoh(buf: Uint8Array, start: number, end: number): boolean {
  const i = buf.indexOf(SOH, start);
  return i !== -1 && i < end;
}
