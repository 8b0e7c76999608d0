/**
 * A session new to the journal whose session-open record was lost to a power cut with its first
 * messages (all in the batch window; their numbers reserved in HIGHWATER and maybe on the wire): the
 * next start does not know the session, but HIGHWATER still holds its reservation under its id and
 * key. Opening it again must resume above that reservation, not at 1 ("MsgSeqNum too low" at the
 * counterparty, which saw 1..30).
 */
import assert from "node:assert/strict";
import { SEGMENT_HEADER_BYTES, segmentFileName } from "../../src/store/format.ts";
import { readHighWater } from "../../src/store/highwater.ts";
import { crashImage, fixedMessage, KEY, openJournal, settle, T0, tempDir } from "./helpers.ts";

Deno.test("a new session lost whole to a power cut: opened again, it resumes above its HIGHWATER reservation", async () => {
  const dir = tempDir();
  const a = await openJournal(dir, { fsync: "batch", seqReserve: 100 });
  const s = await a.journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 30; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out", 200));
  await s.flush();
  await settle();
  const image = crashImage(dir);
  await a.journal.close();
  // The power cut: nothing after the segment's header reached the disk (the session table was empty).
  const seg = `${image}/${segmentFileName(1)}`;
  Deno.writeFileSync(seg, Deno.readFileSync(seg).subarray(0, SEGMENT_HEADER_BYTES));
  const hw = readHighWater(image, new Map([[1, KEY]])).marks.get(1)!;
  assert.ok(hw !== undefined && hw.mark >= 30, `reserved up to ${hw?.mark}`);

  const b = await openJournal(image, { fsync: "batch", seqReserve: 100, bootId: "boot-b" });
  assert.equal(b.journal.sessions().length, 0, "the journal lost the session");
  const s2 = await b.journal.openSession(KEY, T0 + 5000);
  assert.equal(s2.seqNums().nextSenderSeq, hw.mark + 1);
  await b.journal.close();
});
