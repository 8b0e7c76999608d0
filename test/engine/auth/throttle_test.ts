import assert from "node:assert/strict";
import { AuthThrottle, HashGate } from "../../../src/engine/auth/throttle.ts";

Deno.test("AuthThrottle: free failures, then refusals doubling per failure up to the maximum; forgotten after a quiet period", () => {
  const t = new AuthThrottle({ freeFailures: 3, basePenaltyMs: 1000, maxPenaltyMs: 8000, forgetMs: 60_000 });
  let now = 1_000_000;
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(t.check("10.0.0.1", "alice", now), { allowed: true });
    t.failure("10.0.0.1", "alice", now);
  }
  assert.deepEqual(t.check("10.0.0.1", "alice", now), { allowed: true }, "three failures are free");
  const penalties: number[] = [];
  for (let i = 0; i < 6; i++) {
    t.failure("10.0.0.1", "mallory", now);
    const v = t.check("10.0.0.1", "bob", now);
    assert.equal(v.allowed, false);
    if (!v.allowed) {
      penalties.push(v.retryAfterMs);
      assert.match(v.reason, /^too many failed logons from 10\.0\.0\.1; refused for \d+ s$/);
    }
    now += penalties.at(-1)!; // the attacker waits out each penalty, then fails again
  }
  assert.deepEqual(penalties, [1000, 2000, 4000, 8000, 8000, 8000]);
  assert.deepEqual(t.check("10.0.0.2", "alice", now), { allowed: true }, "another address is not affected");
  now += 60_001;
  assert.deepEqual(t.check("10.0.0.1", "alice", now), { allowed: true }, "forgotten after a quiet minute");
});

Deno.test("AuthThrottle: a user name guessed from many addresses is refused, except from addresses it logged on from; success clears the address", () => {
  const t = new AuthThrottle({ freeFailures: 3, freeUserFailures: 4, basePenaltyMs: 1000 });
  const now = 5_000;
  t.success("192.168.1.5", "alice", now);
  for (let i = 0; i < 5; i++) t.failure(`10.0.1.${i}`, "alice", now);
  const v = t.check("10.0.2.1", "alice", now);
  assert.equal(v.allowed, false);
  if (!v.allowed) assert.match(v.reason, /^too many failed logons for this user name; refused for 1 s$/);
  assert.deepEqual(
    t.check("192.168.1.5", "alice", now),
    { allowed: true },
    "alice's own address still works",
  );
  assert.deepEqual(t.check("10.0.2.1", "bob", now), { allowed: true });
  for (let i = 0; i < 4; i++) t.failure("10.9.9.9", "x", now);
  assert.equal(t.check("10.9.9.9", "x", now).allowed, false);
  t.success("10.9.9.9", "x", now);
  assert.equal(t.check("10.9.9.9", "y", now).allowed, true, "a success clears the address");
});

Deno.test("AuthThrottle: the tables are bounded", () => {
  const t = new AuthThrottle({ maxEntries: 100 });
  for (let i = 0; i < 1000; i++) t.failure(`10.1.${i >> 8}.${i & 255}`, `user${i}`, 1000);
  assert.deepEqual(t.size, { addresses: 100, users: 100 });
});

Deno.test("HashGate: at most N at a time; waiting work served round robin by address, so a flood from one address barely delays another", async () => {
  const gate = new HashGate(2);
  const order: string[] = [];
  let maxRunning = 0;
  const release: Array<() => void> = [];
  const task = (name: string) => () =>
    new Promise<void>((r) => {
      order.push(name);
      maxRunning = Math.max(maxRunning, gate.running);
      release.push(r);
    });
  const all: Promise<void>[] = [];
  for (let i = 0; i < 10; i++) all.push(gate.run("attacker", task(`a${i}`)));
  all.push(gate.run("legit", task("legit")));
  await Promise.resolve();
  assert.deepEqual(order, ["a0", "a1"]);
  assert.equal(gate.queued, 9);
  // Each finished hash lets the next in; the legitimate one comes right after the first slot frees.
  release.shift()!();
  await new Promise((r) => setTimeout(r, 0));
  release.shift()!();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(order, ["a0", "a1", "a2", "legit"]);
  while (release.length > 0) {
    release.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  }
  await Promise.all(all);
  assert.equal(maxRunning, 2);
  assert.equal(order.length, 11);
});
