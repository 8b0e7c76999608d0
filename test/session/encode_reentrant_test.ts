/**
 * A send made from inside a message's own `writeBody` (while the session's encoder is in the middle of
 * that message) is refused with an Error; the message being encoded goes out whole under its number.
 * Before, the inner send was numbered and encoded in the same encoder: since 24f458b (the number taken
 * once the encoding returned) both came out as 34=2, and the inner message's bytes were written over by
 * the rest of the outer one ('...|40=1|11=oute').
 */
import assert from "node:assert/strict";
import type { FieldSink, FixMessage } from "../../src/codec/mod.ts";
import { sendAppNow } from "../../src/session/outbound.ts";
import { order, readable, Transcript } from "./harness.ts";

Deno.test("sendAppNow: a send from inside writeBody is refused; the message being encoded goes out whole with its number", () => {
  const t = new Transcript();
  t.logonAcceptor();
  assert.equal(t.state.nextSenderSeq, 2);
  const inner: string[] = [];
  const outer: FixMessage = {
    msgType: "D",
    fields: [[11, "outer"]],
    writeBody(out: FieldSink): boolean {
      try {
        const b = sendAppNow(t.state, order("inner"), t.nowMs, true);
        inner.push(b === undefined ? "undefined" : readable(b));
      } catch (e) {
        inner.push(`threw: ${(e as Error).message}`);
      }
      out.field(11, "outer");
      return true;
    },
  };
  const bytes = sendAppNow(t.state, outer, t.nowMs, true)!;
  assert.deepEqual(inner, [
    "threw: 35=D not sent: a send from inside another message's writeBody (send it after that send returns)",
  ]);
  assert.match(readable(bytes), /\|35=D\|34=2\|.*\|11=outer\|10=\d{3}\|$/);
  assert.equal(t.state.nextSenderSeq, 3);
  assert.match(readable(sendAppNow(t.state, order("next"), t.nowMs, true)!), /\|34=3\|.*\|11=next\|/);
});
