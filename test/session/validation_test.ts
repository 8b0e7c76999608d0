/**
 * Transcript tests of dictionary validation and message types: cases 14a–i, 2q, 2r, 15, 21, and the
 * validation switches.
 */
import assert from "node:assert/strict";
import { builtinDictionary } from "../../src/dictionary/loader.ts";
import { Transcript } from "./harness.ts";

const FIX44 = builtinDictionary("FIX.4.4");

function loggedOn(config: ConstructorParameters<typeof Transcript>[0] = {}): Transcript {
  const t = new Transcript({ ...config, config: { dictionary: FIX44, ...config.config } });
  assert.deepEqual(t.logonAcceptor(), ["persist-inbound 1", "send admin 35=A|34=1|98=0|108=30", "logon"]);
  return t;
}

const NOS = "11=O1|21=1|55=INTC|54=1|60=<TIME>|38=100|40=1";

/** The lines of a Reject of the message with MsgSeqNum 2 (the first after logon). */
function rejected(refMsgType: string, reason: number, text: string, refTag?: number): string[] {
  const tag = refTag === undefined ? "" : `|371=${refTag}`;
  return ["persist-inbound 2", `send admin 35=3|34=2|45=2|58=${text}${tag}|372=${refMsgType}|373=${reason}`];
}

Deno.test("case 14a: undefined tag -> Reject 373=0, number consumed", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv(`35=D|34=2|${NOS}|4999=X`), rejected("D", 0, "Invalid tag number", 4999));
  assert.deepEqual(t.delivered, []);
  assert.deepEqual(t.recv("35=0|34=3"), ["persist-inbound 3"]);
});

Deno.test("case 14b: required tag missing -> Reject 373=1", () => {
  const t = loggedOn();
  assert.deepEqual(
    t.recv("35=D|34=2|21=1|55=INTC|54=1|60=<TIME>|38=100|40=1"),
    rejected("D", 1, "Required tag missing", 11),
  );
});

Deno.test("case 14c: tag not defined for this message type -> Reject 373=2", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=0|34=2|11=X"), rejected("0", 2, "Tag not defined for this message type", 11));
});

Deno.test("case 14d: tag specified without a value -> Reject 373=4", () => {
  const t = loggedOn();
  assert.deepEqual(
    t.recv("35=D|34=2|11=O1|21=1|55=|54=1|60=<TIME>|38=100|40=1"),
    rejected("D", 4, "Tag specified without a value", 55),
  );
});

Deno.test("case 14e: value out of range (enum) -> Reject 373=5", () => {
  const t = loggedOn();
  assert.deepEqual(
    t.recv("35=D|34=2|11=O1|21=1|55=INTC|54=Z|60=<TIME>|38=100|40=1"),
    rejected("D", 5, "Value is incorrect (out of range) for this tag", 54),
  );
});

Deno.test("case 14f: incorrect data format -> Reject 373=6", () => {
  const t = loggedOn();
  assert.deepEqual(
    t.recv("35=D|34=2|11=O1|21=1|55=INTC|54=1|60=<TIME>|38=abc|40=1"),
    rejected("D", 6, "Incorrect data format for value", 38),
  );
});

Deno.test("case 14g: header, body, trailer out of order -> Reject 373=14", () => {
  const t = loggedOn();
  assert.deepEqual(
    t.recvRaw("8=FIX.4.4|35=1|49=TW|112=T1|56=ISLD|34=2|52=<TIME>"),
    rejected("1", 14, "Tag specified out of required order", 56),
  );
});

Deno.test("case 14h: tag appears more than once -> Reject 373=13", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv(`35=D|34=2|${NOS}|11=O2`), rejected("D", 13, "Tag appears more than once", 11));
});

Deno.test("case 14i: NumInGroup count wrong -> Reject 373=16", () => {
  const t = loggedOn();
  assert.deepEqual(
    t.recv(`35=D|34=2|${NOS}|453=2|448=P1|447=D|452=1`),
    rejected("D", 16, "Incorrect NumInGroup count for repeating group", 453),
  );
});

Deno.test("cases 14a–i on admin messages too: a malformed TestRequest is rejected, not answered", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=1|34=2"), rejected("1", 1, "Required tag missing", 112));
});

Deno.test("case 14a: a negative tag -> Reject 373=0 with 371=-1", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv(`35=D|34=2|${NOS}|-1=HI`), rejected("D", 0, "Invalid tag number", -1));
});

