/**
 * `fixg journal inspect`, `export` and `stats` on a damaged journal exit 1 (problems found), as the CLI
 * rules say and verify does; export names each damaged region on stderr, since its messages are missing
 * from the output. Before, all three exited 0, and export said nothing at all. A torn tail at the end of a
 * journal a live gateway holds is a write in progress (verify notes it): exit 0.
 */
import assert from "node:assert/strict";
import { FileJournal } from "../../src/store/journal.ts";
import { segmentFileName } from "../../src/store/format.ts";
import { appendBytes, flipByte } from "../store/helpers.ts";
import { fixg, fixtureJournal } from "./journal_helpers.ts";

Deno.test("inspect, export and stats exit 1 on a corrupt region; export names it on stderr", async () => {
  const dir = await fixtureJournal();
  // Byte 600 of segment 2 lies in the record at 597 (a 202-byte message, seq 5 in): CRC and length fail.
  flipByte(`${dir}/${segmentFileName(2)}`, 600);
  const line = "0000000002.seg@597: 202 damaged bytes (corrupt: invalid record (bad length, type or CRC))";

  const inspect = await fixg("journal", "inspect", dir);
  assert.equal(inspect.code, 1); // before: 0
  assert.equal(inspect.stderr, "");
  assert.ok(inspect.stdout.includes(`${line}; run "fixg journal verify"\n`), inspect.stdout);

  const exp = await fixg("journal", "export", dir, "--format", "fix");
  assert.equal(exp.code, 1); // before: 0
  assert.equal(exp.stderr, `fixg: ${line} not exported; run "fixg journal verify"\n`); // before: ""
  assert.equal(exp.stdout.split("\n").length - 1, 13); // 14 messages, one damaged

  const stats = await fixg("journal", "stats", dir, "--json");
  assert.equal(stats.code, 1); // before: 0
  assert.equal(JSON.parse(stats.stdout).damagedRegions, 1);
});

Deno.test("a torn tail of a journal a live gateway holds is a write in progress: inspect, export and stats exit 0", async () => {
  const dir = await fixtureJournal();
  const journal = await FileJournal.open({ dir, onWarning: () => {} });
  try {
    // The first 20 bytes of a 248-byte record (length, CRC, type message/out): the rest not written yet.
    const partial = new Uint8Array(20);
    new DataView(partial.buffer).setUint32(0, 248, true);
    partial[8] = 1;
    partial[9] = 2;
    appendBytes(`${dir}/${segmentFileName(3)}`, partial);
    for (
      const args of [["inspect", dir], ["export", dir, "--format", "csv"], ["stats", dir]]
    ) {
      const r = await fixg("journal", ...args);
      assert.deepEqual([r.code, r.stderr], [0, ""], args.join(" "));
    }
    assert.equal((await fixg("journal", "verify", dir)).code, 0);
  } finally {
    await journal.close();
  }
});
