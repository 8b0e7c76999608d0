/**
 * Answering a ResendRequest (case 8): the machine asks the engine for the stored messages (`resend`
 * action), and on the `resend-messages` answer resends application messages with PossDupFlag=Y and
 * OrigSendingTime, replacing admin messages, messages marked not to resend and messages missing from
 * the store by SequenceReset-GapFill, consecutive ones merged into one.
 */
import { ADMIN_MSG_TYPES, MsgType } from "../codec/mod.ts";
import type { StoredMessage } from "../codec/stored.ts";
import { emitSend, encodeGapFill, encodeResend } from "./messages.ts";
import { emitEvent, isResendable, type Out, type SessionState } from "./state.ts";

/**
 * Starts answering a ResendRequest for [begin, end] (end 0, or beyond what we sent, means up to the
 * last sent): emits the `resend` action; the engine answers with `resend-messages`.
 */
export function startResend(s: SessionState, out: Out, begin: number, end: number): void {
  const last = s.nextSenderSeq - 1;
  const b = Math.max(begin, 1);
  const e = end === 0 || end > last ? last : end;
  emitEvent(out, "info", "resend", `ResendRequest received for ${begin} to ${end}`, {
    beginSeqNo: begin,
    endSeqNo: end,
    lastSent: last,
  });
  if (b > e) {
    const why = b > last
      ? `${begin} is beyond the last MsgSeqNum sent (${last})`
      : `EndSeqNo ${end} is below ${begin}`;
    emitEvent(out, "warn", "resend", `Nothing to resend: ${why}`);
    return;
  }
  s.pendingResend = { begin: b, end: e };
  out.push({ kind: "resend", begin: b, end: e });
}

/** Resends the stored messages of [begin, end] (the engine's answer to a `resend` action). */
export function onResendMessages(
  s: SessionState,
  out: Out,
  nowMs: number,
  begin: number,
  endIn: number,
  messages: readonly StoredMessage[],
): void {
  s.pendingResend = undefined;
  const last = s.nextSenderSeq - 1;
  const end = endIn === 0 || endIn > last ? last : endIn;
  let next = Math.max(begin, 1);
  let gapStart = 0;
  let resent = 0;
  let gapFills = 0;
  const v = s.scratch;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.seq < next || m.seq > end) continue;
    if (m.seq > next && gapStart === 0) gapStart = next; // missing from the store
    v.parseInto(m.bytes, 0, m.bytes.length);
    const msgType = v.msgType;
    if (ADMIN_MSG_TYPES.has(msgType) || !isResendable(s, m.seq) || v.seqNum !== m.seq) {
      if (gapStart === 0) gapStart = m.seq;
    } else {
      if (gapStart !== 0) {
        gapFill(s, out, nowMs, gapStart, m.seq);
        gapFills++;
        gapStart = 0;
      }
      emitSend(s, out, nowMs, m.seq, msgType, encodeResend(s, v, m.seq, nowMs), false, "resend");
      resent++;
    }
    next = m.seq + 1;
  }
  if (next <= end && gapStart === 0) gapStart = next;
  if (gapStart !== 0) {
    gapFill(s, out, nowMs, gapStart, end + 1);
    gapFills++;
  }
  emitEvent(out, "info", "resend", `Resent ${begin} to ${end}: ${resent} messages, ${gapFills} gap fills`, {
    beginSeqNo: begin,
    endSeqNo: end,
    resent,
    gapFills,
  });
}

function gapFill(s: SessionState, out: Out, nowMs: number, seq: number, newSeqNo: number): void {
  emitEvent(out, "debug", "gap-fill", `SequenceReset-GapFill ${seq} to ${newSeqNo}`, { seq, newSeqNo });
  emitSend(
    s,
    out,
    nowMs,
    seq,
    MsgType.SequenceReset,
    encodeGapFill(s, seq, newSeqNo, nowMs),
    false,
    "resend",
  );
}
