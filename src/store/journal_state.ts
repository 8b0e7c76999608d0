/**
 * What the file journal knows in memory: each session's numbers and the positions of its outbound
 * messages (for resends), the session table, and the segments no longer written to. Shared by
 * recovery (./journal_recovery.ts), the writer (./journal_writer.ts) and resend reads.
 */
import { FixgError } from "../errors.ts";
import type { IndexEntries } from "./index_format.ts";
import type { HighWaterSlot } from "./highwater.ts";
import { MAX_STORE_SEQ, type SessionStore } from "./types.ts";

/** The largest sequence number the journal takes. */
export const MAX_SEQ = MAX_STORE_SEQ;

/** Positions of a session's outbound messages in the current epoch, seq strictly ascending. */
export class SeqIndex {
  seqs = new Uint32Array(256);
  segs = new Uint32Array(256);
  offs = new Uint32Array(256);
  lens = new Uint32Array(256);
  length = 0;

  add(seq: number, seg: number, off: number, len: number): void {
    let n = this.length;
    // Numbers set back: the old messages from `seq` on are superseded and must not be resent.
    if (n > 0 && seq <= this.seqs[n - 1]!) n = this.length = this.lowerBound(seq);
    if (n === this.seqs.length) this.#grow();
    this.seqs[n] = seq;
    this.segs[n] = seg;
    this.offs[n] = off;
    this.lens[n] = len;
    this.length = n + 1;
  }

  clear(): void {
    this.length = 0;
  }

  lowerBound(seq: number): number {
    let lo = 0, hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #grow(): void {
    const n = this.seqs.length * 2;
    for (const k of ["seqs", "segs", "offs", "lens"] as const) {
      const a = new Uint32Array(n);
      a.set(this[k]);
      this[k] = a;
    }
  }
}

/** What the journal knows about one session. */
export interface SessionState {
  id: number;
  key: string;
  epoch: number;
  creationMs: number;
  nextSender: number;
  nextTarget: number;
  out: SeqIndex;
  /** The open SessionStore of this session, if any (one at a time). */
  handle: SessionStore | undefined;
  /** Its high-water slot (src/store/highwater.ts). */
  hw: HighWaterSlot | undefined;
  /** Outbound numbers up to this one, in epoch `reservedEpoch`, are covered by a synced reservation. */
  reserved: number;
  reservedEpoch: number;
  /** An outbound number above this one asks for the next reservation (async, or sync above `reserved`). */
  reserveAt: number;
  /** Generation of the newest reservation known synced. */
  reservedGen: number;
  /** Numbers reserved at a time: seqReserve, doubled (up to 16x) while synchronous bursts outrun the background. */
  reserveBlock: number;
  /** When the last synchronous reservation was taken (ms on the options' nowUs clock). */
  lastSyncReserveMs: number;
  /** Highest outbound number appended after the journal failed (the engine may still have sent it). */
  failedOut: number;
  /**
   * Id of the batch holding the session's newest seq-reset record (a reset() of this run) while it is
   * not known written, else 0. Until it is written nothing of the new epoch can have reached the
   * counterparty (journal before the socket): a failed write then marks `wireEpoch`, not `epoch`.
   */
  resetBatch: number;
  /** While `resetBatch` is set: the epoch before that reset, and its highest outbound number handed out. */
  wireEpoch: number;
  wireMark: number;
}

/** A segment no longer written to. */
export interface SealedSegment {
  segment: number;
  bytes: number;
  lastWallMs: number;
  /** Entries to write as its index file (dropped once written). */
  index: IndexEntries | undefined;
}

/** Every session the journal knows, by id and by key. */
export class SessionTable {
  readonly byId = new Map<number, SessionState>();
  readonly byKey = new Map<string, SessionState>();
  /** The id a new session gets. */
  nextId = 1;

  register(s: SessionState): void {
    this.byId.set(s.id, s);
    this.byKey.set(s.key, s);
    if (s.id >= this.nextId) this.nextId = s.id + 1;
  }

  get size(): number {
    return this.byId.size;
  }

  values(): IterableIterator<SessionState> {
    return this.byId.values();
  }
}

/** A new session's state (no positions, no reservation). */
export function newState(
  id: number,
  key: string,
  epoch: number,
  creationMs: number,
  nextSender: number,
  nextTarget: number,
): SessionState {
  return {
    id,
    key,
    epoch,
    creationMs,
    nextSender,
    nextTarget,
    out: new SeqIndex(),
    handle: undefined,
    hw: undefined,
    reserved: 0,
    reservedEpoch: 0,
    reserveAt: 0,
    reservedGen: 0,
    reserveBlock: 0,
    lastSyncReserveMs: -Infinity,
    failedOut: 0,
    resetBatch: 0,
    wireEpoch: 0,
    wireMark: 0,
  };
}

/** Throws FixgError STORE_BAD_SEQ when `seq` cannot be journaled. */
export function checkSeq(seq: number): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) {
    throw new FixgError("STORE_BAD_SEQ", `Sequence number ${seq} cannot be journaled (0 .. ${MAX_SEQ})`);
  }
}
