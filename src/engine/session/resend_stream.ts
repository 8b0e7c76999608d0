/**
 * Answers the machine's `resend` action by streaming: chunks of the range are read from the store as
 * the socket drains (never more than half the outbound bound buffered before the next read) and fed
 * to the machine's resend logic; the last chunk goes in as the `resend-messages` input, which ends the
 * resend. The session's other inputs wait in its mailbox until then. A ResendRequest for a range the
 * resend in progress (or one whose bytes are still being written) covers is answered with nothing.
 */
import { ADMIN_MSG_TYPES, MessageView, Tag } from "../../codec/mod.ts";
import { onResendMessages } from "../../session/resend.ts";
import { isResendable, type SessionState } from "../../session/state.ts";
import type { Action, Input } from "../../session/types.ts";
import type { SessionStore, StoredMessage } from "../../store/types.ts";
import type { Connection } from "../../transport/types.ts";
import type { Clock } from "../../clock.ts";
import type { Logger } from "../log.ts";
import { setImmediate } from "node:timers";
import type { SessionCounters } from "./counters.ts";

/** Messages per resend read: at least this many, and at most so many that one chunk is about 1 ms of work. */
const MIN_RESEND_CHUNK = 64;
const MAX_RESEND_CHUNK = 128;
/** What a resend adds to a stored message (PossDupFlag, OrigSendingTime), bytes, for chunk sizing. */
const RESEND_OVERHEAD_BYTES = 48;

/** What the resend stream needs of its session. */
export interface ResendHost {
  readonly key: string;
  readonly logger: Logger;
  readonly counters: SessionCounters;
  readonly store: SessionStore;
  readonly state: SessionState;
  readonly conn: Connection | undefined;
  readonly storeFailed: boolean;
  /** The outbound bound and what is buffered now, bytes. */
  readonly writer: { readonly hwm: number; readonly buffered: number };
  /** The view the framer parses into: actions that hold it are copied before they wait. */
  readonly view: MessageView;
  readonly scheduler: Clock;
  /** Carries out actions of a chunk. */
  readonly executor: { carryOut(actions: Action[]): void };
  /** Ends the connection (`error`: recorded as the session's last error). */
  drop(reason: string, error: boolean): void;
  flush(): void;
  /** The resend ended: feed `input` to the machine, then the rest of the step that asked, then the mailbox. */
  finish(input: Input, r: ResendStream): void;
}

/** A resend being streamed: the machine's range and how far it got. */
export interface ResendStream {
  /** The range the machine asked for (end resolved). */
  readonly begin: number;
  readonly end: number;
  /** Where the part not yet answered begins (the `begin` of the next answer to the machine). */
  from: number;
  /** The next sequence number to read from the store. */
  next: number;
  /** Messages per store read (adapted to their size and the outbound bound). */
  chunk: number;
  /** Actions of the step that asked, run when the resend ends. */
  readonly rest: Action[];
  readonly conn: Connection | undefined;
  reading: boolean;
  /** Waiting for the socket to drain below half the bound. */
  waiting: boolean;
  /** A request covered by the resend before it: answered with nothing. */
  ignored: boolean;
  resent: number;
  gapFills: number;
}

type Range = { begin: number; end: number };

export class ResendStreamer {
  /** The resend being streamed. */
  #resend: ResendStream | undefined;
  /** ResendRequests waiting in the mailbox whose range the resend in progress covers, with that range. */
  readonly #covered = new WeakMap<Input, Range>();
  /** Set while the waiting input of a covered ResendRequest runs: its resend is not sent again. */
  skip: Range | undefined;
  /** The last resend that ended, while its bytes are not all written: a request it covers is not resent. */
  #recent: (Range & { endBytesOut: number }) | undefined;
  /** Parses stored messages of a chunk (their types and numbers). */
  readonly #view = new MessageView();

  constructor(readonly host: ResendHost) {}

  /** True while a resend streams. */
  get active(): boolean {
    return this.#resend !== undefined;
  }

  /** The covered range of a waiting input (a ResendRequest marked by `markCovered`), if any. */
  coverOf(input: Input): Range | undefined {
    return this.#covered.get(input);
  }

