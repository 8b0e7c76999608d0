/**
 * Value formats of FIX field types, checked over bytes without allocating (the validator's hot path).
 * Each checker takes `buf[start, end)` with `end > start` (empty values are the caller's business).
 */
import { isUtcTimestamp } from "../codec/timestamps.ts";

/** Format classes the validator distinguishes; several FIX types share one (PRICE, QTY, AMT are FLOAT). */
export const FormatClass = {
  Undefined: 0,
  String: 1,
  Int: 2,
  /** LENGTH, SEQNUM, NUMINGROUP: non-negative integers. */
  NonNegativeInt: 3,
  Float: 4,
  Char: 5,
  Boolean: 6,
  UtcTimestamp: 7,
  /** UTCDATEONLY, UTCDATE, LOCALMKTDATE, DATE: YYYYMMDD. */
  Date: 8,
  UtcTimeOnly: 9,
  MonthYear: 10,
  DayOfMonth: 11,
  /** DATA, XMLDATA: raw bytes whose extent a length field gives (may contain SOH). */
  Data: 12,
  /** MULTIPLEVALUESTRING, MULTIPLESTRINGVALUE, MULTIPLECHARVALUE: space-separated tokens. */
  MultipleValue: 13,
  TzTimeOnly: 14,
  TzTimestamp: 15,
} as const;

const CLASS_OF_TYPE: Readonly<Record<string, number>> = {
  INT: FormatClass.Int,
  LENGTH: FormatClass.NonNegativeInt,
  SEQNUM: FormatClass.NonNegativeInt,
  NUMINGROUP: FormatClass.NonNegativeInt,
  TAGNUM: FormatClass.NonNegativeInt,
  DAYOFMONTH: FormatClass.DayOfMonth,
  FLOAT: FormatClass.Float,
  PRICE: FormatClass.Float,
  QTY: FormatClass.Float,
  AMT: FormatClass.Float,
  PERCENTAGE: FormatClass.Float,
  PRICEOFFSET: FormatClass.Float,
  CHAR: FormatClass.Char,
  BOOLEAN: FormatClass.Boolean,
  UTCTIMESTAMP: FormatClass.UtcTimestamp,
  TIME: FormatClass.UtcTimestamp,
  UTCDATEONLY: FormatClass.Date,
  UTCDATE: FormatClass.Date,
  DATE: FormatClass.Date,
  LOCALMKTDATE: FormatClass.Date,
  UTCTIMEONLY: FormatClass.UtcTimeOnly,
  MONTHYEAR: FormatClass.MonthYear,
  DATA: FormatClass.Data,
  XMLDATA: FormatClass.Data,
  MULTIPLEVALUESTRING: FormatClass.MultipleValue,
  MULTIPLESTRINGVALUE: FormatClass.MultipleValue,
  MULTIPLECHARVALUE: FormatClass.MultipleValue,
  TZTIMEONLY: FormatClass.TzTimeOnly,
  TZTIMESTAMP: FormatClass.TzTimestamp,
};

/**
 * The format class of a FIX type name in the dictionary of FIX `major`.`minor` (default: the current
 * meaning); unknown and free-text types (STRING, CURRENCY, ...) are String.
 *
 * Meanings that changed between versions (FIX 4.0 and 4.1 have only CHAR, INT, FLOAT, TIME, DATE,
 * DAYOFMONTH, MONTHYEAR, DATA, LENGTH):
 * - CHAR before FIX 4.2 is "char" in the C sense of those specs: a string (SenderCompID, ClOrdID,
 *   Text are CHAR in the FIX 4.0 and 4.1 dictionaries), as QuickFIX reads it too. From FIX 4.2 on
 *   CHAR is one character.
 * - TIME (FIX 4.0, 4.1) is a UTC date and time, YYYYMMDD-HH:MM:SS: UTCTIMESTAMP from FIX 4.2 on.
 * - DATE (FIX 4.0, 4.1) is YYYYMMDD: LOCALMKTDATE or UTCDATE from FIX 4.2 on, UTCDATEONLY from 4.4.
 * - UTCTIMESTAMP and UTCTIMEONLY gained milliseconds in FIX 4.2 and micro/nanoseconds in FIX 5.0
 *   SP1; MONTHYEAR gained YYYYMMDD and YYYYMMwN in FIX 4.4; MULTIPLEVALUESTRING (4.2 to 4.4) became
 *   MULTIPLESTRINGVALUE and MULTIPLECHARVALUE in 5.0. Every version's forms are accepted in every
 *   version (what counterparties send, and what QuickFIX accepts).
 */
export function formatClassOf(type: string, major = 5, minor = 0): number {
  if (type === "CHAR" && major === 4 && minor < 2) return FormatClass.String;
  return CLASS_OF_TYPE[type] ?? FormatClass.String;
}

