/**
 * The action executor: carries out, in order, the actions a step of the machine returns against the
 * session's collaborators (the sender and writer, the store, the commit gate, delivery, the admin hooks,
 * the counters and event lines). It knows whether a step's actions are being carried out (`busy`: what
 * arrives then waits in the actor's mailbox) and how many messages the step still has to write
 * (`sendsAhead`: a callback's send waits for them). A `resend` action hands the rest of the step to the
 * resend stream (`startResend`).
 */
import type { Action } from "../../session/types.ts";
import type { SessionStore } from "../../store/types.ts";
import type { Logger } from "../log.ts";
import type { AdminHooks } from "./admin.ts";
import type { CommitGate } from "./commit.ts";
import { type EventLineLimit, recordEvent, type SessionCounters } from "./counters.ts";
import type { Delivery } from "./delivery.ts";
import type { Sender } from "./sender.ts";
import type { OutboundWriter } from "./writer.ts";

/** What the executor needs of its session. */
export interface ExecutorHost {
  readonly key: string;
  readonly logger: Logger;
  readonly counters: SessionCounters;
  readonly scheduler: { nowMs(): number };
  readonly store: SessionStore;
  readonly commits: CommitGate | undefined;
  readonly admin: AdminHooks;
  readonly sender: Sender;
  readonly delivery: Delivery;
  readonly writer: OutboundWriter;
  /** The rate limit of the session's event lines. */
  readonly lines: EventLineLimit;
  loggedOnThisConnection: boolean;
  closeAfterFlush: string | undefined;
  lastError: string | undefined;
  /** The machine asked for a resend: `rest` (the step's actions after it) runs when the resend ends. */
  startResend(begin: number, end: number, rest: Action[]): void;
}

/** The bytes handed to a store that keeps no inbound bytes. */
const NO_BYTES = new Uint8Array(0);

export class ActionExecutor {
  /** A step's actions are being carried out. */
  #busy = false;
  /** Messages the step being carried out still has to write (a callback's send waits for them). */
  #sendsAhead = 0;
  /** False while an operator's command is stepped: its event lines are not rate limited. */
  linesLimited = true;

  constructor(readonly host: ExecutorHost) {}

  /** A step's actions are being carried out. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Messages the step being carried out still has to write. */
  get sendsAhead(): number {
    return this.#sendsAhead;
  }

  /** Carries out a step's actions (a callback's sends wait while the step still has messages to write). */
  carryOut(actions: Action[]): void {
    const busy = this.#busy, ahead = this.#sendsAhead;
    let sends = 0;
    for (let i = 0; i < actions.length; i++) if (actions[i]!.kind === "send") sends++;
    this.#busy = true;
    this.#sendsAhead = sends;
    try {
      this.#execute(actions);
    } finally {
      this.#busy = busy;
      this.#sendsAhead = ahead;
    }
  }

  #execute(actions: Action[]): void {
    const h = this.host;
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      switch (a.kind) {
        case "send": {
          const bytes = h.admin.outgoing(a.bytes, a.msgType);
          if (a.persist) h.sender.sent(a.seq, a.msgType, bytes);
          else h.sender.write(bytes, a.msgType);
          this.#sendsAhead--;
          break;
        }
        case "persist-inbound": {
          // A store that keeps no inbound bytes gets none (no view cut per message).
          const p = h.store.appendInbound(a.seq, h.store.keepsInbound === false ? NO_BYTES : a.frame.bytes());
          h.commits?.appended(a.seq, p);
          h.sender.track(p);
          h.admin.persisted(a.frame, actions, i, a.seq);
          break;
        }
        case "deliver":
          h.delivery.message(a.view);
          break;
        case "resend":
          h.startResend(a.begin, a.end, actions.slice(i + 1));
          return;
        case "store-seq":
          if (a.nextSenderSeq !== undefined) h.sender.track(h.store.setNextSenderSeq(a.nextSenderSeq));
          if (a.nextTargetSeq !== undefined) h.sender.track(h.store.setNextTargetSeq(a.nextTargetSeq));
          break;
        case "store-reset":
          h.admin.recent?.clear();
          h.sender.track(h.store.reset(h.scheduler.nowMs()));
          break;
        case "store-refresh":
          // RefreshOnLogon is an input (set-seq from the store's numbers) the runner feeds on attach.
          break;
        case "disconnect":
          h.closeAfterFlush = a.reason;
          h.writer.scheduleFlush();
          break;
        case "logon":
          h.loggedOnThisConnection = true;
          h.counters.logons++;
          h.counters.loggedOnSinceMs = h.scheduler.nowMs();
          h.delivery.logon();
          // Messages queued while not logged on leave now, highest priority first.
          h.writer.scheduleFlush();
          break;
        case "logout": {
          h.counters.loggedOnSinceMs = 0;
          h.delivery.logout(a.reason);
          break;
        }
        case "event": {
          const limit = this.linesLimited ? h.lines : undefined;
          if (recordEvent(h.counters, h.logger, h.key, a.event, limit, h.scheduler.nowMs())) {
            h.lastError = a.event.text;
          }
          break;
        }
      }
    }
  }
}
