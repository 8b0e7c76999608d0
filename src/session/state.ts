/**
 * The state of one session and the small helpers every phase uses (events, consuming an inbound
 * number, resetting numbers, disconnecting).
 *
 * The state is one mutable object per session whose `phase` tells which fields matter: the machine
 * mutates it in place and returns it (see types.ts), so the active path allocates nothing for state.
 * Every field exists from creation on, whatever the phase, so the object keeps one shape.
 */
import { Encoder, MessageView } from "../codec/mod.ts";
import type { FixMessage } from "../codec/mod.ts";
import {
  createValidator,
  type ValidationOptions,
  validationOptions,
  type Validator,
} from "../dictionary/validate.ts";
import { ConfigError } from "../errors.ts";
import type { SeqNums } from "../codec/stored.ts";
import type { Action, Phase, SessionConfig, SessionEvent, SessionId } from "./types.ts";

/** Our outstanding ResendRequest: we wait until `end` has been received (or gap-filled). */
export interface OutstandingResendRequest {
  begin: number;
  /** Last MsgSeqNum this request must bring (for a request to infinity, 16=0: the one before the message that showed the gap). */
  end: number;
}

/** An inbound message held back because it came beyond a gap (a private copy of the frame). */
export interface QueuedInbound {
  view: MessageView;
  /** Already acted on when it arrived (a ResendRequest served at once, a Logon): only its number is consumed later. */
  served: boolean;
}

/** An application message waiting for the session to be logged on (case 16). */
export interface QueuedOutbound {
  message: FixMessage;
  resend: boolean;
}

/** Fields every phase has (some matter in certain phases only, as noted). */
export interface SessionCore {
  readonly config: SessionConfig;
  /** Validation switches: STRICT_VALIDATION with `config.validation` applied. */
  readonly validation: ValidationOptions;
  /**
   * The session's validator (dictionary and switches of `config`); undefined without a dictionary.
   * A new config (hot reload) brings a new one: see createValidator.
   */
  readonly validator: Validator | undefined;
  /** Next MsgSeqNum we send. */
  nextSenderSeq: number;
  /** Next MsgSeqNum we expect. */
  nextTargetSeq: number;
  /** Negotiated heartbeat interval in ms (0 = no heartbeats); set at logon. */
  heartbeatIntervalMs: number;
  /** Silence from the peer after which we send a TestRequest (heartbeat interval x testRequestDelayFactor). */
  testRequestDelayMs: number;
  /** When we last sent anything, epoch ms. */
  lastSentMs: number;
  /** An application message is being encoded (its writeBody runs): a send from inside it is refused. */
  encodingApp: boolean;
  /** When we last received a message, epoch ms. */
  lastReceivedMs: number;
  /** TestReqID of our unanswered TestRequest. */
  testRequestId: string | undefined;
  testRequestSentMs: number;
  /** TestRequests sent so far (for events; the TestReqID itself is always "TEST"). */
  testRequestCount: number;
  /** The application was told `logon` and not yet `logout`. */
  loggedOn: boolean;
  /** We sent Logon 141=Y mid-session and wait for the peer's. */
  resetSent: boolean;
  /** MsgSeqNum of the Logon we sent on this connection (for NextExpectedMsgSeqNum checks). */
  ourLogonSeq: number;
  /** Our outstanding ResendRequest. */
  resendRequested: OutstandingResendRequest | undefined;
  /** Messages beyond a gap, by MsgSeqNum. */
  readonly inboundQueue: Map<number, QueuedInbound>;
  /** Bytes the inbound queue's copies hold (gap.ts queuedBytes), bounded by MAX_INBOUND_QUEUE_BYTES. */
  inboundQueueBytes: number;
  /** A `resend` action is out and the engine's `resend-messages` answer has not come yet. */
  pendingResend: { begin: number; end: number } | undefined;
  /** Application messages sent while not logged on (case 16). */
  readonly outboundQueue: QueuedOutbound[];
  /**
   * Our MsgSeqNums sent with `resend: false`, as sorted disjoint ranges [start0, end0, start1, ...]:
   * gap-filled instead of resent. Kept in memory only (lost on restart, cleared on reset).
   */
  readonly notResendable: number[];
  /** awaiting-logon / logon-sent: when the logon times out, epoch ms. */
  logonDeadlineMs: number;
  /** logout-sent: when we stop waiting for the peer's Logout, epoch ms. */
  logoutDeadlineMs: number;
  /** One encoder for every message this session writes (frames cut with finishOwned: never rewritten). */
  readonly encoder: Encoder;
  /**
   * Our header encoded once for the session's `id` (see beginMessage): "35=<type>␁34=" by MsgType,
   * "␁[43=Y␁]49=..␁[50=..␁]52=" (mid, midPossDup), "49=..␁[50=..␁]" (sender), "␁56=..␁[57=..␁]"
   * (target; targetFields without the leading SOH), and the configured 142/143 written after them.
   */
  readonly headerPrefixes: {
    id: SessionId | undefined;
    byType: Map<string, Uint8Array>;
    sender: Uint8Array;
    mid: Uint8Array;
    midPossDup: Uint8Array;
    target: Uint8Array;
    targetFields: Uint8Array;
    late: Array<[number, string]>;
  };
  /** A view reused to read stored messages while answering a ResendRequest. */
  readonly scratch: MessageView;
  /** Header tags the session writes itself (never copied from an application message). */
  readonly ownHeaderTags: ReadonlySet<number>;
  /** BeginString and CompIDs as bytes, compared with inbound values without making strings. */
  readonly beginStringBytes: Uint8Array;
  readonly senderCompIdBytes: Uint8Array;
  readonly targetCompIdBytes: Uint8Array;
  /** FIX 4.2 and later (and FIXT): 16=0 means infinity, Reject carries 371/372/373, BusinessMessageReject exists. */
  readonly fix42Plus: boolean;
  /** Which fields a Reject of this session's version has (see rejectLayoutOf). */
  readonly rejectLayout: RejectLayout;
}

