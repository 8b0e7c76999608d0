/**
 * The message store contract: what a session needs to survive a restart and answer ResendRequests.
 * Implemented by the memory store and the file journal; one contract test suite runs against both
 * (test/store/contract.ts).
 */

// Shared with the session machine (which must not import the store): defined in the codec layer.
export { MAX_STORE_SEQ } from "../codec/stored.ts";
export type { SeqNums, StoredMessage } from "../codec/stored.ts";
import type { SeqNums, StoredMessage } from "../codec/stored.ts";

/** Which way a message went, seen from this engine. */
export type Direction = "in" | "out";

/** The store of one session. All writes happen in call order; reads see every earlier write. */
export interface SessionStore {
  /** Session key (see sessionKey in src/session/types.ts). */
  readonly sessionKey: string;
  /**
   * True when outbound messages must be durable before they are written to the socket (`fsync: always`):
   * the engine then waits for `flush()` before each write. Otherwise it writes at once and durability
   * follows (group commit under `batch`).
   */
  readonly durableBeforeSend?: boolean;
  /**
   * True when inbound messages must be durable before the application sees them (the PostgreSQL store):
   * the engine appends an inbound message, waits for the promise `appendInbound` returned (its commit;
   * `flush()` when it returned none) and only then hands it to the application (onMessage, fromAdmin),
   * in order; a failed commit means it is never handed over and the session disconnects. Otherwise delivery follows the append at once (at-least-once across a crash).
   */
  readonly durableBeforeDeliver?: boolean;
  /**
   * Set by the engine where the store can lose numbered outbound messages before they are durable (the
   * PostgreSQL store: fenced, or the database unreachable past its retry time): the store calls it once
   * with the messages it will never commit, which therefore never reach the wire. The engine reports
   * the application messages among them to the application (Application.onSendFailed).
   */
  onNotCommitted?: ((messages: { seq: number; bytes: Uint8Array }[], reason: string) => void) | undefined;
  /** Sequence numbers restored at open (1/1 for a new session). */
  seqNums(): SeqNums;
  /** When the current sequence-number epoch began (creation or last reset), epoch ms. */
  creationTimeMs(): number;
  /**
   * Records an outbound message with its MsgSeqNum and advances nextSenderSeq to seq+1.
   * The promise resolves when the message is as durable as the store's policy promises;
   * callers that do not need durability may ignore it (writes stay in order).
   */
  appendOutbound(seq: number, bytes: Uint8Array): void | Promise<void>;
  /**
   * `appendOutbound` for bytes that nobody will change again (the session's encoded frames): a store
   * may keep them without copying. Optional; the engine calls `appendOutbound` where it is missing.
   */
  appendOutboundOwned?(seq: number, bytes: Uint8Array): void | Promise<void>;
  /** Records an inbound message (journaling) and advances nextTargetSeq to seq+1. */
  appendInbound(seq: number, bytes: Uint8Array): void | Promise<void>;
  /**
   * False when `appendInbound` keeps no bytes (the memory store): the engine then passes an empty
   * array instead of cutting a view of every inbound frame. Absent means true.
   */
  readonly keepsInbound?: boolean;
  /** Sets nextTargetSeq without a message (gap fills, SequenceReset). */
  setNextTargetSeq(seq: number): void | Promise<void>;
  /** Sets nextSenderSeq without a message (operator set-seq, SequenceReset we send). */
  setNextSenderSeq(seq: number): void | Promise<void>;
  /** Outbound messages with seq in [from, to] (to inclusive; to = 0 means up to the last), ascending. */
  getOutbound(from: number, to: number): Promise<StoredMessage[]>;
  /** Starts a new epoch: both numbers back to 1, creation time now; history is kept, not overwritten. */
  reset(nowMs: number): void | Promise<void>;
  /** Waits until every earlier write is durable under the store's policy. */
  flush(): Promise<void>;
  /**
   * Optional (the file journal): called before the engine writes outbound bytes to the socket. Hands
   * every record appended so far to the OS now, so a process killed after the socket write still has
   * them (its restart, which trusts the journal, never hands their numbers out again). Returns
   * undefined when that is done, or a promise the socket write waits for (a segment switch in progress).
   */
  writeAppended?(): Promise<void> | undefined;
  /** Releases the session (the store itself stays open). */
  close(): Promise<void>;
}

/**
 * A store for many sessions (one per gateway). Besides opening sessions a store may declare
 * capabilities, optional members the engine uses where present without knowing the store's class (a
 * wrapper such as the engine's InstrumentedStore forwards them): `flush` (store-wide), `requestIds`,
 * `commitMetrics` and `observeCommits`.
 */
export interface MessageStore {
  /** Opens (creating if needed) the store of one session. */
  openSession(sessionKey: string, nowMs: number): Promise<SessionStore>;
  /** Flushes and closes everything. */
  close(): Promise<void>;
  /**
   * Capability (the file journal): resolves when every write of every session made so far is durable;
   * the library endpoint answers sends after it.
   */
  flush?(): Promise<void>;
  /**
   * Capability (the PostgreSQL store): request ids kept with the outbound messages, and the inbound
   * messages of record, shared by every gateway of the store.
   */
  readonly requestIds?: RequestIdStore | undefined;
  /** Capability (the PostgreSQL store): its group-commit counters, read at scrape time. */
  commitMetrics?(): CommitMetrics;
  /** Capability (the PostgreSQL store): `f` is called after each group commit with its duration and size. */
  observeCommits?(f: (ms: number, messages: number) => void): void;
}

/** The `requestIds` capability of a store (docs/engine_library.md: request ids across gateways). */
export interface RequestIdStore {
  /** Outbound message `seq` of `key` answers request `id` (written with the message). False if too late. */
  note(key: string, seq: number, id: string): boolean;
  /** Request id -> MsgSeqNum of the session's current sequence generation, the newest `max`. */
  read(key: string, max: number): Promise<Map<string, number>>;
  /** Resolves once every write session `key` queued so far is committed (or failed); at once when not open. */
  flushSession(key: string): Promise<void>;
  /**
   * The committed inbound messages of `key`'s current generation with MsgSeqNum above `after`, ascending,
   * at most `limit`, whichever gateway received them.
   */
  inboundAfter(key: string, after: number, limit: number): Promise<Array<{ seq: number; raw: Uint8Array }>>;
}

/** The `commitMetrics` capability's counters. */
export interface CommitMetrics {
  /** Group commits. */
  commits: number;
  /** Messages committed. */
  messages: number;
  /** Sessions whose commit found another owner's epoch. */
  fenced: number;
  /** Commits retried after a lost connection. */
  retries: number;
  /** A cluster: each session whose lease this gateway holds, with its epoch; undefined otherwise. */
  leases: ReadonlyMap<string, number> | undefined;
}
