/**
 * Session schedules: a daily window (start and end time of day) on chosen weekdays in a time zone.
 * A window whose end is before its start runs past midnight; its weekday is the day it starts.
 * Pure functions of time: the gateway asks them, nothing here reads the clock.
 */
import { ConfigError } from "../errors.ts";

/** A session schedule as configured. */
export interface Schedule {
  /** "HH:MM" or "HH:MM:SS", local time in `timezone`. */
  start: string;
  end: string;
  /** Weekdays the window starts on ("mon".."sun"); all days when absent. */
  days?: string[];
  /** IANA time zone, default "UTC". */
  timezone?: string;
}

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DAY_MS = 86_400_000;

/** Validates a schedule; throws ConfigError naming `where` and the key. */
export function checkSchedule(s: Schedule, where: string): void {
  for (const k of ["start", "end"] as const) {
    if (parseTimeOfDay(s[k]) === undefined) {
      throw new ConfigError(`${where}.${k}: "${s[k]}" is not a time of day (HH:MM or HH:MM:SS)`);
    }
  }
  for (const d of s.days ?? []) {
    if (!DAY_NAMES.includes(d.toLowerCase().slice(0, 3))) {
      throw new ConfigError(`${where}.days: "${d}" is not a weekday`);
    }
  }
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: s.timezone ?? "UTC" });
  } catch {
    throw new ConfigError(`${where}.timezone: unknown time zone "${s.timezone}"`);
  }
}

function parseTimeOfDay(t: string): number | undefined {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (!m) return undefined;
  const h = Number(m[1]), mi = Number(m[2]), s = Number(m[3] ?? 0);
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return ((h * 60 + mi) * 60 + s) * 1000;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function fmt(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Offset of `tz` from UTC at instant `ms`, in ms (local = utc + offset). */
function offsetMs(tz: string, ms: number): number {
  const parts = fmt(tz).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const local = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return local - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant of local midnight of the local day containing `ms`. */
function localMidnight(tz: string, ms: number): number {
  const off = offsetMs(tz, ms);
  const localMs = ms + off;
  const midnightLocal = Math.floor(localMs / DAY_MS) * DAY_MS;
  return localToUtc(tz, midnightLocal);
}

/** Converts a local wall-clock time (as ms on a UTC scale) to the UTC instant. */
function localToUtc(tz: string, localMs: number): number {
  let guess = localMs - offsetMs(tz, localMs);
  guess = localMs - offsetMs(tz, guess);
  return guess;
}

/** The window [startMs, endMs) that contains `nowMs`, or undefined when outside every window. */
export function currentWindow(s: Schedule, nowMs: number): { startMs: number; endMs: number } | undefined {
  const tz = s.timezone ?? "UTC";
  const startT = parseTimeOfDay(s.start)!, endT = parseTimeOfDay(s.end)!;
  const days = s.days?.map((d) => DAY_NAMES.indexOf(d.toLowerCase().slice(0, 3)));
  // A window started today or yesterday (when it crosses midnight) may contain now.
  for (const back of [0, 1]) {
    const midnight = localMidnight(tz, nowMs - back * DAY_MS);
    const localDay = new Date(midnight + offsetMs(tz, midnight)).getUTCDay();
    if (days && !days.includes(localDay)) continue;
    const startLocal = midnight + offsetMs(tz, midnight) + startT;
    const startMs = localToUtc(tz, startLocal);
    const endLocal = midnight + offsetMs(tz, midnight) + endT + (endT <= startT ? DAY_MS : 0);
    const endMs = localToUtc(tz, endLocal);
    if (nowMs >= startMs && nowMs < endMs) return { startMs, endMs };
  }
  return undefined;
}

/** True when `nowMs` is inside the schedule (always true without a schedule). */
export function inWindow(s: Schedule | undefined, nowMs: number): boolean {
  return s === undefined || currentWindow(s, nowMs) !== undefined;
}

/** The start of the next window after `nowMs` (searching up to 8 days ahead), or undefined. */
export function nextWindowStart(s: Schedule, nowMs: number): number | undefined {
  const tz = s.timezone ?? "UTC";
  const startT = parseTimeOfDay(s.start)!;
  const days = s.days?.map((d) => DAY_NAMES.indexOf(d.toLowerCase().slice(0, 3)));
  for (let k = 0; k <= 8; k++) {
    const midnight = localMidnight(tz, nowMs + k * DAY_MS);
    const localDay = new Date(midnight + offsetMs(tz, midnight)).getUTCDay();
    if (days && !days.includes(localDay)) continue;
    const startMs = localToUtc(tz, midnight + offsetMs(tz, midnight) + startT);
    if (startMs > nowMs) return startMs;
  }
  return undefined;
}
