/**
 * Segments out of order (issue 14 item 6): an old segment copied in as the newest must never make
 * the gateway rewind its sequence numbers. Start-up refuses it; repair moves it to quarantine/ and
 * says why; it never rewrites its header and keeps it.
 */
import assert from "node:assert/strict";
import { JournalCorruptError } from "../../src/errors.ts";
import { SEGMENT_HEADER_BYTES, segmentFileName, writeSegmentHeader } from "../../src/store/format.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { repairJournal } from "../../src/store/repair.ts";
import { verifyJournal } from "../../src/store/reader.ts";
import { filesOf, fixedMessage, KEY, KEY2, manualClock, tempDir } from "./helpers.ts";

const T0 = 1_700_000_000_000;

/** Three runs of a gateway: segments 1, 2, 3 with outbound 1..100, 101..200, 201..300 (KEY) and inbound 1..30 (KEY2). */
async function threeRuns(): Promise<string> {
  const dir = tempDir();
  for (let run = 0; run < 3; run++) {
    const j = await FileJournal.open({ dir, clock: manualClock(T0 + run * 1000), onWarning: () => {} });
    const s = await j.openSession(KEY, T0);
    const s2 = await j.openSession(KEY2, T0);
    for (let i = run * 100 + 1; i <= run * 100 + 100; i++) void s.appendOutbound(i, fixedMessage(i, "out"));
    for (let i = run * 10 + 1; i <= run * 10 + 10; i++) void s2.appendInbound(i, fixedMessage(i, "in"));
    await j.close();
  }
  return dir;
}

async function numbersAfterOpen(dir: string): Promise<string> {
  const j = await FileJournal.open({ dir, clock: manualClock(T0 + 9000), onWarning: () => {} });
  try {
    return j.sessions().map((s) => `${s.sessionKey} epoch ${s.epoch} ${s.nextSenderSeq}/${s.nextTargetSeq}`)
      .join(
        "; ",
      );
  } finally {
    await j.close();
  }
}

function copyAsNewest(dir: string, from: number, to: number, fixHeader: boolean): Uint8Array {
  const b = Deno.readFileSync(`${dir}/${segmentFileName(from)}`);
  if (fixHeader) {
    const h = new Uint8Array(SEGMENT_HEADER_BYTES);
    writeSegmentHeader(h, 0, { segment: to, createdMs: T0, monoOriginMs: T0, pid: 1 });
    b.set(h, 0);
  }
  Deno.writeFileSync(`${dir}/${segmentFileName(to)}`, b);
  return b;
}

Deno.test("repair moves an old segment copied in as the newest to quarantine/; the gateway keeps its numbers", async () => {
  const dir = await threeRuns();
  assert.equal(await numbersAfterOpen(dir), `${KEY} epoch 1 301/1; ${KEY2} epoch 1 1/31`);
  // The open above wrote segment 4 (the session table only); the old segment 1 is copied in as 5.
  const copied = copyAsNewest(dir, 1, 5, false);
  await assert.rejects(() => numbersAfterOpen(dir), JournalCorruptError);

  const dry = repairJournal(dir, { dryRun: true });
  assert.deepEqual(dry.actions.map((a) => `${a.kind} ${a.file}`), ["quarantine-segment 0000000005.seg"]);
  assert.deepEqual(Deno.readFileSync(`${dir}/${segmentFileName(5)}`), copied);

  const report = repairJournal(dir);
  assert.deepEqual(report.actions.map((a) => `${a.kind} ${a.file} ${a.quarantineFile}`), [
    "quarantine-segment 0000000005.seg quarantine/0000000005.seg.out-of-order",
  ]);
  assert.equal(
    report.actions[0]!.message,
    `moved 0000000005.seg to quarantine/0000000005.seg.out-of-order: its sequence numbers go back (session ${KEY} (epoch 1) starts here at next out 1, next in 1, but earlier segments reached next out 301, next in 1); an older segment copied in? Keeping it would make the gateway reuse numbers the counterparty has seen`,
  );
  // Kept byte for byte, out of the way.
  assert.deepEqual(Deno.readFileSync(`${dir}/quarantine/0000000005.seg.out-of-order`), copied);
  assert.ok(!filesOf(dir).includes("0000000005.seg") && !filesOf(dir).includes("0000000005.idx"));
  assert.equal(await numbersAfterOpen(dir), `${KEY} epoch 1 301/1; ${KEY2} epoch 1 1/31`);
  assert.deepEqual(verifyJournal(dir).problems, []);
});

Deno.test("start-up refuses a segment whose sequence numbers go back even with a right header; repair quarantines it", async () => {
  const dir = await threeRuns();
  // Segment 2 (numbers 101..200) copied in as 4, its header made to match the name (what repair used to do).
  copyAsNewest(dir, 2, 4, true);
  await assert.rejects(
    () => numbersAfterOpen(dir),
    (e: unknown) => {
      assert.ok(e instanceof JournalCorruptError);
      assert.match(
        e.message,
        /0000000004\.seg at byte 64: .*session FIX\.4\.4:FIXG->LP \(epoch 1\) starts here at next out 101, next in 1, but earlier segments reached next out 301, next in 1.*fixg journal verify.*fixg journal repair/,
      );
      return true;
    },
  );
  const report = repairJournal(dir);
  assert.deepEqual(report.actions.map((a) => `${a.kind} ${a.file}`), ["quarantine-segment 0000000004.seg"]);
  assert.equal(await numbersAfterOpen(dir), `${KEY} epoch 1 301/1; ${KEY2} epoch 1 1/31`);
});

Deno.test("an epoch going back is refused too; a reset, a deleted middle segment and set-seq lowering are not 'going back'", async () => {
  const dir = tempDir();
  let j = await FileJournal.open({ dir, clock: manualClock(T0), onWarning: () => {} });
  let s = await j.openSession(KEY, T0);
  for (let i = 1; i <= 20; i++) void s.appendOutbound(i, fixedMessage(i, "out"));
  await j.close();
  j = await FileJournal.open({ dir, clock: manualClock(T0), onWarning: () => {} });
  s = await j.openSession(KEY, T0);
  void s.reset(T0 + 5);
  for (let i = 1; i <= 5; i++) void s.appendOutbound(i, fixedMessage(i, "out"));
  void s.setNextSenderSeq(3);
  await j.close();
  j = await FileJournal.open({ dir, clock: manualClock(T0), onWarning: () => {} });
  await j.close();
  // Three segments: epoch 1 (1..20), epoch 2 (1..5, set back to 3), the table of the third run.
  assert.equal(await numbersAfterOpen(dir), `${KEY} epoch 2 3/1`);
  const noDelete = repairJournal(dir, { dryRun: true });
  assert.deepEqual(noDelete.actions.filter((a) => a.kind === "quarantine-segment"), []);
  // Segment 1 (epoch 1) copied in as 5: epoch 1 after epoch 2.
  copyAsNewest(dir, 1, 5, true);
  const report = repairJournal(dir);
  assert.deepEqual(report.actions.map((a) => `${a.kind} ${a.file}`), ["quarantine-segment 0000000005.seg"]);
  assert.match(report.actions[0]!.message, /is at epoch 1 here but reached epoch 2 in earlier segments/);
  // A middle segment deleted by hand is a loss (start-up says so), not an order problem for repair.
  Deno.removeSync(`${dir}/${segmentFileName(2)}`);
  Deno.removeSync(`${dir}/0000000002.idx`);
  assert.deepEqual(
    repairJournal(dir, { dryRun: true }).actions.filter((a) => a.kind === "quarantine-segment"),
    [],
  );
});
