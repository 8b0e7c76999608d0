/**
 * Application messages going out: sent at once while logged on (the hot path), queued while not
 * (case 16) and sent in order, each with the MsgSeqNum of the moment it really goes out, once the
 * session is logged on again.
 */
import type { FixMessage } from "../codec/mod.ts";
import { encodeApp } from "./messages.ts";
import type { SendReason } from "./types.ts";
import { emitEvent, markNotResendable, type Out, type SessionState } from "./state.ts";

/** Encodes and sends an application message with the next MsgSeqNum; the engine stores it (persist). */
export function sendApp(
  s: SessionState,
  out: Out,
  nowMs: number,
  message: FixMessage,
  resend: boolean,
  reason: SendReason,
): void {
  const seq = s.nextSenderSeq;
  const bytes = numberAndEncode(s, message, nowMs, resend);
  out.push({ kind: "send", seq, msgType: message.msgType, bytes, persist: true, reason });
}

/**
 * The engine's hot path for sending an application message: when it can go out now (`canSendNow`),
 * makes the same state change as a "send" input and returns the encoded frame, which the engine must
 * write and store as outbound message `nextSenderSeq - 1` (what that input's send action says, without
 * the input and the action). Undefined, changing nothing, when the message must take the "send" input.
 */
export function sendAppNow(
  s: SessionState,
  message: FixMessage,
  nowMs: number,
  resend: boolean,
): Uint8Array | undefined {
  return canSendNow(s) ? numberAndEncode(s, message, nowMs, resend) : undefined;
}

/**
 * Takes the next MsgSeqNum for an application message and encodes it. The number is taken once the
 * encoding succeeded: a message whose encoding throws (a body writer's value the encoder refuses)
 * leaves no hole in the numbers. A send made from inside the message's writeBody throws: it would take
 * this message's number and write over its bytes in the session's encoder.
 */
function numberAndEncode(s: SessionState, message: FixMessage, nowMs: number, resend: boolean): Uint8Array {
  if (s.encodingApp) {
    // The session's encoder is in the middle of the message whose writeBody made this send: encoding this
    // one there would write over it, and the number would go to both.
    throw new Error(
      `35=${message.msgType} not sent: a send from inside another message's writeBody (send it after that send returns)`,
    );
  }
  const seq = s.nextSenderSeq;
  s.encodingApp = true;
  let bytes: Uint8Array;
  try {
    bytes = encodeApp(s, message, seq, nowMs);
  } finally {
    s.encodingApp = false;
  }
  s.nextSenderSeq = seq + 1;
  if (!resend) markNotResendable(s, seq);
  s.lastSentMs = nowMs;
  return bytes;
}

/** Whether application messages can go out now (else they wait in the outbound queue, in order). */
export function canSendNow(s: SessionState): boolean {
  return s.phase === "active" && s.pendingResend === undefined && s.outboundQueue.length === 0;
}

/** Keeps an application message until the session is logged on (its fields array is copied). */
export function queueOutbound(s: SessionState, out: Out, message: FixMessage, resend: boolean): void {
  s.outboundQueue.push({ message: { msgType: message.msgType, fields: message.fields.slice() }, resend });
  emitEvent(
    out,
    "debug",
    "queued",
    `Queued 35=${message.msgType} until logged on (${s.outboundQueue.length} waiting)`,
    {
      queued: s.outboundQueue.length,
    },
  );
}

/** Sends the queued application messages in order, when the session can send. */
export function flushOutbound(s: SessionState, out: Out, nowMs: number): void {
  const q = s.outboundQueue;
  if (q.length === 0 || s.phase !== "active" || s.pendingResend !== undefined) return;
  for (let i = 0; i < q.length; i++) sendApp(s, out, nowMs, q[i]!.message, q[i]!.resend, "queued");
  emitEvent(out, "info", "queued", `Sent ${q.length} queued application messages`, { sent: q.length });
  q.length = 0;
}
