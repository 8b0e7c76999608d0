/**
 * The read loop's bound (back-pressure toward the peer): while more than the outbound bound (`hwm`) is
 * buffered for the peer, or waits in the actor's mailbox from it (a resend streams to a peer that does
 * not read), or waits for its commit, the read loop (session_reader.ts) stops reading, so the peer meets
 * TCP back-pressure instead of growing our memory, until both are down to half the bound. Keeps the
 * count of the inbound bytes the mailbox holds.
 */
import type { Connection } from "../../transport/types.ts";

/** What the read bound needs of its session. */
export interface ReadBoundHost {
  /** The outbound bound and what is buffered now, bytes. */
  readonly writer: { readonly hwm: number; readonly buffered: number };
  /** Commit before deliver (durableBeforeDeliver): the bytes of the messages waiting for their commit. */
  readonly commits: { readonly heldBytes: number } | undefined;
  readonly state: { readonly config: { readonly role: "initiator" | "acceptor" } };
  readonly conn: Connection | undefined;
}

export class ReadBound {
  /** Bytes of the inbound messages copied into the mailbox. */
  #mailboxBytes = 0;
  /** The read loop, waiting until less is held for and from the peer (`whenReadable`). */
  #readWaiter: (() => void) | undefined;

  constructor(readonly host: ReadBoundHost) {}

  /** An inbound message of `bytes` was copied into the mailbox. */
  held(bytes: number): void {
    this.#mailboxBytes += bytes;
  }

  /** An inbound message of `bytes` left the mailbox. */
  released(bytes: number): void {
    this.#mailboxBytes -= bytes;
  }

  /** Bytes of the inbound messages waiting in the mailbox. */
  get mailboxBytes(): number {
    return this.#mailboxBytes;
  }

  /** More is held for or from the peer than the bound: the read loop stops reading. */
  get holdsTooMuch(): boolean {
    const writer = this.host.writer;
    const hwm = writer.hwm;
    return writer.buffered > hwm || this.#boundedInboundBytes > hwm;
  }

  /**
   * The inbound bytes the read loop's bound counts. An initiator does not count its mailbox: when two
   * sessions resend to each other at once, each one's messages wait in the other's mailbox until its
   * own resend has been read; were both to stop reading, neither resend would finish (until the write
   * timeout, and again after every reconnection). The acceptor, which faces peers that connect to it,
   * keeps the bound, so one side always reads (test/engine/mutual_resend_test.ts).
   */
  get #boundedInboundBytes(): number {
    const h = this.host;
    const commits = h.commits?.heldBytes ?? 0;
    return h.state.config.role === "acceptor" ? this.#mailboxBytes + commits : commits;
  }

  /** Bytes of inbound messages held: waiting in the mailbox, or for their commit (durableBeforeDeliver). */
  get inboundHeldBytes(): number {
    return this.#mailboxBytes + (this.host.commits?.heldBytes ?? 0);
  }

  /** Resolves when both are down to half the bound, or the connection is gone. */
  whenReadable(): Promise<void> {
    return new Promise((r) => {
      this.#readWaiter = r;
      this.check();
    });
  }

  /** Wakes the waiting read loop if less is held now (after a write, a turn, a commit, a disconnect). */
  check(): void {
    const r = this.#readWaiter;
    if (r === undefined) return;
    const h = this.host;
    const half = h.writer.hwm / 2;
    if (h.conn !== undefined && (h.writer.buffered > half || this.#boundedInboundBytes > half)) return;
    this.#readWaiter = undefined;
    r();
  }
}
