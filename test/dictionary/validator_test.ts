/**
 * The per-session Validator: FIX 4.0/4.1 type meanings, FIXT 1.1 application versions (ApplVerID,
 * DefaultApplVerID, one dictionary per version) and options fixed per validator object.
 */
import assert from "node:assert/strict";
import {
  builtinDictionary,
  combineDictionaries,
  createValidator,
  parseDictionary,
  validate,
  type ValidationOptions,
  validationOptions,
  Validator,
} from "../../src/dictionary/mod.ts";
import { describeMessage } from "../../src/dictionary/describe.ts";
import { viewOf } from "../codec/frames.ts";

const T = "52=20261122-01:02:03";

Deno.test("FIX 4.0 and 4.1: CHAR is a string (49=ABC Logon validates), TIME a UTC timestamp, ExecInst multi-valued", () => {
  for (const begin of ["FIX.4.0", "FIX.4.1"]) {
    const dict = builtinDictionary(begin);
    const logon = viewOf(`35=A|34=1|49=ABC|${T}|56=ISLD|98=0|108=30`, begin);
    assert.equal(validate(logon, dict), undefined, `${begin} Logon with 49=ABC`);
    assert.equal(new Validator({ dictionary: dict }).validate(logon), undefined);
    // TIME: a date and time; a bad one is 373=6 on SendingTime.
    assert.deepEqual(
      validate(viewOf(`35=0|34=2|49=ABC|52=2026-11-22|56=ISLD`, begin), dict),
      { reason: 6, refTagId: 52, text: "Incorrect data format for value" },
    );
    // A CHAR field with an enum still has its values checked.
    const nos = (side: string, execInst: string) =>
      viewOf(
        `35=D|34=2|49=ABC|${T}|56=ISLD|11=ord-1|21=1|18=${execInst}|55=IBM|54=${side}|38=100|40=1`,
        begin,
      );
    assert.equal(validate(nos("1", "1 G"), dict), undefined, `${begin} ExecInst "1 G"`);
    assert.deepEqual(validate(nos("Q", "1"), dict), {
      reason: 5,
      refTagId: 54,
      text: "Value is incorrect (out of range) for this tag",
    });
    assert.equal(validate(nos("1", "1 #"), dict)?.refTagId, 18);
  }
  // From FIX 4.2 on CHAR is one character.
  const fix42 = builtinDictionary("FIX.4.2");
  assert.deepEqual(
    validate(viewOf(`35=0|34=2|49=ABC|${T}|56=ISLD|43=YY|122=${T.slice(3)}`, "FIX.4.2"), fix42),
    { reason: 6, refTagId: 43, text: "Incorrect data format for value" },
  );
});

Deno.test("a Validator's options are its own: fixed at construction, independent of other validators", () => {
  const fix44 = builtinDictionary("FIX.4.4");
  const empty = viewOf(`35=0|49=TW|56=ISLD|34=3|${T}.045|112=`);
  const settings: { dictionary: typeof fix44; validation: Partial<ValidationOptions> } = {
    dictionary: fix44,
    validation: { checkFieldsHaveValues: true },
  };
  const strict = new Validator(settings);
  const loose = new Validator({ dictionary: fix44, validation: { checkFieldsHaveValues: false } });
  settings.validation.checkFieldsHaveValues = false; // does not reach the validator built from it
  for (let i = 0; i < 3; i++) {
    assert.equal(strict.validate(empty)?.reason, 4);
    assert.equal(loose.validate(empty), undefined);
  }
  assert.equal(strict.options.checkFieldsHaveValues, true);
  assert.throws(() => (strict.options as ValidationOptions).checkFieldsHaveValues = false);
  // The one-off validate() reads the options it is given on every call, even one object changed in place.
  const o = validationOptions();
  assert.equal(validate(empty, fix44, o)?.reason, 4);
  o.checkFieldsHaveValues = false;
  assert.equal(validate(empty, fix44, o), undefined);
  o.checkFieldsHaveValues = true;
  assert.equal(validate(empty, fix44, o)?.reason, 4);
  assert.equal(createValidator({ validation: {} }), undefined);
});

const NOS_FIXT = "35=D|49=TW|56=ISLD|34=2|52=20261122-01:02:03.045|11=o|54=1|55=IBM|" +
  "60=20261122-01:02:03.045|38=100|40=1";

