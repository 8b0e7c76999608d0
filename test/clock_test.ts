import assert from "node:assert/strict";
import { ManualClock, ManualScheduler, systemScheduler } from "../src/clock.ts";

Deno.test("manual scheduler: advance runs due timers in time order, ties in the order set, clock at each timer's time", () => {
  const s = new ManualScheduler(1000);
  const seen: string[] = [];
  s.at(1300, () => seen.push(`c@${s.nowMs()}`));
  s.after(100, () => seen.push(`a@${s.nowMs()}`));
  s.at(1100, () => seen.push(`b@${s.nowMs()}`));
  const late = s.at(1200, () => seen.push("cancelled"));
  late.cancel();
  assert.equal(s.advance(250), 1250);
  assert.deepEqual(seen, ["a@1100", "b@1100"]);
  assert.equal(s.pendingCount, 1);
  assert.equal(s.nextAtMs, 1300);
  s.advance(50);
  assert.deepEqual(seen, ["a@1100", "b@1100", "c@1300"]);
  assert.equal(s.pendingCount, 0);
});

Deno.test("manual scheduler: a timer set by a callback runs within the same advance when it falls due", () => {
  const s = new ManualScheduler(0);
  const seen: number[] = [];
  const tick = () => {
    seen.push(s.nowMs());
    if (seen.length < 5) s.after(30, tick);
  };
  s.after(30, tick);
  s.advance(100);
  assert.deepEqual(seen, [30, 60, 90]);
  s.advance(100);
  assert.deepEqual(seen, [30, 60, 90, 120, 150]);
  assert.equal(s.pendingCount, 0);
});

Deno.test("manual scheduler: a time in the past runs at runDue without moving the clock back", () => {
  const s = new ManualClock(500);
  let ran = 0;
  s.at(100, () => ran++);
  s.runDue();
  assert.equal(ran, 1);
  assert.equal(s.nowMs(), 500);
});

Deno.test("system scheduler: cancel before it fires leaves no timer behind", () => {
  const t = systemScheduler.after(60_000, () => assert.fail("must not run"));
  t.cancel();
  t.cancel();
});

Deno.test("system scheduler: a delay beyond setTimeout's 2^31 - 1 ms waits instead of firing at once", async () => {
  // 35 days: setTimeout alone fires such a timer after 1 ms (Node's TimeoutOverflowWarning), which made a
  // session with logonTimeoutSec: 3000000 re-arm its timer every millisecond.
  let ran = 0;
  const long = systemScheduler.after(35 * 86_400_000, () => ran++);
  const atLong = systemScheduler.at(Date.now() + 2 ** 31 + 5, () => ran++);
  await new Promise<void>((r) => systemScheduler.after(30, r));
  assert.equal(ran, 0);
  long.cancel();
  atLong.cancel();
});