Deno.test("case 2q: MsgType not valid -> Reject 373=11", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=ZZ|34=2"), rejected("ZZ", 11, "Invalid MsgType"));
  assert.deepEqual(t.recv("35=0|34=3"), ["persist-inbound 3"]);
});

Deno.test("case 2r: MsgType valid but not supported -> BusinessMessageReject 380=3", () => {
  const t = loggedOn({ config: { supportedMsgTypes: new Set(["D"]) } });
  assert.deepEqual(t.recv("35=C|34=2|164=E1|94=0|147=Hello|33=1|58=Hi"), [
    "persist-inbound 2",
    "send admin 35=j|34=2|45=2|58=Unsupported Message Type|372=C|380=3",
  ]);
  assert.deepEqual(t.lastEvents, ["business-reject-sent"]);
  assert.deepEqual(t.recv(`35=D|34=3|${NOS}`), ["persist-inbound 3", "deliver D 3"]);
});

Deno.test("case 2r without a dictionary: any unsupported application type -> BusinessMessageReject", () => {
  const t = new Transcript({ config: { supportedMsgTypes: new Set(["D"]) } });
  t.logonAcceptor();
  assert.deepEqual(t.recv("35=ZZ|34=2|58=?"), [
    "persist-inbound 2",
    "send admin 35=j|34=2|45=2|58=Unsupported Message Type|372=ZZ|380=3",
  ]);
});

Deno.test("FIX 4.1 has no BusinessMessageReject: an unsupported type gets a Reject (QuickFIX's Text)", () => {
  const t = new Transcript({ beginString: "FIX.4.1", config: { supportedMsgTypes: new Set(["D"]) } });
  t.logonAcceptor();
  assert.deepEqual(t.recv("35=C|34=2|58=?"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=Unsupported message type",
  ]);
});

Deno.test("case 15: header and body fields in a different order -> accepted", () => {
  const t = loggedOn();
  assert.deepEqual(
    t.recvRaw("8=FIX.4.4|35=D|52=<TIME>|34=2|56=ISLD|49=TW|40=1|38=100|60=<TIME>|54=1|55=INTC|21=1|11=O1"),
    ["persist-inbound 2", "deliver D 2"],
  );
});

Deno.test("case 21: a repeating group with NumInGroup=0 -> accepted", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv(`35=D|34=2|${NOS}|453=0`), ["persist-inbound 2", "deliver D 2"]);
  assert.deepEqual(t.recv(`35=D|34=3|${NOS}|453=1|448=P1|447=D|452=1`), ["persist-inbound 3", "deliver D 3"]);
});

Deno.test("validation switches: a check turned off lets the message through", () => {
  const t = loggedOn({ config: { validation: { rejectUndefinedTags: false, checkEnumValues: false } } });
  assert.deepEqual(t.recv(`35=D|34=2|${NOS}|4999=X`), ["persist-inbound 2", "deliver D 2"]);
  assert.deepEqual(
    t.recv("35=D|34=3|11=O1|21=1|55=INTC|54=Z|60=<TIME>|38=100|40=1"),
    ["persist-inbound 3", "deliver D 3"],
  );
});

Deno.test("a message beyond a gap is validated when its turn comes", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=D|34=3|11=O1|21=1|55=INTC|54=Z|60=<TIME>|38=100|40=1"), [
    "send admin 35=2|34=2|7=2|16=0",
  ]);
  assert.deepEqual(t.recv("35=0|34=2"), [
    "persist-inbound 2",
    "persist-inbound 3",
    "send admin 35=3|34=3|45=3|58=Value is incorrect (out of range) for this tag|371=54|372=D|373=5",
  ]);
});

Deno.test("an invalid Logon (dictionary) is refused without sending anything", () => {
  const t = new Transcript({ config: { dictionary: FIX44 } });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30|141=Q"), [
    "disconnect Logon refused: Invalid Logon: Incorrect data format for value (tag 141)",
  ]);
  assert.deepEqual(t.sentLog, []);
});

Deno.test("without a dictionary: a field the view cannot split -> Reject 373=0", () => {
  const t = new Transcript();
  t.logonAcceptor();
  assert.deepEqual(t.recv("35=0|34=2|12x=5"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=Invalid tag number|372=0|373=0",
  ]);
});

