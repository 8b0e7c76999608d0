/**
 * The application callbacks of the library's sessions (library_client.ts runs them): what the engine's
 * session events (CLAIMED, LOGON, LOGOUT, SEND_FAILED, NOT_RESENT), a `send` the engine did not take and
 * the library's end call on a LibrarySession's `Application`, as in-process. A callback that throws is
 * logged and the library goes on. MESSAGE (onMessage/fromAdmin, the hot path) stays in library_client.ts.
 */
import type { MessageView } from "../codec/mod.ts";
import type { SendFailure } from "./application.ts";
import { ERROR_NAMES, type Event, SendStatus } from "./protocol.ts";
import type { Posted } from "./library_pending.ts";
import type { LibrarySession } from "./library_session.ts";

type EventOf<T extends Event["type"]> = Extract<Event, { type: T }>;

/** An application callback threw: logged, the library goes on. */
export function callbackFailed(e: unknown): void {
  console.error(
    `fixg library: application callback failed: ${e instanceof Error ? (e.stack ?? e.message) : e}`,
  );
}

function guard(f: () => void): void {
  try {
    f();
  } catch (e) {
    callbackFailed(e);
  }
}

/**
 * CLAIMED: the session's numbers and logon state as the engine has them; `first` (a claim, not a re-claim
 * after a reconnect): onCreate.
 */
export function claimed(s: LibrarySession, e: EventOf<"claimed">, first: boolean): void {
  s.nextSenderSeq = e.nextSenderSeq;
  s.nextTargetSeq = e.nextTargetSeq;
  s.replaying = true;
  // A claim of live messages only: a re-claim after a reconnect replays from here, not from 0.
  if (first && s.liveOnly) s.lastProcessedInSeq = Math.max(s.lastProcessedInSeq, e.nextTargetSeq - 1);
  if (first) guard(() => s.app.onCreate?.(s));
  if (e.loggedOn && !s.loggedOn) {
    s.loggedOn = true;
    guard(() => s.app.onLogon?.(s));
  } else if (!e.loggedOn && s.loggedOn) {
    s.loggedOn = false;
    guard(() => s.app.onLogout?.(s, "logged out while detached"));
  }
}

/** LOGON: onLogon. */
export function loggedOn(s: LibrarySession): void {
  s.loggedOn = true;
  guard(() => s.app.onLogon?.(s));
}

/** LOGOUT: onLogout with the engine's reason. */
export function loggedOut(s: LibrarySession, reason: string): void {
  s.loggedOn = false;
  guard(() => s.app.onLogout?.(s, reason));
}

/** SEND_FAILED: the engine will never send it (not committed; withdrawn): onSendFailed, as in-process. */
export function sendFailed(s: LibrarySession, e: EventOf<"send-failed">): void {
  const info: SendFailure = { seq: e.seq, msgType: e.msgType, reason: e.reason };
  if (e.clOrdId !== "") info.clOrdId = e.clOrdId;
  guard(() => s.app.onSendFailed?.(info, s));
}

/** NOT_RESENT: the resend policy gap-filled a stored message instead of resending it: onNotResent, as in-process. */
export function notResent(s: LibrarySession, seq: number, view: MessageView): void {
  guard(() => s.app.onNotResent?.(seq, view, s));
}

/** A `send` the engine did not take: the application hears it (as in-process, never a silent loss). */
export function postRefused(
  s: LibrarySession,
  seq: number,
  posted: Posted,
  status: number,
  code: number,
  text: string,
): void {
  const reason = status === SendStatus.BACK_PRESSURE
    ? `back-pressure: ${text}`
    : `refused (${ERROR_NAMES[code] ?? code}): ${text}`;
  const info: SendFailure = { seq, msgType: posted.msgType, reason };
  if (posted.clOrdId !== undefined) info.clOrdId = posted.clOrdId;
  guard(() => s.app.onSendFailed?.(info, s));
}

/**
 * The library is done for good (closed, the connection lost with `reconnect: false`, a reconnection
 * refused at HELLO): every session it holds that is logged on reports loggedOn false and its
 * application gets onLogout once, with the library's end reason.
 */
export function sessionsDown(sessions: Iterable<LibrarySession>, ended: string): void {
  for (const s of [...sessions]) {
    if (!s.loggedOn) continue;
    s.loggedOn = false;
    guard(() => s.app.onLogout?.(s, ended));
  }
}
