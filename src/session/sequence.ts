/**
 * Inbound messages while logged on: header checks, sequence numbers (cases 2a–2g, 10, 11), the
 * queue beyond a gap, and dispatch by MsgType in MsgSeqNum order.
 *
 * Order of the checks (the first problem wins):
 *  1. BeginString (2i: Logout "Incorrect BeginString", disconnect)
 *  2. MsgSeqNum present (else Logout, disconnect: the spec's answer to a missing MsgSeqNum)
 *  3. CompIDs when checkCompId (2k: Reject 373=9, Logout, disconnect)
 *  4. SendingTime a UTC timestamp within maxLatencySec when checkLatency (2o: Reject 373=10, Logout, disconnect)
 *  5. numbers: SequenceReset-Reset and Logon 141=Y ignore them; too high: queue and ResendRequest
 *     (a Logout or a ResendRequest beyond a gap is acted on at once); too low: PossDup rules or 2c
 *  6. in order: required header fields, PossDup rules (2f/2g), dictionary validation (14a–i, 2q),
 *     then the message itself; unsupported application types get BusinessMessageReject (2r)
 */
import { ADMIN_MSG_TYPES, type MessageView, MsgType, Tag } from "../codec/mod.ts";
import { reject, type RejectInfo, SessionRejectReason } from "../dictionary/reject.ts";
import { checkResendProgress, dropQueuedBelow, onSeqTooHigh, queuedBytes, queueInbound } from "./gap.ts";
import { beginStringMatches, compIdProblem, sendingTimeStatus, TIME_BAD } from "./header.ts";
import { onResetLogon, seqTooLowText } from "./logon.ts";
import { logoutAndDisconnect, onLogoutReceived, startLogout } from "./logout.ts";
import { sendHeartbeat, sendReject } from "./messages.ts";
import {
  missingHeaderField,
  possDupProblem,
  rejectInbound,
  rejectUnsupported,
  unsupported,
  validationProblem,
} from "./reject.ts";
import type { InboundStep, SeqStep } from "./inbound_step.ts";
import { startResend } from "./resend.ts";
import { MAX_STORE_SEQ } from "../codec/stored.ts";
import { consume, emitEvent, isLoggedOn, type LoggedOnState, type Out, type SessionState } from "./state.ts";

/** An inbound message while logged on (active or logout-sent). */
export function onSessionMessage(s: LoggedOnState, out: Out, nowMs: number, view: MessageView): void {
  s.lastReceivedMs = nowMs;
  s.testRequestId = undefined;
  if (!beginStringMatches(s, view)) {
    logoutAndDisconnect(s, out, nowMs, "Incorrect BeginString");
    return;
  }
  const seq = view.seqNum;
  const msgType = view.msgType;
  // A SequenceReset in Reset mode (123=N or absent) does not take part in sequencing: its MsgSeqNum
  // is ignored, 0 included (QuickFIX's 11c sends 34=0).
  const resetMode = msgType === MsgType.SequenceReset && view.getChar(Tag.GapFillFlag) !== "Y";
  if (seq <= 0 && !resetMode) {
    logoutAndDisconnect(s, out, nowMs, "MsgSeqNum missing or invalid");
    return;
  }
  if (seq >= MAX_STORE_SEQ && !resetMode) {
    // Beyond what the store can hold (its next expected number, seq + 1, too): out of range, nothing
    // changes (no gap, no number consumed).
    emitEvent(out, "warn", "reject-sent", `MsgSeqNum ${seq} beyond ${MAX_STORE_SEQ - 1}: rejected`, {
      refSeqNum: seq,
    });
    sendReject(s, out, nowMs, seq, msgType, reject(SessionRejectReason.ValueIncorrect, Tag.MsgSeqNum), view);
    return;
  }
  // SendingTime, then CompIDs, as the QuickFIX family checks them: a Reject (no RefTagID) and the
  // Logout process (a Logout without Text, then we wait for the peer's Logout), as it answers (2k, 2o).
  if (sendingTimeStatus(s, view, nowMs) === TIME_BAD) {
    rejectInbound(s, out, nowMs, view, seq, msgType, reject(SessionRejectReason.SendingTimeAccuracyProblem));
    logoutAfterReject(s, out, nowMs, "SendingTime accuracy problem");
    return;
  }
  if (s.config.checkCompId) {
    const c = compIdProblem(s, view);
    // An empty CompID is "Tag specified without a value" (373=4), which comes first: validation reports it.
    if (c > 0 && !(s.validator?.options.checkFieldsHaveValues === true && view.getString(c) === "")) {
      rejectInbound(s, out, nowMs, view, seq, msgType, reject(SessionRejectReason.CompIdProblem));
      logoutAfterReject(s, out, nowMs, `CompID problem (tag ${c})`);
      return;
    }
  }
  if (resetMode) {
    onSequenceResetReset(s, out, nowMs, view, seq);
    afterInbound(s, out, nowMs);
    return;
  }
  if (msgType === MsgType.Logon && view.getChar(Tag.ResetSeqNumFlag) === "Y") {
    onResetLogon(s, out, nowMs, view, seq);
    afterInbound(s, out, nowMs);
    return;
  }
  if (s.resetSent && msgType !== MsgType.Logout) {
    // Sent under the numbers we just reset: they cannot be placed in the new sequence.
    emitEvent(
      out,
      "warn",
      "message-ignored",
      `Ignored 35=${msgType} MsgSeqNum ${seq}: waiting for the peer's Logon 141=Y`,
    );
    return;
  }
  const expected = s.nextTargetSeq;
  if (seq > expected) {
    onTooHigh(s, out, nowMs, view, seq, msgType);
    return;
  }
  if (seq < expected) {
    onTooLow(s, out, nowMs, view, seq, msgType);
    return;
  }
  processInOrder(s, out, nowMs, view, seq, msgType);
  afterInbound(s, out, nowMs);
}

