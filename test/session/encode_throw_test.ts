/**
 * A message whose encoding throws (a builder-style `writeBody` handing the encoder a timestamp outside
 * years 0000-9999, which the encoder refuses since d543bb9) takes no MsgSeqNum: the next message gets
 * the number it would have had, on the engine's fast path (`sendAppNow`) and through the machine's
 * "send" input alike. Before, the number was taken before encoding: a hole the counterparty had to
 * ask for and we could only gap-fill.
 */
import assert from "node:assert/strict";
import type { FieldSink, FixMessage } from "../../src/codec/mod.ts";
import { sendAppNow } from "../../src/session/outbound.ts";
import { order, readable, Transcript } from "./harness.ts";

/** A message whose body writer hands the encoder year 10000 (TransactTime). */
function badTimestamp(): FixMessage {
  return {
    msgType: "D",
    fields: [[11, "bad"]],
    writeBody(out: FieldSink): boolean {
      out.field(11, "bad");
      out.timestamp(60, 253402300800000);
      return true;
    },
  };
}

function loggedOn(): Transcript {
  const t = new Transcript();
  t.logonAcceptor();
  return t;
}

Deno.test("sendAppNow: an encoding that throws takes no MsgSeqNum; the next message gets it", () => {
  const t = loggedOn();
  const before = t.state.nextSenderSeq;
  assert.equal(before, 2);
  assert.throws(() => sendAppNow(t.state, badTimestamp(), t.nowMs, true), RangeError);
  assert.equal(t.state.nextSenderSeq, before);
  const bytes = sendAppNow(t.state, order("ok-1"), t.nowMs, true);
  assert.ok(bytes !== undefined);
  assert.match(readable(bytes), /\|34=2\|/);
  assert.equal(t.state.nextSenderSeq, 3);
});

Deno.test("send input: an encoding that throws takes no MsgSeqNum; the next message gets it", () => {
  const t = loggedOn();
  assert.throws(() => t.send(badTimestamp()), RangeError);
  assert.equal(t.state.nextSenderSeq, 2);
  assert.deepEqual(t.send(order("ok-2")), [
    "send app 35=D|34=2|11=ok-2|21=1|55=INTC|54=1|60=20240115-12:00:00.000|38=100|40=1",
  ]);
});
