/** Transcript tests of inbound sequencing and header checks: cases 2a–2t, 3b/3c, 7, 10, 11, 19, 20. */
import assert from "node:assert/strict";
import { frame, peerOrder, readable, T0, Transcript, ts } from "./harness.ts";

/** An acceptor logged on: we sent Logon 1, we expect 2 next. */
function loggedOn(o: ConstructorParameters<typeof Transcript>[0] = {}): Transcript {
  const t = new Transcript(o);
  t.logonAcceptor();
  return t;
}

const LOGOUT = (
  seq: number,
  text: string,
) => [`send admin 35=5|34=${seq}|58=${text}`, `disconnect ${text}`, `logout ${text}`];
/** The Logout process after a Reject that ends the session (2f, 2k, 2o), as QuickFIX: no Text, wait for theirs. */
const LOGOUT_PROCESS = (seq: number) => [`send admin 35=5|34=${seq}`];

Deno.test("case 2a: MsgSeqNum as expected -> accepted and delivered", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv(peerOrder(2)), ["persist-inbound 2", "deliver D 2"]);
  assert.deepEqual(t.recv("35=0|34=3"), ["persist-inbound 3"]);
  assert.equal(t.state.nextTargetSeq, 4);
});

Deno.test("case 2b: MsgSeqNum too high -> ResendRequest 7=expected 16=0; queued messages processed in order once filled", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv(peerOrder(5)), ["send admin 35=2|34=2|7=2|16=0"]);
  assert.ok(t.lastEvents.includes("gap"));
  // More beyond the gap: queued, no second request.
  assert.deepEqual(t.recv(peerOrder(6)), []);
  assert.deepEqual(t.state.resendRequested, { begin: 2, end: 4 });
  // The peer resends 2..4; then the queued 5 and 6 follow in order.
  assert.deepEqual(t.recv(peerOrder(2, "ORD2", "|43=Y|122=<TIME-5>")), ["persist-inbound 2", "deliver D 2"]);
  assert.deepEqual(t.recv("35=4|34=3|43=Y|122=<TIME>|36=4|123=Y"), ["persist-inbound 3"]);
  assert.deepEqual(t.recv(peerOrder(4, "ORD4", "|43=Y|122=<TIME-5>")), [
    "persist-inbound 4",
    "deliver D 4",
    "persist-inbound 5",
    "deliver D 5",
    "persist-inbound 6",
    "deliver D 6",
  ]);
  assert.ok(t.lastEvents.includes("resend-complete"));
  // The queued copies survived the reuse of the read buffer (the harness wipes it after each step).
  assert.deepEqual(t.delivered.map((m) => m.match(/\|11=(\w+)\|/)![1]), ["ORD2", "ORD4", "ORD5", "ORD6"]);
  assert.equal(t.state.resendRequested, undefined);
  assert.equal(t.state.inboundQueue.size, 0);
  // Resent copies that the live stream already brought are possible duplicates below the expected number.
  assert.deepEqual(t.recv(peerOrder(5, "ORD5", "|43=Y|122=<TIME-5>")), []);
  assert.ok(t.lastEvents.includes("possdup-ignored"));
});

Deno.test("sendRedundantResendRequests: every message beyond the gap asks again", () => {
  const t = loggedOn({ config: { sendRedundantResendRequests: true } });
  assert.deepEqual(t.recv(peerOrder(5)), ["send admin 35=2|34=2|7=2|16=0"]);
  assert.deepEqual(t.recv(peerOrder(6)), ["send admin 35=2|34=3|7=2|16=0"]);
});

Deno.test("ResendRequestChunkSize: ranges of N, the next chunk requested when the previous is filled", () => {
  const t = loggedOn({ config: { resendRequestChunkSize: 2 } });
  assert.deepEqual(t.recv(peerOrder(7)), ["send admin 35=2|34=2|7=2|16=3"]);
  assert.deepEqual(t.recv("35=4|34=2|43=Y|122=<TIME>|36=3|123=Y"), ["persist-inbound 2"]);
  assert.deepEqual(t.recv(peerOrder(3, "ORD3", "|43=Y|122=<TIME>")), [
    "persist-inbound 3",
    "deliver D 3",
    "send admin 35=2|34=3|7=4|16=5",
  ]);
  assert.deepEqual(t.recv("35=4|34=4|43=Y|122=<TIME>|36=6|123=Y"), [
    "persist-inbound 4",
    "store-seq target=6",
    "send admin 35=2|34=4|7=6|16=6",
  ]);
  assert.deepEqual(t.recv(peerOrder(6, "ORD6", "|43=Y|122=<TIME>")), [
    "persist-inbound 6",
    "deliver D 6",
    "persist-inbound 7",
    "deliver D 7",
  ]);
  assert.equal(t.state.resendRequested, undefined);
});

