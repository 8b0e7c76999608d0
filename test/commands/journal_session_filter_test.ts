/**
 * `fixg journal inspect --session`: every form `fixg journal verify` prints selects the session (#N,
 * N, the key, "#N KEY"); a filter that matches no session says so, lists the known ones, exits 1.
 */
import assert from "node:assert/strict";
import { inspectJournal, parseFilter } from "../../commands/journal.ts";
import { capture, fixg, fixtureJournal } from "./journal_helpers.ts";

Deno.test("inspect --session accepts #N, N, the key and '#N KEY' (verify's forms) alike", async () => {
  const dir = await fixtureJournal();
  const verify = await fixg("journal", "verify", dir);
  const line = verify.stdout.split("\n").find((l) => /^\s+#2 /.test(l))!.trim();
  const verifyForm = line.slice(0, line.indexOf("  ")); // "#2 FIX.4.2:FIXG->BROKER"
  assert.equal(verifyForm, "#2 FIX.4.2:FIXG->BROKER");
  const texts: string[] = [];
  for (const session of ["#2", "2", "FIX.4.2:FIXG->BROKER", verifyForm, " #2 ", "FIX.4.2:FIXG->BROKER:"]) {
    const c = capture();
    assert.equal(
      await inspectJournal(dir, { filter: parseFilter({ session }, 0), json: false }, c.out),
      3,
      session,
    );
    texts.push(c.text());
  }
  assert.equal(new Set(texts).size, 1, "every form prints the same records");
});

Deno.test("fixg journal inspect --session with no match: 'no session matches', the known sessions, exit 1", async () => {
  const dir = await fixtureJournal();
  for (const session of ["#9", "FIX.4.4:NOBODY->LP1", "#1 FIX.4.2:FIXG->BROKER"]) {
    const r = await fixg("journal", "inspect", dir, "--session", session);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr.trim(),
      `fixg: no session matches "${session}"; sessions in ${dir}: #1 FIX.4.4:FIXG->LP1, #2 FIX.4.2:FIXG->BROKER`,
    );
  }
  const ok = await fixg("journal", "inspect", dir, "--session", "#1");
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /FIX\.4\.4:FIXG->LP1/);
});
