/**
 * The library's commands awaiting the engine's answer (library_client.ts keeps one Replies): CLAIM and
 * RELEASE by session key, LIST and RESET/SET_SEQ by tag, and the unanswered sends (the client's
 * PendingSends, used directly on the send path). When the connection is lost or the library ends, each
 * one gets its answer here: nothing waits forever.
 */
import type { SequenceOutcome } from "./boundary.ts";
import { ErrorCode, type Event, type SessionInfo } from "./protocol.ts";
import type { PendingSends } from "./library_pending.ts";
import { EngineError, type LibrarySession } from "./library_session.ts";

/** A RESET or SET_SEQ that did not reach the engine (code 0). */
export function seqRefused(code: number, reason: string): SequenceOutcome {
  return { kind: "refused", code, reason, nextSenderSeq: 0, nextTargetSeq: 0 };
}

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

export class Replies {
  #tag = 0;
  readonly lists = new Map<number, Waiter<SessionInfo[]>>();
  /** RESET / SET_SEQ awaiting their SEQ_RESULT, by tag. */
  readonly seqs = new Map<number, (o: SequenceOutcome) => void>();
  readonly claims = new Map<string, Waiter<LibrarySession>>();
  readonly releases = new Map<string, Waiter<void>>();

  /** `pending`: the library's unanswered sends. */
  constructor(readonly pending: PendingSends) {}

  /** A LIST: its tag and the promise its SESSIONS answer resolves. */
  list(): { tag: number; answer: Promise<SessionInfo[]> } {
    const tag = ++this.#tag;
    return { tag, answer: new Promise((resolve, reject) => this.lists.set(tag, { resolve, reject })) };
  }

  /** A RESET or SET_SEQ: its tag and the promise its SEQ_RESULT resolves. */
  sequence(): { tag: number; answer: Promise<SequenceOutcome> } {
    const tag = ++this.#tag;
    return { tag, answer: new Promise((r) => this.seqs.set(tag, r)) };
  }

  /** SEQ_RESULT: the RESET or SET_SEQ of its tag is done or refused. */
  seqResult(e: Extract<Event, { type: "seq-result" }>): void {
    const r = this.seqs.get(e.tag);
    this.seqs.delete(e.tag);
    const { nextSenderSeq, nextTargetSeq } = e;
    r?.(
      e.code === 0
        ? { kind: "done", nextSenderSeq, nextTargetSeq }
        : { kind: "refused", code: e.code, reason: e.text, nextSenderSeq, nextTargetSeq },
    );
  }

  /** The connection is gone: every command awaiting its answer gets one saying so. */
  lost(why: string): void {
    this.#refusePending(
      ErrorCode.SHUTTING_DOWN,
      "connection to the engine lost: outcome unknown (submit again with the same requestId)",
    );
    for (const [, c] of this.claims) c.reject(new EngineError(0, `connection to the engine lost: ${why}`));
    this.claims.clear();
    for (const [, r] of this.releases) r.resolve();
    this.releases.clear();
    // A LIST whose answer was lost: rejected (the caller may ask again once reconnected).
    for (const [, l] of this.lists) l.reject(new EngineError(0, `connection to the engine lost: ${why}`));
    this.lists.clear();
    // A RESET or SET_SEQ whose answer was lost: not repeated (its outcome is unknown: LIST to see the numbers).
    for (const [, r] of this.seqs) {
      r(seqRefused(0, `connection to the engine lost: ${why}: outcome unknown`));
    }
    this.seqs.clear();
  }

  /** The library is done for good: every claim, send, LIST, RESET and SET_SEQ awaiting an answer fails with `e`. */
  failAll(e: Error): void {
    for (const [, c] of this.claims) c.reject(e);
    this.claims.clear();
    this.#refusePending(0, e.message);
    for (const [, l] of this.lists) l.reject(e);
    this.lists.clear();
    for (const [, r] of this.seqs) r(seqRefused(0, e.message));
    this.seqs.clear();
  }

  /** Every unanswered send resolves as refused with this code and text. */
  #refusePending(code: number, text: string): void {
    for (const p of this.pending.drain()) {
      p.resolve({ requestId: p.requestId, status: "refused", seq: 0, code, text });
    }
  }
}