/**
 * After a Reject for a problem that ends the session (2f, 2k, 2o): the Logout process, as the QuickFIX
 * family runs it: a Logout without Text, then the peer's Logout (or the logout timeout) closes. `why`
 * goes to the event log.
 */
function logoutAfterReject(s: LoggedOnState, out: Out, nowMs: number, why: string): void {
  emitEvent(out, "warn", "logout", `Logout: ${why}`, { nextSenderSeq: s.nextSenderSeq });
  if (s.phase === "active") startLogout(s, out, nowMs);
}

/** A ResendRequest's BeginSeqNo (7) and EndSeqNo (16) when both are there and not negative. */
function resendRange(view: MessageView): readonly [begin: number, end: number] | undefined {
  const begin = view.getInt(Tag.BeginSeqNo);
  const end = view.getInt(Tag.EndSeqNo);
  return begin !== undefined && begin >= 0 && end !== undefined && end >= 0 ? [begin, end] : undefined;
}

/** A message beyond a gap (2b). A Logout or a valid ResendRequest is acted on at once (cases 13, 20). */
const onTooHigh: InboundStep = (s, out, nowMs, view, seq, msgType) => {
  if (msgType === MsgType.Logout) {
    onLogoutReceived(s, out, nowMs, view);
    return;
  }
  if (msgType === MsgType.ResendRequest) {
    const range = resendRange(view);
    if (range !== undefined) {
      // Serve theirs now and hold its number as served (consumed once the gap before it is filled).
      // Without a request of ours, ours goes out once the answer is sent (checkResendProgress after
      // resend-messages); an outstanding one of ours stays as it is, not sent again (case 20, as the
      // QuickFIX family: the counterparty answers it after its own request is served).
      queueInbound(s, out, view, seq, true);
      emitEvent(out, "warn", "gap", `MsgSeqNum too high, expecting ${s.nextTargetSeq} but received ${seq}`, {
        expected: s.nextTargetSeq,
        received: seq,
      });
      startResend(s, out, range[0], range[1]);
      if (s.pendingResend === undefined) checkResendProgress(s, out, nowMs);
      return;
    }
  }
  onSeqTooHigh(s, out, nowMs, view, seq, false);
};

/**
 * Rejects a message whose PossDupFlag rules fail (reject.ts possDupProblem: OrigSendingTime missing, 2g;
 * after SendingTime, 2f, which also ends the session); true when it did.
 */
const rejectedPossDup: InboundStep<LoggedOnState, boolean> = (s, out, nowMs, view, seq, msgType) => {
  const p = possDupProblem(view, msgType);
  if (p === undefined) return false;
  rejectInbound(s, out, nowMs, view, seq, msgType, p.info);
  if (p.fatal) logoutAfterReject(s, out, nowMs, p.info.text);
  return true;
};

/**
 * A message below the expected number: a possible duplicate is checked and ignored (2e–2g); a Logout is
 * answered and a ResendRequest served whatever its number, as the QuickFIX family does (which checks
 * neither's number); else 2c.
 */
