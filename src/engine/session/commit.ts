/**
 * Commit before deliver: with a store that is `durableBeforeDeliver` (PostgreSQL), inbound messages
 * reach the application only after the store's commit of them. The messages of one turn share one
 * flush (the store's group commit batches it with other sessions'); batches run in order; a logon or
 * logout callback waits behind the messages before it; a failed commit delivers nothing from there on
 * and stops the session. Unused (immediate delivery) with the file and memory stores.
 */
import type { MessageView } from "../../codec/mod.ts";
import type { SessionStore } from "../../store/types.ts";
import type { Logger } from "../log.ts";

/** What the commit gate needs of its session. */
export interface CommitHost {
  readonly key: string;
  readonly logger: Logger;
  readonly store: SessionStore;
  /** True once the store failed (the session stopped sending). */
  readonly storeFailed: boolean;
  /** The store failed: stop the session. */
  onStoreError(e: unknown): void;
  /** Writes what the callbacks sent. */
  flush(): void;
}

/** A callback waiting for the store's commit. */
interface AfterCommit {
  /** An inbound message's delivery (dropped when the commit fails), not a logon/logout callback. */
  readonly message: boolean;
  readonly run: () => void;
  /** The store's promise of the message's commit (its appendInbound); else the batch waits for a flush. */
  readonly committed: void | Promise<void>;
  /** Bytes of the message copy the callback keeps. */
  readonly bytes: number;
}

export class CommitGate {
  /** Callbacks of inbound messages appended since the last commit was asked for, in order. */
  #uncommitted: AfterCommit[] = [];
  /** Callbacks queued or waiting for their commit: a later callback of any kind waits behind them. */
  #awaiting = 0;
  #asked = false;
  /** The commits asked for, in order: each batch runs after the ones before it. */
  #chain: Promise<void> = Promise.resolve();
  /** A commit failed: no later inbound message is delivered either. */
  #failed = false;
  /** The last inbound message appended: its number and the store's promise of its commit. */
  #lastAppendSeq = 0;
  #lastAppend: void | Promise<void> = undefined;
  /** Bytes of the message copies waiting for their commit (the read loop's bound, with the mailbox's). */
  #heldBytes = 0;

  constructor(readonly host: CommitHost) {}

  /** Bytes of the inbound message copies waiting for their commit. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Settles when every commit asked for so far has run its callbacks (stop()). */
  get settled(): Promise<void> {
    return this.#chain;
  }

  /** Inbound message `seq` was appended; `p` is the store's promise of its commit. */
  appended(seq: number, p: void | Promise<void>): void {
    this.#lastAppendSeq = seq;
    this.#lastAppend = p;
  }

  /** The store's promise of the commit of inbound message `view` (appended just before), if it gave one. */
  appendOf(view: MessageView): void | Promise<void> {
    if (this.#lastAppend === undefined || this.#lastAppendSeq !== view.seqNum) return undefined;
    const p = this.#lastAppend;
    this.#lastAppend = undefined;
    return p;
  }

  /**
   * `run` hands an inbound message (message = true) or a logon/logout to the application once the
   * store committed everything appended so far.
   */
  after(message: boolean, run: () => void, committed?: void | Promise<void>, bytes = 0): void {
    this.#uncommitted.push({ message, run, committed, bytes });
    this.#heldBytes += bytes;
    this.#awaiting++;
    if (this.#asked) return;
    this.#asked = true;
    queueMicrotask(this.#ask);
  }

  /** Runs a logon/logout callback now, or after the inbound messages still waiting for their commit. */
  inOrder(run: () => void): void {
    if (this.#awaiting > 0) this.after(false, run);
    else run();
  }

  readonly #ask = (): void => {
    this.#asked = false;
    const batch = this.#uncommitted;
    this.#uncommitted = [];
    // A message waits for the commit of its own append (a flush would also fail when the lease is no
    // longer certain, though the message is committed and so counted as received); the rest for a flush.
    let flushed: Promise<void> | undefined;
    const waits = batch.map((c) => {
      if (c.committed instanceof Promise) return c.committed;
      if (flushed === undefined) {
        try {
          flushed = this.host.store.flush();
        } catch (e) {
          flushed = Promise.reject(e);
        }
      }
      return flushed;
    });
    const settled = Promise.allSettled(waits);
    this.#chain = this.#chain.then(() => settled).then((r) => this.#runCommitted(batch, r));
  };

  #runCommitted(batch: AfterCommit[], results: PromiseSettledResult<void>[]): void {
    let error: unknown;
    let failed = false;
    for (let i = 0; i < batch.length; i++) {
      const c = batch[i]!;
      const r = results[i]!;
      this.#awaiting--;
      this.#heldBytes -= c.bytes;
      if (!c.message) {
        // Logon/logout callbacks run in order whatever the commit did.
        c.run();
        continue;
      }
      if (r.status === "rejected" && !this.#failed) {
        this.#failed = true;
        failed = true;
        error = r.reason;
        const lost = batch.slice(i).filter((x) => x.message).length;
        this.host.logger.error(
          "store-error",
          `inbound commit failed: ${
            error instanceof Error ? error.message : String(error)
          }; ${lost} inbound message(s) not delivered`,
          this.host.key,
        );
      }
      // A message whose commit failed is never delivered, nor any after it (the session stops).
      if (!this.#failed) c.run();
    }
    // A failed commit drops the connection (the store's other writes fail alike).
    if (failed) {
      if (!this.host.storeFailed) this.host.onStoreError(error);
    } else this.host.flush();
  }
}