Deno.test("a hole left below queued messages after a request is satisfied is requested again", () => {
  const t = loggedOn();
  t.recv(peerOrder(4)); // asks 2..∞, satisfied at 3
  t.recv(peerOrder(7)); // queued beyond another hole (5, 6)
  assert.deepEqual(t.recv("35=4|34=2|43=Y|122=<TIME>|36=4|123=Y"), [
    "persist-inbound 2",
    "store-seq target=4",
    "persist-inbound 4",
    "deliver D 4",
    "send admin 35=2|34=3|7=5|16=0",
  ]);
  assert.deepEqual(t.state.resendRequested, { begin: 5, end: 6 });
});

Deno.test("case 2c: MsgSeqNum too low without PossDupFlag -> Logout 'MsgSeqNum too low', disconnect", () => {
  const t = loggedOn();
  t.recv("35=0|34=2");
  t.recv("35=0|34=3");
  assert.deepEqual(t.recv("35=0|34=2"), LOGOUT(2, "MsgSeqNum too low, expecting 4 but received 2"));
  assert.ok(t.lastEvents.includes("seq-too-low"));
  assert.equal(t.phase, "disconnected");
});

Deno.test("case 2d: garbled message -> ignored, no number consumed", () => {
  const t = loggedOn();
  const bad = frame("8=FIX.4.4|35=0|49=TW|56=ISLD|34=2|52=<TIME>|10=000", t.nowMs);
  assert.deepEqual(t.feed(bad), []);
  assert.deepEqual(t.lastEvents, ["garbled"]);
  assert.deepEqual(t.recv("35=0|34=2"), ["persist-inbound 2"]);
});

Deno.test("case 2e: PossDupFlag=Y below the expected number -> ignored; at the expected number -> processed", () => {
  const t = loggedOn();
  t.recv(peerOrder(2));
  t.recv(peerOrder(3));
  assert.deepEqual(t.recv(peerOrder(2, "ORD2", "|43=Y|122=<TIME-1>")), []);
  assert.deepEqual(t.lastEvents, ["possdup-ignored"]);
  assert.deepEqual(t.recv(peerOrder(4, "ORD4", "|43=Y|122=<TIME>")), ["persist-inbound 4", "deliver D 4"]);
});

Deno.test("case 2f: PossDupFlag=Y with OrigSendingTime after SendingTime -> Reject 373=10, Logout process", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv(peerOrder(2, "ORD2", "|43=Y|122=<TIME+5>")), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=SendingTime accuracy problem|372=D|373=10",
    ...LOGOUT_PROCESS(3),
  ]);
  assert.deepEqual(t.recv("35=5|34=3"), [
    "persist-inbound 3",
    "disconnect Logout acknowledged",
    "logout Logout acknowledged",
  ]);
  // Below the expected number: rejected too (nothing to consume), then Logout.
  const u = loggedOn();
  u.recv("35=0|34=2");
  assert.deepEqual(u.recv("35=0|34=2|43=Y|122=<TIME+5>"), [
    "send admin 35=3|34=2|45=2|58=SendingTime accuracy problem|372=0|373=10",
    ...LOGOUT_PROCESS(3),
  ]);
});

Deno.test("case 2g: PossDupFlag=Y without OrigSendingTime -> Reject 371=122 373=1, number consumed", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv(peerOrder(2, "ORD2", "|43=Y")), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=Required tag missing|371=122|372=D|373=1",
  ]);
  assert.deepEqual(t.delivered, []);
  assert.deepEqual(t.recv("35=0|34=3"), ["persist-inbound 3"]);
});

Deno.test("case 2i: BeginString does not match -> Logout 'Incorrect BeginString', disconnect", () => {
  const t = loggedOn();
  assert.deepEqual(
    t.recvRaw("8=FIX.4.2|35=0|49=TW|56=ISLD|34=2|52=<TIME>"),
    LOGOUT(2, "Incorrect BeginString"),
  );
  assert.equal(t.state.nextTargetSeq, 2);
});

Deno.test("case 2k: CompIDs do not match -> Reject 373=9 (no RefTagID, as QuickFIX), Logout process", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=0|34=2|49=XX"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=CompID problem|372=0|373=9",
    ...LOGOUT_PROCESS(3),
  ]);
  assert.equal(t.phase, "logout-sent");
  const u = loggedOn();
  assert.deepEqual(u.recv("35=0|34=2|56=XX"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=CompID problem|372=0|373=9",
    ...LOGOUT_PROCESS(3),
  ]);
  // No Logout from the peer: the logout timeout closes.
  assert.deepEqual(u.advance(2_000), ["disconnect Logout timeout", "logout Logout timeout"]);
});

