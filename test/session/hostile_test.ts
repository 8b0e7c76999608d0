/**
 * A counterparty that has logged on and then misbehaves (brief R10), against the pure session machine
 * with the manual clock: what it can make the session hold, and what it can make it do.
 */
import assert from "node:assert/strict";
import { Encoder } from "../../src/codec/mod.ts";
import { MAX_INBOUND_QUEUE_BYTES } from "../../src/session/mod.ts";
import { order, peerOrder, T0, Transcript } from "./harness.ts";

/** An acceptor logged on: we sent Logon 1, we expect 2 next. */
function loggedOn(o: ConstructorParameters<typeof Transcript>[0] = {}): Transcript {
  const t = new Transcript(o);
  t.logonAcceptor();
  return t;
}

/** A NewOrderSingle from the peer with a Text (58) of `text`, encoded (large frames, cheaply). */
function bigOrder(t: Transcript, seq: number, text: string): Uint8Array {
  const e = new Encoder().begin("FIX.4.4", "D").int(34, seq).str(49, "TW").timestamp(52, t.nowMs).str(
    56,
    "ISLD",
  );
  e.str(11, `O${seq}`).str(21, "1").str(55, "INTC").str(54, "1").timestamp(60, t.nowMs).int(38, 100).str(
    40,
    "1",
  );
  return e.str(58, text).finish().slice();
}

Deno.test("messages beyond a gap are held up to MAX_INBOUND_QUEUE_BYTES; the rest dropped; a gap fill past them lets the copies go", () => {
  const t = loggedOn();
  const text = "x".repeat(100_000);
  // Each queued order holds about 100 KB; a 1 MiB message (the framer's limit) 100,000 times is 100 GB.
  const fit = Math.floor(MAX_INBOUND_QUEUE_BYTES / 100_200);
  const n = fit + 20;
  assert.deepEqual(t.feed(bigOrder(t, 3, text)), ["send admin 35=2|34=2|7=2|16=0"]);
  for (let seq = 4; seq < 3 + n; seq++) t.feed(bigOrder(t, seq, text));
  const q = t.state.inboundQueue;
  assert.ok(
    t.state.inboundQueueBytes <= MAX_INBOUND_QUEUE_BYTES,
    `${t.state.inboundQueueBytes} bytes queued`,
  );
  assert.ok(q.size >= fit - 2 && q.size < n, `${q.size} of ${n} queued`);
  assert.ok(t.lastEvents.includes("queued"), "a dropped message is logged");
  // A gap fill past them all: the queued copies are let go (the in-order path: the next test).
  assert.deepEqual(t.recv(`35=4|34=2|43=Y|122=<TIME>|36=${3 + n}|123=Y`), [
    "persist-inbound 2",
    `store-seq target=${3 + n}`,
  ]);
  assert.equal(t.state.nextTargetSeq, 3 + n);
  assert.equal(q.size, 0);
  assert.equal(t.state.inboundQueueBytes, 0);
});

Deno.test("the inbound queue's bytes are let go as its messages are processed in order", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv(peerOrder(3)), ["send admin 35=2|34=2|7=2|16=0"]);
  t.recv(peerOrder(4));
  assert.ok(t.state.inboundQueueBytes > 200, `${t.state.inboundQueueBytes}`);
  assert.deepEqual(t.recv("35=4|34=2|43=Y|122=<TIME>|36=3|123=Y"), [
    "persist-inbound 2",
    "persist-inbound 3",
    "deliver D 3",
    "persist-inbound 4",
    "deliver D 4",
  ]);
  assert.equal(t.state.inboundQueueBytes, 0);
});

/** Counts the queue entries the machine visits by iterating the inbound queue. */
function countVisits(t: Transcript): { visited: number } {
  const q = t.state.inboundQueue;
  const c = { visited: 0 };
  const wrap = <I extends Iterator<unknown>>(it: I): I => {
    const next = it.next.bind(it);
    it.next = () => {
      const r = next();
      if (!r.done) c.visited++;
      return r;
    };
    return it;
  };
  const keys = q.keys.bind(q), entries = q.entries.bind(q), values = q.values.bind(q);
  q.keys = () => wrap(keys());
  q.entries = () => wrap(entries());
  q.values = () => wrap(values());
  q[Symbol.iterator] = () => wrap(entries());
  return c;
}

