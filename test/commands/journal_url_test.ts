/**
 * `fixg journal inspect|verify|stats|repair` read a journal directory; given a PostgreSQL URL they say
 * which command reads one (`export`) and never echo the URL, which may carry the database password.
 */
import assert from "node:assert/strict";
import { fixgOutput } from "../_helpers/mod.ts";

Deno.test("fixg journal inspect/verify/stats/repair with a postgres:// URL: exit 2, one line, no password", async () => {
  const url = "postgres://fixg:journal-url-secret@127.0.0.1:1/fixg";
  const commands = ["inspect", "verify", "stats", "repair"];
  const results = await Promise.all(commands.map((c) => fixgOutput(["journal", c, url])));
  for (const [i, c] of commands.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 2, `${c}: ${r.stderr}`);
    assert.equal(
      r.stderr,
      `fixg: journal ${c} reads a journal directory; a PostgreSQL store is read by fixg journal export URL ` +
        `(and fixg cluster status --store URL)\n`,
    );
    assert.equal(r.stdout, "");
  }
});
