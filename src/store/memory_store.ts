/**
 * The memory store: outbound messages and both sequence numbers held in process memory. Nothing
 * survives the process; sessions reopened in the same process find their state again. Used for tests,
 * simulators and gateways configured with `store: memory`.
 */
import { FixgError } from "../errors.ts";
import type { MessageStore, SeqNums, SessionStore, StoredMessage } from "./types.ts";

/** State of one session, kept by the store across openSession/close. */
interface MemorySessionState {
  nextSenderSeq: number;
  nextTargetSeq: number;
  creationMs: number;
  /** Outbound messages of the current epoch, seq strictly ascending. */
  seqs: number[];
  messages: Uint8Array[];
  open: boolean;
}

/** A MessageStore in memory for any number of sessions. */
export class MemoryMessageStore implements MessageStore {
  readonly #sessions = new Map<string, MemorySessionState>();
  #closed = false;

  /** Opens (creating if needed) the store of one session. A session may be open once at a time. */
  openSession(sessionKey: string, nowMs: number): Promise<SessionStore> {
    if (this.#closed) return Promise.reject(new FixgError("STORE_CLOSED", "The memory store is closed"));
    let s = this.#sessions.get(sessionKey);
    if (s === undefined) {
      s = { nextSenderSeq: 1, nextTargetSeq: 1, creationMs: nowMs, seqs: [], messages: [], open: false };
      this.#sessions.set(sessionKey, s);
    }
    if (s.open) {
      return Promise.reject(
        new FixgError("STORE_SESSION_OPEN", `Session "${sessionKey}" is already open in this store`),
      );
    }
    s.open = true;
    return Promise.resolve(new MemorySessionStore(sessionKey, s));
  }

  /** Closes the store; its sessions' state is dropped. */
  close(): Promise<void> {
    this.#closed = true;
    this.#sessions.clear();
    return Promise.resolve();
  }
}

/** One session's view of the memory store. */
class MemorySessionStore implements SessionStore {
  readonly sessionKey: string;
  readonly #s: MemorySessionState;

  constructor(sessionKey: string, state: MemorySessionState) {
    this.sessionKey = sessionKey;
    this.#s = state;
  }

  seqNums(): SeqNums {
    return { nextSenderSeq: this.#s.nextSenderSeq, nextTargetSeq: this.#s.nextTargetSeq };
  }

  creationTimeMs(): number {
    return this.#s.creationMs;
  }

  appendOutbound(seq: number, bytes: Uint8Array): void {
    const s = this.#s;
    // A number at or below the last stored one means the numbers were set back: the old messages
    // from there on are superseded and must not be resent (the file journal does the same).
    const n = s.seqs.length;
    if (n > 0 && seq <= s.seqs[n - 1]!) {
      const i = lowerBound(s.seqs, seq);
      s.seqs.length = i;
      s.messages.length = i;
    }
    s.seqs.push(seq);
    s.messages.push(bytes.slice());
    s.nextSenderSeq = seq + 1;
  }

  appendInbound(seq: number, _bytes: Uint8Array): void {
    this.#s.nextTargetSeq = seq + 1;
  }

  setNextTargetSeq(seq: number): void {
    this.#s.nextTargetSeq = seq;
  }

  setNextSenderSeq(seq: number): void {
    this.#s.nextSenderSeq = seq;
  }

  getOutbound(from: number, to: number): Promise<StoredMessage[]> {
    const s = this.#s;
    const out: StoredMessage[] = [];
    for (let i = lowerBound(s.seqs, from); i < s.seqs.length; i++) {
      const seq = s.seqs[i]!;
      if (to !== 0 && seq > to) break;
      out.push({ seq, bytes: s.messages[i]!.slice() });
    }
    return Promise.resolve(out);
  }

  reset(nowMs: number): void {
    const s = this.#s;
    s.nextSenderSeq = 1;
    s.nextTargetSeq = 1;
    s.creationMs = nowMs;
    s.seqs = [];
    s.messages = [];
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#s.open = false;
    return Promise.resolve();
  }
}

/** First index in the ascending `a` whose value is >= `x`. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
