/**
 * `fixg bench codec --message FILE` takes hand-typed messages without BodyLength and CheckSum as
 * `fixg decode` does (computed when the input has neither): such a file was refused 'no FIX message found
 * (1 garbled)', exit 2.
 */
import assert from "node:assert/strict";
import { fixgOutput, tempDir } from "../_helpers/mod.ts";

Deno.test("fixg bench codec --message with a hand-typed message (no 9, no 10): measured", async () => {
  await using dir = await tempDir("fixg-codec-hand-");
  const file = `${dir.path}/hand.txt`;
  await Deno.writeTextFile(
    file,
    "8=FIX.4.4|35=D|34=1|49=A|56=B|52=20261207-00:00:00|11=x|54=1|55=EUR/USD|60=20261207-00:00:00|38=1|40=1|\n",
  );
  const r = await fixgOutput(["bench", "codec", "--message", file, "--iterations", "1000", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { message: string; op: string }[];
  assert.deepEqual(rows.map((x) => `${x.message} ${x.op}`), [
    "NewOrderSingle parse",
    "NewOrderSingle parse+validate",
    "NewOrderSingle encode",
  ]);
});
