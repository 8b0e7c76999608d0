/**
 * Session schedules in a time zone, of two kinds:
 * - daily: a window (start and end time of day) on chosen weekdays (`days`, QuickFIX's `Weekdays`).
 *   A window whose end is before its start runs past midnight; its weekday is the day it starts.
 * - weekly (`startDay` and `endDay`, QuickFIX's `StartDay`/`EndDay`): one window from `start` on
 *   `startDay` to `end` on the next `endDay` (FX: Sunday 17:00 to Friday 17:00 New York). Sequence
 *   numbers reset once a week, when it opens. With startDay equal to endDay and end not after start,
 *   the window lasts the whole week.
 * Pure functions of time: the gateway asks them, nothing here reads the clock.
 */
import { ConfigError } from "../errors.ts";

/** A session schedule as configured. */
export interface Schedule {
  /** "HH:MM" or "HH:MM:SS", local time in `timezone`. */
  start: string;
  end: string;
  /** Weekdays the window starts on ("mon".."sun"); all days when absent. Daily schedules only. */
  days?: string[];
  /** Weekly schedule: the weekday the window opens (with `endDay`). */
  startDay?: string;
  /** Weekly schedule: the weekday the window closes (with `startDay`). */
  endDay?: string;
  /** IANA time zone, default "UTC". */
  timezone?: string;
}

/** Weekday names as fixg writes them (index 0 = Sunday, as Date#getUTCDay). */
export const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const DAY_MS = 86_400_000;

/** Validates a schedule; throws ConfigError naming `where` and the key. */
export function checkSchedule(s: Schedule, where: string): void {
  for (const k of ["start", "end"] as const) {
    if (parseTimeOfDay(s[k]) === undefined) {
      throw new ConfigError(`${where}.${k}: "${s[k]}" is not a time of day (HH:MM or HH:MM:SS)`);
    }
  }
  if (s.days !== undefined && s.days.length === 0) {
    throw new ConfigError(
      `${where}.days: no weekday given, the window would never open ` +
        `(leave days out for every day; enabled: false stops a session)`,
    );
  }
  for (const d of s.days ?? []) {
    if (dayIndex(d) === undefined) {
      throw new ConfigError(`${where}.days: "${d}" is not a weekday`);
    }
  }
  for (const k of ["startDay", "endDay"] as const) {
    const d = s[k];
    if (d !== undefined && dayIndex(d) === undefined) {
      throw new ConfigError(`${where}.${k}: "${d}" is not a weekday`);
    }
  }
  if ((s.startDay === undefined) !== (s.endDay === undefined)) {
    throw new ConfigError(
      `${where}.${
        s.startDay === undefined ? "startDay" : "endDay"
      }: a weekly schedule needs both startDay and endDay`,
    );
  }
  if (s.startDay !== undefined && s.days !== undefined) {
    throw new ConfigError(
      `${where}.days: a weekly schedule (startDay/endDay) has one window a week; days is for daily windows`,
    );
  }
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: s.timezone ?? "UTC" });
  } catch {
    throw new ConfigError(`${where}.timezone: unknown time zone "${s.timezone}"`);
  }
}

const FULL_DAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

/**
 * 0 (Sunday) .. 6 for a weekday name or an unambiguous prefix of two letters or more ("su", "Mon",
 * "Tues", "FRIDAY": QuickFIX accepts the same), undefined otherwise.
 */
export function dayIndex(d: string): number | undefined {
  const l = d.trim().toLowerCase();
  if (l.length < 2) return undefined;
  const hits = FULL_DAY_NAMES.flatMap((n, i) => (n.startsWith(l) ? [i] : []));
  return hits.length === 1 ? hits[0] : undefined;
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

const HOUR_MS = 3_600_000;

/**
 * Local midnight of the day before (`step` -1) or after (+1) the one starting at local midnight `m`.
 * Not `m -/+ DAY_MS`: a local day lasts 23 to 25 hours, and 24-hour steps from an instant skip the
 * 23-hour day of a DST change. 12 hours before a midnight is in the day before; 36 after, the next.
 */
function stepDay(tz: string, m: number, step: -1 | 1): number {
  return localMidnight(tz, step < 0 ? m - 12 * HOUR_MS : m + 36 * HOUR_MS);
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
  if (s.startDay !== undefined && s.endDay !== undefined) {
    // The window that opened on the latest startDay at `start` (up to 7 days back) may contain now.
    const sd = dayIndex(s.startDay)!, ed = dayIndex(s.endDay)!;
    let span = (ed - sd + 7) % 7;
    if (span === 0 && endT <= startT) span = 7;
    let midnight = localMidnight(tz, nowMs);
    for (let back = 0; back <= 7; back++, midnight = stepDay(tz, midnight, -1)) {
      const local = midnight + offsetMs(tz, midnight);
      if (new Date(local).getUTCDay() !== sd) continue;
      const startMs = localToUtc(tz, local + startT);
      const endMs = localToUtc(tz, local + span * DAY_MS + endT);
      if (nowMs >= startMs && nowMs < endMs) return { startMs, endMs };
    }
    return undefined;
  }
  const days = s.days?.map((d) => dayIndex(d)!);
  // A window started today or yesterday (when it crosses midnight) may contain now.
  let midnight = localMidnight(tz, nowMs);
  for (let back = 0; back <= 1; back++, midnight = stepDay(tz, midnight, -1)) {
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

/**
 * The schedule's sequence reset, QuickFIX's rule (its session time check on the creation time): a
 * session whose current numbers were created (`creationMs`: the epoch's creation, i.e. the session's
 * first open or its last reset) before the window containing `nowMs` opened starts that window at 1.
 * Returns that window's start when a reset is due, undefined otherwise (outside every window, or the
 * numbers belong to this window: a restart in the middle of the window keeps them).
 */
export function windowResetDue(s: Schedule, creationMs: number, nowMs: number): number | undefined {
  const w = currentWindow(s, nowMs);
  return w !== undefined && creationMs < w.startMs ? w.startMs : undefined;
}

/** True when `nowMs` is inside the schedule (always true without a schedule). */
export function inWindow(s: Schedule | undefined, nowMs: number): boolean {
  return s === undefined || currentWindow(s, nowMs) !== undefined;
}

/** The start of the next window after `nowMs` (searching up to 8 days ahead), or undefined. */
export function nextWindowStart(s: Schedule, nowMs: number): number | undefined {
  const tz = s.timezone ?? "UTC";
  const startT = parseTimeOfDay(s.start)!;
  const days = s.startDay !== undefined ? [dayIndex(s.startDay)!] : s.days?.map((d) => dayIndex(d)!);
  let midnight = localMidnight(tz, nowMs);
  for (let k = 0; k <= 8; k++, midnight = stepDay(tz, midnight, 1)) {
    const localDay = new Date(midnight + offsetMs(tz, midnight)).getUTCDay();
    if (days && !days.includes(localDay)) continue;
    const startMs = localToUtc(tz, midnight + offsetMs(tz, midnight) + startT);
    if (startMs > nowMs) return startMs;
  }
  return undefined;
}