/**
 * The fields a Reject (35=3) may carry in the session's version, from the session dictionary's Reject
 * message and SessionRejectReason (373) values; without a dictionary, 371/372/373 from FIX 4.2 on with
 * any 373 value.
 */
export interface RejectLayout {
  refTagId: boolean;
  refMsgType: boolean;
  reason: boolean;
  /** The 373 values the version defines; undefined = any. */
  reasons: ReadonlySet<number> | undefined;
}

/** The Reject layout of a session (config.dictionary is the session, or FIXT transport, dictionary). */
export function rejectLayoutOf(config: SessionConfig, fix42Plus: boolean): RejectLayout {
  const d = config.dictionary;
  const tags = d?.messagesByType.get("3")?.topLevelTags;
  if (d === undefined || tags === undefined) {
    return { refTagId: fix42Plus, refMsgType: fix42Plus, reason: fix42Plus, reasons: undefined };
  }
  const enums = d.fieldsByTag.get(373)?.enums;
  return {
    refTagId: tags.has(371),
    refMsgType: tags.has(372),
    reason: tags.has(373),
    reasons: enums === undefined || enums.size === 0 ? undefined : new Set([...enums.keys()].map(Number)),
  };
}

/** Not connected. */
export interface DisconnectedState extends SessionCore {
  phase: "disconnected";
}
/** Acceptor: connected, waiting for the first message (which must be a Logon). */
export interface AwaitingLogonState extends SessionCore {
  phase: "awaiting-logon";
}
/** Initiator: our Logon is out, waiting for the reply. */
export interface LogonSentState extends SessionCore {
  phase: "logon-sent";
}
/** Logged on. */
export interface ActiveState extends SessionCore {
  phase: "active";
}
/** Our Logout is out, waiting for the peer's (or the timeout). */
export interface LogoutSentState extends SessionCore {
  phase: "logout-sent";
}

/** The state of a session: a union on `phase`. */
export type SessionState =
  | DisconnectedState
  | AwaitingLogonState
  | LogonSentState
  | ActiveState
  | LogoutSentState;

/** The phases in which a session is logged on (messages flow both ways). */
export type LoggedOnState = ActiveState | LogoutSentState;

