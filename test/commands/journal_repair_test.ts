/** `fixg journal repair`: dry run, the repair itself (bytes kept in quarantine), refusal on a live journal. */
import assert from "node:assert/strict";
import { printRepair } from "../../commands/journal.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { verifyJournal } from "../../src/store/reader.ts";
import { repairJournal } from "../../src/store/repair.ts";
import { assertSnapshot, capture, fixg, fixtureJournal } from "./journal_helpers.ts";

function damage(dir: string): Uint8Array {
  const seg = `${dir}/0000000002.seg`;
  const b = Deno.readFileSync(seg);
  b[1385 + 100] = b[1385 + 100]! ^ 0x01;
  Deno.writeFileSync(seg, b);
  const f = Deno.openSync(seg, { append: true });
  f.writeSync(b.subarray(2392, 2392 + 60));
  f.close();
  return Deno.readFileSync(seg);
}

Deno.test("repair --dry-run says what it would do and changes nothing", async () => {
  const dir = await fixtureJournal();
  const before = damage(dir);
  const c = capture();
  printRepair(repairJournal(dir, { dryRun: true }), false, c.out);
  assertSnapshot("journal_repair_dry_run.txt", c.text(), dir);
  assert.deepEqual(Deno.readFileSync(`${dir}/0000000002.seg`), before);
  assert.ok(
    !(() => {
      try {
        Deno.statSync(`${dir}/quarantine`);
        return true;
      } catch {
        return false;
      }
    })(),
  );
});

Deno.test("repair quarantines corrupt bytes and the torn tail, rebuilds the index, keeps every good record", async () => {
  const dir = await fixtureJournal();
  const before = damage(dir);
  const c = capture();
  printRepair(repairJournal(dir), false, c.out);
  assertSnapshot("journal_repair.txt", c.text(), dir);
  // The bad bytes are kept exactly, in order.
  assert.deepEqual(
    Deno.readFileSync(`${dir}/quarantine/0000000002.seg@1385.corrupt`),
    before.subarray(1385, 1587),
  );
  const tornAt = before.length - 60;
  assert.deepEqual(
    Deno.readFileSync(`${dir}/quarantine/0000000002.seg@${tornAt}.torn`),
    before.subarray(tornAt),
  );
  // What remains is the good records: only the gap left by the quarantined message is reported.
  const report = verifyJournal(dir);
  assert.deepEqual(report.problems.map((p) => `${p.file}@${p.offset} ${p.kind}`), [
    "0000000002.seg@1577 seq-gap",
  ]);
  assert.equal(report.records, 18);
  const again = capture();
  printRepair(repairJournal(dir), false, again.out);
  assert.equal(again.text(), "repair: nothing to do; 18 good records in 2 segments kept\n");
  const j = await FileJournal.open({ dir, onWarning: () => {} });
  const s = await j.openSession("FIX.4.4:FIXG->LP1", 0);
  assert.deepEqual(s.seqNums(), { nextSenderSeq: 2, nextTargetSeq: 1 });
  await j.close();
});

Deno.test("repair refuses a journal a live gateway holds (exit 2, a clear message)", async () => {
  const dir = await fixtureJournal();
  const j = await FileJournal.open({ dir, onWarning: () => {} });
  try {
    const r = await fixg("journal", "repair", dir);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(
        `^fixg: Journal "${dir}" is held by a live gateway \\(pid ${Deno.pid} on .+\\); stop it first\\n$`,
      ),
    );
    const dry = await fixg("journal", "repair", dir, "--dry-run");
    assert.equal(dry.code, 2);
    assert.match(dry.stderr, /stop it before repairing/);
  } finally {
    await j.close();
  }
  const ok = await fixg("journal", "repair", dir, "--json");
  assert.equal(ok.code, 0, ok.stderr);
  // The gateway's open added a segment (3); closing it sealed it with an index: nothing to do.
  assert.deepEqual(JSON.parse(ok.stdout).actions, []);
});
