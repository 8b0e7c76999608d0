/**
 * Logon both ways (cases 1B, 1S a–d, 2S), NextExpectedMsgSeqNum (789), and the mid-session reset
 * with Logon 141=Y (case 9).
 *
 * Before a session exists (acceptor waiting for the first Logon) nothing is ever sent for a bad or
 * refused Logon: a message would consume a sequence number of a session the peer may not own. That
 * includes a Logon the authentication hook refuses (case 1S c): the reason goes to the event log only.
 */
import { type MessageView, Tag } from "../codec/mod.ts";
import { MAX_STORE_SEQ } from "../codec/stored.ts";
import { onSeqTooHigh } from "./gap.ts";
import type { SeqStep } from "./inbound_step.ts";
import { beginStringMatches, compIdProblem, sendingTimeStatus, TIME_MISSING, TIME_OK } from "./header.ts";
import { logoutAndDisconnect, tooLowHint } from "./logout.ts";
import { sendLogon } from "./messages.ts";
import { flushOutbound } from "./outbound.ts";
import { validationProblem } from "./reject.ts";
import { startResend } from "./resend.ts";
import {
  type AwaitingLogonState,
  clearConnection,
  consume,
  disconnect,
  emitEvent,
  type LoggedOnState,
  type LogonSentState,
  type Out,
  resetNumbers,
  type SessionState,
  setPhase,
  toActive,
} from "./state.ts";

/** The text of the Logout for a MsgSeqNum below the expected one (case 2c). */
export function seqTooLowText(expected: number, received: number): string {
  return `MsgSeqNum too low, expecting ${expected} but received ${received}`;
}

/** The transport connected: an initiator sends its Logon; an acceptor waits for one. */
export function onConnected(s: SessionState, out: Out, nowMs: number): void {
  clearConnection(s);
  const c = s.config;
  s.lastReceivedMs = nowMs;
  s.logonDeadlineMs = nowMs + c.logonTimeoutMs;
  if (c.role === "acceptor") {
    setPhase(s, "awaiting-logon");
    return;
  }
  if (c.resetOnLogon) resetNumbers(s, out);
  setHeartbeat(s, c.heartbeatIntervalSec);
  setPhase(s, "logon-sent");
  const o = {
    heartBtIntSec: c.heartbeatIntervalSec,
    resetSeqNum: c.resetOnLogon,
    credentials: true,
  };
  s.ourLogonSeq = sendLogon(
    s,
    out,
    nowMs,
    c.enableNextExpectedMsgSeqNum ? { ...o, nextExpected: s.nextTargetSeq } : o,
  );
  emitEvent(out, "info", "logon", `Logon sent (MsgSeqNum ${s.ourLogonSeq})`, {
    seq: s.ourLogonSeq,
    resetSeqNumFlag: c.resetOnLogon,
  });
}

function setHeartbeat(s: SessionState, heartBtIntSec: number): void {
  s.heartbeatIntervalMs = heartBtIntSec * 1000;
  // HeartBtInt 0: no heartbeats of ours, the peer's silence checked at zeroHeartBtIntCheckSec (if set).
  const checkSec = heartBtIntSec === 0 ? (s.config.zeroHeartBtIntCheckSec ?? 0) : heartBtIntSec;
  s.testRequestDelayMs = Math.ceil(checkSec * 1000 * s.config.testRequestDelayFactor);
}

/** What makes a Logon unusable, or undefined (1S d: BeginString, MsgSeqNum, CompIDs, SendingTime, 108, 98, dictionary). */
function logonProblem(s: SessionState, view: MessageView, nowMs: number): string | undefined {
  if (!beginStringMatches(s, view)) return "Incorrect BeginString";
  if (view.seqNum <= 0 || view.seqNum >= MAX_STORE_SEQ) return "MsgSeqNum missing or invalid";
  if (s.config.checkCompId && compIdProblem(s, view) !== 0) return "CompID problem";
  const t = sendingTimeStatus(s, view, nowMs);
  if (t !== TIME_OK) return t === TIME_MISSING ? "SendingTime missing" : "SendingTime accuracy problem";
  const hb = view.getInt(Tag.HeartBtInt);
  if (hb === undefined || hb < 0) return "HeartBtInt missing or invalid";
  if (view.getInt(Tag.EncryptMethod) !== 0) return "EncryptMethod must be 0 (none)";
  const r = validationProblem(s, view, "A");
  if (r !== undefined) {
    return `Invalid Logon: ${r.text}${r.refTagId === undefined ? "" : ` (tag ${r.refTagId})`}`;
  }
  return undefined;
}

