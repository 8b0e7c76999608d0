/**
 * Transcript tests of outbound messages: answering ResendRequest (case 8), messages sent while
 * disconnected (case 16), sequence resets (case 9), set-seq, and the encoding of what we send.
 */
import assert from "node:assert/strict";
import { formatTimestamp } from "../../src/codec/mod.ts";
import { order, orderBody, peerOrder, readable, T0, Transcript, ts } from "./harness.ts";

function loggedOn(o: ConstructorParameters<typeof Transcript>[0] = {}): Transcript {
  const t = new Transcript(o);
  t.logonAcceptor();
  return t;
}

/** Logged on, then: order A (2), a Heartbeat (3), order B not to resend (4), order C (5), each 1 s apart. */
function withHistory(o: ConstructorParameters<typeof Transcript>[0] = {}): Transcript {
  const t = loggedOn(o);
  t.nowMs = T0 + 1_000;
  t.send(order("A"));
  t.nowMs = T0 + 31_000;
  assert.deepEqual(t.input({ kind: "tick" }), ["send admin 35=0|34=3"]);
  t.recv("35=0|34=2");
  t.nowMs = T0 + 32_000;
  assert.deepEqual(t.send(order("B"), false), [`send app 35=D|34=4|${orderBody("B")}`]);
  t.nowMs = T0 + 33_000;
  t.send(order("C"));
  t.nowMs = T0 + 40_000;
  return t;
}

Deno.test("case 8: ResendRequest 16=0 -> app messages resent with 43=Y and 122, admin and not-to-resend gap-filled and merged", () => {
  const t = withHistory();
  assert.deepEqual(t.recv("35=2|34=3|7=1|16=0"), [
    "persist-inbound 3",
    "resend 1-5",
    `send resend 35=4|34=1|43=Y|122=${ts(t.nowMs)}|36=2|123=Y`,
    `send resend 35=D|34=2|43=Y|122=${ts(T0 + 1_000)}|${orderBody("A")}`,
    `send resend 35=4|34=3|43=Y|122=${ts(t.nowMs)}|36=5|123=Y`,
    `send resend 35=D|34=5|43=Y|122=${ts(T0 + 33_000)}|${orderBody("C")}`,
  ]);
  assert.equal(t.state.nextSenderSeq, 6, "resending uses no new numbers");
  assert.ok(t.lastEvents.includes("resend"));
});

Deno.test("case 8: EndSeqNo beyond the last sent, or a closed range", () => {
  const t = withHistory();
  assert.deepEqual(t.recv("35=2|34=3|7=5|16=999"), [
    "persist-inbound 3",
    "resend 5-5",
    `send resend 35=D|34=5|43=Y|122=${ts(T0 + 33_000)}|${orderBody("C")}`,
  ]);
  assert.deepEqual(t.recv("35=2|34=4|7=2|16=2"), [
    "persist-inbound 4",
    "resend 2-2",
    `send resend 35=D|34=2|43=Y|122=${ts(T0 + 1_000)}|${orderBody("A")}`,
  ]);
  // A range that ends on an admin message ends with a gap fill to the number after it.
  assert.deepEqual(t.recv("35=2|34=5|7=3|16=4"), [
    "persist-inbound 5",
    "resend 3-4",
    `send resend 35=4|34=3|43=Y|122=${ts(t.nowMs)}|36=5|123=Y`,
  ]);
  // Beginning beyond what we sent: nothing to resend.
  assert.deepEqual(t.recv("35=2|34=6|7=9|16=0"), ["persist-inbound 6"]);
});

Deno.test("case 8: messages missing from the store are gap-filled", () => {
  const t = withHistory({ autoResend: false });
  assert.deepEqual(t.recv("35=2|34=3|7=1|16=0"), ["persist-inbound 3", "resend 1-5"]);
  // The engine's store lost 2 (e.g. a new store): only 5 is there.
  assert.deepEqual(
    t.input({ kind: "resend-messages", begin: 1, end: 5, messages: t.storedOutbound(5, 5) }),
    [
      `send resend 35=4|34=1|43=Y|122=${ts(t.nowMs)}|36=5|123=Y`,
      `send resend 35=D|34=5|43=Y|122=${ts(T0 + 33_000)}|${orderBody("C")}`,
    ],
  );
  assert.deepEqual(t.input({ kind: "resend-messages", begin: 1, end: 5, messages: [] }), [
    `send resend 35=4|34=1|43=Y|122=${ts(t.nowMs)}|36=6|123=Y`,
  ]);
});

