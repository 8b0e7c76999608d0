/**
 * Ending a session: the Logout handshake we start (case 12), answering the peer's Logout (case 13),
 * and Logout-then-disconnect after a protocol error (cases 2c, 2f, 2i, 2k, 2o).
 */
import { type MessageView, Tag } from "../codec/mod.ts";
import { sendLogout } from "./messages.ts";
import { disconnect, emitEvent, type LoggedOnState, type Out, type SessionState, setPhase } from "./state.ts";

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
  emitEvent(out, "info", "logout", `Logout received${why}`);
  sendLogout(s, out, nowMs);
  disconnect(s, out, `Logout received${why}`, true);
}
