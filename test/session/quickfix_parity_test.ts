/**
 * Issue 13: the session layer byte for byte like the QuickFIX family (transcripts with a manual clock).
 * Each test names the item of the issue it covers.
 */
import assert from "node:assert/strict";
import { builtinDictionary } from "../../src/dictionary/loader.ts";
import { readable, T0, Transcript, ts } from "./harness.ts";

const FIX42 = await builtinDictionary("FIX.4.2");

Deno.test("issue 13.1: acceptor with resetOnLogon resets silently: no 141=Y unless the peer's Logon had it", () => {
  const t = new Transcript({ seq: { nextSenderSeq: 5, nextTargetSeq: 9 }, config: { resetOnLogon: true } });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30"), [
    "store-reset",
    "persist-inbound 1",
    "send admin 35=A|34=1|98=0|108=30",
    "logon",
  ]);
  assert.equal(t.state.nextSenderSeq, 2);
  assert.equal(t.state.nextTargetSeq, 2);
  // The peer asks: the reply carries 141=Y.
  const u = new Transcript({ seq: { nextSenderSeq: 5, nextTargetSeq: 9 }, config: { resetOnLogon: true } });
  u.connect();
  assert.deepEqual(u.recv("35=A|34=1|98=0|108=30|141=Y"), [
    "store-reset",
    "persist-inbound 1",
    "send admin 35=A|34=1|98=0|108=30|141=Y",
    "logon",
  ]);
});

Deno.test("issue 13.2: header in ascending tag order after 8, 9, 35, as QuickFIX writes it", () => {
  const t = new Transcript();
  t.connect();
  t.recv("35=A|34=1|98=0|108=30");
  const sent = () => readable((t.lastActions.find((a) => a.kind === "send") as { bytes: Uint8Array }).bytes);
  const time = ts(T0);
  // The Logon reply: byte for byte what QuickFIX's acceptance definitions expect (with our time).
  const logon = readable(t.store.outbound.get(1)!);
  assert.equal(
    logon.replace(/\|10=\d{3}\|$/, "|"),
    `8=FIX.4.4|9=61|35=A|34=1|49=ISLD|52=${time}|56=TW|98=0|108=30|`,
  );
  // An application message with header fields of its own: merged in ascending order; the body as given.
  t.send({
    msgType: "D",
    fields: [[11, "A"], [128, "DEST"], [50, "DESK"], [115, "CLIENT"], [97, "N"], [55, "X"]],
  });
  assert.match(
    sent(),
    new RegExp(
      `^8=FIX\\.4\\.4\\|9=\\d+\\|35=D\\|34=2\\|49=ISLD\\|50=DESK\\|52=${time}\\|56=TW\\|97=N\\|115=CLIENT\\|128=DEST\\|11=A\\|55=X\\|10=\\d{3}\\|$`,
    ),
  );
  // Header fields given in ascending order are written where they stand.
  t.send({ msgType: "D", fields: [[97, "N"], [115, "CLIENT"], [11, "B"], [128, "DEST"], [55, "X"]] });
  assert.match(
    sent(),
    new RegExp(
      `^8=FIX\\.4\\.4\\|9=\\d+\\|35=D\\|34=3\\|49=ISLD\\|52=${time}\\|56=TW\\|97=N\\|115=CLIENT\\|128=DEST\\|11=B\\|55=X\\|10=\\d{3}\\|$`,
    ),
  );
  // A ResendRequest: the resent copy (43 after 34, 122 among the higher header tags) and a gap fill.
  t.nowMs = T0 + 1000;
  t.recv("35=2|34=2|7=1|16=0");
  const frames = t.lastActions.filter((a) => a.kind === "send").map((a) =>
    readable((a as { bytes: Uint8Array }).bytes)
  );
  const now = ts(T0 + 1000);
  assert.equal(frames.length, 3);
  assert.match(
    frames[2]!,
    /\|35=D\|34=3\|43=Y\|49=ISLD\|52=[^|]+\|56=TW\|97=N\|115=CLIENT\|122=[^|]+\|128=DEST\|11=B\|55=X\|10=/,
  );
  assert.match(
    frames[0]!,
    new RegExp(
      `^8=FIX\\.4\\.4\\|9=\\d+\\|35=4\\|34=1\\|43=Y\\|49=ISLD\\|52=${now}\\|56=TW\\|122=${now}\\|36=2\\|123=Y\\|10=\\d{3}\\|$`,
    ),
  );
  assert.match(
    frames[1]!,
    new RegExp(
      `^8=FIX\\.4\\.4\\|9=\\d+\\|35=D\\|34=2\\|43=Y\\|49=ISLD\\|50=DESK\\|52=${now}\\|56=TW\\|97=N\\|115=CLIENT\\|122=${time}\\|128=DEST\\|11=A\\|55=X\\|10=\\d{3}\\|$`,
    ),
  );
});