Deno.test("checkCompId off: other CompIDs are accepted", () => {
  const t = loggedOn({ config: { checkCompId: false } });
  assert.deepEqual(t.recv("35=0|34=2|49=XX"), ["persist-inbound 2"]);
});

Deno.test("case 2m: BodyLength wrong -> garbled, ignored, no number consumed", () => {
  const t = loggedOn();
  // Too small: no CheckSum where BodyLength points.
  assert.deepEqual(t.recvRaw("8=FIX.4.4|9=10|35=0|49=TW|56=ISLD|34=2|52=<TIME>"), []);
  assert.deepEqual(t.lastEvents, ["garbled"]);
  // Too large: found garbled once enough bytes are in; the framer resyncs on the next BeginString.
  const chunks = [
    frame("8=FIX.4.4|9=150|35=0|49=TW|56=ISLD|34=2|52=<TIME>", t.nowMs),
    ...[2, 3, 4].map((n) => frame(`8=FIX.4.4|35=0|49=TW|56=ISLD|34=${n}|52=<TIME>`, t.nowMs)),
  ];
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let p = 0;
  for (const c of chunks) {
    all.set(c, p);
    p += c.length;
  }
  assert.deepEqual(t.feed(all), ["persist-inbound 2", "persist-inbound 3", "persist-inbound 4"]);
  assert.deepEqual(t.lastEvents, ["garbled"]);
});

Deno.test("case 2o: SendingTime outside the window or not UTC -> Reject 373=10, Logout process", () => {
  for (
    const sendingTime of ["<TIME-121>", "<TIME+121>", "20240115-13:00:00.000+01:00", "20240115-12:00:00 UTC"]
  ) {
    const t = loggedOn();
    assert.deepEqual(t.recv(`35=0|34=2|52=${sendingTime}`), [
      "persist-inbound 2",
      "send admin 35=3|34=2|45=2|58=SendingTime accuracy problem|372=0|373=10",
      ...LOGOUT_PROCESS(3),
    ], sendingTime);
  }
  const t = loggedOn();
  assert.deepEqual(t.recv("35=0|34=2|52=<TIME-120>"), ["persist-inbound 2"], "the window's edge is inside");
});

Deno.test("MaxLatency and CheckLatency settings", () => {
  const t = loggedOn({ config: { maxLatencySec: 5 } });
  assert.deepEqual(t.recv("35=0|34=2|52=<TIME-5>"), ["persist-inbound 2"]);
  assert.equal(
    t.recv("35=0|34=3|52=<TIME-6>")[1],
    "send admin 35=3|34=2|45=3|58=SendingTime accuracy problem|372=0|373=10",
  );
  const u = loggedOn({ config: { checkLatency: false } });
  assert.deepEqual(u.recv("35=0|34=2|52=<TIME-3600>"), ["persist-inbound 2"]);
});

Deno.test("case 2t: 8, 9, 35 not the first three fields -> garbled, ignored", () => {
  const t = loggedOn();
  assert.deepEqual(t.recvRaw("8=FIX.4.4|49=TW|35=0|56=ISLD|34=2|52=<TIME>"), []);
  assert.deepEqual(t.lastEvents, ["garbled"]);
  // 9 after 35: the framer cannot find BodyLength.
  const text = readable(frame("8=FIX.4.4|35=0|49=TW|56=ISLD|34=2|52=<TIME>", t.nowMs))
    .replace(/^(8=FIX\.4\.4\|)(9=\d+\|)(35=0\|)/, "$1$3$2").replaceAll("|", "\x01");
  assert.deepEqual(t.feed(new TextEncoder().encode(text)), []);
  assert.ok(t.lastEvents.every((e) => e === "garbled"));
  assert.deepEqual(t.recv("35=0|34=2"), ["persist-inbound 2"]);
});

Deno.test("case 3b/3c: bad CheckSum or garbled trailer -> ignored, no number consumed", () => {
  const t = loggedOn();
  assert.deepEqual(t.recvRaw("8=FIX.4.4|35=0|49=TW|56=ISLD|34=2|52=<TIME>|10=001"), []);
  assert.deepEqual(t.lastEvents, ["garbled"]);
  assert.deepEqual(t.recvRaw("8=FIX.4.4|35=0|49=TW|56=ISLD|34=2|52=<TIME>|10=x1y"), []);
  assert.deepEqual(t.lastEvents, ["garbled"]);
  assert.deepEqual(t.recv("35=0|34=2"), ["persist-inbound 2"]);
});

