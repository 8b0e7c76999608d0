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
    return writeTimestampAnyTime(buf, pos, epochMs, precision, subMsNanos);
  }
  if (day !== cachedDay) {
    const [y, m, d] = civilFromDays(day);
    const ymd = new Uint8Array(8);
    putN(ymd, 0, y, 4);
    put2(ymd, 4, m);
    put2(ymd, 6, d);
    cachedYmd = ymd;
    cachedDay = day;
  }
  // Eight stores beat a native set() call for eight bytes.
  const ymd = cachedYmd;
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
  if (precision === "ms") return pos + 21;
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
  epochMs: number,
  precision: TimestampPrecision = "ms",
  subMsNanos = 0,
): number {
  epochMs = Math.floor(epochMs);
  const day = Math.floor(epochMs / MS_PER_DAY);
  let msOfDay = epochMs - day * MS_PER_DAY;
  if (day !== cachedDay) {
    const [y, m, d] = civilFromDays(day);
    const ymd = new Uint8Array(8);
    putN(ymd, 0, y, 4);
    put2(ymd, 4, m);
    put2(ymd, 6, d);
    cachedYmd = ymd;
    cachedDay = day;
  }
  buf.set(cachedYmd, pos);
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
  if (precision === "ms") return pos + 21;
  if (precision === "us") {
    putN(buf, pos + 21, Math.floor(subMsNanos / 1000), 3);
    return pos + 24;
  }
  putN(buf, pos + 21, subMsNanos, 6);
  return pos + 27;
}

/** Formats a UTCTimestamp as a string (for logs, tests and scenario files). */
export function formatTimestamp(
  epochMs: number,
  precision: TimestampPrecision = "ms",
  subMsNanos = 0,
): string {
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

/** Parses a UTCTimestamp in `buf[start, end)`; undefined when malformed or out of range. */
export function parseTimestamp(buf: Uint8Array, start: number, end: number): UtcTimestamp | undefined {
  const len = end - start;
  if (len !== 17 && len !== 21 && len !== 24 && len !== 27) return undefined;
  const days = parseDateDigits(buf, start);
  if (days === undefined || buf[start + 8] !== 0x2d) return undefined;
  const t = parseTimeDigits(buf, start + 9, end);
  if (t === undefined) return undefined;
  return { epochMs: days * MS_PER_DAY + t.msOfDay, subMsNanos: t.subMsNanos, digits: t.digits };
}

/** Parses YYYYMMDD at `p` into a day count, or undefined. */
function parseDateDigits(buf: Uint8Array, p: number): number | undefined {
  const y = dig(buf, p, 4), m = dig(buf, p + 4, 2), d = dig(buf, p + 6, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > 31) return undefined;
  const days = daysFromCivil(y, m, d);
  // Reject dates like 20240231 that roll over into the next month.
  const [, m2] = civilFromDays(days);
  return m2 === m ? days : undefined;
}

/** Parses HH:MM:SS[.fff...] at `p` up to `end`. Seconds may be 60 (leap second). */
function parseTimeDigits(
  buf: Uint8Array,
  p: number,
  end: number,
): { msOfDay: number; subMsNanos: number; digits: number } | undefined {
  const h = dig(buf, p, 2), mi = dig(buf, p + 3, 2), s = dig(buf, p + 6, 2);
  if (buf[p + 2] !== 0x3a || buf[p + 5] !== 0x3a) return undefined;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return undefined;
  let ms = 0, sub = 0, digits = 0;
  const fracLen = end - (p + 8);
  if (fracLen > 0) {
    if (buf[p + 8] !== 0x2e) return undefined;
    digits = fracLen - 1;
    if (digits !== 3 && digits !== 6 && digits !== 9) return undefined;
    ms = dig(buf, p + 9, 3);
    if (ms < 0) return undefined;
    if (digits > 3) {
      const rest = dig(buf, p + 12, digits - 3);
      if (rest < 0) return undefined;
      sub = digits === 6 ? rest * 1000 : rest;
    }
  }
  return { msOfDay: ((h * 60 + mi) * 60 + s) * 1000 + ms, subMsNanos: sub, digits };
}

/** Parses a UTCDateOnly (YYYYMMDD) into milliseconds since the epoch at midnight UTC. */
export function parseDateOnly(buf: Uint8Array, start: number, end: number): number | undefined {
  if (end - start !== 8) return undefined;
  const days = parseDateDigits(buf, start);
  return days === undefined ? undefined : days * MS_PER_DAY;
}

/** Parses a UTCTimeOnly (HH:MM:SS[.sss...]) into milliseconds since midnight. */
export function parseTimeOnly(buf: Uint8Array, start: number, end: number): number | undefined {
  const len = end - start;
  if (len !== 8 && len !== 12 && len !== 15 && len !== 18) return undefined;
  return parseTimeDigits(buf, start, end)?.msOfDay;
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
