/** Transcript tests of logout and the reset settings: cases 12, 13, ResetOnLogout, ResetOnDisconnect. */
import assert from "node:assert/strict";
import { order, orderBody, peerOrder, T0, Transcript } from "./harness.ts";

function loggedOn(o: ConstructorParameters<typeof Transcript>[0] = {}): Transcript {
  const t = new Transcript(o);
  t.logonAcceptor();
  return t;
}

Deno.test("case 12: we initiate Logout, wait for the reply, then disconnect", () => {
  const t = loggedOn();
  assert.deepEqual(t.input({ kind: "logout", text: "end of day" }), ["send admin 35=5|34=2|58=end of day"]);
  assert.equal(t.phase, "logout-sent");
  assert.equal(t.nextTickMs, T0 + 2_000);
  // Still logged on while waiting: application messages are delivered, our sends wait.
  assert.deepEqual(t.recv(peerOrder(2)), ["persist-inbound 2", "deliver D 2"]);
  assert.deepEqual(t.send(order("LATE")), []);
  assert.deepEqual(t.recv("35=5|34=3"), [
    "persist-inbound 3",
    "disconnect Logout acknowledged",
    "logout Logout acknowledged",
  ]);
  assert.equal(t.phase, "disconnected");
  assert.equal(t.state.outboundQueue.length, 1, "kept for the next logon (case 16)");
});

Deno.test("case 12: no Logout reply within logoutTimeoutMs -> disconnect", () => {
  const t = loggedOn({ config: { logoutTimeoutMs: 5_000 } });
  t.input({ kind: "logout" });
  assert.deepEqual(t.sentLog.at(-1), "35=5|34=2");
  assert.deepEqual(t.advance(4_999), []);
  assert.deepEqual(t.advance(1), ["disconnect Logout timeout", "logout Logout timeout"]);
  assert.ok(t.lastEvents.includes("logout-timeout"));
});

Deno.test("case 13: Logout received -> answered with Logout, then disconnect", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=5|34=2|58=bye"), [
    "persist-inbound 2",
    "send admin 35=5|34=2",
    "disconnect Logout received: bye",
    "logout Logout received: bye",
  ]);
});

Deno.test("case 13: a Logout beyond a gap is answered at once", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=5|34=9"), [
    "send admin 35=5|34=2",
    "disconnect Logout received",
    "logout Logout received",
  ]);
  assert.equal(t.state.nextTargetSeq, 2);
});

Deno.test("logout input before logon completes -> disconnect without a message", () => {
  const t = new Transcript({ role: "initiator" });
  t.connect();
  assert.deepEqual(t.input({ kind: "logout" }), ["disconnect Logout requested before logon"]);
  const u = new Transcript();
  assert.deepEqual(u.input({ kind: "logout" }), [], "not connected: nothing to do");
});

Deno.test("ResetOnLogout: both numbers back to 1 after a Logout exchange", () => {
  const t = loggedOn({ config: { resetOnLogout: true } });
  t.input({ kind: "logout" });
  assert.deepEqual(t.recv("35=5|34=2"), [
    "persist-inbound 2",
    "disconnect Logout acknowledged",
    "logout Logout acknowledged",
    "store-reset",
  ]);
  assert.deepEqual([t.state.nextSenderSeq, t.state.nextTargetSeq], [1, 1]);
  const u = loggedOn({ config: { resetOnLogout: true } });
  assert.deepEqual(u.recv("35=5|34=2").at(-1), "store-reset");
  // Not after a protocol error or a dropped connection.
  const v = loggedOn({ config: { resetOnLogout: true } });
  assert.deepEqual(v.drop(), ["logout Transport closed: peer closed"]);
  assert.deepEqual([v.state.nextSenderSeq, v.state.nextTargetSeq], [2, 2]);
});

Deno.test("ResetOnDisconnect: both numbers back to 1 whenever the connection ends", () => {
  const t = loggedOn({ config: { resetOnDisconnect: true } });
  assert.deepEqual(t.drop(), ["logout Transport closed: peer closed", "store-reset"]);
  assert.deepEqual([t.state.nextSenderSeq, t.state.nextTargetSeq], [1, 1]);
  const u = loggedOn({ config: { resetOnDisconnect: true } });
  // A Reject that ends the session (SendingTime): the Logout process, then the timeout closes.
  u.recv("35=0|34=5|52=<TIME-500>");
  assert.deepEqual(u.advance(2_000).slice(-2), ["logout Logout timeout", "store-reset"]);
});

Deno.test("the transport closing ends the session for the application and keeps numbers", () => {
  const t = loggedOn();
  t.recv("35=0|34=2");
  assert.deepEqual(t.drop("reset by peer"), ["logout Transport closed: reset by peer"]);
  assert.ok(t.lastEvents.includes("disconnect"));
  assert.deepEqual([t.state.nextSenderSeq, t.state.nextTargetSeq], [2, 3]);
  assert.deepEqual(t.drop(), [], "a second close is a no-op");
  // The next logon continues the numbers.
  t.connect();
  assert.deepEqual(t.recv("35=A|34=3|98=0|108=30"), [
    "persist-inbound 3",
    "send admin 35=A|34=2|98=0|108=30",
    "logon",
  ]);
  assert.deepEqual(t.send(order("A")), [`send app 35=D|34=3|${orderBody("A")}`]);
});
