/**
 * `deno task compile` builds a single binary when Deno's `denort` runtime is available (DENORT_BIN or
 * the DENO_DIR cache); it is fetched from the internet otherwise, which this machine cannot reach.
 * Without a runtime the test is skipped with the reason; with one, it builds and runs the binary.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url).pathname;

function denortAvailable(): string | undefined {
  const env = Deno.env.get("DENORT_BIN");
  if (env) {
    try {
      Deno.statSync(env);
      return env;
    } catch {
      return undefined;
    }
  }
  const dir = `${Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`}/dl`;
  try {
    for (const e of Deno.readDirSync(dir)) if (e.name.includes("denort")) return `${dir}/${e.name}`;
  } catch {
    // no download cache
  }
  return undefined;
}

const runtime = denortAvailable();
if (!runtime) {
  console.log(
    "compile_test: skipped: no denort runtime (set DENORT_BIN, or run `./deno task compile` once with internet access)",
  );
}

Deno.test({
  name: "deno task compile builds a fixg binary that runs fixg (not the plain deno CLI)",
  ignore: runtime === undefined,
  fn: async () => {
    const out = await new Deno.Command(`${root}deno`, {
      args: ["task", "compile"],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const run = await new Deno.Command(`${root}dist/fixg`, { args: ["--version"], stdout: "piped" }).output();
    assert.equal(new TextDecoder().decode(run.stdout).trim(), (await import("../src/version.ts")).VERSION);
  },
});
