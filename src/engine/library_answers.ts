/**
 * What the engine's endpoint answers for a send once its fate is known: ACCEPTED after the journal flush
 * that covers it, REFUSED STORE_FAILED when that flush failed or the store reported the message will never
 * be committed; and SEND_FAILED (docs/library_protocol.md) for a message the engine will never send.
 * Also the SEQ_RESULT of a RESET or SET_SEQ, and a session's row in SESSIONS and STATE.
 */
import type { SendFailure } from "./application.ts";
import {
  type CommandOutcome,
  type CommandTarget,
  sendFailedEvent as eventOfFailure,
  type SequenceCommand,
  type SequenceOutcome,
} from "./boundary.ts";
import { type Answer, Journaling, type Slot } from "./library_conn.ts";
import { ErrorCode, type Event, SendStatus, type SessionInfo } from "./protocol.ts";
import type { GatewaySessionStatus } from "./gateway.ts";

/**
 * The answer of a send whose journal flush is done (or failed with `e`): kept on the pending entry itself
 * (`j.answer`), which stays in `recent` and answers a retry from then on (no second lookup in `recent` per
 * send: each is a cache miss in a map of 10,000 request ids, about 1 µs pipelined).
 */
export function journaledAnswer(j: Journaling, failed: boolean, e: unknown): Answer {
  if (j.slot.journaling.get(j.seq) === j) j.slot.journaling.delete(j.seq);
  const a: Answer = j.failed !== undefined
    ? {
      status: SendStatus.REFUSED,
      seq: j.seq,
      code: ErrorCode.STORE_FAILED,
      text: `numbered ${j.seq}, never committed, not sent: ${j.failed}`,
    }
    : !failed
    ? { status: SendStatus.ACCEPTED, seq: j.seq, code: 0, text: "" }
    : {
      status: SendStatus.REFUSED,
      seq: j.seq,
      code: ErrorCode.STORE_FAILED,
      text: `sent as ${j.seq} but the journal failed: ${e instanceof Error ? e.message : e}`,
    };
  // Never committed, so never sent: its request id is forgotten (a retry is a new attempt).
  if (j.failed !== undefined) {
    if (j.slot.recent.get(j.requestId) === j) j.slot.recent.delete(j.requestId);
  } else j.answer = a;
  return a;
}

/**
 * A session key a library sent, as quoted in a text: its first 64 characters. The key may be 65535 bytes,
 * more than a str field holds with the words around it (encoding that text threw).
 */
