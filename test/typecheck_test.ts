// Every runnable file outside src/ type-checks: the examples the README points at, the benchmarks and the
// scripts (the test runner checks only what the tests import; a changed API once broke bench/ unnoticed).
import assert from "node:assert/strict";

Deno.test("examples/, bench/ and scripts/ type-check", async () => {
  const files: string[] = [];
  for (const dir of ["examples", "bench", "scripts"]) {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".ts")) files.push(`${dir}/${e.name}`);
    }
  }
  files.sort();
  assert.ok(files.length > 10, `found only ${files.length} files`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "-q", ...files],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const err = new TextDecoder().decode(out.stderr).replaceAll(String.fromCharCode(27), "").replace(
    /\[[0-9;]*m/g,
    "",
  );
  assert.equal(out.code, 0, err.split("\n").filter((l) => /ERROR|at file/.test(l)).slice(0, 20).join("\n"));
});
