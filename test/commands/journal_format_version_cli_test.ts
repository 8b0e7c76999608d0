/**
 * `fixg journal inspect|export|stats` on a journal holding a segment of another format version (written by
 * another fixg) refuse it as `fixg run` and `fixg journal repair` do (JOURNAL_FORMAT since 06cd364): one line
 * naming the file and the version found, exit 2, no output, nothing changed. Before, they read its records
 * as version 1 and printed them (only `verify` flagged it).
 */
import assert from "node:assert/strict";
import { fixgOutput } from "../_helpers/mod.ts";
import { journalOfVersion, snapshot } from "../store/helpers.ts";

Deno.test("fixg journal inspect, export and stats refuse a journal of another format version: one line, exit 2, nothing changed", async () => {
  const dir = await journalOfVersion(2);
  const before = snapshot(dir);
  const line =
    `fixg: Journal "${dir}": 0000000001.seg is in journal format version 2; this fixg reads version 1 ` +
    `(written by a newer fixg?). Run the fixg that wrote it; do not repair it (repair would quarantine its ` +
    `records, and the sequence numbers they hold)\n`;
  const runs = [
    ["journal", "inspect", dir],
    ["journal", "inspect", "--json", dir],
    ["journal", "export", "--format", "fix", dir],
    ["journal", "export", "--format", "json", dir],
    ["journal", "stats", dir],
    ["journal", "stats", "--json", dir],
  ];
  const results = await Promise.all(runs.map((args) => fixgOutput(args)));
  for (const [i, r] of results.entries()) {
    const what = runs[i]!.join(" ");
    assert.equal(r.code, 2, `${what}: ${r.stderr}`);
    assert.equal(r.stderr, line, what);
    assert.equal(r.stdout, "", what);
  }
  assert.deepEqual(snapshot(dir), before);
});
