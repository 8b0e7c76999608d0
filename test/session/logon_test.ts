/** Transcript tests of logon both ways: cases 1B, 1S a–d, 2S, logon settings and timeouts. */
import assert from "node:assert/strict";
import { order, orderBody, T0, Transcript, ts } from "./harness.ts";

// ---- 1B: initiator -------------------------------------------------------------------------------

Deno.test("case 1B: initiator sends Logon on connect; a valid reply logs on", () => {
  const t = new Transcript({ role: "initiator" });
  assert.deepEqual(t.connect(), ["send admin 35=A|34=1|98=0|108=30"]);
  assert.equal(t.phase, "logon-sent");
  assert.equal(t.nextTickMs, T0 + 10_000, "logon timeout armed");
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30"), ["persist-inbound 1", "logon"]);
  assert.equal(t.phase, "active");
  assert.deepEqual([t.state.nextSenderSeq, t.state.nextTargetSeq], [2, 2]);
});

Deno.test("case 1B: Logon reply with MsgSeqNum too high -> ResendRequest 7=expected 16=0, gap then filled", () => {
  const t = new Transcript({ role: "initiator" });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=4|98=0|108=30"), ["logon", "send admin 35=2|34=2|7=1|16=0"]);
  assert.equal(t.state.nextTargetSeq, 1);
  // The peer answers: 1..3 were admin messages. The queued Logon (4) is then consumed.
  assert.deepEqual(t.recv("35=4|34=1|43=Y|122=<TIME>|36=4|123=Y"), [
    "persist-inbound 1",
    "store-seq target=4",
    "persist-inbound 4",
  ]);
  assert.ok(t.lastEvents.includes("resend-complete"));
  assert.equal(t.state.nextTargetSeq, 5);
  assert.equal(t.state.resendRequested, undefined);
});

Deno.test("case 1B: invalid Logon reply (CompID) -> Logout with Text, disconnect", () => {
  const t = new Transcript({ role: "initiator" });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|49=XX|98=0|108=30"), [
    "send admin 35=5|34=2|58=CompID problem",
    "disconnect CompID problem",
  ]);
  assert.equal(t.loggedOn, false);
});

Deno.test("case 1B: invalid Logon reply (SendingTime, BeginString) -> Logout with Text, disconnect", () => {
  const t = new Transcript({ role: "initiator" });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|52=<TIME-300>|98=0|108=30"), [
    "send admin 35=5|34=2|58=SendingTime accuracy problem",
    "disconnect SendingTime accuracy problem",
  ]);
  const u = new Transcript({ role: "initiator" });
  u.connect();
  assert.deepEqual(u.recvRaw("8=FIX.4.2|35=A|49=TW|56=ISLD|34=1|52=<TIME>|98=0|108=30"), [
    "send admin 35=5|34=2|58=Incorrect BeginString",
    "disconnect Incorrect BeginString",
  ]);
});

Deno.test("case 1B: first reply not a Logon -> disconnect without sending", () => {
  const t = new Transcript({ role: "initiator" });
  t.connect();
  assert.deepEqual(t.recv("35=0|34=1"), ["disconnect Logon refused: first reply is not a Logon (35=0)"]);
  const u = new Transcript({ role: "initiator" });
  u.connect();
  assert.deepEqual(u.recv("35=5|34=1|58=Unknown user"), [
    "disconnect Logon refused: peer answered our Logon with a Logout: Unknown user",
  ]);
  assert.ok(u.lastEvents.includes("logon-refused"));
});

Deno.test("case 1B: Logon reply with MsgSeqNum too low -> Logout 'MsgSeqNum too low', disconnect", () => {
  const t = new Transcript({ role: "initiator", seq: { nextSenderSeq: 1, nextTargetSeq: 10 } });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=3|98=0|108=30"), [
    "send admin 35=5|34=2|58=MsgSeqNum too low, expecting 10 but received 3",
    "disconnect MsgSeqNum too low, expecting 10 but received 3",
  ]);
});

