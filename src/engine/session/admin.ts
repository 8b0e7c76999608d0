/**
 * The application's admin hooks, carried out for a session: `toAdmin` on every admin message before
 * it is written and stored, `fromAdmin` on every inbound admin message the session takes in sequence,
 * and `onReject` for a Reject or BusinessMessageReject of an application message we sent (found among
 * the recent sends, else read from the store). See src/engine/admin_hooks.ts for the message helpers.
 */
import { type MessageView, Tag } from "../../codec/mod.ts";
import type { Action } from "../../session/types.ts";
import type { SessionStore } from "../../store/types.ts";
import { isAdminMsgType, OutgoingAdminMessage, RecentSends, rejectedMessage } from "../admin_hooks.ts";
import type { Application, SessionHandle } from "../application.ts";
import { type EventSink, rejectEvent } from "../boundary.ts";
import type { CommitGate } from "./commit.ts";

/** What the admin hooks need of their session. */
export interface AdminHost {
  readonly key: string;
  readonly app: Application;
  readonly handle: SessionHandle;
  readonly store: SessionStore;
  /** Commit before deliver, when the store asks for it (fromAdmin waits for the commit too). */
  readonly commits: CommitGate | undefined;
  /** The machine's state (its phase; its config's credentialsEncoding for toAdmin's 553/554/925). */
  readonly state: { readonly phase: string; readonly config: { readonly credentialsEncoding?: string } };
  /** Runs application callbacks guarded (a bug in one is logged and does not take the session down). */
  readonly delivery: { guard(name: string, f: () => void): void; readonly sink: EventSink };
}

export class AdminHooks {
  /** The application has fromAdmin or onReject: inbound admin messages are handed over. */
  readonly inbound: boolean;
  /** Inbound admin messages handed to the application so far (fromAdmin/onReject). */
  count = 0;
  /** The recent sends a Reject is matched with (only when the application has onReject). */
  readonly recent: RecentSends | undefined;
  readonly #toAdmin: boolean;

  constructor(readonly host: AdminHost) {
    const app = host.app;
    this.inbound = app.fromAdmin !== undefined || app.onReject !== undefined;
    this.recent = app.onReject !== undefined ? new RecentSends() : undefined;
    this.#toAdmin = app.toAdmin !== undefined;
  }

  /** toAdmin: the application may set fields on an admin message before it is written and stored. */
  outgoing(bytes: Uint8Array, msgType: string): Uint8Array {
    if (!this.#toAdmin || !isAdminMsgType(msgType)) return bytes;
    const m = new OutgoingAdminMessage(bytes, this.host.state.config.credentialsEncoding === "latin1");
    let out = bytes;
    this.host.delivery.guard("toAdmin", () => {
      this.host.app.toAdmin!(m, this.host.handle);
      if (m.changed) out = m.build();
    });
    return out;
  }

  /** Inbound message `frame` was persisted by action `i` of `actions`: fromAdmin unless it is rejected. */
  persisted(frame: MessageView, actions: Action[], i: number, seq: number): void {
    if (this.inbound && isAdminMsgType(frame.msgType) && !rejectedInStep(actions, i, seq)) {
      this.#fromAdmin(frame);
    }
  }

  /**
   * After the step of an inbound message the session did not reject: fromAdmin for a SequenceReset-Reset,
   * which takes no number (so no persist-inbound hands it over).
   */
  afterInput(view: MessageView, before: number): void {
    if (this.count !== before || view.msgType !== "4" || view.getChar(Tag.GapFillFlag) === "Y") return;
    const p = this.host.state.phase;
    if (p === "active" || p === "logout-sent") this.#fromAdmin(view);
  }

  /** An inbound admin message the session took in sequence: fromAdmin, then onReject for a 35=3. */
  #fromAdmin(view: MessageView): void {
    this.count++;
    const commits = this.host.commits;
    if (commits !== undefined) {
      const kept = view.copy();
      commits.after(true, () => this.#fromAdminNow(kept), commits.appendOf(view), kept.end - kept.start);
      return;
    }
    this.#fromAdminNow(view);
  }

  #fromAdminNow(view: MessageView): void {
    const { app, delivery, key } = this.host;
    if (app.fromAdmin !== undefined) {
      const raw = view.buf.subarray(view.start, view.end);
      const seq = view.getInt(Tag.MsgSeqNum) ?? 0;
      delivery.guard(
        "fromAdmin",
        () => delivery.sink.emit({ type: "admin", key, msgType: view.msgType, seq, raw, view }),
      );
    }
    if (view.msgType === "3" && this.recent !== undefined) this.rejectIn(view);
  }

  /** A Reject or BusinessMessageReject: onReject when it refers to an application message we sent. */
  rejectIn(view: MessageView): void {
    const ref = view.getInt(Tag.RefSeqNum);
    if (ref === undefined) return;
    const { delivery, key } = this.host;
    const sent = this.recent!.get(ref);
    if (sent !== undefined) {
      const r = rejectedMessage(view, sent);
      if (r !== undefined) delivery.guard("onReject", () => delivery.sink.emit(rejectEvent(key, r)));
      return;
    }
    // Not among the recent sends: the store has it (or says it is gone); the callback comes later.
    const kept = view.copy();
    this.host.store.getOutbound(ref, ref).then(
      (m) => m.find((x) => x.seq === ref)?.bytes,
      () => undefined,
    ).then((bytes) => {
      const r = rejectedMessage(kept, bytes);
      if (r !== undefined) delivery.guard("onReject", () => delivery.sink.emit(rejectEvent(key, r)));
    });
  }
}

/**
 * True when the step rejects inbound message `seq` (a reject-sent event for it after its
 * persist-inbound at `i`, before the next inbound message): such a message is not handed to fromAdmin.
 */
function rejectedInStep(actions: Action[], i: number, seq: number): boolean {
  for (let k = i + 1; k < actions.length; k++) {
    const a = actions[k]!;
    if (a.kind === "persist-inbound") return false;
    if (a.kind === "event" && a.event.name === "reject-sent" && a.event.data?.["refSeqNum"] === seq) {
      return true;
    }
  }
  return false;
}
