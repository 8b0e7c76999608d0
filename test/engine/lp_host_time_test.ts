/**
 * The LP host handles an inbound message at its session's time (`SessionHandle.nowMs`: the read's, the
 * time the session stamps SendingTime with), not with a clock read of its own per message; a handle
 * without that time (an attached library's) gets the host's clock.
 */
import assert from "node:assert/strict";
import type { FixMessage } from "../../src/codec/mod.ts";
import { LpSimulator } from "../../src/app/lp/mod.ts";
import { ManualScheduler } from "../../src/clock.ts";
import type { SendResult, SessionHandle } from "../../src/engine/application.ts";
import { LpHost } from "../../src/engine/lp_host.ts";
import type { SessionRunner } from "../../src/engine/session_runner.ts";
import type { SessionId } from "../../src/session/types.ts";
import { get } from "../app/helpers.ts";
import { nos, START, testConfig } from "../app/lp_helpers.ts";

/** A host on a manual clock at START whose one session `A` records what it is sent. */
function hostWithSession(sessionNowMs: (() => number) | undefined) {
  const clock = new ManualScheduler(START);
  const sent: FixMessage[] = [];
  const fake = {
    key: "A",
    id: { beginString: "FIX.4.4", senderCompId: "LP", targetCompId: "CLIENT_A" } as SessionId,
    loggedOn: true,
    send(m: FixMessage): SendResult {
      sent.push(m);
      return { kind: "sent", seq: sent.length };
    },
    whenWritable: () => Promise.resolve(),
    logout() {},
    ...(sessionNowMs !== undefined ? { nowMs: sessionNowMs } : {}),
  };
  const handle: SessionHandle = fake;
  const host = new LpHost(new LpSimulator(testConfig(), START), () => fake as unknown as SessionRunner, {
    scheduler: clock,
  });
  return { clock, sent, handle, host };
}

Deno.test("LpHost: an order is handled at the session's time (the read's): the ack's TransactTime is that time", () => {
  const t = hostWithSession(() => START + 1_234);
  t.host.onLogon(t.handle);
  t.host.onMessage(nos("C1", "1", 100, "99.00"), t.handle);
  assert.equal(t.sent.length, 1);
  assert.equal(t.sent[0]!.msgType, "8");
  assert.equal(get(t.sent[0]!, 150), "0");
  assert.equal(get(t.sent[0]!, 60), "20260310-14:00:01.234");
  assert.equal(t.clock.nowMs(), START, "the host's own clock did not move");
  t.host.stop();
});

Deno.test("LpHost: a handle without a time of its own (an attached library's): the host's clock", () => {
  const t = hostWithSession(undefined);
  t.host.onLogon(t.handle);
  t.clock.advanceTo(START + 77);
  t.host.onMessage(nos("C1", "1", 100, "99.00"), t.handle);
  assert.equal(t.sent.length, 1);
  assert.equal(get(t.sent[0]!, 60), "20260310-14:00:00.077");
  t.host.stop();
});
