/** `deno task fuzz`: an argument it does not know is refused (exit 2) instead of ignored. */
import assert from "node:assert/strict";
import { ROOT } from "../_helpers/mod.ts";

async function fuzz(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await new Deno.Command(`${ROOT}deno`, {
    args: ["run", "--allow-read", `${ROOT}scripts/fuzz.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, stdout: d.decode(r.stdout), stderr: d.decode(r.stderr) };
}

Deno.test("deno task fuzz: a misspelt flag is refused with the usage, exit 2; known flags run", async () => {
  const bad = await fuzz(["--seeds", "42", "--iterations", "1"]);
  assert.equal(bad.code, 2, bad.stdout);
  assert.equal(
    bad.stderr,
    'fuzz: unknown argument "--seeds"; usage: deno task fuzz -- [--seed N] [--iterations N] [--iteration K]\n',
  );
  assert.equal(bad.stdout, "");
  const ok = await fuzz(["--seed", "42", "--iterations", "3"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^fuzz: seed 42, iterations 0\.\.2\n/);
});
