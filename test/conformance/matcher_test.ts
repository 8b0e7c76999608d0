import assert from "node:assert/strict";
import {
  compareFields,
  expectedFields,
  splitFields,
  strictExpectedFields,
} from "../../src/conformance/mod.ts";

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

function strictDiff(e: string, r: string) {
  return compareFields(strictExpectedFields(splitFields(e.replaceAll("|", "\x01")).fields), received(r), {
    strict: true,
  });
}

Deno.test("strict: every field in order, 9 and 10 by pattern and expected even when the line omits them", () => {
  assert.equal(strictDiff(LOGON_E, LOGON_R), undefined);
  assert.equal(strictDiff("8=FIX.4.4|35=A|34=1|49=ISLD|52=<TIME>|56=TW|98=0|108=30|", LOGON_R), undefined);
  // 9 must be a whole number, 10 three digits, in their places.
  assert.equal(
    strictDiff(LOGON_E, "8=FIX.4.4|9=7x|35=A|34=1|49=ISLD|52=20260115-09:30:00.250|56=TW|98=0|108=30|10=123|")
      ?.reason,
    "tag 9: expected a whole number, received 9=7x",
  );
  assert.equal(
    strictDiff(LOGON_E, "8=FIX.4.4|9=70|35=A|34=1|49=ISLD|52=20260115-09:30:00.250|56=TW|98=0|108=30|10=12|")
      ?.reason,
    "tag 10: expected three digits, received 10=12",
  );
  assert.equal(
    strictDiff("8=FIX.4.4|35=0|", "8=FIX.4.4|35=0|9=5|10=123|")?.reason,
    "field 2: expected tag 9 (9=<BodyLength>), received tag 35 (35=0)",
  );
  // Header order counts.
  assert.equal(
    strictDiff(LOGON_E, "8=FIX.4.4|9=70|35=A|49=ISLD|56=TW|34=1|52=20260115-09:30:00.250|98=0|108=30|10=123|")
      ?.reason,
    "field 4: expected tag 34 (34=1), received tag 49 (49=ISLD)",
  );
});

Deno.test("strict: time values by pattern are 42, 52, 60, 122 and <TIME> placeholders; other values exactly", () => {
  const e =
    "8=FIX.4.4|35=D|42=00000000-00:00:00|52=00000000-00:00:00.000|60=x|122=<TIME>|126=20200101-00:00:00|";
  const ok = "8=FIX.4.4|9=1|35=D|42=20260115-09:30:00|52=20260115-09:30:00.250|60=20260115-09:30:00|" +
    "122=20260115-09:29:00.000|126=20200101-00:00:00|10=000|";
  assert.equal(strictDiff(e, ok), undefined);
  // A timestamp-shaped value in another tag must be equal (default mode would take any timestamp).
  const other = ok.replace("126=20200101-00:00:00", "126=20991231-23:59:59");
  assert.equal(
    strictDiff(e, other)?.reason,
    "tag 126: expected 126=20200101-00:00:00, received 126=20991231-23:59:59",
  );
  assert.equal(diff(e, other), undefined);
  assert.equal(
    strictDiff(e, ok.replace("42=20260115-09:30:00", "42=soon"))?.reason,
    "tag 42: expected a valid UTCTimestamp, received 42=soon",
  );
});
