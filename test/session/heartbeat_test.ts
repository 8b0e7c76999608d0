/** Transcript tests of heartbeats and TestRequests: cases 4a, 4b, 6, and the timer settings. */
import assert from "node:assert/strict";
import { order, T0, Transcript } from "./harness.ts";

function loggedOn(o: ConstructorParameters<typeof Transcript>[0] = {}): Transcript {
  const t = new Transcript(o);
  t.logonAcceptor();
  return t;
}

Deno.test("case 4a: nothing sent for HeartBtInt -> Heartbeat", () => {
  const t = loggedOn();
  assert.equal(t.nextTickMs, T0 + 30_000);
  t.nowMs = T0 + 20_000;
  t.recv("35=0|34=2"); // the peer talks: only our silence counts for 4a
  assert.deepEqual(t.advance(9_999), []);
  assert.deepEqual(t.advance(1), ["send admin 35=0|34=2"]);
  assert.equal(t.nextTickMs, T0 + 20_000 + 36_000, "next: the peer's silence");
});

Deno.test("case 4a: any message we send restarts our heartbeat interval", () => {
  const t = loggedOn();
  t.nowMs = T0 + 10_000;
  t.send(order("A"));
  t.recv("35=0|34=2");
  assert.equal(t.nextTickMs, T0 + 40_000);
  t.nowMs = T0 + 30_000;
  assert.deepEqual(t.input({ kind: "tick" }), []);
  assert.deepEqual(t.tickNext(), ["send admin 35=0|34=3"]);
  assert.equal(t.nowMs, T0 + 40_000);
});

Deno.test("case 4b: TestRequest received -> Heartbeat echoing TestReqID", () => {
  const t = loggedOn();
  assert.deepEqual(t.recv("35=1|34=2|112=HELLO-1"), [
    "persist-inbound 2",
    "send admin 35=0|34=2|112=HELLO-1",
  ]);
});

Deno.test("case 6: silence for HeartBtInt x 1.2 -> TestRequest; unanswered for another interval (no Heartbeat meanwhile) -> disconnect", () => {
  const t = loggedOn();
  assert.deepEqual(t.tickNext(), ["send admin 35=0|34=2"]);
  assert.equal(t.nowMs, T0 + 30_000);
  assert.deepEqual(t.tickNext(), ["send admin 35=1|34=3|112=TEST"]);
  assert.equal(t.nowMs, T0 + 36_000);
  assert.ok(t.lastEvents.includes("test-request"));
  // No Heartbeat while the TestRequest is unanswered (as the QuickFIX family, issue 13.11).
  assert.deepEqual(t.tickNext(), ["disconnect Heartbeat timeout", "logout Heartbeat timeout"]);
  assert.equal(t.nowMs, T0 + 72_000);
  assert.ok(t.lastEvents.includes("heartbeat-timeout"));
  assert.equal(t.phase, "disconnected");
});

Deno.test("case 6: the Heartbeat answering our TestRequest keeps the session", () => {
  const t = loggedOn();
  t.nowMs = T0 + 36_000;
  assert.deepEqual(t.input({ kind: "tick" }), ["send admin 35=1|34=2|112=TEST"]);
  t.nowMs = T0 + 40_000;
  assert.deepEqual(t.recv("35=0|34=2|112=TEST"), ["persist-inbound 2"]);
  assert.equal(t.state.testRequestId, undefined);
  assert.equal(t.nextTickMs, T0 + 66_000, "our heartbeat is next (TestRequest sent at 36 s)");
  t.nowMs = T0 + 71_999;
  assert.deepEqual(t.input({ kind: "tick" }), ["send admin 35=0|34=3"]);
  assert.equal(t.phase, "active");
  // A second silence: another TestRequest (the same TestReqID, as QuickFIX).
  t.nowMs = T0 + 40_000 + 36_000;
  assert.deepEqual(t.input({ kind: "tick" }), ["send admin 35=1|34=4|112=TEST"]);
});

Deno.test("testRequestDelayFactor and HeartBtInt=0", () => {
  const t = loggedOn({ config: { testRequestDelayFactor: 1.5 } });
  t.nowMs = T0 + 30_000;
  t.input({ kind: "tick" });
  assert.equal(t.nextTickMs, T0 + 45_000);
  assert.deepEqual(t.tickNext(), ["send admin 35=1|34=3|112=TEST"]);
  const u = new Transcript();
  u.logonAcceptor("35=A|34=1|98=0|108=0");
  assert.equal(u.nextTickMs, undefined, "no heartbeats at HeartBtInt=0");
  assert.deepEqual(u.advance(3_600_000), []);
});

Deno.test("the initiator uses its own HeartBtInt", () => {
  const t = new Transcript({ role: "initiator", config: { heartbeatIntervalSec: 10 } });
  t.logonInitiator("35=A|34=1|98=0|108=10");
  assert.equal(t.nextTickMs, T0 + 10_000);
  assert.deepEqual(t.tickNext(), ["send admin 35=0|34=2"]);
});