/** Actions of the step being computed. */
export type Out = Action[];

const te = new TextEncoder();

/** Builds the state of a session from its settings and the store's sequence numbers; phase "disconnected". */
export function createState(config: SessionConfig, seq: SeqNums, nowMs: number): SessionState {
  checkConfig(config, seq);
  const id = config.id;
  const own = new Set([8, 9, 10, 35, 49, 56, 34, 52, 43, 122]);
  if (id.senderSubId) own.add(50);
  if (id.targetSubId) own.add(57);
  if (id.senderLocationId) own.add(142);
  if (id.targetLocationId) own.add(143);
  const fix42Plus = id.beginString !== "FIX.4.0" && id.beginString !== "FIX.4.1";
  const s: DisconnectedState = {
    phase: "disconnected",
    config,
    validation: validationOptions(config.validation ?? {}),
    validator: createValidator(config),
    nextSenderSeq: seq.nextSenderSeq,
    nextTargetSeq: seq.nextTargetSeq,
    heartbeatIntervalMs: config.heartbeatIntervalSec * 1000,
    testRequestDelayMs: Math.ceil(config.heartbeatIntervalSec * 1000 * config.testRequestDelayFactor),
    lastSentMs: nowMs,
    encodingApp: false,
    lastReceivedMs: nowMs,
    testRequestId: undefined,
    testRequestSentMs: 0,
    testRequestCount: 0,
    loggedOn: false,
    resetSent: false,
    ourLogonSeq: 0,
    resendRequested: undefined,
    inboundQueue: new Map(),
    inboundQueueBytes: 0,
    pendingResend: undefined,
    outboundQueue: [],
    notResendable: [],
    logonDeadlineMs: 0,
    logoutDeadlineMs: 0,
    encoder: new Encoder(4096),
    headerPrefixes: {
      id: undefined,
      byType: new Map(),
      sender: new Uint8Array(0),
      mid: new Uint8Array(0),
      midPossDup: new Uint8Array(0),
      target: new Uint8Array(0),
      targetFields: new Uint8Array(0),
      late: [],
    },
    scratch: new MessageView(),
    ownHeaderTags: own,
    beginStringBytes: te.encode(id.beginString),
    senderCompIdBytes: te.encode(id.senderCompId),
    targetCompIdBytes: te.encode(id.targetCompId),
    fix42Plus,
    rejectLayout: rejectLayoutOf(config, fix42Plus),
  };
  return s;
}

function checkConfig(c: SessionConfig, seq: SeqNums): void {
  const bad = (what: string) => {
    throw new ConfigError(`Session ${c.id.senderCompId}->${c.id.targetCompId}: ${what}`);
  };
  if (!c.id.beginString || !c.id.senderCompId || !c.id.targetCompId) {
    bad("beginString, senderCompId and targetCompId are required");
  }
  if (!Number.isInteger(c.heartbeatIntervalSec) || c.heartbeatIntervalSec < 0) {
    bad(`heartbeatIntervalSec must be a whole number >= 0, got ${c.heartbeatIntervalSec}`);
  }
  if (!(c.testRequestDelayFactor >= 1)) {
    bad(`testRequestDelayFactor must be >= 1, got ${c.testRequestDelayFactor}`);
  }
  if (!Number.isInteger(c.resendRequestChunkSize) || c.resendRequestChunkSize < 0) {
    bad(`resendRequestChunkSize must be a whole number >= 0, got ${c.resendRequestChunkSize}`);
  }
  if (!(c.maxLatencySec > 0)) bad(`maxLatencySec must be > 0, got ${c.maxLatencySec}`);
  if (!(c.logonTimeoutMs > 0) || !(c.logoutTimeoutMs > 0)) {
    bad("logonTimeoutMs and logoutTimeoutMs must be > 0");
  }
  if (!(seq.nextSenderSeq >= 1) || !(seq.nextTargetSeq >= 1)) {
    bad(`sequence numbers must be >= 1, got ${seq.nextSenderSeq}/${seq.nextTargetSeq}`);
  }
}

