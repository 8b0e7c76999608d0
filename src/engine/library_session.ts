/**
 * The library side's public types: the options of `connectEngine`, the engine's answer to a send, its
 * errors, the attached library (EngineLibrary) and the SessionHandle a claimed session's callbacks get.
 */
import type { FixMessage } from "../codec/mod.ts";
import { FixgError } from "../errors.ts";
import type { SessionId } from "../session/session_id.ts";
import type { Application, SendResult, SessionHandle } from "./application.ts";
import { MAX_SET_SEQ, type SequenceControl, type SequenceOutcome } from "./boundary.ts";
import { type Command, ErrorCode, type SessionInfo } from "./protocol.ts";
import { bodyView, clOrdIdOf, sessionIdOfKey } from "./library_body.ts";

/**
 * MsgTypes whose ClOrdID (11) is the message's own new id (an order, a cancel, a replace, a list, a cross,
 * a multileg order, a mass cancel or action): their ClOrdID is the default request id, so a retried order
 * is answered, not sent twice. In any other message (an OrderStatusRequest, an ExecutionReport, an
 * OrderCancelReject) 11 names an order that exists already: many messages carry the same one.
 */
const ORDER_ID_TYPES: ReadonlySet<string> = new Set([
  "D",
  "E",
  "F",
  "G",
  "q",
  "s",
  "t",
  "u",
  "AB",
  "AC",
  "CA",
]);

/**
 * The request id a message of `msgType` is sent with when none is given: its ClOrdID when the message
 * gives an order its ClOrdID (ORDER_ID_TYPES), else undefined (the caller makes a fresh one). The one rule
 * for connectEngine's send/submit and `fixg send`.
 */
export function orderRequestId(msgType: string, clOrdId: string | undefined): string | undefined {
  return clOrdId !== undefined && ORDER_ID_TYPES.has(msgType) ? clOrdId : undefined;
}

/** `send`'s answers (frozen, one each: no allocation per send, as in-process). */
const QUEUED: SendResult = Object.freeze({ kind: "queued" });
const BACK_PRESSURE: SendResult = Object.freeze({ kind: "back-pressure" });

/** Options of `connectEngine`. */
export interface EngineConnectOptions {
  /** Path of the engine's Unix socket (`engine.socket` of its fixg.yaml). */
  socket: string;
  /** The engine's shared secret, when it requires one. */
  secret?: string | undefined;
  /** This library's name, shown as the holder of its sessions (default "library"). */
  name?: string;
  /** Reconnect when the engine goes away (default true): backoff from 100 ms doubling to `maxBackoffMs`. */
  reconnect?: boolean;
  /** Longest wait between reconnect attempts, ms (default 5000). */
  maxBackoffMs?: number;
  /**
   * How long a connection waits for the engine's HELLO_OK, ms (default 10000, the engine's own HELLO
   * timeout): an engine that accepted the connection but does not answer (a stopped process) fails
   * connectEngine with an EngineError saying so, and a reconnection tries again.
   */
  helloTimeoutMs?: number;
  /** Sends awaiting their answer before `send` says "back-pressure" (default 1024). */
  window?: number;
  /** Called on connection changes and errors that have no caller to go to. */
  onStatus?: (event: "connected" | "disconnected" | "reconnecting", detail: string) => void;
}

/** The engine's answer to one send. */
export interface SendAnswer {
  requestId: string;
  status: "accepted" | "queued" | "back-pressure" | "refused";
  /** MsgSeqNum of an accepted message (0 otherwise). */
  seq: number;
  /** Error code of a refusal (docs/library_protocol.md), 0 otherwise. */
  code: number;
  text: string;
}

/** A refusal or error from the engine. */
export class EngineError extends FixgError {
  /** The protocol's error code (ErrorCode), 0 for a lost connection. */
  readonly errorCode: number;
  /** The library holding the session, for CLAIMED_BY_OTHER. */
  readonly holder: string;
  constructor(errorCode: number, message: string, holder = "") {
    super("ENGINE_REFUSED", message, { exitCode: 1 });
    this.errorCode = errorCode;
    this.holder = holder;
  }
}