Deno.test("initiator: logon timeout disconnects", () => {
  const t = new Transcript({ role: "initiator", config: { logonTimeoutMs: 5_000 } });
  t.connect();
  assert.deepEqual(t.advance(4_999), []);
  assert.deepEqual(t.advance(1), ["disconnect Logon timeout"]);
  assert.ok(t.lastEvents.includes("logon-timeout"));
  assert.equal(t.nextTickMs, undefined);
});

Deno.test("initiator: resetOnLogon resets both numbers and sends 141=Y", () => {
  const t = new Transcript({
    role: "initiator",
    seq: { nextSenderSeq: 5, nextTargetSeq: 7 },
    config: { resetOnLogon: true },
  });
  assert.deepEqual(t.connect(), ["store-reset", "send admin 35=A|34=1|98=0|108=30|141=Y"]);
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30|141=Y"), ["persist-inbound 1", "logon"]);
  assert.deepEqual([t.state.nextSenderSeq, t.state.nextTargetSeq], [2, 2]);
});

Deno.test("initiator: Username/Password, NextExpectedMsgSeqNum and HeartBtInt on the Logon", () => {
  const t = new Transcript({
    role: "initiator",
    seq: { nextSenderSeq: 3, nextTargetSeq: 8 },
    config: {
      username: "tw",
      password: "secret",
      enableNextExpectedMsgSeqNum: true,
      heartbeatIntervalSec: 20,
    },
  });
  assert.deepEqual(t.connect(), ["send admin 35=A|34=3|98=0|108=20|553=tw|554=secret|789=8"]);
  assert.deepEqual(t.recv("35=A|34=8|98=0|108=20|789=4"), ["persist-inbound 8", "logon"]);
  assert.equal(t.nextTickMs, T0 + 20_000);
});

Deno.test("initiator: FIXT.1.1 Logon carries DefaultApplVerID (1137)", () => {
  const t = new Transcript({ role: "initiator", beginString: "FIXT.1.1", config: { defaultApplVerId: "9" } });
  assert.deepEqual(t.connect(), ["send admin 35=A|34=1|98=0|108=30|1137=9"]);
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30|1137=9"), ["persist-inbound 1", "logon"]);
});

Deno.test("initiator: NextExpectedMsgSeqNum lower than our Logon -> we resend what the peer missed", () => {
  const t = new Transcript({ role: "initiator", config: { enableNextExpectedMsgSeqNum: true } });
  t.logonInitiator();
  t.send(order("A"));
  t.send(order("B"));
  t.drop();
  // Reconnect: our Logon is 4; the peer says it expects 2 (it never got the orders).
  assert.deepEqual(t.connect(), ["send admin 35=A|34=4|98=0|108=30|789=2"]);
  assert.deepEqual(t.recv("35=A|34=2|98=0|108=30|789=2"), [
    "persist-inbound 2",
    "logon",
    "resend 2-3",
    `send resend 35=D|34=2|43=Y|122=${ts(T0)}|${orderBody("A")}`,
    `send resend 35=D|34=3|43=Y|122=${ts(T0)}|${orderBody("B")}`,
  ]);
});

Deno.test("initiator: NextExpectedMsgSeqNum beyond what we sent -> Logout, disconnect", () => {
  const t = new Transcript({ role: "initiator", config: { enableNextExpectedMsgSeqNum: true } });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30|789=9"), [
    "send admin 35=5|34=2|58=NextExpectedMsgSeqNum too high, expecting at most 2 but received 9",
    "disconnect NextExpectedMsgSeqNum too high, expecting at most 2 but received 9",
  ]);
});

// ---- 1S: acceptor --------------------------------------------------------------------------------

Deno.test("case 1S a: acceptor answers a valid Logon with Logon (same HeartBtInt, 98=0)", () => {
  const t = new Transcript();
  assert.deepEqual(t.connect(), []);
  assert.equal(t.phase, "awaiting-logon");
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=45"), [
    "persist-inbound 1",
    "send admin 35=A|34=1|98=0|108=45",
    "logon",
  ]);
  assert.equal(t.state.heartbeatIntervalMs, 45_000);
  assert.equal(t.nextTickMs, T0 + 45_000);
});