Deno.test("issue 13.2: configured sub and location IDs take their places in the ascending header", () => {
  const t = new Transcript({
    config: {
      id: {
        beginString: "FIX.4.4",
        senderCompId: "ISLD",
        targetCompId: "TW",
        senderSubId: "S1",
        targetSubId: "T1",
        senderLocationId: "LS",
        targetLocationId: "LT",
      },
    },
  });
  t.connect();
  t.recv("35=A|34=1|50=T1|57=S1|98=0|108=30");
  const logon = readable(t.store.outbound.get(1)!);
  assert.match(
    logon,
    new RegExp(
      `^8=FIX\\.4\\.4\\|9=\\d+\\|35=A\\|34=1\\|49=ISLD\\|50=S1\\|52=${
        ts(T0)
      }\\|56=TW\\|57=T1\\|142=LS\\|143=LT\\|98=0\\|108=30\\|10=\\d{3}\\|$`,
    ),
  );
  t.send({ msgType: "D", fields: [[11, "A"], [128, "DEST"], [97, "N"]] });
  assert.match(
    readable(t.store.outbound.get(2)!),
    /\|34=2\|49=ISLD\|50=S1\|52=[^|]+\|56=TW\|57=T1\|97=N\|128=DEST\|142=LS\|143=LT\|11=A\|10=/,
  );
});

Deno.test("issue 13.4: SequenceReset-Reset with MsgSeqNum 0: NewSeqNo lower -> Reject 373=5 (45=0), number unchanged", () => {
  const t = new Transcript({ beginString: "FIX.4.2" });
  t.logonAcceptor();
  // 123 absent (Reset mode by default), as QuickFIX's 11c_NewSeqNoLess.
  assert.deepEqual(t.recv("35=4|34=0|36=1"), [
    "send admin 35=3|34=2|45=0|58=Value is incorrect (out of range) for this tag|372=4|373=5",
  ]);
  assert.equal(t.state.nextTargetSeq, 2);
  assert.deepEqual(t.recv("35=1|34=2|112=HELLO"), ["persist-inbound 2", "send admin 35=0|34=3|112=HELLO"]);
  // 123=N said explicitly.
  assert.deepEqual(t.recv("35=4|34=0|36=1|123=N"), [
    "send admin 35=3|34=4|45=0|58=Value is incorrect (out of range) for this tag|372=4|373=5",
  ]);
  assert.equal(t.state.nextTargetSeq, 3);
  assert.equal(t.phase, "active");
});

Deno.test("issue 13.4: SequenceReset-Reset with MsgSeqNum 0 and a higher NewSeqNo moves the expected number", () => {
  const t = new Transcript({ beginString: "FIX.4.2" });
  t.logonAcceptor();
  assert.deepEqual(t.recv("35=4|34=0|36=10"), ["store-seq target=10"]);
  assert.equal(t.state.nextTargetSeq, 10);
  assert.deepEqual(t.recv("35=1|34=10|112=X"), ["persist-inbound 10", "send admin 35=0|34=2|112=X"]);
});

