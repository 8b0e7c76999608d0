/**
 * `-` as an output file: `fixg config import-quickfix -o -` writes the YAML to stdout (as without -o, and
 * as `fixg bench --json -` means), and `fixg conformance --junit -` is refused before the run (exit 2):
 * both wrote a file named `-` in the working directory ("wrote -; check it with: fixg config check -").
 */
import assert from "node:assert/strict";
import { fixgOutput, tempDir } from "../_helpers/mod.ts";

Deno.test("-o - of import-quickfix is stdout; --junit - is refused; no file named - is written", async () => {
  await using dir = await tempDir("fixg-dash-");
  await Deno.writeTextFile(
    `${dir.path}/qf.cfg`,
    "[DEFAULT]\nConnectionType=initiator\nSocketConnectHost=127.0.0.1\nSocketConnectPort=9876\n" +
      "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=TW\nTargetCompID=ISLD\n",
  );
  const plain = await fixgOutput(["config", "import-quickfix", "qf.cfg"], { cwd: dir.path });
  const dash = await fixgOutput(["config", "import-quickfix", "qf.cfg", "-o", "-"], { cwd: dir.path });
  assert.equal(dash.code, 0, dash.stderr);
  assert.equal(dash.stdout, plain.stdout);
  assert.equal(dash.stderr, "");
  await Deno.writeTextFile(`${dir.path}/a.def`, "iCONNECT\n");
  const junit = await fixgOutput(["conformance", "--target", "127.0.0.1:1", "--junit", "-", "a.def"], {
    cwd: dir.path,
  });
  assert.equal(junit.code, 2, junit.stderr);
  assert.equal(
    junit.stderr,
    "fixg: --junit: give a file name (- is not stdout here: the run's progress goes there; --json prints a report on stdout)\n",
  );
  assert.equal(junit.stdout, "");
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name).sort(), ["a.def", "qf.cfg"]);
});
