import assert from "node:assert/strict";
import { fromReadable, MessageView } from "../../src/codec/mod.ts";
import {
  builtinDictionary,
  isAdminMsgType,
  msgTypeKnown,
  parseDictionary,
  SESSION_REJECT_TEXT,
  validate,
  type ValidationOptions,
  validationOptions,
} from "../../src/dictionary/mod.ts";
import { frame, NOS, NOS_BODY, NOS_HEADER, rawView, viewOf } from "../codec/frames.ts";

const fix44 = builtinDictionary("FIX.4.4");

/** Asserts the exact reject (373, 371, 58) of a message. */
function expectReject(
  view: MessageView,
  reason: number,
  refTagId: number | undefined,
  options?: Partial<ValidationOptions>,
): void {
  const r = validate(view, fix44, options === undefined ? undefined : validationOptions(options));
  assert.notEqual(r, undefined, "expected a reject");
  const want: { reason: number; text: string; refTagId?: number } = {
    reason,
    text: SESSION_REJECT_TEXT[reason]!,
  };
  if (refTagId !== undefined) want.refTagId = refTagId;
  assert.deepEqual(r, want);
}

function expectValid(view: MessageView, options?: Partial<ValidationOptions>): void {
  assert.equal(
    validate(view, fix44, options === undefined ? undefined : validationOptions(options)),
    undefined,
  );
}

Deno.test("a valid NewOrderSingle passes; admin messages and a nested-group message too", () => {
  expectValid(viewOf(NOS));
  expectValid(viewOf("35=0|49=TW|56=ISLD|34=3|52=20261122-01:02:03.045"));
  expectValid(viewOf("35=A|49=TW|56=ISLD|34=1|52=20261122-01:02:03.045|98=0|108=30|141=Y"));
  expectValid(
    viewOf(
      "35=s|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045|548=X1|549=1|550=0|552=2|" +
        "54=1|11=a|453=2|448=P1|447=D|452=1|448=P2|447=D|452=3|38=10|" +
        "54=2|11=b|453=1|448=P3|447=D|452=1|38=10|" +
        "55=IBM|60=20261122-01:02:03.045|40=1",
    ),
  );
});

Deno.test("373=0 invalid tag number: malformed tag, tag 0, undefined tag", () => {
  expectReject(rawView(`8=FIX.4.4|9=5|35=D|abc=1|10=000|`), 0, undefined);
  expectReject(rawView(`8=FIX.4.4|9=5|35=D|1234567890=1|10=000|`), 0, undefined);
  // Tag 0 is named as RefTagID 0 (371=0), not left out.
  expectReject(viewOf(`${NOS}|0=1`), 0, 0);
  expectReject(viewOf(`${NOS}|4999=1`), 0, 4999);
  expectReject(viewOf(`${NOS_HEADER}|1000=x|${NOS_BODY}`), 0, 1000);
});

Deno.test("user-defined tags (>= 5000) not in the dictionary are rejected unless validateUserDefinedFields is off (QuickFIX's default); undefined tags pass when allowed", () => {
  expectReject(viewOf(`${NOS}|5001=x`), 0, 5001);
  expectValid(viewOf(`${NOS}|5001=x`), { validateUserDefinedFields: false });
  expectValid(viewOf(`${NOS}|1000=x`), { rejectUndefinedTags: false });
  // Unknown header tags do not move the header/body boundary.
  expectValid(viewOf(`35=D|49=TW|7777=h|56=ISLD|34=2|52=20261122-01:02:03.045|${NOS_BODY}`), {
    validateUserDefinedFields: false,
  });
});

Deno.test("373=1 required tag missing: header, body, trailer, group entry, required group", () => {
  expectReject(viewOf(NOS.replace("|11=ord-1", "")), 1, 11);
  expectReject(viewOf(NOS.replace("|49=TW", "")), 1, 49);
  expectReject(viewOf(NOS.replace("|52=20261122-01:02:03.045", "")), 1, 52);
  const noTrailer = frame(NOS);
  expectReject(MessageView.parse(noTrailer, 0, noTrailer.length - 7), 1, 10);
  // NewOrderCross NoSides entries require ClOrdID (11).
  expectReject(
    viewOf(
      "35=s|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045|548=X1|549=1|550=0|552=1|54=1|38=10|" +
        "55=IBM|60=20261122-01:02:03.045|40=1",
    ),
    1,
    11,
  );
  // MarketDataRequest requires the NoMDEntryTypes group.
  expectReject(
    viewOf("35=V|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045|262=r1|263=1|264=0|146=1|55=IBM"),
    1,
    267,
  );
  expectValid(
    viewOf(
      "35=V|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045|262=r1|263=1|264=0|267=2|269=0|269=1|146=1|55=IBM",
    ),
  );
});