Deno.test("FIXT.1.1: validated against transport plus application dictionary", () => {
  const t = new Transcript({
    beginString: "FIXT.1.1",
    config: { dictionary: builtinDictionary("FIXT.1.1"), defaultApplVerId: "9" },
  });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30|1137=9"), [
    "persist-inbound 1",
    "send admin 35=A|34=1|98=0|108=30|1137=9",
    "logon",
  ]);
  assert.deepEqual(t.recv(`35=D|34=2|${NOS}`), ["persist-inbound 2", "deliver D 2"]);
  assert.deepEqual(
    t.recv("35=D|34=3|11=O1|21=1|55=INTC|54=Z|60=<TIME>|38=100|40=1")[1],
    "send admin 35=3|34=2|45=3|58=Value is incorrect (out of range) for this tag|371=54|372=D|373=5",
  );
});

// QuickFIX's order of checks (its DataDictionary::validate): the structure (ValidateFieldsOutOfOrder),
// the MsgType, the required fields, then each field. A message with two problems is rejected for the
// one found first in that order, as QuickFIX's fix40/fix41/fix50* definitions expect.

Deno.test("FIX 4.0 14b: a NewOrderSingle without Symbol that carries TransactTime -> Required tag missing (55)", () => {
  // TransactTime (60) is not a field of the FIX 4.0 NewOrderSingle: a second problem, found later.
  const t = new Transcript({ beginString: "FIX.4.0", config: { dictionary: builtinDictionary("FIX.4.0") } });
  t.logonAcceptor("35=A|34=1|98=0|108=2");
  assert.deepEqual(t.recv("35=D|34=2|40=1|60=<TIME>|54=1|38=100|21=3|11=id"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=Required tag missing (55)",
  ]);
  // Symbol given: then TransactTime is the problem.
  assert.deepEqual(t.recv("35=D|34=3|40=1|60=<TIME>|54=1|38=100|21=3|11=id|55=INTC"), [
    "persist-inbound 3",
    "send admin 35=3|34=3|45=3|58=Tag not defined for this message type (60)",
  ]);
});

Deno.test("FIX 4.1 14g: body first, then the header, with TransactTime -> Tag specified out of required order (34)", () => {
  const t = new Transcript({ beginString: "FIX.4.1", config: { dictionary: builtinDictionary("FIX.4.1") } });
  t.logonAcceptor("35=A|34=1|98=0|108=2");
  assert.deepEqual(
    t.recvRaw("8=FIX.4.1|35=D|11=id|21=3|40=1|54=1|55=MSFT|60=<TIME>|34=2|49=TW|52=<TIME>|56=ISLD"),
    ["persist-inbound 2", "send admin 35=3|34=2|45=2|58=Tag specified out of required order (34)"],
  );
});

Deno.test("FIXT.1.1 14a: a session-level message is the transport's: a tag only FIX 5.0 defines -> Invalid tag number", () => {
  const t = new Transcript({
    beginString: "FIXT.1.1",
    config: { dictionary: builtinDictionary("FIXT.1.1"), defaultApplVerId: "7" },
  });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=2|1137=7"), [
    "persist-inbound 1",
    "send admin 35=A|34=1|98=0|108=2|1137=7",
    "logon",
  ]);
  // 999 is a FIX 5.0 field (not FIXT 1.1's): in a Heartbeat it is no tag at all.
  assert.deepEqual(t.recv("35=0|34=2|999=HI"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=Invalid tag number|371=999|372=0|373=0",
  ]);
  // In an application message it is a tag of the dictionary, just not of this message.
  assert.deepEqual(t.recv(`35=D|34=3|${NOS}|999=HI`), [
    "persist-inbound 3",
    "send admin 35=3|34=3|45=3|58=Tag not defined for this message type|371=999|372=D|373=2",
  ]);
});

Deno.test("FIX 5.0 SP1 14i: a NumInGroup count wrong wins over a value inside the group's entries", () => {
  const t = new Transcript({
    beginString: "FIXT.1.1",
    config: { dictionary: builtinDictionary("FIXT.1.1"), defaultApplVerId: "8" },
  });
  t.connect();
  t.recv("35=A|34=1|98=0|108=2|1137=8");
  // TradingSessionID (336) has an enum in FIX 5.0 SP1: PRE-OPEN is not in it.
  const nos = (count: number, seq: number) =>
    `35=D|34=${seq}|11=ID|21=1|40=1|54=1|38=200.00|55=INTC|386=${count}|336=PRE-OPEN|336=AFTER-HOURS|60=<TIME>`;
  assert.deepEqual(t.recv(nos(3, 2)), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=Incorrect NumInGroup count for repeating group|371=386|372=D|373=16",
  ]);
  // The count right: the value is the problem.
  assert.deepEqual(t.recv(nos(2, 3)), [
    "persist-inbound 3",
    "send admin 35=3|34=3|45=3|58=Value is incorrect (out of range) for this tag|371=336|372=D|373=5",
  ]);
});