Deno.test("case 8: resent copy keeps the original header fields and body byte for byte", () => {
  const t = loggedOn();
  t.nowMs = T0 + 500;
  t.send({
    msgType: "D",
    fields: [[11, "X"], [115, "ONBEHALF"], [97, "Y"], [95, 3], [96, "a\x01b"], [55, "Y"]],
  });
  const original = readable(t.store.outbound.get(2)!);
  // Header in ascending tag order (issue 13.2): 34, 49, 52, 56, 97, 115; the body as given.
  assert.match(
    original,
    /\|35=D\|34=2\|49=ISLD\|52=[^|]+\|56=TW\|97=Y\|115=ONBEHALF\|11=X\|95=3\|96=a\|b\|55=Y\|10=/,
  );
  t.nowMs = T0 + 9_000;
  assert.deepEqual(t.recv("35=2|34=2|7=2|16=2"), [
    "persist-inbound 2",
    "resend 2-2",
    `send resend 35=D|34=2|43=Y|97=Y|115=ONBEHALF|122=${ts(T0 + 500)}|11=X|95=3|96=a|b|55=Y`,
  ]);
});

Deno.test("case 16: messages sent while disconnected are queued and sent in order once logged on", () => {
  const t = new Transcript({ role: "initiator" });
  assert.deepEqual(t.send(order("Q1")), []);
  assert.ok(t.lastEvents.includes("queued"));
  t.connect();
  assert.deepEqual(t.send(order("Q2")), [], "still queued while the Logon is out");
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30"), [
    "persist-inbound 1",
    "logon",
    `send queued 35=D|34=2|${orderBody("Q1")}`,
    `send queued 35=D|34=3|${orderBody("Q2")}`,
  ]);
  assert.deepEqual(t.send(order("N")), [`send app 35=D|34=4|${orderBody("N")}`]);
  // On request they are resent with PossDupFlag.
  assert.deepEqual(t.recv("35=2|34=2|7=2|16=3"), [
    "persist-inbound 2",
    "resend 2-3",
    `send resend 35=D|34=2|43=Y|122=${ts(T0)}|${orderBody("Q1")}`,
    `send resend 35=D|34=3|43=Y|122=${ts(T0)}|${orderBody("Q2")}`,
  ]);
});

Deno.test("case 16: the queue keeps its own copy of the message's fields", () => {
  const t = new Transcript({ role: "initiator" });
  const m = order("ORIG");
  t.send(m);
  m.fields[0] = [11, "CHANGED"];
  t.logonInitiator();
  assert.match(t.sentLog.at(-1)!, /11=ORIG/);
});

Deno.test("case 16: a queued message waits for the resend answer 789 triggers, then goes out", () => {
  const t = new Transcript({
    seq: { nextSenderSeq: 3, nextTargetSeq: 1 },
    config: { enableNextExpectedMsgSeqNum: true },
  });
  t.send(order("Q"));
  t.connect();
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30|789=2"), [
    "persist-inbound 1",
    "send admin 35=A|34=3|98=0|108=30|789=2",
    "logon",
    "resend 2-2",
    `send resend 35=4|34=2|43=Y|122=${ts(T0)}|36=3|123=Y`,
    `send queued 35=D|34=4|${orderBody("Q")}`,
  ]);
});

Deno.test("case 9: operator reset mid-session -> Logon 141=Y, both sides restart at 1", () => {
  const t = loggedOn();
  t.recv("35=0|34=2");
  t.send(order("A"));
  assert.deepEqual(t.input({ kind: "reset" }), ["store-reset", "send admin 35=A|34=1|98=0|108=30|141=Y"]);
  // Messages the peer sent under the old numbers before it saw our Logon are ignored.
  assert.deepEqual(t.recv("35=0|34=3"), []);
  assert.ok(t.lastEvents.includes("message-ignored"));
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30|141=Y"), ["persist-inbound 1"]);
  assert.deepEqual([t.state.nextSenderSeq, t.state.nextTargetSeq], [2, 2]);
  assert.deepEqual(t.recv("35=0|34=2"), ["persist-inbound 2"]);
  assert.deepEqual(t.send(order("B")), [`send app 35=D|34=2|${orderBody("B")}`]);
  assert.equal(t.store.resets, 1);
});