Deno.test("holes below queued messages filled one by one: the queue is not scanned per message (linear, not quadratic)", () => {
  const t = loggedOn();
  const N = 2_000;
  // Queued: 3, 5, 7, ... (holes at 2, 4, 6, ...), as a peer may send them.
  for (let i = 0; i < N; i++) t.recv(`35=0|34=${3 + 2 * i}`);
  assert.equal(t.state.inboundQueue.size, N);
  const c = countVisits(t);
  for (let i = 0; i < N; i++) t.recv(`35=0|34=${2 + 2 * i}`);
  assert.equal(t.state.nextTargetSeq, 2 * N + 2);
  assert.equal(t.state.inboundQueue.size, 0);
  assert.equal(t.state.inboundQueueBytes, 0);
  // A scan of the queue after each hole visits about N * N / 2 = 2,000,000 entries.
  assert.ok(c.visited <= 4 * N, `${c.visited} queue entries visited to fill ${N} holes`);
});

Deno.test("a jump of the expected number (gap fill, SequenceReset-Reset, set-seq) lets the queued messages it passes go; those beyond it stay and are processed in order", () => {
  const t = loggedOn();
  for (const seq of [4, 5, 7, 9, 12]) t.recv(`35=0|34=${seq}`);
  assert.deepEqual([...t.state.inboundQueue.keys()], [4, 5, 7, 9, 12]);
  // GapFill 2 -> 5: 4 is passed over; 5 is processed at once; our request (2 to 3) is satisfied, the
  // hole at 6 asked for.
  assert.deepEqual(t.recv("35=4|34=2|43=Y|122=<TIME>|36=5|123=Y"), [
    "persist-inbound 2",
    "store-seq target=5",
    "persist-inbound 5",
    "send admin 35=2|34=3|7=6|16=0",
  ]);
  assert.deepEqual([...t.state.inboundQueue.keys()], [7, 9, 12]);
  // SequenceReset-Reset to 8: 7 is passed over.
  t.recv("35=4|34=6|36=8");
  assert.equal(t.state.nextTargetSeq, 8);
  assert.deepEqual([...t.state.inboundQueue.keys()], [9, 12]);
  // set-seq to 10: 9 is passed over.
  t.input({ kind: "set-seq", nextTargetSeq: 10 });
  assert.deepEqual([...t.state.inboundQueue.keys()], [12]);
  assert.deepEqual(t.recv("35=0|34=10"), ["persist-inbound 10"]);
  assert.deepEqual(t.recv("35=0|34=11"), ["persist-inbound 11", "persist-inbound 12"]);
  assert.equal(t.state.inboundQueue.size, 0);
  assert.equal(t.state.inboundQueueBytes, 0);
});

Deno.test("ResendRequest ranges a peer may send: reversed, 0, negative, beyond 2^53, beyond the store, not numbers", () => {
  const reject = (
    tag: number,
  ) => [
    "persist-inbound 2",
    `send admin 35=3|34=4|45=2|58=Incorrect data format for value|371=${tag}|372=2|373=6`,
  ];
  const cases: Array<[string, string, string[]]> = [
    // Reversed or beyond what we sent: nothing to resend, the number taken.
    ["3", "2", ["persist-inbound 2"]],
    ["5", "3", ["persist-inbound 2"]],
    ["4294967296", "0", ["persist-inbound 2"]],
    // 0 is the first number: everything (our Logon gap-filled).
    ["0", "0", [
      "persist-inbound 2",
      "resend 1-3",
      "send resend 35=4|34=1|43=Y|36=2|123=Y",
      "send resend 35=D|34=2|43=Y",
      "send resend 35=D|34=3|43=Y",
    ]],
    ["-1", "0", reject(7)],
    ["1", "-1", reject(16)],
    ["9007199254740992", "0", reject(7)],
    ["1", "9007199254740993", reject(16)],
    ["99999999999999999999999", "0", reject(7)],
    ["abc", "0", reject(7)],
    ["1", "x", reject(16)],
    ["", "0", reject(7)],
  ];
  for (const [b, e, want] of cases) {
    const t = loggedOn();
    t.send(order("A"));
    t.send(order("B"));
    const got = t.recv(`35=2|34=2|7=${b}|16=${e}`).map((l) => l.replace(/\|122=[^|]*|\|11=.*$/g, ""));
    assert.deepEqual(got, want, `7=${b} 16=${e}`);
    assert.equal(t.state.nextTargetSeq, 3, `7=${b} 16=${e}`);
    assert.equal(t.state.pendingResend, undefined);
    if (b === "3") {
      const texts = t.lastActions.flatMap((a) => a.kind === "event" ? [a.event.text] : []);
      assert.ok(texts.includes("Nothing to resend: EndSeqNo 2 is below 3"), texts.join("\n"));
    }
  }
});