export function shownKey(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}...` : key;
}

/** A send still waiting for its journal flush (not answered yet). */
function pending(v: Answer | Journaling | undefined): boolean {
  return v instanceof Journaling && v.answer === undefined;
}

/**
 * The SEND_FAILED event of a message of session `key` that will never be sent (its store will not commit
 * it, or it was withdrawn from a session closed for good), with the request id when known: a send still
 * waiting for its journal flush is marked failed (answered REFUSED STORE_FAILED, never ACCEPTED); a queued
 * or withdrawn one is found by its ClOrdID (the TypeScript library's default request id). The request id
 * is forgotten: the message was never sent, so a retry is a new attempt.
 */
export function sendFailedEvent(
  slot: Slot,
  info: SendFailure,
  key: string,
): Extract<Event, { type: "send-failed" }> {
  let requestId = "";
  const j = info.seq > 0 ? slot.journaling.get(info.seq) : undefined;
  if (j !== undefined) {
    j.failed = info.reason;
    requestId = j.requestId;
  } else if (info.clOrdId !== undefined && slot.recent.has(info.clOrdId)) {
    requestId = info.clOrdId;
  }
  // Never sent: a retry of the request id is a new attempt, not answered "queued" again.
  if (requestId !== "" && !pending(slot.recent.get(requestId))) slot.recent.delete(requestId);
  return eventOfFailure(key, info, requestId);
}

/**
 * The SEND_RESULT answer of what a SEND did to the session (boundary.ts commandTarget), other than `sent`
 * (answered once journaled) and `done`; `remember`: kept under the request id (a retry gets it again).
 */
export function outcomeAnswer(
  r: Exclude<CommandOutcome, { kind: "sent" | "done" }>,
  key: string,
): { answer: Answer; remember: boolean } {
  switch (r.kind) {
    case "not-logged-on":
      return {
        answer: {
          status: SendStatus.REFUSED,
          seq: 0,
          code: ErrorCode.NOT_LOGGED_ON,
          text: `${key} is not logged on: nothing sent`,
        },
        remember: false,
      };
    case "busy":
      return {
        answer: { status: SendStatus.BACK_PRESSURE, seq: 0, code: 0, text: "too many sends in flight" },
        remember: false,
      };
    case "invalid":
      return {
        answer: { status: SendStatus.REFUSED, seq: 0, code: ErrorCode.INVALID_MESSAGE, text: r.reason },
        remember: true,
      };
    case "refused":
      return {
        answer: {
          status: SendStatus.REFUSED,
          seq: 0,
          code: r.cause === "filter" ? ErrorCode.SEND_REFUSED : ErrorCode.STORE_FAILED,
          text: r.reason,
        },
        remember: true,
      };
    case "back-pressure":
      return {
        answer: { status: SendStatus.BACK_PRESSURE, seq: 0, code: 0, text: "session outbound buffer full" },
        remember: false,
      };
    case "queued":
      return { answer: { status: SendStatus.QUEUED, seq: 0, code: 0, text: "" }, remember: true };
  }
}

/**
 * The SEQ_RESULT of a library's RESET or SET_SEQ: carried out through the session's target (boundary.ts)
 * only when that library holds the session (`holds`; `holder` the one that does, if any); `target`
 * undefined: no such session. Refusals before the session: code UNKNOWN_SESSION or NOT_CLAIMED, numbers 0.
 */
export async function sequenceResult(
  cmd: SequenceCommand,
  target: CommandTarget | undefined,
  holds: boolean,
  holder: string | undefined,
): Promise<Extract<Event, { type: "seq-result" }>> {
  const { key, tag } = cmd;
  const name = cmd.type === "reset" ? "RESET" : "SET_SEQ";
  const refused = (code: number, text: string) =>
    ({ type: "seq-result", key, tag, code, text, nextSenderSeq: 0, nextTargetSeq: 0 }) as const;
  if (target === undefined) {
    return refused(ErrorCode.UNKNOWN_SESSION, `no session "${shownKey(key)}" in this engine`);
  }
  if (!holds) {
    return refused(
      ErrorCode.NOT_CLAIMED,
      holder !== undefined
        ? `${name} needs the session claimed: ${key} is claimed by library ${holder}`
        : `${name} needs the session claimed by this library`,
    );
  }
  let o: SequenceOutcome;
  try {
    o = await target.sequence(cmd);
  } catch (e) {
    // The session's store failed or closed under the command: answered, never left without an answer.
    return refused(ErrorCode.STORE_FAILED, `${name} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    type: "seq-result",
    key,
    tag,
    code: o.kind === "done" ? 0 : o.code,
    text: o.kind === "done" ? "" : o.reason,
    nextSenderSeq: o.nextSenderSeq,
    nextTargetSeq: o.nextTargetSeq,
  };
}

/** A session's row in SESSIONS and STATE: its status and the label of the library holding it ("" for none). */
export function sessionInfo(s: GatewaySessionStatus, claimedBy: string): SessionInfo {
  return {
    key: s.key,
    name: s.name ?? "",
    role: s.role,
    phase: s.phase,
    connected: s.connected,
    loggedOn: s.loggedOn,
    nextSenderSeq: s.nextSenderSeq,
    nextTargetSeq: s.nextTargetSeq,
    claimedBy,
  };
}

const utf8 = new TextEncoder();

/** The UTF-8 byte length of `s` (its length when ASCII). */
export function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return utf8.encode(s).length;
  return s.length;
}

/** REFUSED NOT_CLAIMED of a command that needs the session claimed, naming its holder if any. */
export function notClaimed(key: string, holder: { label: string } | undefined, text: string): Event {
  return { type: "refused", key, code: ErrorCode.NOT_CLAIMED, holder: holder?.label ?? "", text };
}
