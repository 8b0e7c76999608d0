/**
 * Types of the pure session machine: `step(state, input, nowMs) -> { state, actions }`.
 *
 * The machine never touches sockets, files, clocks or timers: the engine (src/engine/session_runner.ts)
 * feeds it inputs with the current time and carries out the actions it returns, in order.
 * The machine may mutate and return the same state object (it is still free of I/O and of hidden
 * time: the same inputs at the same times give the same actions).
 */
import type { FixMessage, MessageView, TimestampPrecision } from "../codec/mod.ts";
import type { Dictionary } from "../dictionary/model.ts";
import type { ValidationOptions } from "../dictionary/validate.ts";
import type { StoredMessage } from "../codec/stored.ts";
import type { SessionId } from "./session_id.ts";

// One session identity (key, equality, from a Logon, template matching): src/session/session_id.ts.
export { type SessionId, sessionKey } from "./session_id.ts";

/** Settings of one session, as production engines name them. */
export interface SessionConfig {
  id: SessionId;
  role: "initiator" | "acceptor";
  /** HeartBtInt (108) we send as initiator, seconds. The acceptor uses the peer's. */
  heartbeatIntervalSec: number;
  /** Send 141=Y on every Logon and reset both numbers to 1 (ResetOnLogon). */
  resetOnLogon: boolean;
  /** Reset both numbers after a Logout (ResetOnLogout). */
  resetOnLogout: boolean;
  /** Reset both numbers on disconnect (ResetOnDisconnect). */
  resetOnDisconnect: boolean;
  /** Reload sequence numbers from the store at Logon (RefreshOnLogon); the engine acts on it. */
  refreshOnLogon: boolean;
  /** Send another ResendRequest for a range already requested (SendRedundantResendRequests). */
  sendRedundantResendRequests: boolean;
  /** Largest range per ResendRequest; 0 = one request to infinity (16=0). */
  resendRequestChunkSize: number;
  /** Check SendingTime against our clock (CheckLatency) within maxLatencySec (MaxLatency). */
  checkLatency: boolean;
  maxLatencySec: number;
  /** Check CompIDs of every inbound message (CheckCompID). */
  checkCompId: boolean;
  /** How long an initiator waits for the Logon reply, and an acceptor for the first Logon, ms. */
  logonTimeoutMs: number;
  /** How long we wait for the Logout reply before disconnecting, ms. */
  logoutTimeoutMs: number;
  /** TestRequest after heartbeat interval x this factor of silence (default 1.2). */
  testRequestDelayFactor: number;
  /**
   * When the peer's Logon asks for HeartBtInt 0 (no heartbeats): the interval, seconds, at which its
   * silence is still checked (TestRequest after this x testRequestDelayFactor, then disconnect as at any
   * interval); we send no heartbeats. Undefined or 0: no check at all. The gateway's acceptor sets it to
   * maxHeartBtIntSec, so a peer cannot turn liveness off with 108=0 where a huge 108 is refused.
   */
  zeroHeartBtIntCheckSec?: number;
  /** Digits of SendingTime we write. */
  timestampPrecision: TimestampPrecision;
  /** Send NextExpectedMsgSeqNum (789) on Logon and honour it when received. */
  enableNextExpectedMsgSeqNum: boolean;
  /** Username (553) and Password (554) an initiator sends on Logon. */
  username?: string;
  password?: string;
  /**
   * How 553/554 go out: `utf8` (default: `é` as C3 A9, the bytes `fixg config hash-password` hashes) or
   * `latin1` (one byte per character, `é` as E9: a counterparty that reads them as ISO-8859-1).
   */
  credentialsEncoding?: "utf8" | "latin1";
  /** FIXT 1.1: DefaultApplVerID (1137) sent on Logon, e.g. "9" for FIX 5.0 SP2. */
  defaultApplVerId?: string;
  /** Dictionary for validation of inbound messages; none = header checks only. */
  dictionary?: Dictionary;
  /** FIXT 1.1: the application dictionary (the transport one is `dictionary`), for the version it declares. */
  appDictionary?: Dictionary;
  /** FIXT 1.1: application dictionaries by version ("FIX.5.0", "FIX.5.0SP1", ...); other versions use the built-in ones. */
  appDictionaries?: ReadonlyMap<string, Dictionary>;
  /** Which validation checks are on (ValidateFieldsOutOfOrder, AllowUnknownMsgFields, ...). */
  validation?: Partial<ValidationOptions>;
  /** Application message types the application supports; others get BusinessMessageReject 380=3. Undefined = all. */
  supportedMsgTypes?: ReadonlySet<string>;
}

/** Defaults that match QuickFIX and the FIX session test cases. */
export const DEFAULT_SESSION_SETTINGS: Omit<SessionConfig, "id" | "role"> = {
  heartbeatIntervalSec: 30,
  resetOnLogon: false,
  resetOnLogout: false,
  resetOnDisconnect: false,
  refreshOnLogon: false,
  sendRedundantResendRequests: false,
  resendRequestChunkSize: 0,
  checkLatency: true,
  maxLatencySec: 120,
  checkCompId: true,
  logonTimeoutMs: 10_000,
  logoutTimeoutMs: 2_000,
  testRequestDelayFactor: 1.2,
  timestampPrecision: "ms",
  enableNextExpectedMsgSeqNum: false,
};

