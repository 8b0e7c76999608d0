/**
 * Time in the session, as data: deadlines are fields of the state, a `tick` input checks them, and
 * every step returns the next time the machine wants a tick. No clock is read here.
 *
 *  - Heartbeat after HeartBtInt of our silence (4a), none while our TestRequest is unanswered.
 *  - TestRequest after HeartBtInt x testRequestDelayFactor of theirs; disconnect when that much more
 *    passes without a message (6).
 *  - Logon timeout (awaiting-logon, logon-sent) and Logout timeout (logout-sent, 12).
 */
import { sendHeartbeat, sendTestRequest } from "./messages.ts";
import { disconnect, emitEvent, type Out, type SessionState } from "./state.ts";

/** Acts on every deadline that has passed at `nowMs`. */
export function onTick(s: SessionState, out: Out, nowMs: number): void {
  switch (s.phase) {
    case "awaiting-logon":
    case "logon-sent":
      if (nowMs >= s.logonDeadlineMs) {
        emitEvent(out, "warn", "logon-timeout", `No Logon within ${s.config.logonTimeoutMs} ms`);
        disconnect(s, out, "Logon timeout");
      }
      return;
    case "logout-sent":
      if (nowMs >= s.logoutDeadlineMs) {
        emitEvent(out, "warn", "logout-timeout", `No Logout reply within ${s.config.logoutTimeoutMs} ms`);
        disconnect(s, out, "Logout timeout", true);
      }
      return;
    case "active":
      heartbeatCheck(s, out, nowMs);
      return;
    case "disconnected":
      return;
  }
}

/** The TestReqID (112) of every TestRequest we send. */
export const TEST_REQ_ID = "TEST";

function heartbeatCheck(s: SessionState, out: Out, nowMs: number): void {
  const hb = s.heartbeatIntervalMs;
  const delay = s.testRequestDelayMs;
  // HeartBtInt 0: no heartbeats; the peer's silence only when zeroHeartBtIntCheckSec gave a delay.
  if (delay <= 0) return;
  if (s.testRequestId !== undefined) {
    if (nowMs - s.testRequestSentMs >= delay) {
      const text = `No message for ${nowMs - s.lastReceivedMs} ms, TestRequest ${s.testRequestId} unanswered`;
      emitEvent(out, "error", "heartbeat-timeout", text, { testReqId: s.testRequestId });
      disconnect(s, out, "Heartbeat timeout");
      return;
    }
  } else if (nowMs - s.lastReceivedMs >= delay) {
    // TestReqID "TEST", the QuickFIX family's choice (any text will do: the spec leaves it open).
    s.testRequestCount++;
    const id = TEST_REQ_ID;
    emitEvent(
      out,
      "info",
      "test-request",
      `No message for ${nowMs - s.lastReceivedMs} ms: TestRequest ${id}`,
      {
        testReqId: id,
      },
    );
    sendTestRequest(s, out, nowMs, id);
    s.testRequestId = id;
    s.testRequestSentMs = nowMs;
  }
  // No Heartbeat while our TestRequest is unanswered, as the QuickFIX family (its heartbeat timer
  // waits for the answer; the timeout comes at 2.4 x HeartBtInt of silence).
  if (hb > 0 && s.testRequestId === undefined && nowMs - s.lastSentMs >= hb) sendHeartbeat(s, out, nowMs);
}

/** The next time the machine wants a `tick`, epoch ms, or undefined when no deadline is pending. */
export function nextTickMs(s: SessionState): number | undefined {
  switch (s.phase) {
    case "awaiting-logon":
    case "logon-sent":
      return s.logonDeadlineMs;
    case "logout-sent":
      return s.logoutDeadlineMs;
    case "active": {
      const hb = s.heartbeatIntervalMs;
      if (s.testRequestDelayMs <= 0) return undefined;
      if (s.testRequestId !== undefined) return s.testRequestSentMs + s.testRequestDelayMs;
      const peerDue = s.lastReceivedMs + s.testRequestDelayMs;
      if (hb <= 0) return peerDue;
      const heartbeatDue = s.lastSentMs + hb;
      return heartbeatDue < peerDue ? heartbeatDue : peerDue;
    }
    case "disconnected":
      return undefined;
  }
}