Deno.test("373=2 tag not defined for this message type", () => {
  expectReject(viewOf(`${NOS}|112=T1`), 2, 112);
  expectValid(viewOf(`${NOS}|112=T1`), { rejectTagsNotInMessage: false });
});

Deno.test("373=4 tag specified without a value", () => {
  expectReject(viewOf(`${NOS}|58=`), 4, 58);
  expectReject(viewOf(NOS.replace("38=100", "38=")), 4, 38);
  expectValid(viewOf(`${NOS}|58=`), { checkFieldsHaveValues: false });
  expectReject(rawView(`8=FIX.4.4|9=5|35=|10=000|`), 4, 35);
});

Deno.test("373=5 value incorrect: CHAR enum, INT enum, multiple-value tokens", () => {
  expectReject(viewOf(NOS.replace("54=1", "54=Z")), 5, 54);
  expectReject(viewOf(NOS.replace("40=2", "40=22")), 6, 40);
  expectReject(viewOf(`${NOS}|18=1 #`), 5, 18);
  expectValid(viewOf(`${NOS}|18=1 2`));
  expectReject(
    viewOf(`${NOS.replace("|11=ord-1", "|11=ord-1|453=1|448=P|447=D|452=999")}`),
    5,
    452,
  );
  expectValid(viewOf(NOS.replace("54=1", "54=Z")), { checkEnumValues: false });
});

Deno.test("373=6 incorrect data format, by type", () => {
  const cases: Array<[string, number]> = [
    ["38=abc", 38], // QTY
    ["38=1e5", 38], // no exponents
    ["38=1.2.3", 38],
    ["44=-", 44], // PRICE
    ["60=20261122-25:00:00", 60], // UTCTIMESTAMP hour
    ["60=20260230-01:00:00", 60], // no 30 February
    ["60=20261122-01:02:03.04", 60], // 2 fraction digits
    ["64=2026112", 64], // LOCALMKTDATE
    ["64=20261301", 64],
    ["200=2026", 200], // MONTHYEAR
    ["200=202613", 200],
    ["114=X", 114], // BOOLEAN
    ["110=1.5", 110], // QTY is fine, MinQty: see below
    ["59=01", 59], // CHAR: one character
    ["126=20261122", 126], // ExpireTime UTCTIMESTAMP
    ["432=2026-11-22", 432], // ExpireDate LOCALMKTDATE
  ];
  for (const [field, tag] of cases) {
    const body = NOS.includes(`|${tag}=`)
      ? NOS.replace(new RegExp(`\\|${tag}=[^|]*`), `|${field}`)
      : `${NOS}|${field}`;
    if (field === "110=1.5") {
      expectValid(viewOf(body));
      continue;
    }
    expectReject(viewOf(body), 6, tag);
  }
  expectReject(viewOf(NOS.replace("34=2", "34=-2")), 6, 34); // SEQNUM
  expectReject(viewOf(NOS.replace("34=2", "34=2x")), 6, 34);
  expectReject(viewOf(`${NOS}|453=x`), 6, 453); // NUMINGROUP
  expectReject(viewOf(`${NOS}|453=-1`), 6, 453);
  expectValid(viewOf(NOS.replace("38=100", "38=abc")), { checkDataFormat: false });
  expectValid(viewOf(NOS.replace("38=100", "38=-100.25")));
  expectValid(viewOf(NOS.replace("60=20261122-01:02:03.045", "60=20240229-23:59:60.123456789")));
  expectValid(viewOf(`${NOS}|200=202612w3`));
  expectValid(viewOf(`${NOS}|200=20261231`));
});

Deno.test("373=6 for UTCDATEONLY, UTCTIMEONLY and DAYOFMONTH-style fields in market data", () => {
  const md = "35=X|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045|268=1|279=0|269=0|270=1.5|271=100";
  expectValid(viewOf(`${md}|272=20261122|273=01:02:03.123`));
  expectReject(viewOf(`${md}|272=2026-11-22`), 6, 272);
  expectReject(viewOf(`${md}|273=1:02:03`), 6, 273);
  expectReject(viewOf(`${md}|273=01:02:03.1`), 6, 273);
});

const LOGON = "35=A|49=TW|56=ISLD|34=1|52=20261122-01:02:03.045|98=0|108=30";