Deno.test("issue 14.9: SequenceReset NewSeqNo beyond the store's range (2^32+2, 2^53) -> Reject 373=5, nothing changes", () => {
  for (const big of [2 ** 32 + 2, 2 ** 53, 2 ** 32]) {
    const t = new Transcript({ beginString: "FIX.4.4" });
    t.logonAcceptor();
    assert.deepEqual(t.recv(`35=4|34=2|36=${big}`), [
      "send admin 35=3|34=2|45=2|58=Value is incorrect (out of range) for this tag|371=36|372=4|373=5",
    ], String(big));
    assert.equal(t.state.nextTargetSeq, 2);
    // GapFill mode too: rejected, its number consumed (the spec's Reject of a message with the expected number).
    assert.deepEqual(t.recv(`35=4|34=2|123=Y|36=${big}`), [
      "persist-inbound 2",
      "send admin 35=3|34=3|45=2|58=Value is incorrect (out of range) for this tag|371=36|372=4|373=5",
    ], String(big));
    assert.equal(t.state.nextTargetSeq, 3);
  }
  // The highest number the store holds is accepted.
  const t = new Transcript({ beginString: "FIX.4.4" });
  t.logonAcceptor();
  assert.deepEqual(t.recv(`35=4|34=2|36=${2 ** 32 - 1}`), [`store-seq target=${2 ** 32 - 1}`]);
});

Deno.test("issue 13.6: session Rejects are reverse-routed (115/116/144 <-> 128/129/145), as QuickFIX's ReverseRoute.def", () => {
  const t = new Transcript({ beginString: "FIX.4.2", config: { dictionary: FIX42 } });
  t.logonAcceptor();
  const order = (seq: number, route: string) =>
    `35=D|34=${seq}|${route}|11=ID|21=3|38=100|40=w|54=1|55=INTC|60=<TIME>`;
  const reject = (seq: number, route: string) =>
    `send admin 35=3|34=${seq}|${route}|45=${seq}|58=Value is incorrect (out of range) for this tag|371=40|372=D|373=5`;
  const cases: Array<[string, string]> = [
    ["115=JCD", "128=JCD"],
    ["128=JCD", "115=JCD"],
    ["115=JCD|116=CS", "128=JCD|129=CS"],
    ["128=JCD|129=CS", "115=JCD|116=CS"],
    ["115=JCD|116=CS|144=CHI", "128=JCD|129=CS|145=CHI"],
    ["128=JCD|129=CS|145=CHI", "115=JCD|116=CS|144=CHI"],
  ];
  let seq = 2;
  for (const [inbound, reply] of cases) {
    assert.deepEqual(t.recv(order(seq, inbound)), [`persist-inbound ${seq}`, reject(seq, reply)], inbound);
    seq++;
  }
});

Deno.test("issue 13.6: an empty routing tag is 'Tag specified without a value' and the others are still reverse-routed", () => {
  const t = new Transcript({ beginString: "FIX.4.2", config: { dictionary: FIX42 } });
  t.logonAcceptor();
  const order = (seq: number, route: string) =>
    `35=D|34=${seq}|${route}|11=ID|21=3|38=100|40=1|54=1|55=INTC|60=<TIME>`;
  const cases: Array<[string, string, number]> = [
    ["115=", "", 115],
    ["115=JCD|116=", "128=JCD|", 116],
    ["128=JCD|129=CS|145=", "115=JCD|116=CS|", 145],
  ];
  let seq = 2;
  for (const [inbound, reply, tag] of cases) {
    assert.deepEqual(t.recv(order(seq, inbound)), [
      `persist-inbound ${seq}`,
      `send admin 35=3|34=${seq}|${reply}45=${seq}|58=Tag specified without a value|371=${tag}|372=D|373=4`,
    ], inbound);
    seq++;
  }
});