Deno.test("case 1S a: 141=Y is echoed and both sides restart at 1", () => {
  const t = new Transcript({ seq: { nextSenderSeq: 5, nextTargetSeq: 9 } });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30|141=Y"), [
    "store-reset",
    "persist-inbound 1",
    "send admin 35=A|34=1|98=0|108=30|141=Y",
    "logon",
  ]);
  assert.deepEqual([t.state.nextSenderSeq, t.state.nextTargetSeq], [2, 2]);
});

Deno.test("case 1S a: Logon with MsgSeqNum too high -> Logon, then ResendRequest", () => {
  const t = new Transcript();
  t.connect();
  assert.deepEqual(t.recv("35=A|34=5|98=0|108=30"), [
    "send admin 35=A|34=1|98=0|108=30",
    "logon",
    "send admin 35=2|34=2|7=1|16=0",
  ]);
  // The peer resends 1..4: two orders and gap fills.
  assert.deepEqual(t.recv("35=4|34=1|43=Y|122=<TIME>|36=3|123=Y"), [
    "persist-inbound 1",
    "store-seq target=3",
  ]);
  assert.deepEqual(t.recv("35=D|34=3|43=Y|122=<TIME-1>|11=O3|21=1|55=INTC|54=1|60=<TIME>|38=100|40=1"), [
    "persist-inbound 3",
    "deliver D 3",
  ]);
  assert.deepEqual(t.recv("35=D|34=4|43=Y|122=<TIME-1>|11=O4|21=1|55=INTC|54=1|60=<TIME>|38=100|40=1"), [
    "persist-inbound 4",
    "deliver D 4",
    "persist-inbound 5",
  ]);
  assert.equal(t.state.nextTargetSeq, 6);
  assert.equal(t.state.resendRequested, undefined);
});

Deno.test("acceptor: resetOnLogon resets silently (no 141=Y) when the peer did not ask (issue 13.1)", () => {
  const t = new Transcript({ seq: { nextSenderSeq: 5, nextTargetSeq: 9 }, config: { resetOnLogon: true } });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30"), [
    "store-reset",
    "persist-inbound 1",
    "send admin 35=A|34=1|98=0|108=30",
    "logon",
  ]);
});

Deno.test("acceptor: Logon with MsgSeqNum too low (no 141=Y) -> Logout 'MsgSeqNum too low', disconnect", () => {
  const t = new Transcript({ seq: { nextSenderSeq: 3, nextTargetSeq: 5 } });
  t.connect();
  assert.deepEqual(t.recv("35=A|34=2|98=0|108=30"), [
    "send admin 35=5|34=3|58=MsgSeqNum too low, expecting 5 but received 2",
    "disconnect MsgSeqNum too low, expecting 5 but received 2",
  ]);
});

Deno.test("acceptor: NextExpectedMsgSeqNum (789) answered, and lower than our next -> resend", () => {
  const t = new Transcript({
    seq: { nextSenderSeq: 4, nextTargetSeq: 1 },
    config: { enableNextExpectedMsgSeqNum: true },
  });
  t.connect();
  // Nothing of 2..3 is in this store: one gap fill covers them.
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30|789=2"), [
    "persist-inbound 1",
    "send admin 35=A|34=4|98=0|108=30|789=2",
    "logon",
    "resend 2-3",
    `send resend 35=4|34=2|43=Y|122=${ts(T0)}|36=4|123=Y`,
  ]);
  const u = new Transcript({
    seq: { nextSenderSeq: 4, nextTargetSeq: 1 },
    config: { enableNextExpectedMsgSeqNum: true },
  });
  u.connect();
  assert.deepEqual(u.recv("35=A|34=1|98=0|108=30|789=7"), [
    "send admin 35=5|34=4|58=NextExpectedMsgSeqNum too high, expecting at most 4 but received 7",
    "disconnect NextExpectedMsgSeqNum too high, expecting at most 4 but received 7",
  ]);
});