  /** Starts answering the machine's `resend` action; `rest` holds the actions after it. */
  start(begin: number, end: number, rest: Action[]): void {
    // The rest runs after the store answers, when reads may have reused the live view: keep copies.
    const live = this.host.view;
    rest = rest.map((a) =>
      a.kind === "persist-inbound" && a.frame === live
        ? { ...a, frame: live.copy() }
        : a.kind === "deliver" && a.view === live
        ? { ...a, view: live.copy() }
        : a
    );
    const skip = this.skip ?? this.#unwritten();
    this.skip = undefined;
    if (skip !== undefined && begin >= skip.begin && end <= skip.end) {
      // Sent by the resend that was in progress when this request came in: no second copy. The machine
      // gets an empty answer (nothing goes out) and moves on.
      const r = newStream(begin, end, rest, this.host.conn);
      r.ignored = true;
      this.host.counters.resendRequestsIgnored++;
      queueMicrotask(() => this.#end(r, []));
      return;
    }
    this.#resend = newStream(begin, end, rest, this.host.conn);
    this.#pump();
  }

  /** A write completed: a resend waiting for the socket reads on once half the bound is free. */
  written(): void {
    const r = this.#resend;
    if (r !== undefined && r.waiting && this.host.writer.buffered <= this.host.writer.hwm / 2) {
      r.waiting = false;
      this.#pump();
    }
  }

  /** The connection is gone: a resend waiting for the socket ends now (its read, if one runs, ends it). */
  detached(): void {
    this.#recent = undefined;
    if (this.#resend !== undefined && !this.#resend.reading) queueMicrotask(this.#pump);
  }

  /** Reads the resend's next chunk when the socket has room; ends the resend when the connection is gone. */
  readonly #pump = (): void => {
    const r = this.#resend;
    const h = this.host;
    if (r === undefined || r.reading) return;
    if (h.conn === undefined || h.conn !== r.conn || h.storeFailed) {
      this.#end(r, []);
      return;
    }
    if (h.writer.buffered > h.writer.hwm / 2) {
      r.waiting = true; // written() reads on
      return;
    }
    const to = Math.min(r.next + r.chunk - 1, r.end);
    r.reading = true;
    h.store.getOutbound(r.next, to).then(
      (messages) => {
        r.reading = false;
        this.#chunk(r, messages, to);
      },
      (e) => {
        r.reading = false;
        const why = e instanceof Error ? e.message : String(e);
        h.counters.resendReadFailures++;
        h.logger.error("resend-read-failed", `${why}; ending the connection (no gap fill)`, h.key);
        // The messages are stored, only not read now (a database failing over): a gap fill over them would
        // tell the counterparty to skip them. The connection ends; it asks again after reconnecting.
        if (h.conn === r.conn) h.drop(`resend read failed: ${why}`, true);
        this.#end(r, []);
      },
    );
  };

  /** One chunk [r.next, to] read: what can go out without changing the gap fills goes out now. */
  #chunk(r: ResendStream, messages: StoredMessage[], to: number): void {
    if (r !== this.#resend) return;
    const h = this.host;
    if (h.conn === undefined || h.conn !== r.conn || to >= r.end) {
      this.#end(r, h.conn === r.conn ? messages : []);
      return;
    }
    r.next = to + 1;
    let bytes = 0;
    for (const m of messages) bytes += m.bytes.length;
    if (messages.length > 0) {
      r.chunk = Math.max(
        MIN_RESEND_CHUNK,
        Math.min(
          MAX_RESEND_CHUNK,
          Math.floor(h.writer.hwm / 4 / (bytes / messages.length + RESEND_OVERHEAD_BYTES)),
        ),
      );
    }
    // Up to the last message the machine resends as it is: admin messages and gaps after it may join a
    // gap fill with the next chunk, so they are answered with it (gap fills stay merged as in one read).
    let j = messages.length - 1;
    const v = this.#view;
    const state = h.state;
    for (; j >= 0; j--) {
      const m = messages[j]!;
      v.parseInto(m.bytes, 0, m.bytes.length);
      if (!ADMIN_MSG_TYPES.has(v.msgType) && isResendable(state, m.seq) && v.seqNum === m.seq) break;
    }
    if (j >= 0) {
      const last = messages[j]!.seq;
      const out: Action[] = [];
      const sent = j + 1 < messages.length ? messages.slice(0, j + 1) : messages;
      onResendMessages(state, out, h.scheduler.nowMs(), r.from, last, sent);
      // Still answering the request (status, and the machine's view until the final input).
      (state as { pendingResend: Range | undefined }).pendingResend = { begin: r.begin, end: r.end };
      r.from = last + 1;
      for (let k = 0; k < out.length; k++) {
        const a = out[k]!;
        if (a.kind === "event" && a.event.name === "resend") {
          // One summary line for the whole range, when it ends (the counters count it then).
          r.resent += Number(a.event.data?.["resent"] ?? 0);
          r.gapFills += Number(a.event.data?.["gapFills"] ?? 0);
          out.splice(k--, 1);
        }
      }
      h.executor.carryOut(out);
      h.flush();
    }
    // The next chunk after other sessions' I/O had a turn (a memory store and socket never yield).
    setImmediate(this.#pump);
  }

  /** The last part of a resend (or none when it ends early): the machine's `resend-messages` input. */
  #end(r: ResendStream, messages: StoredMessage[]): void {
    if (this.#resend === r) this.#resend = undefined;
    const begin = r.ignored ? r.end + 1 : r.from;
    this.host.finish({ kind: "resend-messages", begin, end: r.end, messages }, r);
  }

  /** The actions of the final input: its summary event covers the whole range (or says it was ignored). */
  describe(actions: Action[], r: ResendStream): void {
    for (const a of actions) {
      if (a.kind !== "event" || a.event.name !== "resend") continue;
      if (r.ignored) {
        a.event.text = `ResendRequest for ${r.begin} to ${r.end} ignored: that range is already being resent`;
        a.event.data = { beginSeqNo: r.begin, endSeqNo: r.end, resent: 0, gapFills: 0 };
      } else if (r.from !== r.begin) {
        const resent = r.resent + Number(a.event.data?.["resent"] ?? 0);
        const gapFills = r.gapFills + Number(a.event.data?.["gapFills"] ?? 0);
        a.event.text = `Resent ${r.begin} to ${r.end}: ${resent} messages, ${gapFills} gap fills`;
        a.event.data = { beginSeqNo: r.begin, endSeqNo: r.end, resent, gapFills };
      }
    }
  }

  /** The final input's actions were carried out: until its last byte is written, a request it covers gets nothing. */
  ended(r: ResendStream): void {
    const conn = this.host.conn;
    if (!r.ignored && conn !== undefined && conn === r.conn) {
      this.#recent = { begin: r.begin, end: r.end, endBytesOut: this.host.counters.bytesOut };
    }
  }

  /** The range of the last resend while some of its bytes are still buffered here, else undefined. */
  #unwritten(): Range | undefined {
    const r = this.#recent;
    if (r === undefined) return undefined;
    if (
      this.host.conn === undefined || this.host.counters.bytesOut - this.host.writer.buffered >= r.endBytesOut
    ) {
      this.#recent = undefined;
      return undefined;
    }
    return r;
  }

  /** A ResendRequest that arrived while a resend streams: covered when that resend sends all it asks for. */
  markCovered(input: Input, view: MessageView): void {
    const r = this.#resend;
    if (r === undefined) return;
    const begin = view.getInt(Tag.BeginSeqNo);
    const end = view.getInt(Tag.EndSeqNo);
    if (begin === undefined || end === undefined || begin < 0 || end < 0) return;
    const last = this.host.state.nextSenderSeq - 1;
    const b = Math.max(begin, 1);
    const e = end === 0 || end > last ? last : end;
    if (b >= r.begin && e <= r.end) this.#covered.set(input, { begin: r.begin, end: r.end });
  }
}

function newStream(begin: number, end: number, rest: Action[], conn: Connection | undefined): ResendStream {
  return {
    begin,
    end,
    from: begin,
    next: begin,
    chunk: MIN_RESEND_CHUNK,
    rest,
    conn,
    reading: false,
    waiting: false,
    ignored: false,
    resent: 0,
    gapFills: 0,
  };
}