Deno.test("FIXT 1.1: application messages are validated against the dictionary of their ApplVerID or the DefaultApplVerID", () => {
  const v = new Validator({ dictionary: builtinDictionary("FIXT.1.1"), defaultApplVerId: "7" });
  // TimeInForce 8 exists from FIX 5.0 SP1 on; TradingSessionID has an enum from SP1 on.
  const tif8 = viewOf(`${NOS_FIXT}|59=8`, "FIXT.1.1");
  const ses = viewOf(`${NOS_FIXT}|386=1|336=X`, "FIXT.1.1");
  const r59 = { reason: 5, refTagId: 59, text: "Value is incorrect (out of range) for this tag" };
  assert.deepEqual(v.validate(tif8), r59, "FIX 5.0 by DefaultApplVerID 7");
  assert.equal(v.validate(ses), undefined);
  // ApplVerID on the message wins over the default.
  const withVer = (ver: string, extra: string) =>
    viewOf(NOS_FIXT.replace("|11=o", `|1128=${ver}|11=o`) + extra, "FIXT.1.1");
  assert.equal(v.validate(withVer("9", "|59=8")), undefined);
  assert.deepEqual(v.validate(withVer("9", "|386=1|336=X"))?.refTagId, 336);
  assert.equal(v.validate(withVer("7", "|386=1|336=X")), undefined);
  assert.deepEqual(v.validate(withVer("7", "|59=8")), r59);
  assert.equal(v.validate(withVer("8", "|59=8")), undefined);
  // An ApplVerID the spec does not define: 373=5 on 1128.
  assert.deepEqual(v.validate(withVer("Z", "")), {
    reason: 5,
    refTagId: 1128,
    text: "Value is incorrect (out of range) for this tag",
  });
  // The counterparty's Logon names its DefaultApplVerID: from then on SP2.
  const logon = viewOf("35=A|49=TW|56=ISLD|34=1|52=20261122-01:02:03.045|98=0|108=30|1137=9", "FIXT.1.1");
  assert.equal(v.validate(logon), undefined);
  assert.equal(v.defaultApplVerId, "9");
  assert.equal(v.logonDefaultApplVerId, "9");
  assert.equal(v.validate(tif8), undefined);
  assert.equal(v.validate(ses)?.refTagId, 336);
  // Admin messages validate whatever the version.
  assert.equal(v.validate(viewOf("35=0|49=TW|56=ISLD|34=3|52=20261122-01:02:03.045", "FIXT.1.1")), undefined);
});

Deno.test("FIXT 1.1: a rejected Logon's DefaultApplVerID (1137) does not become the session's default", () => {
  const v = new Validator({ dictionary: builtinDictionary("FIXT.1.1"), defaultApplVerId: "7" });
  const tif8 = viewOf(`${NOS_FIXT}|59=8`, "FIXT.1.1");
  const r59 = { reason: 5, refTagId: 59, text: "Value is incorrect (out of range) for this tag" };
  // A Logon naming SP2 (9) without HeartBtInt (108, required): rejected, the default stays FIX 5.0 (7).
  const bad = viewOf("35=A|49=TW|56=ISLD|34=1|52=20261122-01:02:03.045|98=0|1137=9", "FIXT.1.1");
  assert.deepEqual(v.validate(bad), { reason: 1, refTagId: 108, text: "Required tag missing" });
  assert.equal(v.defaultApplVerId, "7");
  assert.equal(v.logonDefaultApplVerId, undefined);
  assert.deepEqual(v.validate(tif8), r59, "still validated as FIX 5.0");
  // The same Logon, valid: SP2 from then on; a later rejected Logon naming 7 leaves SP2.
  const good = viewOf("35=A|49=TW|56=ISLD|34=1|52=20261122-01:02:03.045|98=0|108=30|1137=9", "FIXT.1.1");
  assert.equal(v.validate(good), undefined);
  assert.equal(v.defaultApplVerId, "9");
  assert.equal(v.validate(tif8), undefined);
  assert.equal(
    v.validate(viewOf("35=A|49=TW|56=ISLD|34=1|52=20261122-01:02:03.045|98=0|1137=7", "FIXT.1.1"))?.refTagId,
    108,
  );
  assert.equal(v.logonDefaultApplVerId, "9");
  assert.equal(v.validate(tif8), undefined);
});