Deno.test("data fields: length mismatch is 373=6 on the length field; RawData may contain SOH", () => {
  expectValid(viewOf(`${LOGON}|95=3|96=a|b`));
  expectReject(viewOf(`${LOGON}|95=9|96=abc`), 6, 95);
});

Deno.test("373=17 SOH in a non-data value (a dictionary typing RawData as STRING)", () => {
  const xml = Deno.readTextFileSync(new URL("../../fixtures/dictionaries/FIX44.xml", import.meta.url))
    .replace(
      "<field number='96' name='RawData' type='DATA' />",
      "<field number='96' name='RawData' type='STRING' />",
    );
  const custom = parseDictionary(xml, "fix44-rawdata-string");
  const r = validate(viewOf(`${LOGON}|95=3|96=a|b`), custom);
  assert.deepEqual(r, { reason: 17, refTagId: 96, text: SESSION_REJECT_TEXT[17] });
});

Deno.test("373=13 tag appears more than once (message level and inside a group entry)", () => {
  expectReject(viewOf(`${NOS}|55=MSFT`), 13, 55);
  expectReject(viewOf(NOS.replace("|34=2", "|34=2|34=3")), 13, 34);
  expectReject(viewOf(`${NOS}|453=1|448=P|447=D|448=Q`), 16, 453);
  expectReject(viewOf(`${NOS}|453=1|448=P|447=D|447=D`), 13, 447);
  expectValid(viewOf(`${NOS}|55=MSFT`), { checkRepeatedTags: false });
});

Deno.test("373=14 out of order: header after body, body after trailer, 8/9/35 first, 10 last", () => {
  expectReject(viewOf(`${NOS}|50=DESK`), 14, 50);
  expectReject(viewOf(`${NOS}|93=3|89=abc|58=hi`), 14, 58);
  expectValid(viewOf(`${NOS}|93=3|89=abc`));
  expectReject(rawView(`8=FIX.4.4|35=D|9=5|10=000|`), 14, 9);
  expectReject(rawView(`9=5|8=FIX.4.4|35=D|10=000|`), 14, 8);
  expectReject(rawView(`8=FIX.4.4|9=5|49=TW|35=D|10=000|`), 14, 35);
  expectReject(rawView(`8=FIX.4.4|9=5|49=TW|10=000|`), 1, 35);
  const f = frame(NOS);
  const withTail = new Uint8Array([...f, ...fromReadable("58=late|")]);
  expectReject(MessageView.parse(withTail), 14, 10);
  expectValid(viewOf(`${NOS}|50=DESK`), { checkFieldOrder: false, rejectTagsNotInMessage: false });
});

Deno.test("373=15 repeating group fields out of order: delimiter not first, member outside its group", () => {
  expectReject(viewOf(`${NOS}|453=1|447=D|448=P|452=1`), 15, 447);
  expectReject(
    viewOf(NOS.replace("|11=ord-1", "|11=ord-1|453=1|448=P|447=D|21=1|452=1").replace("|21=1|55", "|55")),
    15,
    452,
  );
  expectReject(viewOf(`${NOS}|448=P`), 15, 448);
  expectValid(viewOf(`${NOS}|448=P`), { checkGroups: false });
});

Deno.test("373=16 incorrect NumInGroup count: too many, too few, nested", () => {
  expectReject(viewOf(`${NOS}|453=2|448=P|447=D|452=1`), 16, 453);
  expectReject(viewOf(`${NOS}|453=1|448=P|447=D|452=1|448=Q|447=D|452=3`), 16, 453);
  expectReject(viewOf(`${NOS}|453=1`), 16, 453);
  expectValid(viewOf(`${NOS}|453=0`));
  // Nested: NoPartySubIDs (802) inside NoPartyIDs.
  expectValid(viewOf(`${NOS}|453=1|448=P|447=D|452=1|802=2|523=s1|803=1|523=s2|803=2`));
  expectReject(viewOf(`${NOS}|453=1|448=P|447=D|452=1|802=3|523=s1|803=1|523=s2|803=2`), 16, 802);
  expectReject(
    viewOf(
      "35=s|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045|548=X1|549=1|550=0|552=2|" +
        "54=1|11=a|453=2|448=P1|447=D|452=1|38=10|" +
        "54=2|11=b|453=1|448=P3|447=D|452=1|38=10|" +
        "55=IBM|60=20261122-01:02:03.045|40=1",
    ),
    16,
    453,
  );
  expectValid(viewOf(`${NOS}|453=2|448=P|447=D|452=1`), { checkGroups: false });
});

