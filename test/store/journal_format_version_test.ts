/**
 * A journal segment of another format version (written by another fixg): the start refuses it with a
 * message that says so and does not send the operator to `fixg journal repair`, and repair refuses it
 * too, changing nothing. Before, the start called it damage and pointed at repair, and repair rewrote
 * the header and quarantined what it could not read: the session's records, its sequence numbers with them.
 */
import assert from "node:assert/strict";
import { FixgError } from "../../src/errors.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { repairJournal } from "../../src/store/repair.ts";
import { journalOfVersion, manualClock, snapshot, T0 } from "./helpers.ts";

Deno.test("a segment of another format version: the start refuses it without sending the operator to repair", async () => {
  const dir = await journalOfVersion(2);
  await assert.rejects(
    FileJournal.open({ dir, clock: manualClock(T0), onWarning: () => {}, bootId: "boot-a" }),
    (e: unknown) => {
      assert.ok(e instanceof FixgError);
      assert.equal(e.code, "JOURNAL_FORMAT");
      assert.equal(e.exitCode, 2);
      assert.equal(
        e.message,
        `Journal "${dir}": 0000000001.seg is in journal format version 2; this fixg reads version 1 (written by a newer fixg?). ` +
          `Run the fixg that wrote it; do not repair it (repair would quarantine its records, and the sequence numbers they hold)`,
      );
      return true;
    },
  );
});

Deno.test("a segment of another format version: repair refuses and changes nothing", async () => {
  const dir = await journalOfVersion(2);
  const before = snapshot(dir);
  assert.throws(() => repairJournal(dir), (e: unknown) => {
    assert.ok(e instanceof FixgError);
    assert.equal(e.code, "JOURNAL_FORMAT");
    assert.match(e.message, /0000000001\.seg is in journal format version 2; this fixg reads version 1/);
    return true;
  });
  assert.deepEqual(snapshot(dir), before);
});
