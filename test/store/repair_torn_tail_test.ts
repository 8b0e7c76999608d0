/**
 * `fixg journal repair` on a crashed journal whose last record was cut short (the normal result of a
 * crash mid-write) follows the start's rule: that record was being written when the process died, so
 * its message never left, and nothing needs skipping. Before, repair marked HIGHWATER "repaired" for it,
 * so the next start counted reservations as if sent messages had been removed: here, a reset whose
 * record was cut short (its Logon never sent) became a reset of the session's epoch the counterparty
 * never saw (epoch 2 from 101, inbound from 1) instead of epoch 1 at 11, inbound 6, as a start without
 * repair does.
 */
import assert from "node:assert/strict";
import { RECORD_HEADER_BYTES, segmentFileName } from "../../src/store/format.ts";
import { readHighWater } from "../../src/store/highwater.ts";
import { repairJournal } from "../../src/store/repair.ts";
import { crashImage, fixedMessage, KEY, openJournal, T0, tempDir } from "./helpers.ts";

Deno.test("repair of a last record cut short: HIGHWATER unchanged, the next start resumes as without repair", async () => {
  const dir = tempDir();
  const { journal } = await openJournal(dir, { seqReserve: 100 });
  const s = await journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 10; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  for (let seq = 1; seq <= 5; seq++) void s.appendInbound(seq, fixedMessage(seq, "in"));
  await s.flush();
  const seg = `${dir}/${segmentFileName(1)}`;
  const before = Deno.statSync(seg).size;
  // A reset and the new epoch's first message (its number reserved: epoch 2 up to 100).
  void s.reset(T0 + 1000);
  void s.appendOutbound(1, fixedMessage(1, "out"));
  await s.flush();
  const image = crashImage(dir);
  await journal.close();
  assert.deepEqual(readHighWater(image, new Map([[1, KEY]])).marks.get(1), {
    epoch: 2,
    mark: 100,
    exact: false,
    generation: 2,
  });
  // The crash came while the seq-reset record was written: 20 of its 48 bytes are on disk.
  Deno.truncateSync(`${image}/${segmentFileName(1)}`, before + 20);
  assert.ok(RECORD_HEADER_BYTES > 20);
  const unrepaired = crashImage(image);

  const r = repairJournal(image);
  assert.deepEqual(r.actions.map((a) => a.kind), ["truncate-torn-tail", "rebuild-index"]);
  assert.equal(readHighWater(image, new Map()).state, "running"); // before: "repaired"
  const after = await openJournal(image, { seqReserve: 100 });
  // Before: [2, 101, 1].
  assert.deepEqual(after.journal.sessions().map((x) => [x.epoch, x.nextSenderSeq, x.nextTargetSeq]), [[
    1,
    11,
    6,
  ]]);
  await after.journal.close();

  // The start without repair truncates the same bytes and resumes alike.
  const direct = await openJournal(unrepaired, { seqReserve: 100 });
  assert.deepEqual(direct.journal.sessions().map((x) => [x.epoch, x.nextSenderSeq, x.nextTargetSeq]), [[
    1,
    11,
    6,
  ]]);
  await direct.journal.close();
});
