/**
 * `fixg decode` does not print a Logon's Password (554) or NewPassword (925) unless asked with
 * --show-secrets, as `fixg journal inspect` (a capture pasted from a log, a terminal shared on a call).
 * Before, both were printed as they are, in tables and JSON.
 */
import assert from "node:assert/strict";
import { decodeInput } from "../../commands/decode.ts";
import { frame } from "../engine/helpers.ts";

const LOGON = frame(
  "FIX.4.4",
  "A",
  "49=CLIENT|56=LP|34=1|52=20260101-00:00:00.000|98=0|108=30|553=trader|554=Hunter2-secret|925=Next-secret9|",
);

function decode(json: boolean, showSecrets?: boolean): string {
  let out = "";
  decodeInput(LOGON, { json, ...(showSecrets === undefined ? {} : { showSecrets }) }, (t) => (out += t));
  return out;
}

Deno.test("fixg decode: Password and NewPassword print as *** (tables and JSON); --show-secrets prints them", () => {
  for (const json of [false, true]) {
    const out = decode(json);
    assert.ok(!out.includes("Hunter2-secret") && !out.includes("Next-secret9"), out);
    assert.ok(out.includes("trader"), out); // the Username stays
    if (json) {
      const fields = JSON.parse(out.trim()).fields as { tag: number; value: string }[];
      assert.deepEqual(fields.filter((f) => f.tag === 554 || f.tag === 925).map((f) => [f.tag, f.value]), [
        [554, "***"],
        [925, "***"],
      ]);
      // The frame's own BodyLength and CheckSum, as they are in the input.
      const v = (t: number) => fields.find((f) => f.tag === t)!.value;
      const text = new TextDecoder().decode(LOGON).replaceAll("\x01", "|");
      assert.equal(`9=${v(9)}|`, text.match(/\|9=\d+\|/)![0].slice(1));
      assert.equal(`10=${v(10)}|`, text.match(/\|10=\d{3}\|$/)![0].slice(1));
    }
    const shown = decode(json, true);
    assert.ok(shown.includes("Hunter2-secret") && shown.includes("Next-secret9"), shown);
  }
});
