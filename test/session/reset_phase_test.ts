/**
 * Operator reset (the `reset` input: RESET, the admin endpoint's reset) while a connection carries our
 * messages but the session is not logged on: our Logon (logon-sent) or Logout (logout-sent) is on the
 * wire with the old numbers, and no Logon 141=Y can follow on that connection. Numbering again from 1
 * there would send a MsgSeqNum below one the counterparty has just seen ("MsgSeqNum too low"), so the
 * connection is closed and the numbers are reset as when disconnected (the next Logon is MsgSeqNum 1).
 */
import assert from "node:assert/strict";
import { Transcript } from "./harness.ts";

Deno.test("reset while our Logon is out: numbers to 1 and the connection closed, never MsgSeqNum 1 after 50 on it", () => {
  const t = new Transcript({ role: "initiator", seq: { nextSenderSeq: 50, nextTargetSeq: 80 } });
  assert.deepEqual(t.connect(), ["send admin 35=A|34=50|98=0|108=30"]);
  assert.deepEqual(t.input({ kind: "reset" }), [
    "store-reset",
    "disconnect sequence numbers reset while our Logon or Logout was out",
  ]);
  assert.equal(t.phase, "disconnected");
  assert.deepEqual([t.state.nextSenderSeq, t.state.nextTargetSeq], [1, 1]);
  // The next connection starts at 1.
  assert.deepEqual(t.connect(), ["send admin 35=A|34=1|98=0|108=30"]);
});

Deno.test("reset while our Logout is out: numbers to 1 and the connection closed, nothing more numbered on it", () => {
  const t = new Transcript({ role: "initiator", seq: { nextSenderSeq: 50, nextTargetSeq: 80 } });
  t.connect();
  t.recv("35=A|34=80|98=0|108=30");
  assert.deepEqual(t.input({ kind: "logout" }), ["send admin 35=5|34=51"]);
  assert.deepEqual(t.input({ kind: "reset" }), [
    "store-reset",
    "disconnect sequence numbers reset while our Logon or Logout was out",
    "logout sequence numbers reset while our Logon or Logout was out",
  ]);
  assert.equal(t.phase, "disconnected");
  assert.deepEqual([t.state.nextSenderSeq, t.state.nextTargetSeq], [1, 1]);
});

Deno.test("reset before anything of ours is on the connection (acceptor awaiting the Logon): at once, connection kept", () => {
  const t = new Transcript({ role: "acceptor", seq: { nextSenderSeq: 50, nextTargetSeq: 80 } });
  t.connect();
  assert.equal(t.phase, "awaiting-logon");
  assert.deepEqual(t.input({ kind: "reset" }), ["store-reset"]);
  assert.equal(t.phase, "awaiting-logon");
  assert.deepEqual(t.logonAcceptor("35=A|34=1|98=0|108=30"), [
    "persist-inbound 1",
    "send admin 35=A|34=1|98=0|108=30",
    "logon",
  ]);
});
