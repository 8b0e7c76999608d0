/**
 * The session actor: one mailbox per session, one step at a time. Inputs (frames, scheduler ticks,
 * sends that need the machine, admin commands) go to the pure machine (`stepInto`); its executor
 * (execute.ts) carries out the actions it returns against the collaborators — the outbound writer, the
 * store, the application, the scheduler. The actor binds and drops connections and keeps no copy of
 * the machine's state (numbers and the logged-on flag are read from it); the read loop's bound, with
 * the mailbox's inbound bytes, is read_bound.ts's.
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
import { EventLineLimit, type SessionCounters } from "./counters.ts";
import { Delivery } from "./delivery.ts";
import { ActionExecutor } from "./execute.ts";
import { ReadBound } from "./read_bound.ts";
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
  /** Carries out the machine's actions (knows whether a step's actions are being carried out). */
  readonly executor: ActionExecutor;
  /** The read loop's bound (back-pressure toward the peer), with the mailbox's inbound bytes. */
  readonly bound: ReadBound;
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
    this.executor = new ActionExecutor(this);
    this.bound = new ReadBound(this);
  }

  // The collaborators' host interfaces (WriterHost, CommitHost, AdminHost, ResendHost, DeliveryHost,
  // ExecutorHost, ReadBoundHost).
  get storeFailed(): boolean {
    return this.storeError !== undefined;
  }
  written(): void {
    this.resends.written();
    this.bound.check();
  }
  drop(reason: string, error: boolean): void {
    if (error) this.lastError = reason;
    this.detach(reason);
  }

  /** The machine asked for a resend: every input waits in the mailbox until it ends (`finish`). */
  startResend(begin: number, end: number, rest: Action[]): void {
    this.#blocked = true;
    this.resends.start(begin, end, rest);
  }

  /** The resend ended: the machine's final input, the rest of the step that asked, then the mailbox. */
  finish(input: Input, r: ResendStream): void {
    this.#blocked = false;
    const out: Action[] = [];
    const next = stepInto(this.state, input, this.scheduler.nowMs(), out);
    this.resends.describe(out, r);
    this.executor.carryOut(out);
    this.resends.ended(r);
    this.executor.carryOut(r.rest);
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
    if (this.executor.busy || this.#blocked) {
      if (input.kind !== "message") {
        this.#mailbox.push(input);
        return;
      }
      const kept: Input = { kind: "message", view: input.view.copy() };
      this.#mailbox.push(kept);
      this.bound.held(kept.view.end - kept.view.start);
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
    if (this.executor.busy || this.#blocked) this.#mailbox.push(run);
    else run();
  }

  /** A resend streams: every input waits in the mailbox. */
  get blocked(): boolean {
    return this.#blocked;
  }
  /** Inputs and commands waiting in the mailbox. */
  get mailboxSize(): number {
    return this.#mailbox.length;
  }

  /** Feeds one input to the machine and carries out the actions (never while a step is under way). */
  step(input: Input): void {
    const adminBefore = this.admin.count;
    const rejectsBefore = this.counters.rejectsSent;
    const out = this.#actions;
    const ex = this.executor;
    const limited = ex.linesLimited;
    // An operator's command (set-seq, reset, SequenceReset, logout) is not a peer's to repeat: its
    // lines are written whatever a peer's flood left of the session's event lines.
    ex.linesLimited = !OPERATOR_INPUTS.has(input.kind);
    try {
      const next = stepInto(this.state, input, this.clock.now(), out);
      ex.carryOut(out);
      if (next !== undefined) this.timers.tickAt(next);
    } finally {
      ex.linesLimited = limited;
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
    while (!this.#blocked && !this.executor.busy && box.length > 0) {
      const next = box.shift()!;
      if (typeof next === "function") {
        next();
        continue;
      }
      if (next.kind === "message") this.bound.released(next.view.end - next.view.start);
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
    this.bound.check();
  }

  /** Writes what accumulated, after moving queued messages in; closes when asked and nothing is left. */
  flush(): void {
    this.bound.check(); // a commit that ran its callbacks ends here (CommitGate), as do writes
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
    const first = this.storeError === undefined;
    if (first) this.counters.storeErrors++;
    this.storeError = e instanceof Error ? e : new Error(String(e));
    this.lastError = `store: ${this.storeError.message}`;
    // Once: every append of the failed batch rejects with the same error (40 lines for one full disk before).
    if (first) {
      this.logger.error("store-error", `${this.storeError.message}; session stops sending`, this.key);
    }
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
    this.bound.check();
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
