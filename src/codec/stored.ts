/**
 * What the session machine and the message stores both speak of: sequence numbers as a store holds
 * them and a stored message's bytes. Here, below both, so the session never imports the store
 * (scripts/check_layers.ts); src/store/types.ts re-exports them as part of the store contract.
 */

/**
 * The highest sequence number a store can hold (the journal's records carry u32 numbers). The session
 * machine rejects a number above it (SequenceReset NewSeqNo) or a message at it or above (MsgSeqNum: the
 * next number, its + 1, would be beyond) with 373=5 (value out of range) instead of handing it to the
 * store, which refuses it with STORE_BAD_SEQ.
 */
export const MAX_STORE_SEQ = 0xffffffff;

/** A stored message. `bytes` is owned by the caller of `getOutbound` (a copy or an immutable buffer). */
export interface StoredMessage {
  seq: number;
  bytes: Uint8Array;
}

/** Both sequence numbers of a session, as the store holds them. */
export interface SeqNums {
  /** Next MsgSeqNum we will send. */
  nextSenderSeq: number;
  /** Next MsgSeqNum we expect to receive. */
  nextTargetSeq: number;
}