function refuse(s: SessionState, out: Out, why: string, hint = ""): void {
  emitEvent(out, "warn", "logon-refused", why + hint);
  disconnect(s, out, `Logon refused: ${why}`);
}

/** Acceptor: the first message on the connection (cases 1S a/c/d, 2S). */
export function onAcceptorLogon(s: AwaitingLogonState, out: Out, nowMs: number, view: MessageView): void {
  s.lastReceivedMs = nowMs;
  const msgType = view.msgType;
  if (msgType !== "A") {
    refuse(s, out, `first message is not a Logon (35=${msgType})`);
    return;
  }
  const problem = logonProblem(s, view, nowMs);
  if (problem !== undefined) {
    refuse(s, out, problem);
    return;
  }
  const seq = view.seqNum;
  const reset = view.getChar(Tag.ResetSeqNumFlag) === "Y";
  if (reset || s.config.resetOnLogon) {
    resetNumbers(s, out);
  } else if (seq < s.nextTargetSeq) {
    logoutAndDisconnect(s, out, nowMs, seqTooLowText(s.nextTargetSeq, seq));
    return;
  }
  const peerExpects = peerExpected(s, out, nowMs, view, s.nextSenderSeq);
  if (peerExpects === null) return;
  const hb = view.getInt(Tag.HeartBtInt)!;
  setHeartbeat(s, hb);
  const active = toActive(s);
  if (seq === active.nextTargetSeq) consume(active, out, view, seq);
  // 141=Y only when the peer asked: our own resetOnLogon resets silently (an unsolicited 141=Y would tell
  // the peer to throw its numbers away), as the QuickFIX family does.
  answerLogon(active, out, nowMs, view, hb, reset);
  completeLogon(active, out, nowMs, view, seq, peerExpects);
}

/** Initiator: the reply to our Logon (case 1B). */
export function onInitiatorLogonReply(s: LogonSentState, out: Out, nowMs: number, view: MessageView): void {
  s.lastReceivedMs = nowMs;
  const msgType = view.msgType;
  if (msgType !== "A") {
    const text = msgType === "5" ? view.getString(Tag.Text) : undefined;
    refuse(
      s,
      out,
      msgType === "5"
        ? `peer answered our Logon with a Logout${text ? `: ${text}` : ""}`
        : `first reply is not a Logon (35=${msgType})`,
      tooLowHint(text),
    );
    return;
  }
  const problem = logonProblem(s, view, nowMs);
  if (problem !== undefined) {
    emitEvent(out, "warn", "logon-refused", `Invalid Logon reply: ${problem}`);
    logoutAndDisconnect(s, out, nowMs, problem);
    return;
  }
  const seq = view.seqNum;
  const reset = view.getChar(Tag.ResetSeqNumFlag) === "Y";
  if (reset && !s.config.resetOnLogon) {
    // The peer restarts both numbers although we did not ask: our Logon counts as its number 1.
    emitEvent(out, "warn", "sequence-reset", "Peer reset sequence numbers in its Logon reply (141=Y)");
    resetNumbers(s, out);
    s.nextSenderSeq = 2;
    s.ourLogonSeq = 1;
    out.push({ kind: "store-seq", nextSenderSeq: 2 });
  } else if (!reset && seq < s.nextTargetSeq) {
    logoutAndDisconnect(s, out, nowMs, seqTooLowText(s.nextTargetSeq, seq));
    return;
  }
  const peerExpects = peerExpected(s, out, nowMs, view, s.ourLogonSeq + 1);
  if (peerExpects === null) return;
  const active = toActive(s);
  if (seq === active.nextTargetSeq) consume(active, out, view, seq);
  completeLogon(active, out, nowMs, view, seq, peerExpects);
}

/**
 * The peer's NextExpectedMsgSeqNum (789) in its Logon when the session uses it (else undefined), or null
 * when it is above `most`, the next number we can have sent: the session then logs out and disconnects.
 */
function peerExpected(
  s: SessionState,
  out: Out,
  nowMs: number,
  view: MessageView,
  most: number,
): number | undefined | null {
  if (!s.config.enableNextExpectedMsgSeqNum) return undefined;
  const received = view.getInt(Tag.NextExpectedMsgSeqNum);
  if (received === undefined || received <= most) return received;
  logoutAndDisconnect(
    s,
    out,
    nowMs,
    `NextExpectedMsgSeqNum too high, expecting at most ${most} but received ${received}`,
  );
  return null;
}

