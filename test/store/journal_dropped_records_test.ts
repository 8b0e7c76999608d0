/**
 * Records dropped from the journal after a crash in the same boot (a damaged last record truncated at
 * the next start, or damaged records that `fixg journal repair` quarantined): their messages may have
 * reached the counterparty, so their numbers must not be handed out again. The start resumes above the
 * HIGHWATER reservation (it covers every number appended) and gap-fills the skipped ones on resend.
 */
import assert from "node:assert/strict";
import { JournalCorruptError } from "../../src/errors.ts";
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, segmentFileName } from "../../src/store/format.ts";
import { readHighWater } from "../../src/store/highwater.ts";
import type { FileJournalOptions } from "../../src/store/journal.ts";
import { repairJournal } from "../../src/store/repair.ts";
import { crashImage, fixedMessage, flipByte, KEY, openJournal, settle, T0, tempDir } from "./helpers.ts";

const MSG = 200;
const REC = RECORD_HEADER_BYTES + MSG;
const OPEN_REC = RECORD_HEADER_BYTES + 8 + KEY.length;

/** The journal as these tests open it: fsync batch, a reservation of 100 numbers. */
const open = (dir: string, extra: Partial<FileJournalOptions> = {}) =>
  openJournal(dir, { fsync: "batch", seqReserve: 100, ...extra });

/** A crash image (same boot, HIGHWATER "running") of a journal whose session sent 1..50 (and, with `inbound`, then received 1). */
async function crashedAfter50(inbound: boolean): Promise<{ image: string; mark: number }> {
  const dir = tempDir();
  const a = await open(dir);
  const s = await a.journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 50; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out", MSG));
  if (inbound) void s.appendInbound(1, fixedMessage(1, "in", MSG));
  await s.flush();
  await settle();
  const image = crashImage(dir);
  await a.journal.close();
  const hw = readHighWater(image, new Map([[1, KEY]]));
  assert.equal(hw.state, "running");
  const mark = hw.marks.get(1)!.mark;
  assert.ok(mark >= 50, `reserved up to ${mark}`);
  return { image, mark };
}

/** Byte offset of outbound record `seq` (one session; segment 1). */
const recordAt = (seq: number) => SEGMENT_HEADER_BYTES + OPEN_REC + (seq - 1) * REC;

Deno.test("a damaged last record truncated at the next start (same boot): its number is not handed out again", async () => {
  const { image, mark } = await crashedAfter50(false);
  flipByte(`${image}/${segmentFileName(1)}`, recordAt(50) + RECORD_HEADER_BYTES + 40);
  const b = await open(image);
  const st = b.journal.sessions().find((x) => x.sessionKey === KEY)!;
  assert.ok(b.warnings.some((w) => w.includes("truncated a torn record")), b.warnings.join("\n"));
  assert.equal(st.nextSenderSeq, mark + 1, "resumes above the reservation, not at 50");
  assert.ok(
    b.warnings.some((w) => w.includes(`outbound MsgSeqNum 50..${mark} may have reached the counterparty`)),
    b.warnings.join("\n"),
  );
  await b.journal.close();
});

Deno.test("fixg journal repair quarantines the last outbound record (same boot): the next start does not reuse its number", async () => {
  const { image, mark } = await crashedAfter50(true);
  flipByte(`${image}/${segmentFileName(1)}`, recordAt(50) + RECORD_HEADER_BYTES + 40);
  await assert.rejects(open(image), JournalCorruptError);
  const r = repairJournal(image);
  assert.deepEqual(r.actions.map((a) => a.kind), ["quarantine-corrupt", "rebuild-index"]);
  const b = await open(image);
  const st = b.journal.sessions().find((x) => x.sessionKey === KEY)!;
  assert.equal(st.nextTargetSeq, 2);
  assert.equal(st.nextSenderSeq, mark + 1, "resumes above the reservation, not at 50");
  assert.ok(
    b.warnings.some((w) =>
      w.includes(`outbound MsgSeqNum 50..${mark} may have reached the counterparty`) && w.includes("repair")
    ),
    b.warnings.join("\n"),
  );
  await b.journal.close();
  // The start after that is a normal one: a clean close's exact mark, nothing skipped again.
  const c = await open(image);
  assert.equal(c.journal.sessions().find((x) => x.sessionKey === KEY)!.nextSenderSeq, mark + 1);
  assert.ok(!c.warnings.some((w) => w.includes("may have reached")), c.warnings.join("\n"));
  await c.journal.close();
});

Deno.test("a clean journal after a crash in the same boot still resumes at its own numbers (nothing skipped)", async () => {
  const { image } = await crashedAfter50(false);
  const b = await open(image);
  assert.equal(b.journal.sessions().find((x) => x.sessionKey === KEY)!.nextSenderSeq, 51);
  assert.ok(!b.warnings.some((w) => w.includes("may have reached")), b.warnings.join("\n"));
  await b.journal.close();
});
