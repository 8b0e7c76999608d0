/**
 * A journal segment of another format version (written by another fixg): the start refuses it with a
 * message that says so and does not send the operator to `fixg journal repair`, and repair refuses it
 * too, changing nothing. Before, the start called it damage and pointed at repair, and repair rewrote
 * the header and quarantined what it could not read: the session's records, its sequence numbers with them.
 */
import assert from "node:assert/strict";
import { FixgError } from "../../src/errors.ts";
import { crc32c } from "../../src/store/crc32c.ts";
import { segmentFileName } from "../../src/store/format.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { repairJournal } from "../../src/store/repair.ts";
import { filesOf, fixedMessage, KEY, manualClock, tempDir } from "./helpers.ts";

const T0 = 1_700_000_000_000;

/** A journal whose session sent 1..5, closed; then its first segment's header says format `version`. */
async function journalOfVersion(version: number): Promise<string> {
  const dir = tempDir();
  const j = await FileJournal.open({ dir, clock: manualClock(T0), onWarning: () => {}, bootId: "boot-a" });
  const s = await j.openSession(KEY, T0);
  for (let seq = 1; seq <= 5; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  await s.flush();
  await j.close();
  const path = `${dir}/${segmentFileName(1)}`;
  const b = Deno.readFileSync(path);
  const dv = new DataView(b.buffer);
  dv.setUint16(8, version, true);
  dv.setUint32(60, crc32c(b, 0, 60), true);
  Deno.writeFileSync(path, b);
  return dir;
}

function snapshot(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of filesOf(dir)) {
    const st = Deno.statSync(`${dir}/${f}`);
    m.set(f, st.isFile ? Array.from(Deno.readFileSync(`${dir}/${f}`)).join(",") : "dir");
  }
  return m;
}

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
