/**
 * Issue 13: the session layer byte for byte like the QuickFIX family (transcripts with a manual clock).
 * Each test names the item of the issue it covers.
 */
import assert from "node:assert/strict";
import { Transcript } from "./harness.ts";

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
