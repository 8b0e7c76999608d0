// A unit test of session logic with the pure session machine and a clock moved by hand: no socket, no
// timer, no sleep. `step(state, input, nowMs)` returns the actions the engine would carry out (frames to
// send, messages to store and deliver...), so a test feeds inputs and reads the frames.
// Run: ./deno test examples/session_step_test.ts   (test/examples/ runs it with the suite)
import assert from "node:assert/strict";
import {
  type Action,
  createSession,
  DEFAULT_SESSION_SETTINGS,
  fix44,
  formatTimestamp,
  MessageView,
  type SessionConfig,
  step,
} from "../src/mod.ts";

const config: SessionConfig = {
  ...DEFAULT_SESSION_SETTINGS,
  id: { beginString: "FIX.4.4", senderCompId: "CLIENT", targetCompId: "LP" },
  role: "initiator",
  heartbeatIntervalSec: 30,
};

/** An inbound frame from its fields after BodyLength, `|` for SOH: BeginString, BodyLength, CheckSum added. */
function inbound(fields: string): MessageView {
  const body = fields.replaceAll("|", "\x01");
  const head = `8=FIX.4.4\x019=${body.length}\x01`;
  let sum = 0;
  for (const c of head + body) sum += c.charCodeAt(0);
  const bytes = new TextEncoder().encode(`${head}${body}10=${String(sum % 256).padStart(3, "0")}\x01`);
  return new MessageView().parseInto(bytes, 0, bytes.length);
}

/** The frames a step sends, `|` for SOH. */
function sent(actions: Action[]): string[] {
  return actions.flatMap((a) =>
    a.kind === "send" ? [new TextDecoder().decode(a.bytes).replaceAll("\x01", "|")] : []
  );
}

Deno.test("logon, a heartbeat after 30 s of quiet, an order, and a ResendRequest for a gap", () => {
  let now = Date.UTC(2026, 11, 8, 9, 0, 0);
  const t = () => formatTimestamp(now);
  const session = createSession(config, { nextSenderSeq: 1, nextTargetSeq: 1 }, now);

  // Connected: the initiator sends its Logon.
  let r = step(session, { kind: "connected" }, now);
  assert.deepEqual(sent(r.actions), [
    `8=FIX.4.4|9=63|35=A|34=1|49=CLIENT|52=${t()}|56=LP|98=0|108=30|10=072|`,
  ]);

  // The counterparty's Logon: logged on, nothing to send.
  r = step(
    session,
    { kind: "message", view: inbound(`35=A|34=1|49=LP|52=${t()}|56=CLIENT|98=0|108=30|`) },
    now,
  );
  assert.deepEqual(sent(r.actions), []);
  assert.ok(r.actions.some((a) => a.kind === "logon"));
  assert.equal(r.nextTickMs, now + 30_000);

  // 30 s of quiet on our side: a Heartbeat at the tick.
  now += 30_000;
  r = step(session, { kind: "tick" }, now);
  assert.deepEqual(sent(r.actions), [`8=FIX.4.4|9=51|35=0|34=2|49=CLIENT|52=${t()}|56=LP|10=031|`]);

  // An order from the typed builder: MsgSeqNum 3, TransactTime written from epoch milliseconds.
  r = step(session, {
    kind: "send",
    message: fix44.NewOrderSingle.build({
      clOrdID: "o1",
      side: fix44.Side.Buy,
      transactTime: now,
      ordType: fix44.OrdType.Market,
    }),
  }, now);
  assert.deepEqual(sent(r.actions), [
    `8=FIX.4.4|9=92|35=D|34=3|49=CLIENT|52=${t()}|56=LP|11=o1|54=1|60=${t()}|40=1|10=232|`,
  ]);

  // The counterparty's MsgSeqNum 3 while 2 is expected: a ResendRequest for 2 onwards.
  r = step(session, { kind: "message", view: inbound(`35=0|34=3|49=LP|52=${t()}|56=CLIENT|`) }, now);
  assert.deepEqual(sent(r.actions), [`8=FIX.4.4|9=60|35=2|34=4|49=CLIENT|52=${t()}|56=LP|7=2|16=0|10=159|`]);
  assert.equal(session.nextTargetSeq, 2);
});
