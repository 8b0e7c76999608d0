/**
 * The engine's boundary as a message protocol (issue 16): commands in, events out, each a small
 * serialisable type (no functions; bytes as Uint8Array). A session emits `EngineEvent`s to an
 * `EventSink`; `applicationSink(app, handle)` turns them into the in-process `Application` callbacks, and
 * the library endpoint (library_server.ts) is a sink that writes each event's frame to the library that
 * holds the session. Commands addressed to a session (`SessionCommand`) are carried out against its
 * `SessionHandle` by `commandTarget`. The wire form of both is the library protocol's
 * (docs/library_protocol.md): the event and command types here are its types (protocol.ts), so there is
 * one mapping, through protocol.ts's encoders and decoders (`eventToFrame`, `eventFromFrame`,
 * `commandToFrame`, `commandFromFrame`).
 *
 * In-process events may carry the parsed message (`view`) beside its bytes: valid during `emit` only,
 * never serialised; `applicationSink` hands it to the callback as is (no copy, no parse).
 */
import { type FixMessage, MessageView } from "../codec/mod.ts";
import type { Application, RejectedMessage, SendFailure, SendResult, SessionHandle } from "./application.ts";
import { PreEncodedMessage } from "../session/pre_encoded.ts";
import {
  type Command,
  decodeCommand,
  decodeEvent,
  encodeCommand,
  encodeEvent,
  ErrorCode,
  type Event,
  ProtocolError,
  type SessionInfo,
} from "./protocol.ts";

// ------------------------------------------------------------------ events (engine -> application)

/** An inbound application message (MESSAGE): `raw` is the whole FIX message, 8= to 10=. */
export interface MessageEvent {
  readonly type: "message";
  readonly key: string;
  /** Its MsgSeqNum (34). */
  readonly seq: number;
  /** Replayed from the journal after a claim (library side only; in-process false). */
  readonly replayed: boolean;
  readonly raw: Uint8Array;
  /** In-process: the parsed message, valid during `emit` only; never serialised. */
  readonly view?: MessageView | undefined;
}

/**
 * The message event a session reuses for every delivery (no allocation per message): `seq` and `raw` are
 * read from `view` when asked for. Valid during `emit` only.
 */
export class ViewMessageEvent implements MessageEvent {
  readonly type = "message" as const;
  readonly replayed = false;
  view: MessageView | undefined = undefined;
  constructor(readonly key: string) {}
  get seq(): number {
    return this.view!.getInt(34) ?? 0;
  }
  get raw(): Uint8Array {
    const v = this.view!;
    return v.buf.subarray(v.start, v.end);
  }
}

/** An inbound admin message the session took in sequence (fromAdmin); on the wire only a 35=3 (as MESSAGE). */
export interface AdminEvent {
  readonly type: "admin";
  readonly key: string;
  readonly msgType: string;
  readonly seq: number;
  readonly raw: Uint8Array;
  readonly view?: MessageView | undefined;
}

/** A Reject (35=3) or BusinessMessageReject (35=j) of an application message we sent (onReject). */
export interface RejectEvent {
  readonly type: "reject";
  readonly key: string;
  readonly msgType: "3" | "j";
  readonly refSeqNum: number;
  readonly refMsgType: string;
  readonly refTagId: number | undefined;
  readonly reason: number | undefined;
  readonly text: string | undefined;
  readonly businessRejectRefId: string | undefined;
  readonly clOrdId: string | undefined;
  /** The Reject itself. */
  readonly raw: Uint8Array;
  readonly view?: MessageView | undefined;
}

/** A stored application message a ResendRequest asked for that the resend policy gap-filled (NOT_RESENT). */
export interface NotResentEvent {
  readonly type: "not-resent";
  readonly key: string;
  readonly seq: number;
  readonly raw: Uint8Array;
  readonly view?: MessageView | undefined;
}

