/**
 * Which problem a message with two is rejected for: QuickFIX's (DataDictionary::validate checks the
 * structure, then the message's required fields, by tag number, then its groups' entries, then each
 * field). Every expected Reject here is the one QuickFIX C++ 1.15 answers (bench/peers/quickfix/
 * validate.cpp, qf_validate, run on the same bytes), for a full validator and for a remembered layout.
 */
import assert from "node:assert/strict";
import { builtinDictionary, Validator } from "../../src/dictionary/mod.ts";
import { describeMessage } from "../../src/dictionary/describe.ts";
import { viewOf } from "../codec/frames.ts";

const H = "49=A|56=B|34=2|52=20261207-10:00:00";
const NOS = (body: string) => `35=D|${H}|11=X|21=1|${body}`;
const LIST_STATUS = (body: string) => `35=N|${H}|66=L|429=1|82=1|431=1|83=1|${body}`;

/** [body, RefTagID of the 373=1 QuickFIX answers] */
const CASES: Array<[string, number]> = [
  // Two required fields missing: the lower tag (Side 54 before Symbol 55; OrdType 40 before Side 54).
  [NOS("60=20261207-10:00:00|40=1"), 54],
  [NOS("55=IBM|60=20261207-10:00:00"), 40],
  [NOS("60=20261207-10:00:00|40=1|78=1|79=A|79=B"), 54],
  // A required field missing and a group member outside its entry (no delimiter): the required field.
  [NOS("55=IBM|60=20261207-10:00:00|40=1|78=1|80=1"), 54],
  // A required field missing and a required member missing from an entry: the message's field.
  [LIST_STATUS("73=1|11=C|39=0|151=0|84=0|6=0"), 68],
  // An undefined tag inside an entry ends it (CumQty after it is outside): TotNoOrders still wins.
  [LIST_STATUS("73=1|11=C|14=0|39=0|4999=X|151=0|84=0|6=0"), 68],
];

Deno.test("a message with a required field missing and another problem is rejected for the field QuickFIX names", () => {
  const dict = builtinDictionary("FIX.4.2");
  for (const [body, tag] of CASES) {
    const expected = { reason: 1, refTagId: tag, text: "Required tag missing" };
    assert.deepEqual(new Validator({ dictionary: dict }).validate(viewOf(body, "FIX.4.2")), expected, body);
  }
  // The same with the layout of a valid message of the type remembered (a different layout: full check).
  const learnt = new Validator({ dictionary: dict });
  assert.equal(learnt.validate(viewOf(NOS("55=IBM|54=1|60=20261207-10:00:00|40=1"), "FIX.4.2")), undefined);
  assert.deepEqual(learnt.validate(viewOf(CASES[0]![0], "FIX.4.2"))?.refTagId, 54);
});

Deno.test("the second look leaves a message with one problem as it was", () => {
  const dict = builtinDictionary("FIX.4.2");
  const v = new Validator({ dictionary: dict });
  // Only a required member missing: the member (QuickFIX: 373=1 on CumQty 14).
  assert.deepEqual(v.validate(viewOf(LIST_STATUS("68=1|73=1|11=C|39=0|151=0|84=0|6=0"), "FIX.4.2")), {
    reason: 1,
    refTagId: 14,
    text: "Required tag missing",
  });
  // Only a wrong count (QuickFIX: 373=16 on NoAllocs 78).
  assert.deepEqual(
    v.validate(viewOf(NOS("55=IBM|54=1|60=20261207-10:00:00|40=1|78=1|79=A|79=B"), "FIX.4.2")),
    { reason: 16, refTagId: 78, text: "Incorrect NumInGroup count for repeating group" },
  );
});

Deno.test("fixg decode judges a FIXT session-level message as a session does: against FIXT 1.1 alone", () => {
  const fixt = builtinDictionary("FIXT.1.1");
  // 999 is a FIX 5.0 field, not a FIXT 1.1 one: in a Heartbeat an invalid tag (QuickFIX's fix50* 14a).
  const heartbeat = viewOf(`35=0|${H}|112=X|999=HI`, "FIXT.1.1");
  const session = new Validator({ dictionary: fixt }).validate(heartbeat);
  assert.deepEqual(session, { reason: 0, refTagId: 999, text: "Invalid tag number" });
  assert.deepEqual(describeMessage(heartbeat, fixt, 0).reject, session);
  // An application message: its version's dictionary, as before.
  const nos = viewOf(`35=D|${H}|11=X|55=IBM|54=1|60=20261207-10:00:00|38=1|40=1|999=HI`, "FIXT.1.1");
  assert.deepEqual(describeMessage(nos, fixt, 0).reject, new Validator({ dictionary: fixt }).validate(nos));
});

Deno.test("FIXT: a Logon's session fields are the transport's (384 group, 789, 1137, 553/554 valid); another field is not", () => {
  const v = new Validator({ dictionary: builtinDictionary("FIXT.1.1") });
  const logon = (extra: string) =>
    viewOf(`35=A|${H}|98=0|108=30|141=Y|789=5|553=u|554=p|464=N|383=4096|${extra}1137=9`, "FIXT.1.1");
  // QuickFIX (qf_validate, FIXT11.xml): ok, ok, then "reject 2 58" and "reject 0 1409".
  assert.equal(v.validate(logon("384=2|372=D|385=S|372=8|385=R|")), undefined);
  assert.equal(v.validate(logon("")), undefined);
  assert.deepEqual(v.validate(logon("58=hello|")), {
    reason: 2,
    refTagId: 58,
    text: "Tag not defined for this message type",
  });
  // SessionStatus (1409) is a FIX 5.0 SP2 field, not a FIXT 1.1 one.
  assert.deepEqual(v.validate(logon("1409=0|")), { reason: 0, refTagId: 1409, text: "Invalid tag number" });
  // A NewOrderSingle still has its version's fields: FIX 5.0 SP2 by default, FIX 5.0 by its ApplVerID.
  const nos = (applVerId: string, extra: string) =>
    viewOf(`35=D|${H}|${applVerId}11=X|55=IBM|54=1|60=20261207-10:00:00|38=1|40=1${extra}`, "FIXT.1.1");
  assert.equal(v.validate(nos("", "|59=8")), undefined);
  assert.deepEqual(v.validate(nos("1128=7|", "|59=8"))?.refTagId, 59);
});

Deno.test("two bad values: the lower tag, as QuickFIX iterates the body by tag number; none inside a group's entries counts first", () => {
  const dict = builtinDictionary("FIX.4.2");
  const nos = (side: string, ordType: string, extra = "") =>
    viewOf(NOS(`55=IBM|54=${side}|60=20261207-10:00:00|40=${ordType}${extra}`), "FIX.4.2");
  const value = (tag: number) => ({
    reason: 5,
    refTagId: tag,
    text: "Value is incorrect (out of range) for this tag",
  });
  // QuickFIX (qf_validate): 373=5 on OrdType 40, not on Side 54 before it on the wire.
  assert.deepEqual(new Validator({ dictionary: dict }).validate(nos("#", "#")), value(40));
  // The same through a remembered layout (a valid message of the same layout first).
  const learnt = new Validator({ dictionary: dict });
  assert.equal(learnt.validate(nos("1", "1")), undefined);
  assert.deepEqual(learnt.validate(nos("#", "#")), value(40));
  // A bad value inside an entry (QuickFIX checks none there) and one outside: the one outside.
  assert.deepEqual(
    new Validator({ dictionary: dict }).validate(nos("1", "1", "|78=1|79=A|80=x|59=#")),
    value(59),
  );
});