Deno.test("case 9: Logon 141=Y from the peer mid-session -> answered with Logon 141=Y, both at 1", () => {
  const t = loggedOn();
  t.recv("35=0|34=2");
  t.recv("35=0|34=3");
  assert.deepEqual(t.recv("35=A|34=1|98=0|108=30|141=Y"), [
    "store-reset",
    "persist-inbound 1",
    "send admin 35=A|34=1|98=0|108=30|141=Y",
  ]);
  assert.deepEqual([t.state.nextSenderSeq, t.state.nextTargetSeq], [2, 2]);
  assert.deepEqual(t.recv(peerOrder(2)), ["persist-inbound 2", "deliver D 2"]);
});

Deno.test("case 9: SequenceReset-Reset sent on request moves our number up", () => {
  const t = loggedOn();
  assert.deepEqual(t.input({ kind: "sequence-reset", newSeqNo: 10 }), [
    "send admin nopersist 35=4|34=2|36=10",
    "store-seq sender=10",
  ]);
  assert.deepEqual(t.send(order("A")), [`send app 35=D|34=10|${orderBody("A")}`]);
  assert.deepEqual(t.input({ kind: "sequence-reset", newSeqNo: 5 }), [], "never lowers");
  // A gap fill covers the numbers the reset skipped when the peer asks for them.
  assert.deepEqual(t.recv("35=2|34=2|7=2|16=0"), [
    "persist-inbound 2",
    "resend 2-10",
    `send resend 35=4|34=2|43=Y|122=${ts(T0)}|36=10|123=Y`,
    `send resend 35=D|34=10|43=Y|122=${ts(T0)}|${orderBody("A")}`,
  ]);
});

Deno.test("reset and set-seq while disconnected change the numbers and the store", () => {
  const t = new Transcript({ seq: { nextSenderSeq: 7, nextTargetSeq: 9 } });
  assert.deepEqual(t.input({ kind: "set-seq", nextTargetSeq: 20 }), ["store-seq target=20"]);
  assert.deepEqual(t.input({ kind: "set-seq", nextSenderSeq: 3, nextTargetSeq: 4 }), [
    "store-seq sender=3 target=4",
  ]);
  assert.deepEqual(t.input({ kind: "reset" }), ["store-reset"]);
  assert.deepEqual([t.state.nextSenderSeq, t.state.nextTargetSeq], [1, 1]);
  assert.throws(() => t.input({ kind: "set-seq", nextSenderSeq: 0 }), RangeError);
});

Deno.test("set-seq while logged on: a lower expected number lets queued messages in", () => {
  const t = loggedOn();
  t.recv(peerOrder(5));
  assert.deepEqual(t.input({ kind: "set-seq", nextTargetSeq: 5 }), [
    "store-seq target=5",
    "persist-inbound 5",
    "deliver D 5",
  ]);
  assert.equal(t.state.resendRequested, undefined);
});

Deno.test("outbound encoding: sub IDs after 52, the session's header tags win, data length filled in, precision", () => {
  const t = loggedOn({
    config: {
      timestampPrecision: "us",
      id: {
        beginString: "FIX.4.4",
        senderCompId: "ISLD",
        targetCompId: "TW",
        senderSubId: "DESK",
        targetSubId: "T1",
      },
    },
  });
  t.nowMs = T0 + 1_234;
  assert.deepEqual(t.send({ msgType: "D", fields: [[11, "A"], [96, "xyz"], [50, "IGNORED"], [34, 99]] }), [
    "send app 35=D|34=2|50=DESK|57=T1|11=A|95=3|96=xyz",
  ]);
  // The harness checked 52 against the clock at this precision (microseconds: 24 characters).
  assert.match(
    readable(t.store.outbound.get(2)!),
    new RegExp(`\\|52=${formatTimestamp(T0 + 1_234, "us")}\\|`),
  );
  assert.equal(formatTimestamp(T0 + 1_234, "us"), "20240115-12:00:01.234000");
});

Deno.test("bytes of a send action are an owned copy (the encoder's buffer is reused)", () => {
  const t = loggedOn();
  t.send(order("FIRST"));
  const first = t.lastActions[0]!;
  assert.equal(first.kind, "send");
  const before = readable((first as { bytes: Uint8Array }).bytes);
  t.send(order("SECOND"));
  assert.equal(readable((first as { bytes: Uint8Array }).bytes), before);
});
