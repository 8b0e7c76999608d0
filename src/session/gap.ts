/**
 * Inbound gaps: messages beyond a gap are queued (as private copies) and our ResendRequests ask for
 * what is missing, to infinity (16=0) or in chunks of resendRequestChunkSize; when a request is
 * satisfied and something is still missing (a hole below queued messages, or the next chunk), we ask again.
 */
import type { MessageView } from "../codec/mod.ts";
import { sendResendRequest } from "./messages.ts";
import { emitEvent, type Out, type SessionState } from "./state.ts";

/** Most messages held back beyond a gap; more are dropped (and requested again once the gap is filled). */
export const MAX_INBOUND_QUEUE = 100_000;
/**
 * Most bytes held back beyond a gap (the copies' frames and field tables, `queuedBytes`): a peer's
 * messages may be up to the framer's limit (1 MiB) each, so the count alone would let it make the
 * session hold 100 GB. Beyond it, dropped as above.
 */
export const MAX_INBOUND_QUEUE_BYTES = 64 * 1024 * 1024;

/** What a queued copy of `view` holds: its frame and its field table (three 32-bit ints a field). */
export function queuedBytes(view: MessageView): number {
  return view.end - view.start + 12 * view.count;
}

/** Holds message `seq` (beyond the expected number) until the gap before it is filled. */
export function queueInbound(
  s: SessionState,
  out: Out,
  view: MessageView,
  seq: number,
  served: boolean,
): void {
  if (s.inboundQueue.has(seq)) return;
  const bytes = queuedBytes(view);
  if (s.inboundQueue.size >= MAX_INBOUND_QUEUE || s.inboundQueueBytes + bytes > MAX_INBOUND_QUEUE_BYTES) {
    emitEvent(
      out,
      "warn",
      "queued",
      `Inbound queue full: MsgSeqNum ${seq} dropped, it will be requested again`,
      {
        seq,
      },
    );
    return;
  }
  s.inboundQueue.set(seq, { view: view.copy(), served });
  s.inboundQueueBytes += bytes;
}

/**
 * The expected number jumped from `from` to `to` (a gap fill, a SequenceReset-Reset, set-seq): the
 * queued messages in [from, to) will never be processed; let them go. O(min(to - from, queue size)):
 * the queue holds nothing below the expected number (it is pruned at every jump), so the in-order
 * path never scans it (before, every message after a hole scanned the whole queue: quadratic).
 */
export function dropQueuedBelow(s: SessionState, from: number, to: number): void {
  const q = s.inboundQueue;
  if (q.size === 0 || to <= from) return;
  if (to - from <= q.size) {
    for (let k = from; k < to; k++) {
      const item = q.get(k);
      if (item === undefined) continue;
      q.delete(k);
      s.inboundQueueBytes -= queuedBytes(item.view);
    }
    return;
  }
  for (const [k, item] of q) {
    if (k >= to) continue;
    q.delete(k);
    s.inboundQueueBytes -= queuedBytes(item.view);
  }
}

/**
 * Sends a ResendRequest from `begin` for what is missing up to `upTo`: 16=0 (FIX 4.0/4.1: 999999)
 * when not chunked, else at most resendRequestChunkSize numbers.
 */
export function requestResend(s: SessionState, out: Out, nowMs: number, begin: number, upTo: number): void {
  const chunk = s.config.resendRequestChunkSize;
  let end: number;
  let endSeqNo: number;
  if (chunk > 0) {
    end = Math.min(begin + chunk - 1, upTo);
    endSeqNo = end;
  } else {
    end = upTo;
    endSeqNo = s.fix42Plus ? 0 : 999_999;
  }
  s.resendRequested = { begin, end };
  emitEvent(out, "info", "resend-request", `Sending ResendRequest for ${begin} to ${endSeqNo}`, {
    beginSeqNo: begin,
    endSeqNo,
  });
  sendResendRequest(s, out, nowMs, begin, endSeqNo);
}

/**
 * A message came with MsgSeqNum `seq` above the expected one (case 2b): queue it and ask for the gap,
 * unless a request is already out (then only with sendRedundantResendRequests).
 */
export function onSeqTooHigh(
  s: SessionState,
  out: Out,
  nowMs: number,
  view: MessageView,
  seq: number,
  served: boolean,
): void {
  const expected = s.nextTargetSeq;
  emitEvent(out, "warn", "gap", `MsgSeqNum too high, expecting ${expected} but received ${seq}`, {
    expected,
    received: seq,
  });
  const outstanding = s.resendRequested !== undefined;
  queueInbound(s, out, view, seq, served);
  if (!outstanding || s.config.sendRedundantResendRequests) requestResend(s, out, nowMs, expected, seq - 1);
}

/**
 * After inbound numbers moved: a request whose range has arrived is satisfied; if messages are still
 * queued beyond a hole (or the next chunk is due), ask for what is missing.
 */
export function checkResendProgress(s: SessionState, out: Out, nowMs: number): void {
  const r = s.resendRequested;
  if (r !== undefined && s.nextTargetSeq > r.end) {
    s.resendRequested = undefined;
    emitEvent(out, "info", "resend-complete", `ResendRequest for ${r.begin} to ${r.end} satisfied`, {
      beginSeqNo: r.begin,
      endSeqNo: r.end,
    });
  }
  if (s.resendRequested === undefined && s.inboundQueue.size > 0) {
    let max = 0;
    for (const k of s.inboundQueue.keys()) if (k > max) max = k;
    if (max > s.nextTargetSeq) requestResend(s, out, nowMs, s.nextTargetSeq, max - 1);
  }
}