/** The events the library protocol carries as they are (LOGON, LOGOUT, STATE, SEND_FAILED). */
export type LogonEvent = Extract<Event, { type: "logon" }>;
export type LogoutEvent = Extract<Event, { type: "logout" }>;
export type StateEvent = Extract<Event, { type: "state" }>;
export type SendFailedEvent = Extract<Event, { type: "send-failed" }>;

/** A session was made (onCreate); in-process only (no frame). */
export interface CreateEvent {
  readonly type: "create";
  readonly key: string;
}

/** What a session tells its application. */
export type EngineEvent =
  | MessageEvent
  | AdminEvent
  | RejectEvent
  | NotResentEvent
  | LogonEvent
  | LogoutEvent
  | StateEvent
  | SendFailedEvent
  | CreateEvent;

/** Where a session's events go. */
export interface EventSink {
  emit(e: EngineEvent): void;
}

/**
 * The library protocol frame of an event, or undefined for the events that have none on the wire
 * (create, reject: the Reject itself reaches the library as a MESSAGE; admin other than 35=3).
 */
export function eventToFrame(e: EngineEvent): Uint8Array | undefined {
  const p = eventToProtocol(e);
  return p === undefined ? undefined : encodeEvent(p);
}

/** The protocol event (protocol.ts) a frame-bearing engine event is sent as; undefined when none. */
export function eventToProtocol(e: EngineEvent): Event | undefined {
  switch (e.type) {
    case "message":
      return { type: "message", key: e.key, seq: e.seq, replayed: e.replayed, raw: e.raw };
    case "admin":
      return e.msgType === "3"
        ? { type: "message", key: e.key, seq: e.seq, replayed: false, raw: e.raw }
        : undefined;
    case "not-resent":
      return { type: "not-resent", key: e.key, seq: e.seq, raw: e.raw };
    case "logon":
    case "logout":
    case "state":
    case "send-failed":
      return e;
    case "create":
    case "reject":
      return undefined;
  }
}

/**
 * The session event a library protocol frame carries (one whole frame, length prefix included), or
 * undefined for the endpoint's own answers (HELLO_OK, SESSIONS, CLAIMED, REFUSED, LIVE, SEND_RESULT,
 * RELEASED, ERROR). Throws ProtocolError for a malformed frame.
 */
export function eventFromFrame(frame: Uint8Array): EngineEvent | undefined {
  const e = decodeEvent(frame, 4, bodyEnd(frame));
  switch (e.type) {
    case "message":
    case "not-resent":
    case "logon":
    case "logout":
    case "state":
    case "send-failed":
      return e;
    default:
      return undefined;
  }
}

// ------------------------------------------------------------------ the in-process adapter

/** The sink an Application made by `sinkApplication` emits to. */
const SINK = Symbol("fixg.sink");

/** Event kinds an Application made from a sink takes (its callbacks are defined for those only). */
export type SinkKind =
  | "message"
  | "admin"
  | "reject"
  | "logon"
  | "logout"
  | "send-failed"
  | "not-resent"
  | "create";

/**
 * The sink that hands events to the in-process Application's callbacks for session `handle`: dispatch
 * only (a callback the application does not have is skipped; guarding is the caller's). The view is
 * passed as is when the event has one; an event from the wire is parsed. An Application made by
 * `sinkApplication` is its sink itself.
 */
export function applicationSink(app: Application, handle: SessionHandle): EventSink {
  const inner = (app as { [SINK]?: EventSink })[SINK];
  if (inner !== undefined) return inner;
  return {
    emit(e: EngineEvent): void {
      switch (e.type) {
        case "message":
          app.onMessage?.(e.view ?? MessageView.parse(e.raw), handle);
          return;
        case "admin":
          app.fromAdmin?.(e.view ?? MessageView.parse(e.raw), handle);
          return;
        case "reject":
          app.onReject?.(rejectedOf(e), handle);
          return;
        case "logon":
          app.onLogon?.(handle);
          return;
        case "logout":
          app.onLogout?.(handle, e.reason);
          return;
        case "send-failed":
          app.onSendFailed?.(sendFailureOf(e), handle);
          return;
        case "not-resent":
          app.onNotResent?.(e.seq, e.view ?? MessageView.parse(e.raw), handle);
          return;
        case "create":
          app.onCreate?.(handle);
          return;
        case "state":
          return;
      }
    },
  };
}

