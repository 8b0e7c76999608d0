/**
 * `fixg journal repair` stopped partway (a full disk when it writes a file): HIGHWATER says "repaired"
 * before the first record goes, so the next start counts the reservations, and the failure is one line
 * (EnvironmentError). Before, HIGHWATER was marked only at the end: a repair that removed a damaged last
 * record and then failed left it "running", the next start (same boot) handed that record's number out
 * again; and the failure was an internal error with a stack trace.
 */
import assert from "node:assert/strict";
import { EnvironmentError } from "../../src/errors.ts";
import { indexFileName, segmentFileName } from "../../src/store/format.ts";
import { readHighWater } from "../../src/store/highwater.ts";
import { repairJournal } from "../../src/store/repair.ts";
import { crashImage, filesOf, fixedMessage, flipByte, KEY, openJournal, T0, tempDir } from "./helpers.ts";

Deno.test("repair stopped after removing a damaged last record: the next start does not reuse its number", async () => {
  const dir = tempDir();
  const { journal } = await openJournal(dir, { seqReserve: 100 });
  const s = await journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 30; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  await s.flush();
  const image = crashImage(dir);
  await journal.close();
  // The last record (seq 30, whose message was sent) has a wrong byte; the index can't be written
  // (a directory in the way of repair's temporary file stands in for a full disk).
  const seg = `${image}/${segmentFileName(1)}`;
  flipByte(seg, Deno.statSync(seg).size - 10);
  Deno.mkdirSync(`${image}/${indexFileName(1)}.repair.tmp`);

  const err = (() => {
    try {
      repairJournal(image);
    } catch (e) {
      return e;
    }
  })();
  // Before: a raw "Is a directory" error (fixg: internal error, stack trace).
  assert.ok(err instanceof EnvironmentError, String(err));
  assert.match(
    err.message,
    new RegExp(
      `^Cannot write "${image}/${
        indexFileName(1)
      }": Is a directory \\(os error 21\\); it is unchanged \\(repair stopped partway; run it again once the cause is fixed: it goes on from what the files hold\\)$`,
    ),
  );
  // The damaged record was removed (kept in quarantine/) before the failure; HIGHWATER knows.
  assert.deepEqual(filesOf(`${image}/quarantine`), [`${segmentFileName(1)}@7328.torn`]);
  assert.equal(readHighWater(image, new Map()).state, "repaired"); // before: "running"

  Deno.removeSync(`${image}/${indexFileName(1)}.repair.tmp`);
  const again = await openJournal(image, { seqReserve: 100 });
  // Before: 30, the number of the removed record (its message may have reached the counterparty).
  assert.equal(again.journal.sessions()[0]!.nextSenderSeq, 101);
  await again.journal.close();
});
