/**
 * The memory store: outbound messages and both sequence numbers held in process memory. Nothing
 * survives the process; sessions reopened in the same process find their state again. Used for tests,
 * simulators and gateways configured with `store: memory`.
 *
 * The store's bytes live on SharedArrayBuffers: V8 counts an ArrayBuffer's bytes (`new ArrayBuffer(n)`,
 * `new Uint8Array(n)`, a resizable buffer's growth) as the isolate's external memory and starts a
 * mark-compact each time heap + external memory passes its limit, but not a SharedArrayBuffer's. What
 * the store holds stays live until reset() or close() (every message must stay resendable), so those
 * mark-compacts could never free it: at 40,000 messages/s they were most of a simulator's mark-compacts
 * (docs/performance.md, "Session 9", issue 16). The session's own frames (appendOutboundOwned) are
 * adopted where they are, in the encoder's owned buffers, which the encoder allocates on
 * SharedArrayBuffers for this reason (all but its first, ordinary buffer); other messages are copied
 * into the store's slabs, also SharedArrayBuffers.
 */
import { sharedBytes } from "../codec/encoder.ts";
import { FixgError } from "../errors.ts";
import type { MessageStore, SeqNums, SessionStore, StoredMessage } from "./types.ts";

/** State of one session, kept by the store across openSession/close. */
interface MemorySessionState {
  nextSenderSeq: number;
  nextTargetSeq: number;
  creationMs: number;
  /**
   * Outbound messages of the current epoch, seq strictly ascending: for message i, at 4*i, its
   * MsgSeqNum, slab index, start offset and length (a typed array: nothing for the GC to trace; on a
   * SharedArrayBuffer, like the slabs).
   */
  index: Float64Array;
  /** Messages in `index`. */
  count: number;
  /**
   * The message bytes: copies back to back in large slabs (one allocation per slab, not per message),
   * and the encoder buffers adopted messages lie in.
   */
  slabs: Uint8Array[];
  /** Bytes used in the slab we copy into (`copySlab`). */
  slabUsed: number;
  /** Index in `slabs` of the slab copies go into; -1 before the first copy. */
  copySlab: number;
  /** The buffer of the last adopted message (appendOutboundOwned) and its index in `slabs`. */
  adopted: ArrayBufferLike | undefined;
  adoptedSlab: number;
  open: boolean;
}

/** Size of a slab of message bytes; a larger message gets a slab of its own. */
export const SLAB_BYTES = 1 << 20;

/** Messages the index holds before it first grows (it doubles). */
const INDEX_MESSAGES = 1024;

function sharedIndex(messages: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(messages * 4 * Float64Array.BYTES_PER_ELEMENT));
}

function emptyEpoch(): Pick<
  MemorySessionState,
  "index" | "count" | "slabs" | "slabUsed" | "copySlab" | "adopted" | "adoptedSlab"
> {
  return {
    index: sharedIndex(INDEX_MESSAGES),
    count: 0,
    slabs: [],
    slabUsed: 0,
    copySlab: -1,
    adopted: undefined,
    adoptedSlab: -1,
  };
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
      s = { nextSenderSeq: 1, nextTargetSeq: 1, creationMs: nowMs, ...emptyEpoch(), open: false };
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
  /** Inbound messages are not kept, only their number. */
  readonly keepsInbound = false;
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
    this.#supersede(seq);
    // The store keeps a copy (callers may reuse their buffers): into the current slab, so the hot
    // path allocates nothing per message. Space of superseded messages is reclaimed by reset().
    const len = bytes.length;
    let slab = s.copySlab < 0 ? undefined : s.slabs[s.copySlab];
    if (slab === undefined || s.slabUsed + len > slab.length) {
      slab = sharedBytes(Math.max(SLAB_BYTES, len));
      s.copySlab = s.slabs.length;
      s.slabs.push(slab);
      s.slabUsed = 0;
    }
    slab.set(bytes, s.slabUsed);
    this.#record(seq, s.copySlab, s.slabUsed, len);
    s.slabUsed += len;
  }

  /**
   * Keeps the session's own frames where they are: they are cut from buffers nothing writes again
   * (the encoder's finishOwned, on SharedArrayBuffers: see the module comment).
   */
  appendOutboundOwned(seq: number, bytes: Uint8Array): void {
    const s = this.#s;
    this.#supersede(seq);
    if (bytes.buffer !== s.adopted) {
      s.adopted = bytes.buffer;
      s.adoptedSlab = s.slabs.length;
      s.slabs.push(new Uint8Array(bytes.buffer));
    }
    this.#record(seq, s.adoptedSlab, bytes.byteOffset, bytes.length);
  }

  /** A number at or below the last stored one means the numbers were set back: the old messages
   * from there on are superseded and must not be resent (the file journal does the same). */
  #supersede(seq: number): void {
    const s = this.#s;
    const n = s.count;
    if (n > 0 && seq <= s.index[4 * (n - 1)]!) s.count = lowerBound(s.index, n, seq);
  }

  #record(seq: number, slab: number, start: number, len: number): void {
    const s = this.#s;
    let index = s.index;
    const k = 4 * s.count;
    if (k + 4 > index.length) {
      const grown = sharedIndex(2 * (index.length / 4)); // twice the messages
      grown.set(index);
      s.index = index = grown;
    }
    index[k] = seq;
    index[k + 1] = slab;
    index[k + 2] = start;
    index[k + 3] = len;
    s.count++;
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
    const index = s.index;
    for (let i = lowerBound(index, s.count, from); i < s.count; i++) {
      const seq = index[4 * i]!;
      if (to !== 0 && seq > to) break;
      const start = index[4 * i + 2]!;
      out.push({ seq, bytes: s.slabs[index[4 * i + 1]!]!.slice(start, start + index[4 * i + 3]!) });
    }
    return Promise.resolve(out);
  }

  reset(nowMs: number): void {
    const s = this.#s;
    s.nextSenderSeq = 1;
    s.nextTargetSeq = 1;
    s.creationMs = nowMs;
    Object.assign(s, emptyEpoch());
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#s.open = false;
    return Promise.resolve();
  }
}

/** First message number i (of `n`) whose MsgSeqNum (index[4*i]) is >= `x`. */
function lowerBound(index: Float64Array, n: number, x: number): number {
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (index[4 * mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