/** Moves the session to another phase (the object stays the same). */
export function setPhase(s: SessionState, phase: Phase): void {
  (s as { phase: Phase }).phase = phase;
}

/** Moves the session to "active" (after a Logon) and returns it typed as such. */
export function toActive(s: SessionState): ActiveState {
  setPhase(s, "active");
  return s as ActiveState;
}

/** True while logged on (active or waiting for the Logout reply). */
export function isLoggedOn(s: SessionState): s is LoggedOnState {
  return s.phase === "active" || s.phase === "logout-sent";
}

/** Emits an event action (a log line and a metric for the engine). */
export function emitEvent(
  out: Out,
  level: SessionEvent["level"],
  name: string,
  text: string,
  data?: Record<string, string | number | boolean>,
): void {
  const event: SessionEvent = data === undefined ? { level, name, text } : { level, name, text, data };
  out.push({ kind: "event", event });
}

/**
 * Consumes inbound MsgSeqNum `seq` (the expected one): journals the frame and advances the number.
 * The bytes are the view's frame: for a live message a subarray of the engine's buffer, valid while
 * the actions of this step run.
 */
export function consume(s: SessionState, out: Out, view: MessageView, seq: number): void {
  out.push({ kind: "persist-inbound", seq, frame: view });
  s.nextTargetSeq = seq + 1;
}

/** Both numbers back to 1 and a new store epoch; forgets everything tied to the old numbers. */
export function resetNumbers(s: SessionState, out: Out): void {
  s.nextSenderSeq = 1;
  s.nextTargetSeq = 1;
  s.notResendable.length = 0;
  s.inboundQueue.clear();
  s.inboundQueueBytes = 0;
  s.resendRequested = undefined;
  out.push({ kind: "store-reset" });
}

/** Forgets what belongs to one connection (the outbound queue stays: case 16). */
export function clearConnection(s: SessionState): void {
  s.inboundQueue.clear();
  s.inboundQueueBytes = 0;
  s.resendRequested = undefined;
  s.pendingResend = undefined;
  s.testRequestId = undefined;
  s.resetSent = false;
  s.ourLogonSeq = 0;
}

/**
 * Closes the connection: disconnect action, `logout` for the application when it was logged on,
 * and the resets the settings ask for. `afterLogout`: the session ended with a Logout exchange.
 * `transportClosed`: the transport is already gone (no disconnect action).
 */
export function disconnect(
  s: SessionState,
  out: Out,
  reason: string,
  afterLogout = false,
  transportClosed = false,
): void {
  if (s.phase === "disconnected") return;
  emitEvent(out, "info", "disconnect", reason, {
    nextSenderSeq: s.nextSenderSeq,
    nextTargetSeq: s.nextTargetSeq,
  });
  if (!transportClosed) out.push({ kind: "disconnect", reason });
  endLogon(s, out, reason);
  setPhase(s, "disconnected");
  clearConnection(s);
  const reset = s.config.resetOnDisconnect || (afterLogout && s.config.resetOnLogout);
  if (reset && (s.nextSenderSeq !== 1 || s.nextTargetSeq !== 1)) resetNumbers(s, out);
}

/** Tells the application the session is logged off (once). */
export function endLogon(s: SessionState, out: Out, reason: string): void {
  if (!s.loggedOn) return;
  s.loggedOn = false;
  out.push({ kind: "logout", reason });
}

/** True when MsgSeqNum `seq` of ours was sent with `resend: false`. */
export function isResendable(s: SessionState, seq: number): boolean {
  const r = s.notResendable;
  let lo = 0, hi = (r.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (seq < r[mid * 2]!) hi = mid - 1;
    else if (seq > r[mid * 2 + 1]!) lo = mid + 1;
    else return false;
  }
  return true;
}

/** Records that our MsgSeqNum `seq` must be gap-filled, not resent. Numbers only grow within an epoch. */
export function markNotResendable(s: SessionState, seq: number): void {
  const r = s.notResendable;
  const n = r.length;
  if (n > 0 && r[n - 1] === seq - 1) r[n - 1] = seq;
  else r.push(seq, seq);
}