Deno.test("FIXT 1.1: one application dictionary per version, configured ones win over the built-in", () => {
  // A venue's FIX 5.0 SP1 dictionary without TimeInForce 9.
  const xml = Deno.readTextFileSync(new URL("../../fixtures/dictionaries/FIX50SP1.xml", import.meta.url))
    .replace(/(<field number='59'[^>]*>[\s\S]*?)<value enum='9'[^>]*\/>/, "$1");
  const venueSp1 = parseDictionary(xml, "venue-FIX50SP1");
  assert.equal(venueSp1.fieldsByTag.get(59)!.enums.has("9"), false, "fixture edited");
  const transport = parseDictionary(
    Deno.readTextFileSync(new URL("../../fixtures/dictionaries/FIXT11.xml", import.meta.url)),
    "FIXT11",
  );
  const tif9 = viewOf(`${NOS_FIXT}|59=9`, "FIXT.1.1");
  const byMap = new Validator({
    dictionary: transport,
    appDictionaries: new Map([["FIX.5.0SP1", venueSp1]]),
    defaultApplVerId: "8",
  });
  assert.equal(byMap.validate(tif9)?.refTagId, 59);
  // appDictionary serves the version it declares; SP2 messages keep the built-in SP2.
  const byApp = new Validator({ dictionary: builtinDictionary("FIXT.1.1"), appDictionary: venueSp1 });
  assert.equal(byApp.defaultApplVerId, "8");
  assert.equal(
    new Validator({ dictionary: transport, defaultApplVerId: "FIX.5.0SP1" }).defaultApplVerId,
    "8",
  );
  assert.equal(byApp.validate(tif9)?.refTagId, 59);
  assert.equal(
    byApp.validate(viewOf(NOS_FIXT.replace("|11=o", "|1128=9|11=o") + "|59=9", "FIXT.1.1")),
    undefined,
  );
  assert.equal(byMap.appDictionaryFor("FIX.5.0SP1"), venueSp1);
  assert.equal(byMap.appDictionaryFor("FIX.5.0"), builtinDictionary("FIX.5.0"));
  assert.equal(byMap.appDictionaryFor("FIX.9.9"), undefined);
});

Deno.test("combineDictionaries on an already combined dictionary takes its transport part only", () => {
  const fixt = builtinDictionary("FIXT.1.1"); // FIXT 1.1 + FIX 5.0 SP2
  const fix50 = builtinDictionary("FIX.5.0");
  const c = combineDictionaries(fixt, fix50);
  assert.equal(c.parts?.app, fix50);
  assert.equal(c.parts?.transport, fixt.parts?.transport);
  assert.equal(c.fieldsByTag.get(59)!.enums.has("8"), false, "TimeInForce as FIX 5.0 has it");
  assert.equal(c.messagesByType.get("D"), fix50.messagesByType.get("D"));
  assert.equal(c.messagesByType.get("A"), fixt.messagesByType.get("A"));
  assert.equal(validate(viewOf(`${NOS_FIXT}|59=8`, "FIXT.1.1"), fixt, undefined, fix50)?.refTagId, 59);
});

Deno.test("describeMessage (fixg decode): a FIXT message is validated against the version its ApplVerID names", () => {
  const fixt = builtinDictionary("FIXT.1.1");
  const nos = (ver: string) => viewOf(NOS_FIXT.replace("|11=o", `|1128=${ver}|11=o`) + "|59=8", "FIXT.1.1");
  assert.equal(describeMessage(nos("9"), fixt, 0).reject, undefined);
  assert.equal(describeMessage(nos("7"), fixt, 0).reject?.refTagId, 59, "FIX 5.0 has no TimeInForce 8");
});

// A message with the remembered layout is checked in one pass (tag, then value, field by field): a bad
// value with a different layout after it is judged by the full check, as a first message would be.
Deno.test("remembered layouts: a bad value followed by a different layout is judged as a fresh validator judges it", () => {
  const dict = builtinDictionary("FIX.4.4");
  const nos = (side: string, qty: string, tail: string) =>
    viewOf(
      `35=D|34=2|49=ABC|${T}|56=ISLD|11=ord-1|55=IBM|54=${side}|${T.replace("52", "60")}|38=${qty}|${tail}`,
    );
  const cases = [
    nos("1", "100", "40=1"), // the layout learnt
    nos("Q", "100", "40=1"), // same layout, bad enum
    nos("Q", "100", "40=2|44=1"), // bad enum, then another tag
    nos("1", "1x0", "40=2|44=1"), // bad format, then another tag
    nos("Q", "100", "44=1"), // bad enum, Price without OrdType: the missing field wins (QuickFIX's order)
    nos("1", "1x0", "40=1"), // same layout, bad format
    nos("Q", "1x0", "58=x"), // two bad values, then an undefined-for-message tag
    nos("1", "100", "40=1"),
  ];
  const learnt = new Validator({ dictionary: dict });
  for (const v of cases) {
    const fresh = new Validator({ dictionary: dict }).validate(v);
    assert.deepEqual(learnt.validate(v), fresh);
  }
  assert.deepEqual(learnt.validate(cases[2]!), {
    reason: 5,
    refTagId: 54,
    text: "Value is incorrect (out of range) for this tag",
  });
  assert.deepEqual(learnt.validate(cases[3]!), {
    reason: 6,
    refTagId: 38,
    text: "Incorrect data format for value",
  });
  assert.deepEqual(learnt.validate(cases[4]!), { reason: 1, refTagId: 40, text: "Required tag missing" });
});
