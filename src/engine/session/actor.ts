/**
 * The session actor: one mailbox per session, one step at a time. Inputs (frames, scheduler ticks,
 * sends that need the machine, admin commands) go to the pure machine (`stepInto`); the actor carries
 * out the actions it returns against its collaborators — the outbound writer, the store, the
 * application, the scheduler — and keeps no copy of the machine's state (numbers and the logged-on flag
 * are read from it).
 *
 * Whatever arrives while a step's actions are being carried out (a command or a Logout an application
 * callback asks for, a filter's Logout) or while a resend streams waits in the mailbox and runs after,
 * in arrival order. An application send made in a callback goes out at once only when the step has no
 * message left to write; otherwise it waits in the priority queue, drained after the step.
 */
import { MessageView } from "../../codec/mod.ts";
import type { Scheduler } from "../../clock.ts";
import { stepInto } from "../../session/machine.ts";
import type { SessionState } from "../../session/mod.ts";
import type { Action, Input } from "../../session/types.ts";
import type { SessionStore } from "../../store/types.ts";
import type { Connection } from "../../transport/types.ts";
import type { Application, SessionHandle } from "../application.ts";
import type { Faults } from "../flow/faults.ts";
import type { OutboundQueue } from "../flow/outbound_queue.ts";
import type { Pipeline } from "../flow/pipeline.ts";
import type { Logger } from "../log.ts";
import { AdminHooks } from "./admin.ts";
import { CommitGate } from "./commit.ts";
import { EventLineLimit, recordEvent, type SessionCounters } from "./counters.ts";
import { Delivery } from "./delivery.ts";
import { type ResendStream, ResendStreamer } from "./resend_stream.ts";
import { Sender } from "./sender.ts";
import { SessionTimers } from "./timers.ts";
import type { TurnClock } from "./turn_clock.ts";
import { OutboundWriter } from "./writer.ts";

/** What an actor is made of; the runner (its facade) builds them. */
export interface ActorParts {
  key: string;
  handle: SessionHandle;
  app: Application;
  store: SessionStore;
  state: SessionState;
  logger: Logger;
  counters: SessionCounters;
  clock: TurnClock;
  queue: OutboundQueue;
  faults: Faults;
  /** Builds the writer, given the actor as its host. */
  writer: (actor: SessionActor) => OutboundWriter;
  maxBatchBytes: number;
}

/** The bytes handed to a store that keeps no inbound bytes. */
const NO_BYTES = new Uint8Array(0);

/** Inputs only an operator (or the gateway on its behalf: a schedule's reset) gives the machine. */
const OPERATOR_INPUTS: ReadonlySet<Input["kind"]> = new Set(["reset", "set-seq", "sequence-reset", "logout"]);

export class SessionActor {
  readonly key: string;
  readonly handle: SessionHandle;
  readonly app: Application;
  readonly store: SessionStore;
  readonly logger: Logger;
  readonly counters: SessionCounters;
  readonly clock: TurnClock;
  readonly scheduler: Scheduler;
  readonly queue: OutboundQueue;
  readonly faults: Faults;
  readonly writer: OutboundWriter;
  readonly resends: ResendStreamer;
  /** Commit before deliver, when the store is `durableBeforeDeliver` (PostgreSQL). */
  readonly commits: CommitGate | undefined;
  readonly admin: AdminHooks;
  readonly delivery: Delivery;
  readonly sender: Sender;
  readonly timers: SessionTimers;
  /** The filters; set by the runner right after construction (they need the actor's context). */
  pipeline!: Pipeline;
  readonly state: SessionState;
  /** The view the framer parses into (one for every inbound message). */
  readonly view = new MessageView();
  readonly #messageInput: Input & { kind: "message" } = { kind: "message", view: this.view };
  maxBatchBytes: number;
  conn: Connection | undefined;
  /** The session logged on over the current connection. */
  loggedOnThisConnection = false;
  /** Close the connection once what is buffered is written (a disconnect action, a store failure). */
  closeAfterFlush: string | undefined;
  storeError: Error | undefined;
  lastError: string | undefined;
  lastReceivedMs = 0;
  /** Inputs and commands waiting for the current step or a resend to end, in arrival order. */
  readonly #mailbox: Array<Input | (() => void)> = [];
  /** A step's actions are being carried out. */
  #busy = false;
  /** Messages the step being carried out still has to write (a callback's send waits for them). */
  #sendsAhead = 0;
  /** Bytes of the inbound messages copied into the mailbox (the read loop's bound, with the writer's). */
  #mailboxBytes = 0;
  /** The read loop, waiting until less is held for and from the peer (`whenReadable`). */
  #readWaiter: (() => void) | undefined;
  /** False while an operator's command is stepped: its event lines are not rate limited. */
  #linesLimited = true;
  /** A resend streams: every input waits in the mailbox. */
  #blocked = false;
  /** The rate limit of this session's event lines (a peer's messages must not flood the log). */
  readonly lines = new EventLineLimit();
  /** The action list every step reuses (steps never nest: what a step causes waits in the mailbox). */
  readonly #actions: Action[] = [];
  #disconnectWaiters: Array<() => void> = [];

