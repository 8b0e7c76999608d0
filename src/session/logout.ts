/**
 * Ending a session: the Logout handshake we start (case 12), answering the peer's Logout (case 13),
 * and Logout-then-disconnect after a protocol error (cases 2c, 2f, 2i, 2k, 2o).
 */
import { type MessageView, Tag } from "../codec/mod.ts";
import { sendLogout } from "./messages.ts";
import { disconnect, emitEvent, type LoggedOnState, type Out, type SessionState, setPhase } from "./state.ts";

/**
 * What to do about a peer's Logout whose Text says our MsgSeqNum is too low (QuickFIX's "MsgSeqNum too
 * low, expecting 120 but received 5"): our numbers are behind what the counterparty has seen (a new or
 * reset store, a journal lost or replaced). Appended to the log line; empty for any other Text.
 */
export function tooLowHint(text: string | undefined): string {
  if (text === undefined || !/MsgSeqNum too low/i.test(text)) return "";
  const n = /expecting\s+(\d+)/i.exec(text)?.[1];
  const seq = n ?? "N";
  return `. The counterparty expects ${
    n !== undefined ? `MsgSeqNum ${n}` : "a higher MsgSeqNum"
  }: our outbound numbers are behind what it has seen (a new or reset store?). Agree the numbers with it, ` +
    `then set ours: POST /sessions/{id}/set-seq {"nextSenderSeq": ${seq}} or ` +
    `fixg sessions --engine PATH --session KEY --next-sender-seq ${seq} (docs/operations.md, "Sequence number mismatch")`;
}

/** Sends a Logout with the reason as Text and disconnects at once (protocol errors). */
export function logoutAndDisconnect(s: SessionState, out: Out, nowMs: number, text: string): void {
  emitEvent(out, "warn", "logout", `Logout: ${text}`, { nextSenderSeq: s.nextSenderSeq });
  sendLogout(s, out, nowMs, text);
  disconnect(s, out, text);
}

/** Starts the Logout handshake (case 12): Logout out, wait logoutTimeoutMs for the peer's. */
export function startLogout(s: LoggedOnState, out: Out, nowMs: number, text?: string): void {
  emitEvent(out, "info", "logout", text ? `Logout sent: ${text}` : "Logout sent");
  sendLogout(s, out, nowMs, text);
  setPhase(s, "logout-sent");
  s.logoutDeadlineMs = nowMs + s.config.logoutTimeoutMs;
}

/**
 * The peer's Logout: the end of our handshake, or the start of theirs, which we answer (case 13).
 * Either way we then disconnect (resetOnLogout applies).
 */
export function onLogoutReceived(s: LoggedOnState, out: Out, nowMs: number, view: MessageView): void {
  const text = view.getString(Tag.Text);
  const why = text ? `: ${text}` : "";
  if (s.phase === "logout-sent") {
    emitEvent(out, "info", "logout", `Logout acknowledged${why}`);
    disconnect(s, out, "Logout acknowledged", true);
    return;
  }
  const hint = tooLowHint(text);
  emitEvent(out, hint === "" ? "info" : "warn", "logout", `Logout received${why}${hint}`);
  sendLogout(s, out, nowMs);
  disconnect(s, out, `Logout received${why}`, true);
}
