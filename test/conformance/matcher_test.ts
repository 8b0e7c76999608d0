import assert from "node:assert/strict";
import { compareFields, expectedFields, splitFields } from "../../src/conformance/mod.ts";

function expected(text: string) {
  return expectedFields(splitFields(text.replaceAll("|", "\x01")).fields);
}
function received(text: string) {
  return splitFields(text.replaceAll("|", "\x01")).fields;
}
function diff(e: string, r: string) {
  return compareFields(expected(e), received(r));
}

const LOGON_E = "8=FIX.4.4|9=60|35=A|34=1|49=ISLD|52=00000000-00:00:00|56=TW|98=0|108=30|10=0|";
const LOGON_R = "8=FIX.4.4|9=70|35=A|34=1|49=ISLD|52=20260115-09:30:00.250|56=TW|98=0|108=30|10=123|";

Deno.test("same fields in the same order match; 9 and 10 values are ignored", () => {
  assert.equal(diff(LOGON_E, LOGON_R), undefined);
  // Expected lines may leave 9 and 10 out altogether.
  assert.equal(diff("8=FIX.4.4|35=A|34=1|49=ISLD|52=<TIME>|56=TW|98=0|108=30|", LOGON_R), undefined);
});

Deno.test("timestamps match by pattern: 52, 122, 60, <TIME> and timestamp-shaped values", () => {
  const e = "8=FIX.4.4|35=D|52=<TIME>|122=<TIME-5>|60=x|126=20200101-00:00:00|";
  assert.equal(
    diff(
      e,
      "8=FIX.4.4|35=D|52=20260115-09:30:00|122=20260115-09:30:00.123456|60=20260115-09:30:00.1|126=20991231-23:59:59.999|",
    )?.reason,
    "tag 60: expected a valid UTCTimestamp, received 60=20260115-09:30:00.1",
  );
  assert.equal(
    diff(
      e,
      "8=FIX.4.4|35=D|52=20260115-09:30:00|122=20260115-09:30:00.123456|60=20260115-09:30:00.100|126=20991231-23:59:59.999|",
    ),
    undefined,
  );
  const bad = diff(
    e,
    "8=FIX.4.4|35=D|52=20261315-09:30:00|122=20260115-09:30:00|60=20260115-09:30:00|126=20991231-23:59:59|",
  );
  assert.deepEqual(bad, {
    position: 3,
    tag: 52,
    expected: "52=<TIME>",
    received: "52=20261315-09:30:00",
    reason: "tag 52: expected a valid UTCTimestamp, received 52=20261315-09:30:00",
  });
  // A timestamp-shaped expected value of another tag is a pattern too; a non-timestamp value is exact.
  assert.equal(diff("8=FIX.4.4|35=D|126=20200101-00:00:00|", "8=FIX.4.4|35=D|126=Tomorrow|")?.tag, 126);
  assert.equal(diff("8=FIX.4.4|35=D|58=hello|", "8=FIX.4.4|35=D|58=hello|"), undefined);
});

Deno.test("the first difference: a different value", () => {
  assert.deepEqual(
    diff(
      "8=FIX.4.4|35=2|34=2|49=ISLD|52=<TIME>|56=TW|7=2|16=0|",
      "8=FIX.4.4|9=1|35=2|34=2|49=ISLD|52=20260115-09:30:00.000|56=TW|7=3|16=5|10=1|",
    ),
    { position: 7, tag: 7, expected: "7=2", received: "7=3", reason: "tag 7: expected 7=2, received 7=3" },
  );
});

Deno.test("the first difference: another tag in that place, a missing field, an extra field", () => {
  assert.deepEqual(diff("8=FIX.4.4|35=3|45=2|58=x|373=1|", "8=FIX.4.4|35=3|45=2|371=112|58=x|373=1|"), {
    position: 4,
    tag: 58,
    expected: "58=x",
    received: "371=112",
    reason: "field 4: expected tag 58 (58=x), received tag 371 (371=112)",
  });
  assert.deepEqual(diff("8=FIX.4.4|35=0|112=T|", "8=FIX.4.4|35=0|"), {
    position: 3,
    tag: 112,
    expected: "112=T",
    received: undefined,
    reason: "missing field 112=T",
  });
  assert.deepEqual(diff("8=FIX.4.4|35=0|", "8=FIX.4.4|35=0|112=T|"), {
    position: 3,
    tag: 112,
    expected: undefined,
    received: "112=T",
    reason: "unexpected extra field 112=T",
  });
});

Deno.test("the same fields in another order differ", () => {
  const m = diff("8=FIX.4.4|35=A|49=ISLD|56=TW|34=1|", "8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|");
  assert.equal(m?.position, 3);
  assert.equal(m?.tag, 49);
});
