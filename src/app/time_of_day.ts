/** Local wall-clock time in a named time zone (trading hours, end of day), through Intl: no Date.now. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      hour: "2-digit",
      minute: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when Intl knows `timeZone` (an IANA name such as "Europe/London", or "UTC"). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Why `s` is not an IANA time zone Intl knows, or undefined when it is (a config schema `check`). */
export function timeZoneProblem(s: string): string | undefined {
  return isValidTimeZone(s)
    ? undefined
    : `unknown time zone ${JSON.stringify(s)} (use an IANA name such as "America/New_York" or "UTC")`;
}

/** Why `s` is not a time of day "HH:MM", or undefined when it is (a config schema `check`). */
export function hhMmProblem(s: string): string | undefined {
  return parseHhMm(s) === undefined
    ? `must be a time "HH:MM" from 00:00 to 23:59 (got ${JSON.stringify(s)})`
    : undefined;
}

/** Minutes since local midnight (0..1439) at `epochMs` in `timeZone`. */
export function minuteOfDayIn(epochMs: number, timeZone: string): number {
  let h = 0, m = 0;
  for (const p of formatterFor(timeZone).formatToParts(epochMs)) {
    if (p.type === "hour") h = Number(p.value) % 24;
    else if (p.type === "minute") m = Number(p.value);
  }
  return h * 60 + m;
}

/** Minutes since midnight of "HH:MM" (00:00..23:59), or undefined when malformed. */
export function parseHhMm(s: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  return m === null ? undefined : Number(m[1]) * 60 + Number(m[2]);
}

/**
 * True when `minute` lies in the daily window [start, end). A window whose end is before its start
 * runs over midnight (e.g. 22:00-06:00); start equal to end means all day.
 */
export function inDailyWindow(minute: number, startMinute: number, endMinute: number): boolean {
  if (startMinute === endMinute) return true;
  if (startMinute < endMinute) return minute >= startMinute && minute < endMinute;
  return minute >= startMinute || minute < endMinute;
}
