/**
 * Header checks on inbound messages, done on bytes (no strings, no allocation): BeginString,
 * CompIDs and SendingTime accuracy.
 */
import { type MessageView, parseTimestampMs, Tag } from "../codec/mod.ts";
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

/**
 * Parses `YYYYMMDD-HH:MM:SS[.sss|.ssssss|.sssssssss]` into epoch ms (below-ms digits dropped); NaN
 * when malformed. A timestamp with a zone suffix is not UTC and fails (case 2o). The codec's one
 * UTCTimestamp parser, under the name the session exports.
 */
export const parseUtcTimestampMs: (buf: Uint8Array, start: number, end: number) => number = parseTimestampMs;
