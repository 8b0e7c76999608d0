/**
 * Schedules across a 23-hour local day (the start of daylight saving time): the window that opened on
 * that day is still the current one in the first hour of the next day. Stepping back 24 hours from
 * there lands two local days earlier, so the day the window opened was never looked at: the FX week
 * was "closed" from Monday 00:00 to 01:00 New York after the March change (a logged-on session logged
 * out, Logons refused), and so was an overnight daily window.
 */
import assert from "node:assert/strict";
import { currentWindow, inWindow, nextWindowStart, type Schedule } from "../../src/engine/schedule.ts";

const utc = (s: string) => Date.parse(s + "Z");
const FX: Schedule = {
  start: "17:00",
  end: "17:00",
  startDay: "sun",
  endDay: "fri",
  timezone: "America/New_York",
};
const OVERNIGHT: Schedule = { start: "17:00", end: "05:00", timezone: "America/New_York" };

Deno.test("schedules across the 23-hour day of a DST start: the window opened that day still holds in the next day's first hour", () => {
  // 2026-03-08 (Sunday): New York moves from UTC-5 to UTC-4 at 02:00; 17:00 EDT is 21:00 UTC.
  const sunday = { startMs: utc("2026-03-08T21:00:00"), endMs: utc("2026-03-13T21:00:00") };
  for (
    const t of ["2026-03-09T03:59:59", "2026-03-09T04:00:00", "2026-03-09T04:30:00", "2026-03-09T04:59:59"]
  ) {
    // Monday 00:00-00:59 EDT.
    assert.deepEqual(currentWindow(FX, utc(t)), sunday, `FX week at ${t}`);
    assert.deepEqual(
      currentWindow(OVERNIGHT, utc(t)),
      { startMs: sunday.startMs, endMs: utc("2026-03-09T09:00:00") },
      `overnight window at ${t}`,
    );
    assert.ok(inWindow(FX, utc(t)));
  }
  // Saturday 23:30 EST (04:30 UTC Sunday): the next open is the same Sunday 17:00 EDT, not a week on.
  assert.equal(nextWindowStart(FX, utc("2026-03-08T04:30:00")), sunday.startMs);
  // The 25-hour day of the November change: Sunday 17:00 EST is 22:00 UTC.
  const nov = { startMs: utc("2026-11-01T22:00:00"), endMs: utc("2026-11-06T22:00:00") };
  for (const t of ["2026-11-02T04:30:00", "2026-11-02T05:30:00"]) {
    assert.deepEqual(currentWindow(FX, utc(t)), nov, t);
  }
  assert.equal(nextWindowStart(FX, utc("2026-11-01T04:30:00")), nov.startMs);
});