Deno.test("issue 13.6: BusinessMessageReject and a Reject of a SequenceReset are reverse-routed too", () => {
  const t = new Transcript({ beginString: "FIX.4.4", config: { supportedMsgTypes: new Set(["D"]) } });
  t.logonAcceptor();
  assert.deepEqual(t.recv("35=F|34=2|115=ABC|144=LOC|41=X|11=Y"), [
    "persist-inbound 2",
    "send admin 35=j|34=2|128=ABC|145=LOC|45=2|58=Unsupported Message Type|372=F|380=3",
  ]);
  assert.deepEqual(t.recv("35=4|34=0|128=DEF|36=1"), [
    "send admin 35=3|34=3|115=DEF|45=0|58=Value is incorrect (out of range) for this tag|372=4|373=5",
  ]);
});

Deno.test("issue 13.5: a SessionRejectReason outside the dictionary's 373 values goes in Text only (FIX 4.2 14h)", () => {
  const t = new Transcript({ beginString: "FIX.4.2", config: { dictionary: FIX42 } });
  t.logonAcceptor();
  assert.deepEqual(t.recv("35=D|34=2|11=ID|21=1|40=1|40=2|54=1|38=200|55=INTC|60=<TIME>"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=Tag appears more than once|371=40|372=D",
  ]);
  // A reason 4.2 defines keeps its 373.
  assert.deepEqual(t.recv("35=D|34=3|11=ID|21=1|40=w|54=1|38=200|55=INTC|60=<TIME>"), [
    "persist-inbound 3",
    "send admin 35=3|34=3|45=3|58=Value is incorrect (out of range) for this tag|371=40|372=D|373=5",
  ]);
});

Deno.test("issue 13.5: FIX 4.0 and 4.1 Rejects (no 371/372/373 in the dictionary) carry the tag in Text", async () => {
  for (const v of ["FIX.4.0", "FIX.4.1"]) {
    const t = new Transcript({ beginString: v, config: { dictionary: await builtinDictionary(v) } });
    t.logonAcceptor();
    assert.deepEqual(t.recv("35=D|34=2|11=ID|21=1|40=1|40=2|54=1|38=200|55=INTC"), [
      "persist-inbound 2",
      "send admin 35=3|34=2|45=2|58=Tag appears more than once (40)",
    ], v);
    assert.deepEqual(t.recv("35=D|34=3|11=ID|21=1|40=1|54=1|38=200|55=INTC|999=X"), [
      "persist-inbound 3",
      "send admin 35=3|34=3|45=3|58=Invalid tag number (999)",
    ], v);
    // An unsupported type before FIX 4.2 (no BusinessMessageReject): QuickFIX's Text.
    const u = new Transcript({
      beginString: v,
      config: { dictionary: await builtinDictionary(v), supportedMsgTypes: new Set(["F"]) },
    });
    u.logonAcceptor();
    assert.deepEqual(
      u.recv("35=D|34=2|11=ID|21=1|40=1|54=1|38=200|55=INTC"),
      [
        "persist-inbound 2",
        "send admin 35=3|34=2|45=2|58=Unsupported message type",
      ],
      v,
    );
  }
});

Deno.test("issue 13.11: the TestReqID of our TestRequest is QuickFIX's 'TEST', every time", () => {
  const t = new Transcript({ beginString: "FIX.4.2" });
  t.logonAcceptor("35=A|34=1|98=0|108=6");
  t.nowMs = T0 + 7_200;
  assert.deepEqual(t.input({ kind: "tick" }), ["send admin 35=1|34=2|112=TEST"]);
  assert.deepEqual(t.recv("35=0|34=2|112=TEST"), ["persist-inbound 2"]);
  t.nowMs += 7_200;
  assert.deepEqual(t.input({ kind: "tick" }), ["send admin 35=1|34=3|112=TEST"]);
});

