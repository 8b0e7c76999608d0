/**
 * `fixg config hash-password --iterations N` is checked before the password is read (on a terminal the
 * prompt came first, the refusal after the password was typed) and the refusal quotes what was given
 * (it said "got NaN" for a word).
 */
import assert from "node:assert/strict";
import { fixgOutput } from "../_helpers/mod.ts";

Deno.test("fixg config hash-password --iterations not a whole number >= 1000: exit 2, the value quoted, no hash", async () => {
  const given = ["x", "999", "1000.5", ""];
  const results = await Promise.all(
    given.map((v) => fixgOutput(["config", "hash-password", "--iterations", v], { stdin: "pw-1\n" })),
  );
  for (const [i, v] of given.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 2, `${v}: ${r.stderr}`);
    assert.equal(r.stderr, `fixg: --iterations must be a whole number >= 1000 (got "${v}")\n`);
    assert.equal(r.stdout, "");
  }
});
