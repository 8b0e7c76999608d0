/**
 * A sequence reset lost to a power cut (its seq-reset record was in the batch window, but the new
 * epoch's first numbers were reserved in HIGHWATER and may have reached the counterparty): the next start
 * must not go on in the old epoch, whose stored messages a ResendRequest of the counterparty (which
 * reset with us) would replay as PossDup under numbers it has already seen in the new epoch, nor hand
 * out a number of the new epoch again. It starts the new epoch itself, above the reservation. And a
 * forward set-seq lost the same way (the counterparty was told N by SequenceReset-Reset): the start
 * resumes at N or above, its reservation taken before the record could be written.
 */
import assert from "node:assert/strict";
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, segmentFileName } from "../../src/store/format.ts";
import { readHighWater } from "../../src/store/highwater.ts";
import type { FileJournalOptions } from "../../src/store/journal.ts";
import { crashImage, fixedMessage, KEY, openJournal, settle, T0, tempDir } from "./helpers.ts";

const MSG = 200;
const REC = RECORD_HEADER_BYTES + MSG;
const OPEN_REC = RECORD_HEADER_BYTES + 8 + KEY.length;

/** The journal as these tests open it: fsync batch, a reservation of 100 numbers. */
const open = (dir: string, extra: Partial<FileJournalOptions> = {}) =>
  openJournal(dir, { fsync: "batch", seqReserve: 100, ...extra });

Deno.test("a reset lost to a power cut: the next start begins the new epoch above its reservation, nothing of the old epoch to resend", async () => {
  const dir = tempDir();
  const a = await open(dir);
  const s = await a.journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 30; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out", MSG));
  await s.flush();
  await settle();
  // The reset (Logon 141=Y) and the new epoch's first messages: reserved, then lost with the batch.
  await s.reset(T0 + 1000);
  for (let seq = 1; seq <= 5; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out", MSG));
  await s.flush();
  await settle();
  const image = crashImage(dir);
  await a.journal.close();
  const seg = `${image}/${segmentFileName(1)}`;
  Deno.writeFileSync(seg, Deno.readFileSync(seg).subarray(0, SEGMENT_HEADER_BYTES + OPEN_REC + 30 * REC));
  const hw = readHighWater(image, new Map([[1, KEY]])).marks.get(1)!;
  assert.equal(hw.epoch, 2);
  assert.ok(hw.mark >= 5, `reserved up to ${hw.mark}`);

  const b = await open(image, { bootId: "boot-b" });
  const st = b.journal.sessions().find((x) => x.sessionKey === KEY)!;
  assert.equal(st.epoch, 2, "the new epoch, not the old one");
  assert.equal(st.nextSenderSeq, hw.mark + 1);
  assert.equal(st.nextTargetSeq, 1);
  const s2 = await b.journal.openSession(KEY, T0);
  assert.deepEqual(await s2.getOutbound(1, 0), [], "no message of the old epoch to resend");
  assert.ok(
    b.warnings.some((w) =>
      w.includes("a sequence reset was lost") && w.includes(`epoch 2`) &&
      w.includes(`resumes at ${hw.mark + 1}`)
    ),
    b.warnings.join("\n"),
  );
  await b.journal.close();
  // And it stays so at the next start.
  const c = await open(image, { bootId: "boot-b" });
  const st2 = c.journal.sessions().find((x) => x.sessionKey === KEY)!;
  assert.equal(st2.epoch, 2);
  assert.equal(st2.nextSenderSeq, hw.mark + 1);
  await c.journal.close();
});

Deno.test("a forward set-seq lost to a power cut: the next start resumes at or above it (the counterparty was told by SequenceReset-Reset)", async () => {
  const dir = tempDir();
  const a = await open(dir);
  const s = await a.journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 10; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out", MSG));
  await s.flush();
  await settle();
  // Operator set-seq to 5000 while logged on: our SequenceReset-Reset 36=5000 goes out after the record
  // is written to the OS, before it is synced; then the power cut loses it.
  await s.setNextSenderSeq(5000);
  await settle();
  const image = crashImage(dir);
  await a.journal.close();
  const seg = `${image}/${segmentFileName(1)}`;
  Deno.writeFileSync(seg, Deno.readFileSync(seg).subarray(0, SEGMENT_HEADER_BYTES + OPEN_REC + 10 * REC));
  const b = await open(image, { bootId: "boot-b" });
  const st = b.journal.sessions().find((x) => x.sessionKey === KEY)!;
  assert.ok(
    st.nextSenderSeq >= 5000,
    `resumes at ${st.nextSenderSeq}, below the 5000 the counterparty expects`,
  );
  await b.journal.close();
});