Deno.test("373=11 invalid MsgType; checkMsgType off validates header and trailer only", () => {
  // No RefTagID, as the QuickFIX family answers (reference definition 2q).
  expectReject(viewOf(NOS.replace("35=D", "35=ZZ")), 11, undefined);
  expectValid(viewOf(NOS.replace("35=D", "35=ZZ")), { checkMsgType: false });
  expectReject(viewOf(NOS.replace("35=D", "35=ZZ").replace("|49=TW", "")), 1, 49, { checkMsgType: false });
});

Deno.test("a negative tag number is 373=0 with that number as RefTagID (371=-1, reference definition 14a)", () => {
  expectReject(viewOf(NOS + "|-1=HI"), 0, -1);
  expectReject(viewOf(NOS + "|-25=HI"), 0, -25);
  // Not a number at all: no RefTagID.
  expectReject(viewOf(NOS + "|x1=HI"), 0, undefined);
});

Deno.test("header repeating group (NoHops) is walked in the header", () => {
  expectValid(viewOf(NOS.replace("|52=", "|627=1|628=HOP1|629=20261122-01:02:03.000|52=")));
  expectReject(viewOf(NOS.replace("|52=", "|627=2|628=HOP1|52=")), 16, 627);
});

Deno.test("required checks and repeat checks can be switched off one by one", () => {
  expectValid(viewOf(NOS.replace("|11=ord-1", "")), { checkRequiredFields: false });
});

Deno.test("FIXT.1.1: transport + application dictionary, combined or passed apart", () => {
  const fixt = builtinDictionary("FIXT.1.1");
  const body = "35=D|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045|1128=9|11=o|54=1|55=IBM|" +
    "60=20261122-01:02:03.045|38=100|40=1";
  assert.equal(validate(viewOf(body, "FIXT.1.1"), fixt), undefined);
  const logon = "35=A|49=TW|56=ISLD|34=1|52=20261122-01:02:03.045|98=0|108=30|1137=9";
  assert.equal(validate(viewOf(logon, "FIXT.1.1"), fixt), undefined);
  const transport = parseDictionary(
    Deno.readTextFileSync(new URL("../../fixtures/dictionaries/FIXT11.xml", import.meta.url)),
    "FIXT11",
  );
  const app = builtinDictionary("FIX.5.0SP2");
  assert.equal(validate(viewOf(body, "FIXT.1.1"), transport, undefined, app), undefined);
  assert.equal(validate(viewOf(body, "FIXT.1.1"), transport)?.reason, 11);
});

Deno.test("isAdminMsgType and msgTypeKnown", () => {
  assert.equal(isAdminMsgType(fix44, "A"), true);
  assert.equal(isAdminMsgType(fix44, "0"), true);
  assert.equal(isAdminMsgType(fix44, "D"), false);
  assert.equal(isAdminMsgType(fix44, "ZZ"), false);
  assert.equal(msgTypeKnown(fix44, "D"), true);
  assert.equal(msgTypeKnown(fix44, "ZZ"), false);
  const fixt = builtinDictionary("FIXT.1.1");
  assert.equal(isAdminMsgType(fixt, "A"), true);
  assert.equal(isAdminMsgType(fixt, "8"), false);
});

Deno.test("validation of one view is repeatable and independent of earlier messages", () => {
  const good = viewOf(NOS);
  const bad = viewOf(`${NOS}|55=X`);
  for (let i = 0; i < 3; i++) {
    assert.equal(validate(good, fix44), undefined);
    assert.equal(validate(bad, fix44)?.reason, 13);
  }
});

Deno.test("the same layout after a valid message still has its values checked (layout cache)", () => {
  // Warm the per-type layout cache with valid messages, then send the same tags with bad values.
  for (let i = 0; i < 3; i++) expectValid(viewOf(NOS));
  expectReject(viewOf(NOS.replace("54=1", "54=Z")), 5, 54);
  expectValid(viewOf(NOS));
  expectReject(viewOf(NOS.replace("38=100", "38=1x0")), 6, 38);
  expectValid(viewOf(NOS));
  expectReject(viewOf(NOS.replace("60=20261122-01:02:03.045", "60=20261322-01:02:03.045")), 6, 60);
  expectValid(viewOf(NOS));
  expectReject(viewOf(NOS.replace("44=1.5", "44=")), 4, 44);
  // Same tags in another order: no longer the cached layout, still valid where the order is free.
  expectValid(
    viewOf(`${NOS_HEADER}|55=IBM|11=ord-1|21=1|54=1|60=20261122-01:02:03.045|38=100|40=2|44=1.5|59=0`),
  );
  expectValid(viewOf(NOS));
  expectReject(viewOf(`${NOS}|11=dup`), 13, 11);
});