/** RESET or SET_SEQ of one session, before its tag (library_client.ts adds it). */
export type SequenceRequest =
  | { type: "reset"; key: string }
  | { type: "set-seq"; key: string; nextSenderSeq: number; nextTargetSeq: number };

/**
 * A session claimed through the engine: the SessionHandle the application's callbacks receive, with the
 * sequence commands (RESET, SET_SEQ) an in-process SessionRunner has.
 */
export class LibrarySession implements SessionHandle, SequenceControl {
  readonly key: string;
  readonly id: SessionId;
  /**
   * The FIX session's state as the engine reported it last (kept while the library reconnects: the
   * engine still holds the session); false once the library is done (closed, the connection lost with
   * `reconnect: false`), when onLogout has run with the library's end reason.
   */
  loggedOn = false;
  /** True while the messages handed to onMessage are replayed from the journal (processed before?). */
  replaying = false;
  /** The highest inbound MsgSeqNum handed to onMessage (the position a re-claim replays after). */
  lastProcessedInSeq: number;
  /** The session as the engine last reported it (STATE: after the claim, each logon and logout). */
  state: SessionInfo | undefined;
  /** @internal Claimed without `lastProcessedInSeq`: live messages only. */
  liveOnly = false;
  /** Sequence numbers as of the claim. */
  nextSenderSeq = 0;
  nextTargetSeq = 0;
  readonly #lib: LibraryLink;
  readonly app: Application;
  /** Why this library no longer holds the session (released, re-claim refused); undefined while held. */
  #gone: string | undefined;
  #auto = 0;
  readonly #prefix = crypto.randomUUID().slice(0, 8);

  constructor(lib: LibraryLink, key: string, app: Application, last: number) {
    this.#lib = lib;
    this.key = key;
    this.id = sessionIdOfKey(key);
    this.app = app;
    this.lastProcessedInSeq = last;
  }