/**
 * An Application whose callbacks (those of `kinds` only: a callback an application has changes what the
 * session does, e.g. onReject keeps the recent sends) emit events to `sink`: how a sink is run by code
 * that takes an Application (the gateway). `applicationSink` of it is `sink` itself.
 */
export function sinkApplication(sink: EventSink, kinds: readonly SinkKind[]): Application {
  const app: Application & { [SINK]?: EventSink } = {};
  const has = new Set(kinds);
  const raw = (v: MessageView) => v.buf.subarray(v.start, v.end);
  if (has.has("message")) {
    app.onMessage = (view, s) =>
      sink.emit({
        type: "message",
        key: s.key,
        seq: view.getInt(34) ?? 0,
        replayed: false,
        raw: raw(view),
        view,
      });
  }
  if (has.has("admin")) {
    app.fromAdmin = (view, s) =>
      sink.emit({
        type: "admin",
        key: s.key,
        msgType: view.msgType,
        seq: view.getInt(34) ?? 0,
        raw: raw(view),
        view,
      });
  }
  if (has.has("reject")) app.onReject = (r, s) => sink.emit(rejectEvent(s.key, r));
  if (has.has("logon")) app.onLogon = (s) => sink.emit({ type: "logon", key: s.key });
  if (has.has("logout")) app.onLogout = (s, reason) => sink.emit({ type: "logout", key: s.key, reason });
  if (has.has("send-failed")) app.onSendFailed = (info, s) => sink.emit(sendFailedEvent(s.key, info));
  if (has.has("not-resent")) {
    app.onNotResent = (seq, view, s) =>
      sink.emit({ type: "not-resent", key: s.key, seq, raw: raw(view), view });
  }
  if (has.has("create")) app.onCreate = (s) => sink.emit({ type: "create", key: s.key });
  Object.defineProperty(app, SINK, { value: sink });
  return app;
}

/** The reject event of a RejectedMessage. */
export function rejectEvent(key: string, r: RejectedMessage): RejectEvent {
  return {
    type: "reject",
    key,
    msgType: r.msgType,
    refSeqNum: r.refSeqNum,
    refMsgType: r.refMsgType,
    refTagId: r.refTagId,
    reason: r.reason,
    text: r.text,
    businessRejectRefId: r.businessRejectRefId,
    clOrdId: r.clOrdId,
    raw: r.view.buf.subarray(r.view.start, r.view.end),
    view: r.view,
  };
}

/** The RejectedMessage (Application.onReject) of a reject event. */
export function rejectedOf(e: RejectEvent): RejectedMessage {
  return {
    msgType: e.msgType,
    refSeqNum: e.refSeqNum,
    refMsgType: e.refMsgType,
    refTagId: e.refTagId,
    reason: e.reason,
    text: e.text,
    businessRejectRefId: e.businessRejectRefId,
    clOrdId: e.clOrdId,
    view: e.view ?? MessageView.parse(e.raw),
  };
}

/** The send-failed event of a SendFailure (request id unknown: ""; no ClOrdID: ""). */
export function sendFailedEvent(key: string, info: SendFailure, requestId = ""): SendFailedEvent {
  return {
    type: "send-failed",
    key,
    requestId,
    seq: info.seq,
    msgType: info.msgType,
    clOrdId: info.clOrdId ?? "",
    reason: info.reason,
  };
}

/** The SendFailure (Application.onSendFailed) of a send-failed event. */
export function sendFailureOf(e: SendFailedEvent): SendFailure {
  return e.clOrdId !== ""
    ? { seq: e.seq, msgType: e.msgType, clOrdId: e.clOrdId, reason: e.reason }
    : { seq: e.seq, msgType: e.msgType, reason: e.reason };
}

