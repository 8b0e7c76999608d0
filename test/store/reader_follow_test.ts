/** JournalReader.follow polls a live journal on an injected scheduler: driven by hand, no sleeps. */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../src/clock.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { JournalReader } from "../../src/store/reader.ts";
import { fixedMessage, KEY, manualClock, tempDir } from "./helpers.ts";

const turn = () => new Promise((r) => setTimeout(r, 0));

Deno.test("follow: polls every pollMs on the scheduler, sees new records, stops its timer on abort", async () => {
  const dir = tempDir();
  const j = await FileJournal.open({ dir, fsync: "none", clock: manualClock(), onWarning: () => {} });
  const s = await j.openSession(KEY, 0);
  void s.appendOutbound(1, fixedMessage(1, "out"));
  await j.flush();
  const reader = JournalReader.open(dir);
  const seen: string[] = [];
  const visit = (r: { type: string; direction: string | undefined; seq: number }) => {
    if (r.type === "message") seen.push(`${r.direction} ${r.seq}`);
  };
  reader.forEach(visit);
  assert.deepEqual(seen, ["out 1"]);

  const scheduler = new ManualScheduler(0);
  const ac = new AbortController();
  const following = reader.follow(visit, { signal: ac.signal, pollMs: 200, scheduler });
  await turn();
  // Nothing new: one poll timer waits.
  assert.equal(scheduler.pendingCount, 1);
  assert.equal(scheduler.nextAtMs, 200);

  void s.appendOutbound(2, fixedMessage(2, "out"));
  void s.appendInbound(1, fixedMessage(1, "in"));
  await j.flush();
  await turn();
  assert.deepEqual(seen, ["out 1"]);
  scheduler.advance(199);
  await turn();
  assert.deepEqual(seen, ["out 1"]);
  scheduler.advance(1);
  await turn();
  assert.deepEqual(seen, ["out 1", "out 2", "in 1"]);
  assert.equal(scheduler.pendingCount, 1);
  assert.equal(scheduler.nextAtMs, 400);

  ac.abort();
  await following;
  assert.equal(scheduler.pendingCount, 0);
  await j.close();
});
