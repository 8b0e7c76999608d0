/**
 * The way out of a session: application sends (refused by a filter, back-pressure above the bound,
 * numbered and written at once through the machine's pure fast path when nothing waits, else queued by
 * priority), the drain of the priority queues into the machine, and the writing and storing of every
 * numbered message (journal before send: a store failure stops the session).
 */
import type { FixMessage } from "../../codec/mod.ts";
import { sendAppNow } from "../../session/outbound.ts";
import { PreEncodedMessage } from "../../session/pre_encoded.ts";
import type { SendResult } from "../application.ts";
import type { Priority } from "../flow/outbound_queue.ts";
import type { SessionActor } from "./actor.ts";

/** A message that waits: a pre-encoded body gets its own copy of its bytes (they lie in a read buffer). */
function keep(message: FixMessage): FixMessage {
  return message instanceof PreEncodedMessage ? message.detach() : message;
}

/**
 * Why an application cannot send a session-level message of this MsgType, or undefined: the session
 * sends its own Logon, ResendRequest, SequenceReset and Logout (an application's would be numbered as an
 * application message: a SequenceReset moving the counterparty's expected number, a Logon mid-session).
 * Heartbeat, TestRequest and Reject may be sent.
 */
export function sessionOwned(msgType: string): string | undefined {
  if (msgType.length !== 1) return undefined;
  switch (msgType) {
    case "A":
      return "the session sends its own Logon";
    case "2":
      return "the session sends its own ResendRequests";
    case "4":
      return "the session's sequence numbers are its own (resetSequence/setSequence; RESET, SET_SEQ on the engine socket)";
    case "5":
      return "the session sends its own Logout (logout(); LOGOUT on the engine socket)";
  }
  return undefined;
}

const QUEUED: SendResult = Object.freeze({ kind: "queued" });
const BACK_PRESSURE: SendResult = Object.freeze({ kind: "back-pressure" });

export class Sender {
  constructor(readonly a: SessionActor) {}

  /**
   * When a message leaves, on performance.now()'s clock: the turn clock's (one read per read, or per
   * run of sends outside a read), as for messages leaving the queue.
   */
  readonly #perfNow = (): number => this.a.clock.perfNow();

  /**
   * An application send: refused (a filter, a failed store), back-pressure above the bound, sent (numbered
   * and written at once through the fast path when nothing waits), else queued.
   */
  send(message: FixMessage, options?: { resend?: boolean; priority?: Priority }): SendResult {
    const a = this.a;
    if (a.storeError) {
      return {
        kind: "refused",
        reason: a.storeError.message,
        cause: "store",
      };
    }
    const refused = sessionOwned(message.msgType) ?? a.pipeline.check(message);
    if (refused !== undefined) {
      return {
        kind: "refused",
        reason: `35=${message.msgType} refused on ${a.key}: ${refused}`,
        cause: "filter",
      };
    }
    if (a.writer.buffered + a.queue.bytes > a.writer.hwm) {
      a.counters.backPressureEvents++;
      return BACK_PRESSURE;
    }
    const resend = options?.resend !== false;
    const priority = options?.priority;
    if (a.executor.busy && a.mailboxSize > 0) {
      // A command this callback asked for earlier runs after the step: this send follows it.
      const kept = keep(message);
      a.command(() => this.#dispatch(kept, resend, priority));
      return QUEUED;
    }
    return this.#dispatch(message, resend, priority);
  }

  /** Numbers and writes a message now when nothing waits, else queues it by priority. */
  #dispatch(message: FixMessage, resend: boolean, priority: Priority | undefined): SendResult {
    const a = this.a;
    if (this.#canSendNow()) {
      a.pipeline.leave(message, this.#perfNow);
      const seq = this.#sendDirect(message, resend, a.clock.now());
      if (seq > 0) {
        a.writer.scheduleFlush();
        return { kind: "sent", seq };
      }
      const before = a.state.nextSenderSeq;
      a.input(resend ? { kind: "send", message } : { kind: "send", message, resend: false });
      a.writer.scheduleFlush();
      const next = a.state.nextSenderSeq;
      return next > before ? { kind: "sent", seq: next - 1 } : QUEUED;
    }
    const p = priority ?? a.queue.priorityOf(message.msgType);
    a.queue.push(keep(message), resend, p, a.clock.perfNow());
    if (!a.executor.busy) a.writer.scheduleFlush();
    return QUEUED;
  }

  /** True when a message can be numbered and written now without overtaking anything. */
  #canSendNow(): boolean {
    const a = this.a;
    if (!a.state.loggedOn || !a.conn || a.writer.writing || a.blocked || a.executor.sendsAhead > 0) {
      return false;
    }
    if (a.queue.length > 0 || a.storeError !== undefined || a.closeAfterFlush !== undefined) {
      return false;
    }
    const limit = a.pipeline.throttles.outbound;
    return limit === undefined || limit.tryTake(a.scheduler.nowMs());
  }