/** Logged on: tell the application, ask for a gap, resend what 789 says the peer missed, flush the queue. */
function completeLogon(
  s: LoggedOnState,
  out: Out,
  nowMs: number,
  view: MessageView,
  seq: number,
  peerExpects: number | undefined,
): void {
  s.loggedOn = true;
  s.testRequestId = undefined;
  emitEvent(out, "info", "logon", "Logged on", {
    nextSenderSeq: s.nextSenderSeq,
    nextTargetSeq: s.nextTargetSeq,
    heartBtInt: s.heartbeatIntervalMs / 1000,
  });
  out.push({ kind: "logon" });
  // Beyond a gap (1B, 1S a): the Logon is held as served and the gap before it requested.
  if (seq > s.nextTargetSeq) onSeqTooHigh(s, out, nowMs, view, seq, true);
  if (peerExpects !== undefined && peerExpects < s.ourLogonSeq) {
    emitEvent(
      out,
      "info",
      "resend",
      `Peer expects ${peerExpects} (789): resending up to ${s.ourLogonSeq - 1}`,
    );
    startResend(s, out, peerExpects, s.ourLogonSeq - 1);
  }
  flushOutbound(s, out, nowMs);
}

/**
 * A Logon with 141=Y while logged on (case 9): the answer to our reset, or the peer resetting, which
 * we answer with our own Logon 141=Y. Both sides restart at 1.
 */
export const onResetLogon: SeqStep = (s, out, nowMs, view, seq) => {
  if (s.resetSent) {
    s.resetSent = false;
    emitEvent(out, "info", "sequence-reset", "Sequence numbers reset: the peer answered our Logon 141=Y");
    takeResetLogonNumber(s, out, nowMs, view, seq);
    return;
  }
  emitEvent(out, "info", "sequence-reset", "The peer reset sequence numbers (Logon 141=Y)");
  resetNumbers(s, out);
  takeResetLogonNumber(s, out, nowMs, view, seq);
  answerLogon(s, out, nowMs, view, s.heartbeatIntervalMs / 1000, true);
};

/**
 * Our Logon answering the peer's (acceptor logon, or a reset Logon of theirs): no credentials; FIXT.1.1
 * needs DefaultApplVerID on a Logon, so without one configured the peer's is answered; 789 when enabled.
 */
function answerLogon(
  s: LoggedOnState,
  out: Out,
  nowMs: number,
  view: MessageView,
  heartBtIntSec: number,
  resetSeqNum: boolean,
): void {
  const peerApplVer = s.config.defaultApplVerId === undefined
    ? view.getString(Tag.DefaultApplVerID)
    : undefined;
  const o = peerApplVer === undefined
    ? { heartBtIntSec, resetSeqNum, credentials: false }
    : { heartBtIntSec, resetSeqNum, credentials: false, defaultApplVerId: peerApplVer };
  s.ourLogonSeq = sendLogon(
    s,
    out,
    nowMs,
    s.config.enableNextExpectedMsgSeqNum ? { ...o, nextExpected: s.nextTargetSeq } : o,
  );
}

const takeResetLogonNumber: SeqStep = (s, out, nowMs, view, seq) => {
  if (seq === s.nextTargetSeq) consume(s, out, view, seq);
  else if (seq > s.nextTargetSeq) onSeqTooHigh(s, out, nowMs, view, seq, true);
};

/**
 * Operator reset (`reset` input): Logon 141=Y when active (case 9), else both numbers to 1 at once. With
 * our Logon or Logout out on the connection (logon-sent, logout-sent), its old numbers reached the
 * counterparty and no Logon 141=Y can follow there: that connection is closed (the next Logon is 1).
 */
export function startReset(s: SessionState, out: Out, nowMs: number): void {
  resetNumbers(s, out);
  if (s.phase === "logon-sent" || s.phase === "logout-sent") {
    emitEvent(out, "info", "sequence-reset", "Sequence numbers reset to 1: closing the connection");
    disconnect(s, out, "sequence numbers reset while our Logon or Logout was out");
    return;
  }
  if (s.phase !== "active") {
    emitEvent(out, "info", "sequence-reset", "Sequence numbers reset to 1");
    return;
  }
  emitEvent(out, "info", "sequence-reset", "Resetting sequence numbers: Logon 141=Y sent");
  const o = {
    heartBtIntSec: s.heartbeatIntervalMs / 1000,
    resetSeqNum: true,
    credentials: s.config.role === "initiator",
  };
  s.ourLogonSeq = sendLogon(
    s,
    out,
    nowMs,
    s.config.enableNextExpectedMsgSeqNum ? { ...o, nextExpected: 1 } : o,
  );
  s.resetSent = true;
}