  /**
   * Sends an application message (header fields are the engine's): returns `{ kind: "queued" }` (the
   * engine numbers it; `submit` gives the answer), `{ kind: "back-pressure" }` when the window of
   * unanswered sends is full or the engine is not reachable (wait for `whenWritable()` and try again), or
   * `{ kind: "refused", reason }` when this library no longer holds the session (released) or is done.
   */
  send(message: FixMessage, _options?: { resend?: boolean }): SendResult {
    const gone = this.#gone ?? this.#lib.ended;
    if (gone !== undefined) return { kind: "refused", reason: gone, cause: "filter" };
    if (!this.#lib.writable) return BACK_PRESSURE;
    const clOrdId = clOrdIdOf(message);
    const requestId = orderRequestId(message.msgType, clOrdId) ?? `${this.#prefix}-${++this.#auto}`;
    this.#lib.post(this.key, requestId, bodyView(message), message.msgType, clOrdId);
    return QUEUED;
  }

  /**
   * Sends and resolves with the engine's answer: accepted (journaled, with its MsgSeqNum), queued,
   * back-pressure or refused. `requestId` defaults to the ClOrdID (11) of a message that gives an order
   * its ClOrdID (35=D, E, F, G, q, s, t, u, AB, AC, CA), else a fresh id (an OrderStatusRequest or an
   * ExecutionReport names an order that exists: it is sent each time): a retried request id is answered
   * with the first answer, never sent twice.
   */
  submit(
    message: FixMessage,
    options: { requestId?: string; ifLoggedOn?: boolean } = {},
  ): Promise<SendAnswer> {
    const requestId = options.requestId ?? orderRequestId(message.msgType, clOrdIdOf(message)) ??
      `${this.#prefix}-${++this.#auto}`;
    if (this.#gone !== undefined) {
      return Promise.resolve({
        requestId,
        status: "refused",
        seq: 0,
        code: ErrorCode.NOT_CLAIMED,
        text: this.#gone,
      });
    }
    return this.#lib.submit(this.key, requestId, bodyView(message), options.ifLoggedOn === true);
  }

  /** @internal The library no longer holds the session (`why`): sends are refused from now on. */
  detach(why: string): void {
    this.#gone = `${this.key} is not claimed by this library (${why}): claim it again to send`;
  }

  /** Resolves when the window of unanswered sends is half empty and the engine is reachable. */
  whenWritable(): Promise<void> {
    return this.#lib.whenWritable();
  }

  /** Starts the FIX Logout handshake of the session (the engine carries it out). */
  logout(text?: string): void {
    this.#lib.command({ type: "logout", key: this.key, text: text ?? "" });
  }

  /**
   * RESET (docs/library_protocol.md): both numbers back to 1, Logon 141=Y when logged on. Resolves with
   * the engine's SEQ_RESULT: done with the numbers after it, or refused with its code (code 0: the engine
   * was not reached).
   */
  resetSequence(): Promise<SequenceOutcome> {
    return this.#lib.sequence({ type: "reset", key: this.key });
  }

  /**
   * SET_SEQ: the next numbers (undefined: that one stays). Refused with SEQ_BELOW_SENT for a next sender
   * number below the session's (that number was used already), INVALID_SEQ without a number.
   */
  setSequence(nextSenderSeq?: number, nextTargetSeq?: number): Promise<SequenceOutcome> {
    for (const [name, v] of [["nextSenderSeq", nextSenderSeq], ["nextTargetSeq", nextTargetSeq]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= MAX_SET_SEQ)) {
        const reason = `${name} must be a whole number from 1 to ${MAX_SET_SEQ}`;
        return Promise.resolve({
          kind: "refused",
          code: ErrorCode.INVALID_SEQ,
          reason,
          nextSenderSeq: 0,
          nextTargetSeq: 0,
        });
      }
    }
    return this.#lib.sequence({
      type: "set-seq",
      key: this.key,
      nextSenderSeq: nextSenderSeq ?? 0,
      nextTargetSeq: nextTargetSeq ?? 0,
    });
  }
}

/** An attached library: what `connectEngine` returns. */
export interface EngineLibrary {
  /** The engine's sessions: state, sequence numbers, holder. */
  sessions(): Promise<SessionInfo[]>;
  /**
   * Claims a session for `application`: its onCreate, onLogon (when logged on), then onMessage for
   * every inbound application message after `lastProcessedInSeq` (replayed: `session.replaying`), then
   * live ones. Without `lastProcessedInSeq` only live messages come. Rejects with EngineError (holder named).
   */
  claim(
    sessionKey: string,
    application: Application,
    options?: { lastProcessedInSeq?: number },
  ): Promise<LibrarySession>;
  /** Gives the session back to the engine. */
  release(sessionKey: string): Promise<void>;
  /** Detaches: every claimed session returns to the engine (no FIX-level effect). */
  close(): Promise<void>;
  readonly connected: boolean;
}

/**
 * The library's side a LibrarySession sends through (library_client.ts): not part of what
 * `connectEngine` returns (a session's `send`, `submit`, `whenWritable` and sequence commands are the API).
 */
export interface LibraryLink extends EngineLibrary {
  readonly writable: boolean;
  /** Why the library is done for good (closed; the connection lost with `reconnect: false`), else undefined. */
  readonly ended: string | undefined;
  /** With `ifLoggedOn`, refused (NOT_LOGGED_ON) rather than queued while the session is down. */
  submit(key: string, requestId: string, body: Uint8Array, ifLoggedOn?: boolean): Promise<SendAnswer>;
  /** `submit` without waiting for the answer (SessionHandle.send): no promise per message. */
  post(key: string, requestId: string, body: Uint8Array, msgType: string, clOrdId: string | undefined): void;
  whenWritable(): Promise<void>;
  command(c: Command): void;
  /** RESET / SET_SEQ with a tag of its own; resolves with the SEQ_RESULT. */
  sequence(c: SequenceRequest): Promise<SequenceOutcome>;
}