Deno.test("case 7: Reject received -> number consumed, session carries on", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=3|34=2|45=1|58=Bad field|371=1|372=D|373=5"), ["persist-inbound 2"]);
  assert.deepEqual(t.lastEvents, ["reject-received"]);
  assert.deepEqual(t.recv(peerOrder(3)), ["persist-inbound 3", "deliver D 3"]);
});

Deno.test("case 10: SequenceReset-GapFill with MsgSeqNum higher than expected -> ResendRequest", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=4|34=5|123=Y|36=8"), ["send admin 35=2|34=2|7=2|16=0"]);
  // Once 2..4 come, the queued gap fill moves the expected number to 8.
  assert.deepEqual(t.recv("35=4|34=2|43=Y|122=<TIME>|123=Y|36=5"), [
    "persist-inbound 2",
    "store-seq target=5",
    "persist-inbound 5",
    "store-seq target=8",
  ]);
});

Deno.test("case 10: SequenceReset-GapFill with the expected MsgSeqNum -> expected := NewSeqNo", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=4|34=2|123=Y|36=10"), ["persist-inbound 2", "store-seq target=10"]);
  assert.equal(t.state.nextTargetSeq, 10);
  assert.deepEqual(t.recv("35=0|34=10"), ["persist-inbound 10"]);
});

Deno.test("case 10: SequenceReset-GapFill below the expected number: PossDup ignored, else Logout and disconnect", () => {
  const t = loggedOn();
  t.recv("35=4|34=2|123=Y|36=5");
  assert.deepEqual(t.recv("35=4|34=3|43=Y|122=<TIME>|123=Y|36=5"), []);
  assert.deepEqual(t.lastEvents, ["possdup-ignored"]);
  assert.deepEqual(
    t.recv("35=4|34=3|123=Y|36=5"),
    LOGOUT(2, "MsgSeqNum too low, expecting 5 but received 3"),
  );
});

Deno.test("case 10: SequenceReset-GapFill with NewSeqNo not above MsgSeqNum -> Reject 373=5", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=4|34=2|123=Y|36=2"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=Value is incorrect (out of range) for this tag|371=36|372=4|373=5",
  ]);
  assert.deepEqual(t.recv("35=0|34=3"), ["persist-inbound 3"]);
});

Deno.test("case 10: SequenceReset-GapFill without NewSeqNo -> Reject 373=1, the number consumed", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=4|34=2|123=Y"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=Required tag missing|371=36|372=4|373=1",
  ]);
  assert.deepEqual(t.recv("35=0|34=3"), ["persist-inbound 3"]);
});

Deno.test("case 11: SequenceReset-Reset ignores MsgSeqNum: NewSeqNo higher -> set", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=4|34=1|36=20"), ["store-seq target=20"]);
  assert.ok(t.lastEvents.includes("sequence-reset"));
  assert.deepEqual(t.recv("35=0|34=20"), ["persist-inbound 20"]);
  // 123=N is the same as no GapFillFlag.
  assert.deepEqual(t.recv("35=4|34=99|123=N|36=30"), ["store-seq target=30"]);
});

Deno.test("case 11: SequenceReset-Reset with NewSeqNo equal -> warning only; lower -> Reject 373=5, number kept", () => {
  const t = loggedOn();
  t.recv("35=4|34=2|36=10");
  assert.deepEqual(t.recv("35=4|34=10|36=10"), []);
  assert.deepEqual(t.lastEvents, ["sequence-reset"]);
  assert.deepEqual(t.recv("35=4|34=10|36=5"), [
    "send admin 35=3|34=2|45=10|58=Value is incorrect (out of range) for this tag|372=4|373=5",
  ]);
  assert.equal(t.state.nextTargetSeq, 10);
  assert.deepEqual(t.recv("35=0|34=10"), ["persist-inbound 10"]);
});

Deno.test("case 11: SequenceReset-Reset during a gap drops what it skips and resumes with the queue", () => {
  const t = loggedOn();
  t.recv(peerOrder(4));
  t.recv(peerOrder(6));
  assert.deepEqual(t.recv("35=4|34=5|36=6"), ["store-seq target=6", "persist-inbound 6", "deliver D 6"]);
  assert.equal(t.state.inboundQueue.size, 0);
  assert.equal(t.state.resendRequested, undefined);
});

Deno.test("case 19: PossResend=Y is delivered to the application (it checks its own IDs)", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv(peerOrder(2, "ORD2")), ["persist-inbound 2", "deliver D 2"]);
  assert.deepEqual(t.recv(peerOrder(3, "ORD2", "|97=Y")), ["persist-inbound 3", "deliver D 3"]);
  assert.match(t.delivered[1]!, /\|97=Y\|11=ORD2\|/);
});