const onTooLow: InboundStep = (s, out, nowMs, view, seq, msgType) => {
  if (view.getChar(Tag.PossDupFlag) === "Y") {
    if (rejectedPossDup(s, out, nowMs, view, seq, msgType)) return;
    emitEvent(
      out,
      "debug",
      "possdup-ignored",
      `Ignored possible duplicate MsgSeqNum ${seq} (35=${msgType})`,
      {
        seq,
        expected: s.nextTargetSeq,
      },
    );
    return;
  }
  if (msgType === MsgType.ResendRequest) {
    const range = resendRange(view);
    if (range !== undefined) {
      // Served whatever its number, as the QuickFIX family does; the number is not consumed again.
      const text = `ResendRequest with MsgSeqNum ${seq} below the expected ${s.nextTargetSeq}`;
      emitEvent(out, "warn", "seq-too-low", text);
      startResend(s, out, range[0], range[1]);
      return;
    }
  }
  if (msgType === MsgType.Logout) {
    emitEvent(
      out,
      "warn",
      "seq-too-low",
      `Logout with MsgSeqNum ${seq} below the expected ${s.nextTargetSeq}`,
    );
    onLogoutReceived(s, out, nowMs, view);
    return;
  }
  const text = seqTooLowText(s.nextTargetSeq, seq);
  emitEvent(out, "error", "seq-too-low", text, { expected: s.nextTargetSeq, received: seq });
  logoutAndDisconnect(s, out, nowMs, text);
};

/** The message with the expected number (live, or from the queue once the gap before it is filled). */
const processInOrder: InboundStep = (s, out, nowMs, view, seq, msgType) => {
  const missing = missingHeaderField(view);
  if (missing !== undefined) {
    rejectInbound(s, out, nowMs, view, seq, msgType, missing);
    return;
  }
  if (rejectedPossDup(s, out, nowMs, view, seq, msgType)) return;
  const invalid = validationProblem(s, view, msgType);
  if (invalid !== undefined) {
    rejectInbound(s, out, nowMs, view, seq, msgType, invalid);
    return;
  }
  if (msgType.length === 1 && ADMIN_MSG_TYPES.has(msgType)) {
    processAdmin(s, out, nowMs, view, seq, msgType);
    return;
  }
  if (unsupported(s, msgType)) {
    rejectUnsupported(s, out, nowMs, view, seq, msgType);
    return;
  }
  consume(s, out, view, seq);
  out.push({ kind: "deliver", view });
};

const processAdmin: InboundStep = (s, out, nowMs, view, seq, msgType) => {
  switch (msgType) {
    case MsgType.Heartbeat:
      consume(s, out, view, seq);
      return;
    case MsgType.TestRequest: {
      const id = view.getString(Tag.TestReqID);
      if (id === undefined) {
        rejectInbound(
          s,
          out,
          nowMs,
          view,
          seq,
          msgType,
          reject(SessionRejectReason.RequiredTagMissing, Tag.TestReqID),
        );
        return;
      }
      consume(s, out, view, seq);
      sendHeartbeat(s, out, nowMs, id);
      return;
    }
    case MsgType.ResendRequest: {
      const range = resendRange(view);
      if (range === undefined) {
        const begin = view.getInt(Tag.BeginSeqNo);
        const tag = begin === undefined || begin < 0 ? Tag.BeginSeqNo : Tag.EndSeqNo;
        const reason = view.has(tag)
          ? SessionRejectReason.IncorrectDataFormat
          : SessionRejectReason.RequiredTagMissing;
        rejectInbound(s, out, nowMs, view, seq, msgType, reject(reason, tag));
        return;
      }
      consume(s, out, view, seq);
      startResend(s, out, range[0], range[1]);
      return;
    }
    case MsgType.Reject: {
      consume(s, out, view, seq);
      const text = view.getString(Tag.Text);
      emitEvent(
        out,
        "warn",
        "reject-received",
        `Reject received for MsgSeqNum ${view.getString(Tag.RefSeqNum) ?? "?"}${text ? `: ${text}` : ""}`,
        {
          seq,
          refSeqNum: view.getInt(Tag.RefSeqNum) ?? 0,
          reason: view.getInt(Tag.SessionRejectReason) ?? -1,
        },
      );
      return;
    }
    case MsgType.SequenceReset:
      onGapFill(s, out, nowMs, view, seq);
      return;
    case MsgType.Logout:
      consume(s, out, view, seq);
      onLogoutReceived(s, out, nowMs, view);
      return;
    case MsgType.Logon:
      consume(s, out, view, seq);
      emitEvent(out, "warn", "message-ignored", `Logon received while logged on (MsgSeqNum ${seq}): ignored`);
      return;
  }
};

/** SequenceReset-GapFill with the expected number (case 10): the expected number becomes NewSeqNo. */
function onGapFill(s: LoggedOnState, out: Out, nowMs: number, view: MessageView, seq: number): void {
  const newSeqNo = view.getInt(Tag.NewSeqNo);
  if (newSeqNo === undefined || newSeqNo <= seq || newSeqNo > MAX_STORE_SEQ) {
    const reason = newSeqNo === undefined ? newSeqNoProblem(view) : SessionRejectReason.ValueIncorrect;
    rejectInbound(s, out, nowMs, view, seq, MsgType.SequenceReset, reject(reason, Tag.NewSeqNo));
    return;
  }
  consume(s, out, view, seq);
  if (newSeqNo > seq + 1) {
    dropQueuedBelow(s, seq + 1, newSeqNo);
    s.nextTargetSeq = newSeqNo;
    out.push({ kind: "store-seq", nextTargetSeq: newSeqNo });
  }
  emitEvent(out, "debug", "gap-fill", `SequenceReset-GapFill ${seq} to ${newSeqNo}`, { seq, newSeqNo });
}

