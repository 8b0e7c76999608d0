/** The application interface: what user code implements and the handle it sends through. */
import type { FixMessage, MessageView } from "../codec/mod.ts";
import type { SessionId } from "../session/types.ts";

/**
 * The outcome of `send`, one discriminated union (an expected outcome is never a throw):
 * - `sent`: numbered (its MsgSeqNum, `seq`), stored and handed to the connection;
 * - `queued`: waiting (a write in flight, messages ahead of it, not logged on, the outbound throttle, a
 *   callback whose step still has messages to write); it gets its MsgSeqNum when it leaves, by priority;
 * - `refused`: nothing is sent; `reason` says why. `cause` "filter": a filter refused it (order entry while
 *   the kill switch is engaged, a risk limit; a MsgType the session sends itself: Logon, ResendRequest,
 *   SequenceReset, Logout); "store": the session's store failed and it stopped sending;
 * - `back-pressure`: more than the outbound bound waits: await `whenWritable()` and send again.
 */
export type SendResult =
  | { readonly kind: "sent"; readonly seq: number }
  | { readonly kind: "queued" }
  | { readonly kind: "refused"; readonly reason: string; readonly cause: "filter" | "store" }
  | { readonly kind: "back-pressure" };

/** What the application sees of a session. */
export interface SessionHandle {
  readonly key: string;
  readonly id: SessionId;
  /** True between Logon and Logout. */
  readonly loggedOn: boolean;
  /**
   * The session's time (ms since the epoch), engine sessions only: while a read is handled, the read's
   * time (what the session stamps the answers' SendingTime with; one clock read per read, not per
   * message), else the clock's. Absent on attached libraries' handles: read your own clock.
   */
  nowMs?(): number;
  /**
   * Attached libraries (`connectEngine`): true while onMessage is handed a message replayed from the
   * engine's journal after a claim (one processed before, perhaps: de-duplicate by MsgSeqNum). In-process
   * sessions never replay: absent.
   */
  readonly replaying?: boolean;
  /**
   * Sends an application message (no header fields needed: the session adds 8, 9, 35, 49, 56, 34, 52).
   * Returns `{ kind: "sent", seq }`, `{ kind: "queued" }` (e.g. until logon, case 16), `{ kind: "refused",
   * reason }` or `{ kind: "back-pressure" }` when the socket is behind by more than the high-water mark:
   * wait for `whenWritable()` and try again. `resend: false` marks a message that must be gap-filled
   * rather than resent. A field whose value is a number that is not finite (NaN, Infinity) is a
   * programming error, not an outcome: a RangeError naming the tag, thrown before anything is sent or
   * queued (the typed builders throw it at build).
   */
  send(message: FixMessage, options?: { resend?: boolean }): SendResult;
  /** Resolves when the outbound buffer is below the low-water mark. */
  whenWritable(): Promise<void>;
  /** Starts the Logout handshake; `text` is its Text (58), an SOH in it sent as a space. */
  logout(text?: string): void;
}

/** An admin message about to be sent, handed to `toAdmin`: read it, set fields on it. */
export interface OutgoingAdmin {
  /** MsgType: 0, 1, 2, 3, 4, 5 or A. */
  readonly msgType: string;
  /** The message as the session encoded it (header and CheckSum included), before any `set`. */
  readonly view: MessageView;
  /**
   * Sets a field: a field the message has takes the new value in its place; a new one is added (a
   * header tag at the end of the header, a body tag before the first body field with a higher tag).
   * Username (553), Password (554) and NewPassword (925) are written as their UTF-8 bytes (as a
   * configured `username:`/`password:`; one byte per character with `credentialsEncoding: latin1`);
   * other values as the encoder writes them. Throws RangeError for the tags the session writes itself (8, 9, 10, 34, 35, 43, 49, 52, 56, 97,
   * 122), an empty value or one containing SOH.
   */
  set(tag: number, value: string | number | boolean): void;
}