Deno.test("issue 13.7: simultaneous ResendRequests as QuickFIX's 20_SimultaneousResendRequest: ours is not sent again, Logout answered", () => {
  const t = new Transcript({ beginString: "FIX.4.2" });
  t.logonAcceptor();
  const order = (clOrdId: string) => ({
    msgType: "D",
    fields: [[11, clOrdId], [21, "3"], [40, "1"], [54, "1"], [55, "INTC"], [
      60,
      "00000000-00:00:00",
    ]] as Array<
      [number, string]
    >,
  });
  for (const seq of [2, 3]) {
    assert.deepEqual(t.recv(`35=D|34=${seq}|11=ID|21=3|40=1|54=1|55=INTC|60=<TIME>`), [
      `persist-inbound ${seq}`,
      `deliver D ${seq}`,
    ]);
    t.send(order("ID")); // the echo
  }
  // 4..6 lost: we ask from 4.
  assert.deepEqual(t.recv("35=0|34=7"), ["send admin 35=2|34=4|7=4|16=0"]);
  // Its own ResendRequest (8) for 2..3, beyond our gap: served at once; ours is not sent again.
  assert.deepEqual(t.recv("35=2|34=8|7=2|16=3"), [
    "resend 2-3",
    `send resend 35=D|34=2|43=Y|122=${ts(T0)}|11=ID|21=3|40=1|54=1|55=INTC|60=00000000-00:00:00`,
    `send resend 35=D|34=3|43=Y|122=${ts(T0)}|11=ID|21=3|40=1|54=1|55=INTC|60=00000000-00:00:00`,
  ]);
  // The gap filled with possible duplicates; the queued Heartbeat (7) and ResendRequest (8) follow.
  assert.deepEqual(t.recv("35=0|34=4|43=Y|122=<TIME>"), ["persist-inbound 4"]);
  assert.deepEqual(t.recv("35=0|34=5|43=Y|122=<TIME>"), ["persist-inbound 5"]);
  assert.deepEqual(t.recv("35=0|34=6|43=Y|122=<TIME>"), [
    "persist-inbound 6",
    "persist-inbound 7",
    "persist-inbound 8",
  ]);
  assert.equal(t.state.resendRequested, undefined);
  // Its Logout (it numbers it 7 again): answered with a Logout, as QuickFIX does for a Logout of any number.
  assert.deepEqual(t.recv("35=5|34=7"), [
    "send admin 35=5|34=5",
    "disconnect Logout received",
    "logout Logout received",
  ]);
});

Deno.test("issue 13.11: CompID and SendingTime problems as QuickFIX's 2k/2o: Reject without RefTagID, Logout without Text, wait", () => {
  const t = new Transcript({ beginString: "FIX.4.2" });
  t.logonAcceptor();
  assert.deepEqual(t.recv("35=D|34=2|49=WT|11=ID|21=3|40=1|54=1|55=INTC|60=<TIME>"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=CompID problem|372=D|373=9",
    "send admin 35=5|34=3",
  ]);
  assert.deepEqual(t.recv("35=5|34=3"), [
    "persist-inbound 3",
    "disconnect Logout acknowledged",
    "logout Logout acknowledged",
  ]);
  const u = new Transcript({ beginString: "FIX.4.2" });
  u.logonAcceptor();
  assert.deepEqual(u.recv("35=0|34=2|52=<TIME-121>"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=SendingTime accuracy problem|372=0|373=10",
    "send admin 35=5|34=3",
  ]);
});

Deno.test("issue 13.11: no Heartbeat while our TestRequest is unanswered, as QuickFIX's 6_SendTestRequest", () => {
  const t = new Transcript({ beginString: "FIX.4.2" });
  t.logonAcceptor("35=A|34=1|98=0|108=6");
  assert.deepEqual(t.tickNext(), ["send admin 35=0|34=2"]);
  assert.equal(t.nowMs, T0 + 6_000);
  assert.deepEqual(t.tickNext(), ["send admin 35=1|34=3|112=TEST"]);
  assert.equal(t.nowMs, T0 + 7_200);
  // 6 s after the TestRequest no Heartbeat: the next tick is the timeout at 2.4 x HeartBtInt of silence.
  assert.deepEqual(t.tickNext(), ["disconnect Heartbeat timeout", "logout Heartbeat timeout"]);
  assert.equal(t.nowMs, T0 + 14_400);
});

