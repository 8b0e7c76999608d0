/** `fixg journal verify`: the report on a clean and on a damaged journal, exit codes 0, 1 and 2. */
import assert from "node:assert/strict";
import { printVerify } from "../../commands/journal.ts";
import { verifyJournal } from "../../src/store/reader.ts";
import { tempDir } from "../store/helpers.ts";
import { assertSnapshot, capture, fixg, fixtureJournal } from "./journal_helpers.ts";

/** Damages the fixture: a flipped byte in a message, a torn tail, a stale index. */
function damage(dir: string): void {
  const seg = `${dir}/0000000002.seg`;
  const b = Deno.readFileSync(seg);
  b[1385 + 100] = b[1385 + 100]! ^ 0x01; // inside outbound seq 5 of FIX.4.4:FIXG->LP1
  Deno.writeFileSync(seg, b);
  const f = Deno.openSync(seg, { append: true });
  f.writeSync(b.subarray(2392, 2392 + 60)); // a record cut short at the end
  f.close();
  Deno.copyFileSync(`${dir}/0000000002.idx`, `${dir}/0000000001.idx`);
}

Deno.test("verify on a clean journal: text and JSON reports, exit 0", async () => {
  const dir = await fixtureJournal();
  const c = capture();
  assert.equal(printVerify(verifyJournal(dir), false, c.out), 0);
  assertSnapshot("journal_verify_clean.txt", c.text(), dir);
  const j = capture();
  assert.equal(printVerify(verifyJournal(dir), true, j.out), 0);
  assertSnapshot("journal_verify_clean.json", j.text(), dir);
});

Deno.test("verify on a damaged journal lists every problem with segment and offset, exit 1", async () => {
  const dir = await fixtureJournal();
  damage(dir);
  const c = capture();
  assert.equal(printVerify(verifyJournal(dir), false, c.out), 1);
  assertSnapshot("journal_verify_damaged.txt", c.text(), dir);
  const r = await fixg("journal", "verify", dir);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, c.text());
});

Deno.test("verify exit codes through the CLI: 0 clean, 2 unusable input", async () => {
  const dir = await fixtureJournal();
  const ok = await fixg("journal", "verify", dir, "--json");
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).clean, true);
  const empty = tempDir();
  const r = await fixg("journal", "verify", empty);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `fixg: "${empty}" is not a fixg journal (no segment files)\n`);
  const none = await fixg("journal", "verify", `${empty}/missing`);
  assert.equal(none.code, 2);
});
