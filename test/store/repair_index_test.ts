/** Repair rebuilds every index file verify calls stale: both judge an index by the same comparison. */
import assert from "node:assert/strict";
import { indexFileName } from "../../src/store/format.ts";
import { decodeIndex, encodeIndex } from "../../src/store/index_format.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { verifyJournal } from "../../src/store/reader.ts";
import { repairJournal } from "../../src/store/repair.ts";
import { fixedMessage, KEY, manualClock, tempDir } from "./helpers.ts";

Deno.test("an index whose entries name other epochs or lengths is stale for verify and rebuilt by repair", async () => {
  const dir = tempDir();
  const j = await FileJournal.open({ dir, fsync: "none", clock: manualClock(), onWarning: () => {} });
  const s = await j.openSession(KEY, 0);
  for (let i = 1; i <= 3; i++) void s.appendOutbound(i, fixedMessage(i, "out"));
  await j.close();
  const idxPath = `${dir}/${indexFileName(1)}`;
  const idx = decodeIndex(Deno.readFileSync(idxPath));
  assert.ok(typeof idx !== "string");
  // Offsets, sequence numbers and types still match the records; the epoch of entry 2 does not.
  idx.epochs[2] = 7;
  Deno.writeFileSync(idxPath, encodeIndex(1, idx.coveredBytes, idx));

  const before = verifyJournal(dir);
  assert.deepEqual(before.problems.map((p) => [p.kind, p.file]), [["index-stale", indexFileName(1)]]);
  assert.match(before.problems[0]!.message, /^entry 2 \(record at byte \d+\) differs from the record;/);

  const report = repairJournal(dir);
  assert.deepEqual(report.actions.map((a) => [a.kind, a.file]), [["rebuild-index", indexFileName(1)]]);
  assert.match(
    report.actions[0]!.message,
    /^rebuilt 0000000001\.idx \(entry 2 \(record at byte \d+\) differs/,
  );
  assert.deepEqual(verifyJournal(dir).problems, []);
});