Deno.test("a Logon with HeartBtInt 0: no heartbeats; with zeroHeartBtIntCheckSec its silence is still checked (TestRequest, then disconnect)", () => {
  // The gateway's acceptor sets zeroHeartBtIntCheckSec to maxHeartBtIntSec (default 3600).
  const t = new Transcript({ config: { zeroHeartBtIntCheckSec: 60 } });
  t.logonAcceptor("35=A|34=1|98=0|108=0");
  // Our Logon answers with 108=0; we send no heartbeats. After 60 s x 1.2 of silence: a TestRequest.
  assert.equal(t.nextTickMs, T0 + 72_000);
  assert.deepEqual(t.advance(71_999), []);
  assert.deepEqual(t.advance(1), ["send admin 35=1|34=2|112=TEST"]);
  // Answered: the check starts again, still without heartbeats of ours.
  assert.deepEqual(t.recv("35=0|34=2|112=TEST"), ["persist-inbound 2"]);
  assert.equal(t.nextTickMs, t.nowMs + 72_000);
  assert.deepEqual(t.advance(72_000), ["send admin 35=1|34=3|112=TEST"]);
  // Unanswered: disconnected 72 s later.
  assert.deepEqual(t.advance(71_999), []);
  const lines = t.advance(1);
  assert.ok(lines.includes("disconnect Heartbeat timeout"), lines.join("\n"));
  // Without the setting (the machine's default), HeartBtInt 0 means no checks at all (heartbeat_test).
});

Deno.test("SequenceReset abuse: GapFill to 2^31 and the session goes on; Resets lower, repeated, never move the expected number back; NewSeqNo beyond the store rejected", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=4|34=2|43=Y|122=<TIME>|36=2147483648|123=Y"), [
    "persist-inbound 2",
    "store-seq target=2147483648",
  ]);
  assert.deepEqual(t.recv("35=0|34=2147483648"), ["persist-inbound 2147483648"]);
  assert.deepEqual(t.recv(peerOrder(2147483649)), ["persist-inbound 2147483649", "deliver D 2147483649"]);
  for (let i = 0; i < 100; i++) {
    const lines = t.recv("35=4|34=2147483650|36=3");
    assert.deepEqual(lines, [
      `send admin 35=3|34=${
        2 + i
      }|45=2147483650|58=Value is incorrect (out of range) for this tag|372=4|373=5`,
    ]);
  }
  assert.equal(t.state.nextTargetSeq, 2147483650);
  // GapFill (in sequence) lower than its own number, or beyond what the store holds: Reject, number taken.
  assert.deepEqual(t.recv("35=4|34=2147483650|43=Y|122=<TIME>|36=2147483650|123=Y"), [
    "persist-inbound 2147483650",
    "send admin 35=3|34=102|45=2147483650|58=Value is incorrect (out of range) for this tag|371=36|372=4|373=5",
  ]);
  assert.deepEqual(t.recv("35=4|34=2147483651|43=Y|122=<TIME>|36=9007199254740992|123=Y"), [
    "persist-inbound 2147483651",
    "send admin 35=3|34=103|45=2147483651|58=Value is incorrect (out of range) for this tag|371=36|372=4|373=5",
  ]);
  // SequenceReset-Reset beyond the store: rejected, nothing changes; the session still works.
  assert.deepEqual(t.recv("35=4|34=0|36=4294967296"), [
    "send admin 35=3|34=104|45=0|58=Value is incorrect (out of range) for this tag|371=36|372=4|373=5",
  ]);
  assert.deepEqual(t.recv("35=0|34=2147483652"), ["persist-inbound 2147483652"]);
});

Deno.test("the last number a store holds (2^32-1) can be the expected one but no message takes it: its next number, 2^32, would not be journaled", () => {
  const t = loggedOn();
  // A GapFill to 2^32-1 is accepted (the expected number is storable) ...
  assert.deepEqual(t.recv(`35=4|34=2|43=Y|122=<TIME>|36=${2 ** 32 - 1}|123=Y`), [
    "persist-inbound 2",
    `store-seq target=${2 ** 32 - 1}`,
  ]);
  // ... a message at it is out of range: Reject 373=5 on MsgSeqNum, nothing journaled, nothing consumed.
  assert.deepEqual(t.recv(`35=0|34=${2 ** 32 - 1}`), [
    `send admin 35=3|34=2|45=${
      2 ** 32 - 1
    }|58=Value is incorrect (out of range) for this tag|371=34|372=0|373=5`,
  ]);
  assert.deepEqual(t.recv(peerOrder(2 ** 32 - 1)).filter((l) => l.startsWith("persist")), []);
  assert.equal(t.state.nextTargetSeq, 2 ** 32 - 1);
});
