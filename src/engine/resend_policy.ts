/**
 * The resend policy (docs/ha.md, "Resend policy"): which stored application messages a ResendRequest
 * gets again. After a takeover the counterparty may ask for orders the dead owner committed long ago;
 * resending an old order with PossDupFlag=Y can trade it late. With `resendMaxAgeSec` (per session) an
 * application message whose SendingTime (52) is older than that is not resent but gap-filled, and the
 * application's `resendPolicy` hook, when it has one, decides per message instead. Every message left
 * out is reported to the application (`onNotResent`) and logged: never a silent loss.
 *
 * Implemented as a SessionStore wrapper: a message `getOutbound` does not return is gap-filled by the
 * session (as a message missing from the store is).
 */
import { ADMIN_MSG_TYPES } from "../codec/tags.ts";
import { MessageView } from "../codec/view.ts";
import type { SeqNums, SessionStore, StoredMessage } from "../store/types.ts";

/** Decides one stored message; returns true to resend it. */
export type ResendDecision = (message: MessageView, ageMs: number) => boolean;

/** Wraps `inner` so that resends follow the policy; `onOmitted` hears of every message left out. */
export class ResendPolicyStore implements SessionStore {
  readonly #inner: SessionStore;
  readonly #decide: ResendDecision;
  readonly #nowMs: () => number;
  /** Set once the session exists: called for each application message gap-filled instead of resent. */
  onOmitted: ((seq: number, message: MessageView, ageMs: number) => void) | undefined;
  readonly #view = new MessageView();

  constructor(inner: SessionStore, decide: ResendDecision, nowMs: () => number) {
    this.#inner = inner;
    this.#decide = decide;
    this.#nowMs = nowMs;
  }

  get sessionKey(): string {
    return this.#inner.sessionKey;
  }
  get durableBeforeSend(): boolean {
    return this.#inner.durableBeforeSend === true;
  }
  get keepsInbound(): boolean {
    return this.#inner.keepsInbound !== false;
  }
  seqNums(): SeqNums {
    return this.#inner.seqNums();
  }
  creationTimeMs(): number {
    return this.#inner.creationTimeMs();
  }
  appendOutbound(seq: number, bytes: Uint8Array): void | Promise<void> {
    return this.#inner.appendOutbound(seq, bytes);
  }
  appendOutboundOwned(seq: number, bytes: Uint8Array): void | Promise<void> {
    return this.#inner.appendOutboundOwned !== undefined
      ? this.#inner.appendOutboundOwned(seq, bytes)
      : this.#inner.appendOutbound(seq, bytes);
  }
  appendInbound(seq: number, bytes: Uint8Array): void | Promise<void> {
    return this.#inner.appendInbound(seq, bytes);
  }
  setNextTargetSeq(seq: number): void | Promise<void> {
    return this.#inner.setNextTargetSeq(seq);
  }
  setNextSenderSeq(seq: number): void | Promise<void> {
    return this.#inner.setNextSenderSeq(seq);
  }
  reset(nowMs: number): void | Promise<void> {
    return this.#inner.reset(nowMs);
  }
  flush(): Promise<void> {
    return this.#inner.flush();
  }
  writeAppended(): Promise<void> | undefined {
    return this.#inner.writeAppended?.();
  }
  close(): Promise<void> {
    return this.#inner.close();
  }

  /** The stored messages of [from, to], without the application messages the policy leaves out. */
  async getOutbound(from: number, to: number): Promise<StoredMessage[]> {
    const all = await this.#inner.getOutbound(from, to);
    const now = this.#nowMs();
    const v = this.#view;
    const kept: StoredMessage[] = [];
    for (const m of all) {
      v.parseInto(m.bytes, 0, m.bytes.length);
      if (ADMIN_MSG_TYPES.has(v.msgType)) {
        kept.push(m);
        continue;
      }
      const sent = v.getTimestamp(52)?.epochMs;
      const age = sent === undefined ? 0 : Math.max(0, now - sent);
      if (this.#decide(v, age)) kept.push(m);
      else this.onOmitted?.(m.seq, v, age);
    }
    return kept;
  }
}
