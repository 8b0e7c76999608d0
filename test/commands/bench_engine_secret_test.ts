/**
 * `fixg bench --engine PATH --secret-env VAR` attaches to an engine that has a shared secret
 * (engine.secret / secretEnv), as `fixg send` and `fixg sessions` do: bench had no way to give one, so
 * against such an engine (the setup docs/engine_library.md recommends) it could only fail AUTH_FAILED.
 * With `--json -` the report is alone on stdout (the table went to stdout before it: not parseable).
 */
import assert from "node:assert/strict";
import { engineReady, simulatorArgs } from "../_helpers/engine.ts";
import { fixgOutput, freePort, spawnFixg, tempDir } from "../_helpers/mod.ts";

Deno.test("fixg bench --engine --secret-env: attaches to an engine with a shared secret and measures", async () => {
  await using dir = await tempDir("fixg-bench-secret-");
  const port = freePort();
  const socket = `${dir.path}/engine.sock`;
  const env = { FIXG_TEST_ENGINE_SECRET: "bench-engine-secret-0123" };
  await Deno.writeTextFile(
    `${dir.path}/fixg.yaml`,
    `store: { type: file, dir: ${dir.path}/journal }\n` +
      `engine: { socket: ${socket}, secretEnv: FIXG_TEST_ENGINE_SECRET }\n` +
      `sessions:\n  - { role: initiator, senderCompId: CLIENT, targetCompId: LP, host: 127.0.0.1, port: ${port} }\n`,
  );
  const lp = spawnFixg(simulatorArgs(port, "memory", "CLIENT"));
  const gw = spawnFixg(["run", "--config", `${dir.path}/fixg.yaml`], { env });
  try {
    await lp.until(() => /"event":"listening"/.test(lp.text.out), "simulator listening");
    await engineReady(gw);
    // 20 orders, 20 in flight, through the engine with the secret from FIXG_TEST_ENGINE_SECRET.
    const secret = ["--secret-env", "FIXG_TEST_ENGINE_SECRET"];
    const bench = ["bench", "--engine", socket, ...secret, "--orders", "20", "--pipelined", "20"];
    const r = await fixgOutput(bench, { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^attached-library +\d/m);
    assert.ok(
      !r.stdout.includes(env.FIXG_TEST_ENGINE_SECRET) && !r.stderr.includes(env.FIXG_TEST_ENGINE_SECRET),
    );
    // --json -: the report alone on stdout (parseable), the table on stderr, as fixg bench --json - does.
    const json = await fixgOutput([...bench, "--json", "-"], { env });
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(typeof report, "object");
    assert.match(json.stderr, /^attached-library +\d/m);
    // Without the secret the engine refuses the library (exit 1); an unset variable is a usage error (2).
    const without = await fixgOutput(["bench", "--engine", socket, "--orders", "20", "--pipelined", "20"]);
    assert.equal(without.code, 1, without.stderr);
    assert.match(without.stderr, /AUTH_FAILED/);
    const unset = await fixgOutput(["bench", "--engine", socket, "--secret-env", "FIXG_TEST_UNSET_VAR_X"]);
    assert.equal(unset.code, 2, unset.stderr);
    assert.equal(unset.stderr, "fixg: --secret-env: environment variable FIXG_TEST_UNSET_VAR_X is not set\n");
    // --secret-env belongs to --engine.
    const alone = await fixgOutput(["bench", "--secret-env", "FIXG_TEST_ENGINE_SECRET"]);
    assert.equal(alone.code, 2, alone.stderr);
    assert.equal(alone.stderr, "fixg: --secret-env needs --engine\n");
  } finally {
    await gw.stop();
    await lp.stop();
  }
});