Deno.test("case 1S b: a second Logon on a logged-on session is not answered; the session carries on", () => {
  // The gateway closes a second connection for a logged-on session without sending anything; on the
  // session's own connection a further Logon (no 141=Y) only consumes its number.
  const t = new Transcript();
  t.logonAcceptor();
  assert.deepEqual(t.recv("35=A|34=2|98=0|108=30"), ["persist-inbound 2"]);
  assert.ok(t.lastEvents.includes("message-ignored"));
  assert.equal(t.phase, "active");
  assert.deepEqual(t.recv("35=0|34=3"), ["persist-inbound 3"]);
});

Deno.test("case 1S c: Logon with unknown CompIDs -> disconnect without sending", () => {
  const t = new Transcript();
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|49=XX|98=0|108=30"), ["disconnect Logon refused: CompID problem"]);
  assert.deepEqual(t.sentLog, []);
  const u = new Transcript();
  u.connect();
  assert.deepEqual(u.recv("35=A|34=1|56=NOTUS|98=0|108=30"), ["disconnect Logon refused: CompID problem"]);
  assert.deepEqual(u.sentLog, []);
});

Deno.test("case 1S d: invalid Logon (SendingTime, BeginString, BodyLength, HeartBtInt) -> disconnect, nothing sent", () => {
  const cases: Array<[(t: Transcript) => string[], string]> = [
    [
      (t) => t.recv("35=A|34=1|52=<TIME-121>|98=0|108=30"),
      "disconnect Logon refused: SendingTime accuracy problem",
    ],
    [
      (t) => t.recv("35=A|34=1|52=20240115-12:00:00+01:00|98=0|108=30"),
      "disconnect Logon refused: SendingTime accuracy problem",
    ],
    [
      (t) => t.recvRaw("8=FIX.4.2|35=A|49=TW|56=ISLD|34=1|52=<TIME>|98=0|108=30"),
      "disconnect Logon refused: Incorrect BeginString",
    ],
    [
      (t) => t.recvRaw("8=FIX.4.4|9=5|35=A|49=TW|56=ISLD|34=1|52=<TIME>|98=0|108=30"),
      "disconnect Logon refused: garbled first message (BodyLength mismatch: no CheckSum where BodyLength points)",
    ],
    [(t) => t.recv("35=A|34=1|98=0"), "disconnect Logon refused: HeartBtInt missing or invalid"],
    [(t) => t.recv("35=A|34=1|98=1|108=30"), "disconnect Logon refused: EncryptMethod must be 0 (none)"],
    [(t) => t.recv("35=A|98=0|108=30"), "disconnect Logon refused: MsgSeqNum missing or invalid"],
  ];
  for (const [act, expected] of cases) {
    const t = new Transcript();
    t.connect();
    assert.deepEqual(act(t), [expected]);
    assert.deepEqual(t.sentLog, []);
    assert.equal(t.phase, "disconnected");
  }
});

Deno.test("case 2S: first message not a Logon -> logged, disconnect without sending", () => {
  const t = new Transcript();
  t.connect();
  assert.deepEqual(t.recv("35=D|34=1|11=X|21=1|55=INTC|54=1|60=<TIME>|38=1|40=1"), [
    "disconnect Logon refused: first message is not a Logon (35=D)",
  ]);
  assert.ok(t.lastEvents.includes("logon-refused"));
  assert.deepEqual(t.sentLog, []);
  assert.equal(t.state.nextTargetSeq, 1, "no number consumed");
});

Deno.test("acceptor: no Logon within logonTimeoutMs -> disconnect", () => {
  const t = new Transcript();
  t.connect();
  assert.equal(t.nextTickMs, T0 + 10_000);
  assert.deepEqual(t.tickNext(), ["disconnect Logon timeout"]);
});
