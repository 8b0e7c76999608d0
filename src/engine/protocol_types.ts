/**
 * The engine/library protocol's types, codes and frame types (docs/library_protocol.md); the framing is
 * protocol.ts's, which re-exports everything here.
 */

/** The protocol version this build speaks (HELLO carries the library's; the engine answers with its own). */
export const PROTOCOL_VERSION = 1;
/** The largest frame accepted (length field), bytes. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/**
 * The largest HELLO (type, u16 version, two str fields of 65535 bytes): before its handshake a connection
 * sends no longer frame, so the engine refuses one at its length instead of buffering it (up to 16 MiB).
 */
export const MAX_HELLO_BYTES = 1 + 2 + 2 * (2 + 0xffff);
/**
 * The longest request id a SEND may carry, UTF-8 bytes: the engine keeps 10 000 of them per session
 * (a 65 535-byte one each would pin 640 MiB); a longer one is refused INVALID_MESSAGE.
 */
export const MAX_REQUEST_ID_BYTES = 256;

/** Error and refusal codes (ERROR, REFUSED, SEND_RESULT, SEQ_RESULT). */
export const ErrorCode = {
  /** HELLO named a version the engine does not speak. */
  UNSUPPORTED_VERSION: 1,
  /** HELLO's secret is wrong (or missing while the engine requires one). */
  AUTH_FAILED: 2,
  /** A command before HELLO. */
  HELLO_REQUIRED: 3,
  /** A frame that cannot be decoded (unknown type, truncated fields, too long). */
  MALFORMED: 4,
  /** The session key is not one of the engine's sessions. */
  UNKNOWN_SESSION: 10,
  /** Another library holds the session (REFUSED names it). */
  CLAIMED_BY_OTHER: 11,
  /** The command needs the session claimed by this library. */
  NOT_CLAIMED: 12,
  /** The session runs an application inside the engine (app: echo/log) and cannot be claimed. */
  APP_IN_ENGINE: 13,
  /** The journal could not be read for the replay. */
  REPLAY_FAILED: 14,
  /** SEND's message is not usable (no MsgType, a bad field). */
  INVALID_MESSAGE: 20,
  /** The session refused the send (kill switch, risk limit). */
  SEND_REFUSED: 21,
  /** The store failed: the message was not journaled. */
  STORE_FAILED: 22,
  /** The engine is shutting down. */
  SHUTTING_DOWN: 23,
  /** SEND with the if-logged-on flag while the session is not logged on: nothing sent, nothing queued. */
  NOT_LOGGED_ON: 24,
  /**
   * SET_SEQ's nextSenderSeq is below the session's next one: every number below that was used already
   * (it may have reached the wire), and no MsgSeqNum is sent twice. RESET starts numbering again instead.
   */
  SEQ_BELOW_SENT: 25,
  /** SET_SEQ with neither number, or one above 2147483648. */
  INVALID_SEQ: 26,
} as const;

/** Names of the error codes, for messages. */
export const ERROR_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ErrorCode).map(([k, v]) => [v, k]),
);

/** SEND_RESULT status. */
export const SendStatus = {
  /** Numbered (seq) and journaled. */
  ACCEPTED: 0,
  /** Waiting in the session's outbound queue (not logged on, throttled): numbered when it leaves; seq 0. */
  QUEUED: 1,
  /** Not taken: the session (or this library's in-flight window) is full; retry later with the same requestId. */
  BACK_PRESSURE: 2,
  /** Not taken, for good: code and text say why. */
  REFUSED: 3,
} as const;

// ------------------------------------------------------------------ types

/** One session as SESSIONS lists it. */
export interface SessionInfo {
  key: string;
  /** Configured name ("" when none). */
  name: string;
  role: string;
  /** The session's phase (e.g. "logged-on", "disconnected"). */
  phase: string;
  connected: boolean;
  loggedOn: boolean;
  nextSenderSeq: number;
  nextTargetSeq: number;
  /** The holding library's name and id ("name#id"), "" while engine-managed. */
  claimedBy: string;
}

