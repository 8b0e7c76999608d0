/**
 * The echo application answers in the QuickFIX family's body order (its echo copies the message into
 * a FieldMap): top-level fields ascending, a repeating group whole at its NumInGroup tag (QuickFIX's
 * acceptance definitions 14e, 15 and 21 expect it).
 */
import assert from "node:assert/strict";
import { bodyOf } from "../../src/engine/apps/echo.ts";
import { builtinDictionary } from "../../src/dictionary/mod.ts";
import { viewOf } from "../codec/frames.ts";

const HEADER = "35=D|49=TW|56=ISLD|34=3|52=20261207-01:02:03.045|97=Y";

function readable(fields: ReturnType<typeof bodyOf>): string {
  return fields.map(([t, v]) =>
    `${t}=${typeof v === "string" ? v : new TextDecoder().decode(v as Uint8Array)}`
  )
    .join("|");
}

Deno.test("echo body: ascending tags with the dictionary, each group kept whole at its count tag", async () => {
  const dict = await builtinDictionary("FIX.4.4");
  const v = viewOf(
    `${HEADER}|40=1|55=MSFT|453=2|448=P1|447=D|452=1|448=P2|447=D|452=3|60=20261207-01:02:03|54=1|21=3|11=id|95=3|96=a|b`,
  );
  assert.equal(
    readable(bodyOf(v, dict)),
    "11=id|21=3|40=1|54=1|55=MSFT|60=20261207-01:02:03|95=3|96=a\x01b|97=Y|453=2|448=P1|447=D|452=1|448=P2|447=D|452=3",
  );
  // Without a dictionary the received order stays (group boundaries are not known).
  assert.equal(
    readable(bodyOf(v)),
    "97=Y|40=1|55=MSFT|453=2|448=P1|447=D|452=1|448=P2|447=D|452=3|60=20261207-01:02:03|54=1|21=3|11=id|95=3|96=a\x01b",
  );
});

Deno.test("echo body: an empty group (count 0) and an unknown message type", async () => {
  const dict = await builtinDictionary("FIX.4.4");
  const d = viewOf(
    `35=d|49=TW|56=ISLD|34=2|52=20261207-01:02:03.045|320=JCD|322=103|323=6|55=TBS|22=8|167=CS|336=ONE|58=No|454=0`,
  );
  assert.equal(readable(bodyOf(d, dict)), "22=8|55=TBS|58=No|167=CS|320=JCD|322=103|323=6|336=ONE|454=0");
  const u = viewOf(`35=ZZ|49=TW|56=ISLD|34=2|52=20261207-01:02:03.045|5001=b|5000=a`);
  assert.equal(readable(bodyOf(u, dict)), "5001=b|5000=a");
});
