/**
 * `--store` of `fixg run` and `fixg simulate-lp` takes memory or a directory: a database URL is refused
 * (exit 2, not echoed) instead of becoming a directory tree named after it, its password in the path.
 */
import assert from "node:assert/strict";
import { fixgOutput, tempDir } from "../_helpers/mod.ts";

Deno.test("fixg run / simulate-lp --store postgres://...: exit 2, one line, nothing created", async () => {
  await using dir = await tempDir("fixg-store-url-");
  const url = "postgres://fixg:store-flag-secret@127.0.0.1:1/fixg";
  const run = await fixgOutput(
    ["run", "--acceptor", "--port", "0", "--sender-comp-id", "A", "--target-comp-id", "B", "--store", url],
    { cwd: dir.path },
  );
  assert.equal(run.code, 2, run.stderr);
  assert.equal(
    run.stderr,
    "fixg: --store takes memory or a journal directory; a PostgreSQL store goes in the config: " +
      "store: { type: postgres, url: ... } (docs/ha.md)\n",
  );
  const lp = await fixgOutput(["simulate-lp", "--port", "0", "--store", url], { cwd: dir.path });
  assert.equal(lp.code, 2, lp.stderr);
  assert.equal(
    lp.stderr,
    "fixg: --store takes memory or a journal directory (the simulator has no database store)\n",
  );
  assert.deepEqual([...Deno.readDirSync(dir.path)], [], "nothing created in the working directory");
});
