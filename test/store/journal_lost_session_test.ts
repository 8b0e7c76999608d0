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
import { crashImage, fixedMessage, KEY, KEY2, openJournal, settle, T0, tempDir } from "./helpers.ts";

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

Deno.test("a session lost whole keeps its reservation while other new sessions come and go: its id is not given to them", async () => {
  const dir = tempDir();
  const a = await openJournal(dir, { fsync: "batch", seqReserve: 100 });
  const s = await a.journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 30; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out", 200));
  await s.flush();
  await settle();
  const image = crashImage(dir);
  await a.journal.close();
  const seg = `${image}/${segmentFileName(1)}`;
  Deno.writeFileSync(seg, Deno.readFileSync(seg).subarray(0, SEGMENT_HEADER_BYTES));
  const hw = readHighWater(image, new Map([[1, KEY]])).marks.get(1)!;
  // After the reboot another session is opened first, twice (two runs, each closed cleanly), KEY not at all.
  for (let run = 0; run < 2; run++) {
    const b = await openJournal(image, { fsync: "batch", seqReserve: 100, bootId: "boot-b" });
    const other = await b.journal.openSession(KEY2, T0 + 5000);
    const next = other.seqNums().nextSenderSeq;
    for (let seq = next; seq < next + 5; seq++) void other.appendOutbound(seq, fixedMessage(seq, "out", 200));
    await other.flush();
    await b.journal.close();
  }
  const c = await openJournal(image, { fsync: "batch", seqReserve: 100, bootId: "boot-b" });
  assert.deepEqual(c.journal.sessions().map((x) => [x.sessionKey, x.nextSenderSeq]), [[KEY2, 11]]);
  const s3 = await c.journal.openSession(KEY, T0 + 9000);
  assert.equal(s3.seqNums().nextSenderSeq, hw.mark + 1, "KEY's 1..30 reached the counterparty");
  await c.journal.close();
});

Deno.test("a journal emptied of its segments after a lost session came back under a new id: it starts above its newest marks", async () => {
  const dir = tempDir();
  const a = await openJournal(dir, { fsync: "batch", seqReserve: 100 });
  const s = await a.journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 30; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out", 200));
  await s.flush();
  await settle();
  const image = crashImage(dir);
  await a.journal.close();
  const seg = `${image}/${segmentFileName(1)}`;
  Deno.writeFileSync(seg, Deno.readFileSync(seg).subarray(0, SEGMENT_HEADER_BYTES));
  // After the reboot another session takes a new id first; KEY comes back (above 100) and sends up to 250.
  const b = await openJournal(image, { fsync: "batch", seqReserve: 100, bootId: "boot-b" });
  await b.journal.openSession(KEY2, T0 + 5000);
  const back = await b.journal.openSession(KEY, T0 + 5000);
  assert.equal(back.seqNums().nextSenderSeq, 101);
  for (let seq = 101; seq <= 250; seq++) void back.appendOutbound(seq, fixedMessage(seq, "out", 200));
  await back.flush();
  await b.journal.close();
  // Every segment deleted, HIGHWATER kept: both of KEY's ids are in it (the old one's mark is 100).
  for (const e of Deno.readDirSync(image)) {
    if (e.name.endsWith(".seg") || e.name.endsWith(".idx")) Deno.removeSync(`${image}/${e.name}`);
  }
  const c = await openJournal(image, { fsync: "batch", seqReserve: 100, bootId: "boot-b" });
  const again = await c.journal.openSession(KEY, T0 + 9000);
  assert.equal(again.seqNums().nextSenderSeq, 251, "1..250 reached the counterparty");
  await c.journal.close();
});