/** Phases of a session; the state is a union on `phase` in machine.ts. */
export type Phase =
  | "disconnected"
  /** Acceptor: connected, waiting for the first message (which must be a Logon). */
  | "awaiting-logon"
  /** Initiator: our Logon is out, waiting for theirs. */
  | "logon-sent"
  /** Logged on. */
  | "active"
  /** Our Logout is out, waiting for theirs (or the timeout). */
  | "logout-sent";

/** Inputs of the machine. */
export type Input =
  /** The transport connected (initiator: the machine sends Logon; acceptor: waits for one). */
  | { kind: "connected" }
  /** The transport closed or failed. */
  | { kind: "disconnected"; reason: string }
  /** A complete, checksum-verified inbound frame. Valid only during this step: copy to keep. */
  | { kind: "message"; view: MessageView }
  /** A frame the framer dropped (case 2d/2m/2t/3b): counted, logged, no sequence number consumed. */
  | { kind: "garbled"; reason: string; offset: number }
  /** Time passed: the machine checks heartbeat, test request, logon and logout deadlines. */
  | { kind: "tick" }
  /** The application sends a message. `resend: false` marks it not to be resent (gap-filled instead). */
  | { kind: "send"; message: FixMessage; resend?: boolean }
  /**
   * The engine's answer to a `resend` action: the stored outbound messages in the range, in order.
   * Messages missing from the store are gap-filled by the machine.
   */
  | { kind: "resend-messages"; begin: number; end: number; messages: StoredMessage[] }
  /** Operator or application asks for a Logout (with an optional Text). */
  | { kind: "logout"; text?: string }
  /** Operator: reset both sequence numbers (sends Logon 141=Y mid-session when active). */
  | { kind: "reset" }
  /** Operator: set the next sequence numbers. */
  | { kind: "set-seq"; nextSenderSeq?: number; nextTargetSeq?: number }
  /**
   * Operator: move our next MsgSeqNum up to `newSeqNo`, telling the peer with a SequenceReset-Reset
   * (35=4, 36=newSeqNo) when logged on (case 9's other way).
   */
  | { kind: "sequence-reset"; newSeqNo: number };

/** Why the machine wants a message sent. */
export type SendReason = "admin" | "app" | "resend" | "queued";

/** Actions the engine carries out, in order. */
export type Action =
  /**
   * Write these bytes (a complete frame, owned by the action) to the transport. When `persist` is
   * true the engine stores it as outbound message `seq` before or with writing it. Every message
   * sent with a new MsgSeqNum is persisted, admin ones included (so the store's nextSenderSeq is
   * always right and the journal complete; on resend the machine gap-fills admin messages); resent
   * copies and gap fills (old numbers) and a SequenceReset-Reset are not.
   */
  | { kind: "send"; seq: number; msgType: string; bytes: Uint8Array; persist: boolean; reason: SendReason }
  /**
   * Store an inbound message (journal) and advance the expected number to seq+1. The frame is the
   * message's view (`frame.bytes()` its bytes: for a live message a subarray of the engine's read
   * buffer): valid while this step's actions run, like `deliver`'s view; the store copies what it keeps.
   */
  | { kind: "persist-inbound"; seq: number; frame: MessageView }
  /** Hand an application message to the application. The view is valid during this action only. */
  | { kind: "deliver"; view: MessageView }
  /**
   * Read outbound messages [begin, end] from the store (end 0 = up to the last sent) and answer with
   * a `resend-messages` input before any other input.
   */
  | { kind: "resend"; begin: number; end: number }
  /** Set stored sequence numbers (after gap fill, SequenceReset, reset or set-seq). */
  | { kind: "store-seq"; nextSenderSeq?: number; nextTargetSeq?: number }
  /** Start a new epoch in the store (both numbers 1). */
  | { kind: "store-reset" }
  /** Reload sequence numbers from the store before the Logon goes out (RefreshOnLogon). */
  | { kind: "store-refresh" }
  /** Close the transport (after writing everything sent before this action). */
  | { kind: "disconnect"; reason: string }
  /** The session is logged on / off: the engine tells the application. */
  | { kind: "logon" }
  | { kind: "logout"; reason: string }
  /** Something worth a log line and a metric. */
  | { kind: "event"; event: SessionEvent };

/** Session events for logs and metrics. */
export interface SessionEvent {
  level: "debug" | "info" | "warn" | "error";
  /** A short stable name: logon, logout, gap, resend-request, resend, gap-fill, sequence-reset, reject-sent,
   * reject-received, business-reject-sent, garbled, heartbeat-timeout, test-request, disconnect, logon-refused,
   * seq-too-low, queued, possdup-ignored; also logon-timeout, logout-timeout, resend-complete, message-ignored. */
  name: string;
  text: string;
  /** Relevant sequence numbers and tags. */
  data?: Record<string, string | number | boolean>;
}

/** Result of one step. */
export interface StepResult<S> {
  state: S;
  actions: Action[];
  /** The next time the machine wants a `tick` (epoch ms), or undefined for none. */
  nextTickMs: number | undefined;
}
