/**
 * A counterparty that has logged on and then misbehaves (brief R10), against the pure session machine
 * with the manual clock: what it can make the session hold, and what it can make it do.
 */
import assert from "node:assert/strict";
import { Encoder } from "../../src/codec/mod.ts";
import { MAX_INBOUND_QUEUE_BYTES } from "../../src/session/mod.ts";
import { peerOrder, Transcript } from "./harness.ts";

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