/** One session's STATE (as SESSIONS lists it). */
export function stateEvent(session: SessionInfo): StateEvent {
  return { type: "state", session };
}

// ------------------------------------------------------------------ commands (application -> engine)

/** A command addressed to one session: the library protocol's CLAIM, RELEASE, SEND, LOGOUT, RESET, SET_SEQ. */
export type SessionCommand = Extract<
  Command,
  { type: "claim" | "release" | "send" | "logout" | "reset" | "set-seq" }
>;
/** RESET and SET_SEQ: the operator's sequence-number commands (also the admin endpoint's). */
export type SequenceCommand = Extract<Command, { type: "reset" | "set-seq" }>;
/** Every command into the engine: the session commands and the endpoint's own (HELLO, LIST). */
export type EngineCommand = Command;

/** The library protocol frame of a command. */
export function commandToFrame(c: EngineCommand): Uint8Array {
  return encodeCommand(c);
}

/** The command of one whole frame (length prefix included). Throws ProtocolError for a malformed one. */
export function commandFromFrame(frame: Uint8Array): EngineCommand {
  return decodeCommand(frame, 4, bodyEnd(frame));
}

/**
 * What a command did to the session: a send's SendResult, or
 * - `not-logged-on`: a send "if logged on" while the session is not: nothing sent, nothing queued;
 * - `busy`: the sender has too many sends awaiting their answer (the caller's limit): nothing sent;
 * - `invalid`: the body is not a message (`reason`);
 * - `done`: a logout was started.
 */
export type CommandOutcome =
  | SendResult
  | { readonly kind: "not-logged-on" }
  | { readonly kind: "busy" }
  | { readonly kind: "invalid"; readonly reason: string }
  | { readonly kind: "done" };

/**
 * What RESET or SET_SEQ did: `done`, or `refused` with the protocol's code (`ErrorCode.SEQ_BELOW_SENT`,
 * `INVALID_SEQ`) and why, nothing changed; with the session's numbers after it (SEQ_RESULT's).
 */
export type SequenceOutcome =
  | { readonly kind: "done"; readonly nextSenderSeq: number; readonly nextTargetSeq: number }
  | {
    readonly kind: "refused";
    readonly code: number;
    readonly reason: string;
    readonly nextSenderSeq: number;
    readonly nextTargetSeq: number;
  };

/** What a session offers for RESET and SET_SEQ (the SessionRunner: both go through its mailbox). */
export interface SequenceControl {
  /**
   * Both numbers back to 1: a Logon with ResetSeqNumFlag (141=Y) when logged on, else at once (a
   * connection with our Logon or Logout out is closed: its old numbers reached the counterparty).
   */
  resetSequence(): Promise<SequenceOutcome>;
  /**
   * Sets the next numbers (undefined: that one stays), after what was queued before it. Refused by
   * `setSequenceRefusal` (checked when it runs, against the numbers of that moment).
   */
  setSequence(nextSenderSeq?: number, nextTargetSeq?: number): Promise<SequenceOutcome>;
}

/** The largest sequence number SET_SEQ (and the admin endpoint's set-seq) takes. */
export const MAX_SET_SEQ = 2 ** 31;

/**
 * Why a set-seq must not be carried out on a session whose numbers are `now`, or undefined when it may:
 * neither number given, one out of 1..2^31 (`INVALID_SEQ`), or a next sender number below the session's
 * (`SEQ_BELOW_SENT`): every number below it was used and may have reached the wire, and no path may
 * send a MsgSeqNum twice (a reset starts numbering again instead). The target side may go back (the
 * session then takes a repeated number again).
 */
