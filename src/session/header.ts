/**
 * Header checks on inbound messages, done on bytes (no strings, no allocation): BeginString,
 * CompIDs and SendingTime accuracy.
 */
import { daysFromCivil, type MessageView, Tag } from "../codec/mod.ts";
import type { SessionState } from "./state.ts";

/** True when field `i` of the view holds exactly `expected`. */
export function valueEquals(view: MessageView, i: number, expected: Uint8Array): boolean {
  const start = view.valueStartAt(i);
  const len = view.valueEndAt(i) - start;
  if (len !== expected.length) return false;
  const buf = view.buf;
  for (let k = 0; k < len; k++) if (buf[start + k] !== expected[k]) return false;
  return true;
}

/** True when the BeginString (the first field, as the framer guarantees) is the session's. */
export function beginStringMatches(s: SessionState, view: MessageView): boolean {
  return view.count > 0 && view.tagAt(0) === Tag.BeginString && valueEquals(view, 0, s.beginStringBytes);
}

/**
 * CompID check: 0 when SenderCompID is our TargetCompID and TargetCompID our SenderCompID;
 * else the tag at fault, positive when its value is wrong, negative when it is missing.
 */
export function compIdProblem(s: SessionState, view: MessageView): number {
  const si = view.indexOf(Tag.SenderCompID);
  if (si < 0) return -Tag.SenderCompID;
  if (!valueEquals(view, si, s.targetCompIdBytes)) return Tag.SenderCompID;
  const ti = view.indexOf(Tag.TargetCompID);
  if (ti < 0) return -Tag.TargetCompID;
  if (!valueEquals(view, ti, s.senderCompIdBytes)) return Tag.TargetCompID;
  return 0;
}

/** SendingTime (52) is fine. */
export const TIME_OK = 0;
/** SendingTime is missing. */
export const TIME_MISSING = 1;
/** SendingTime is malformed (not a UTC timestamp) or outside the accepted window. */
export const TIME_BAD = 2;

/** Checks SendingTime: present, a UTC timestamp, and within maxLatencySec of our clock when checkLatency is on. */
export function sendingTimeStatus(s: SessionState, view: MessageView, nowMs: number): number {
  const i = view.indexOf(Tag.SendingTime);
  if (i < 0) return TIME_MISSING;
  if (!s.config.checkLatency) return TIME_OK;
  const t = parseUtcTimestampMs(view.buf, view.valueStartAt(i), view.valueEndAt(i));
  if (Number.isNaN(t)) return TIME_BAD;
  return Math.abs(nowMs - t) > s.config.maxLatencySec * 1000 ? TIME_BAD : TIME_OK;
}

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(buf: Uint8Array, p: number, n: number): number {
  let v = 0;
  for (let i = p; i < p + n; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Parses `YYYYMMDD-HH:MM:SS[.sss|.ssssss|.sssssssss]` into epoch ms (below-ms digits dropped); NaN
 * when malformed. A timestamp with a zone suffix is not UTC and fails (case 2o).
 */
export function parseUtcTimestampMs(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len !== 17 && len !== 21 && len !== 24 && len !== 27) return NaN;
  const y = digits(buf, start, 4), mo = digits(buf, start + 4, 2), d = digits(buf, start + 6, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > DAYS_IN_MONTH[mo]!) return NaN;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return NaN;
  if (buf[start + 8] !== 0x2d || buf[start + 11] !== 0x3a || buf[start + 14] !== 0x3a) return NaN;
  const h = digits(buf, start + 9, 2), mi = digits(buf, start + 12, 2), sec = digits(buf, start + 15, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return NaN;
  let ms = 0;
  if (len > 17) {
    if (buf[start + 17] !== 0x2e) return NaN;
    ms = digits(buf, start + 18, 3);
    if (ms < 0 || (len > 21 && digits(buf, start + 21, len - 21) < 0)) return NaN;
  }
  return daysFromCivil(y, mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + sec) * 1000 + ms;
}
