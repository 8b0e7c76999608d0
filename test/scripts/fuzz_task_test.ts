/**
 * `./deno task fuzz -- --seed N --iterations N`, as the README, docs/dictionary.md and the script's usage
 * write it: deno task hands the `--` to the script, which refused it ('unknown argument "--"', exit 2),
 * so the documented command never ran a fuzz pass. Both forms run.
 */
import assert from "node:assert/strict";
import { ROOT } from "../_helpers/mod.ts";

async function task(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await new Deno.Command(`${ROOT}deno`, {
    args: ["task", "-q", "fuzz", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, stdout: d.decode(r.stdout), stderr: d.decode(r.stderr) };
}

Deno.test("deno task fuzz -- --seed 42 --iterations 3 (the documented form) runs, as does the form without --", async () => {
  for (const args of [["--", "--seed", "42", "--iterations", "3"], ["--seed", "42", "--iterations", "3"]]) {
    const r = await task(args);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stdout, /^fuzz: seed 42, iterations 0\.\.2\n/, args.join(" "));
  }
  const bad = await task(["--", "--seeds", "42"]);
  assert.equal(bad.code, 2, bad.stdout);
  assert.match(bad.stderr, /fuzz: unknown argument "--seeds"; usage: deno task fuzz -- /);
});