/** True when `buf[start, end)` is valid for the format class. */
export function formatOk(cls: number, buf: Uint8Array, start: number, end: number): boolean {
  switch (cls) {
    case 2: // Int
      return isInt(buf, start, end);
    case 3: // NonNegativeInt
      return isDigits(buf, start, end);
    case 4: // Float
      return isDecimal(buf, start, end);
    case 5: // Char
      return end - start === 1;
    case 6: // Boolean
      return end - start === 1 && (buf[start] === 0x59 || buf[start] === 0x4e);
    case 7: // UtcTimestamp
      return isUtcTimestamp(buf, start, end);
    case 8: // Date
      return end - start === 8 && isDate(buf, start);
    case 9: // UtcTimeOnly
      return isTimeOnly(buf, start, end);
    case 10: // MonthYear
      return isMonthYear(buf, start, end);
    case 11: { // DayOfMonth
      if (!isDigits(buf, start, end) || end - start > 2) return false;
      const d = num(buf, start, end);
      return d >= 1 && d <= 31;
    }
    case 14: // TzTimeOnly
      return isTzTime(buf, start, end);
    case 15: // TzTimestamp
      return end - start > 9 && isDate(buf, start) && buf[start + 8] === 0x2d &&
        isTzTime(buf, start + 9, end);
    default:
      return true;
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

/** True when `buf[start, end)` is one or more ASCII digits. */
export function isDigits(buf: Uint8Array, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    if ((buf[i]! - 48) >>> 0 > 9) return false;
  }
  return true;
}

function isInt(buf: Uint8Array, start: number, end: number): boolean {
  return buf[start] === 0x2d ? isDigits(buf, start + 1, end) : isDigits(buf, start, end);
}

/** FIX float syntax: optional '-', digits with at most one '.', at least one digit, no exponent. */
export function isDecimal(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (buf[i] === 0x2d) i++;
  let digits = 0, dots = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if ((c - 48) >>> 0 <= 9) {
      digits++;
    } else if (c === 0x2e) {
      if (++dots > 1) return false;
    } else {
      return false;
    }
  }
  return digits > 0;
}

function num(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n = n * 10 + buf[i]! - 48;
  return n;
}

/** Two digits at `p` as a number, or -1 (callers check `p + 2 <= end` first). */
function two(buf: Uint8Array, p: number): number {
  const a = buf[p]! - 48, b = buf[p + 1]! - 48;
  return (a >>> 0) > 9 || (b >>> 0) > 9 ? -1 : a * 10 + b;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** YYYYMMDD at `p` (8 bytes present), a real calendar date. */
function isDate(buf: Uint8Array, p: number): boolean {
  const c = two(buf, p), yy = two(buf, p + 2), m = two(buf, p + 4), d = two(buf, p + 6);
  if (c < 0 || yy < 0 || m < 1 || m > 12 || d < 1 || d > DAYS_IN_MONTH[m - 1]!) return false;
  if (m !== 2 || d < 29) return true;
  const y = c * 100 + yy;
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/** HH:MM:SS at `p` (8 bytes present); seconds may be 60 (leap second). */
function isHms(buf: Uint8Array, p: number): boolean {
  if (buf[p + 2] !== 0x3a || buf[p + 5] !== 0x3a) return false;
  const h = two(buf, p), m = two(buf, p + 3), s = two(buf, p + 6);
  return h >= 0 && h <= 23 && m >= 0 && m <= 59 && s >= 0 && s <= 60;
}

/** HH:MM:SS[.fff|.ffffff|.fffffffff] from `p` to `end`: the fractions the codec reads. */
function isTimeWithFraction(buf: Uint8Array, p: number, end: number): boolean {
  const len = end - p;
  if (len !== 8 && len !== 12 && len !== 15 && len !== 18) return false;
  if (!isHms(buf, p)) return false;
  return len === 8 || (buf[p + 8] === 0x2e && isDigits(buf, p + 9, end));
}

/**
 * YYYYMMDD-HH:MM:SS with no fraction or 3, 6 or 9 fraction digits, a real date and time: the codec's
 * one UTCTimestamp check (`parseTimestampMs` parses with the same rules).
 */
export { isUtcTimestamp };

function isTimeOnly(buf: Uint8Array, start: number, end: number): boolean {
  return isTimeWithFraction(buf, start, end);
}

/** YYYYMM, YYYYMMDD or YYYYMMwN (week 1-5). */
function isMonthYear(buf: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  if (len !== 6 && len !== 8) return false;
  if (!isDigits(buf, start, start + 6)) return false;
  const m = num(buf, start + 4, start + 6);
  if (m < 1 || m > 12) return false;
  if (len === 6) return true;
  if (buf[start + 6] === 0x77) return buf[start + 7]! >= 0x31 && buf[start + 7]! <= 0x35;
  if (!isDigits(buf, start + 6, end)) return false;
  const d = num(buf, start + 6, end);
  return d >= 1 && d <= 31;
}

/** HH:MM[:SS[.f...]] followed by Z, or +/-hh[:mm], or nothing (TZTimeOnly, and TZTimestamp's time). */
function isTzTime(buf: Uint8Array, start: number, end: number): boolean {
  let p = start;
  if (!isDigit(buf[p]) || !isDigit(buf[p + 1]) || buf[p + 2] !== 0x3a) return false;
  if (!isDigit(buf[p + 3]) || !isDigit(buf[p + 4])) return false;
  if (num(buf, p, p + 2) > 23 || num(buf, p + 3, p + 5) > 59) return false;
  p += 5;
  if (p < end && buf[p] === 0x3a) {
    if (!isDigit(buf[p + 1]) || !isDigit(buf[p + 2]) || num(buf, p + 1, p + 3) > 60) return false;
    p += 3;
    if (p < end && buf[p] === 0x2e) {
      p++;
      const from = p;
      while (p < end && isDigit(buf[p])) p++;
      if (p === from) return false;
    }
  }
  if (p === end) return true;
  const c = buf[p];
  if (c === 0x5a) return p + 1 === end;
  if (c !== 0x2b && c !== 0x2d) return false;
  p++;
  if (!isDigit(buf[p]) || !isDigit(buf[p + 1]) || num(buf, p, p + 2) > 14) return false;
  p += 2;
  if (p === end) return true;
  if (buf[p] !== 0x3a || end - p !== 3 || !isDigit(buf[p + 1]) || !isDigit(buf[p + 2])) return false;
  return num(buf, p + 1, p + 3) <= 59;
}