  /** The usual send: straight through the machine's pure fast path; its MsgSeqNum, or 0 when it needs an input. */
  #sendDirect(message: FixMessage, resend: boolean, nowMs: number): number {
    const a = this.a;
    const seq = a.state.nextSenderSeq;
    const bytes = sendAppNow(a.state, message, nowMs, resend);
    if (bytes === undefined) return 0;
    this.sent(seq, message.msgType, bytes);
    return seq;
  }

  /** Writes and stores message `seq`, sent with a new MsgSeqNum. */
  sent(seq: number, msgType: string, bytes: Uint8Array): void {
    const a = this.a;
    a.admin.recent?.record(seq, bytes);
    // The bytes are the sender's own (an encoded frame nothing writes again): the writer sends them
    // from the encoder's buffer and the store may keep them as they are; neither needs a copy.
    if (a.conn !== undefined && a.storeError === undefined) a.writer.appendOwned(bytes, msgType);
    const s = a.store;
    this.track(
      s.appendOutboundOwned !== undefined ? s.appendOutboundOwned(seq, bytes) : s.appendOutbound(seq, bytes),
    );
  }

  write(bytes: Uint8Array, msgType: string): void {
    const a = this.a;
    if (a.conn !== undefined && a.storeError === undefined) a.writer.append(bytes, msgType);
  }

  /**
   * Moves queued application messages into the machine (which gives each its MsgSeqNum), highest
   * priority first, while the session is logged on: up to the batch size and the outbound throttle,
   * or everything (`all`, before a Logout or a reset).
   */
  drain(all: boolean): void {
    const a = this.a;
    if (a.executor.busy || a.queue.length === 0 || !a.state.loggedOn || a.blocked || !a.conn) return;
    if (a.storeError !== undefined || a.closeAfterFlush !== undefined) return;
    const perf = a.clock.perfNow();
    const perfNow = () => perf;
    const now = a.clock.now();
    const limit = a.pipeline.throttles.outbound;
    while (a.queue.length > 0 && (all || a.writer.pending < a.maxBatchBytes)) {
      if (!all && limit !== undefined && !limit.tryTake(now)) {
        a.counters.throttledOutWaits++;
        a.timers.throttleWait(limit.nextTokenAtMs(now) - now);
        break;
      }
      const m = a.queue.take(perf)!;
      a.pipeline.leave(m.message, perfNow);
      if (this.#sendDirect(m.message, m.resend, now) === 0) {
        a.step(
          m.resend
            ? { kind: "send", message: m.message }
            : { kind: "send", message: m.message, resend: false },
        );
      }
      if (a.blocked || !a.conn || !a.state.loggedOn || a.closeAfterFlush !== undefined) break;
    }
  }

  track(p: void | Promise<void>): void {
    const a = this.a;
    if (p instanceof Promise) {
      // Only `fsync: always` holds the bytes back until durable; `batch` commits in the background.
      if (a.store.durableBeforeSend === true) a.writer.needDurable = true;
      p.catch((e) => a.onStoreError(e));
    }
  }
}
