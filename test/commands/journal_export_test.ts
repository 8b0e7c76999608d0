/** `fixg journal export` (fix, json, csv) and `fixg journal stats`. */
import assert from "node:assert/strict";
import { exportJournal, parseFilter, printStats } from "../../commands/journal.ts";
import { journalStats } from "../../src/store/reader.ts";
import { assertSnapshot, capture, fixg, fixtureJournal } from "./journal_helpers.ts";

Deno.test("export --format fix writes the raw messages, one per line, bytes unchanged", async () => {
  const dir = await fixtureJournal();
  const c = capture();
  assert.equal(exportJournal(dir, "fix", {}, c.out), 14);
  const lines = c.text().split("\n");
  assert.equal(lines.length, 15);
  assert.ok(
    lines[0]!.startsWith("8=FIX.4.4\x019=131\x0135=D\x01") && lines[0]!.endsWith("\x0110=149\x01"),
    lines[0],
  );
  assertSnapshot("journal_export.fix", c.text().replaceAll("\x01", "|"));
  const r = await fixg("journal", "export", dir, "--format", "fix");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, c.text());
});

Deno.test("export --format json and csv, with filters", async () => {
  const dir = await fixtureJournal();
  const j = capture();
  assert.equal(exportJournal(dir, "json", parseFilter({ session: "1", to: "2" }, 0), j.out), 5);
  assertSnapshot("journal_export_filtered.jsonl", j.text());
  const c = capture();
  assert.equal(exportJournal(dir, "csv", {}, c.out), 14);
  assertSnapshot("journal_export.csv", c.text());
  const bad = await fixg("journal", "export", dir, "--format", "xml");
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'fixg: --format must be fix, json or csv (got "xml")\n');
  const missing = await fixg("journal", "export", dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option '--format <format>' not specified/);
});

Deno.test("stats: messages per type and session, sizes and rate; text and JSON", async () => {
  const dir = await fixtureJournal();
  const c = capture();
  printStats(journalStats(dir), false, c.out);
  assertSnapshot("journal_stats.txt", c.text(), dir);
  const j = capture();
  printStats(journalStats(dir), true, j.out);
  assertSnapshot("journal_stats.json", j.text(), dir);
  const r = await fixg("journal", "stats", dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, c.text().replaceAll("<dir>", dir));
});