Deno.test("case 20: ResendRequest beyond our gap is served at once, then we request the gap", () => {
  const t = loggedOn();
  t.send({
    msgType: "D",
    fields: [[11, "A"], [21, "1"], [55, "X"], [54, "1"], [60, ts(T0)], [38, 1], [40, "1"]],
  });
  // The peer missed our 2 and we missed its 2..3: its ResendRequest (4) comes beyond our gap.
  assert.deepEqual(t.recv("35=2|34=4|7=2|16=0"), [
    "resend 2-2",
    `send resend 35=D|34=2|43=Y|122=${ts(T0)}|11=A|21=1|55=X|54=1|60=${ts(T0)}|38=1|40=1`,
    "send admin 35=2|34=3|7=2|16=0",
  ]);
  assert.deepEqual(t.state.resendRequested, { begin: 2, end: 3 });
  // The peer answers ours; its ResendRequest (4) was served already, so only its number is consumed.
  assert.deepEqual(t.recv(peerOrder(2, "ORD2", "|43=Y|122=<TIME>")), ["persist-inbound 2", "deliver D 2"]);
  assert.deepEqual(t.recv("35=4|34=3|43=Y|122=<TIME>|123=Y|36=5"), [
    "persist-inbound 3",
    "store-seq target=5",
  ]);
  assert.equal(t.state.inboundQueue.size, 0);
  assert.equal(t.state.resendRequested, undefined);
  assert.deepEqual(t.recv("35=0|34=5"), ["persist-inbound 5"]);
});

Deno.test("case 20: ResendRequest received while our own is outstanding -> served, ours kept (not sent again)", () => {
  const t = loggedOn({ config: { resendRequestChunkSize: 2 } });
  assert.deepEqual(t.recv(peerOrder(6)), ["send admin 35=2|34=2|7=2|16=3"]);
  // The peer had not seen ours yet and asks for everything from 1.
  assert.deepEqual(t.recv("35=2|34=7|7=1|16=0"), [
    "resend 1-2",
    `send resend 35=4|34=1|43=Y|122=${ts(T0)}|36=3|123=Y`,
  ]);
  assert.deepEqual(t.state.resendRequested, { begin: 2, end: 3 }, "ours stays outstanding");
  // The peer answers our first chunk; the next chunk (4..5) is then requested.
  assert.deepEqual(t.recv("35=4|34=2|43=Y|122=<TIME>|123=Y|36=4"), [
    "persist-inbound 2",
    "store-seq target=4",
    "send admin 35=2|34=3|7=4|16=5",
  ]);
  assert.deepEqual(t.recv("35=4|34=4|43=Y|122=<TIME>|123=Y|36=6"), [
    "persist-inbound 4",
    "store-seq target=6",
    "persist-inbound 6",
    "deliver D 6",
    "persist-inbound 7",
  ]);
  assert.equal(t.state.resendRequested, undefined);
});

Deno.test("MsgSeqNum missing -> Logout, disconnect", () => {
  const t = loggedOn();
  assert.deepEqual(
    t.recvRaw("8=FIX.4.4|35=0|49=TW|56=ISLD|52=<TIME>"),
    LOGOUT(2, "MsgSeqNum missing or invalid"),
  );
});

Deno.test("required header fields missing -> Reject 373=1 with the tag, number consumed", () => {
  const t = loggedOn();
  assert.deepEqual(t.recvRaw("8=FIX.4.4|35=0|49=TW|56=ISLD|34=2"), [
    "persist-inbound 2",
    "send admin 35=3|34=2|45=2|58=Required tag missing|371=52|372=0|373=1",
  ]);
  assert.deepEqual(t.recvRaw("8=FIX.4.4|35=0|56=ISLD|34=3|52=<TIME>"), [
    "persist-inbound 3",
    "send admin 35=3|34=3|45=3|58=Required tag missing|371=49|372=0|373=1",
  ]);
});

Deno.test("a message beyond a gap keeps its place even when the read buffer is reused (views copied)", () => {
  const t = loggedOn();
  t.recv(peerOrder(3, "KEEP"));
  const q = t.state.inboundQueue.get(3)!;
  assert.match(new TextDecoder().decode(q.view.bytes()), /11=KEEP/);
  assert.deepEqual(t.recv("35=0|34=2"), ["persist-inbound 2", "persist-inbound 3", "deliver D 3"]);
  assert.match(t.delivered[0]!, /11=KEEP/);
});
