/**
 * The newest segment deleted by hand after a crash, in the same boot: the journal looks whole (every
 * segment left is sealed, with its index), but the numbers of the run that wrote the lost segment may
 * have reached the counterparty. A run that did not close leaves its newest segment unsealed, so a sealed
 * newest segment with HIGHWATER still "running" means the segment after it is gone: the reservations
 * count. Before, the start resumed at the sealed segment's numbers and handed them out again.
 */
import assert from "node:assert/strict";
import { segmentFileName } from "../../src/store/format.ts";
import { readHighWater } from "../../src/store/highwater.ts";
import { verifyJournal } from "../../src/store/verify.ts";
import { crashImage, fixedMessage, KEY, openJournal, T0, tempDir } from "./helpers.ts";

Deno.test("the segment a crashed run was writing, deleted: the next start resumes above its reservation", async () => {
  const dir = tempDir();
  const first = await openJournal(dir, { seqReserve: 100 });
  const s1 = await first.journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 20; seq++) void s1.appendOutbound(seq, fixedMessage(seq, "out"));
  void s1.appendInbound(1, fixedMessage(1, "in"));
  await first.journal.close();
  const second = await openJournal(dir, { seqReserve: 100 });
  const s2 = await second.journal.openSession(KEY, T0);
  for (let seq = 21; seq <= 30; seq++) void s2.appendOutbound(seq, fixedMessage(seq, "out"));
  await s2.flush();
  const image = crashImage(dir);
  await second.journal.close();
  assert.deepEqual(readHighWater(image, new Map([[1, KEY]])).marks.get(1)?.mark, 120);

  // The crash image as it is: a process crash in this boot, nothing skipped.
  const same = await openJournal(crashImage(image), { seqReserve: 100 });
  assert.equal(same.journal.sessions()[0]!.nextSenderSeq, 31);
  await same.journal.close();

  const newest = (d: string) => verifyJournal(d).notes.filter((n) => n.startsWith("the newest segment"));
  assert.deepEqual(newest(image), []);
  // Segment 2 (21..30, no index: it was being written) deleted; segment 1 is sealed, HIGHWATER "running".
  Deno.removeSync(`${image}/${segmentFileName(2)}`);
  // verify cannot prove records lost, but says what the next start will do. Before: nothing.
  assert.deepEqual(newest(image), [
    "the newest segment 0000000001.seg is sealed, but HIGHWATER says the last run did not close: the segment it was writing may be missing (deleted?), or a start failed; the next start resumes every session above its reserved numbers",
  ]);
  const { journal, warnings } = await openJournal(image, { seqReserve: 100 });
  // Before: 21.
  assert.deepEqual(journal.sessions().map((s) => [s.nextSenderSeq, s.nextTargetSeq]), [[121, 2]]);
  assert.ok(
    warnings.some((w) =>
      w.includes("outbound MsgSeqNum 21..120 may have reached the counterparty") &&
      w.includes("the segment it was writing is missing")
    ),
    warnings.join("\n"),
  );
  await journal.close();
});

Deno.test("a crash between creating a segment and writing it, a reset inside: no epoch the counterparty never saw", async () => {
  const dir = tempDir();
  const first = await openJournal(dir, { seqReserve: 100 });
  const s1 = await first.journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 20; seq++) void s1.appendOutbound(seq, fixedMessage(seq, "out"));
  void s1.appendInbound(1, fixedMessage(1, "in"));
  await first.journal.close();
  const second = await openJournal(dir, { seqReserve: 100 });
  const s2 = await second.journal.openSession(KEY, T0);
  void s2.reset(T0 + 1000);
  void s2.appendOutbound(1, fixedMessage(1, "out"));
  await s2.flush();
  const image = crashImage(dir);
  await second.journal.close();
  // Epoch 2's first number was reserved; the crash left segment 2 created but empty (its batch, the
  // reset's record and the Logon after it, never written: the socket write waits for the segment switch).
  assert.deepEqual(readHighWater(image, new Map([[1, KEY]])).marks.get(1)?.epoch, 2);
  Deno.truncateSync(`${image}/${segmentFileName(2)}`, 0);
  const { journal, warnings } = await openJournal(image, { seqReserve: 100 });
  // Epoch 1 from where it was (same-epoch reservations skipped: none here). Before (with the rule of
  // journal_newest_missing's first test counting every reservation): [2, 101, 1], a reset never sent.
  assert.deepEqual(journal.sessions().map((s) => [s.epoch, s.nextSenderSeq, s.nextTargetSeq]), [[1, 21, 2]]);
  assert.ok(!warnings.some((w) => w.includes("a sequence reset was lost")), warnings.join("\n"));
  await journal.close();
});