Deno.test("issue 13.11: a ResendRequest below the expected number is served, its number not consumed (8_OnlyAdminMessages)", () => {
  const t = new Transcript({ beginString: "FIX.4.2" });
  t.logonAcceptor();
  for (const seq of [2, 3, 4]) t.recv(`35=1|34=${seq}|112=HELLO`);
  t.nowMs = T0 + 1000;
  const now = ts(T0 + 1000);
  assert.deepEqual(t.recv("35=2|34=5|7=1|16=4"), [
    "persist-inbound 5",
    "resend 1-4",
    `send resend 35=4|34=1|43=Y|122=${now}|36=5|123=Y`,
  ]);
  assert.deepEqual(t.recv("35=1|34=6|112=HELLO"), ["persist-inbound 6", "send admin 35=0|34=5|112=HELLO"]);
  // 34=5 again: below the expected 7, no PossDupFlag: served all the same.
  assert.deepEqual(t.recv("35=2|34=5|7=1|16=0"), [
    "resend 1-5",
    `send resend 35=4|34=1|43=Y|122=${now}|36=6|123=Y`,
  ]);
  assert.equal(t.state.nextTargetSeq, 7);
  assert.deepEqual(t.recv("35=5|34=6"), [
    "send admin 35=5|34=6",
    "disconnect Logout received",
    "logout Logout received",
  ]);
});

Deno.test("issue 14.9: a MsgSeqNum beyond the store's range -> Reject 373=5 (371=34), nothing changes; a Logon with one is refused", () => {
  const t = new Transcript({ beginString: "FIX.4.4" });
  t.logonAcceptor();
  assert.deepEqual(t.recv(`35=0|34=${2 ** 32 + 2}`), [
    `send admin 35=3|34=2|45=${
      2 ** 32 + 2
    }|58=Value is incorrect (out of range) for this tag|371=34|372=0|373=5`,
  ]);
  assert.equal(t.state.nextTargetSeq, 2);
  assert.equal(t.state.inboundQueue.size, 0);
  assert.equal(t.state.resendRequested, undefined);
  assert.deepEqual(t.recv("35=0|34=2"), ["persist-inbound 2"]);
  const u = new Transcript({ beginString: "FIX.4.4" });
  u.connect();
  assert.deepEqual(u.recv(`35=A|34=${2 ** 32}|98=0|108=30`), [
    "disconnect Logon refused: MsgSeqNum missing or invalid",
  ]);
});

Deno.test("issue 13.2: the Hops group stays together at 627 among the ascending header fields", () => {
  const t = new Transcript();
  t.logonAcceptor();
  t.send({
    msgType: "D",
    fields: [[627, 2], [628, "H1"], [630, 7], [628, "H2"], [630, 8], [115, "X"], [11, "A"], [1128, "9"]],
  });
  assert.match(
    readable(t.store.outbound.get(2)!),
    /\|56=TW\|115=X\|627=2\|628=H1\|630=7\|628=H2\|630=8\|1128=9\|11=A\|10=/,
  );
});

Deno.test("FIXT.1.1 acceptor: the Logon reply always carries DefaultApplVerID (required): configured, else the peer's", () => {
  const t = new Transcript({ beginString: "FIXT.1.1" });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30|1137=7"), [
    "persist-inbound 1",
    "send admin 35=A|34=1|98=0|108=30|1137=7",
    "logon",
  ]);
  const u = new Transcript({ beginString: "FIXT.1.1", config: { defaultApplVerId: "9" } });
  u.connect();
  assert.deepEqual(u.recv("35=A|34=1|98=0|108=30|1137=7"), [
    "persist-inbound 1",
    "send admin 35=A|34=1|98=0|108=30|1137=9",
    "logon",
  ]);
});