export function setSequenceRefusal(
  now: { readonly nextSenderSeq: number; readonly nextTargetSeq: number },
  nextSenderSeq: number | undefined,
  nextTargetSeq: number | undefined,
): Extract<SequenceOutcome, { kind: "refused" }> | undefined {
  const refuse = (code: number, reason: string): Extract<SequenceOutcome, { kind: "refused" }> => ({
    kind: "refused",
    code,
    reason,
    nextSenderSeq: now.nextSenderSeq,
    nextTargetSeq: now.nextTargetSeq,
  });
  if (nextSenderSeq === undefined && nextTargetSeq === undefined) {
    return refuse(ErrorCode.INVALID_SEQ, "give nextSenderSeq and/or nextTargetSeq");
  }
  for (const [name, v] of [["nextSenderSeq", nextSenderSeq], ["nextTargetSeq", nextTargetSeq]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= MAX_SET_SEQ)) {
      return refuse(ErrorCode.INVALID_SEQ, `${name} must be a whole number from 1 to ${MAX_SET_SEQ}`);
    }
  }
  if (nextSenderSeq !== undefined && nextSenderSeq < now.nextSenderSeq) {
    return refuse(
      ErrorCode.SEQ_BELOW_SENT,
      `nextSenderSeq ${nextSenderSeq} is below the next number ${now.nextSenderSeq}: MsgSeqNum ${
        now.nextSenderSeq - 1
      } was used already (reset to start again at 1)`,
    );
  }
  return undefined;
}

/** The done outcome with the numbers of `s`. */
export function sequenceDone(
  s: { readonly nextSenderSeq: number; readonly nextTargetSeq: number },
): SequenceOutcome {
  return { kind: "done", nextSenderSeq: s.nextSenderSeq, nextTargetSeq: s.nextTargetSeq };
}

/** Carries out SEND, LOGOUT, RESET and SET_SEQ against one session. */
export interface CommandTarget {
  /** `busy`: the sender's own limit is reached (checked after "if logged on", before the body is read). */
  apply(c: Extract<SessionCommand, { type: "send" | "logout" }>, busy?: boolean): CommandOutcome;
  /** RESET, SET_SEQ (a number 0: that one stays); resolves once the session's mailbox carried it out. */
  sequence(c: SequenceCommand): Promise<SequenceOutcome>;
}

/**
 * The target that applies commands to `session`: what the library endpoint's SEND, LOGOUT, RESET and
 * SET_SEQ do, and the admin endpoint's reset and set-seq.
 */
export function commandTarget(session: SessionHandle & SequenceControl): CommandTarget {
  return {
    sequence(c): Promise<SequenceOutcome> {
      if (c.type === "reset") return session.resetSequence();
      return session.setSequence(
        c.nextSenderSeq === 0 ? undefined : c.nextSenderSeq,
        c.nextTargetSeq === 0 ? undefined : c.nextTargetSeq,
      );
    },
    apply(c, busy = false): CommandOutcome {
      if (c.type === "logout") {
        session.logout(c.text === "" ? undefined : c.text);
        return DONE;
      }
      if (c.ifLoggedOn === true && !session.loggedOn) return NOT_LOGGED_ON;
      if (busy) return BUSY;
      let message: FixMessage;
      try {
        // The body's bytes go into the frame as they are when it holds plain body fields only.
        message = PreEncodedMessage.fromBody(c.body);
      } catch (e) {
        return { kind: "invalid", reason: e instanceof Error ? e.message : String(e) };
      }
      return session.send(message);
    },
  };
}

/** The end of a whole frame's fields: its length prefix must cover exactly the rest of `frame`. */
function bodyEnd(frame: Uint8Array): number {
  const n = frame.length >= 4 ? new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0) : -1;
  if (n !== frame.length - 4) {
    throw new ProtocolError(
      ErrorCode.MALFORMED,
      `frame length ${n} does not match its ${frame.length - 4} bytes`,
    );
  }
  return frame.length;
}

const DONE = { kind: "done" } as const;
const NOT_LOGGED_ON = { kind: "not-logged-on" } as const;
const BUSY = { kind: "busy" } as const;
