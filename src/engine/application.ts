/** The application interface: what user code implements and the handle it sends through. */
import type { FixMessage, MessageView } from "../codec/mod.ts";
import type { SessionId } from "../session/types.ts";

/** Result of `send`: the MsgSeqNum assigned (0 when queued until the session is logged on), or back-pressure. */
export type SendResult = number | "back-pressure";

/** What the application sees of a session. */
export interface SessionHandle {
  readonly key: string;
  readonly id: SessionId;
  /** True between Logon and Logout. */
  readonly loggedOn: boolean;
  /**
   * Sends an application message (no header fields needed: the session adds 8, 9, 35, 49, 56, 34, 52).
   * Returns its MsgSeqNum, 0 when queued until logon (case 16), or "back-pressure" when the socket is
   * behind by more than the high-water mark: wait for `whenWritable()` and try again.
   * `resend: false` marks a message that must be gap-filled rather than resent.
   */
  send(message: FixMessage, options?: { resend?: boolean }): SendResult;
  /** Resolves when the outbound buffer is below the low-water mark. */
  whenWritable(): Promise<void>;
  /** Starts the Logout handshake. */
  logout(text?: string): void;
}

/** User code. Every callback is optional. Views are valid only during the callback: `copy()` to keep one. */
export interface Application {
  onCreate?(session: SessionHandle): void;
  onLogon?(session: SessionHandle): void;
  onLogout?(session: SessionHandle, reason: string): void;
  /** An application message, in sequence order, after session-level checks and validation. */
  onMessage?(view: MessageView, session: SessionHandle): void;
}