/** Library -> engine. */
export type Command =
  | { type: "hello"; version: number; name: string; secret: string }
  | { type: "list"; tag: number }
  | { type: "claim"; key: string; replay: boolean; lastProcessedInSeq: number }
  | { type: "release"; key: string }
  | {
    type: "send";
    key: string;
    requestId: string;
    body: Uint8Array;
    /** Refuse (NOT_LOGGED_ON) instead of queueing when the session is not logged on (flags bit 0). */
    ifLoggedOn?: boolean;
  }
  | { type: "logout"; key: string; text: string }
  /** Reset both sequence numbers to 1 (Logon 141=Y when logged on); answered by SEQ_RESULT with `tag`. */
  | { type: "reset"; key: string; tag: number }
  /** Set the next sequence numbers (0: leave that one); answered by SEQ_RESULT with `tag`. */
  | { type: "set-seq"; key: string; tag: number; nextSenderSeq: number; nextTargetSeq: number };

/** Engine -> library. */
export type Event =
  | { type: "hello-ok"; version: number; engine: string; libraryId: number }
  | { type: "sessions"; tag: number; sessions: SessionInfo[] }
  | { type: "claimed"; key: string; loggedOn: boolean; nextSenderSeq: number; nextTargetSeq: number }
  | { type: "refused"; key: string; code: number; holder: string; text: string }
  | { type: "message"; key: string; seq: number; replayed: boolean; raw: Uint8Array }
  | { type: "live"; key: string; replayed: number }
  | { type: "logon"; key: string }
  | { type: "logout"; key: string; reason: string }
  | {
    type: "send-result";
    key: string;
    requestId: string;
    status: number;
    seq: number;
    code: number;
    text: string;
  }
  | { type: "released"; key: string; reason: string }
  | { type: "state"; session: SessionInfo }
  | {
    /** A message the engine will never send: not committed (fenced, database gone), or withdrawn (seq 0). */
    type: "send-failed";
    key: string;
    requestId: string; // The SEND's when the engine knows it, else "".
    seq: number;
    msgType: string;
    clOrdId: string; // "" when the message has none.
    reason: string;
  }
  | {
    /** A stored application message a ResendRequest asked for that the resend policy gap-filled instead. */
    type: "not-resent";
    key: string;
    seq: number;
    raw: Uint8Array;
  }
  | {
    /** The answer of RESET or SET_SEQ: code 0 done, else why not; the session's numbers after it. */
    type: "seq-result";
    key: string;
    tag: number;
    code: number;
    text: string;
    nextSenderSeq: number;
    nextTargetSeq: number;
  }
  | { type: "error"; code: number; text: string };

/** Frame type bytes. */
export const FrameType = {
  HELLO: 0x01,
  LIST: 0x02,
  CLAIM: 0x03,
  RELEASE: 0x04,
  SEND: 0x05,
  LOGOUT: 0x06,
  RESET: 0x07,
  SET_SEQ: 0x08,
  HELLO_OK: 0x81,
  SESSIONS: 0x82,
  CLAIMED: 0x83,
  REFUSED: 0x84,
  MESSAGE: 0x85,
  LIVE: 0x86,
  LOGON: 0x87,
  LOGOUT_EVENT: 0x88,
  SEND_RESULT: 0x89,
  RELEASED: 0x8a,
  STATE: 0x8b,
  SEND_FAILED: 0x8c,
  NOT_RESENT: 0x8d,
  SEQ_RESULT: 0x8e,
  ERROR: 0x8f,
} as const;

/** The event frame types this version knows (a library skips others: later versions may add events). */
export const EVENT_TYPES: ReadonlySet<number> = new Set([
  FrameType.HELLO_OK,
  FrameType.SESSIONS,
  FrameType.CLAIMED,
  FrameType.REFUSED,
  FrameType.MESSAGE,
  FrameType.LIVE,
  FrameType.LOGON,
  FrameType.LOGOUT_EVENT,
  FrameType.SEND_RESULT,
  FrameType.RELEASED,
  FrameType.STATE,
  FrameType.SEND_FAILED,
  FrameType.NOT_RESENT,
  FrameType.SEQ_RESULT,
  FrameType.ERROR,
]);

/** A protocol violation found while decoding. */
export class ProtocolError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}
