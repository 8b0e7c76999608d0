/**
 * What is wrong with an inbound message, as a RejectInfo (counterparty mistakes are data), and the
 * Reject / BusinessMessageReject that answers it.
 */
import { type MessageView, Tag } from "../codec/mod.ts";
import { reject, type RejectInfo, SessionRejectReason } from "../dictionary/reject.ts";
import type { InboundStep } from "./inbound_step.ts";
import { sendBusinessReject, sendReject } from "./messages.ts";
import { consume, emitEvent, type Out, type SessionState } from "./state.ts";

/** BusinessRejectReason (380) 3 and its Text. */
export const UNSUPPORTED_MESSAGE_TYPE = 3;
const UNSUPPORTED_TEXT = "Unsupported Message Type";
/** The Reject's Text for it before FIX 4.2 (no BusinessMessageReject), as the QuickFIX family writes it. */
const UNSUPPORTED_TEXT_BEFORE_42 = "Unsupported message type";

/** A required standard-header field the session itself reads is missing (373=1): 49, 56, 52. */
export function missingHeaderField(view: MessageView): RejectInfo | undefined {
  if (!view.has(Tag.SenderCompID)) return reject(SessionRejectReason.RequiredTagMissing, Tag.SenderCompID);
  if (!view.has(Tag.TargetCompID)) return reject(SessionRejectReason.RequiredTagMissing, Tag.TargetCompID);
  if (!view.has(Tag.SendingTime)) return reject(SessionRejectReason.RequiredTagMissing, Tag.SendingTime);
  return undefined;
}

/** A PossDupFlag problem: `fatal` ones (OrigSendingTime after SendingTime, case 2f) end the session. */
export interface PossDupProblem {
  info: RejectInfo;
  fatal: boolean;
}

/**
 * PossDupFlag rules for messages other than SequenceReset: OrigSendingTime (122) is required (case 2g)
 * and must not be later than SendingTime (case 2f).
 */
export function possDupProblem(view: MessageView, msgType: string): PossDupProblem | undefined {
  if (msgType === "4" || view.getChar(Tag.PossDupFlag) !== "Y") return undefined;
  if (!view.has(Tag.OrigSendingTime)) {
    return { info: reject(SessionRejectReason.RequiredTagMissing, Tag.OrigSendingTime), fatal: false };
  }
  const orig = view.getTimestamp(Tag.OrigSendingTime);
  const sent = view.getTimestamp(Tag.SendingTime);
  if (orig === undefined) {
    return { info: reject(SessionRejectReason.IncorrectDataFormat, Tag.OrigSendingTime), fatal: false };
  }
  if (sent !== undefined && (orig.epochMs - sent.epochMs || orig.subMsNanos - sent.subMsNanos) > 0) {
    return { info: reject(SessionRejectReason.SendingTimeAccuracyProblem), fatal: true };
  }
  return undefined;
}

/**
 * Validates against the session's dictionary (FIXT: transport plus application dictionary). Without a
 * dictionary only what the view could not parse is rejected.
 */
export function validationProblem(
  s: SessionState,
  view: MessageView,
  msgType: string,
): RejectInfo | undefined {
  if (s.validator !== undefined) return s.validator.validate(view);
  const pe = view.parseError;
  if (pe !== undefined) {
    if (pe.kind === "data length mismatch") {
      const tag = view.tagAt(pe.fieldIndex);
      return reject(SessionRejectReason.IncorrectDataFormat, tag > 0 ? tag : undefined);
    }
    return reject(SessionRejectReason.InvalidTagNumber);
  }
  if (msgType === "") return reject(SessionRejectReason.InvalidMsgType, Tag.MsgType);
  return undefined;
}

/** True when the application does not support this (application) MsgType (case 2r). */
export function unsupported(s: SessionState, msgType: string): boolean {
  const t = s.config.supportedMsgTypes;
  return t !== undefined && !t.has(msgType);
}

/**
 * Rejects an inbound message (35=3) and, when it carries the expected number, consumes that number
 * (a rejected message is still received: the peer must not resend it).
 */
export function rejectInbound(
  s: SessionState,
  out: Out,
  nowMs: number,
  view: MessageView,
  seq: number,
  msgType: string,
  info: RejectInfo,
): void {
  if (seq === s.nextTargetSeq) consume(s, out, view, seq);
  emitEvent(out, "warn", "reject-sent", `Rejected MsgSeqNum ${seq} (35=${msgType}): ${info.text}`, {
    refSeqNum: seq,
    reason: info.reason,
    ...(info.refTagId === undefined ? {} : { refTagId: info.refTagId }),
  });
  sendReject(s, out, nowMs, seq, msgType, info, view);
}

/** Answers an application message of a type the application does not support (380=3; Reject before FIX 4.2). */
export const rejectUnsupported: InboundStep<SessionState> = (s, out, nowMs, view, seq, msgType) => {
  consume(s, out, view, seq);
  emitEvent(out, "warn", "business-reject-sent", `${UNSUPPORTED_TEXT}: 35=${msgType} (MsgSeqNum ${seq})`, {
    refSeqNum: seq,
    refMsgType: msgType,
  });
  if (s.fix42Plus) {
    sendBusinessReject(s, out, nowMs, seq, msgType, UNSUPPORTED_MESSAGE_TYPE, UNSUPPORTED_TEXT, view);
  } else {
    sendReject(
      s,
      out,
      nowMs,
      seq,
      msgType,
      reject(SessionRejectReason.InvalidMsgType, undefined, UNSUPPORTED_TEXT_BEFORE_42),
      view,
    );
  }
};