  constructor(p: ActorParts) {
    this.key = p.key;
    this.handle = p.handle;
    this.app = p.app;
    this.store = p.store;
    this.state = p.state;
    this.logger = p.logger;
    this.counters = p.counters;
    this.clock = p.clock;
    this.scheduler = p.clock.scheduler;
    this.queue = p.queue;
    this.faults = p.faults;
    this.maxBatchBytes = p.maxBatchBytes;
    this.writer = p.writer(this);
    this.commits = p.store.durableBeforeDeliver === true ? new CommitGate(this) : undefined;
    this.admin = new AdminHooks(this);
    this.delivery = new Delivery(this);
    this.sender = new Sender(this);
    this.resends = new ResendStreamer(this);
    this.timers = new SessionTimers(this.scheduler, this.#onTick, () => this.flush());
  }

  // The collaborators' host interfaces (WriterHost, CommitHost, AdminHost, ResendHost, DeliveryHost).
  get storeFailed(): boolean {
    return this.storeError !== undefined;
  }
  written(): void {
    this.resends.written();
    this.#checkReadable();
  }
  drop(reason: string, error: boolean): void {
    if (error) this.lastError = reason;
    this.detach(reason);
  }

  /** The resend ended: the machine's final input, the rest of the step that asked, then the mailbox. */
  finish(input: Input, r: ResendStream): void {
    this.#blocked = false;
    const out: Action[] = [];
    const next = stepInto(this.state, input, this.scheduler.nowMs(), out);
    this.resends.describe(out, r);
    this.carryOut(out);
    this.resends.ended(r);
    this.carryOut(r.rest);
    if (next !== undefined) this.timers.tickAt(next);
    this.#afterTurn();
    this.flush();
  }

  /** An inbound frame was parsed into `view`: the machine takes it. */
  frame(): void {
    this.input(this.#messageInput);
  }

  /** Feeds one input to the machine, or to the mailbox while a step or a resend is under way. */
  input(input: Input): void {
    if (this.#busy || this.#blocked) {
      if (input.kind !== "message") {
        this.#mailbox.push(input);
        return;
      }
      const kept: Input = { kind: "message", view: input.view.copy() };
      this.#mailbox.push(kept);
      this.#mailboxBytes += kept.view.end - kept.view.start;
      if (this.resends.active && input.view.msgType === "2") this.resends.markCovered(kept, input.view);
      return;
    }
    this.step(input);
    this.#afterTurn();
  }

  /**
   * Runs an operator or application command now, or after the step or resend under way. (The mailbox is
   * only ever non-empty while a step or a resend is under way, or while #afterTurn empties it: an input
   * or command a mailbox item makes runs inside that item, in its place.)
   */
  command(run: () => void): void {
    if (this.#busy || this.#blocked) this.#mailbox.push(run);
    else run();
  }

  /** No step under way and no resend streaming: a send may take the fast path, commands run now. */
  get busy(): boolean {
    return this.#busy;
  }
  get blocked(): boolean {
    return this.#blocked;
  }
  /** Inputs and commands waiting in the mailbox. */
  get mailboxSize(): number {
    return this.#mailbox.length;
  }
  /** Bytes of the inbound messages waiting in the mailbox. */
  get mailboxBytes(): number {
    return this.#mailboxBytes;
  }

  /**
   * The read loop's bound: more than the outbound bound (`hwm`) is buffered for the peer, or waits in
   * the mailbox from it (a resend streams to a peer that does not read), or waits for its commit.
   * Reading then stops, so the peer meets TCP back-pressure instead of growing our memory, until both
   * are down to half the bound.
   */
  get holdsTooMuch(): boolean {
    const hwm = this.writer.hwm;
    return this.writer.buffered > hwm || this.#boundedInboundBytes > hwm;
  }

  /**
   * The inbound bytes the read loop's bound counts. An initiator does not count its mailbox: when two
   * sessions resend to each other at once, each one's messages wait in the other's mailbox until its
   * own resend has been read; were both to stop reading, neither resend would finish (until the write
   * timeout, and again after every reconnection). The acceptor, which faces peers that connect to it,
   * keeps the bound, so one side always reads (test/engine/mutual_resend_test.ts).
   */
  get #boundedInboundBytes(): number {
    const commits = this.commits?.heldBytes ?? 0;
    return this.state.config.role === "acceptor" ? this.#mailboxBytes + commits : commits;
  }

  /** Bytes of inbound messages held: waiting in the mailbox, or for their commit (durableBeforeDeliver). */
  get inboundHeldBytes(): number {
    return this.#mailboxBytes + (this.commits?.heldBytes ?? 0);
  }

  /** Resolves when both are down to half the bound, or the connection is gone. */
  whenReadable(): Promise<void> {
    return new Promise((r) => {
      this.#readWaiter = r;
      this.#checkReadable();
    });
  }

  #checkReadable(): void {
    const r = this.#readWaiter;
    if (r === undefined) return;
    const half = this.writer.hwm / 2;
    if (this.conn !== undefined && (this.writer.buffered > half || this.#boundedInboundBytes > half)) return;
    this.#readWaiter = undefined;
    r();
  }
  /** Messages the step being carried out still has to write. */
  get sendsAhead(): number {
    return this.#sendsAhead;
  }

  /** Feeds one input to the machine and carries out the actions (never while a step is under way). */
  step(input: Input): void {
    const adminBefore = this.admin.count;
    const rejectsBefore = this.counters.rejectsSent;
    const out = this.#actions;
    const limited = this.#linesLimited;
    // An operator's command (set-seq, reset, SequenceReset, logout) is not a peer's to repeat: its
    // lines are written whatever a peer's flood left of the session's event lines.
    this.#linesLimited = !OPERATOR_INPUTS.has(input.kind);
    try {
      const next = stepInto(this.state, input, this.clock.now(), out);
      this.carryOut(out);
      if (next !== undefined) this.timers.tickAt(next);
    } finally {
      this.#linesLimited = limited;
      // pop() keeps the list's backing store; `length = 0` would drop it, and the next step's first
      // push would allocate a new one (about 150 bytes per message, measured).
      while (out.length > 0) out.pop();
    }
    if (input.kind === "message" && this.admin.inbound && this.counters.rejectsSent === rejectsBefore) {
      this.admin.afterInput(input.view, adminBefore);
    }
  }

  /** What waited in the mailbox, in order; then the application's queued messages. */
  #afterTurn(): void {
    const box = this.#mailbox;
    while (!this.#blocked && !this.#busy && box.length > 0) {
      const next = box.shift()!;
      if (typeof next === "function") {
        next();
        continue;
      }
      if (next.kind === "message") this.#mailboxBytes -= next.view.end - next.view.start;
      this.resends.skip = this.resends.coverOf(next);
      try {
        this.step(next);
      } finally {
        this.resends.skip = undefined;
      }
    }
    // What the application sent during the step follows the step's own messages on the wire. While
    // a write is in flight it waits, so a later higher-priority message can still go first.
    if (!this.#blocked && !this.writer.writing && this.queue.length > 0) this.sender.drain(false);
    this.#checkReadable();
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
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      switch (a.kind) {
        case "send": {
          const bytes = this.admin.outgoing(a.bytes, a.msgType);
          if (a.persist) this.sender.sent(a.seq, a.msgType, bytes);
          else this.sender.write(bytes, a.msgType);
          this.#sendsAhead--;
          break;
        }
        case "persist-inbound": {
          // A store that keeps no inbound bytes gets none (no view cut per message).
          const p = this.store.appendInbound(
            a.seq,
            this.store.keepsInbound === false ? NO_BYTES : a.frame.bytes(),
          );
          this.commits?.appended(a.seq, p);
          this.sender.track(p);
          this.admin.persisted(a.frame, actions, i, a.seq);
          break;
        }
        case "deliver":
          this.delivery.message(a.view);
          break;
        case "resend":
          this.#blocked = true;
          this.resends.start(a.begin, a.end, actions.slice(i + 1));
          return;
        case "store-seq":
          if (a.nextSenderSeq !== undefined) this.sender.track(this.store.setNextSenderSeq(a.nextSenderSeq));
          if (a.nextTargetSeq !== undefined) this.sender.track(this.store.setNextTargetSeq(a.nextTargetSeq));
          break;
        case "store-reset":
          this.admin.recent?.clear();
          this.sender.track(this.store.reset(this.scheduler.nowMs()));
          break;
        case "store-refresh":
          // RefreshOnLogon is an input (set-seq from the store's numbers) the runner feeds on attach.
          break;
        case "disconnect":
          this.closeAfterFlush = a.reason;
          this.writer.scheduleFlush();
          break;
        case "logon":
          this.loggedOnThisConnection = true;
          this.counters.logons++;
          this.counters.loggedOnSinceMs = this.scheduler.nowMs();
          this.delivery.logon();
          // Messages queued while not logged on leave now, highest priority first.
          this.writer.scheduleFlush();
          break;
        case "logout": {
          this.counters.loggedOnSinceMs = 0;
          this.delivery.logout(a.reason);
          break;
        }
        case "event":
          if (
            recordEvent(
              this.counters,
              this.logger,
              this.key,
              a.event,
              this.#linesLimited ? this.lines : undefined,
              this.scheduler.nowMs(),
            )
          ) {
            this.lastError = a.event.text;
          }
          break;
      }
    }
  }

  /** Writes what accumulated, after moving queued messages in; closes when asked and nothing is left. */
  flush(): void {
    this.#checkReadable(); // a commit that ran its callbacks ends here (CommitGate), as do writes
    if (this.writer.writing) return;
    const conn = this.conn;
    if (!conn) return;
    this.sender.drain(false);
    if (this.writer.pending === 0) {
      if (this.closeAfterFlush !== undefined) this.detach(this.closeAfterFlush);
      return;
    }
    this.writer.startWrite(conn);
  }

  /** A message we cannot journal must not go out: stop sending and drop the connection. */
  onStoreError(e: unknown): void {
    if (this.storeError === undefined) this.counters.storeErrors++;
    this.storeError = e instanceof Error ? e : new Error(String(e));
    this.lastError = `store: ${this.storeError.message}`;
    this.logger.error("store-error", `${this.storeError.message}; session stops sending`, this.key);
    this.writer.discard();
    this.closeAfterFlush = "store failure";
    if (this.conn) this.detach("store failure");
  }

  /** Binds a new connection (its read loop is the runner's). */
  connect(conn: Connection): void {
    this.conn = conn;
    this.loggedOnThisConnection = false;
    this.writer.discard();
    this.closeAfterFlush = undefined;
    this.lastReceivedMs = this.scheduler.nowMs();
  }

  /** Drops the connection: every timer cancelled, the machine told, waiters woken. */
  detach(reason: string): void {
    const conn = this.conn;
    if (!conn) return;
    this.conn = undefined;
    conn.close();
    this.writer.discard();
    this.cancelTimers();
    this.resends.detached();
    this.counters.disconnects++;
    this.input({ kind: "disconnected", reason });
    const w = this.#disconnectWaiters;
    this.#disconnectWaiters = [];
    for (const f of w) f();
    this.writer.wakeAll();
    this.#checkReadable();
  }

  /** Resolves when the current connection (if any) is gone. */
  whenDisconnected(): Promise<void> {
    if (!this.conn) return Promise.resolve();
    return new Promise((r) => this.#disconnectWaiters.push(r));
  }

  readonly #onTick = (): void => {
    this.input({ kind: "tick" });
    this.flush();
  };

  /** Cancels every timer of the session (on disconnect and stop: none stays armed). */
  cancelTimers(): void {
    this.timers.cancel();
    this.writer.cancelTimer();
  }
}