/** SequenceReset-Reset (case 11): MsgSeqNum ignored; NewSeqNo higher: set; equal: warn; lower: Reject 373=5. */
const onSequenceResetReset: SeqStep = (s, out, nowMs, view, seq) => {
  const newSeqNo = view.getInt(Tag.NewSeqNo);
  const expected = s.nextTargetSeq;
  // RefSeqNum is the MsgSeqNum as received (0 included), left out when there is none.
  const refSeq = view.has(Tag.MsgSeqNum) ? seq : -1;
  if (newSeqNo === undefined) {
    rejectReset(s, out, nowMs, view, refSeq, reject(newSeqNoProblem(view), Tag.NewSeqNo));
    return;
  }
  if (newSeqNo > MAX_STORE_SEQ) {
    // Beyond what the store can hold (u32): out of range, nothing changes.
    emitEvent(out, "warn", "sequence-reset", `SequenceReset-Reset to ${newSeqNo}: beyond ${MAX_STORE_SEQ}`);
    rejectReset(s, out, nowMs, view, refSeq, reject(SessionRejectReason.ValueIncorrect, Tag.NewSeqNo));
    return;
  }
  if (newSeqNo > expected) {
    dropQueuedBelow(s, expected, newSeqNo);
    s.nextTargetSeq = newSeqNo;
    out.push({ kind: "store-seq", nextTargetSeq: newSeqNo });
    emitEvent(
      out,
      "info",
      "sequence-reset",
      `SequenceReset-Reset: expected MsgSeqNum ${expected} -> ${newSeqNo}`,
      {
        from: expected,
        to: newSeqNo,
      },
    );
  } else if (newSeqNo === expected) {
    emitEvent(
      out,
      "warn",
      "sequence-reset",
      `SequenceReset-Reset to ${newSeqNo}, the number already expected`,
    );
  } else {
    emitEvent(
      out,
      "warn",
      "sequence-reset",
      `SequenceReset-Reset to ${newSeqNo} would lower the expected ${expected}`,
    );
    // No RefTagID, as the QuickFIX family answers (its acceptance test 11c expects none).
    rejectReset(s, out, nowMs, view, refSeq, reject(SessionRejectReason.ValueIncorrect));
  }
};

/**
 * Why NewSeqNo (36) could not be read as a number: missing (373=1), digits too many for a number
 * (beyond the store's range: 373=5), or not a number (373=6).
 */
function newSeqNoProblem(view: MessageView): number {
  const text = view.getString(Tag.NewSeqNo);
  if (text === undefined) return SessionRejectReason.RequiredTagMissing;
  return /^\d+$/.test(text) ? SessionRejectReason.ValueIncorrect : SessionRejectReason.IncorrectDataFormat;
}

/**
 * A Reject of a SequenceReset-Reset: its number is never consumed (it does not take part in sequencing).
 * `seq` is the RefSeqNum (-1: none).
 */
function rejectReset(
  s: LoggedOnState,
  out: Out,
  nowMs: number,
  view: MessageView,
  seq: number,
  info: RejectInfo,
): void {
  emitEvent(out, "warn", "reject-sent", `Rejected SequenceReset MsgSeqNum ${seq}: ${info.text}`, {
    refSeqNum: seq,
    reason: info.reason,
    ...(info.refTagId === undefined ? {} : { refTagId: info.refTagId }),
  });
  sendReject(s, out, nowMs, seq, MsgType.SequenceReset, info, view);
}

/**
 * After an inbound number moved: process queued messages that are now in order, drop those already
 * covered, then see whether our ResendRequest is satisfied or something is still missing. Waits while
 * a `resend` answer is pending, so resent messages go out before anything newer.
 */
export function afterInbound(s: SessionState, out: Out, nowMs: number): void {
  const q = s.inboundQueue;
  while (q.size > 0 && s.pendingResend === undefined && isLoggedOn(s)) {
    const next = s.nextTargetSeq;
    const item = q.get(next);
    // Nothing below `next` is queued (dropQueuedBelow at every jump): a hole, wait for it.
    if (item === undefined) break;
    q.delete(next);
    s.inboundQueueBytes -= queuedBytes(item.view);
    if (item.served) {
      consume(s, out, item.view, next);
      continue;
    }
    processInOrder(s, out, nowMs, item.view, next, item.view.msgType);
  }
  if (s.pendingResend === undefined && isLoggedOn(s)) checkResendProgress(s, out, nowMs);
}