/** A Reject (35=3) or BusinessMessageReject (35=j) of a message the application sent, for `onReject`. */
export interface RejectedMessage {
  /** "3": session-level Reject; "j": BusinessMessageReject. */
  msgType: "3" | "j";
  /** MsgSeqNum of the rejected message (45). */
  refSeqNum: number;
  /** MsgType of the rejected message: RefMsgType (372) when given, else the message as sent. */
  refMsgType: string;
  /** RefTagID (371): the tag at fault, when given. */
  refTagId: number | undefined;
  /** SessionRejectReason (373) of a 35=3, BusinessRejectReason (380) of a 35=j, when given. */
  reason: number | undefined;
  /** Text (58), when given. */
  text: string | undefined;
  /** BusinessRejectRefID (379) of a 35=j, when given. */
  businessRejectRefId: string | undefined;
  /**
   * ClOrdID (11) of the rejected message as sent: found among the session's recent sends (the last
   * 1024 messages), else read from the store; undefined when the message has none or is not stored.
   */
  clOrdId: string | undefined;
  /** The Reject itself; valid during the callback only (`copy()` to keep). */
  view: MessageView;
}

/** User code. Every callback is optional. Views are valid only during the callback: `copy()` to keep one. */
export interface Application {
  onCreate?(session: SessionHandle): void;
  onLogon?(session: SessionHandle): void;
  onLogout?(session: SessionHandle, reason: string): void;
  /** An application message, in sequence order, after session-level checks and validation. */
  onMessage?(view: MessageView, session: SessionHandle): void;
  /**
   * Every inbound admin message (QuickFIX's fromAdmin) the session takes in sequence: Logon,
   * Heartbeat, TestRequest, ResendRequest, Reject, SequenceReset, Logout (a SequenceReset-Reset, which
   * takes no number, as it arrives). Not called for messages the session rejects, duplicates it
   * ignores or a Logon it refuses. Called before the session's own reaction to it is carried out
   * further (a Logon before `onLogon`, unless it came beyond a gap: then once the gap is filled).
   */
  fromAdmin?(view: MessageView, session: SessionHandle): void;
  /**
   * Every admin message about to be sent (QuickFIX's toAdmin), Logon included, before it is written
   * and stored: `message.set(tag, value)` adds or replaces fields (Username/Password, a venue's custom
   * Logon tags). Must not send. A hook that throws is logged and the message goes out unchanged.
   */
  toAdmin?(message: OutgoingAdmin, session: SessionHandle): void;
  /**
   * A Reject (35=3) or BusinessMessageReject (35=j) that refers (RefSeqNum, 45) to an application
   * message this session sent, with the rejected message's ClOrdID where it can be found. A 35=3 is
   * also handed to `fromAdmin` first; a 35=j to `onMessage` first. Rejects of admin messages are not
   * passed here. When the rejected message is not among the recent sends, it is read from the store
   * and the callback comes when the read completes.
   */
  onReject?(reject: RejectedMessage, session: SessionHandle): void;
  /**
   * Resend policy (docs/ha.md): whether a stored application message a ResendRequest asks for is resent
   * (true) or gap-filled (false); `ageMs` is now minus its SendingTime (52). Without it, the session's
   * `resendMaxAgeSec` decides (everything is resent when that is not set either).
   */
  resendPolicy?(message: MessageView, ageMs: number, session: SessionHandle): boolean;
  /**
   * A stored application message (an order...) that a ResendRequest asked for and the resend policy
   * gap-filled instead: it was not sent again, the counterparty will not act on it. Called once per
   * message, before the gap fill is written; the view is valid during the callback only.
   */
  onNotResent?(seq: number, message: MessageView, session: SessionHandle): void;
  /**
   * An application message that `send` gave a MsgSeqNum but that the store could not commit, so it
   * never reached the wire and never will from this gateway (journal before send; docs/ha.md): the
   * session was fenced (another gateway owns it now) or the database stayed unreachable past the
   * store's retry time. Called once per message; never a silent loss. Admin messages are not reported.
   */
  onSendFailed?(info: SendFailure, session: SessionHandle): void;
}

/** An application message that was numbered but never sent (Application.onSendFailed). */
export interface SendFailure {
  /** The MsgSeqNum it was given; 0 when it was still queued (never numbered) as the session closed. */
  seq: number;
  /** MsgType (35). */
  msgType: string;
  /** ClOrdID (11) when the message has one. */
  clOrdId?: string;
  /** Why: fenced, or the database unreachable. */
  reason: string;
}
