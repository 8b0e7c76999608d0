/**
 * Output files named on the command line that cannot be written: one line naming the flag and the path,
 * exit 2, no stack trace; checked before any work when the work is long (a bench run).
 */
import assert from "node:assert/strict";
import { fixgOutput, tempDir } from "../_helpers/mod.ts";

Deno.test("fixg config import-quickfix -o into a missing directory: one line naming --output, exit 2, no stack", async () => {
  await using dir = await tempDir("fixg-out-");
  await Deno.writeTextFile(
    `${dir.path}/q.cfg`,
    "[DEFAULT]\nConnectionType=initiator\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n" +
      "SocketConnectHost=127.0.0.1\nSocketConnectPort=9\n",
  );
  const r = await fixgOutput(["config", "import-quickfix", "q.cfg", "-o", "no/such/dir/x.yaml"], {
    cwd: dir.path,
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^fixg: --output: cannot write "no\/such\/dir\/x\.yaml": No such file or directory/);
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.equal(r.stdout, "");
});

Deno.test("fixg bench --engine with an unwritable --json FILE: exit 2 before attaching to the engine", async () => {
  await using dir = await tempDir("fixg-out-");
  const r = await fixgOutput(
    ["bench", "--engine", `${dir.path}/no-engine.sock`, "--json", `${dir.path}/no/such/dir/r.json`],
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^fixg: --json: cannot write ".*\/no\/such\/dir\/r\.json"/);
  assert.doesNotMatch(r.stderr, /engine/, "the engine is not contacted");
});

Deno.test("fixg conformance --junit FILE that cannot be written: exit 2 before any scenario runs", async () => {
  await using dir = await tempDir("fixg-out-");
  const scenario = `${dir.path}/one.def`;
  await Deno.writeTextFile(scenario, "iCONNECT\n");
  const r = await fixgOutput([
    "conformance",
    "--target",
    "127.0.0.1:1",
    "--json",
    "--junit",
    `${dir.path}/no/such/dir/r.xml`,
    scenario,
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^fixg: --junit: cannot write ".*\/no\/such\/dir\/r\.xml": No such file or directory/,
  );
  assert.equal(r.stdout, "", "nothing ran");
});
